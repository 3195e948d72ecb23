//! The name cache (Linux's dentries): (directory, name) -> inode, or "no such
//! name", so a path walk and `stat` do not ask the file system again for names
//! they have seen.
//!
//! Every file-management call starts with a path walk, and a walk asks each
//! directory on the way for one name; without a cache, `ls -l` of a directory
//! looks every entry's name up in a file system that, for ext2, may have to read
//! the directory's blocks to answer. The design decision: the cache is *exact*,
//! not a hint. It holds only answers a file system gave (a lookup's inode, or its
//! `ENOENT` as a *negative* entry), and the [`Vfs`](crate::Vfs) changes or drops
//! the entries of every name an operation touches, in the same call, after the
//! file system has answered: create, mkdir, mknod, symlink and link record the new
//! name, unlink and rmdir record its absence, rename forgets both names (or moves
//! the entry), a removed or replaced directory and every newly made inode lose
//! every entry below them (their inode number may be reused), umount forgets the
//! mount, drop_caches forgets everything. File systems change names only through
//! those calls (the [`FileSystem`](crate::FileSystem) contract), so a cached
//! answer is always the one the file system would give. `.` and `..` are never
//! cached: the walk answers `.` itself, and `..` changes when a directory moves.
//! The cache is bounded ([`BUDGET`] bytes, names plus a fixed cost each); when it
//! is full, the least recently used half goes, the block cache's policy.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use fs::namemap::NameMap;

use crate::mount::NodeRef;

/// Most bytes the cache may take: each entry costs its name plus [`PER_ENTRY`].
pub const BUDGET: usize = 1 << 20;

/// Bookkeeping bytes charged per entry besides the name.
pub const PER_ENTRY: usize = 64;

struct Slot {
    /// The inode the name refers to; `None` for a name known not to exist.
    ino: Option<u64>,
    last_use: u64,
}

/// What the cache knows of one name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cached {
    /// The name refers to this inode (of the directory's file system).
    Inode(u64),
    /// The directory has no such name.
    Absent,
    /// The cache does not know: ask the file system.
    Unknown,
}

/// The cache: per directory, its names.
pub struct NameCache {
    dirs: BTreeMap<NodeRef, NameMap<Slot>>,
    cost: usize,
    clock: u64,
    budget: usize,
}

fn cost(name: &[u8]) -> usize {
    name.len() + PER_ENTRY
}

impl Default for NameCache {
    fn default() -> Self {
        NameCache::with_budget(BUDGET)
    }
}

impl NameCache {
    /// An empty cache of at most `budget` bytes.
    pub fn with_budget(budget: usize) -> NameCache {
        NameCache {
            dirs: BTreeMap::new(),
            cost: 0,
            clock: 0,
            budget,
        }
    }

    /// What is known of `name` in `dir`.
    pub fn get(&mut self, dir: NodeRef, name: &[u8]) -> Cached {
        self.clock += 1;
        let Some(slot) = self.dirs.get_mut(&dir).and_then(|d| d.get_mut(name)) else {
            return Cached::Unknown;
        };
        slot.last_use = self.clock;
        match slot.ino {
            Some(ino) => Cached::Inode(ino),
            None => Cached::Absent,
        }
    }

    /// Records that `name` in `dir` refers to `ino` (`None`: does not exist).
    pub fn insert(&mut self, dir: NodeRef, name: &[u8], ino: Option<u64>) {
        if name == b"." || name == b".." {
            return;
        }
        self.clock += 1;
        let slot = Slot {
            ino,
            last_use: self.clock,
        };
        let names = self.dirs.entry(dir).or_default();
        if names.insert(name, slot).is_none() {
            self.cost += cost(name);
            if self.cost > self.budget {
                self.evict();
            }
        }
    }

    /// Forgets `name` in `dir`.
    pub fn remove(&mut self, dir: NodeRef, name: &[u8]) {
        if let Some(d) = self.dirs.get_mut(&dir) {
            if d.remove(name).is_some() {
                self.cost -= cost(name);
                if d.is_empty() {
                    self.dirs.remove(&dir);
                }
            }
        }
    }

