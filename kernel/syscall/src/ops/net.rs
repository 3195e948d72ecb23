//! Communication over a network (chapter 2, 3-2 "communication"): the socket calls.
//! Each decodes its descriptor into the socket behind it (ENOTSOCK for any other
//! object), its address into an IPv4 address and port, and asks `net`, which does
//! the work; a socket's descriptor is otherwise an ordinary open file (read, write,
//! poll, close, inherited by `fork`). Shared by the personalities: the Linux rows
//! call the same functions.

use crate::arg::Fd;
use crate::table::{Ctx, SysResult};
use crate::user::{UserPtr, UserSlice, UserSliceMut};
use abi::flags::{O_NONBLOCK, O_RDWR};
use abi::net::*;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec;
use files::OpenFile;
use proc::signal::ProcessSignals;

type Sock = net::SocketFile<ProcessSignals>;

/// The socket behind `fd`, and whether its open file is non-blocking.
pub fn socket_of(cx: &mut Ctx, fd: Fd) -> Result<(Arc<OpenFile>, u64, bool), Errno> {
    let f = cx.file(fd)?;
    let sid = f
        .as_any()
        .and_then(|a| a.downcast_ref::<Sock>())
        .ok_or(Errno::ENOTSOCK)?
        .sid;
    let nonblock = f.flags() & O_NONBLOCK != 0;
    Ok((f, sid, nonblock))
}

/// A `sockaddr_in` from the caller: the address and port (EAFNOSUPPORT for another
/// family).
pub fn read_addr(ptr: UserPtr<SockAddrIn>) -> Result<([u8; 4], u16), Errno> {
    let a = ptr.read()?;
    if a.family as u32 != AF_INET {
        return Err(Errno::EAFNOSUPPORT);
    }
    Ok((a.addr, a.port()))
}

fn install(cx: &mut Ctx, obj: Arc<Sock>, flags: u32) -> SysResult {
    let p = cx.process()?;
    let mode = O_RDWR
        | if flags & SOCK_NONBLOCK != 0 {
            O_NONBLOCK
        } else {
            0
        };
    let f = OpenFile::new(obj, mode)?;
    let fd = p.files.lock().insert(f, flags & SOCK_CLOEXEC != 0)?;
    Ok(fd as usize)
}

pub fn socket(cx: &mut Ctx, domain: u32, ty: u32, protocol: u32) -> SysResult {
    let obj = net::socket::<ProcessSignals>(domain, ty, protocol)?;
    install(cx, obj, ty)
}

pub fn bind(cx: &mut Ctx, fd: Fd, addr: UserPtr<SockAddrIn>) -> SysResult {
    let (_f, sid, _) = socket_of(cx, fd)?;
    let (a, port) = read_addr(addr)?;
    let privileged = cred::capable(&cx.process()?.cred(), cred::Capability::NetBindService);
    net::bind(sid, a, port, privileged)?;
    Ok(0)
}

pub fn listen(cx: &mut Ctx, fd: Fd, backlog: u32) -> SysResult {
    let (_f, sid, _) = socket_of(cx, fd)?;
    net::listen(sid, backlog as usize)?;
    Ok(0)
}

pub fn accept(cx: &mut Ctx, fd: Fd, peer: UserPtr<SockAddrIn>, flags: u32) -> SysResult {
    let (_f, sid, nonblock) = socket_of(cx, fd)?;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let (obj, (a, p)) = net::accept::<ProcessSignals>(sid, nonblock)?;
    let fd = install(cx, obj, flags)?;
    peer.write_opt(&SockAddrIn::new(a, p))?;
    Ok(fd)
}

pub fn connect(cx: &mut Ctx, fd: Fd, addr: UserPtr<SockAddrIn>) -> SysResult {
    let (_f, sid, nonblock) = socket_of(cx, fd)?;
    let (a, port) = read_addr(addr)?;
    net::connect::<ProcessSignals>(sid, a, port, nonblock)?;
    Ok(0)
}

