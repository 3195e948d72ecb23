//! ext2: the dinos disk file system, as pure logic over a [`BlockDevice`].
//!
//! "File management" (create, delete, open, read, write, seek, stat, directories,
//! links) ends here, in blocks on a disk. The layers, bottom up, one file each:
//!
//! | file            | layer                                                        |
//! |-----------------|--------------------------------------------------------------|
//! | `block.rs`      | the device: fixed-size sectors, `MemDisk` for RAM and tests |
//! | `cache.rs`      | write-back cache of file-system blocks, `sync`               |
//! | `superblock.rs` | the superblock, geometry, which features we accept           |
//! | `group.rs`      | block group descriptors                                      |
//! | `bitmap.rs`     | block and inode bitmaps                                      |
//! | `inode.rs`      | inodes and the block map (direct, 1/2/3-level indirect)      |
//! | `dir.rs`        | directory entries inside directory blocks                    |
//! | `dirindex.rs`   | in-memory index of large directories: name -> entry, room    |
//! | `file.rs`       | file contents: read, write, truncate, symlink targets        |
//! | `namemap.rs`    | a map of names ordered by hash (directory-sized name sets)  |
//! | `namei.rs`      | names: lookup, create, mkdir, link, unlink, rmdir, rename    |
//! | `fs.rs`         | mount, sync, stat, statfs, the public [`Ext2`] type          |
//! | `journal.rs`    | the JBD2 journal on disk and its replay at mount             |
//! | `journal_write.rs` | journaled sync: ordered data, log, commit, checkpoint     |
//! | `journal_mount.rs` | the journal's part in mount, sync and clean unmount       |
//!
//! The one design decision a reader must know: nothing read from the disk is
//! trusted. Every block number, inode number, `rec_len` and size is checked
//! before use, and anything impossible is `EIO` — a corrupt or hostile image can
//! make a call fail, never make the kernel panic, loop or allocate without bound.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod bitmap;
pub mod block;
pub mod cache;
mod dir;
mod dirindex;
pub mod error;
mod file;
mod fs;
mod group;
mod icache;
mod inode;
pub mod journal;
mod journal_mount;
mod journal_write;
mod namei;
pub mod namemap;
pub mod superblock;

pub use block::{BlockDevice, MemDisk};
pub use dir::{DirEntry, NAME_MAX};
pub use error::{Errno, MountError, Result};
pub use file::FAST_SYMLINK_MAX;
pub use fs::{Clock, Ext2, FileType, MountOptions, Stat, StatFs};
pub use inode::mode;
pub use journal::JournalStats;
pub use namei::{NewOwner, LINK_MAX};
