//! Directories: files whose blocks hold a chain of variable-length entries
//! `(inode, rec_len, name_len, file_type, name)`.
//!
//! Each entry's `rec_len` says where the next one starts; an entry may be longer
//! than its name needs, and that slack is where new names go. Removing an entry
//! merges it into the previous entry of the same block (or, for the first entry
//! of a block, zeroes its inode number). The design decision: every entry is
//! validated before it is used, and so is every entry before it in its block
//! (a name operation parses the whole block; a listing follows the chain up to
//! the entry it returns), so a corrupt `rec_len` gives `EIO` instead of an
//! out-of-bounds read or a loop; large directories are found by name through an
//! in-memory index (`dirindex.rs`) instead of a scan; and
//! directories with an htree index (`dir_index`) are read as plain linear
//! directories — the index lives in space that looks like empty entries — and
//! lose their INDEX flag the first time we add or remove a name, which keeps them
//! valid for e2fsck and Linux.

use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::dirindex::{block_room, DirIndex, Loc, MIN_INDEXED_BLOCKS};
use crate::error::{corrupt, Errno, Result};
use crate::fs::{Ext2, FileType};
use crate::inode::{Inode, INDEX_FL};
use crate::superblock::{le16, le32, put16, put32};

/// Longest file name ext2 allows.
pub const NAME_MAX: usize = 255;

/// Directory blocks a listing reads in one request when it reaches one not cached.
const DIR_READAHEAD: u64 = 32;

/// One validated entry inside a directory block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawEntry {
    pub off: usize,
    pub ino: u32,
    pub rec_len: usize,
    pub name_len: usize,
    pub ftype: u8,
}

impl RawEntry {
    pub fn name<'a>(&self, block: &'a [u8]) -> &'a [u8] {
        &block[self.off + 8..self.off + 8 + self.name_len]
    }
}

/// Bytes an entry with an `n`-byte name needs.
pub(crate) fn rec_size(n: usize) -> usize {
    (8 + n + 3) & !3
}

/// Checks the entry at `off` of a directory block.
#[inline]
fn check_entry(block: &[u8], off: usize, filetype: bool, max_ino: u32) -> Result<RawEntry> {
    if off + 8 > block.len() {
        return corrupt();
    }
    let ino = le32(block, off);
    let rec_len = le16(block, off + 4) as usize;
    let (name_len, ftype) = if filetype {
        (block[off + 6] as usize, block[off + 7])
    } else {
        (le16(block, off + 6) as usize, 0)
    };
    if rec_len < 8
        || !rec_len.is_multiple_of(4)
        || off + rec_len > block.len()
        || 8 + name_len > rec_len
    {
        return corrupt();
    }
    if ino != 0 && (ino > max_ino || name_len == 0 || name_len > NAME_MAX) {
        return corrupt();
    }
    Ok(RawEntry {
        off,
        ino,
        rec_len,
        name_len,
        ftype,
    })
}

/// Parses and checks every entry of a directory block.
pub(crate) fn parse_block(block: &[u8], filetype: bool, max_ino: u32) -> Result<Vec<RawEntry>> {
    // The smallest entry is 12 bytes; most names are short.
    let mut out = Vec::with_capacity(block.len() / 16);
    let mut off = 0;
    while off < block.len() {
        let e = check_entry(block, off, filetype, max_ino)?;
        off += e.rec_len;
        out.push(e);
    }
    Ok(out)
}

/// The first used entry at or after byte `within` of a directory block, for a
/// listing: the chain of entries is followed from byte `start` (the block's start,
/// or an entry boundary the caller knows), each one checked as [`parse_block`]
/// checks it, up to the entry returned, and nothing is allocated. (What lies after
/// that entry is checked when the listing gets there, so a listing that reaches a
/// corrupt entry still ends in `EIO`.)
fn first_used_from(
    block: &[u8],
    filetype: bool,
    max_ino: u32,
    start: usize,
    within: usize,
) -> Result<Option<RawEntry>> {
    let mut off = start;
    while off < block.len() {
        let e = check_entry(block, off, filetype, max_ino)?;
        if e.off >= within && e.ino != 0 {
            return Ok(Some(e));
        }
        off += e.rec_len;
    }
    Ok(None)
}

