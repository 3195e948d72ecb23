//! Mounting a registered disk as ext2: the glue between the disk registry and the VFS.
//!
//! The registry itself (register, unregister, names, claims) belongs to the drivers
//! layer (`drivers::block`) and is re-exported here for the callers in this crate;
//! what stays is the one step that needs `fs` and `vfs` together.

use abi::Errno;
use alloc::boxed::Box;
pub use drivers::block::{
    claim, get, is_mounted, mark_mounted, mark_unmounted, names, register, unregister, DiskHandle,
    RegistryError, SharedDisk,
};

/// Mount `source` (`/dev/NAME`) as ext2.
pub fn open_ext2(source: &str) -> Result<Box<dyn vfs::FileSystem>, Errno> {
    let name = source.strip_prefix("/dev/").ok_or(Errno::ENODEV)?;
    let disk = claim(name).map_err(|e| match e {
        RegistryError::Busy => Errno::EBUSY,
        _ => Errno::ENODEV,
    })?;
    let clock = || drivers::rtc::now() as u32;
    match fs::Ext2::mount(DiskHandle(disk), Box::new(clock)) {
        Ok(fs) => Ok(Box::new(fs)),
        Err(e) => {
            mark_unmounted(name);
            log::warn!("mount {source}: {e:?}");
            Err(Errno::EINVAL)
        }
    }
}
