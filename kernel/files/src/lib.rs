//! Open files: everything a descriptor can name, and the descriptors themselves
//! (chapter 2, 3-2 "file management" and "communication"; section 7 "extensible").
//!
//! - [`fileobj`]: the [`FileObject`] trait (Linux's `file_operations`) that a file-system
//!   node ([`NodeFile`]), a pipe end, the terminal and every device implement, with the
//!   typed device requests ([`Ioctl`]) and readiness.
//! - [`openfile`]: [`OpenFile`], an object plus its offset and flags; `open` of a path.
//! - [`fdtable`]: a process's [`FdTable`].
//! - [`pipe`]: pipes, the first way processes pass messages.
//! - [`shm`]: named shared-memory segments, file-like objects of anonymous frames.
//! - [`signals`]: the two things this layer needs from signals (EINTR and SIGPIPE),
//!   as a trait the process layer implements.
//!
//! The layer decision: this crate sits on the file tree (`fsys`) and below devices, the
//! terminal and processes. A device is one more `impl FileObject` above it, found
//! through the lookup the registry installs; a process is never named here.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod fdtable;
pub mod fileobj;
pub mod openfile;
pub mod pipe;
pub mod shm;
pub mod signals;

pub use fdtable::{FdTable, MAX_FDS};
pub use fileobj::{
    ByteSink, ByteSource, FileObject, Ioctl, IoctlReply, Mapping, NodeFile, Readiness,
};
pub use openfile::{
    new_pipe, open, open_device, open_files, open_telling, set_device_open, set_generated_open,
    set_privileged_hook, OpenFile, Origin, MAX_OPEN_FILES, ROOT_RESERVE_FILES,
};
pub use signals::Signals;
