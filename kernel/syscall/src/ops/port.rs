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
use ipc::{Message, Payload, ReceiveEnd, SendEnd, Sender, Timeout};
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

fn nonblock(f: &OpenFile) -> bool {
    f.flags() & O_NONBLOCK != 0
}

/// `port_register(fd, name)`: name the port whose receiving end `fd` is, owned by
/// the caller's effective ids with mode 0666 less the umask (as `bind` makes a
/// socket's file); see `ipc::names` for the rules.
pub fn port_register(cx: &mut Ctx, fd: Fd, name: alloc::string::String) -> SysResult {
    let cred = cx.with_process(|p| p.cred())?;
    register(
        cx,
        fd,
        &name,
        &cred,
        ipc::names::Registration::default_for(&cred),
    )
}

/// `port_register_mode(fd, name, mode, flags)`: the same with the mode given (used as
/// it is, no umask) and `PORT_REPLACE` to take over a name the caller owns.
pub fn port_register_mode(
    cx: &mut Ctx,
    fd: Fd,
    name: alloc::string::String,
    mode: u32,
    flags: u32,
) -> SysResult {
    if flags & !PORT_REPLACE != 0 {
        return Err(Errno::EINVAL);
    }
    let cred = cx.with_process(|p| p.cred())?;
    let how = ipc::names::Registration {
        mode,
        replace: flags & PORT_REPLACE != 0,
    };
    register(cx, fd, &name, &cred, how)
}

fn register(
    cx: &mut Ctx,
    fd: Fd,
    name: &str,
    cred: &cred::Credentials,
    how: ipc::names::Registration,
) -> SysResult {
    let f = cx.file(fd)?;
    let port = f
        .as_any()
        .and_then(|a| a.downcast_ref::<ReceiveEnd>())
        .ok_or(Errno::EBADF)?
        .port();
    ipc::names::register(port, name, cred, how)?;
    Ok(0)
}

/// `port_lookup(name, flags)`: a new sending end of the port named `name`
/// (O_NONBLOCK, O_CLOEXEC as for `port_create`); EACCES unless the name's mode lets
/// the caller write to it.
pub fn port_lookup(cx: &mut Ctx, name: alloc::string::String, flags: u32) -> SysResult {
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let p = cx.process()?;
    let tx = ipc::names::lookup(&name, &p.cred())?;
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
    let mut data = Payload::zeroed(len)?;
    if len != 0 {
        uaccess::read_into(m.buf, data.as_mut_slice())?;
    }
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
        p.with_cred(|c| Sender {
            pid: p.pid,
            uid: c.euid,
            gid: c.egid,
        })
    })?;
    Ok(Message {
        data,
        files,
        sender,
    })
}

/// How many more descriptors the caller's table takes.
fn fd_room(cx: &Ctx) -> Result<usize, Errno> {
    cx.with_process(|p| files::MAX_FDS - p.files.lock().count())
}

