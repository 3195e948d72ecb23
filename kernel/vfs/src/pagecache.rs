//! The page cache: file contents in 4 KiB pages, above every file system.
//!
//! Chapter 2's file-management services read and write files by offset; a kernel
//! that asked the file system (and through it the block cache) for every read would
//! walk block maps and copy through staging buffers each time. Here the contents of
//! regular files live in whole pages, one ordered map of pages per file, so a read
//! that hits costs one lookup per page and one copy, and the same page can be mapped
//! straight into a program's memory (`mmap`) and shared by every process that maps
//! the file: the cache is what makes file mappings coherent with `read` and `write`.
//!
//! The design decisions:
//! - The cache keeps *pages*, not bytes: a [`PageStore`] hands them out and counts
//!   their holders. The kernel's store is physical frames (a mapping is one more
//!   holder of a frame); the host tests' store is [`HeapPages`]. A page is given back
//!   to the store only when the cache is its last holder, so a page that a program
//!   maps, or that a read is copying from, is never reused underneath it.
//! - Pages are *dirty* only when a program wrote them through a shared mapping
//!   (`write` goes through to the file system as well as into a cached page, so the
//!   file system keeps deciding sizes, times and `ENOSPC` at the moment of the call).
//!   A dirty page is written back by `sync`, `fsync`, `msync`, and before eviction.
//!   While a page is still mapped it stays dirty after a write-back, since the program
//!   may write it again without a fault telling anyone.
//! - Eviction takes the least recently used clean pages that only the cache holds,
//!   when the cache is over its capacity or the store reports memory short, a
//!   quarter of the cache at a time, so the bookkeeping stays an ordered map and a
//!   counter.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::mount::NodeRef;
use crate::pagemap::PageMap;

/// Bytes per page.
pub const PAGE_SIZE: usize = 4096;

/// A page the store handed out (the kernel's: a physical frame address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageId(pub u64);

/// Where pages come from, and who else holds them.
pub trait PageStore: Send {
    /// A zero-filled page with one holder (the caller), or `None` when memory is out.
    fn alloc(&mut self) -> Option<PageId>;
    /// Copy `data` into `page` at `off` (it must fit).
    fn write(&mut self, page: PageId, off: usize, data: &[u8]);
    /// Copy from `page` at `off` into `buf` (it must fit).
    fn read(&mut self, page: PageId, off: usize, buf: &mut [u8]);
    /// One more holder (a mapping, a read in progress).
    fn hold(&mut self, page: PageId);
    /// One holder fewer; the page is freed with its last.
    fn release(&mut self, page: PageId);
    /// How many hold `page` now.
    fn holders(&mut self, page: PageId) -> u32;
    /// True when free memory is short: the cache then gives back clean pages first.
    fn memory_low(&mut self) -> bool {
        false
    }
}

/// Counters for `free`-style reports and the tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Pages in the cache now, and how many of them are dirty.
    pub pages: usize,
    pub dirty: usize,
    /// Lookups that found the page, and that had to fill it from the file system.
    pub hits: u64,
    pub misses: u64,
    /// Pages given back to make room.
    pub evicted: u64,
}

struct Slot {
    page: PageId,
    dirty: bool,
    last_use: u64,
}

/// One file's pages, and its size (so a read that hits asks the file system
/// nothing; every change of the size goes through the VFS, which keeps it here).
struct FilePages {
    size: u64,
    slots: PageMap<Slot>,
}

/// Cached pages of every file, by node and page index.
pub struct PageCache {
    store: Box<dyn PageStore>,
    files: BTreeMap<NodeRef, FilePages>,
    pages: usize,
    dirty: usize,
    capacity: usize,
    clock: u64,
    hits: u64,
    misses: u64,
    evicted: u64,
}

impl PageCache {
    /// A cache of at most `capacity` pages (at least 16) from `store`.
    pub fn new(store: Box<dyn PageStore>, capacity: usize) -> PageCache {
        PageCache {
            store,
            files: BTreeMap::new(),
            pages: 0,
            dirty: 0,
            capacity: capacity.max(16),
            clock: 0,
            hits: 0,
            misses: 0,
            evicted: 0,
        }
    }

