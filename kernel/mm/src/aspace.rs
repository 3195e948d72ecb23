//! User address spaces: the page table plus the regions a program may use.
//!
//! An [`AddressSpace`] is a list of virtual memory areas ([`Vma`]: start, end, access
//! rights) and the page table that maps the pages of those areas which have been touched.
//! Pages are created *on demand*: mapping an area only records it, and the first access
//! takes a page fault that [`AddressSpace::handle_fault`] resolves with a zeroed frame.
//!
//! `fork` copies an address space **copy-on-write**: both parents and child map the same
//! frames read-only, marked COW, and each frame's share count goes up. The first write
//! from either side faults; the fault handler gives the writer a private copy (or, when
//! it is the last sharer, simply makes the page writable again). So `fork` costs one
//! page-table walk, not a copy of the memory.
//!
//! Frames of an address space are released (share count down, freed at zero) when it is
//! dropped, e.g. by `exec` or `exit`.

use crate::filemap::{FileMap, Pager};
use crate::frames;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::Cell;
use hal::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use hal::paging::{PageFlags, PageSize, PageTable};
use hal::sync::SpinLock;
use hal::task::UserTable;

/// Highest user address (exclusive) regions may reach: the last page below the
/// non-canonical hole stays unmapped (see `hal::user::USER_MAP_END`).
pub const USER_END: u64 = hal::user::USER_MAP_END;
/// Lowest address a region may start at: page 0 stays unmapped to catch null pointers.
pub const USER_START: u64 = PAGE_SIZE;
/// Most regions one address space may have (Linux's `vm.max_map_count` is 65,530). Each
/// costs kernel heap and every map/unmap looks regions up, so a program that maps page
/// after page gets ENOMEM here instead of exhausting the kernel.
pub const MAX_REGIONS: usize = 4096;

/// Access rights of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Prot {
    pub const RW: Prot = Prot {
        read: true,
        write: true,
        exec: false,
    };
    pub const RX: Prot = Prot {
        read: true,
        write: false,
        exec: true,
    };
    pub const R: Prot = Prot {
        read: true,
        write: false,
        exec: false,
    };

    pub(crate) fn page_flags(self) -> PageFlags {
        let mut f = PageFlags::USER;
        if self.write {
            f |= PageFlags::WRITABLE;
        }
        if !self.exec {
            f |= PageFlags::NO_EXECUTE;
        }
        f
    }
}

/// What a region is for (shown by diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmaKind {
    Image,
    Heap,
    Stack,
    Mmap,
}

/// A virtual memory area `[start, end)`.
#[derive(Debug, Clone)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    pub kind: VmaKind,
    /// The file whose pages fill it (`None`: anonymous memory, zero-filled).
    pub file: Option<FileMap>,
}

impl Vma {
    /// The part of this region from `at` on (a file mapping's offset moves along).
    pub(crate) fn from(&self, at: u64) -> Vma {
        let mut v = self.clone();
        if let Some(f) = v.file.as_mut() {
            f.offset += at - self.start;
        }
        v.start = at;
        v
    }

    /// The part of this region below `at`.
    pub(crate) fn upto(&self, at: u64) -> Vma {
        Vma {
            end: at,
            ..self.clone()
        }
    }
}

/// Why a memory operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmError {
    /// No region, or the access is not allowed there (SIGSEGV / EFAULT).
    BadAddress,
    /// Out of frames (ENOMEM).
    NoMemory,
    /// A file mapping's page lies past the end of the file, or could not be read
    /// (SIGBUS).
    BeyondEnd,
    /// The access the call asks for is more than the mapped file was opened for
    /// (EACCES).
    Denied,
    /// The range is invalid or overlaps (EINVAL).
    Invalid,
}

/// A process's memory.
pub struct AddressSpace {
    pub(crate) table: UserTable,
    pub(crate) vmas: BTreeMap<u64, Vma>,
    /// The program break: the heap region is `[heap_start, brk)`.
    heap_start: u64,
    brk: u64,
    /// The page of the last futex word found in a shared mapping, and its frame
    /// (see `word.rs`); forgotten whenever pages are unmapped or lose rights.
    pub(crate) word_page: Option<(u64, PhysAddr)>,
    /// What `getrusage` reads: faults by kind, and the pages they and `exec` mapped.
    pub(crate) faults: FaultCounts,
    /// The start of the region `find` found last (Linux's per-thread `vmacache`): a
    /// hint only, checked against the region it names, so no change of the regions
    /// needs to clear it.
    last_found: Cell<u64>,
}

