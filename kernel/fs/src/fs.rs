//! The public face of the driver: mounting, `sync`, `stat`, `statfs` and the
//! attribute setters. Name operations live in `namei.rs`, file contents in
//! `file.rs`; all three add methods to the one [`Ext2`] type.
//!
//! The API speaks in inode numbers, the way a VFS does: `lookup(dir, name)` gives
//! an inode number, and every other call takes one. Paths, symlink following
//! (and so `ELOOP`), permissions and open-file lifetimes are the VFS's business.
//! The design decision: `Ext2` owns everything — the device, the block cache, the
//! superblock and the group descriptors — and every method takes `&mut self`, so
//! the VFS serialises access with one lock and this crate needs none. Changes
//! live in the cache until [`Ext2::sync`], which leaves the disk exactly as
//! consistent as e2fsck expects.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::cache::BlockCache;
use crate::dir::NAME_MAX;
use crate::dirindex::DirIndexes;
use crate::error::{Errno, MountError, Result};
use crate::group::{self, GroupDesc};
use crate::icache::InodeCache;
use crate::inode::mode;
use crate::superblock::{Superblock, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};

/// Where timestamps come from: the caller's clock, in seconds since 1970.
pub trait Clock {
    /// The current time.
    fn now(&self) -> u32;
}

impl<F: Fn() -> u32> Clock for F {
    fn now(&self) -> u32 {
        self()
    }
}

/// The kind of file an inode is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Unknown,
    Regular,
    Directory,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Symlink,
}

impl FileType {
    pub(crate) fn from_dirent(code: u8) -> FileType {
        match code {
            1 => FileType::Regular,
            2 => FileType::Directory,
            3 => FileType::CharDevice,
            4 => FileType::BlockDevice,
            5 => FileType::Fifo,
            6 => FileType::Socket,
            7 => FileType::Symlink,
            _ => FileType::Unknown,
        }
    }

    pub(crate) fn dirent_code(self) -> u8 {
        match self {
            FileType::Unknown => 0,
            FileType::Regular => 1,
            FileType::Directory => 2,
            FileType::CharDevice => 3,
            FileType::BlockDevice => 4,
            FileType::Fifo => 5,
            FileType::Socket => 6,
            FileType::Symlink => 7,
        }
    }

    /// The type of an inode from its `i_mode`.
    pub fn from_mode(m: u16) -> FileType {
        match m & mode::S_IFMT {
            mode::S_IFREG => FileType::Regular,
            mode::S_IFDIR => FileType::Directory,
            mode::S_IFCHR => FileType::CharDevice,
            mode::S_IFBLK => FileType::BlockDevice,
            mode::S_IFIFO => FileType::Fifo,
            mode::S_IFSOCK => FileType::Socket,
            mode::S_IFLNK => FileType::Symlink,
            _ => FileType::Unknown,
        }
    }
}

/// What `stat` reports about an inode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub ino: u32,
    pub kind: FileType,
    /// Full `i_mode`: type bits and permission bits.
    pub mode: u16,
    pub nlink: u16,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub atime: u32,
    pub mtime: u32,
    pub ctime: u32,
    /// Space used, in 512-byte units (indirect blocks included).
    pub blocks: u64,
    /// Preferred I/O size: the file-system block size.
    pub blksize: u32,
}

/// What `statfs` reports about the file system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatFs {
    pub block_size: u32,
    pub blocks: u64,
    pub free_blocks: u64,
    /// Free blocks minus those reserved for the super-user.
    pub avail_blocks: u64,
    pub inodes: u64,
    pub free_inodes: u64,
    pub name_max: u32,
}

/// Mount-time choices.
#[derive(Clone, Copy, Debug)]
pub struct MountOptions {
    /// Refuse every change with `EROFS`.
    pub read_only: bool,
    /// Blocks the cache keeps in memory.
    pub cache_blocks: usize,
}

impl Default for MountOptions {
    fn default() -> Self {
        MountOptions {
            read_only: false,
            cache_blocks: crate::cache::DEFAULT_CAPACITY,
        }
    }
}

