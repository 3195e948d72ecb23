//! The file system as processes see it: one tree, reached by path.
//!
//! The tree is the VFS (`vfs` crate): the ext2 root file system on the RAM disk (the
//! `-initrd` image the xtask builds), a tmpfs on `/tmp` and devfs on `/dev`. The VFS has
//! no locks of its own; here it sits behind one sleeping mutex, which every file
//! operation takes for its duration (the RAM disk never waits, so holding it is short).
//!
//! Device numbers name the kernel's character devices: a node in devfs with one of
//! these numbers opens the matching device object (see `files`).

use abi::{Errno, Stat};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use cred::{Credentials, ROOT};
use task::Mutex;
use vfs::{NodeKind, Vfs};

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
/// on `/dev`, with a node for every registered disk.
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
    let mut v = Vfs::new(Box::new(ext2));
    let root = v.root();
    for dir in ["/tmp", "/dev"] {
        match v.mkdir(&ROOT, root, dir, 0o755) {
            Ok(_) | Err(Errno::EEXIST) | Err(Errno::EROFS) => {}
            Err(e) => return Err(alloc::format!("mkdir {dir}: {e}")),
        }
    }
    let tmp = vfs::TmpFs::new(Box::new(clock), TMPFS_ROOT_BYTES);
    v.mount(&ROOT, "/tmp", Box::new(tmp))
        .map_err(|e| alloc::format!("mount /tmp: {e}"))?;
    let mut dev = vfs::DevFs::new(Box::new(clock));
    for (name, rdev, perm) in [
        ("console", DEV_CONSOLE, 0o620),
        ("tty", DEV_TTY, 0o666),
        ("null", DEV_NULL, 0o666),
        ("zero", DEV_ZERO, 0o666),
        ("random", DEV_RANDOM, 0o666),
        ("urandom", DEV_URANDOM, 0o666),
        ("rtc", DEV_RTC, 0o644),
        ("kmsg", DEV_KMSG, 0o644),
    ] {
        dev.register(name, rdev, perm)
            .map_err(|e| alloc::format!("devfs {name}: {e}"))?;
    }
    for (i, disk) in crate::blockdev::names().iter().enumerate() {
        // Disks: raw access to the whole device (refused for writing while mounted).
        dev.register(disk, DEV_DISK_BASE + i as u32, 0o660)
            .map_err(|e| alloc::format!("devfs {disk}: {e}"))?;
    }
    v.mount(&ROOT, "/dev", Box::new(dev))
        .map_err(|e| alloc::format!("mount /dev: {e}"))?;
    *VFS.lock() = Some(v);
    SOURCES.lock().insert(1, String::from(source));
    log::info!("root file system mounted; tmpfs on /tmp, devfs on /dev");
    Ok(())
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

    /// For `chdir`: the directory `path` names from `cwd`, resolved (as `cred`
    /// may) and held under one lock, so it cannot be removed and its inode reused
    /// in between.
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

/// Walk `path` from `cwd` as `cred` may. Symbolic links are followed (the last one
/// only if `follow`).
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

/// tmpfs lives in the kernel heap, so its size is bounded: /tmp, and each further
/// tmpfs mount, of which there may be a few.
const TMPFS_ROOT_BYTES: u64 = 8 << 20;
const TMPFS_EXTRA_BYTES: u64 = 4 << 20;
const TMPFS_EXTRA_MAX: usize = 4;

/// Where each mount came from (for the mount table's SOURCE column).
static SOURCES: Mutex<alloc::collections::BTreeMap<u32, String>> =
    task::mutex(alloc::collections::BTreeMap::new());

/// `mount -t TYPE SOURCE TARGET`, by a caller with `cred` (which must have
/// `Capability::Mount`: `EPERM`).
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
    let fs: Box<dyn vfs::FileSystem> = match fstype {
        "tmpfs" => {
            let extra = with(|v| Ok(v.mounts().iter().filter(|m| m.fs_type == "tmpfs").count()))?;
            if extra > TMPFS_EXTRA_MAX {
                return Err(Errno::ENOMEM);
            }
            Box::new(vfs::TmpFs::new(Box::new(clock), TMPFS_EXTRA_BYTES))
        }
        "ext2" => crate::blockdev::open_ext2(source)?,
        _ => return Err(Errno::ENODEV),
    };
    let id = with(|v| {
        let dir = v.resolve_dir(cred, cwd, target)?;
        let path = v.path_of(dir)?;
        v.mount(cred, path, fs)
    })?;
    let src = if source.is_empty() {
        String::from(fstype)
    } else {
        String::from(source)
    };
    SOURCES.lock().insert(id, src);
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
        if let Some(src) = SOURCES.lock().remove(&id) {
            crate::blockdev::mark_unmounted(src.trim_start_matches("/dev/"));
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
                .cloned()
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
