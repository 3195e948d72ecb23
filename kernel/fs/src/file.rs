//! File contents: read and write at an offset, truncate, symlink targets, and
//! giving back every block of an inode that is deleted.
//!
//! The design decision: sparseness is the default. Writing at an offset past the
//! end allocates only the blocks written; the gap stays a hole (block number 0)
//! that reads as zeros and costs nothing, and truncate to a larger size just
//! moves `i_size`. To keep that true, whenever the end of a file moves we zero
//! the bytes of its last block that lie past the end, so stale bytes can never
//! reappear when the file grows again.

use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::error::{corrupt, Errno, Result};
use crate::fs::Ext2;
use crate::inode::Inode;
use crate::superblock::{le32, put32};

/// Symlink targets shorter than this live inside the inode ("fast" symlinks).
pub const FAST_SYMLINK_MAX: usize = 60;
const XATTR_MAGIC: u32 = 0xEA02_0000;

impl<D: BlockDevice> Ext2<D> {
    /// The inode of regular file `ino`: `EISDIR` for a directory, `EINVAL` for any
    /// other kind (symlinks, devices), which have no byte contents to read or write.
    fn regular_file(&mut self, ino: u32) -> Result<Inode> {
        let inode = self.live_inode(ino)?;
        if inode.is_dir() {
            return Err(Errno::EISDIR);
        }
        if !inode.is_reg() {
            return Err(Errno::EINVAL);
        }
        Ok(inode)
    }

    /// Reads from regular file `ino` at `offset`; returns the bytes read (0 at
    /// or past the end).
    pub fn read(&mut self, ino: u32, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.regular_file(ino)?;
        if offset >= inode.size {
            return Ok(0);
        }
        let n = (inode.size - offset).min(buf.len() as u64) as usize;
        let bs = self.sb.block_size as u64;
        let mut done = 0;
        while done < n {
            let pos = offset + done as u64;
            let within = (pos % bs) as usize;
            let chunk = (bs as usize - within).min(n - done);
            let b = self.bmap(&inode, pos / bs)?;
            let dst = &mut buf[done..done + chunk];
            if b == 0 {
                dst.fill(0);
            } else {
                dst.copy_from_slice(&self.cache.read(b as u64)?[within..within + chunk]);
            }
            done += chunk;
        }
        Ok(n)
    }