/// Give `msg` to the calling process as `m` asked: the bytes into its buffer, its
/// descriptors installed, the block written back with the sizes, token and sender.
/// On a bad buffer nothing is installed and the message comes back with the error (a
/// receive puts it back in the queue: a bad pointer costs no message).
fn deliver(
    cx: &Ctx,
    out: UserPtr<PortMsg>,
    mut m: PortMsg,
    msg: Message,
    token: u64,
) -> Result<(), (Errno, Message)> {
    if !msg.data.is_empty() {
        if let Err(e) = uaccess::write_bytes(m.buf, msg.data.as_slice()) {
            return Err((e, msg));
        }
    }
    let n = msg.files.len();
    let mut given = [0i32; PORT_FDS_MAX];
    if n != 0 {
        let installed = cx
            .with_process(|p| {
                let mut t = p.files.lock();
                for (i, f) in msg.files.iter().enumerate() {
                    match t.insert(f.clone(), false) {
                        Ok(fd) => given[i] = fd,
                        Err(e) => {
                            for &fd in &given[..i] {
                                let _ = t.close(fd);
                            }
                            return Err(e);
                        }
                    }
                }
                Ok(())
            })
            .and_then(|r| r);
        if let Err(e) = installed {
            return Err((e, msg));
        }
    }
    let mut raw = [0u8; PORT_FDS_MAX * 4];
    for (i, fd) in given[..n].iter().enumerate() {
        raw[i * 4..i * 4 + 4].copy_from_slice(&fd.to_le_bytes());
    }
    m.len = msg.data.len() as u32;
    m.nfds = n as u32;
    m.token = token;
    m.pid = msg.sender.pid;
    m.uid = msg.sender.uid;
    m.gid = msg.sender.gid;
    let written = if n != 0 {
        uaccess::write_bytes(m.fds, &raw[..n * 4])
    } else {
        Ok(())
    }
    .and_then(|()| out.write(&m));
    if let Err(e) = written {
        let _ = cx.with_process(|p| {
            let mut t = p.files.lock();
            for &fd in &given[..n] {
                let _ = t.close(fd);
            }
        });
        return Err((e, msg));
    }
    Ok(())
}

/// Receive on `port` into the buffers `m` describes (the block at `out`), waiting as
/// `timeout` allows.
fn receive_into(
    cx: &Ctx,
    port: &ipc::Port,
    out: UserPtr<PortMsg>,
    mut m: PortMsg,
    timeout: Timeout,
) -> SysResult {
    // Descriptor room is counted only when the receiver offers some.
    let fds = if m.nfds == 0 {
        0
    } else {
        (m.nfds as usize).min(fd_room(cx)?)
    };
    let room = m.len as usize;
    let got = port.receive::<S>(|len, nfds| len <= room && nfds <= fds, timeout);
    let (message, token) = match got {
        Err(Errno::EMSGSIZE) => {
            if let Some((len, nfds)) = port.front_size() {
                m.len = len as u32;
                m.nfds = nfds as u32;
                out.write(&m)?;
            }
            return Err(Errno::EMSGSIZE);
        }
        r => r?,
    };
    if let Err((e, message)) = deliver(cx, out, m, message, token) {
        port.unreceive(message, token);
        return Err(e);
    }
    Ok(0)
}

/// `port_send(fd, msg, timeout_ns)`: queue a message on the port `fd` sends to.
pub fn port_send(cx: &mut Ctx, fd: Fd, msg: UserPtr<PortMsg>, timeout: u64) -> SysResult {
    let f = cx.file(fd)?;
    let port = SendEnd::of(&f).ok_or(Errno::EBADF)?;
    let message = message_in(cx, &msg.read()?)?;
    port.send::<S>(
        message,
        Timeout::from_ns(timeout).with_nonblock(nonblock(&f)),
    )?;
    Ok(0)
}

/// `port_receive(fd, msg, timeout_ns)`: take the next message of the port `fd`
/// receives on.
pub fn port_receive(cx: &mut Ctx, fd: Fd, msg: UserPtr<PortMsg>, timeout: u64) -> SysResult {
    let f = cx.file(fd)?;
    let port = ReceiveEnd::of(&f).ok_or(Errno::EBADF)?;
    let timeout = Timeout::from_ns(timeout).with_nonblock(nonblock(&f));
    receive_into(cx, port, msg, msg.read()?, timeout)
}

