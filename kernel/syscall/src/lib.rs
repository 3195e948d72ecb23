//! The system-call interface (chapter 2 section 3): the numbered table every user
//! request passes through.
//!
//! hal's `syscall` entry hands over the trap frame; [`dispatch`] looks the number up in
//! [`TABLE`], calls the handler with the six argument registers, and writes the result
//! (or `-errno`) back into `rax`. Handlers live in one file per family of calls, the
//! chapter's six categories: [`process`], [`file`], [`device`], [`info`], [`comm`]
//! (pipes; message ports and shared memory later) and [`protect`]. Each returns
//! `Result<usize, Errno>`; `?` carries every error to the one place it becomes a
//! negative return value. User pointers are only reached through `proc::uaccess`.
//!
//! The table's names serve tracing: with `trace` on the kernel command line (or later
//! the `trace` command), every call is logged with its arguments and result. With
//! `callring` on the command line, the last [`RING_LEN`] calls (pid, number, first four
//! arguments, result) are kept in a ring ([`ring`]) that a kernel panic or fatal fault
//! prints, so a crash found by a fuzzer shows the calls that led to it. Both options
//! share one flag word, so the common path still costs a single relaxed load.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod comm;
mod device;
mod file;
mod info;
mod process;
mod protect;
mod ring;

pub use ring::{print_recent_calls, RING_LEN};

use abi::{nr, Errno};
use core::sync::atomic::{AtomicU8, Ordering};
use hal::trap::TrapFrame;

/// What a handler sees: the caller's saved registers. Arguments are read from them on
/// demand ([`Args::arg`]); fork, exec and sigreturn use the whole frame.
pub struct Args<'a> {
    pub frame: &'a mut TrapFrame,
}

impl Args<'_> {
    /// Argument `i` (0-5): `rdi, rsi, rdx, r10, r8, r9`.
    #[inline]
    pub fn arg(&self, i: usize) -> u64 {
        let f = &*self.frame;
        match i {
            0 => f.rdi,
            1 => f.rsi,
            2 => f.rdx,
            3 => f.r10,
            4 => f.r8,
            _ => f.r9,
        }
    }
}

type Handler = fn(&mut Args) -> Result<usize, Errno>;

/// One table row: the name (for tracing) and the handler.
pub struct Entry {
    pub name: &'static str,
    pub handler: Handler,
}

const fn e(name: &'static str, handler: Handler) -> Option<Entry> {
    Some(Entry { name, handler })
}

/// The system-call table, indexed by number (abi::nr).
pub static TABLE: [Option<Entry>; nr::COUNT] = {
    let mut t = [const { None }; nr::COUNT];
    t[nr::NULL] = e("null", info::null);
    t[nr::EXIT] = e("exit", process::exit);
    t[nr::FORK] = e("fork", process::fork);
    t[nr::EXEC] = e("exec", process::exec);
    t[nr::SPAWN] = e("spawn", process::spawn);
    t[nr::WAITPID] = e("waitpid", process::waitpid);
    t[nr::GETPID] = e("getpid", process::getpid);
    t[nr::GETPPID] = e("getppid", process::getppid);
    t[nr::KILL] = e("kill", process::kill);
    t[nr::SIGACTION] = e("sigaction", process::sigaction);
    t[nr::SIGPROCMASK] = e("sigprocmask", process::sigprocmask);
    t[nr::SIGRETURN] = e("sigreturn", process::sigreturn);
    t[nr::NANOSLEEP] = e("nanosleep", process::nanosleep);
    t[nr::YIELD] = e("yield", process::yield_now);
    t[nr::BRK] = e("brk", process::brk);
    t[nr::MMAP] = e("mmap", process::mmap);
    t[nr::MUNMAP] = e("munmap", process::munmap);
    t[nr::SETPGID] = e("setpgid", process::setpgid);
    t[nr::GETPGID] = e("getpgid", process::getpgid);
    t[nr::SETSID] = e("setsid", process::setsid);
    t[nr::READ] = e("read", file::read);
    t[nr::WRITE] = e("write", file::write);
    t[nr::OPEN] = e("open", file::open);
    t[nr::CLOSE] = e("close", file::close);
    t[nr::LSEEK] = e("lseek", file::lseek);
    t[nr::DUP] = e("dup", file::dup);
    t[nr::DUP2] = e("dup2", file::dup2);
    t[nr::STAT] = e("stat", file::stat);
    t[nr::FSTAT] = e("fstat", file::fstat);
    t[nr::LSTAT] = e("lstat", file::lstat);
    t[nr::GETDENTS] = e("getdents", file::getdents);
    t[nr::CHDIR] = e("chdir", file::chdir);
    t[nr::GETCWD] = e("getcwd", file::getcwd);
    t[nr::PREAD] = e("pread", file::pread);
    t[nr::PWRITE] = e("pwrite", file::pwrite);
    t[nr::SYNC] = e("sync", file::sync);
    t[nr::FSYNC] = e("fsync", file::fsync);
    t[nr::MKDIR] = e("mkdir", file::mkdir);
    t[nr::UNLINK] = e("unlink", file::unlink);
    t[nr::RMDIR] = e("rmdir", file::rmdir);
    t[nr::RENAME] = e("rename", file::rename);
    t[nr::LINK] = e("link", file::link);
    t[nr::SYMLINK] = e("symlink", file::symlink);
    t[nr::READLINK] = e("readlink", file::readlink);
    t[nr::FTRUNCATE] = e("ftruncate", file::ftruncate);
    t[nr::CHMOD] = e("chmod", file::chmod);
    t[nr::TRUNCATE] = e("truncate", file::truncate);
    t[nr::UTIMES] = e("utimes", file::utimes);
    t[nr::STATFS] = e("statfs", file::statfs);
    t[nr::MOUNT] = e("mount", device::mount);
    t[nr::UMOUNT] = e("umount", device::umount);
    t[nr::MOUNTS] = e("mounts", device::mounts);
    t[nr::PIPE] = e("pipe", comm::pipe);
    t[nr::IOCTL] = e("ioctl", device::ioctl);
    t[nr::DEV_REQUEST] = e("dev_request", device::dev_request);
    t[nr::DEV_RELEASE] = e("dev_release", device::dev_release);
    t[nr::CLOCK_GETTIME] = e("clock_gettime", info::clock_gettime);
    t[nr::UNAME] = e("uname", info::uname);
    t[nr::SYSINFO] = e("sysinfo", info::sysinfo);
    t[nr::PROCLIST] = e("proclist", info::proclist);
    t[nr::TIMES] = e("times", info::times);
    t[nr::GETUID] = e("getuid", protect::getuid);
    t[nr::GETGID] = e("getgid", protect::getgid);
    t[nr::POWEROFF] = e("poweroff", protect::poweroff);
    t[nr::REBOOT] = e("reboot", protect::reboot);
    t
};

