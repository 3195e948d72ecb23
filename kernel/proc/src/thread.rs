//! Threads of a process: the process is the unit of resources, the thread the unit of
//! execution (chapter 2's process control, and the "threads" idea chapter 4 builds on).
//!
//! A process owns its address space, descriptor table, working directory,
//! credentials, signal actions, limits and accounting; each of its threads is a kernel
//! thread (`task`) of its own, with its own kernel stack, registers, FPU state and
//! `%fs` base (all hal's, per task), and, in the process's signal state
//! ([`crate::signal::ThreadSig`]), its own signal mask, pending set, alternate stack
//! and thread id. Every thread's task has the same `Process` as its owner, so each
//! system call finds the shared resources as it did with one thread.
//!
//! The shape is Linux's thread group, kept small:
//! - A thread id comes from the pid space, so `tkill(tid)` never meets a process id;
//!   the first thread's tid is the pid (`getpid` is the group's id, `gettid` the
//!   thread's).
//! - [`exit_thread`] ends one thread: its `clear_tid` word is zeroed and its futex
//!   woken (how `pthread_join` waits), its record leaves the list, and the *last*
//!   thread to leave ends the process (`lifecycle::exit_process`), so nothing waits
//!   for anything at exit.
//! - [`zap_others`] is `exit_group`'s half (and a fatal signal's, and exec's): every
//!   other thread is marked and interrupted; an interruptible sleep ends with EINTR,
//!   and the thread exits on its way back to user mode instead of returning there.
//! - `exec` from any thread ([`become_only_thread`]) zaps the others, waits until they
//!   are gone, and takes the pid as its tid. `fork` from a thread copies the caller
//!   alone (`SigState::for_new_process`).
//!
//! The TLB: all threads of a process run on one page table, so the shootdown that
//! `hal::smp` sends to every CPU whose active root is that table reaches each CPU one
//! of them runs on.

use crate::process::{self, Pid, Process};
use crate::signal::{SigInfo, ThreadSig};
use abi::Errno;
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::IrqGuard;
use hal::trap::TrapFrame;
use hal::user::FpuState;

/// The most threads one process may have (more: EAGAIN).
pub const MAX_THREADS: usize = 64;

/// How a new thread starts.
pub struct ThreadStart {
    /// Its user registers (`rip`, `rsp`, the return value in `rax`...).
    pub regs: TrapFrame,
    pub fpu: FpuState,
    /// Its `%fs` base (None: the caller's).
    pub tls: Option<u64>,
    /// Write its tid here (in the shared memory) before it runs (`CLONE_CHILD_SETTID`).
    pub set_tid: Option<u64>,
    /// Write its tid here before it can run (`CLONE_PARENT_SETTID`): musl's new
    /// thread takes a lock with its tid from there at once, on another CPU perhaps.
    pub parent_tid: Option<u64>,
    /// Zero this word and wake its futex when it exits (`CLONE_CHILD_CLEARTID`).
    pub clear_tid: u64,
}

