//! The block device interface the file system is written against.
//!
//! The trait and the in-memory disk live in the `block` crate, below both this crate
//! and the drivers (so the read path never climbs back up a layer); this module names
//! them for the rest of `fs` and turns a device error into this crate's [`Errno`].

pub use block::{BlockDevice, MemDisk, MEM_SECTOR};

use crate::error::Errno;

impl From<block::Error> for Errno {
    fn from(e: block::Error) -> Errno {
        match e {
            block::Error::Io => Errno::EIO,
            block::Error::Invalid => Errno::EINVAL,
            block::Error::ReadOnly => Errno::EROFS,
        }
    }
}

impl From<block::Error> for crate::error::MountError {
    fn from(e: block::Error) -> Self {
        crate::error::MountError::Fs(e.into())
    }
}
