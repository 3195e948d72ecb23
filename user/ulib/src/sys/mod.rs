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

mod net;
mod raw;
mod resource;
mod unix;

pub use net::*;
pub use resource::{get_core_pattern, getrusage, prlimit, set_core_pattern};
pub use unix::*;

use abi::{
    nr, Errno, Pod, PollFd, PortMsg, ProcInfo, SigAction, SpawnArgs, Stat, StatFs, SysInfo,
    Timespec, Tms, UserStr, Utsname,
};
use raw::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5};

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

// ---- communication: message ports and poll (docs/ipc.md) -------------------------------

/// A new message port queueing up to `capacity` messages (0: the default):
/// `fds[0]` receives, `fds[1]` sends. `flags`: O_NONBLOCK, O_CLOEXEC.
pub fn port_create(fds: &mut [i32; 2], capacity: u32, flags: u32) -> SysResult {
    let mut b = [0u8; 8];
    let r = ret(syscall3(
        nr::PORT_CREATE,
        ptr_mut(&mut b),
        capacity as usize,
        flags as usize,
    ))?;
    fds[0] = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    fds[1] = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    Ok(r)
}

/// Name the port whose receiving end is `fd`.
pub fn port_register(fd: i32, name: &str) -> SysResult {
    ret(syscall3(
        nr::PORT_REGISTER,
        fd as usize,
        name.as_ptr() as usize,
        name.len(),
    ))
}

/// Name the port whose receiving end is `fd`, with permission bits `mode` (used as
/// given) and `flags` (`PORT_REPLACE`: take over a name the caller owns).
pub fn port_register_mode(fd: i32, name: &str, mode: u32, flags: u32) -> SysResult {
    ret(raw::syscall5(
        nr::PORT_REGISTER_MODE,
        fd as usize,
        name.as_ptr() as usize,
        name.len(),
        mode as usize,
        flags as usize,
    ))
}

/// A new sending end of the port named `name`.
pub fn port_lookup(name: &str, flags: u32) -> SysResult {
    ret(syscall3(
        nr::PORT_LOOKUP,
        name.as_ptr() as usize,
        name.len(),
        flags as usize,
    ))
}

/// The parameter block describing bytes and descriptors to send.
fn msg_out(data: &[u8], fds: &[i32]) -> [u8; <PortMsg as Pod>::SIZE] {
    let m = PortMsg {
        buf: data.as_ptr() as u64,
        len: data.len().min(u32::MAX as usize) as u32,
        fds: fds.as_ptr() as u64,
        nfds: fds.len().min(u32::MAX as usize) as u32,
        ..Default::default()
    };
    let mut b = [0u8; <PortMsg as Pod>::SIZE];
    m.to_bytes(&mut b);
    b
}

/// The parameter block giving room for a message to arrive in.
fn msg_in(buf: &mut [u8], fds: &mut [i32]) -> [u8; <PortMsg as Pod>::SIZE] {
    msg_out(buf, fds)
}

/// Send `data` and the descriptors `fds` to the port `fd` sends to, waiting up to
/// `timeout_ns` for room (0: EAGAIN at once; `u64::MAX`: forever).
pub fn port_send(fd: i32, data: &[u8], fds: &[i32], timeout_ns: u64) -> SysResult {
    let b = msg_out(data, fds);
    ret(syscall3(
        nr::PORT_SEND,
        fd as usize,
        ptr(&b),
        timeout_ns as usize,
    ))
}

/// Take the next message of the port `fd` receives on into `buf` and `fds`; `out`
/// gets its sizes, token and sender (also on EMSGSIZE: the sizes it needs).
pub fn port_receive(
    fd: i32,
    buf: &mut [u8],
    fds: &mut [i32],
    timeout_ns: u64,
    out: &mut PortMsg,
) -> SysResult {
    let mut b = msg_in(buf, fds);
    let r = ret(syscall3(
        nr::PORT_RECEIVE,
        fd as usize,
        ptr_mut(&mut b),
        timeout_ns as usize,
    ));
    *out = PortMsg::from_bytes(&b);
    r
}

