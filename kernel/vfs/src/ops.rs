//! The file-management system calls as the VFS sees them: open, mkdir, mknod,
//! unlink, rmdir, rename, link, symlink, readlink, stat, truncate, read, write.
//!
//! Chapter 2 lists these calls (create and delete files, open and close, read,
//! write and reposition, get and set attributes) as one family; each is here as
//! one method taking the caller's credentials, working directory and a path
//! (what each call must be allowed is in `perm.rs`). The design
//! decision: the VFS checks what depends on the *tree* (the path, mount points,
//! which name may be replaced, `EXDEV` between file systems) and delegates what
//! depends on the *file system* (is the directory empty, is the rename legal
//! inside it) to that file system in one call, so a rename is as atomic as the
//! file system makes it. Offsets and `O_APPEND` belong to the kernel's open-file
//! object; here reads and writes take an explicit offset.

use alloc::vec::Vec;

use abi::flags::*;
use abi::{Errno, Stat};
use cred::{capable, Access, Capability, Credentials, S_ISGID};

use crate::filesystem::{DirEntry, NodeKind, Result};
use crate::mount::{NodeRef, Vfs};
use crate::perm;
use crate::walk::{Parent, MAXSYMLINKS, PATH_MAX};

/// The result of [`Vfs::open`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened {
    pub node: NodeRef,
    pub kind: NodeKind,
    /// `O_CREAT` made a new file.
    pub created: bool,
    /// A regular file whose contents the layer above makes at open (procfs, see
    /// [`FileSystem::generated`](crate::FileSystem::generated)).
    pub generated: bool,
}

