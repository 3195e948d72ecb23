//! Message ports and poll (chapter 2, 3-2 "communication"): the calls that copy
//! messages between user memory and the ports of `ipc`, and `poll` over any open file.
//!
//! A message crosses in a [`PortMsg`] parameter block. Sending, the bytes are copied
//! into the kernel, each descriptor named is looked up in the sender's table (its open
//! file travels: the receiver's new descriptor shares it, as with SCM_RIGHTS), and the
//! sender's pid and effective ids are filled in here, never taken from the block.
//! Receiving, the receiver's buffers are checked before a message is taken, so a bad
//! pointer costs no message; a message too large for them stays queued (EMSGSIZE, with
//! the sizes it needs written back in the block).
//!
//! `poll` asks each open file its readiness; if none is ready it sleeps on all their
//! wait queues at once (`task::wait_any`), until one is woken, the timeout passes or a
//! signal arrives (EINTR).

use crate::arg::Fd;
use crate::table::{Ctx, SysResult};
use crate::user::{FdPair, UserPtr};
use abi::flags::*;
use abi::{Errno, PollFd, PortMsg};
use alloc::sync::Arc;
use alloc::vec::Vec;
use files::OpenFile;
use ipc::{Message, ReceiveEnd, SendEnd, Sender, Timeout};
use proc::signal::ProcessSignals as S;
use proc::uaccess;

/// `port_create(fds, capacity, flags)`: a new port; `fds[0]` receives, `fds[1]`
/// sends. `capacity` 0 is [`PORT_QUEUE_DEFAULT`]; `flags` may hold O_NONBLOCK and
/// O_CLOEXEC, for both descriptors.
pub fn port_create(cx: &mut Ctx, out: UserPtr<FdPair>, capacity: u32, flags: u32) -> SysResult {
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 || capacity > PORT_QUEUE_MAX {
        return Err(Errno::EINVAL);
    }
    let capacity = if capacity == 0 {
        PORT_QUEUE_DEFAULT
    } else {
        capacity
    };
    let p = cx.process()?;
    out.write(&FdPair(0, 0))?; // a bad pointer leaks no descriptors
    let (rx, tx) = ipc::create(capacity as usize);
    let mode = flags & O_NONBLOCK;
    let rx = OpenFile::new(Arc::new(rx), O_RDONLY | mode)?;
    let tx = OpenFile::new(Arc::new(tx), O_WRONLY | mode)?;
    let cloexec = flags & O_CLOEXEC != 0;
    let mut t = p.files.lock();
    let rfd = t.insert(rx, cloexec)?;
    let wfd = match t.insert(tx, cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.close(rfd);
            return Err(e);
        }
    };
    drop(t);
    out.write(&FdPair(rfd, wfd))?;
    Ok(0)
}

/// The receiving end behind `fd` (EBADF for anything else), and the open file.
fn receive_end(cx: &Ctx, fd: Fd) -> Result<(Arc<OpenFile>, Arc<ipc::Port>), Errno> {
    let f = cx.file(fd)?;
    let port = f
        .as_any()
        .and_then(|a| a.downcast_ref::<ReceiveEnd>())
        .map(|r| r.port().clone())
        .ok_or(Errno::EBADF)?;
    Ok((f, port))
}

/// The sending end behind `fd`.
fn send_end(cx: &Ctx, fd: Fd) -> Result<(Arc<OpenFile>, Arc<ipc::Port>), Errno> {
    let f = cx.file(fd)?;
    let port = f
        .as_any()
        .and_then(|a| a.downcast_ref::<SendEnd>())
        .map(|s| s.port().clone())
        .ok_or(Errno::EBADF)?;
    Ok((f, port))
}

fn nonblock(f: &OpenFile) -> bool {
    f.flags & O_NONBLOCK != 0
}

/// `port_register(fd, name)`: name the port whose receiving end `fd` is.
pub fn port_register(cx: &mut Ctx, fd: Fd, name: alloc::string::String) -> SysResult {
    let (_, port) = receive_end(cx, fd)?;
    ipc::names::register(&port, &name)?;
    Ok(0)
}

/// `port_lookup(name, flags)`: a new sending end of the port named `name`
/// (O_NONBLOCK, O_CLOEXEC as for `port_create`).
pub fn port_lookup(cx: &mut Ctx, name: alloc::string::String, flags: u32) -> SysResult {
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let p = cx.process()?;
    let tx = ipc::names::lookup(&name)?;
    let f = OpenFile::new(Arc::new(tx), O_WRONLY | (flags & O_NONBLOCK))?;
    let fd = p.files.lock().insert(f, flags & O_CLOEXEC != 0)?;
    Ok(fd as usize)
}

