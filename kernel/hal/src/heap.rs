//! The kernel heap: the global allocator behind `Box`, `Vec` and `BTreeMap`.
//!
//! A fixed region of physical memory, chosen at boot from the memory map and reached
//! through the direct map, managed by `linked_list_allocator` (a small, well-known
//! first-fit allocator). In front of it sit *size classes*: a request of at most 2 KiB
//! is rounded up to a power of two and served from a free list of blocks of exactly
//! that size, in O(1); a freed small block goes back on its list, never to the
//! first-fit heap. The kernel allocates and frees the same small objects over and over
//! (wait-queue entries, open files, trap-path buffers), and a first-fit walk of a long
//! free list on each of them was the largest cost of a pipe round trip.
//! When the heap cannot satisfy a request the size is noted; if the request was not
//! fallible, Rust's allocation-error path panics and the panic handler reports it as
//! exactly that, with the heap's figures.

use crate::addr::PhysAddr;
use crate::sync::SpinLock;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};
use linked_list_allocator::Heap;

struct KernelHeap {
    heap: SpinLock<Heap>,
    /// Heads of the free lists of small blocks, one per size class; each free block
    /// holds the address of the next in its first word.
    classes: SpinLock<[usize; CLASSES]>,
}

/// Size classes 16, 32, ..., 2048 bytes.
const CLASSES: usize = 8;
const MIN_CLASS: usize = 16;
const MAX_SMALL: usize = MIN_CLASS << (CLASSES - 1);
static CACHED_BYTES: AtomicU64 = AtomicU64::new(0);

/// The class index and block size for a layout, if it is small.
fn class_of(layout: Layout) -> Option<(usize, usize)> {
    let size = layout.size().max(layout.align()).max(MIN_CLASS);
    if size > MAX_SMALL {
        return None;
    }
    let block = size.next_power_of_two();
    Some(((block / MIN_CLASS).trailing_zeros() as usize, block))
}

static FAILED_REQUEST: AtomicU64 = AtomicU64::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

#[cfg_attr(dinos_kernel, global_allocator)]
static HEAP: KernelHeap = KernelHeap {
    heap: SpinLock::new(Heap::empty()),
    classes: SpinLock::new([0; CLASSES]),
};

// SAFETY: every allocation is served by `Heap` under its lock, or is a block of a size
// class that `Heap` handed out earlier with that class's size and alignment and that was
// freed back to the class list; a block is on at most one list, and only while free.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let class = class_of(layout);
        if let Some((c, block)) = class {
            let mut lists = self.classes.lock();
            let head = lists[c];
            if head != 0 {
                // SAFETY: `head` is a free block of this class (see the impl comment); its
                // first word is the next free block's address, written by dealloc.
                lists[c] = unsafe { core::ptr::read(head as *const usize) };
                CACHED_BYTES.fetch_sub(block as u64, Ordering::Relaxed);
                ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
                drop(lists);
                crate::heaptrack::on_alloc(head as *mut u8, block);
                return head as *mut u8;
            }
        }
        let real = match class {
            // A small block is allocated with its class's size and alignment, so any later
            // request of the class can reuse it.
            Some((_, block)) => Layout::from_size_align(block, block).unwrap_or(layout),
            None => layout,
        };
        let result = self.heap.lock().allocate_first_fit(real);
        match result {
            Ok(p) => {
                ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
                crate::heaptrack::on_alloc(p.as_ptr(), real.size());
                p.as_ptr()
            }
            Err(()) => {
                // Not reported here: a fallible allocation (try_reserve) may recover. If
                // it was not fallible, the panic handler reports it with these figures.
                FAILED_REQUEST.store(layout.size() as u64, Ordering::Relaxed);
                core::ptr::null_mut()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(p) = NonNull::new(ptr) else { return };
        ALLOCATIONS.fetch_sub(1, Ordering::Relaxed);
        crate::heaptrack::on_free(ptr);
        if let Some((c, block)) = class_of(layout) {
            let mut lists = self.classes.lock();
            // SAFETY: `ptr` is a block of this class being freed (GlobalAlloc's contract:
            // it came from `alloc` with this layout), at least 16 bytes and aligned, and
            // no longer used by its owner: it becomes the head of the class list.
            unsafe { core::ptr::write(ptr as *mut usize, lists[c]) };
            lists[c] = ptr as usize;
            CACHED_BYTES.fetch_add(block as u64, Ordering::Relaxed);
            return;
        }
        // SAFETY: `ptr` came from `alloc` with this layout (GlobalAlloc's contract), and
        // large layouts are passed to `Heap` unchanged.
        unsafe { self.heap.lock().deallocate(p, layout) };
    }
}

/// The size of the last allocation the heap could not satisfy (0 if none).
pub fn last_failed_request() -> u64 {
    FAILED_REQUEST.load(Ordering::Relaxed)
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
    // Blocks waiting on the size-class lists are free memory too.
    let cached = CACHED_BYTES.load(Ordering::Relaxed) as usize;
    HeapStats {
        size: h.size(),
        used: h.used() - cached,
        free: h.free() + cached,
        allocations: ALLOCATIONS.load(Ordering::Relaxed),
    }
}

/// The heap's physical range, set once at boot and read on every frame check (so no
/// lock: two words written before any frame is handed out, read after).
static RANGE_START: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
static RANGE_END: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Is physical frame `f` inside the heap's memory?
pub fn contains(f: PhysAddr) -> bool {
    use core::sync::atomic::Ordering::Relaxed;
    let (s, e) = (RANGE_START.load(Relaxed), RANGE_END.load(Relaxed));
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
    RANGE_START.store(start.as_u64(), core::sync::atomic::Ordering::Relaxed);
    RANGE_END.store(start.as_u64() + len, core::sync::atomic::Ordering::Relaxed);
    let mut h = HEAP.heap.lock();
    assert!(h.size() == 0, "heap initialised twice");
    // SAFETY: the range is usable RAM (checked above), mapped writable in the direct map,
    // and the caller (mm) removes it from the frame allocator, so it is ours alone.
    unsafe { h.init(start.to_virt().as_u64() as *mut u8, len as usize) };
}
