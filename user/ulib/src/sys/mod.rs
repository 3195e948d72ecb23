//! One typed, safe wrapper per system call in `abi::nr` (chapter 2 section 3: the API
//! sits on the system-call interface, and this module *is* that interface, seen from
//! Rust).
//!
//! Every wrapper turns its Rust arguments into the kernel's registers and decodes `rax`
//! with [`Errno::decode`]: `Ok(value)` or `Err(errno)`. Strings go as (pointer, length)
//! pairs, string lists as arrays of [`UserStr`], structures through local byte buffers
//! and the [`Pod`] conversions, so no pointer is ever cast to a structure. Every pointer
//! handed to the kernel comes from a live reference of the right length, which is what
//! makes the raw calls in [`raw`] sound.
//!
//! Three calls have no public wrapper because no safe one exists: `brk` and `munmap`
//! (shrinking or unmapping memory the allocator has handed out would free live Rust
//! objects; the allocator is their only user, crate-internal), and `sigreturn` (only the
//! trampoline in [`raw`] may call it, from inside a signal frame). `dev_request` and
//! `dev_release` are not wrapped yet: their kernel signatures are not fixed.
//!
//! The one unchecked entry is [`syscall6`], an `unsafe fn` taking raw registers, for
//! test programs that must hand the kernel invalid arguments on purpose (`usertests`).

mod info;
mod ipc;
mod net;
mod protect;
mod raw;
mod resource;
mod unix;

pub use info::*;
pub use ipc::*;
pub use net::*;
pub use protect::*;
pub use resource::{get_core_pattern, getrusage, prlimit, set_core_pattern};
pub use unix::*;

use abi::{nr, Errno, Pod, SigAction, SpawnArgs, Stat, StatFs, UserStr};
use raw::{syscall0, syscall1, syscall2, syscall3, syscall4};

/// The unchecked system call, for test programs only (see its documentation).
pub use raw::syscall6_unchecked as syscall6;

/// The result of every call: the kernel's value, or the error.
pub type SysResult = Result<usize, Errno>;

fn ret(v: usize) -> SysResult {
    Errno::decode(v)
}

fn ptr(b: &[u8]) -> usize {
    b.as_ptr() as usize
}

fn ptr_mut(b: &mut [u8]) -> usize {
    b.as_mut_ptr() as usize
}

fn strs_ptr(list: &[UserStr]) -> usize {
    list.as_ptr() as usize
}

// ---- process control ------------------------------------------------------------------

/// End the calling process with `code` (the low 8 bits reach the parent).
pub fn exit(code: i32) -> ! {
    syscall1(nr::EXIT, code as usize);
    // The kernel never returns from exit; if it somehow did, stop here for good.
    loop {
        syscall0(nr::YIELD);
    }
}

/// Duplicate the calling process: the child's pid in the parent, 0 in the child.
pub fn fork() -> SysResult {
    ret(syscall0(nr::FORK))
}

/// Replace the program: only returns on failure. `argv` and `envp` entries must point
/// at live strings (see [`UserStr`]); the kernel only reads them.
pub fn exec(path: &str, argv: &[UserStr], envp: &[UserStr]) -> SysResult {
    ret(raw::syscall6(
        nr::EXEC,
        path.as_ptr() as usize,
        path.len(),
        strs_ptr(argv),
        argv.len(),
        strs_ptr(envp),
        envp.len(),
    ))
}

/// Create a process running a program, from a parameter block: the child's pid.
pub fn spawn(args: &SpawnArgs) -> SysResult {
    let mut block = [0u8; <SpawnArgs as Pod>::SIZE];
    args.to_bytes(&mut block);
    ret(syscall1(nr::SPAWN, ptr(&block)))
}

/// Wait for a child (`pid` -1 = any, negative = that process group): its pid, or 0 with
/// `WNOHANG` when none has changed state. The wait status goes to `status`.
pub fn waitpid(pid: i64, status: Option<&mut u32>, flags: u32) -> SysResult {
    let mut word = [0u8; 4];
    let out = if status.is_some() {
        ptr_mut(&mut word)
    } else {
        0
    };
    let r = ret(syscall3(nr::WAITPID, pid as usize, out, flags as usize));
    if let (Ok(_), Some(s)) = (&r, status) {
        *s = u32::from_le_bytes(word);
    }
    r
}

