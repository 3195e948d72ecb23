//! Writing the journal: a `sync` of a journaled file system is one JBD2 transaction.
//!
//! Chapter idea: ordering writes is how an OS keeps a promise across a power cut.
//! `BlockCache::sync` (and eviction, when it would write metadata) becomes a commit
//! in the order of ext3's `data=ordered` mode:
//!
//! 1. **ordered data**: dirty file-content blocks go to their places first, so no
//!    committed inode or block map can point at a block that still holds old bytes;
//! 2. **the log**: revoke records, then descriptor blocks each followed by the copies
//!    of the metadata blocks it tags (a copy whose first word is the JBD2 magic is
//!    *escaped*: stored with the word zeroed and the tag flagged); then a device flush;
//! 3. **the commit block**, then a flush: from here the transaction survives a cut;
//! 4. **checkpoint**: the metadata blocks are written to their places (made durable
//!    by the next transaction's first flush, and repaired by replay until then).
//!
//! The log fills from `s_first` on, one transaction after the other; when the next
//! one does not fit, the log starts again at `s_first` (*wraps*): every earlier
//! transaction is checkpointed already, so a flush makes the places durable, the
//! journal superblock gets `s_start = s_first` and the new sequence number, and
//! another flush orders it before the log blocks that overwrite the old ones. A
//! block that was metadata in a transaction replay would still see and is file data
//! now gets a revoke record, so replay never writes an old directory block over a
//! file's new contents. The cache keeps at most three quarters of the log's blocks
//! (`BlockCache::set_journal`), so one transaction always fits.

use alloc::vec;
use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::cache::{BlockCache, SYNC_RUN};
use crate::error::{Errno, Result};
use crate::journal::{blocktype, feature, jsb, put_be16, put_be32, tag, Journal, JBD2_MAGIC};

/// Fills the 12-byte header of a journal block.
fn header(buf: &mut [u8], kind: u32, seq: u32) {
    put_be32(buf, 0, JBD2_MAGIC);
    put_be32(buf, 4, kind);
    put_be32(buf, 8, seq);
}

impl<D: BlockDevice> BlockCache<D> {
    /// Use `journal` for every later `sync`: from now on metadata reaches its place
    /// only after a committed transaction holds it. Caps the cache so that all its
    /// blocks fit in one transaction.
    pub fn set_journal(&mut self, journal: Journal) {
        let room = (journal.maxlen - journal.first) as usize;
        self.capacity = self.capacity.min(room * 3 / 4).max(16);
        self.journal = Some(alloc::boxed::Box::new(journal));
    }

    /// Block `b` was freed (journaled: remembered until the next commit).
    pub(crate) fn journal_freed(&mut self, b: u32) {
        if let Some(j) = self.journal.as_mut() {
            j.freed.insert(b);
        }
    }

