//! Message ports and poll (communication by message passing, docs/ipc.md): calls and
//! their answers, descriptors and credentials carried, the bounded queue, timeouts,
//! names, a peer that dies mid-conversation, poll over pipes and ports, and nothing
//! leaked by any of it.

use crate::{ctx, ensure, expect_exit, fork_child, no_leak_with_heap, pipe, TestResult};
use alloc::format;
use core::sync::atomic::{AtomicU32, Ordering};
use ulib::abi::flags::O_NONBLOCK;
use ulib::abi::signal::{SIGKILL, SIGUSR1};
use ulib::io::{Read, Write};
use ulib::poll::{poll, select, FdSet, PollFd, POLLHUP, POLLIN, POLLOUT};
use ulib::port::{self, Client, Port};
use ulib::process::{self, Handler};
use ulib::time::{Duration, Instant};
use ulib::{sys, Errno};

const NOW: Option<Duration> = Some(Duration::ZERO);

fn ms(n: u64) -> Option<Duration> {
    Some(Duration::from_millis(n))
}

fn create(capacity: u32) -> Result<(Port, Client), alloc::string::String> {
    ctx(port::create(capacity), "port_create")
}

/// A forked server that answers every call with its bytes reversed, until the port
/// has no sender left; the child's pid. The child closes its copy of `client` (a
/// forked child shares the parent's open files: its copy would keep the port's
/// sending end open, and the server waiting for ever).
fn echo_server(server: Port, client: &Client) -> Result<u32, alloc::string::String> {
    let cfd = client.as_raw_fd();
    let pid = fork_child(move || {
        let _ = sys::close(cfd);
        let mut b = [0u8; 256];
        let mut fds = [-1i32; port::FDS_MAX];
        loop {
            match server.receive(&mut b, &mut fds, None) {
                Ok(m) => {
                    for &fd in &fds[..m.nfds] {
                        let _ = sys::close(fd);
                    }
                    b[..m.len].reverse();
                    if m.token != 0 && server.reply(m.token, &b[..m.len], &[]).is_err() {
                        return 1;
                    }
                }
                Err(Errno::EPIPE) => return 0,
                Err(_) => return 2,
            }
        }
    })?;
    Ok(pid)
}

pub fn calls_are_answered_and_sends_arrive_in_order() -> TestResult {
    let (server, client) = create(4)?;
    // Sends queue in order, in one process.
    for i in 0..4u8 {
        ctx(client.send(&[i, i], &[], NOW), "send")?;
    }
    let mut b = [0u8; 8];
    for i in 0..4u8 {
        let m = ctx(server.receive(&mut b, &mut [], NOW), "receive")?;
        ensure(m.len == 2 && b[..2] == [i, i] && m.token == 0, || {
            format!("message {i}: {m:?} {:?}", &b[..2])
        })?;
    }
    let pid = echo_server(server, &client)?;
    let mut out = [0u8; 256];
    for round in 0..200u32 {
        let msg = format!("round {round}");
        let m = ctx(
            client.call(msg.as_bytes(), &[], &mut out, &mut [], None),
            "call",
        )?;
        let want: alloc::vec::Vec<u8> = msg.bytes().rev().collect();
        ensure(out[..m.len] == want[..], || {
            format!("round {round}: answer {:?}", &out[..m.len])
        })?;
        ensure(m.pid == pid, || {
            format!("answer from pid {}, server is {pid}", m.pid)
        })?;
    }
    drop(client);
    expect_exit(pid, 0, "the echo server")
}

