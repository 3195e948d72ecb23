//! AF_UNIX sockets and the message calls (chapter 2, 3-2 "communication" between
//! processes on one computer): `socketpair`, the AF_UNIX side of `socket`, `bind`,
//! `connect`, ..., and `sendmsg`/`recvmsg` with their ancillary data: descriptors
//! (SCM_RIGHTS) and credentials (SCM_CREDENTIALS, SO_PEERCRED), as the kernel's
//! ports carry them (an open file in flight, the sender's pid/uid/gid filled in by
//! the kernel).
//!
//! The socket itself is `net::unix`; this file decodes the ABI (`struct sockaddr_un`,
//! `struct msghdr`, `struct cmsghdr`, the same bytes in both personalities) and makes
//! the name in the file system: `bind` creates a socket node (`ls -l` shows `s`),
//! whose device and inode are what `connect` finds the listener by; `unlink` removes
//! it like any name.

use crate::table::{Ctx, SysResult};
use abi::flags::{O_NONBLOCK, O_RDWR};
use abi::net::*;
use abi::{Errno, Pod};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use files::OpenFile;
use net::unix::{Anc, Cred, Key, Name};
use proc::signal::ProcessSignals;
use proc::uaccess;

pub type USock = net::unix::UnixSocket<ProcessSignals>;

const S_IFSOCK: u32 = 0o140000;
const S_IFMT: u32 = 0o170000;
/// The most bytes one `sendmsg`/`recvmsg` moves, and the most iovecs it takes.
const MAX_IO: usize = 64 * 1024;
const MAX_IOV: usize = 1024;

/// The open file behind `fd` if it is an AF_UNIX socket.
pub fn unix_file(cx: &Ctx, fd: crate::arg::Fd) -> Result<Option<Arc<OpenFile>>, Errno> {
    let f = cx.file(fd)?;
    Ok(USock::of(&f).is_some().then_some(f))
}

fn sock(f: &OpenFile) -> Result<&USock, Errno> {
    USock::of(f).ok_or(Errno::ENOTSOCK)
}

fn nonblock(f: &OpenFile, flags: u32) -> bool {
    f.flags() & O_NONBLOCK != 0 || flags & MSG_DONTWAIT != 0
}

/// The caller as a message's sender (the kernel fills it, never the program).
pub fn cred(cx: &Ctx) -> Result<Cred, Errno> {
    cx.with_process(|p| {
        p.with_cred(|c| Cred {
            pid: p.pid,
            uid: c.euid,
            gid: c.egid,
        })
    })
}

fn install(cx: &Ctx, obj: Arc<USock>, flags: u32) -> Result<i32, Errno> {
    let mode = O_RDWR
        | if flags & SOCK_NONBLOCK != 0 {
            O_NONBLOCK
        } else {
            0
        };
    let f = OpenFile::new(obj, mode)?;
    cx.with_process(|p| p.files.lock().insert(f, flags & SOCK_CLOEXEC != 0))?
}

fn check_type(ty: u32, protocol: u32) -> Result<(), Errno> {
    match (ty & !(SOCK_NONBLOCK | SOCK_CLOEXEC), protocol) {
        (SOCK_STREAM, 0) => Ok(()),
        (SOCK_STREAM, _) => Err(Errno::EPROTONOSUPPORT),
        // AF_UNIX datagram sockets are not implemented (docs/network.md).
        _ => Err(Errno::EPROTONOSUPPORT),
    }
}

/// `socket(AF_UNIX, SOCK_STREAM, 0)`.
pub fn socket(cx: &mut Ctx, ty: u32, protocol: u32) -> SysResult {
    check_type(ty, protocol)?;
    let obj = USock::new(cred(cx)?)?;
    Ok(install(cx, obj, ty)? as usize)
}

