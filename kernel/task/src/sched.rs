//! The scheduler: a run queue served round-robin, preempted by the timer.
//!
//! Policy: the thread at the front of the run queue runs next; a thread that was running
//! and is still runnable goes to the back. The timer ([`on_tick`], 100 Hz) asks for a
//! reschedule whenever others are waiting, so each runnable thread gets at most one tick
//! (10 ms) at a time. When nothing is runnable the idle thread halts the CPU until the
//! next interrupt.
//!
//! Every CPU serves the same run queue, under the scheduler's spinlock (interrupts off);
//! the scheduler keeps each CPU's running and idle thread by CPU number. A thread put
//! back on the queue may be taken by another CPU before its registers are saved: hal's
//! `switch_to` waits for that (the task's `on_cpu` flag). Only CPU 0's timer advances
//! time and wakes sleepers; each CPU's timer preempts its own thread. A CPU that makes
//! a thread runnable sends one halted idle CPU the wake-up IPI, so the thread starts at
//! once rather than at that CPU's next tick.
//!
//! Preemption happens only at [`preempt_point`], which interrupt handlers call on their
//! way out. Since spinlocks keep interrupts off, a thread is never preempted while it
//! holds one.

use crate::thread::{State, Thread, Tid};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use hal::percpu::{cpu_index, MAX_CPUS};
use hal::sync::{IrqGuard, SpinLock};

const NO_THREAD: Option<Arc<Thread>> = None;

pub(crate) struct Scheduler {
    pub(crate) run_queue: VecDeque<Arc<Thread>>,
    pub(crate) threads: BTreeMap<Tid, Arc<Thread>>,
    /// The thread each CPU runs, and each CPU's idle thread (by CPU number).
    current: [Option<Arc<Thread>>; MAX_CPUS],
    idle: [Option<Arc<Thread>>; MAX_CPUS],
    /// Threads in timed sleep, by (wake-up tick, tid).
    pub(crate) sleepers: BTreeMap<(u64, Tid), Arc<Thread>>,
}

pub(crate) static SCHED: SpinLock<Scheduler> = SpinLock::new(Scheduler {
    run_queue: VecDeque::new(),
    threads: BTreeMap::new(),
    current: [NO_THREAD; MAX_CPUS],
    idle: [NO_THREAD; MAX_CPUS],
    sleepers: BTreeMap::new(),
});

impl Scheduler {
    /// The thread running on this CPU (the caller holds `SCHED`, so interrupts are off
    /// and the CPU number cannot change under it).
    pub(crate) fn current(&self) -> Option<&Arc<Thread>> {
        self.current[hal::percpu::cpu_index()].as_ref()
    }
}

static NEXT_TID: AtomicU64 = AtomicU64::new(1);
static TICKS: AtomicU64 = AtomicU64::new(0);
/// Per CPU: switch threads at the next preemption point.
static NEED_RESCHED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// Per CPU: in its idle loop, about to halt or halted. A CPU that makes a thread
/// runnable claims one idle CPU (clearing its flag) and sends it the wake-up IPI.
static IDLE: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];

pub(crate) fn next_tid() -> Tid {
    NEXT_TID.fetch_add(1, Ordering::Relaxed)
}

/// Make the code running now (on the boot stack) thread 1, `kmain`, and create the idle
/// thread (tid 0).
pub fn init() {
    let tid = next_tid();
    let boot = hal::task::adopt_boot_task(tid);
    let main = Thread::new(tid, "kmain", boot, State::Running);
    let idle_task = hal::task::new_task(
        0,
        alloc::boxed::Box::new(|| -> hal::task::AfterStart { idle_loop() }),
    )
    .expect("no memory for the idle thread");
    let idle = Thread::new(0, "idle", idle_task, State::Runnable);
    let mut s = SCHED.lock();
    s.threads.insert(0, idle.clone());
    s.threads.insert(tid, main.clone());
    s.current[0] = Some(main);
    s.idle[0] = Some(idle);
    hal::task::set_exit_hook(crate::thread::exit);
    hal::smp::set_ap_main(ap_main);
    hal::trap::set_handler(hal::apic::WAKE_VECTOR, wake_ipi);
}

/// What each other CPU runs once hal has set it up: the code on its boot stack becomes
/// its idle thread (not in the thread table: it is the CPU's, not a job's), its timer
/// starts, and it takes threads from the run queue like the boot CPU.
fn ap_main() -> ! {
    let tid = next_tid();
    let task = hal::task::adopt_boot_task(tid);
    let idle = Thread::new(tid, "idle", task, State::Running);
    {
        let mut s = SCHED.lock();
        let cpu = cpu_index();
        idle.last_cpu.store(cpu as u32, Ordering::Relaxed);
        s.current[cpu] = Some(idle.clone());
        s.idle[cpu] = Some(idle);
    }
    hal::apic::start_timer();
    idle_loop()
}

fn idle_loop() -> ! {
    let cpu = cpu_index(); // an idle thread is its CPU's and never moves
    loop {
        // Idle from before the check: a thread queued after it is sent a wake-up.
        IDLE[cpu].store(true, Ordering::SeqCst);
        let queued = !SCHED.lock().run_queue.is_empty();
        if queued {
            IDLE[cpu].store(false, Ordering::SeqCst);
            yield_now();
        } else {
            // Interrupts on and halt in one step: a wake-up between the check above and
            // the halt is still seen (the interrupt handler reschedules).
            hal::cpu::enable_and_halt();
            IDLE[cpu].store(false, Ordering::SeqCst);
        }
    }
}

