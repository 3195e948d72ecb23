//! Inodes on disk, and the block map that turns a file offset into a disk block.
//!
//! An inode's `i_block[15]` holds 12 direct block numbers, then one single, one
//! double and one triple indirect block: a tree of depth at most 3 whose leaves
//! are data blocks, with 0 meaning "hole" (reads as zeros, takes no space). The
//! design decision: the tree is walked one path at a time from the root (no
//! cached mappings), every block number read from disk is range-checked before
//! use, and the depth is fixed by the offset — so a corrupt map can produce
//! `EIO` but never a loop. `i_blocks` counts 512-byte sectors of every block the
//! inode owns, indirect blocks included, and is kept in step on every allocation
//! and free.

use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::error::{corrupt, Errno, Result};
use crate::fs::Ext2;
use crate::superblock::{le16, le32, put16, put32};

/// Number of direct block pointers.
pub const NDIR: usize = 12;
/// `i_flags`: the directory has an htree index (we treat it as linear).
pub const INDEX_FL: u32 = 0x1000;

/// Inode-table blocks read in one request when one is missing from the block
/// cache (Linux's ext4 reads 32 as well: `inode_readahead_blks`).
pub const INODE_READAHEAD: u64 = 32;

/// File type bits of `i_mode`.
pub mod mode {
    pub const S_IFMT: u16 = 0o170000;
    pub const S_IFSOCK: u16 = 0o140000;
    pub const S_IFLNK: u16 = 0o120000;
    pub const S_IFREG: u16 = 0o100000;
    pub const S_IFBLK: u16 = 0o060000;
    pub const S_IFDIR: u16 = 0o040000;
    pub const S_IFCHR: u16 = 0o020000;
    pub const S_IFIFO: u16 = 0o010000;
}

/// The fields of an on-disk inode this driver uses.
#[derive(Clone, Debug, Default)]
pub struct Inode {
    pub mode: u16,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub atime: u32,
    pub ctime: u32,
    pub mtime: u32,
    pub dtime: u32,
    pub links: u16,
    /// `i_blocks`: 512-byte units owned, indirect and xattr blocks included.
    pub blocks: u32,
    pub flags: u32,
    pub block: [u32; 15],
    pub generation: u32,
    pub file_acl: u32,
}

impl Inode {
    /// The `S_IFMT` bits.
    pub fn kind_bits(&self) -> u16 {
        self.mode & mode::S_IFMT
    }
    pub fn is_dir(&self) -> bool {
        self.kind_bits() == mode::S_IFDIR
    }
    pub fn is_reg(&self) -> bool {
        self.kind_bits() == mode::S_IFREG
    }
    pub fn is_symlink(&self) -> bool {
        self.kind_bits() == mode::S_IFLNK
    }

    fn parse(r: &[u8], rev1: bool) -> Inode {
        let mut block = [0u32; 15];
        for (i, b) in block.iter_mut().enumerate() {
            *b = le32(r, 40 + 4 * i);
        }
        let mode = le16(r, 0);
        let high = if rev1 && mode & mode::S_IFMT == mode::S_IFREG {
            le32(r, 108) as u64
        } else {
            0
        };
        Inode {
            mode,
            uid: le16(r, 2) as u32 | (le16(r, 120) as u32) << 16,
            gid: le16(r, 24) as u32 | (le16(r, 122) as u32) << 16,
            size: le32(r, 4) as u64 | high << 32,
            atime: le32(r, 8),
            ctime: le32(r, 12),
            mtime: le32(r, 16),
            dtime: le32(r, 20),
            links: le16(r, 26),
            blocks: le32(r, 28),
            flags: le32(r, 32),
            block,
            generation: le32(r, 100),
            file_acl: le32(r, 104),
        }
    }

    fn store(&self, r: &mut [u8]) {
        put16(r, 0, self.mode);
        put16(r, 2, self.uid as u16);
        put16(r, 120, (self.uid >> 16) as u16);
        put32(r, 4, self.size as u32);
        if self.is_reg() {
            put32(r, 108, (self.size >> 32) as u32);
        }
        put32(r, 8, self.atime);
        put32(r, 12, self.ctime);
        put32(r, 16, self.mtime);
        put32(r, 20, self.dtime);
        put16(r, 24, self.gid as u16);
        put16(r, 122, (self.gid >> 16) as u16);
        put16(r, 26, self.links);
        put32(r, 28, self.blocks);
        put32(r, 32, self.flags);
        for (i, b) in self.block.iter().enumerate() {
            put32(r, 40 + 4 * i, *b);
        }
        put32(r, 100, self.generation);
        put32(r, 104, self.file_acl);
    }
}