pub fn descriptors_travel_and_credentials_are_the_kernels() -> TestResult {
    let (server, client) = create(0)?;
    let (r, w) = pipe()?;
    let sfd = server.as_raw_fd();
    let pid = fork_child(move || {
        // The child gets the parent's pipe write end in a message and writes to it.
        let server = Port::from_raw_fd(sfd);
        let mut b = [0u8; 16];
        let mut fds = [-1i32; 4];
        let Ok(m) = server.receive(&mut b, &mut fds, ms(5_000)) else {
            return 1;
        };
        if m.nfds != 1 || &b[..m.len] != b"take this" || m.pid != sys::getppid().unwrap_or(0) as u32
        {
            return 2;
        }
        let uid = sys::getuid().unwrap_or(99) as u32;
        let gid = sys::getgid().unwrap_or(99) as u32;
        if (m.uid, m.gid) != (uid, gid) {
            return 3;
        }
        let mut w = ulib::fs::File::from_raw_fd(fds[0]);
        i32::from(w.write_all(b"through the port").is_err()) * 4
    })?;
    drop(server);
    ctx(
        client.send(b"take this", &[w.as_raw_fd()], ms(5_000)),
        "send with a descriptor",
    )?;
    drop(w); // the child's copy is now the only writer
    let mut got = alloc::vec::Vec::new();
    let mut r = r;
    ctx(r.read_to_end(&mut got), "read the pipe")?;
    ensure(got == b"through the port", || format!("read {got:?}"))?;
    expect_exit(pid, 0, "the receiver")?;
    // A receiving end may not travel (a port in its own queue would live for ever);
    // a closed descriptor is EBADF; too many descriptors EINVAL.
    let (s2, c2) = create(0)?;
    let e = client.send(b"", &[s2.as_raw_fd()], NOW);
    ensure(e == Err(Errno::EINVAL) || e == Err(Errno::EPIPE), || {
        format!("sending a receiving end: {e:?}")
    })?;
    let e = c2.send(b"", &[s2.as_raw_fd()], NOW);
    ensure(e == Err(Errno::EINVAL), || {
        format!("sending a receiving end: {e:?}")
    })?;
    ensure(c2.send(b"", &[60], NOW) == Err(Errno::EBADF), || {
        "a closed descriptor in a message".into()
    })?;
    let nine = [c2.as_raw_fd(); 9];
    ensure(c2.send(b"", &nine, NOW) == Err(Errno::EINVAL), || {
        "nine descriptors in a message".into()
    })
}

pub fn a_full_queue_is_eagain_and_a_big_message_waits() -> TestResult {
    let (server, client) = create(2)?;
    ctx(client.send(b"1", &[], NOW), "send 1")?;
    ctx(client.send(b"2", &[], NOW), "send 2")?;
    let e = client.send(b"3", &[], NOW);
    ensure(e == Err(Errno::EAGAIN), || {
        format!("third send to a queue of 2: {e:?}")
    })?;
    // O_NONBLOCK on the descriptor does the same with a timeout "forever".
    let mut fds = [0; 2];
    ctx(
        sys::port_create(&mut fds, 1, O_NONBLOCK),
        "port_create O_NONBLOCK",
    )?;
    let (nb_server, nb_client) = (Port::from_raw_fd(fds[0]), Client::from_raw_fd(fds[1]));
    ctx(nb_client.send(b"x", &[], None), "nonblocking send")?;
    let e = nb_client.send(b"y", &[], None);
    ensure(e == Err(Errno::EAGAIN), || {
        format!("nonblocking send to a full queue: {e:?}")
    })?;
    let mut b = [0u8; 1];
    ctx(
        nb_server.receive(&mut b, &mut [], None),
        "nonblocking receive",
    )?;
    let e = nb_server.receive(&mut b, &mut [], None);
    ensure(e.err() == Some(Errno::EAGAIN), || {
        format!("empty nonblocking receive: {e:?}")
    })?;
    // A message too big for the buffer stays queued (EMSGSIZE) and says its size.
    let mut small = [0u8; 0];
    let mut m = ulib::abi::PortMsg::default();
    let e = sys::port_receive(server.as_raw_fd(), &mut small, &mut [], 0, &mut m);
    ensure(e == Err(Errno::EMSGSIZE) && m.len == 1, || {
        format!("receive into 0 bytes: {e:?}, {m:?}")
    })?;
    ensure(
        server.receive(&mut b, &mut [], NOW).is_ok() && &b == b"1",
        || "the big message was lost".into(),
    )?;
    // Bigger than a port message may be at all.
    let huge = alloc::vec![0u8; port::MSG_MAX + 1];
    ensure(client.send(&huge, &[], NOW) == Err(Errno::EINVAL), || {
        "a message above the maximum".into()
    })
}

pub fn timeouts_end_waits_with_etimedout() -> TestResult {
    let (server, client) = create(1)?;
    let mut b = [0u8; 4];
    let t = Instant::now();
    let e = server.receive(&mut b, &mut [], ms(50));
    let took = t.elapsed();
    ensure(e.err() == Some(Errno::ETIMEDOUT), || {
        format!("receive on an empty port: {e:?}")
    })?;
    ensure(
        took >= Duration::from_millis(50) && took < Duration::from_secs(2),
        || format!("a 50 ms timeout took {took:?}"),
    )?;
    ctx(client.send(b"full", &[], NOW), "send")?;
    let e = client.send(b"more", &[], ms(30));
    ensure(e == Err(Errno::ETIMEDOUT), || {
        format!("send to a full port: {e:?}")
    })?;
    // A call nobody answers: withdrawn at the timeout.
    ctx(server.receive(&mut b, &mut [], NOW), "drain")?;
    let e = client.call(b"anyone?", &[], &mut b, &mut [], ms(30));
    ensure(e.err() == Some(Errno::ETIMEDOUT), || {
        format!("unanswered call: {e:?}")
    })?;
    let e = server.receive(&mut b, &mut [], NOW);
    ensure(e.err() == Some(Errno::EAGAIN), || {
        format!("the withdrawn call's message is still queued: {e:?}")
    })
}