pub fn getpid() -> SysResult {
    ret(syscall0(nr::GETPID))
}

/// The call that does nothing (0): for measuring the system-call path.
pub fn null() -> SysResult {
    ret(syscall0(nr::NULL))
}

pub fn getppid() -> SysResult {
    ret(syscall0(nr::GETPPID))
}

/// Send `sig` to process `pid` (negative: to process group `-pid`; 0 just checks).
pub fn kill(pid: i64, sig: u32) -> SysResult {
    ret(syscall2(nr::KILL, pid as usize, sig as usize))
}

/// What a signal does, in a form that cannot name a bad handler address.
#[derive(Debug, Clone, Copy)]
pub enum Handler {
    Default,
    Ignore,
    /// Called with the signal number; it returns through ulib's trampoline.
    Call(extern "C" fn(u32)),
}

/// A disposition as the kernel stores it. Values only come from the kernel (the old
/// action of [`sigaction`]) or from a [`Handler`], so giving one back is always sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disposition(SigAction);

impl Disposition {
    pub fn new(handler: Handler, mask: u64) -> Disposition {
        let (handler, restorer) = match handler {
            Handler::Default => (abi::signal::SIG_DFL, 0),
            Handler::Ignore => (abi::signal::SIG_IGN, 0),
            Handler::Call(f) => (f as usize as u64, raw::sigreturn_trampoline()),
        };
        Disposition(SigAction {
            handler,
            mask,
            flags: 0,
            restorer,
        })
    }

    pub fn is_default(&self) -> bool {
        self.0.handler == abi::signal::SIG_DFL
    }

    pub fn is_ignore(&self) -> bool {
        self.0.handler == abi::signal::SIG_IGN
    }

    /// The raw structure, to look at (not to forge).
    pub fn raw(&self) -> SigAction {
        self.0
    }
}

/// Set (when `new` is given) and/or fetch (when `old` is given) a signal's disposition.
pub fn sigaction(sig: u32, new: Option<&Disposition>, old: Option<&mut Disposition>) -> SysResult {
    let mut new_b = [0u8; <SigAction as Pod>::SIZE];
    let mut old_b = [0u8; <SigAction as Pod>::SIZE];
    let new_p = match new {
        Some(d) => {
            d.0.to_bytes(&mut new_b);
            ptr(&new_b)
        }
        None => 0,
    };
    let old_p = if old.is_some() {
        ptr_mut(&mut old_b)
    } else {
        0
    };
    let r = ret(syscall3(nr::SIGACTION, sig as usize, new_p, old_p));
    if let (Ok(_), Some(o)) = (&r, old) {
        *o = Disposition(SigAction::from_bytes(&old_b));
    }
    r
}

/// Change the blocked-signal mask (`SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK`); the old
/// mask goes to `old`.
pub fn sigprocmask(how: u32, set: u64, old: Option<&mut u64>) -> SysResult {
    let mut word = [0u8; 8];
    let out = if old.is_some() { ptr_mut(&mut word) } else { 0 };
    let r = ret(syscall3(nr::SIGPROCMASK, how as usize, set as usize, out));
    if let (Ok(_), Some(o)) = (&r, old) {
        *o = u64::from_le_bytes(word);
    }
    r
}

/// Sleep `ns` nanoseconds (EINTR when a signal handler ran).
pub fn nanosleep(ns: u64) -> SysResult {
    ret(syscall1(nr::NANOSLEEP, ns as usize))
}

/// Give the CPU to another runnable thread (`yield`).
pub fn yield_now() -> SysResult {
    ret(syscall0(nr::YIELD))
}

/// Set the program break (`0` queries it): the break after the call. Crate-internal:
/// only the allocator may move it (see the module header).
#[cfg_attr(test, allow(dead_code))]
pub(crate) fn brk(addr: usize) -> SysResult {
    ret(syscall1(nr::BRK, addr))
}

/// Map `len` bytes of fresh anonymous memory: its address.
pub fn mmap(hint: usize, len: usize, prot: u32, flags: u32) -> SysResult {
    ret(raw::syscall6(
        nr::MMAP,
        hint,
        len,
        prot as usize,
        flags as usize,
        usize::MAX,
        0,
    ))
}