/// A mounted ext2 file system on device `D`.
pub struct Ext2<D: BlockDevice> {
    pub(crate) cache: BlockCache<D>,
    pub(crate) sb: Superblock,
    pub(crate) groups: Vec<GroupDesc>,
    /// The superblock or descriptors changed since the last sync.
    pub(crate) meta_dirty: bool,
    pub(crate) read_only: Option<&'static str>,
    clock: Box<dyn Clock + Send>,
    next_generation: u32,
    /// Inodes some caller holds open (`pin`), with their counts.
    pub(crate) pins: alloc::collections::BTreeMap<u32, u32>,
    /// Inodes whose last name is gone while pinned: kept (links 0) until unpinned.
    pub(crate) orphans: alloc::collections::BTreeSet<u32>,
    /// The in-memory indexes of large directories (a cache of their blocks).
    pub(crate) dirindex: DirIndexes,
    /// Parsed inodes, kept in step with the inode table (write-through).
    pub(crate) icache: InodeCache,
    /// Where the last `read_dir_at` step ended: (disk block, byte offset in it,
    /// the block cache's change count then). A listing resumes its walk of the
    /// block there instead of from the block's start, which made a listing
    /// quadratic in the entries per block.
    pub(crate) list_resume: Option<(u32, usize, u64)>,
}

impl<D: BlockDevice> Ext2<D> {
    /// Hold inode `ino` open: if its last name is removed meanwhile, its contents stay
    /// until the matching [`Ext2::unpin`] (the POSIX rule that an open file survives
    /// `unlink`).
    pub fn pin(&mut self, ino: u32) {
        *self.pins.entry(ino).or_insert(0) += 1;
    }

