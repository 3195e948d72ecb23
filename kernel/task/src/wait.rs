//! Waiting: wait queues, timed sleep, and the sleeping mutex.
//!
//! A [`WaitQueue`] is the one blocking mechanism. `wait_until(cond)` checks `cond` with
//! interrupts off; if it is false the thread marks itself blocked, joins the queue and
//! switches away, all before interrupts come back on. A waker changes the state that
//! `cond` reads and then calls `wake_one`/`wake_all`. On one CPU this order leaves no
//! window for a lost wake-up: the waker cannot run between the check and the sleep. On
//! another CPU it can, so the waiter checks `cond` once more after joining the queue.
//! A woken thread re-checks `cond`, so spurious wake-ups are harmless.
//!
//! The [`Mutex`] is hal's [`Lock`](hal::sync::Lock) with a wait queue as its waiting
//! policy: contended lockers sleep instead of spinning, and may be preempted while
//! holding it (unlike a spinlock).

use crate::sched::{self, SCHED};
use crate::thread::{current, State, Thread};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicUsize, Ordering};
use hal::sync::{IrqGuard, Lock, LockGuard, SpinLock, WaitPolicy};

/// Threads waiting for something.
pub struct WaitQueue {
    waiters: SpinLock<VecDeque<Arc<Thread>>>,
    /// How many are queued, readable without the lock (wakers skip an empty queue).
    queued: AtomicUsize,
}

impl WaitQueue {
    pub const fn new() -> Self {
        WaitQueue {
            waiters: SpinLock::new(VecDeque::new()),
            queued: AtomicUsize::new(0),
        }
    }

    /// Sleep until `cond()` is true.
    pub fn wait_until(&self, cond: impl Fn() -> bool) {
        loop {
            let _irq = IrqGuard::new();
            if cond() {
                return;
            }
            let me = current();
            *me.state.lock() = State::Blocked;
            self.waiters.lock().push_back(me.clone());
            self.queued.fetch_add(1, Ordering::SeqCst);
            // Another CPU may have made the condition true (and found no waiter to
            // wake) between the check above and the queueing: look again. (On one CPU
            // nothing can run in between: interrupts are off.)
            if hal::percpu::cpus_online() > 1 && cond() {
                let mut st = me.state.lock();
                if *st == State::Blocked {
                    *st = State::Running; // nobody woke us: carry on
                    drop(st);
                    self.forget(&me);
                    return;
                }
                // A waker already queued us: we are Runnable and on the run queue;
                // the scheduler takes us off this CPU and runs us again from there.
            }
            sched::schedule();
            // Woken by something other than this queue (a signal's `interrupt`): leave
            // it, or the queue keeps a reference to the thread. When the queue belongs
            // to the thread's own process (its child_wq), that reference made a cycle
            // that leaked the process and its kernel stack when it then exited.
            self.forget(&me);
        }
    }

    /// Put `t` at the back of the queue (a waiter of [`wait_any`]).
    fn enqueue(&self, t: &Arc<Thread>) {
        self.waiters.lock().push_back(t.clone());
        self.queued.fetch_add(1, Ordering::SeqCst);
    }

    /// Remove `t` from the queue if it is still in it.
    fn forget(&self, t: &Arc<Thread>) {
        if self.queued.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut w = self.waiters.lock();
        if let Some(i) = w.iter().position(|x| Arc::ptr_eq(x, t)) {
            w.remove(i);
            self.queued.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Wake the longest waiter. Returns whether there was one.
    pub fn wake_one(&self) -> bool {
        if self.queued.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let t = {
            let mut w = self.waiters.lock();
            let t = w.pop_front();
            if t.is_some() {
                self.queued.fetch_sub(1, Ordering::SeqCst);
            }
            t
        };
        match t {
            Some(t) => {
                sched::wake(&t);
                true
            }
            None => false,
        }
    }

    /// Wake every waiter.
    pub fn wake_all(&self) {
        while self.wake_one() {}
    }

    /// Number of threads waiting.
    pub fn len(&self) -> usize {
        self.waiters.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitPolicy for WaitQueue {
    fn wait(&self, is_free: &dyn Fn() -> bool) {
        self.wait_until(is_free);
    }
    fn wake_one(&self) {
        WaitQueue::wake_one(self);
    }
    fn has_waiters(&self) -> bool {
        self.queued.load(Ordering::SeqCst) != 0
    }
}

/// Sleep until `cond()` is true, woken by whichever of `queues` is woken first, or
/// until timer tick `deadline` has come (`None`: no limit). Returns whether `cond()`
/// held; `false` means the time ran out.
///
/// This is the wait behind `poll` and the port calls' timeouts: the thread is queued on
/// every queue at once (and with the timer's sleepers when it has a deadline), and
/// taken off all of them when it runs again, as in [`WaitQueue::wait_until`]. A waker's
/// `wake_one` may pick such a thread when another queue has already woken it; every
/// queue a `wait_any` can join is woken with `wake_all` (pipes, ports, the terminal).
pub fn wait_any(queues: &[&WaitQueue], deadline: Option<u64>, cond: impl Fn() -> bool) -> bool {
    loop {
        let _irq = IrqGuard::new();
        if cond() {
            return true;
        }
        if deadline.is_some_and(|d| sched::ticks() >= d) {
            return false;
        }
        let me = current();
        *me.state.lock() = State::Blocked;
        for q in queues {
            q.enqueue(&me);
        }
        if let Some(d) = deadline {
            SCHED.lock().sleepers.insert((d, me.tid), me.clone());
        }
        let mut done = false;
        // As in `wait_until`: another CPU may have made `cond` true meanwhile.
        if hal::percpu::cpus_online() > 1 && cond() {
            let mut st = me.state.lock();
            if *st == State::Blocked {
                *st = State::Running;
                done = true;
            }
        }
        if !done {
            sched::schedule();
        }
        for q in queues {
            q.forget(&me);
        }
        if let Some(d) = deadline {
            SCHED.lock().sleepers.remove(&(d, me.tid));
        }
        if done {
            return true;
        }
    }
}

/// A mutual-exclusion lock whose waiters sleep.
pub type Mutex<T> = Lock<T, WaitQueue>;
/// Access to a [`Mutex`]'s value; unlocks on drop.
pub type MutexGuard<'a, T> = LockGuard<'a, T, WaitQueue>;

/// A new sleeping mutex (a `const fn`, usable in statics).
pub const fn mutex<T>(value: T) -> Mutex<T> {
    Lock::with_policy(value, WaitQueue::new())
}

/// Sleep for at least `n` timer ticks.
pub fn sleep_ticks(n: u64) {
    let _irq = IrqGuard::new();
    let me = current();
    let wake_at = sched::ticks() + n.max(1);
    *me.state.lock() = State::Blocked;
    let tid = me.tid;
    SCHED.lock().sleepers.insert((wake_at, tid), me);
    sched::schedule();
    // Woken early (a signal): the timer no longer needs to hold the thread, which might
    // be about to exit (a long nanosleep ended by SIGKILL kept its thread for good).
    SCHED.lock().sleepers.remove(&(wake_at, tid));
}

/// Sleep for at least `ms` milliseconds (rounded up to whole ticks).
pub fn sleep_ms(ms: u64) {
    sleep_ticks(ms.div_ceil(1000 / hal::apic::TIMER_HZ));
}