/// Map `len` bytes of the file open as `fd` from offset `off` (a multiple of the page
/// size), `MAP_SHARED` or `MAP_PRIVATE`: its address.
pub fn mmap_file(hint: usize, len: usize, prot: u32, flags: u32, fd: i32, off: u64) -> SysResult {
    ret(raw::syscall6(
        nr::MMAP,
        hint,
        len,
        prot as usize,
        flags as usize,
        fd as usize,
        off as usize,
    ))
}

/// Unmap memory. (Memory the allocator gave out is its to unmap: see the module
/// header; this is for mappings the program made itself.)
pub fn munmap(addr: usize, len: usize) -> SysResult {
    ret(syscall2(nr::MUNMAP, addr, len))
}

/// Change the rights of mapped pages.
pub fn mprotect(addr: usize, len: usize, prot: u32) -> SysResult {
    ret(syscall3(nr::MPROTECT, addr, len, prot as usize))
}

/// Write the shared file mappings in a range back to their files.
pub fn msync(addr: usize, len: usize, flags: u32) -> SysResult {
    ret(syscall3(nr::MSYNC, addr, len, flags as usize))
}

/// Put process `pid` (0 = caller) into group `pgid` (0 = its own pid).
pub fn setpgid(pid: u32, pgid: u32) -> SysResult {
    ret(syscall2(nr::SETPGID, pid as usize, pgid as usize))
}

/// Start a new session (and process group) led by the caller; returns its id.
pub fn setsid() -> SysResult {
    ret(syscall0(nr::SETSID))
}

/// The process group of `pid` (0 = caller).
pub fn getpgid(pid: u32) -> SysResult {
    ret(syscall1(nr::GETPGID, pid as usize))
}

/// Let process `pid` (0 = caller) run only on the CPUs in `mask` (bit N: CPU N).
pub fn sched_setaffinity(pid: u32, mask: u64) -> SysResult {
    ret(syscall2(nr::SCHED_SETAFFINITY, pid as usize, mask as usize))
}

/// The CPUs process `pid` (0 = caller) may run on, as a mask.
pub fn sched_getaffinity(pid: u32) -> Result<u64, Errno> {
    ret(syscall1(nr::SCHED_GETAFFINITY, pid as usize)).map(|m| m as u64)
}

/// The CPU the caller runs on now (it may move right after).
pub fn getcpu() -> SysResult {
    ret(syscall0(nr::GETCPU))
}

// ---- file management ------------------------------------------------------------------

pub fn read(fd: i32, buf: &mut [u8]) -> SysResult {
    ret(syscall3(nr::READ, fd as usize, ptr_mut(buf), buf.len()))
}

pub fn write(fd: i32, buf: &[u8]) -> SysResult {
    ret(syscall3(nr::WRITE, fd as usize, ptr(buf), buf.len()))
}

/// Open `path` with `O_*` flags (and `mode` for a created file): the descriptor.
pub fn open(path: &str, flags: u32, mode: u32) -> SysResult {
    ret(syscall4(
        nr::OPEN,
        path.as_ptr() as usize,
        path.len(),
        flags as usize,
        mode as usize,
    ))
}

/// Hold the device open on `fd` for exclusive use: another holder makes this wait, or
/// fail with EBUSY when `nonblock`.
pub fn dev_request(fd: i32, nonblock: bool) -> SysResult {
    let flags = if nonblock {
        abi::flags::DEV_NONBLOCK
    } else {
        0
    };
    ret(syscall2(nr::DEV_REQUEST, fd as usize, flags as usize))
}

/// Give back a device held with [`dev_request`].
pub fn dev_release(fd: i32) -> SysResult {
    ret(syscall1(nr::DEV_RELEASE, fd as usize))
}

pub fn close(fd: i32) -> SysResult {
    ret(syscall1(nr::CLOSE, fd as usize))
}

/// Move the file offset (`SEEK_SET`, `SEEK_CUR`, `SEEK_END`): the new offset.
pub fn lseek(fd: i32, offset: i64, whence: u32) -> SysResult {
    ret(syscall3(
        nr::LSEEK,
        fd as usize,
        offset as usize,
        whence as usize,
    ))
}

pub fn dup(fd: i32) -> SysResult {
    ret(syscall1(nr::DUP, fd as usize))
}

pub fn dup2(old: i32, new: i32) -> SysResult {
    ret(syscall2(nr::DUP2, old as usize, new as usize))
}

