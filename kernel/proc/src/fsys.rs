//! The file system as processes see it: one tree, reached by path.
//!
//! The tree is the VFS (`vfs` crate): the ext2 root file system on the RAM disk (the
//! `-initrd` image the xtask builds), a tmpfs on `/tmp` and devfs on `/dev`. The VFS has
//! no locks of its own; here it sits behind one sleeping mutex, which every file
//! operation takes for its duration (the RAM disk never waits, so holding it is short).
//!
//! Two registries meet here. `/dev` is built from the character-device registry
//! (`devices`): the devfs mounted at boot gets a node for every registered device, and
//! [`add_device_node`] / [`remove_device_node`] follow later registrations. And
//! `mount -t TYPE` builds its file system through the file-system-type registry
//! ([`vfs::FsTypes`], kept here behind its own mutex): tmpfs and ext2 register at boot
//! ([`register_builtin_fs_types`]), a module may add and remove more
//! ([`register_fs_type`], [`unregister_fs_type`]).
//!
//! The device numbers below are the built-in devices' (see `vdevs`).

use abi::flags::S_IFCHR;
use abi::{Errno, Stat};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use cred::{Credentials, ROOT};
use task::Mutex;
use vfs::{FsFactory, FsTypes, NodeKind, Vfs};

pub use vfs::NodeRef;

/// Device numbers (major << 8 | minor), as Linux numbers them.
pub const DEV_NULL: u32 = 0x0103;
pub const DEV_ZERO: u32 = 0x0105;
pub const DEV_TTY: u32 = 0x0500;
pub const DEV_CONSOLE: u32 = 0x0501;
pub const DEV_RANDOM: u32 = 0x0108;
pub const DEV_URANDOM: u32 = 0x0109;
pub const DEV_KMSG: u32 = 0x010b;
pub const DEV_RTC: u32 = 0xfe00;
/// Disks: major 8, minor = registration order.
pub const DEV_DISK_BASE: u32 = 0x0800;

static VFS: Mutex<Option<Vfs>> = task::mutex(None);
/// The root directory of the devfs on `/dev`, where registered devices get nodes.
static DEV_DIR: Mutex<Option<NodeRef>> = task::mutex(None);

/// Run `f` on the VFS.
pub fn with<R>(f: impl FnOnce(&mut Vfs) -> Result<R, Errno>) -> Result<R, Errno> {
    let mut g = VFS.lock();
    let v = g.as_mut().ok_or(Errno::ENOENT)?;
    f(v)
}

fn clock() -> i64 {
    drivers::rtc::now()
}

/// Mount `source` (a registered disk, `/dev/NAME`) as `/`, a tmpfs on `/tmp` and devfs
/// on `/dev`, with a node for every registered device.
pub fn mount_root(source: &str) -> Result<(), String> {
    let name = source.strip_prefix("/dev/").unwrap_or(source);
    let disk = crate::blockdev::get(name).ok_or_else(|| alloc::format!("no disk {source}"))?;
    crate::blockdev::mark_mounted(name);
    let ext2 = fs::Ext2::mount(
        crate::blockdev::DiskHandle(disk),
        Box::new(|| clock() as u32),
    )
    .map_err(|e| alloc::format!("{e:?}"))?;
    if let Some(why) = ext2.read_only_reason() {
        log::warn!("root file system is read-only: it has {why}");
    }
    install_root(Vfs::new(Box::new(ext2)), source, "ext2")?;
    log::info!("root file system mounted; tmpfs on /tmp, devfs on /dev");
    Ok(())
}

/// A tmpfs as `/` (with `/tmp` and `/dev` as [`mount_root`] makes them): the tree of a
/// machine with no disk, which is how the in-kernel tests get one.
pub fn mount_tmpfs_root() -> Result<(), String> {
    if VFS.lock().is_some() {
        return Err(String::from("a root file system is already mounted"));
    }
    let tmp = vfs::TmpFs::new(Box::new(clock), TMPFS_ROOT_BYTES);
    install_root(Vfs::new(Box::new(tmp)), "tmpfs", "tmpfs")
}

