//! Block group descriptors: where each group keeps its bitmaps and inode table,
//! and how many blocks, inodes and directories it has free or in use.
//!
//! The design decision: the whole descriptor table is read at mount, checked
//! (every location must lie inside the file system) and kept in memory; the
//! allocator updates it there, and `sync` writes it back into the primary table
//! only. Backup copies in other groups are left alone — as Linux does — because
//! e2fsck compares only their static fields. Descriptors keep their raw 32 bytes,
//! so fields this driver does not use (flags, checksums) are written back as found.

use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::cache::BlockCache;
use crate::error::{corrupt, Result};
use crate::superblock::{le16, le32, put16, Superblock};

/// Size of one ext2 group descriptor.
pub const DESC_SIZE: usize = 32;

/// One group descriptor.
#[derive(Clone, Debug)]
pub struct GroupDesc {
    raw: [u8; DESC_SIZE],
    /// Block holding this group's block bitmap.
    pub block_bitmap: u32,
    /// Block holding this group's inode bitmap.
    pub inode_bitmap: u32,
    /// First block of this group's inode table.
    pub inode_table: u32,
    /// Free blocks in the group.
    pub free_blocks: u16,
    /// Free inodes in the group.
    pub free_inodes: u16,
    /// Directories in the group.
    pub used_dirs: u16,
}

impl GroupDesc {
    fn parse(raw: &[u8]) -> GroupDesc {
        let mut r = [0u8; DESC_SIZE];
        r.copy_from_slice(&raw[..DESC_SIZE]);
        GroupDesc {
            block_bitmap: le32(&r, 0),
            inode_bitmap: le32(&r, 4),
            inode_table: le32(&r, 8),
            free_blocks: le16(&r, 12),
            free_inodes: le16(&r, 14),
            used_dirs: le16(&r, 16),
            raw: r,
        }
    }

    fn to_bytes(&self) -> [u8; DESC_SIZE] {
        let mut r = self.raw;
        put16(&mut r, 12, self.free_blocks);
        put16(&mut r, 14, self.free_inodes);
        put16(&mut r, 16, self.used_dirs);
        r
    }
}

/// Block number of the first block of the primary descriptor table.
pub fn gdt_start(sb: &Superblock) -> u32 {
    sb.first_data_block + 1
}

/// Reads and validates the whole descriptor table.
pub fn load<D: BlockDevice>(cache: &mut BlockCache<D>, sb: &Superblock) -> Result<Vec<GroupDesc>> {
    let bs = sb.block_size;
    let per_block = bs / DESC_SIZE;
    // A corrupt superblock may claim millions of groups: allocate fallibly, so such
    // an image is refused (EIO) instead of exhausting the kernel heap.
    let mut out = Vec::new();
    if out.try_reserve_exact(sb.groups as usize).is_err() {
        return corrupt();
    }
    for g in 0..sb.groups {
        let blk = gdt_start(sb) + g / per_block as u32;
        if blk >= sb.blocks_count {
            return corrupt();
        }
        let off = (g as usize % per_block) * DESC_SIZE;
        let d = GroupDesc::parse(&cache.read(blk as u64)?[off..off + DESC_SIZE]);
        let in_fs = |b: u32| b >= sb.first_data_block && b < sb.blocks_count;
        let table_end = d.inode_table as u64 + sb.inode_table_blocks as u64;
        if !in_fs(d.block_bitmap)
            || !in_fs(d.inode_bitmap)
            || !in_fs(d.inode_table)
            || table_end > sb.blocks_count as u64
            || d.free_blocks as u32 > sb.group_blocks(g)
            || d.free_inodes as u32 > sb.inodes_per_group
            || d.used_dirs as u32 > sb.inodes_per_group
        {
            return corrupt();
        }
        out.push(d);
    }
    Ok(out)
}

/// Writes the table into the cache (the cache writes it to disk on sync).
pub fn store<D: BlockDevice>(
    cache: &mut BlockCache<D>,
    sb: &Superblock,
    groups: &[GroupDesc],
) -> Result<()> {
    let per_block = sb.block_size / DESC_SIZE;
    for (g, d) in groups.iter().enumerate() {
        let blk = gdt_start(sb) + (g / per_block) as u32;
        let off = (g % per_block) * DESC_SIZE;
        cache.modify(blk as u64)?[off..off + DESC_SIZE].copy_from_slice(&d.to_bytes());
    }
    Ok(())
}
