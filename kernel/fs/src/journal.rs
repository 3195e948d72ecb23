//! The journal on disk: JBD2 (the format of ext3 and ext4) in ext2's journal inode,
//! and its replay at mount.
//!
//! Chapter idea: a file system's metadata update (a create touches a bitmap, an
//! inode, a directory block, the group counts) is several block writes, and a power
//! cut between them leaves a disk e2fsck must repair. A journal makes the update
//! *atomic*: the new copies of every changed block are first written, one after the
//! other, into a log, closed by a *commit* block; only then are they written to their
//! places (*checkpoint*). After a cut, *replay* copies every committed transaction's
//! blocks from the log to their places again; a transaction without its commit block
//! never happened.
//!
//! The log is the journal inode's blocks, big-endian, in the layout of Linux's JBD2
//! (`include/linux/jbd2.h`): block 0 is the journal superblock (`s_first`, `s_maxlen`,
//! `s_sequence` and `s_start`, where the oldest live transaction begins; 0 = empty);
//! after it, transactions, each a *descriptor* block (a list of tags, one per block:
//! where it belongs on the disk), the block copies, then a *commit* block, all
//! carrying the transaction's sequence number; a *revoke* block says "do not replay
//! older copies of these blocks" (a block that was metadata once and is file data now).
//!
//! The design decision: everything here is read from and written to the device
//! directly, never through the block cache, because the log is not file-system
//! metadata (it must not itself be journaled) and a stale cached copy of a log block
//! would hide what the disk holds. Replay is the three passes of JBD2 (find the end
//! of the log, collect the revokes, copy the blocks), over a log that may wrap around.
//! What this driver does not implement is refused by name: journal checksums (v1,
//! v2, v3), asynchronous commit, fast commit, external journals (the file system then
//! mounts read-only, as it did before it had a journal). The writer is in
//! `journal_write.rs`.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::error::{Errno, Result};

/// `h_magic` of every journal metadata block.
pub const JBD2_MAGIC: u32 = 0xC03B_3998;

/// `h_blocktype` values.
pub mod blocktype {
    pub const DESCRIPTOR: u32 = 1;
    pub const COMMIT: u32 = 2;
    pub const SUPERBLOCK_V1: u32 = 3;
    pub const SUPERBLOCK_V2: u32 = 4;
    pub const REVOKE: u32 = 5;
}

/// Descriptor tag `t_flags`.
pub mod tag {
    /// The block's first four bytes were the magic number and were zeroed in the log.
    pub const ESCAPE: u16 = 1;
    /// The tag is not followed by a 16-byte UUID (it is the previous one's).
    pub const SAME_UUID: u16 = 2;
    /// The last tag of the descriptor.
    pub const LAST_TAG: u16 = 8;
}

/// Journal superblock feature bits.
pub mod feature {
    pub const COMPAT_CHECKSUM: u32 = 0x1;
    pub const INCOMPAT_REVOKE: u32 = 0x1;
    pub const INCOMPAT_64BIT: u32 = 0x2;
    pub const INCOMPAT_ASYNC_COMMIT: u32 = 0x4;
    pub const INCOMPAT_CSUM_V2: u32 = 0x8;
    pub const INCOMPAT_CSUM_V3: u32 = 0x10;
    pub const INCOMPAT_FAST_COMMIT: u32 = 0x20;
}

/// Byte offsets in the journal superblock.
pub(crate) mod jsb {
    pub const BLOCKTYPE: usize = 4;
    pub const BLOCKSIZE: usize = 0x0C;
    pub const MAXLEN: usize = 0x10;
    pub const FIRST: usize = 0x14;
    pub const SEQUENCE: usize = 0x18;
    pub const START: usize = 0x1C;
    pub const ERRNO: usize = 0x20;
    pub const COMPAT: usize = 0x24;
    pub const INCOMPAT: usize = 0x28;
    pub const RO_COMPAT: usize = 0x2C;
    pub const UUID: usize = 0x30;
}

/// Offset of `s_journal_inum` in the ext2 superblock (and `s_journal_dev` after it).
pub(crate) const EXT2_JOURNAL_INUM: usize = 0xE0;

