//! The AF_UNIX and message calls (174-177, docs/network.md): `socketpair`,
//! `sendmsg`/`recvmsg` with descriptors and credentials, `peercred`, and `bind`/
//! `connect` with a `struct sockaddr_un`.

use super::raw::{syscall2, syscall3, syscall4};
use super::{ptr, ptr_mut, ret, SysResult};
use abi::net::*;
use abi::{nr, Errno, Pod};
use alloc::vec;
use alloc::vec::Vec;

/// A `struct sockaddr_un` for `name`: a path, or (leading NUL) an abstract name.
fn sun(name: &[u8]) -> Result<[u8; SOCKADDR_UN_SIZE], Errno> {
    if name.is_empty() || name.len() >= SUN_PATH {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; SOCKADDR_UN_SIZE];
    b[..2].copy_from_slice(&(AF_UNIX as u16).to_le_bytes());
    b[2..2 + name.len()].copy_from_slice(name);
    Ok(b)
}

/// `bind` an AF_UNIX socket to a path (a socket node appears) or abstract name.
/// An abstract name's unused bytes are NULs, part of the name (the native call
/// passes the whole structure).
pub fn bind_unix(fd: i32, name: &[u8]) -> SysResult {
    let b = sun(name)?;
    ret(syscall2(nr::BIND, fd as usize, ptr(&b)))
}

pub fn connect_unix(fd: i32, name: &[u8]) -> SysResult {
    let b = sun(name)?;
    ret(syscall2(nr::CONNECT, fd as usize, ptr(&b)))
}

/// Two connected sockets.
pub fn socketpair(ty: u32) -> Result<(i32, i32), Errno> {
    let mut sv = [0u8; 8];
    ret(syscall4(
        nr::SOCKETPAIR,
        AF_UNIX as usize,
        ty as usize,
        0,
        ptr_mut(&mut sv),
    ))?;
    let fd = |i: usize| i32::from_le_bytes([sv[i], sv[i + 1], sv[i + 2], sv[i + 3]]);
    Ok((fd(0), fd(4)))
}

/// The SO_PEERCRED of a connected AF_UNIX socket.
pub fn peercred(fd: i32) -> Result<Ucred, Errno> {
    let mut b = [0u8; 12];
    ret(syscall2(nr::PEERCRED, fd as usize, ptr_mut(&mut b)))?;
    Ok(Ucred::from_bytes(&b))
}

fn msghdr(iov: &[u8], nvec: usize, control: usize, controllen: usize) -> [u8; MSGHDR_SIZE] {
    let mut m = [0u8; MSGHDR_SIZE];
    m[16..24].copy_from_slice(&(ptr(iov) as u64).to_le_bytes());
    m[24..32].copy_from_slice(&(nvec as u64).to_le_bytes());
    m[32..40].copy_from_slice(&(control as u64).to_le_bytes());
    m[40..48].copy_from_slice(&(controllen as u64).to_le_bytes());
    m
}

fn cmsg(out: &mut Vec<u8>, ty: u32, data: &[u8]) {
    out.extend_from_slice(&((CMSG_HDR + data.len()) as u64).to_le_bytes());
    out.extend_from_slice(&SOL_SOCKET.to_le_bytes());
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(data);
    out.resize((out.len() + 7) & !7, 0);
}

/// `sendmsg`: the buffers in order, with descriptors (SCM_RIGHTS) and, if given,
/// credentials to claim (SCM_CREDENTIALS: the kernel checks they are the caller's).
pub fn sendmsg(fd: i32, bufs: &[&[u8]], fds: &[i32], cred: Option<Ucred>, flags: u32) -> SysResult {
    let mut iov = Vec::with_capacity(bufs.len() * 16);
    for b in bufs {
        iov.extend_from_slice(&(ptr(b) as u64).to_le_bytes());
        iov.extend_from_slice(&(b.len() as u64).to_le_bytes());
    }
    let mut ctl = Vec::new();
    if !fds.is_empty() {
        let raw: Vec<u8> = fds.iter().flat_map(|f| f.to_le_bytes()).collect();
        cmsg(&mut ctl, SCM_RIGHTS, &raw);
    }
    if let Some(c) = cred {
        let mut b = [0u8; 12];
        c.to_bytes(&mut b);
        cmsg(&mut ctl, SCM_CREDENTIALS, &b);
    }
    let m = msghdr(&iov, bufs.len(), ptr(&ctl), ctl.len());
    ret(syscall3(nr::SENDMSG, fd as usize, ptr(&m), flags as usize))
}

/// What `recvmsg` gave besides the bytes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Received {
    pub len: usize,
    /// Descriptors now open in this process (SCM_RIGHTS).
    pub fds: Vec<i32>,
    /// The sender's credentials (SCM_CREDENTIALS; only with SO_PASSCRED set).
    pub cred: Option<Ucred>,
    /// `msg_flags` (MSG_CTRUNC: some descriptors did not fit and were closed).
    pub flags: u32,
}

/// `recvmsg` into `buf`, with room for `max_fds` descriptors and credentials.
pub fn recvmsg(fd: i32, buf: &mut [u8], max_fds: usize, flags: u32) -> Result<Received, Errno> {
    let mut iov = [0u8; 16];
    iov[..8].copy_from_slice(&(ptr_mut(buf) as u64).to_le_bytes());
    iov[8..].copy_from_slice(&(buf.len() as u64).to_le_bytes());
    let room = CMSG_HDR + ((max_fds * 4 + 7) & !7) + CMSG_HDR + 16;
    let mut ctl = vec![0u8; room];
    let mut m = msghdr(&iov, 1, ptr_mut(&mut ctl), room);
    let n = ret(syscall3(
        nr::RECVMSG,
        fd as usize,
        ptr_mut(&mut m),
        flags as usize,
    ))?;
    let le64 = |b: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(w) as usize
    };
    let used = le64(&m, 40).min(room);
    let mut out = Received {
        len: n,
        flags: u32::from_le_bytes([m[48], m[49], m[50], m[51]]),
        ..Default::default()
    };
    let mut at = 0;
    while at + CMSG_HDR <= used {
        let len = le64(&ctl, at);
        if len < CMSG_HDR || at + len > used {
            break;
        }
        let ty = u32::from_le_bytes([ctl[at + 12], ctl[at + 13], ctl[at + 14], ctl[at + 15]]);
        let data = &ctl[at + CMSG_HDR..at + len];
        match ty {
            SCM_RIGHTS => out.fds.extend(
                data.chunks_exact(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            ),
            SCM_CREDENTIALS if data.len() >= 12 => out.cred = Some(Ucred::from_bytes(data)),
            _ => {}
        }
        at += (len + 7) & !7;
    }
    Ok(out)
}