/// `socketpair(AF_UNIX, SOCK_STREAM, 0, sv)`: two connected sockets in `sv[0..2]`.
pub fn socketpair(cx: &mut Ctx, domain: u32, ty: u32, protocol: u32, sv: u64) -> SysResult {
    if domain != AF_UNIX {
        return Err(if domain == AF_INET {
            Errno::EOPNOTSUPP
        } else {
            Errno::EAFNOSUPPORT
        });
    }
    check_type(ty, protocol)?;
    uaccess::check_buffer(sv, 8, true)?;
    let (a, b) = USock::pair(cred(cx)?)?;
    let fa = install(cx, a, ty)?;
    let fb = match install(cx, b, ty) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = cx.with_process(|p| p.files.lock().close(fa));
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&fa.to_le_bytes());
    out[4..].copy_from_slice(&fb.to_le_bytes());
    uaccess::write_bytes(sv, &out)?;
    Ok(0)
}

/// A `struct sockaddr_un` of `len` bytes at `addr`: a path, or an abstract name.
pub fn read_name(addr: u64, len: usize) -> Result<Name, Errno> {
    if !(3..=SOCKADDR_UN_SIZE).contains(&len) {
        return Err(Errno::EINVAL);
    }
    let b = uaccess::read_bytes(addr, len)?;
    if u16::from_le_bytes([b[0], b[1]]) as u32 != AF_UNIX {
        return Err(Errno::EINVAL);
    }
    let path = &b[2..];
    if path[0] == 0 {
        return Ok(Name::Abstract(path[1..].to_vec()));
    }
    let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
    Ok(Name::Path(path[..end].to_vec()))
}

/// A name as `struct sockaddr_un` bytes (family, then the path and its NUL, or a NUL
/// and the abstract name; the family alone for an unnamed socket).
pub fn name_bytes(name: Option<&Name>) -> Vec<u8> {
    let mut b = (AF_UNIX as u16).to_le_bytes().to_vec();
    match name {
        Some(Name::Path(p)) => {
            b.extend_from_slice(p);
            b.push(0);
        }
        Some(Name::Abstract(a)) => {
            b.push(0);
            b.extend_from_slice(a);
        }
        None => {}
    }
    b
}

fn path_str(p: &[u8]) -> Result<&str, Errno> {
    core::str::from_utf8(p).map_err(|_| Errno::EINVAL)
}

fn cwd(cx: &Ctx) -> Result<fsys::NodeRef, Errno> {
    cx.with_process(|p| p.cwd.lock().node())
}

/// The device and inode of the socket node `path` names (ENOENT if none,
/// ECONNREFUSED if it is not a socket). To send to it (`connect`, `sendto`) the
/// caller needs write permission on the node, EACCES otherwise, checked before its
/// type as Linux does (`unix_find_bsd`).
fn node_key(cx: &Ctx, path: &str, write: bool) -> Result<Key, Errno> {
    let cred = cx.process()?.cred();
    let st = fsys::stat_path(&cred, cwd(cx)?, path, true)?;
    let want = cred::Access {
        r: false,
        w: true,
        x: false,
    };
    if write && !cred::permits(&cred, st.uid, st.gid, st.mode, want) {
        return Err(Errno::EACCES);
    }
    if st.mode & S_IFMT != S_IFSOCK {
        return Err(Errno::ECONNREFUSED);
    }
    Ok(Key::Node(st.dev, st.ino))
}

/// `bind(fd, sockaddr_un, len)`: a path makes a socket node (EADDRINUSE if the name
/// exists); an abstract name makes nothing in the file system.
pub fn bind(cx: &mut Ctx, f: &OpenFile, addr: u64, len: usize) -> SysResult {
    let s = sock(f)?;
    let name = read_name(addr, len)?;
    if s.is_bound() {
        return Err(Errno::EINVAL);
    }
    let key = match &name {
        Name::Abstract(a) => Key::Abstract(a.clone()),
        Name::Path(p) => {
            let path = path_str(p)?;
            let cred = cx.process()?.cred();
            let start = cwd(cx)?;
            let mode = S_IFSOCK | (0o777 & !cred.umask);
            fsys::with(|v| v.mknod(&cred, start, path, mode, 0)).map_err(|e| match e {
                Errno::EEXIST => Errno::EADDRINUSE,
                e => e,
            })?;
            node_key(cx, path, false)?
        }
    };
    s.bind(key, name)?;
    Ok(0)
}

