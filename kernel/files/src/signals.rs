//! What open files need from signals, which live in the process layer above: whether
//! the running thread's sleep must end because a signal arrived (EINTR), and raising
//! a signal on the caller (a write to a pipe nobody reads gets SIGPIPE).
//!
//! Linux's pipe and terminal code call `signal_pending(current)` and
//! `send_sig(SIGPIPE, current)`. Here those two are the [`Signals`] trait, which
//! `proc` implements; the code that sleeps or raises (a pipe, the terminal) takes the
//! implementation as a type parameter, chosen where the object is made (`pipe(2)`, the
//! terminal's registration). So this layer never names a process, and since the
//! choice is made at compile time the calls cost what a direct call costs: a hook
//! through a function pointer would cost the pipe round trip about 1%. Every
//! interruptible sleep in the kernel goes through [`interruptible_wait`] or
//! [`interruptible_take`].

use abi::Errno;
use task::WaitQueue;

/// The process layer's side of signals, as seen from below.
pub trait Signals: 'static {
    /// Is a signal waiting that will interrupt the calling thread's sleep?
    fn interrupted() -> bool;

    /// Post signal `sig` to the calling process (nothing when it has none).
    fn raise(sig: u32);

    /// May the caller read a terminal whose foreground group is `foreground`? A
    /// process of another group (a background job) may not: its group is sent SIGTTIN
    /// and the read fails with EINTR (it stops, and reads again when continued), or
    /// with EIO when SIGTTIN would not stop it (ignored, blocked, handled... POSIX
    /// leaves handled to the implementation; Linux sends it, and so do we).
    fn may_read_terminal(_foreground: u32) -> Result<(), Errno> {
        Ok(())
    }

    /// Post `sig` to every process of group `pgrp` (a pseudo-terminal's Ctrl-C, its
    /// hang-up).
    fn signal_group(_pgrp: u32, _sig: u32) {}

    /// The caller's `(pid, process group, session)`, zeros outside a process: what
    /// a terminal needs to become a session's controlling terminal.
    fn caller_ids() -> (u32, u32, u32) {
        (0, 0, 0)
    }
}

/// Sleep on `wq` until `cond`, or fail with EINTR when a signal arrives first.
pub fn interruptible_wait<S: Signals>(
    wq: &WaitQueue,
    cond: impl Fn() -> bool,
) -> Result<(), Errno> {
    let intr = core::cell::Cell::new(false);
    wq.wait_until(|| {
        if cond() {
            return true;
        }
        intr.set(S::interrupted());
        intr.get()
    });
    if intr.get() && !cond() {
        Err(Errno::EINTR)
    } else {
        Ok(())
    }
}

/// Sleep on `wq` until `attempt` gets something (it is tried first at once, then
/// after each wake-up), or fail with EINTR when a signal arrives first. Where the
/// check and the taking are one step (a reader popping bytes), this locks the object
/// once per try instead of once to check and again to take.
pub fn interruptible_take<S: Signals, T>(
    wq: &WaitQueue,
    mut attempt: impl FnMut() -> Option<T>,
) -> Result<T, Errno> {
    let mut got = None;
    wq.wait_until(|| {
        got = attempt();
        got.is_some() || S::interrupted()
    });
    got.ok_or(Errno::EINTR)
}
