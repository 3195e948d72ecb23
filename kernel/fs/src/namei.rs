//! Name operations: lookup, create, mkdir, symlink, link, unlink, rmdir, rename
//! and directory listing.
//!
//! The invariants kept here are the ones e2fsck checks hardest: an inode's link
//! count equals the number of names that refer to it, and a directory's count is
//! 2 plus its number of subdirectories (each child's `..` is a link to the
//! parent). The design decision: every operation checks everything that can fail
//! for a user reason (`EEXIST`, `ENOTEMPTY`, `EMLINK`, ...) before changing
//! anything, and the only allocation that can still fail afterwards (a new
//! directory block, `ENOSPC`) happens before any name or count is changed, or is
//! rolled back, so a failed call leaves the file system as it was.

use alloc::vec::Vec;

use crate::block::BlockDevice;
use crate::dir::DirEntry;
use crate::error::{corrupt, Errno, Result};
use crate::fs::{Ext2, FileType};
use crate::inode::{mode, Inode};

/// Most links an inode may have (Linux ext2's `EXT2_LINK_MAX`).
pub const LINK_MAX: u16 = 32000;

/// Who owns a new inode and its permission bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewOwner {
    /// Permission bits (`0o7777` at most).
    pub perm: u16,
    pub uid: u32,
    pub gid: u32,
}

impl NewOwner {
    /// Root-owned with the given permissions.
    pub fn root(perm: u16) -> NewOwner {
        NewOwner {
            perm,
            uid: 0,
            gid: 0,
        }
    }
}

