//! The virtual file system: one tree of names over many file systems.
//!
//! Chapter 2's file-management system calls (create, delete, open, read, write,
//! stat, directories, links) all start here, with a *path*. This crate is the layer
//! between those calls and the file systems below it, the layered design of the
//! chapter's section 7 in miniature:
//!
//! | file            | layer                                                          |
//! |-----------------|----------------------------------------------------------------|
//! | `filesystem.rs` | the [`FileSystem`] trait every file system implements          |
//! | `ext2.rs`       | the adapter that makes the `fs` crate's ext2 a [`FileSystem`]   |
//! | `tmpfs.rs`      | [`TmpFs`]: files in RAM, gone at power-off                      |
//! | `devfs.rs`      | [`DevFs`]: device nodes by name (`/dev/null`, `/dev/console`)   |
//! | `mount.rs`      | the mount table: which file system covers which directory       |
//! | `fstype.rs`     | [`FsTypes`]: file-system types by name, for `mount -t TYPE`     |
//! | `pagecache.rs`  | [`PageCache`]: regular files' contents in 4 KiB pages           |
//! | `pagemap.rs`    | one file's cached pages by index: a two-level table              |
//! | `fileio.rs`     | read, write, truncate and mapped pages through the page cache   |
//! | `fill.rs`       | page-cache misses read from the disk with the VFS let go        |
//! | `walk.rs`       | path resolution: `.`, `..`, symlinks, mount crossings           |
//! | `dcache.rs`     | the name cache: (directory, name) -> inode or "absent"          |
//! | `ops.rs`        | the system calls' view: open, mkdir, unlink, rename, stat ...   |
//! | `perm.rs`       | which permission each operation needs (rule: `cred` crate)      |
//! | `attr.rs`       | chown, fchown, fchmod, access: owners and permission asked      |
//! | `dirent.rs`     | packing directory entries for `getdents`                        |
//!
//! The one design decision a reader must know: a node is named by a [`NodeRef`],
//! a (mount id, inode number) pair, and the VFS keeps no cache of nodes and no
//! locks: every call about a node asks its file system again, and the kernel
//! serialises calls by holding one [`Vfs`] behind one sleeping mutex. Two things are
//! cached: *names* (`dcache.rs`), so a walk does not ask a file system again for a
//! name it has seen, and every name operation keeps that cache exact; and file
//! *contents*, in the page cache (`pagecache.rs`). That
//! makes this layer small, pure logic that the host tests drive directly. Every operation that
//! walks a path or changes a node takes the caller's [`Credentials`] and checks
//! them with the one permission rule (`perm.rs`); the root credentials pass
//! every check, so the kernel's own calls use [`cred::ROOT`].
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod attr;
mod dcache;
mod devfs;
mod dirent;
mod ext2;
mod fileio;
mod filesystem;
mod fill;
mod fstype;
mod mount;
mod ops;
mod pagecache;
mod pagemap;
mod perm;
mod tmpfs;
mod walk;

pub use abi::Errno;
pub use cred::{Access, Capability, Credentials, ROOT};
pub use devfs::DevFs;
pub use dirent::{dirent_len, pack_dirents};
pub use fileio::{PagePiece, ReadStop, DEFAULT_PAGES};
pub use filesystem::{DirEntry, FileSystem, FsStat, NodeKind, Result};
pub use fill::{DiskRun, Fill, RawDisk};
pub use fstype::{FsFactory, FsTypes};
pub use mount::{MountInfo, NodeRef, Vfs};
pub use ops::Opened;
pub use pagecache::{CacheStats, HeapPages, PageCache, PageId, PageStore, PAGE_SIZE};
pub use tmpfs::TmpFs;
pub use walk::{MAXSYMLINKS, NAME_MAX, PATH_MAX};