/// Send `data` and `fds` and wait for the answer, which arrives in `reply` and
/// `reply_fds` (`out` gets its sizes and sender).
pub fn port_call(
    fd: i32,
    data: &[u8],
    fds: &[i32],
    reply: &mut [u8],
    reply_fds: &mut [i32],
    timeout_ns: u64,
    out: &mut PortMsg,
) -> SysResult {
    let req = msg_out(data, fds);
    let mut ans = msg_in(reply, reply_fds);
    let r = ret(syscall4(
        nr::PORT_CALL,
        fd as usize,
        ptr(&req),
        ptr_mut(&mut ans),
        timeout_ns as usize,
    ));
    *out = PortMsg::from_bytes(&ans);
    r
}

/// Answer the call `token` received on the port whose receiving end is `fd`.
pub fn port_reply(fd: i32, token: u64, data: &[u8], fds: &[i32]) -> SysResult {
    let b = msg_out(data, fds);
    ret(syscall3(
        nr::PORT_REPLY,
        fd as usize,
        token as usize,
        ptr(&b),
    ))
}

/// Answer call `token` with `answer` (bytes, descriptors), then take the next message
/// into `room` as [`port_receive`] does (one call for a server's loop).
pub fn port_reply_receive(
    fd: i32,
    token: u64,
    answer: (&[u8], &[i32]),
    room: (&mut [u8], &mut [i32]),
    timeout_ns: u64,
    out: &mut PortMsg,
) -> SysResult {
    let ans = msg_out(answer.0, answer.1);
    let mut b = msg_in(room.0, room.1);
    let r = ret(syscall5(
        nr::PORT_REPLY_RECEIVE,
        fd as usize,
        token as usize,
        ptr(&ans),
        ptr_mut(&mut b),
        timeout_ns as usize,
    ));
    *out = PortMsg::from_bytes(&b);
    r
}

/// A short message in registers: up to [`abi::flags::PORT_SHORT_MAX`] bytes as four
/// little-endian words, and how many of those bytes count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Short {
    pub words: [u64; 4],
    pub len: u32,
}

/// `fd` with a short message's length in bits 32-39 (the short calls' first word).
fn short_tag(fd: i32, len: u32) -> usize {
    (fd as u32 as usize) | ((len.min(255) as usize) << 32)
}

/// A timeout in nanoseconds as `port_reply_receive_short`'s bits 40-63 of its first
/// word take it: 0 waits forever, `0xff_ffff` not at all, else whole milliseconds.
fn short_timeout(ns: u64) -> usize {
    use abi::flags::{PORT_SHORT_NOWAIT, TIMEOUT_FOREVER};
    let ms = match ns {
        TIMEOUT_FOREVER => 0,
        0 => PORT_SHORT_NOWAIT,
        ns => ns.div_ceil(1_000_000).clamp(1, PORT_SHORT_NOWAIT - 1),
    };
    (ms as usize) << 40
}

/// Call the port `fd` sends to with `msg`, waiting up to `timeout_ns` in all: the
/// answer (at most 32 bytes, no descriptors). The fast path of docs/ipc.md: nothing is
/// read from or written to memory.
pub fn port_call_short(fd: i32, msg: &Short, timeout_ns: u64) -> Result<Short, Errno> {
    let w = msg.words;
    let (r, o) = raw::syscall_exchange(
        nr::PORT_CALL_SHORT,
        [
            short_tag(fd, msg.len),
            w[0] as usize,
            w[1] as usize,
            w[2] as usize,
            w[3] as usize,
            timeout_ns as usize,
        ],
    );
    let len = ret(r)? as u32;
    Ok(Short {
        words: [o[1] as u64, o[2] as u64, o[3] as u64, o[4] as u64],
        len,
    })
}

/// A short message received: its words and length, its token (0: no answer wanted)
/// and its sender's pid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShortReceived {
    pub msg: Short,
    pub token: u64,
    pub pid: u32,
}

/// Answer call `token` (0: none) with `answer`, then wait up to `timeout_ns` (rounded
/// up to milliseconds) for the next message of at most 32 bytes and no descriptors on
/// the port whose receiving end is `fd` (EMSGSIZE, the message left queued, for a
/// larger one).
pub fn port_reply_receive_short(
    fd: i32,
    token: u64,
    answer: &Short,
    timeout_ns: u64,
) -> Result<ShortReceived, Errno> {
    let w = answer.words;
    let (r, o) = raw::syscall_exchange(
        nr::PORT_REPLY_RECEIVE_SHORT,
        [
            short_tag(fd, answer.len) | short_timeout(timeout_ns),
            token as usize,
            w[0] as usize,
            w[1] as usize,
            w[2] as usize,
            w[3] as usize,
        ],
    );
    let token = ret(r)? as u64;
    Ok(ShortReceived {
        msg: Short {
            words: [o[1] as u64, o[2] as u64, o[3] as u64, o[4] as u64],
            len: o[5] as u32,
        },
        token,
        pid: (o[5] >> 32) as u32,
    })
}