pub fn a_dead_server_is_econnreset_and_a_dead_receiver_epipe() -> TestResult {
    // The server takes the call and is killed before it answers.
    let (server, client) = create(0)?;
    let (r, w) = pipe()?;
    let wfd = w.as_raw_fd();
    let sfd = server.as_raw_fd();
    let pid = fork_child(move || {
        let server = Port::from_raw_fd(sfd);
        let mut b = [0u8; 8];
        if server.receive(&mut b, &mut [], None).is_ok() {
            let _ = sys::write(wfd, b"!");
        }
        loop {
            let _ = sys::nanosleep(1_000_000_000);
        }
    })?;
    drop(server);
    drop(w);
    let killer = fork_child(move || {
        let mut r = r;
        let mut b = [0u8; 1];
        if r.read_exact(&mut b).is_err() {
            return 1;
        }
        i32::from(sys::kill(pid as i64, SIGKILL).is_err())
    })?;
    let mut b = [0u8; 8];
    let e = client.call(b"hello", &[], &mut b, &mut [], ms(10_000));
    ensure(e.err() == Some(Errno::ECONNRESET), || {
        format!("call to a killed server: {e:?}")
    })?;
    expect_exit(killer, 0, "the killer")?;
    let st = crate::wait_for(pid)?;
    ensure(st.signal() == Some(SIGKILL), || {
        format!("the server ended with {st}")
    })?;
    // Its port has no receiver now: sending is EPIPE, and no message stays anywhere.
    let e = client.send(b"anyone?", &[], None);
    ensure(e == Err(Errno::EPIPE), || {
        format!("send to a port without receiver: {e:?}")
    })?;
    // A receiver killed while messages with descriptors wait: they are released (the
    // pipe's writer goes with them, so its reader sees end of file).
    let (server, client) = create(4)?;
    let (mut r, w) = pipe()?;
    ctx(client.send(b"", &[w.as_raw_fd()], NOW), "send a descriptor")?;
    drop(w);
    let sfd = server.as_raw_fd();
    let pid = fork_child(move || {
        let _keep = Port::from_raw_fd(sfd);
        loop {
            let _ = sys::nanosleep(1_000_000_000);
        }
    })?;
    drop(server);
    ctx(process::kill(pid as i64, SIGKILL), "kill the receiver")?;
    crate::wait_for(pid)?;
    let mut rest = alloc::vec::Vec::new();
    ctx(
        r.read_to_end(&mut rest),
        "read after the queued writer was released",
    )?;
    let e = client.send(b"x", &[], None);
    ensure(e == Err(Errno::EPIPE), || {
        format!("send after the receiver died: {e:?}")
    })
}

pub fn names_are_found_and_go_with_their_port() -> TestResult {
    let name = format!("usertests.{}", process::id());
    let (server, client) = create(0)?;
    ctx(server.register(&name), "register")?;
    let (other, _c) = create(0)?;
    ensure(other.register(&name) == Err(Errno::EEXIST), || {
        "a taken name".into()
    })?;
    ensure(other.register("") == Err(Errno::EINVAL), || {
        "an empty name".into()
    })?;
    let found = ctx(port::lookup(&name), "lookup")?;
    ctx(found.send(b"by name", &[], NOW), "send by name")?;
    let mut b = [0u8; 16];
    let m = ctx(server.receive(&mut b, &mut [], NOW), "receive")?;
    ensure(&b[..m.len] == b"by name", || {
        format!("got {:?}", &b[..m.len])
    })?;
    // Registered, the port never reads as broken, even with no sender open.
    drop((client, found));
    let e = server.receive(&mut b, &mut [], NOW);
    ensure(e.err() == Some(Errno::EAGAIN), || {
        format!("named port, no sender: {e:?}")
    })?;
    drop(server);
    let e = port::lookup(&name).map(|_| ());
    ensure(e == Err(Errno::ENOENT), || {
        format!("lookup after the port closed: {e:?}")
    })
}

static USR1: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_usr1(_: u32) {
    USR1.fetch_add(1, Ordering::SeqCst);
}

