//! Reaching user memory from system calls: every pointer and length a program passes
//! goes through here.
//!
//! A copy first asks the process's address space to make the range present (resolving
//! demand-zero and copy-on-write pages, refusing anything outside its regions), then
//! copies through hal's checked copy. A bad pointer is `EFAULT`; the kernel never takes
//! a fault on a user's behalf.

use abi::types::Pod;
use abi::{Errno, UserStr};
use alloc::string::String;
use alloc::vec::Vec;

/// Largest single transfer (read/write buffers are processed in pieces of this).
pub const CHUNK: usize = 64 * 1024;
/// Longest string argument.
pub const STR_MAX: usize = 4096;

fn prepare(addr: u64, len: usize, write: bool) -> Result<(), Errno> {
    crate::process::with_current(|p| {
        let mut a = p.aspace.lock();
        let a = a.as_mut().ok_or(Errno::EFAULT)?;
        a.prepare(addr, len, write).map_err(|e| match e {
            mm::VmError::NoMemory => Errno::ENOMEM,
            _ => Errno::EFAULT,
        })
    })
    .unwrap_or(Err(Errno::EFAULT))
}

/// Check, without touching any page, that the caller may write (or read) the whole
/// buffer `[addr, addr+len)`: done before a call consumes data (a pipe read, a file
/// offset), so a bad buffer fails with EFAULT and loses nothing.
///
/// The fast paths here are inlined into the system-call operations (they are most of
/// a small read's or write's work); the slow paths, which lock the address space, are
/// not.
#[inline]
pub fn check_buffer(addr: u64, len: usize, write: bool) -> Result<(), Errno> {
    // Fast path: every page already mapped with the right rights (one page-table walk
    // per page, no locks). Otherwise ask the regions.
    if len <= 2 * hal::addr::PAGE_SIZE as usize && hal::user::user_range_mapped(addr, len, write) {
        return Ok(());
    }
    check_regions(addr, len, write)
}

#[inline(never)]
fn check_regions(addr: u64, len: usize, write: bool) -> Result<(), Errno> {
    let ok = crate::process::with_current(|p| {
        p.aspace
            .lock()
            .as_ref()
            .is_some_and(|a| a.check_range(addr, len as u64, write))
    });
    if ok == Some(true) {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// Copy `buf.len()` bytes from user address `addr`. The copy is tried first as is
/// (the pages are usually present); only if it meets a missing page is the range made
/// present (demand paging) and the copy done again.
#[inline]
pub fn read_into(addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
    if hal::user::copy_from_user(buf, addr).is_ok() {
        return Ok(());
    }
    read_into_slow(addr, buf)
}

#[inline(never)]
fn read_into_slow(addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
    prepare(addr, buf.len(), false)?;
    hal::user::copy_from_user(buf, addr).map_err(|_| Errno::EFAULT)
}

pub fn read_bytes(addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
    let mut v = alloc::vec![0u8; len];
    read_into(addr, &mut v)?;
    Ok(v)
}

/// Copy `len` bytes of frame `frame` from `off` to user address `addr` (a read from
/// the page cache), making the pages present first when the copy meets one missing.
#[inline]
pub fn copy_frame_out(
    addr: u64,
    frame: hal::addr::PhysAddr,
    off: usize,
    len: usize,
) -> Result<(), Errno> {
    if hal::user::copy_frame_to_user(addr, frame, off, len).is_ok() {
        return Ok(());
    }
    prepare(addr, len, true)?;
    hal::user::copy_frame_to_user(addr, frame, off, len).map_err(|_| Errno::EFAULT)
}

/// Copy `data` to user address `addr`.
#[inline]
pub fn write_bytes(addr: u64, data: &[u8]) -> Result<(), Errno> {
    if hal::user::copy_to_user(addr, data).is_ok() {
        return Ok(()); // present and writable: no copy-on-write or demand paging needed
    }
    write_bytes_slow(addr, data)
}

#[inline(never)]
fn write_bytes_slow(addr: u64, data: &[u8]) -> Result<(), Errno> {
    prepare(addr, data.len(), true)?;
    hal::user::copy_to_user(addr, data).map_err(|_| Errno::EFAULT)
}

/// A string argument given as (pointer, length).
pub fn read_str(ptr: u64, len: u64) -> Result<String, Errno> {
    if len as usize > STR_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let b = read_bytes(ptr, len as usize)?;
    String::from_utf8(b).map_err(|_| Errno::EINVAL)
}

/// An array of `count` [`UserStr`] at `ptr`, each read as a string (argv, envp).
pub fn read_str_list(ptr: u64, count: u64, total_limit: usize) -> Result<Vec<String>, Errno> {
    if count > 4096 {
        return Err(Errno::E2BIG);
    }
    let raw = read_bytes(ptr, count as usize * UserStr::SIZE)?;
    let mut out = Vec::with_capacity(count as usize);
    let mut total = 0usize;
    for c in raw.chunks(UserStr::SIZE) {
        let s = UserStr::from_bytes(c);
        total = total.saturating_add(s.len as usize);
        if total > total_limit {
            return Err(Errno::E2BIG);
        }
        let b = read_bytes(s.ptr, s.len as usize)?;
        out.push(String::from_utf8(b).map_err(|_| Errno::EINVAL)?);
    }
    Ok(out)
}

/// Structures up to this size are copied through a buffer on the stack (every one
/// the ABI has: the largest, `struct utsname`, is 192 bytes); larger ones through the
/// heap. A heap buffer cost each structure copy about 200 instructions (measured on
/// the port round trip, which copies four).
const POD_STACK: usize = 256;

/// Small structures (a `struct port_msg`, a `struct timespec`) use a smaller buffer:
/// the buffer is zeroed first, and zeroing 256 bytes for 48 cost 12 instructions a copy.
const POD_SMALL: usize = 64;

/// Read a structure.
pub fn read_pod<T: Pod>(addr: u64) -> Result<T, Errno> {
    if T::SIZE <= POD_SMALL {
        let mut b = [0u8; POD_SMALL];
        read_into(addr, &mut b[..T::SIZE])?;
        return Ok(T::from_bytes(&b[..T::SIZE]));
    }
    if T::SIZE <= POD_STACK {
        let mut b = [0u8; POD_STACK];
        read_into(addr, &mut b[..T::SIZE])?;
        return Ok(T::from_bytes(&b[..T::SIZE]));
    }
    let b = read_bytes(addr, T::SIZE)?;
    Ok(T::from_bytes(&b))
}

/// Write a structure.
pub fn write_pod<T: Pod>(addr: u64, v: &T) -> Result<(), Errno> {
    if T::SIZE <= POD_SMALL {
        let mut b = [0u8; POD_SMALL];
        v.to_bytes(&mut b[..T::SIZE]);
        return write_bytes(addr, &b[..T::SIZE]);
    }
    if T::SIZE <= POD_STACK {
        let mut b = [0u8; POD_STACK];
        v.to_bytes(&mut b[..T::SIZE]);
        return write_bytes(addr, &b[..T::SIZE]);
    }
    let mut b = alloc::vec![0u8; T::SIZE];
    v.to_bytes(&mut b);
    write_bytes(addr, &b)
}