/// Give `v` its `/tmp` and a `/dev` built from the device registry, and make it the tree.
fn install_root(mut v: Vfs, source: &str, fstype: &str) -> Result<(), String> {
    let root = v.root();
    for dir in ["/tmp", "/dev"] {
        match v.mkdir(&ROOT, root, dir, 0o755) {
            Ok(_) | Err(Errno::EEXIST) | Err(Errno::EROFS) => {}
            Err(e) => return Err(alloc::format!("mkdir {dir}: {e}")),
        }
    }
    let tmp = vfs::TmpFs::new(Box::new(clock), TMPFS_ROOT_BYTES);
    let tmp_id = v
        .mount(&ROOT, "/tmp", Box::new(tmp))
        .map_err(|e| alloc::format!("mount /tmp: {e}"))?;
    let mut dev = vfs::DevFs::new(Box::new(clock));
    for (name, rdev, mode) in crate::devices::registered() {
        dev.register(&name, rdev, mode)
            .map_err(|e| alloc::format!("devfs {name}: {e}"))?;
    }
    let dev_root = vfs::FileSystem::root(&dev);
    let dev_id = v
        .mount(&ROOT, "/dev", Box::new(dev))
        .map_err(|e| alloc::format!("mount /dev: {e}"))?;
    *VFS.lock() = Some(v);
    *DEV_DIR.lock() = Some(NodeRef {
        mount: dev_id,
        ino: dev_root,
    });
    let mut sources = SOURCES.lock();
    sources.insert(1, MountSource::new(source, fstype));
    sources.insert(tmp_id, MountSource::new("tmpfs", "tmpfs"));
    Ok(())
}

/// A new device's node in `/dev` (nothing to do before `/dev` is mounted: it is built
/// from the registry then).
pub fn add_device_node(name: &str, rdev: u32, mode: u32) -> Result<(), Errno> {
    let mut g = VFS.lock();
    let (Some(v), Some(dir)) = (g.as_mut(), *DEV_DIR.lock()) else {
        return Ok(());
    };
    v.mknod(&ROOT, dir, name, S_IFCHR | (mode & 0o7777), rdev)
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
    pub fn hold(node: NodeRef) -> Cwd {
        let held = with(|v| v.pin(node)).is_ok();
        Cwd { node, held }
    }

    /// For `chdir`: the directory `path` names from `cwd`, resolved and held under
    /// one lock, so it cannot be removed and its inode reused in between.
    pub fn resolve(cred: &Credentials, cwd: NodeRef, path: &str) -> Result<Cwd, Errno> {
        let node = with(|v| {
            let node = v.resolve_dir(cred, cwd, path)?;
            v.pin(node)?;
            Ok(node)
        })?;
        Ok(Cwd { node, held: true })
    }

    /// The directory.
    pub fn node(&self) -> NodeRef {
        self.node
    }

    /// Give the hold back now (at exit, so a zombie keeps nothing busy).
    pub fn release(&mut self) {
        if core::mem::take(&mut self.held) {
            if let Err(e) = with(|v| v.unpin(self.node)) {
                log::warn!("releasing working directory {:?}: {e}", self.node);
            }
        }
    }
}

impl Clone for Cwd {
    fn clone(&self) -> Cwd {
        Cwd::hold(self.node)
    }
}

impl Drop for Cwd {
    fn drop(&mut self) {
        self.release();
    }
}

/// The root directory.
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