    /// Forgets every name in directory `dir` (it was removed, replaced, or its
    /// inode number now names a new node).
    pub fn forget_dir(&mut self, dir: NodeRef) {
        if let Some(d) = self.dirs.remove(&dir) {
            self.cost -= d.iter().map(|(n, _)| cost(n)).sum::<usize>();
        }
    }

    /// Forgets every name on mount `id` (it is unmounted).
    pub fn forget_mount(&mut self, id: u32) {
        let gone: Vec<NodeRef> = self
            .dirs
            .keys()
            .filter(|d| d.mount == id)
            .copied()
            .collect();
        for d in gone {
            self.forget_dir(d);
        }
    }

    /// Forgets everything; returns how many entries there were.
    pub fn clear(&mut self) -> usize {
        let n = self.len();
        self.dirs.clear();
        self.cost = 0;
        n
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.dirs.values().map(|d| d.len()).sum()
    }

    /// Bytes charged now (at most the budget).
    #[cfg(test)]
    pub fn cost(&self) -> usize {
        self.cost
    }

    /// Drops the least recently used half of the entries.
    fn evict(&mut self) {
        let mut ages: Vec<u64> = self
            .dirs
            .values()
            .flat_map(|d| d.iter().map(|(_, s)| s.last_use))
            .collect();
        let half = ages.len() / 2;
        let (_, &mut cut, _) = ages.select_nth_unstable(half);
        let mut cost = 0;
        self.dirs.retain(|_, d| {
            d.retain(|name, s| {
                let keep = s.last_use > cut;
                if keep {
                    cost += self::cost(name);
                }
                keep
            });
            !d.is_empty()
        });
        self.cost = cost;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: NodeRef = NodeRef { mount: 1, ino: 2 };
    const E: NodeRef = NodeRef { mount: 1, ino: 3 };

    #[test]
    fn positive_negative_and_unknown_answers() {
        let mut c = NameCache::default();
        assert_eq!(c.get(D, b"a"), Cached::Unknown);
        c.insert(D, b"a", Some(7));
        c.insert(D, b"b", None);
        assert_eq!(c.get(D, b"a"), Cached::Inode(7));
        assert_eq!(c.get(D, b"b"), Cached::Absent);
        assert_eq!(c.get(E, b"a"), Cached::Unknown, "names are per directory");
        c.insert(D, b"..", Some(1));
        assert_eq!(c.get(D, b".."), Cached::Unknown, "dots are never cached");
        c.remove(D, b"a");
        assert_eq!(c.get(D, b"a"), Cached::Unknown);
        assert_eq!(c.cost(), cost(b"b"));
    }

    #[test]
    fn forgetting_a_directory_or_a_mount() {
        let mut c = NameCache::default();
        c.insert(D, b"a", Some(7));
        c.insert(E, b"a", Some(8));
        c.insert(NodeRef { mount: 2, ino: 2 }, b"x", None);
        c.forget_dir(D);
        assert_eq!(c.get(D, b"a"), Cached::Unknown);
        assert_eq!(c.get(E, b"a"), Cached::Inode(8));
        c.forget_mount(1);
        assert_eq!(c.len(), 1);
        assert_eq!(c.clear(), 1);
        assert!(c.len() == 0 && c.cost() == 0);
    }

    #[test]
    fn the_budget_keeps_the_recently_used_half() {
        let budget = 100 * cost(b"name0000");
        let mut c = NameCache::with_budget(budget);
        for i in 0..100 {
            c.insert(D, alloc::format!("name{i:04}").as_bytes(), Some(i));
        }
        assert_eq!(c.len(), 100);
        assert_eq!(c.get(D, b"name0003"), Cached::Inode(3)); // used again: young
        c.insert(D, b"name0100", Some(100)); // over budget: the old half goes
        assert!(c.cost() <= budget && c.len() <= 51, "{} entries", c.len());
        assert_eq!(c.get(D, b"name0003"), Cached::Inode(3));
        assert_eq!(c.get(D, b"name0100"), Cached::Inode(100));
        assert_eq!(c.get(D, b"name0004"), Cached::Unknown);
        for i in 0..100_000u64 {
            c.insert(E, alloc::format!("n{i}").as_bytes(), None);
            assert!(c.cost() <= budget);
        }
    }
}
