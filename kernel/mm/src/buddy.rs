//! The buddy allocator for physical frames (pure bookkeeping, tested on the host).
//!
//! Free memory is kept as blocks of 2^order frames, each aligned to its own size. To
//! allocate order k, take a free block of the smallest order >= k and split it in halves
//! ("buddies") until it has order k. To free, look for the block's buddy (the address
//! with bit `order` flipped); while it is free too, merge the two into the block of the
//! next order. Merging is what keeps large contiguous blocks available.
//!
//! The design decision: the free lists are ordered sets kept *outside* the frames (in the
//! kernel heap) rather than intrusive lists written into the free frames. Finding and
//! removing a buddy is then O(log n) with no raw writes into physical memory, and the
//! whole allocator is ordinary code that `cargo test` checks.

use alloc::collections::BTreeSet;

/// Largest block: 2^MAX_ORDER frames (4 MiB with 4 KiB frames).
pub const MAX_ORDER: usize = 10;

/// Frame counts by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BuddyStats {
    pub total_frames: u64,
    pub free_frames: u64,
    /// Free blocks per order.
    pub free_blocks: [u64; MAX_ORDER + 1],
}

/// A buddy allocator over frame numbers (physical address / 4096).
pub struct Buddy {
    free: [BTreeSet<u64>; MAX_ORDER + 1],
    total: u64,
    free_frames: u64,
}

impl Default for Buddy {
    fn default() -> Self {
        Self::new()
    }
}

impl Buddy {
    pub const fn new() -> Self {
        Buddy {
            free: [const { BTreeSet::new() }; MAX_ORDER + 1],
            total: 0,
            free_frames: 0,
        }
    }

    /// Give the allocator the frames `[start, start + count)`.
    pub fn add_range(&mut self, start: u64, count: u64) {
        let end = start + count;
        let mut f = start;
        while f < end {
            // The largest block that is aligned at f and fits before end.
            let mut order = MAX_ORDER;
            while order > 0 && (!f.is_multiple_of(1 << order) || f + (1 << order) > end) {
                order -= 1;
            }
            self.total += 1 << order;
            self.release(f, order);
            f += 1 << order;
        }
    }

    /// Allocate 2^order contiguous frames; returns the first frame number.
    pub fn alloc(&mut self, order: usize) -> Option<u64> {
        if order > MAX_ORDER {
            return None;
        }
        let from = (order..=MAX_ORDER).find(|&o| !self.free[o].is_empty())?;
        let block = self.free[from].pop_first()?;
        // Split down to the wanted order, freeing the upper halves.
        for o in (order..from).rev() {
            self.free[o].insert(block + (1 << o));
        }
        self.free_frames -= 1 << order;
        Some(block)
    }

    /// Free the block of 2^order frames at `frame` (as returned by `alloc(order)`).
    pub fn free(&mut self, frame: u64, order: usize) {
        assert!(
            order <= MAX_ORDER && frame.is_multiple_of(1 << order),
            "bad free"
        );
        self.release(frame, order);
    }

    /// Is any frame of the block already inside a free block?
    fn is_free(&self, frame: u64, order: usize) -> bool {
        (order..=MAX_ORDER).any(|o| self.free[o].contains(&(frame & !((1 << o) - 1))))
            || (0..order).any(|o| {
                self.free[o]
                    .range(frame..frame + (1 << order))
                    .next()
                    .is_some()
            })
    }

    fn release(&mut self, mut frame: u64, mut order: usize) {
        assert!(
            !self.is_free(frame, order),
            "double free of frame {frame:#x}"
        );
        self.free_frames += 1 << order;
        while order < MAX_ORDER {
            let buddy = frame ^ (1 << order);
            if !self.free[order].remove(&buddy) {
                break;
            }
            frame = frame.min(buddy);
            order += 1;
        }
        self.free[order].insert(frame);
    }

    pub fn stats(&self) -> BuddyStats {
        let mut free_blocks = [0; MAX_ORDER + 1];
        for (o, set) in self.free.iter().enumerate() {
            free_blocks[o] = set.len() as u64;
        }
        BuddyStats {
            total_frames: self.total,
            free_frames: self.free_frames,
            free_blocks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_range_becomes_maximal_blocks() {
        let mut b = Buddy::new();
        b.add_range(0, 2048);
        let s = b.stats();
        assert_eq!(s.total_frames, 2048);
        assert_eq!(s.free_blocks[MAX_ORDER], 2);
        assert_eq!(s.free_frames, 2048);
    }

    #[test]
    fn unaligned_range_is_split_into_aligned_blocks() {
        let mut b = Buddy::new();
        b.add_range(3, 10); // 3, 4-7, 8-11, 12
        let s = b.stats();
        assert_eq!(s.total_frames, 10);
        assert_eq!(s.free_blocks[0], 2);
        assert_eq!(s.free_blocks[2], 2);
    }

    #[test]
    fn allocation_splits_and_free_merges_back() {
        let mut b = Buddy::new();
        b.add_range(0, 1024);
        let before = b.stats();
        let a = b.alloc(0).unwrap();
        let c = b.alloc(3).unwrap();
        assert!(a < 1024, "frame {a} outside the range given");
        assert_eq!(c % 8, 0);
        assert_eq!(b.stats().free_frames, 1024 - 9);
        b.free(a, 0);
        b.free(c, 3);
        assert_eq!(b.stats(), before, "everything merges back to one block");
    }

    #[test]
    fn allocations_never_overlap_and_exhaustion_returns_none() {
        let mut b = Buddy::new();
        b.add_range(100, 300);
        let mut got = std::vec::Vec::new();
        while let Some(f) = b.alloc(0) {
            got.push(f);
        }
        assert_eq!(got.len(), 300);
        got.sort();
        got.dedup();
        assert_eq!(got.len(), 300);
        assert!(got.iter().all(|&f| (100..400).contains(&f)));
        assert_eq!(b.alloc(0), None);
    }

    #[test]
    fn order_beyond_max_is_refused() {
        let mut b = Buddy::new();
        b.add_range(0, 4096);
        assert_eq!(b.alloc(MAX_ORDER + 1), None);
    }

    #[test]
    #[should_panic(expected = "double free")]
    fn double_free_is_caught() {
        let mut b = Buddy::new();
        b.add_range(0, 2);
        let f = b.alloc(0).unwrap();
        b.free(f, 0);
        b.free(f, 0);
    }

    #[test]
    fn random_alloc_free_keeps_counts_consistent() {
        let mut b = Buddy::new();
        b.add_range(7, 5000);
        let mut live: std::vec::Vec<(u64, usize)> = std::vec::Vec::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if !x.is_multiple_of(3) || live.is_empty() {
                let order = (x >> 8) as usize % 5;
                if let Some(f) = b.alloc(order) {
                    live.push((f, order));
                }
            } else {
                let (f, o) = live.swap_remove((x >> 16) as usize % live.len());
                b.free(f, o);
            }
            let used: u64 = live.iter().map(|&(_, o)| 1u64 << o).sum();
            assert_eq!(b.stats().free_frames + used, 5000);
        }
        for (f, o) in live.drain(..) {
            b.free(f, o);
        }
        assert_eq!(b.stats().free_frames, 5000);
    }
}
