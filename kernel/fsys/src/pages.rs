//! The page cache's memory is physical frames, and a `read` copies from them once.
//!
//! [`FramePages`] is the kernel's [`PageStore`]: a page is a frame from `mm`, its
//! holders are the frame's share count (the cache is one; every mapping of the page
//! and every read copying from it is another), so a frame is freed only when the last
//! of them lets go. [`read_to`] is the read path that issue 10 asks for: the pages come
//! copied straight from their frames to the program while the VFS is held, as long as
//! the program's buffer is present; a piece whose destination is not is copied after
//! the lock is let go (making the buffer present may need the VFS itself, when the
//! buffer is a mapping of a file), with a hold on its page meanwhile. No staging
//! buffer either way.

use crate::tree::{with, NodeRef};
use abi::Errno;
use hal::addr::PhysAddr;
use vfs::{Fill, PageId, PageStore, RawDisk, ReadStop};

/// Frames as pages.
pub struct FramePages;

/// Below this many free frames (4 MiB), the cache gives back clean pages before it
/// takes another.
const LOW_FRAMES: u64 = 1024;

fn frame(p: PageId) -> PhysAddr {
    PhysAddr(p.0)
}

impl PageStore for FramePages {
    fn alloc(&mut self) -> Option<PageId> {
        let f = mm::frames::alloc_frame()?;
        hal::paging::zero_frame(f);
        Some(PageId(f.as_u64()))
    }
    fn write(&mut self, page: PageId, off: usize, data: &[u8]) {
        hal::paging::write_frame(frame(page), off, data);
    }
    fn read(&mut self, page: PageId, off: usize, buf: &mut [u8]) {
        hal::paging::read_frame(frame(page), off, buf);
    }
    fn hold(&mut self, page: PageId) {
        mm::frames::share(frame(page));
    }
    fn release(&mut self, page: PageId) {
        mm::frames::release(frame(page));
    }
    fn holders(&mut self, page: PageId) -> u32 {
        mm::frames::share_count(frame(page))
    }
    fn memory_low(&mut self) -> bool {
        mm::frames::stats().frames.free_frames < LOW_FRAMES
    }
}

/// The frame allocator's reclaimer: clean pages go back when frames run out. Only if
/// the VFS is free this moment: the allocation may come from inside it (filling a
/// page), or from a thread that must not sleep.
pub fn reclaim() -> usize {
    match crate::tree::VFS.try_lock() {
        Some(mut v) => v.as_mut().map_or(0, |v| v.reclaim_pages()),
        None => 0,
    }
}

/// As [`reclaim`], waiting for the VFS if it is busy: for a process whose fault
/// found no frame, which may sleep (it holds nothing).
pub fn reclaim_waiting() -> usize {
    with(|v| Ok(v.reclaim_pages())).unwrap_or(0)
}

/// Pages the cache may keep: half of memory (and less whenever frames run short).
pub fn capacity() -> usize {
    (mm::frames::stats().frames.total_frames / 2) as usize
}

/// How a page-cache read delivers to the program.
pub trait PageSink {
    /// Copy `len` bytes of `frame` from `off` to `at` bytes into the destination now,
    /// without sleeping or faulting pages in (the VFS is held): false if a page of
    /// the destination is not present or not writable.
    fn copy_now(&mut self, frame: PhysAddr, off: usize, len: usize, at: usize) -> bool;
    /// The same, making the destination present first (nothing is held).
    fn copy(&mut self, frame: PhysAddr, off: usize, len: usize, at: usize) -> Result<(), Errno>;
}

