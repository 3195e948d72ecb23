//! What the proxy knows whole of the server's tree, so that a call need not be made
//! (chapter 2 section 7: a message to a service costs thousands of instructions, so
//! the client keeps what it may): the names of directories it made itself, and the
//! contents of small files it created and wrote itself.
//!
//! Both are exact for the same reason as the attribute cache (docs/ufsd.md): the
//! server's tree changes by the proxy's requests alone, so a directory the proxy
//! made (empty then) has exactly the names its later requests put in it and took
//! out, and a file it created (empty then) exactly the bytes it wrote. A new name's
//! `Lookup` (ENOENT: the VFS's name cache knows no new names) and a small file's
//! `Read` are then answered here. Whatever leaves the server's state unknown (an
//! answer that breaks the protocol, none at all, a signal in the middle of a call,
//! a restart) empties both; a directory or file past the limits is forgotten.

use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// The most names kept, over every directory (then all are forgotten).
const NAMES_MAX: usize = 16_384;
/// The largest file whose contents are kept, and the most bytes kept in all.
const FILE_MAX: usize = 4096;
const BYTES_MAX: usize = 1 << 20;

#[derive(Default)]
pub(crate) struct Known {
    /// Directories known whole (proxy inode numbers): their names but `.` and `..`.
    dirs: BTreeMap<u64, BTreeMap<Vec<u8>, u64>>,
    names: usize,
    /// Small regular files known whole: their bytes.
    files: BTreeMap<u64, Vec<u8>>,
    bytes: usize,
}

impl Known {
    pub(crate) fn clear(&mut self) {
        self.dirs.clear();
        self.names = 0;
        self.files.clear();
        self.bytes = 0;
    }

    /// The node `name` names in `dir`, or ENOENT, when `dir` is known whole.
    pub(crate) fn lookup(&self, dir: u64, name: &[u8]) -> Option<Result<u64, Errno>> {
        if name == b"." || name == b".." {
            return None;
        }
        let names = self.dirs.get(&dir)?;
        Some(names.get(name).copied().ok_or(Errno::ENOENT))
    }

    /// `dir` was just made (by the proxy's `Mkdir`): empty.
    pub(crate) fn new_dir(&mut self, dir: u64) {
        self.dirs.insert(dir, BTreeMap::new());
    }

    /// `dir` went (rmdir, replaced by a rename).
    pub(crate) fn drop_dir(&mut self, dir: u64) {
        if let Some(n) = self.dirs.remove(&dir) {
            self.names -= n.len();
        }
    }

    /// `name` in `dir` now names `ino`.
    pub(crate) fn add_name(&mut self, dir: u64, name: &[u8], ino: u64) {
        if let Some(names) = self.dirs.get_mut(&dir) {
            if names.insert(name.to_vec(), ino).is_none() {
                self.names += 1;
            }
            if self.names > NAMES_MAX {
                self.dirs.clear();
                self.names = 0;
            }
        }
    }

    /// `name` in `dir` went.
    pub(crate) fn remove_name(&mut self, dir: u64, name: &[u8]) {
        if let Some(names) = self.dirs.get_mut(&dir) {
            if names.remove(name).is_some() {
                self.names -= 1;
            }
        }
    }

    /// `ino` was just created (by the proxy's `Create`): empty.
    pub(crate) fn new_file(&mut self, ino: u64) {
        self.drop_file(ino);
        self.files.insert(ino, Vec::new());
    }

    pub(crate) fn drop_file(&mut self, ino: u64) {
        if let Some(b) = self.files.remove(&ino) {
            self.bytes -= b.len();
        }
    }

    /// `data` was written at `off` of `ino`, which is now `size` bytes long (the
    /// server's answer): kept if it stays small and agrees with the server.
    pub(crate) fn wrote(&mut self, ino: u64, off: u64, data: &[u8], size: u64) {
        let Some(b) = self.files.get_mut(&ino) else {
            return;
        };
        let end = off as usize + data.len();
        if size as usize > FILE_MAX || end > size as usize || self.bytes + end > BYTES_MAX {
            self.drop_file(ino);
            return;
        }
        let before = b.len();
        if b.len() < size as usize {
            b.resize(size as usize, 0);
        }
        b[off as usize..end].copy_from_slice(data);
        let after = b.len();
        self.bytes = self.bytes + after - before;
        if after != size as usize {
            self.drop_file(ino);
        }
    }

    /// `ino` was truncated (or extended) to `size`.
    pub(crate) fn truncated(&mut self, ino: u64, size: u64) {
        let Some(b) = self.files.get_mut(&ino) else {
            return;
        };
        if size as usize > FILE_MAX || self.bytes + size as usize > BYTES_MAX {
            self.drop_file(ino);
            return;
        }
        let before = b.len();
        b.resize(size as usize, 0);
        self.bytes = self.bytes + size as usize - before;
    }

    /// Read `ino` at `off` into `buf` when its contents are known: the bytes read.
    pub(crate) fn read(&self, ino: u64, off: u64, buf: &mut [u8]) -> Option<usize> {
        let b = self.files.get(&ino)?;
        let from = (off as usize).min(b.len());
        let n = (b.len() - from).min(buf.len());
        buf[..n].copy_from_slice(&b[from..from + n]);
        Some(n)
    }
}
