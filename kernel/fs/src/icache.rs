//! A cache of parsed inodes, so that asking for an inode twice parses it once.
//!
//! Every name operation reads the inode of the directory it works in, `stat` reads
//! the inode it reports, and ext2's own checks read both again: a file creation
//! used to find and parse an inode-table entry about ten times. The design
//! decision: the cache is *write-through* and *direct-mapped*. Every change to an
//! inode is stored into its inode-table block (in the block cache) and into the
//! cache in the same call, so the cache never holds anything the block cache does
//! not, and `sync` has nothing extra to write; and inode `n` can only live in slot
//! `n mod SLOTS`, so a lookup is one index and one comparison, the memory is fixed
//! at mount (no growth, nothing to leak), and consecutive inode numbers (what the
//! allocator hands out for files made together) never push each other out.

use alloc::vec;
use alloc::vec::Vec;

use crate::inode::Inode;

/// Slots in the cache (a power of two): 2,048 inodes, about 256 KiB.
pub const SLOTS: usize = 2048;

/// Parsed inodes by number; inode 0 (never valid) marks an empty slot.
pub(crate) struct InodeCache {
    slots: Vec<(u32, Inode)>,
}

impl InodeCache {
    pub fn new() -> InodeCache {
        InodeCache {
            slots: vec![(0, Inode::default()); SLOTS],
        }
    }

    fn slot(ino: u32) -> usize {
        ino as usize & (SLOTS - 1)
    }

    /// Inode `ino` as last read or written, if cached.
    pub fn get(&self, ino: u32) -> Option<&Inode> {
        let (n, inode) = &self.slots[Self::slot(ino)];
        (*n == ino && ino != 0).then_some(inode)
    }

    /// Remembers `inode` as inode `ino` (whatever held its slot is forgotten).
    pub fn put(&mut self, ino: u32, inode: &Inode) {
        let s = &mut self.slots[Self::slot(ino)];
        s.0 = ino;
        s.1.clone_from(inode);
    }

    /// Forgets inode `ino`, if cached.
    pub fn forget(&mut self, ino: u32) {
        let s = &mut self.slots[Self::slot(ino)];
        if s.0 == ino {
            s.0 = 0;
        }
    }

    /// Forgets every inode (the memory stays: it is fixed).
    pub fn clear(&mut self) {
        for s in &mut self.slots {
            s.0 = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_holds_the_last_inode_put_and_only_that_one() {
        let mut c = InodeCache::new();
        assert!(c.get(5).is_none());
        assert!(c.get(0).is_none(), "inode 0 is never cached");
        let a = Inode {
            size: 100,
            ..Inode::default()
        };
        c.put(5, &a);
        assert_eq!(c.get(5).map(|i| i.size), Some(100));
        let b = Inode {
            size: 7,
            ..Inode::default()
        };
        // Inode 5 + SLOTS shares the slot and pushes 5 out.
        c.put(5 + SLOTS as u32, &b);
        assert!(c.get(5).is_none());
        assert_eq!(c.get(5 + SLOTS as u32).map(|i| i.size), Some(7));
        c.forget(5); // not there: nothing happens
        assert!(c.get(5 + SLOTS as u32).is_some());
        c.forget(5 + SLOTS as u32);
        assert!(c.get(5 + SLOTS as u32).is_none());
        c.put(9, &a);
        c.clear();
        assert!(c.get(9).is_none());
    }
}