/// Wait up to `timeout_ns` until one of `fds` is ready: how many are (their `revents`
/// set), 0 when the time ran out.
pub fn poll(fds: &mut [PollFd], timeout_ns: u64) -> SysResult {
    let mut b = alloc::vec![0u8; fds.len() * <PollFd as Pod>::SIZE];
    for (i, f) in fds.iter().enumerate() {
        f.to_bytes(&mut b[i * PollFd::SIZE..]);
    }
    let r = ret(syscall3(
        nr::POLL,
        ptr_mut(&mut b),
        fds.len(),
        timeout_ns as usize,
    ))?;
    for (i, f) in fds.iter_mut().enumerate() {
        *f = PollFd::from_bytes(&b[i * PollFd::SIZE..]);
    }
    Ok(r)
}

// ---- device management ----------------------------------------------------------------

/// How many bytes the kernel reads or writes at `arg` for a request, if it is known.
pub fn ioctl_arg_size(request: u32) -> Option<usize> {
    use abi::flags::*;
    match request {
        TCGETMODE | TCSETMODE | TIOCSPGRP | TIOCGPGRP | INPIOGABSMAX => Some(4),
        TIOCSCTTY | TIOCGPTN | TIOCSPTLCK => Some(4),
        SHMIOADDSEALS | SHMIOGETSEALS => Some(4),
        TIOCGWINSZ | TIOCSWINSZ => Some(<abi::WinSize as Pod>::SIZE),
        BLKGETSIZE64 => Some(8),
        FBIOGET_MODE | FBIOSET_MODE => Some(<abi::FbMode as Pod>::SIZE),
        _ => None,
    }
}

/// A device request; `arg` is the argument buffer the request reads or fills (its size
/// is checked against [`ioctl_arg_size`]: an unknown request or a short buffer is
/// EINVAL, so the kernel can never write past it).
pub fn ioctl(fd: i32, request: u32, arg: &mut [u8]) -> SysResult {
    match ioctl_arg_size(request) {
        Some(n) if arg.len() >= n => ret(syscall3(
            nr::IOCTL,
            fd as usize,
            request as usize,
            ptr_mut(arg),
        )),
        _ => Err(Errno::EINVAL),
    }
}

/// Mount a file system of type `fstype` ("tmpfs", "ext2") from `source` (a device path;
/// ignored by tmpfs) on the directory `target`.
pub fn mount(target: &str, fstype: &str, source: &str) -> SysResult {
    ret(raw::syscall6(
        nr::MOUNT,
        target.as_ptr() as usize,
        target.len(),
        fstype.as_ptr() as usize,
        fstype.len(),
        source.as_ptr() as usize,
        source.len(),
    ))
}

/// Unmount the file system mounted on `target`.
pub fn umount(target: &str) -> SysResult {
    ret(syscall2(nr::UMOUNT, target.as_ptr() as usize, target.len()))
}

/// The mount table as text lines `SOURCE TARGET FSTYPE rw|ro` into `buf`: the bytes
/// written.
/// Set the flags of the mount at `target` (`MS_NOSUID`).
pub fn mount_flags(target: &str, flags: u32) -> SysResult {
    ret(syscall3(
        nr::MOUNT_FLAGS,
        target.as_ptr() as usize,
        target.len(),
        flags as usize,
    ))
}

pub fn mounts(buf: &mut [u8]) -> SysResult {
    ret(syscall2(nr::MOUNTS, ptr_mut(buf), buf.len()))
}

// ---- information maintenance ----------------------------------------------------------

pub fn clock_gettime(clock: u32, out: &mut Timespec) -> SysResult {
    let mut b = [0u8; <Timespec as Pod>::SIZE];
    let r = ret(syscall2(nr::CLOCK_GETTIME, clock as usize, ptr_mut(&mut b)))?;
    *out = Timespec::from_bytes(&b);
    Ok(r)
}