    /// Drop one hold on `ino`; an orphan is freed with its last hold.
    pub fn unpin(&mut self, ino: u32) -> Result<()> {
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
            let inode = self.read_inode(ino)?;
            self.release_inode(ino, inode)?;
        }
        Ok(())
    }

    /// Free every orphan now, holds or not (before the final sync at shutdown, so the
    /// image on disk has no nameless inodes).
    pub fn release_orphans(&mut self) -> Result<()> {
        let orphans = core::mem::take(&mut self.orphans);
        for ino in orphans {
            self.pins.remove(&ino);
            let inode = self.read_inode(ino)?;
            self.release_inode(ino, inode)?;
        }
        Ok(())
    }

    /// Mounts read-write when the image's features allow it (see
    /// [`Ext2::read_only_reason`]).
    pub fn mount(dev: D, clock: Box<dyn Clock + Send>) -> core::result::Result<Self, MountError> {
        Self::mount_with(dev, clock, MountOptions::default())
    }

    /// Mounts with explicit options. A journal that holds committed transactions is
    /// replayed first (unless the mount is read-only), and then used.
    pub fn mount_with(
        dev: D,
        clock: Box<dyn Clock + Send>,
        opts: MountOptions,
    ) -> core::result::Result<Self, MountError> {
        Self::mount_inner(dev, clock, opts, None)
    }

    /// The mount; `replayed` is what a replay just did (the second pass after it).
    fn mount_inner(
        mut dev: D,
        clock: Box<dyn Clock + Send>,
        opts: MountOptions,
        replayed: Option<(u64, u64)>,
    ) -> core::result::Result<Self, MountError> {
        let ss = dev.sector_size();
        if ss == 0 || !ss.is_power_of_two() || ss > 4096 {
            return Err(MountError::Fs(Errno::EINVAL));
        }
        let device_bytes = dev.sector_count().saturating_mul(ss as u64);
        // Read the sectors covering bytes 1024..2048 without knowing the block size.
        let first = SUPERBLOCK_OFFSET / ss as u64;
        let skip = (SUPERBLOCK_OFFSET % ss as u64) as usize;
        let mut buf = alloc::vec![0u8; (skip + SUPERBLOCK_SIZE).div_ceil(ss) * ss];
        dev.read_sectors(first, &mut buf)?;
        let mut raw = [0u8; SUPERBLOCK_SIZE];
        raw.copy_from_slice(&buf[skip..skip + SUPERBLOCK_SIZE]);
        let mut sb = Superblock::parse(&raw, device_bytes)?;
        if sb.block_size % ss != 0 {
            return Err(MountError::Fs(Errno::EINVAL));
        }
        let mut cache = BlockCache::new(dev, sb.block_size, opts.cache_blocks)?;
        if group::gdt_start(&sb) as u64 + sb.gdt_blocks as u64 > sb.blocks_count as u64 {
            return Err(MountError::Fs(Errno::EIO));
        }
        let groups = group::load(&mut cache, &sb)?;
        // Trust the descriptors over the superblock's totals, as Linux does.
        sb.free_blocks = groups.iter().map(|g| g.free_blocks as u32).sum();
        sb.free_inodes = groups.iter().map(|g| g.free_inodes as u32).sum();
        if sb.free_blocks > sb.blocks_count || sb.free_inodes > sb.inodes_count {
            return Err(MountError::Fs(Errno::EIO));
        }
        let read_only = if opts.read_only {
            Some(sb.read_only_reason.unwrap_or("read-only mount"))
        } else {
            sb.read_only_reason
        };
        let mut fs = Ext2 {
            cache,
            sb,
            groups,
            meta_dirty: false,
            read_only,
            clock,
            next_generation: 1,
            pins: alloc::collections::BTreeMap::new(),
            orphans: alloc::collections::BTreeSet::new(),
            dirindex: DirIndexes::new(),
            icache: InodeCache::new(),
            list_resume: None,
        };
        fs.next_generation = fs.now();
        let root = fs
            .live_inode(crate::superblock::ROOT_INO)
            .map_err(MountError::Fs)?;
        if !root.is_dir() {
            return Err(MountError::Fs(Errno::EIO));
        }
        if fs.sb.has_compat(crate::superblock::compat::HAS_JOURNAL) {
            if let Some(done) = fs.start_journal(replayed).map_err(MountError::Fs)? {
                // The replay may have changed the superblock and the descriptors:
                // mount again from what is on the disk now.
                let Ext2 { cache, clock, .. } = fs;
                return Self::mount_inner(cache.into_device(), clock, opts, Some(done));
            }
        }
        Ok(fs)
    }

    /// `Some(feature)` when the file system is mounted read-only, naming why.
    pub fn read_only_reason(&self) -> Option<&'static str> {
        self.read_only
    }

    /// Inode number of the root directory.
    pub fn root(&self) -> u32 {
        crate::superblock::ROOT_INO
    }

    /// The block size in bytes (1024, 2048 or 4096).
    pub fn block_size(&self) -> usize {
        self.sb.block_size
    }

    /// The largest file size the block map can address.
    pub fn max_file_size(&self) -> u64 {
        let limit = self.max_blocks() * self.sb.block_size as u64;
        if self.sb.rev_level == 0 {
            limit.min(i32::MAX as u64)
        } else {
            limit
        }
    }

    pub(crate) fn now(&self) -> u32 {
        self.clock.now()
    }

    pub(crate) fn new_generation(&mut self) -> u32 {
        self.next_generation = self.next_generation.wrapping_add(1);
        self.next_generation
    }

    /// The start of every changing operation: `EROFS` on a read-only mount; on a
    /// journaled one, the commit eviction asked for (between two operations, so a
    /// transaction never holds half of one).
    pub(crate) fn writable(&mut self) -> Result<()> {
        match self.read_only {
            Some(_) => Err(Errno::EROFS),
            None if self.cache.pressure || self.freed_blocks_needed() => self.sync(),
            None => Ok(()),
        }
    }

    /// Checks a name for a new directory entry.
    pub(crate) fn check_name(name: &[u8]) -> Result<()> {
        if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
            return Err(Errno::EINVAL);
        }
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(())
    }

    /// Write every change, then forget every cached block: returns how many blocks
    /// were dropped. The file system reads what it needs again from the disk.
    pub fn drop_caches(&mut self) -> Result<usize> {
        self.sync()?;
        self.dirindex.clear();
        self.icache.clear();
        Ok(self.cache.drop_clean())
    }

    /// Forget every directory index (memory given back; each is built again from
    /// the directory's blocks at its next name operation); returns how many there
    /// were. [`Ext2::drop_caches`] does this too.
    pub fn drop_dir_indexes(&mut self) -> usize {
        self.dirindex.clear()
    }

    /// Writes every change to the device (superblock, descriptors, then all dirty
    /// blocks in block order) and then flushes the device's write cache: when this
    /// returns Ok, everything written before it is on stable storage. EIO when a write
    /// or the flush failed; blocks that could not be written stay dirty for the next
    /// sync, and a failed flush promises nothing about what was written.
    pub fn sync(&mut self) -> Result<()> {
        if self.read_only.is_some() {
            return Ok(());
        }
        self.journal_before_sync();
        if self.meta_dirty {
            group::store(&mut self.cache, &self.sb, &self.groups)?;
            let now = self.now();
            let bytes = self.sb.to_bytes(now);
            let bs = self.sb.block_size as u64;
            let off = (SUPERBLOCK_OFFSET % bs) as usize;
            self.cache.modify(SUPERBLOCK_OFFSET / bs)?[off..off + SUPERBLOCK_SIZE]
                .copy_from_slice(&bytes);
            self.meta_dirty = false;
        }
        self.cache.sync()
    }

    /// Syncs and gives the device back.
    pub fn unmount(mut self) -> Result<D> {
        self.sync()?;
        Ok(self.cache.into_device())
    }

    /// The device (reads through it may miss unsynced changes).
    pub fn device(&self) -> &D {
        self.cache.device()
    }

    /// Attributes of inode `ino`.
    pub fn stat(&mut self, ino: u32) -> Result<Stat> {
        let blksize = self.sb.block_size as u32;
        self.with_live_inode(ino, |i| Stat {
            ino,
            kind: FileType::from_mode(i.mode),
            mode: i.mode,
            nlink: i.links,
            uid: i.uid,
            gid: i.gid,
            size: i.size,
            atime: i.atime,
            mtime: i.mtime,
            ctime: i.ctime,
            blocks: i.blocks as u64,
            blksize,
        })
    }

    /// File-system totals.
    pub fn statfs(&self) -> StatFs {
        StatFs {
            block_size: self.sb.block_size as u32,
            blocks: self.sb.blocks_count as u64,
            free_blocks: self.sb.free_blocks as u64,
            avail_blocks: self.sb.free_blocks.saturating_sub(self.sb.reserved_blocks) as u64,
            inodes: self.sb.inodes_count as u64,
            free_inodes: self.sb.free_inodes as u64,
            name_max: NAME_MAX as u32,
        }
    }

    /// chmod: sets the permission bits (`0o7777`), keeping the file type.
    pub fn set_mode(&mut self, ino: u32, perm: u16) -> Result<()> {
        self.writable()?;
        let mut i = self.live_inode(ino)?;
        i.mode = (i.mode & mode::S_IFMT) | (perm & 0o7777);
        i.ctime = self.now();
        self.write_inode(ino, &i)
    }

    /// chown: sets the owner and/or group.
    pub fn set_owner(&mut self, ino: u32, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        self.writable()?;
        let mut i = self.live_inode(ino)?;
        if let Some(u) = uid {
            i.uid = u;
        }
        if let Some(g) = gid {
            i.gid = g;
        }
        i.ctime = self.now();
        self.write_inode(ino, &i)
    }

    /// utimes: sets access and/or modification time; ctime becomes now.
    pub fn set_times(&mut self, ino: u32, atime: Option<u32>, mtime: Option<u32>) -> Result<()> {
        self.writable()?;
        let mut i = self.live_inode(ino)?;
        if let Some(a) = atime {
            i.atime = a;
        }
        if let Some(m) = mtime {
            i.mtime = m;
        }
        i.ctime = self.now();
        self.write_inode(ino, &i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::MemDisk;

    #[test]
    fn mounted_fs_can_move_between_threads_behind_a_kernel_lock() {
        fn assert_send<T: Send>() {}
        assert_send::<Ext2<MemDisk>>();
    }

    #[test]
    fn blank_device_is_refused_as_bad_magic() {
        let r = Ext2::mount(MemDisk::new(alloc::vec![0u8; 64 * 1024]), Box::new(|| 0));
        assert_eq!(r.err(), Some(MountError::BadMagic));
    }
}
