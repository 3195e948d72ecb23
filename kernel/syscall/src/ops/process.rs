//! Process control (chapter 2, 3-2): exit, fork, exec, spawn, wait, signals, sleep,
//! memory, process groups and sessions.

use crate::table::{Ctx, SysResult};
use crate::user::{UserPtr, U32, U64};
use abi::signal::*;
use abi::{Errno, SigAction};
use alloc::string::String;
use alloc::vec::Vec;
use files::FdTable;
use proc::lifecycle::{self, SpawnSpec};

/// Total bytes of arguments and environment a program may be given.
pub const ARG_MAX: usize = proc::exec::ARG_MAX;

pub fn exit(_: &mut Ctx, code: i32) -> SysResult {
    lifecycle::exit_current(wait_status_exited(code as u8))
}

pub fn fork(cx: &mut Ctx) -> SysResult {
    lifecycle::fork(cx.frame).map(|p| p as usize)
}

/// Replace the caller's program with the one at `path`.
pub fn exec(cx: &mut Ctx, path: String, argv: Vec<String>, envp: Vec<String>) -> SysResult {
    lifecycle::exec(cx.frame, &path, &argv, &envp)?;
    Ok(0)
}

/// What a new process is given besides its program: which of the parent's
/// descriptors it gets (`fds[i]`: the parent's descriptor that becomes the child's
/// `i`, or negative for none) and its process group.
pub struct Spawn {
    pub path: String,
    pub argv: Vec<String>,
    pub envp: Vec<String>,
    pub fds: Vec<i32>,
    /// None: the parent's group; Some(0): a new group named after the child.
    pub pgid: Option<u32>,
    /// Give the terminal to the child's group before it runs (`SPAWN_FOREGROUND`).
    pub foreground: bool,
}

/// Create a process running `s.path` (the chapter's "create process": no copy of
/// the parent is made).
pub fn spawn(cx: &mut Ctx, s: Spawn) -> SysResult {
    let p = cx.process()?;
    let mut files = FdTable::new();
    {
        let mine = p.files.lock();
        for (child_fd, &parent_fd) in s.fds.iter().enumerate() {
            if parent_fd >= 0 {
                files.insert_at(child_fd as i32, mine.get(parent_fd)?)?;
            }
        }
    }
    let sig = p.sig.lock().clone();
    let cwd = p.cwd.lock().node();
    let pid = lifecycle::spawn(
        Some(&p),
        SpawnSpec {
            path: &s.path,
            argv: &s.argv,
            envp: &s.envp,
            files,
            cwd,
            pgid: s.pgid,
            sig,
            foreground: s.foreground,
        },
    )?;
    Ok(pid as usize)
}

pub fn waitpid(_: &mut Ctx, pid: i64, status: UserPtr<U32>, flags: u32) -> SysResult {
    use abi::flags::{WCONTINUED, WNOHANG, WUNTRACED};
    let want = lifecycle::WaitFor {
        nohang: flags & WNOHANG != 0,
        stopped: flags & WUNTRACED != 0,
        continued: flags & WCONTINUED != 0,
    };
    match lifecycle::waitpid(pid, want)? {
        None => Ok(0),
        Some(r) => {
            status.write_opt(&U32(r.status))?;
            Ok(r.pid as usize)
        }
    }
}

pub fn getpid(cx: &mut Ctx) -> SysResult {
    cx.with_process(|p| p.pid as usize)
}

pub fn getppid(cx: &mut Ctx) -> SysResult {
    cx.with_process(|p| p.ppid() as usize)
}

pub fn kill(cx: &mut Ctx, pid: i64, sig: u32) -> SysResult {
    let me = cx.with_process(|p| p.pid)?;
    proc::signal::kill(me, pid, sig)?;
    Ok(0)
}

pub fn sigaction(
    _: &mut Ctx,
    sig: u32,
    new: UserPtr<SigAction>,
    old: UserPtr<SigAction>,
) -> SysResult {
    let prev = proc::signal::sigaction(sig, new.read_opt()?)?;
    old.write_opt(&prev)?;
    Ok(0)
}

pub fn sigprocmask(_: &mut Ctx, how: u32, set: u64, old: UserPtr<U64>) -> SysResult {
    let prev = proc::signal::sigprocmask(how, set)?;
    old.write_opt(&U64(prev))?;
    Ok(0)
}

pub fn sigreturn(cx: &mut Ctx) -> SysResult {
    proc::signal::sigreturn(cx.frame).map(|rax| rax as usize)
}

pub fn nanosleep(_: &mut Ctx, ns: u64) -> SysResult {
    let tick_ns = 1_000_000_000 / hal::apic::TIMER_HZ;
    // At least the time asked for: the tick now is already partly gone, so one more
    // (as the futex wait counts it).
    let ticks = ns.div_ceil(tick_ns);
    let deadline = task::ticks() + if ticks == 0 { 0 } else { ticks + 1 };
    while task::ticks() < deadline {
        if proc::signal::interrupted() {
            return Err(Errno::EINTR);
        }
        // The tick may pass the deadline between the check and here.
        task::sleep_ticks(deadline.saturating_sub(task::ticks()));
    }
    Ok(0)
}

pub fn yield_now(_: &mut Ctx) -> SysResult {
    task::yield_now();
    Ok(0)
}

pub fn setpgid(cx: &mut Ctx, pid: u64, pgid: u64) -> SysResult {
    let pid = u32::try_from(pid).map_err(|_| Errno::ESRCH)?;
    let pgid = u32::try_from(pgid).map_err(|_| Errno::EINVAL)?;
    proc::process::setpgid(&*cx.process()?, pid, pgid)?;
    Ok(0)
}

pub fn setsid(cx: &mut Ctx) -> SysResult {
    Ok(proc::process::setsid(&*cx.process()?)? as usize)
}

pub fn getpgid(cx: &mut Ctx, pid: u64) -> SysResult {
    let pid = if pid == 0 {
        cx.with_process(|p| p.pid)?
    } else {
        pid as u32
    };
    Ok(proc::process::get(pid).ok_or(Errno::ESRCH)?.pgid() as usize)
}
