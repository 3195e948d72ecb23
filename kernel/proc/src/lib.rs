//! Processes: the unit a program runs as (chapter 2, 3-2 "process control").
//!
//! A process is one kernel thread (from `task`) plus what makes it a running program:
//! an address space (`mm`), a table of open files, a working directory, signal state,
//! a parent and children. This crate holds those mechanisms; the system-call layer
//! above (`syscall`) turns user requests into calls here.
//!
//! - [`process`]: the process table, pids, current process, CPU accounting.
//! - [`files`]: open files and descriptor tables; [`fileobj`], the [`FileObject`]
//!   trait every open file's object implements (nodes, [`pipe`] ends, devices);
//!   [`tty`], the console as a terminal with a line discipline and Ctrl-C.
//! - [`devices`]: the character-device registry `/dev` is built from, and exclusive
//!   request/release; [`vdevs`], the kernel's own devices; [`blockdev`], the disks.
//! - [`exec`]: loading an ELF program and building its initial stack.
//! - [`lifecycle`]: spawn, fork, exit, wait, kill.
//! - [`signal`]: pending signals, handlers, delivery on the way back to user mode,
//!   and what a fault in a program turns into.
//! - [`fsys`]: the root file system the programs come from, and the file-system-type
//!   registry `mount -t TYPE` looks up.
//! - [`personality`]: which system-call ABI a program speaks.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod blockdev;
pub mod devices;
pub mod exec;
pub mod fileobj;
pub mod files;
pub mod fsys;
pub mod lifecycle;
pub mod personality;
pub mod pipe;
pub mod process;
pub mod signal;
pub mod tty;
pub mod uaccess;
pub mod vdevs;

pub use fileobj::FileObject;
pub use process::{current, Pid, Process};