/// Which pointer slots lead to logical block `lblk`: the `i_block` index, then
/// one index per indirect level.
fn path(lblk: u64, per: u64) -> Result<([usize; 4], usize)> {
    let mut p = [0usize; 4];
    if lblk < NDIR as u64 {
        p[0] = lblk as usize;
        return Ok((p, 1));
    }
    let mut rest = lblk - NDIR as u64;
    let mut span = per;
    for depth in 1..=3usize {
        if rest < span {
            p[0] = NDIR + depth - 1;
            for lvl in (1..=depth).rev() {
                p[lvl] = (rest % per) as usize;
                rest /= per;
            }
            return Ok((p, depth + 1));
        }
        rest -= span;
        span *= per;
    }
    Err(Errno::EFBIG)
}

impl<D: BlockDevice> Ext2<D> {
    /// Pointers per indirect block.
    pub(crate) fn per_block(&self) -> u64 {
        (self.sb.block_size / 4) as u64
    }

    /// Number of logical blocks the block map can address.
    pub(crate) fn max_blocks(&self) -> u64 {
        let p = self.per_block();
        NDIR as u64 + p + p * p + p * p * p
    }

    /// The inode-table block holding inode `ino` and the inode's offset in it. A
    /// block not cached, when the block before it is, is read together with the
    /// rest of the group's table after it, up to [`INODE_READAHEAD`] blocks, in one
    /// request (Linux's readahead, too, starts on a sequential miss): inodes are used in
    /// order (creation takes the next free one, `ls -l` and `find` stat a
    /// directory's files in turn), so the next blocks are wanted soon.
    fn inode_location(&mut self, ino: u32) -> Result<(u64, usize)> {
        if ino == 0 || ino > self.sb.inodes_count {
            return corrupt();
        }
        let g = (ino - 1) / self.sb.inodes_per_group;
        let idx = ((ino - 1) % self.sb.inodes_per_group) as usize;
        let byte = idx * self.sb.inode_size;
        let table = self.groups[g as usize].inode_table as u64;
        let lblk = (byte / self.sb.block_size) as u64;
        let blk = table + lblk;
        if !self.cache.contains(blk) {
            // Only a walk forward through the table (the block before is cached)
            // reads ahead: a lone lookup (a `stat`, a program's inode after
            // `drop_caches`) reads its one block, not 32 KiB it will not use.
            let walking = lblk > 0 && self.cache.contains(blk - 1);
            let left = (self.sb.inode_table_blocks as u64).saturating_sub(lblk);
            let n = if walking {
                left.clamp(1, INODE_READAHEAD)
            } else {
                1
            };
            self.cache.read_ahead(blk, n as usize)?;
        }
        Ok((blk, byte % self.sb.block_size))
    }

    /// Reads inode `ino` (any state, even free): from the inode cache, else parsed
    /// from its inode-table block (and then cached).
    pub(crate) fn read_inode(&mut self, ino: u32) -> Result<Inode> {
        if let Some(i) = self.icache.get(ino) {
            return Ok(i.clone());
        }
        let (blk, off) = self.inode_location(ino)?;
        let rev1 = self.sb.rev_level >= 1;
        let inode = Inode::parse(&self.cache.read(blk)?[off..off + 128], rev1);
        self.icache.put(ino, &inode);
        Ok(inode)
    }

    /// Reads inode `ino` and checks it is in use with sane numbers.
    pub(crate) fn live_inode(&mut self, ino: u32) -> Result<Inode> {
        let inode = self.read_inode(ino)?;
        self.check_live(ino, &inode)?;
        Ok(inode)
    }

    /// `f` of live inode `ino` (checked as [`Ext2::live_inode`] does), looked at
    /// in the inode cache without a copy when it is there.
    pub(crate) fn with_live_inode<T>(
        &mut self,
        ino: u32,
        f: impl FnOnce(&Inode) -> T,
    ) -> Result<T> {
        if let Some(inode) = self.icache.get(ino) {
            self.check_live(ino, inode)?;
            return Ok(f(inode));
        }
        let inode = self.live_inode(ino)?;
        Ok(f(&inode))
    }

