//! The communication calls (chapter 2 section 3, message passing): message ports, their
//! name service, send, receive, call and reply, and `poll` over every kind of descriptor
//! (docs/ipc.md).

use super::raw::{syscall3, syscall4, syscall5};
use super::{ptr, ptr_mut, ret, SysResult};
use abi::{nr, Errno, Pod, PollFd, PortMsg};

// ---- communication: message ports and poll (docs/ipc.md) -------------------------------

/// A new message port queueing up to `capacity` messages (0: the default):
/// `fds[0]` receives, `fds[1]` sends. `flags`: O_NONBLOCK, O_CLOEXEC.
pub fn port_create(fds: &mut [i32; 2], capacity: u32, flags: u32) -> SysResult {
    let mut b = [0u8; 8];
    let r = ret(syscall3(
        nr::PORT_CREATE,
        ptr_mut(&mut b),
        capacity as usize,
        flags as usize,
    ))?;
    fds[0] = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    fds[1] = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    Ok(r)
}

/// Name the port whose receiving end is `fd`.
pub fn port_register(fd: i32, name: &str) -> SysResult {
    ret(syscall3(
        nr::PORT_REGISTER,
        fd as usize,
        name.as_ptr() as usize,
        name.len(),
    ))
}

/// Name the port whose receiving end is `fd`, with permission bits `mode` (used as
/// given) and `flags` (`PORT_REPLACE`: take over a name the caller owns).
pub fn port_register_mode(fd: i32, name: &str, mode: u32, flags: u32) -> SysResult {
    ret(super::raw::syscall5(
        nr::PORT_REGISTER_MODE,
        fd as usize,
        name.as_ptr() as usize,
        name.len(),
        mode as usize,
        flags as usize,
    ))
}

/// A new sending end of the port named `name`.
pub fn port_lookup(name: &str, flags: u32) -> SysResult {
    ret(syscall3(
        nr::PORT_LOOKUP,
        name.as_ptr() as usize,
        name.len(),
        flags as usize,
    ))
}

/// The parameter block describing bytes and descriptors to send.
fn msg_out(data: &[u8], fds: &[i32]) -> [u8; <PortMsg as Pod>::SIZE] {
    let m = PortMsg {
        buf: data.as_ptr() as u64,
        len: data.len().min(u32::MAX as usize) as u32,
        fds: fds.as_ptr() as u64,
        nfds: fds.len().min(u32::MAX as usize) as u32,
        ..Default::default()
    };
    let mut b = [0u8; <PortMsg as Pod>::SIZE];
    m.to_bytes(&mut b);
    b
}

/// The parameter block giving room for a message to arrive in.
fn msg_in(buf: &mut [u8], fds: &mut [i32]) -> [u8; <PortMsg as Pod>::SIZE] {
    msg_out(buf, fds)
}

/// Send `data` and the descriptors `fds` to the port `fd` sends to, waiting up to
/// `timeout_ns` for room (0: EAGAIN at once; `u64::MAX`: forever).
pub fn port_send(fd: i32, data: &[u8], fds: &[i32], timeout_ns: u64) -> SysResult {
    let b = msg_out(data, fds);
    ret(syscall3(
        nr::PORT_SEND,
        fd as usize,
        ptr(&b),
        timeout_ns as usize,
    ))
}

/// Take the next message of the port `fd` receives on into `buf` and `fds`; `out`
/// gets its sizes, token and sender (also on EMSGSIZE: the sizes it needs).
pub fn port_receive(
    fd: i32,
    buf: &mut [u8],
    fds: &mut [i32],
    timeout_ns: u64,
    out: &mut PortMsg,
) -> SysResult {
    let mut b = msg_in(buf, fds);
    let r = ret(syscall3(
        nr::PORT_RECEIVE,
        fd as usize,
        ptr_mut(&mut b),
        timeout_ns as usize,
    ));
    *out = PortMsg::from_bytes(&b);
    r
}

/// Send `data` and `fds` and wait for the answer, which arrives in `reply` and
/// `reply_fds` (`out` gets its sizes and sender).
pub fn port_call(
    fd: i32,
    data: &[u8],
    fds: &[i32],
    reply: &mut [u8],
    reply_fds: &mut [i32],
    timeout_ns: u64,
    out: &mut PortMsg,
) -> SysResult {
    let req = msg_out(data, fds);
    let mut ans = msg_in(reply, reply_fds);
    let r = ret(syscall4(
        nr::PORT_CALL,
        fd as usize,
        ptr(&req),
        ptr_mut(&mut ans),
        timeout_ns as usize,
    ));
    *out = PortMsg::from_bytes(&ans);
    r
}

/// Answer the call `token` received on the port whose receiving end is `fd`.
pub fn port_reply(fd: i32, token: u64, data: &[u8], fds: &[i32]) -> SysResult {
    let b = msg_out(data, fds);
    ret(syscall3(
        nr::PORT_REPLY,
        fd as usize,
        token as usize,
        ptr(&b),
    ))
}

