//! The scheduler: a run queue per CPU served round-robin, preempted by the timer, with
//! idle CPUs stealing work from busy ones (chapter 5's multiprocessor scheduling, and
//! chapter 2's "the kernel decides who runs").
//!
//! Policy: each CPU runs the thread at the front of its own queue; a thread that was
//! running and is still runnable goes to the back of the same queue (it keeps its
//! CPU, and that CPU's caches). The timer ([`on_tick`], 100 Hz) asks for a reschedule
//! whenever others wait in the CPU's queue, so each gets at most one tick (10 ms) at a
//! time. A CPU with nothing queued runs its idle thread, which looks in the other CPUs'
//! queues for a thread it may take (work stealing) before it halts, and again at each
//! of its timer ticks (so a queue that grew behind a busy thread is shared out within
//! 10 ms: the periodic balancing).
//!
//! A thread made runnable goes to an idle CPU it may use if there is one (which is sent
//! the wake-up IPI, so it starts at once rather than at that CPU's next tick), else to
//! the waker's CPU, else to a CPU its affinity allows. A thread's affinity
//! ([`set_affinity`]) is the set of CPUs it may run on: it is queued only on those, and
//! only those steal it.
//!
//! Each queue has its own spinlock (interrupts off), so CPUs schedule without waiting
//! for one another; no path holds two queue locks at once. A thread put back on a queue
//! may still have its registers on its old CPU for a moment: no CPU takes a queued
//! thread whose hal task is still `on_cpu` (it is left for later), so no CPU ever waits
//! for another's switch. Only CPU 0's timer advances time and wakes sleepers.
//!
//! Preemption happens only at [`preempt_point`], which interrupt handlers call on their
//! way out. Since spinlocks keep interrupts off, a thread is never preempted while it
//! holds one.

use crate::thread::{State, Thread, Tid};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use hal::percpu::{cpu_index, MAX_CPUS};
use hal::sync::{IrqGuard, SpinLock};

/// What is shared by all CPUs: every thread by id, and the timed sleepers.
pub(crate) struct Scheduler {
    pub(crate) threads: BTreeMap<Tid, Arc<Thread>>,
    /// Threads in timed sleep, by (wake-up tick, tid).
    pub(crate) sleepers: BTreeMap<(u64, Tid), Arc<Thread>>,
}

pub(crate) static SCHED: SpinLock<Scheduler> = SpinLock::new(Scheduler {
    threads: BTreeMap::new(),
    sleepers: BTreeMap::new(),
});

/// One CPU's share: the runnable threads waiting for it, the thread it runs, and its
/// idle thread.
struct RunQueue {
    queue: VecDeque<Arc<Thread>>,
    current: Option<Arc<Thread>>,
    idle: Option<Arc<Thread>>,
}

static RQ: [SpinLock<RunQueue>; MAX_CPUS] = [const {
    SpinLock::new(RunQueue {
        queue: VecDeque::new(),
        current: None,
        idle: None,
    })
}; MAX_CPUS];
/// Per CPU: how many threads wait in its queue, readable without its lock (idle CPUs
/// looking for work, the timer, the idle loop).
static QUEUED: [AtomicUsize; MAX_CPUS] = [const { AtomicUsize::new(0) }; MAX_CPUS];

static NEXT_TID: AtomicU64 = AtomicU64::new(1);
static TICKS: AtomicU64 = AtomicU64::new(0);
/// Per CPU: switch threads at the next preemption point.
static NEED_RESCHED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// Per CPU: in its idle loop, about to halt or halted. A CPU that queues a thread for
/// an idle CPU clears that CPU's flag and sends it the wake-up IPI.
static IDLE: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];

pub(crate) fn next_tid() -> Tid {
    NEXT_TID.fetch_add(1, Ordering::Relaxed)
}

