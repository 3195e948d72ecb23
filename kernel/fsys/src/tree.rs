//! The tree: the VFS behind one lock, reached by path.
//!
//! The VFS (`vfs` crate) has no locks of its own; here it sits behind one sleeping
//! mutex, which every file operation takes, but never while waiting for a file's
//! data from the disk: a page-cache miss is a fill, read with the mutex let go
//! (`pages.rs`, `vfs::Fill`; the lock order is in docs/architecture.md). Everything above reaches files through the small
//! functions below ([`with`] for the rest), and a process's working directory is a
//! [`Cwd`], a node held so that it cannot be freed while someone is in it.
//!
//! `/dev` is a devfs whose nodes follow the character-device registry (`devices`,
//! a layer above): [`add_device_node`] and [`remove_device_node`] are what the
//! registry calls when a device comes and goes.
//!
//! The small functions are `#[inline]`: their callers (open files, exec, the process
//! table) are other crates, and rustc inlines across crates only what is marked, so
//! without it the split into crates would cost the read and fork paths a call each.

use abi::flags::S_IFCHR;
use abi::{Errno, Stat};
use alloc::string::String;
use alloc::vec::Vec;
use cred::{Credentials, ROOT};
use task::Mutex;
use vfs::{NodeKind, Vfs};

pub use vfs::NodeRef;

pub(crate) static VFS: Mutex<Option<Vfs>> = task::mutex(None);
/// The root directory of the devfs on `/dev`, where registered devices get nodes.
pub(crate) static DEV_DIR: Mutex<Option<NodeRef>> = task::mutex(None);

/// Run `f` on the VFS. A file system whose call would wait long (the ufs proxy's
/// server) may ask for the wait to be made with the VFS let go: then `f` runs again
/// after it (`offlock.rs`), so `f` must be an operation, not a part of one, whose
/// effects outside the VFS (a hold, a writer counted) come after its calls
/// succeeded: a run that asked for a wait is thrown away, whatever it returned.
pub fn with<R>(mut f: impl FnMut(&mut Vfs) -> Result<R, Errno>) -> Result<R, Errno> {
    let mut g = VFS.lock();
    let v = g.as_mut().ok_or(Errno::ENOENT)?;
    let op = crate::offlock::begin(None);
    let r = f(v);
    match crate::offlock::end() {
        None => r,
        Some(d) => {
            drop(g);
            drop(r);
            again(op, d, f)
        }
    }
}

/// Run `f` on the VFS once, for what cannot be done twice (it moves a value in): a
/// slow file-system call in it waits with the VFS held.
pub fn with_once<R>(f: impl FnOnce(&mut Vfs) -> Result<R, Errno>) -> Result<R, Errno> {
    let mut g = VFS.lock();
    let v = g.as_mut().ok_or(Errno::ENOENT)?;
    f(v)
}

/// The rest of [`with`] when a run asked for a wait: wait with the VFS let go, run
/// `f` again, until a run asks for none; then every deferral hears it is done.
#[cold]
#[inline(never)]
fn again<R>(
    op: u64,
    mut d: alloc::sync::Arc<dyn crate::offlock::Deferred>,
    mut f: impl FnMut(&mut Vfs) -> Result<R, Errno>,
) -> Result<R, Errno> {
    let mut waited = Vec::new();
    loop {
        d.wait();
        waited.push(d);
        let mut g = VFS.lock();
        let r = match g.as_mut() {
            Some(v) => {
                crate::offlock::begin(Some(op));
                let r = f(v);
                match crate::offlock::end() {
                    Some(next) => {
                        d = next;
                        drop(g);
                        drop(r);
                        continue;
                    }
                    None => r,
                }
            }
            None => Err(Errno::ENOENT),
        };
        for w in &waited {
            w.done();
        }
        drop(g);
        return r;
    }
}

pub(crate) fn clock() -> i64 {
    drivers::rtc::now()
}

/// A new device's node in `/dev` (nothing to do before `/dev` is mounted: it is built
/// from the registry then).
pub fn add_device_node(name: &str, rdev: u32, mode: u32, gid: u32) -> Result<(), Errno> {
    let mut g = VFS.lock();
    let (Some(v), Some(dir)) = (g.as_mut(), *DEV_DIR.lock()) else {
        return Ok(());
    };
    // Owned by root, in group `gid`.
    let owner = Credentials {
        egid: gid,
        ..ROOT.clone()
    };
    v.mknod(&owner, dir, name, S_IFCHR | (mode & 0o7777), rdev)
        .map(|_| ())
}