/// `port_call(fd, request, reply, timeout_ns)`: send `request` and wait for the
/// answer, which is delivered as `port_receive` delivers (into `reply`'s buffers; an
/// answer that does not fit, or meets a bad buffer, is dropped).
pub fn port_call(
    cx: &mut Ctx,
    fd: Fd,
    request: UserPtr<PortMsg>,
    reply: UserPtr<PortMsg>,
    timeout: u64,
) -> SysResult {
    let f = cx.file(fd)?;
    let port = SendEnd::of(&f).ok_or(Errno::EBADF)?;
    let message = message_in(cx, &request.read()?)?;
    let mut r = reply.read()?;
    let answer = port.call::<S>(
        message,
        Timeout::from_ns(timeout).with_nonblock(nonblock(&f)),
    )?;
    if answer.data.len() > r.len as usize || answer.files.len() > r.nfds as usize {
        // Too large for the caller's buffers: the answer is dropped (with its
        // descriptors), and the block says what it needed.
        r.len = answer.data.len() as u32;
        r.nfds = answer.files.len() as u32;
        reply.write(&r)?;
        return Err(Errno::EMSGSIZE);
    }
    deliver(cx, reply, r, answer, 0).map_err(|(e, _)| e)?;
    Ok(0)
}

/// `port_reply(fd, token, msg)`: answer call `token` received on the port whose
/// receiving end is `fd`. Never waits (the answer goes to the caller's slot). EPIPE
/// when the caller is no longer waiting.
pub fn port_reply(cx: &mut Ctx, fd: Fd, token: u64, msg: UserPtr<PortMsg>) -> SysResult {
    let f = cx.file(fd)?;
    let port = ReceiveEnd::of(&f).ok_or(Errno::EBADF)?;
    reply_any(port, token, message_in(cx, &msg.read()?)?)?;
    Ok(0)
}

/// Answer call `token` with `answer`, whichever path the call came by: one handed over
/// by the fast path (`port_call_short`) takes a short answer only (EMSGSIZE otherwise).
fn reply_any(port: &ipc::Port, token: u64, answer: Message) -> Result<(), Errno> {
    if token & ipc::fast::FAST_TOKEN == 0 {
        return port.reply(token, answer);
    }
    if answer.data.len() > PORT_SHORT_MAX || !answer.files.is_empty() {
        return Err(Errno::EMSGSIZE);
    }
    let short = ipc::Short::from_bytes(answer.data.as_slice(), answer.sender.pid);
    port.reply_short(token, short, |_| Err(Errno::EINVAL))
}

/// `port_reply_receive(fd, token, reply, msg, timeout_ns)`: a server's loop in one
/// call, as L4's "reply and wait": answer call `token`, then take the next message as
/// `port_receive` does. A failed answer (EPIPE: its caller gave up) is reported and
/// nothing is received.
pub fn port_reply_receive(
    cx: &mut Ctx,
    fd: Fd,
    token: u64,
    reply: UserPtr<PortMsg>,
    msg: UserPtr<PortMsg>,
    timeout: u64,
) -> SysResult {
    let f = cx.file(fd)?;
    let port = ReceiveEnd::of(&f).ok_or(Errno::EBADF)?;
    let answer = message_in(cx, &reply.read()?)?;
    let m = msg.read()?;
    reply_any(port, token, answer)?;
    let timeout = Timeout::from_ns(timeout).with_nonblock(nonblock(&f));
    receive_into(cx, port, msg, m, timeout)
}

/// The short calls' first word: the descriptor (bits 0-31), the message's length
/// (bits 32-39, at most 32) and the rest (bits 40-63).
fn short_tag(tag: u64) -> Result<(Fd, u32, u64), Errno> {
    let len = ((tag >> 32) & 0xff) as u32;
    if len as usize > PORT_SHORT_MAX {
        return Err(Errno::EINVAL);
    }
    Ok((Fd(tag as u32 as i32), len, tag >> 40))
}

/// A short message as an ordinary one, for the queue (the general path): its bytes,
/// no descriptors, and the sender's ids as [`message_in`] fills them.
fn short_message(cx: &Ctx, m: &ipc::Short) -> Result<Message, Errno> {
    let (bytes, len) = m.to_bytes();
    let sender = cx.with_process(|p| {
        p.with_cred(|c| Sender {
            pid: p.pid,
            uid: c.euid,
            gid: c.egid,
        })
    })?;
    Ok(Message {
        data: Payload::from_slice(&bytes[..len]),
        files: Vec::new(),
        sender,
    })
}

