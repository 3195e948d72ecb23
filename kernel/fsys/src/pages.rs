//! The page cache's memory is physical frames, and a `read` copies from them once.
//!
//! [`FramePages`] is the kernel's [`PageStore`]: a page is a frame from `mm`, its
//! holders are the frame's share count (the cache is one; every mapping of the page
//! and every read copying from it is another), so a frame is freed only when the last
//! of them lets go. [`read_to`] is the read path that issue 10 asks for: the pages come
//! out of the VFS with a hold each, the lock is let go, and each piece is copied
//! straight from its frame to the program; no staging buffer, no VFS lock during the
//! copy (which may fault on the program's buffer and need the VFS itself, when that
//! buffer is a mapping of a file).

use crate::tree::{with, NodeRef};
use abi::Errno;
use hal::addr::{PhysAddr, PAGE_SIZE};
use vfs::{PageId, PagePiece, PageStore, READ_BATCH};

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

/// Pages the cache may keep: half of memory (and less whenever frames run short).
pub fn capacity() -> usize {
    (mm::frames::stats().frames.total_frames / 2) as usize
}

/// Read up to `len` bytes of regular file `node` from `off`, handing each piece to
/// `copy(frame, offset in frame, bytes, offset in the transfer)`; the bytes copied.
/// An error after some bytes ends the read with those bytes.
pub fn read_to(
    node: NodeRef,
    off: u64,
    len: usize,
    copy: &mut dyn FnMut(PhysAddr, usize, usize, usize) -> Result<(), Errno>,
) -> Result<usize, Errno> {
    let mut done = 0;
    let mut pieces = [PagePiece::NONE; READ_BATCH];
    while done < len {
        let got = match with(|v| v.read_pages(node, off + done as u64, len - done, &mut pieces)) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if got == 0 {
            break;
        }
        let mut failed = None;
        for p in &pieces[..got] {
            if failed.is_none() {
                match copy(frame(p.page), p.off, p.len, done) {
                    Ok(()) => done += p.len,
                    Err(e) => failed = Some(e),
                }
            }
            mm::frames::release(frame(p.page));
        }
        match failed {
            Some(e) if done == 0 => return Err(e),
            Some(_) => break,
            None => {}
        }
        if pieces[got - 1].off + pieces[got - 1].len < PAGE_SIZE as usize && done < len {
            break; // the last page was the end of the file
        }
    }
    Ok(done)
}

/// A file mapping's pages: the page cache of one node, which stays held (like an
/// open file) while any mapping of it is left, so it outlives its last name and its
/// mount cannot be unmounted under a mapping.
pub struct NodePager {
    node: NodeRef,
}

impl NodePager {
    /// A pager for regular file `node`, held from now on.
    pub fn new(node: NodeRef) -> Result<alloc::sync::Arc<NodePager>, Errno> {
        with(|v| v.pin(node))?;
        Ok(alloc::sync::Arc::new(NodePager { node }))
    }
}

impl mm::Pager for NodePager {
    fn page(&self, index: u64) -> Result<PhysAddr, mm::VmError> {
        match with(|v| v.map_page(self.node, index)) {
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
}

impl Drop for NodePager {
    fn drop(&mut self) {
        if let Err(e) = with(|v| v.unpin(self.node)) {
            log::warn!("unmapping {:?}: {e}", self.node);
        }
    }
}
