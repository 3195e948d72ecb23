//! Page tables: the four-level x86_64 translation structure and a safe API over it.
//!
//! A [`PageTable`] owns its top-level frame and every intermediate table frame it
//! allocates; the frames come from the [`FrameSource`] that `mm` registers (hal knows how
//! page tables look, mm decides which frames are free). Tables are edited through the
//! direct map, so no recursive mapping tricks are needed.
//!
//! What the entries mean and how a walk goes (map, unmap, translate, teardown) is plain
//! logic in [`x86::paging`], written against a [`TableMemory`]; hal's one, [`DirectMap`],
//! reaches table frames through the direct map. What stays here is what touches the
//! machine: that memory access, TLB flushes, and loading CR3.
//!
//! Permission bits are what protect the kernel: [`PageFlags::NO_EXECUTE`] on data,
//! read-only text, and no [`PageFlags::USER`] bit on anything in the kernel half.
//! [`PageTable::activate`] refuses a table that does not map the code and stack that are
//! running, so loading a broken table is an error, not a triple fault.

use crate::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use crate::sync::{Once, SpinLock};

use x86::paging::{self as tables, TableMemory};
pub use x86::paging::{MapError, PageFlags, PageSize, ADDR_MASK, KERNEL_HALF};

/// Where page-table frames come from. `mm` implements this over its buddy allocator.
///
/// Contract: `alloc_frame` returns a 4 KiB frame of RAM that nobody else uses until it
/// is handed back with `free_frame`. hal zeroes frames itself before using them.
pub trait FrameSource: Sync {
    fn alloc_frame(&self) -> Option<PhysAddr>;
    fn free_frame(&self, frame: PhysAddr);
    /// `pages` physically contiguous frames (for device DMA buffers).
    fn alloc_contiguous(&self, pages: usize) -> Option<PhysAddr>;
    fn free_contiguous(&self, first: PhysAddr, pages: usize);
}

static FRAME_SOURCE: Once<&'static dyn FrameSource> = Once::new();

/// Register the frame allocator (once, by `mm` at boot).
pub fn set_frame_source(source: &'static dyn FrameSource) {
    FRAME_SOURCE.call_once(|| source);
}

fn frames() -> &'static dyn FrameSource {
    *FRAME_SOURCE
        .get()
        .expect("paging used before mm registered a frame source")
}

/// A frame from the registered source, contents undefined.
pub(crate) fn alloc_frame() -> Option<PhysAddr> {
    frames().alloc_frame()
}

/// A zero-filled frame from the registered source.
pub(crate) fn alloc_zeroed_frame() -> Option<PhysAddr> {
    let f = frames().alloc_frame()?;
    // SAFETY: the frame source hands out RAM frames owned by nobody else (its contract),
    // and all RAM is mapped writable in the direct map.
    unsafe { core::ptr::write_bytes(f.to_virt().as_u64() as *mut u8, 0, PAGE_SIZE as usize) };
    Some(f)
}

pub(crate) fn free_frame(f: PhysAddr) {
    frames().free_frame(f);
}

/// Contiguous, zeroed frames for DMA.
pub(crate) fn alloc_dma(pages: usize) -> Option<PhysAddr> {
    let f = frames().alloc_contiguous(pages)?;
    // SAFETY: fresh frames from the source (its contract), in the direct map.
    unsafe {
        core::ptr::write_bytes(
            f.to_virt().as_u64() as *mut u8,
            0,
            pages * PAGE_SIZE as usize,
        )
    };
    Some(f)
}

pub(crate) fn free_dma(f: PhysAddr, pages: usize) {
    frames().free_contiguous(f, pages);
}

/// The 512 entries of the table in frame `pa`.
fn entries<'a>(pa: PhysAddr) -> &'a mut [u64; 512] {
    // SAFETY: `pa` is always a page-table frame owned by a PageTable (allocated by
    // `alloc_zeroed_frame` or the boot tables), mapped through the direct map. Callers
    // hold `&mut PageTable` (or the kernel-table lock), so no other alias is live.
    unsafe { &mut *(pa.to_virt().as_u64() as *mut [u64; 512]) }
}