/// Page faults resolved, by kind, and the resident pages they imply. *Minor* faults
/// are a zeroed frame (`anon`) and a copy-on-write copy or a shared page made writable
/// (`copy`); *major* ones took a page from a file (`file`: the page cache, which may
/// have read the disk). The resident count is derived, not kept: pages mapped by
/// faults and by `exec`/`fork` (`other`), less those released; the peak is taken
/// whenever pages are released and when asked, since only a release lowers the count.
/// So a fault pays for one counter (plain cells, not atomics: an address space is used
/// under its process's lock, and a fault on a mapped file page is measured in
/// instructions).
#[derive(Default)]
pub(crate) struct FaultCounts {
    pub(crate) anon: Cell<u64>,
    pub(crate) copy: Cell<u64>,
    pub(crate) file: Cell<u64>,
    pub(crate) other: Cell<u64>,
    pub(crate) released: Cell<u64>,
    pub(crate) peak: Cell<u64>,
}

impl FaultCounts {
    /// One more (wrapping: a 64-bit count does not overflow in practice, and the
    /// overflow check would cost the fault path a branch).
    #[inline(always)]
    pub(crate) fn bump(c: &Cell<u64>) {
        c.set(c.get().wrapping_add(1));
    }

    /// Pages mapped now.
    pub(crate) fn resident(&self) -> u64 {
        (self.anon.get() + self.file.get() + self.other.get()).saturating_sub(self.released.get())
    }

    /// `n` pages were released: the count before is a candidate peak.
    pub(crate) fn release(&self, n: u64) {
        self.peak.set(self.peak.get().max(self.resident()));
        self.released.set(self.released.get() + n);
    }
}

pub(crate) fn page_down(a: u64) -> u64 {
    a & !(PAGE_SIZE - 1)
}
/// Round up to a page boundary; addresses in the last page of the 64-bit space (never
/// user memory) saturate, so callers' `> USER_END` checks refuse them.
pub(crate) fn page_up(a: u64) -> u64 {
    a.checked_next_multiple_of(PAGE_SIZE)
        .unwrap_or(!(PAGE_SIZE - 1))
}

impl AddressSpace {
    /// An empty address space sharing the kernel's upper half.
    pub fn new() -> Result<Self, VmError> {
        let table = PageTable::new_user().map_err(|_| VmError::NoMemory)?;
        Ok(AddressSpace {
            table: Arc::new(SpinLock::new(table)),
            vmas: BTreeMap::new(),
            heap_start: 0,
            brk: 0,
            word_page: None,
            faults: FaultCounts::default(),
            last_found: Cell::new(u64::MAX),
        })
    }

    /// The page table, for the scheduler to load.
    pub fn table(&self) -> UserTable {
        self.table.clone()
    }

    pub fn vmas(&self) -> impl Iterator<Item = &Vma> {
        self.vmas.values()
    }