/// Remove a device's node from `/dev`, if it is still there and still names `rdev`
/// (someone may have removed it, or made another in its place).
pub fn remove_device_node(name: &str, rdev: u32) -> Result<(), Errno> {
    let mut g = VFS.lock();
    let (Some(v), Some(dir)) = (g.as_mut(), *DEV_DIR.lock()) else {
        return Ok(());
    };
    match v.lstat(&ROOT, dir, name) {
        Ok(st) if st.mode & abi::flags::S_IFMT == S_IFCHR && st.rdev == rdev as u64 => {
            v.unlink(&ROOT, dir, name)
        }
        Ok(_) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A process's working directory: a node with a hold on it (see [`vfs::Vfs::pin`]),
/// taken when it is made and given back when it is dropped or released. The hold is
/// what keeps a removed working directory an empty, nameless directory (`ENOENT`
/// for anything made in it) instead of a freed inode number that the next `mkdir`
/// reuses, and what makes `umount` of a file system someone is in `EBUSY`.
///
/// Never drop one while inside [`with`]: dropping takes the VFS lock.
pub struct Cwd {
    node: NodeRef,
    held: bool,
}

impl Cwd {
    /// A working directory at `node` (a directory), held.
    #[inline]
    pub fn hold(node: NodeRef) -> Cwd {
        let held = with(|v| v.pin(node)).is_ok();
        Cwd { node, held }
    }

    /// For `chdir`: the directory `path` names from `cwd`, resolved and held under
    /// one lock, so it cannot be removed and its inode reused in between.
    #[inline]
    pub fn resolve(cred: &Credentials, cwd: NodeRef, path: &str) -> Result<Cwd, Errno> {
        let node = with(|v| {
            let node = v.resolve_dir(cred, cwd, path)?;
            v.pin(node)?;
            Ok(node)
        })?;
        Ok(Cwd { node, held: true })
    }

    /// The directory.
    #[inline]
    pub fn node(&self) -> NodeRef {
        self.node
    }

    /// Give the hold back now (at exit, so a zombie keeps nothing busy).
    #[inline]
    pub fn release(&mut self) {
        if core::mem::take(&mut self.held) {
            if let Err(e) = with(|v| v.unpin(self.node)) {
                log::warn!("releasing working directory {:?}: {e}", self.node);
            }
        }
    }
}

impl Clone for Cwd {
    #[inline]
    fn clone(&self) -> Cwd {
        Cwd::hold(self.node)
    }
}

impl Drop for Cwd {
    #[inline]
    fn drop(&mut self) {
        self.release();
    }
}

/// The root directory.
#[inline]
pub fn root() -> NodeRef {
    VFS.lock()
        .as_ref()
        .map(|v| v.root())
        .unwrap_or(NodeRef { mount: 1, ino: 2 })
}

/// Walk `path` from `cwd`. Symbolic links are followed (the last one only if `follow`).
pub fn resolve(
    cred: &Credentials,
    cwd: NodeRef,
    path: &str,
    follow: bool,
) -> Result<NodeRef, Errno> {
    with(|v| v.resolve(cred, cwd, path, follow))
}

/// `stat` (or, unless `follow`, `lstat`) of `path`: one walk, whose last step
/// already read the attributes, under one hold of the lock.
pub fn stat_path(
    cred: &Credentials,
    cwd: NodeRef,
    path: &str,
    follow: bool,
) -> Result<Stat, Errno> {
    with(|v| match follow {
        true => v.stat(cred, cwd, path),
        false => v.lstat(cred, cwd, path),
    })
}

/// The whole contents of a regular file (for exec), at most `limit` bytes.
pub fn read_all(node: NodeRef, limit: u64) -> Result<Vec<u8>, Errno> {
    let size = with(|v| {
        if v.kind(node)? != NodeKind::Regular {
            return Err(Errno::EACCES);
        }
        v.stat_node(node).map(|s| s.size)
    })?;
    if size > limit {
        return Err(Errno::ENOEXEC);
    }
    // The image is as large as the program asks: allocate fallibly, so a huge
    // file is ENOMEM for that program, not an exhausted kernel heap.
    let mut buf = Vec::new();
    buf.try_reserve_exact(size as usize)
        .map_err(|_| Errno::ENOMEM)?;
    buf.resize(size as usize, 0);
    // Read with the VFS let go while the disk is waited for.
    let n = crate::pages::read_into(node, 0, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

#[inline]
pub fn read(node: NodeRef, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    crate::pages::read_into(node, off, buf)
}

#[inline]
pub fn write(node: NodeRef, off: u64, data: &[u8]) -> Result<usize, Errno> {
    with(|v| v.write(node, off, data))
}

#[inline]
pub fn stat(node: NodeRef) -> Result<Stat, Errno> {
    with(|v| v.stat_node(node))
}

#[inline]
pub fn is_dir(node: NodeRef) -> bool {
    with(|v| v.kind(node)).is_ok_and(|k| k.is_dir())
}

/// Pack directory entries from position `pos` (the getdents format).
#[inline]
pub fn getdents(node: NodeRef, pos: u64, buf: &mut [u8]) -> Result<(usize, u64), Errno> {
    with(|v| v.getdents(node, pos, buf))
}

/// The absolute path of directory `node` (for getcwd).
#[inline]
pub fn path_of(node: NodeRef) -> Result<String, Errno> {
    with(|v| v.path_of(node)).map(|p| String::from_utf8_lossy(&p).into_owned())
}

/// Before power-off: free files that were unlinked while open, then sync.
pub fn shutdown() -> Result<(), Errno> {
    with(|v| v.shutdown())
}

/// Sync every mounted file system.
pub fn sync_all() -> Result<(), Errno> {
    with(|v| v.sync_all())
}

/// Write every file system back and drop what they cache of their disks (the leak
/// checks' way to see the heap come back exactly); `cred` must be privileged.
pub fn drop_caches(cred: &cred::Credentials) -> Result<usize, Errno> {
    with(|v| v.drop_caches(cred))
}

/// Write back the file system that holds `node` (fsync).
#[inline]
pub fn sync_node(node: NodeRef) -> Result<(), Errno> {
    with(|v| v.sync_node(node))
}
