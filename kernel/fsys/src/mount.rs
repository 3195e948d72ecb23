//! Mounting: the root file system at boot, the file-system-type registry `mount -t
//! TYPE` looks up, and the mount policy (who may, what is busy, the mount table).
//!
//! The root is an ext2 disk from the disk registry (`drivers::block`), or a tmpfs on a
//! machine with none; either way it gets a tmpfs on `/tmp` and a devfs on `/dev`
//! holding the devices registered so far (the caller passes them: the device registry
//! is a layer above). `mount -t TYPE` builds its file system through the
//! file-system-type registry ([`vfs::FsTypes`], kept here behind its own mutex): tmpfs
//! and ext2 register at boot ([`register_builtin_fs_types`]), a module may add and
//! remove more ([`register_fs_type`], [`unregister_fs_type`]). An ext2 mount claims its
//! disk in the registry, so the disk cannot be mounted twice or written raw meanwhile.

use crate::tree::{clock, with, NodeRef, DEV_DIR, VFS};
use abi::Errno;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use cred::{Credentials, ROOT};
use drivers::block::{self as disks, DiskHandle, RegistryError};
use task::Mutex;
use vfs::{FsFactory, FsTypes, Vfs};

/// Mount `source` (a registered disk, `/dev/NAME`) as `/`, a tmpfs on `/tmp` and devfs
/// on `/dev`, with a node for each device of `devices` (name, number, mode, group).
pub fn mount_root(source: &str, devices: &[(String, u32, u32, u32)]) -> Result<(), String> {
    let name = source.strip_prefix("/dev/").unwrap_or(source);
    let disk = disks::get(name).ok_or_else(|| alloc::format!("no disk {source}"))?;
    disks::mark_mounted(name);
    let ext2 = fs::Ext2::mount(DiskHandle(disk.clone()), Box::new(|| clock() as u32))
        .map_err(|e| alloc::format!("{e:?}"))?;
    if let Some(why) = ext2.read_only_reason() {
        log::warn!("root file system is read-only: it has {why}");
    }
    if let Some(j) = ext2.journal_stats() {
        log::info!(
            "root file system journaled: replayed {} transactions ({} blocks)",
            j.replayed_transactions,
            j.replayed_blocks
        );
    }
    let mut v = Vfs::new(Box::new(ext2));
    v.set_mount_disk(1, Arc::new(crate::pages::FillDisk(disk)))
        .map_err(|e| alloc::format!("{e}"))?;
    install_root(v, source, "ext2", devices)?;
    log::info!("root file system mounted; tmpfs on /tmp, devfs on /dev");
    start_flusher();
    Ok(())
}

/// How often the flusher writes everything back: the age Linux lets dirty data reach
/// (`dirty_expire_centisecs`, 30 s). Longer than a test's gap between a write and a
/// power cut by orders of magnitude, so "not synced" stays "not on the disk" there.
pub const FLUSH_INTERVAL_MS: u64 = 30_000;

/// The flusher thread: every [`FLUSH_INTERVAL_MS`], dirty pages and blocks of every
/// mounted file system go to the disk (and the disk is flushed), so what a program
/// wrote is durable within that time even if nobody calls `sync`.
fn start_flusher() {
    let flusher = task::spawn("flush", || loop {
        task::sleep_ms(FLUSH_INTERVAL_MS);
        if let Err(e) = crate::tree::sync_all() {
            log::warn!("flusher: writing back failed: {e}");
        }
    });
    if let Err(e) = flusher {
        log::warn!("no flusher thread ({e:?}): data reaches the disk only on sync");
    }
}

/// A tmpfs as `/` (with `/tmp` and `/dev` as [`mount_root`] makes them): the tree of a
/// machine with no disk, which is how the in-kernel tests get one.
pub fn mount_tmpfs_root(devices: &[(String, u32, u32, u32)]) -> Result<(), String> {
    if VFS.lock().is_some() {
        return Err(String::from("a root file system is already mounted"));
    }
    let tmp = vfs::TmpFs::new(Box::new(clock), TMPFS_ROOT_BYTES);
    install_root(Vfs::new(Box::new(tmp)), "tmpfs", "tmpfs", devices)
}

