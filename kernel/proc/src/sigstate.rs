//! The signal state of a process and of each of its threads: what a thread takes,
//! what it blocks, and what `fork` copies (chapter 2, 3-2 "process control"; the
//! mechanism that uses it is `signal.rs`, the threads `thread.rs`).
//!
//! The actions and the signals sent to the process as a whole are shared; each
//! thread's mask, its own pending set, its alternate stack, a call to restart and its
//! ids are its own, in a [`ThreadSig`] in [`SigState::threads`]. The calling thread's
//! record is found by its kernel thread id ([`SigState::me`]).

use crate::process::Pid;
use crate::siginfo::SigInfo;
use abi::signal::*;
use abi::SigAction;

fn bit(sig: u32) -> u64 {
    1u64 << sig
}

/// "A signal may be pending": a flag read without the signal lock, so that the check
/// every sleep makes ([`crate::signal::interrupted`]) costs one load in the common
/// case of nothing pending. It is raised, under the lock, by everything that makes a
/// signal pending or a thread zapped, and lowered, under the lock, only by a check
/// that found nothing pending at all. Read without the lock it can only be stale in
/// the safe direction: whoever raises it then interrupts the sleeping thread, which
/// looks again.
pub struct SigHint(core::sync::atomic::AtomicBool);

impl SigHint {
    /// Raised: the first check takes the lock and settles it.
    pub const fn new() -> SigHint {
        SigHint(core::sync::atomic::AtomicBool::new(true))
    }

    /// A signal was made pending (call with the signal lock held).
    pub fn raise(&self) {
        self.0.store(true, core::sync::atomic::Ordering::SeqCst);
    }

    /// Could a signal be pending? False means none is.
    #[inline]
    pub fn may_be_set(&self) -> bool {
        // A sleeper marked itself blocked just before asking; with other CPUs posting
        // signals, that store must be ordered before this load (as in `wake_one`).
        if hal::percpu::cpus_online() > 1 {
            core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
        }
        self.0.load(core::sync::atomic::Ordering::SeqCst)
    }

    /// Nothing is pending (call with the signal lock held, having looked).
    pub fn lower(&self) {
        self.0.store(false, core::sync::atomic::Ordering::SeqCst);
    }
}

impl Default for SigHint {
    fn default() -> Self {
        Self::new()
    }
}

/// A process's signal state: what every thread shares (the actions, the signals sent
/// to the process as a whole) and, in [`SigState::threads`], what each thread has of
/// its own (mask, pending set, alternate stack; see `thread.rs`).
#[derive(Clone)]
pub struct SigState {
    /// Signals sent to the process (`kill`): any thread that does not block one takes it.
    pub pending: u64,
    pub actions: [SigAction; NSIG as usize],
    /// Who sent each pending signal and why (Linux's `siginfo_t`, for `SA_SIGINFO`
    /// handlers of Linux programs): kept from the first post of a pending signal.
    pub info: [SigInfo; NSIG as usize],
    /// The process's threads, the first one first; never empty (the last thread's
    /// record stays with the zombie).
    pub threads: alloc::vec::Vec<ThreadSig>,
    /// The process is ending as a whole (`exit_group`, a fatal signal): its wait
    /// status. Every other thread has been told to exit.
    pub group_exit: Option<u32>,
}

/// What one thread has of its own in the signal state.
#[derive(Clone, Default)]
pub struct ThreadSig {
    /// The thread id programs see (`gettid`): the pid for the process's first thread,
    /// a number from the same space for the others.
    pub tid: Pid,
    /// The kernel thread (`task`) it is.
    pub ktid: task::Tid,
    /// Signals sent to this thread alone (`tkill`, a fault).
    pub pending: u64,
    pub mask: u64,
    /// The mask to go back to after a `sigsuspend`: the handler that ends it saves
    /// this one in its frame (so its sigreturn restores it), or, if no handler runs,
    /// the return to user mode puts it back.
    pub saved_mask: Option<u64>,
    /// The alternate signal stack (`sigaltstack`): its lowest address and size.
    pub alt_stack: Option<(u64, u64)>,
    /// The number of a restartable call that has just failed with EINTR (set by a
    /// personality that restarts calls, Linux's). On the way back to user mode the
    /// call is made again (its number back in `rax`, `rip` on the `syscall`) if no
    /// handler runs, or if the handler that runs has `SA_RESTART`.
    pub restart: Option<u64>,
    /// Where the thread's exit writes 0 and wakes a futex (`CLONE_CHILD_CLEARTID`,
    /// `set_tid_address`; a native thread's join word). 0: nowhere.
    pub clear_tid: u64,
    /// The head of the thread's robust-futex list (`set_robust_list`; walked at its
    /// exit by `robust::exit_robust_list`). 0: none. Not inherited by fork or exec.
    pub robust_list: u64,
    /// Told to exit (another thread ended the process, or is exec-ing).
    pub zapped: bool,
}

impl SigState {
    pub fn new() -> Self {
        SigState {
            pending: 0,
            actions: [SigAction::default(); NSIG as usize],
            info: [SigInfo::KERNEL; NSIG as usize],
            threads: alloc::vec![ThreadSig::default()],
            group_exit: None,
        }
    }

