//! devfs: devices as files (`/dev/null`, `/dev/console`, `/dev/disk0`).
//!
//! Chapter 2's device-management calls (request, release, read, write, ioctl)
//! look like the file calls because devices *are* files here: a program opens
//! `/dev/zero` by name like any file. devfs is one flat directory of device
//! nodes, each a name, a device number (`rdev`) and permission bits. The design
//! decision: devfs holds only the *names*. Reading or writing a node through the
//! VFS fails with `ENODEV`; the kernel sees `NodeKind::CharDevice(rdev)` from
//! `open` and sends the I/O to the driver for `rdev` itself, so this crate stays
//! free of drivers and of everything that touches hardware.
//!
//! One fixed subdirectory, `pts`, holds the pseudo-terminals' slave ends
//! (`/dev/pts/N`, as on Linux, where programs build that name from `TIOCGPTN`): a
//! device registered as `pts/N` is a node there. Nothing else can make directories.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use abi::flags::*;
use abi::{Errno, Stat};

use crate::filesystem::{check_name, DirEntry, FileSystem, FsStat, NodeKind, Result};

const ROOT: u64 = 1;
/// The `pts` directory.
const PTS: u64 = 2;
const PTS_NAME: &[u8] = b"pts";

struct Device {
    /// The directory: [`ROOT`] or [`PTS`].
    dir: u64,
    name: Vec<u8>,
    rdev: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    time: i64,
}

/// A flat directory of character-device nodes.
pub struct DevFs {
    /// inode number -> device; inode numbers are never reused.
    devices: BTreeMap<u64, Device>,
    next_ino: u64,
    clock: Box<dyn Fn() -> i64 + Send>,
    created: i64,
}

impl DevFs {
    /// An empty device directory; `clock` stamps new nodes.
    pub fn new(clock: Box<dyn Fn() -> i64 + Send>) -> DevFs {
        let created = clock();
        DevFs {
            devices: BTreeMap::new(),
            next_ino: PTS + 1,
            clock,
            created,
        }
    }

    /// Adds a character device `name` with device number `rdev` and permission
    /// bits `perm` (owned by root); `EEXIST` if the name is taken. `pts/N` is `N`
    /// in the `pts` directory.
    pub fn register(&mut self, name: &str, rdev: u32, perm: u32) -> Result<u64> {
        self.register_group(name, rdev, perm, 0)
    }

    /// [`DevFs::register`] with the node's group `gid` (`/dev/fb0`'s `video`).
    pub fn register_group(&mut self, name: &str, rdev: u32, perm: u32, gid: u32) -> Result<u64> {
        let (dir, name) = Self::split(name.as_bytes());
        self.add(dir, name, S_IFCHR | (perm & 0o7777), rdev, 0, gid)
    }

    /// Removes a device node by name.
    pub fn unregister(&mut self, name: &str) -> Result<()> {
        let (dir, name) = Self::split(name.as_bytes());
        FileSystem::unlink(self, dir, name)
    }

    fn split(name: &[u8]) -> (u64, &[u8]) {
        match name.strip_prefix(b"pts/") {
            Some(rest) => (PTS, rest),
            None => (ROOT, name),
        }
    }

