//! Block and inode allocation with the per-group bitmaps.
//!
//! Each group has one bitmap block for its blocks and one for its inodes; a set
//! bit means "in use". The design decision: the free counts in the group
//! descriptors and the superblock are changed in the same call as the bit, so
//! they can never drift apart, and a bit that is already in the state we want
//! (freeing a free block, allocating a used one) is reported as corruption
//! (`EIO`) instead of being "fixed" — that is also what bounds the work done on a
//! corrupt image, since no block can be freed twice. Placement is simple: blocks
//! go after a goal block (the file's previous block), files' inodes in their
//! parent's group, directories' inodes in a group with more free inodes than
//! average and the most free blocks, which spreads the tree over the disk.

use crate::block::BlockDevice;
use crate::error::{corrupt, Errno, Result};
use crate::fs::Ext2;

/// Index of the first clear bit in `map[from..to]`, if any. Whole 64-bit words
/// of set bits are skipped at once: a nearly full group is passed over in a
/// few hundred instructions, not one test per bit.
fn find_zero(map: &[u8], from: usize, to: usize) -> Option<usize> {
    let to = to.min(map.len() * 8);
    let mut i = from;
    while i < to {
        if i.is_multiple_of(64) && i + 64 <= to {
            let word = u64::from_le_bytes(map[i / 8..i / 8 + 8].try_into().ok()?);
            if word == u64::MAX {
                i += 64;
                continue;
            }
            return Some(i + (!word).trailing_zeros() as usize);
        }
        if map[i / 8] & (1 << (i % 8)) == 0 {
            return Some(i);
        }
        i += 1;
    }
    None
}

impl<D: BlockDevice> Ext2<D> {
    /// Allocates one block, preferably at or after `goal`; the block is not zeroed.
    pub(crate) fn alloc_block(&mut self, goal: u32) -> Result<u32> {
        let sb = &self.sb;
        let goal = if goal >= sb.first_data_block && goal < sb.blocks_count {
            goal
        } else {
            sb.first_data_block
        };
        let g0 = (goal - sb.first_data_block) / sb.blocks_per_group;
        let groups = sb.groups;
        for i in 0..groups {
            let g = (g0 + i) % groups;
            if self.groups[g as usize].free_blocks == 0 {
                continue;
            }
            let n = self.sb.group_blocks(g) as usize;
            let start = if i == 0 {
                (goal - self.sb.group_first_block(g)) as usize
            } else {
                0
            };
            let bmp = self.groups[g as usize].block_bitmap as u64;
            let first = self.sb.group_first_block(g);
            let bit = match self.cache.journal().filter(|j| !j.freed.is_empty()) {
                None => {
                    let map = self.cache.read(bmp)?;
                    find_zero(map, start, n).or_else(|| find_zero(map, 0, start))
                }
                Some(_) => self.find_reusable(bmp, first, start, n)?,
            };
            let Some(bit) = bit else {
                continue;
            };
            self.cache.modify(bmp)?[bit / 8] |= 1 << (bit % 8);
            let gd = &mut self.groups[g as usize];
            gd.free_blocks -= 1;
            self.sb.free_blocks = self.sb.free_blocks.checked_sub(1).ok_or(Errno::EIO)?;
            self.meta_dirty = true;
            return Ok(self.sb.group_first_block(g) + bit as u32);
        }
        Err(Errno::ENOSPC)
    }

    /// `find_zero` on a journaled file system: a block freed since the last commit
    /// is not reused before that commit, since the committed file system still uses
    /// it, and file data written into it would reach the disk first (ordered data).
    fn find_reusable(
        &mut self,
        bmp: u64,
        first: u32,
        start: usize,
        n: usize,
    ) -> Result<Option<usize>> {
        let map = self.cache.read(bmp)?.to_vec();
        let Some(j) = self.cache.journal() else {
            return Ok(None);
        };
        for (from, to) in [(start, n), (0, start)] {
            let mut at = from;
            while let Some(bit) = find_zero(&map, at, to) {
                if !j.freed.contains(&(first + bit as u32)) {
                    return Ok(Some(bit));
                }
                at = bit + 1;
            }
        }
        Ok(None)
    }

    /// Returns block `b` to the free pool.
    pub(crate) fn free_block(&mut self, b: u32) -> Result<()> {
        if !self.block_in_range(b) {
            return corrupt();
        }
        let g = (b - self.sb.first_data_block) / self.sb.blocks_per_group;
        let bit = (b - self.sb.group_first_block(g)) as usize;
        let bmp = self.groups[g as usize].block_bitmap as u64;
        let map = self.cache.modify(bmp)?;
        if map[bit / 8] & (1 << (bit % 8)) == 0 {
            return corrupt();
        }
        map[bit / 8] &= !(1 << (bit % 8));
        let gd = &mut self.groups[g as usize];
        if gd.free_blocks as u32 >= self.sb.group_blocks(g)
            || self.sb.free_blocks >= self.sb.blocks_count
        {
            return corrupt();
        }
        gd.free_blocks += 1;
        self.sb.free_blocks += 1;
        self.meta_dirty = true;
        self.cache.forget(b as u64);
        self.cache.journal_freed(b);
        Ok(())
    }

