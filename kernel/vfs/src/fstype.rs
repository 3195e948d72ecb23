//! File-system types by name: what `mount -t TYPE` looks up (Linux's
//! `register_filesystem`, chapter 2 section 7 "extensible").
//!
//! The VFS knows a kind of file system only through its entry here: a name and a
//! *factory* that builds a mounted [`FileSystem`] from a source string (a device path
//! such as `/dev/disk0`, or nothing for a file system in RAM). A type can be
//! registered and unregistered at any time (a module will do both); mounts already
//! made keep their file system, since the factory is needed only to build one.
//! The design decision: like [`Vfs`](crate::Vfs), this is plain data with no lock; the
//! kernel keeps one behind its own mutex, and hands out a factory (an `Arc`) to call
//! *outside* it, because building an ext2 mount reads the disk.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;

use crate::filesystem::{FileSystem, Result};

/// Builds a file system of one type from a mount's source string.
pub type FsFactory = Arc<dyn Fn(&str) -> Result<Box<dyn FileSystem>> + Send + Sync>;

/// The registered file-system types.
#[derive(Default)]
pub struct FsTypes {
    types: BTreeMap<String, FsFactory>,
}

impl FsTypes {
    /// No types yet.
    pub const fn new() -> FsTypes {
        FsTypes {
            types: BTreeMap::new(),
        }
    }

    /// Adds type `name`; `EEXIST` if it is taken, `EINVAL` for an empty name or one
    /// with a space or `/` (it appears in the mount table's columns).
    pub fn register(&mut self, name: &str, factory: FsFactory) -> Result<()> {
        if name.is_empty() || name.contains([' ', '/', '\n']) {
            return Err(Errno::EINVAL);
        }
        if self.types.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        self.types.insert(String::from(name), factory);
        Ok(())
    }

    /// Removes type `name` (`ENOENT` if it is not registered).
    pub fn unregister(&mut self, name: &str) -> Result<()> {
        self.types.remove(name).map(|_| ()).ok_or(Errno::ENOENT)
    }

    /// The factory of type `name`: `ENODEV` for a type nobody registered, as Linux
    /// answers `mount -t nosuchfs`.
    pub fn factory(&self, name: &str) -> Result<FsFactory> {
        self.types.get(name).cloned().ok_or(Errno::ENODEV)
    }

    /// Builds a file system of type `name` from `source`.
    pub fn build(&self, name: &str, source: &str) -> Result<Box<dyn FileSystem>> {
        self.factory(name)?(source)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.types.keys().cloned().collect()
    }
}
