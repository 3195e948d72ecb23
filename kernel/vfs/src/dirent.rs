//! `getdents`: directory entries packed into a program's buffer.
//!
//! Listing a directory is one of chapter 2's file-management services; `ls`
//! gets the names in batches through one call. The record format is the ABI's
//! ([`abi::DIRENT_HEADER`]): `u64 ino`, `u16 reclen`, `u8 type` (`DT_*`),
//! `u8 namelen`, the name, zero padding to a multiple of 8. The design decision:
//! the position handed back is the file system's own `read_dir_at` cookie of the
//! first entry *not* written, so a buffer that fills up loses nothing and the
//! next call resumes exactly there; a buffer too small for even one entry is
//! `EINVAL`, never a silent empty result that would look like the end.

use abi::{Errno, DIRENT_HEADER};

use crate::filesystem::{DirEntry, Result};
use crate::mount::{NodeRef, Vfs};

/// Bytes one record takes for a name of `name_len` bytes.
pub fn dirent_len(name_len: usize) -> usize {
    (DIRENT_HEADER + name_len).next_multiple_of(8)
}

/// Writes one record at the start of `out`; `None` when it does not fit.
pub fn pack_dirents(out: &mut [u8], e: &DirEntry) -> Option<usize> {
    let len = dirent_len(e.name.len());
    if len > out.len() || e.name.len() > u8::MAX as usize {
        return None;
    }
    let rec = &mut out[..len];
    rec[0..8].copy_from_slice(&e.ino.to_le_bytes());
    rec[8..10].copy_from_slice(&(len as u16).to_le_bytes());
    rec[10] = e.kind.dirent_type();
    rec[11] = e.name.len() as u8;
    rec[DIRENT_HEADER..DIRENT_HEADER + e.name.len()].copy_from_slice(&e.name);
    rec[DIRENT_HEADER + e.name.len()..].fill(0);
    Some(len)
}

impl Vfs {
    /// Fills `buf` with the entries of directory `node` from position `pos`;
    /// returns the bytes written and the position to continue from. `(0, pos)`
    /// means the end; `EINVAL` if the first entry does not fit.
    pub fn getdents(
        &mut self,
        node: NodeRef,
        mut pos: u64,
        buf: &mut [u8],
    ) -> Result<(usize, u64)> {
        let mut used = 0;
        while let Some((entry, next)) = self.read_dir_at(node, pos)? {
            match pack_dirents(&mut buf[used..], &entry) {
                Some(n) => used += n,
                None if used == 0 => return Err(Errno::EINVAL),
                None => break,
            }
            pos = next;
        }
        Ok((used, pos))
    }
}
