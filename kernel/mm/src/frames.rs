//! The global frame allocator: the buddy allocator behind a lock, with statistics.
//!
//! It is also hal's [`FrameSource`], so page tables and kernel stacks draw their frames
//! from here and return them here.

use crate::buddy::{Buddy, BuddyStats, MAX_ORDER};
use crate::ranges::Ranges;
use alloc::collections::BTreeMap;
use hal::addr::{PhysAddr, PAGE_SIZE};
use hal::paging::FrameSource;
use hal::sync::SpinLock;

static BUDDY: SpinLock<Buddy> = SpinLock::new(Buddy::new());
/// Frames mapped in more than one address space (copy-on-write after fork), with their
/// number of sharers. A frame not listed has one owner.
static SHARED: SpinLock<BTreeMap<u64, u32>> = SpinLock::new(BTreeMap::new());
static HEAP_BYTES: SpinLock<u64> = SpinLock::new(0);

struct Frames;
static FRAMES: Frames = Frames;

impl FrameSource for Frames {
    fn alloc_frame(&self) -> Option<PhysAddr> {
        alloc_frame()
    }
    fn free_frame(&self, frame: PhysAddr) {
        free_frame(frame)
    }
    fn alloc_contiguous(&self, pages: usize) -> Option<PhysAddr> {
        alloc_frames(order_for(pages))
    }
    fn free_contiguous(&self, first: PhysAddr, pages: usize) {
        free_frames(first, order_for(pages))
    }
}

/// The buddy order that holds `pages` frames.
fn order_for(pages: usize) -> usize {
    pages.max(1).next_power_of_two().trailing_zeros() as usize
}

pub(crate) fn init(free: &Ranges, heap_bytes: u64) {
    {
        let mut b = BUDDY.lock();
        for &(s, e) in free.iter() {
            b.add_range(s / PAGE_SIZE, (e - s) / PAGE_SIZE);
        }
    }
    *HEAP_BYTES.lock() = heap_bytes;
    hal::paging::set_frame_source(&FRAMES);
}

/// One 4 KiB frame (contents undefined).
pub fn alloc_frame() -> Option<PhysAddr> {
    alloc_frames(0)
}

/// 2^order contiguous frames.
pub fn alloc_frames(order: usize) -> Option<PhysAddr> {
    BUDDY.lock().alloc(order).map(|f| PhysAddr(f * PAGE_SIZE))
}

pub fn free_frame(frame: PhysAddr) {
    free_frames(frame, 0)
}

pub fn free_frames(frame: PhysAddr, order: usize) {
    assert!(order <= MAX_ORDER);
    BUDDY.lock().free(frame.as_u64() / PAGE_SIZE, order)
}

/// One more address space maps `frame` (copy-on-write).
pub fn share(frame: PhysAddr) {
    *SHARED.lock().entry(frame.as_u64()).or_insert(1) += 1;
}

/// How many address spaces map `frame`.
pub fn share_count(frame: PhysAddr) -> u32 {
    SHARED.lock().get(&frame.as_u64()).copied().unwrap_or(1)
}

/// One mapping of `frame` is gone: free it when it was the last.
pub fn release(frame: PhysAddr) {
    let last = {
        let mut s = SHARED.lock();
        match s.get_mut(&frame.as_u64()) {
            Some(n) if *n > 2 => {
                *n -= 1;
                false
            }
            Some(_) => {
                s.remove(&frame.as_u64());
                false
            }
            None => true,
        }
    };
    if last {
        free_frame(frame);
    }
}

/// Memory figures for `mem`, `free` and the leak checks in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemStats {
    pub frames: BuddyStats,
    pub heap: hal::heap::HeapStats,
}

impl MemStats {
    pub fn total_bytes(&self) -> u64 {
        self.frames.total_frames * PAGE_SIZE + *HEAP_BYTES.lock()
    }
    pub fn free_bytes(&self) -> u64 {
        self.frames.free_frames * PAGE_SIZE + self.heap.free as u64
    }
}

pub fn stats() -> MemStats {
    MemStats {
        frames: BUDDY.lock().stats(),
        heap: hal::heap::stats(),
    }
}