    /// The journal in use, if any.
    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_deref()
    }

    /// Eviction on a journaled file system: dirty metadata may reach its place only
    /// through a committed transaction, and a commit in the middle of an operation
    /// would log half of it; so eviction drops clean blocks, writes ordered data in
    /// place, keeps dirty metadata (the cache grows past its capacity for a while)
    /// and, once half the cache's capacity (at most a quarter of the log) is dirty
    /// metadata, asks for a commit before the
    /// next operation ([`BlockCache::pressure`]).
    pub(crate) fn evict_journaled(&mut self, cutoff: u64) -> Result<()> {
        let keep = |s: &crate::cache::Slot| s.dirty && !s.ordered;
        let mut victims: Vec<(u64, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.last_use < cutoff && s.dirty && s.ordered)
            .map(|(i, s)| (s.nr, i))
            .collect();
        victims.sort_unstable();
        self.write_sorted(victims)?;
        self.retain_slots(|s| s.last_use >= cutoff || keep(s));
        let dirty_meta = self.slots.iter().filter(|s| keep(s)).count();
        if let Some(j) = self.journal.as_deref() {
            let room = (j.maxlen - j.first) as usize;
            if dirty_meta >= (room / 4).min(self.capacity / 2) {
                self.pressure = true;
            }
        }
        Ok(())
    }

    /// The journaled `sync`: one transaction with every dirty block (see the module
    /// header), then a checkpoint. A failed write leaves the blocks dirty and the log
    /// to be started afresh by the next commit.
    pub(crate) fn commit(&mut self) -> Result<()> {
        let Some(mut j) = self.journal.take() else {
            return Err(Errno::EINVAL);
        };
        let r = self.commit_with(&mut j);
        if r.is_err() {
            j.broken = true;
        } else {
            self.pressure = false;
            // The frees are committed: their blocks may be used again.
            j.freed.clear();
        }
        self.journal = Some(j);
        r
    }

    fn commit_with(&mut self, j: &mut Journal) -> Result<()> {
        let mut data: Vec<(u64, usize)> = Vec::new();
        let mut meta: Vec<(u64, usize)> = Vec::new();
        for (i, s) in self.slots.iter().enumerate() {
            if s.dirty {
                if s.ordered {
                    data.push((s.nr, i));
                } else {
                    meta.push((s.nr, i));
                }
            }
        }
        data.sort_unstable();
        meta.sort_unstable();
        // 1. Ordered data, in place.
        for &(nr, _) in &data {
            if j.live.contains(&nr) {
                j.revoke.insert(nr);
            }
        }
        self.write_sorted(data)?;
        // A block logged in this transaction must not be revoked by it.
        j.revoke
            .retain(|nr| meta.binary_search_by_key(nr, |&(m, _)| m).is_err());
        if meta.is_empty() && j.revoke.is_empty() {
            return Ok(self.dev.flush()?);
        }
        let bs = self.block_size;
        let wide = j.incompat & feature::INCOMPAT_64BIT != 0;
        let tb = j.tag_bytes();
        let per_desc = (bs - 12 - 16) / tb;
        let rec = if wide { 8 } else { 4 };
        let per_revoke = (bs - 16) / rec;
        let room = (j.maxlen - j.first) as usize;
        let need = |revokes: usize| {
            revokes.div_ceil(per_revoke) + meta.len().div_ceil(per_desc) + meta.len() + 1
        };
        if need(j.revoke.len()) > room {
            // One operation dirtied more metadata than the log holds (a huge write
            // or truncate): checkpoint everything, write in place, start afresh.
            // Not atomic, but never stuck; counted in the figures.
            // The journal is emptied first, so that no older transaction can be
            // replayed over the new blocks.
            self.dev.flush()?;
            j.live.clear();
            j.revoke.clear();
            j.head = j.first;
            j.write_super(&mut self.dev, 0)?;
            self.dev.flush()?;
            self.write_sorted(meta)?;
            self.dev.flush()?;
            j.stats.overflows += 1;
            return Ok(());
        }
        if j.broken || (j.start != 0 && j.head as usize + need(j.revoke.len()) > j.maxlen as usize)
        {
            // Wrap: every transaction so far is checkpointed; make that durable,
            // then start the log again (and only then overwrite its blocks).
            self.dev.flush()?;
            j.live.clear();
            j.revoke.clear();
            j.head = j.first;
            j.write_super(&mut self.dev, j.first)?;
            self.dev.flush()?;
            j.broken = false;
            j.stats.restarts += 1;
        } else if j.start == 0 {
            // An empty journal: nothing in the log counts until the commit block,
            // which the flush below orders after this.
            j.head = j.first;
            j.write_super(&mut self.dev, j.first)?;
        }
        // 2. The log: revoke blocks, then descriptors with their blocks.
        let seq = j.seq;
        let revokes: Vec<u64> = j.revoke.iter().copied().collect();
        let n = need(revokes.len()) - 1;
        let mut log = vec![0u8; n * bs];
        let mut at = 0usize;
        for chunk in revokes.chunks(per_revoke) {
            let b = &mut log[at * bs..(at + 1) * bs];
            header(b, blocktype::REVOKE, seq);
            put_be32(b, 12, (16 + chunk.len() * rec) as u32);
            for (k, &nr) in chunk.iter().enumerate() {
                let off = 16 + k * rec;
                if wide {
                    put_be32(b, off, (nr >> 32) as u32);
                    put_be32(b, off + 4, nr as u32);
                } else {
                    put_be32(b, off, nr as u32);
                }
            }
            at += 1;
        }
        let uuid: [u8; 16] = j.raw_sb[jsb::UUID..jsb::UUID + 16]
            .try_into()
            .unwrap_or([0; 16]);
        for group in meta.chunks(per_desc) {
            let desc = at;
            at += 1;
            let mut off = 12;
            for (k, &(nr, i)) in group.iter().enumerate() {
                let copy = at * bs;
                log[copy..copy + bs].copy_from_slice(&self.slots[i].data);
                let escape = log[copy..copy + 4] == JBD2_MAGIC.to_be_bytes();
                if escape {
                    log[copy..copy + 4].fill(0);
                }
                let mut flags = 0;
                if escape {
                    flags |= tag::ESCAPE;
                }
                if k > 0 {
                    flags |= tag::SAME_UUID;
                }
                if k + 1 == group.len() {
                    flags |= tag::LAST_TAG;
                }
                let d = &mut log[desc * bs..(desc + 1) * bs];
                put_be32(d, off, nr as u32);
                put_be16(d, off + 6, flags);
                if wide {
                    put_be32(d, off + 8, (nr >> 32) as u32);
                }
                off += tb;
                if k == 0 {
                    d[off..off + 16].copy_from_slice(&uuid);
                    off += 16;
                }
                at += 1;
            }
            header(
                &mut log[desc * bs..(desc + 1) * bs],
                blocktype::DESCRIPTOR,
                seq,
            );
        }
        self.write_log(j, j.head, &log)?;
        self.dev.flush()?;
        // 3. The commit block.
        let mut commit = vec![0u8; bs];
        header(&mut commit, blocktype::COMMIT, seq);
        let pos = j.head + n as u32;
        j.write(&mut self.dev, pos, &commit)?;
        self.dev.flush()?;
        j.seq = seq.wrapping_add(1);
        j.head = pos + 1;
        j.stats.commits += 1;
        j.stats.logged_blocks += meta.len() as u64;
        j.stats.revoked_blocks += revokes.len() as u64;
        for nr in &revokes {
            j.live.remove(nr);
        }
        j.revoke.clear();
        for &(nr, _) in &meta {
            j.live.insert(nr);
        }
        // 4. Checkpoint: the metadata to its places.
        self.write_sorted(meta)
    }

    /// Writes consecutive log blocks from `pos` on, as runs of blocks that are
    /// consecutive on the disk too (a journal made by mke2fs is one run).
    fn write_log(&mut self, j: &Journal, pos: u32, log: &[u8]) -> Result<()> {
        let bs = self.block_size;
        let spb = self.sectors_per_block;
        let count = log.len() / bs;
        let mut k = 0;
        while k < count {
            let first = j.map[pos as usize + k];
            let mut len = 1;
            while k + len < count
                && j.map[pos as usize + k + len] == first + len as u32
                && (len + 1) * bs <= SYNC_RUN
            {
                len += 1;
            }
            self.dev
                .write_sectors(first as u64 * spb, &log[k * bs..(k + len) * bs])?;
            k += len;
        }
        Ok(())
    }

    /// After a sync: flush, and mark the journal empty (`s_start = 0`), as a clean
    /// unmount leaves it; replay will then find nothing to do.
    pub(crate) fn journal_quiesce(&mut self) -> Result<()> {
        let Some(mut j) = self.journal.take() else {
            return Ok(());
        };
        let r = (|| {
            self.dev.flush()?;
            j.write_super(&mut self.dev, 0)?;
            self.dev.flush()?;
            j.live.clear();
            j.revoke.clear();
            j.head = j.first;
            Ok(())
        })();
        self.journal = Some(j);
        r
    }
}
