//! The heap: a first-fit free list over memory taken from the kernel with `brk`.
//!
//! The free-list bookkeeping is `linked_list_allocator::Heap` (the same crate the kernel
//! heap uses): free blocks form an address-ordered list kept inside the free memory
//! itself, neighbours merge on free, allocation takes the first block that fits. This
//! module adds only the growth policy: when no block fits, move the program break up by
//! at least [`GROW_STEP`] (rounded to whole pages) and hand the new bytes to the list.
//! The break only ever grows: freed memory is reused, never returned to the kernel.
//!
//! The heap is one spinlock-protected structure. A dinos process has one thread, so the
//! lock is never contended, but a signal handler that allocates while the interrupted
//! code is inside the allocator would wait forever: handlers must not allocate.

use core::alloc::Layout;
use linked_list_allocator::Heap;
use spinning_top::Spinlock;

/// The least the break moves at a time.
pub const GROW_STEP: usize = 64 * 1024;
const PAGE: usize = 4096;

/// How many bytes to add to a heap so that an allocation of `layout` fits: the request
/// plus room for alignment and the list's bookkeeping, rounded up to whole pages, and
/// never less than [`GROW_STEP`]. `None` on overflow.
pub fn grow_size(layout: Layout) -> Option<usize> {
    let need = layout.size().checked_add(layout.align())?.checked_add(64)?;
    let pages = need.checked_add(PAGE - 1)? / PAGE * PAGE;
    Some(pages.max(GROW_STEP))
}

/// Heap usage figures, for programs that report their own memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes taken from the kernel.
    pub size: usize,
    /// Bytes handed out and not yet freed.
    pub used: usize,
}

static HEAP: Spinlock<Heap> = Spinlock::new(Heap::empty());

/// The heap's current figures.
pub fn stats() -> Stats {
    let h = HEAP.lock();
    Stats {
        size: h.size(),
        used: h.used(),
    }
}

#[cfg(not(test))]
mod global {
    #![allow(unsafe_code)]

    use super::{grow_size, HEAP};
    use core::alloc::{GlobalAlloc, Layout};
    use core::ptr::{null_mut, NonNull};
    use linked_list_allocator::Heap;

    struct BrkAllocator;

    #[global_allocator]
    static ALLOCATOR: BrkAllocator = BrkAllocator;

    /// Move the break so the heap gains room for `layout`; false if the kernel refuses.
    fn grow(heap: &mut Heap, layout: Layout) -> bool {
        let Some(by) = grow_size(layout) else {
            return false;
        };
        let start = if heap.size() == 0 {
            match crate::sys::brk(0) {
                Ok(b) => (b + 15) & !15,
                Err(_) => return false,
            }
        } else {
            heap.top() as usize
        };
        let Some(end) = start.checked_add(by) else {
            return false;
        };
        match crate::sys::brk(end) {
            Ok(now) if now >= end => {}
            _ => return false,
        }
        if heap.size() == 0 {
            // SAFETY: [start, end) was just given to this process by brk, is used by
            // nothing else (only this allocator moves the break), and lives forever.
            unsafe { heap.init(start as *mut u8, by) }
        } else {
            // SAFETY: the break grew by `by` bytes right after the heap's top, so the
            // new memory continues the heap's region and is owned by nothing else.
            unsafe { heap.extend(by) }
        }
        true
    }

    // SAFETY: blocks come from linked_list_allocator, which returns non-overlapping
    // blocks of the requested layout from memory it owns; `dealloc` hands back exactly
    // what `alloc` gave, as GlobalAlloc's contract promises.
    unsafe impl GlobalAlloc for BrkAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let mut heap = HEAP.lock();
            loop {
                if let Ok(p) = heap.allocate_first_fit(layout) {
                    return p.as_ptr();
                }
                if !grow(&mut heap, layout) {
                    return null_mut();
                }
            }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            if let Some(p) = NonNull::new(ptr) {
                // SAFETY: the caller returns a block this allocator gave with `layout`.
                unsafe { HEAP.lock().deallocate(p, layout) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_requests_grow_by_the_step_and_large_ones_by_whole_pages() {
        let l = |size, align| Layout::from_size_align(size, align).unwrap();
        assert_eq!(grow_size(l(1, 1)), Some(GROW_STEP));
        assert_eq!(grow_size(l(GROW_STEP, 8)), Some(GROW_STEP + PAGE));
        let big = grow_size(l(1 << 20, 4096)).unwrap();
        assert!(big >= (1 << 20) + 4096 && big.is_multiple_of(PAGE));
    }

    #[test]
    fn a_heap_grown_in_steps_serves_a_request_larger_than_its_first_step() {
        // The growth policy against the real free list, over a static arena standing in
        // for the break.
        static mut ARENA: [u8; 4 * GROW_STEP] = [0; 4 * GROW_STEP];
        let mut heap = Heap::empty();
        let base = core::ptr::addr_of_mut!(ARENA) as *mut u8;
        let layout = Layout::from_size_align(GROW_STEP + 100, 16).unwrap();
        #[allow(unsafe_code)]
        // SAFETY: the arena is used by this test only.
        unsafe {
            heap.init(base, GROW_STEP);
            assert!(heap.allocate_first_fit(layout).is_err());
            heap.extend(grow_size(layout).unwrap());
        }
        assert!(heap.allocate_first_fit(layout).is_ok());
    }
}
