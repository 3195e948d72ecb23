//! Signals: how the kernel interrupts a program (chapter 2, 3-2 "process control").
//!
//! A signal is *posted* by setting a bit in the target's pending set and waking its
//! thread if it sleeps (any interruptible wait then returns `EINTR`). It is *delivered*
//! only on the way back to user mode ([`on_return_to_user`], hal's return hook), never in
//! the middle of kernel code. Delivery picks the lowest pending, unblocked signal and:
//!
//! - default action "terminate": the process exits, its status saying which signal;
//! - ignored: the bit is cleared;
//! - a handler: the user's registers, FPU state and signal mask are saved in a frame on
//!   the user stack (below the 128-byte red zone), and the thread resumes in the
//!   handler with the signal number as argument and a return address pointing at the
//!   `restorer` (ulib's code that calls `sigreturn`), which puts everything back.
//!
//! CPU exceptions in user mode become signals too ([`user_fault`]): a page fault the
//! address space cannot resolve is SIGSEGV, an invalid opcode SIGILL, a divide error
//! SIGFPE. Without a handler the program ends with a one-line report; the kernel and
//! every other process carry on. A signal whose default action is "core" (those, and
//! SIGABRT, SIGQUIT, SIGTRAP, SIGXCPU) first writes a core file ([`die_of`],
//! `coredump.rs`) when the process's `RLIMIT_CORE` allows, and the wait status says so.
//!
//! Sending is protected ([`may_kill`]): a process may signal only processes of its
//! own user (its real or effective uid is the target's real or saved uid), unless it
//! has `Capability::Kill`; `SIGCONT` may also go to any process of its session.

use crate::process::{self, Pid};
use abi::signal::*;
use abi::{Errno, SigAction};
use hal::trap::TrapFrame;
use hal::user::FpuState;
use task::WaitQueue;

pub use crate::siginfo::*;
pub use crate::sigstate::{SigState, ThreadSig};

fn bit(sig: u32) -> u64 {
    1u64 << sig
}

/// The signals whose default action stops a process.
const STOP_SIGNALS: u64 = (1 << SIGSTOP) | (1 << SIGTSTP) | (1 << SIGTTIN) | (1 << SIGTTOU);

/// Tell `p`'s parent that `p` changed state (stopped, continued): SIGCHLD, and a wake-up
/// for a `waitpid` that asked for it.
fn notify_parent(p: &process::Process) {
    if let Some(parent) = process::get(p.ppid()) {
        post(&parent, SIGCHLD);
        parent.child_wq.wake_all();
    }
}

/// SIGCONT: a stopped `p` runs again (its parent may learn it with `WCONTINUED`).
fn continue_process(p: &process::Process) {
    let was = {
        let mut f = p.family.lock();
        let was = f.stopped;
        if was {
            f.stopped = false;
            f.job_report = Some(abi::signal::WAIT_STATUS_CONTINUED);
        }
        was
    };
    if was {
        p.stop_wq.wake_all();
        notify_parent(p);
    }
}

/// A stop signal with the default action: the calling process stops until SIGCONT
/// (or SIGKILL, which no stop can hold back), and its parent is told.
fn stop_current(p: &process::Process, sig: u32) {
    {
        let mut f = p.family.lock();
        f.stopped = true;
        f.job_report = Some(abi::signal::wait_status_stopped(sig));
    }
    notify_parent(p);
    // The whole process stops: each other thread stops on its way back to user mode.
    crate::thread::interrupt_all(p);
    wait_while_stopped(p);
    p.family.lock().stopped = false;
}

/// Sleep while `p` is stopped (until SIGCONT, or a SIGKILL for this thread).
fn wait_while_stopped(p: &process::Process) {
    // Every post interrupts the sleeper, so the condition is looked at again each time.
    p.stop_wq
        .wait_until(|| !p.family.lock().stopped || p.sig.lock().deliverable() & bit(SIGKILL) != 0);
}

/// Post `sig` to process `p` (unless `p` ignores it, or is init and has no handler).
pub fn post(p: &process::Process, sig: u32) {
    post_info(p, sig, SigInfo::KERNEL)
}

/// [`post`], saying who sent it (for `siginfo_t`).
pub fn post_info(p: &process::Process, sig: u32, info: SigInfo) {
    post_to(p, sig, info, None)
}

