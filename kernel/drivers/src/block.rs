//! The block-device registry: every disk the kernel knows, by name (`disk0`, `ram0`).
//!
//! A disk driver registers each device it finds here, and may remove it again at run
//! time ([`unregister`], for hot removal and, later, modules). Mounting looks a disk up
//! by its `/dev` name and *claims* it: the file system owns a claimed disk, so a
//! second mount, raw writes through `/dev/NAME` and removal are refused until it is
//! released. The registry holds devices as the `block` crate's [`BlockDevice`], the
//! layer below both the drivers and the file systems.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use block::BlockDevice;
use task::Mutex;

/// A registered disk, shared between the mount that owns it and raw access.
pub type SharedDisk = Arc<Mutex<Box<dyn BlockDevice + Send>>>;

/// Why a registry operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryError {
    /// No disk has that name.
    NoSuchDisk,
    /// A file system owns the disk.
    Busy,
    /// The name is taken.
    Exists,
}

struct Entry {
    disk: SharedDisk,
    claimed: bool,
}

static DISKS: Mutex<BTreeMap<String, Entry>> = task::mutex(BTreeMap::new());

/// Register a disk as `/dev/NAME` (replacing nothing: a taken name is refused).
pub fn try_register(
    name: &str,
    disk: Box<dyn BlockDevice + Send>,
) -> Result<SharedDisk, RegistryError> {
    let mut t = DISKS.lock();
    if t.contains_key(name) {
        return Err(RegistryError::Exists);
    }
    let d = Arc::new(task::mutex(disk));
    t.insert(
        String::from(name),
        Entry {
            disk: d.clone(),
            claimed: false,
        },
    );
    Ok(d)
}

/// Register a disk as `/dev/NAME`, replacing any disk registered under that name.
pub fn register(name: &str, disk: Box<dyn BlockDevice + Send>) -> SharedDisk {
    let d = Arc::new(task::mutex(disk));
    DISKS.lock().insert(
        String::from(name),
        Entry {
            disk: d.clone(),
            claimed: false,
        },
    );
    d
}

/// Register a disk under the first free name `PREFIX0`, `PREFIX1`, ... and return it.
pub fn register_next(prefix: &str, disk: Box<dyn BlockDevice + Send>) -> String {
    let mut t = DISKS.lock();
    let name = (0..)
        .map(|i| format!("{prefix}{i}"))
        .find(|n| !t.contains_key(n))
        .expect("a free disk name");
    t.insert(
        name.clone(),
        Entry {
            disk: Arc::new(task::mutex(disk)),
            claimed: false,
        },
    );
    name
}

/// Remove disk `name` (refused while a file system owns it). Raw opens of it that are
/// still live keep the device until they are closed.
pub fn unregister(name: &str) -> Result<SharedDisk, RegistryError> {
    let mut t = DISKS.lock();
    match t.get(name) {
        None => Err(RegistryError::NoSuchDisk),
        Some(e) if e.claimed => Err(RegistryError::Busy),
        Some(_) => Ok(t.remove(name).expect("present").disk),
    }
}

/// Names of the registered disks, in name order.
pub fn names() -> Vec<String> {
    DISKS.lock().keys().cloned().collect()
}

/// The disk registered as `name`.
pub fn get(name: &str) -> Option<SharedDisk> {
    DISKS.lock().get(name).map(|e| e.disk.clone())
}

/// Take disk `name` for a file system: refused if another already owns it.
pub fn claim(name: &str) -> Result<SharedDisk, RegistryError> {
    let mut t = DISKS.lock();
    let e = t.get_mut(name).ok_or(RegistryError::NoSuchDisk)?;
    if e.claimed {
        return Err(RegistryError::Busy);
    }
    e.claimed = true;
    Ok(e.disk.clone())
}

/// Note that a file system now owns disk `name` (see [`claim`], which also checks).
pub fn mark_mounted(name: &str) {
    if let Some(e) = DISKS.lock().get_mut(name) {
        e.claimed = true;
    }
}

/// The file system on disk `name` is gone.
pub fn mark_unmounted(name: &str) {
    if let Some(e) = DISKS.lock().get_mut(name) {
        e.claimed = false;
    }
}

/// Is a file system using disk `name`?
pub fn is_mounted(name: &str) -> bool {
    DISKS.lock().get(name).is_some_and(|e| e.claimed)
}

/// A handle that lets a file system own a shared disk.
pub struct DiskHandle(pub SharedDisk);

impl BlockDevice for DiskHandle {
    fn sector_size(&self) -> usize {
        self.0.lock().sector_size()
    }
    fn sector_count(&self) -> u64 {
        self.0.lock().sector_count()
    }
    fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> block::Result<()> {
        self.0.lock().read_sectors(first, buf)
    }
    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> block::Result<()> {
        self.0.lock().write_sectors(first, buf)
    }
    fn flush(&mut self) -> block::Result<()> {
        self.0.lock().flush()
    }
}