/// Page-table frames reached through the direct map, new ones from the frame source.
/// Only this module makes one, and only for tables a [`PageTable`] (or the kernel-table
/// lock) gives it exclusive access to. The walks in [`x86::paging`] ask it only for the
/// root and for frames read from present, non-huge entries of those tables, that is,
/// for table frames: hal relies on that logic (it is tested on the host there), so it is
/// part of what the `SAFETY` argument of [`entries`] trusts.
struct DirectMap;

impl TableMemory for DirectMap {
    #[inline(always)]
    fn table(&mut self, table: PhysAddr) -> &mut [u64; 512] {
        entries(table)
    }
    fn alloc_table(&mut self) -> Option<PhysAddr> {
        alloc_zeroed_frame()
    }
    fn free_table(&mut self, table: PhysAddr) {
        free_frame(table)
    }
}

fn invlpg(va: VirtAddr) {
    // SAFETY: invalidating a TLB entry only forces a fresh page walk.
    unsafe { core::arch::asm!("invlpg [{}]", in(reg) va.as_u64(), options(nostack)) };
}

/// A four-level page table and the intermediate tables it owns.
///
/// A *user* table (from [`PageTable::new_user`]) shares the kernel's upper half: its
/// top-level entries 256-511 point at the kernel table's own level-3 tables, which it
/// does not own and never frees. It only ever maps user pages in its lower half.
pub struct PageTable {
    root: PhysAddr,
    user: bool,
}

impl PageTable {
    /// An empty table (nothing mapped).
    pub fn new() -> Result<Self, MapError> {
        Ok(PageTable {
            root: alloc_zeroed_frame().ok_or(MapError::OutOfFrames)?,
            user: false,
        })
    }

    /// A table for a user address space: empty lower half, the kernel's upper half.
    pub fn new_user() -> Result<Self, MapError> {
        let root = alloc_zeroed_frame().ok_or(MapError::OutOfFrames)?;
        let copied = with_kernel_table(|k| {
            let src = entries(k.root);
            let dst = entries(root);
            dst[KERNEL_HALF..].copy_from_slice(&src[KERNEL_HALF..]);
        });
        if copied.is_none() {
            free_frame(root);
            return Err(MapError::NotMapped);
        }
        Ok(PageTable { root, user: true })
    }

    /// Is this a user table (kernel half shared)?
    pub fn is_user(&self) -> bool {
        self.user
    }

    /// Make sure the top-level entry covering `va` exists, so that mappings added under
    /// it later are seen by every table that copied the kernel half.
    pub fn ensure_top_level(&mut self, va: VirtAddr) -> Result<(), MapError> {
        tables::ensure_top_level(&mut DirectMap, self.root, va)
    }

    /// Load this user table into CR3. No checks are needed: its kernel half is the
    /// kernel's own (that is what `new_user` built), so the running code stays mapped.
    pub fn activate_user(&self) {
        assert!(self.user, "activate_user on a kernel table");
        if !self.is_active() {
            // SAFETY: the upper half is shared with the kernel table, so this code, the
            // current stack and all kernel data remain mapped identically.
            unsafe { load_cr3(self.root.as_u64()) };
        }
    }

    /// The physical address of the top-level table (what CR3 holds).
    pub fn root(&self) -> PhysAddr {
        self.root
    }

    /// Is this table the one the CPU is using?
    pub fn is_active(&self) -> bool {
        crate::cpu::read_cr3() & ADDR_MASK == self.root.as_u64()
    }

    /// Map the page at `va` to the frame at `pa` with `flags` (PRESENT is implied).
    pub fn map(
        &mut self,
        va: VirtAddr,
        pa: PhysAddr,
        size: PageSize,
        flags: PageFlags,
    ) -> Result<(), MapError> {
        tables::map(&mut DirectMap, self.root, va, pa, size, flags)
    }