    fn add(
        &mut self,
        dir: u64,
        name: &[u8],
        mode: u32,
        rdev: u32,
        uid: u32,
        gid: u32,
    ) -> Result<u64> {
        check_name(name)?;
        if self.find(dir, name).is_some() || (dir == ROOT && name == PTS_NAME) {
            return Err(Errno::EEXIST);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        let time = (self.clock)();
        let name = name.to_vec();
        let dev = Device {
            dir,
            name,
            rdev,
            mode,
            uid,
            gid,
            time,
        };
        self.devices.insert(ino, dev);
        Ok(ino)
    }

    fn find(&self, dir: u64, name: &[u8]) -> Option<u64> {
        self.devices
            .iter()
            .find(|(_, d)| d.dir == dir && d.name == name)
            .map(|(&i, _)| i)
    }

    fn check_root(dir: u64) -> Result<()> {
        match dir {
            ROOT | PTS => Ok(()),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn device(&self, ino: u64) -> Result<&Device> {
        self.devices.get(&ino).ok_or(Errno::ENOENT)
    }

    /// Read and write of a node, or anything else: the kernel's job.
    fn not_here(&self, ino: u64) -> Result<usize> {
        match ino {
            ROOT | PTS => Err(Errno::EISDIR),
            _ => self.device(ino).and(Err(Errno::ENODEV)),
        }
    }
}

impl FileSystem for DevFs {
    fn name(&self) -> &str {
        "devfs"
    }

    fn read_only(&self) -> bool {
        false
    }

    fn root(&self) -> u64 {
        ROOT
    }

    fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64> {
        if dir != ROOT && dir != PTS {
            return self.device(dir).and(Err(Errno::ENOTDIR));
        }
        match name {
            b"." => Ok(dir),
            b".." => Ok(ROOT),
            PTS_NAME if dir == ROOT => Ok(PTS),
            _ => self.find(dir, name).ok_or(Errno::ENOENT),
        }
    }

    fn create(&mut self, dir: u64, _: &[u8], _: u32, _: u32, _: u32) -> Result<u64> {
        Self::check_root(dir).and(Err(Errno::EPERM))
    }

    fn mkdir(&mut self, dir: u64, _: &[u8], _: u32, _: u32, _: u32) -> Result<u64> {
        Self::check_root(dir).and(Err(Errno::EPERM))
    }

    fn symlink(&mut self, dir: u64, _: &[u8], _: &[u8], _: u32, _: u32) -> Result<u64> {
        Self::check_root(dir).and(Err(Errno::EPERM))
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
        Self::check_root(dir)?;
        if mode & S_IFMT != S_IFCHR {
            return Err(Errno::EPERM);
        }
        self.add(dir, name, S_IFCHR | (mode & 0o7777), rdev, uid, gid)
    }

    fn link(&mut self, _: u64, dir: u64, _: &[u8]) -> Result<()> {
        Self::check_root(dir).and(Err(Errno::EPERM))
    }

    fn unlink(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        Self::check_root(dir)?;
        if name == b"." || name == b".." || (dir == ROOT && name == PTS_NAME) {
            return Err(Errno::EISDIR);
        }
        let ino = self.find(dir, name).ok_or(Errno::ENOENT)?;
        self.devices.remove(&ino);
        Ok(())
    }

    fn rmdir(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        Self::check_root(dir)?;
        if dir == ROOT && name == PTS_NAME {
            return Err(Errno::EPERM);
        }
        match self.find(dir, name) {
            Some(_) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn rename(&mut self, odir: u64, oname: &[u8], ndir: u64, _: &[u8]) -> Result<()> {
        Self::check_root(odir)?;
        Self::check_root(ndir)?;
        self.find(odir, oname).ok_or(Errno::ENOENT)?;
        Err(Errno::EPERM)
    }

    fn readlink(&mut self, ino: u64) -> Result<Vec<u8>> {
        self.not_here(ino).and(Err(Errno::EINVAL))
    }

    fn read(&mut self, ino: u64, _: u64, _: &mut [u8]) -> Result<usize> {
        self.not_here(ino)
    }

    fn write(&mut self, ino: u64, _: u64, _: &[u8]) -> Result<usize> {
        self.not_here(ino)
    }

    fn truncate(&mut self, ino: u64, _: u64) -> Result<()> {
        self.not_here(ino).map(|_| ())
    }

    fn stat(&mut self, ino: u64) -> Result<Stat> {
        if ino == ROOT || ino == PTS {
            return Ok(Stat {
                ino,
                mode: S_IFDIR | 0o755,
                nlink: 2,
                blksize: 4096,
                atime: self.created,
                mtime: self.created,
                ctime: self.created,
                ..Stat::default()
            });
        }
        let d = self.device(ino)?;
        Ok(Stat {
            ino,
            mode: d.mode,
            nlink: 1,
            uid: d.uid,
            gid: d.gid,
            rdev: d.rdev as u64,
            blksize: 4096,
            atime: d.time,
            mtime: d.time,
            ctime: d.time,
            ..Stat::default()
        })
    }

    fn read_dir_at(&mut self, dir: u64, pos: u64) -> Result<Option<(DirEntry, u64)>> {
        if dir != ROOT && dir != PTS {
            return self.device(dir).and(Err(Errno::ENOTDIR));
        }
        // Positions: 0 is ".", 1 is "..", 2 is `pts` (in the root), n > 2 is the
        // device with inode n.
        let dot = |ino: u64, name: &[u8]| DirEntry {
            ino,
            name: name.to_vec(),
            kind: NodeKind::Directory,
        };
        match pos {
            0 => return Ok(Some((dot(dir, b"."), 1))),
            1 => return Ok(Some((dot(ROOT, b".."), 2))),
            2 if dir == ROOT => return Ok(Some((dot(PTS, PTS_NAME), 3))),
            _ => {}
        }
        let from = pos.max(PTS + 1);
        Ok(self
            .devices
            .range(from..)
            .find(|(_, d)| d.dir == dir)
            .map(|(&ino, d)| {
                let entry = DirEntry {
                    ino,
                    name: d.name.clone(),
                    kind: NodeKind::CharDevice(d.rdev),
                };
                (entry, ino + 1)
            }))
    }

    fn statfs(&mut self) -> FsStat {
        FsStat {
            block_size: 4096,
            files: self.devices.len() as u64 + 1,
            name_max: crate::walk::NAME_MAX as u32,
            ..FsStat::default()
        }
    }

    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
}
