//! A write-back cache of file-system blocks over a [`BlockDevice`].
//!
//! Every byte the file system reads or writes goes through here, one whole ext2
//! block at a time. The design decision: the cache is *write-back* — a modified
//! block is only marked dirty, and reaches the disk when it is evicted or when
//! [`BlockCache::sync`] writes all dirty blocks in ascending block order. Without a
//! journal, ordering buys no crash safety; what matters is that after `sync`
//! the disk holds exactly the in-memory state. Eviction is batched: when the cache
//! grows past its capacity, the least recently used half is dropped at once. On a
//! file system with a journal (`journal_write.rs`), `sync` is a transaction instead:
//! blocks written as file contents (`modify_data`, `overwrite_data`) are *ordered*
//! data, written first and in place; every other dirty block is metadata, logged and
//! committed before it goes to its place, and eviction commits rather than write
//! metadata in place.
//!
//! Finding a block is the hot path (a file creation reaches the cache 20-30 times),
//! so the blocks sit in a dense vector indexed by an open-addressing hash table
//! (linear probing, Fibonacci hashing of the block number, a table at least twice
//! the capacity so probes stay short). A lookup is a multiply, a shift and usually
//! one comparison, where a `BTreeMap` of 1,024 blocks walked several nodes.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::error::{Errno, Result};

pub(crate) struct Slot {
    pub(crate) nr: u64,
    pub(crate) data: Box<[u8]>,
    pub(crate) dirty: bool,
    /// Last written as file contents (journaled mode writes these before the
    /// transaction that points at them, and never logs them).
    pub(crate) ordered: bool,
    pub(crate) last_use: u64,
}

/// The most bytes `sync` writes in one request (a run of consecutive dirty blocks).
pub const SYNC_RUN: usize = 64 * 1024;

/// Default number of blocks kept in memory: 1 MiB of 1 KiB blocks. (4,096 was
/// tried, so that the inode table of 10,000 files fits; in the guest the creation
/// figure went up, 42,346 -> 70,929 per file, but single-stepping showed ~24,000
/// instructions per creation: the rest were disk waits counted as real time,
/// one per inode-table block then, see docs/benchmarks.md.)
pub const DEFAULT_CAPACITY: usize = 1024;

/// An empty table cell; a full one holds a slot index plus one.
const EMPTY: u32 = 0;

/// Cached blocks of one device; `block_size` is the ext2 block size.
pub struct BlockCache<D: BlockDevice> {
    pub(crate) dev: D,
    pub(crate) block_size: usize,
    pub(crate) sectors_per_block: u64,
    /// The cached blocks, in no order.
    pub(crate) slots: Vec<Slot>,
    /// Open-addressing index over `slots`: a power-of-two number of cells.
    table: Vec<u32>,
    /// `64 - log2(table.len())`: the hash is the top bits of a product.
    shift: u32,
    clock: u64,
    pub(crate) capacity: usize,
    /// Counts the calls that may change a block's bytes (`modify`, `overwrite`,
    /// `forget`): equal counts mean no cached block changed in between.
    changes: u64,
    /// The journal, when the file system has one (`journal_write.rs`).
    pub(crate) journal: Option<Box<crate::journal::Journal>>,
    /// Journaled: so much metadata is dirty that the next operation should commit
    /// first (`Ext2::writable`).
    pub(crate) pressure: bool,
}

