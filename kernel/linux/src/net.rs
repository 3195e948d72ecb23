//! Linux's socket calls (chapter 2, section 6: a second ABI over the same
//! operations). The values (`AF_INET`, `SOCK_*`, `SOL_SOCKET` options, `struct
//! sockaddr_in`) are Linux's in both ABIs, so each row only adds what Linux's calling
//! convention has and the native one lacks: address lengths (`socklen_t` in, and
//! `socklen_t *` written back) and option values passed through a pointer. The work
//! is `syscall::ops::net`, the same as for native programs.

use crate::{get, put};
use abi::net::*;
use abi::{Errno, Pod};
use syscall::arg::Fd;
use syscall::ops::net as ops;
use syscall::ops::unix;
use syscall::table::{Ctx, SysResult};
use syscall::user::{UserPtr, UserSlice, UserSliceMut};

/// Flags of `sendto`/`recvfrom` dinos has (`MSG_NOSIGNAL` and others are ignored).
const MSG_MASK: u32 = MSG_PEEK | MSG_DONTWAIT;

/// An address given with its length: EINVAL when too short for a `sockaddr_in`.
fn addr_in(addr: u64, len: u32) -> Result<UserPtr<SockAddrIn>, Errno> {
    if (len as usize) < SockAddrIn::SIZE {
        return Err(Errno::EINVAL);
    }
    Ok(UserPtr::new(addr))
}

/// Write `a` to `addr` as Linux does: at most `*lenp` bytes, and `*lenp` = 16.
fn put_addr(addr: u64, lenp: u64, a: SockAddrIn) -> Result<(), Errno> {
    if addr == 0 || lenp == 0 {
        return Ok(());
    }
    let room = i32::from_le_bytes(get::<4>(lenp)?);
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; 16];
    a.to_bytes(&mut b);
    put(addr, &b[..(room as usize).min(16)])?;
    put(lenp, &(SockAddrIn::SIZE as u32).to_le_bytes())
}

pub fn socket(cx: &mut Ctx, domain: u32, ty: u32, protocol: u32) -> SysResult {
    ops::socket(cx, domain, ty, protocol)
}

pub fn bind(cx: &mut Ctx, fd: Fd, addr: u64, len: u32) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        return unix::bind(cx, &f, addr, len as usize);
    }
    ops::bind(cx, fd, addr_in(addr, len)?)
}

pub fn connect(cx: &mut Ctx, fd: Fd, addr: u64, len: u32) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        return unix::connect(cx, &f, addr, len as usize);
    }
    ops::connect(cx, fd, addr_in(addr, len)?)
}

/// Write an AF_UNIX name as Linux does: at most `*lenp` bytes, `*lenp` its length.
fn put_un(addr: u64, lenp: u64, name: Option<&net::unix::Name>) -> Result<(), Errno> {
    if addr == 0 || lenp == 0 {
        return Ok(());
    }
    let room = i32::from_le_bytes(get::<4>(lenp)?);
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let b = unix::name_bytes(name);
    put(addr, &b[..(room as usize).min(b.len())])?;
    put(lenp, &(b.len() as u32).to_le_bytes())
}

pub fn socketpair(cx: &mut Ctx, domain: u32, ty: u32, protocol: u32, sv: u64) -> SysResult {
    ops::socketpair(cx, domain, ty, protocol, sv)
}

/// `sendmsg`/`recvmsg`: Linux's `struct msghdr` is the native ABI's too.
pub fn sendmsg(cx: &mut Ctx, fd: Fd, msg: u64, flags: u32) -> SysResult {
    ops::sendmsg(cx, fd, msg, flags & (MSG_MASK | MSG_NOSIGNAL))
}

pub fn recvmsg(cx: &mut Ctx, fd: Fd, msg: u64, flags: u32) -> SysResult {
    ops::recvmsg(cx, fd, msg, flags & (MSG_MASK | MSG_CMSG_CLOEXEC))
}

pub fn listen(cx: &mut Ctx, fd: Fd, backlog: u32) -> SysResult {
    ops::listen(cx, fd, backlog)
}

pub fn accept4(cx: &mut Ctx, fd: Fd, addr: u64, lenp: u64, flags: u32) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        let new = unix::accept(cx, &f, flags)?;
        put_un(addr, lenp, None)?;
        return Ok(new as usize);
    }
    let new = ops::accept(cx, fd, UserPtr::new(0), flags)?;
    let (_f, sid, _) = ops::socket_of(cx, Fd(new as i32))?;
    if let Ok((a, p)) = net::peername(sid) {
        put_addr(addr, lenp, SockAddrIn::new(a, p))?;
    }
    Ok(new)
}

pub fn accept(cx: &mut Ctx, fd: Fd, addr: u64, lenp: u64) -> SysResult {
    accept4(cx, fd, addr, lenp, 0)
}

pub fn sendto(cx: &mut Ctx, fd: Fd, buf: UserSlice, flags: u32, addr: u64, len: u32) -> SysResult {
    let to = if addr == 0 {
        UserPtr::new(0)
    } else {
        addr_in(addr, len)?
    };
    ops::sendto(cx, fd, buf, flags & (MSG_MASK | MSG_NOSIGNAL), to)
}