    /// Remove the 4 KiB mapping at `va`; returns the frame it mapped.
    pub fn unmap(&mut self, va: VirtAddr) -> Result<PhysAddr, MapError> {
        let active = self.is_active();
        let pa = tables::unmap(&mut DirectMap, self.root, va)?;
        // Kernel-half mappings are global and shared by every address space, so their
        // TLB entries survive CR3 switches: flush them whichever table is active.
        if active || va.is_kernel() {
            invlpg(va);
        }
        crate::smp::shootdown(self.root.as_u64(), va.is_kernel());
        Ok(pa)
    }

    /// Remove the 4 KiB kernel-half mapping at `va`, flushing only this CPU's TLB: the
    /// caller must make the other CPUs flush before they can use `va` again and before
    /// the frame is reused where they could reach it (a kernel stack's release, with
    /// [`crate::smp::shootdown_lazy`]).
    pub(crate) fn unmap_local(&mut self, va: VirtAddr) -> Result<PhysAddr, MapError> {
        let pa = tables::unmap(&mut DirectMap, self.root, va)?;
        invlpg(va);
        Ok(pa)
    }

    /// Change the flags of the 4 KiB mapping at `va`.
    pub fn protect(&mut self, va: VirtAddr, flags: PageFlags) -> Result<(), MapError> {
        let active = self.is_active();
        tables::protect(&mut DirectMap, self.root, va, flags)?;
        // Kernel-half mappings are global and shared by every address space, so their
        // TLB entries survive CR3 switches: flush them whichever table is active.
        if active || va.is_kernel() {
            invlpg(va);
        }
        crate::smp::shootdown(self.root.as_u64(), va.is_kernel());
        Ok(())
    }

    /// Change the flags of the 4 KiB user mapping at `va` as [`protect`](Self::protect)
    /// does, but flush only this CPU's entry: the caller changes many pages and then
    /// calls [`flush_others`](Self::flush_others) once, before the change may be relied
    /// on (fork's copy-on-write pass; Linux's `dup_mmap` flushes once at its end too).
    pub fn protect_batched(&mut self, va: VirtAddr, flags: PageFlags) -> Result<(), MapError> {
        let active = self.is_active();
        tables::protect(&mut DirectMap, self.root, va, flags)?;
        if active || va.is_kernel() {
            invlpg(va);
        }
        Ok(())
    }

    /// Make every other CPU that may cache this table's translations flush them, and
    /// wait until they have (the end of a batch of [`protect_batched`](Self::protect_batched)).
    pub fn flush_others(&self) {
        crate::smp::shootdown(self.root.as_u64(), false);
    }

    /// The frame and flags `va` translates to, if mapped.
    pub fn translate(&self, va: VirtAddr) -> Option<(PhysAddr, PageFlags)> {
        translate_in(self.root, va)
    }

    /// Make this the active table, after checking that it maps the running code, the
    /// current stack and the direct map exactly as the active table does.
    pub fn activate(&self) -> Result<(), MapError> {
        let here = PageTable::activate as *const () as u64;
        let rsp: u64;
        // SAFETY: reads the stack pointer.
        unsafe { core::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack)) };
        let probe = PhysAddr(self.root.as_u64()).to_virt();
        let current = PhysAddr(crate::cpu::read_cr3() & ADDR_MASK);
        for va in [here, rsp, probe.as_u64()] {
            let va = VirtAddr(va & !(PAGE_SIZE - 1));
            let new = self.translate(va).map(|t| t.0);
            if new.is_none() || new != translate_in(current, va).map(|t| t.0) {
                return Err(MapError::NotMapped);
            }
        }
        // SAFETY: the table maps this code, this stack and the direct map identically to
        // the active one (checked above), so execution continues seamlessly.
        unsafe { load_cr3(self.root.as_u64()) };
        Ok(())
    }
}

