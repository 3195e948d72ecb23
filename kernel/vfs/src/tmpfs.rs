//! tmpfs: a file system that lives in RAM (`/tmp`), gone at power-off.
//!
//! It shows that "a file" is an abstraction the OS provides over any storage:
//! the same open/read/write/link/rename calls work here as on the ext2 disk.
//! Files are `Vec<u8>`, directories are sorted maps from name to inode number,
//! and link counts follow the same rules as ext2 (a directory has 2 plus one per
//! subdirectory). The design decision: a directory's entries carry a sequence
//! number given at insertion and never reused, and `read_dir_at` positions are
//! those numbers, so a `getdents` loop that runs while names are added or removed
//! never sees an entry twice and never loses one that stayed. Space is charged
//! for file bytes and symlink targets against a fixed limit (`ENOSPC`).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use abi::flags::*;
use abi::{Errno, Stat};
use fs::namemap::NameMap;

use crate::filesystem::{check_name, DirEntry, FileSystem, FsStat, NodeKind, Result};

const ROOT: u64 = 1;
/// Reported block size; space is charged by the byte.
const BLOCK: u64 = 4096;
/// Default limit on the number of inodes.
const DEFAULT_MAX_NODES: usize = 65536;
/// Longest symlink target.
const TARGET_MAX: usize = 4095;

struct Dir {
    parent: u64,
    /// name -> (inode, sequence number)
    by_name: NameMap<(u64, u64)>,
    /// sequence number -> name: the `read_dir_at` order
    by_seq: BTreeMap<u64, Vec<u8>>,
    next_seq: u64,
}

enum Body {
    File(Vec<u8>),
    Dir(Dir),
    Link(Vec<u8>),
    /// Device nodes, fifos, sockets: attributes only.
    Special,
}

struct Node {
    mode: u32,
    nlink: u32,
    uid: u32,
    gid: u32,
    rdev: u32,
    atime: i64,
    mtime: i64,
    ctime: i64,
    body: Body,
}

impl Node {
    fn charge(&self) -> u64 {
        match &self.body {
            Body::File(d) => d.len() as u64,
            Body::Link(t) => t.len() as u64,
            _ => 0,
        }
    }
}

/// A RAM file system with a byte limit.
pub struct TmpFs {
    nodes: BTreeMap<u64, Node>,
    next_ino: u64,
    clock: Box<dyn Fn() -> i64 + Send>,
    /// Open holds per node, and held nodes whose last name is gone.
    pins: BTreeMap<u64, u32>,
    orphans: alloc::collections::BTreeSet<u64>,
    max_bytes: u64,
    used: u64,
    max_nodes: usize,
}

impl TmpFs {
    /// An empty tmpfs holding at most `max_bytes` of file data; `clock` gives
    /// timestamps in seconds since 1970.
    pub fn new(clock: Box<dyn Fn() -> i64 + Send>, max_bytes: u64) -> TmpFs {
        Self::with_limits(clock, max_bytes, DEFAULT_MAX_NODES)
    }

    /// Also limits the number of inodes.
    pub fn with_limits(
        clock: Box<dyn Fn() -> i64 + Send>,
        max_bytes: u64,
        max_nodes: usize,
    ) -> TmpFs {
        let now = clock();
        let mut nodes = BTreeMap::new();
        nodes.insert(
            ROOT,
            Node {
                mode: S_IFDIR | 0o1777,
                nlink: 2,
                uid: 0,
                gid: 0,
                rdev: 0,
                atime: now,
                mtime: now,
                ctime: now,
                body: Body::Dir(Dir {
                    parent: ROOT,
                    by_name: NameMap::new(),
                    by_seq: BTreeMap::new(),
                    next_seq: 2,
                }),
            },
        );
        TmpFs {
            nodes,
            next_ino: ROOT + 1,
            clock,
            max_bytes,
            used: 0,
            max_nodes: max_nodes.max(1),
            pins: BTreeMap::new(),
            orphans: alloc::collections::BTreeSet::new(),
        }
    }