pub fn uname(out: &mut Utsname) -> SysResult {
    let mut b = [0u8; <Utsname as Pod>::SIZE];
    let r = ret(syscall1(nr::UNAME, ptr_mut(&mut b)))?;
    *out = Utsname::from_bytes(&b);
    Ok(r)
}

pub fn sysinfo(out: &mut SysInfo) -> SysResult {
    let mut b = [0u8; <SysInfo as Pod>::SIZE];
    let r = ret(syscall1(nr::SYSINFO, ptr_mut(&mut b)))?;
    *out = SysInfo::from_bytes(&b);
    Ok(r)
}

/// Fill `out` with one entry per process (at most `out.len()`): the count written.
pub fn proclist(out: &mut [ProcInfo]) -> SysResult {
    let size = <ProcInfo as Pod>::SIZE;
    let mut b = alloc::vec![0u8; out.len() * size];
    let n = ret(syscall2(nr::PROCLIST, ptr_mut(&mut b), out.len()))?;
    for (i, slot) in out.iter_mut().enumerate().take(n) {
        *slot = ProcInfo::from_bytes(&b[i * size..(i + 1) * size]);
    }
    Ok(n)
}

pub fn times(out: &mut Tms) -> SysResult {
    let mut b = [0u8; <Tms as Pod>::SIZE];
    let r = ret(syscall1(nr::TIMES, ptr_mut(&mut b)))?;
    *out = Tms::from_bytes(&b);
    Ok(r)
}

// ---- protection and system control ----------------------------------------------------

pub fn getuid() -> SysResult {
    ret(syscall0(nr::GETUID))
}

pub fn getgid() -> SysResult {
    ret(syscall0(nr::GETGID))
}

/// Set the file-mode creation mask; the old one.
pub fn umask(mask: u32) -> SysResult {
    ret(syscall1(nr::UMASK, mask as usize))
}

/// Power the machine off (only returns on failure, e.g. EPERM).
pub fn poweroff() -> SysResult {
    ret(syscall0(nr::POWEROFF))
}

/// Write every file system back and forget its cached blocks; returns how many were
/// dropped (root only).
pub fn drop_caches() -> SysResult {
    ret(syscall0(nr::DROP_CACHES))
}

/// Restart the machine (only returns on failure).
pub fn reboot() -> SysResult {
    ret(syscall0(nr::REBOOT))
}

// ---- users and groups --------------------------------------------------------------------

/// `u32::MAX`: leave this id unchanged (`setresuid`, `chown`).
fn id_arg(id: Option<u32>) -> usize {
    id.unwrap_or(abi::flags::ID_UNCHANGED) as usize
}

/// Set the user ids: all three for root, else the effective one (to the real or saved).
pub fn setuid(uid: u32) -> SysResult {
    ret(syscall1(nr::SETUID, uid as usize))
}

pub fn setgid(gid: u32) -> SysResult {
    ret(syscall1(nr::SETGID, gid as usize))
}

pub fn geteuid() -> SysResult {
    ret(syscall0(nr::GETEUID))
}

pub fn getegid() -> SysResult {
    ret(syscall0(nr::GETEGID))
}

/// Set the real, effective and saved user ids (`None` leaves one).
pub fn setresuid(r: Option<u32>, e: Option<u32>, s: Option<u32>) -> SysResult {
    ret(syscall3(nr::SETRESUID, id_arg(r), id_arg(e), id_arg(s)))
}

pub fn setresgid(r: Option<u32>, e: Option<u32>, s: Option<u32>) -> SysResult {
    ret(syscall3(nr::SETRESGID, id_arg(r), id_arg(e), id_arg(s)))
}

/// Fill `out` with the supplementary groups; returns how many there are (an empty
/// `out` only counts them).
pub fn getgroups(out: &mut [u32]) -> SysResult {
    ret(syscall2(
        nr::GETGROUPS,
        out.as_mut_ptr() as usize,
        out.len() * 4,
    ))
}

/// Replace the supplementary groups (root only).
pub fn setgroups(groups: &[u32]) -> SysResult {
    ret(syscall2(
        nr::SETGROUPS,
        groups.as_ptr() as usize,
        groups.len() * 4,
    ))
}

