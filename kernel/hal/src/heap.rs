//! The kernel heap: the global allocator behind `Box`, `Vec` and `BTreeMap`.
//!
//! A fixed region of physical memory, chosen at boot from the memory map and reached
//! through the direct map, managed by `linked_list_allocator` (a small, well-known
//! first-fit allocator; the kernel's own allocator work is the buddy frame allocator in
//! `mm`). When the heap cannot satisfy a request the failure is logged as exactly that,
//! with the heap's figures, before Rust's allocation-error path panics.

use crate::addr::PhysAddr;
use crate::sync::SpinLock;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};
use linked_list_allocator::Heap;

struct KernelHeap {
    heap: SpinLock<Heap>,
}

static FAILED_REQUEST: AtomicU64 = AtomicU64::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

#[cfg_attr(dinos_kernel, global_allocator)]
static HEAP: KernelHeap = KernelHeap {
    heap: SpinLock::new(Heap::empty()),
};

// SAFETY: every allocation is served by `Heap` under the lock; the heap's memory was
// given to it once in `init` and is used by nothing else.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let result = self.heap.lock().allocate_first_fit(layout);
        match result {
            Ok(p) => {
                ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
                p.as_ptr()
            }
            Err(()) => {
                FAILED_REQUEST.store(layout.size() as u64, Ordering::Relaxed);
                let s = stats();
                crate::kprintln!(
                    "\n!!! kernel heap out of memory: a request for {} bytes (align {}) failed; \
                     heap {} KiB, {} KiB used, {} KiB free (fragmented)",
                    layout.size(),
                    layout.align(),
                    s.size / 1024,
                    s.used / 1024,
                    s.free / 1024
                );
                core::ptr::null_mut()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            // SAFETY: `ptr` came from `alloc` with this layout (GlobalAlloc's contract).
            unsafe { self.heap.lock().deallocate(p, layout) };
            ALLOCATIONS.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Heap figures, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapStats {
    pub size: usize,
    pub used: usize,
    pub free: usize,
    /// Live allocations (allocated and not yet freed).
    pub allocations: u64,
}

pub fn stats() -> HeapStats {
    let h = HEAP.heap.lock();
    HeapStats {
        size: h.size(),
        used: h.used(),
        free: h.free(),
        allocations: ALLOCATIONS.load(Ordering::Relaxed),
    }
}

static RANGE: SpinLock<(u64, u64)> = SpinLock::new((0, 0));

/// Is physical frame `f` inside the heap's memory?
pub fn contains(f: PhysAddr) -> bool {
    let (s, e) = *RANGE.lock();
    (s..e).contains(&f.as_u64())
}

/// Give the heap `len` bytes of RAM at `start`.
///
/// The range must be usable RAM that nothing else will use. This is checked against the
/// memory map the loader gave (`ram`), and `init` works only once.
pub fn init(start: PhysAddr, len: u64, ram: &[crate::boot::MemoryRegion]) {
    let inside = ram.iter().any(|r| {
        r.kind == crate::boot::MemoryKind::Usable
            && r.start <= start
            && start.as_u64() + len <= r.start.as_u64() + r.len
    });
    assert!(inside, "heap range {start:?}+{len:#x} is not usable RAM");
    *RANGE.lock() = (start.as_u64(), start.as_u64() + len);
    let mut h = HEAP.heap.lock();
    assert!(h.size() == 0, "heap initialised twice");
    // SAFETY: the range is usable RAM (checked above), mapped writable in the direct map,
    // and the caller (mm) removes it from the frame allocator, so it is ours alone.
    unsafe { h.init(start.to_virt().as_u64() as *mut u8, len as usize) };
}