    /// After exec: handlers point into the old program, so they go back to default;
    /// ignored signals stay ignored (that is how `nohup` works).
    pub fn reset_handlers(&mut self) {
        // The alternate stack was the old program's memory.
        self.me().alt_stack = None;
        for a in self.actions.iter_mut() {
            if a.handler != SIG_IGN {
                *a = SigAction::default();
            }
        }
    }

    /// The calling thread's own part (the first thread's when the caller is not one
    /// of the process's threads: another process looking, or the kernel).
    pub fn me(&mut self) -> &mut ThreadSig {
        let k = hal::task::current_id();
        let i = self.threads.iter().position(|t| t.ktid == k).unwrap_or(0);
        &mut self.threads[i]
    }

    /// [`SigState::me`], to read.
    pub fn me_ref(&self) -> &ThreadSig {
        let k = hal::task::current_id();
        let i = self.threads.iter().position(|t| t.ktid == k).unwrap_or(0);
        &self.threads[i]
    }

    /// The calling thread's mask.
    pub fn mask(&self) -> u64 {
        self.me_ref().mask
    }

    /// What the calling thread would take now: its own and the process's pending
    /// signals that it does not block (a zapped thread: SIGKILL).
    pub(crate) fn deliverable(&self) -> u64 {
        let unmaskable = (1 << SIGKILL) | (1 << SIGSTOP);
        let t = self.me_ref();
        if t.zapped {
            return 1 << SIGKILL;
        }
        (self.pending | t.pending) & (!t.mask | unmaskable)
    }

    /// Is anything pending at all, for any thread, or a thread zapped? (When not, the
    /// process's [`SigHint`] may be lowered.)
    pub fn anything_pending(&self) -> bool {
        self.pending != 0 || self.threads.iter().any(|t| t.pending != 0 || t.zapped)
    }

    /// Pending for the calling thread, blocked or not (`sigpending` takes `& mask`).
    pub fn pending_here(&self) -> u64 {
        self.pending | self.me_ref().pending
    }

    /// Take `sig` off the calling thread's pending set, or else the process's.
    pub(crate) fn take(&mut self, sig: u32) {
        let me = self.me();
        if me.pending & bit(sig) != 0 {
            me.pending &= !bit(sig);
        } else {
            self.pending &= !bit(sig);
        }
    }

    /// The state a new process starts with from this one (`fork`, `spawn`): the
    /// calling thread's mask and alternate stack, nothing pending, one thread whose
    /// ids `register` fills in.
    pub fn for_new_process(&self) -> SigState {
        let me = self.me_ref();
        let mut s = self.clone();
        s.pending = 0;
        s.group_exit = None;
        s.threads = alloc::vec![ThreadSig {
            mask: me.mask,
            alt_stack: me.alt_stack,
            ..ThreadSig::default()
        }];
        s
    }
}

impl Default for SigState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two threads: "me" (kernel thread id `hal::task::current_id()`, 0 on the host)
    /// and another.
    fn two_threads() -> SigState {
        let me = hal::task::current_id();
        let mut s = SigState::new();
        s.threads[0] = ThreadSig {
            tid: 7,
            ktid: me,
            ..ThreadSig::default()
        };
        s.threads.push(ThreadSig {
            tid: 9,
            ktid: me + 1000,
            ..ThreadSig::default()
        });
        s
    }

    #[test]
    fn a_thread_takes_its_own_and_the_process_signals_less_its_mask() {
        let mut s = two_threads();
        s.pending = bit(SIGUSR1);
        s.threads[1].pending = bit(SIGUSR2); // the other thread's: not mine
        assert_eq!(s.deliverable(), bit(SIGUSR1));
        s.me().mask = bit(SIGUSR1);
        assert_eq!(s.deliverable(), 0);
        assert_eq!(s.pending_here() & s.mask(), bit(SIGUSR1));
        s.me().pending = bit(SIGTERM);
        assert_eq!(s.deliverable(), bit(SIGTERM));
        s.take(SIGTERM);
        assert_eq!(s.me_ref().pending, 0);
        s.me().mask = 0;
        s.take(SIGUSR1);
        assert_eq!(
            s.pending, 0,
            "the process's signal is taken from the process set"
        );
        assert_eq!(s.threads[1].pending, bit(SIGUSR2));
    }

    #[test]
    fn a_zapped_thread_sees_only_sigkill_and_no_mask_holds_it() {
        let mut s = two_threads();
        s.me().mask = !0;
        s.me().zapped = true;
        assert_eq!(s.deliverable(), bit(SIGKILL));
    }

    #[test]
    fn a_new_process_gets_the_callers_mask_and_one_thread_nothing_pending() {
        let mut s = two_threads();
        s.me().mask = bit(SIGINT);
        s.me().alt_stack = Some((0x1000, 0x4000));
        s.threads[1].mask = bit(SIGHUP);
        s.pending = bit(SIGUSR1);
        s.group_exit = Some(3);
        let c = s.for_new_process();
        assert_eq!(c.threads.len(), 1);
        assert_eq!(c.threads[0].mask, bit(SIGINT));
        assert_eq!(c.threads[0].alt_stack, Some((0x1000, 0x4000)));
        assert_eq!(
            (c.pending, c.threads[0].pending, c.group_exit),
            (0, 0, None)
        );
    }
}