/// Change the owner and/or group of `path` (`None` leaves one).
pub fn chown(path: &str, uid: Option<u32>, gid: Option<u32>) -> SysResult {
    ret(syscall4(
        nr::CHOWN,
        path.as_ptr() as usize,
        path.len(),
        id_arg(uid),
        id_arg(gid),
    ))
}

pub fn fchown(fd: i32, uid: Option<u32>, gid: Option<u32>) -> SysResult {
    ret(syscall3(nr::FCHOWN, fd as usize, id_arg(uid), id_arg(gid)))
}

/// May the real user access `path` so (`R_OK|W_OK|X_OK`; 0: does it exist)?
pub fn access(path: &str, how: u32) -> SysResult {
    ret(syscall3(
        nr::ACCESS,
        path.as_ptr() as usize,
        path.len(),
        how as usize,
    ))
}

pub fn fchmod(fd: i32, mode: u32) -> SysResult {
    ret(syscall2(nr::FCHMOD, fd as usize, mode as usize))
}

// ---- information maintenance: the tracer and the profiler -----------------------------

/// Trace process `pid` (0: the caller): a record of each of its calls is written
/// into the pipe whose write end is `fd` (`TRACE_FOLLOW`: its children's too).
pub fn trace_attach(pid: u32, fd: i32, flags: u32) -> SysResult {
    ret(syscall3(
        nr::TRACE_ATTACH,
        pid as usize,
        fd as usize,
        flags as usize,
    ))
}

/// Stop tracing process `pid` (0: the caller).
pub fn trace_detach(pid: u32) -> SysResult {
    ret(syscall1(nr::TRACE_DETACH, pid as usize))
}

/// A new profile: a descriptor whose reads give the samples (`PROF_USER`,
/// `PROF_KERNEL`, `PROF_FOLLOW`).
pub fn prof_open(flags: u32) -> SysResult {
    ret(syscall1(nr::PROF_OPEN, flags as usize))
}

/// Sample process `pid` (0: the caller) into the profile open as `fd`.
pub fn prof_attach(fd: i32, pid: u32) -> SysResult {
    ret(syscall2(nr::PROF_ATTACH, fd as usize, pid as usize))
}

/// The name of the kernel function containing `addr`, into `buf`; its whole length.
pub fn ksym(addr: u64, buf: &mut [u8]) -> SysResult {
    ret(syscall3(nr::KSYM, addr as usize, ptr_mut(buf), buf.len()))
}

// ---- loadable kernel modules (docs/modules.md) --------------------------------------

/// Load the kernel module in `image` (an ELF relocatable object) with argument string
/// `args`; root only. On refusal the kernel writes its reason into `why` (NUL-ended).
pub fn init_module(image: &[u8], args: &str, why: &mut [u8]) -> SysResult {
    ret(raw::syscall6(
        nr::INIT_MODULE,
        image.as_ptr() as usize,
        image.len(),
        args.as_ptr() as usize,
        args.len(),
        ptr_mut(why),
        why.len(),
    ))
}

/// Stop and remove kernel module `name`; root only; the reason of a refusal in `why`.
pub fn delete_module(name: &str, why: &mut [u8]) -> SysResult {
    ret(raw::syscall6(
        nr::DELETE_MODULE,
        name.as_ptr() as usize,
        name.len(),
        ptr_mut(why),
        why.len(),
        0,
        0,
    ))
}

/// The loaded modules (`name size refcount users` lines) into `buf`: the listing's
/// whole length.
pub fn modules(buf: &mut [u8]) -> SysResult {
    ret(syscall2(nr::MODULES, ptr_mut(buf), buf.len()))
}

/// Call `nr`, a number of the dynamic range (`nr::DYNAMIC_FIRST` onwards, calls added
/// by kernel modules), with integer arguments; EINVAL for any other number.
pub fn dynamic_call(nr: usize, args: [usize; 6]) -> SysResult {
    if !(nr::DYNAMIC_FIRST..nr::DYNAMIC_FIRST + nr::DYNAMIC_COUNT).contains(&nr) {
        return Err(Errno::EINVAL);
    }
    ret(raw::syscall6(
        nr, args[0], args[1], args[2], args[3], args[4], args[5],
    ))
}
