//! The server's file system: a tree of nodes in this process's memory, the same
//! rules as the kernel's tmpfs (`kernel/vfs/src/tmpfs.rs`): link counts as ext2 keeps
//! them, directory positions that are insertion numbers never reused (a listing that
//! runs while names change never sees one twice), contents kept while an open file
//! holds a node whose last name is gone (`Pin`/`Unpin`).
//!
//! Each request is one method; the answer is a value and bytes, or an errno.

use crate::wire::{self, Received as Request};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use ulib::abi::flags::*;
use ulib::Errno;

pub const ROOT: u64 = 1;
/// The most bytes of file contents this server keeps (ENOSPC past it).
const MAX_BYTES: u64 = 16 << 20;
const MAX_NODES: usize = 16384;
const NAME_MAX: usize = 255;
/// The largest file offset this server accepts.
const MAX_FILE: u64 = 1 << 32;

struct Dir {
    parent: u64,
    by_name: BTreeMap<Vec<u8>, (u64, u64)>,
    by_seq: BTreeMap<u64, Vec<u8>>,
    next_seq: u64,
}

enum Body {
    File(Vec<u8>),
    Dir(Dir),
    Link(Vec<u8>),
}

struct Node {
    mode: u32,
    nlink: u32,
    uid: u32,
    gid: u32,
    times: [i64; 3],
    pins: u32,
    body: Body,
}

pub struct Tree {
    nodes: BTreeMap<u64, Node>,
    next_ino: u64,
    used: u64,
    now: fn() -> i64,
}

pub type Answer = Result<(u64, Vec<u8>), Errno>;

fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
        return Err(Errno::EINVAL);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

impl Tree {
    pub fn new(now: fn() -> i64) -> Tree {
        let mut t = Tree {
            nodes: BTreeMap::new(),
            next_ino: ROOT + 1,
            used: 0,
            now,
        };
        let n = t.node_of(S_IFDIR | 0o755, 0, 0, Body::Dir(Dir::new(ROOT)));
        t.nodes.insert(ROOT, Node { nlink: 2, ..n });
        t
    }

    fn node_of(&self, mode: u32, uid: u32, gid: u32, body: Body) -> Node {
        let now = (self.now)();
        Node {
            mode,
            nlink: 1,
            uid,
            gid,
            times: [now; 3],
            pins: 0,
            body,
        }
    }

