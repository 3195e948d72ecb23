//! Four-level x86_64 page tables as data: entry bits, index arithmetic, and the walks.
//!
//! A table is a 4 KiB frame of 512 entries; an entry holds a frame address
//! ([`ADDR_MASK`]) and [`PageFlags`]. Bits 47..12 of a virtual address pick one entry
//! per level, 9 bits each, from level 4 (the root, in CR3) down to level 1, whose entry
//! maps a 4 KiB page; a level-2 entry with [`PageFlags::HUGE`] maps 2 MiB at once.
//!
//! Everything here reaches the tables through a [`TableMemory`], so the walks are plain
//! logic: hal implements it over the direct map (and adds what only the machine can do:
//! flushing the TLB, loading CR3), and the tests below implement it over a vector of
//! frames, so mapping, translation and teardown are checked on the host.

use crate::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use alloc::vec::Vec;

bitflags::bitflags! {
    /// Bits of a page-table entry.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct PageFlags: u64 {
        const PRESENT = 1;
        const WRITABLE = 1 << 1;
        const USER = 1 << 2;
        const WRITE_THROUGH = 1 << 3;
        const NO_CACHE = 1 << 4;
        const ACCESSED = 1 << 5;
        const DIRTY = 1 << 6;
        const HUGE = 1 << 7;
        const GLOBAL = 1 << 8;
        /// Software bit (ignored by the CPU): a copy-on-write page.
        const COW = 1 << 9;
        const NO_EXECUTE = 1 << 63;
    }
}

/// The frame-address bits of an entry (and of CR3).
pub const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
/// The first top-level index of the kernel half.
pub const KERNEL_HALF: usize = 256;
/// The end of the lower (user) half: 2^47.
pub const LOWER_HALF_END: u64 = 1 << 47;

/// Page sizes the tables can map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSize {
    Size4K,
    Size2M,
}

impl PageSize {
    pub const fn bytes(self) -> u64 {
        match self {
            PageSize::Size4K => PAGE_SIZE,
            PageSize::Size2M => 2 * 1024 * 1024,
        }
    }
}

/// Why a mapping request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    OutOfFrames,
    AlreadyMapped,
    NotMapped,
    Misaligned,
    /// The range is covered by a huge page.
    HugePage,
}

