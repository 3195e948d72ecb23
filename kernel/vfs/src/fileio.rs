//! File contents through the page cache: read, write, truncate, the pages a mapping
//! faults in, and writing dirty pages back.
//!
//! Every read of a regular file is served from cached pages ([`PageCache`]), filled
//! from the file system on a miss; a write goes to the file system (which allocates
//! blocks and sets the size and times at once) and into any page that holds the
//! bytes, so `read`, `write` and every mapping of a file see one copy of it. Pages a
//! program wrote through a shared mapping are written back by [`Vfs::write_back`],
//! which `sync`, `fsync`, `msync`, unmounting and eviction call.
//!
//! A node's pages are forgotten when its size shrinks past them and when the node
//! itself is freed (its last name and last hold gone): inode numbers are reused, so a
//! cache that outlived its inode would show a new file the old one's contents.

use abi::Errno;
use alloc::vec;

use crate::filesystem::{NodeKind, Result};
use crate::fill::Fill;
use crate::mount::{NodeRef, Vfs};
use crate::pagecache::{CacheStats, PageCache, PageId, PageStore, PAGE_SIZE};

/// Pages a cache holds by default: 4 MiB (the kernel sets its own).
pub const DEFAULT_PAGES: usize = 1024;

/// Why [`Vfs::read_cached`] returned.
pub enum ReadStop {
    /// All asked for was copied, or the file ended.
    Done,
    /// This piece (held for the caller) could not be copied with the VFS held.
    Piece(PagePiece),
    /// The next page must come from the disk: do the fill with the VFS let go.
    Fill(Fill),
}

/// Part of a cached page: `len` bytes at `off` within `page`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagePiece {
    pub page: PageId,
    pub off: usize,
    pub len: usize,
}

const PAGE: u64 = PAGE_SIZE as u64;

impl Vfs {
    /// Use `store` for pages from now on, keeping at most `capacity` of them (EBUSY
    /// once any page is cached: the old store's pages cannot move).
    pub fn set_page_store(
        &mut self,
        store: alloc::boxed::Box<dyn PageStore>,
        capacity: usize,
    ) -> Result<()> {
        if self.pages.stats().pages != 0 {
            return Err(Errno::EBUSY);
        }
        self.pages = PageCache::new(store, capacity);
        Ok(())
    }

    /// The page store: copies into and out of pages given out by
    /// [`Vfs::read_cached`] and [`Vfs::map_page`] (the kernel copies to programs
    /// without it, straight from its frames).
    pub fn page_store(&mut self) -> &mut dyn PageStore {
        self.pages.store()
    }

    /// The page cache's counters.
    pub fn page_cache_stats(&self) -> CacheStats {
        self.pages.stats()
    }

