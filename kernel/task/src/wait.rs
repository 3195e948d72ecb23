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
use crate::thread::{current_irqs_off, State, Thread};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{fence, AtomicUsize, Ordering};
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

    /// Sleep until `cond()` is true. `cond` is asked with interrupts off, and once it
    /// has answered true it is not asked again (so it may take what it finds).
    pub fn wait_until(&self, mut cond: impl FnMut() -> bool) {
        loop {
            let irq = IrqGuard::new();
            if cond() {
                return;
            }
            let me = current_irqs_off(&irq);
            me.state.set(State::Blocked);
            self.push(&mut self.waiters.lock_irqs_off(&irq), &me);
            // Another CPU may have made the condition true (and found no waiter to
            // wake) between the check above and the queueing: look again. (On one CPU
            // nothing can run in between: interrupts are off.)
            // `cond` has then been true once, so it is not asked again: a `cond` that
            // takes what it finds (a pipe reader's bytes) must not take twice.
            if hal::percpu::cpus_online() > 1 && cond() {
                if !me.state.change(State::Blocked, State::Running) {
                    // A waker already queued us: we are Runnable and on the run queue;
                    // the scheduler takes us off this CPU and runs us again from there.
                    sched::schedule(&irq);
                }
                self.forget(&me);
                return;
            }
            sched::schedule(&irq);
            // Woken by something other than this queue (a signal's `interrupt`): leave
            // it, or the queue keeps a reference to the thread. When the queue belongs
            // to the thread's own process (its child_wq), that reference made a cycle
            // that leaked the process and its kernel stack when it then exited.
            self.forget(&me);
        }
    }

    /// Put `t` at the back of the queue, whose lock the caller holds.
    #[inline(always)]
    fn push(&self, w: &mut VecDeque<Arc<Thread>>, t: &Arc<Thread>) {
        w.push_back(t.clone());
        t.in_queues.fetch_add(1, Ordering::Relaxed);
        self.queued.fetch_add(1, Ordering::SeqCst);
    }

    /// Put `t` at the back of the queue (a waiter of [`wait_any`]).
    fn enqueue(&self, t: &Arc<Thread>) {
        self.push(&mut self.waiters.lock(), t);
    }

    /// Remove `t` from the queue if it is still in it. A thread woken by this queue's
    /// `wake_one` was taken off by its waker; when no queue holds it any more (the
    /// usual case: one queue, and it woke the thread) there is nothing to search for.
    /// The count only falls while the thread is queued, under a queue's lock, before
    /// the wake-up that lets the thread run, so the thread reads it settled.
    #[inline(always)]
    fn forget(&self, t: &Arc<Thread>) {
        if t.in_queues.load(Ordering::Acquire) != 0 && self.queued.load(Ordering::SeqCst) != 0 {
            self.forget_queued(t);
        }
    }

    /// The search of [`WaitQueue::forget`], out of line: the common wake-up (the
    /// thread taken off by its waker) pays only the two loads.
    #[inline(never)]
    fn forget_queued(&self, t: &Arc<Thread>) {
        let mut w = self.waiters.lock();
        if let Some(i) = w.iter().position(|x| Arc::ptr_eq(x, t)) {
            w.remove(i);
            t.in_queues.fetch_sub(1, Ordering::Release);
            self.queued.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Wake the longest waiter. Returns whether there was one.
    pub fn wake_one(&self) -> bool {
        match self.take_front() {
            Some(t) => {
                sched::wake(&t);
                true
            }
            None => false,
        }
    }

    /// Is anyone queued? What a waker asks first, inlined into it, so that waking an
    /// empty queue (a pipe's after every read and write nobody waits for) costs two
    /// loads and no call.
    #[inline(always)]
    fn has_waiters(&self) -> bool {
        // The waker has just made the condition true, perhaps with a plain store (an
        // `exited` flag, a lock's release). x86 lets a later load pass an earlier store,
        // so without a full fence the `queued` count below can be read before that
        // store is visible: the waker sees no waiter while the waiter, queued a moment
        // later, still sees the old condition, and both go on (the waiter for good).
        // The fence orders the two; the waiter's side is ordered by its `fetch_add`.
        // (Linux's `waitqueue_active` asks the same `smp_mb()` of its callers.)
        if hal::percpu::cpus_online() > 1 {
            fence(Ordering::SeqCst);
        }
        self.queued.load(Ordering::SeqCst) != 0
    }

    /// Take the longest waiter off the queue (not yet woken), if there is one.
    #[inline(always)]
    fn take_front(&self) -> Option<Arc<Thread>> {
        if !self.has_waiters() {
            return None;
        }
        let mut w = self.waiters.lock();
        let t = w.pop_front();
        if let Some(t) = &t {
            t.in_queues.fetch_sub(1, Ordering::Release);
            self.queued.fetch_sub(1, Ordering::SeqCst);
        }
        t
    }

    /// Wake every waiter.
    #[inline]
    pub fn wake_all(&self) {
        if self.has_waiters() {
            self.wake_all_queued();
        }
    }

    #[inline(never)]
    fn wake_all_queued(&self) {
        while self.wake_one() {}
    }

    /// Wake every waiter; when there was exactly one, on one CPU, run it at once and
    /// leave the caller runnable behind it ([`sched::wake_and_yield`]): a pipe writer
    /// whose whole write is in hands the CPU to the reader it woke, which is what the
    /// reader was waiting for, instead of sending it through the run queue and going
    /// on to block in its own next read. Elsewhere (several waiters, several CPUs,
    /// interrupts off at the call) it is [`WaitQueue::wake_all`].
    #[inline]
    pub fn wake_all_and_yield(&self) {
        if self.has_waiters() {
            self.wake_all_and_yield_queued();
        }
    }

    #[inline(never)]
    fn wake_all_and_yield_queued(&self) {
        let Some(t) = self.take_front() else {
            return;
        };
        if self.queued.load(Ordering::SeqCst) == 0 {
            sched::wake_and_yield(&t);
        } else {
            sched::wake(&t);
            self.wake_all();
        }
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
    fn wake_one(&self) -> bool {
        WaitQueue::wake_one(self)
    }
    fn has_waiters(&self) -> bool {
        // The lock orders this load itself: its release stores the lock word
        // SeqCst, a locked exchange on x86 and so a full fence.
        self.queued.load(Ordering::SeqCst) != 0
    }
}

/// [`wait_any`] with its deadline on the clock: until `deadline_ns` on the monotonic
/// clock (nanoseconds since boot; `None`: no limit). The timer's ticks only say when to
/// look at the clock again: a tick's length is measured at boot and can be off (under
/// a loaded host a 50 ms wait counted in ticks was seen to end after 46 ms), and a wait
/// must never be shorter than asked. Returns whether `cond()` held.
pub fn wait_any_ns(
    queues: &[&WaitQueue],
    deadline_ns: Option<u64>,
    cond: impl Fn() -> bool,
) -> bool {
    let Some(end) = deadline_ns else {
        return wait_any(queues, None, cond);
    };
    let tick_ns = 1_000_000_000 / hal::apic::TIMER_HZ;
    loop {
        let now = hal::apic::nanos_since_boot();
        if now >= end {
            return cond();
        }
        // The ticks to the end; if they were short, the clock says so and we go on.
        let ticks = (end - now).div_ceil(tick_ns);
        if wait_any(queues, Some(sched::ticks() + ticks), &cond) {
            return true;
        }
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
        let irq = IrqGuard::new();
        if cond() {
            return true;
        }
        if deadline.is_some_and(|d| sched::ticks() >= d) {
            return false;
        }
        let me = current_irqs_off(&irq);
        me.state.set(State::Blocked);
        for q in queues {
            q.enqueue(&me);
        }
        if let Some(d) = deadline {
            SCHED
                .lock_irqs_off(&irq)
                .sleepers
                .insert((d, me.tid), me.clone());
        }
        // As in `wait_until`: another CPU may have made `cond` true meanwhile. Its
        // answer is kept: once true, `cond` is not asked again (it may have taken what
        // it found: a port call's reply). If a waker has already queued us, we still
        // go through the scheduler, which takes us off this CPU, and then return true.
        // (Asking `cond` again there made a port call that had taken its reply wait
        // for another one for good: a 4-CPU usertests hang, in port_traffic.)
        let held = hal::percpu::cpus_online() > 1 && cond();
        if !(held && me.state.change(State::Blocked, State::Running)) {
            sched::schedule(&irq);
        }
        for q in queues {
            q.forget(&me);
        }
        if let Some(d) = deadline {
            SCHED.lock_irqs_off(&irq).sleepers.remove(&(d, me.tid));
        }
        if held {
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

/// Block `me` (the calling thread) until `cond()` holds, or until timer tick
/// `deadline` when one is given: a wait without a queue, for a waiter that keeps its
/// own record of itself (a futex's). Whoever makes `cond` true calls [`wake_thread`]
/// on the thread afterwards. The same order as [`WaitQueue::wait_until`]: the check
/// and the sleep with interrupts off, and on more than one CPU the check once more
/// after the thread is marked blocked. True when `cond` held, false at the deadline.
pub fn block_until(me: &Arc<Thread>, cond: impl Fn() -> bool, deadline: Option<u64>) -> bool {
    loop {
        let irq = IrqGuard::new();
        if cond() {
            return true;
        }
        if deadline.is_some_and(|d| sched::ticks() >= d) {
            return false;
        }
        me.state.set(State::Blocked);
        // A full fence between the store of `Blocked` and the loads of `cond`: x86 may
        // let a load pass an earlier store, and the waker does the opposite (makes
        // `cond` true, then tries Blocked -> Runnable). Without it the waiter could read
        // the old `cond` while the waker still saw `Running`, and both went on: the
        // futex waiter slept for good (the four-CPU thread-test hangs, docs/smp.md).
        // `wait_until` and `wait_any` have it from their queue's `fetch_add`.
        if hal::percpu::cpus_online() > 1 {
            fence(Ordering::SeqCst);
        }
        if let Some(d) = deadline {
            SCHED
                .lock_irqs_off(&irq)
                .sleepers
                .insert((d, me.tid), me.clone());
        }
        // As in `wait_any`, `cond`'s answer here is kept, whoever else woke us.
        let held = hal::percpu::cpus_online() > 1 && cond();
        if !(held && me.state.change(State::Blocked, State::Running)) {
            sched::schedule(&irq);
        }
        if let Some(d) = deadline {
            SCHED.lock_irqs_off(&irq).sleepers.remove(&(d, me.tid));
        }
        if held {
            return true;
        }
    }
}

/// [`block_until`] with its deadline on the monotonic clock (nanoseconds since boot;
/// `None`: no limit), as [`wait_any_ns`] is to [`wait_any`]: the ticks only say when to
/// look at the clock again. True when `cond` held, false when the time ran out.
pub fn block_until_ns(me: &Arc<Thread>, cond: impl Fn() -> bool, deadline_ns: Option<u64>) -> bool {
    let Some(end) = deadline_ns else {
        return block_until(me, cond, None);
    };
    let tick_ns = 1_000_000_000 / hal::apic::TIMER_HZ;
    loop {
        let now = hal::apic::nanos_since_boot();
        if now >= end {
            return cond();
        }
        let ticks = (end - now).div_ceil(tick_ns);
        if block_until(me, &cond, Some(sched::ticks() + ticks)) {
            return true;
        }
    }
}

/// Wake `next` (blocked in [`block_until`] or a wait queue's wait) and block the
/// calling thread `me` until `cond()` holds, as [`block_until_ns`]: the two halves of
/// an IPC round trip's turn (a caller waking the server it gave a message to, a server
/// waking the caller it answered). On one CPU, with no deadline, the CPU is handed to
/// `next` directly (`sched::block_and_handoff`): no run-queue trip between the two.
pub fn wake_and_block(
    me: &Arc<Thread>,
    next: Option<Arc<Thread>>,
    cond: impl Fn() -> bool,
    deadline_ns: Option<u64>,
) -> bool {
    if let Some(next) = next {
        let handed = deadline_ns.is_none() && {
            let irq = IrqGuard::new();
            !cond() && sched::block_and_handoff(&irq, me, &next)
        };
        if !handed {
            sched::wake(&next);
        }
    }
    block_until_ns(me, cond, deadline_ns)
}

/// Make `t`, blocked in [`block_until`], run again (it re-checks its condition).
pub fn wake_thread(t: &Arc<Thread>) {
    sched::wake(t);
}

/// Sleep for at least `n` timer ticks.
pub fn sleep_ticks(n: u64) {
    let irq = IrqGuard::new();
    let me = current_irqs_off(&irq);
    let wake_at = sched::ticks() + n.max(1);
    me.state.set(State::Blocked);
    let tid = me.tid;
    SCHED
        .lock_irqs_off(&irq)
        .sleepers
        .insert((wake_at, tid), me);
    sched::schedule(&irq);
    // Woken early (a signal): the timer no longer needs to hold the thread, which might
    // be about to exit (a long nanosleep ended by SIGKILL kept its thread for good).
    SCHED.lock().sleepers.remove(&(wake_at, tid));
}

/// Sleep for at least `ms` milliseconds (rounded up to whole ticks).
pub fn sleep_ms(ms: u64) {
    sleep_ticks(ms.div_ceil(1000 / hal::apic::TIMER_HZ));
}
