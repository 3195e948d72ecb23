//! Communication over a network (chapter 2, 3-2 "communication"): the socket calls.
//! Each decodes its descriptor into the socket behind it (ENOTSOCK for any other
//! object), its address into an IPv4 address and port, and asks `net`, which does
//! the work; a socket's descriptor is otherwise an ordinary open file (read, write,
//! poll, close, inherited by `fork`). Shared by the personalities: the Linux rows
//! call the same functions.

use super::unix;
use crate::arg::Fd;
use crate::table::{Ctx, SysResult};
use crate::user::{UserPtr, UserSlice, UserSliceMut};
use abi::flags::{O_NONBLOCK, O_RDWR};
use abi::net::*;
use abi::{Errno, Pod};
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
    if domain == AF_UNIX {
        return unix::socket(cx, ty, protocol);
    }
    let obj = net::socket::<ProcessSignals>(domain, ty, protocol)?;
    install(cx, obj, ty)
}

/// The address family at `addr` (its first two bytes).
pub fn family(addr: u64) -> Result<u32, Errno> {
    let mut b = [0u8; 2];
    proc::uaccess::read_into(addr, &mut b)?;
    Ok(u16::from_le_bytes(b) as u32)
}

pub fn bind(cx: &mut Ctx, fd: Fd, addr: UserPtr<SockAddrIn>) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        return unix::bind(cx, &f, addr.addr(), SOCKADDR_UN_SIZE);
    }
    let (_f, sid, _) = socket_of(cx, fd)?;
    let (a, port) = read_addr(addr)?;
    let privileged = cred::capable(&cx.process()?.cred(), cred::Capability::NetBindService);
    net::bind(sid, a, port, privileged)?;
    Ok(0)
}

pub fn listen(cx: &mut Ctx, fd: Fd, backlog: u32) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        return unix::listen(&f, backlog);
    }
    let (_f, sid, _) = socket_of(cx, fd)?;
    net::listen(sid, backlog as usize)?;
    Ok(0)
}

pub fn accept(cx: &mut Ctx, fd: Fd, peer: UserPtr<SockAddrIn>, flags: u32) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        let new = unix::accept(cx, &f, flags)?;
        // An AF_UNIX peer has no address a sockaddr_in can hold: the family alone.
        peer.write_opt(&SockAddrIn {
            family: AF_UNIX as u16,
            ..Default::default()
        })?;
        return Ok(new as usize);
    }
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
    if let Some(f) = unix::unix_file(cx, fd)? {
        return unix::connect(cx, &f, addr.addr(), SOCKADDR_UN_SIZE);
    }
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
    if let Some(f) = unix::unix_file(cx, fd)? {
        let mut data = vec![0u8; buf.len().min(MAX_IO)];
        buf.read_at(0, &mut data)?;
        return unix::send(&f, &data, flags);
    }
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
    if let Some(f) = unix::unix_file(cx, fd)? {
        buf.check()?;
        let mut data = vec![0u8; buf.len().min(MAX_IO)];
        let n = unix::recv(&f, &mut data, flags)?;
        buf.write_at(0, &data[..n])?;
        return Ok(n);
    }
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
    if let Some(f) = unix::unix_file(cx, fd)? {
        return unix::shutdown(&f, how);
    }
    let (_f, sid, _) = socket_of(cx, fd)?;
    net::shutdown(sid, how)?;
    Ok(0)
}

/// A native `getsockname`/`getpeername` of an AF_UNIX socket: the first 16 bytes of
/// its `sockaddr_un` (the native calls pass a `sockaddr_in`'s room).
fn unix_name16(out: UserPtr<SockAddrIn>, name: Option<&net::unix::Name>) -> SysResult {
    let mut b = unix::name_bytes(name);
    b.resize(SockAddrIn::SIZE, 0);
    out.write(&SockAddrIn::from_bytes(&b))?;
    Ok(0)
}

pub fn getsockname(cx: &mut Ctx, fd: Fd, out: UserPtr<SockAddrIn>) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        let s = unix::USock::of(&f).ok_or(Errno::ENOTSOCK)?;
        return unix_name16(out, s.sockname().as_ref());
    }
    let (_f, sid, _) = socket_of(cx, fd)?;
    let (a, p) = net::sockname(sid)?;
    out.write(&SockAddrIn::new(a, p))?;
    Ok(0)
}

