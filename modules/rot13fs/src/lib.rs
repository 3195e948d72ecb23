//! rot13fs.ko: a module that adds a file-system type (chapter 2 section 7, "modules":
//! a file system the kernel did not have, plugged into the registry `mount -t`
//! asks). `insmod /lib/modules/rot13fs.ko; mount -t rot13fs none DIR` mounts an
//! empty file system in memory whose files keep what is written to them rot13'd
//! (each ASCII letter moved 13 places, `tr A-Za-z N-ZA-Mn-za-m`): reading a file
//! gives the rot13 of what was written, and writing that back gives the text again.
//! Directories, renames, permissions and open-but-removed files work as in tmpfs;
//! there are no links or special files. Each mount is its own tree, freed at umount;
//! at most [`CAPACITY`] bytes of contents each (ENOSPC beyond).

#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use kapi::abi::flags::{S_IFDIR, S_IFMT, S_IFREG};
use kapi::abi::Stat;
use kapi::{Errno, FileSystem, FileSystemType};

/// The contents one mount may hold.
pub const CAPACITY: u64 = 4 << 20;
const ROOT: u64 = 1;

fn rot13(b: u8) -> u8 {
    match b {
        b'a'..=b'z' => (b - b'a' + 13) % 26 + b'a',
        b'A'..=b'Z' => (b - b'A' + 13) % 26 + b'A',
        _ => b,
    }
}

struct Node {
    mode: u32,
    uid: u32,
    gid: u32,
    /// Names (a directory: its name and its subdirectories' `..`, plus its `.`).
    nlink: u32,
    /// Open files on it (`pin`): it outlives its last name until they close.
    pins: u32,
    mtime: i64,
    /// A file's contents, rot13'd as they were written.
    data: Vec<u8>,
    /// A directory's names, and its parent.
    entries: BTreeMap<Vec<u8>, u64>,
    parent: u64,
}

impl Node {
    fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
}

struct Rot13Fs {
    nodes: BTreeMap<u64, Node>,
    next: u64,
    bytes: u64,
}

fn now() -> i64 {
    (kapi::uptime_ns() / 1_000_000_000) as i64
}

impl Rot13Fs {
    fn new() -> Rot13Fs {
        let mut fs = Rot13Fs {
            nodes: BTreeMap::new(),
            next: ROOT + 1,
            bytes: 0,
        };
        let mut root = Rot13Fs::node(S_IFDIR | 0o1777, 0, 0, ROOT);
        root.nlink = 2;
        fs.nodes.insert(ROOT, root);
        fs
    }

    fn node(mode: u32, uid: u32, gid: u32, parent: u64) -> Node {
        Node {
            mode,
            uid,
            gid,
            nlink: 1,
            pins: 0,
            mtime: now(),
            data: Vec::new(),
            entries: BTreeMap::new(),
            parent,
        }
    }

    fn get(&mut self, ino: u64) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn dir(&mut self, ino: u64) -> Result<&mut Node, Errno> {
        let n = self.get(ino)?;
        match n.is_dir() {
            true => Ok(n),
            false => Err(Errno::ENOTDIR),
        }
    }

    fn file(&mut self, ino: u64) -> Result<&mut Node, Errno> {
        let n = self.get(ino)?;
        match n.is_dir() {
            true => Err(Errno::EISDIR),
            false => Ok(n),
        }
    }

    fn add(&mut self, dir: u64, name: &[u8], mode: u32, uid: u32, gid: u32) -> Result<u64, Errno> {
        let d = self.dir(dir)?;
        if d.entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let ino = self.next;
        self.next += 1;
        let d = self.dir(dir)?;
        d.entries.insert(name.to_vec(), ino);
        d.mtime = now();
        let mut n = Rot13Fs::node(mode, uid, gid, dir);
        if n.is_dir() {
            n.nlink = 2;
            d.nlink += 1;
        }
        self.nodes.insert(ino, n);
        Ok(ino)
    }

