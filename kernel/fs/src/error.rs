//! Errors of the ext2 layer, one variant per POSIX errno name.
//!
//! The design decision: there is no "corrupt" or "device" error type of its own.
//! Anything found wrong on disk (a block number out of range, a bad `rec_len`, an
//! impossible size) and any device failure is `EIO`, so the VFS above can hand
//! every error straight to a program as an errno without translation. Mounting is
//! the one place that needs more detail, see [`MountError`].

use core::fmt;

/// A POSIX error number. The numeric values are Linux's (x86_64), see [`Errno::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Errno {
    /// Operation not permitted (e.g. a hard link to a directory).
    EPERM,
    /// No such file or directory.
    ENOENT,
    /// I/O error: the device failed, or the metadata on disk is corrupt.
    EIO,
    /// File exists.
    EEXIST,
    /// Cross-device link (reserved for the VFS).
    EXDEV,
    /// Not a directory.
    ENOTDIR,
    /// Is a directory.
    EISDIR,
    /// Invalid argument.
    EINVAL,
    /// File too large.
    EFBIG,
    /// No space left on device (no free block or inode).
    ENOSPC,
    /// Read-only file system.
    EROFS,
    /// Too many links.
    EMLINK,
    /// File name too long (or symlink target too long).
    ENAMETOOLONG,
    /// Directory not empty.
    ENOTEMPTY,
    /// Too many levels of symbolic links (produced by the VFS, never by ext2 itself).
    ELOOP,
    /// Operation not supported.
    EOPNOTSUPP,
}

impl Errno {
    /// The Linux x86_64 errno number.
    pub const fn code(self) -> i32 {
        match self {
            Errno::EPERM => 1,
            Errno::ENOENT => 2,
            Errno::EIO => 5,
            Errno::EEXIST => 17,
            Errno::EXDEV => 18,
            Errno::ENOTDIR => 20,
            Errno::EISDIR => 21,
            Errno::EINVAL => 22,
            Errno::EFBIG => 27,
            Errno::ENOSPC => 28,
            Errno::EROFS => 30,
            Errno::EMLINK => 31,
            Errno::ENAMETOOLONG => 36,
            Errno::ENOTEMPTY => 39,
            Errno::ELOOP => 40,
            Errno::EOPNOTSUPP => 95,
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Shorthand used throughout the crate.
pub type Result<T> = core::result::Result<T, Errno>;

/// The error for "the disk says something impossible". Kept as a function so that a
/// debugger breakpoint here catches every corruption report.
#[inline(never)]
pub(crate) fn corrupt<T>() -> Result<T> {
    Err(Errno::EIO)
}

/// Why [`crate::Ext2::mount`] refused an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountError {
    /// The superblock magic is not 0xEF53: not an ext2 file system.
    BadMagic,
    /// The image needs a feature this driver does not implement (named here),
    /// even for reading.
    Unsupported(&'static str),
    /// The device failed or the superblock / group descriptors are inconsistent.
    Fs(Errno),
}

impl From<Errno> for MountError {
    fn from(e: Errno) -> Self {
        MountError::Fs(e)
    }
}

impl fmt::Display for MountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MountError::BadMagic => write!(f, "not an ext2 file system (bad magic)"),
            MountError::Unsupported(name) => write!(f, "unsupported ext2 feature: {name}"),
            MountError::Fs(e) => write!(f, "cannot mount: {e}"),
        }
    }
}