/// Make a pipe: `fds[0]` reads, `fds[1]` writes.
pub fn pipe(fds: &mut [i32; 2]) -> SysResult {
    let mut b = [0u8; 8];
    let r = ret(syscall1(nr::PIPE, ptr_mut(&mut b)))?;
    fds[0] = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    fds[1] = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    Ok(r)
}

/// Open (or create, with `O_CREAT`) the shared-memory segment `name` (`/name`).
pub fn shm_open(name: &str, flags: u32, mode: u32) -> SysResult {
    ret(syscall4(
        nr::SHM_OPEN,
        name.as_ptr() as usize,
        name.len(),
        flags as usize,
        mode as usize,
    ))
}

/// Remove the shared-memory segment `name` (it lives on while open or mapped).
pub fn shm_unlink(name: &str) -> SysResult {
    ret(syscall2(nr::SHM_UNLINK, name.as_ptr() as usize, name.len()))
}

/// `futex(word, op, val, timeout_ns)`: wait while `word` holds `val`
/// (`FUTEX_WAIT`), wake up to `val` waiters (`FUTEX_WAKE`), or wake one and wait
/// (`FUTEX_WAKE_WAIT`). The kernel only reads the word.
pub fn futex(
    word: &core::sync::atomic::AtomicU32,
    op: u32,
    val: u32,
    timeout_ns: u64,
) -> SysResult {
    ret(syscall4(
        nr::FUTEX,
        word.as_ptr() as usize,
        op as usize,
        val as usize,
        timeout_ns as usize,
    ))
}

// ---- threads --------------------------------------------------------------------------

/// Start a thread of this process at `entry(arg)` on the stack whose top is `stack`;
/// the kernel writes its tid into `word` before it runs and 0 when it exits, waking the
/// word's futex (`abi::nr::THREAD_SPAWN`). Returns the tid.
pub fn thread_spawn(
    entry: extern "C" fn(u64) -> !,
    stack: usize,
    arg: u64,
    word: &core::sync::atomic::AtomicU32,
) -> SysResult {
    ret(syscall4(
        nr::THREAD_SPAWN,
        entry as usize,
        stack,
        arg as usize,
        word.as_ptr() as usize,
    ))
}

/// Set the calling thread's thread pointer (`%fs` base; `abi::nr::SET_THREAD_POINTER`).
pub fn set_thread_pointer(addr: u64) -> SysResult {
    ret(syscall1(nr::SET_THREAD_POINTER, addr as usize))
}

/// The calling thread's thread pointer, 0 if none (`abi::nr::THREAD_POINTER`).
pub fn thread_pointer() -> SysResult {
    ret(syscall0(nr::THREAD_POINTER))
}

/// End the calling thread (the process too, if it is the last).
pub fn thread_exit(code: i32) -> ! {
    syscall1(nr::THREAD_EXIT, code as usize);
    loop {
        syscall0(nr::YIELD);
    }
}

/// The calling thread's id.
pub fn gettid() -> SysResult {
    ret(syscall0(nr::GETTID))
}

/// Send `sig` to thread `tid` alone.
pub fn tkill(tid: u32, sig: u32) -> SysResult {
    ret(syscall2(nr::TKILL, tid as usize, sig as usize))
}

fn stat_into(out: &mut Stat, call: impl FnOnce(usize) -> usize) -> SysResult {
    let mut b = [0u8; <Stat as Pod>::SIZE];
    let r = ret(call(ptr_mut(&mut b)))?;
    *out = Stat::from_bytes(&b);
    Ok(r)
}

/// Status of the file `path` names (following symbolic links).
pub fn stat(path: &str, out: &mut Stat) -> SysResult {
    stat_into(out, |p| {
        syscall3(nr::STAT, path.as_ptr() as usize, path.len(), p)
    })
}

pub fn fstat(fd: i32, out: &mut Stat) -> SysResult {
    stat_into(out, |p| syscall2(nr::FSTAT, fd as usize, p))
}

/// Status of `path` itself, not of what a symbolic link points at.
pub fn lstat(path: &str, out: &mut Stat) -> SysResult {
    stat_into(out, |p| {
        syscall3(nr::LSTAT, path.as_ptr() as usize, path.len(), p)
    })
}