/// The room [`block_room`] counts for one entry: a free entry's whole length, or
/// the slack after a used entry's name.
fn entry_room(e: &RawEntry) -> usize {
    if e.ino == 0 {
        e.rec_len
    } else {
        e.rec_len - rec_size(e.name_len)
    }
}

/// One pass over a directory block that checks every entry as [`parse_block`]
/// does and allocates nothing: the first entry that can take a record of `need`
/// bytes (a free entry that long, or a used one with that much slack after its
/// name: the first-fit choice a scan makes), and the largest room among all the
/// *other* entries, from which the block's room after the add follows.
fn first_fit(
    block: &[u8],
    filetype: bool,
    max_ino: u32,
    need: usize,
) -> Result<(Option<RawEntry>, usize)> {
    let (mut fit, mut others) = (None, 0);
    let mut off = 0;
    while off < block.len() {
        let e = check_entry(block, off, filetype, max_ino)?;
        off += e.rec_len;
        let room = entry_room(&e);
        let fits = if e.ino == 0 {
            e.rec_len >= need
        } else {
            e.rec_len >= rec_size(e.name_len) + need
        };
        if fit.is_none() && fits {
            fit = Some(e);
        } else {
            others = others.max(room);
        }
    }
    Ok((fit, others))
}

/// One pass over a directory block that checks every entry as [`parse_block`]
/// does: the entry at byte `at`, the entry before it (none for a block's first),
/// and the largest room among all the other entries.
fn entry_and_prev(
    block: &[u8],
    filetype: bool,
    max_ino: u32,
    at: usize,
) -> Result<Option<(RawEntry, Option<RawEntry>, usize)>> {
    let (mut found, mut prev, mut others) = (None, None, 0);
    let mut last: Option<RawEntry> = None;
    let mut off = 0;
    while off < block.len() {
        let e = check_entry(block, off, filetype, max_ino)?;
        off += e.rec_len;
        if e.off == at {
            found = Some(e);
            prev = last.take();
        } else if let Some(l) = last.replace(e) {
            others = others.max(entry_room(&l));
        }
    }
    if let Some(l) = last {
        others = others.max(entry_room(&l));
    }
    Ok(found.map(|e| (e, prev, others)))
}

/// A name in a directory, as returned by [`Ext2::read_dir`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Inode number the name refers to.
    pub ino: u32,
    /// The name's bytes (no `/`, no NUL).
    pub name: Vec<u8>,
    /// File type from the entry (`Unknown` without the `filetype` feature).
    pub kind: FileType,
}

/// Where a name was found.
pub(crate) struct Found {
    /// The directory's logical block and the disk block holding the entry.
    pub lblk: u32,
    pub blk: u32,
    /// Every entry of that block, and which one is the name.
    pub entries: Vec<RawEntry>,
    pub at: usize,
}

impl Found {
    pub fn entry(&self) -> RawEntry {
        self.entries[self.at]
    }
}

impl<D: BlockDevice> Ext2<D> {
    /// Disk block of directory block `lblk`; directories may not have holes.
    fn dir_block(&mut self, dir: &Inode, lblk: u64) -> Result<u32> {
        match self.bmap(dir, lblk)? {
            0 => corrupt(),
            b => Ok(b),
        }
    }

    fn dir_nblocks(&self, dir: &Inode) -> u64 {
        dir.size / self.sb.block_size as u64
    }

    fn parse_dir_block(&mut self, blk: u32) -> Result<Vec<RawEntry>> {
        let ft = self.sb.has_filetype();
        let max = self.sb.inodes_count;
        parse_block(self.cache.read(blk as u64)?, ft, max)
    }