/// [`post_info`] for the process (`thread` None: a thread that does not block it takes
/// it) or for one of its threads (by kernel thread id: `tkill`).
pub fn post_to(p: &process::Process, sig: u32, info: SigInfo, thread: Option<task::Tid>) {
    if sig == 0 || sig >= NSIG {
        return;
    }
    // Job control happens when the signal is sent, whatever the receiver's handler:
    // SIGCONT continues a stopped process and cancels pending stops; a stop signal
    // cancels a pending SIGCONT (POSIX).
    if sig == SIGCONT {
        {
            let mut s = p.sig.lock();
            s.pending &= !STOP_SIGNALS;
            s.threads
                .iter_mut()
                .for_each(|t| t.pending &= !STOP_SIGNALS);
        }
        continue_process(p);
    } else if STOP_SIGNALS & bit(sig) != 0 {
        let mut s = p.sig.lock();
        s.pending &= !bit(SIGCONT);
        s.threads
            .iter_mut()
            .for_each(|t| t.pending &= !bit(SIGCONT));
    }
    {
        let mut s = p.sig.lock();
        let a = s.actions[sig as usize];
        // SIGCONT's default action was taken just above, when it was sent: left pending
        // it would only end the receiver's sleep (a `read` failing with EINTR for a
        // signal nobody handles). Linux drops it the same way (SIG_KERNEL_IGNORE_MASK).
        let ignored = a.handler == SIG_IGN
            || (a.handler == SIG_DFL
                && matches!(
                    default_action(sig),
                    DefaultAction::Ignore | DefaultAction::Continue
                ));
        if ignored && sig != SIGKILL {
            return;
        }
        // init is what every orphan and every login depends on: as on Linux, it gets
        // only the signals it has installed a handler for (never SIGKILL or SIGSTOP).
        if p.pid == 1 && (a.handler == SIG_DFL || sig == SIGKILL || sig == SIGSTOP) {
            return;
        }
        if let Some(k) = thread {
            let found = {
                let s = &mut *s;
                match s.threads.iter_mut().find(|t| t.ktid == k) {
                    Some(t) => {
                        if t.pending & bit(sig) == 0 {
                            s.info[sig as usize] = info;
                        }
                        t.pending |= bit(sig);
                        p.sig_hint.raise();
                        true
                    }
                    None => false,
                }
            };
            drop(s);
            if found {
                task::interrupt(k);
            }
            return;
        }
        if s.pending & bit(sig) == 0 {
            s.info[sig as usize] = info;
        }
        s.pending |= bit(sig);
        p.sig_hint.raise();
        // A thread that does not block it is woken to take it (every thread for the
        // signals no mask holds back: one of them ends or stops the process).
        let unmaskable = sig == SIGKILL || sig == SIGSTOP || sig == SIGCONT;
        let mut wake = [0 as task::Tid; 8];
        let mut n = 0;
        for t in s
            .threads
            .iter()
            .filter(|t| unmaskable || t.mask & bit(sig) == 0)
        {
            if n < wake.len() {
                wake[n] = t.ktid;
                n += 1;
            }
            if !unmaskable {
                break;
            }
        }
        drop(s);
        let me = hal::task::current_id();
        for k in &wake[..n] {
            if *k == me {
                // A thread signalling itself is running: its flag is enough.
                hal::task::notify_current();
            } else {
                task::interrupt(*k);
            }
        }
        if unmaskable && n == wake.len() {
            crate::thread::interrupt_all(p);
        }
    }
}

/// May a sender with `cred`, in session `sid`, signal `target` with `sig`? The POSIX
/// rule (see the module header).
pub(crate) fn may_kill(
    cred: &cred::Credentials,
    sid: Pid,
    target: &process::Process,
    sig: u32,
) -> bool {
    cred::may_signal(cred, &target.cred()) || (sig == SIGCONT && target.sid() == sid)
}

/// `kill`: pid > 0 one process, 0 the caller's group, -1 everyone but init, < -1 the
/// group -pid. Signal 0 only checks that the target exists and may be signalled.
/// Of several targets, those the sender may signal get it (`may_kill`); `EPERM`
/// when it may signal none of them, `ESRCH` when there are none.
pub fn kill(sender: Pid, pid: i64, sig: u32) -> Result<(), Errno> {
    kill_as(sender, pid, sig, SI_USER)
}

