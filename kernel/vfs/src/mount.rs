//! The mount table: which file system answers for which directory.
//!
//! Chapter 2's layered file system has many file systems below one tree of
//! names; mounting is how a directory of one (the *mount point*, say `/tmp` on
//! the ext2 disk) comes to show the root of another (a tmpfs). The design
//! decision: a mount is found by the node it covers, a [`NodeRef`] key in a map,
//! and a mount's root remembers the node it covers. Path resolution therefore
//! crosses downward with one map lookup after each step, and `..` at a mount's
//! root climbs back to the covered directory, so `cd /tmp/..` lands in `/`.
//! Mount ids are never reused, so a stale [`NodeRef`] of an unmounted file system
//! fails (`ENOENT`) instead of naming a node of a newer one. Each mount counts the
//! holds (`pin`) on its nodes — open files and working directories — and refuses to
//! be unmounted (`EBUSY`) while any is left, so no hold can outlive its file system.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use abi::Errno;
use cred::{Capability, Credentials};

use crate::dcache::NameCache;
use crate::filesystem::{FileSystem, FsStat, Result};
use crate::pagecache::{HeapPages, PageCache};
use crate::perm;

/// A node anywhere in the tree: which mount, which inode there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeRef {
    pub mount: u32,
    pub ino: u64,
}

pub(crate) struct Mount {
    pub fs: Box<dyn FileSystem>,
    pub root: u64,
    /// The directory this mount hides; `None` for the root file system.
    pub covered: Option<NodeRef>,
    /// Holds on nodes of this mount (open files, working directories).
    pub holds: u64,
    /// The device under it, when page-cache misses may be read with the VFS let go
    /// (see `fill.rs`).
    pub disk: Option<alloc::sync::Arc<dyn crate::fill::RawDisk>>,
}

/// The bit of `node` in [`Vfs`]'s filter of covered nodes.
fn cover_bit(node: NodeRef) -> u64 {
    1 << ((node.ino ^ u64::from(node.mount) << 3) & 63)
}

/// One line of `mount` or `df`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountInfo {
    pub id: u32,
    /// Where it is mounted (`/`, `/tmp`).
    pub path: Vec<u8>,
    /// The file-system type: "ext2", "tmpfs", "devfs".
    pub fs_type: String,
    pub read_only: bool,
}

/// The virtual file system: the mount table plus every name operation (see
/// `walk.rs` and `ops.rs`). One per kernel, behind one lock.
pub struct Vfs {
    pub(crate) mounts: BTreeMap<u32, Mount>,
    /// Covered directory -> the root of the mount on it.
    pub(crate) covers: BTreeMap<NodeRef, NodeRef>,
    /// A filter of `covers`: bit [`cover_bit`] of every covered node is set, so
    /// a step onto a node whose bit is clear (nearly every step) skips the map.
    cover_bits: u64,
    /// Names already looked up (see `dcache.rs`).
    pub(crate) names: NameCache,
    next_id: u32,
    root_mount: u32,
    /// Regular files' contents (see `fileio.rs`).
    pub(crate) pages: PageCache,
    /// Nodes with a page fill in flight: (generation, fills). See `fill.rs`.
    pub(crate) fills: BTreeMap<NodeRef, (u64, u32)>,
}

impl Vfs {
    /// A tree whose root directory is the root of `root_fs` (mount id 1).
    pub fn new(root_fs: Box<dyn FileSystem>) -> Vfs {
        let root = root_fs.root();
        let mut mounts = BTreeMap::new();
        mounts.insert(
            1,
            Mount {
                fs: root_fs,
                root,
                covered: None,
                holds: 0,
                disk: None,
            },
        );
        Vfs {
            mounts,
            covers: BTreeMap::new(),
            cover_bits: 0,
            names: NameCache::default(),
            next_id: 2,
            root_mount: 1,
            pages: PageCache::new(Box::new(HeapPages::new()), crate::fileio::DEFAULT_PAGES),
            fills: BTreeMap::new(),
        }
    }

