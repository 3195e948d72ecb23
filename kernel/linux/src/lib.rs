//! The Linux personality: Linux's x86-64 system-call table, so that unmodified static
//! Linux executables (Debian's busybox-static, programs built with `musl-gcc -static`)
//! run on dinos beside native programs (chapter 2 section 6: applications are tied to
//! one OS by its system calls, its binary format and its calling conventions; an OS
//! can offer another's ABI).
//!
//! The loader already handles the binary format (ELF, with Linux's initial stack and
//! auxiliary vector) and picks the personality from the executable (`proc::personality`).
//! This crate is the rest: one table indexed by *Linux's* call numbers, whose rows are
//! made with the native table's machinery (`syscall::entry!`, the same decoders, so
//! `trace` names every Linux call and shows its arguments), and whose handlers are
//! thin translations onto the operations the native calls use (`syscall::ops`, the
//! VFS, the process and signal code). There is no second file system, scheduler or
//! signal implementation: a Linux `sort` reads the same pipe a native `echo` writes.
//!
//! One file per family of calls, as in `syscall::ops`: [`file`], [`process`],
//! [`signal`], [`memory`], [`info`]. What differs between the two ABIs (C strings
//! instead of pointer and length, `*at` directory descriptors, structure layouts,
//! signal sets, termios) is converted at one boundary, [`uapi`]. A call with no row
//! answers ENOSYS, and the first time each number is seen it is logged, so the
//! missing piece of a program that does not work shows in the kernel log.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod args;
pub mod file;
pub mod info;
pub mod memory;
mod names;
pub mod net;
pub mod process;
pub mod signal;
mod table;
pub mod uapi;
pub mod xattr;

pub use table::{TABLE, TABLE_LEN};

use abi::Errno;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::trap::TrapFrame;
use syscall::table::{Ctx, Entry, SysResult};

static ABI: syscall::Abi = syscall::Abi {
    tag: "linux:",
    table: &TABLE,
    unknown,
    extra: no_extra,
};

/// The Linux personality's entry point (hal calls it for threads of Linux programs).
pub fn dispatch_linux(frame: &mut TrapFrame) {
    let number = frame.rax;
    syscall::dispatch(&ABI, frame);
    if frame.rax == Errno::EINTR.as_return() as u64 && restartable(number) {
        // Linux's ERESTARTSYS: made again after a signal with no handler, or one with
        // SA_RESTART (proc::signal::on_return_to_user).
        if let Some(p) = proc::current() {
            p.sig.lock().me().restart = Some(number);
        }
    }
}

/// The calls Linux restarts (ERESTARTSYS): reads, writes, opens and waits. Not the
/// sleeps, polls and signal waits, which Linux ends with EINTR after a handler too.
fn restartable(number: u64) -> bool {
    matches!(number, 0 | 1 | 2 | 17 | 18 | 19 | 20 | 40 | 61 | 247 | 257)
}

fn no_extra(_: usize) -> Option<Entry> {
    None
}

/// Numbers already reported (one bit each): each missing call is logged once.
static REPORTED: [AtomicU64; TABLE_LEN.div_ceil(64) + 1] =
    [const { AtomicU64::new(0) }; TABLE_LEN.div_ceil(64) + 1];

/// A call the table has no row for: ENOSYS, logged the first time per number.
#[cold]
fn unknown(number: usize, _: &mut Ctx) -> SysResult {
    let (word, bit) = (number.min(TABLE_LEN) / 64, number.min(TABLE_LEN) % 64);
    let seen = REPORTED[word].fetch_or(1 << bit, Ordering::Relaxed) & (1 << bit) != 0;
    if !seen {
        let (pid, name) = proc::current().map_or((0, alloc::string::String::new()), |p| {
            (p.pid, p.name.lock().clone())
        });
        let call = names::name(number).unwrap_or("no such Linux call");
        log::warn!(
            "pid {pid} ({name}): Linux system call {number} is not implemented (ENOSYS): {call}"
        );
    }
    Err(Errno::ENOSYS)
}

/// Install the Linux personality's table.
pub fn init() {
    proc::personality::install(proc::personality::Personality::Linux, dispatch_linux);
}

/// Where a path starts: the directory descriptor matters only for a relative path
/// (Linux ignores it, even a bad one, for an absolute path).
pub(crate) fn start(dir: syscall::ops::file::Dir, path: &str) -> syscall::ops::file::Dir {
    if path.starts_with('/') {
        syscall::ops::file::Dir::Cwd
    } else {
        dir
    }
}

/// Write `bytes` to user memory at `addr` (a Linux structure made by [`uapi`]).
pub(crate) fn put(addr: u64, bytes: &[u8]) -> Result<(), Errno> {
    proc::uaccess::write_bytes(addr, bytes)
}

/// Read `N` bytes of user memory at `addr`.
pub(crate) fn get<const N: usize>(addr: u64) -> Result<[u8; N], Errno> {
    let mut b = [0u8; N];
    proc::uaccess::read_into(addr, &mut b)?;
    Ok(b)
}

pub(crate) fn le64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}