    /// The region containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        let hint = self.last_found.get();
        if hint <= addr {
            // One exact lookup; the named region, if it still exists and holds `addr`,
            // is the only one that can (regions never overlap).
            if let Some(v) = self.vmas.get(&hint).filter(|v| addr < v.end) {
                return Some(v);
            }
        }
        let v = self
            .vmas
            .range(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| addr < v.end)?;
        self.last_found.set(v.start);
        Some(v)
    }

    /// Does any region meet `[start, end)`? Regions never overlap each other, so only
    /// the last one starting below `end` can: one ordered-map lookup.
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.vmas
            .range(..end)
            .next_back()
            .is_some_and(|(_, v)| start < v.end)
    }

    /// Add a region of anonymous memory (pages come on first touch).
    pub fn map(&mut self, start: u64, len: u64, prot: Prot, kind: VmaKind) -> Result<(), VmError> {
        self.map_region(start, len, prot, kind, None)
    }

    /// Add a region, of a file when `file` is given.
    pub(crate) fn map_region(
        &mut self,
        start: u64,
        len: u64,
        prot: Prot,
        kind: VmaKind,
        file: Option<FileMap>,
    ) -> Result<(), VmError> {
        let end = start.checked_add(len).ok_or(VmError::Invalid)?;
        if !start.is_multiple_of(PAGE_SIZE) || len == 0 || start < USER_START || end > USER_END {
            return Err(VmError::Invalid);
        }
        let end = page_up(end);
        if self.overlaps(start, end) {
            return Err(VmError::Invalid);
        }
        if self.vmas.len() >= MAX_REGIONS {
            return Err(VmError::NoMemory);
        }
        self.vmas.insert(
            start,
            Vma {
                start,
                end,
                prot,
                kind,
                file,
            },
        );
        Ok(())
    }

    /// Find a free range of `len` bytes at or above `hint` (below the stack).
    pub fn find_free(&self, hint: u64, len: u64) -> Option<u64> {
        if len == 0 || len > USER_END {
            return None;
        }
        let len = page_up(len);
        let hint = if hint < USER_END { hint } else { 0 };
        let mut at = page_up(hint.max(0x1000_0000));
        // Regions are ordered: start from the one holding `at` and walk up past those in
        // the way (at most MAX_REGIONS of them).
        let from = self.find(at).map_or(at, |v| v.start);
        for (_, v) in self.vmas.range(from..) {
            if v.end <= at {
                continue;
            }
            if v.start >= at + len {
                break;
            }
            at = v.end;
        }
        (at.checked_add(len)? <= USER_END - (64 << 20)).then_some(at)
    }

    /// Remove `[start, start+len)` from the regions, releasing its pages.
    pub fn unmap(&mut self, start: u64, len: u64) -> Result<(), VmError> {
        let end = start.checked_add(len).ok_or(VmError::Invalid)?;
        if !start.is_multiple_of(PAGE_SIZE) || len == 0 || end > USER_END {
            return Err(VmError::Invalid);
        }
        let end = page_up(end);
        // The regions met: from the one containing `start` (if any) up to `end`.
        let from = self.find(start).map_or(start, |v| v.start);
        let hit: alloc::vec::Vec<Vma> =
            self.vmas.range(from..end).map(|(_, v)| v.clone()).collect();
        // Cutting a hole in the middle of a region makes one more.
        if hit.len() == 1
            && hit[0].start < start
            && end < hit[0].end
            && self.vmas.len() >= MAX_REGIONS
        {
            return Err(VmError::NoMemory);
        }
        for v in hit {
            self.vmas.remove(&v.start);
            if v.start < start {
                self.vmas.insert(v.start, v.upto(start));
            }
            if end < v.end {
                self.vmas.insert(end, v.from(end));
            }
        }
        self.release_pages(start, end);
        Ok(())
    }

    /// Take away every page this address space maps from `pager` at file offset
    /// `from` or beyond (a shared segment made smaller): the regions stay, so a later
    /// touch faults, and the pager answers `BeyondEnd` (SIGBUS). The frames' shares
    /// held by the mappings are given back.
    pub fn drop_file_pages(&mut self, pager: &Arc<dyn Pager>, from: u64) {
        let same = |p: &Arc<dyn Pager>| {
            core::ptr::eq(Arc::as_ptr(p) as *const (), Arc::as_ptr(pager) as *const ())
        };
        self.drop_pages_where(same, from);
    }

    /// As [`AddressSpace::drop_file_pages`] for every mapping of the file `key`
    /// ([`Pager::file_key`]) whatever its pager (a file truncated: a touch past its
    /// new end is SIGBUS in every process, private copies of those pages included, as
    /// Linux's truncate does).
    pub fn drop_pages_of_file(&mut self, key: (u32, u64), from: u64) {
        self.drop_pages_where(|p: &Arc<dyn Pager>| p.file_key() == Some(key), from);
    }

    fn drop_pages_where(&mut self, same: impl Fn(&Arc<dyn Pager>) -> bool, from: u64) {
        let ranges: Vec<(u64, u64)> = self
            .vmas
            .values()
            .filter_map(|v| {
                let f = v.file.as_ref().filter(|f| same(&f.pager))?;
                // The first page of the region at or past `from`.
                let skip = page_up(from.saturating_sub(f.offset));
                (skip < v.end - v.start).then_some((v.start + skip, v.end))
            })
            .collect();
        for (start, end) in ranges {
            self.release_pages(start, end);
        }
    }

    /// Unmap and release the pages in `[start, end)`. The page-table walk skips what
    /// was never touched, so the cost follows the resident pages, not the range (a
    /// walk page by page over `munmap(addr, 16 TiB)` took minutes with the table's
    /// spinlock held and interrupts off).
    fn release_pages(&mut self, start: u64, end: u64) {
        self.word_page = None;
        let mut gone = 0u64;
        self.table
            .lock()
            .unmap_range(VirtAddr(start), VirtAddr(end), |pa| {
                gone += 1;
                frames::release(pa)
            });
        self.faults.release(gone);
    }

    /// Set up the heap region (empty) right after the program image.
    pub fn init_heap(&mut self, start: u64) {
        self.heap_start = page_up(start);
        self.brk = self.heap_start;
    }

    /// Move the program break; returns the new break (unchanged on failure, like Linux).
    pub fn set_brk(&mut self, new: u64) -> u64 {
        if new == 0 || new < self.heap_start || new > USER_END {
            return self.brk;
        }
        let old_end = page_up(self.brk);
        let new_end = page_up(new);
        if new_end > old_end {
            if self.overlaps(old_end, new_end) || new_end > USER_END {
                return self.brk;
            }
            if let Some(v) = self.vmas.get_mut(&self.heap_start) {
                v.end = new_end;
            } else {
                self.vmas.insert(
                    self.heap_start,
                    Vma {
                        start: self.heap_start,
                        end: new_end,
                        prot: Prot::RW,
                        kind: VmaKind::Heap,
                        file: None,
                    },
                );
            }
        } else if new_end < old_end {
            self.release_pages(new_end, old_end);
            if new_end == self.heap_start {
                self.vmas.remove(&self.heap_start);
            } else if let Some(v) = self.vmas.get_mut(&self.heap_start) {
                v.end = new_end;
            }
        }
        self.brk = new;
        new
    }

    pub fn brk(&self) -> u64 {
        self.brk
    }

    /// Resolve a fault at `addr` (`write`: the access was a write). Ok means the access
    /// can be retried; BadAddress means the program touched what it may not.
    pub fn handle_fault(&mut self, addr: u64, write: bool, exec: bool) -> Result<(), VmError> {
        self.fault(addr, write, exec, false)
    }

    /// As [`AddressSpace::handle_fault`], for a fault the CPU reported on a page that
    /// is not present (the error code's P bit clear), so the table need not be asked.
    pub fn handle_missing_page(
        &mut self,
        addr: u64,
        write: bool,
        exec: bool,
    ) -> Result<(), VmError> {
        self.fault(addr, write, exec, true)
    }

    /// Fault counts so far: (minor, major).
    pub fn fault_counts(&self) -> (u64, u64) {
        let f = &self.faults;
        (f.anon.get() + f.copy.get(), f.file.get())
    }

    /// The most bytes this address space has had resident at once (`maxrss`).
    pub fn peak_resident_bytes(&self) -> u64 {
        self.faults.peak.get().max(self.faults.resident()) * PAGE_SIZE
    }

    /// Pages resident now, from the fault counters (no table walk: the
    /// out-of-memory killer reads it of every process).
    pub fn resident_pages(&self) -> u64 {
        self.faults.resident()
    }

    /// One more page is resident, mapped by `exec` or `fork` rather than a fault.
    pub(crate) fn page_mapped(&self) {
        FaultCounts::bump(&self.faults.other);
    }

    fn fault(&mut self, addr: u64, write: bool, exec: bool, absent: bool) -> Result<(), VmError> {
        let vma = self.find(addr).ok_or(VmError::BadAddress)?;
        if (write && !vma.prot.write) || (exec && !vma.prot.exec) || !vma.prot.read {
            return Err(VmError::BadAddress);
        }
        if vma.file.is_some() {
            return self.file_fault(vma, page_down(addr), write, absent);
        }
        let prot = vma.prot;
        let page = VirtAddr(page_down(addr));
        let mut t = self.table.lock();
        let present = if absent { None } else { t.translate(page) };
        match present {
            None => {
                let f = frames::alloc_user_frame().ok_or(VmError::NoMemory)?;
                hal::paging::zero_frame(f);
                match t.map(page, f, PageSize::Size4K, prot.page_flags()) {
                    Ok(()) => {
                        FaultCounts::bump(&self.faults.anon);
                        Ok(())
                    }
                    // Another thread of the process mapped it meanwhile.
                    Err(hal::paging::MapError::AlreadyMapped) => {
                        frames::free_frame(f);
                        Ok(())
                    }
                    Err(_) => {
                        frames::free_frame(f);
                        Err(VmError::NoMemory)
                    }
                }
            }
            // Copy-on-write, or a page made read-only by mprotect and writable again
            // (shared with a fork's child all the same, so the same rule).
            Some((old, flags)) if write && !flags.contains(PageFlags::WRITABLE) => {
                FaultCounts::bump(&self.faults.copy);
                break_cow(&mut t, page, PhysAddr(page_down(old.as_u64())), prot)
            }
            // Mapped and allowed: another thread resolved it, or a spurious fault.
            Some((_, flags)) if !write || flags.contains(PageFlags::WRITABLE) => Ok(()),
            Some(_) => Err(VmError::BadAddress),
        }
    }

    /// Is all of `[addr, addr+len)` inside regions allowing the access? (No pages are
    /// touched: this is the up-front check of a buffer a system call was given.)
    pub fn check_range(&self, addr: u64, len: u64, write: bool) -> bool {
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        if end > USER_END {
            return false;
        }
        let mut at = addr;
        while at < end {
            match self.find(at) {
                Some(v) if v.prot.read && (!write || v.prot.write) => at = v.end,
                _ => return false,
            }
        }
        true
    }

    /// Make `[addr, addr+len)` present (and writable if `write`), as the kernel is about
    /// to copy to or from it. Fails with BadAddress for anything outside the regions.
    pub fn prepare(&mut self, addr: u64, len: usize, write: bool) -> Result<(), VmError> {
        if len == 0 {
            return Ok(());
        }
        let end = addr.checked_add(len as u64).ok_or(VmError::BadAddress)?;
        if end > USER_END {
            return Err(VmError::BadAddress);
        }
        let mut page = page_down(addr);
        while page < end {
            let ok = {
                let t = self.table.lock();
                match t.translate(VirtAddr(page)) {
                    Some((_, f)) => !write || f.contains(PageFlags::WRITABLE),
                    None => false,
                }
            };
            if !ok {
                self.handle_fault(page, write, false)?;
            }
            page += PAGE_SIZE;
        }
        Ok(())
    }

    /// Write `data` at `addr` whatever the region's rights (used by exec to load the
    /// program image and build the initial stack before the program runs).
    pub fn write_initial(&mut self, addr: u64, data: &[u8]) -> Result<(), VmError> {
        let mut done = 0;
        while done < data.len() {
            let va = addr + done as u64;
            let page = page_down(va);
            let frame = {
                let present = self.table.lock().translate(VirtAddr(page));
                match present {
                    Some((pa, _)) => PhysAddr(page_down(pa.as_u64())),
                    None => {
                        let vma = self.find(va).ok_or(VmError::BadAddress)?.clone();
                        let f = frames::alloc_user_frame().ok_or(VmError::NoMemory)?;
                        hal::paging::zero_frame(f);
                        self.table
                            .lock()
                            .map(VirtAddr(page), f, PageSize::Size4K, vma.prot.page_flags())
                            .map_err(|_| VmError::NoMemory)?;
                        self.page_mapped();
                        f
                    }
                }
            };
            let off = (va - page) as usize;
            let n = (PAGE_SIZE as usize - off).min(data.len() - done);
            hal::paging::write_frame(frame, off, &data[done..done + n]);
            done += n;
        }
        Ok(())
    }

    /// A copy-on-write duplicate (for `fork`).
    pub fn fork(&mut self) -> Result<AddressSpace, VmError> {
        let mut child = AddressSpace::new()?;
        child.vmas = self.vmas.clone();
        child.heap_start = self.heap_start;
        child.brk = self.brk;
        let mut pt = self.table.lock();
        let mut ct = child.table.lock();
        // Every page of a process lies in one of its regions: walking the regions'
        // ranges finds them all without scanning the rest of the table.
        // A shared file mapping stays shared (both write the file's pages); every
        // other page becomes copy-on-write.
        let mut pages = alloc::vec::Vec::new();
        // The parent's other threads, on other CPUs, may cache the writable entries:
        // they are flushed once, after the whole pass, not once per page (with a
        // thread running on another CPU, a fork of a few hundred pages sent as many
        // IPIs and waited for each: a four-CPU usertests spent minutes in
        // `fork_while_the_vfs_is_busy_and_a_thread_ticks`; docs/smp.md).
        let mut protected = false;
        let flushed = |pt: &PageTable, protected: bool| {
            if protected {
                pt.flush_others();
            }
        };
        for v in self.vmas.values() {
            pages.clear();
            pt.mappings_in(VirtAddr(v.start), VirtAddr(v.end), &mut pages);
            let keep = v.file.as_ref().is_some_and(|f| f.shared);
            for &(va, pa, flags) in &pages {
                let mut shared = flags & !(PageFlags::ACCESSED | PageFlags::DIRTY);
                if keep {
                    // Mapped as it is in the parent.
                } else if shared.contains(PageFlags::WRITABLE) || shared.contains(PageFlags::COW) {
                    shared = (shared - PageFlags::WRITABLE) | PageFlags::COW;
                    if pt.protect_batched(va, shared - PageFlags::PRESENT).is_err() {
                        flushed(&pt, protected);
                        return Err(VmError::Invalid);
                    }
                    protected = true;
                }
                frames::share(pa);
                if ct
                    .map(va, pa, PageSize::Size4K, shared - PageFlags::PRESENT)
                    .is_err()
                {
                    frames::release(pa);
                    flushed(&pt, protected);
                    return Err(VmError::NoMemory);
                }
                child.page_mapped();
            }
        }
        flushed(&pt, protected);
        drop(ct);
        drop(pt);
        Ok(child)
    }

    /// Bytes of all regions together, touched or not (what `RLIMIT_AS` limits).
    pub fn mapped_bytes(&self) -> u64 {
        self.vmas.values().map(|v| v.end - v.start).sum()
    }

    /// The resident pages of `[start, end)` and their frames, in address order (the
    /// core dump reads them; untouched pages are left out).
    pub fn present_pages(&self, start: u64, end: u64) -> alloc::vec::Vec<(u64, PhysAddr)> {
        let mut pages = alloc::vec::Vec::new();
        self.table
            .lock()
            .mappings_in(VirtAddr(start), VirtAddr(end), &mut pages);
        pages
            .into_iter()
            .map(|(va, pa, _)| (va.as_u64(), PhysAddr(page_down(pa.as_u64()))))
            .collect()
    }

    /// Bytes of memory mapped (resident pages), for `ps`.
    pub fn resident_bytes(&self) -> u64 {
        let t = self.table.lock();
        let mut pages = alloc::vec::Vec::new();
        for v in self.vmas.values() {
            t.mappings_in(VirtAddr(v.start), VirtAddr(v.end), &mut pages);
        }
        pages.len() as u64 * PAGE_SIZE
    }
}

