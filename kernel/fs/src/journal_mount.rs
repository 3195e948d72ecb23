//! The journal's part in mounting, syncing and a clean unmount of ext2.
//!
//! Chapter idea: a file system that survives a power cut does a little more at
//! mount (replay) and at unmount (leave the journal empty) than one that does not.
//! At mount, a file system with `has_journal` gets its journal from the journal
//! inode (`s_journal_inum`): a journal holding committed transactions is replayed
//! onto the disk and the file system mounted again from what is there now; then the
//! superblock's `needs_recovery` bit is set on the disk (so the host's e2fsck knows
//! to replay after a cut, as it does for Linux) and every `sync` is a transaction
//! (`journal_write.rs`). [`Ext2::checkpoint`], at unmount and power-off, empties the
//! journal and clears the bit: the disk is then what a clean ext3 unmount leaves.
//! A journal this driver cannot use (an external one, checksums, unknown features)
//! makes the mount read-only, naming why, as a journal did before dinos had one.

use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::error::{Errno, Result};
use crate::fs::Ext2;
use crate::journal::{Journal, JournalStats, EXT2_JOURNAL_INUM};
use crate::superblock::{incompat, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};

/// The largest journal accepted, in blocks (mke2fs makes at most 2^20 blocks).
const MAX_JOURNAL_BLOCKS: u64 = 1 << 20;

impl<D: BlockDevice> Ext2<D> {
    /// At mount, after the root is found: set the journal up. `Some((transactions,
    /// blocks))` means it was replayed and the caller must mount again; `replayed` is
    /// what the previous pass replayed (kept in the figures).
    pub(crate) fn start_journal(
        &mut self,
        replayed: Option<(u64, u64)>,
    ) -> Result<Option<(u64, u64)>> {
        let inum = self.sb.raw_u32(EXT2_JOURNAL_INUM);
        if inum == 0 {
            self.refuse_journal("an external journal");
            return Ok(None);
        }
        let map = match self.journal_map(inum) {
            Ok(m) => m,
            Err(_) => {
                self.refuse_journal("an unreadable journal inode");
                return Ok(None);
            }
        };
        let bs = self.sb.block_size;
        let mut j = match Journal::open(&mut self.cache.dev, map, bs) {
            Ok(j) => j,
            Err(why) => {
                self.refuse_journal(why);
                return Ok(None);
            }
        };
        if j.needs_recovery() {
            if self.read_only.is_some() || replayed.is_some() {
                self.read_only = Some("needs_recovery");
                return Ok(None);
            }
            let done = j.replay(&mut self.cache.dev)?;
            return Ok(Some(done));
        }
        if let Some((t, b)) = replayed {
            j.stats.replayed_transactions = t;
            j.stats.replayed_blocks = b;
        }
        if self.read_only.is_some() {
            return Ok(None);
        }
        // needs_recovery on the disk before the first transaction.
        self.sb.set_needs_recovery(true);
        self.meta_dirty = true;
        self.sync()?;
        self.cache.set_journal(j);
        Ok(None)
    }

    fn refuse_journal(&mut self, why: &'static str) {
        if self.read_only.is_none() {
            self.read_only = Some(why);
        }
    }

    /// The disk block of each block of the journal inode `inum`.
    fn journal_map(&mut self, inum: u32) -> Result<Vec<u32>> {
        let inode = self.read_inode(inum)?;
        let bs = self.sb.block_size as u64;
        let n = inode.size / bs;
        if !inode.is_reg() || n == 0 || n > MAX_JOURNAL_BLOCKS {
            return Err(Errno::EIO);
        }
        let mut map = Vec::with_capacity(n as usize);
        for l in 0..n {
            match self.bmap(&inode, l)? {
                0 => return Err(Errno::EIO),
                b => map.push(b),
            }
        }
        Ok(map)
    }

    /// In `sync`: a journaled file system says so in its superblock.
    pub(crate) fn journal_before_sync(&mut self) {
        if self.cache.journal().is_some() && self.sb.feature_incompat & incompat::RECOVER == 0 {
            self.sb.set_needs_recovery(true);
            self.meta_dirty = true;
        }
    }

    /// True when so few free blocks are left besides those waiting for the commit of
    /// their free (`bitmap.rs`) that the next operation should commit first: a disk
    /// that is full but for a file just removed must not say ENOSPC.
    pub(crate) fn freed_blocks_needed(&self) -> bool {
        self.cache.journal().is_some_and(|j| {
            !j.freed.is_empty()
                && (self.sb.free_blocks as usize).saturating_sub(j.freed.len()) < 256
        })
    }

    /// What the journal did since mount, if there is one in use.
    pub fn journal_stats(&self) -> Option<JournalStats> {
        self.cache.journal().map(|j| j.stats())
    }

    /// Sync, then leave the journal empty and `needs_recovery` clear, as a clean
    /// unmount does (before power-off and at `umount`). Without a journal: `sync`.
    pub fn checkpoint(&mut self) -> Result<()> {
        self.sync()?;
        if self.cache.journal().is_none() {
            return Ok(());
        }
        self.cache.journal_quiesce()?;
        self.sb.set_needs_recovery(false);
        let now = self.now();
        let bytes = self.sb.to_bytes(now);
        let bs = self.sb.block_size as u64;
        let off = (SUPERBLOCK_OFFSET % bs) as usize;
        let blk = SUPERBLOCK_OFFSET / bs;
        self.cache.modify(blk)?[off..off + SUPERBLOCK_SIZE].copy_from_slice(&bytes);
        // In place: the journal is empty, nothing older can be replayed over it.
        self.cache.write_now(blk)?;
        self.cache.device_flush()
    }
}
