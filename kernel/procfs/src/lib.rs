//! `/proc`: the kernel's state as a file system (chapter 2, 3-2 "information
//! maintenance", and section 1's logging and error-detection services).
//!
//! The chapter lists system calls that *get* information: the time, the number of
//! users, free memory, a process's attributes. Linux (after Plan 9) answers most of
//! them with files instead, so that `cat`, `grep` and every program that can read a
//! file can read the kernel: `/proc/meminfo`, `/proc/PID/status`. This crate is that
//! file system, mounted at boot on `/proc`:
//!
//! - [`names`]: the tree. Inode numbers encode what they name (`pid << 12 | entry`),
//!   so nothing is stored and a process's directory lives exactly as long as it does;
//!   it runs under the VFS lock and reads processes only through their spinlocks.
//! - [`file`]: an open file's text, made when a read starts at 0 (outside the VFS
//!   lock); `/proc/kmsg` read by position in the kernel log.
//! - [`pid`]: `status`, `stat`, `maps`, `cmdline`, `environ` of one process.
//! - [`system`]: `meminfo`, `uptime`, `loadavg`, `interrupts`, `cpuinfo`, `mounts`,
//!   `version`; the load-average sampler.
//!
//! The layer decision: this crate sits on the process layer (it reads processes) and
//! below the system calls; the VFS knows it only as one more registered file-system
//! type (`proc`), whose files are opened through the hook `files` offers for
//! generated files, and whose `cwd`, `exe` and `fd/N` are "magic" links the VFS turns
//! into paths (`FileSystem::link_node`).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod file;
pub mod heaptrack;
pub mod names;
pub mod pid;
pub mod system;

use alloc::boxed::Box;
use alloc::sync::Arc;

/// Register the `proc` type, make `/proc` if the root lacks it, mount it there and
/// start the load-average sampler.
pub fn init() -> Result<(), abi::Errno> {
    files::set_generated_open(file::open);
    fsys::register_fs_type(
        "proc",
        Arc::new(|_: &str| Ok(Box::new(names::ProcFs) as Box<dyn vfs::FileSystem>)),
    )?;
    let root = fsys::root();
    match fsys::with(|v| v.mkdir(&cred::ROOT, root, "/proc", 0o555).map(|_| ())) {
        Ok(()) | Err(abi::Errno::EEXIST) => {}
        Err(e) => return Err(e),
    }
    fsys::mount(&cred::ROOT, root, "/proc", "proc", "proc")?;
    system::start_sampler();
    Ok(())
}