pub fn connect(cx: &mut Ctx, f: &OpenFile, addr: u64, len: usize) -> SysResult {
    let s = sock(f)?;
    let key = match read_name(addr, len)? {
        Name::Abstract(a) => Key::Abstract(a),
        Name::Path(p) => node_key(cx, path_str(&p)?, true)?,
    };
    s.connect(&key, cred(cx)?, nonblock(f, 0))?;
    Ok(0)
}

pub fn listen(f: &OpenFile, backlog: u32) -> SysResult {
    sock(f)?.listen(backlog as usize)?;
    Ok(0)
}

/// `accept`: the new descriptor (the peer's name, usually none, is the caller's to
/// ask with `getpeername`).
pub fn accept(cx: &mut Ctx, f: &OpenFile, flags: u32) -> Result<i32, Errno> {
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let new = sock(f)?.accept(nonblock(f, 0))?;
    install(cx, new, flags)
}

pub fn send(f: &OpenFile, data: &[u8], flags: u32) -> SysResult {
    sock(f)?.send(data, None, nonblock(f, flags), flags & MSG_NOSIGNAL != 0)
}

pub fn recv(f: &OpenFile, buf: &mut [u8], flags: u32) -> SysResult {
    let (n, _) = sock(f)?.recv(buf, flags & MSG_PEEK != 0, nonblock(f, flags))?;
    Ok(n)
}

pub fn shutdown(f: &OpenFile, how: u32) -> SysResult {
    sock(f)?.shutdown(how)?;
    Ok(0)
}

/// `peercred(fd, *ucred)` (native) and `SO_PEERCRED`.
pub fn peercred(f: &OpenFile) -> Result<Ucred, Errno> {
    let c = sock(f)?.peercred()?;
    Ok(Ucred {
        pid: c.pid,
        uid: c.uid,
        gid: c.gid,
    })
}

pub fn peercred_call(cx: &mut Ctx, fd: crate::arg::Fd, out: u64) -> SysResult {
    let f = cx.file(fd)?;
    let c = peercred(&f)?;
    uaccess::write_pod(out, &c)?;
    Ok(0)
}

