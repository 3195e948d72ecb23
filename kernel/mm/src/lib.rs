//! Memory management: physical frames, the kernel heap's place, the kernel address space.
//!
//! Boot order (see [`init`]): the loader's memory map is cut into free ranges (minus low
//! memory, the kernel image and boot modules); one range becomes the kernel heap, so that
//! allocation works; the rest goes to the buddy allocator ([`buddy`]), which is then
//! registered with hal as the source of page-table frames; finally [`kspace`] builds the
//! kernel's own page table with exact permissions and switches to it.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod aspace;
pub mod buddy;
pub mod filemap;
pub mod frames;
pub mod kspace;
mod ranges;
pub mod word;

use hal::addr::{PhysAddr, PAGE_SIZE};
use hal::boot::BootInfo;

pub use aspace::{AddressSpace, Prot, VmError, Vma, VmaKind};
pub use filemap::{FileMap, Pager};
pub use frames::{alloc_frame, alloc_frames, free_frame, free_frames, stats, MemStats};
pub use word::{Word, WordKey};

/// Set up frames, heap and the kernel page table. After this, `alloc` works and the
/// boot page tables are gone.
pub fn init(boot: &BootInfo) {
    let mut free = ranges::free_ranges(boot);
    let usable: u64 = free.iter().map(|r| r.1 - r.0).sum();
    // The heap: a quarter of free memory, between 8 and 128 MiB, from the largest range
    // (it holds tmpfs files, pipe buffers and the block cache as well as kernel objects).
    let heap_len = (usable / 4).clamp(8 << 20, 128 << 20) & !(PAGE_SIZE - 1);
    let heap_start = ranges::take(&mut free, heap_len)
        .expect("not enough contiguous memory for the kernel heap");
    hal::heap::init(PhysAddr(heap_start), heap_len, boot.memory_map());
    frames::init(&free, heap_len);
    kspace::init(boot);
}
