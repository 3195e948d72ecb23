//! ext2 as a [`FileSystem`]: the adapter between the VFS and the `fs` crate.
//!
//! The disk file system of chapter 2's "file management" keeps its own API
//! (32-bit inode numbers, its own `Stat`, its own error type); this file only
//! translates. The design decision: the adapter adds no behaviour at all, so a
//! bug seen through the VFS is either in the VFS or reproducible on `fs::Ext2`
//! directly.

use alloc::vec::Vec;

use abi::{Errno, Stat};
use fs::{BlockDevice, Ext2, NewOwner};

use crate::filesystem::{from_fs_errno, DirEntry, FileSystem, FsStat, NodeKind, Result};
use crate::fill::DiskRun;

/// Inode numbers above `u32::MAX` cannot exist on ext2.
fn ino32(ino: u64) -> Result<u32> {
    u32::try_from(ino).map_err(|_| Errno::ENOENT)
}

fn owner(perm: u32, uid: u32, gid: u32) -> NewOwner {
    NewOwner {
        perm: (perm & 0o7777) as u16,
        uid,
        gid,
    }
}

fn kind(t: fs::FileType) -> NodeKind {
    match t {
        fs::FileType::Regular => NodeKind::Regular,
        fs::FileType::Directory => NodeKind::Directory,
        fs::FileType::Symlink => NodeKind::Symlink,
        fs::FileType::CharDevice => NodeKind::CharDevice(0),
        fs::FileType::BlockDevice => NodeKind::BlockDevice(0),
        fs::FileType::Fifo => NodeKind::Fifo,
        fs::FileType::Socket => NodeKind::Socket,
        fs::FileType::Unknown => NodeKind::Unknown,
    }
}

impl<D: BlockDevice + Send> FileSystem for Ext2<D> {
    fn name(&self) -> &str {
        "ext2"
    }

    fn read_only(&self) -> bool {
        self.read_only_reason().is_some()
    }

    fn root(&self) -> u64 {
        Ext2::root(self) as u64
    }

    fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64> {
        Ext2::lookup(self, ino32(dir)?, name)
            .map(u64::from)
            .map_err(from_fs_errno)
    }

    fn create(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64> {
        Ext2::create(self, ino32(dir)?, name, owner(perm, uid, gid))
            .map(u64::from)
            .map_err(from_fs_errno)
    }

    fn mkdir(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64> {
        Ext2::mkdir(self, ino32(dir)?, name, owner(perm, uid, gid))
            .map(u64::from)
            .map_err(from_fs_errno)
    }

    fn symlink(&mut self, dir: u64, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<u64> {
        Ext2::symlink(self, ino32(dir)?, name, target, owner(0o777, uid, gid))
            .map(u64::from)
            .map_err(from_fs_errno)
    }

    fn link(&mut self, ino: u64, dir: u64, name: &[u8]) -> Result<()> {
        Ext2::link(self, ino32(ino)?, ino32(dir)?, name).map_err(from_fs_errno)
    }

    fn unlink(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        Ext2::unlink(self, ino32(dir)?, name).map_err(from_fs_errno)
    }

    fn rmdir(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        Ext2::rmdir(self, ino32(dir)?, name).map_err(from_fs_errno)
    }

    fn rename(&mut self, odir: u64, oname: &[u8], ndir: u64, nname: &[u8]) -> Result<()> {
        Ext2::rename(self, ino32(odir)?, oname, ino32(ndir)?, nname).map_err(from_fs_errno)
    }

    fn readlink(&mut self, ino: u64) -> Result<Vec<u8>> {
        Ext2::readlink(self, ino32(ino)?).map_err(from_fs_errno)
    }

    fn read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> Result<usize> {
        Ext2::read(self, ino32(ino)?, off, buf).map_err(from_fs_errno)
    }

    fn write(&mut self, ino: u64, off: u64, data: &[u8]) -> Result<usize> {
        Ext2::write(self, ino32(ino)?, off, data).map_err(from_fs_errno)
    }

    fn plan_read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> Option<Result<Vec<DiskRun>>> {
        let runs =
            ino32(ino).and_then(|i| Ext2::plan_read(self, i, off, buf).map_err(from_fs_errno));
        Some(runs.map(|r| {
            r.into_iter()
                .map(|(sector, at, len)| DiskRun { sector, at, len })
                .collect()
        }))
    }

    fn truncate(&mut self, ino: u64, size: u64) -> Result<()> {
        Ext2::truncate(self, ino32(ino)?, size).map_err(from_fs_errno)
    }

    fn pin(&mut self, ino: u64) {
        if let Ok(i) = ino32(ino) {
            Ext2::pin(self, i);
        }
    }

    fn unpin(&mut self, ino: u64) -> Result<()> {
        Ext2::unpin(self, ino32(ino)?).map_err(from_fs_errno)
    }

    fn release_orphans(&mut self) -> Result<()> {
        Ext2::release_orphans(self).map_err(from_fs_errno)
    }

    fn checkpoint(&mut self) -> Result<()> {
        Ext2::checkpoint(self).map_err(from_fs_errno)
    }

    fn set_mode(&mut self, ino: u64, perm: u32) -> Result<()> {
        Ext2::set_mode(self, ino32(ino)?, (perm & 0o7777) as u16).map_err(from_fs_errno)
    }

    fn set_owner(&mut self, ino: u64, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        Ext2::set_owner(self, ino32(ino)?, uid, gid).map_err(from_fs_errno)
    }

    fn set_times(&mut self, ino: u64, atime: Option<i64>, mtime: Option<i64>) -> Result<()> {
        let t = |v: Option<i64>| v.map(|s| s.clamp(0, u32::MAX as i64) as u32);
        Ext2::set_times(self, ino32(ino)?, t(atime), t(mtime)).map_err(from_fs_errno)
    }

    fn stat(&mut self, ino: u64) -> Result<Stat> {
        let s = Ext2::stat(self, ino32(ino)?).map_err(from_fs_errno)?;
        Ok(Stat {
            dev: 0,
            ino: s.ino as u64,
            mode: s.mode as u32,
            nlink: s.nlink as u32,
            uid: s.uid,
            gid: s.gid,
            rdev: 0,
            size: s.size,
            blksize: s.blksize as u64,
            blocks: s.blocks,
            atime: s.atime as i64,
            mtime: s.mtime as i64,
            ctime: s.ctime as i64,
        })
    }

    fn read_dir_at(&mut self, dir: u64, pos: u64) -> Result<Option<(DirEntry, u64)>> {
        let next = Ext2::read_dir_at(self, ino32(dir)?, pos).map_err(from_fs_errno)?;
        Ok(next.map(|(e, pos)| {
            (
                DirEntry {
                    ino: e.ino as u64,
                    name: e.name,
                    kind: kind(e.kind),
                },
                pos,
            )
        }))
    }

    fn statfs(&mut self) -> FsStat {
        let s = Ext2::statfs(self);
        FsStat {
            block_size: s.block_size,
            blocks: s.blocks,
            free_blocks: s.free_blocks,
            avail_blocks: s.avail_blocks,
            files: s.inodes,
            free_files: s.free_inodes,
            name_max: s.name_max,
        }
    }

    fn sync(&mut self) -> Result<()> {
        Ext2::sync(self).map_err(from_fs_errno)
    }

    fn drop_caches(&mut self) -> Result<usize> {
        Ext2::drop_caches(self).map_err(from_fs_errno)
    }
}