/// A write to page `page`, mapped read-only to frame `old`, in a private region with
/// rights `prot`: give the writer its own copy, or, when it is the frame's last
/// holder, make the page writable where it is.
pub(crate) fn break_cow(
    t: &mut PageTable,
    page: VirtAddr,
    old: PhysAddr,
    prot: Prot,
) -> Result<(), VmError> {
    if frames::share_count(old) > 1 {
        let new = frames::alloc_user_frame().ok_or(VmError::NoMemory)?;
        hal::paging::copy_frame(new, old);
        t.unmap(page).map_err(|_| VmError::Invalid)?;
        t.map(page, new, PageSize::Size4K, prot.page_flags())
            .map_err(|_| VmError::NoMemory)?;
        frames::release(old);
    } else {
        t.protect(page, prot.page_flags())
            .map_err(|_| VmError::Invalid)?;
    }
    Ok(())
}

impl Drop for AddressSpace {
    /// Release every page, region by region (every page lies in a region, and the walk
    /// reads only the entries covering each one); the table's own frames go when the
    /// last holder of the page table drops it.
    fn drop(&mut self) {
        let mut t = self.table.lock();
        for v in self.vmas.values() {
            t.unmap_range(VirtAddr(v.start), VirtAddr(v.end), frames::release);
        }
    }
}