impl PageTable {
    /// Remove every 4 KiB mapping in `[start, end)` of the lower half, calling `f` with
    /// each frame unmapped (the walk's cost follows what is mapped, see
    /// [`x86::paging::unmap_range`]).
    pub fn unmap_range(&mut self, start: VirtAddr, end: VirtAddr, mut f: impl FnMut(PhysAddr)) {
        let active = self.is_active();
        let mut any = false;
        tables::unmap_range(&mut DirectMap, self.root, start, end, |va, pa| {
            if active {
                invlpg(VirtAddr(va));
            }
            any = true;
            f(pa)
        });
        if any {
            crate::smp::shootdown(self.root.as_u64(), false);
        }
    }

    /// Every 4 KiB user mapping in the lower half: (page address, frame, flags).
    pub fn user_mappings(&self) -> alloc::vec::Vec<(VirtAddr, PhysAddr, PageFlags)> {
        tables::user_mappings(&mut DirectMap, self.root)
    }

    /// Append the 4 KiB mappings in `[start, end)` to `out`, in address order (the walk
    /// reads only the entries covering the range).
    pub fn mappings_in(
        &self,
        start: VirtAddr,
        end: VirtAddr,
        out: &mut alloc::vec::Vec<(VirtAddr, PhysAddr, PageFlags)>,
    ) {
        tables::mappings_in(&mut DirectMap, self.root, start, end, out)
    }
}

/// Where a frame's contents may be touched through these functions: not the kernel
/// image and not the heap (checked), so a wrong frame number cannot corrupt the kernel's
/// code or data structures.
pub(crate) fn check_frame(f: PhysAddr) {
    let image_end = crate::addr::kernel_layout().end.as_u64() - crate::addr::KERNEL_VMA;
    assert!(
        f.is_page_aligned() && !(0x10_0000..image_end).contains(&f.as_u64()),
        "frame {f:?} is not a data frame"
    );
    assert!(
        !crate::heap::contains(f),
        "frame {f:?} is inside the kernel heap"
    );
}

/// Fill a frame with zeros. The frame must belong to the caller (allocated from mm).
pub fn zero_frame(f: PhysAddr) {
    check_frame(f);
    // SAFETY: a RAM frame outside the image and heap (checked), owned by the caller by
    // contract, mapped in the direct map.
    unsafe { core::ptr::write_bytes(f.to_virt().as_u64() as *mut u8, 0, PAGE_SIZE as usize) };
}

/// Copy a whole frame. Both must belong to the caller.
pub fn copy_frame(dst: PhysAddr, src: PhysAddr) {
    check_frame(dst);
    check_frame(src);
    assert!(dst != src);
    // SAFETY: two distinct owned RAM frames (checked as in zero_frame).
    unsafe {
        core::ptr::copy_nonoverlapping(
            src.to_virt().as_u64() as *const u8,
            dst.to_virt().as_u64() as *mut u8,
            PAGE_SIZE as usize,
        )
    };
}

/// Write `data` into frame `f` at `offset` (must fit in the frame).
pub fn write_frame(f: PhysAddr, offset: usize, data: &[u8]) {
    check_frame(f);
    assert!(offset + data.len() <= PAGE_SIZE as usize);
    // SAFETY: inside one owned frame (checked bounds and frame).
    unsafe {
        core::ptr::copy_nonoverlapping(
            data.as_ptr(),
            (f.to_virt().as_u64() + offset as u64) as *mut u8,
            data.len(),
        )
    };
}