pub fn poll_and_select_wake_for_pipes_and_ports() -> TestResult {
    let (server, client) = create(1)?;
    let (r, mut w) = pipe()?;
    let mut fds = [
        PollFd {
            fd: r.as_raw_fd(),
            events: POLLIN,
            revents: 0,
        },
        PollFd {
            fd: server.as_raw_fd(),
            events: POLLIN,
            revents: 0,
        },
        PollFd {
            fd: client.as_raw_fd(),
            events: POLLOUT,
            revents: 0,
        },
    ];
    // Only the sending end is ready (room in the queue).
    let n = ctx(poll(&mut fds, NOW), "poll")?;
    ensure(
        n == 1 && fds[2].revents == POLLOUT && fds[0].revents == 0,
        || format!("first poll: {n} {fds:?}"),
    )?;
    // Nothing to read: a timeout of 30 ms gives 0.
    let n = ctx(poll(&mut fds[..2], ms(30)), "poll with a timeout")?;
    ensure(n == 0, || format!("poll of nothing ready gave {n}"))?;
    // A child sends on the port after a while: the poll sleeping on both wakes.
    let cfd = client.as_raw_fd();
    let pid = fork_child(move || {
        let _ = sys::nanosleep(20_000_000);
        i32::from(sys::port_send(cfd, b"wake", &[], u64::MAX).is_err())
    })?;
    let n = ctx(
        poll(&mut fds[..2], ms(5_000)),
        "poll for the child's message",
    )?;
    ensure(n == 1 && fds[1].revents == POLLIN, || {
        format!("woken poll: {n} {fds:?}")
    })?;
    expect_exit(pid, 0, "the sender")?;
    // The full queue: the sending end is not writable now.
    let n = ctx(poll(&mut fds[2..], NOW), "poll the full port")?;
    ensure(n == 0, || {
        format!("sending end of a full port: {:?}", fds[2])
    })?;
    // select on the pipe: readable once written.
    ctx(w.write_all(b"x"), "write")?;
    let (mut rd, mut wr) = (FdSet::new(), FdSet::new());
    rd.insert(r.as_raw_fd());
    rd.insert(server.as_raw_fd());
    let n = ctx(select(&mut rd, &mut wr, ms(1_000)), "select")?;
    ensure(n == 2 && rd.contains(r.as_raw_fd()), || {
        format!("select gave {n}")
    })?;
    // The writer gone: POLLHUP.
    drop(w);
    let mut b = [0u8; 1];
    ctx(sys::read(r.as_raw_fd(), &mut b), "read")?;
    let n = ctx(poll(&mut fds[..1], NOW), "poll after the writer closed")?;
    ensure(n == 1 && fds[0].revents & POLLHUP != 0, || {
        format!("{:?}", fds[0])
    })?;
    // A signal ends a poll with EINTR.
    let old = ctx(
        process::signal(SIGUSR1, Handler::Call(on_usr1)),
        "sigaction",
    )?;
    let me = process::id();
    let pid = fork_child(move || {
        let _ = sys::nanosleep(20_000_000);
        i32::from(sys::kill(me as i64, SIGUSR1).is_err())
    })?;
    let mut empty = [PollFd {
        fd: server.as_raw_fd(),
        events: POLLIN,
        revents: 0,
    }];
    let mut m = [0u8; 8];
    ctx(server.receive(&mut m, &mut [], NOW), "drain")?;
    let e = poll(&mut empty, ms(5_000));
    ctx(process::set_disposition(SIGUSR1, &old), "restore SIGUSR1")?;
    expect_exit(pid, 0, "the signaller")?;
    ensure(
        e == Err(Errno::EINTR) && USR1.load(Ordering::SeqCst) > 0,
        || format!("poll interrupted by a signal: {e:?}"),
    )
}

pub fn port_traffic_leaks_nothing() -> TestResult {
    no_leak_with_heap(20, || {
        let (server, client) = create(0)?;
        let (_r, w) = pipe()?;
        // A message with a descriptor, which the server takes without answering.
        ctx(client.send(b"first", &[w.as_raw_fd()], NOW), "send")?;
        let pid = echo_server(server, &client)?;
        let mut b = [0u8; 64];
        for _ in 0..5 {
            ctx(client.call(b"ping", &[], &mut b, &mut [], None), "call")?;
        }
        drop(client);
        expect_exit(pid, 0, "the echo server")?;
        // A named port with messages left in it when it closes.
        let name = format!("leak.{}", process::id());
        let (named, first) = create(0)?;
        ctx(named.register(&name), "register")?;
        let found = ctx(port::lookup(&name), "lookup")?;
        ctx(found.send(b"left behind", &[w.as_raw_fd()], NOW), "send")?;
        drop((named, first, found));
        ensure(port::lookup(&name).is_err(), || {
            "the name outlived its port".into()
        })
    })
}
