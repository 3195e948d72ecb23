//! Kernel threads: what one is, how it starts, how it ends.
//!
//! A [`Thread`] owns a hal [`Task`](hal::task::Task) (its stack and saved context) and
//! adds what scheduling needs: an id, a name, a [`State`], CPU-time accounting, and a
//! wait queue its joiners sleep on. A thread's function returning is the same as it
//! calling [`exit`]; its memory is freed by the thread that runs after it.

use crate::sched::{self, SCHED};
use crate::wait::WaitQueue;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use hal::sync::IrqGuard;

/// A thread id.
pub type Tid = u64;

/// Where a thread is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// On the run queue, waiting for the CPU.
    Runnable,
    /// On the CPU now.
    Running,
    /// Waiting for an event (a wait queue or a timer).
    Blocked,
    /// Finished; waiting to be freed.
    Dead,
}

/// A [`State`] that CPUs read and change without a lock. The one transition two CPUs
/// may race for, Blocked to something else (a waker making the thread runnable, the
/// thread itself deciding not to sleep after all), is a compare-and-exchange, so
/// exactly one of them wins; every other change is made by the CPU that runs the
/// thread or the scheduler that takes it, which no one else contends.
pub(crate) struct AtomicState(AtomicU8);

impl AtomicState {
    const fn new(s: State) -> Self {
        AtomicState(AtomicU8::new(s as u8))
    }

    pub(crate) fn get(&self) -> State {
        match self.0.load(Ordering::Acquire) {
            0 => State::Runnable,
            1 => State::Running,
            2 => State::Blocked,
            _ => State::Dead,
        }
    }

    pub(crate) fn set(&self, s: State) {
        self.0.store(s as u8, Ordering::Release);
    }

