//! Path resolution: from a string such as `../lib/./x` to a [`NodeRef`].
//!
//! Every file-management call names its file by a path, so this is the part of
//! the VFS every program exercises. A path is walked one component at a time
//! from `/` or from the caller's working directory: `.` stays, `..` goes up (from
//! a mount's root, up into the file system it is mounted on), a step onto a
//! mount point lands on the mounted root, and a symbolic link is replaced by its
//! target. The design decision: resolution is a loop over a *growing string*,
//! not a recursion. When a link is met, its target is spliced in front of what
//! is left of the path, so nesting costs no kernel stack, and one counter of
//! links followed (at most [`MAXSYMLINKS`], then `ELOOP`) bounds the whole walk.
//! The last component is resolved separately, because each call treats it its
//! own way (open may create it, unlink must not follow it, mkdir wants it absent).
//! Protection happens on the way: every directory a name is looked up in must
//! grant the caller search (`x`) permission, or the walk stops with `EACCES`; the
//! attributes the walk already reads to tell directories from links carry the
//! owner and mode the check needs, so it costs no extra file-system call.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use abi::{Errno, Stat};
use cred::{Access, Credentials};

use crate::dcache::Cached;
use crate::filesystem::{NodeKind, Result};
use crate::mount::{NodeRef, Vfs};
use crate::perm;

/// Longest path a call accepts, in bytes.
pub const PATH_MAX: usize = 4096;
/// Longest single name.
pub const NAME_MAX: usize = 255;
/// Symbolic links one resolution may follow.
pub const MAXSYMLINKS: u32 = 40;

/// A path split into the directory that holds its last component and that
/// component, which borrows the caller's path unless a symlink was spliced in.
pub(crate) struct Parent<'a> {
    pub dir: NodeRef,
    /// `None` when the path has no component at all (`/`).
    pub name: Option<Cow<'a, [u8]>>,
    /// The path ended in `/`: the last component must be a directory.
    pub trailing: bool,
}

impl Parent<'_> {
    /// The last component, or `.` for `/`.
    pub fn name(&self) -> &[u8] {
        self.name.as_deref().unwrap_or(b".")
    }

    /// The same, owning its name (to outlive the path it was split from).
    pub fn into_owned(self) -> Parent<'static> {
        Parent {
            dir: self.dir,
            name: self.name.map(|n| Cow::Owned(n.into_owned())),
            trailing: self.trailing,
        }
    }
}