/// The CPUs online, as a mask (bit N: CPU N). hal brings CPUs up in order and stops at
/// the first that does not answer, so they are numbered 0 to `cpus_online() - 1`.
pub fn online_mask() -> u64 {
    let n = hal::percpu::cpus_online().min(64);
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// The CPU this code runs on now (it may move right after).
pub fn current_cpu() -> usize {
    cpu_index()
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
    {
        let mut s = SCHED.lock();
        s.threads.insert(0, idle.clone());
        s.threads.insert(tid, main.clone());
    }
    let mut rq = RQ[0].lock();
    rq.current = Some(main);
    rq.idle = Some(idle);
    drop(rq);
    hal::task::set_exit_hook(crate::thread::exit);
    hal::smp::set_ap_main(ap_main);
    hal::trap::set_handler(hal::apic::WAKE_VECTOR, wake_ipi);
}

/// What each other CPU runs once hal has set it up: the code on its boot stack becomes
/// its idle thread (not in the thread table: it is the CPU's, not a job's), its timer
/// starts, and it takes threads from its queue, or steals them, like the boot CPU.
fn ap_main() -> ! {
    let tid = next_tid();
    let task = hal::task::adopt_boot_task(tid);
    let idle = Thread::new(tid, "idle", task, State::Running);
    {
        let cpu = cpu_index();
        let mut rq = RQ[cpu].lock();
        idle.last_cpu.store(cpu as u32, Ordering::Relaxed);
        rq.current = Some(idle.clone());
        rq.idle = Some(idle);
    }
    hal::apic::start_timer();
    idle_loop()
}

fn idle_loop() -> ! {
    let cpu = cpu_index(); // an idle thread is its CPU's and never moves
    loop {
        // Idle from before the look: a thread queued after it is sent a wake-up (the
        // queuer increments QUEUED, then clears the flag; both SeqCst, so one of the
        // two sides sees the other).
        IDLE[cpu].store(true, Ordering::SeqCst);
        if QUEUED[cpu].load(Ordering::SeqCst) > 0 || steal(cpu) {
            IDLE[cpu].store(false, Ordering::SeqCst);
            yield_now();
        } else {
            // Interrupts on and halt in one step: a wake-up between the look above and
            // the halt is still seen (the interrupt handler reschedules). The timer's
            // tick ends the halt too, and the loop looks for work to steal again.
            hal::cpu::enable_and_halt();
            IDLE[cpu].store(false, Ordering::SeqCst);
        }
    }
}

/// Move one thread that CPU `cpu` may run, and that no CPU is still on, from another
/// CPU's queue to the front of `cpu`'s. Says whether it found one.
fn steal(cpu: usize) -> bool {
    let online = hal::percpu::cpus_online();
    if online < 2 {
        return false;
    }
    for k in 1..online {
        let victim = (cpu + k) % online;
        if QUEUED[victim].load(Ordering::Relaxed) == 0 {
            continue;
        }
        let found = {
            let mut rq = RQ[victim].lock();
            let i = rq
                .queue
                .iter()
                .position(|t| !t.task.on_cpu() && t.may_run_on(cpu));
            let t = i.and_then(|i| rq.queue.remove(i));
            if t.is_some() {
                QUEUED[victim].fetch_sub(1, Ordering::SeqCst);
            }
            t
        };
        if let Some(t) = found {
            let mut rq = RQ[cpu].lock();
            rq.queue.push_front(t);
            QUEUED[cpu].fetch_add(1, Ordering::SeqCst);
            return true;
        }
    }
    false
}

/// Make `t` runnable if it is blocked.
pub(crate) fn wake(t: &Arc<Thread>) {
    if t.state.change(State::Blocked, State::Runnable) {
        enqueue(t);
    }
}

/// The CPU a thread made runnable is queued on: an idle one it may use (claimed by
/// clearing its idle flag; the last CPU it ran on first), else this one, else the last
/// one it ran on, else the first it may use. Returns it and whether it was claimed idle.
#[cold]
fn choose_cpu(t: &Thread, me: usize) -> (usize, bool) {
    let allowed = t.affinity.load(Ordering::Acquire) & online_mask();
    let last = t.last_cpu.load(Ordering::Relaxed) as usize;
    let may = |c: usize| c < 64 && allowed & (1u64 << c) != 0;
    if may(last) && last != me && IDLE[last].swap(false, Ordering::AcqRel) {
        return (last, true);
    }
    for (cpu, idle) in IDLE.iter().enumerate() {
        if cpu != me && may(cpu) && idle.swap(false, Ordering::AcqRel) {
            return (cpu, true);
        }
    }
    if may(me) {
        (me, false)
    } else if may(last) {
        (last, false)
    } else {
        (allowed.trailing_zeros().min(63) as usize, false)
    }
}

/// Put runnable `t` on a CPU's queue and make sure that CPU looks at it soon.
pub(crate) fn enqueue(t: &Arc<Thread>) {
    let irq = IrqGuard::new(); // this CPU stays this CPU
    let me = cpu_index();
    let (target, claimed) = if hal::percpu::cpus_online() > 1 {
        choose_cpu(t, me)
    } else {
        (0, false)
    };
    {
        let mut rq = RQ[target].lock_irqs_off(&irq);
        rq.queue.push_back(t.clone());
        QUEUED[target].fetch_add(1, Ordering::SeqCst);
    }
    if target == me {
        NEED_RESCHED[me].store(true, Ordering::Release);
    } else if claimed || IDLE[target].swap(false, Ordering::AcqRel) {
        // Idle (or just going idle after its look at QUEUED): wake it now.
        hal::smp::wake_cpu(target);
    }
}

/// The wake-up interrupt's handler: look at the run queue on the way out.
fn wake_ipi(_frame: &mut hal::trap::TrapFrame) {
    hal::apic::eoi();
    NEED_RESCHED[cpu_index()].store(true, Ordering::Release);
    preempt_point();
}

/// The thread running on this CPU.
pub(crate) fn current_thread(irqs_off: &IrqGuard) -> Option<Arc<Thread>> {
    RQ[cpu_index()].lock_irqs_off(irqs_off).current.clone()
}

/// Pick the next thread and switch to it. The caller holds interrupts off (`irqs_off`)
/// and has set the current thread's state (still `Running` means "put me back on the
/// queue").
pub(crate) fn schedule(irqs_off: &IrqGuard) {
    if hal::percpu::cpus_online() == 1 {
        return schedule_one(irqs_off);
    }
    let cpu = cpu_index(); // interrupts are off: this thread stays on this CPU
    let (next_task, elsewhere, misplaced) = {
        let mut rq = RQ[cpu].lock_irqs_off(irqs_off);
        let cur = rq.current.take().expect("schedule before init");
        // A thread that went to sleep here and was woken at once is not taken by
        // another CPU while this one is still on it (`on_cpu`), but the check stays:
        // if it had been, its state would say nothing about this CPU.
        let taken_elsewhere = cur.last_cpu.load(Ordering::Relaxed) != cpu as u32;
        let cur_running = !taken_elsewhere && cur.state.get() == State::Running;
        let is_idle = rq.idle.as_ref().is_some_and(|i| Arc::ptr_eq(&cur, i));
        // Its affinity may have changed to exclude this CPU (`set_affinity`).
        let cur_stays = is_idle || cur.may_run_on(cpu);
        let (picked, misplaced) = if hal::percpu::cpus_online() == 1 {
            // One CPU: no queued thread can be another CPU's, and every thread may run
            // here (a mask must hold an online CPU). The plain round robin.
            (rq.queue.pop_front(), None)
        } else {
            take_next(&mut rq.queue, &cur, cpu)
        };
        if picked.is_some() {
            QUEUED[cpu].fetch_sub(1, Ordering::SeqCst);
        }
        if misplaced.is_some() {
            QUEUED[cpu].fetch_sub(1, Ordering::SeqCst);
        }
        let next = match picked {
            Some(t) => t,
            None if cur_running && cur_stays => cur.clone(),
            None => rq.idle.clone().expect("no idle thread"),
        };
        let mut elsewhere = None;
        if cur_running && !Arc::ptr_eq(&cur, &next) && !is_idle {
            cur.state.set(State::Runnable);
            if cur_stays {
                rq.queue.push_back(cur.clone());
                QUEUED[cpu].fetch_add(1, Ordering::SeqCst);
            } else {
                elsewhere = Some(cur.clone());
            }
            cur.nivcsw.fetch_add(1, Ordering::Relaxed); // preempted, or yielded (as Linux counts it)
        } else if !cur_running && !taken_elsewhere && !is_idle && cur.state.get() == State::Blocked
        {
            cur.nvcsw.fetch_add(1, Ordering::Relaxed); // it waits for something
        }
        next.state.set(State::Running);
        next.last_cpu.store(cpu as u32, Ordering::Relaxed);
        let task = next.task.clone();
        rq.current = Some(next);
        (task, elsewhere, misplaced)
        // `cur` drops here; if it was dead this may be its last `Thread` reference, but
        // hal still holds its stack until the switch is complete.
    };
    NEED_RESCHED[cpu].store(false, Ordering::Release);
    // Queued on another CPU with no queue lock held (no path holds two); the CPU that
    // takes them waits until this one is off their stacks (`on_cpu`).
    if let Some(t) = elsewhere {
        enqueue(&t);
    }
    if let Some(t) = misplaced {
        enqueue(&t);
    }
    hal::task::switch_to(next_task, irqs_off);
}

/// [`schedule`] with one CPU online: no queued thread can be another CPU's or still
/// on another CPU, every thread may run here (a mask must hold an online CPU), and
/// nothing is queued elsewhere, so the affinity and placement checks of the general
/// path are left out. The plain round robin: the queue's front, or the current thread
/// if it is still running and nobody waits, or the idle thread.
fn schedule_one(irqs_off: &IrqGuard) {
    let next_task = {
        let mut rq = RQ[0].lock_irqs_off(irqs_off);
        let cur = rq.current.take().expect("schedule before init");
        let cur_running = cur.state.get() == State::Running;
        let next = match rq.queue.pop_front() {
            Some(t) => {
                QUEUED[0].fetch_sub(1, Ordering::SeqCst);
                t
            }
            None if cur_running => {
                // Nobody else to run: go on, no switch.
                rq.current = Some(cur);
                drop(rq);
                NEED_RESCHED[0].store(false, Ordering::Release);
                return;
            }
            None => rq.idle.clone().expect("no idle thread"),
        };
        let is_idle = rq.idle.as_ref().is_some_and(|i| Arc::ptr_eq(&cur, i));
        if !is_idle {
            if cur_running {
                cur.state.set(State::Runnable);
                cur.nivcsw.fetch_add(1, Ordering::Relaxed); // preempted, or yielded
                rq.queue.push_back(cur);
                QUEUED[0].fetch_add(1, Ordering::SeqCst);
            } else if cur.state.get() == State::Blocked {
                cur.nvcsw.fetch_add(1, Ordering::Relaxed); // it waits for something
            }
        }
        next.state.set(State::Running);
        next.last_cpu.store(0, Ordering::Relaxed);
        let task = next.task.clone();
        rq.current = Some(next);
        task
    };
    NEED_RESCHED[0].store(false, Ordering::Release);
    hal::task::switch_to(next_task, irqs_off);
}

/// The direct hand-off of a one-CPU switch: block the calling thread `me` and run
/// `next` at once, if `next` is blocked, without passing it through the run queue (no
/// enqueue, no pick, no wake-up flag): L4's IPC hand-off, which gives the rest of the
/// caller's turn to the thread it woke. `next` is made running here, so this is also
/// its wake-up. Returns once `me` runs again (woken as from any block); false, with
/// nothing done, when more than one CPU is online (another CPU could be switching
/// `next` or `me` at this moment) or `next` is not blocked (it is already runnable,
/// or is `me`). The caller holds interrupts off and has checked its condition.
pub(crate) fn block_and_handoff(irqs_off: &IrqGuard, me: &Arc<Thread>, next: &Arc<Thread>) -> bool {
    if hal::percpu::cpus_online() != 1 || Arc::ptr_eq(me, next) {
        return false;
    }
    if !next.state.change(State::Blocked, State::Running) {
        return false;
    }
    me.state.set(State::Blocked);
    let task = {
        let mut rq = RQ[0].lock_irqs_off(irqs_off);
        let cur = rq.current.replace(next.clone());
        debug_assert!(cur.is_some_and(|c| Arc::ptr_eq(&c, me)));
        me.nvcsw.fetch_add(1, Ordering::Relaxed);
        next.last_cpu.store(0, Ordering::Relaxed);
        next.task.clone()
    };
    hal::task::switch_to(task, irqs_off);
    true
}

/// Wake `t` and, on one CPU, switch to it at once, the caller staying runnable at the
/// back of the run queue: the wake-up preemption a real scheduler gives a thread that
/// was waiting for what the caller just made (Linux's `check_preempt_wakeup`), here
/// without the run-queue trip (no enqueue of `t`, no pick). It is the plain [`wake`]
/// when more than one CPU is online, when the caller had interrupts off (it may hold a
/// spinlock, so it must not switch) or runs as the idle thread, and does nothing when
/// `t` is not blocked (it is runnable already, or running).
pub(crate) fn wake_and_yield(t: &Arc<Thread>) {
    let irq = IrqGuard::new();
    if hal::percpu::cpus_online() != 1 || !irq.was_enabled() {
        drop(irq);
        return wake(t);
    }
    if !t.state.change(State::Blocked, State::Running) {
        return;
    }
    let task = {
        let mut rq = RQ[0].lock_irqs_off(&irq);
        let cur = rq.current.replace(t.clone()).expect("schedule before init");
        if rq.idle.as_ref().is_some_and(|i| Arc::ptr_eq(&cur, i)) {
            // The idle thread is never queued: give `t` back to the queue instead.
            rq.current = Some(cur);
            t.state.set(State::Runnable);
            rq.queue.push_back(t.clone());
            QUEUED[0].fetch_add(1, Ordering::SeqCst);
            NEED_RESCHED[0].store(true, Ordering::Release);
            return;
        }
        cur.state.set(State::Runnable);
        cur.nivcsw.fetch_add(1, Ordering::Relaxed); // preempted by the thread it woke
        rq.queue.push_back(cur);
        QUEUED[0].fetch_add(1, Ordering::SeqCst);
        t.last_cpu.store(0, Ordering::Relaxed);
        t.task.clone()
    };
    NEED_RESCHED[0].store(false, Ordering::Release);
    hal::task::switch_to(task, &irq);
}

/// With more than one CPU: take from `queue` (this CPU's, locked) the first thread no
/// CPU is still on, and also one (if any) whose affinity no longer allows `cpu`, for the
/// caller to queue elsewhere. A thread that another CPU is still switching away from
/// (woken or preempted there a moment ago) is left for later: waiting for it in
/// `switch_to` while our own outgoing thread waits for us deadlocked two CPUs that had
/// each picked the other's (docs/smp.md). `cur` (this CPU's outgoing thread) is
/// eligible: it is ours.
fn take_next(
    queue: &mut VecDeque<Arc<Thread>>,
    cur: &Arc<Thread>,
    cpu: usize,
) -> (Option<Arc<Thread>>, Option<Arc<Thread>>) {
    let misplaced = queue
        .iter()
        .position(|t| !t.may_run_on(cpu) && !Arc::ptr_eq(t, cur))
        .and_then(|i| queue.remove(i));
    let picked = queue
        .iter()
        .position(|t| Arc::ptr_eq(t, cur) || !t.task.on_cpu())
        .and_then(|i| queue.remove(i));
    (picked, misplaced)
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

/// A CPU mask with no online CPU in it ([`set_affinity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoCpu;

/// Restrict thread `t` to the CPUs in `mask` (bit N: CPU N; CPUs not online are
/// dropped). [`NoCpu`] if no online CPU is left in it. A thread queued on, or running on,
/// a CPU it may no longer use is moved at once: its queue's CPU gives it to another at
/// its next schedule, which the wake-up IPI makes happen now.
pub fn set_affinity(t: &Arc<Thread>, mask: u64) -> Result<(), NoCpu> {
    let mask = mask & online_mask();
    if mask == 0 {
        return Err(NoCpu);
    }
    t.affinity.store(mask, Ordering::SeqCst);
    let me = crate::thread::current();
    if Arc::ptr_eq(t, &me) {
        if !t.may_run_on(cpu_index()) {
            yield_now(); // schedule() queues it on a CPU it may use
        }
        return Ok(());
    }
    let _irq = IrqGuard::new();
    let here = cpu_index();
    for cpu in 0..hal::percpu::cpus_online() {
        if t.may_run_on(cpu) {
            continue;
        }
        let queued_here = QUEUED[cpu].load(Ordering::SeqCst) > 0
            && RQ[cpu].lock().queue.iter().any(|x| Arc::ptr_eq(x, t));
        let running_here =
            t.last_cpu.load(Ordering::Relaxed) as usize == cpu && t.state.get() == State::Running;
        if queued_here || running_here {
            if cpu == here {
                NEED_RESCHED[cpu].store(true, Ordering::Release);
            } else {
                hal::smp::wake_cpu(cpu);
            }
        }
    }
    Ok(())
}

/// Timer interrupt: count the tick, charge it to the running thread, wake sleepers whose
/// time has come, and ask for a reschedule if anyone else is waiting.
pub fn on_tick() {
    let cpu = cpu_index();
    if let Some(cur) = &RQ[cpu].lock().current {
        cur.cpu_ticks.fetch_add(1, Ordering::Relaxed);
    }
    if QUEUED[cpu].load(Ordering::SeqCst) > 0 {
        NEED_RESCHED[cpu].store(true, Ordering::Release);
    }
    if cpu != 0 {
        return; // time and the sleepers follow the boot CPU's timer alone
    }
    let now = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
    let mut s = SCHED.lock();
    while let Some(entry) = s.sleepers.first_entry() {
        if entry.key().0 > now {
            break;
        }
        let t = entry.remove();
        drop(s);
        wake(&t);
        s = SCHED.lock();
    }
}

/// Called by interrupt handlers after acknowledging the interrupt: switch threads if a
/// reschedule is due. Runs on the interrupted thread's stack (see hal's trap module).
pub fn preempt_point() {
    let cpu = cpu_index();
    if NEED_RESCHED[cpu].load(Ordering::Acquire) && RQ[cpu].lock().current.is_some() {
        let irq = IrqGuard::new();
        schedule(&irq);
    }
}

/// For SysRq (interrupt context): each online CPU's current thread, its queue, and its
/// idle and reschedule flags. A queue whose lock is held is said to be.
pub(crate) fn show_cpus() {
    for cpu in 0..hal::percpu::cpus_online() {
        let flags = (
            QUEUED[cpu].load(Ordering::SeqCst),
            IDLE[cpu].load(Ordering::SeqCst),
            NEED_RESCHED[cpu].load(Ordering::SeqCst),
        );
        match (0..1_000_000).find_map(|_| RQ[cpu].try_lock()) {
            Some(rq) => {
                let cur = rq.current.as_ref().map(|t| (t.tid, t.name.clone()));
                let queued: alloc::vec::Vec<Tid> = rq.queue.iter().map(|t| t.tid).collect();
                drop(rq);
                hal::kprintln!(
                    "  cpu {cpu}: runs {cur:?}, queue {queued:?} (count {}), idle {}, resched {}",
                    flags.0,
                    flags.1,
                    flags.2
                );
            }
            None => hal::kprintln!(
                "  cpu {cpu}: run-queue lock held; count {}, idle {}, resched {}",
                flags.0,
                flags.1,
                flags.2
            ),
        }
    }
}

/// Timer ticks since boot.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}
