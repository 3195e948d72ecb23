//! Mapping files into memory (`mmap` of a file), and changing a range's rights
//! (`mprotect`) and writing a range's file back (`msync`).
//!
//! A file mapping is a region whose pages come from the file's page cache instead of
//! zeroed frames: a [`Pager`] (the file system layer implements it over the page
//! cache) hands out the frame that holds a page of the file, with a hold for the
//! mapping, on the first touch. The design decisions:
//! - A *shared* mapping maps the cache's own frame, so every process that maps the
//!   file, and every `read` of it, sees the same bytes. It is mapped read-only first;
//!   the first write faults, tells the pager the page is dirty (to be written back),
//!   and makes the page writable.
//! - A *private* mapping maps the same frame read-only and copy-on-write: the first
//!   write gives the process its own copy (the cache's frame always has another
//!   holder, the cache, so the copy is always made), and the file never sees it.
//! - A page wholly past the end of the file is [`VmError::BeyondEnd`]: SIGBUS for the
//!   program, as POSIX says, never a kernel fault.

use alloc::sync::Arc;

use crate::aspace::{
    break_cow, page_down, page_up, AddressSpace, FaultCounts, Prot, VmError, Vma, VmaKind,
};
use crate::frames;
use hal::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use hal::paging::{PageFlags, PageSize};

/// What fills a file mapping: the page cache of one file.
pub trait Pager: Send + Sync {
    /// The frame holding page `index` of the file, with one hold for the caller
    /// (given back with `frames::release` when the page is unmapped);
    /// [`VmError::BeyondEnd`] past the end of the file.
    fn page(&self, index: u64) -> Result<PhysAddr, VmError>;
    /// A program wrote page `index` through a shared mapping.
    fn dirtied(&self, index: u64);
    /// Write the file's dirty pages back to its file system and the disk (msync).
    fn sync(&self) -> Result<(), VmError>;
    /// The file's path, if it has one (a core dump's list of mapped files).
    fn name(&self) -> Option<alloc::string::String> {
        None
    }
    /// The pages are device memory (a framebuffer), not RAM: mapped uncached, only
    /// shared (a private copy of a device makes no sense), left out of core dumps,
    /// never counted or freed (see `frames::add_device_memory`).
    fn device_memory(&self) -> bool {
        false
    }
    /// Which file this is, when several pagers may stand for one (each `mmap` of a
    /// file makes its own): (mount id, inode). Truncating the file takes its pages
    /// past the new end out of every mapping whose pager names it
    /// ([`AddressSpace::drop_pages_of_file`](crate::AddressSpace)).
    fn file_key(&self) -> Option<(u32, u64)> {
        None
    }
}

/// The file behind a region.
#[derive(Clone)]
pub struct FileMap {
    pub pager: Arc<dyn Pager>,
    /// Where in the file the region's first page lies (a multiple of the page size).
    pub offset: u64,
    /// Writes reach the file (`MAP_SHARED`) rather than a private copy.
    pub shared: bool,
    /// The file was opened for writing: a shared mapping may be made writable.
    pub writable_file: bool,
}

impl core::fmt::Debug for FileMap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "file@{:#x}{}",
            self.offset,
            if self.shared { " shared" } else { "" }
        )
    }
}

impl AddressSpace {
    /// Add a region of `len` bytes at `start` showing `file` (pages come on first
    /// touch). A shared writable mapping needs a file opened for writing.
    pub fn map_file(
        &mut self,
        start: u64,
        len: u64,
        prot: Prot,
        file: FileMap,
    ) -> Result<(), VmError> {
        self.map_file_as(start, len, prot, file, VmaKind::Mmap)
    }

    /// As [`AddressSpace::map_file`], for a segment of the program file that `exec`
    /// maps: the region's kind is `Image` (a core dump names it after the program).
    pub fn map_image_file(
        &mut self,
        start: u64,
        len: u64,
        prot: Prot,
        file: FileMap,
    ) -> Result<(), VmError> {
        self.map_file_as(start, len, prot, file, VmaKind::Image)
    }