/// The whole contents of a regular file (for exec), at most `limit` bytes.
pub fn read_all(node: NodeRef, limit: u64) -> Result<Vec<u8>, Errno> {
    with(|v| {
        if v.kind(node)? != NodeKind::Regular {
            return Err(Errno::EACCES);
        }
        let size = v.stat_node(node)?.size;
        if size > limit {
            return Err(Errno::ENOEXEC);
        }
        // The image is as large as the program asks: allocate fallibly, so a huge
        // file is ENOMEM for that program, not an exhausted kernel heap.
        let mut buf = Vec::new();
        buf.try_reserve_exact(size as usize)
            .map_err(|_| Errno::ENOMEM)?;
        buf.resize(size as usize, 0);
        let n = v.read(node, 0, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    })
}

pub fn read(node: NodeRef, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    with(|v| v.read(node, off, buf))
}

pub fn write(node: NodeRef, off: u64, data: &[u8]) -> Result<usize, Errno> {
    with(|v| v.write(node, off, data))
}

pub fn stat(node: NodeRef) -> Result<Stat, Errno> {
    with(|v| v.stat_node(node))
}

pub fn is_dir(node: NodeRef) -> bool {
    with(|v| v.kind(node)).is_ok_and(|k| k.is_dir())
}

/// Pack directory entries from position `pos` (the getdents format).
pub fn getdents(node: NodeRef, pos: u64, buf: &mut [u8]) -> Result<(usize, u64), Errno> {
    with(|v| v.getdents(node, pos, buf))
}

/// The absolute path of directory `node` (for getcwd).
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
pub fn sync_node(node: NodeRef) -> Result<(), Errno> {
    with(|v| v.sync_node(node))
}

/// tmpfs lives in the kernel heap, so its size is bounded: /tmp, and each further
/// tmpfs mount, of which there may be a few.
const TMPFS_ROOT_BYTES: u64 = 8 << 20;
const TMPFS_EXTRA_BYTES: u64 = 4 << 20;
const TMPFS_EXTRA_MAX: usize = 4;

/// Where a mount came from and the registered type that built it.
#[derive(Clone)]
struct MountSource {
    /// The mount table's SOURCE column.
    source: String,
    fstype: String,
}

impl MountSource {
    fn new(source: &str, fstype: &str) -> MountSource {
        MountSource {
            source: String::from(source),
            fstype: String::from(fstype),
        }
    }
}

/// Mount id -> where it came from.
static SOURCES: Mutex<alloc::collections::BTreeMap<u32, MountSource>> =
    task::mutex(alloc::collections::BTreeMap::new());

/// The file-system types `mount` knows.
static FS_TYPES: Mutex<FsTypes> = task::mutex(FsTypes::new());

/// Add file-system type `name` (EEXIST if taken).
pub fn register_fs_type(name: &str, factory: FsFactory) -> Result<(), Errno> {
    FS_TYPES.lock().register(name, factory)
}

/// Remove file-system type `name`: ENOENT if unknown, EBUSY while a mount of it
/// remains (its code is still in use, which matters once a module provides it).
pub fn unregister_fs_type(name: &str) -> Result<(), Errno> {
    let mut types = FS_TYPES.lock();
    if !types.contains(name) {
        return Err(Errno::ENOENT);
    }
    if SOURCES.lock().values().any(|m| m.fstype == name) {
        return Err(Errno::EBUSY);
    }
    types.unregister(name)
}

/// The registered file-system types, sorted.
pub fn fs_types() -> Vec<String> {
    FS_TYPES.lock().names()
}

/// tmpfs (sources ignored; a few, each bounded) and ext2 (on a registered disk).
pub fn register_builtin_fs_types() -> Result<(), Errno> {
    register_fs_type(
        "tmpfs",
        Arc::new(|_: &str| {
            let extra = with(|v| Ok(v.mounts().iter().filter(|m| m.fs_type == "tmpfs").count()))?;
            if extra > TMPFS_EXTRA_MAX {
                return Err(Errno::ENOMEM);
            }
            Ok(
                Box::new(vfs::TmpFs::new(Box::new(clock), TMPFS_EXTRA_BYTES))
                    as Box<dyn vfs::FileSystem>,
            )
        }),
    )?;
    register_fs_type("ext2", Arc::new(crate::blockdev::open_ext2))
}

/// `mount -t TYPE SOURCE TARGET` (ENODEV for a type nobody registered).
pub fn mount(
    cred: &Credentials,
    cwd: NodeRef,
    target: &str,
    fstype: &str,
    source: &str,
) -> Result<(), Errno> {
    // Checked before anything is opened (an ext2 source is marked busy when opened).
    if !cred::capable(cred, cred::Capability::Mount) {
        return Err(Errno::EPERM);
    }
    // The factory runs with no lock held: building may read a disk, or look at the VFS.
    let factory = FS_TYPES.lock().factory(fstype)?;
    let fs = factory(source)?;
    let id = with(|v| {
        let dir = v.resolve_dir(cred, cwd, target)?;
        let path = v.path_of(dir)?;
        v.mount(cred, path, fs)
    })?;
    let src = if source.is_empty() { fstype } else { source };
    SOURCES.lock().insert(id, MountSource::new(src, fstype));
    Ok(())
}

/// `umount TARGET` (EBUSY while a file is open on it, a process has its working
/// directory inside, or something is mounted below).
pub fn umount(cred: &Credentials, cwd: NodeRef, target: &str) -> Result<(), Errno> {
    with(|v| {
        let dir = v.resolve_dir(cred, cwd, target)?;
        let id = v.mount_id(dir);
        if !v.is_mount_root(dir) || id == 1 {
            return Err(Errno::EINVAL);
        }
        // Open files and working directories hold their nodes (`Vfs::pin`).
        if v.is_busy(id) {
            return Err(Errno::EBUSY);
        }
        let path = v.path_of(dir)?;
        let mut fs = v.umount(cred, path)?;
        fs.sync()?;
        if let Some(m) = SOURCES.lock().remove(&id) {
            crate::blockdev::mark_unmounted(m.source.trim_start_matches("/dev/"));
        }
        Ok(())
    })
}

/// The mount table as text.
pub fn mount_table_text() -> Result<String, Errno> {
    let sources = SOURCES.lock().clone();
    with(|v| {
        let mut out = String::new();
        for m in v.mounts() {
            let src = sources
                .get(&m.id)
                .map(|s| s.source.clone())
                .unwrap_or_else(|| m.fs_type.clone());
            out.push_str(&alloc::format!(
                "{src} {} {} {}\n",
                String::from_utf8_lossy(&m.path),
                m.fs_type,
                if m.read_only { "ro" } else { "rw" }
            ));
        }
        Ok(out)
    })
}