/// The entry index of `va` in its level-`level` table (1..=4).
pub const fn index(va: VirtAddr, level: usize) -> usize {
    ((va.as_u64() >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// The bytes one entry of a level-`level` table covers.
const fn span(level: usize) -> u64 {
    1u64 << (12 + 9 * (level - 1))
}

fn present(e: u64) -> bool {
    e & PageFlags::PRESENT.bits() != 0
}

fn huge(e: u64) -> bool {
    e & PageFlags::HUGE.bits() != 0
}

fn frame_of(e: u64) -> PhysAddr {
    PhysAddr(e & ADDR_MASK)
}

/// How the walks reach table frames, and where new tables come from.
pub trait TableMemory {
    /// The 512 entries of the table in frame `table`.
    fn table(&mut self, table: PhysAddr) -> &mut [u64; 512];
    /// A zero-filled frame for a new table.
    fn alloc_table(&mut self) -> Option<PhysAddr>;
    /// Give back a table frame.
    fn free_table(&mut self, table: PhysAddr);
}

/// Make sure the top-level entry covering `va` exists, so that mappings added under it
/// later are seen by every table that copied it.
pub fn ensure_top_level(
    mem: &mut impl TableMemory,
    root: PhysAddr,
    va: VirtAddr,
) -> Result<(), MapError> {
    let i = index(va, 4);
    if !present(mem.table(root)[i]) {
        let f = mem.alloc_table().ok_or(MapError::OutOfFrames)?;
        mem.table(root)[i] = f.as_u64() | (PageFlags::PRESENT | PageFlags::WRITABLE).bits();
    }
    Ok(())
}

/// Walk to the level-`stop_level` entry for `va`, creating tables when `create`
/// (marked USER on the way when `user`, since the CPU checks the bit at every level).
pub fn walk(
    mem: &mut impl TableMemory,
    root: PhysAddr,
    va: VirtAddr,
    stop_level: usize,
    create: bool,
    user: bool,
) -> Result<&mut u64, MapError> {
    let mut table = root;
    for level in (stop_level + 1..=4).rev() {
        let i = index(va, level);
        let mut e = mem.table(table)[i];
        if !present(e) {
            if !create {
                return Err(MapError::NotMapped);
            }
            let f = mem.alloc_table().ok_or(MapError::OutOfFrames)?;
            let mut bits = PageFlags::PRESENT | PageFlags::WRITABLE;
            if user {
                bits |= PageFlags::USER;
            }
            e = f.as_u64() | bits.bits();
            mem.table(table)[i] = e;
        } else if huge(e) {
            return Err(MapError::HugePage);
        } else if user {
            e |= PageFlags::USER.bits();
            mem.table(table)[i] = e;
        }
        table = frame_of(e);
    }
    Ok(&mut mem.table(table)[index(va, stop_level)])
}

/// Map the page at `va` to the frame at `pa` with `flags` (PRESENT is implied).
pub fn map(
    mem: &mut impl TableMemory,
    root: PhysAddr,
    va: VirtAddr,
    pa: PhysAddr,
    size: PageSize,
    flags: PageFlags,
) -> Result<(), MapError> {
    let bytes = size.bytes();
    if !va.as_u64().is_multiple_of(bytes) || !pa.as_u64().is_multiple_of(bytes) {
        return Err(MapError::Misaligned);
    }
    let level = if size == PageSize::Size2M { 2 } else { 1 };
    let user = flags.contains(PageFlags::USER);
    let e = walk(mem, root, va, level, true, user)?;
    if present(*e) {
        return Err(MapError::AlreadyMapped);
    }
    let mut bits = flags | PageFlags::PRESENT;
    if size == PageSize::Size2M {
        bits |= PageFlags::HUGE;
    }
    *e = pa.as_u64() | bits.bits();
    Ok(())
}

/// Clear the 4 KiB mapping at `va`; returns the frame it mapped. (The caller flushes
/// the TLB entry.)
pub fn unmap(
    mem: &mut impl TableMemory,
    root: PhysAddr,
    va: VirtAddr,
) -> Result<PhysAddr, MapError> {
    let e = walk(mem, root, va, 1, false, false)?;
    if !present(*e) {
        return Err(MapError::NotMapped);
    }
    let pa = frame_of(*e);
    *e = 0;
    Ok(pa)
}

/// Change the flags of the 4 KiB mapping at `va`. (The caller flushes the TLB entry.)
pub fn protect(
    mem: &mut impl TableMemory,
    root: PhysAddr,
    va: VirtAddr,
    flags: PageFlags,
) -> Result<(), MapError> {
    let e = walk(mem, root, va, 1, false, false)?;
    if !present(*e) {
        return Err(MapError::NotMapped);
    }
    *e = (*e & ADDR_MASK) | (flags | PageFlags::PRESENT).bits();
    Ok(())
}

/// The physical address and flags `va` translates to in the table at `root`, if mapped.
pub fn translate(
    mem: &mut impl TableMemory,
    root: PhysAddr,
    va: VirtAddr,
) -> Option<(PhysAddr, PageFlags)> {
    let mut table = root;
    for level in (1..=4).rev() {
        let e = mem.table(table)[index(va, level)];
        if e & PageFlags::PRESENT.bits() == 0 {
            return None;
        }
        let flags = PageFlags::from_bits_truncate(e & !ADDR_MASK);
        if level == 1 || (level <= 3 && e & PageFlags::HUGE.bits() != 0) {
            let page = 1u64 << (12 + 9 * (level - 1));
            let base = e & ADDR_MASK & !(page - 1);
            return Some((PhysAddr(base + (va.as_u64() & (page - 1))), flags));
        }
        table = PhysAddr(e & ADDR_MASK);
    }
    None
}

/// Remove every 4 KiB mapping in `[start, end)` of the lower half, calling `f` with the
/// address and frame of each. The walk descends only into tables that exist, so its cost
/// follows what is mapped, not the size of the range: unmapping 16 TiB of which three
/// pages were touched visits a handful of tables. Tables left empty are kept (they are
/// freed with the address space).
pub fn unmap_range(
    mem: &mut impl TableMemory,
    root: PhysAddr,
    start: VirtAddr,
    end: VirtAddr,
    mut f: impl FnMut(u64, PhysAddr),
) {
    let end = end.as_u64().min(LOWER_HALF_END);
    let start = start.as_u64() & !(PAGE_SIZE - 1);
    if start < end {
        unmap_in(mem, root, 4, 0, start, end, &mut f);
    }
}

/// The recursive step of [`unmap_range`]: `table` is a level-`level` table covering
/// addresses from `base`.
fn unmap_in(
    mem: &mut impl TableMemory,
    table: PhysAddr,
    level: usize,
    base: u64,
    start: u64,
    end: u64,
    f: &mut impl FnMut(u64, PhysAddr),
) {
    let (first, last) = covered(level, base, start, end);
    let mut at = first;
    while let Some(i) = next_present(mem.table(table), at, last) {
        at = i + 1;
        let va = base + i as u64 * span(level);
        let e = mem.table(table)[i];
        if level == 1 {
            mem.table(table)[i] = 0;
            f(va, frame_of(e));
        } else if !huge(e) {
            unmap_in(mem, frame_of(e), level - 1, va, start, end, f);
        }
    }
}

/// The entries `first..last` of a level-`level` table covering addresses from `base`
/// that cover some of `[start, end)` (`end` above `base`).
fn covered(level: usize, base: u64, start: u64, end: u64) -> (usize, usize) {
    let span = span(level);
    let n = if level == 4 { KERNEL_HALF } else { 512 };
    let first = ((start.max(base) - base) / span) as usize;
    let last = (end - base).div_ceil(span).min(n as u64) as usize;
    (first, last)
}

/// The first present entry of `t[from..to]`, looking at eight entries at a time where
/// the group is whole and aligned (a small process's tables are nearly all empty: the
/// scan of a sparse region or of a whole table was most of a fork and an exit).
fn next_present(t: &[u64; 512], mut from: usize, to: usize) -> Option<usize> {
    let to = to.min(512);
    while from < to {
        if from.is_multiple_of(8) && from + 8 <= to {
            let g = &t[from..from + 8];
            let any = g[0] | g[1] | g[2] | g[3] | g[4] | g[5] | g[6] | g[7];
            if !present(any) {
                from += 8;
                continue;
            }
        }
        if present(t[from]) {
            return Some(from);
        }
        from += 1;
    }
    None
}

/// Every 4 KiB mapping in the lower half of the table at `root`: (page, frame, flags).
pub fn user_mappings(
    mem: &mut impl TableMemory,
    root: PhysAddr,
) -> Vec<(VirtAddr, PhysAddr, PageFlags)> {
    let mut out = Vec::new();
    mappings_in(mem, root, VirtAddr(0), VirtAddr(LOWER_HALF_END), &mut out);
    out
}

/// Append every 4 KiB mapping in `[start, end)` of the lower half to `out`, in address
/// order. Only the entries covering the range are read, so listing a region costs what
/// the region holds, not what the whole table could (an address space's regions are a
/// few pages in a 128 TiB half).
pub fn mappings_in(
    mem: &mut impl TableMemory,
    root: PhysAddr,
    start: VirtAddr,
    end: VirtAddr,
    out: &mut Vec<(VirtAddr, PhysAddr, PageFlags)>,
) {
    let end = end.as_u64().min(LOWER_HALF_END);
    let start = start.as_u64() & !(PAGE_SIZE - 1);
    if start < end {
        collect(mem, root, 4, 0, start, end, out);
    }
}

fn collect(
    mem: &mut impl TableMemory,
    table: PhysAddr,
    level: usize,
    base: u64,
    start: u64,
    end: u64,
    out: &mut Vec<(VirtAddr, PhysAddr, PageFlags)>,
) {
    let (first, last) = covered(level, base, start, end);
    let mut at = first;
    while let Some(i) = next_present(mem.table(table), at, last) {
        at = i + 1;
        let va = base + i as u64 * span(level);
        let e = mem.table(table)[i];
        if level == 1 {
            let flags = PageFlags::from_bits_truncate(e & !ADDR_MASK);
            out.push((VirtAddr(va), frame_of(e), flags));
        } else if !huge(e) {
            collect(mem, frame_of(e), level - 1, va, start, end, out);
        }
    }
}

/// Free `table` and, above level 1, every intermediate table under it (leaf frames
/// belong to whoever mapped them and are not touched). Only the first `entries` entries
/// of `table` are followed (a user table does not own the kernel half).
pub fn free_tables(mem: &mut impl TableMemory, table: PhysAddr, level: usize, entries: usize) {
    if level > 1 {
        // Most entries are empty: eight at a time are skipped with one test of their
        // OR (a table's scan was most of tearing down a small process).
        let mut at = 0;
        while let Some(i) = next_present(mem.table(table), at, entries) {
            at = i + 1;
            let e = mem.table(table)[i];
            if !huge(e) {
                free_tables(mem, frame_of(e), level - 1, 512);
            }
        }
    }
    mem.free_table(table);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::boxed::Box;

    /// Table frames in a vector: frame n is at physical address (n + 1) * 4 KiB.
    #[derive(Default)]
    struct Frames {
        frames: Vec<Box<[u64; 512]>>,
        free: Vec<PhysAddr>,
    }

    impl TableMemory for Frames {
        fn table(&mut self, t: PhysAddr) -> &mut [u64; 512] {
            &mut self.frames[(t.as_u64() / PAGE_SIZE - 1) as usize]
        }
        fn alloc_table(&mut self) -> Option<PhysAddr> {
            self.frames.push(Box::new([0; 512]));
            Some(PhysAddr(self.frames.len() as u64 * PAGE_SIZE))
        }
        fn free_table(&mut self, t: PhysAddr) {
            assert!(!self.free.contains(&t), "table {t:?} freed twice");
            self.free.push(t);
        }
    }

    const RW: PageFlags = PageFlags::WRITABLE;

    #[test]
    fn index_picks_nine_bits_per_level() {
        let va = VirtAddr(0xffff_8000_4020_3000);
        assert_eq!((index(va, 4), index(va, 3)), (256, 1));
        assert_eq!((index(va, 2), index(va, 1)), (1, 3));
    }

    #[test]
    fn map_translate_protect_unmap() {
        let mut m = Frames::default();
        let root = m.alloc_table().unwrap();
        let va = VirtAddr(0x40_1000);
        map(
            &mut m,
            root,
            va,
            PhysAddr(0x9000),
            PageSize::Size4K,
            RW | PageFlags::USER,
        )
        .unwrap();
        let (pa, flags) = translate(&mut m, root, VirtAddr(0x40_1234)).unwrap();
        assert_eq!(pa, PhysAddr(0x9234));
        assert!(flags.contains(PageFlags::PRESENT | RW | PageFlags::USER));
        assert_eq!(
            m.table(root)[0] & PageFlags::USER.bits(),
            4,
            "USER on the way down"
        );
        let again = map(&mut m, root, va, PhysAddr(0xa000), PageSize::Size4K, RW);
        assert_eq!(again, Err(MapError::AlreadyMapped));
        let odd = map(
            &mut m,
            root,
            VirtAddr(0x1001),
            PhysAddr(0),
            PageSize::Size4K,
            RW,
        );
        assert_eq!(odd, Err(MapError::Misaligned));
        protect(&mut m, root, va, PageFlags::USER).unwrap();
        assert!(!translate(&mut m, root, va).unwrap().1.contains(RW));
        assert_eq!(unmap(&mut m, root, va), Ok(PhysAddr(0x9000)));
        assert_eq!(translate(&mut m, root, va), None);
        assert_eq!(unmap(&mut m, root, va), Err(MapError::NotMapped));
        assert_eq!(
            unmap(&mut m, root, VirtAddr(1 << 40)),
            Err(MapError::NotMapped)
        );
    }

    #[test]
    fn huge_pages_translate_and_block_small_ones() {
        let mut m = Frames::default();
        let root = m.alloc_table().unwrap();
        let va = VirtAddr(0x20_0000);
        map(
            &mut m,
            root,
            va,
            PhysAddr(0x4000_0000),
            PageSize::Size2M,
            RW,
        )
        .unwrap();
        let (pa, flags) = translate(&mut m, root, VirtAddr(0x21_2345)).unwrap();
        assert_eq!(pa, PhysAddr(0x4001_2345));
        assert!(flags.contains(PageFlags::HUGE));
        assert_eq!(unmap(&mut m, root, va), Err(MapError::HugePage));
    }

    #[test]
    fn mappings_in_lists_exactly_the_range_and_tables_are_all_freed() {
        let mut m = Frames::default();
        let root = m.alloc_table().unwrap();
        // Pages in different top-level, level-3 and level-2 entries, and at both ends
        // of one level-1 table, so every group-of-eight boundary case is met.
        let pages = [
            0x1000u64,
            0x1ff000,
            0x40_0000,
            0x8000_0000,
            0x40_0000_0000,
            0x7fff_ffff_f000,
        ];
        for (i, &p) in pages.iter().enumerate() {
            let pa = PhysAddr(0x10_0000 + i as u64 * PAGE_SIZE);
            map(
                &mut m,
                root,
                VirtAddr(p),
                pa,
                PageSize::Size4K,
                RW | PageFlags::USER,
            )
            .unwrap();
        }
        let list = |m: &mut Frames, a: u64, b: u64| {
            let mut out = Vec::new();
            mappings_in(m, root, VirtAddr(a), VirtAddr(b), &mut out);
            out.iter().map(|t| t.0.as_u64()).collect::<Vec<u64>>()
        };
        assert_eq!(list(&mut m, 0, LOWER_HALF_END), pages);
        assert_eq!(list(&mut m, 0x1000, 0x1ff000), [0x1000]);
        assert_eq!(
            list(&mut m, 0x2000, 0x8000_0001),
            [0x1ff000, 0x40_0000, 0x8000_0000]
        );
        assert_eq!(list(&mut m, 0x8000_1000, 0x40_0000_0000), Vec::<u64>::new());
        assert_eq!(list(&mut m, 0x7fff_ffff_f000, u64::MAX), [0x7fff_ffff_f000]);
        // Teardown frees every table the maps made, once each (the double-free check
        // is in `Frames`), whatever group of eight their entries sit in.
        let made = m.frames.len();
        free_tables(&mut m, root, 4, KERNEL_HALF);
        assert_eq!(m.free.len(), made);
    }

    #[test]
    fn unmap_range_visits_only_what_is_mapped() {
        let mut m = Frames::default();
        let root = m.alloc_table().unwrap();
        let pages = [0x1000u64, 0x2000, 0x40_0000_0000, 0x7fff_ffff_f000];
        for (i, &p) in pages.iter().enumerate() {
            let pa = PhysAddr(0x10_0000 + i as u64 * PAGE_SIZE);
            map(
                &mut m,
                root,
                VirtAddr(p),
                pa,
                PageSize::Size4K,
                RW | PageFlags::USER,
            )
            .unwrap();
        }
        let listed: Vec<u64> = user_mappings(&mut m, root)
            .iter()
            .map(|t| t.0.as_u64())
            .collect();
        assert_eq!(listed, pages);
        let mut gone = Vec::new();
        unmap_range(
            &mut m,
            root,
            VirtAddr(0x2000),
            VirtAddr(u64::MAX),
            |va, _| gone.push(va),
        );
        assert_eq!(gone, &pages[1..]);
        assert_eq!(user_mappings(&mut m, root).len(), 1);
    }

    #[test]
    fn free_tables_frees_each_table_once_and_not_the_kernel_half() {
        let mut m = Frames::default();
        let root = m.alloc_table().unwrap();
        for va in [0x1000u64, 0x20_0000, 0x4000_0000, 0xffff_8000_0000_0000] {
            let pa = PhysAddr(0x10_0000);
            map(&mut m, root, VirtAddr(va), pa, PageSize::Size4K, RW).unwrap();
        }
        let tables = m.frames.len();
        // The kernel half (one level-3, one level-2, one level-1 table) is not owned.
        free_tables(&mut m, root, 4, KERNEL_HALF);
        assert_eq!(m.free.len(), tables - 3);
        assert!(m.free.contains(&root));
    }

    #[test]
    fn grouped_scans_find_every_page_of_a_sparse_range() {
        // Pages at the edges of the eight-entry groups, of tables and of the range:
        // listing and unmapping a sub-range give exactly the pages a one-by-one
        // look finds, in order, and free_tables frees every table once.
        let mut m = Frames::default();
        let root = m.alloc_table().unwrap();
        let base = 0x7f00_0000_0000u64;
        let idx = [
            0u64, 7, 8, 9, 15, 16, 63, 64, 500, 511, 512, 519, 520, 1023, 1024, 262_143, 262_144,
        ];
        for (n, &i) in idx.iter().enumerate() {
            let pa = PhysAddr(0x100_0000 + n as u64 * 0x1000);
            map(
                &mut m,
                root,
                VirtAddr(base + i * 0x1000),
                pa,
                PageSize::Size4K,
                RW,
            )
            .unwrap();
        }
        for (lo, hi) in [
            (0u64, 262_145u64),
            (8, 16),
            (9, 520),
            (1, 7),
            (511, 1025),
            (16, 63),
            (600, 1000),
        ] {
            let (s, e) = (VirtAddr(base + lo * 0x1000), VirtAddr(base + hi * 0x1000));
            let want: Vec<u64> = idx
                .iter()
                .copied()
                .filter(|&i| (lo..hi).contains(&i))
                .collect();
            let mut got = Vec::new();
            mappings_in(&mut m, root, s, e, &mut got);
            let got: Vec<u64> = got.iter().map(|p| (p.0.as_u64() - base) / 0x1000).collect();
            assert_eq!(got, want, "pages of [{lo}, {hi})");
        }
        let mut gone = Vec::new();
        unmap_range(
            &mut m,
            root,
            VirtAddr(base + 0x9000),
            VirtAddr(base + 520 * 0x1000),
            |va, _| gone.push((va - base) / 0x1000),
        );
        assert_eq!(gone, [9, 15, 16, 63, 64, 500, 511, 512, 519]);
        assert_eq!(user_mappings(&mut m, root).len(), idx.len() - gone.len());
        let tables = m.frames.len();
        free_tables(&mut m, root, 4, KERNEL_HALF);
        assert_eq!(m.free.len(), tables);
    }

    #[test]
    fn ensure_top_level_adds_one_entry() {
        let mut m = Frames::default();
        let root = m.alloc_table().unwrap();
        let va = VirtAddr(0xffff_c000_0000_0000);
        ensure_top_level(&mut m, root, va).unwrap();
        ensure_top_level(&mut m, root, va).unwrap();
        assert_eq!(m.frames.len(), 2);
        assert!(present(m.table(root)[index(va, 4)]));
    }
}