    /// True when `b` may be a data or indirect block number.
    pub(crate) fn block_in_range(&self, b: u32) -> bool {
        b >= self.sb.first_data_block && b < self.sb.blocks_count
    }

    /// Allocates an inode near `parent` (its inode number); `dir` picks the
    /// directory placement policy. The inode's contents are not touched.
    pub(crate) fn alloc_inode(&mut self, parent: u32, dir: bool) -> Result<u32> {
        let ipg = self.sb.inodes_per_group;
        let groups = self.sb.groups;
        let parent_group = (parent.saturating_sub(1) / ipg).min(groups - 1);
        let mut order: alloc::vec::Vec<u32> =
            (0..groups).map(|i| (parent_group + i) % groups).collect();
        if dir {
            let avg = self.sb.free_inodes / groups;
            let best = (0..groups)
                .filter(|&g| self.groups[g as usize].free_inodes as u32 >= avg.max(1))
                .max_by_key(|&g| self.groups[g as usize].free_blocks);
            if let Some(b) = best {
                order.retain(|&g| g != b);
                order.insert(0, b);
            }
        }
        for g in order {
            if self.groups[g as usize].free_inodes == 0 {
                continue;
            }
            let bmp = self.groups[g as usize].inode_bitmap as u64;
            let first_ok = self.sb.first_ino.saturating_sub(g * ipg + 1) as usize;
            let map = self.cache.read(bmp)?;
            let Some(bit) = find_zero(map, first_ok.min(ipg as usize), ipg as usize) else {
                continue;
            };
            self.cache.modify(bmp)?[bit / 8] |= 1 << (bit % 8);
            let gd = &mut self.groups[g as usize];
            gd.free_inodes -= 1;
            if dir {
                gd.used_dirs = gd.used_dirs.saturating_add(1);
            }
            self.sb.free_inodes = self.sb.free_inodes.checked_sub(1).ok_or(Errno::EIO)?;
            self.meta_dirty = true;
            return Ok(g * ipg + bit as u32 + 1);
        }
        Err(Errno::ENOSPC)
    }

    /// Marks inode `ino` free in its bitmap and counts.
    pub(crate) fn free_inode_bit(&mut self, ino: u32, dir: bool) -> Result<()> {
        if ino < self.sb.first_ino || ino > self.sb.inodes_count {
            return corrupt();
        }
        let g = (ino - 1) / self.sb.inodes_per_group;
        let bit = ((ino - 1) % self.sb.inodes_per_group) as usize;
        let bmp = self.groups[g as usize].inode_bitmap as u64;
        let map = self.cache.modify(bmp)?;
        if map[bit / 8] & (1 << (bit % 8)) == 0 {
            return corrupt();
        }
        map[bit / 8] &= !(1 << (bit % 8));
        let gd = &mut self.groups[g as usize];
        if gd.free_inodes as u32 >= self.sb.inodes_per_group
            || self.sb.free_inodes >= self.sb.inodes_count
        {
            return corrupt();
        }
        gd.free_inodes += 1;
        if dir {
            gd.used_dirs = gd.used_dirs.saturating_sub(1);
        }
        self.sb.free_inodes += 1;
        self.meta_dirty = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::find_zero;

    #[test]
    fn find_zero_skips_full_bytes_and_wraps_by_range() {
        let map = [0xFF, 0xFF, 0b1110_1111, 0xFF];
        assert_eq!(find_zero(&map, 0, 32), Some(20));
        assert_eq!(find_zero(&map, 21, 32), None);
        assert_eq!(find_zero(&map, 0, 20), None);
        // Words of set bits, then a clear bit in the third word, and an
        // unaligned start and end.
        let mut big = [0xFFu8; 64];
        big[17] = 0b1111_0111; // bit 139
        assert_eq!(find_zero(&big, 0, 512), Some(139));
        assert_eq!(find_zero(&big, 3, 512), Some(139));
        assert_eq!(find_zero(&big, 140, 512), None);
        assert_eq!(find_zero(&big, 0, 139), None);
        big[63] = 0x7F; // bit 511
        assert_eq!(find_zero(&big, 140, 512), Some(511));
        assert_eq!(find_zero(&big, 140, 4096), Some(511), "`to` past the map");
    }
}
