//! The call ring: the last [`RING_LEN`] system calls, for the report of a kernel that
//! dies (the `callring` boot option).
//!
//! A fuzzer that brings the kernel down needs to know which calls did it. When the
//! option is on, the dispatcher records each call on entry (pid, number, first four
//! arguments) with its result marked as pending, and fills in the result on the way
//! out; [`print_recent_calls`] lists the ring oldest first. A call that panics the
//! kernel is therefore in the list, shown as `...`, with whatever ran before it.
//!
//! The one design decision: every slot is a row of atomics, not a structure behind a
//! lock. The printer runs from the panic handler and the fatal-exception path, which may
//! have interrupted a writer: it must never wait, and a torn row (possible only if two
//! CPUs write the same slot, or a panic lands mid-record) is harmless in a debug list.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// How many calls the ring remembers.
pub const RING_LEN: usize = 32;

/// `result` of a call still running (or that never returned: exit, exec, a panic).
const PENDING: u64 = 0xfeed_0000_0000_0001;

/// One slot: sequence number (1-based; 0 = never used), pid, number, args, result.
struct Slot {
    seq: AtomicU64,
    pid: AtomicU64,
    nr: AtomicU64,
    args: [AtomicU64; 4],
    result: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)] // a template for the array, copied
const EMPTY: Slot = Slot {
    seq: AtomicU64::new(0),
    pid: AtomicU64::new(0),
    nr: AtomicU64::new(0),
    args: [const { AtomicU64::new(0) }; 4],
    result: AtomicU64::new(0),
};

static RING: [Slot; RING_LEN] = [EMPTY; RING_LEN];
static NEXT: AtomicU64 = AtomicU64::new(1);

/// Record a call on entry; returns its sequence number for [`leave`].
pub(crate) fn enter(number: usize, a: [u64; 4]) -> u64 {
    let seq = NEXT.fetch_add(1, Relaxed);
    let s = &RING[(seq % RING_LEN as u64) as usize];
    s.seq.store(0, Relaxed); // invalid while the row is rewritten
    s.pid
        .store(proc::current().map_or(0, |p| u64::from(p.pid)), Relaxed);
    s.nr.store(number as u64, Relaxed);
    for (slot, v) in s.args.iter().zip(a) {
        slot.store(v, Relaxed);
    }
    s.result.store(PENDING, Relaxed);
    s.seq.store(seq, Relaxed);
    seq
}

/// Record the result of call `seq`, unless its slot was reused meanwhile (more than
/// [`RING_LEN`] calls ran while it slept).
pub(crate) fn leave(seq: u64, result: u64) {
    let s = &RING[(seq % RING_LEN as u64) as usize];
    if s.seq.load(Relaxed) == seq {
        s.result.store(result, Relaxed);
    }
}

/// Print the ring, oldest call first (nothing if the ring was never switched on).
pub fn print_recent_calls() {
    let next = NEXT.load(Relaxed);
    if next == 1 {
        return;
    }
    hal::kprintln!("    the last system calls (oldest first; `...` = had not returned):");
    let first = next.saturating_sub(RING_LEN as u64).max(1);
    for seq in first..next {
        let s = &RING[(seq % RING_LEN as u64) as usize];
        if s.seq.load(Relaxed) != seq {
            continue;
        }
        let nr = s.nr.load(Relaxed);
        let name = crate::dinos::TABLE
            .get(nr as usize)
            .and_then(|e| e.as_ref())
            .map_or("?", |e| e.name);
        let a: [u64; 4] = core::array::from_fn(|i| s.args[i].load(Relaxed));
        let r = s.result.load(Relaxed);
        hal::kprint!(
            "    #{seq} [{}] {name}/{nr}({:#x}, {:#x}, {:#x}, {:#x}) = ",
            s.pid.load(Relaxed),
            a[0],
            a[1],
            a[2],
            a[3]
        );
        if r == PENDING {
            hal::kprintln!("...");
        } else {
            match abi::Errno::decode(r as usize) {
                Ok(v) => hal::kprintln!("{v:#x}"),
                Err(e) => hal::kprintln!("-{e:?}"),
            }
        }
    }
}