fn is_dots(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

impl Vfs {
    /// Attributes of `node`, `dev` being its mount id.
    pub fn stat_node(&mut self, node: NodeRef) -> Result<Stat> {
        let mut st = self.fs(node)?.stat(node.ino)?;
        st.dev = node.mount as u64;
        Ok(st)
    }

    /// The kind of `node`.
    pub fn kind(&mut self, node: NodeRef) -> Result<NodeKind> {
        Ok(NodeKind::from_stat(&self.stat_node(node)?))
    }

    /// One step from directory `dir` by `name`, with `.`, `..` and mount crossing.
    pub(crate) fn step(&mut self, dir: NodeRef, name: &[u8]) -> Result<NodeRef> {
        match name {
            b"." => Ok(dir),
            b".." => {
                let mut d = dir;
                while self.is_mount_root(d) {
                    match self.mount_of(d)?.covered {
                        Some(c) => d = c,
                        None => return Ok(d), // `..` of `/` is `/`
                    }
                }
                let up = self.fs(d)?.lookup(d.ino, b"..")?;
                Ok(self.cross_down(NodeRef {
                    mount: d.mount,
                    ino: up,
                }))
            }
            _ => {
                let ino = self.lookup_name(dir, name)?;
                Ok(self.cross_down(NodeRef {
                    mount: dir.mount,
                    ino,
                }))
            }
        }
    }

    /// `name` in `dir` as that file system has it, *not* crossing into a file
    /// system mounted there (for unlink, rmdir, rename).
    pub(crate) fn lookup_here(&mut self, dir: NodeRef, name: &[u8]) -> Result<NodeRef> {
        let ino = if is_dots(name) {
            self.fs(dir)?.lookup(dir.ino, name)?
        } else {
            self.lookup_name(dir, name)?
        };
        Ok(NodeRef {
            mount: dir.mount,
            ino,
        })
    }

    /// The inode `name` (not `.` or `..`) refers to in `dir`, from the name cache
    /// when it knows, else from the file system, whose answer (an inode or
    /// `ENOENT`) is then cached.
    fn lookup_name(&mut self, dir: NodeRef, name: &[u8]) -> Result<u64> {
        if !self.fs(dir)?.names_are_stable() {
            return self.fs(dir)?.lookup(dir.ino, name);
        }
        match self.names.get(dir, name) {
            Cached::Inode(ino) => Ok(ino),
            Cached::Absent => Err(Errno::ENOENT),
            Cached::Unknown => match self.fs(dir)?.lookup(dir.ino, name) {
                Ok(ino) => {
                    self.names.insert(dir, name, Some(ino));
                    Ok(ino)
                }
                Err(Errno::ENOENT) => {
                    self.names.insert(dir, name, None);
                    Err(Errno::ENOENT)
                }
                Err(e) => Err(e),
            },
        }
    }

    fn follow_link(&mut self, link: NodeRef, links: &mut u32) -> Result<Vec<u8>> {
        *links += 1;
        if *links > MAXSYMLINKS {
            return Err(Errno::ELOOP);
        }
        let target = self.link_target(link)?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        Ok(target)
    }

    /// The text of symlink `link`: its stored target, or for a magic link
    /// ([`FileSystem::link_node`](crate::FileSystem::link_node)) the path of the node
    /// it names.
    pub(crate) fn link_target(&mut self, link: NodeRef) -> Result<Vec<u8>> {
        let Some(named) = self.fs(link)?.link_node(link.ino) else {
            return self.fs(link)?.readlink(link.ino);
        };
        let (dir, rest) = named?;
        if rest.first() == Some(&b'/') {
            return Ok(rest);
        }
        let mut text = self.path_of(dir)?;
        if !rest.is_empty() {
            if text.last() != Some(&b'/') {
                text.push(b'/');
            }
            text.extend_from_slice(&rest);
        }
        Ok(text)
    }

    /// Walks every component of `path` but the last, following symlinks; the
    /// directory reached must be a directory (`ENOTDIR`). Every directory a name
    /// is looked up in, the returned one included when a name is left, must grant
    /// `cred` search permission (`EACCES`).
    pub(crate) fn walk_parent<'a>(
        &mut self,
        cred: &Credentials,
        start: NodeRef,
        path: &'a [u8],
        links: &mut u32,
    ) -> Result<Parent<'a>> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() > PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        // The path left to walk: the caller's, until a symlink is spliced in.
        let mut rest: Cow<'a, [u8]> = Cow::Borrowed(path);
        let mut pos = 0;
        let mut cur = if rest[0] == b'/' { self.root() } else { start };
        // The attributes of `cur`: its kind, and its owner and mode for the check.
        let mut cur_st = self.stat_node(cur)?;
        loop {
            while pos < rest.len() && rest[pos] == b'/' {
                pos += 1;
            }
            if !NodeKind::from_stat(&cur_st).is_dir() {
                return Err(Errno::ENOTDIR);
            }
            if pos == rest.len() {
                let trailing = true;
                return Ok(Parent {
                    dir: cur,
                    name: None,
                    trailing,
                });
            }
            let end = rest[pos..]
                .iter()
                .position(|&c| c == b'/')
                .map_or(rest.len(), |i| pos + i);
            if end - pos > NAME_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            // A name is about to be looked up in `cur` (here or by the caller).
            perm::may(cred, &cur_st, Access::EXEC)?;
            let mut after = end;
            while after < rest.len() && rest[after] == b'/' {
                after += 1;
            }
            if after == rest.len() {
                let name = match rest {
                    Cow::Borrowed(b) => Cow::Borrowed(&b[pos..end]),
                    Cow::Owned(ref v) => Cow::Owned(v[pos..end].to_vec()),
                };
                return Ok(Parent {
                    dir: cur,
                    name: Some(name),
                    trailing: end < rest.len(),
                });
            }
            let next = self.step(cur, &rest[pos..end])?;
            let st = self.stat_node(next)?;
            if NodeKind::from_stat(&st) == NodeKind::Symlink {
                let mut spliced = self.follow_link(next, links)?;
                spliced.push(b'/');
                spliced.extend_from_slice(&rest[after..]);
                if spliced[0] == b'/' {
                    cur = self.root();
                    cur_st = self.stat_node(cur)?;
                }
                rest = Cow::Owned(spliced);
                pos = 0;
                continue;
            }
            cur = next;
            cur_st = st;
            pos = after;
        }
    }

    /// Resolves `path` from `cwd` (ignored for absolute paths) to a node and its
    /// kind; a final symlink is followed when `follow` (or the path ends in `/`).
    pub(crate) fn resolve_kind(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: &[u8],
        follow: bool,
    ) -> Result<(NodeRef, NodeKind)> {
        let (node, st) = self.resolve_stat(cred, cwd, path, follow)?;
        let kind = match st {
            Some(st) => NodeKind::from_stat(&st),
            None => NodeKind::Directory,
        };
        Ok((node, kind))
    }

    /// Like [`Vfs::resolve_kind`], with the attributes the walk read of the node
    /// it reached (`None` when the path names a directory it did not need to
    /// read again, such as `/`), so `stat` asks the file system only once.
    pub(crate) fn resolve_stat(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: &[u8],
        follow: bool,
    ) -> Result<(NodeRef, Option<Stat>)> {
        let mut links = 0;
        let mut p = self.walk_parent(cred, cwd, path, &mut links)?;
        loop {
            let Some(name) = &p.name else {
                return Ok((p.dir, None));
            };
            let node = self.step(p.dir, name)?;
            let st = self.stat_node(node)?;
            let kind = NodeKind::from_stat(&st);
            if kind == NodeKind::Symlink && (follow || p.trailing) {
                let mut target = self.follow_link(node, &mut links)?;
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
            return Ok((node, Some(st)));
        }
    }

    /// Resolves `path` from `cwd` as `cred` may (search permission on each
    /// directory on the way); a final symlink is followed when `follow`.
    pub fn resolve(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
        follow: bool,
    ) -> Result<NodeRef> {
        self.resolve_kind(cred, cwd, path.as_ref(), follow)
            .map(|(n, _)| n)
    }

    /// For `chdir`: the directory `path` names (`ENOTDIR` if it is not one),
    /// which `cred` must be allowed to search (`EACCES`).
    pub fn resolve_dir(
        &mut self,
        cred: &Credentials,
        cwd: NodeRef,
        path: impl AsRef<[u8]>,
    ) -> Result<NodeRef> {
        match self.resolve_kind(cred, cwd, path.as_ref(), true)? {
            (node, NodeKind::Directory) => {
                self.may_access(cred, node, Access::EXEC)?;
                Ok(node)
            }
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// The absolute path of directory `node`, for `getcwd`: climb `..` and find
    /// each child's name in its parent; at a mount's root continue from the
    /// directory it covers. `ENOENT` if the directory was removed, `ENOTDIR` for
    /// a non-directory.
    pub fn path_of(&mut self, node: NodeRef) -> Result<Vec<u8>> {
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut cur = node;
        let mut total = 0;
        loop {
            while self.is_mount_root(cur) {
                match self.mount_of(cur)?.covered {
                    Some(c) => cur = c,
                    None => return Ok(join_reversed(&names)),
                }
            }
            let up = self.lookup_here(cur, b"..")?;
            if up == cur {
                return Err(Errno::EIO); // only a mount root is its own parent
            }
            let name = self.name_in(up, cur.ino)?;
            total += name.len() + 1;
            if total > PATH_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            names.push(name);
            cur = up;
        }
    }

    /// The name of inode `ino` in directory `dir`.
    fn name_in(&mut self, dir: NodeRef, ino: u64) -> Result<Vec<u8>> {
        let mut pos = 0;
        while let Some((e, next)) = self.fs(dir)?.read_dir_at(dir.ino, pos)? {
            if e.ino == ino && !is_dots(&e.name) {
                return Ok(e.name);
            }
            pos = next;
        }
        Err(Errno::ENOENT)
    }
}

fn join_reversed(names: &[Vec<u8>]) -> Vec<u8> {
    if names.is_empty() {
        return Vec::from(&b"/"[..]);
    }
    let mut out = Vec::new();
    for n in names.iter().rev() {
        out.push(b'/');
        out.extend_from_slice(n);
    }
    out
}
