//! Memory calls for Linux programs: the same break, mappings and rights as the
//! native calls (`syscall::ops::memory`), with Linux's mmap flags translated and
//! `madvise` answered for the advice that asks for nothing.

use crate::uapi::{self, *};
use abi::Errno;
use syscall::ops::memory as ops;
use syscall::table::{Ctx, SysResult};

pub fn mmap(
    cx: &mut Ctx,
    addr: u64,
    len: u64,
    prot: u32,
    flags: u32,
    fd: u64,
    off: u64,
) -> SysResult {
    // The descriptor is a C `int`; -1 for anonymous memory.
    let fd = fd as u32 as u64;
    if flags & MAP_FIXED_NOREPLACE != 0 && flags & MAP_FIXED == 0 {
        // Exactly at `addr`, but never over an existing mapping.
        let at = ops::mmap(cx, addr, len, prot, uapi::map_flags(flags), fd, off)?;
        if at as u64 != addr {
            let _ = ops::munmap(cx, at as u64, len);
            return Err(Errno::EEXIST);
        }
        return Ok(at);
    }
    ops::mmap(cx, addr, len, prot, uapi::map_flags(flags), fd, off)
}

/// `madvise`: advice about access patterns changes nothing here, and MADV_FREE lets
/// the kernel keep the pages, so those succeed (after checking the range); advice
/// that changes contents (MADV_DONTNEED's zero-fill, MADV_REMOVE) is not supported.
pub fn madvise(_: &mut Ctx, addr: u64, len: u64, advice: u32) -> SysResult {
    const NORMAL: u32 = 0;
    const RANDOM: u32 = 1;
    const SEQUENTIAL: u32 = 2;
    const WILLNEED: u32 = 3;
    const FREE: u32 = 8;
    if !addr.is_multiple_of(4096)
        || addr
            .checked_add(len)
            .is_none_or(|e| e > hal::user::USER_TOP)
    {
        return Err(Errno::EINVAL);
    }
    match advice {
        NORMAL | RANDOM | SEQUENTIAL | WILLNEED | FREE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}
