//! Filling a page-cache page without holding the file system: the read is planned
//! under the lock, done without it, and the page inserted under it again.
//!
//! Chapter 2's layered file system has one question a real kernel must answer: what
//! may run while a thread waits for the disk? Here the answer is "everything": a
//! page-cache miss on a file system that can say where a page's blocks lie on its
//! device ([`FileSystem::plan_read`]) becomes a [`Fill`]: under the lock the block map
//! is read and the bytes already in memory (cached blocks, holes) are copied; the
//! lock is let go and [`Fill::read`] waits for the device into the fill's own buffer;
//! then [`Vfs::finish_fill`], under the lock again, puts the page in the cache.
//!
//! The design decision is how the fill knows it is still right after the wait: every
//! node with a fill in flight has a *generation* in [`Vfs`]'s `fills` map, which each
//! change of that node's data (a write, a truncate, its freeing, its mount going)
//! moves on. A fill whose generation moved is thrown away and the reader looks again
//! (Linux does the same with a locked page and a truncate's re-check). Only blocks
//! that the file system's block cache does not hold are read from the device, since
//! a cached block may be newer than the disk; a block cannot become cached-and-dirty
//! without a write to the node, which moves the generation.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use abi::Errno;

use crate::filesystem::Result;
use crate::mount::{NodeRef, Vfs};
use crate::pagecache::{PageId, PAGE_SIZE};

/// A device a mount's file system sits on, readable by sector without the VFS: what
/// a [`Fill`] waits on. The kernel's is the shared virtio disk.
pub trait RawDisk: Send + Sync {
    /// Read `buf.len()` bytes (whole sectors) from sector `first`.
    fn read_sectors(&self, first: u64, buf: &mut [u8]) -> Result<()>;
}

/// A run of consecutive sectors a planned read still needs: `len` bytes from sector
/// `sector` into the page's buffer at `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskRun {
    pub sector: u64,
    pub at: usize,
    pub len: usize,
}

/// A page being filled from the disk with nothing held: see the module comment.
/// Boxed, so that the results that may carry one stay small on the paths that hit
/// (a mapped-page fault returns through them).
pub struct Fill(alloc::boxed::Box<FillState>);

struct FillState {
    node: NodeRef,
    index: u64,
    /// The file's size when planned (a change of it moves the generation).
    size: u64,
    gen: u64,
    buf: Vec<u8>,
    runs: Vec<DiskRun>,
    disk: Arc<dyn RawDisk>,
}

impl Fill {
    /// Read the device runs into the buffer: the wait for the disk, done holding no
    /// lock of the VFS (any number of these run at once, and with any VFS call).
    pub fn read(&mut self) -> Result<()> {
        let f = &mut *self.0;
        for r in &f.runs {
            f.disk
                .read_sectors(r.sector, &mut f.buf[r.at..r.at + r.len])?;
        }
        Ok(())
    }

    /// Bytes this fill reads from the device.
    pub fn disk_bytes(&self) -> usize {
        self.0.runs.iter().map(|r| r.len).sum()
    }
}

const PAGE: u64 = PAGE_SIZE as u64;

impl Vfs {
    /// Page `index` of `node` (a regular file of `size` bytes): `Ok(page)` when it is
    /// cached or could be made from memory alone (no hold is given: the cache keeps
    /// its own), or a [`Fill`] to do with the VFS let go and give to
    /// [`Vfs::finish_fill`]. A file system that cannot plan reads is read now.
    pub(crate) fn page_or_fill(
        &mut self,
        node: NodeRef,
        index: u64,
        size: u64,
    ) -> Result<core::result::Result<PageId, Fill>> {
        if let Some(p) = self.pages.get(node, index) {
            return Ok(Ok(p));
        }
        let start = index * PAGE;
        let want = (size.saturating_sub(start)).min(PAGE) as usize;
        let disk = self.mount_of(node)?.disk.clone();
        let mut buf = vec![0u8; PAGE_SIZE];
        let planned = match (&disk, want) {
            (Some(_), 1..) => self.fs(node)?.plan_read(node.ino, start, &mut buf),
            _ => None,
        };
        let runs = match planned {
            Some(r) => r?,
            None => {
                if want > 0 {
                    let got = self.fs(node)?.read(node.ino, start, &mut buf[..want])?;
                    buf[got..].fill(0);
                }
                Vec::new()
            }
        };
        match (runs.is_empty(), disk) {
            (false, Some(disk)) => {
                let e = self.fills.entry(node).or_insert((0, 0));
                e.1 += 1;
                Ok(Err(Fill(alloc::boxed::Box::new(FillState {
                    node,
                    index,
                    size,
                    gen: e.0,
                    buf,
                    runs,
                    disk,
                }))))
            }
            _ => {
                buf[want..].fill(0);
                self.put_page(node, index, size, &buf).map(Ok)
            }
        }
    }

    /// A fill is done (`io` is how its disk read went): its page goes into the cache
    /// unless the node's data changed meanwhile or another reader cached the page
    /// first (then nothing happens, and the caller looks again). The I/O error, if any.
    pub fn finish_fill(&mut self, fill: Fill, io: Result<()>) -> Result<()> {
        let mut fill = fill.0;
        let current = match self.fills.get_mut(&fill.node) {
            Some(e) => {
                e.1 -= 1;
                let same = e.0 == fill.gen;
                if e.1 == 0 {
                    self.fills.remove(&fill.node);
                }
                same
            }
            None => false,
        };
        io?;
        if !current || self.pages.get(fill.node, fill.index).is_some() {
            return Ok(());
        }
        let want = fill.size.saturating_sub(fill.index * PAGE).min(PAGE) as usize;
        fill.buf[want..].fill(0);
        self.put_page(fill.node, fill.index, fill.size, &fill.buf)
            .map(|_| ())
    }

    /// Cache `data` (a whole page) as page `index` of `node`, making room first.
    fn put_page(&mut self, node: NodeRef, index: u64, size: u64, data: &[u8]) -> Result<PageId> {
        self.make_room()?;
        let page = self.pages.store().alloc().ok_or(Errno::ENOMEM)?;
        self.pages.store().write(page, 0, data);
        self.pages.insert(node, index, page, size);
        Ok(page)
    }

    /// Page `index` of `node`, filled now if need be (the disk waited on with the VFS
    /// held: the path of calls that cannot let go of it, and of the host tests).
    pub(crate) fn page(&mut self, node: NodeRef, index: u64, size: u64) -> Result<PageId> {
        loop {
            match self.page_or_fill(node, index, size)? {
                Ok(p) => return Ok(p),
                Err(mut fill) => {
                    let io = fill.read();
                    self.finish_fill(fill, io)?;
                }
            }
        }
    }

    /// The data of `node` changed (written, truncated, freed): a fill of it in
    /// flight is stale.
    pub(crate) fn data_changed(&mut self, node: NodeRef) {
        if let Some(e) = self.fills.get_mut(&node) {
            e.0 += 1;
        }
    }

    /// Mount `id` sits on `disk`: page-cache misses of its files are read from it
    /// with the VFS let go (see [`Fill`]). `ENOENT` for an unknown mount.
    pub fn set_mount_disk(&mut self, id: u32, disk: Arc<dyn RawDisk>) -> Result<()> {
        self.mounts.get_mut(&id).ok_or(Errno::ENOENT)?.disk = Some(disk);
        Ok(())
    }

    /// Fills in flight now (the tests' check that none is left behind).
    pub fn fills_in_flight(&self) -> usize {
        self.fills.values().map(|e| e.1 as usize).sum()
    }
}