    /// The root directory `/`.
    pub fn root(&self) -> NodeRef {
        NodeRef {
            mount: self.root_mount,
            ino: self.mounts[&self.root_mount].root,
        }
    }

    pub(crate) fn mount_of(&self, node: NodeRef) -> Result<&Mount> {
        self.mounts.get(&node.mount).ok_or(Errno::ENOENT)
    }

    /// The file system holding `node`.
    pub(crate) fn fs(&mut self, node: NodeRef) -> Result<&mut dyn FileSystem> {
        match self.mounts.get_mut(&node.mount) {
            Some(m) => Ok(m.fs.as_mut()),
            None => Err(Errno::ENOENT),
        }
    }

    /// True when `node` is the root directory of its mount.
    pub fn is_mount_root(&self, node: NodeRef) -> bool {
        self.mounts
            .get(&node.mount)
            .is_some_and(|m| m.root == node.ino)
    }

    /// True when a file system is mounted on `node` (it is hidden).
    pub fn is_covered(&self, node: NodeRef) -> bool {
        self.cover_bits & cover_bit(node) != 0 && self.covers.contains_key(&node)
    }

    /// The node a path step lands on: the root of whatever is mounted on `node`.
    pub(crate) fn cross_down(&self, mut node: NodeRef) -> NodeRef {
        while self.cover_bits & cover_bit(node) != 0 {
            let Some(&root) = self.covers.get(&node) else {
                break;
            };
            node = root;
        }
        node
    }

    /// Mounts `fs` on the directory `path` (absolute, symlinks followed); returns
    /// the new mount id. `EPERM` unless `cred` has [`Capability::Mount`]; `EBUSY`
    /// if something is already mounted there.
    pub fn mount(
        &mut self,
        cred: &Credentials,
        path: impl AsRef<[u8]>,
        fs: Box<dyn FileSystem>,
    ) -> Result<u32> {
        perm::require(cred, Capability::Mount)?;
        let root = self.root();
        let node = self.resolve(cred, root, path, true)?;
        if !self.kind(node)?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if self.is_mount_root(node) {
            return Err(Errno::EBUSY);
        }
        let id = self.next_id;
        self.next_id += 1;
        let root = fs.root();
        self.mounts.insert(
            id,
            Mount {
                fs,
                root,
                covered: Some(node),
                holds: 0,
                disk: None,
            },
        );
        self.covers.insert(
            node,
            NodeRef {
                mount: id,
                ino: root,
            },
        );
        self.cover_bits |= cover_bit(node);
        Ok(id)
    }

    /// Unmounts the file system whose root is `path`, after syncing it, and
    /// gives it back. `EPERM` unless `cred` has [`Capability::Mount`]; `EINVAL`
    /// if `path` is not a mount point, `EBUSY` for `/`, when another file system
    /// is mounted below it, or while any of its nodes is held (an open file, a
    /// working directory).
    pub fn umount(
        &mut self,
        cred: &Credentials,
        path: impl AsRef<[u8]>,
    ) -> Result<Box<dyn FileSystem>> {
        perm::require(cred, Capability::Mount)?;
        let root = self.root();
        let node = self.resolve(cred, root, path, true)?;
        if !self.is_mount_root(node) {
            return Err(Errno::EINVAL);
        }
        let id = node.mount;
        if id == self.root_mount {
            return Err(Errno::EBUSY);
        }
        if self
            .mounts
            .values()
            .any(|m| m.covered.is_some_and(|c| c.mount == id))
        {
            return Err(Errno::EBUSY);
        }
        if self.mount_of(node)?.holds > 0 {
            return Err(Errno::EBUSY);
        }
        self.drop_mount_pages(id)?;
        let fs = self.fs(node)?;
        // No holds means no orphans should be left; free any anyway before the
        // last sync, so the disk is left with no nameless inodes.
        fs.release_orphans()?;
        fs.checkpoint()?;
        let m = self.mounts.remove(&id).ok_or(Errno::EINVAL)?;
        if let Some(c) = m.covered {
            self.covers.remove(&c);
            self.cover_bits = self.covers.keys().fold(0, |b, &n| b | cover_bit(n));
        }
        self.names.forget_mount(id);
        Ok(m.fs)
    }