    /// Bytes of file data and symlink targets held.
    pub fn used_bytes(&self) -> u64 {
        self.used
    }

    fn node(&self, ino: u64) -> Result<&Node> {
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn node_mut(&mut self, ino: u64) -> Result<&mut Node> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    /// Directory `ino`. A removed directory still held (an orphan) is dead: it has
    /// no names, not even `..`, and takes none (`ENOENT`), so nothing is ever
    /// created inside a node that is freed at its last release.
    fn dir(&self, ino: u64) -> Result<&Dir> {
        match &self.node(ino)?.body {
            Body::Dir(_) if self.orphans.contains(&ino) => Err(Errno::ENOENT),
            Body::Dir(d) => Ok(d),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn dir_mut(&mut self, ino: u64) -> Result<&mut Dir> {
        let dead = self.orphans.contains(&ino);
        match &mut self.node_mut(ino)?.body {
            Body::Dir(_) if dead => Err(Errno::ENOENT),
            Body::Dir(d) => Ok(d),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn file_mut(&mut self, ino: u64) -> Result<&mut Vec<u8>> {
        match &mut self.node_mut(ino)?.body {
            Body::File(d) => Ok(d),
            Body::Dir(_) => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn find(&self, dir: u64, name: &[u8]) -> Result<Option<u64>> {
        Ok(self.dir(dir)?.by_name.get(name).map(|&(ino, _)| ino))
    }

    /// Directory `ino` and its node's times, to change together: one search of the
    /// node table for a name change and the directory's new mtime and ctime.
    fn dir_and_times(&mut self, ino: u64) -> Result<(&mut Dir, &mut i64, &mut i64)> {
        let dead = self.orphans.contains(&ino);
        let n = self.node_mut(ino)?;
        match &mut n.body {
            Body::Dir(_) if dead => Err(Errno::ENOENT),
            Body::Dir(d) => Ok((d, &mut n.mtime, &mut n.ctime)),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn add_name(&mut self, dir: u64, name: &[u8], ino: u64) -> Result<()> {
        let now = (self.clock)();
        let (d, mtime, ctime) = self.dir_and_times(dir)?;
        let seq = d.next_seq;
        d.next_seq += 1;
        d.by_name.insert(name, (ino, seq));
        d.by_seq.insert(seq, name.to_vec());
        (*mtime, *ctime) = (now, now);
        Ok(())
    }

    fn remove_name(&mut self, dir: u64, name: &[u8]) -> Result<u64> {
        let now = (self.clock)();
        let (d, mtime, ctime) = self.dir_and_times(dir)?;
        let (ino, seq) = d.by_name.remove(name).ok_or(Errno::ENOENT)?;
        d.by_seq.remove(&seq);
        (*mtime, *ctime) = (now, now);
        Ok(ino)
    }

    /// Drops one link of a non-directory; frees it at zero.
    fn drop_link(&mut self, ino: u64) -> Result<()> {
        let now = (self.clock)();
        let n = self.node_mut(ino)?;
        n.nlink = n.nlink.saturating_sub(1);
        n.ctime = now;
        if n.nlink == 0 {
            self.free(ino);
        }
        Ok(())
    }

    /// Free node `ino`, or, while it is held open, leave it nameless until released.
    fn free(&mut self, ino: u64) {
        if self.pins.contains_key(&ino) {
            if let Some(n) = self.nodes.get_mut(&ino) {
                n.nlink = 0;
            }
            self.orphans.insert(ino);
            return;
        }
        if let Some(n) = self.nodes.remove(&ino) {
            self.used = self.used.saturating_sub(n.charge());
        }
    }

    fn new_node(
        &mut self,
        dir: u64,
        name: &[u8],
        mode: u32,
        uid: u32,
        gid: u32,
        body: Body,
    ) -> Result<u64> {
        check_name(name)?;
        if self.find(dir, name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        if self.nodes.len() >= self.max_nodes {
            return Err(Errno::ENOSPC);
        }
        let now = (self.clock)();
        let is_dir = matches!(body, Body::Dir(_));
        let node = Node {
            mode,
            nlink: if is_dir { 2 } else { 1 },
            uid,
            gid,
            rdev: 0,
            atime: now,
            mtime: now,
            ctime: now,
            body,
        };
        let charge = node.charge();
        if self.used + charge > self.max_bytes {
            return Err(Errno::ENOSPC);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.used += charge;
        self.nodes.insert(ino, node);
        self.add_name(dir, name, ino)?;
        if is_dir {
            self.node_mut(dir)?.nlink += 1;
        }
        Ok(ino)
    }

    fn empty_dir(parent: u64) -> Body {
        Body::Dir(Dir {
            parent,
            by_name: NameMap::new(),
            by_seq: BTreeMap::new(),
            next_seq: 2,
        })
    }

    fn kind(&self, ino: u64) -> NodeKind {
        self.node(ino).map_or(NodeKind::Unknown, |n| {
            NodeKind::from_stat(&Stat {
                mode: n.mode,
                rdev: n.rdev as u64,
                ..Stat::default()
            })
        })
    }

    /// `EINVAL` when directory `dir` is `ancestor` or below it.
    fn check_not_below(&self, mut dir: u64, ancestor: u64) -> Result<()> {
        loop {
            if dir == ancestor {
                return Err(Errno::EINVAL);
            }
            if dir == ROOT {
                return Ok(());
            }
            dir = self.dir(dir)?.parent;
        }
    }

    /// Resizes a file, charging the growth against the limit.
    fn resize(&mut self, ino: u64, size: u64) -> Result<()> {
        let old = self.file_mut(ino)?.len() as u64;
        if size > old && size - old > self.max_bytes - self.used {
            return Err(Errno::ENOSPC);
        }
        let size = usize::try_from(size).map_err(|_| Errno::EFBIG)?;
        self.file_mut(ino)?.resize(size, 0);
        self.used = self.used + size as u64 - old;
        Ok(())
    }
}

impl FileSystem for TmpFs {
    fn name(&self) -> &str {
        "tmpfs"
    }

    fn read_only(&self) -> bool {
        false
    }

    fn root(&self) -> u64 {
        ROOT
    }

    fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64> {
        if name.len() > crate::walk::NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let d = self.dir(dir)?;
        match name {
            b"." => Ok(dir),
            b".." => Ok(d.parent),
            _ => d.by_name.get(name).map(|&(i, _)| i).ok_or(Errno::ENOENT),
        }
    }

    fn create(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64> {
        let mode = S_IFREG | (perm & 0o7777);
        self.new_node(dir, name, mode, uid, gid, Body::File(Vec::new()))
    }

    fn mkdir(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64> {
        let mode = S_IFDIR | (perm & 0o7777);
        self.new_node(dir, name, mode, uid, gid, Self::empty_dir(dir))
    }

    fn symlink(&mut self, dir: u64, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<u64> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() > TARGET_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let body = Body::Link(target.to_vec());
        self.new_node(dir, name, S_IFLNK | 0o777, uid, gid, body)
    }

    fn mknod(
        &mut self,
        dir: u64,
        name: &[u8],
        mode: u32,
        rdev: u32,
        uid: u32,
        gid: u32,
    ) -> Result<u64> {
        match mode & S_IFMT {
            S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => {}
            _ => return Err(Errno::EINVAL),
        }
        let ino = self.new_node(dir, name, mode & (S_IFMT | 0o7777), uid, gid, Body::Special)?;
        self.node_mut(ino)?.rdev = rdev;
        Ok(ino)
    }

    fn link(&mut self, ino: u64, dir: u64, name: &[u8]) -> Result<()> {
        check_name(name)?;
        if matches!(self.node(ino)?.body, Body::Dir(_)) {
            return Err(Errno::EPERM);
        }
        if self.find(dir, name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        self.add_name(dir, name, ino)?;
        let now = (self.clock)();
        let n = self.node_mut(ino)?;
        n.nlink += 1;
        n.ctime = now;
        Ok(())
    }

    fn unlink(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        if name == b"." || name == b".." {
            return Err(Errno::EISDIR);
        }
        let ino = self.find(dir, name)?.ok_or(Errno::ENOENT)?;
        if matches!(self.node(ino)?.body, Body::Dir(_)) {
            return Err(Errno::EISDIR);
        }
        self.remove_name(dir, name)?;
        self.drop_link(ino)
    }

    fn rmdir(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        match name {
            b"." => return Err(Errno::EINVAL),
            b".." => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        let ino = self.find(dir, name)?.ok_or(Errno::ENOENT)?;
        if !self.dir(ino)?.by_name.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.remove_name(dir, name)?;
        let d = self.node_mut(dir)?;
        d.nlink = d.nlink.saturating_sub(1);
        self.free(ino);
        Ok(())
    }

    fn rename(&mut self, odir: u64, oname: &[u8], ndir: u64, nname: &[u8]) -> Result<()> {
        check_name(nname)?;
        let dots = |n: &[u8]| n == b"." || n == b"..";
        if dots(oname) || dots(nname) {
            return Err(Errno::EINVAL);
        }
        self.dir(ndir)?;
        let src = self.find(odir, oname)?.ok_or(Errno::ENOENT)?;
        let src_is_dir = self.kind(src).is_dir();
        let existing = self.find(ndir, nname)?;
        if existing == Some(src) {
            return Ok(());
        }
        if let Some(t) = existing {
            let t_is_dir = self.kind(t).is_dir();
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
        if src_is_dir && odir != ndir {
            self.check_not_below(ndir, src)?;
        }
        // Every check is done: from here nothing can fail.
        if let Some(t) = existing {
            self.remove_name(ndir, nname)?;
            if self.kind(t).is_dir() {
                let d = self.node_mut(ndir)?;
                d.nlink = d.nlink.saturating_sub(1);
                self.free(t);
            } else {
                self.drop_link(t)?;
            }
        }
        self.remove_name(odir, oname)?;
        self.add_name(ndir, nname, src)?;
        if src_is_dir && odir != ndir {
            self.dir_mut(src)?.parent = ndir;
            let d = self.node_mut(odir)?;
            d.nlink = d.nlink.saturating_sub(1);
            self.node_mut(ndir)?.nlink += 1;
        }
        let now = (self.clock)();
        self.node_mut(src)?.ctime = now;
        Ok(())
    }

    fn readlink(&mut self, ino: u64) -> Result<Vec<u8>> {
        match &self.node(ino)?.body {
            Body::Link(t) => Ok(t.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> Result<usize> {
        let data = self.file_mut(ino)?;
        let len = data.len() as u64;
        if off >= len {
            return Ok(0);
        }
        let n = ((len - off) as usize).min(buf.len());
        buf[..n].copy_from_slice(&data[off as usize..off as usize + n]);
        Ok(n)
    }

    fn write(&mut self, ino: u64, off: u64, data: &[u8]) -> Result<usize> {
        // One search of the node table for the whole call (a write is the hot
        // half of creating a small file).
        let now = (self.clock)();
        let free = self.max_bytes - self.used;
        let node = self.node_mut(ino)?;
        let file = match &mut node.body {
            Body::File(d) => d,
            Body::Dir(_) => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        };
        let old = file.len() as u64;
        if data.is_empty() {
            return Ok(0);
        }
        let end = off.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        // The file may grow to at most `old` plus the free space.
        let max_end = old + free;
        let n = if end <= max_end {
            data.len()
        } else {
            max_end.saturating_sub(off) as usize
        };
        if n == 0 {
            return Err(Errno::ENOSPC);
        }
        let end = off + n as u64;
        let end_at = usize::try_from(end).map_err(|_| Errno::EFBIG)?;
        if end > old {
            file.resize(end_at, 0);
        }
        file[off as usize..end_at].copy_from_slice(&data[..n]);
        node.mtime = now;
        node.ctime = now;
        if end > old {
            self.used += end - old;
        }
        Ok(n)
    }

    fn truncate(&mut self, ino: u64, size: u64) -> Result<()> {
        self.resize(ino, size)?;
        let now = (self.clock)();
        let node = self.node_mut(ino)?;
        node.mtime = now;
        node.ctime = now;
        Ok(())
    }

    fn pin(&mut self, ino: u64) {
        *self.pins.entry(ino).or_insert(0) += 1;
    }

    fn unpin(&mut self, ino: u64) -> Result<()> {
        let last = match self.pins.get_mut(&ino) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                self.pins.remove(&ino);
                true
            }
            None => false,
        };
        if last && self.orphans.remove(&ino) {
            self.free(ino);
        }
        Ok(())
    }

    fn release_orphans(&mut self) -> Result<()> {
        for ino in core::mem::take(&mut self.orphans) {
            self.pins.remove(&ino);
            self.free(ino);
        }
        Ok(())
    }

    fn set_mode(&mut self, ino: u64, perm: u32) -> Result<()> {
        let now = (self.clock)();
        let n = self.node_mut(ino)?;
        n.mode = (n.mode & !0o7777) | (perm & 0o7777);
        n.ctime = now;
        Ok(())
    }

    fn set_owner(&mut self, ino: u64, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        let now = (self.clock)();
        let n = self.node_mut(ino)?;
        n.uid = uid.unwrap_or(n.uid);
        n.gid = gid.unwrap_or(n.gid);
        n.ctime = now;
        Ok(())
    }

    fn set_times(&mut self, ino: u64, atime: Option<i64>, mtime: Option<i64>) -> Result<()> {
        let now = (self.clock)();
        let n = self.node_mut(ino)?;
        if let Some(a) = atime {
            n.atime = a;
        }
        if let Some(m) = mtime {
            n.mtime = m;
        }
        n.ctime = now;
        Ok(())
    }

    fn stat(&mut self, ino: u64) -> Result<Stat> {
        let n = self.node(ino)?;
        let size = match &n.body {
            Body::File(d) => d.len() as u64,
            Body::Link(t) => t.len() as u64,
            Body::Dir(d) => (d.by_name.len() as u64 + 2) * 32,
            Body::Special => 0,
        };
        Ok(Stat {
            dev: 0,
            ino,
            mode: n.mode,
            nlink: n.nlink,
            uid: n.uid,
            gid: n.gid,
            rdev: n.rdev as u64,
            size,
            blksize: BLOCK,
            blocks: n.charge().div_ceil(512),
            atime: n.atime,
            mtime: n.mtime,
            ctime: n.ctime,
        })
    }

    fn read_dir_at(&mut self, dir: u64, pos: u64) -> Result<Option<(DirEntry, u64)>> {
        let d = self.dir(dir)?;
        let dot = |name: &[u8], ino| DirEntry {
            ino,
            name: name.to_vec(),
            kind: NodeKind::Directory,
        };
        match pos {
            0 => return Ok(Some((dot(b".", dir), 1))),
            1 => return Ok(Some((dot(b"..", d.parent), 2))),
            _ => {}
        }
        let Some((&seq, name)) = d.by_seq.range(pos..).next() else {
            return Ok(None);
        };
        let ino = d.by_name.get(name).ok_or(Errno::EIO)?.0;
        let entry = DirEntry {
            ino,
            name: name.clone(),
            kind: self.kind(ino),
        };
        Ok(Some((entry, seq + 1)))
    }

    fn statfs(&mut self) -> FsStat {
        FsStat {
            block_size: BLOCK as u32,
            blocks: self.max_bytes.div_ceil(BLOCK),
            free_blocks: (self.max_bytes - self.used) / BLOCK,
            avail_blocks: (self.max_bytes - self.used) / BLOCK,
            files: self.max_nodes as u64,
            free_files: self.max_nodes.saturating_sub(self.nodes.len()) as u64,
            name_max: crate::walk::NAME_MAX as u32,
        }
    }

    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
}