    fn node(&self, ino: u64) -> Result<&Node, Errno> {
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn node_mut(&mut self, ino: u64) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn dir(&self, ino: u64) -> Result<&Dir, Errno> {
        match &self.node(ino)?.body {
            Body::Dir(d) => Ok(d),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn dir_mut(&mut self, ino: u64) -> Result<&mut Dir, Errno> {
        match &mut self.node_mut(ino)?.body {
            Body::Dir(d) => Ok(d),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn is_dir(&self, ino: u64) -> bool {
        matches!(self.nodes.get(&ino).map(|n| &n.body), Some(Body::Dir(_)))
    }

    fn find(&self, dir: u64, name: &[u8]) -> Result<Option<u64>, Errno> {
        Ok(self.dir(dir)?.by_name.get(name).map(|e| e.0))
    }

    fn touch_dir(&mut self, dir: u64) {
        let now = (self.now)();
        if let Ok(d) = self.node_mut(dir) {
            d.times[1] = now;
            d.times[2] = now;
        }
    }

    /// A new node named `name` in `dir`.
    fn make(&mut self, r: &Request, mode: u32, body: Body) -> Answer {
        check_name(r.name)?;
        if self.find(r.ino, r.name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(Errno::ENOSPC);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        let is_dir = matches!(body, Body::Dir(_));
        let mut n = self.node_of(mode, r.uid, r.gid, body);
        if is_dir {
            n.nlink = 2;
            self.node_mut(r.ino)?.nlink += 1;
        }
        if let Body::Link(t) = &n.body {
            self.used += t.len() as u64;
        }
        self.nodes.insert(ino, n);
        self.dir_mut(r.ino)?.add(r.name, ino);
        self.touch_dir(r.ino);
        Ok((ino, self.attrs(&[ino, r.ino])?))
    }

    /// One link of `ino` gone: freed with its last link unless an open file holds it.
    fn drop_link(&mut self, ino: u64) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.nlink = n.nlink.saturating_sub(1);
            n.times[2] = (self.now)();
            if n.nlink == 0 && n.pins == 0 {
                self.free(ino);
            }
        }
    }

    fn free(&mut self, ino: u64) {
        if let Some(n) = self.nodes.remove(&ino) {
            match n.body {
                Body::File(d) => self.used -= d.len() as u64,
                Body::Link(t) => self.used -= t.len() as u64,
                Body::Dir(_) => {}
            }
        }
    }

    /// Is `dir` `ino` or below it?
    fn below(&self, mut dir: u64, ino: u64) -> bool {
        loop {
            if dir == ino {
                return true;
            }
            match self.dir(dir) {
                Ok(d) if d.parent != dir => dir = d.parent,
                _ => return false,
            }
        }
    }

    pub fn serve(&mut self, r: &Request) -> Answer {
        match r.op {
            wire::LOOKUP => self.lookup(r),
            wire::GETATTR => self.getattr(r.ino),
            wire::READ => self.read(r),
            wire::WRITE => self.write(r),
            wire::CREATE => self.make(r, S_IFREG | (r.mode & 0o7777), Body::File(Vec::new())),
            wire::MKDIR => self.make(r, S_IFDIR | (r.mode & 0o7777), Body::Dir(Dir::new(r.ino))),
            wire::SYMLINK => {
                if r.rest.is_empty() || r.rest.contains(&0) {
                    return Err(Errno::EINVAL);
                }
                self.make(r, S_IFLNK | 0o777, Body::Link(r.rest.to_vec()))
            }
            wire::UNLINK => self.unlink(r),
            wire::RMDIR => self.rmdir(r),
            wire::RENAME => self.rename(r),
            wire::READDIR => self.readdir(r),
            wire::TRUNCATE => self.truncate(r.ino, r.off),
            wire::SETATTR => self.setattr(r),
            wire::READLINK => match &self.node(r.ino)?.body {
                Body::Link(t) => Ok((0, t.clone())),
                _ => Err(Errno::EINVAL),
            },
            wire::LINK => self.link(r),
            wire::STATFS => {
                let mut b = Vec::with_capacity(32);
                for w in [
                    MAX_BYTES / 4096,
                    (MAX_BYTES - self.used) / 4096,
                    MAX_NODES as u64,
                    (MAX_NODES - self.nodes.len()) as u64,
                ] {
                    b.extend_from_slice(&w.to_le_bytes());
                }
                Ok((0, b))
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// A `Pin` or `Unpin` record: `len` holds taken or given back.
    pub fn hold(&mut self, r: &Request) {
        let Some(n) = self.nodes.get_mut(&r.ino) else {
            return;
        };
        if r.op == wire::PIN {
            n.pins = n.pins.saturating_add(r.len);
        } else {
            n.pins = n.pins.saturating_sub(r.len);
            if n.pins == 0 && n.nlink == 0 {
                self.free(r.ino);
            }
        }
    }

    fn lookup(&mut self, r: &Request) -> Answer {
        let d = self.dir(r.ino)?;
        let ino = match r.name {
            b"." => r.ino,
            b".." => d.parent,
            name => d.by_name.get(name).ok_or(Errno::ENOENT)?.0,
        };
        Ok((ino, Vec::new()))
    }

    fn getattr(&self, ino: u64) -> Answer {
        Ok((0, self.attr(ino)?.to_vec()))
    }

    /// The 48-byte attributes of `ino`.
    fn attr(&self, ino: u64) -> Result<[u8; 48], Errno> {
        let n = self.node(ino)?;
        let size = match &n.body {
            Body::File(d) => d.len() as u64,
            Body::Link(t) => t.len() as u64,
            Body::Dir(d) => (d.by_name.len() as u64 + 2) * 32,
        };
        Ok(wire::attr(n.mode, n.nlink, n.uid, n.gid, size, n.times))
    }

    /// An unlink's or rmdir's answer data: the directory's attributes, then the
    /// node's if it still exists.
    fn attrs_if_alive(&self, dir: u64, ino: u64) -> Result<Vec<u8>, Errno> {
        if self.nodes.contains_key(&ino) {
            self.attrs(&[dir, ino])
        } else {
            self.attrs(&[dir])
        }
    }

    /// Answer data: the attributes of each of `inos`, one after the other.
    fn attrs(&self, inos: &[u64]) -> Result<Vec<u8>, Errno> {
        let mut b = Vec::with_capacity(48 * inos.len());
        for &i in inos {
            b.extend_from_slice(&self.attr(i)?);
        }
        Ok(b)
    }

    fn file_mut(&mut self, ino: u64) -> Result<&mut Node, Errno> {
        let n = self.node_mut(ino)?;
        match n.body {
            Body::File(_) => Ok(n),
            Body::Dir(_) => Err(Errno::EISDIR),
            Body::Link(_) => Err(Errno::EINVAL),
        }
    }

    fn read(&mut self, r: &Request) -> Answer {
        let want = (r.len as usize).min(wire::REPLY_DATA_MAX);
        let Body::File(d) = &self.file_mut(r.ino)?.body else {
            return Err(Errno::EINVAL);
        };
        let start = (r.off.min(d.len() as u64)) as usize;
        let end = (start + want).min(d.len());
        let out = d[start..end].to_vec();
        Ok((out.len() as u64, out))
    }

    fn write(&mut self, r: &Request) -> Answer {
        let data = r.rest;
        let end = r.off.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        if end > MAX_FILE {
            return Err(Errno::EFBIG);
        }
        let used = self.used;
        let now = (self.now)();
        let n = self.file_mut(r.ino)?;
        let Body::File(d) = &mut n.body else {
            return Err(Errno::EINVAL);
        };
        let grow = end.saturating_sub(d.len() as u64);
        if used + grow > MAX_BYTES {
            return Err(Errno::ENOSPC);
        }
        if grow > 0 {
            d.resize(end as usize, 0);
        }
        d[r.off as usize..end as usize].copy_from_slice(data);
        n.times[1] = now;
        n.times[2] = now;
        self.used += grow;
        Ok((data.len() as u64, self.attrs(&[r.ino])?))
    }

    fn truncate(&mut self, ino: u64, size: u64) -> Answer {
        if size > MAX_FILE {
            return Err(Errno::EFBIG);
        }
        let used = self.used;
        let now = (self.now)();
        let n = self.file_mut(ino)?;
        let Body::File(d) = &mut n.body else {
            return Err(Errno::EINVAL);
        };
        let old = d.len() as u64;
        if size > old && used + (size - old) > MAX_BYTES {
            return Err(Errno::ENOSPC);
        }
        d.resize(size as usize, 0);
        n.times[1] = now;
        n.times[2] = now;
        self.used = used + size - old;
        Ok((0, self.attrs(&[ino])?))
    }

    fn setattr(&mut self, r: &Request) -> Answer {
        let now = (self.now)();
        let n = self.node_mut(r.ino)?;
        if r.len & wire::SET_MODE != 0 {
            n.mode = (n.mode & S_IFMT) | (r.mode & 0o7777);
        }
        if r.len & wire::SET_UID != 0 {
            n.uid = r.uid;
        }
        if r.len & wire::SET_GID != 0 {
            n.gid = r.gid;
        }
        if r.len & wire::SET_ATIME != 0 {
            n.times[0] = r.off as i64;
        }
        if r.len & wire::SET_MTIME != 0 {
            n.times[1] = r.ino2 as i64;
        }
        n.times[2] = now;
        Ok((0, self.attrs(&[r.ino])?))
    }

    fn unlink(&mut self, r: &Request) -> Answer {
        let ino = self.find(r.ino, r.name)?.ok_or(Errno::ENOENT)?;
        if self.is_dir(ino) {
            return Err(Errno::EISDIR);
        }
        self.dir_mut(r.ino)?.remove(r.name);
        self.touch_dir(r.ino);
        self.drop_link(ino);
        Ok((ino, self.attrs_if_alive(r.ino, ino)?))
    }

    fn rmdir(&mut self, r: &Request) -> Answer {
        if r.name == b"." {
            return Err(Errno::EINVAL);
        }
        if r.name == b".." {
            return Err(Errno::ENOTEMPTY);
        }
        let ino = self.find(r.ino, r.name)?.ok_or(Errno::ENOENT)?;
        if !self.dir(ino)?.by_name.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.dir_mut(r.ino)?.remove(r.name);
        self.node_mut(r.ino)?.nlink -= 1;
        self.touch_dir(r.ino);
        let n = self.node_mut(ino)?;
        n.nlink = 0;
        if n.pins == 0 {
            self.free(ino);
        }
        Ok((ino, self.attrs_if_alive(r.ino, ino)?))
    }

    fn link(&mut self, r: &Request) -> Answer {
        check_name(r.name)?;
        if self.is_dir(r.ino) {
            return Err(Errno::EPERM);
        }
        self.node(r.ino)?;
        if self.find(r.ino2, r.name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        self.dir_mut(r.ino2)?.add(r.name, r.ino);
        self.touch_dir(r.ino2);
        let now = (self.now)();
        let n = self.node_mut(r.ino)?;
        n.nlink += 1;
        n.times[2] = now;
        Ok((0, self.attrs(&[r.ino, r.ino2])?))
    }

    fn rename(&mut self, r: &Request) -> Answer {
        let (odir, oname, ndir, nname) = (r.ino, r.name, r.ino2, r.rest);
        check_name(nname)?;
        check_name(oname)?;
        self.dir(ndir)?;
        let src = self.find(odir, oname)?.ok_or(Errno::ENOENT)?;
        let src_is_dir = self.is_dir(src);
        let existing = self.find(ndir, nname)?;
        if existing == Some(src) {
            let mut b = self.attrs(&[src, odir, ndir])?;
            b.extend_from_slice(&0u64.to_le_bytes());
            return Ok((src, b));
        }
        if let Some(t) = existing {
            let t_is_dir = self.is_dir(t);
            if src_is_dir && !t_is_dir {
                return Err(Errno::ENOTDIR);
            }
            if !src_is_dir && t_is_dir {
                return Err(Errno::EISDIR);
            }
            if t_is_dir && !self.dir(t)?.by_name.is_empty() {
                return Err(Errno::ENOTEMPTY);
            }
        }
        if src_is_dir && odir != ndir && self.below(ndir, src) {
            return Err(Errno::EINVAL);
        }
        // Every check is done: from here nothing can fail.
        if let Some(t) = existing {
            self.dir_mut(ndir)?.remove(nname);
            if self.is_dir(t) {
                self.node_mut(ndir)?.nlink -= 1;
                let n = self.node_mut(t)?;
                n.nlink = 0;
                if n.pins == 0 {
                    self.free(t);
                }
            } else {
                self.drop_link(t);
            }
        }
        self.dir_mut(odir)?.remove(oname);
        self.dir_mut(ndir)?.add(nname, src);
        if src_is_dir && odir != ndir {
            self.dir_mut(src)?.parent = ndir;
            self.node_mut(odir)?.nlink -= 1;
            self.node_mut(ndir)?.nlink += 1;
        }
        self.touch_dir(odir);
        self.touch_dir(ndir);
        let now = (self.now)();
        self.node_mut(src)?.times[2] = now;
        let mut b = self.attrs(&[src, odir, ndir])?;
        b.extend_from_slice(&existing.unwrap_or(0).to_le_bytes());
        Ok((src, b))
    }

    /// The entries from position `off` on, as many as fit in one answer; the value
    /// is their count (0 and no bytes: the end).
    fn readdir(&mut self, r: &Request) -> Answer {
        let d = self.dir(r.ino)?;
        let mut out = Vec::new();
        let mut count = 0;
        let mut put = |out: &mut Vec<u8>, next: u64, ino: u64, kind: u8, name: &[u8]| {
            if out.len() + 18 + name.len() > wire::REPLY_DATA_MAX {
                return false;
            }
            out.extend_from_slice(&next.to_le_bytes());
            out.extend_from_slice(&ino.to_le_bytes());
            out.push(kind);
            out.push(name.len() as u8);
            out.extend_from_slice(name);
            count += 1;
            true
        };
        if r.off == 0 {
            put(&mut out, 1, r.ino, DT_DIR, b".");
        }
        if r.off <= 1 {
            put(&mut out, 2, d.parent, DT_DIR, b"..");
        }
        for (&seq, name) in d.by_seq.range(r.off.max(2)..) {
            let ino = d.by_name.get(name).map_or(0, |e| e.0);
            let kind = match self.nodes.get(&ino).map(|n| &n.body) {
                Some(Body::Dir(_)) => DT_DIR,
                Some(Body::Link(_)) => DT_LNK,
                _ => DT_REG,
            };
            if !put(&mut out, seq + 1, ino, kind, name) {
                break;
            }
        }
        Ok((count, out))
    }
}

impl Dir {
    fn new(parent: u64) -> Dir {
        Dir {
            parent,
            by_name: BTreeMap::new(),
            by_seq: BTreeMap::new(),
            // Positions 0 and 1 are `.` and `..`.
            next_seq: 2,
        }
    }

    fn add(&mut self, name: &[u8], ino: u64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_name.insert(name.to_vec(), (ino, seq));
        self.by_seq.insert(seq, name.to_vec());
    }

    fn remove(&mut self, name: &[u8]) {
        if let Some((_, seq)) = self.by_name.remove(name) {
            self.by_seq.remove(&seq);
        }
    }
}