/// Give `v` its `/tmp` and a `/dev` with `devices`, and make it the tree.
fn install_root(
    mut v: Vfs,
    source: &str,
    fstype: &str,
    devices: &[(String, u32, u32, u32)],
) -> Result<(), String> {
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
    for (name, rdev, mode, gid) in devices {
        dev.register_group(name, *rdev, *mode, *gid)
            .map_err(|e| alloc::format!("devfs {name}: {e}"))?;
    }
    let dev_root = vfs::FileSystem::root(&dev);
    let dev_id = v
        .mount(&ROOT, "/dev", Box::new(dev))
        .map_err(|e| alloc::format!("mount /dev: {e}"))?;
    v.set_page_store(Box::new(crate::pages::FramePages), crate::pages::capacity())
        .map_err(|e| alloc::format!("page cache: {e}"))?;
    mm::frames::set_reclaim(crate::pages::reclaim);
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
    /// `nosuid`: exec ignores the set-id bits of this mount's files.
    nosuid: bool,
}

impl MountSource {
    fn new(source: &str, fstype: &str) -> MountSource {
        MountSource {
            source: String::from(source),
            fstype: String::from(fstype),
            nosuid: false,
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
    register_fs_type("ext2", Arc::new(open_ext2))
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
    let id = crate::tree::with_once(|v| {
        let dir = v.resolve_dir(cred, cwd, target)?;
        let path = v.path_of(dir)?;
        let id = v.mount(cred, path, fs)?;
        // An ext2 disk's page-cache misses are read with the VFS let go.
        if fstype == "ext2" {
            if let Some(disk) = source.strip_prefix("/dev/").and_then(disks::get) {
                v.set_mount_disk(id, Arc::new(crate::pages::FillDisk(disk)))?;
            }
        }
        Ok(id)
    })?;
    let src = if source.is_empty() { fstype } else { source };
    SOURCES.lock().insert(id, MountSource::new(src, fstype));
    Ok(())
}

/// `mount_flags(TARGET, flags)`: set the flags of the mount whose root `target` is
/// (`MS_NOSUID` today; the flags not given are cleared). EPERM without `Mount`,
/// EINVAL for an unknown flag or a target that is not a mount's root.
pub fn set_mount_flags(
    cred: &Credentials,
    cwd: NodeRef,
    target: &str,
    flags: u32,
) -> Result<(), Errno> {
    if !cred::capable(cred, cred::Capability::Mount) {
        return Err(Errno::EPERM);
    }
    if flags & !abi::flags::MS_NOSUID != 0 {
        return Err(Errno::EINVAL);
    }
    let id = with(|v| {
        let dir = v.resolve_dir(cred, cwd, target)?;
        if !v.is_mount_root(dir) {
            return Err(Errno::EINVAL);
        }
        Ok(v.mount_id(dir))
    })?;
    let mut sources = SOURCES.lock();
    let m = sources
        .entry(id)
        .or_insert_with(|| MountSource::new("", ""));
    m.nosuid = flags & abi::flags::MS_NOSUID != 0;
    Ok(())
}

/// Is `node` on a `nosuid` mount (its set-id bits ignored by exec)?
pub fn is_nosuid(node: NodeRef) -> bool {
    SOURCES.lock().get(&node.mount).is_some_and(|m| m.nosuid)
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
            disks::mark_unmounted(m.source.trim_start_matches("/dev/"));
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
            let known = sources.get(&m.id).filter(|s| !s.source.is_empty());
            let src = known
                .map(|s| s.source.clone())
                .unwrap_or_else(|| m.fs_type.clone());
            let nosuid = sources.get(&m.id).is_some_and(|s| s.nosuid);
            out.push_str(&alloc::format!(
                "{src} {} {} {}{}\n",
                String::from_utf8_lossy(&m.path),
                m.fs_type,
                if m.read_only { "ro" } else { "rw" },
                if nosuid { ",nosuid" } else { "" }
            ));
        }
        Ok(out)
    })
}

/// The ext2 type's factory: mount `source` (`/dev/NAME`, a registered disk) as ext2.
fn open_ext2(source: &str) -> Result<Box<dyn vfs::FileSystem>, Errno> {
    let name = source.strip_prefix("/dev/").ok_or(Errno::ENODEV)?;
    let disk = disks::claim(name).map_err(|e| match e {
        RegistryError::Busy => Errno::EBUSY,
        _ => Errno::ENODEV,
    })?;
    let clock = || drivers::rtc::now() as u32;
    match fs::Ext2::mount(DiskHandle(disk), Box::new(clock)) {
        Ok(fs) => Ok(Box::new(fs)),
        Err(e) => {
            disks::mark_unmounted(name);
            log::warn!("mount {source}: {e:?}");
            Err(Errno::EINVAL)
        }
    }
}