pub(crate) fn be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}
pub(crate) fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}
pub(crate) fn put_be32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_be_bytes());
}
pub(crate) fn put_be16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_be_bytes());
}

/// A journal found in the file system, with the writer's state.
pub struct Journal {
    /// The disk block of each journal block (the journal inode's block map).
    pub(crate) map: Vec<u32>,
    pub(crate) block_size: usize,
    /// The journal superblock as read (fields we do not change survive).
    pub(crate) raw_sb: Vec<u8>,
    /// First and one-past-last log block (`s_first`, `s_maxlen`).
    pub(crate) first: u32,
    pub(crate) maxlen: u32,
    /// The sequence number of the next transaction.
    pub(crate) seq: u32,
    /// `s_start` as it is on the disk: where replay would begin (0 = nothing to do).
    pub(crate) start: u32,
    /// Where the next transaction goes.
    pub(crate) head: u32,
    pub(crate) incompat: u32,
    /// Blocks with a copy in a transaction replay would still see: should one become
    /// file data, the next transaction revokes it.
    pub(crate) live: BTreeSet<u64>,
    /// Blocks of `live` written in place as file data since the last commit.
    pub(crate) revoke: BTreeSet<u64>,
    /// Blocks freed since the last commit: not allocated again until it is durable.
    pub(crate) freed: BTreeSet<u32>,
    /// A write to the log failed: start the log afresh before the next transaction.
    pub(crate) broken: bool,
    /// Figures: transactions committed, blocks logged, log restarts.
    pub(crate) stats: JournalStats,
}

/// What the journal has done since mount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JournalStats {
    pub commits: u64,
    pub logged_blocks: u64,
    pub revoked_blocks: u64,
    pub restarts: u64,
    /// Syncs whose metadata did not fit in the log and went in place unjournaled.
    pub overflows: u64,
    /// Transactions and blocks replayed at mount.
    pub replayed_transactions: u64,
    pub replayed_blocks: u64,
}

/// One complete transaction found by the scan.
struct Found {
    seq: u32,
    /// (home block, log block, escaped)
    blocks: Vec<(u64, u32, bool)>,
    revokes: Vec<u64>,
}

/// Why a journal cannot be used (the file system then mounts read-only).
pub type Refusal = &'static str;

impl Journal {
    /// Reads the journal superblock through `map` (the journal inode's blocks) and
    /// checks it; `Err` names what is not supported.
    pub(crate) fn open<D: BlockDevice>(
        dev: &mut D,
        map: Vec<u32>,
        block_size: usize,
    ) -> core::result::Result<Journal, Refusal> {
        let Some(&b0) = map.first() else {
            return Err("an empty journal inode");
        };
        let mut raw = vec![0u8; block_size];
        read_block(dev, b0, &mut raw).map_err(|_| "an unreadable journal superblock")?;
        if be32(&raw, 0) != JBD2_MAGIC {
            return Err("a journal without its magic number");
        }
        let kind = be32(&raw, jsb::BLOCKTYPE);
        if kind != blocktype::SUPERBLOCK_V1 && kind != blocktype::SUPERBLOCK_V2 {
            return Err("an unknown journal superblock type");
        }
        if be32(&raw, jsb::BLOCKSIZE) as usize != block_size {
            return Err("a journal block size unlike the file system's");
        }
        let maxlen = be32(&raw, jsb::MAXLEN);
        let first = be32(&raw, jsb::FIRST);
        if maxlen as usize > map.len() || first == 0 || first.saturating_add(4) > maxlen {
            return Err("a journal whose size does not match its inode");
        }
        let (compat, incompat, ro) = if kind == blocktype::SUPERBLOCK_V2 {
            (
                be32(&raw, jsb::COMPAT),
                be32(&raw, jsb::INCOMPAT),
                be32(&raw, jsb::RO_COMPAT),
            )
        } else {
            (0, 0, 0)
        };
        if compat & feature::COMPAT_CHECKSUM != 0 {
            return Err("journal checksums (v1, journal_checksum)");
        }
        for (bit, name) in [
            (feature::INCOMPAT_CSUM_V2, "journal checksums (v2)"),
            (feature::INCOMPAT_CSUM_V3, "journal checksums (v3)"),
            (feature::INCOMPAT_ASYNC_COMMIT, "journal_async_commit"),
            (feature::INCOMPAT_FAST_COMMIT, "fast_commit"),
        ] {
            if incompat & bit != 0 {
                return Err(name);
            }
        }
        if incompat & !(feature::INCOMPAT_REVOKE | feature::INCOMPAT_64BIT) != 0 {
            return Err("an unknown journal feature");
        }
        if ro != 0 {
            return Err("an unknown read-only journal feature");
        }
        if map[..maxlen as usize].contains(&0) {
            return Err("a journal inode with holes");
        }
        let start = be32(&raw, jsb::START);
        if start != 0 && (start < first || start >= maxlen) {
            return Err("a journal whose start is outside its log");
        }
        Ok(Journal {
            map,
            block_size,
            first,
            maxlen,
            seq: be32(&raw, jsb::SEQUENCE),
            start,
            head: first,
            incompat,
            raw_sb: raw,
            live: BTreeSet::new(),
            revoke: BTreeSet::new(),
            freed: BTreeSet::new(),
            broken: false,
            stats: JournalStats::default(),
        })
    }

