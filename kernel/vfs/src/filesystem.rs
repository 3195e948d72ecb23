//! The contract between the VFS and each file system: [`FileSystem`].
//!
//! Chapter 2 lists file management among the services an OS gives programs; the
//! services are the same whatever holds the files (a disk, RAM, the device table),
//! so the VFS speaks to every file system through this one trait. The design
//! decision: the trait is *inode-number based*, exactly like the ext2 crate.
//! A file system knows directories and inode numbers, one name at a time; paths,
//! symlink following, mount points and open-file offsets belong to the VFS. So a
//! new file system implements about twenty small methods and gets all of path
//! resolution for free.

use alloc::vec::Vec;

use abi::flags::*;
use abi::{Errno, Stat};

/// Results of this crate: errors are the ABI's errno values, ready for a program.
pub type Result<T> = core::result::Result<T, Errno>;

/// What kind of file a node is (the `S_IFMT` part of its mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Regular,
    Directory,
    Symlink,
    /// A character device and its device number (`rdev`).
    CharDevice(u32),
    /// A block device and its device number.
    BlockDevice(u32),
    Fifo,
    Socket,
    Unknown,
}

impl NodeKind {
    /// The kind a `stat` result describes.
    pub fn from_stat(st: &Stat) -> NodeKind {
        match st.mode & S_IFMT {
            S_IFREG => NodeKind::Regular,
            S_IFDIR => NodeKind::Directory,
            S_IFLNK => NodeKind::Symlink,
            S_IFCHR => NodeKind::CharDevice(st.rdev as u32),
            S_IFBLK => NodeKind::BlockDevice(st.rdev as u32),
            S_IFIFO => NodeKind::Fifo,
            S_IFSOCK => NodeKind::Socket,
            _ => NodeKind::Unknown,
        }
    }

    /// The `d_type` code `getdents` reports (`DT_*`).
    pub fn dirent_type(self) -> u8 {
        match self {
            NodeKind::Regular => DT_REG,
            NodeKind::Directory => DT_DIR,
            NodeKind::Symlink => DT_LNK,
            NodeKind::CharDevice(_) => DT_CHR,
            NodeKind::BlockDevice(_) => DT_BLK,
            NodeKind::Fifo => DT_FIFO,
            NodeKind::Socket => 12,
            NodeKind::Unknown => DT_UNKNOWN,
        }
    }

    pub fn is_dir(self) -> bool {
        self == NodeKind::Directory
    }
}

/// One name in a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    pub name: Vec<u8>,
    pub kind: NodeKind,
}

/// File-system totals, for `statfs` and `df`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsStat {
    /// Bytes per block (the unit of the three block counts).
    pub block_size: u32,
    pub blocks: u64,
    pub free_blocks: u64,
    /// Free blocks an ordinary user may use.
    pub avail_blocks: u64,
    /// Inodes in total and free.
    pub files: u64,
    pub free_files: u64,
    /// Longest name.
    pub name_max: u32,
}

