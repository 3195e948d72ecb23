//! Signals for Linux programs (chapter 2, 3-2): `rt_sigaction` and `rt_sigprocmask`
//! in Linux's encoding, over the native signal code.
//!
//! The two ABIs agree on signal numbers (1..31) and on how a handler returns: the
//! kernel saves the interrupted state on the user stack and the handler's return
//! address is the `restorer` the program gave (`SA_RESTORER`; musl's and glibc's
//! `__restore_rt` make the `rt_sigreturn` call), which restores it. They differ in the
//! layout of that saved state (a Linux program gets Linux's `rt_sigframe`, with
//! `siginfo_t` and `ucontext_t`: `proc::linuxframe`), of `struct sigaction`, and in
//! signal sets, where Linux's bit `n-1` is signal `n`; [`crate::uapi`] converts. Real-time signals (32..64) are not delivered by
//! dinos: installing a handler for one is EINVAL.

use crate::uapi::{self, *};
use crate::{get, le64, put};
use abi::Errno;
use syscall::table::{Ctx, SysResult};

/// `rt_sigaction(sig, act, oact, sigsetsize)`.
pub fn rt_sigaction(_: &mut Ctx, sig: u32, act: u64, oact: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let sig = uapi::signal(sig).ok_or(Errno::EINVAL)?;
    let new = if act == 0 {
        None
    } else {
        let b: [u8; KSIGACTION_SIZE] = get(act)?;
        Some(abi::SigAction {
            handler: le64(&b, 0),
            flags: le64(&b, 8),
            restorer: le64(&b, 16),
            mask: sigset_to_dinos(le64(&b, 24)),
        })
    };
    let old = proc::signal::sigaction(sig, new)?;
    if oact != 0 {
        let mut b = uapi::Bytes::default();
        b.u64(old.handler)
            .u64(old.flags)
            .u64(old.restorer)
            .u64(sigset_to_linux(old.mask));
        put(oact, &b.0)?;
    }
    Ok(0)
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`; no `set` only reads the mask.
pub fn rt_sigprocmask(_: &mut Ctx, how: u32, set: u64, old: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let prev = if set == 0 {
        proc::signal::sigprocmask(abi::signal::SIG_BLOCK, 0)?
    } else {
        let s = u64::from_le_bytes(get::<8>(set)?);
        proc::signal::sigprocmask(how, sigset_to_dinos(s))?
    };
    if old != 0 {
        put(old, &sigset_to_linux(prev).to_le_bytes())?;
    }
    Ok(0)
}

/// `rt_sigpending(set, sigsetsize)`: the signals posted and blocked.
pub fn rt_sigpending(cx: &mut Ctx, set: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let pending = cx.with_process(|p| {
        let s = p.sig.lock();
        s.pending_here() & s.mask()
    })?;
    put(set, &sigset_to_linux(pending).to_le_bytes())?;
    Ok(0)
}

/// `rt_sigreturn`: back from a handler, restoring the `ucontext_t` of the Linux
/// frame (`proc::linuxframe`), as the handler may have changed it.
pub fn rt_sigreturn(cx: &mut Ctx) -> SysResult {
    match proc::linuxframe::sigreturn(cx.frame) {
        Ok(rax) => Ok(rax as usize),
        Err(_) => proc::linuxframe::bad_frame(),
    }
}

pub fn kill(cx: &mut Ctx, pid: i64, sig: u32) -> SysResult {
    let sig = if sig == 0 {
        0
    } else {
        uapi::signal(sig).ok_or(Errno::EINVAL)?
    };
    syscall::ops::process::kill(cx, pid as i32 as i64, sig)
}

/// `tgkill(tgid, tid, sig)`: `sig` for thread `tid` of process `tgid` alone.
pub fn tgkill(cx: &mut Ctx, tgid: i64, tid: i64, sig: u32) -> SysResult {
    if tgid as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    thread_kill(cx, Some(tgid as i32 as u32), tid, sig)
}

/// `tkill(tid, sig)`: `sig` for thread `tid` alone, the receiver told `SI_TKILL`.
pub fn tkill(cx: &mut Ctx, tid: i64, sig: u32) -> SysResult {
    thread_kill(cx, None, tid, sig)
}

fn thread_kill(cx: &mut Ctx, tgid: Option<u32>, tid: i64, sig: u32) -> SysResult {
    if tid as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    let sig = if sig == 0 {
        0
    } else {
        uapi::signal(sig).ok_or(Errno::EINVAL)?
    };
    let me = cx.with_process(|p| p.pid)?;
    proc::thread::tkill(me, tgid, tid as i32 as u32, sig)?;
    Ok(0)
}

/// `pause`: sleep until a signal is delivered (then EINTR, as always).
pub fn pause(cx: &mut Ctx) -> SysResult {
    let p = cx.process()?;
    proc::signal::interruptible_wait(&p.stop_wq, || false)?;
    Err(Errno::EINTR)
}

/// `struct itimerval` (interval, then value; each a `timeval`) from nanoseconds.
fn itimerval(value_ns: u64, interval_ns: u64) -> [u8; 32] {
    let mut b = uapi::Bytes::default();
    for ns in [interval_ns, value_ns] {
        b.u64(ns / 1_000_000_000).u64(ns % 1_000_000_000 / 1000);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&b.0);
    out
}

const ITIMER_REAL: u32 = 0;

/// `setitimer(ITIMER_REAL, new, old)`: SIGALRM after the value, then every interval
/// (`proc::alarm`). The CPU-time timers (VIRTUAL, PROF) are not supported.
pub fn setitimer(cx: &mut Ctx, which: u32, new: u64, old: u64) -> SysResult {
    if which != ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let pid = cx.with_process(|p| p.pid)?;
    let (value, interval) = if new == 0 {
        (0, 0)
    } else {
        let b: [u8; 32] = get(new)?;
        (
            crate::info::timeval_ns(&b, 16)?,
            crate::info::timeval_ns(&b, 0)?,
        )
    };
    if old != 0 {
        // Checked before the timer changes, so a bad pointer changes nothing.
        proc::uaccess::check_buffer(old, 32, true)?;
    }
    let (ov, oi) = proc::alarm::set(pid, value, interval);
    if old != 0 {
        put(old, &itimerval(ov, oi))?;
    }
    Ok(0)
}

pub fn getitimer(cx: &mut Ctx, which: u32, out: u64) -> SysResult {
    if which != ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let (v, i) = proc::alarm::get(cx.with_process(|p| p.pid)?);
    put(out, &itimerval(v, i))?;
    Ok(0)
}

/// `alarm(seconds)`: SIGALRM in that many seconds (0 cancels); returns the seconds
/// that were left of the previous alarm, rounded up.
pub fn alarm(cx: &mut Ctx, seconds: u32) -> SysResult {
    let pid = cx.with_process(|p| p.pid)?;
    let (old, _) = proc::alarm::set(pid, seconds as u64 * 1_000_000_000, 0);
    Ok(old.div_ceil(1_000_000_000) as usize)
}

/// `rt_sigsuspend(mask, sigsetsize)`: wait with `mask` until a signal is handled;
/// EINTR, with the caller's mask back once the handler has returned.
pub fn rt_sigsuspend(_: &mut Ctx, mask: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let m = u64::from_le_bytes(get::<8>(mask)?);
    Err(proc::signal::sigsuspend(sigset_to_dinos(m)))
}

/// `sigaltstack(ss, old_ss)` with Linux's `stack_t` (sp, flags, size: 24 bytes).
pub fn sigaltstack(cx: &mut Ctx, ss: u64, old: u64) -> SysResult {
    const SS_ONSTACK: u32 = 1;
    const SS_DISABLE: u32 = 2;
    let new = if ss == 0 {
        None
    } else {
        let b: [u8; 24] = get(ss)?;
        let flags = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
        match flags {
            SS_DISABLE => Some(None),
            0 | SS_ONSTACK => Some(Some((le64(&b, 0), le64(&b, 16)))),
            _ => return Err(Errno::EINVAL),
        }
    };
    if old != 0 {
        proc::uaccess::check_buffer(old, 24, true)?;
    }
    let (was, on) = proc::signal::sigaltstack(new, cx.frame.rsp)?;
    if old != 0 {
        let (sp, size) = was.unwrap_or((0, 0));
        let flags = if on {
            SS_ONSTACK
        } else if was.is_none() {
            SS_DISABLE
        } else {
            0
        };
        let mut b = uapi::Bytes::default();
        b.u64(sp).u32(flags).u32(0).u64(size);
        put(old, &b.0)?;
    }
    Ok(0)
}