/// A `struct msghdr` as the kernel reads it.
pub struct MsgHdr {
    pub name: u64,
    pub namelen: u32,
    /// (base, len) of each iovec.
    pub iov: Vec<(u64, usize)>,
    pub control: u64,
    pub controllen: usize,
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

pub fn read_msghdr(addr: u64) -> Result<MsgHdr, Errno> {
    let b = uaccess::read_bytes(addr, MSGHDR_SIZE)?;
    let iovlen = le64(&b, 24) as usize;
    if iovlen > MAX_IOV {
        return Err(Errno::EMSGSIZE);
    }
    let iovp = le64(&b, 16);
    let raw = if iovlen == 0 {
        Vec::new()
    } else {
        uaccess::read_bytes(iovp, iovlen * 16)?
    };
    let iov = raw
        .chunks_exact(16)
        .map(|c| (le64(c, 0), le64(c, 8) as usize))
        .collect::<Vec<_>>();
    if iov.iter().any(|&(_, l)| l > isize::MAX as usize) {
        return Err(Errno::EINVAL);
    }
    Ok(MsgHdr {
        name: le64(&b, 0),
        namelen: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
        iov,
        control: le64(&b, 32),
        controllen: le64(&b, 40) as usize,
    })
}

/// The bytes the iovecs name, at most [`MAX_IO`].
pub fn gather(iov: &[(u64, usize)]) -> Result<Vec<u8>, Errno> {
    let mut data = Vec::new();
    for &(base, len) in iov {
        let n = len.min(MAX_IO - data.len());
        if n == 0 {
            continue;
        }
        data.extend_from_slice(&uaccess::read_bytes(base, n)?);
    }
    Ok(data)
}

/// Copy `data` out across the iovecs.
pub fn scatter(iov: &[(u64, usize)], mut data: &[u8]) -> Result<(), Errno> {
    for &(base, len) in iov {
        if data.is_empty() {
            break;
        }
        let n = len.min(data.len());
        uaccess::write_bytes(base, &data[..n])?;
        data = &data[n..];
    }
    Ok(())
}

/// The buffer room the iovecs give, at most [`MAX_IO`].
pub fn room(iov: &[(u64, usize)]) -> Result<usize, Errno> {
    let mut total = 0usize;
    for &(base, len) in iov {
        if len != 0 {
            uaccess::check_buffer(base, len.min(MAX_IO), true)?;
        }
        total = total.saturating_add(len);
    }
    Ok(total.min(MAX_IO))
}

fn align8(n: usize) -> usize {
    (n + 7) & !7
}

/// The ancillary data of a `sendmsg`: descriptors (each may be sent: see
/// `net::unix::can_pass`) and credentials (a process may claim only its own pid and
/// ids, unless it is root).
fn control_in(cx: &Ctx, s: &USock, m: &MsgHdr) -> Result<Option<Anc>, Errno> {
    if m.controllen == 0 {
        return Ok(None);
    }
    if m.controllen > 4096 {
        return Err(Errno::EINVAL);
    }
    let b = uaccess::read_bytes(m.control, m.controllen)?;
    let mut anc = Anc::default();
    let mut at = 0;
    while at + CMSG_HDR <= b.len() {
        let len = le64(&b, at) as usize;
        if len < CMSG_HDR || at + len > b.len() {
            return Err(Errno::EINVAL);
        }
        let level = u32::from_le_bytes([b[at + 8], b[at + 9], b[at + 10], b[at + 11]]);
        let ty = u32::from_le_bytes([b[at + 12], b[at + 13], b[at + 14], b[at + 15]]);
        let data = &b[at + CMSG_HDR..at + len];
        if level != SOL_SOCKET {
            return Err(Errno::EINVAL);
        }
        match ty {
            SCM_RIGHTS => {
                let fds = data.chunks_exact(4);
                if anc.files.len() + fds.len() > SCM_MAX_FD {
                    return Err(Errno::EINVAL);
                }
                for c in fds {
                    let fd = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                    let f = cx.file(crate::arg::Fd(fd))?;
                    if !net::unix::can_pass(s, &f) {
                        return Err(Errno::EINVAL);
                    }
                    anc.files.push(f);
                }
            }
            SCM_CREDENTIALS if data.len() >= Ucred::SIZE => {
                let u = Ucred::from_bytes(data);
                let me = cred(cx)?;
                let c = cx.process()?.cred();
                let root = cred::capable(&c, cred::Capability::SetId);
                let own_uid = [c.ruid, c.euid, c.suid].contains(&u.uid);
                let own_gid = [c.rgid, c.egid, c.sgid].contains(&u.gid);
                if !root && (u.pid != me.pid || !own_uid || !own_gid) {
                    return Err(Errno::EPERM);
                }
                anc.cred = Some(Cred {
                    pid: u.pid,
                    uid: u.uid,
                    gid: u.gid,
                });
            }
            _ => return Err(Errno::EINVAL),
        }
        at += align8(len);
    }
    Ok(Some(anc))
}

/// `sendmsg(fd, msg, flags)` on an AF_UNIX socket.
pub fn sendmsg(cx: &mut Ctx, f: &OpenFile, m: &MsgHdr, flags: u32) -> SysResult {
    let s = sock(f)?;
    let data = gather(&m.iov)?;
    let mut anc = control_in(cx, s, m)?;
    if let Some(a) = anc.as_mut() {
        // Descriptors carry who sent them too (the kernel's word, not the sender's).
        if a.cred.is_none() {
            a.cred = Some(cred(cx)?);
        }
    }
    s.send(&data, anc, nonblock(f, flags), flags & MSG_NOSIGNAL != 0)
}

/// One `cmsghdr` and its data appended to `out`.
fn push_cmsg(out: &mut Vec<u8>, ty: u32, data: &[u8]) {
    out.extend_from_slice(&((CMSG_HDR + data.len()) as u64).to_le_bytes());
    out.extend_from_slice(&SOL_SOCKET.to_le_bytes());
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(data);
    out.resize(align8(out.len()), 0);
}

/// `recvmsg(fd, msg, flags)` on an AF_UNIX socket: the bytes, then the ancillary
/// data into `msg_control` (descriptors installed in the caller's table; those that
/// do not fit are closed and MSG_CTRUNC said), `msg_controllen` and `msg_flags` and
/// `msg_namelen` (0: a stream's peer has no name to give) written back.
pub fn recvmsg(cx: &mut Ctx, f: &OpenFile, addr: u64, m: &MsgHdr, flags: u32) -> SysResult {
    let s = sock(f)?;
    let mut buf = vec![0u8; room(&m.iov)?];
    let (n, anc) = s.recv(&mut buf, flags & MSG_PEEK != 0, nonblock(f, flags))?;
    scatter(&m.iov, &buf[..n])?;
    let mut ctl = Vec::new();
    let mut mflags = 0u32;
    {
        let anc = anc.unwrap_or_default();
        let files = anc.files;
        if !files.is_empty() {
            let fit = m.controllen.saturating_sub(CMSG_HDR) / 4;
            let cloexec = flags & MSG_CMSG_CLOEXEC != 0;
            let mut fds = Vec::new();
            for (i, file) in files.into_iter().enumerate() {
                if i >= fit {
                    mflags |= MSG_CTRUNC;
                    continue; // dropped: closed
                }
                match cx.with_process(|p| p.files.lock().insert(file, cloexec))? {
                    Ok(fd) => fds.extend_from_slice(&fd.to_le_bytes()),
                    Err(_) => mflags |= MSG_CTRUNC,
                }
            }
            if !fds.is_empty() {
                push_cmsg(&mut ctl, SCM_RIGHTS, &fds);
            }
        }
        if s.passcred() {
            let c = match anc.cred {
                Some(c) => c,
                None => s.peercred()?,
            };
            let mut u = [0u8; 12];
            Ucred {
                pid: c.pid,
                uid: c.uid,
                gid: c.gid,
            }
            .to_bytes(&mut u);
            if ctl.len() + CMSG_HDR + 12 <= m.controllen {
                push_cmsg(&mut ctl, SCM_CREDENTIALS, &u);
            } else {
                mflags |= MSG_CTRUNC;
            }
        }
    }
    if ctl.len() > m.controllen {
        // The last cmsg's padding may be past the end: Linux trims it too.
        ctl.truncate(m.controllen);
    }
    if !ctl.is_empty() {
        uaccess::write_bytes(m.control, &ctl)?;
    }
    write_back(addr, 0, ctl.len(), mflags)?;
    Ok(n)
}

/// `msg_namelen`, `msg_controllen` and `msg_flags` of the caller's `msghdr`.
pub fn write_back(addr: u64, namelen: u32, controllen: usize, flags: u32) -> Result<(), Errno> {
    uaccess::write_bytes(addr + 8, &namelen.to_le_bytes())?;
    uaccess::write_bytes(addr + 40, &(controllen as u64).to_le_bytes())?;
    uaccess::write_bytes(addr + 48, &flags.to_le_bytes())
}

pub fn setsockopt(f: &OpenFile, level: u32, name: u32, value: u64) -> SysResult {
    sock(f)?.setsockopt(level, name, value)?;
    Ok(0)
}

pub fn getsockopt(f: &OpenFile, level: u32, name: u32) -> SysResult {
    Ok(sock(f)?.getsockopt(level, name)? as usize)
}