/// What the slow path watches: [`WATCH_TRACE`] and/or [`WATCH_RING`]; 0 (the common
/// case) costs the dispatcher one relaxed load and a not-taken branch.
static WATCH: AtomicU8 = AtomicU8::new(0);
const WATCH_TRACE: u8 = 1;
const WATCH_RING: u8 = 2;

/// Log every system call (the `trace` boot option) and/or keep the last calls in the
/// ring a fatal report prints (the `callring` boot option).
pub fn set_watch(trace: bool, ring: bool) {
    let w = if trace { WATCH_TRACE } else { 0 } | if ring { WATCH_RING } else { 0 };
    WATCH.store(w, Ordering::Relaxed);
}

/// hal's system-call handler. The common path is the table call alone; when a watcher
/// is on, [`dispatch_watched`] does the same with the recording around it.
pub fn dispatch(frame: &mut TrapFrame) {
    let watch = WATCH.load(Ordering::Relaxed);
    if watch != 0 {
        return dispatch_watched(frame, watch);
    }
    let number = frame.rax as usize;
    let result = match TABLE.get(number).and_then(|e| e.as_ref()) {
        Some(e) => (e.handler)(&mut Args { frame }),
        None => Err(Errno::ENOSYS),
    };
    frame.rax = match result {
        Ok(v) => v as u64,
        Err(e) => e.as_return() as u64,
    };
}

/// [`dispatch`] with the ring and/or the trace line.
#[cold]
#[inline(never)]
fn dispatch_watched(frame: &mut TrapFrame, watch: u8) {
    let number = frame.rax as usize;
    // The arguments as they came in (the call may change the frame).
    let a = [frame.rdi, frame.rsi, frame.rdx, frame.r10];
    let slot = if watch & WATCH_RING != 0 {
        ring::enter(number, a)
    } else {
        0
    };
    let entry = TABLE.get(number).and_then(|e| e.as_ref());
    let result = match entry {
        Some(e) => (e.handler)(&mut Args { frame }),
        None => Err(Errno::ENOSYS),
    };
    let raw = match result {
        Ok(v) => v as u64,
        Err(e) => e.as_return() as u64,
    };
    if watch & WATCH_RING != 0 {
        ring::leave(slot, raw);
    }
    if watch & WATCH_TRACE != 0 {
        let name = entry.map_or("?", |e| e.name);
        let pid = proc::current().map_or(0, |p| p.pid);
        match result {
            Ok(v) => log::info!(
                "[{pid}] {name}({:#x}, {:#x}, {:#x}) = {v:#x}",
                a[0],
                a[1],
                a[2]
            ),
            Err(e) => log::info!(
                "[{pid}] {name}({:#x}, {:#x}, {:#x}) = -{e:?}",
                a[0],
                a[1],
                a[2]
            ),
        }
    }
    frame.rax = raw;
}

/// Install the dispatcher.
pub fn init() {
    hal::user::set_syscall_handler(dispatch);
}

/// The calling process (every system call has one).
fn me() -> Result<alloc::sync::Arc<proc::Process>, Errno> {
    proc::current().ok_or(Errno::ESRCH)
}