/// The message a [`PortMsg`] describes, copied in, from the calling process.
fn message_in(cx: &Ctx, m: &PortMsg) -> Result<Message, Errno> {
    let (len, nfds) = (m.len as usize, m.nfds as usize);
    if len > PORT_MSG_MAX || nfds > PORT_FDS_MAX || m.flags != 0 {
        return Err(Errno::EINVAL);
    }
    let data = if len == 0 {
        Vec::new()
    } else {
        uaccess::read_bytes(m.buf, len)?
    };
    let files = if nfds == 0 {
        Vec::new()
    } else {
        let mut raw = [0u8; PORT_FDS_MAX * 4];
        uaccess::read_into(m.fds, &mut raw[..nfds * 4])?;
        let mut files = Vec::with_capacity(nfds);
        cx.with_process(|p| -> Result<(), Errno> {
            let t = p.files.lock();
            for c in raw[..nfds * 4].chunks_exact(4) {
                let f = t.get(i32::from_le_bytes([c[0], c[1], c[2], c[3]]))?;
                if f.as_any().is_some_and(|a| a.is::<ReceiveEnd>()) {
                    return Err(Errno::EINVAL); // see ipc::port: no cycles
                }
                files.push(f);
            }
            Ok(())
        })??;
        files
    };
    let sender = cx.with_process(|p| {
        let c = p.cred();
        Sender {
            pid: p.pid,
            uid: c.euid,
            gid: c.egid,
        }
    })?;
    Ok(Message {
        data,
        files,
        sender,
    })
}

/// Check that the buffers `m` gives for a message are writable (before one is taken).
fn check_room(m: &PortMsg) -> Result<(), Errno> {
    if m.len != 0 {
        uaccess::check_buffer(m.buf, (m.len as usize).min(PORT_MSG_MAX), true)?;
    }
    if m.nfds != 0 {
        uaccess::check_buffer(m.fds, (m.nfds as usize).min(PORT_FDS_MAX) * 4, true)?;
    }
    Ok(())
}

/// How many more descriptors the caller's table takes.
fn fd_room(cx: &Ctx) -> Result<usize, Errno> {
    cx.with_process(|p| files::MAX_FDS - p.files.lock().count())
}

/// Give `msg` to the calling process as `m` asked: the bytes into its buffer, its
/// descriptors installed, the block written back with the sizes, token and sender.
fn deliver(
    cx: &Ctx,
    out: UserPtr<PortMsg>,
    mut m: PortMsg,
    msg: Message,
    token: u64,
) -> Result<(), Errno> {
    if !msg.data.is_empty() {
        uaccess::write_bytes(m.buf, &msg.data)?;
    }
    let mut raw = [0u8; PORT_FDS_MAX * 4];
    let n = msg.files.len();
    if n != 0 {
        cx.with_process(|p| -> Result<(), Errno> {
            let mut t = p.files.lock();
            let mut given = Vec::with_capacity(n);
            for f in msg.files {
                match t.insert(f, false) {
                    Ok(fd) => given.push(fd),
                    Err(e) => {
                        for fd in given {
                            let _ = t.close(fd);
                        }
                        return Err(e);
                    }
                }
            }
            for (i, fd) in given.into_iter().enumerate() {
                raw[i * 4..i * 4 + 4].copy_from_slice(&fd.to_le_bytes());
            }
            Ok(())
        })??;
        uaccess::write_bytes(m.fds, &raw[..n * 4])?;
    }
    m.len = msg.data.len() as u32;
    m.nfds = n as u32;
    m.token = token;
    m.pid = msg.sender.pid;
    m.uid = msg.sender.uid;
    m.gid = msg.sender.gid;
    out.write(&m)
}

/// `port_send(fd, msg, timeout_ns)`: queue a message on the port `fd` sends to.
pub fn port_send(cx: &mut Ctx, fd: Fd, msg: UserPtr<PortMsg>, timeout: u64) -> SysResult {
    let (f, port) = send_end(cx, fd)?;
    let m = msg.read()?;
    let message = message_in(cx, &m)?;
    let timeout = Timeout::from_ns(timeout).with_nonblock(nonblock(&f));
    port.send::<S>(message, timeout)?;
    Ok(0)
}

/// `port_receive(fd, msg, timeout_ns)`: take the next message of the port `fd`
/// receives on.
pub fn port_receive(cx: &mut Ctx, fd: Fd, msg: UserPtr<PortMsg>, timeout: u64) -> SysResult {
    let (f, port) = receive_end(cx, fd)?;
    let mut m = msg.read()?;
    check_room(&m)?;
    let room = (m.len as usize, (m.nfds as usize).min(fd_room(cx)?));
    let timeout = Timeout::from_ns(timeout).with_nonblock(nonblock(&f));
    let got = port.receive::<S>(|len, nfds| len <= room.0 && nfds <= room.1, timeout);
    let (message, token) = match got {
        Err(Errno::EMSGSIZE) => {
            if let Some((len, nfds)) = port.front_size() {
                m.len = len as u32;
                m.nfds = nfds as u32;
                msg.write(&m)?;
            }
            return Err(Errno::EMSGSIZE);
        }
        r => r?,
    };
    deliver(cx, msg, m, message, token)?;
    Ok(0)
}