    /// True when the log holds transactions replay must apply.
    pub fn needs_recovery(&self) -> bool {
        self.start != 0
    }

    /// The figures since mount.
    pub fn stats(&self) -> JournalStats {
        self.stats
    }

    /// Bytes of one descriptor tag (without the UUID that may follow it).
    pub(crate) fn tag_bytes(&self) -> usize {
        if self.incompat & feature::INCOMPAT_64BIT != 0 {
            12
        } else {
            8
        }
    }

    /// The log block after `pos`, wrapping from the end to `s_first`.
    pub(crate) fn next(&self, pos: u32) -> u32 {
        if pos + 1 >= self.maxlen {
            self.first
        } else {
            pos + 1
        }
    }

    /// Reads log block `pos`.
    pub(crate) fn read<D: BlockDevice>(&self, dev: &mut D, pos: u32, buf: &mut [u8]) -> Result<()> {
        read_block(dev, self.map[pos as usize], buf)
    }

    /// Writes log block `pos`.
    pub(crate) fn write<D: BlockDevice>(&self, dev: &mut D, pos: u32, buf: &[u8]) -> Result<()> {
        let spb = (self.block_size / dev.sector_size()) as u64;
        Ok(dev.write_sectors(self.map[pos as usize] as u64 * spb, buf)?)
    }

    /// Writes the journal superblock with `s_start = start` and the current sequence.
    pub(crate) fn write_super<D: BlockDevice>(&mut self, dev: &mut D, start: u32) -> Result<()> {
        let mut raw = self.raw_sb.clone();
        put_be32(&mut raw, jsb::SEQUENCE, self.seq);
        put_be32(&mut raw, jsb::START, start);
        put_be32(&mut raw, jsb::ERRNO, 0);
        self.write(dev, 0, &raw)?;
        self.raw_sb = raw;
        self.start = start;
        Ok(())
    }

