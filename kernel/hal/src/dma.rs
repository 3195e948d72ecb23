//! DMA memory: physically contiguous, zeroed frames a device reads and writes directly.
//!
//! A device that does DMA (a virtio disk fetching its descriptor ring, filling a read
//! buffer) is given *physical* addresses. A [`DmaBuffer`] owns such frames (from mm,
//! through the frame source) and is reached only through volatile accessors and copies
//! at checked offsets, because the device may change the memory at any time: no Rust
//! reference to it is ever handed out.
//!
//! What hal cannot check (there is no IOMMU): a device keeps the addresses it was given.
//! A driver resets its device before it drops the buffers the device knows.

use crate::addr::{PhysAddr, PAGE_SIZE};

/// Physically contiguous memory shared with a device, freed on drop.
#[derive(Debug)]
pub struct DmaBuffer {
    phys: PhysAddr,
    pages: usize,
}

impl DmaBuffer {
    /// At least `bytes` (rounded up to whole pages) of zeroed memory, or `None` when
    /// there is no contiguous run that large.
    pub fn new(bytes: usize) -> Option<DmaBuffer> {
        let pages = bytes.div_ceil(PAGE_SIZE as usize).max(1);
        let phys = crate::paging::alloc_dma(pages)?;
        Some(DmaBuffer { phys, pages })
    }

    /// The physical address the device is given.
    pub fn phys(&self) -> PhysAddr {
        self.phys
    }

    /// Size in bytes (whole pages).
    pub fn len(&self) -> usize {
        self.pages * PAGE_SIZE as usize
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Virtual address of `[offset, offset + n)`, which must lie inside the buffer and,
    /// for a typed access, be aligned to `align`. Out of range is a driver bug: panics.
    fn at(&self, offset: usize, n: usize, align: usize) -> u64 {
        assert!(
            offset.checked_add(n).is_some_and(|e| e <= self.len()) && offset.is_multiple_of(align),
            "DMA access of {n} bytes at {offset:#x} outside a {:#x}-byte buffer",
            self.len()
        );
        self.phys.to_virt().as_u64() + offset as u64
    }

    /// Copy `data` into the buffer at `offset`.
    pub fn copy_in(&self, offset: usize, data: &[u8]) {
        let va = self.at(offset, data.len(), 1);
        // SAFETY: inside frames this buffer owns (checked), mapped in the direct map;
        // nothing in Rust holds a reference into them.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), va as *mut u8, data.len()) };
    }

    /// Copy bytes out of the buffer at `offset` into `buf`.
    pub fn copy_out(&self, offset: usize, buf: &mut [u8]) {
        let va = self.at(offset, buf.len(), 1);
        // SAFETY: as in copy_in, in the other direction.
        unsafe { core::ptr::copy_nonoverlapping(va as *const u8, buf.as_mut_ptr(), buf.len()) };
    }
}

macro_rules! accessors {
    ($($read:ident $write:ident $t:ty),*) => {
        impl DmaBuffer {
            $(
                /// A volatile load at `offset` (checked, naturally aligned).
                pub fn $read(&self, offset: usize) -> $t {
                    let n = core::mem::size_of::<$t>();
                    let va = self.at(offset, n, n);
                    // SAFETY: inside this buffer's frames and aligned (checked in `at`).
                    unsafe { core::ptr::read_volatile(va as *const $t) }
                }

                /// A volatile store at `offset` (checked, naturally aligned).
                pub fn $write(&self, offset: usize, value: $t) {
                    let n = core::mem::size_of::<$t>();
                    let va = self.at(offset, n, n);
                    // SAFETY: as in the load.
                    unsafe { core::ptr::write_volatile(va as *mut $t, value) }
                }
            )*
        }
    };
}

accessors!(read8 write8 u8, read16 write16 u16, read32 write32 u32, read64 write64 u64);

impl Drop for DmaBuffer {
    fn drop(&mut self) {
        crate::paging::free_dma(self.phys, self.pages);
    }
}