    /// Plan a read of regular file `ino` from `offset` (a multiple of the block size)
    /// into `buf` that leaves the disk for later: the bytes of cached blocks and holes
    /// are copied into `buf` now, and the blocks that must come from the device are
    /// returned as runs of consecutive sectors, `(first sector, offset in buf,
    /// bytes)`, whole blocks, for the caller to read without holding this file
    /// system. The block cache is not filled (data pages are cached above). The block
    /// map is read now, so indirect blocks may come from the disk here. The last
    /// block may extend past the end of the file: the caller zeroes what lies past it.
    pub fn plan_read(
        &mut self,
        ino: u32,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<Vec<(u64, usize, usize)>> {
        let inode = self.regular_file(ino)?;
        let bs = self.sb.block_size;
        if !offset.is_multiple_of(bs as u64) {
            return Err(Errno::EINVAL);
        }
        let n = inode.size.saturating_sub(offset).min(buf.len() as u64) as usize;
        let spb = self.cache.sectors_per_block();
        let mut runs: Vec<(u64, usize, usize)> = Vec::new();
        let mut done = 0;
        while done < n {
            let lblk = (offset + done as u64) / bs as u64;
            let chunk = bs.min(buf.len() - done);
            let b = self.bmap(&inode, lblk)? as u64;
            let dst = &mut buf[done..done + chunk];
            if b == 0 {
                dst.fill(0);
            } else if let Some(data) = self.cache.peek(b) {
                dst.copy_from_slice(&data[..chunk]);
            } else if chunk < bs {
                dst.copy_from_slice(&self.cache.read(b)?[..chunk]);
            } else {
                match runs.last_mut() {
                    Some((first, at, len))
                        if *at + *len == done && *first + (*len / bs) as u64 * spb == b * spb =>
                    {
                        *len += bs;
                    }
                    _ => runs.push((b * spb, done, bs)),
                }
            }
            done += chunk;
        }
        Ok(runs)
    }

    /// Writes `data` into regular file `ino` at `offset`, growing it as needed.
    /// Returns the bytes written: fewer than asked only when the disk filled up
    /// part way (`ENOSPC` if nothing could be written).
    pub fn write(&mut self, ino: u32, offset: u64, data: &[u8]) -> Result<usize> {
        self.writable()?;
        let mut inode = self.regular_file(ino)?;
        if data.is_empty() {
            return Ok(0);
        }
        let end = offset.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        if end > self.max_file_size() {
            return Err(Errno::EFBIG);
        }
        if offset > inode.size {
            self.zero_tail(&inode, inode.size)?;
        }
        let bs = self.sb.block_size as u64;
        let mut done = 0usize;
        let mut goal = 0u32;
        let mut result = Ok(());
        while done < data.len() {
            let pos = offset + done as u64;
            let within = (pos % bs) as usize;
            let chunk = (bs as usize - within).min(data.len() - done);
            let (b, fresh) = match self.bmap_alloc(&mut inode, pos / bs, goal) {
                Ok(x) => x,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let src = &data[done..done + chunk];
            if chunk == bs as usize {
                self.cache.overwrite_data(b as u64)?.copy_from_slice(src);
            } else if fresh {
                let blk = self.cache.overwrite_data(b as u64)?;
                blk.fill(0);
                blk[within..within + chunk].copy_from_slice(src);
            } else {
                self.cache.modify_data(b as u64)?[within..within + chunk].copy_from_slice(src);
            }
            goal = b + 1;
            done += chunk;
        }
        let new_end = offset + done as u64;
        if done > 0 && new_end > inode.size {
            self.set_size(&mut inode, new_end);
        }
        if done > 0 {
            let now = self.now();
            inode.mtime = now;
            inode.ctime = now;
        }
        self.write_inode(ino, &inode)?;
        match result {
            Err(e) if done == 0 => Err(e),
            Err(Errno::ENOSPC) | Ok(()) => Ok(done),
            Err(e) => Err(e),
        }
    }

    /// Sets the size of regular file `ino`: shrinking frees the blocks past the
    /// end, growing leaves a hole.
    pub fn truncate(&mut self, ino: u32, size: u64) -> Result<()> {
        self.writable()?;
        let mut inode = self.regular_file(ino)?;
        if size > self.max_file_size() {
            return Err(Errno::EFBIG);
        }
        let bs = self.sb.block_size as u64;
        if size < inode.size {
            self.free_blocks_from(&mut inode, size.div_ceil(bs))?;
            self.zero_tail(&inode, size)?;
        } else if size > inode.size {
            self.zero_tail(&inode, inode.size)?;
        }
        self.set_size(&mut inode, size);
        let now = self.now();
        inode.mtime = now;
        inode.ctime = now;
        self.write_inode(ino, &inode)
    }

    /// Sets `i_size`, turning on `large_file` once a file reaches 2 GiB.
    fn set_size(&mut self, inode: &mut Inode, size: u64) {
        if size > i32::MAX as u64
            && self.sb.feature_ro_compat & crate::superblock::ro_compat::LARGE_FILE == 0
        {
            self.sb.set_large_file();
            self.meta_dirty = true;
        }
        inode.size = size;
    }

    /// Zeroes the bytes of the block holding byte `size` that lie at or past it.
    fn zero_tail(&mut self, inode: &Inode, size: u64) -> Result<()> {
        let bs = self.sb.block_size as u64;
        if size.is_multiple_of(bs) {
            return Ok(());
        }
        let b = self.bmap(inode, size / bs)?;
        if b != 0 {
            self.cache.modify_data(b as u64)?[(size % bs) as usize..].fill(0);
        }
        Ok(())
    }

    /// Blocks (512-byte units) an inode's xattr block accounts for.
    fn xattr_units(&self, inode: &Inode) -> u32 {
        if inode.file_acl != 0 {
            (self.sb.block_size / 512) as u32
        } else {
            0
        }
    }

    /// True when the symlink's target is stored in `i_block` itself.
    pub(crate) fn is_fast_symlink(&self, inode: &Inode) -> bool {
        inode.is_symlink() && inode.blocks == self.xattr_units(inode)
    }

    /// The target of symlink `ino`.
    pub fn readlink(&mut self, ino: u32) -> Result<Vec<u8>> {
        let inode = self.live_inode(ino)?;
        if !inode.is_symlink() {
            return Err(Errno::EINVAL);
        }
        let len = inode.size as usize;
        if self.is_fast_symlink(&inode) {
            if len >= FAST_SYMLINK_MAX {
                return corrupt();
            }
            let bytes: Vec<u8> = inode.block.iter().flat_map(|b| b.to_le_bytes()).collect();
            return Ok(bytes[..len].to_vec());
        }
        if inode.size >= self.sb.block_size as u64 {
            return corrupt();
        }
        match self.bmap(&inode, 0)? {
            0 => corrupt(),
            b => Ok(self.cache.read(b as u64)?[..len].to_vec()),
        }
    }

    /// Stores a symlink target into a fresh inode (fast when short enough).
    pub(crate) fn store_symlink_target(&mut self, inode: &mut Inode, target: &[u8]) -> Result<()> {
        if target.len() < FAST_SYMLINK_MAX {
            let mut bytes = [0u8; 60];
            bytes[..target.len()].copy_from_slice(target);
            for (i, b) in inode.block.iter_mut().enumerate() {
                *b = le32(&bytes, 4 * i);
            }
        } else {
            let (b, _) = self.bmap_alloc(inode, 0, 0)?;
            let blk = self.cache.overwrite(b as u64)?;
            blk.fill(0);
            blk[..target.len()].copy_from_slice(target);
        }
        inode.size = target.len() as u64;
        Ok(())
    }

    /// Frees everything inode `ino` owns and the inode itself (its last link
    /// is gone).
    pub(crate) fn release_inode(&mut self, ino: u32, mut inode: Inode) -> Result<()> {
        let dir = inode.is_dir();
        if dir {
            self.dirindex.forget(ino);
        }
        // Device files keep a device number in i_block, fast symlinks their target.
        let has_map = inode.is_reg() || inode.is_dir() || inode.is_symlink();
        if has_map && !self.is_fast_symlink(&inode) {
            self.free_blocks_from(&mut inode, 0)?;
        }
        if inode.file_acl != 0 {
            self.release_xattr_block(inode.file_acl)?;
        }
        self.clear_inode(ino)?;
        let now = self.now();
        let dead = Inode {
            dtime: if now >= self.sb.inodes_count { now } else { 0 },
            ..Inode::default()
        };
        self.write_inode(ino, &dead)?;
        self.free_inode_bit(ino, dir)
    }

    fn release_xattr_block(&mut self, b: u32) -> Result<()> {
        if !self.block_in_range(b) {
            return corrupt();
        }
        let data = self.cache.read(b as u64)?;
        if le32(data, 0) != XATTR_MAGIC {
            return corrupt();
        }
        let refs = le32(data, 4);
        if refs > 1 {
            put32(self.cache.modify(b as u64)?, 4, refs - 1);
            Ok(())
        } else {
            self.free_block(b)
        }
    }
}