    fn map_file_as(
        &mut self,
        start: u64,
        len: u64,
        prot: Prot,
        file: FileMap,
        kind: VmaKind,
    ) -> Result<(), VmError> {
        if !file.offset.is_multiple_of(PAGE_SIZE) {
            return Err(VmError::Invalid);
        }
        if file.shared && prot.write && !file.writable_file {
            return Err(VmError::Denied);
        }
        if file.pager.device_memory() && !file.shared {
            return Err(VmError::Invalid);
        }
        self.map_region(start, len, prot, kind, Some(file))
    }

    /// A fault at page `page` of file region `vma` (the access is allowed; `absent`:
    /// the CPU said the page is not present).
    pub(crate) fn file_fault(
        &self,
        vma: &Vma,
        page: u64,
        write: bool,
        absent: bool,
    ) -> Result<(), VmError> {
        let Some(file) = vma.file.as_ref() else {
            return Err(VmError::Invalid);
        };
        let index = (page - vma.start + file.offset) / PAGE_SIZE;
        let va = VirtAddr(page);
        let present = if absent {
            None
        } else {
            self.table.lock().translate(va)
        };
        match present {
            None => {
                // The pager may sleep (a disk read): no page-table lock held meanwhile.
                let frame = file.pager.page(index)?;
                let mut flags = vma.prot.page_flags();
                if file.pager.device_memory() {
                    flags |= PageFlags::NO_CACHE | PageFlags::WRITE_THROUGH;
                }
                let mut map = frame;
                if file.shared {
                    if write {
                        file.pager.dirtied(index);
                    } else {
                        flags -= PageFlags::WRITABLE; // the first write must be seen
                    }
                } else if write {
                    // A private write: the process's own copy, now.
                    let own = frames::alloc_user_frame().ok_or_else(|| {
                        frames::release(frame);
                        VmError::NoMemory
                    })?;
                    hal::paging::copy_frame(own, frame);
                    frames::release(frame);
                    map = own;
                } else if vma.prot.write {
                    flags = (flags - PageFlags::WRITABLE) | PageFlags::COW;
                }
                let r = self.table.lock().map(va, map, PageSize::Size4K, flags);
                match r {
                    Ok(()) => {
                        FaultCounts::bump(&self.faults.file);
                        Ok(())
                    }
                    // Another thread of the process mapped it meanwhile.
                    Err(hal::paging::MapError::AlreadyMapped) => {
                        frames::release(map);
                        Ok(())
                    }
                    Err(_) => {
                        frames::release(map);
                        Err(VmError::NoMemory)
                    }
                }
            }
            Some((old, flags)) if write && !flags.contains(PageFlags::WRITABLE) => {
                FaultCounts::bump(&self.faults.copy);
                if file.shared {
                    file.pager.dirtied(index);
                    let keep = flags & (PageFlags::NO_CACHE | PageFlags::WRITE_THROUGH);
                    self.table
                        .lock()
                        .protect(va, vma.prot.page_flags() | keep)
                        .map_err(|_| VmError::Invalid)
                } else {
                    let old = PhysAddr(page_down(old.as_u64()));
                    break_cow(&mut self.table.lock(), va, old, vma.prot)
                }
            }
            Some(_) => Ok(()),
        }
    }

    /// Copy page `va` of region `vma` into `out` (4096 bytes) as the program would
    /// read it: a resident page from its frame, a file page not yet touched from the
    /// file. `false` for an untouched anonymous page, which reads as zeros (a core
    /// dump leaves it a hole in the file). Takes no frame for good: a file page
    /// fetched here is given back at once.
    pub fn read_page_for_dump(&self, vma: &Vma, va: u64, out: &mut [u8]) -> bool {
        if vma.file.as_ref().is_some_and(|f| f.pager.device_memory()) {
            return false; // a device's memory is not the program's to dump
        }
        let present = self.table.lock().translate(VirtAddr(va));
        if let Some((pa, _)) = present {
            hal::paging::read_frame(PhysAddr(page_down(pa.as_u64())), 0, out);
            return true;
        }
        let Some(file) = vma.file.as_ref() else {
            return false;
        };
        match file.pager.page((va - vma.start + file.offset) / PAGE_SIZE) {
            Ok(frame) => {
                hal::paging::read_frame(frame, 0, out);
                frames::release(frame);
                true
            }
            Err(_) => false,
        }
    }

