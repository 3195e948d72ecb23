//! An in-memory index of each large directory: name -> where its entry is, and
//! per block how big a new entry that block can take.
//!
//! An ext2 directory without htree is an unordered chain of entries, so finding a
//! name, or room for a new one, means reading every block: in a directory of
//! 10,000 files each create or delete would parse some 300 blocks. The index turns
//! both into a tree lookup. The design decision: the index is a *cache*, never the
//! truth. It is built from the blocks the first time a name operation needs it,
//! every change this crate makes to a directory block updates it in the same call
//! (entries never move once written: adding splits slack, removing merges into
//! the previous entry, so a recorded offset stays valid), it is forgotten when the
//! directory is freed and by `drop_caches`, and the total it holds is bounded
//! ([`INDEX_BUDGET`] bytes; the least recently used directory goes first). The disk
//! format is untouched: plain linear directories, which e2fsck and Linux read as
//! they always did, and the first-fit choice of where a new entry goes is the one
//! a scan of the blocks would make, so the disk contents are the same with or
//! without the index.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::dir::{rec_size, RawEntry};
use crate::namemap::NameMap;

/// Most bytes all directory indexes together may take (names plus a fixed cost
/// per name). A directory whose index alone would not fit is not indexed: it is
/// scanned as before.
pub const INDEX_BUDGET: usize = 4 << 20;

/// Bookkeeping bytes charged per indexed name besides its own bytes (the tree
/// node's share, the key's box, the location).
const PER_NAME: usize = 48;

/// Directories smaller than this many blocks are scanned: an index would cost
/// more to build and keep than the scan it saves.
pub const MIN_INDEXED_BLOCKS: u64 = 2;

/// Where one name's entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Loc {
    /// The directory's logical block holding the entry.
    pub lblk: u32,
    /// The entry's byte offset in that block.
    pub off: u16,
    /// The inode the name refers to.
    pub ino: u32,
}

/// The index of one directory.
pub(crate) struct DirIndex {
    names: NameMap<Loc>,
    /// Per logical block: the longest record a new entry could take there.
    room: Vec<u16>,
    /// Bytes charged against [`INDEX_BUDGET`].
    cost: usize,
    last_use: u64,
}

/// The largest record a new entry could take in a block with `entries`: a free
/// entry's whole length, or the slack after a used entry's name.
pub(crate) fn block_room(entries: &[RawEntry]) -> u16 {
    entries
        .iter()
        .map(|e| {
            if e.ino == 0 {
                e.rec_len
            } else {
                e.rec_len - rec_size(e.name_len)
            }
        })
        .max()
        .unwrap_or(0) as u16
}

fn name_cost(name: &[u8]) -> usize {
    name.len() + PER_NAME
}

impl DirIndex {
    /// An empty index, to be filled block by block with [`DirIndex::add_block`].
    pub fn new() -> DirIndex {
        DirIndex {
            names: NameMap::new(),
            room: Vec::new(),
            cost: 0,
            last_use: 0,
        }
    }

    /// Records logical block `lblk` (the next one: blocks are added in order), whose
    /// bytes are `data` and entries `entries`. A name seen twice (a corrupt
    /// directory) keeps its first entry, the one a scan would find.
    pub fn add_block(&mut self, lblk: u32, data: &[u8], entries: &[RawEntry]) {
        for e in entries.iter().filter(|e| e.ino != 0) {
            let name = e.name(data);
            if !self.names.contains_key(name) {
                self.cost += name_cost(name);
                let loc = Loc {
                    lblk,
                    off: e.off as u16,
                    ino: e.ino,
                };
                self.names.insert(name, loc);
            }
        }
        self.room.push(block_room(entries));
        self.cost += 2;
    }

    /// Where `name` is, if it is in the directory.
    pub fn get(&self, name: &[u8]) -> Option<Loc> {
        self.names.get(name).copied()
    }

    /// The first block that can take a record of `need` bytes.
    pub fn block_with_room(&self, need: usize) -> Option<u32> {
        self.room
            .iter()
            .position(|&r| r as usize >= need)
            .map(|i| i as u32)
    }

    /// A new entry was written.
    pub fn insert(&mut self, name: &[u8], loc: Loc) {
        if self.names.insert(name, loc).is_none() {
            self.cost += name_cost(name);
        }
    }

    /// An entry was removed.
    pub fn remove(&mut self, name: &[u8]) {
        if self.names.remove(name).is_some() {
            self.cost -= name_cost(name);
        }
    }

    /// An entry now names another inode.
    pub fn retarget(&mut self, name: &[u8], ino: u32) {
        if let Some(loc) = self.names.get_mut(name) {
            loc.ino = ino;
        }
    }

    /// Block `lblk` changed: `room` is what it can take now; a block past the end
    /// was appended.
    pub fn set_room(&mut self, lblk: u32, room: u16) {
        match self.room.get_mut(lblk as usize) {
            Some(r) => *r = room,
            None => {
                self.room.push(room);
                self.cost += 2;
            }
        }
    }
}