    /// Every mount, in mounting order (for `mount` and `df`).
    pub fn mounts(&mut self) -> Vec<MountInfo> {
        let list: Vec<(u32, Option<NodeRef>)> =
            self.mounts.iter().map(|(&id, m)| (id, m.covered)).collect();
        let mut out = Vec::new();
        for (id, covered) in list {
            let path = match covered {
                None => Vec::from(&b"/"[..]),
                Some(c) => self.path_of(c).unwrap_or_else(|_| Vec::from(&b"?"[..])),
            };
            let m = &self.mounts[&id];
            out.push(MountInfo {
                id,
                path,
                fs_type: String::from(m.fs.name()),
                read_only: m.fs.read_only(),
            });
        }
        out
    }

    /// True while some node of mount `id` is held (see [`Vfs::pin`]).
    pub fn is_busy(&self, id: u32) -> bool {
        self.mounts.get(&id).is_some_and(|m| m.holds > 0)
    }

    /// Entries in the name cache now (positive and negative).
    pub fn cached_names(&self) -> usize {
        self.names.len()
    }

    /// The mount id of the file system holding `node` (the `dev` of `stat`).
    pub fn mount_id(&self, node: NodeRef) -> u32 {
        node.mount
    }

    /// Totals of mount `id` (`EINVAL` for an unknown id).
    pub fn statfs(&mut self, id: u32) -> Result<FsStat> {
        match self.mounts.get_mut(&id) {
            Some(m) => Ok(m.fs.statfs()),
            None => Err(Errno::EINVAL),
        }
    }

    /// Free every nameless-but-open inode on every file system, then sync: what the
    /// kernel does last before power-off, so the disks are left with no orphans.
    pub fn shutdown(&mut self) -> Result<()> {
        self.write_back_all()?;
        for m in self.mounts.values_mut() {
            m.fs.release_orphans()?;
        }
        // Each file system left as a clean unmount leaves it (a journal emptied).
        let mut first = Ok(());
        for m in self.mounts.values_mut() {
            if let Err(e) = m.fs.checkpoint() {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    /// Writes the changes of the file system holding `node` to its device (fsync).
    pub fn sync_node(&mut self, node: NodeRef) -> Result<()> {
        self.write_back(node)?;
        self.fs(node)?.sync()
    }

    /// Write every file system's changes and drop what each caches of its device
    /// (privileged: [`Capability::SysAdmin`](cred::Capability::SysAdmin)). Returns
    /// the blocks dropped; the first error is returned after all have been tried.
    pub fn drop_caches(&mut self, cred: &cred::Credentials) -> Result<usize> {
        if !cred::capable(cred, cred::Capability::SysAdmin) {
            return Err(Errno::EPERM);
        }
        self.names.clear();
        let mut dropped = 0;
        let mut first = Ok(());
        match self.drop_clean_pages() {
            Ok(n) => dropped += n,
            Err(e) => first = Err(e),
        }
        for m in self.mounts.values_mut() {
            match m.fs.drop_caches() {
                Ok(n) => dropped += n,
                Err(e) if first.is_ok() => first = Err(e),
                Err(_) => {}
            }
        }
        first.map(|()| dropped)
    }

    /// Writes every file system's changes to its device; the first error is
    /// returned after all have been tried.
    pub fn sync_all(&mut self) -> Result<()> {
        let mut first = self.write_back_all();
        for m in self.mounts.values_mut() {
            if let Err(e) = m.fs.sync() {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }
}