    /// `EIO` (a corrupt file system) unless `inode` (inode `ino`) is in use with
    /// sane numbers.
    fn check_live(&self, ino: u32, inode: &Inode) -> Result<()> {
        let kind_ok = matches!(
            inode.kind_bits(),
            mode::S_IFREG
                | mode::S_IFDIR
                | mode::S_IFLNK
                | mode::S_IFCHR
                | mode::S_IFBLK
                | mode::S_IFIFO
                | mode::S_IFSOCK
        );
        if (inode.links == 0 && !self.orphans.contains(&ino)) || !kind_ok {
            return corrupt();
        }
        if inode.file_acl != 0 && !self.block_in_range(inode.file_acl) {
            return corrupt();
        }
        if inode.is_dir() {
            // A directory has every block allocated: its size is bounded by i_blocks.
            let bs = self.sb.block_size as u64;
            let nblocks = inode.size / bs;
            if !inode.size.is_multiple_of(bs)
                || nblocks > inode.blocks as u64 * 512 / bs
                || nblocks > self.sb.blocks_count as u64
            {
                return corrupt();
            }
        }
        Ok(())
    }

    /// Writes the fields of `inode` back into the inode table, and into the inode
    /// cache as a parse of the stored bytes would give them back.
    pub(crate) fn write_inode(&mut self, ino: u32, inode: &Inode) -> Result<()> {
        let (blk, off) = self.inode_location(ino)?;
        inode.store(&mut self.cache.modify(blk)?[off..off + 128]);
        if self.sb.rev_level >= 1 && inode.is_reg() {
            self.icache.put(ino, inode);
        } else {
            // Only a revision-1 regular file keeps the size's high half.
            let mut stored = inode.clone();
            stored.size &= 0xffff_ffff;
            self.icache.put(ino, &stored);
        }
        Ok(())
    }

    /// Zeroes the whole on-disk inode `ino` (all `inode_size` bytes) and gives
    /// large inodes the standard `i_extra_isize` of 32.
    pub(crate) fn clear_inode(&mut self, ino: u32) -> Result<()> {
        let (blk, off) = self.inode_location(ino)?;
        self.icache.forget(ino);
        let isz = self.sb.inode_size;
        let raw = &mut self.cache.modify(blk)?[off..off + isz];
        raw.fill(0);
        if isz >= 160 {
            put16(raw, 128, 32);
        }
        Ok(())
    }

    fn read_ptr(&mut self, blk: u32, idx: usize) -> Result<u32> {
        let p = le32(self.cache.read(blk as u64)?, idx * 4);
        if p != 0 && !self.block_in_range(p) {
            return corrupt();
        }
        Ok(p)
    }

    /// The disk block holding logical block `lblk` of `inode`, or 0 for a hole.
    pub(crate) fn bmap(&mut self, inode: &Inode, lblk: u64) -> Result<u32> {
        let (p, n) = path(lblk, self.per_block())?;
        let mut b = inode.block[p[0]];
        if b != 0 && !self.block_in_range(b) {
            return corrupt();
        }
        for &idx in &p[1..n] {
            if b == 0 {
                return Ok(0);
            }
            b = self.read_ptr(b, idx)?;
        }
        Ok(b)
    }

    /// Like [`Ext2::bmap`] but allocates missing blocks (indirect ones zeroed);
    /// returns `(block, fresh)` where `fresh` says the data block is new. Either
    /// every needed block is allocated or none is (`ENOSPC` is checked first).
    pub(crate) fn bmap_alloc(
        &mut self,
        inode: &mut Inode,
        lblk: u64,
        goal: u32,
    ) -> Result<(u32, bool)> {
        let (p, n) = path(lblk, self.per_block())?;
        // Count the blocks this path is missing.
        let mut missing = 0;
        let mut b = inode.block[p[0]];
        if b != 0 && !self.block_in_range(b) {
            return corrupt();
        }
        for (lvl, &idx) in p[..n].iter().enumerate() {
            if lvl > 0 {
                b = self.read_ptr(b, idx)?;
            }
            if b == 0 {
                missing = n - lvl;
                break;
            }
        }
        if missing == 0 {
            return Ok((b, false));
        }
        let unit = (self.sb.block_size / 512) as u32;
        if (self.sb.free_blocks as usize) < missing {
            return Err(Errno::ENOSPC);
        }
        let added = unit.checked_mul(missing as u32).ok_or(Errno::EFBIG)?;
        inode.blocks = inode.blocks.checked_add(added).ok_or(Errno::EFBIG)?;
        // Walk again, allocating as we go.
        let mut goal = goal;
        let mut parent: Option<u32> = None;
        for (lvl, &idx) in p[..n].iter().enumerate() {
            let cur = match parent {
                None => inode.block[idx],
                Some(pb) => self.read_ptr(pb, idx)?,
            };
            let cur = if cur == 0 {
                let nb = self.alloc_block(goal)?;
                if lvl + 1 < n {
                    self.cache.zero(nb as u64)?;
                }
                match parent {
                    None => inode.block[idx] = nb,
                    Some(pb) => put32(self.cache.modify(pb as u64)?, idx * 4, nb),
                }
                nb
            } else {
                cur
            };
            goal = cur + 1;
            parent = Some(cur);
        }
        Ok((parent.unwrap_or(0), true))
    }