/// Read directory records into `buf` (format in `abi::DIRENT_HEADER`): bytes, 0 at end.
pub fn getdents(fd: i32, buf: &mut [u8]) -> SysResult {
    ret(syscall3(nr::GETDENTS, fd as usize, ptr_mut(buf), buf.len()))
}

pub fn chdir(path: &str) -> SysResult {
    ret(syscall2(nr::CHDIR, path.as_ptr() as usize, path.len()))
}

/// The working directory into `buf`: its length.
pub fn getcwd(buf: &mut [u8]) -> SysResult {
    ret(syscall2(nr::GETCWD, ptr_mut(buf), buf.len()))
}

pub fn mkdir(path: &str, mode: u32) -> SysResult {
    ret(syscall3(
        nr::MKDIR,
        path.as_ptr() as usize,
        path.len(),
        mode as usize,
    ))
}

pub fn unlink(path: &str) -> SysResult {
    ret(syscall2(nr::UNLINK, path.as_ptr() as usize, path.len()))
}

pub fn rmdir(path: &str) -> SysResult {
    ret(syscall2(nr::RMDIR, path.as_ptr() as usize, path.len()))
}

pub fn rename(old: &str, new: &str) -> SysResult {
    ret(syscall4(
        nr::RENAME,
        old.as_ptr() as usize,
        old.len(),
        new.as_ptr() as usize,
        new.len(),
    ))
}

/// Make `new` another name (hard link) for `old`.
pub fn link(old: &str, new: &str) -> SysResult {
    ret(syscall4(
        nr::LINK,
        old.as_ptr() as usize,
        old.len(),
        new.as_ptr() as usize,
        new.len(),
    ))
}

/// Make `path` a symbolic link whose contents are `target`.
pub fn symlink(target: &str, path: &str) -> SysResult {
    ret(syscall4(
        nr::SYMLINK,
        target.as_ptr() as usize,
        target.len(),
        path.as_ptr() as usize,
        path.len(),
    ))
}

/// The contents of the symbolic link `path` into `buf`: the length.
pub fn readlink(path: &str, buf: &mut [u8]) -> SysResult {
    ret(syscall4(
        nr::READLINK,
        path.as_ptr() as usize,
        path.len(),
        ptr_mut(buf),
        buf.len(),
    ))
}

pub fn ftruncate(fd: i32, len: u64) -> SysResult {
    ret(syscall2(nr::FTRUNCATE, fd as usize, len as usize))
}

pub fn fsync(fd: i32) -> SysResult {
    ret(syscall1(nr::FSYNC, fd as usize))
}

pub fn fdatasync(fd: i32) -> SysResult {
    ret(syscall1(nr::FDATASYNC, fd as usize))
}

pub fn sync() -> SysResult {
    ret(syscall0(nr::SYNC))
}

/// Read at `offset` without moving the file offset.
pub fn pread(fd: i32, buf: &mut [u8], offset: u64) -> SysResult {
    ret(syscall4(
        nr::PREAD,
        fd as usize,
        ptr_mut(buf),
        buf.len(),
        offset as usize,
    ))
}

/// Write at `offset` without moving the file offset.
pub fn pwrite(fd: i32, buf: &[u8], offset: u64) -> SysResult {
    ret(syscall4(
        nr::PWRITE,
        fd as usize,
        ptr(buf),
        buf.len(),
        offset as usize,
    ))
}

/// Set the permission bits of `path` (`chmod`).
pub fn chmod(path: &str, mode: u32) -> SysResult {
    ret(syscall3(
        nr::CHMOD,
        path.as_ptr() as usize,
        path.len(),
        mode as usize,
    ))
}

/// Set the access and modification times of `path`, in seconds since 1970; each may be
/// `abi::UTIME_NOW` or `abi::UTIME_OMIT`.
pub fn utimes(path: &str, atime: u64, mtime: u64) -> SysResult {
    ret(syscall4(
        nr::UTIMES,
        path.as_ptr() as usize,
        path.len(),
        atime as usize,
        mtime as usize,
    ))
}

/// Status of the file system holding `path`.
pub fn statfs(path: &str, out: &mut StatFs) -> SysResult {
    let mut b = [0u8; <StatFs as Pod>::SIZE];
    let r = ret(syscall3(
        nr::STATFS,
        path.as_ptr() as usize,
        path.len(),
        ptr_mut(&mut b),
    ))?;
    *out = StatFs::from_bytes(&b);
    Ok(r)
}