fn hash(nr: u64, shift: u32) -> usize {
    (nr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

impl<D: BlockDevice> BlockCache<D> {
    /// Default number of blocks kept in memory.
    pub const DEFAULT_CAPACITY: usize = DEFAULT_CAPACITY;

    /// A cache of `block_size`-byte blocks; the block size must be a multiple of
    /// the sector size.
    pub fn new(dev: D, block_size: usize, capacity: usize) -> Result<Self> {
        let ss = dev.sector_size();
        if ss == 0 || !ss.is_power_of_two() || !block_size.is_multiple_of(ss) || block_size == 0 {
            return Err(Errno::EINVAL);
        }
        let capacity = capacity.clamp(16, 1 << 24);
        let cells = (capacity * 2).next_power_of_two();
        Ok(BlockCache {
            sectors_per_block: (block_size / ss) as u64,
            dev,
            block_size,
            slots: Vec::new(),
            table: vec![EMPTY; cells],
            shift: 64 - cells.trailing_zeros(),
            clock: 0,
            capacity,
            changes: 0,
            journal: None,
            pressure: false,
        })
    }

    /// The ext2 block size in bytes.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// Number of whole blocks the device holds.
    pub fn device_blocks(&self) -> u64 {
        self.dev.sector_count() / self.sectors_per_block
    }

    /// The device, e.g. to inspect a RAM disk after `sync`.
    pub fn device(&self) -> &D {
        &self.dev
    }

    /// Gives the device back, dropping (not writing) cached blocks.
    pub fn into_device(self) -> D {
        self.dev
    }

    /// Read-only view of block `nr`.
    pub fn read(&mut self, nr: u64) -> Result<&[u8]> {
        let i = self.load(nr, true)?;
        Ok(&self.slots[i].data)
    }

    /// How many times a block could have changed so far: a reader that remembers
    /// something it parsed out of a block may trust it while this stays the same.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Writable view of block `nr` (read from disk first); the block becomes dirty.
    pub fn modify(&mut self, nr: u64) -> Result<&mut [u8]> {
        self.write_view(nr, true, false)
    }

    /// Writable view of block `nr` whose old contents do not matter: it is not
    /// read, and is handed out zero-filled unless it was already cached.
    pub fn overwrite(&mut self, nr: u64) -> Result<&mut [u8]> {
        self.write_view(nr, false, false)
    }

    /// [`BlockCache::modify`] of a block of file contents (ordered data).
    pub fn modify_data(&mut self, nr: u64) -> Result<&mut [u8]> {
        self.write_view(nr, true, true)
    }

    /// [`BlockCache::overwrite`] of a block of file contents (ordered data).
    pub fn overwrite_data(&mut self, nr: u64) -> Result<&mut [u8]> {
        self.write_view(nr, false, true)
    }

    fn write_view(&mut self, nr: u64, read: bool, ordered: bool) -> Result<&mut [u8]> {
        self.changes += 1;
        let i = self.load(nr, read)?;
        let slot = &mut self.slots[i];
        slot.dirty = true;
        slot.ordered = ordered;
        Ok(&mut slot.data)
    }

    /// Fills block `nr` with zeros.
    pub fn zero(&mut self, nr: u64) -> Result<()> {
        self.overwrite(nr)?.fill(0);
        Ok(())
    }

    /// Forgets block `nr` without writing it (its content is garbage, e.g. freed).
    pub fn forget(&mut self, nr: u64) {
        self.changes += 1;
        let Some(cell) = self.cell_of(nr) else {
            return;
        };
        let i = (self.table[cell] - 1) as usize;
        self.unlink_cell(cell);
        let last = self.slots.len() - 1;
        if i != last {
            // The last slot is about to move to `i`: repoint its cell first.
            if let Some(c) = self.cell_of(self.slots[last].nr) {
                self.table[c] = i as u32 + 1;
            }
        }
        self.slots.swap_remove(i);
    }

    /// Forgets every clean block (dirty ones stay, to be written by `sync` or
    /// eviction); returns how many were dropped. After a `sync` this empties the
    /// cache, which is how a leak check sees the heap come back exactly.
    pub fn drop_clean(&mut self) -> usize {
        let before = self.slots.len();
        self.slots.retain(|s| s.dirty);
        if self.slots.is_empty() {
            // Give the vector's memory back too.
            self.slots = Vec::new();
        }
        self.rebuild();
        before - self.slots.len()
    }

    /// Block `nr` if it is cached, without reading the device (for a read planned
    /// under the file system's lock and done without it: only a block that is not
    /// cached may be read from the disk, since a cached one may be newer there).
    pub fn peek(&self, nr: u64) -> Option<&[u8]> {
        let c = self.cell_of(nr)?;
        Some(&self.slots[(self.table[c] - 1) as usize].data[..])
    }

    /// Writes block `nr` in place now if it is cached and dirty, journal or not
    /// (the superblock's `needs_recovery` bit once the journal is empty).
    pub(crate) fn write_now(&mut self, nr: u64) -> Result<()> {
        match self.cell_of(nr) {
            Some(c) if self.slots[(self.table[c] - 1) as usize].dirty => {
                let i = (self.table[c] - 1) as usize;
                self.write_sorted(vec![(nr, i)])
            }
            _ => Ok(()),
        }
    }

    /// Keeps only the slots `keep` accepts (and indexes them again).
    pub(crate) fn retain_slots(&mut self, keep: impl FnMut(&Slot) -> bool) {
        self.slots.retain(keep);
        self.rebuild();
    }

    /// Flushes the device's write cache.
    pub(crate) fn device_flush(&mut self) -> Result<()> {
        Ok(self.dev.flush()?)
    }

    /// Reads block `first` and those after it, up to `count` blocks in all, into
    /// the cache with one device request, when `first` is not cached; the run
    /// stops at the first block already cached (which may be newer than the disk)
    /// and is at most a quarter of the capacity. For tables read block after block
    /// (the inode table): one disk wait instead of one per block, which under
    /// `-icount` is most of what creating a file costs.
    pub fn read_ahead(&mut self, first: u64, count: usize) -> Result<()> {
        let count = count
            .min(self.capacity / 4)
            .min(SYNC_RUN / self.block_size)
            .max(1);
        let end = self.device_blocks().min(first.saturating_add(count as u64));
        let mut n = 0u64;
        while first + n < end && self.cell_of(first + n).is_none() {
            n += 1;
        }
        if n == 0 {
            return Ok(());
        }
        if self.slots.len() + n as usize > self.capacity {
            self.evict()?;
        }
        let bs = self.block_size;
        let mut run = vec![0u8; n as usize * bs];
        self.dev
            .read_sectors(first * self.sectors_per_block, &mut run)?;
        for (k, data) in run.chunks_exact(bs).enumerate() {
            self.clock += 1;
            self.slots.push(Slot {
                nr: first + k as u64,
                data: data.into(),
                dirty: false,
                ordered: false,
                last_use: self.clock,
            });
            self.link(self.slots.len() - 1);
        }
        Ok(())
    }

    /// Is block `nr` in the cache?
    pub fn contains(&self, nr: u64) -> bool {
        self.cell_of(nr).is_some()
    }

    /// Device sectors per block.
    pub fn sectors_per_block(&self) -> u64 {
        self.sectors_per_block
    }

    /// Blocks held now.
    pub fn cached(&self) -> usize {
        self.slots.len()
    }

    /// Writes every dirty block, lowest block number first, then flushes the device.
    /// Runs of consecutive dirty blocks go to the device as one write of up to
    /// [`SYNC_RUN`] bytes: one request (and one interrupt) instead of one per block.
    pub fn sync(&mut self) -> Result<()> {
        if self.journal.is_some() {
            return self.commit();
        }
        let mut dirty: Vec<(u64, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.dirty)
            .map(|(i, s)| (s.nr, i))
            .collect();
        dirty.sort_unstable();
        self.write_sorted(dirty)?;
        Ok(self.dev.flush()?)
    }

    /// Writes the blocks `dirty` (block numbers and slots, in ascending block order)
    /// as runs of consecutive blocks, and marks them clean.
    pub(crate) fn write_sorted(&mut self, dirty: Vec<(u64, usize)>) -> Result<()> {
        let mut run: Vec<u8> = Vec::new();
        let mut members: Vec<(u64, usize)> = Vec::new();
        for (nr, i) in dirty {
            let follows = members.last().is_some_and(|&(last, _)| last + 1 == nr);
            if !members.is_empty() && (!follows || run.len() + self.block_size > SYNC_RUN) {
                self.write_run(&mut run, &mut members)?;
            }
            run.extend_from_slice(&self.slots[i].data);
            members.push((nr, i));
        }
        self.write_run(&mut run, &mut members)
    }

    /// Write the consecutive blocks `members` (block numbers and slots; their bytes
    /// in `run`) in one request and mark them clean; both are emptied.
    fn write_run(&mut self, run: &mut Vec<u8>, members: &mut Vec<(u64, usize)>) -> Result<()> {
        let Some(&(first, _)) = members.first() else {
            return Ok(());
        };
        self.dev
            .write_sectors(first * self.sectors_per_block, run)?;
        for (nr, i) in members.drain(..) {
            self.slots[i].dirty = false;
            if let Some(j) = self.journal.as_mut() {
                // File data in place over a block an older transaction logged.
                if self.slots[i].ordered && j.live.contains(&nr) {
                    j.revoke.insert(nr);
                }
            }
        }
        run.clear();
        Ok(())
    }

    /// The table cell indexing block `nr`, if it is cached.
    fn cell_of(&self, nr: u64) -> Option<usize> {
        let mask = self.table.len() - 1;
        let mut c = hash(nr, self.shift);
        loop {
            match self.table[c] {
                EMPTY => return None,
                t if self.slots[(t - 1) as usize].nr == nr => return Some(c),
                _ => c = (c + 1) & mask,
            }
        }
    }

    /// Indexes slot `i` (whose block is not indexed yet).
    fn link(&mut self, i: usize) {
        let mask = self.table.len() - 1;
        let mut c = hash(self.slots[i].nr, self.shift);
        while self.table[c] != EMPTY {
            c = (c + 1) & mask;
        }
        self.table[c] = i as u32 + 1;
    }

    /// Empties `cell`, moving later cells of the same probe run back so that
    /// every lookup still finds its block without a tombstone.
    fn unlink_cell(&mut self, cell: usize) {
        let mask = self.table.len() - 1;
        let mut hole = cell;
        self.table[hole] = EMPTY;
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let t = self.table[j];
            if t == EMPTY {
                return;
            }
            let home = hash(self.slots[(t - 1) as usize].nr, self.shift);
            // The entry may fill the hole if the hole lies between its home and j.
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                self.table[hole] = t;
                self.table[j] = EMPTY;
                hole = j;
            }
        }
    }

    /// Builds the index again after slots were dropped in bulk.
    fn rebuild(&mut self) {
        self.table.fill(EMPTY);
        for i in 0..self.slots.len() {
            self.link(i);
        }
    }

    /// The slot of block `nr`, read from the device (when `read`) if not cached.
    fn load(&mut self, nr: u64, read: bool) -> Result<usize> {
        self.clock += 1;
        if let Some(c) = self.cell_of(nr) {
            let i = (self.table[c] - 1) as usize;
            self.slots[i].last_use = self.clock;
            return Ok(i);
        }
        if nr >= self.device_blocks() {
            return Err(Errno::EIO);
        }
        if self.slots.len() >= self.capacity {
            self.evict()?;
        }
        let mut data = vec![0u8; self.block_size].into_boxed_slice();
        if read {
            self.dev
                .read_sectors(nr * self.sectors_per_block, &mut data)?;
        }
        self.slots.push(Slot {
            nr,
            data,
            dirty: false,
            ordered: false,
            last_use: self.clock,
        });
        let i = self.slots.len() - 1;
        self.link(i);
        Ok(i)
    }

    /// Drops the least recently used half, writing dirty ones back first (in block
    /// order, consecutive ones as one request, as `sync` does). A failed write keeps
    /// every block (the dirty ones must not be lost).
    pub(crate) fn evict(&mut self) -> Result<()> {
        let mut ages: Vec<u64> = self.slots.iter().map(|s| s.last_use).collect();
        ages.sort_unstable();
        let cutoff = ages[ages.len() / 2];
        if self.journal.is_some() {
            return self.evict_journaled(cutoff);
        }
        let mut victims: Vec<(u64, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.last_use < cutoff && s.dirty)
            .map(|(i, s)| (s.nr, i))
            .collect();
        victims.sort_unstable();
        self.write_sorted(victims)?;
        self.slots.retain(|s| s.last_use >= cutoff);
        self.rebuild();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::MemDisk;

    #[test]
    fn cache_writes_back_only_on_sync_or_eviction() {
        let disk = MemDisk::new(vec![0u8; 1024 * 64]);
        let mut c = BlockCache::new(disk, 1024, 16).unwrap();
        c.modify(3).unwrap()[5] = 9;
        assert_eq!(c.device().as_bytes()[3 * 1024 + 5], 0);
        c.sync().unwrap();
        assert_eq!(c.device().as_bytes()[3 * 1024 + 5], 9);
        for b in 10..60 {
            c.overwrite(b).unwrap()[0] = b as u8;
        }
        // Most of those were evicted and therefore written already.
        assert_eq!(c.device().as_bytes()[10 * 1024], 10);
        c.sync().unwrap();
        assert_eq!(c.device().as_bytes()[59 * 1024], 59);
        assert_eq!(c.read(64).err(), Some(Errno::EIO));
    }

    #[test]
    fn dropping_keeps_dirty_blocks_and_rereads_the_rest() {
        let disk = MemDisk::new(vec![0u8; 1024 * 64]);
        let mut c = BlockCache::new(disk, 1024, 16).unwrap();
        c.read(1).unwrap();
        c.read(2).unwrap();
        c.modify(3).unwrap()[0] = 7;
        assert_eq!(c.drop_clean(), 2);
        assert_eq!(c.cached(), 1, "the dirty block must stay");
        assert_eq!(c.device().as_bytes()[3 * 1024], 0, "dropping wrote nothing");
        c.sync().unwrap();
        assert_eq!(c.drop_clean(), 1);
        assert_eq!(c.cached(), 0);
        assert_eq!(c.read(3).unwrap()[0], 7, "read back from the device");
    }

    #[test]
    fn forgetting_blocks_keeps_every_other_block_findable() {
        let disk = MemDisk::new(vec![0u8; 1024 * 512]);
        let mut c = BlockCache::new(disk, 1024, 512).unwrap();
        for nr in 0..300u64 {
            c.overwrite(nr).unwrap()[0] = nr as u8;
        }
        // Forget every third block, in an order that moves slots around.
        for nr in (0..300u64).rev().filter(|n| n % 3 == 0) {
            c.forget(nr);
        }
        assert_eq!(c.cached(), 200);
        for nr in 0..300u64 {
            let want = if nr % 3 == 0 { 0 } else { nr as u8 };
            assert_eq!(c.read(nr).unwrap()[0], want, "block {nr}");
        }
        c.sync().unwrap();
        assert_eq!(c.device().as_bytes()[299 * 1024], 299u64 as u8);
        assert_eq!(
            c.device().as_bytes()[3 * 1024],
            0,
            "a forgotten block was written"
        );
    }

    #[test]
    fn read_ahead_reads_a_run_in_one_request_and_keeps_newer_cached_blocks() {
        let mut bytes = vec![0u8; 1024 * 256];
        for b in 0..256 {
            bytes[b * 1024] = b as u8;
        }
        let disk = Reads(MemDisk::new(bytes), 0);
        let mut c = BlockCache::new(disk, 1024, 64).unwrap();
        c.modify(12).unwrap()[0] = 99; // newer in the cache than on the disk
        assert_eq!(c.device().1, 1);
        c.read_ahead(5, 32).unwrap();
        assert_eq!(c.device().1, 2, "one request for blocks 5..12");
        assert_eq!(c.cached(), 8);
        for b in 5..12u64 {
            assert!(c.contains(b));
            assert_eq!(c.read(b).unwrap()[0], b as u8);
        }
        assert_eq!(
            c.read(12).unwrap()[0],
            99,
            "a cached block is not read over"
        );
        assert_eq!(c.device().1, 2, "the blocks read ahead are hits");
        c.read_ahead(5, 32).unwrap();
        assert_eq!(c.device().1, 2, "a cached first block reads nothing");
        // At most a quarter of the capacity at once, and never past the device.
        c.read_ahead(100, 64).unwrap();
        assert_eq!(c.cached(), 8 + 16);
        c.read_ahead(250, 64).unwrap();
        assert!(c.contains(255) && c.read(256).is_err());
        // Filling past the capacity evicts, as a read does.
        for first in (130..250).step_by(16) {
            c.read_ahead(first, 16).unwrap();
        }
        assert!(c.cached() <= 64);
        c.sync().unwrap();
        assert_eq!(c.device().0.as_bytes()[12 * 1024], 99);
    }

    /// A disk that counts the read requests it gets.
    struct Reads(MemDisk, usize);

    impl BlockDevice for Reads {
        fn sector_size(&self) -> usize {
            self.0.sector_size()
        }
        fn sector_count(&self) -> u64 {
            self.0.sector_count()
        }
        fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> ::block::Result<()> {
            self.1 += 1;
            self.0.read_sectors(first, buf)
        }
        fn write_sectors(&mut self, first: u64, buf: &[u8]) -> ::block::Result<()> {
            self.0.write_sectors(first, buf)
        }
        fn flush(&mut self) -> ::block::Result<()> {
            self.0.flush()
        }
    }

    /// A disk that counts the write requests it gets.
    struct Counting(MemDisk, usize);

    impl BlockDevice for Counting {
        fn sector_size(&self) -> usize {
            self.0.sector_size()
        }
        fn sector_count(&self) -> u64 {
            self.0.sector_count()
        }
        fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> ::block::Result<()> {
            self.0.read_sectors(first, buf)
        }
        fn write_sectors(&mut self, first: u64, buf: &[u8]) -> ::block::Result<()> {
            self.1 += 1;
            self.0.write_sectors(first, buf)
        }
        fn flush(&mut self) -> ::block::Result<()> {
            self.0.flush()
        }
    }

    #[test]
    fn sync_writes_runs_of_consecutive_blocks_as_one_request() {
        let disk = Counting(MemDisk::new(vec![0u8; 1024 * 256]), 0);
        let mut c = BlockCache::new(disk, 1024, 256).unwrap();
        // Blocks 10..=14 and 20..=21 form two runs; 30 stands alone; 100..=199 is
        // longer than one request may be (64 KiB = 64 blocks), so two.
        for nr in (10..=14).chain(20..=21).chain([30]).chain(100..=199) {
            c.modify(nr).unwrap()[1] = nr as u8;
        }
        c.sync().unwrap();
        assert_eq!(c.device().1, 5);
        for nr in (10..=14).chain(20..=21).chain([30]).chain(100..=199) {
            assert_eq!(
                c.device().0.as_bytes()[nr as usize * 1024 + 1],
                nr as u8,
                "block {nr}"
            );
        }
        assert_eq!(
            c.device().0.as_bytes()[15 * 1024 + 1],
            0,
            "a clean block was written"
        );
        c.sync().unwrap();
        assert_eq!(c.device().1, 5, "nothing dirty is left to write");
    }
}