/// Read from frame `f` at `offset` into `buf` (must fit in the frame).
pub fn read_frame(f: PhysAddr, offset: usize, buf: &mut [u8]) {
    check_frame(f);
    assert!(offset + buf.len() <= PAGE_SIZE as usize);
    // SAFETY: inside one data frame (checked bounds and frame), in the direct map.
    unsafe {
        core::ptr::copy_nonoverlapping(
            (f.to_virt().as_u64() + offset as u64) as *const u8,
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
}

/// Load the 32-bit word at `offset` (a multiple of 4) of frame `f` atomically: a word
/// that programs on other CPUs may be writing at the same moment (a futex's).
pub fn load_frame_u32(f: PhysAddr, offset: usize) -> u32 {
    check_frame(f);
    assert!(offset.is_multiple_of(4) && offset + 4 <= PAGE_SIZE as usize);
    let p = (f.to_virt().as_u64() + offset as u64) as *const core::sync::atomic::AtomicU32;
    // SAFETY: an aligned word inside one data frame (checked), in the direct map, which
    // is always mapped; AtomicU32 has u32's layout, and the access is atomic, so
    // concurrent writers (user code through its own mapping) race with nothing.
    unsafe { (*p).load(core::sync::atomic::Ordering::SeqCst) }
}

/// Translate `va` in the table rooted at `root`.
fn translate_in(root: PhysAddr, va: VirtAddr) -> Option<(PhysAddr, PageFlags)> {
    tables::translate(&mut DirectMap, root, va)
}

/// Translate `va` in the active address space.
pub fn translate_active(va: VirtAddr) -> Option<(PhysAddr, PageFlags)> {
    translate_in(PhysAddr(crate::cpu::read_cr3() & ADDR_MASK), va)
}

/// The kernel's page table once `mm` has built and installed it.
static KERNEL_TABLE: SpinLock<Option<PageTable>> = SpinLock::new(None);
static KERNEL_ROOT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Activate `table` and keep it as the kernel's table (its upper half is what every
/// address space will share).
pub fn install_kernel_table(mut table: PageTable) -> Result<(), MapError> {
    // The kernel-stack region's top-level entry must exist before any user table copies
    // the kernel half (stacks are mapped later, under it).
    table.ensure_top_level(VirtAddr(crate::addr::KSTACK_BASE))?;
    table.activate()?;
    KERNEL_ROOT.store(table.root.as_u64(), core::sync::atomic::Ordering::Relaxed);
    *KERNEL_TABLE.lock() = Some(table);
    Ok(())
}

/// Load CR3 with `root`, first recording it as this CPU's active table (what a TLB
/// shootdown looks at: a CPU that records a table after the shootdown read its record
/// loads CR3 after the change, so it cannot cache the old entry).
///
/// # Safety
/// `root` must be a page table that maps the running code, stack and kernel data as the
/// active one does.
pub(crate) unsafe fn load_cr3(root: u64) {
    crate::percpu::this()
        .active_root
        .store(root, core::sync::atomic::Ordering::SeqCst);
    // SAFETY: the caller's obligation.
    unsafe { core::arch::asm!("mov cr3, {}", in(reg) root, options(nostack)) };
}

/// The kernel table's root (0 before mm installed it): what a starting CPU loads.
pub(crate) fn kernel_root() -> u64 {
    KERNEL_ROOT.load(core::sync::atomic::Ordering::Relaxed)
}

/// Switch back to the kernel table (for a thread without a user address space).
pub fn activate_kernel_table() {
    let root = KERNEL_ROOT.load(core::sync::atomic::Ordering::Relaxed);
    if root != 0 && crate::cpu::read_cr3() & ADDR_MASK != root {
        {
            // SAFETY: the kernel table maps all kernel code, data and stacks, and every
            // user table shares exactly that upper half.
            unsafe { load_cr3(root) };
        }
    }
}

/// Run `f` on the kernel page table.
pub fn with_kernel_table<R>(f: impl FnOnce(&mut PageTable) -> R) -> Option<R> {
    KERNEL_TABLE.lock().as_mut().map(f)
}

impl Drop for PageTable {
    fn drop(&mut self) {
        assert!(!self.is_active(), "dropping the active page table");
        let owned = if self.user { KERNEL_HALF } else { 512 };
        tables::free_tables(&mut DirectMap, self.root, 4, owned);
    }
}