fn is_dot(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

impl<D: BlockDevice> Ext2<D> {
    /// Directory `ino`, for any name operation in it. A removed directory still
    /// held open (an orphan: no links) is dead: it has no names, not even `..`,
    /// and takes none (`ENOENT`, as Linux gives for a deleted working directory),
    /// so nothing can be created inside an inode that is freed at its last close.
    fn dir_inode(&mut self, ino: u32) -> Result<Inode> {
        let d = self.live_inode(ino)?;
        if !d.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if d.links == 0 {
            return Err(Errno::ENOENT);
        }
        Ok(d)
    }

    /// The inode number `name` refers to in directory `dir`.
    pub fn lookup(&mut self, dir: u32, name: impl AsRef<[u8]>) -> Result<u32> {
        let name = name.as_ref();
        if name.len() > crate::dir::NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let d = self.dir_inode(dir)?;
        self.find_ino(dir, &d, name)?.ok_or(Errno::ENOENT)
    }

    /// Resolves an absolute or root-relative path such as `/a/b/c`, without
    /// following symlinks (that is the VFS's job).
    pub fn lookup_path(&mut self, path: impl AsRef<[u8]>) -> Result<u32> {
        let mut cur = self.root();
        for comp in path
            .as_ref()
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
        {
            cur = self.lookup(cur, comp)?;
        }
        Ok(cur)
    }

    /// All names in directory `dir`, `.` and `..` included.
    pub fn read_dir(&mut self, dir: u32) -> Result<Vec<DirEntry>> {
        let d = self.dir_inode(dir)?;
        let mut out = Vec::new();
        let mut pos = 0;
        while let Some((e, next)) = self.dir_entry_at(&d, pos)? {
            out.push(e);
            pos = next;
        }
        Ok(out)
    }

    /// One entry at a time, for `getdents`: the entry at or after byte position
    /// `pos` and the position to continue from, or `None` at the end.
    pub fn read_dir_at(&mut self, dir: u32, pos: u64) -> Result<Option<(DirEntry, u64)>> {
        let d = self.dir_inode(dir)?;
        self.dir_entry_at(&d, pos)
    }

    /// Allocates and links a new inode of type `fmt` named `name` in `dir`;
    /// `fill` gives it its contents. Undone completely on failure.
    fn make_node(
        &mut self,
        dir: u32,
        name: &[u8],
        fmt: u16,
        owner: NewOwner,
        fill: &dyn Fn(&mut Self, u32, &mut Inode) -> Result<()>,
    ) -> Result<u32> {
        self.writable()?;
        Self::check_name(name)?;
        let mut d = self.dir_inode(dir)?;
        if self.find_ino(dir, &d, name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        let is_dir = fmt == mode::S_IFDIR;
        if is_dir && d.links >= LINK_MAX {
            return Err(Errno::EMLINK);
        }
        let ino = self.alloc_inode(dir, is_dir)?;
        self.clear_inode(ino)?;
        let now = self.now();
        let mut inode = Inode {
            mode: fmt | (owner.perm & 0o7777),
            uid: owner.uid,
            gid: owner.gid,
            atime: now,
            ctime: now,
            mtime: now,
            links: if is_dir { 2 } else { 1 },
            generation: self.new_generation(),
            ..Inode::default()
        };
        let kind = FileType::from_mode(inode.mode);
        let made = fill(self, ino, &mut inode)
            .and_then(|()| self.write_inode(ino, &inode))
            .and_then(|()| self.add_entry(dir, &mut d, name, ino, kind));
        if let Err(e) = made {
            self.release_inode(ino, inode)?;
            return Err(e);
        }
        if is_dir {
            d.links += 1;
            self.write_inode(dir, &d)?;
        }
        Ok(ino)
    }

    /// Creates an empty regular file.
    pub fn create(&mut self, dir: u32, name: impl AsRef<[u8]>, owner: NewOwner) -> Result<u32> {
        self.make_node(dir, name.as_ref(), mode::S_IFREG, owner, &|_, _, _| Ok(()))
    }

    /// Creates a directory holding `.` and `..`.
    pub fn mkdir(&mut self, dir: u32, name: impl AsRef<[u8]>, owner: NewOwner) -> Result<u32> {
        self.make_node(
            dir,
            name.as_ref(),
            mode::S_IFDIR,
            owner,
            &|fs, ino, inode| {
                let (b, _) = fs.bmap_alloc(inode, 0, 0)?;
                fs.init_dir_block(b, ino, dir)?;
                inode.size = fs.sb.block_size as u64;
                Ok(())
            },
        )
    }

    /// Creates a symbolic link to `target` (not checked, may dangle).
    pub fn symlink(
        &mut self,
        dir: u32,
        name: impl AsRef<[u8]>,
        target: impl AsRef<[u8]>,
        owner: NewOwner,
    ) -> Result<u32> {
        let target = target.as_ref();
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= self.sb.block_size || target.contains(&0) {
            return Err(if target.contains(&0) {
                Errno::EINVAL
            } else {
                Errno::ENAMETOOLONG
            });
        }
        let owner = NewOwner {
            perm: 0o777,
            ..owner
        };
        self.make_node(dir, name.as_ref(), mode::S_IFLNK, owner, &|fs, _, inode| {
            fs.store_symlink_target(inode, target)
        })
    }

    /// Adds the name `name` in `dir` for the existing inode `ino` (not a directory).
    pub fn link(&mut self, ino: u32, dir: u32, name: impl AsRef<[u8]>) -> Result<()> {
        let name = name.as_ref();
        self.writable()?;
        Self::check_name(name)?;
        let mut target = self.live_inode(ino)?;
        if target.is_dir() {
            return Err(Errno::EPERM);
        }
        if target.links >= LINK_MAX {
            return Err(Errno::EMLINK);
        }
        let mut d = self.dir_inode(dir)?;
        if self.find_ino(dir, &d, name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        let kind = FileType::from_mode(target.mode);
        self.add_entry(dir, &mut d, name, ino, kind)?;
        target.links += 1;
        target.ctime = self.now();
        self.write_inode(ino, &target)
    }

    /// Drops one link: the inode is freed when none is left (or kept as an orphan while
    /// it is pinned).
    fn drop_link(&mut self, ino: u32, mut inode: Inode) -> Result<()> {
        inode.links = inode.links.saturating_sub(1);
        if inode.links == 0 {
            self.release_or_orphan(ino, inode)
        } else {
            inode.ctime = self.now();
            self.write_inode(ino, &inode)
        }
    }

    /// Removes the name of a non-directory; frees the inode at its last link, unless it
    /// is pinned (open): then it lives on, nameless, until unpinned.
    pub fn unlink(&mut self, dir: u32, name: impl AsRef<[u8]>) -> Result<()> {
        let name = name.as_ref();
        self.writable()?;
        if is_dot(name) {
            return Err(Errno::EISDIR);
        }
        let mut d = self.dir_inode(dir)?;
        let ino = self.find_ino(dir, &d, name)?.ok_or(Errno::ENOENT)?;
        let target = self.live_inode(ino)?;
        if target.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.remove_entry(dir, &mut d, name)?;
        self.drop_link(ino, target)
    }

    /// Removes an empty directory.
    pub fn rmdir(&mut self, dir: u32, name: impl AsRef<[u8]>) -> Result<()> {
        let name = name.as_ref();
        self.writable()?;
        if name == b"." {
            return Err(Errno::EINVAL);
        }
        if name == b".." {
            return Err(Errno::ENOTEMPTY);
        }
        let mut d = self.dir_inode(dir)?;
        let ino = self.find_ino(dir, &d, name)?.ok_or(Errno::ENOENT)?;
        let target = self.live_inode(ino)?;
        if !target.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if !self.dir_is_empty(&target)? {
            return Err(Errno::ENOTEMPTY);
        }
        self.remove_entry(dir, &mut d, name)?;
        d.links = d.links.saturating_sub(1);
        self.write_inode(dir, &d)?;
        self.release_or_orphan(ino, target)
    }

    /// The last name of `ino` is gone: free it, or keep it (links 0) while pinned.
    fn release_or_orphan(&mut self, ino: u32, mut inode: Inode) -> Result<()> {
        if self.pins.contains_key(&ino) {
            inode.links = 0;
            inode.ctime = self.now();
            self.write_inode(ino, &inode)?;
            self.orphans.insert(ino);
            Ok(())
        } else {
            self.release_inode(ino, inode)
        }
    }

    /// Fails with `EINVAL` when directory `dir` is `ancestor` or lies below it.
    fn check_not_below(&mut self, dir: u32, ancestor: u32) -> Result<()> {
        let mut cur = dir;
        // A sane tree is at most inodes_count deep; more means a `..` loop.
        for _ in 0..=self.sb.inodes_count {
            if cur == ancestor {
                return Err(Errno::EINVAL);
            }
            if cur == self.root() {
                return Ok(());
            }
            let parent = self.lookup(cur, "..")?;
            if parent == cur {
                return corrupt();
            }
            cur = parent;
        }
        corrupt()
    }

    /// Renames `oname` in `odir` to `nname` in `ndir`, replacing an existing
    /// `nname` (a file by a file, an empty directory by a directory).
    pub fn rename(
        &mut self,
        odir: u32,
        oname: impl AsRef<[u8]>,
        ndir: u32,
        nname: impl AsRef<[u8]>,
    ) -> Result<()> {
        let (oname, nname) = (oname.as_ref(), nname.as_ref());
        self.writable()?;
        Self::check_name(nname)?;
        if is_dot(oname) || is_dot(nname) {
            return Err(Errno::EINVAL);
        }
        let od = self.dir_inode(odir)?;
        let nd = self.dir_inode(ndir)?;
        let src_ino = self.find_ino(odir, &od, oname)?.ok_or(Errno::ENOENT)?;
        let mut src = self.live_inode(src_ino)?;
        let existing = self.find_ino(ndir, &nd, nname)?;
        if existing == Some(src_ino) {
            return Ok(());
        }
        let mut replaced = None;
        if let Some(t) = existing {
            let tgt = self.live_inode(t)?;
            if src.is_dir() {
                if !tgt.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                if !self.dir_is_empty(&tgt)? {
                    return Err(Errno::ENOTEMPTY);
                }
            } else if tgt.is_dir() {
                return Err(Errno::EISDIR);
            }
            replaced = Some((t, tgt));
        }
        let moving_dir = src.is_dir() && odir != ndir;
        if moving_dir {
            self.check_not_below(ndir, src_ino)?;
            if replaced.is_none() && nd.links >= LINK_MAX {
                return Err(Errno::EMLINK);
            }
        }
        let kind = FileType::from_mode(src.mode);
        let now = self.now();
        // 1. The new name (the only step that may allocate).
        let mut nd = nd;
        if replaced.is_some() {
            self.retarget_entry(ndir, &nd, nname, src_ino, kind)?;
            nd.mtime = now;
            nd.ctime = now;
            self.write_inode(ndir, &nd)?;
        } else {
            self.add_entry(ndir, &mut nd, nname, src_ino, kind)?;
        }
        // 2. The old name (re-read: odir may be ndir).
        let mut od = self.dir_inode(odir)?;
        self.remove_entry(odir, &mut od, oname)?;
        // 3. The replaced inode loses its name; a replaced directory also its `..`.
        if let Some((t, mut tgt)) = replaced {
            if tgt.is_dir() {
                tgt.links = 1;
                let mut nd = self.dir_inode(ndir)?;
                nd.links = nd.links.saturating_sub(1);
                self.write_inode(ndir, &nd)?;
            }
            self.drop_link(t, tgt)?;
        }
        // 4. A moved directory's `..` and the parents' link counts.
        if moving_dir {
            self.retarget_entry(src_ino, &src, b"..", ndir, FileType::Directory)?;
            let mut od = self.dir_inode(odir)?;
            od.links = od.links.saturating_sub(1);
            self.write_inode(odir, &od)?;
            let mut nd = self.dir_inode(ndir)?;
            nd.links += 1;
            self.write_inode(ndir, &nd)?;
        }
        src.ctime = now;
        self.write_inode(src_ino, &src)
    }
}