    /// The index of directory `dir_ino` (whose inode is `dir`), built from its
    /// blocks if it has none yet; `None` for a directory too small to be worth one
    /// or too large for the budget (it is scanned instead).
    fn dir_index(&mut self, dir_ino: u32, dir: &Inode) -> Result<Option<&mut DirIndex>> {
        if self.dirindex.get_mut(dir_ino).is_none() {
            let nblocks = self.dir_nblocks(dir);
            if nblocks < MIN_INDEXED_BLOCKS || nblocks > u32::MAX as u64 {
                return Ok(None);
            }
            let mut ix = DirIndex::new();
            for lblk in 0..nblocks {
                let blk = self.dir_block(dir, lblk)?;
                let entries = self.parse_dir_block(blk)?;
                ix.add_block(lblk as u32, self.cache.read(blk as u64)?, &entries);
            }
            if !self.dirindex.insert(dir_ino, ix) {
                return Ok(None);
            }
        }
        Ok(self.dirindex.get_mut(dir_ino))
    }

    /// The inode `name` refers to in directory `dir_ino`, if it is there.
    pub(crate) fn find_ino(
        &mut self,
        dir_ino: u32,
        dir: &Inode,
        name: &[u8],
    ) -> Result<Option<u32>> {
        if let Some(ix) = self.dir_index(dir_ino, dir)? {
            return Ok(ix.get(name).map(|l| l.ino));
        }
        Ok(self.find_entry(dir_ino, dir, name)?.map(|f| f.entry().ino))
    }

    /// Finds `name` in directory `dir_ino` (whose inode is `dir`): through its index
    /// when it has one, else by scanning every block.
    pub(crate) fn find_entry(
        &mut self,
        dir_ino: u32,
        dir: &Inode,
        name: &[u8],
    ) -> Result<Option<Found>> {
        let loc = match self.dir_index(dir_ino, dir)? {
            Some(ix) => match ix.get(name) {
                Some(loc) => Some(loc),
                None => return Ok(None),
            },
            None => None,
        };
        if let Some(loc) = loc {
            let blk = self.dir_block(dir, loc.lblk as u64)?;
            let entries = self.parse_dir_block(blk)?;
            let data = self.cache.read(blk as u64)?;
            let at = entries.iter().position(|e| e.off == loc.off as usize);
            return match at {
                Some(i) if entries[i].ino == loc.ino && entries[i].name(data) == name => {
                    Ok(Some(Found {
                        lblk: loc.lblk,
                        blk,
                        entries,
                        at: i,
                    }))
                }
                _ => corrupt(), // the index disagrees with the block
            };
        }
        for lblk in 0..self.dir_nblocks(dir) {
            let blk = self.dir_block(dir, lblk)?;
            let entries = self.parse_dir_block(blk)?;
            let data = self.cache.read(blk as u64)?;
            if let Some(at) = entries
                .iter()
                .position(|e| e.ino != 0 && e.name(data) == name)
            {
                return Ok(Some(Found {
                    lblk: lblk as u32,
                    blk,
                    entries,
                    at,
                }));
            }
        }
        Ok(None)
    }

    /// Tells the index of `dir_ino`, if any, what block `lblk` can take now that
    /// its entries are `entries`.
    fn reindex_room(&mut self, dir_ino: u32, lblk: u32, entries: &[RawEntry]) {
        if let Some(ix) = self.dirindex.get_mut(dir_ino) {
            ix.set_room(lblk, block_room(entries));
        }
    }