pub fn getpeername(cx: &mut Ctx, fd: Fd, out: UserPtr<SockAddrIn>) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        let s = unix::USock::of(&f).ok_or(Errno::ENOTSOCK)?;
        return unix_name16(out, s.peername()?.as_ref());
    }
    let (_f, sid, _) = socket_of(cx, fd)?;
    let (a, p) = net::peername(sid)?;
    out.write(&SockAddrIn::new(a, p))?;
    Ok(0)
}

pub fn setsockopt(cx: &mut Ctx, fd: Fd, level: u32, name: u32, value: u64) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        return unix::setsockopt(&f, level, name, value);
    }
    let (_f, sid, _) = socket_of(cx, fd)?;
    net::setsockopt(sid, level, name, value)?;
    Ok(0)
}

pub fn getsockopt(cx: &mut Ctx, fd: Fd, level: u32, name: u32) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        return unix::getsockopt(&f, level, name);
    }
    let (_f, sid, _) = socket_of(cx, fd)?;
    Ok(net::getsockopt(sid, level, name)? as usize)
}

/// `sendmsg(fd, msg, flags)`: the iovecs gathered; on AF_UNIX with its ancillary
/// data, on an IP socket to `msg_name` (a datagram) or the connection.
pub fn sendmsg(cx: &mut Ctx, fd: Fd, msg: u64, flags: u32) -> SysResult {
    cx.file(fd)?; // EBADF before EFAULT, as on Linux
    let m = unix::read_msghdr(msg)?;
    if let Some(f) = unix::unix_file(cx, fd)? {
        return unix::sendmsg(cx, &f, &m, flags);
    }
    let (f, _sid, nonblock) = socket_of(cx, fd)?;
    let sock = f
        .as_any()
        .and_then(|a| a.downcast_ref::<Sock>())
        .ok_or(Errno::ENOTSOCK)?;
    let dest = if m.name == 0 {
        None
    } else {
        if (m.namelen as usize) < SockAddrIn::SIZE {
            return Err(Errno::EINVAL);
        }
        let (a, p) = read_addr(UserPtr::new(m.name))?;
        Some((net::ipv4(a), p))
    };
    let data = unix::gather(&m.iov)?;
    sock.send(&data, dest, nonblock || flags & MSG_DONTWAIT != 0)
}

/// `recvmsg(fd, msg, flags)`: into the iovecs; the sender's address into `msg_name`
/// for an IP socket, ancillary data for AF_UNIX.
pub fn recvmsg(cx: &mut Ctx, fd: Fd, msg: u64, flags: u32) -> SysResult {
    cx.file(fd)?; // EBADF before EFAULT, as on Linux
    let m = unix::read_msghdr(msg)?;
    if let Some(f) = unix::unix_file(cx, fd)? {
        return unix::recvmsg(cx, &f, msg, &m, flags);
    }
    let (f, _sid, nonblock) = socket_of(cx, fd)?;
    let sock = f
        .as_any()
        .and_then(|a| a.downcast_ref::<Sock>())
        .ok_or(Errno::ENOTSOCK)?;
    let mut data = vec![0u8; unix::room(&m.iov)?];
    let nb = nonblock || flags & MSG_DONTWAIT != 0;
    let (n, who) = sock.recv(&mut data, flags & MSG_PEEK != 0, nb)?;
    unix::scatter(&m.iov, &data[..n])?;
    let mut namelen = 0;
    if let (Some((a, p)), true) = (who, m.name != 0) {
        let mut b = [0u8; 16];
        SockAddrIn::new(a.octets(), p).to_bytes(&mut b);
        let k = (m.namelen as usize).min(16);
        proc::uaccess::write_bytes(m.name, &b[..k])?;
        namelen = 16;
    }
    unix::write_back(msg, namelen, 0, 0)?;
    Ok(n)
}

/// `socketpair(domain, type, protocol, sv)`.
pub fn socketpair(cx: &mut Ctx, domain: u32, ty: u32, protocol: u32, sv: u64) -> SysResult {
    unix::socketpair(cx, domain, ty, protocol, sv)
}

/// `peercred(fd, ucred)`: SO_PEERCRED of an AF_UNIX socket.
pub fn peercred(cx: &mut Ctx, fd: Fd, out: u64) -> SysResult {
    unix::peercred_call(cx, fd, out)
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