/// Every directory's index, under one budget.
pub(crate) struct DirIndexes {
    dirs: BTreeMap<u32, DirIndex>,
    clock: u64,
}

impl DirIndexes {
    pub fn new() -> DirIndexes {
        DirIndexes {
            dirs: BTreeMap::new(),
            clock: 0,
        }
    }

    /// The index of directory `ino`, if one is kept, marked as just used.
    pub fn get_mut(&mut self, ino: u32) -> Option<&mut DirIndex> {
        self.clock += 1;
        let ix = self.dirs.get_mut(&ino)?;
        ix.last_use = self.clock;
        Some(ix)
    }

    /// Keeps `ix` as the index of directory `ino`, first forgetting least recently
    /// used indexes until the budget has room; an index larger than the whole
    /// budget is not kept (false).
    pub fn insert(&mut self, ino: u32, mut ix: DirIndex) -> bool {
        self.forget(ino);
        if ix.cost > INDEX_BUDGET {
            return false;
        }
        while self.cost() + ix.cost > INDEX_BUDGET {
            let Some(oldest) = self
                .dirs
                .iter()
                .min_by_key(|(_, d)| d.last_use)
                .map(|(&i, _)| i)
            else {
                break;
            };
            self.dirs.remove(&oldest);
        }
        self.clock += 1;
        ix.last_use = self.clock;
        self.dirs.insert(ino, ix);
        true
    }

    /// Forgets the index of `ino` (the directory is freed or its blocks changed in a
    /// way the index does not follow).
    pub fn forget(&mut self, ino: u32) {
        self.dirs.remove(&ino);
    }

    /// Forgets every index (drop_caches); returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.dirs.len();
        self.dirs.clear();
        n
    }

    /// Bytes charged now; at most [`INDEX_BUDGET`] after any insert, except
    /// that names added to a kept index may take it a little over until the
    /// next insert evicts.
    pub fn cost(&self) -> usize {
        self.dirs.values().map(|d| d.cost).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(off: usize, ino: u32, rec_len: usize, name_len: usize) -> RawEntry {
        RawEntry {
            off,
            ino,
            rec_len,
            name_len,
            ftype: 1,
        }
    }

    #[test]
    fn room_is_the_largest_free_entry_or_slack_after_a_name() {
        // "a" in 12 bytes (no slack), "bb" in 100 (88 spare), a free 40.
        let e = [
            entry(0, 5, 12, 1),
            entry(12, 6, 100, 2),
            entry(112, 0, 40, 0),
        ];
        assert_eq!(block_room(&e), 88);
        let e = [entry(0, 0, 1024, 0)];
        assert_eq!(block_room(&e), 1024);
    }

    #[test]
    fn first_fit_block_and_name_updates() {
        let mut ix = DirIndex::new();
        let mut data = [0u8; 32];
        data[8] = b'x';
        ix.add_block(0, &data, &[entry(0, 7, 32, 1)]);
        ix.add_block(1, &data, &[entry(0, 0, 32, 0)]);
        assert_eq!(ix.get(b"x").map(|l| l.ino), Some(7));
        assert_eq!(ix.block_with_room(20), Some(0));
        assert_eq!(ix.block_with_room(24), Some(1));
        assert_eq!(ix.block_with_room(40), None);
        ix.retarget(b"x", 9);
        assert_eq!(ix.get(b"x").map(|l| l.ino), Some(9));
        ix.remove(b"x");
        assert_eq!(ix.get(b"x"), None);
        ix.set_room(1, 0);
        ix.set_room(2, 30); // an appended block
        assert_eq!(ix.block_with_room(24), Some(2));
    }

    #[test]
    fn the_budget_evicts_the_least_recently_used_directory() {
        let big = |n: usize| {
            let mut ix = DirIndex::new();
            for i in 0..n {
                let name = alloc::format!("{i:08}");
                ix.insert(
                    name.as_bytes(),
                    Loc {
                        lblk: 0,
                        off: 0,
                        ino: 1,
                    },
                );
            }
            ix
        };
        let per = INDEX_BUDGET / (8 + PER_NAME) / 3;
        let mut all = DirIndexes::new();
        assert!(all.insert(10, big(per)));
        assert!(all.insert(11, big(per)));
        assert!(all.get_mut(10).is_some()); // 11 is now the oldest
        assert!(all.insert(12, big(per + per / 2)));
        assert!(all.get_mut(11).is_none(), "the oldest index was dropped");
        assert!(all.get_mut(10).is_some() && all.get_mut(12).is_some());
        assert!(all.cost() <= INDEX_BUDGET);
        assert!(
            !all.insert(13, big(INDEX_BUDGET / PER_NAME)),
            "too big to keep"
        );
        assert_eq!(all.clear(), 2);
    }
}