    /// Change `from` to `to` if the state is still `from`; says whether it was.
    pub(crate) fn change(&self, from: State, to: State) -> bool {
        self.0
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

pub struct Thread {
    pub tid: Tid,
    pub name: String,
    pub(crate) task: Arc<hal::task::Task>,
    pub(crate) state: AtomicState,
    /// Timer ticks during which this thread was on the CPU.
    pub(crate) cpu_ticks: AtomicU64,
    /// Context switches away from it: because it waited (voluntary), because the
    /// scheduler preempted it (involuntary). Counted in `sched::schedule`.
    pub(crate) nvcsw: AtomicU64,
    pub(crate) nivcsw: AtomicU64,
    /// The CPU it last ran on (set each time the scheduler gives it a CPU; the scheduler
    /// also reads it to see whether another CPU has already taken a thread it is
    /// switching away from).
    pub(crate) last_cpu: AtomicU32,
    pub(crate) exited: AtomicBool,
    pub(crate) exit_wq: WaitQueue,
    /// The last wake-up a waiter table (the futex's) gave this thread, by the ticket
    /// of the wait it ended: a woken thread knows it was woken without a lookup.
    pub wake_token: AtomicU64,
    /// How many wait queues hold this thread now (changed under each queue's lock): a
    /// woken waiter whose queues have all let it go leaves them without a search.
    pub(crate) in_queues: AtomicU32,
    /// The CPUs it may run on (bit N: CPU N), set by [`crate::set_affinity`]; a new
    /// thread of a process inherits its creator's.
    pub(crate) affinity: AtomicU64,
}

impl Thread {
    pub fn state(&self) -> State {
        self.state.get()
    }

    /// Wait until this thread has finished.
    pub fn join(&self) {
        self.exit_wq
            .wait_until(|| self.exited.load(Ordering::Acquire));
    }

    /// Attach the object this thread works for (its process); see `hal::task::current_owner`.
    pub fn set_owner<T: core::any::Any + Send + Sync>(&self, owner: Arc<T>) {
        self.task.set_owner(owner);
    }

    /// Give this thread the system-call dispatcher of its program's personality.
    pub fn set_syscall_handler(&self, h: Option<hal::user::SyscallHandler>) {
        self.task.set_syscall_handler(h);
    }

    /// May it run on CPU `cpu`?
    pub(crate) fn may_run_on(&self, cpu: usize) -> bool {
        cpu < 64 && self.affinity.load(Ordering::Acquire) & (1u64 << cpu) != 0
    }

    /// The CPUs it may run on (bit N: CPU N), among those online.
    pub fn affinity(&self) -> u64 {
        self.affinity.load(Ordering::Acquire) & sched::online_mask()
    }

    /// The CPU it last ran on (or runs on now).
    pub fn last_cpu(&self) -> u32 {
        self.last_cpu.load(Ordering::Relaxed)
    }

    pub fn cpu_ticks(&self) -> u64 {
        self.cpu_ticks.load(Ordering::Relaxed)
    }

    /// Context switches away from this thread: (voluntary, involuntary).
    pub fn context_switches(&self) -> (u64, u64) {
        (
            self.nvcsw.load(Ordering::Relaxed),
            self.nivcsw.load(Ordering::Relaxed),
        )
    }

    /// System calls this thread has made.
    pub fn syscalls(&self) -> u64 {
        self.task.syscalls()
    }

    pub(crate) fn new(tid: Tid, name: &str, task: Arc<hal::task::Task>, state: State) -> Arc<Self> {
        Arc::new(Thread {
            tid,
            name: String::from(name),
            task,
            state: AtomicState::new(state),
            cpu_ticks: AtomicU64::new(0),
            nvcsw: AtomicU64::new(0),
            nivcsw: AtomicU64::new(0),
            last_cpu: AtomicU32::new(0),
            wake_token: AtomicU64::new(0),
            in_queues: AtomicU32::new(0),
            exited: AtomicBool::new(false),
            exit_wq: WaitQueue::new(),
            affinity: AtomicU64::new(u64::MAX),
        })
    }
}

/// Why a thread could not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// No memory for the kernel stack.
    OutOfMemory,
}

/// Start a kernel thread running `f`.
pub fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<Arc<Thread>, SpawnError> {
    spawn_then(name, move || {
        f();
        hal::task::AfterStart::Exit
    })
}

/// Start a thread that runs `f` and then does what `f` returns (a user-process thread
/// returns "enter user mode").
pub fn spawn_then(
    name: &str,
    f: impl FnOnce() -> hal::task::AfterStart + Send + 'static,
) -> Result<Arc<Thread>, SpawnError> {
    let tid = sched::next_tid();
    let task = hal::task::new_task(tid, Box::new(f)).ok_or(SpawnError::OutOfMemory)?;
    let t = Thread::new(tid, name, task, State::Runnable);
    SCHED.lock().threads.insert(tid, t.clone());
    sched::enqueue(&t);
    Ok(t)
}

/// Make a thread like [`spawn_then`] but do not start it: it waits until [`start`], so
/// that the caller can finish linking it to its process first (with more than one CPU
/// a queued thread may start at once, on another CPU).
pub fn create_then(
    name: &str,
    f: impl FnOnce() -> hal::task::AfterStart + Send + 'static,
) -> Result<Arc<Thread>, SpawnError> {
    let tid = sched::next_tid();
    let task = hal::task::new_task(tid, Box::new(f)).ok_or(SpawnError::OutOfMemory)?;
    let t = Thread::new(tid, name, task, State::Blocked);
    // A process's new thread (fork, clone) keeps its creator's CPUs, as on Linux.
    let irq = IrqGuard::new();
    if let Some(me) = sched::current_thread(&irq) {
        t.affinity
            .store(me.affinity.load(Ordering::Acquire), Ordering::Release);
    }
    drop(irq);
    SCHED.lock().threads.insert(tid, t.clone());
    Ok(t)
}

/// Let a thread made by [`create_then`] run.
pub fn start(t: &Arc<Thread>) {
    sched::wake(t);
}

/// The running thread.
pub fn current() -> Arc<Thread> {
    current_irqs_off(&IrqGuard::new())
}

/// The running thread, when the caller already keeps interrupts off.
pub(crate) fn current_irqs_off(irqs_off: &IrqGuard) -> Arc<Thread> {
    sched::current_thread(irqs_off).expect("task::current before task::init")
}

/// End the running thread.
pub fn exit() -> ! {
    {
        let _irq = IrqGuard::new();
        let me = current();
        me.state.set(State::Dead);
        SCHED.lock().threads.remove(&me.tid);
        me.exited.store(true, Ordering::Release);
        me.exit_wq.wake_all();
        // `me` is dropped here: nothing on this stack may keep the thread alive once we
        // switch away for the last time.
    }
    let irq = IrqGuard::new();
    sched::schedule(&irq);
    unreachable!("a dead thread was scheduled again");
}

/// The live thread `tid`.
pub fn by_tid(tid: Tid) -> Option<Arc<Thread>> {
    SCHED.lock().threads.get(&tid).cloned()
}

/// A snapshot of one thread, for `threads`/`ps`.
#[derive(Debug, Clone)]
pub struct ThreadInfo {
    pub tid: Tid,
    pub name: String,
    pub state: State,
    pub cpu_ticks: u64,
    pub stack: (u64, u64),
    /// System calls made by the thread.
    pub syscalls: u64,
    /// The CPU it last ran on.
    pub cpu: u32,
    /// The CPUs it may run on (bit N: CPU N).
    pub affinity: u64,
}

/// Every live thread (the idle thread included), ordered by id.
pub fn thread_list() -> Vec<ThreadInfo> {
    let s = SCHED.lock();
    s.threads
        .values()
        .map(|t| ThreadInfo {
            tid: t.tid,
            name: t.name.clone(),
            state: t.state.get(),
            cpu_ticks: t.cpu_ticks(),
            stack: t.task.stack_bounds(),
            syscalls: t.task.syscalls(),
            cpu: t.last_cpu.load(Ordering::Relaxed),
            affinity: t.affinity(),
        })
        .collect()
}