    /// Finds every complete transaction from `s_start` on (pass 1 of JBD2's
    /// recovery); stops at the first block that is not the next one expected.
    fn scan<D: BlockDevice>(&self, dev: &mut D, device_blocks: u64) -> Result<Vec<Found>> {
        let bs = self.block_size;
        let mut found = Vec::new();
        let mut cur = Found {
            seq: self.seq,
            blocks: Vec::new(),
            revokes: Vec::new(),
        };
        let mut pos = self.start;
        let mut buf = vec![0u8; bs];
        let tag_bytes = self.tag_bytes();
        let wide = self.incompat & feature::INCOMPAT_64BIT != 0;
        // Every log block is visited at most once: a log that claims more is corrupt.
        let mut budget = self.maxlen - self.first;
        while budget > 0 {
            self.read(dev, pos, &mut buf)?;
            if be32(&buf, 0) != JBD2_MAGIC || be32(&buf, 8) != cur.seq {
                break;
            }
            budget -= 1;
            match be32(&buf, 4) {
                blocktype::DESCRIPTOR => {
                    let mut off = 12;
                    let mut p = pos;
                    loop {
                        if off + tag_bytes > bs {
                            break;
                        }
                        let mut home = be32(&buf, off) as u64;
                        let flags = be16(&buf, off + 6);
                        if wide {
                            home |= (be32(&buf, off + 8) as u64) << 32;
                        }
                        off += tag_bytes;
                        if flags & tag::SAME_UUID == 0 {
                            off += 16;
                        }
                        if budget == 0 || home >= device_blocks {
                            return Err(Errno::EIO);
                        }
                        p = self.next(p);
                        budget -= 1;
                        cur.blocks.push((home, p, flags & tag::ESCAPE != 0));
                        if flags & tag::LAST_TAG != 0 {
                            break;
                        }
                    }
                    pos = p;
                }
                blocktype::COMMIT => {
                    let next_seq = cur.seq.wrapping_add(1);
                    found.push(core::mem::replace(
                        &mut cur,
                        Found {
                            seq: next_seq,
                            blocks: Vec::new(),
                            revokes: Vec::new(),
                        },
                    ));
                }
                blocktype::REVOKE => {
                    let used = be32(&buf, 12) as usize;
                    let rec = if wide { 8 } else { 4 };
                    if !(16..=bs).contains(&used) {
                        return Err(Errno::EIO);
                    }
                    let mut off = 16;
                    while off + rec <= used {
                        let nr = if wide {
                            ((be32(&buf, off) as u64) << 32) | be32(&buf, off + 4) as u64
                        } else {
                            be32(&buf, off) as u64
                        };
                        cur.revokes.push(nr);
                        off += rec;
                    }
                }
                _ => break,
            }
            pos = self.next(pos);
        }
        Ok(found)
    }

    /// Replays the log onto the device: every committed transaction's blocks to
    /// their homes, skipping copies a later (or the same) transaction revoked; then
    /// flushes and marks the journal empty. Returns (transactions, blocks) replayed.
    pub(crate) fn replay<D: BlockDevice>(&mut self, dev: &mut D) -> Result<(u64, u64)> {
        if self.start == 0 {
            return Ok((0, 0));
        }
        let spb = (self.block_size / dev.sector_size()) as u64;
        let device_blocks = dev.sector_count() / spb;
        let found = self.scan(dev, device_blocks)?;
        // Pass 2: the newest revoking transaction of each block.
        let mut revoked: BTreeMap<u64, u32> = BTreeMap::new();
        for t in &found {
            for &nr in &t.revokes {
                let e = revoked.entry(nr).or_insert(t.seq);
                if t.seq.wrapping_sub(*e) as i32 > 0 {
                    *e = t.seq;
                }
            }
        }
        // Pass 3: copy, oldest transaction first, so the newest copy lands last.
        let mut buf = vec![0u8; self.block_size];
        let mut blocks = 0;
        for t in &found {
            for &(home, pos, escaped) in &t.blocks {
                if revoked
                    .get(&home)
                    .is_some_and(|&r| r.wrapping_sub(t.seq) as i32 >= 0)
                {
                    continue;
                }
                self.read(dev, pos, &mut buf)?;
                if escaped {
                    put_be32(&mut buf, 0, JBD2_MAGIC);
                }
                dev.write_sectors(home * spb, &buf)?;
                blocks += 1;
            }
        }
        dev.flush()?;
        // The next transaction must not be mistaken for one replayed: skip a number,
        // as JBD2 does.
        let last = found.last().map_or(self.seq, |t| t.seq.wrapping_add(1));
        self.seq = last.wrapping_add(1);
        self.write_super(dev, 0)?;
        dev.flush()?;
        self.head = self.first;
        self.stats.replayed_transactions += found.len() as u64;
        self.stats.replayed_blocks += blocks;
        Ok((found.len() as u64, blocks))
    }
}

/// Reads disk block `nr` (of `buf.len()` bytes) straight from the device.
pub(crate) fn read_block<D: BlockDevice>(dev: &mut D, nr: u32, buf: &mut [u8]) -> Result<()> {
    let spb = (buf.len() / dev.sector_size()) as u64;
    if (nr as u64 + 1) * spb > dev.sector_count() {
        return Err(Errno::EIO);
    }
    Ok(dev.read_sectors(nr as u64 * spb, buf)?)
}
