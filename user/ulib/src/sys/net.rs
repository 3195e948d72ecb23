//! The socket calls (160-173, docs/network.md), one wrapper each.

use super::raw::{syscall2, syscall3, syscall4, syscall5};
use super::{ptr, ptr_mut, ret, SysResult};
use abi::net::{IfInfo, SockAddrIn, SockInfo};
use abi::{nr, Pod};
use alloc::vec;
use alloc::vec::Vec;

fn addr_bytes(a: &SockAddrIn) -> [u8; 16] {
    let mut b = [0u8; 16];
    a.to_bytes(&mut b);
    b
}

pub fn socket(domain: u32, ty: u32, protocol: u32) -> SysResult {
    ret(syscall3(
        nr::SOCKET,
        domain as usize,
        ty as usize,
        protocol as usize,
    ))
}

pub fn bind(fd: i32, addr: &SockAddrIn) -> SysResult {
    let b = addr_bytes(addr);
    ret(syscall2(nr::BIND, fd as usize, ptr(&b)))
}

pub fn listen(fd: i32, backlog: u32) -> SysResult {
    ret(syscall2(nr::LISTEN, fd as usize, backlog as usize))
}

/// The new connection's descriptor and its peer.
pub fn accept(fd: i32, flags: u32) -> Result<(i32, SockAddrIn), abi::Errno> {
    let mut b = [0u8; 16];
    let r = ret(syscall3(
        nr::ACCEPT,
        fd as usize,
        ptr_mut(&mut b),
        flags as usize,
    ))?;
    Ok((r as i32, SockAddrIn::from_bytes(&b)))
}

pub fn connect(fd: i32, addr: &SockAddrIn) -> SysResult {
    let b = addr_bytes(addr);
    ret(syscall2(nr::CONNECT, fd as usize, ptr(&b)))
}

pub fn sendto(fd: i32, data: &[u8], flags: u32, to: Option<&SockAddrIn>) -> SysResult {
    let b = to.map(addr_bytes);
    let p = b.as_ref().map_or(0, |b| ptr(b));
    ret(syscall5(
        nr::SENDTO,
        fd as usize,
        ptr(data),
        data.len(),
        flags as usize,
        p,
    ))
}

/// Bytes received and who sent them.
pub fn recvfrom(fd: i32, buf: &mut [u8], flags: u32) -> Result<(usize, SockAddrIn), abi::Errno> {
    let mut b = [0u8; 16];
    let n = ret(syscall5(
        nr::RECVFROM,
        fd as usize,
        ptr_mut(buf),
        buf.len(),
        flags as usize,
        ptr_mut(&mut b),
    ))?;
    Ok((n, SockAddrIn::from_bytes(&b)))
}

pub fn shutdown(fd: i32, how: u32) -> SysResult {
    ret(syscall2(nr::SHUTDOWN, fd as usize, how as usize))
}

pub fn getsockname(fd: i32) -> Result<SockAddrIn, abi::Errno> {
    let mut b = [0u8; 16];
    ret(syscall2(nr::GETSOCKNAME, fd as usize, ptr_mut(&mut b)))?;
    Ok(SockAddrIn::from_bytes(&b))
}

pub fn getpeername(fd: i32) -> Result<SockAddrIn, abi::Errno> {
    let mut b = [0u8; 16];
    ret(syscall2(nr::GETPEERNAME, fd as usize, ptr_mut(&mut b)))?;
    Ok(SockAddrIn::from_bytes(&b))
}

pub fn setsockopt(fd: i32, level: u32, name: u32, value: u64) -> SysResult {
    ret(syscall4(
        nr::SETSOCKOPT,
        fd as usize,
        level as usize,
        name as usize,
        value as usize,
    ))
}

pub fn getsockopt(fd: i32, level: u32, name: u32) -> SysResult {
    ret(syscall3(
        nr::GETSOCKOPT,
        fd as usize,
        level as usize,
        name as usize,
    ))
}

/// Call `nr` with a buffer of `T`s, growing it until everything fits.
fn table<T: Pod + Default>(nr: usize) -> Result<Vec<T>, abi::Errno> {
    let mut n = 16;
    loop {
        let mut b = vec![0u8; n * T::SIZE];
        let have = ret(syscall2(nr, ptr_mut(&mut b), n))?;
        if have <= n {
            return Ok((0..have)
                .map(|i| T::from_bytes(&b[i * T::SIZE..]))
                .collect());
        }
        n = have;
    }
}

/// The network interfaces.
pub fn net_ifaces() -> Result<Vec<IfInfo>, abi::Errno> {
    table(nr::NET_IFACES)
}

/// The kernel's socket table.
pub fn net_sockets() -> Result<Vec<SockInfo>, abi::Errno> {
    table(nr::NET_SOCKETS)
}
