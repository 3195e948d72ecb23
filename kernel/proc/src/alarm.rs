//! Alarms: a signal after a delay, the real-time interval timer (`ITIMER_REAL`) that
//! `alarm` and `setitimer` set (chapter 2, 3-2 "process control": get and set the
//! time, wait for a timed event).
//!
//! Each process has at most one alarm: a deadline in timer ticks and an interval (0:
//! once). They live in one table ordered by pid, with the earliest deadline kept in an
//! atomic, so the timer interrupt pays one relaxed load when no alarm is due. A due
//! alarm posts SIGALRM to its process and is re-armed by its interval or removed. An
//! alarm survives exec (POSIX) and ends with its process; a forked child has none.

use crate::process::Pid;
use alloc::collections::BTreeMap;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::SpinLock;

#[derive(Clone, Copy)]
struct Alarm {
    deadline: u64,
    interval: u64,
}

static ALARMS: SpinLock<BTreeMap<Pid, Alarm>> = SpinLock::new(BTreeMap::new());
/// The earliest deadline in [`ALARMS`] (`u64::MAX`: none).
static NEXT: AtomicU64 = AtomicU64::new(u64::MAX);

fn tick_ns() -> u64 {
    1_000_000_000 / hal::apic::TIMER_HZ
}

fn recompute(t: &BTreeMap<Pid, Alarm>) {
    let next = t.values().map(|a| a.deadline).min().unwrap_or(u64::MAX);
    NEXT.store(next, Ordering::Relaxed);
}

/// What is left of `pid`'s alarm and its interval, in nanoseconds ((0, 0): none).
pub fn get(pid: Pid) -> (u64, u64) {
    let now = task::ticks();
    ALARMS.lock().get(&pid).map_or((0, 0), |a| {
        (
            a.deadline.saturating_sub(now).max(1) * tick_ns(),
            a.interval * tick_ns(),
        )
    })
}

/// Set `pid`'s alarm to fire in `value_ns` (0: cancel it), then every `interval_ns`
/// (0: once); returns the old one as [`get`] does. A delay is rounded up to whole
/// ticks, plus the tick under way, so it is never early.
pub fn set(pid: Pid, value_ns: u64, interval_ns: u64) -> (u64, u64) {
    let old = get(pid);
    let mut t = ALARMS.lock();
    if value_ns == 0 {
        t.remove(&pid);
    } else {
        let ticks = value_ns.div_ceil(tick_ns()) + 1;
        t.insert(
            pid,
            Alarm {
                deadline: task::ticks().saturating_add(ticks),
                interval: interval_ns.div_ceil(tick_ns()),
            },
        );
    }
    recompute(&t);
    old
}

/// Forget `pid`'s alarm (its process ended).
pub fn cancel(pid: Pid) {
    let mut t = ALARMS.lock();
    if t.remove(&pid).is_some() {
        recompute(&t);
    }
}

/// The timer interrupt's part: post SIGALRM for every alarm that is due.
pub fn on_tick() {
    let now = task::ticks();
    if now < NEXT.load(Ordering::Relaxed) {
        return;
    }
    let mut due = alloc::vec::Vec::new();
    {
        let mut t = ALARMS.lock();
        t.retain(|&pid, a| {
            if a.deadline > now {
                return true;
            }
            due.push(pid);
            if a.interval == 0 {
                return false;
            }
            a.deadline = now + a.interval;
            true
        });
        recompute(&t);
    }
    for pid in due {
        if let Some(p) = crate::process::get(pid) {
            crate::signal::post(&p, abi::signal::SIGALRM);
        }
    }
}