    /// The store, for copies in and out of pages.
    pub fn store(&mut self) -> &mut dyn PageStore {
        self.store.as_mut()
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            pages: self.pages,
            dirty: self.dirty,
            hits: self.hits,
            misses: self.misses,
            evicted: self.evicted,
        }
    }

    /// The cached page `index` of `node`, counted as a use.
    pub fn get(&mut self, node: NodeRef, index: u64) -> Option<PageId> {
        self.clock += 1;
        let now = self.clock;
        match self
            .files
            .get_mut(&node)
            .and_then(|f| f.slots.get_mut(index))
        {
            Some(s) => {
                s.last_use = now;
                self.hits += 1;
                Some(s.page)
            }
            None => None,
        }
    }

    /// The size of `node` and its cached page `index` (counted as a use), in one
    /// lookup: `None` when no page of `node` is cached.
    pub fn find(&mut self, node: NodeRef, index: u64) -> Option<(u64, Option<PageId>)> {
        let f = self.files.get_mut(&node)?;
        let page = f.slots.get_mut(index).map(|s| {
            self.clock += 1;
            s.last_use = self.clock;
            self.hits += 1;
            s.page
        });
        Some((f.size, page))
    }

    /// Is any page of `node` cached?
    pub fn has_file(&self, node: NodeRef) -> bool {
        self.files.contains_key(&node)
    }

    /// The size of `node`, if any of its pages are cached.
    pub fn size(&self, node: NodeRef) -> Option<u64> {
        self.files.get(&node).map(|f| f.size)
    }

    /// `node` is now `size` bytes long (a write or truncate; nothing if no page of it
    /// is cached).
    pub fn set_size(&mut self, node: NodeRef, size: u64) {
        if let Some(f) = self.files.get_mut(&node) {
            f.size = size;
        }
    }

    /// Call `f(index, page)` for the cached pages of `node` from `first` on, in order,
    /// while they follow each other without a gap and `f` returns true; the index
    /// after the last one given (a sequential read walks the map once, instead of
    /// looking each page up).
    pub fn for_run(
        &mut self,
        node: NodeRef,
        first: u64,
        last: u64,
        mut f: impl FnMut(u64, PageId) -> bool,
    ) -> u64 {
        let Some(file) = self.files.get_mut(&node) else {
            return first;
        };
        let (clock, hits) = (&mut self.clock, &mut self.hits);
        file.slots.run_mut(first, last, |i, s| {
            *clock += 1;
            s.last_use = *clock;
            *hits += 1;
            f(i, s.page)
        })
    }

    /// The cached pages of `node` with index in `[first, last]`, in order (no use is
    /// counted: this is for updating pages a `write` covered).
    pub fn cached_in(&self, node: NodeRef, first: u64, last: u64) -> Vec<(u64, PageId)> {
        match self.files.get(&node) {
            Some(f) => f
                .slots
                .range(first, last)
                .map(|(i, s)| (i, s.page))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Keep `page` (held once, by the caller, which hands that hold to the cache) as
    /// page `index` of `node`, a file of `size` bytes. A miss is counted.
    pub fn insert(&mut self, node: NodeRef, index: u64, page: PageId, size: u64) {
        self.clock += 1;
        self.misses += 1;
        let slot = Slot {
            page,
            dirty: false,
            last_use: self.clock,
        };
        let file = self.files.entry(node).or_insert(FilePages {
            size,
            slots: PageMap::new(),
        });
        file.size = size;
        if let Some(old) = file.slots.insert(index, slot) {
            // Only a caller that did not look first gets here: give the old page back.
            self.drop_slot(old);
        } else {
            self.pages += 1;
        }
    }

    /// Mark page `index` of `node` written through a mapping (nothing if it is no
    /// longer cached: a truncate dropped it).
    pub fn mark_dirty(&mut self, node: NodeRef, index: u64) {
        if let Some(s) = self
            .files
            .get_mut(&node)
            .and_then(|f| f.slots.get_mut(index))
        {
            if !s.dirty {
                s.dirty = true;
                self.dirty += 1;
            }
        }
    }

    /// The dirty pages of `node`, in file order (what a write-back of it writes).
    pub fn dirty_pages(&self, node: NodeRef) -> Vec<(u64, PageId)> {
        match self.files.get(&node) {
            Some(f) => f
                .slots
                .iter()
                .filter(|(_, s)| s.dirty)
                .map(|(i, s)| (i, s.page))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Every node with a dirty page, in order.
    pub fn dirty_files(&self) -> Vec<NodeRef> {
        self.files
            .iter()
            .filter(|(_, f)| f.slots.iter().any(|(_, s)| s.dirty))
            .map(|(&n, _)| n)
            .collect()
    }

    /// Page `index` of `node` has been written back: clean now, unless a mapping
    /// still holds it (the program may write it again unseen).
    pub fn written_back(&mut self, node: NodeRef, index: u64) {
        let Some(s) = self
            .files
            .get_mut(&node)
            .and_then(|f| f.slots.get_mut(index))
        else {
            return;
        };
        if s.dirty && self.store.holders(s.page) <= 1 {
            s.dirty = false;
            self.dirty -= 1;
        }
    }

    /// Forget the pages of `node` from page `first` on (a truncate; or the whole file
    /// when it is deleted, with `first` 0). Dirty contents are dropped: the caller
    /// writes back first when they matter. Mappings keep the pages they hold.
    pub fn forget_from(&mut self, node: NodeRef, first: u64) {
        let Some(f) = self.files.get_mut(&node) else {
            return;
        };
        let gone = f.slots.split_off(first);
        let empty = f.slots.is_empty();
        if empty {
            self.files.remove(&node);
        }
        for (_, s) in gone {
            self.pages -= 1;
            self.drop_slot(s);
        }
    }

    /// Forget every page of mount `mount` (it is being unmounted).
    pub fn forget_mount(&mut self, mount: u32) {
        let nodes: Vec<NodeRef> = self
            .files
            .keys()
            .filter(|n| n.mount == mount)
            .copied()
            .collect();
        for n in nodes {
            self.forget_from(n, 0);
        }
    }

    fn drop_slot(&mut self, s: Slot) {
        if s.dirty {
            self.dirty -= 1;
        }
        self.store.release(s.page);
    }

    /// Must room be made before another page comes in?
    pub fn wants_room(&mut self) -> bool {
        self.pages >= self.capacity || (self.pages > 0 && self.store.memory_low())
    }

    /// Give back the least recently used clean pages nobody else holds: a quarter of
    /// the cache (at least one page); returns how many went. Dirty pages stay (the
    /// caller writes them back and calls again).
    pub fn evict(&mut self) -> usize {
        let want = (self.pages / 4).max(1);
        self.evict_clean(want)
    }

    /// Give back every clean page nobody else holds (`drop_caches`).
    pub fn evict_all_clean(&mut self) -> usize {
        self.evict_clean(usize::MAX)
    }

    fn evict_clean(&mut self, want: usize) -> usize {
        let mut victims: Vec<(u64, NodeRef, u64)> = Vec::new();
        for (&node, f) in &self.files {
            for (i, s) in f.slots.iter() {
                if !s.dirty && self.store.holders(s.page) <= 1 {
                    victims.push((s.last_use, node, i));
                }
            }
        }
        victims.sort_unstable();
        victims.truncate(want);
        let n = victims.len();
        for (_, node, i) in victims {
            if let Some(f) = self.files.get_mut(&node) {
                if let Some(s) = f.slots.remove(i) {
                    if f.slots.is_empty() {
                        self.files.remove(&node);
                    }
                    self.pages -= 1;
                    self.evicted += 1;
                    self.drop_slot(s);
                }
            }
        }
        n
    }
}

/// Pages on the heap: the store of the host tests, and of a kernel before it has
/// installed its own.
#[derive(Default)]
pub struct HeapPages {
    pages: BTreeMap<u64, (Box<[u8]>, u32)>,
    next: u64,
    /// When set, `alloc` fails once this many pages are out (the tests' memory limit).
    pub limit: Option<usize>,
}

impl HeapPages {
    pub fn new() -> HeapPages {
        HeapPages::default()
    }

    /// Pages handed out and not yet freed.
    pub fn live(&self) -> usize {
        self.pages.len()
    }

    fn slot(&mut self, page: PageId) -> &mut (Box<[u8]>, u32) {
        self.pages
            .get_mut(&page.0)
            .expect("a page the store never gave out")
    }
}

impl PageStore for HeapPages {
    fn alloc(&mut self) -> Option<PageId> {
        if self.limit.is_some_and(|l| self.pages.len() >= l) {
            return None;
        }
        self.next += 1;
        let data = alloc::vec![0u8; PAGE_SIZE].into_boxed_slice();
        self.pages.insert(self.next, (data, 1));
        Some(PageId(self.next))
    }
    fn write(&mut self, page: PageId, off: usize, data: &[u8]) {
        self.slot(page).0[off..off + data.len()].copy_from_slice(data);
    }
    fn read(&mut self, page: PageId, off: usize, buf: &mut [u8]) {
        let n = buf.len();
        buf.copy_from_slice(&self.slot(page).0[off..off + n]);
    }
    fn hold(&mut self, page: PageId) {
        self.slot(page).1 += 1;
    }
    fn release(&mut self, page: PageId) {
        let s = self.slot(page);
        s.1 -= 1;
        if s.1 == 0 {
            self.pages.remove(&page.0);
        }
    }
    fn holders(&mut self, page: PageId) -> u32 {
        self.pages.get(&page.0).map_or(0, |s| s.1)
    }
    fn memory_low(&mut self) -> bool {
        self.limit.is_some_and(|l| self.pages.len() >= l)
    }
}