    /// The entry at byte position `pos` or the next one after it, and the
    /// position just past it; `None` at the end of the directory.
    pub(crate) fn dir_entry_at(
        &mut self,
        dir: &Inode,
        pos: u64,
    ) -> Result<Option<(DirEntry, u64)>> {
        let bs = self.sb.block_size as u64;
        let mut lblk = pos / bs;
        let mut within = (pos % bs) as usize;
        while lblk < self.dir_nblocks(dir) {
            let blk = self.dir_block(dir, lblk)?;
            if !self.cache.contains(blk as u64) {
                self.read_ahead_dir(dir, lblk, blk)?;
            }
            let (ft, max) = (self.sb.has_filetype(), self.sb.inodes_count);
            // Where the last listing step ended is an entry boundary while no block
            // changed: start the walk there instead of at the block's start.
            let changes = self.cache.changes();
            let start = match self.list_resume {
                Some((b, off, c)) if b == blk && off == within && c == changes => off,
                _ => 0,
            };
            let data = self.cache.read(blk as u64)?;
            if let Some(e) = first_used_from(data, ft, max, start, within)? {
                let de = DirEntry {
                    ino: e.ino,
                    name: e.name(data).to_vec(),
                    kind: FileType::from_dirent(e.ftype),
                };
                let end = e.off + e.rec_len;
                self.list_resume = Some((blk, end, changes));
                return Ok(Some((de, lblk * bs + end as u64)));
            }
            lblk += 1;
            within = 0;
        }
        Ok(None)
    }

    /// A listing reached block `lblk` (on disk `blk`), not cached: read it with
    /// the directory's next blocks that follow it on the disk, up to
    /// [`DIR_READAHEAD`], in one request (a listing reads them all in turn, and
    /// each separate read is a wait for the disk).
    fn read_ahead_dir(&mut self, dir: &Inode, lblk: u64, blk: u32) -> Result<()> {
        let end = self.dir_nblocks(dir).min(lblk + DIR_READAHEAD);
        let mut n = 1;
        while lblk + n < end && self.bmap(dir, lblk + n)? == blk + n as u32 {
            n += 1;
        }
        self.cache.read_ahead(blk as u64, n as usize)
    }

    /// True when `dir` holds nothing but `.` and `..`.
    pub(crate) fn dir_is_empty(&mut self, dir: &Inode) -> Result<bool> {
        let mut pos = 0;
        while let Some((e, next)) = self.dir_entry_at(dir, pos)? {
            if e.name != b"." && e.name != b".." {
                return Ok(false);
            }
            pos = next;
        }
        Ok(true)
    }

    fn write_entry(
        &mut self,
        blk: u32,
        off: usize,
        rec_len: usize,
        name: &[u8],
        ino: u32,
        kind: FileType,
    ) -> Result<()> {
        let ft = self.sb.has_filetype();
        let data = self.cache.modify(blk as u64)?;
        put32(data, off, ino);
        put16(data, off + 4, rec_len as u16);
        if ft {
            data[off + 6] = name.len() as u8;
            data[off + 7] = kind.dirent_code();
        } else {
            put16(data, off + 6, name.len() as u16);
        }
        data[off + 8..off + 8 + name.len()].copy_from_slice(name);
        Ok(())
    }

    /// Writes the `.` and `..` entries of a new directory `ino` into block `blk`.
    pub(crate) fn init_dir_block(&mut self, blk: u32, ino: u32, parent: u32) -> Result<()> {
        let bs = self.sb.block_size;
        self.dirindex.forget(ino);
        self.cache.zero(blk as u64)?;
        self.write_entry(blk, 0, 12, b".", ino, FileType::Directory)?;
        self.write_entry(blk, 12, bs - 12, b"..", parent, FileType::Directory)
    }

