//! The ports' fast path (docs/ipc.md "The fast path"): short messages in registers
//! (`port_call_short`, `port_reply_receive_short`) handed to a parked server, mixed
//! with the general path on the same port, their errors, a server that dies with a
//! call in hand, and nothing leaked.

use crate::{ctx, ensure, expect_exit, fork_child, no_leak_with_heap, TestResult};
use alloc::format;
use ulib::port::{self, Client, Port, Short, SHORT_MAX};
use ulib::time::Duration;
use ulib::{sys, Errno};

const NOW: Option<Duration> = Some(Duration::ZERO);

/// What the server answers: the bytes XORed with 0x5a, the same length.
fn answer_of(m: &Short) -> Short {
    let (mut b, n) = m.bytes();
    for x in &mut b[..n] {
        *x ^= 0x5a;
    }
    Short::from_bytes(&b[..n])
}

/// A forked server looping on `reply_receive_short`, answering with [`answer_of`];
/// a message too large for it (EMSGSIZE) is taken with `receive` and counted. It
/// exits with that count when no sender is left, 100 + n on an error, 99 if a short
/// message did not say it came from its parent.
fn short_server(server: Port, client: &Client) -> Result<u32, alloc::string::String> {
    let cfd = client.as_raw_fd();
    let parent = process_id();
    fork_child(move || {
        let _ = sys::close(cfd);
        let mut long = 0;
        let mut next = server.reply_receive_short(0, &Short::default(), None);
        loop {
            match next {
                Ok(m) if m.pid != parent => return 99,
                Ok(m) => next = server.reply_receive_short(m.token, &answer_of(&m.msg), None),
                Err(Errno::EMSGSIZE) => {
                    let mut b = [0u8; 256];
                    if server.receive(&mut b, &mut [], NOW).is_err() {
                        return 101;
                    }
                    long += 1;
                    next = server.reply_receive_short(0, &Short::default(), None);
                }
                Err(Errno::EPIPE) => return long,
                Err(_) => return 102,
            }
        }
    })
}

fn process_id() -> u32 {
    ulib::process::id()
}

pub fn short_calls_are_answered_and_mix_with_the_general_path() -> TestResult {
    let (server, client) = ctx(port::create(2), "port_create")?;
    let pid = short_server(server, &client)?;
    for round in 0..300usize {
        // Every length from 0 to 32, with bytes that differ each round.
        let len = round % (SHORT_MAX + 1);
        let bytes: alloc::vec::Vec<u8> = (0..len).map(|i| (round * 7 + i) as u8).collect();
        let msg = Short::from_bytes(&bytes);
        let got = ctx(client.call_short(&msg, None), "call_short")?;
        ensure(got == answer_of(&msg), || {
            format!("round {round}: sent {msg:?}, answer {got:?}")
        })?;
        if round % 50 == 7 {
            // A general call to the same server: queued, taken by its short receive,
            // answered through the queue.
            let mut out = [0u8; 64];
            let m = ctx(
                client.call(b"general", &[], &mut out, &mut [], None),
                "port_call to a short server",
            )?;
            let want = answer_of(&Short::from_bytes(b"general"));
            ensure(
                Short::from_bytes(&out[..m.len]) == want && m.pid == pid,
                || format!("general call answered {:?} by {}", &out[..m.len], m.pid),
            )?;
        }
    }
    // A message longer than a short receive takes: EMSGSIZE for the server, which
    // takes it with `port_receive`; later short calls still work.
    ctx(client.send(&[7u8; 100], &[], None), "send 100 bytes")?;
    let msg = Short::from_bytes(b"after the long one");
    let got = ctx(client.call_short(&msg, None), "call_short after")?;
    ensure(got == answer_of(&msg), || format!("answer {got:?}"))?;
    drop(client);
    expect_exit(pid, 1, "the short server (one long message seen)")
}

pub fn short_calls_refuse_bad_arguments_and_a_dead_server_is_econnreset() -> TestResult {
    let (server, client) = ctx(port::create(0), "port_create")?;
    let bad = Short {
        words: [1, 2, 3, 4],
        len: 33,
    };
    let e = client.call_short(&bad, None);
    ensure(e == Err(Errno::EINVAL), || format!("33 bytes: {e:?}"))?;
    // The wrong ends.
    let e = sys::port_call_short(server.as_raw_fd(), &Short::default(), u64::MAX);
    ensure(e == Err(Errno::EBADF), || {
        format!("call on a receiving end: {e:?}")
    })?;
    let e = sys::port_reply_receive_short(client.as_raw_fd(), 0, &Short::default(), 0);
    ensure(e == Err(Errno::EBADF), || {
        format!("receive on a sending end: {e:?}")
    })?;
    // Nothing queued: EAGAIN at once, ETIMEDOUT after a wait.
    let e = server.reply_receive_short(0, &Short::default(), NOW);
    ensure(e == Err(Errno::EAGAIN), || format!("empty, no wait: {e:?}"))?;
    let e = server.reply_receive_short(0, &Short::default(), Some(Duration::from_millis(30)));
    ensure(e == Err(Errno::ETIMEDOUT), || {
        format!("empty, 30 ms: {e:?}")
    })?;
    // An answer to a call nobody made.
    let e = server.reply_receive_short((1 << 62) | 12345, &Short::default(), NOW);
    ensure(e == Err(Errno::EPIPE), || {
        format!("answer to no call: {e:?}")
    })?;
    // A server that takes a call and dies without answering: ECONNRESET.
    let cfd = client.as_raw_fd();
    let pid = fork_child(move || {
        let _ = sys::close(cfd);
        match server.reply_receive_short(0, &Short::default(), None) {
            Ok(_) => 0, // exits with the call unanswered, its receiving end closed
            Err(_) => 1,
        }
    })?;
    let e = client.call_short(&Short::from_bytes(b"hello?"), None);
    ensure(e == Err(Errno::ECONNRESET), || {
        format!("dead server: {e:?}")
    })?;
    expect_exit(pid, 0, "the server that did not answer")?;
    // No receiving end left: EPIPE.
    let e = client.call_short(&Short::from_bytes(b"anyone?"), None);
    ensure(e == Err(Errno::EPIPE), || format!("no receiver: {e:?}"))
}

pub fn short_traffic_leaks_nothing() -> TestResult {
    no_leak_with_heap(10, || {
        let (server, client) = ctx(port::create(1), "port_create")?;
        let pid = short_server(server, &client)?;
        for i in 0..20u8 {
            let msg = Short::from_bytes(&[i; 9]);
            ctx(client.call_short(&msg, None), "call_short")?;
        }
        drop(client);
        expect_exit(pid, 0, "the short server")
    })
}
