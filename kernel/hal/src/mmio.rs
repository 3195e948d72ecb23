//! Device registers in memory (MMIO): mapped uncached, reached through a checked handle.
//!
//! A device's registers (a PCI BAR, say) are physical addresses that are not RAM.
//! [`map`] maps such a range uncached into the direct map and returns an [`Mmio`]
//! handle; every access through it is one volatile load or store of the given width at
//! an offset checked against the range and the width's alignment, so a driver in a
//! `forbid(unsafe_code)` crate can talk to hardware and still cannot touch memory that
//! belongs to Rust.
//!
//! The one check that keeps this sound: [`map`] refuses any page that is already mapped
//! as ordinary (cached) memory, which is every page of RAM and of the kernel image.

use crate::addr::{PhysAddr, PAGE_SIZE, PHYS_OFFSET};
use crate::paging::{PageFlags, PageSize};

/// Why a range of device registers could not be mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MmioError {
    /// Empty, wrapping or beyond the direct map's reach.
    BadRange,
    /// Part of the range is RAM (or otherwise mapped as ordinary memory).
    IsRam,
    /// No memory for page tables (or the kernel table is not installed yet).
    NoMemory,
}

/// A mapped range of device registers.
#[derive(Debug, Clone)]
pub struct Mmio {
    base: PhysAddr,
    len: usize,
}

/// The direct map covers physical addresses below this (up to the kernel-stack region).
const DIRECT_MAP_SIZE: u64 = crate::addr::KSTACK_BASE - PHYS_OFFSET;

/// Map `len` bytes of device registers at physical address `base`, uncached.
/// Idempotent: mapping the same registers twice gives two handles to them.
pub fn map(base: PhysAddr, len: usize) -> Result<Mmio, MmioError> {
    let end = base
        .as_u64()
        .checked_add(len as u64)
        .filter(|&e| len > 0 && e <= DIRECT_MAP_SIZE)
        .ok_or(MmioError::BadRange)?;
    let flags =
        PageFlags::WRITABLE | PageFlags::NO_EXECUTE | PageFlags::NO_CACHE | PageFlags::GLOBAL;
    let start = base.as_u64() & !(PAGE_SIZE - 1);
    let end = end.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    crate::paging::with_kernel_table(|t| {
        // Check the whole range before mapping any of it.
        let mut p = start;
        while p < end {
            if let Some((_, f)) = t.translate(PhysAddr(p).to_virt()) {
                if !f.contains(PageFlags::NO_CACHE) {
                    return Err(MmioError::IsRam);
                }
            }
            p += PAGE_SIZE;
        }
        let mut p = start;
        while p < end {
            let va = PhysAddr(p).to_virt();
            if t.translate(va).is_none() {
                t.map(va, PhysAddr(p), PageSize::Size4K, flags)
                    .map_err(|_| MmioError::NoMemory)?;
            }
            p += PAGE_SIZE;
        }
        Ok(())
    })
    .unwrap_or(Err(MmioError::NoMemory))?;
    Ok(Mmio { base, len })
}

impl Mmio {
    /// Physical address of the first register.
    pub fn phys(&self) -> PhysAddr {
        self.base
    }

    /// Length of the range in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The sub-range `[offset, offset + len)`, if it lies inside this one and starts
    /// 4-byte aligned (so the registers in it can be reached at their natural width).
    pub fn slice(&self, offset: usize, len: usize) -> Option<Mmio> {
        let end = offset.checked_add(len)?;
        let base = self.base.as_u64() + offset as u64;
        (len > 0 && end <= self.len && base.is_multiple_of(4)).then_some(Mmio {
            base: PhysAddr(base),
            len,
        })
    }

    /// The virtual address of `offset` for an access of `width` bytes. Panics if the
    /// access leaves the range or is misaligned: both are driver bugs, since offsets a
    /// device reports are checked when a sub-range is made with [`Mmio::slice`].
    fn at(&self, offset: usize, width: usize) -> u64 {
        let addr = self.base.as_u64() + offset as u64;
        assert!(
            offset.checked_add(width).is_some_and(|e| e <= self.len)
                && addr.is_multiple_of(width as u64),
            "MMIO access of {width} bytes at {offset:#x} outside {:#x} bytes at {:?}",
            self.len,
            self.base
        );
        PhysAddr(addr).to_virt().as_u64()
    }
}

macro_rules! accessors {
    ($($read:ident $write:ident $t:ty),*) => {
        impl Mmio {
            $(
                /// A volatile load of the register at `offset` (checked).
                pub fn $read(&self, offset: usize) -> $t {
                    let va = self.at(offset, core::mem::size_of::<$t>());
                    // SAFETY: `va` is inside a range `map` mapped uncached and found not
                    // to be RAM (so no Rust object lives there), aligned (checked in `at`).
                    unsafe { core::ptr::read_volatile(va as *const $t) }
                }

                /// A volatile store to the register at `offset` (checked).
                pub fn $write(&self, offset: usize, value: $t) {
                    let va = self.at(offset, core::mem::size_of::<$t>());
                    // SAFETY: as in the load.
                    unsafe { core::ptr::write_volatile(va as *mut $t, value) }
                }
            )*
        }
    };
}

accessors!(read8 write8 u8, read16 write16 u16, read32 write32 u32, read64 write64 u64);