    /// Adds `name -> ino` to directory `dir_ino` (whose inode is `dir`), in the
    /// first entry with room (the index says which block has it), growing the
    /// directory by a block if none has; writes the directory inode.
    pub(crate) fn add_entry(
        &mut self,
        dir_ino: u32,
        dir: &mut Inode,
        name: &[u8],
        ino: u32,
        kind: FileType,
    ) -> Result<()> {
        let need = rec_size(name.len());
        dir.flags &= !INDEX_FL;
        let now = self.now();
        dir.mtime = now;
        dir.ctime = now;
        let candidates = match self.dir_index(dir_ino, dir)? {
            Some(ix) => match ix.block_with_room(need) {
                Some(l) => l as u64..l as u64 + 1,
                None => 0..0,
            },
            None => 0..self.dir_nblocks(dir),
        };
        let (ft, max) = (self.sb.has_filetype(), self.sb.inodes_count);
        for lblk in candidates {
            let blk = self.dir_block(dir, lblk)?;
            let (fit, others) = first_fit(self.cache.read(blk as u64)?, ft, max, need)?;
            let Some(e) = fit else {
                continue;
            };
            // The chosen entry takes the name (a free one) or gives its slack to a
            // new entry after it (a used one, which keeps no room of its own).
            let (off, room) = if e.ino == 0 {
                self.write_entry(blk, e.off, e.rec_len, name, ino, kind)?;
                (e.off, e.rec_len - need)
            } else {
                let used = rec_size(e.name_len);
                put16(self.cache.modify(blk as u64)?, e.off + 4, used as u16);
                self.write_entry(blk, e.off + used, e.rec_len - used, name, ino, kind)?;
                (e.off + used, e.rec_len - used - need)
            };
            if let Some(ix) = self.dirindex.get_mut(dir_ino) {
                let loc = Loc {
                    lblk: lblk as u32,
                    off: off as u16,
                    ino,
                };
                ix.insert(name, loc);
                ix.set_room(lblk as u32, others.max(room) as u16);
            }
            return self.write_inode(dir_ino, dir);
        }
        let bs = self.sb.block_size;
        let lblk = self.dir_nblocks(dir);
        if (lblk + 1) * bs as u64 > u32::MAX as u64 {
            return Err(Errno::EFBIG);
        }
        let goal = if lblk > 0 {
            self.dir_block(dir, lblk - 1)? + 1
        } else {
            0
        };
        let (blk, _) = self.bmap_alloc(dir, lblk, goal)?;
        self.cache.zero(blk as u64)?;
        self.write_entry(blk, 0, bs, name, ino, kind)?;
        dir.size += bs as u64;
        let entry = RawEntry {
            off: 0,
            ino,
            rec_len: bs,
            name_len: name.len(),
            ftype: kind.dirent_code(),
        };
        self.index_added(dir_ino, lblk as u32, &[entry], name, 0, ino);
        self.write_inode(dir_ino, dir)
    }

    /// Records a new entry at `off` of logical block `lblk`, whose entries are
    /// now `entries`, in the index of `dir_ino`, if it has one.
    fn index_added(
        &mut self,
        dir_ino: u32,
        lblk: u32,
        entries: &[RawEntry],
        name: &[u8],
        off: usize,
        ino: u32,
    ) {
        if let Some(ix) = self.dirindex.get_mut(dir_ino) {
            let off = off as u16;
            ix.insert(name, Loc { lblk, off, ino });
        }
        self.reindex_room(dir_ino, lblk, entries);
    }

    /// Removes `name` from directory `dir_ino`; returns the inode it named.
    pub(crate) fn remove_entry(
        &mut self,
        dir_ino: u32,
        dir: &mut Inode,
        name: &[u8],
    ) -> Result<u32> {
        let loc = match self.dir_index(dir_ino, dir)? {
            Some(ix) => Some(ix.get(name).ok_or(Errno::ENOENT)?),
            None => None,
        };
        let ino = match loc {
            Some(loc) => self.remove_indexed(dir_ino, dir, name, loc)?,
            None => self.remove_scanned(dir_ino, dir, name)?,
        };
        dir.flags &= !INDEX_FL;
        let now = self.now();
        dir.mtime = now;
        dir.ctime = now;
        self.write_inode(dir_ino, dir)?;
        Ok(ino)
    }

