//! A cache of parsed inodes, so that asking for an inode twice parses it once.
//!
//! Every name operation reads the inode of the directory it works in, `stat` reads
//! the inode it reports, and ext2's own checks read both again: a file creation
//! used to find and parse an inode-table entry about ten times. The design
//! decision: the cache is *write-through* and *direct-mapped*. Every change to an
//! inode is stored into its inode-table block (in the block cache) and into the
//! cache in the same call, so the cache never holds anything the block cache does
//! not, and `sync` has nothing extra to write; and inode `n` can only live in one
//! *set* of two slots, `n mod SETS`, so a lookup is one index and at most two
//! comparisons, and the memory is fixed at mount (no growth, nothing to leak).
//! Two ways, not one: a direct-mapped cache let the inodes every walk needs
//! (the root, the directory being worked in) be pushed out by whichever new file's
//! number happened to share their slot, and each later walk parsed them again
//! (single-stepped: two inode parses, ~650 instructions, in every `lstat` of an
//! `ls -l` of 1,000 files). A set keeps the one of its two inodes used last.

use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;

use crate::inode::Inode;

/// Slots in the cache (a power of two): 2,048 inodes, about 256 KiB.
pub const SLOTS: usize = 2048;

/// Sets of two slots.
const SETS: usize = SLOTS / 2;

/// One set: two (inode number, inode) slots; inode 0 (never valid) marks an empty
/// slot. `recent` is the way used last, so a new inode replaces the other.
#[derive(Clone)]
struct Set {
    ways: [(u32, Inode); 2],
    recent: Cell<u8>,
}

/// Parsed inodes by number.
pub(crate) struct InodeCache {
    sets: Vec<Set>,
}

impl InodeCache {
    pub fn new() -> InodeCache {
        let empty = Set {
            ways: [(0, Inode::default()), (0, Inode::default())],
            recent: Cell::new(0),
        };
        InodeCache {
            sets: vec![empty; SETS],
        }
    }

    fn set(ino: u32) -> usize {
        ino as usize & (SETS - 1)
    }

    /// The way of `set` holding inode `ino`, if any.
    fn way(set: &Set, ino: u32) -> Option<usize> {
        if ino == 0 {
            None
        } else if set.ways[0].0 == ino {
            Some(0)
        } else if set.ways[1].0 == ino {
            Some(1)
        } else {
            None
        }
    }

    /// Inode `ino` as last read or written, if cached.
    pub fn get(&self, ino: u32) -> Option<&Inode> {
        let set = &self.sets[Self::set(ino)];
        let w = Self::way(set, ino)?;
        set.recent.set(w as u8);
        Some(&set.ways[w].1)
    }

    /// Remembers `inode` as inode `ino`, in its own slot if it has one, else in
    /// the one of its set used less recently (whose inode is forgotten).
    pub fn put(&mut self, ino: u32, inode: &Inode) {
        let set = &mut self.sets[Self::set(ino)];
        let w = Self::way(set, ino).unwrap_or(1 - set.recent.get() as usize);
        set.recent.set(w as u8);
        set.ways[w].0 = ino;
        set.ways[w].1.clone_from(inode);
    }

    /// Forgets inode `ino`, if cached.
    pub fn forget(&mut self, ino: u32) {
        let set = &mut self.sets[Self::set(ino)];
        if let Some(w) = Self::way(set, ino) {
            set.ways[w].0 = 0;
        }
    }

    /// Forgets every inode (the memory stays: it is fixed).
    pub fn clear(&mut self) {
        for set in &mut self.sets {
            set.ways[0].0 = 0;
            set.ways[1].0 = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(size: u64) -> Inode {
        Inode {
            size,
            ..Inode::default()
        }
    }

    #[test]
    fn a_set_holds_the_last_two_inodes_and_keeps_the_one_used_last() {
        let mut c = InodeCache::new();
        assert!(c.get(5).is_none());
        assert!(c.get(0).is_none(), "inode 0 is never cached");
        let (a, b, d) = (5, 5 + SETS as u32, 5 + 2 * SETS as u32);
        c.put(a, &sized(100));
        c.put(b, &sized(7));
        assert_eq!(c.get(a).map(|i| i.size), Some(100));
        assert_eq!(c.get(b).map(|i| i.size), Some(7));
        // `a` used last: a third inode of the set pushes `b` out, not `a`.
        assert!(c.get(a).is_some());
        c.put(d, &sized(9));
        assert!(c.get(b).is_none());
        assert_eq!(c.get(a).map(|i| i.size), Some(100));
        assert_eq!(c.get(d).map(|i| i.size), Some(9));
        // Putting a cached inode again replaces it in place.
        c.put(d, &sized(10));
        assert_eq!(c.get(d).map(|i| i.size), Some(10));
        assert_eq!(c.get(a).map(|i| i.size), Some(100));
        c.forget(b); // not there: nothing happens
        assert!(c.get(a).is_some() && c.get(d).is_some());
        c.forget(a);
        assert!(c.get(a).is_none());
        assert!(c.get(d).is_some());
        c.put(9, &sized(1));
        c.clear();
        assert!(c.get(9).is_none() && c.get(d).is_none());
    }
}