/// Start a new thread in the calling process; returns its tid.
pub fn spawn(start: ThreadStart) -> Result<Pid, Errno> {
    let p = process::current().ok_or(Errno::EINVAL)?;
    if start.regs.rip >= hal::user::USER_TOP || start.tls.is_some_and(|t| t >= hal::user::USER_TOP)
    {
        return Err(Errno::EINVAL);
    }
    {
        let s = p.sig.lock();
        if s.threads.len() >= MAX_THREADS {
            return Err(Errno::EAGAIN);
        }
    }
    // Threads count against the user's RLIMIT_NPROC as processes do.
    let limits = p.limits.lock().clone();
    process::may_add_task(&p.cred(), &limits, false)?;
    let table = p.aspace.lock().as_ref().ok_or(Errno::EINVAL)?.table();
    let tid = process::alloc_pid();
    if let Some(at) = start.parent_tid {
        // A bad address is the program's loss, as on Linux: nothing is written.
        let _ = crate::uaccess::write_bytes(at, &tid.to_le_bytes());
    }
    let fs_base = start.tls.unwrap_or_else(hal::task::user_fs_base);
    let state = Box::new((start.regs, start.fpu));
    let set_tid = start.set_tid;
    let name = p.name.lock().clone();
    let mask = p.sig.lock().mask();
    let _irq = IrqGuard::new();
    let t = task::create_then(&name, move || {
        hal::task::current().set_address_space(Some(table));
        let _ = hal::task::set_user_fs_base(fs_base);
        if let Some(at) = set_tid {
            // A bad address is the program's loss, as on Linux: nothing is written.
            let _ = crate::uaccess::write_bytes(at, &tid.to_le_bytes());
        }
        hal::task::AfterStart::EnterUserFrame(state)
    })
    .map_err(|_| Errno::ENOMEM)?;
    t.set_owner(p.clone());
    t.set_syscall_handler(crate::personality::entry(*p.personality.lock()).ok());
    let zapped = {
        let mut s = p.sig.lock();
        // Made while the process was ending: it exits at once.
        let zapped = s.group_exit.is_some() || s.me_ref().zapped;
        s.threads.push(ThreadSig {
            tid,
            ktid: t.tid,
            mask,
            clear_tid: start.clear_tid,
            zapped,
            ..ThreadSig::default()
        });
        zapped
    };
    task::start(&t);
    if zapped {
        task::interrupt(t.tid);
    }
    Ok(tid)
}

/// The calling thread's tid (`gettid`).
pub fn gettid(p: &Process) -> Pid {
    p.sig.lock().me_ref().tid
}

/// `set_tid_address`: where the calling thread's exit clears its tid; returns the tid.
pub fn set_clear_tid(p: &Process, addr: u64) -> Pid {
    let mut s = p.sig.lock();
    let me = s.me();
    me.clear_tid = addr;
    me.tid
}

/// `set_robust_list`: where the calling thread's robust-futex list starts (see
/// [`crate::robust`]).
pub fn set_robust_list(p: &Process, head: u64) {
    p.sig.lock().me().robust_list = head;
}

/// The robust-list head of thread `tid` of `p` (`get_robust_list`).
pub fn robust_list_of(p: &Process, tid: Pid) -> Option<u64> {
    let s = p.sig.lock();
    s.threads
        .iter()
        .find(|t| t.tid == tid)
        .map(|t| t.robust_list)
}

/// How many threads `p` has.
pub fn count(p: &Process) -> usize {
    p.sig.lock().threads.len()
}

/// The tids of `p`'s threads (`/proc/PID/task`).
pub fn tids(p: &Process) -> Vec<Pid> {
    p.sig.lock().threads.iter().map(|t| t.tid).collect()
}

/// The kernel thread behind thread `tid` of `p`.
pub fn kernel_id(p: &Process, tid: Pid) -> Option<task::Tid> {
    p.sig
        .lock()
        .threads
        .iter()
        .find(|t| t.tid == tid)
        .map(|t| t.ktid)
}

/// Has the calling thread been told to exit?
pub(crate) fn zapped(p: &Process) -> bool {
    p.sig.lock().me_ref().zapped
}

/// Tell every thread of `p` but the caller to exit, and interrupt them. With a status,
/// the process is ending (`exit_group`): the status is its wait status unless an
/// earlier group exit set one.
pub fn zap_others(p: &Process, status: Option<u32>) {
    let k = hal::task::current_id();
    let mut others = Vec::new();
    {
        let mut s = p.sig.lock();
        if let Some(st) = status {
            s.group_exit.get_or_insert(st);
        }
        for t in s.threads.iter_mut().filter(|t| t.ktid != k) {
            t.zapped = true;
            others.push(t.ktid);
            p.sig_hint.raise();
        }
    }
    for k in others {
        task::interrupt(k);
    }
}

/// Interrupt every thread of `p` (a SIGKILL or SIGSTOP for a process of many threads;
/// a stop one thread took, so the others stop too).
pub(crate) fn interrupt_all(p: &Process) {
    let all: Vec<task::Tid> = p.sig.lock().threads.iter().map(|t| t.ktid).collect();
    for k in all {
        task::interrupt(k);
    }
}