/// Put a short message's words in the registers the caller gets back (`rsi, rdx,
/// r10, r8`).
fn words_out(cx: &mut Ctx, m: &ipc::Short) {
    cx.frame.rsi = m.words[0];
    cx.frame.rdx = m.words[1];
    cx.frame.r10 = m.words[2];
    cx.frame.r8 = m.words[3];
}

/// `port_call_short(fd | len << 32, w0, w1, w2, w3, timeout_ns)`: the fast path's
/// call (docs/ipc.md "The fast path", `ipc::fast`): `len` bytes of the four words,
/// and the answer's words back in `rsi, rdx, r10, r8`, its length as the result.
pub fn port_call_short(
    cx: &mut Ctx,
    tag: u64,
    w0: u64,
    w1: u64,
    w2: u64,
    w3: u64,
    timeout: u64,
) -> SysResult {
    let (fd, len, rest) = short_tag(tag)?;
    if rest != 0 {
        return Err(Errno::EINVAL);
    }
    let f = cx.file(fd)?;
    let port = SendEnd::of(&f).ok_or(Errno::EBADF)?;
    let pid = cx.with_process(|p| p.pid)?;
    let msg = ipc::Short::new([w0, w1, w2, w3], len, pid);
    let timeout = Timeout::from_ns(timeout).with_nonblock(nonblock(&f));
    let answer = port.call_short::<S>(msg, |m| short_message(cx, m), timeout)?;
    words_out(cx, &answer);
    Ok(answer.len as usize)
}

/// `port_reply_receive_short(fd | len << 32 | ms << 40, token, w0, w1, w2, w3)`: the
/// fast path's server step: answer call `token` (0: none) with `len` bytes of the
/// words, then wait `ms` milliseconds (0: forever, `PORT_SHORT_NOWAIT`: not at all)
/// for the next short message: its token is the result, its words in `rsi, rdx, r10,
/// r8`, its length and its sender's pid in `r9` (`len | pid << 32`).
pub fn port_reply_receive_short(
    cx: &mut Ctx,
    tag: u64,
    token: u64,
    w0: u64,
    w1: u64,
    w2: u64,
    w3: u64,
) -> SysResult {
    let (fd, len, ms) = short_tag(tag)?;
    let f = cx.file(fd)?;
    let port = ReceiveEnd::of(&f).ok_or(Errno::EBADF)?;
    let pid = if token != 0 {
        cx.with_process(|p| p.pid)?
    } else {
        0
    };
    let answer = ipc::Short::new([w0, w1, w2, w3], len, pid);
    let timeout = match ms {
        0 => Timeout::Forever,
        PORT_SHORT_NOWAIT => Timeout::Now,
        ms => Timeout::from_ns(ms.saturating_mul(1_000_000)),
    };
    let (m, token) = port.reply_receive_short::<S>(
        token,
        answer,
        |m| short_message(cx, m),
        timeout.with_nonblock(nonblock(&f)),
    )?;
    words_out(cx, &m);
    cx.frame.r9 = u64::from(m.len) | (u64::from(m.pid) << 32);
    Ok(token as usize)
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
    let ready = poll_fds(cx, &mut want, timeout)?;
    for (i, w) in want.iter().enumerate() {
        fds.at(i)?.write(w)?;
    }
    Ok(ready)
}

/// [`poll`] over descriptors already copied into the kernel (what `select`, whose
/// encoding is different, is built on): fills each `revents`, returns how many are
/// non-zero.
pub fn poll_fds(cx: &mut Ctx, want: &mut [PollFd], timeout: u64) -> SysResult {
    if want.len() > POLL_MAX {
        return Err(Errno::EINVAL);
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
    let mut ready = scan(want);
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
        task::wait_any_ns(&queues, deadline, || {
            any_ready() || <S as files::Signals>::interrupted()
        });
        ready = scan(want);
        if ready == 0 && <S as files::Signals>::interrupted() {
            return Err(Errno::EINTR);
        }
    }
    Ok(ready)
}
