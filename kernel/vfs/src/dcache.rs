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
//!
//! In front of it sits a direct-mapped table of recent answers with short
//! names ([`FRONT`] slots), so a walk's usual step costs one hash, one slot and
//! one comparison instead of two tree searches. It holds only copies of what the
//! tree holds: an insert or a removal rewrites or clears its one slot, and every
//! wider change (forgetting a directory or a mount, eviction, clearing) bumps a
//! generation that empties the table at once.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use fs::namemap::NameMap;

use crate::mount::NodeRef;

/// Most bytes the cache may take: each entry costs its name plus [`PER_ENTRY`].
pub const BUDGET: usize = 1 << 20;

/// Bookkeeping bytes charged per entry besides the name.
pub const PER_ENTRY: usize = 64;

/// Slots of the front table (a power of two). 2,048 (about 200 KiB): with 256,
/// the names of a directory of 1,000 files missed it nearly every time and each
/// `lstat` of an `ls -l` searched the tree (~400 instructions, single-stepped).
pub const FRONT: usize = 2048;

/// Longest name the front table holds; longer ones are looked up in the tree.
const FRONT_NAME: usize = 40;

/// One recent answer: `name` (the first `len` bytes) in `dir` is `ino`.
#[derive(Clone, Copy)]
struct Front {
    dir: NodeRef,
    hash: u64,
    /// Valid only while equal to the cache's generation.
    generation: u64,
    ino: Option<u64>,
    /// Like [`Slot::last_use`], for answers given from here.
    last_use: u64,
    len: u8,
    name: [u8; FRONT_NAME],
}

/// The front table's hash of `name`: eight bytes a step (the name map's FNV-1a
/// takes one), as the table is looked at on every step of every walk.
fn front_hash(name: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = name.len() as u64;
    let mut chunks = name.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let mut w = [0u8; 8];
    let tail = chunks.remainder();
    w[..tail.len()].copy_from_slice(tail);
    h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K);
    h ^ (h >> 32)
}

fn front_index(dir: NodeRef, hash: u64) -> usize {
    let mix = hash ^ dir.ino.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ u64::from(dir.mount);
    (mix ^ (mix >> 29)) as usize & (FRONT - 1)
}

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
    /// Recent answers (see the module comment), indexed by [`front_index`].
    front: Vec<Option<Front>>,
    /// Generation of the front table's valid slots.
    generation: u64,
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
            front: alloc::vec![None; FRONT],
            generation: 0,
            cost: 0,
            clock: 0,
            budget,
        }
    }

    /// What is known of `name` in `dir`.
    pub fn get(&mut self, dir: NodeRef, name: &[u8]) -> Cached {
        let hash = front_hash(name);
        let i = front_index(dir, hash);
        if let Some(f) = &mut self.front[i] {
            if f.generation == self.generation
                && f.hash == hash
                && f.dir == dir
                && f.name[..usize::from(f.len)] == *name
            {
                self.clock += 1;
                f.last_use = self.clock;
                return match f.ino {
                    Some(ino) => Cached::Inode(ino),
                    None => Cached::Absent,
                };
            }
        }
        self.clock += 1;
        let Some(slot) = self.dirs.get_mut(&dir).and_then(|d| d.get_mut(name)) else {
            return Cached::Unknown;
        };
        slot.last_use = self.clock;
        let ino = slot.ino;
        self.set_front(i, dir, hash, name, ino);
        match ino {
            Some(ino) => Cached::Inode(ino),
            None => Cached::Absent,
        }
    }

    /// Makes front slot `i` say `name` in `dir` is `ino`, or empties it when the
    /// name is too long to hold.
    fn set_front(&mut self, i: usize, dir: NodeRef, hash: u64, name: &[u8], ino: Option<u64>) {
        self.front[i] = (name.len() <= FRONT_NAME).then(|| {
            let mut f = Front {
                dir,
                hash,
                generation: self.generation,
                ino,
                last_use: self.clock,
                len: name.len() as u8,
                name: [0; FRONT_NAME],
            };
            f.name[..name.len()].copy_from_slice(name);
            f
        });
    }

    /// Empties the front slot `name` in `dir` would use.
    fn clear_front(&mut self, dir: NodeRef, name: &[u8]) {
        self.front[front_index(dir, front_hash(name))] = None;
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
        let hash = front_hash(name);
        self.set_front(front_index(dir, hash), dir, hash, name, ino);
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
        self.clear_front(dir, name);
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
            self.generation += 1;
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
        self.generation += 1;
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
        // Answers given from the front table aged only their slots there.
        for f in self.front.iter().flatten() {
            if f.generation == self.generation {
                let name = &f.name[..usize::from(f.len)];
                if let Some(slot) = self.dirs.get_mut(&f.dir).and_then(|d| d.get_mut(name)) {
                    slot.last_use = slot.last_use.max(f.last_use);
                }
            }
        }
        self.generation += 1;
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
    fn the_front_table_follows_every_change() {
        let mut c = NameCache::default();
        let long = [b'l'; FRONT_NAME + 1];
        // Many directories with the same names: twice as many names as slots, so
        // slots are shared and overwritten (and all within the budget: no eviction).
        for d in 0..FRONT as u64 {
            let dir = NodeRef { mount: 1, ino: d };
            c.insert(dir, b"x", Some(d));
            c.insert(dir, &long, Some(d + 1));
        }
        for round in 0..2 {
            for d in 0..FRONT as u64 {
                let dir = NodeRef { mount: 1, ino: d };
                assert_eq!(c.get(dir, b"x"), Cached::Inode(d), "round {round}");
                assert_eq!(c.get(dir, &long), Cached::Inode(d + 1));
                assert_eq!(c.get(dir, b"y"), Cached::Unknown);
            }
        }
        let dir = NodeRef { mount: 1, ino: 5 };
        assert_eq!(c.get(dir, b"x"), Cached::Inode(5)); // now in its front slot
        c.insert(dir, b"x", None);
        assert_eq!(
            c.get(dir, b"x"),
            Cached::Absent,
            "an insert rewrites the slot"
        );
        c.insert(dir, b"x", Some(50));
        assert_eq!(c.get(dir, b"x"), Cached::Inode(50));
        c.remove(dir, b"x");
        assert_eq!(c.get(dir, b"x"), Cached::Unknown, "a removal clears it");
        c.insert(dir, b"x", Some(51));
        assert_eq!(c.get(dir, b"x"), Cached::Inode(51));
        c.forget_dir(dir);
        assert_eq!(c.get(dir, b"x"), Cached::Unknown, "forgetting a directory");
        let other = NodeRef { mount: 2, ino: 5 };
        c.insert(other, b"x", Some(52));
        assert_eq!(c.get(other, b"x"), Cached::Inode(52));
        c.forget_mount(2);
        assert_eq!(c.get(other, b"x"), Cached::Unknown, "forgetting a mount");
        c.insert(other, b"x", Some(53));
        assert_eq!(c.get(other, b"x"), Cached::Inode(53));
        c.clear();
        assert_eq!(c.get(other, b"x"), Cached::Unknown, "clearing");
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