fn is_dots(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

fn wants_write(flags: u32) -> bool {
    flags & O_ACCMODE != O_RDONLY
}

impl Vfs {
    /// Opens (and with `O_CREAT` perhaps creates, with permission bits `mode`
    /// owned by `cred`'s effective uid and gid) the file `path`. Honours
    /// `O_CREAT`, `O_EXCL`, `O_TRUNC`, `O_DIRECTORY` and `O_NOFOLLOW`; `EISDIR`
    /// when a directory is opened for writing. An existing file must grant `cred`
    /// read and/or write by `O_ACCMODE`, and write for `O_TRUNC` (`EACCES`); a
    /// file this call creates is opened whatever its mode, as POSIX says.
    pub fn open(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
        flags: u32,
        mode: u32,
    ) -> Result<Opened> {
        self.open_checked(cred, cwd, path, flags, mode, &mut |_| Ok(()))
    }

    /// [`Vfs::open`] with a check of the layer above on a file that already
    /// exists, made before anything is checked or changed (before `O_TRUNC`): the
    /// kernel refuses there to open a running program for writing (`ETXTBSY`)
    /// without walking the path a second time to find out.
    pub fn open_checked(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
        flags: u32,
        mode: u32,
        existing: &mut dyn FnMut(NodeRef) -> Result<()>,
    ) -> Result<Opened> {
        let path = path.as_ref();
        let follow = flags & O_NOFOLLOW == 0;
        // Without O_CREAT, the attributes the walk read of the file (the same
        // lock hold) serve the permission check below.
        let (node, kind, created, walked) = if flags & O_CREAT != 0 {
            let (node, kind, created) = self.open_create(cred, cwd, path, flags, mode)?;
            (node, kind, created, None)
        } else {
            let (node, st) = self.resolve_stat(cred, cwd, path, follow)?;
            let kind = st.as_ref().map_or(NodeKind::Directory, NodeKind::from_stat);
            (node, kind, false, st)
        };
        match kind {
            NodeKind::Symlink => return Err(Errno::ELOOP), // O_NOFOLLOW met a link
            NodeKind::Directory if wants_write(flags) || flags & O_CREAT != 0 => {
                return Err(Errno::EISDIR);
            }
            NodeKind::Directory => {}
            _ if flags & O_DIRECTORY != 0 => return Err(Errno::ENOTDIR),
            _ => {}
        }
        if !created {
            existing(node)?;
            let fs = self.fs(node)?;
            if kind == NodeKind::Regular && wants_write(flags) && !fs.writable(node.ino) {
                return Err(Errno::EROFS);
            }
            let st = match walked {
                Some(st) => st,
                None => fs.stat(node.ino)?,
            };
            let acc = flags & O_ACCMODE;
            let trunc = flags & O_TRUNC != 0 && kind == NodeKind::Regular;
            let want = Access {
                r: acc != O_WRONLY,
                w: acc != O_RDONLY || trunc,
                x: false,
            };
            perm::may(cred, &st, want)?;
            if trunc && st.size != 0 {
                self.fs(node)?.truncate(node.ino, 0)?;
                self.cut_pages(node, 0);
            }
        }
        let generated = kind == NodeKind::Regular && self.fs(node)?.generated();
        Ok(Opened {
            node,
            kind,
            created,
            generated,
        })
    }

    /// The `O_CREAT` half of open: find or create the last component, following
    /// a final symlink (even a dangling one, creating its target) unless
    /// `O_NOFOLLOW` or `O_EXCL`.
    fn open_create(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: &[u8],
        flags: u32,
        mode: u32,
    ) -> Result<(NodeRef, NodeKind, bool)> {
        let mut links = 0;
        let mut p = self.walk_parent(cred, cwd, path, &mut links)?;
        loop {
            let name = p.name();
            match self.step(p.dir, name) {
                Ok(node) => {
                    if flags & O_EXCL != 0 {
                        return Err(Errno::EEXIST);
                    }
                    let kind = self.kind(node)?;
                    if kind == NodeKind::Symlink && flags & O_NOFOLLOW == 0 {
                        links += 1;
                        if links > MAXSYMLINKS {
                            return Err(Errno::ELOOP);
                        }
                        let mut target = self.fs(node)?.readlink(node.ino)?;
                        if p.trailing {
                            target.push(b'/');
                        }
                        p = self
                            .walk_parent(cred, p.dir, &target, &mut links)?
                            .into_owned();
                        continue;
                    }
                    if p.trailing && !kind.is_dir() {
                        return Err(Errno::ENOTDIR);
                    }
                    return Ok((node, kind, false));
                }
                Err(Errno::ENOENT) => {
                    if p.trailing {
                        return Err(Errno::EISDIR);
                    }
                    self.may_create(cred, p.dir)?;
                    let (uid, gid) = (cred.euid, cred.egid);
                    let made = self.fs(p.dir)?.create(p.dir.ino, name, mode, uid, gid);
                    let node = self.named(p.dir, name, made)?;
                    return Ok((node, NodeKind::Regular, true));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Splits `path` for a call that makes a new name: `EEXIST` if it is taken
    /// (symlinks are not followed) or is `.`, `..` or `/`; `EACCES` unless `cred`
    /// may write in the directory.
    fn new_name<'a>(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: &'a [u8],
    ) -> Result<Parent<'a>> {
        let mut links = 0;
        let p = self.walk_parent(cred, cwd, path, &mut links)?;
        let name = p.name();
        if is_dots(name) {
            return Err(Errno::EEXIST);
        }
        match self.lookup_here(p.dir, name) {
            Ok(_) => Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {
                self.may_create(cred, p.dir)?;
                Ok(p)
            }
            Err(e) => Err(e),
        }
    }

    /// Creates directory `path`, owned by `cred`'s effective ids.
    pub fn mkdir(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
        mode: u32,
    ) -> Result<NodeRef> {
        let p = self.new_name(cred, cwd, path.as_ref())?;
        let (uid, gid) = (cred.euid, cred.egid);
        let made = self.fs(p.dir)?.mkdir(p.dir.ino, p.name(), mode, uid, gid);
        self.named(p.dir, p.name(), made)
    }

    /// Creates a device node `path` (`mode` with its `S_IF*` type bits); a
    /// character or block device needs [`Capability::Mknod`] (`EPERM`).
    pub fn mknod(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
        mode: u32,
        rdev: u32,
    ) -> Result<NodeRef> {
        if matches!(mode & S_IFMT, S_IFCHR | S_IFBLK) {
            perm::require(cred, Capability::Mknod)?;
        }
        let p = self.new_name(cred, cwd, path.as_ref())?;
        if p.trailing {
            return Err(Errno::ENOENT);
        }
        let (uid, gid) = (cred.euid, cred.egid);
        let made = self
            .fs(p.dir)?
            .mknod(p.dir.ino, p.name(), mode, rdev, uid, gid);
        self.named(p.dir, p.name(), made)
    }

    /// Creates symlink `path` pointing at `target` (which may dangle).
    pub fn symlink(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        target: impl AsRef<[u8]>,
        path: impl AsRef<[u8]>,
    ) -> Result<NodeRef> {
        let target = target.as_ref();
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let p = self.new_name(cred, cwd, path.as_ref())?;
        if p.trailing {
            return Err(Errno::ENOENT);
        }
        let (uid, gid) = (cred.euid, cred.egid);
        let made = self
            .fs(p.dir)?
            .symlink(p.dir.ino, p.name(), target, uid, gid);
        self.named(p.dir, p.name(), made)
    }

    /// Gives the file `old` (not followed if a symlink) the new name `new`.
    pub fn link(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        old: impl AsRef<[u8]>,
        new: impl AsRef<[u8]>,
    ) -> Result<()> {
        let (node, kind) = self.resolve_kind(cred, cwd, old.as_ref(), false)?;
        if kind.is_dir() {
            return Err(Errno::EPERM);
        }
        let p = self.new_name(cred, cwd, new.as_ref())?;
        if p.dir.mount != node.mount {
            return Err(Errno::EXDEV);
        }
        if p.trailing {
            return Err(Errno::ENOENT);
        }
        let r = self.fs(node)?.link(node.ino, p.dir.ino, p.name());
        match r {
            Ok(()) => self.names.insert(p.dir, p.name(), Some(node.ino)),
            Err(_) => self.names.remove(p.dir, p.name()),
        }
        r
    }

    /// After a file system made a new node named `name` in `dir` (`made`): the
    /// node, and the name cache told. A new inode number may be one a removed
    /// node had, so nothing cached below it can stay.
    fn named(&mut self, dir: NodeRef, name: &[u8], made: Result<u64>) -> Result<NodeRef> {
        match made {
            Ok(ino) => {
                let node = NodeRef {
                    mount: dir.mount,
                    ino,
                };
                self.names.forget_dir(node);
                self.names.insert(dir, name, Some(ino));
                Ok(node)
            }
            Err(e) => {
                self.names.remove(dir, name);
                Err(e)
            }
        }
    }

    /// After a file system removed (`gone`) the name `name` of `node` in `dir`:
    /// the name cache told; a removed directory's names go too.
    fn unnamed(
        &mut self,
        dir: NodeRef,
        name: &[u8],
        node: NodeRef,
        gone: Result<()>,
    ) -> Result<()> {
        match gone {
            Ok(()) => {
                self.names.forget_dir(node);
                self.names.insert(dir, name, None);
            }
            Err(_) => self.names.remove(dir, name),
        }
        gone
    }

    /// Splits `path` for a call that removes or moves a name: the directory, the
    /// name, and the node as that directory's file system has it. `EBUSY` for
    /// `/`, `.`-free paths are checked by the caller.
    fn existing_name<'a>(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: &'a [u8],
    ) -> Result<(Parent<'a>, NodeRef, NodeKind)> {
        let mut links = 0;
        let p = self.walk_parent(cred, cwd, path, &mut links)?;
        if p.name.is_none() {
            return Err(Errno::EBUSY);
        }
        let node = self.lookup_here(p.dir, p.name())?;
        let kind = self.kind(node)?;
        Ok((p, node, kind))
    }

    /// Removes the name of a non-directory.
    pub fn unlink(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
    ) -> Result<()> {
        let path = path.as_ref();
        let (p, node, kind) = match self.existing_name(cred, cwd, path) {
            Err(Errno::EBUSY) => return Err(Errno::EISDIR),
            r => r?,
        };
        if kind.is_dir() || is_dots(p.name()) {
            return Err(Errno::EISDIR);
        }
        if p.trailing {
            return Err(Errno::ENOTDIR);
        }
        self.may_delete(cred, p.dir, node)?;
        let gone = self.fs(p.dir)?.unlink(p.dir.ino, p.name());
        self.unnamed(p.dir, p.name(), node, gone)?;
        self.forget_if_freed(node);
        Ok(())
    }

    /// Removes an empty directory: `ENOTEMPTY`, `EBUSY` for `/` and for mount
    /// points, `EINVAL` for `.`.
    pub fn rmdir(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
    ) -> Result<()> {
        let (p, node, kind) = self.existing_name(cred, cwd, path.as_ref())?;
        match p.name() {
            b"." => return Err(Errno::EINVAL),
            b".." => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        if !kind.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if self.is_covered(node) {
            return Err(Errno::EBUSY);
        }
        self.may_delete(cred, p.dir, node)?;
        let gone = self.fs(p.dir)?.rmdir(p.dir.ino, p.name());
        self.unnamed(p.dir, p.name(), node, gone)
    }

    /// Renames `old` to `new`, replacing `new` when the file system allows it.
    /// `EXDEV` between file systems, `EBUSY` for mount points, `.`, `..` and `/`.
    /// `cred` must be allowed to remove `old` and to add (or replace) `new`, and
    /// to write a directory that moves to another parent (its `..` changes).
    pub fn rename(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        old: impl AsRef<[u8]>,
        new: impl AsRef<[u8]>,
    ) -> Result<()> {
        let (op, onode, okind) = self.existing_name(cred, cwd, old.as_ref())?;
        let mut links = 0;
        let np = self.walk_parent(cred, cwd, new.as_ref(), &mut links)?;
        if np.name.is_none() || is_dots(op.name()) || is_dots(np.name()) {
            return Err(Errno::EBUSY);
        }
        if (op.trailing || np.trailing) && !okind.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if op.dir.mount != np.dir.mount {
            return Err(Errno::EXDEV);
        }
        if self.is_covered(onode) {
            return Err(Errno::EBUSY);
        }
        let target = match self.lookup_here(np.dir, np.name()) {
            Ok(t) if self.is_covered(t) => return Err(Errno::EBUSY),
            Ok(t) => Some(t),
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(e),
        };
        self.may_delete(cred, op.dir, onode)?;
        match target {
            Some(t) => self.may_delete(cred, np.dir, t)?,
            None => self.may_create(cred, np.dir)?,
        }
        if okind.is_dir() && op.dir != np.dir {
            self.may_access(cred, onode, Access::WRITE)?;
        }
        let (oname, nname) = (op.name().to_vec(), np.name().to_vec());
        let r = self
            .fs(op.dir)?
            .rename(op.dir.ino, &oname, np.dir.ino, &nname);
        // Two names of one inode: POSIX says rename does nothing, so the cache
        // is only told of a real move; a replaced node's names go (its inode
        // may be freed and reused).
        match (&r, target) {
            (Ok(()), Some(t)) if t == onode => {}
            (Ok(()), t) => {
                if let Some(t) = t {
                    self.names.forget_dir(t);
                }
                self.names.insert(op.dir, &oname, None);
                self.names.insert(np.dir, &nname, Some(onode.ino));
            }
            (Err(_), _) => {
                self.names.remove(op.dir, &oname);
                self.names.remove(np.dir, &nname);
            }
        }
        if let (Ok(()), Some(t)) = (&r, target) {
            self.forget_if_freed(t);
        }
        r
    }

    /// The target of symlink `path` (`EINVAL` if it is not one).
    pub fn readlink(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
    ) -> Result<Vec<u8>> {
        let (node, kind) = self.resolve_kind(cred, cwd, path.as_ref(), false)?;
        if kind != NodeKind::Symlink {
            return Err(Errno::EINVAL);
        }
        self.link_target(node)
    }

    /// `stat`: attributes of what `path` names, symlinks followed.
    pub fn stat(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
    ) -> Result<Stat> {
        match self.resolve_stat(cred, cwd, path.as_ref(), true)? {
            (_, Some(st)) => Ok(st),
            (node, None) => self.stat_node(node),
        }
    }

    /// `lstat`: like [`Vfs::stat`] but a final symlink is described itself.
    pub fn lstat(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
    ) -> Result<Stat> {
        match self.resolve_stat(cred, cwd, path.as_ref(), false)? {
            (_, Some(st)) => Ok(st),
            (node, None) => self.stat_node(node),
        }
    }

    /// Hold `node` open (see [`FileSystem::pin`]): an open file or a working
    /// directory. While held, a node outlives its last name and its mount cannot
    /// be unmounted.
    pub fn pin(&mut self, node: NodeRef) -> Result<()> {
        let m = self.mounts.get_mut(&node.mount).ok_or(Errno::ENOENT)?;
        m.fs.pin(node.ino);
        m.holds += 1;
        Ok(())
    }

    /// Release a hold taken with [`Vfs::pin`].
    pub fn unpin(&mut self, node: NodeRef) -> Result<()> {
        let m = self.mounts.get_mut(&node.mount).ok_or(Errno::ENOENT)?;
        m.holds = m.holds.saturating_sub(1);
        m.fs.unpin(node.ino)?;
        self.forget_if_freed(node);
        Ok(())
    }

    /// `chmod`: set the permission bits of what `path` names (symlinks followed).
    /// Only the owner, or a process with [`Capability::Fowner`], may (`EPERM`);
    /// set-group-id is dropped when the caller is not in the file's group and
    /// not privileged, as POSIX allows.
    pub fn chmod(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
        perm: u32,
    ) -> Result<()> {
        let node = self.resolve(cred, cwd, path, true)?;
        let st = self.fs(node)?.stat(node.ino)?;
        perm::may_own(cred, &st)?;
        let mut perm = perm;
        if !cred.in_group(st.gid) && !capable(cred, Capability::Fowner) {
            perm &= !S_ISGID;
        }
        self.fs(node)?.set_mode(node.ino, perm)
    }

    /// `utimes`: set access and modification times (`None` leaves one unchanged).
    /// `explicit`: some time was given by the caller rather than "now"; that
    /// needs the owner or [`Capability::Fowner`] (`EPERM`), while setting the
    /// times to now needs only write permission (`EACCES`).
    pub fn set_times(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
        atime: Option<i64>,
        mtime: Option<i64>,
        explicit: bool,
    ) -> Result<()> {
        let node = self.resolve(cred, cwd, path, true)?;
        let st = self.fs(node)?.stat(node.ino)?;
        if explicit {
            perm::may_own(cred, &st)?;
        } else if perm::may_own(cred, &st).is_err() {
            perm::may(cred, &st, Access::WRITE)?;
        }
        self.fs(node)?.set_times(node.ino, atime, mtime)
    }

    /// Sets the size of the regular file `path`, which `cred` must be allowed to
    /// write (`EACCES`).
    pub fn truncate(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
        size: u64,
    ) -> Result<()> {
        let node = self.resolve(cred, cwd, path, true)?;
        self.truncatable(node)?;
        self.may_access(cred, node, Access::WRITE)?;
        self.fs(node)?.truncate(node.ino, size)?;
        self.cut_pages(node, size);
        Ok(())
    }

    pub(crate) fn truncatable(&mut self, node: NodeRef) -> Result<()> {
        match self.kind(node)? {
            NodeKind::Regular => Ok(()),
            NodeKind::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The entry at or after position `pos` of directory `node`, and the next
    /// position; `None` at the end.
    pub fn read_dir_at(&mut self, node: NodeRef, pos: u64) -> Result<Option<(DirEntry, u64)>> {
        self.fs(node)?.read_dir_at(node.ino, pos)
    }
}
