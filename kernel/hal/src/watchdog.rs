//! The kernel watchdog: a CPU stuck in the kernel with interrupts off is reported,
//! with its CPU number, the thread it runs and a stack trace, by another CPU (chapter
//! 2's "the operating system must keep control": the timer gives it back on every
//! CPU, unless a CPU masks the timer and never unmasks it).
//!
//! Every whole timer tick on a CPU is a heartbeat ([`beat`]: the time of that CPU's
//! last tick). The tick also looks at the other CPUs' heartbeats; one older than
//! [`STUCK_NS`] means that CPU has taken no timer interrupt for that long, so it runs
//! with interrupts off (a spinlock held forever, a loop under an `IrqGuard`). Such a
//! CPU ignores ordinary interrupts but not an NMI: the watcher asks for a report and
//! sends one ([`on_nmi`]), and the stuck CPU prints, from inside the NMI, where it was
//! interrupted (the symbolised backtrace from the NMI's frame), then returns to what it
//! was doing. One report per stall; when the CPU ticks again it says for how long it
//! was stuck. The watchdog never stops the machine: a stall may end by itself.
//!
//! With interrupts on, kernel code is preemptible (the timer's `preempt_point`), so a
//! loop there does not keep the CPU from the scheduler; the stall that matters is the
//! one with interrupts off, and it needs a second CPU to see it (QEMU's TCG has no
//! performance-counter NMI for a CPU to watch itself): with one CPU nothing is reported.
//! `/proc/sys/kernel/watchdog_spin` (root) triggers it on purpose ([`spin`]).

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::percpu::MAX_CPUS;

/// A CPU without a timer tick for this long is reported.
pub const STUCK_NS: u64 = 4_000_000_000;
/// The longest stall [`spin`] makes.
pub const SPIN_MAX_MS: u64 = 30_000;

/// Per CPU: when its last whole tick came (0: it has not ticked yet).
static BEAT: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
/// Per CPU: the heartbeat that has been reported as stuck (one report per stall).
static REPORTED: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
/// Per CPU: a report was asked for; the next NMI is the watchdog's.
static ASKED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
static REPORTS: AtomicU64 = AtomicU64::new(0);

/// How many stalls have been reported since boot.
pub fn reports() -> u64 {
    REPORTS.load(Ordering::Relaxed)
}

/// The timer tick of this CPU (interrupts off): record the heartbeat, and ask any
/// other CPU whose heartbeat is older than [`STUCK_NS`] for a report.
pub fn beat() {
    let cpu = crate::percpu::cpu_index();
    if cpu >= MAX_CPUS {
        return;
    }
    let now = crate::apic::nanos_since_boot().max(1);
    let last = BEAT[cpu].swap(now, Ordering::AcqRel);
    if last != 0 && REPORTED[cpu].load(Ordering::Acquire) == last {
        crate::kprintln!(
            "watchdog: CPU {cpu} takes interrupts again, after {} ms",
            (now - last) / 1_000_000
        );
    }
    if crate::smp::stopping() {
        return; // a panic is stopping the CPUs on purpose
    }
    for other in 0..MAX_CPUS {
        if other == cpu || !crate::percpu::is_online(other) {
            continue;
        }
        let b = BEAT[other].load(Ordering::Acquire);
        if b == 0 || now.saturating_sub(b) < STUCK_NS {
            continue;
        }
        if REPORTED[other].swap(b, Ordering::AcqRel) == b {
            continue; // this stall has its report
        }
        REPORTS.fetch_add(1, Ordering::Relaxed);
        crate::kprintln!(
            "watchdog: CPU {other} has taken no timer interrupt for {} ms (seen from CPU {cpu}); asking it for a stack trace by NMI",
            (now - b) / 1_000_000
        );
        ASKED[other].store(true, Ordering::Release);
        crate::apic::send_nmi(crate::percpu::slot(other).apic_id());
    }
}

/// An NMI on this CPU: if the watchdog asked for it, print where the CPU was and
/// return true (the interrupted code then goes on); false for any other NMI.
pub(crate) fn on_nmi(frame: &crate::trap::TrapFrame) -> bool {
    let cpu = crate::percpu::cpu_index();
    if cpu >= MAX_CPUS || !ASKED[cpu].swap(false, Ordering::AcqRel) {
        return false;
    }
    let since = crate::apic::nanos_since_boot().saturating_sub(BEAT[cpu].load(Ordering::Relaxed));
    let interrupts = if frame.rflags & (1 << 9) != 0 {
        "on"
    } else {
        "off"
    };
    let mode = if frame.from_user() { "user" } else { "kernel" };
    crate::kprintln!(
        "watchdog: CPU {cpu} stuck in the {mode} for {} ms, interrupts {interrupts}, thread {}, at {:#x}:",
        since / 1_000_000,
        crate::task::current_id(),
        frame.rip
    );
    crate::backtrace::print_from(frame.rip, frame.rbp);
    true
}

/// Stall this CPU on purpose: interrupts off and a busy loop for `ms` milliseconds
/// (at most [`SPIN_MAX_MS`]), for testing the watchdog. Returns the CPU it ran on.
#[inline(never)]
pub fn spin(ms: u64) -> usize {
    let _irq = crate::sync::IrqGuard::new();
    let cpu = crate::percpu::cpu_index();
    let end = crate::apic::nanos_since_boot() + ms.min(SPIN_MAX_MS) * 1_000_000;
    while crate::apic::nanos_since_boot() < end {
        core::hint::spin_loop();
    }
    cpu
}