/// End the calling thread with `status` (the process's wait status if it is the last
/// thread and no group exit set one). Never returns.
pub fn exit_thread(status: u32) -> ! {
    let Some(p) = process::current() else {
        task::exit()
    };
    let (clear, robust, tid) = {
        let s = p.sig.lock();
        let me = s.me_ref();
        (me.clear_tid, me.robust_list, me.tid)
    };
    if robust != 0 {
        // Before the tid word: a joiner may free the list's memory once woken.
        crate::robust::exit_robust_list(&p, tid, robust);
    }
    if clear != 0 {
        // While this thread still counts, so the memory is still there.
        let _ = crate::uaccess::write_bytes(clear, &0u32.to_le_bytes());
        let _ = crate::futex::wake(&p, clear, 1);
    }
    let k = hal::task::current_id();
    let last = {
        let mut s = p.sig.lock();
        if s.threads.len() <= 1 {
            Some(s.group_exit.unwrap_or(status))
        } else {
            s.threads.retain(|t| t.ktid != k);
            let first = s.threads[0].ktid;
            drop(s);
            let mut lead = p.tid.lock();
            if *lead == k {
                *lead = first;
            }
            None
        }
    };
    if let Some(status) = last {
        drop(p);
        crate::lifecycle::exit_process(status);
    }
    // What this thread counted stays with the process.
    if let Some(t) = task::by_tid(k) {
        let (v, i) = t.context_switches();
        let mut u = p.usage.lock();
        u.past.nvcsw += v;
        u.past.nivcsw += i;
        u.past.syscalls += t.syscalls();
    }
    p.thread_wq.wake_all();
    hal::task::current().set_address_space(None);
    drop(p);
    task::exit()
}

/// `exit_group`: end the whole process with `status`.
pub fn exit_group(status: u32) -> ! {
    if let Some(p) = process::current() {
        zap_others(&p, Some(status));
    }
    exit_thread(status)
}

/// For `exec`: make the caller its process's only thread (the others are told to
/// exit, and it waits until they have), with the pid as its tid. EINTR if the caller
/// was itself told to exit meanwhile (another thread ended the process).
pub(crate) fn become_only_thread(p: &Process) -> Result<(), Errno> {
    zap_others(p, None);
    p.thread_wq.wait_until(|| {
        let s = p.sig.lock();
        s.threads.len() == 1 || s.me_ref().zapped
    });
    let mut s = p.sig.lock();
    if s.me_ref().zapped {
        return Err(Errno::EINTR);
    }
    let me = s.me();
    me.tid = p.pid;
    me.clear_tid = 0;
    me.robust_list = 0;
    drop(s);
    *p.tid.lock() = hal::task::current_id();
    Ok(())
}

/// The live (not zombie) process that has a thread `tid`, and that thread's kernel id.
pub fn find(tid: Pid) -> Option<(Arc<Process>, task::Tid)> {
    process::all().into_iter().find_map(|p| {
        if p.is_zombie() {
            return None;
        }
        let k = p.sig.lock().threads.iter().find(|t| t.tid == tid)?.ktid;
        Some((p, k))
    })
}

/// `tgkill(tgid, tid, sig)` (`tgid` None: `tkill`): `sig` for one thread, which alone
/// takes it. ESRCH if no such thread (in that process), EPERM as `kill`.
pub fn tkill(sender: Pid, tgid: Option<Pid>, tid: Pid, sig: u32) -> Result<(), Errno> {
    if sig >= abi::signal::NSIG {
        return Err(Errno::EINVAL);
    }
    let (p, ktid) = find(tid).ok_or(Errno::ESRCH)?;
    if tgid.is_some_and(|g| g != p.pid) {
        return Err(Errno::ESRCH);
    }
    let me = process::get(sender);
    let uid = me.as_ref().map_or(0, |m| m.cred().ruid);
    if let Some(m) = &me {
        if !crate::signal::may_kill(&m.cred(), m.sid(), &p, sig) {
            return Err(Errno::EPERM);
        }
    }
    if sig != 0 {
        let info = SigInfo {
            code: crate::signal::SI_TKILL,
            pid: sender,
            uid,
            addr: None,
        };
        crate::signal::post_to(&p, sig, info, Some(ktid));
    }
    Ok(())
}