/// Read up to `len` bytes of regular file `node` from `off` into `sink`; the bytes
/// copied. Pieces are copied with the VFS held while the destination is present
/// (one lookup and one copy per page), and outside it, with a hold on the page,
/// when it is not. An error after some bytes ends the read with those bytes.
pub fn read_to(
    node: NodeRef,
    off: u64,
    len: usize,
    sink: &mut dyn PageSink,
) -> Result<usize, Errno> {
    let mut done = 0;
    while done < len {
        let (n, stopped) = match with(|v| {
            v.read_cached(node, off + done as u64, len - done, &mut |p, o, n, at| {
                sink.copy_now(frame(p), o, n, done + at)
            })
        }) {
            Ok(r) => r,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += n;
        let r = match stopped {
            ReadStop::Done => break, // all of it, or the end of the file
            ReadStop::Piece(piece) => {
                let r = sink.copy(frame(piece.page), piece.off, piece.len, done);
                mm::frames::release(frame(piece.page));
                r.map(|()| done += piece.len)
            }
            ReadStop::Fill(fill) => fill_page(fill),
        };
        match r {
            Ok(()) => {}
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(done)
}

/// Read regular file `node` at `off` into the kernel buffer `buf` (always present):
/// the copy is made from the page frames with the VFS held, and a page that must come
/// from the disk is filled with it let go, as [`read_to`] does.
pub fn read_into(node: NodeRef, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        let r = with(|v| {
            v.read_cached(node, off + done as u64, rest.len(), &mut |p, o, n, at| {
                hal::paging::read_frame(frame(p), o, &mut rest[at..at + n]);
                true
            })
        });
        let (n, stopped) = match r {
            Ok(r) => r,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += n;
        match stopped {
            ReadStop::Done => break,
            ReadStop::Piece(piece) => {
                // Not given out: every piece is copied now. Give the hold back.
                mm::frames::release(frame(piece.page));
                break;
            }
            ReadStop::Fill(fill) => match fill_page(fill) {
                Ok(()) => {}
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            },
        }
    }
    Ok(done)
}

/// Wait for the disk with the VFS let go, then put the page in the cache.
fn fill_page(mut fill: Fill) -> Result<(), Errno> {
    let io = fill.read();
    crate::tree::with_once(|v| v.finish_fill(fill, io))
}

/// A mount's disk as the page fills read it: the shared disk, locked per request
/// (below the VFS in the lock order; a fill holds nothing else).
pub struct FillDisk(pub drivers::block::SharedDisk);

impl RawDisk for FillDisk {
    fn read_sectors(&self, first: u64, buf: &mut [u8]) -> Result<(), Errno> {
        self.0
            .lock()
            .read_sectors(first, buf)
            .map_err(|_| Errno::EIO)
    }
}

/// A file mapping's pages: the page cache of one node, which stays held (like an
/// open file) while any mapping of it is left, so it outlives its last name and its
/// mount cannot be unmounted under a mapping.
pub struct NodePager {
    node: NodeRef,
    /// A running program's image: writes to the file are refused (`ETXTBSY`) while
    /// this pager lives.
    image: bool,
    /// The path the file was mapped by (`/proc/PID/maps`, core dumps), when known.
    path: Option<alloc::string::String>,
}

impl NodePager {
    /// A pager for regular file `node`, held from now on.
    pub fn new(node: NodeRef) -> Result<alloc::sync::Arc<NodePager>, Errno> {
        Self::new_named(node, None)
    }

    /// As [`NodePager::new`], naming the file by the path it was opened by.
    pub fn new_named(
        node: NodeRef,
        path: Option<alloc::string::String>,
    ) -> Result<alloc::sync::Arc<NodePager>, Errno> {
        with(|v| v.pin(node))?;
        Ok(alloc::sync::Arc::new(NodePager {
            node,
            image: false,
            path,
        }))
    }

    /// The pager of a program's image (exec): as [`NodePager::new`], and the file may
    /// not be opened for writing while it lives (`ETXTBSY` now if it is open so).
    pub fn new_image(node: NodeRef, path: &str) -> Result<alloc::sync::Arc<NodePager>, Errno> {
        crate::writers::deny_write_access(node)?;
        if let Err(e) = with(|v| v.pin(node)) {
            crate::writers::allow_write_access(node);
            return Err(e);
        }
        Ok(alloc::sync::Arc::new(NodePager {
            node,
            image: true,
            path: Some(path.into()),
        }))
    }
}

impl mm::Pager for NodePager {
    fn page(&self, index: u64) -> Result<PhysAddr, mm::VmError> {
        let got = loop {
            match with(|v| v.map_page_or_fill(self.node, index)) {
                Ok(Err(fill)) => {
                    if let Err(e) = fill_page(fill) {
                        break Err(e);
                    }
                }
                Ok(Ok(p)) => break Ok(p),
                Err(e) => break Err(e),
            }
        };
        match got {
            Ok(p) => Ok(frame(p)),
            Err(Errno::ENOMEM) => Err(mm::VmError::NoMemory),
            // Past the end, or the file system could not read it: SIGBUS.
            Err(_) => Err(mm::VmError::BeyondEnd),
        }
    }

    fn dirtied(&self, index: u64) {
        let _ = with(|v| {
            v.page_dirtied(self.node, index);
            Ok(())
        });
    }

    fn sync(&self) -> Result<(), mm::VmError> {
        with(|v| v.sync_node(self.node)).map_err(|_| mm::VmError::BeyondEnd)
    }

    fn name(&self) -> Option<alloc::string::String> {
        self.path
            .clone()
            .or_else(|| crate::tree::path_of(self.node).ok())
    }

    fn file_key(&self) -> Option<(u32, u64)> {
        Some((self.node.mount, self.node.ino))
    }
}

impl Drop for NodePager {
    fn drop(&mut self) {
        if self.image {
            crate::writers::allow_write_access(self.node);
        }
        if let Err(e) = with(|v| v.unpin(self.node)) {
            log::warn!("unmapping {:?}: {e}", self.node);
        }
    }
}
