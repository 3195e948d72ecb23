//! The global frame allocator: the buddy allocator behind a lock, with statistics.
//!
//! It is also hal's [`FrameSource`], so page tables and kernel stacks draw their frames
//! from here and return them here.
//!
//! A share of the frames is a *reserve* that user pages ([`alloc_user_frame`]: a
//! program's faults) may not take, only the kernel's own allocations (page tables,
//! kernel stacks, the page cache). So when programs have used up memory, the kernel
//! can still make the page tables and the stack of the `ps` or `kill` that an
//! administrator runs, and the fault that found no frame can be answered by the
//! out-of-memory killer (`proc::oom`) instead of by a failing kernel.

use crate::buddy::{Buddy, BuddyStats, MAX_ORDER};
use crate::ranges::Ranges;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::addr::{PhysAddr, PAGE_SIZE};
use hal::paging::FrameSource;
use hal::sync::SpinLock;

static BUDDY: SpinLock<Buddy> = SpinLock::new(Buddy::new());
/// For every frame, how many *extra* address spaces map it (copy-on-write after fork):
/// 0 means one owner. An array indexed by frame number, so fork and exit, which touch
/// every page of a process, pay O(1) per page.
static SHARED: SpinLock<Vec<u16>> = SpinLock::new(Vec::new());
static HEAP_BYTES: SpinLock<u64> = SpinLock::new(0);
/// Frames user pages leave to the kernel (see the module header); set at boot.
static RESERVE: AtomicU64 = AtomicU64::new(0);

/// The reserve for `total` frames: 1/32 of them, between 1 and 16 MiB.
pub fn reserve_for(total: u64) -> u64 {
    (total / 32).clamp(256, 4096)
}

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
    let top = free.iter().map(|r| r.1).max().unwrap_or(0);
    SHARED.lock().resize((top / PAGE_SIZE) as usize, 0);
    {
        let mut b = BUDDY.lock();
        for &(s, e) in free.iter() {
            b.add_range(s / PAGE_SIZE, (e - s) / PAGE_SIZE);
        }
    }
    *HEAP_BYTES.lock() = heap_bytes;
    let total = BUDDY.lock().stats().total_frames;
    RESERVE.store(reserve_for(total), Ordering::Relaxed);
    hal::paging::set_frame_source(&FRAMES);
}

/// One 4 KiB frame (contents undefined).
pub fn alloc_frame() -> Option<PhysAddr> {
    alloc_frames(0)
}

/// 2^order contiguous frames. When none are free, memory that can be given back
/// (the page cache's clean pages) is asked for first, once.
pub fn alloc_frames(order: usize) -> Option<PhysAddr> {
    let got = BUDDY.lock().alloc(order);
    let got = match got {
        Some(f) => Some(f),
        None if RECLAIM.get().is_some_and(|reclaim| reclaim() > 0) => BUDDY.lock().alloc(order),
        None => None,
    };
    got.map(|f| PhysAddr(f * PAGE_SIZE))
}

/// A frame for a user page (a fault's zeroed page or copy): none when taking it
/// would leave fewer free frames than the kernel's reserve. Clean pages of the page
/// cache are asked for first, once, as [`alloc_frames`] does.
pub fn alloc_user_frame() -> Option<PhysAddr> {
    let reserve = RESERVE.load(Ordering::Relaxed);
    let take = || {
        let mut b = BUDDY.lock();
        if b.stats().free_frames > reserve {
            b.alloc(0)
        } else {
            None
        }
    };
    let got = match take() {
        Some(f) => Some(f),
        None if RECLAIM.get().is_some_and(|reclaim| reclaim() > 0) => take(),
        None => None,
    };
    got.map(|f| PhysAddr(f * PAGE_SIZE))
}

/// Did a reclaim leave enough for user pages to go on: free frames above the
/// reserve by a quarter of it (at least 64)? When the page cache gives back only a
/// few pages, they may well be the faulting program's own, which it would read in
/// again at once: going on then could thrash (a disk read per page), so the fault
/// goes to the out-of-memory killer instead.
pub fn user_frames_free() -> bool {
    let reserve = RESERVE.load(Ordering::Relaxed);
    BUDDY.lock().stats().free_frames > reserve + (reserve / 4).max(64)
}

/// Frames user pages leave to the kernel.
pub fn reserve() -> u64 {
    RESERVE.load(Ordering::Relaxed)
}

/// What frees frames when they run out: it gives back what it can without waiting
/// (it must not sleep, and may find what it needs busy) and says how many it freed.
pub type Reclaim = fn() -> usize;

static RECLAIM: hal::sync::Once<Reclaim> = hal::sync::Once::new();

/// Install the reclaimer (the page cache does, at boot; later calls change nothing).
pub fn set_reclaim(f: Reclaim) {
    RECLAIM.call_once(|| f);
}

pub fn free_frame(frame: PhysAddr) {
    free_frames(frame, 0)
}

pub fn free_frames(frame: PhysAddr, order: usize) {
    assert!(order <= MAX_ORDER);
    BUDDY.lock().free(frame.as_u64() / PAGE_SIZE, order)
}

fn index(frame: PhysAddr) -> usize {
    (frame.as_u64() / PAGE_SIZE) as usize
}

/// Ranges of device memory (a framebuffer) that programs may map: those frames are
/// not RAM, so mapping, sharing and unmapping them counts nothing and frees nothing.
/// A few fixed slots of atomics, since `release` (every page of an exiting process)
/// checks them.
static DEVICE: [(AtomicU64, AtomicU64); 4] = [const { (AtomicU64::new(0), AtomicU64::new(0)) }; 4];

/// Let programs map the device memory `m` (its frames are then never counted or
/// freed). Only a mapped [`hal::mmio::Mmio`] can be given, which proves the range is
/// not RAM. False when every slot is taken.
pub fn add_device_memory(m: &hal::mmio::Mmio) -> bool {
    let start = m.phys().as_u64();
    let end = start + m.len() as u64;
    for (s, e) in &DEVICE {
        if e.load(Ordering::Acquire) == 0
            && s.compare_exchange(0, start, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            e.store(end, Ordering::Release);
            return true;
        }
    }
    false
}

/// Is `frame` device memory given to [`add_device_memory`]?
pub fn is_device_memory(frame: PhysAddr) -> bool {
    let a = frame.as_u64();
    DEVICE.iter().any(|(s, e)| {
        let end = e.load(Ordering::Acquire);
        end != 0 && (s.load(Ordering::Acquire)..end).contains(&a)
    })
}

/// One more address space maps `frame` (copy-on-write).
pub fn share(frame: PhysAddr) {
    if is_device_memory(frame) {
        return;
    }
    let mut s = SHARED.lock();
    let n = &mut s[index(frame)];
    *n = n
        .checked_add(1)
        .expect("a frame shared by 65536 address spaces");
}

/// How many address spaces map `frame`.
pub fn share_count(frame: PhysAddr) -> u32 {
    if is_device_memory(frame) {
        return 1;
    }
    SHARED.lock().get(index(frame)).map_or(1, |&n| n as u32 + 1)
}

/// One mapping of `frame` is gone: free it when it was the last.
pub fn release(frame: PhysAddr) {
    if is_device_memory(frame) {
        return;
    }
    let last = {
        let mut s = SHARED.lock();
        match s.get_mut(index(frame)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
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