    /// Removes the entry the index of `dir_ino` places at `loc`, in one pass over
    /// its block (checked whole, as everywhere), keeping the index exact.
    fn remove_indexed(&mut self, dir_ino: u32, dir: &Inode, name: &[u8], loc: Loc) -> Result<u32> {
        let blk = self.dir_block(dir, loc.lblk as u64)?;
        let (ft, max) = (self.sb.has_filetype(), self.sb.inodes_count);
        let data = self.cache.read(blk as u64)?;
        let Some((e, prev, others)) = entry_and_prev(data, ft, max, loc.off as usize)? else {
            return corrupt(); // the index disagrees with the block
        };
        if e.ino != loc.ino || e.name(data) != name {
            return corrupt();
        }
        let data = self.cache.modify(blk as u64)?;
        // Merged into the previous entry, or (a block's first) marked free.
        let room = match prev {
            Some(p) => {
                let merged = RawEntry {
                    rec_len: p.rec_len + e.rec_len,
                    ..p
                };
                put16(data, p.off + 4, merged.rec_len as u16);
                entry_room(&merged)
            }
            None => {
                put32(data, e.off, 0);
                e.rec_len
            }
        };
        if let Some(ix) = self.dirindex.get_mut(dir_ino) {
            ix.remove(name);
            ix.set_room(loc.lblk, others.max(room) as u16);
        }
        Ok(e.ino)
    }

    /// Removes `name` from the unindexed directory `dir_ino` found by a scan.
    fn remove_scanned(&mut self, dir_ino: u32, dir: &Inode, name: &[u8]) -> Result<u32> {
        let mut f = self.find_entry(dir_ino, dir, name)?.ok_or(Errno::ENOENT)?;
        let e = f.entry();
        let data = self.cache.modify(f.blk as u64)?;
        match f.at.checked_sub(1) {
            Some(p) => {
                let prev = &mut f.entries[p];
                prev.rec_len += e.rec_len;
                put16(data, prev.off + 4, prev.rec_len as u16);
                f.entries.remove(f.at);
            }
            None => {
                put32(data, e.off, 0);
                f.entries[f.at].ino = 0;
            }
        }
        if let Some(ix) = self.dirindex.get_mut(dir_ino) {
            ix.remove(name);
        }
        self.reindex_room(dir_ino, f.lblk, &f.entries);
        Ok(e.ino)
    }

    /// Points the existing entry `name` of directory `dir_ino` at `ino` (rename
    /// onto an existing name, or a moved directory's `..`).
    pub(crate) fn retarget_entry(
        &mut self,
        dir_ino: u32,
        dir: &Inode,
        name: &[u8],
        ino: u32,
        kind: FileType,
    ) -> Result<()> {
        let f = self.find_entry(dir_ino, dir, name)?.ok_or(Errno::ENOENT)?;
        let ft = self.sb.has_filetype();
        let off = f.entry().off;
        let data = self.cache.modify(f.blk as u64)?;
        put32(data, off, ino);
        if ft {
            data[off + 7] = kind.dirent_code();
        }
        if let Some(ix) = self.dirindex.get_mut(dir_ino) {
            ix.retarget(name, ino);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_block_parser_rejects_bad_rec_len_and_inode_numbers() {
        let mut b = [0u8; 1024];
        put32(&mut b, 0, 2);
        put16(&mut b, 4, 12);
        b[6] = 1;
        b[8] = b'.';
        put32(&mut b, 12, 2);
        put16(&mut b, 16, 1012);
        b[18] = 2;
        b[20..22].copy_from_slice(b"..");
        assert_eq!(parse_block(&b, true, 100).unwrap().len(), 2);
        put16(&mut b, 16, 1016);
        assert!(parse_block(&b, true, 100).is_err());
        put16(&mut b, 16, 0);
        assert!(parse_block(&b, true, 100).is_err());
        put16(&mut b, 16, 1012);
        put32(&mut b, 12, 101);
        assert!(parse_block(&b, true, 100).is_err());
    }
}