    /// Free `ino` if no name and no open file holds it.
    fn forget_if_unused(&mut self, ino: u64) {
        if let Some(n) = self.nodes.get(&ino) {
            let named = if n.is_dir() { n.nlink > 1 } else { n.nlink > 0 };
            if !named && n.pins == 0 {
                self.bytes -= n.data.len() as u64;
                self.nodes.remove(&ino);
            }
        }
    }

    /// Is `anc` `ino` or one of its ancestors?
    fn is_ancestor(&self, anc: u64, mut ino: u64) -> bool {
        loop {
            if ino == anc {
                return true;
            }
            match self.nodes.get(&ino) {
                Some(n) if ino != ROOT => ino = n.parent,
                _ => return false,
            }
        }
    }

    /// Take name `name` out of `dir` (a directory only if empty).
    fn remove_name(&mut self, dir: u64, name: &[u8], want_dir: bool) -> Result<(), Errno> {
        let ino = *self.dir(dir)?.entries.get(name).ok_or(Errno::ENOENT)?;
        let n = self.get(ino)?;
        match (n.is_dir(), want_dir) {
            (true, false) => return Err(Errno::EISDIR),
            (false, true) => return Err(Errno::ENOTDIR),
            (true, true) if !n.entries.is_empty() => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        n.nlink = if want_dir { 1 } else { n.nlink - 1 };
        let d = self.dir(dir)?;
        d.entries.remove(name);
        d.mtime = now();
        if want_dir {
            d.nlink -= 1;
        }
        self.forget_if_unused(ino);
        Ok(())
    }
}

impl FileSystem for Rot13Fs {
    fn root(&self) -> u64 {
        ROOT
    }

    fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64, Errno> {
        let d = self.dir(dir)?;
        match name {
            b"." => Ok(dir),
            b".." => Ok(d.parent),
            _ => d.entries.get(name).copied().ok_or(Errno::ENOENT),
        }
    }

    fn create(
        &mut self,
        dir: u64,
        name: &[u8],
        perm: u32,
        uid: u32,
        gid: u32,
    ) -> Result<u64, Errno> {
        self.add(dir, name, S_IFREG | (perm & 0o7777), uid, gid)
    }

    fn mkdir(
        &mut self,
        dir: u64,
        name: &[u8],
        perm: u32,
        uid: u32,
        gid: u32,
    ) -> Result<u64, Errno> {
        self.add(dir, name, S_IFDIR | (perm & 0o7777), uid, gid)
    }

    fn unlink(&mut self, dir: u64, name: &[u8]) -> Result<(), Errno> {
        self.remove_name(dir, name, false)
    }

    fn rmdir(&mut self, dir: u64, name: &[u8]) -> Result<(), Errno> {
        self.remove_name(dir, name, true)
    }

    fn rename(&mut self, odir: u64, oname: &[u8], ndir: u64, nname: &[u8]) -> Result<(), Errno> {
        let ino = *self.dir(odir)?.entries.get(oname).ok_or(Errno::ENOENT)?;
        self.dir(ndir)?;
        if odir == ndir && oname == nname {
            return Ok(());
        }
        let moving_dir = self.get(ino)?.is_dir();
        if moving_dir && self.is_ancestor(ino, ndir) {
            return Err(Errno::EINVAL); // into itself
        }
        if let Some(&old) = self.dir(ndir)?.entries.get(nname) {
            let target_dir = self.get(old)?.is_dir();
            match (moving_dir, target_dir) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                _ => self.remove_name(ndir, nname, target_dir)?,
            }
        }
        self.dir(odir)?.entries.remove(oname);
        self.dir(ndir)?.entries.insert(nname.to_vec(), ino);
        if moving_dir && odir != ndir {
            self.dir(odir)?.nlink -= 1;
            self.dir(ndir)?.nlink += 1;
            self.get(ino)?.parent = ndir;
        }
        Ok(())
    }