    /// Frees every block of `inode` at logical index `keep` and beyond, and the
    /// indirect blocks left empty; updates `inode.block` and `inode.blocks`.
    pub(crate) fn free_blocks_from(&mut self, inode: &mut Inode, keep: u64) -> Result<()> {
        let per = self.per_block();
        for i in (keep.min(NDIR as u64) as usize)..NDIR {
            let b = inode.block[i];
            if b != 0 {
                self.free_counted(inode, b)?;
                inode.block[i] = 0;
            }
        }
        let mut start = NDIR as u64;
        let mut span = per;
        for depth in 1..=3u32 {
            let slot = NDIR + depth as usize - 1;
            let root = inode.block[slot];
            if root != 0 {
                if !self.block_in_range(root) {
                    return corrupt();
                }
                if keep <= start {
                    self.free_tree(inode, root, depth)?;
                    inode.block[slot] = 0;
                } else if keep < start + span {
                    self.trim_tree(inode, root, depth, keep - start)?;
                }
            }
            start += span;
            span *= per;
        }
        Ok(())
    }

    fn free_counted(&mut self, inode: &mut Inode, b: u32) -> Result<()> {
        self.free_block(b)?;
        let unit = (self.sb.block_size / 512) as u32;
        inode.blocks = inode.blocks.saturating_sub(unit);
        Ok(())
    }

    fn read_ptrs(&mut self, blk: u32) -> Result<Vec<u32>> {
        let data = self.cache.read(blk as u64)?;
        let ptrs: Vec<u32> = data.chunks_exact(4).map(|c| le32(c, 0)).collect();
        if ptrs.iter().any(|&p| p != 0 && !self.block_in_range(p)) {
            return corrupt();
        }
        Ok(ptrs)
    }

    /// Frees the subtree at `blk` whose leaves are `depth` levels down.
    fn free_tree(&mut self, inode: &mut Inode, blk: u32, depth: u32) -> Result<()> {
        if depth > 0 {
            for p in self.read_ptrs(blk)? {
                if p != 0 {
                    self.free_tree(inode, p, depth - 1)?;
                }
            }
        }
        self.free_counted(inode, blk)
    }

    /// Keeps the first `keep` leaves (0 < keep < span) under `blk`, frees the rest.
    fn trim_tree(&mut self, inode: &mut Inode, blk: u32, depth: u32, keep: u64) -> Result<()> {
        let per = self.per_block();
        let child_span = per.pow(depth - 1);
        let ptrs = self.read_ptrs(blk)?;
        for (i, &p) in ptrs.iter().enumerate() {
            let lo = i as u64 * child_span;
            if p == 0 || lo + child_span <= keep {
                continue;
            }
            if lo >= keep {
                self.free_tree(inode, p, depth - 1)?;
                put32(self.cache.modify(blk as u64)?, i * 4, 0);
            } else {
                self.trim_tree(inode, p, depth - 1, keep - lo)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::path;

    #[test]
    fn block_map_path_covers_each_indirect_level() {
        assert_eq!(path(11, 256).unwrap(), ([11, 0, 0, 0], 1));
        assert_eq!(path(12, 256).unwrap(), ([12, 0, 0, 0], 2));
        assert_eq!(path(12 + 255, 256).unwrap(), ([12, 255, 0, 0], 2));
        assert_eq!(path(12 + 256, 256).unwrap(), ([13, 0, 0, 0], 3));
        assert_eq!(path(12 + 256 + 257, 256).unwrap(), ([13, 1, 1, 0], 3));
        let t = 12 + 256 + 65536;
        assert_eq!(path(t, 256).unwrap(), ([14, 0, 0, 0], 4));
        assert_eq!(path(t + 65536 + 256 + 1, 256).unwrap(), ([14, 1, 1, 1], 4));
        assert!(path(t + 256 * 65536, 256).is_err());
    }
}