/// [`kill`], with `code` as the receiver's `si_code` (Linux's `tkill`/`tgkill` say
/// `SI_TKILL`).
pub fn kill_as(sender: Pid, pid: i64, sig: u32, code: i32) -> Result<(), Errno> {
    if sig >= NSIG {
        return Err(Errno::EINVAL);
    }
    if pid > 0 {
        // One target, the common case (`kill(getpid(), sig)` is the cost of a
        // signal): no list is made, and a process signalling itself is looked up once.
        let p = Pid::try_from(pid)
            .ok()
            .and_then(process::get)
            .filter(|p| !p.is_zombie())
            .ok_or(Errno::ESRCH)?;
        let me = match p.pid == sender {
            true => Some((p.cred(), p.sid())),
            false => process::get(sender).map(|s| (s.cred(), s.sid())),
        };
        if me
            .as_ref()
            .is_some_and(|(cred, sid)| !may_kill(cred, *sid, &p, sig))
        {
            return Err(Errno::EPERM);
        }
        let uid = me.as_ref().map_or(0, |(cred, _)| cred.ruid);
        let info = SigInfo {
            code,
            pid: sender,
            uid,
            addr: None,
        };
        post_info(&p, sig, info);
        return Ok(());
    }
    let group = |p: i64| p.checked_neg().and_then(|g| Pid::try_from(g).ok());
    let targets = match pid {
        p if p > 0 => Pid::try_from(p)
            .ok()
            .and_then(process::get)
            .into_iter()
            .collect(),
        0 => {
            let pg = process::get(sender).map(|p| p.pgid()).unwrap_or(0);
            process::group(pg)
        }
        -1 => process::all().into_iter().filter(|p| p.pid != 1).collect(),
        p => group(p).map(process::group).unwrap_or_default(),
    };
    let targets: alloc::vec::Vec<_> = targets.into_iter().filter(|p| !p.is_zombie()).collect();
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    // A sender that is no process (the kernel) may signal anyone.
    let me = process::get(sender).map(|p| (p.cred(), p.sid()));
    let mut sent = false;
    for p in targets {
        if me
            .as_ref()
            .is_none_or(|(cred, sid)| may_kill(cred, *sid, &p, sig))
        {
            let uid = me.as_ref().map_or(0, |(cred, _)| cred.ruid);
            let info = SigInfo {
                code,
                pid: sender,
                uid,
                addr: None,
            };
            post_info(&p, sig, info);
            sent = true;
        }
    }
    if sent {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// Signal every process of group `pgid` (Ctrl-C; interrupt context).
pub fn send_group(pgid: Pid, sig: u32) {
    for p in process::group(pgid) {
        if !p.is_zombie() {
            post(&p, sig);
        }
    }
}

/// Post a signal to the calling process (SIGPIPE).
pub fn raise_current(sig: u32) {
    if let Some(p) = process::current() {
        post(&p, sig);
    }
}

/// Is a signal waiting that will interrupt the calling process's sleep?
pub fn interrupted() -> bool {
    process::with_current(interrupted_in).unwrap_or(false)
}

/// Is a signal waiting that will interrupt a sleep of `p` (the caller's process,
/// when the caller has it at hand)?
pub fn interrupted_in(p: &process::Process) -> bool {
    if !p.sig_hint.may_be_set() {
        return false;
    }
    let s = p.sig.lock();
    let d = s.deliverable();
    if d == 0 && !s.anything_pending() {
        p.sig_hint.lower();
    }
    d != 0
}

/// Signals as the layers below see them (`files::Signals`): a pipe or the terminal
/// made with this type sleeps until a signal interrupts it, and a pipe raises SIGPIPE
/// on its writer.
pub struct ProcessSignals;

impl files::Signals for ProcessSignals {
    #[inline]
    fn interrupted() -> bool {
        interrupted()
    }

    fn raise(sig: u32) {
        raise_current(sig);
    }

    fn may_read_terminal(foreground: u32) -> Result<(), Errno> {
        let Some(p) = process::current() else {
            return Ok(());
        };
        let pgid = p.pgid();
        if pgid == foreground {
            return Ok(());
        }
        let stops = {
            let s = p.sig.lock();
            s.actions[SIGTTIN as usize].handler != SIG_IGN && s.mask() & bit(SIGTTIN) == 0
        };
        if !stops {
            return Err(Errno::EIO);
        }
        send_group(pgid, SIGTTIN);
        Err(Errno::EINTR)
    }

    fn signal_group(pgrp: u32, sig: u32) {
        send_group(pgrp, sig);
    }

    fn caller_ids() -> (u32, u32, u32) {
        process::current().map_or((0, 0, 0), |p| (p.pid, p.pgid(), p.sid()))
    }
}

/// Sleep on `wq` until `cond`, or fail with EINTR when a signal arrives first.
pub fn interruptible_wait(wq: &WaitQueue, cond: impl Fn() -> bool) -> Result<(), Errno> {
    files::signals::interruptible_wait::<ProcessSignals>(wq, cond)
}

/// The saved state a handler's frame holds.
const FRAME_WORDS: usize = 22;
const SIGFRAME_SIZE: usize = FRAME_WORDS * 8 + 8 + 512;

fn frame_to_words(f: &TrapFrame) -> [u64; FRAME_WORDS] {
    [
        f.r15,
        f.r14,
        f.r13,
        f.r12,
        f.r11,
        f.r10,
        f.r9,
        f.r8,
        f.rbp,
        f.rdi,
        f.rsi,
        f.rdx,
        f.rcx,
        f.rbx,
        f.rax,
        f.vector,
        f.error_code,
        f.rip,
        f.cs,
        f.rflags,
        f.rsp,
        f.ss,
    ]
}

/// hal's return-to-user hook: deliver what is pending. hal calls it only when the
/// thread's notify flag was set, by everything that may make a signal deliverable
/// (posting one, unmasking, sigreturn), so a return with nothing to do costs one test.
pub fn on_return_to_user(frame: &mut TrapFrame) {
    let Some(p) = process::current() else { return };
    if crate::thread::zapped(&p) {
        drop(p);
        crate::thread::exit_thread(wait_status_signaled(SIGKILL));
    }
    if p.family.lock().stopped {
        wait_while_stopped(&p); // another thread took a stop signal
    }
    // Make the interrupted call again when the program resumes (the `syscall`
    // instruction is two bytes); taken under the first hold of the lock below.
    let mut restart = None;
    let redo = |frame: &mut TrapFrame, restart: Option<u64>| {
        if let Some(nr) = restart {
            frame.rax = nr;
            frame.rip -= 2;
        }
    };
    loop {
        // One hold of the signal lock per signal: what to deliver, and for a handler
        // the mask to give back, the alternate stack and the handler's mask set.
        let (sig, action, info, old_mask, alt) = {
            let mut s = p.sig.lock();
            let s = &mut *s;
            if let Some(nr) = s.me().restart.take() {
                restart = Some(nr);
            }
            let d = s.deliverable();
            if d == 0 {
                let me = s.me();
                if let Some(m) = me.saved_mask.take() {
                    me.mask = m;
                }
                redo(frame, restart);
                return;
            }
            let sig = d.trailing_zeros();
            s.take(sig);
            let action = s.actions[sig as usize];
            let info = s.info[sig as usize];
            let catches = !matches!(action.handler, SIG_IGN | SIG_DFL) && sig != SIGKILL;
            let (old_mask, alt) = if catches {
                let me = s.me();
                let old = me.saved_mask.take().unwrap_or(me.mask);
                // Set before the frame is built: if it cannot be, the process ends.
                me.mask |= action.mask | bit(sig);
                (old, me.alt_stack)
            } else {
                (0, None)
            };
            (sig, action, info, old_mask, alt)
        };
        match action.handler {
            SIG_IGN if sig != SIGKILL => continue,
            SIG_DFL => match default_action(sig) {
                DefaultAction::Ignore | DefaultAction::Continue => continue,
                DefaultAction::Stop => {
                    stop_current(&p, sig);
                    continue;
                }
                DefaultAction::Terminate => die_of(p, frame, sig, None),
            },
            handler if sig != SIGKILL => {
                if action.flags & SA_RESTART != 0 {
                    redo(frame, restart); // the handler returns to the call, made again
                }
                let caught = Caught {
                    sig,
                    handler,
                    action,
                    info,
                    old_mask,
                    alt,
                };
                if setup_handler_frame(&p, frame, &caught).is_err() {
                    // No room on the user stack: the program cannot be helped.
                    log::warn!("pid {}: cannot deliver {} (bad stack)", p.pid, name(sig));
                    drop(p);
                    crate::lifecycle::exit_current(wait_status_signaled(SIGSEGV));
                }
                return;
            }
            _ => {
                drop(p);
                crate::lifecycle::exit_current(wait_status_signaled(SIGKILL));
            }
        }
    }
}

/// A signal a handler takes, with what the delivery read under the signal lock: the
/// mask the handler's return restores and the thread's alternate stack.
struct Caught {
    sig: u32,
    handler: u64,
    action: SigAction,
    info: SigInfo,
    old_mask: u64,
    alt: Option<(u64, u64)>,
}

fn setup_handler_frame(
    p: &process::Process,
    frame: &mut TrapFrame,
    c: &Caught,
) -> Result<(), Errno> {
    let (sig, action) = (c.sig, &c.action);
    if *p.personality.lock() == crate::personality::Personality::Linux {
        let r =
            crate::linuxframe::deliver(frame, sig, c.handler, action, c.info, c.old_mask, c.alt);
        if r.is_ok() {
            frame.rflags &= !(RFLAGS_TF | RFLAGS_DF);
        }
        return r;
    }
    let mut data = alloc::vec![0u8; SIGFRAME_SIZE];
    for (i, w) in frame_to_words(frame).iter().enumerate() {
        data[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    data[FRAME_WORDS * 8..FRAME_WORDS * 8 + 8].copy_from_slice(&c.old_mask.to_le_bytes());
    data[FRAME_WORDS * 8 + 8..].copy_from_slice(&hal::user::saved_fpu_state(frame).0);
    // Below the red zone; the saved state, then the return address, with the stack
    // aligned as at a function entry (rsp + 8 a multiple of 16). The stack pointer is
    // the program's to set: every step of this arithmetic is checked, and a frame that
    // would not fit above address 0 is a bad stack (EFAULT), not an underflow.
    // SA_ONSTACK: on the alternate stack, unless the thread is on it already (a
    // handler interrupted by another signal).
    let rsp = match c.alt {
        Some((sp, size)) if action.flags & SA_ONSTACK != 0 && !on_stack(frame.rsp, sp, size) => {
            sp + size
        }
        _ => frame.rsp,
    };
    let (state_at, ret_at) = signal_frame_at(rsp).ok_or(Errno::EFAULT)?;
    crate::uaccess::write_bytes(state_at, &data)?;
    crate::uaccess::write_bytes(ret_at, &action.restorer.to_le_bytes())?;
    frame.rip = c.handler;
    frame.rsp = ret_at;
    frame.rdi = sig as u64;
    frame.rax = 0;
    // A handler starts as a function does: direction flag clear (the ABI), and not
    // single-stepped even if the interrupted code was (as on Linux).
    frame.rflags &= !(RFLAGS_TF | RFLAGS_DF);
    Ok(())
}

const RFLAGS_TF: u64 = 1 << 8;
const RFLAGS_DF: u64 = 1 << 10;

/// Where a handler's frame goes for a user stack pointer `rsp`: (saved state, return
/// address). `None` when it would not fit in user memory above address 0.
fn signal_frame_at(rsp: u64) -> Option<(u64, u64)> {
    let state_at = rsp.checked_sub(128 + SIGFRAME_SIZE as u64)? & !15;
    let ret_at = state_at.checked_sub(8)?;
    Some((state_at, ret_at))
}

/// `sigreturn`: restore what `setup_handler_frame` saved. Returns the restored `rax`.
pub fn sigreturn(frame: &mut TrapFrame) -> Result<u64, Errno> {
    let p = process::current().ok_or(Errno::EINVAL)?;
    // The handler's `ret` popped the return address: rsp is at the saved state.
    let data = crate::uaccess::read_bytes(frame.rsp, SIGFRAME_SIZE)?;
    let w = |i: usize| u64::from_le_bytes(data[i * 8..i * 8 + 8].try_into().unwrap());
    let rip = w(17);
    let rsp = w(20);
    if rip >= hal::user::USER_TOP || rsp >= hal::user::USER_TOP {
        return Err(Errno::EFAULT);
    }
    frame.r15 = w(0);
    frame.r14 = w(1);
    frame.r13 = w(2);
    frame.r12 = w(3);
    frame.r11 = w(4);
    frame.r10 = w(5);
    frame.r9 = w(6);
    frame.r8 = w(7);
    frame.rbp = w(8);
    frame.rdi = w(9);
    frame.rsi = w(10);
    frame.rdx = w(11);
    frame.rcx = w(12);
    frame.rbx = w(13);
    frame.rip = rip;
    frame.rsp = rsp;
    // Only the arithmetic flags come from user memory; IF stays on, IOPL 0.
    frame.rflags = (w(19) & 0xcd5) | 0x202;
    let mask = u64::from_le_bytes(
        data[FRAME_WORDS * 8..FRAME_WORDS * 8 + 8]
            .try_into()
            .unwrap(),
    );
    set_mask_after_handler(&p, mask);
    let mut fpu = FpuState([0; 512]);
    fpu.0.copy_from_slice(&data[FRAME_WORDS * 8 + 8..]);
    // MXCSR bits above 0xffff are reserved; a bad value would fault fxrstor.
    let mxcsr = u32::from_le_bytes(fpu.0[24..28].try_into().unwrap()) & 0xffff;
    fpu.0[24..28].copy_from_slice(&mxcsr.to_le_bytes());
    hal::user::set_saved_fpu_state(frame, &fpu);
    Ok(w(14))
}

/// The mask a returning handler puts back (never blocking SIGKILL or SIGSTOP); what
/// it unblocks may be delivered at once.
pub fn set_mask_after_handler(p: &process::Process, mask: u64) {
    let deliverable = {
        let mut s = p.sig.lock();
        s.me().mask = mask & !(bit(SIGKILL) | bit(SIGSTOP));
        s.deliverable()
    };
    // The return-to-user check runs only when the mask lets a pending signal through
    // (whatever was deliverable before under a wider mask set the flag then).
    if deliverable != 0 {
        hal::task::notify_current();
    }
}

/// `sigaction`.
pub fn sigaction(sig: u32, new: Option<SigAction>) -> Result<SigAction, Errno> {
    if sig == 0 || sig >= NSIG {
        return Err(Errno::EINVAL);
    }
    let p = process::current().ok_or(Errno::EINVAL)?;
    let mut s = p.sig.lock();
    let old = s.actions[sig as usize];
    if let Some(a) = new {
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(Errno::EINVAL);
        }
        if a.handler != SIG_DFL && a.handler != SIG_IGN && a.handler >= hal::user::USER_TOP {
            return Err(Errno::EFAULT);
        }
        s.actions[sig as usize] = a;
        if a.handler == SIG_IGN {
            s.pending &= !bit(sig);
            s.threads.iter_mut().for_each(|t| t.pending &= !bit(sig));
        }
    }
    Ok(old)
}

pub(crate) fn on_stack(rsp: u64, sp: u64, size: u64) -> bool {
    rsp >= sp && rsp - sp < size
}

/// `sigaltstack`: set (`Some(Some((sp, size)))`), remove (`Some(None)`) or only read
/// (`None`) the alternate signal stack. Returns the old one and whether the thread
/// runs on it now (`rsp`), in which case it cannot be changed (EPERM). A stack smaller
/// than [`MINSIGSTKSZ`] is ENOMEM, one that does not lie in user space EFAULT.
pub fn sigaltstack(
    new: Option<Option<(u64, u64)>>,
    rsp: u64,
) -> Result<(Option<(u64, u64)>, bool), Errno> {
    let p = process::current().ok_or(Errno::EINVAL)?;
    let mut s = p.sig.lock();
    let s = s.me();
    let old = s.alt_stack;
    let on = old.is_some_and(|(sp, size)| on_stack(rsp, sp, size));
    if let Some(n) = new {
        if on {
            return Err(Errno::EPERM);
        }
        if let Some((sp, size)) = n {
            if size < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            if sp
                .checked_add(size)
                .is_none_or(|end| end > hal::user::USER_TOP)
            {
                return Err(Errno::EFAULT);
            }
        }
        s.alt_stack = n;
    }
    Ok((old, on))
}

/// `sigsuspend(mask)`: wait with `mask` as the signal mask until a signal is
/// delivered; always EINTR. The caller's own mask comes back once the handler returns
/// (or at once if the signal runs none).
pub fn sigsuspend(mask: u64) -> Errno {
    let Some(p) = process::current() else {
        return Errno::EINVAL;
    };
    {
        let mut s = p.sig.lock();
        let s = s.me();
        let old = s.mask;
        s.saved_mask = Some(old);
        s.mask = mask & !(bit(SIGKILL) | bit(SIGSTOP));
    }
    let _ = interruptible_wait(&p.stop_wq, || false);
    hal::task::notify_current(); // the return to user mode delivers, then restores
    Errno::EINTR
}

/// `sigprocmask`.
pub fn sigprocmask(how: u32, set: u64) -> Result<u64, Errno> {
    let p = process::current().ok_or(Errno::EINVAL)?;
    let mut s = p.sig.lock();
    let s = s.me();
    let old = s.mask;
    let set = set & !(bit(SIGKILL) | bit(SIGSTOP));
    s.mask = match how {
        SIG_BLOCK => old | set,
        SIG_UNBLOCK => old & !set,
        SIG_SETMASK => set,
        _ => return Err(Errno::EINVAL),
    };
    hal::task::notify_current(); // an unmasked signal may now be deliverable
    Ok(old)
}

/// hal's user-fault hook: resolve demand paging and copy-on-write, or turn the fault
/// into a signal.
pub fn user_fault(frame: &mut TrapFrame, addr: u64) {
    let Some(p) = process::current() else {
        hal::kprintln!("user fault in a thread with no process; stopping it");
        task::exit();
    };
    let vector = frame.vector;
    let mut beyond_file = false;
    if vector == 14 {
        let write = frame.error_code & 2 != 0;
        let exec = frame.error_code & 16 != 0;
        let resolved = {
            let mut a = p.aspace.lock();
            match a.as_mut() {
                // Bit 0 of the error code: the page was present (a protection fault).
                Some(a) if frame.error_code & 1 == 0 => a.handle_missing_page(addr, write, exec),
                Some(a) => a.handle_fault(addr, write, exec),
                None => Err(mm::VmError::BadAddress),
            }
        };
        match resolved {
            Ok(()) => return,
            // Out of frames: a process may sleep, so wait for the page cache to give
            // clean pages back (the allocator's own reclaim cannot wait when the cache
            // is busy) and let the access fault again, if that left room above the
            // kernel's reserve (`user_frames_free`): a reclaim that gave back only a
            // few pages (often the faulting program's own, which it would read in
            // again at once) is not worth another round; the killer decides then.
            Err(mm::VmError::NoMemory)
                if fsys::pages::reclaim_waiting() > 0 && mm::frames::user_frames_free() =>
            {
                return
            }
            // Still none: the out-of-memory killer ends the biggest offender
            // (`oom.rs`), perhaps this process.
            Err(mm::VmError::NoMemory) => match crate::oom::out_of_memory(&p) {
                crate::oom::Verdict::Retry => return,
                crate::oom::Verdict::KillSelf => {
                    drop(p);
                    crate::lifecycle::exit_current(wait_status_signaled(SIGKILL));
                }
            },
            // A mapped file's page past its end (or unreadable): a bus error.
            Err(mm::VmError::BeyondEnd) => beyond_file = true,
            Err(_) => {}
        }
    }
    let sig = match vector {
        _ if beyond_file => SIGBUS,
        0 | 16 | 19 => SIGFPE,
        6 => SIGILL,
        1 | 3 => SIGTRAP,
        _ => SIGSEGV,
    };
    let handled = {
        let s = p.sig.lock();
        let h = s.actions[sig as usize].handler;
        h != SIG_DFL && h != SIG_IGN && s.mask() & bit(sig) == 0
    };
    if handled {
        // As Linux: an address inside a mapping is an access error (the page may
        // not be present yet), outside every mapping a mapping error.
        let mapped = vector == 14
            && p.aspace
                .lock()
                .as_ref()
                .is_some_and(|a| a.find(addr).is_some());
        let (code, at) = match vector {
            _ if beyond_file => (BUS_ADRERR, addr),
            14 if mapped => (SEGV_ACCERR, addr),
            14 => (SEGV_MAPERR, addr),
            0 => (FPE_INTDIV, frame.rip),
            6 => (ILL_ILLOPN, frame.rip),
            _ => (SI_KERNEL, 0),
        };
        let mut s = p.sig.lock();
        s.info[sig as usize] = SigInfo {
            code,
            pid: 0,
            uid: 0,
            addr: Some(at),
        };
        s.me().pending |= bit(sig); // the faulting thread's own
        p.sig_hint.raise();
        drop(s);
        hal::task::notify_current();
        return; // delivered by the return hook
    }
    let what = hal::trap::EXCEPTION_NAMES[vector as usize].0;
    // Into the kernel log (and so the console): error detection leaves a record
    // that `dmesg` shows later, as Linux's "segfault at" lines do.
    log::warn!(
        "pid {} ({}): {} ({what}) at address {addr:#x}, rip {:#x}",
        p.pid,
        p.name.lock().as_str(),
        name(sig),
        frame.rip
    );
    die_of(p, frame, sig, Some(addr))
}

/// End the calling process `p` for signal `sig` with its default action: first a
/// core file, if the signal's action is "core" and a dump is written (then the wait
/// status carries the core-dumped bit). `frame` holds its user registers;
/// `fault_addr` the faulting address when a fault is the cause.
fn die_of(
    p: alloc::sync::Arc<process::Process>,
    frame: &TrapFrame,
    sig: u32,
    fault_addr: Option<u64>,
) -> ! {
    // The other threads are told to go first, the status saying this signal (not the
    // SIGKILL they are stopped with); the dump is of the memory they leave.
    crate::thread::zap_others(&p, Some(wait_status_signaled(sig)));
    let status = if dumps_core(sig) && crate::coredump::dump(&p, frame, sig, fault_addr) {
        wait_status_core_dumped(sig)
    } else {
        wait_status_signaled(sig)
    };
    p.sig.lock().group_exit = Some(status);
    drop(p);
    crate::lifecycle::exit_current(status)
}

/// The console's receive hook (interrupt context): the terminal's line discipline
/// takes the byte, and a Ctrl-C, Ctrl-Z or Ctrl-\\ it reports becomes SIGINT, SIGTSTP
/// or SIGQUIT for the group it names.
fn console_input(b: u8) -> bool {
    let input = tty::input(b);
    if let Some((pgrp, sig)) = input.signal {
        send_group(pgrp, sig);
    }
    input.room
}

/// Connect signals to the layers below: hal's fault and return-to-user hooks, and the
/// console, whose bytes go through the terminal here so that a Ctrl-C can be posted.
/// (Pipes and the terminal reach signals through [`ProcessSignals`].)
pub fn init() {
    hal::trap::set_user_fault_hook(user_fault);
    hal::trap::set_return_to_user_hook(on_return_to_user);
    drivers::console::set_input_hook(console_input);
    drivers::console::set_sysrq_hook(task::sysrq::command);
    // The open-file table's last files are root's (`files::ROOT_RESERVE_FILES`).
    files::set_privileged_hook(caller_is_root);
}

/// Is the running thread a root process's (or a kernel thread)?
fn caller_is_root() -> bool {
    process::with_current(|p| {
        p.with_cred(|c| c.euid == 0 || cred::capable(c, cred::Capability::Resource))
    })
    .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_frame_below_the_red_zone_and_aligned() {
        let (state, ret) = signal_frame_at(0x7fff_ffff_0000).unwrap();
        assert_eq!(state % 16, 0);
        assert_eq!(ret, state - 8);
        assert!(state + SIGFRAME_SIZE as u64 <= 0x7fff_ffff_0000 - 128);
    }

    #[test]
    fn signal_frame_that_would_reach_address_zero_is_refused() {
        // 824..=839 put the saved state at 0 and the return address below it.
        for rsp in 0..2048u64 {
            if let Some((state, ret)) = signal_frame_at(rsp) {
                assert!(ret < state && state < rsp, "rsp {rsp}");
            } else {
                assert!(rsp < 840, "rsp {rsp} refused");
            }
        }
        assert!(signal_frame_at(830).is_none());
    }
}