/// Make `t` runnable if it is blocked.
pub(crate) fn wake(t: &Arc<Thread>) {
    if t.state.change(State::Blocked, State::Runnable) {
        SCHED.lock().run_queue.push_back(t.clone());
        NEED_RESCHED[cpu_index()].store(true, Ordering::Release);
        if hal::percpu::cpus_online() > 1 {
            kick_an_idle_cpu();
        }
    }
}

/// Send one idle CPU (not this one) the wake-up interrupt, so that it takes the thread
/// just queued now instead of at its next tick (10 ms later).
#[cold]
fn kick_an_idle_cpu() {
    let me = cpu_index();
    for (cpu, idle) in IDLE.iter().enumerate() {
        if cpu != me && idle.swap(false, Ordering::AcqRel) {
            hal::smp::wake_cpu(cpu);
            return;
        }
    }
}

/// The wake-up interrupt's handler: look at the run queue on the way out.
fn wake_ipi(_frame: &mut hal::trap::TrapFrame) {
    hal::apic::eoi();
    NEED_RESCHED[cpu_index()].store(true, Ordering::Release);
    preempt_point();
}

/// Pick the next thread and switch to it. The caller holds interrupts off (`irqs_off`)
/// and has set the current thread's state (still `Running` means "put me back on the
/// queue").
pub(crate) fn schedule(irqs_off: &IrqGuard) {
    let cpu = cpu_index(); // interrupts are off: this thread stays on this CPU
    let next_task = {
        let mut s = SCHED.lock_irqs_off(irqs_off);
        let cur = s.current[cpu].take().expect("schedule before init");
        // A thread that went to sleep here and was woken at once may already have been
        // taken by another CPU (which set it `Running` and waits in `switch_to` until
        // this CPU has saved its registers). Its state then says nothing about this
        // CPU: it is not ours to keep running or to queue again (queueing it would put
        // a thread that is about to run on the run queue too, and a second CPU would
        // later run it again, even after it has exited).
        let taken_elsewhere = cur.last_cpu.load(Ordering::Relaxed) != cpu as u32;
        let cur_running = !taken_elsewhere && cur.state.get() == State::Running;
        let is_idle = s.idle[cpu].as_ref().is_some_and(|i| Arc::ptr_eq(&cur, i));
        // The first queued thread no CPU is still on. One that another CPU is still
        // switching away from (woken or preempted there a moment ago) is left for
        // later: waiting for it in `switch_to` while our own outgoing thread waits for
        // us deadlocked two CPUs that had each picked the other's (docs/smp.md).
        let pick = s
            .run_queue
            .iter()
            .position(|t| Arc::ptr_eq(t, &cur) || !t.task.on_cpu());
        let next = match pick.and_then(|i| s.run_queue.remove(i)) {
            Some(t) => t,
            None if cur_running => cur.clone(),
            None => s.idle[cpu].clone().expect("no idle thread"),
        };
        if cur_running && !Arc::ptr_eq(&cur, &next) && !is_idle {
            cur.state.set(State::Runnable);
            s.run_queue.push_back(cur.clone());
            cur.nivcsw.fetch_add(1, Ordering::Relaxed); // preempted, or yielded (as Linux counts it)
        } else if !cur_running && !taken_elsewhere && !is_idle && cur.state.get() == State::Blocked
        {
            cur.nvcsw.fetch_add(1, Ordering::Relaxed); // it waits for something
        }
        next.state.set(State::Running);
        next.last_cpu.store(cpu as u32, Ordering::Relaxed);
        let task = next.task.clone();
        s.current[cpu] = Some(next);
        task
        // `cur` drops here; if it was dead this may be its last `Thread` reference, but
        // hal still holds its stack until the switch is complete.
    };
    NEED_RESCHED[cpu].store(false, Ordering::Release);
    hal::task::switch_to(next_task, irqs_off);
}

/// Wake thread `tid` if it is blocked, whatever it waits for (used to interrupt a wait
/// when a signal arrives; the woken thread re-checks its condition).
pub fn interrupt(tid: Tid) {
    let t = SCHED.lock().threads.get(&tid).cloned();
    if let Some(t) = t {
        t.task.notify();
        wake(&t);
    }
}

/// Give the CPU to the next runnable thread, if any.
pub fn yield_now() {
    let irq = IrqGuard::new();
    schedule(&irq);
}

/// Timer interrupt: count the tick, charge it to the running thread, wake sleepers whose
/// time has come, and ask for a reschedule if anyone else is waiting.
pub fn on_tick() {
    let cpu = cpu_index();
    let mut s = SCHED.lock();
    if let Some(cur) = s.current() {
        cur.cpu_ticks.fetch_add(1, Ordering::Relaxed);
    }
    if !s.run_queue.is_empty() {
        NEED_RESCHED[cpu].store(true, Ordering::Release);
    }
    if cpu != 0 {
        return; // time and the sleepers follow the boot CPU's timer alone
    }
    let now = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
    while let Some(entry) = s.sleepers.first_entry() {
        if entry.key().0 > now {
            break;
        }
        let t = entry.remove();
        drop(s);
        wake(&t);
        s = SCHED.lock();
    }
    if !s.run_queue.is_empty() {
        NEED_RESCHED[cpu].store(true, Ordering::Release);
    }
}

/// Called by interrupt handlers after acknowledging the interrupt: switch threads if a
/// reschedule is due. Runs on the interrupted thread's stack (see hal's trap module).
pub fn preempt_point() {
    if NEED_RESCHED[cpu_index()].load(Ordering::Acquire) && SCHED.lock().current().is_some() {
        let irq = IrqGuard::new();
        schedule(&irq);
    }
}

/// Timer ticks since boot.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}