    /// Is every page of `[start, end)` in some region?
    fn covered(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        while at < end {
            match self.find(at) {
                Some(v) => at = v.end,
                None => return false,
            }
        }
        true
    }

    /// Split the region containing `at` (strictly inside it) in two.
    fn split_at(&mut self, at: u64) -> Result<(), VmError> {
        let Some(v) = self.find(at).cloned() else {
            return Ok(());
        };
        if v.start == at {
            return Ok(());
        }
        if self.vmas.len() >= crate::aspace::MAX_REGIONS {
            return Err(VmError::NoMemory);
        }
        self.vmas.insert(v.start, v.upto(at));
        self.vmas.insert(at, v.from(at));
        Ok(())
    }

    /// `mprotect`: give `[start, start+len)` the rights `prot`. Every page must be
    /// mapped (NoMemory otherwise, ENOMEM for the caller); making a shared mapping of
    /// a file opened read-only writable is Denied. Pages already present lose the
    /// rights taken away at once; rights given are granted on the next fault (which
    /// is also what keeps copy-on-write and dirty tracking right).
    pub fn protect(&mut self, start: u64, len: u64, prot: Prot) -> Result<(), VmError> {
        let end = start.checked_add(len).ok_or(VmError::Invalid)?;
        if !start.is_multiple_of(PAGE_SIZE) || end > crate::aspace::USER_END {
            return Err(VmError::Invalid);
        }
        let end = page_up(end);
        if len == 0 {
            return Ok(());
        }
        if !self.covered(start, end) {
            return Err(VmError::NoMemory);
        }
        let denied = self
            .vmas
            .range(..end)
            .rev()
            .take_while(|(_, v)| v.end > start)
            .any(|(_, v)| {
                prot.write
                    && v.file
                        .as_ref()
                        .is_some_and(|f| f.shared && !f.writable_file)
            });
        if denied {
            return Err(VmError::Denied);
        }
        self.word_page = None;
        self.split_at(start)?;
        self.split_at(end)?;
        let starts: alloc::vec::Vec<u64> = self.vmas.range(start..end).map(|(&s, _)| s).collect();
        for s in starts {
            if let Some(v) = self.vmas.get_mut(&s) {
                v.prot = prot;
            }
        }
        let mut t = self.table.lock();
        let mut pages = alloc::vec::Vec::new();
        t.mappings_in(VirtAddr(start), VirtAddr(end), &mut pages);
        for (va, _, old) in pages {
            let cache = PageFlags::NO_CACHE | PageFlags::WRITE_THROUGH;
            let mut flags = prot.page_flags() | (old & (PageFlags::COW | cache));
            if !old.contains(PageFlags::WRITABLE) {
                flags -= PageFlags::WRITABLE;
            }
            if !prot.read && !prot.write && !prot.exec {
                // PROT_NONE: keep the frame, take the page away from the program.
                flags -= PageFlags::USER | PageFlags::WRITABLE;
            }
            t.protect(va, flags).map_err(|_| VmError::Invalid)?;
        }
        Ok(())
    }

    /// `msync`: write back the files of the shared mappings in `[start, start+len)`.
    pub fn sync_range(&self, start: u64, len: u64) -> Result<(), VmError> {
        let end = start.checked_add(len).ok_or(VmError::Invalid)?;
        if !start.is_multiple_of(PAGE_SIZE) {
            return Err(VmError::Invalid);
        }
        let end = page_up(end);
        if !self.covered(start, end) {
            return Err(VmError::NoMemory);
        }
        let pagers: alloc::vec::Vec<Arc<dyn Pager>> = self
            .vmas
            .range(..end)
            .filter(|(_, v)| v.end > start)
            .filter_map(|(_, v)| {
                v.file
                    .as_ref()
                    .filter(|f| f.shared)
                    .map(|f| f.pager.clone())
            })
            .collect();
        for p in pagers {
            p.sync()?;
        }
        Ok(())
    }
}