/// Answer call `token` with `answer` (bytes, descriptors), then take the next message
/// into `room` as [`port_receive`] does (one call for a server's loop).
pub fn port_reply_receive(
    fd: i32,
    token: u64,
    answer: (&[u8], &[i32]),
    room: (&mut [u8], &mut [i32]),
    timeout_ns: u64,
    out: &mut PortMsg,
) -> SysResult {
    let ans = msg_out(answer.0, answer.1);
    let mut b = msg_in(room.0, room.1);
    let r = ret(syscall5(
        nr::PORT_REPLY_RECEIVE,
        fd as usize,
        token as usize,
        ptr(&ans),
        ptr_mut(&mut b),
        timeout_ns as usize,
    ));
    *out = PortMsg::from_bytes(&b);
    r
}

/// A short message in registers: up to [`abi::flags::PORT_SHORT_MAX`] bytes as four
/// little-endian words, and how many of those bytes count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Short {
    pub words: [u64; 4],
    pub len: u32,
}

/// `fd` with a short message's length in bits 32-39 (the short calls' first word).
fn short_tag(fd: i32, len: u32) -> usize {
    (fd as u32 as usize) | ((len.min(255) as usize) << 32)
}

/// A timeout in nanoseconds as `port_reply_receive_short`'s bits 40-63 of its first
/// word take it: 0 waits forever, `0xff_ffff` not at all, else whole milliseconds.
fn short_timeout(ns: u64) -> usize {
    use abi::flags::{PORT_SHORT_NOWAIT, TIMEOUT_FOREVER};
    let ms = match ns {
        TIMEOUT_FOREVER => 0,
        0 => PORT_SHORT_NOWAIT,
        ns => ns.div_ceil(1_000_000).clamp(1, PORT_SHORT_NOWAIT - 1),
    };
    (ms as usize) << 40
}

/// Call the port `fd` sends to with `msg`, waiting up to `timeout_ns` in all: the
/// answer (at most 32 bytes, no descriptors). The fast path of docs/ipc.md: nothing is
/// read from or written to memory.
pub fn port_call_short(fd: i32, msg: &Short, timeout_ns: u64) -> Result<Short, Errno> {
    let w = msg.words;
    let (r, o) = super::raw::syscall_exchange(
        nr::PORT_CALL_SHORT,
        [
            short_tag(fd, msg.len),
            w[0] as usize,
            w[1] as usize,
            w[2] as usize,
            w[3] as usize,
            timeout_ns as usize,
        ],
    );
    let len = ret(r)? as u32;
    Ok(Short {
        words: [o[1] as u64, o[2] as u64, o[3] as u64, o[4] as u64],
        len,
    })
}

/// A short message received: its words and length, its token (0: no answer wanted)
/// and its sender's pid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShortReceived {
    pub msg: Short,
    pub token: u64,
    pub pid: u32,
}

/// Answer call `token` (0: none) with `answer`, then wait up to `timeout_ns` (rounded
/// up to milliseconds) for the next message of at most 32 bytes and no descriptors on
/// the port whose receiving end is `fd` (EMSGSIZE, the message left queued, for a
/// larger one).
pub fn port_reply_receive_short(
    fd: i32,
    token: u64,
    answer: &Short,
    timeout_ns: u64,
) -> Result<ShortReceived, Errno> {
    let w = answer.words;
    let (r, o) = super::raw::syscall_exchange(
        nr::PORT_REPLY_RECEIVE_SHORT,
        [
            short_tag(fd, answer.len) | short_timeout(timeout_ns),
            token as usize,
            w[0] as usize,
            w[1] as usize,
            w[2] as usize,
            w[3] as usize,
        ],
    );
    let token = ret(r)? as u64;
    Ok(ShortReceived {
        msg: Short {
            words: [o[1] as u64, o[2] as u64, o[3] as u64, o[4] as u64],
            len: o[5] as u32,
        },
        token,
        pid: (o[5] >> 32) as u32,
    })
}

/// Wait up to `timeout_ns` until one of `fds` is ready: how many are (their `revents`
/// set), 0 when the time ran out.
pub fn poll(fds: &mut [PollFd], timeout_ns: u64) -> SysResult {
    let mut b = alloc::vec![0u8; fds.len() * <PollFd as Pod>::SIZE];
    for (i, f) in fds.iter().enumerate() {
        f.to_bytes(&mut b[i * PollFd::SIZE..]);
    }
    let r = ret(syscall3(
        nr::POLL,
        ptr_mut(&mut b),
        fds.len(),
        timeout_ns as usize,
    ))?;
    for (i, f) in fds.iter_mut().enumerate() {
        *f = PollFd::from_bytes(&b[i * PollFd::SIZE..]);
    }
    Ok(r)
}