/// Bytes from a user buffer, at most what one datagram or one write takes.
const MAX_IO: usize = 64 * 1024;

pub fn sendto(
    cx: &mut Ctx,
    fd: Fd,
    buf: UserSlice,
    flags: u32,
    to: UserPtr<SockAddrIn>,
) -> SysResult {
    let (f, _sid, nonblock) = socket_of(cx, fd)?;
    let sock = f
        .as_any()
        .and_then(|a| a.downcast_ref::<Sock>())
        .ok_or(Errno::ENOTSOCK)?;
    let dest = if to.is_null() {
        None
    } else {
        let (a, p) = read_addr(to)?;
        Some((net::ipv4(a), p))
    };
    let mut data = vec![0u8; buf.len().min(MAX_IO)];
    buf.read_at(0, &mut data)?;
    let nb = nonblock || flags & MSG_DONTWAIT != 0;
    sock.send(&data, dest, nb)
}

pub fn recvfrom(
    cx: &mut Ctx,
    fd: Fd,
    buf: UserSliceMut,
    flags: u32,
    from: UserPtr<SockAddrIn>,
) -> SysResult {
    let (f, _sid, nonblock) = socket_of(cx, fd)?;
    let sock = f
        .as_any()
        .and_then(|a| a.downcast_ref::<Sock>())
        .ok_or(Errno::ENOTSOCK)?;
    buf.check()?;
    let mut data = vec![0u8; buf.len().min(MAX_IO)];
    let nb = nonblock || flags & MSG_DONTWAIT != 0;
    let (n, who) = sock.recv(&mut data, flags & MSG_PEEK != 0, nb)?;
    buf.write_at(0, &data[..n])?;
    if let Some((a, p)) = who {
        from.write_opt(&SockAddrIn::new(a.octets(), p))?;
    }
    Ok(n)
}

pub fn shutdown(cx: &mut Ctx, fd: Fd, how: u32) -> SysResult {
    let (_f, sid, _) = socket_of(cx, fd)?;
    net::shutdown(sid, how)?;
    Ok(0)
}

pub fn getsockname(cx: &mut Ctx, fd: Fd, out: UserPtr<SockAddrIn>) -> SysResult {
    let (_f, sid, _) = socket_of(cx, fd)?;
    let (a, p) = net::sockname(sid)?;
    out.write(&SockAddrIn::new(a, p))?;
    Ok(0)
}

pub fn getpeername(cx: &mut Ctx, fd: Fd, out: UserPtr<SockAddrIn>) -> SysResult {
    let (_f, sid, _) = socket_of(cx, fd)?;
    let (a, p) = net::peername(sid)?;
    out.write(&SockAddrIn::new(a, p))?;
    Ok(0)
}

pub fn setsockopt(cx: &mut Ctx, fd: Fd, level: u32, name: u32, value: u64) -> SysResult {
    let (_f, sid, _) = socket_of(cx, fd)?;
    net::setsockopt(sid, level, name, value)?;
    Ok(0)
}

pub fn getsockopt(cx: &mut Ctx, fd: Fd, level: u32, name: u32) -> SysResult {
    let (_f, sid, _) = socket_of(cx, fd)?;
    Ok(net::getsockopt(sid, level, name)? as usize)
}

/// `net_ifaces(buf, n)`: up to `n` interfaces written, how many there are returned.
pub fn net_ifaces(_cx: &mut Ctx, out: UserPtr<IfInfo>, n: usize) -> SysResult {
    let all = net::ifaces();
    for (i, info) in all.iter().take(n).enumerate() {
        out.at(i)?.write(info)?;
    }
    Ok(all.len())
}

/// `net_sockets(buf, n)`: the socket table, as `net_ifaces`.
pub fn net_sockets(_cx: &mut Ctx, out: UserPtr<SockInfo>, n: usize) -> SysResult {
    let all = net::sockets();
    for (i, info) in all.iter().take(n).enumerate() {
        out.at(i)?.write(info)?;
    }
    Ok(all.len())
}
