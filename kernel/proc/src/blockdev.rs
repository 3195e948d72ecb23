//! Block devices known to the kernel, by name, for mounting and for `/dev/disk0`.
//!
//! A disk driver registers its device here; `mount -t ext2 /dev/disk0 /mnt` finds it
//! by its devfs name. A device can be mounted once at a time (the ext2 code owns it
//! while mounted).

use abi::Errno;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use fs::BlockDevice;
use task::Mutex;

/// A registered disk, shared between the mount that owns it and raw access.
pub type SharedDisk = alloc::sync::Arc<Mutex<Box<dyn BlockDevice + Send>>>;

static DISKS: Mutex<BTreeMap<String, (SharedDisk, bool)>> = task::mutex(BTreeMap::new());

/// Register a disk as `/dev/NAME`.
pub fn register(name: &str, disk: Box<dyn BlockDevice + Send>) -> SharedDisk {
    let d = alloc::sync::Arc::new(task::mutex(disk));
    DISKS.lock().insert(String::from(name), (d.clone(), false));
    d
}

/// Names of the registered disks, in registration order.
pub fn names() -> alloc::vec::Vec<String> {
    DISKS.lock().keys().cloned().collect()
}

/// Note that a file system now owns disk `name`.
pub fn mark_mounted(name: &str) {
    if let Some(e) = DISKS.lock().get_mut(name) {
        e.1 = true;
    }
}

/// The file system on disk `name` is gone.
pub fn mark_unmounted(name: &str) {
    if let Some(e) = DISKS.lock().get_mut(name) {
        e.1 = false;
    }
}

/// Is a file system using disk `name`?
pub fn is_mounted(name: &str) -> bool {
    DISKS.lock().get(name).is_some_and(|e| e.1)
}

/// The disk registered as `name`.
pub fn get(name: &str) -> Option<SharedDisk> {
    DISKS.lock().get(name).map(|d| d.0.clone())
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
    fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> fs::Result<()> {
        self.0.lock().read_sectors(first, buf)
    }
    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> fs::Result<()> {
        self.0.lock().write_sectors(first, buf)
    }
    fn flush(&mut self) -> fs::Result<()> {
        self.0.lock().flush()
    }
}

/// Mount `source` (`/dev/NAME`) as ext2.
pub fn open_ext2(source: &str) -> Result<Box<dyn vfs::FileSystem>, Errno> {
    let name = source.strip_prefix("/dev/").ok_or(Errno::ENODEV)?;
    let disk = {
        let mut t = DISKS.lock();
        let e = t.get_mut(name).ok_or(Errno::ENODEV)?;
        if e.1 {
            return Err(Errno::EBUSY);
        }
        e.1 = true;
        e.0.clone()
    };
    let clock = || drivers::rtc::now() as u32;
    match fs::Ext2::mount(DiskHandle(disk), Box::new(clock)) {
        Ok(fs) => Ok(Box::new(fs)),
        Err(e) => {
            if let Some(x) = DISKS.lock().get_mut(name) {
                x.1 = false;
            }
            log::warn!("mount {source}: {e:?}");
            Err(Errno::EINVAL)
        }
    }
}