    fn read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let n = self.file(ino)?;
        let rest = n.data.get(off as usize..).unwrap_or(&[]);
        let k = rest.len().min(buf.len());
        buf[..k].copy_from_slice(&rest[..k]);
        Ok(k)
    }

    fn write(&mut self, ino: u64, off: u64, data: &[u8]) -> Result<usize, Errno> {
        let room = CAPACITY - self.bytes;
        let n = self.file(ino)?;
        let end = off.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        // What fits: up to the current size, plus the room left.
        let new_end = end.min(n.data.len() as u64 + room);
        if new_end <= off && !data.is_empty() {
            return Err(Errno::ENOSPC);
        }
        let fit = new_end.saturating_sub(off) as usize;
        let end = off as usize + fit;
        let before = n.data.len();
        if n.data.len() < end {
            n.data.resize(end, 0);
        }
        for (d, s) in n.data[off as usize..end].iter_mut().zip(data) {
            *d = rot13(*s);
        }
        n.mtime = now();
        let after = n.data.len();
        self.bytes += (after - before) as u64;
        Ok(fit)
    }

    fn truncate(&mut self, ino: u64, size: u64) -> Result<(), Errno> {
        let used = self.bytes;
        let n = self.file(ino)?;
        let before = n.data.len() as u64;
        if size > before && size - before > CAPACITY - used {
            return Err(Errno::ENOSPC);
        }
        n.data.resize(size as usize, 0);
        n.mtime = now();
        self.bytes = used - before + size;
        Ok(())
    }

    fn stat(&mut self, ino: u64) -> Result<Stat, Errno> {
        let n = self.get(ino)?;
        let size = match n.is_dir() {
            true => 4096,
            false => n.data.len() as u64,
        };
        Ok(Stat {
            ino,
            mode: n.mode,
            nlink: n.nlink,
            uid: n.uid,
            gid: n.gid,
            size,
            blksize: 4096,
            blocks: size.div_ceil(512),
            atime: n.mtime,
            mtime: n.mtime,
            ctime: n.mtime,
            ..Stat::default()
        })
    }

    fn read_dir(
        &mut self,
        dir: u64,
        pos: u64,
        name: &mut [u8],
    ) -> Result<Option<(u64, u32, usize, u64)>, Errno> {
        let d = self.dir(dir)?;
        let (ino, entry): (u64, &[u8]) = match pos {
            0 => (dir, b"."),
            1 => (d.parent, b".."),
            p => match d.entries.iter().nth((p - 2) as usize) {
                Some((n, &i)) => (i, n.as_slice()),
                None => return Ok(None),
            },
        };
        if entry.len() > name.len() {
            return Err(Errno::ENAMETOOLONG);
        }
        name[..entry.len()].copy_from_slice(entry);
        let len = entry.len();
        let mode = self.get(ino)?.mode;
        Ok(Some((ino, mode, len, pos + 1)))
    }

    fn statfs(&mut self) -> (u64, u64) {
        (self.bytes, self.nodes.len() as u64)
    }

    fn pin(&mut self, ino: u64) {
        if let Ok(n) = self.get(ino) {
            n.pins += 1;
        }
    }

    fn unpin(&mut self, ino: u64) {
        if let Ok(n) = self.get(ino) {
            n.pins = n.pins.saturating_sub(1);
        }
        self.forget_if_unused(ino);
    }

    fn set_mode(&mut self, ino: u64, perm: u32) -> Result<(), Errno> {
        let n = self.get(ino)?;
        n.mode = (n.mode & S_IFMT) | (perm & 0o7777);
        Ok(())
    }
}

struct Rot13Type;

impl FileSystemType for Rot13Type {
    type Fs = Rot13Fs;
    fn mount(&self, _source: &str) -> Result<Rot13Fs, Errno> {
        Ok(Rot13Fs::new())
    }
}

static TYPE: Rot13Type = Rot13Type;

fn init(args: &str) -> Result<(), Errno> {
    if !args.is_empty() {
        return Err(Errno::EINVAL);
    }
    kapi::register_fs("rot13fs", &TYPE)
}

fn exit() {
    let _ = kapi::unregister_fs("rot13fs");
}

kapi::module!(name: "rot13fs", init: init, exit: exit);
