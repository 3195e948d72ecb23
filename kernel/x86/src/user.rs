//! The user-mode boundary as data: where user space ends, the system-call frame's
//! vector, the FPU state a program starts with, and how a user buffer splits into pages.
//!
//! hal enters and leaves ring 3 and copies the bytes; this module says which addresses
//! are user addresses and which pieces a copy is made of, so the range checks behind
//! every `copy_from_user` are tested on the host.

use crate::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use crate::paging::PageFlags;

/// The vector number recorded in the frame of a system call.
pub const SYSCALL_VECTOR: u64 = 0x100;
/// Lowest address that is not user space: the start of the non-canonical hole.
pub const USER_TOP: u64 = 0x0000_8000_0000_0000;
/// The end of the part of user space programs may map. The last page below
/// [`USER_TOP`] is never mapped (as on Linux): an instruction there could end at
/// `USER_TOP`, and returning to that non-canonical address would fault in the kernel.
pub const USER_MAP_END: u64 = USER_TOP - PAGE_SIZE;

/// The FPU/SSE state (FXSAVE format) of a user thread.
#[repr(C, align(16))]
#[derive(Clone)]
pub struct FpuState(pub [u8; 512]);

impl FpuState {
    /// The state a new program starts with (what `fninit` plus the default MXCSR give).
    pub fn initial() -> Self {
        let mut s = FpuState([0; 512]);
        s.0[0..2].copy_from_slice(&0x037fu16.to_le_bytes()); // x87 control word
        s.0[24..28].copy_from_slice(&0x1f80u32.to_le_bytes()); // MXCSR
        s
    }
}

/// A user address that could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadAddress(pub u64);

/// Check that `[addr, addr+len)` is user memory that `translate` maps with at least
/// `need` flags (and USER), and call `f(physical address, offset into the buffer,
/// length)` for each piece within one page, in order. Pages are checked as they are
/// reached: a bad one stops the walk with its address.
#[inline(always)]
pub fn user_pieces(
    addr: u64,
    len: usize,
    need: PageFlags,
    translate: impl Fn(VirtAddr) -> Option<(PhysAddr, PageFlags)>,
    mut f: impl FnMut(PhysAddr, usize, usize),
) -> Result<(), BadAddress> {
    let end = addr.checked_add(len as u64).ok_or(BadAddress(addr))?;
    if end > USER_TOP {
        return Err(BadAddress(addr));
    }
    let mut va = addr;
    while va < end {
        let (pa, flags) = translate(VirtAddr(va)).ok_or(BadAddress(va))?;
        if !flags.contains(need | PageFlags::USER) {
            return Err(BadAddress(va));
        }
        let n = ((PAGE_SIZE - va % PAGE_SIZE).min(end - va)) as usize;
        f(pa, (va - addr) as usize, n);
        va += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// User pages 0x1000 (read-only) and 0x2000..0x4000 (writable), at frame va + 1 MiB.
    fn translate(va: VirtAddr) -> Option<(PhysAddr, PageFlags)> {
        let page = va.as_u64() & !(PAGE_SIZE - 1);
        let flags = match page {
            0x1000 => PageFlags::PRESENT | PageFlags::USER,
            0x2000 | 0x3000 => PageFlags::PRESENT | PageFlags::USER | PageFlags::WRITABLE,
            0x5000 => PageFlags::PRESENT | PageFlags::WRITABLE,
            _ => return None,
        };
        Some((PhysAddr(va.as_u64() + 0x10_0000), flags))
    }

    fn pieces(addr: u64, len: usize, need: PageFlags) -> Result<Vec<(u64, usize, usize)>, u64> {
        let mut out = Vec::new();
        user_pieces(addr, len, need, translate, |pa, off, n| {
            out.push((pa.as_u64(), off, n))
        })
        .map(|_| out)
        .map_err(|e| e.0)
    }

    #[test]
    fn a_buffer_splits_at_page_boundaries() {
        let got = pieces(0x1ff0, 0x1020, PageFlags::empty()).unwrap();
        assert_eq!(
            got,
            [
                (0x10_1ff0, 0, 0x10),
                (0x10_2000, 0x10, 0x1000),
                (0x10_3000, 0x1010, 0x10)
            ]
        );
        assert_eq!(pieces(0x1000, 0, PageFlags::empty()).unwrap(), []);
    }

    #[test]
    fn bad_pages_are_named() {
        assert_eq!(
            pieces(0x1000, 16, PageFlags::WRITABLE),
            Err(0x1000),
            "read-only"
        );
        assert_eq!(
            pieces(0x3ff0, 0x20, PageFlags::empty()),
            Err(0x4000),
            "unmapped"
        );
        assert_eq!(
            pieces(0x5000, 1, PageFlags::empty()),
            Err(0x5000),
            "kernel page"
        );
        assert_eq!(
            pieces(USER_TOP - 1, 2, PageFlags::empty()),
            Err(USER_TOP - 1)
        );
        assert_eq!(
            pieces(u64::MAX, 2, PageFlags::empty()),
            Err(u64::MAX),
            "wraps"
        );
    }

    #[test]
    fn the_initial_fpu_state_is_fninit_and_default_mxcsr() {
        let s = FpuState::initial();
        assert_eq!(u16::from_le_bytes([s.0[0], s.0[1]]), 0x037f);
        assert_eq!(u32::from_le_bytes(s.0[24..28].try_into().unwrap()), 0x1f80);
    }
}