    /// The size of regular file `node` (`EISDIR` for a directory, `ENODEV` for a
    /// device: the kernel routes device I/O; `EINVAL` for other kinds).
    fn regular_size(&mut self, node: NodeRef) -> Result<u64> {
        if let Some(size) = self.pages.size(node) {
            return Ok(size); // only regular files have pages
        }
        let st = self.fs(node)?.stat(node.ino)?;
        match NodeKind::from_stat(&st) {
            NodeKind::Regular => Ok(st.size),
            NodeKind::Directory => Err(Errno::EISDIR),
            NodeKind::CharDevice(_) | NodeKind::BlockDevice(_) => Err(Errno::ENODEV),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Make room for one more page: give back clean pages, writing dirty ones back
    /// first if nothing clean is left to give.
    pub(crate) fn make_room(&mut self) -> Result<()> {
        if !self.pages.wants_room() {
            return Ok(());
        }
        if self.pages.evict() == 0 {
            self.write_back_all()?;
            self.pages.evict();
        }
        Ok(())
    }

    /// Reads regular file `node` at `off` into `buf`; 0 at the end.
    pub fn read(&mut self, node: NodeRef, off: u64, buf: &mut [u8]) -> Result<usize> {
        let size = self.regular_size(node)?;
        if off >= size {
            return Ok(0);
        }
        let n = (size - off).min(buf.len() as u64) as usize;
        let mut done = 0;
        while done < n {
            let pos = off + done as u64;
            let within = (pos % PAGE) as usize;
            let chunk = (PAGE_SIZE - within).min(n - done);
            let page = self.page(node, pos / PAGE, size)?;
            self.pages
                .store()
                .read(page, within, &mut buf[done..done + chunk]);
            done += chunk;
        }
        Ok(n)
    }

    /// Read up to `len` bytes of regular file `node` from `off` by handing each
    /// piece of a cached page to `copy(page, offset in page, bytes, offset in the
    /// transfer)`, which copies it out *now*, with the VFS held, and so must not
    /// sleep or fault pages in: it returns false when it cannot (a page of the
    /// destination is not present). The read then stops there and gives that piece
    /// back with a hold ([`ReadStop::Piece`]), for the caller to copy after letting
    /// go of the VFS (making the destination present may need the VFS: it can be a
    /// mapping of a file), give the hold back ([`Vfs::release_page`]) and go on. A
    /// page that must come from the disk stops the read too ([`ReadStop::Fill`]):
    /// the caller lets go of the VFS, waits for the disk ([`Fill::read`]) and hands
    /// the fill back ([`Vfs::finish_fill`]). Returns the bytes copied and why it
    /// stopped. This is how a `read` copies once, from the cache to the program,
    /// with one lookup per page, and never waits for the disk with the VFS held.
    pub fn read_cached(
        &mut self,
        node: NodeRef,
        off: u64,
        len: usize,
        copy: &mut dyn FnMut(PageId, usize, usize, usize) -> bool,
    ) -> Result<(usize, ReadStop)> {
        let size = self.regular_size(node)?;
        if off >= size {
            return Ok((0, ReadStop::Done));
        }
        let n = (size - off).min(len as u64) as usize;
        let end = off + n as u64;
        let last = (end - 1) / PAGE;
        let mut done = 0;
        while done < n {
            // The pages already cached from here on, copied in one walk of the map.
            let mut stopped = None;
            self.pages
                .for_run(node, (off + done as u64) / PAGE, last, |index, page| {
                    let from = (index * PAGE).max(off + done as u64);
                    let to = ((index + 1) * PAGE).min(end);
                    let (within, chunk) = ((from % PAGE) as usize, (to - from) as usize);
                    if copy(page, within, chunk, done) {
                        done += chunk;
                        true
                    } else {
                        stopped = Some(PagePiece {
                            page,
                            off: within,
                            len: chunk,
                        });
                        false
                    }
                });
            if let Some(piece) = stopped {
                self.pages.store().hold(piece.page);
                return Ok((done, ReadStop::Piece(piece)));
            }
            if done == n {
                break;
            }
            // A page not cached: fill it (from memory, or by a fill), and go on.
            match self.page_or_fill(node, (off + done as u64) / PAGE, size) {
                Ok(Ok(_)) => {}
                Ok(Err(fill)) => return Ok((done, ReadStop::Fill(fill))),
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok((done, ReadStop::Done))
    }

    /// Give back a hold [`Vfs::read_cached`] or [`Vfs::map_page`] gave out.
    pub fn release_page(&mut self, page: PageId) {
        self.pages.store().release(page);
    }

    /// Writes `data` into regular file `node` at `off`, through to the file system
    /// and into the cached pages the bytes fall in.
    pub fn write(&mut self, node: NodeRef, off: u64, data: &[u8]) -> Result<usize> {
        let size = self.regular_size(node)?;
        let n = self.fs(node)?.write(node.ino, off, data)?;
        self.data_changed(node);
        if n > 0 && self.pages.has_file(node) {
            let end = off + n as u64;
            self.pages.set_size(node, size.max(end));
            if self.fs(node)?.transforms_writes() {
                return self.refill(node, off, end).map(|_| n);
            }
            for (index, page) in self.pages.cached_in(node, off / PAGE, (end - 1) / PAGE) {
                let (from, to) = ((index * PAGE).max(off), ((index + 1) * PAGE).min(end));
                let src = &data[(from - off) as usize..(to - off) as usize];
                self.pages.store().write(page, (from % PAGE) as usize, src);
            }
        }
        Ok(n)
    }

    /// Read the cached pages of `node` that `[off, end)` falls in again from its file
    /// system (which stores what is written transformed: `transforms_writes`).
    fn refill(&mut self, node: NodeRef, off: u64, end: u64) -> Result<()> {
        let mut buf = alloc::vec![0u8; PAGE_SIZE];
        for (index, page) in self.pages.cached_in(node, off / PAGE, (end - 1) / PAGE) {
            buf.fill(0);
            self.fs(node)?.read(node.ino, index * PAGE, &mut buf)?;
            self.pages.store().write(page, 0, &buf);
        }
        Ok(())
    }

    /// Sets the size of an open regular file (`ftruncate`: the descriptor's
    /// access mode, not the file's bits, is what counts).
    pub fn truncate_node(&mut self, node: NodeRef, size: u64) -> Result<()> {
        self.truncatable(node)?;
        self.fs(node)?.truncate(node.ino, size)?;
        self.cut_pages(node, size);
        Ok(())
    }

    /// The file is now `size` bytes: forget the pages past it and zero the part of
    /// the last one beyond it (as the file system zeroes its last block).
    pub(crate) fn cut_pages(&mut self, node: NodeRef, size: u64) {
        self.data_changed(node);
        if !self.pages.has_file(node) {
            return;
        }
        self.pages.set_size(node, size);
        self.pages.forget_from(node, size.div_ceil(PAGE));
        let within = (size % PAGE) as usize;
        if within != 0 {
            if let Some(p) = self.pages.get(node, size / PAGE) {
                let zeros = [0u8; PAGE_SIZE];
                self.pages.store().write(p, within, &zeros[within..]);
            }
        }
    }

    /// The node may have been freed (a name removed, a hold given back): if so, its
    /// pages go too, before the inode number can be reused.
    pub(crate) fn forget_if_freed(&mut self, node: NodeRef) {
        self.data_changed(node);
        if self.pages.has_file(node) && self.fs(node).and_then(|fs| fs.stat(node.ino)).is_err() {
            self.pages.forget_from(node, 0);
        }
    }

    /// Page `index` of regular file `node` for a mapping, with a hold for it; `ENXIO`
    /// when the page lies wholly past the end of the file (the program gets SIGBUS).
    /// The disk, if it must be read, is waited on with the VFS held (see
    /// [`Vfs::map_page_or_fill`] for the way without).
    pub fn map_page(&mut self, node: NodeRef, index: u64) -> Result<PageId> {
        loop {
            match self.map_page_or_fill(node, index)? {
                Ok(page) => return Ok(page),
                Err(mut fill) => {
                    let io = fill.read();
                    self.finish_fill(fill, io)?;
                }
            }
        }
    }

    /// [`Vfs::map_page`], or the [`Fill`] to do first with the VFS let go (then
    /// [`Vfs::finish_fill`] and ask again).
    pub fn map_page_or_fill(
        &mut self,
        node: NodeRef,
        index: u64,
    ) -> Result<core::result::Result<PageId, Fill>> {
        let beyond = |size: u64| index.checked_mul(PAGE).is_none_or(|start| start >= size);
        // The common case, a page already cached: one lookup.
        if let Some((size, Some(page))) = self.pages.find(node, index) {
            if beyond(size) {
                return Err(Errno::ENXIO);
            }
            self.pages.store().hold(page);
            return Ok(Ok(page));
        }
        let size = self.regular_size(node)?;
        if beyond(size) {
            return Err(Errno::ENXIO);
        }
        let page = match self.page_or_fill(node, index, size)? {
            Ok(page) => page,
            Err(fill) => return Ok(Err(fill)),
        };
        self.pages.store().hold(page);
        Ok(Ok(page))
    }

    /// A program wrote page `index` of `node` through a shared mapping.
    pub fn page_dirtied(&mut self, node: NodeRef, index: u64) {
        self.pages.mark_dirty(node, index);
    }

    /// Write `node`'s dirty pages to its file system, in file order.
    pub fn write_back(&mut self, node: NodeRef) -> Result<()> {
        let dirty = self.pages.dirty_pages(node);
        if dirty.is_empty() {
            return Ok(());
        }
        let size = self.regular_size(node)?;
        let mut buf = vec![0u8; PAGE_SIZE];
        for (index, page) in dirty {
            let start = index * PAGE;
            let n = size.saturating_sub(start).min(PAGE) as usize;
            if n > 0 {
                self.pages.store().read(page, 0, &mut buf[..n]);
                let put = self.fs(node)?.write(node.ino, start, &buf[..n])?;
                if put < n {
                    return Err(Errno::ENOSPC);
                }
            }
            self.pages.written_back(node, index);
        }
        Ok(())
    }

    /// Write back every dirty page; the first error after all were tried.
    pub fn write_back_all(&mut self) -> Result<()> {
        let mut first = Ok(());
        for node in self.pages.dirty_files() {
            if let Err(e) = self.write_back(node) {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    /// Write back and forget every page of mount `id` (it is going away).
    pub(crate) fn drop_mount_pages(&mut self, id: u32) -> Result<()> {
        for e in self.fills.range_mut(
            NodeRef { mount: id, ino: 0 }..=NodeRef {
                mount: id,
                ino: u64::MAX,
            },
        ) {
            e.1 .0 += 1;
        }
        for node in self.pages.dirty_files() {
            if node.mount == id {
                self.write_back(node)?;
            }
        }
        self.pages.forget_mount(id);
        Ok(())
    }

    /// Memory is short: give back the least recently used quarter of the clean pages
    /// nobody else holds (no write-back: this must not wait for a disk). How many.
    pub fn reclaim_pages(&mut self) -> usize {
        self.pages.evict()
    }

    /// Give back every clean page nobody maps (after writing the dirty ones back);
    /// the number given back.
    pub(crate) fn drop_clean_pages(&mut self) -> Result<usize> {
        self.write_back_all()?;
        Ok(self.pages.evict_all_clean())
    }
}
