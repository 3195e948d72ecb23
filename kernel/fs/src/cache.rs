//! A write-back cache of file-system blocks over a [`BlockDevice`].
//!
//! Every byte the file system reads or writes goes through here, one whole ext2
//! block at a time. The design decision: the cache is *write-back* — a modified
//! block is only marked dirty, and reaches the disk when it is evicted or when
//! [`BlockCache::sync`] writes all dirty blocks in ascending block order. ext2 has
//! no journal, so ordering buys no crash safety; what matters is that after `sync`
//! the disk holds exactly the in-memory state. Eviction is batched: when the cache
//! grows past its capacity, the least recently used half is dropped at once, which
//! keeps the bookkeeping a `BTreeMap` and a counter.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::error::{Errno, Result};

struct Slot {
    data: Box<[u8]>,
    dirty: bool,
    last_use: u64,
}

/// The most bytes `sync` writes in one request (a run of consecutive dirty blocks).
pub const SYNC_RUN: usize = 64 * 1024;

/// Cached blocks of one device; `block_size` is the ext2 block size.
pub struct BlockCache<D: BlockDevice> {
    dev: D,
    block_size: usize,
    sectors_per_block: u64,
    blocks: BTreeMap<u64, Slot>,
    clock: u64,
    capacity: usize,
}

impl<D: BlockDevice> BlockCache<D> {
    /// Default number of blocks kept in memory (4 MiB of 4 KiB blocks).
    pub const DEFAULT_CAPACITY: usize = 1024;

    /// A cache of `block_size`-byte blocks; the block size must be a multiple of
    /// the sector size.
    pub fn new(dev: D, block_size: usize, capacity: usize) -> Result<Self> {
        let ss = dev.sector_size();
        if ss == 0 || !ss.is_power_of_two() || !block_size.is_multiple_of(ss) || block_size == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(BlockCache {
            sectors_per_block: (block_size / ss) as u64,
            dev,
            block_size,
            blocks: BTreeMap::new(),
            clock: 0,
            capacity: capacity.max(16),
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
        self.load(nr, true)?;
        Ok(&self.blocks.get(&nr).ok_or(Errno::EIO)?.data)
    }

    /// Writable view of block `nr` (read from disk first); the block becomes dirty.
    pub fn modify(&mut self, nr: u64) -> Result<&mut [u8]> {
        self.load(nr, true)?;
        let slot = self.blocks.get_mut(&nr).ok_or(Errno::EIO)?;
        slot.dirty = true;
        Ok(&mut slot.data)
    }

    /// Writable view of block `nr` whose old contents do not matter: it is not
    /// read, and is handed out zero-filled unless it was already cached.
    pub fn overwrite(&mut self, nr: u64) -> Result<&mut [u8]> {
        self.load(nr, false)?;
        let slot = self.blocks.get_mut(&nr).ok_or(Errno::EIO)?;
        slot.dirty = true;
        Ok(&mut slot.data)
    }

    /// Fills block `nr` with zeros.
    pub fn zero(&mut self, nr: u64) -> Result<()> {
        self.overwrite(nr)?.fill(0);
        Ok(())
    }

    /// Forgets block `nr` without writing it (its content is garbage, e.g. freed).
    pub fn forget(&mut self, nr: u64) {
        self.blocks.remove(&nr);
    }

    /// Forgets every clean block (dirty ones stay, to be written by `sync` or
    /// eviction); returns how many were dropped. After a `sync` this empties the
    /// cache, which is how a leak check sees the heap come back exactly.
    pub fn drop_clean(&mut self) -> usize {
        let before = self.blocks.len();
        self.blocks.retain(|_, s| s.dirty);
        before - self.blocks.len()
    }

    /// Block `nr` if it is cached, without reading the device (for a read planned
    /// under the file system's lock and done without it: only a block that is not
    /// cached may be read from the disk, since a cached one may be newer there).
    pub fn peek(&self, nr: u64) -> Option<&[u8]> {
        self.blocks.get(&nr).map(|s| &s.data[..])
    }

    /// Device sectors per block.
    pub fn sectors_per_block(&self) -> u64 {
        self.sectors_per_block
    }

    /// Blocks held now.
    pub fn cached(&self) -> usize {
        self.blocks.len()
    }

    /// Writes every dirty block, lowest block number first, then flushes the device.
    /// Runs of consecutive dirty blocks go to the device as one write of up to
    /// [`SYNC_RUN`] bytes: one request (and one interrupt) instead of one per block.
    pub fn sync(&mut self) -> Result<()> {
        let dirty: Vec<u64> = self
            .blocks
            .iter()
            .filter(|(_, s)| s.dirty)
            .map(|(nr, _)| *nr)
            .collect();
        let mut run: Vec<u8> = Vec::new();
        let mut members: Vec<u64> = Vec::new();
        for nr in dirty {
            let follows = members.last().is_some_and(|&last| last + 1 == nr);
            if !members.is_empty() && (!follows || run.len() + self.block_size > SYNC_RUN) {
                self.write_run(&mut run, &mut members)?;
            }
            run.extend_from_slice(&self.blocks[&nr].data);
            members.push(nr);
        }
        self.write_run(&mut run, &mut members)?;
        Ok(self.dev.flush()?)
    }

    /// Write the consecutive blocks `members` (their bytes in `run`) in one request and
    /// mark them clean; both are emptied.
    fn write_run(&mut self, run: &mut Vec<u8>, members: &mut Vec<u64>) -> Result<()> {
        let Some(&first) = members.first() else {
            return Ok(());
        };
        self.dev
            .write_sectors(first * self.sectors_per_block, run)?;
        for nr in members.drain(..) {
            if let Some(s) = self.blocks.get_mut(&nr) {
                s.dirty = false;
            }
        }
        run.clear();
        Ok(())
    }

    fn load(&mut self, nr: u64, read: bool) -> Result<()> {
        self.clock += 1;
        if let Some(slot) = self.blocks.get_mut(&nr) {
            slot.last_use = self.clock;
            return Ok(());
        }
        if nr >= self.device_blocks() {
            return Err(Errno::EIO);
        }
        if self.blocks.len() >= self.capacity {
            self.evict()?;
        }
        let mut data = vec![0u8; self.block_size].into_boxed_slice();
        if read {
            self.dev
                .read_sectors(nr * self.sectors_per_block, &mut data)?;
        }
        self.blocks.insert(
            nr,
            Slot {
                data,
                dirty: false,
                last_use: self.clock,
            },
        );
        Ok(())
    }

    /// Drops the least recently used half, writing dirty ones back first.
    fn evict(&mut self) -> Result<()> {
        let mut ages: Vec<(u64, u64)> = self.blocks.iter().map(|(n, s)| (s.last_use, *n)).collect();
        ages.sort_unstable();
        let mut victims: Vec<u64> = ages[..ages.len() / 2].iter().map(|&(_, n)| n).collect();
        victims.sort_unstable();
        for nr in victims {
            if let Some(slot) = self.blocks.get(&nr) {
                if slot.dirty {
                    self.dev
                        .write_sectors(nr * self.sectors_per_block, &slot.data)?;
                }
            }
            self.blocks.remove(&nr);
        }
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