pub fn recvfrom(
    cx: &mut Ctx,
    fd: Fd,
    buf: UserSliceMut,
    flags: u32,
    addr: u64,
    lenp: u64,
) -> SysResult {
    if addr == 0 || unix::unix_file(cx, fd)?.is_some() {
        // A stream's peer has no address to give (Linux leaves it unwritten too).
        return ops::recvfrom(cx, fd, buf, flags & MSG_MASK, UserPtr::new(0));
    }
    // The sender is written whole to a kernel copy first, then as Linux would.
    let (f, _sid, nonblock) = ops::socket_of(cx, fd)?;
    let sock = f
        .as_any()
        .and_then(|a| a.downcast_ref::<net::SocketFile<proc::signal::ProcessSignals>>())
        .ok_or(Errno::ENOTSOCK)?;
    buf.check()?;
    let mut data = alloc::vec![0u8; buf.len().min(64 * 1024)];
    let nb = nonblock || flags & MSG_DONTWAIT != 0;
    let (n, who) = sock.recv(&mut data, flags & MSG_PEEK != 0, nb)?;
    buf.write_at(0, &data[..n])?;
    if let Some((a, p)) = who {
        put_addr(addr, lenp, SockAddrIn::new(a.octets(), p))?;
    }
    Ok(n)
}

pub fn shutdown(cx: &mut Ctx, fd: Fd, how: u32) -> SysResult {
    ops::shutdown(cx, fd, how)
}

pub fn getsockname(cx: &mut Ctx, fd: Fd, addr: u64, lenp: u64) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        let s = unix::USock::of(&f).ok_or(Errno::ENOTSOCK)?;
        put_un(addr, lenp, s.sockname().as_ref())?;
        return Ok(0);
    }
    let (_f, sid, _) = ops::socket_of(cx, fd)?;
    let (a, p) = net::sockname(sid)?;
    put_addr(addr, lenp, SockAddrIn::new(a, p))?;
    Ok(0)
}

pub fn getpeername(cx: &mut Ctx, fd: Fd, addr: u64, lenp: u64) -> SysResult {
    if let Some(f) = unix::unix_file(cx, fd)? {
        let s = unix::USock::of(&f).ok_or(Errno::ENOTSOCK)?;
        put_un(addr, lenp, s.peername()?.as_ref())?;
        return Ok(0);
    }
    let (_f, sid, _) = ops::socket_of(cx, fd)?;
    let (a, p) = net::peername(sid)?;
    put_addr(addr, lenp, SockAddrIn::new(a, p))?;
    Ok(0)
}

/// `setsockopt`: an `int` value, or a `struct timeval` for the timeouts (kept in ms).
pub fn setsockopt(cx: &mut Ctx, fd: Fd, level: u32, name: u32, val: u64, len: u32) -> SysResult {
    let value = if level == SOL_SOCKET && matches!(name, SO_RCVTIMEO | SO_SNDTIMEO) {
        if len < 16 {
            return Err(Errno::EINVAL);
        }
        let tv = get::<16>(val)?;
        let secs = crate::le64(&tv, 0);
        let usecs = crate::le64(&tv, 8);
        secs.saturating_mul(1000)
            .saturating_add(usecs.div_ceil(1000))
    } else {
        if len < 4 {
            return Err(Errno::EINVAL);
        }
        u32::from_le_bytes(get::<4>(val)?) as u64
    };
    ops::setsockopt(cx, fd, level, name, value)
}

/// `getsockopt`: the value as an `int` (the timeouts as a `struct timeval`).
pub fn getsockopt(cx: &mut Ctx, fd: Fd, level: u32, name: u32, val: u64, lenp: u64) -> SysResult {
    if level == SOL_SOCKET && name == SO_PEERCRED {
        let f = cx.file(fd)?;
        let c = unix::peercred(&f)?;
        let room = i32::from_le_bytes(get::<4>(lenp)?);
        if room < 0 {
            return Err(Errno::EINVAL);
        }
        let mut b = [0u8; 12];
        c.to_bytes(&mut b);
        let n = (room as usize).min(12);
        put(val, &b[..n])?;
        put(lenp, &(n as u32).to_le_bytes())?;
        return Ok(0);
    }
    let v = ops::getsockopt(cx, fd, level, name)? as u64;
    let room = i32::from_le_bytes(get::<4>(lenp)?);
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; 16];
    let n = if level == SOL_SOCKET && matches!(name, SO_RCVTIMEO | SO_SNDTIMEO) {
        b[..8].copy_from_slice(&(v / 1000).to_le_bytes());
        b[8..].copy_from_slice(&((v % 1000) * 1000).to_le_bytes());
        16
    } else {
        b[..4].copy_from_slice(&(v as u32).to_le_bytes());
        4
    };
    let n = n.min(room as usize);
    put(val, &b[..n])?;
    put(lenp, &(n as u32).to_le_bytes())?;
    Ok(0)
}