/// `port_call(fd, request, reply, timeout_ns)`: send `request` and wait for the
/// answer, which is delivered as `port_receive` delivers (into `reply`'s buffers).
pub fn port_call(
    cx: &mut Ctx,
    fd: Fd,
    request: UserPtr<PortMsg>,
    reply: UserPtr<PortMsg>,
    timeout: u64,
) -> SysResult {
    let (f, port) = send_end(cx, fd)?;
    let m = request.read()?;
    let mut r = reply.read()?;
    check_room(&r)?;
    let message = message_in(cx, &m)?;
    let timeout = Timeout::from_ns(timeout).with_nonblock(nonblock(&f));
    let answer = port.call::<S>(message, timeout)?;
    if answer.data.len() > r.len as usize || answer.files.len() > r.nfds as usize {
        // Too large for the caller's buffers: the answer is dropped (with its
        // descriptors), and the block says what it needed.
        r.len = answer.data.len() as u32;
        r.nfds = answer.files.len() as u32;
        reply.write(&r)?;
        return Err(Errno::EMSGSIZE);
    }
    deliver(cx, reply, r, answer, 0)?;
    Ok(0)
}

/// `port_reply(fd, token, msg)`: answer call `token` received on the port whose
/// receiving end is `fd`. Never waits (the answer goes to the caller's slot). EPIPE
/// when the caller is no longer waiting.
pub fn port_reply(cx: &mut Ctx, fd: Fd, token: u64, msg: UserPtr<PortMsg>) -> SysResult {
    let (_, port) = receive_end(cx, fd)?;
    let m = msg.read()?;
    let message = message_in(cx, &m)?;
    port.reply(token, message)?;
    Ok(0)
}

/// What `events` of an open file are ready now, as poll reports them.
fn revents(f: &OpenFile, events: u16) -> u16 {
    let r = f.poll();
    let mut out = 0;
    if r.readable && events & POLLIN != 0 {
        out |= POLLIN;
    }
    if r.writable && events & POLLOUT != 0 {
        out |= POLLOUT;
    }
    if r.hangup {
        out |= POLLHUP;
    }
    out
}

/// `poll(fds, nfds, timeout_ns)`: wait until one of `nfds` descriptors is ready;
/// returns how many are (their `revents` written), 0 when the time ran out.
pub fn poll(cx: &mut Ctx, fds: UserPtr<PollFd>, nfds: usize, timeout: u64) -> SysResult {
    if nfds > POLL_MAX {
        return Err(Errno::EINVAL);
    }
    let mut want: Vec<PollFd> = Vec::with_capacity(nfds);
    for i in 0..nfds {
        want.push(fds.at(i)?.read()?);
    }
    let open: Vec<Option<Arc<OpenFile>>> = cx.with_process(|p| {
        let t = p.files.lock();
        want.iter()
            .map(|w| if w.fd < 0 { None } else { t.get(w.fd).ok() })
            .collect()
    })?;
    // Fill `revents`; how many descriptors have something to report.
    let scan = |want: &mut [PollFd]| {
        let mut ready = 0;
        for (w, f) in want.iter_mut().zip(&open) {
            w.revents = match f {
                Some(f) => revents(f, w.events),
                None if w.fd < 0 => 0,
                None => POLLNVAL,
            };
            ready += usize::from(w.revents != 0);
        }
        ready
    };
    let mut ready = scan(&mut want);
    if ready == 0 && timeout != 0 {
        let deadline = match Timeout::from_ns(timeout) {
            Timeout::Until(t) => Some(t),
            _ => None,
        };
        let queues: Vec<&task::WaitQueue> = open
            .iter()
            .flatten()
            .filter_map(|f| f.poll_queue())
            .collect();
        let any_ready = || {
            want.iter()
                .zip(&open)
                .any(|(w, f)| f.as_ref().is_some_and(|f| revents(f, w.events) != 0))
        };
        task::wait_any(&queues, deadline, || {
            any_ready() || <S as files::Signals>::interrupted()
        });
        ready = scan(&mut want);
        if ready == 0 && <S as files::Signals>::interrupted() {
            return Err(Errno::EINTR);
        }
    }
    for (i, w) in want.iter().enumerate() {
        fds.at(i)?.write(w)?;
    }
    Ok(ready)
}
