//! The file system as processes see it: one tree, reached by path (chapter 2, 3-2
//! "file management").
//!
//! Below this crate the file systems are pure logic: ext2 over a block device (`fs`),
//! and the VFS that joins mounts into one name space, with tmpfs and devfs (`vfs`).
//! This crate makes that one tree the kernel's: a single instance behind a lock,
//! mounted at boot, with the policy a running system needs on top.
//!
//! - [`tree`]: the VFS behind its lock, the file operations the layers above use, a
//!   process's working directory ([`Cwd`]), and the `/dev` nodes the device registry
//!   adds and removes.
//! - [`pages`]: the page cache's frames, the read that copies from them once, and
//!   the page fills that wait for the disk with the VFS let go.
//! - [`offlock`]: a slow file-system call waited for with the VFS let go, its
//!   operation run again after it.
//! - [`writers`]: `ETXTBSY`, the count of writers and executors of each file.
//! - [`mount`]: the root mount, the file-system-type registry, `mount`/`umount` and
//!   the mount table.
//!
//! The layer decision: this crate knows nothing of processes, open files or devices.
//! Who is asking arrives as [`Credentials`](cred::Credentials) and a starting
//! directory; the devices `/dev` starts with arrive as a list.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod mount;
pub mod offlock;
pub mod pages;
pub mod tree;
pub mod writers;

pub use mount::{
    fs_types, is_nosuid, mount, mount_root, mount_table_text, mount_tmpfs_root,
    register_builtin_fs_types, register_fs_type, set_mount_flags, umount, unregister_fs_type,
};
pub use tree::*;
pub use writers::{allow_write_access, deny_write_access, get_write_access, put_write_access};