/// A file system as the VFS sees it. Every method takes `&mut self`: the VFS is
/// used under one lock, so implementations need none.
///
/// Errors follow POSIX: `ENOENT` for a missing name, `ENOTDIR` when `dir` is not a
/// directory, `EEXIST` when a new name is taken, `EROFS` for any change on a
/// read-only file system, and so on. The names passed in are single components
/// (never `.`, `..` or containing `/` when they are new names; `lookup` must
/// answer `..`).
///
/// Names change only through this trait's calls (create, mkdir, symlink, mknod,
/// link, unlink, rmdir, rename): the VFS caches what `lookup` answers (`dcache.rs`)
/// and keeps that cache exact by those calls alone, so a file system whose names
/// appeared or vanished by themselves would be seen wrongly.
pub trait FileSystem: Send {
    /// A short type name: "ext2", "tmpfs", "devfs".
    fn name(&self) -> &str;
    /// True when every change fails with `EROFS`.
    fn read_only(&self) -> bool;
    /// The root directory's inode number.
    fn root(&self) -> u64;
    /// The inode `name` refers to in directory `dir` (`..` included).
    fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64>;
    /// Creates an empty regular file with permission bits `perm`.
    fn create(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64>;
    /// Creates a directory holding `.` and `..`.
    fn mkdir(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64>;
    /// Creates a symbolic link to `target`.
    fn symlink(&mut self, dir: u64, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<u64>;
    /// Creates a device node (`mode` carries the type bits). Most file systems
    /// cannot: the default is `EPERM`.
    fn mknod(
        &mut self,
        _dir: u64,
        _name: &[u8],
        _mode: u32,
        _rdev: u32,
        _uid: u32,
        _gid: u32,
    ) -> Result<u64> {
        Err(Errno::EPERM)
    }
    /// Adds the name `name` in `dir` for the existing non-directory `ino`.
    fn link(&mut self, ino: u64, dir: u64, name: &[u8]) -> Result<()>;
    /// Removes a non-directory's name; the inode goes with its last link.
    fn unlink(&mut self, dir: u64, name: &[u8]) -> Result<()>;
    /// Removes an empty directory.
    fn rmdir(&mut self, dir: u64, name: &[u8]) -> Result<()>;
    /// Moves `oname` in `odir` to `nname` in `ndir`, replacing a file by a file or
    /// an empty directory by a directory, atomically.
    fn rename(&mut self, odir: u64, oname: &[u8], ndir: u64, nname: &[u8]) -> Result<()>;
    /// A symlink's target.
    fn readlink(&mut self, ino: u64) -> Result<Vec<u8>>;
    /// Reads a regular file at `off`; 0 at the end.
    fn read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> Result<usize>;
    /// Writes a regular file at `off`, growing it; may write less than asked when
    /// space runs out (`ENOSPC` when nothing fits).
    fn write(&mut self, ino: u64, off: u64, data: &[u8]) -> Result<usize>;
    /// Sets a regular file's size.
    fn truncate(&mut self, ino: u64, size: u64) -> Result<()>;
    /// Plan a read of regular file `ino` from `off` (page-aligned) into `buf` (a
    /// page) that leaves the disk for later, with nothing held: copy what is in
    /// memory (cached blocks, holes) into `buf` and return the runs of sectors of the
    /// mount's device that still must be read ([`Vfs::set_mount_disk`](crate::Vfs)).
    /// Bytes past the end of the file may be anything (the VFS zeroes them). `None`
    /// (the default): this file system is read only through [`FileSystem::read`].
    fn plan_read(
        &mut self,
        _ino: u64,
        _off: u64,
        _buf: &mut [u8],
    ) -> Option<Result<Vec<crate::fill::DiskRun>>> {
        None
    }
    /// Attributes; the VFS fills in `dev` (the mount id).
    fn stat(&mut self, ino: u64) -> Result<Stat>;
    /// The entry at or after position `pos` of directory `dir` and the position
    /// after it, or `None` at the end. Position 0 is the start.
    fn read_dir_at(&mut self, dir: u64, pos: u64) -> Result<Option<(DirEntry, u64)>>;
    /// Totals.
    fn statfs(&mut self) -> FsStat;
    /// Writes every change to the device.
    fn sync(&mut self) -> Result<()>;
    /// Sync and leave the device as a clean unmount does (a journal emptied): at
    /// `umount` and power-off. The default is [`FileSystem::sync`].
    fn checkpoint(&mut self) -> Result<()> {
        self.sync()
    }
    /// Writes every change and forgets what is cached from the device (it is read
    /// again when needed); returns how many blocks were dropped. File systems that
    /// cache nothing of a device (tmpfs is its own contents) drop nothing.
    fn drop_caches(&mut self) -> Result<usize> {
        Ok(0)
    }
    /// Hold `ino` open: its contents must survive the removal of its last name until
    /// the matching `unpin` (POSIX open-file lifetime).
    fn pin(&mut self, _ino: u64) {}
    /// Drop one hold; a nameless inode is freed with its last hold.
    fn unpin(&mut self, _ino: u64) -> Result<()> {
        Ok(())
    }
    /// Free every nameless-but-held inode now (shutdown).
    fn release_orphans(&mut self) -> Result<()> {
        Ok(())
    }
    /// Change the permission bits of `ino` (`chmod`).
    fn set_mode(&mut self, _ino: u64, _perm: u32) -> Result<()> {
        Err(Errno::EPERM)
    }
    /// Set access and modification times (seconds; `None` leaves one unchanged).
    fn set_times(&mut self, _ino: u64, _atime: Option<i64>, _mtime: Option<i64>) -> Result<()> {
        Err(Errno::EPERM)
    }
    /// Change the owner and/or group of `ino` (`chown`; `None` leaves one).
    fn set_owner(&mut self, _ino: u64, _uid: Option<u32>, _gid: Option<u32>) -> Result<()> {
        Err(Errno::EPERM)
    }
    /// Do names change only through this trait's calls? A file system whose names
    /// come and go by themselves (procfs: a directory per live process) says no, and
    /// the VFS then never caches its names (`dcache.rs`), asking it at every step.
    fn names_are_stable(&self) -> bool {
        true
    }
    /// Are regular files' contents made by a layer above when they are opened
    /// (procfs: text generated from kernel state) rather than kept here? Then the
    /// page cache never holds them and `open` hands the node to that layer
    /// ([`Opened::generated`](crate::Opened)); [`FileSystem::read`] is not used.
    fn generated(&self) -> bool {
        false
    }
    /// May regular file `ino` be opened for writing? A read-only file system may make
    /// exceptions (procfs: the settings under `/proc/sys`, whose writes its generated
    /// files take); the permission bits are checked after this, as for any file.
    fn writable(&mut self, _ino: u64) -> bool {
        !self.read_only()
    }
    /// A "magic" symbolic link (procfs's `cwd`, `fd/N`): one that names a node of any
    /// mount rather than holding a path. `Some((dir, rest))`: the link's target is
    /// directory `dir`'s path with `rest` appended (`rest` may be empty; an absolute
    /// `rest` is the whole target). The VFS makes the text with
    /// [`Vfs::path_of`](crate::Vfs::path_of), which a file system cannot reach.
    /// `None` (the default): an ordinary link, read with [`FileSystem::readlink`].
    fn link_node(&mut self, _ino: u64) -> Option<Result<(crate::NodeRef, Vec<u8>)>> {
        None
    }
    /// May a file's contents read back differ from the bytes written (a module's file
    /// system, rot13fs: stored transformed)? Then [`Vfs::write`](crate::Vfs::write)
    /// fills the cached pages a write falls in from [`FileSystem::read`] rather than
    /// copying the writer's bytes into them.
    fn transforms_writes(&self) -> bool {
        false
    }
}

/// The ABI errno for an error of the ext2 crate (the numbers are the same).
pub fn from_fs_errno(e: fs::Errno) -> Errno {
    Errno::from_code(e.code()).unwrap_or(Errno::EIO)
}

/// Checks a new name: not empty, no `/` or NUL, at most 255 bytes.
pub fn check_name(name: &[u8]) -> Result<()> {
    if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    if name.len() > crate::walk::NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}
