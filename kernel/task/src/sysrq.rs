//! The console's SysRq commands: what every CPU and every thread is doing, printed from
//! the serial interrupt when nothing else can run (a break on the console line, then a
//! letter: `Ctrl-A b` then `t` under QEMU; Linux's "magic SysRq").
//!
//! This is how a machine that stopped answering tells you why (chapter 2's debugging
//! services): a lost wake-up leaves threads Blocked with nobody to wake them, a
//! deadlock leaves them Blocked on each other's locks, and the backtrace of each shows
//! where. It runs in interrupt context, possibly interrupting the very code that holds
//! the scheduler's locks, so it only *tries* each lock and says so when one is taken.
//!
//! - `t`: per CPU, the thread it runs and how many wait in its queue; then every
//!   thread, its state, and for one that is not on a CPU, the kernel backtrace of
//!   where it sleeps (`hal::backtrace::print_sleeping`).
//! - `w`: the same, blocked threads only.
//! - anything else: the list of commands.

use crate::sched::{self, SCHED};
use crate::thread::State;
use core::sync::atomic::Ordering;

/// Run SysRq command `cmd` (interrupt context; may print a lot).
pub fn command(cmd: u8) {
    match cmd {
        b't' => show(false),
        b'w' => show(true),
        _ => hal::kprintln!(
            "sysrq: t = every CPU and thread, with where each sleeps; w = blocked threads only"
        ),
    }
}

fn show(blocked_only: bool) {
    hal::kprintln!("sysrq: CPUs");
    sched::show_cpus();
    // Tried a few times: another CPU may hold it for a moment.
    let Some(s) = (0..1_000_000).find_map(|_| SCHED.try_lock()) else {
        hal::kprintln!("sysrq: the thread table's lock is held; no thread list");
        return;
    };
    let threads: alloc::vec::Vec<_> = s.threads.values().cloned().collect();
    let sleepers = s.sleepers.len();
    drop(s);
    hal::kprintln!(
        "sysrq: {} threads, {} in timed sleep{}",
        threads.len(),
        sleepers,
        if blocked_only { "; blocked ones:" } else { ":" }
    );
    for t in threads {
        let state = t.state.get();
        if blocked_only && state != State::Blocked {
            continue;
        }
        hal::kprintln!(
            "  tid {} {:?} {} cpu {} syscalls {} in {} wait queues",
            t.tid,
            t.name,
            match state {
                State::Running => "running",
                State::Runnable => "runnable",
                State::Blocked => "blocked",
                State::Dead => "exited",
            },
            t.last_cpu.load(Ordering::Relaxed),
            t.task.syscalls(),
            t.in_queues.load(Ordering::Relaxed),
        );
        if !hal::backtrace::print_sleeping(&t.task) {
            hal::kprintln!("    (on a CPU now)");
        }
    }
}
