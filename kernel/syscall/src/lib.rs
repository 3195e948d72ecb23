//! The system-call interface (chapter 2 section 3): the tables every user request
//! passes through, and the operations behind them.
//!
//! Three layers, each its own module:
//!
//! - [`dinos`]: the native personality, a declarative table ([`table`]): each row says
//!   number, name, the decoder of each argument ([`arg`]: descriptor, path, user
//!   buffer, flags of a named set, signal, pid, pointer to a named structure) and the
//!   operation that does the work. Handlers never read a raw register: they receive
//!   typed values ([`user::UserPtr`], [`user::UserSlice`], a checked path).
//! - [`ops`]: the operations, personality-neutral, one file per family of calls (the
//!   chapter's six categories). A second ABI (the Linux personality) is a second table
//!   of rows over the same operations.
//! - [`registry`]: calls added while the kernel runs (a module's), in a number range
//!   of their own, made of the same rows.
//! - [`trace`] and [`ring`]: watching. With `trace` on the kernel command line every
//!   call is logged, decoded from the same rows (paths quoted, flags by name, errno by
//!   name); a process traced by the `trace` program (`ops::watch`) sends the same
//!   lines to its tracer; with `callring` the last [`RING_LEN`] calls are kept for a
//!   fatal report. The common path costs two relaxed loads (the boot options' flag
//!   word and the count of traced processes) and a not-taken branch; while some
//!   process is traced, the others' calls also read their own process's flag.
//!
//! Each process carries the personality it was started with (chosen at exec from the
//! executable, `proc::personality`); its thread carries the matching dispatcher, so
//! picking the table costs nothing on the call path.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod arg;
pub mod dinos;
pub mod ops;
pub mod registry;
mod ring;
pub mod table;
pub mod trace;
pub mod user;

pub use ring::{print_recent_calls, RING_LEN};

use core::sync::atomic::{AtomicU8, Ordering};
use hal::trap::TrapFrame;
use table::Ctx;

/// What the slow path watches: [`WATCH_TRACE`] and/or [`WATCH_RING`]; 0 (the common
/// case) costs the dispatcher one relaxed load and a not-taken branch.
static WATCH: AtomicU8 = AtomicU8::new(0);
const WATCH_TRACE: u8 = 1;
const WATCH_RING: u8 = 2;

/// Log every system call (the `trace` boot option) and/or keep the last calls in the
/// ring a fatal report prints (the `callring` boot option).
pub fn set_watch(trace: bool, ring: bool) {
    let w = if trace { WATCH_TRACE } else { 0 } | if ring { WATCH_RING } else { 0 };
    WATCH.store(w, Ordering::Relaxed);
}

/// A personality's calls as the dispatcher sees them: its table, what a number
/// without a row gets, and rows added at run time.
pub struct Abi {
    /// Shown before each traced call's name (`""` for the native ABI, `"linux:"`).
    pub tag: &'static str,
    pub table: &'static [Option<table::Entry>],
    /// A number with no row in `table` (nor in `extra`).
    pub unknown: fn(usize, &mut Ctx) -> table::SysResult,
    /// Rows registered while the kernel runs (the native registry), if the ABI has any.
    pub extra: fn(usize) -> Option<table::Entry>,
}

/// The native ABI: its table, then the run-time registry.
static DINOS: Abi = Abi {
    tag: "",
    table: &dinos::TABLE,
    unknown: registry::call,
    extra: registry::lookup,
};

/// The dinos personality's entry point (hal calls it for threads of dinos programs).
pub fn dispatch_dinos(frame: &mut TrapFrame) {
    dispatch(&DINOS, frame)
}

/// Look the call up in `abi`'s table, run it, and put the result (or `-errno`) in
/// `rax`. Every personality's entry point is this with its own [`Abi`].
#[inline(always)]
pub fn dispatch(abi: &'static Abi, frame: &mut TrapFrame) {
    let watch = WATCH.load(Ordering::Relaxed);
    if watch != 0 || (proc::watch::TRACED.load(Ordering::Relaxed) != 0 && caller_traced()) {
        return dispatch_watched(abi, frame, watch);
    }
    let number = frame.rax as usize;
    let result = match abi.table.get(number).and_then(|e| e.as_ref()) {
        Some(e) => (e.handler)(&mut Ctx { frame }),
        None => (abi.unknown)(number, &mut Ctx { frame }),
    };
    frame.rax = match result {
        Ok(v) => v as u64,
        Err(e) => e.as_return() as u64,
    };
}

/// Is the calling process traced? (Asked only while some process is.)
#[inline(always)]
fn caller_traced() -> bool {
    proc::process::with_current(|p| p.watch.is_traced()).unwrap_or(false)
}

/// [`dispatch`] with the ring and/or the trace line: the console's (the `trace` boot
/// option) and/or the calling process's tracer's (`trace_attach`).
#[cold]
#[inline(never)]
fn dispatch_watched(abi: &'static Abi, frame: &mut TrapFrame, watch: u8) {
    let number = frame.rax as usize;
    // The arguments as they came in (the call may change the frame).
    let raw = *arg::Regs::of(frame).raw();
    let slot = if watch & WATCH_RING != 0 {
        ring::enter(number, [raw[0], raw[1], raw[2], raw[3]])
    } else {
        0
    };
    let registered = (abi.extra)(number);
    let entry = abi
        .table
        .get(number)
        .and_then(|e| e.as_ref())
        .or(registered.as_ref());
    let console = watch & WATCH_TRACE != 0;
    let (pid, mut sink) =
        proc::process::with_current(|p| (p.pid, p.watch.trace())).unwrap_or((0, None));
    let tracing = console || sink.is_some();
    let tag = abi.tag;
    let pending = match entry {
        Some(e) if tracing => {
            let p = trace::start(e, &raw);
            if e.ret == table::Ret::Never {
                let line = alloc::format!("{tag}{}", trace::no_return(p, e, &raw));
                // Taken off this stack: the call does not return to drop it, and the
                // last reference to the pipe is what tells the tracer the end.
                if let Some(s) = sink.take() {
                    trace::record(&s, pid, 0, &line);
                }
                if console {
                    log::info!("[{pid}] {line}");
                }
                None
            } else {
                Some(p)
            }
        }
        _ => None,
    };
    let t0 = hal::cpu::rdtsc();
    let result = match entry {
        Some(e) => (e.handler)(&mut Ctx { frame }),
        None => (abi.unknown)(number, &mut Ctx { frame }),
    };
    let cycles = hal::cpu::rdtsc().wrapping_sub(t0);
    let ret = match result {
        Ok(v) => v as u64,
        Err(e) => e.as_return() as u64,
    };
    if watch & WATCH_RING != 0 {
        ring::leave(slot, ret);
    }
    if tracing {
        let line = match (entry, pending) {
            (Some(e), Some(p)) => {
                Some(alloc::format!("{tag}{}", trace::finish(p, e, &raw, result)))
            }
            (None, _) => Some(alloc::format!(
                "{tag}syscall_{number}(...) = -1 ENOSYS (function not implemented)"
            )),
            _ => None,
        };
        if let Some(line) = line {
            if console {
                log::info!("[{pid}] {line}");
            }
            // The sink as it is now: exec may have dropped it (a set-id program).
            let sink =
                sink.and_then(|_| proc::process::with_current(|p| p.watch.trace()).flatten());
            if let Some(s) = sink {
                let hz = hal::apic::tsc_hz().max(1) as u128;
                let ns = (cycles as u128 * 1_000_000_000 / hz) as u64;
                trace::record(&s, pid, ns, &line);
            }
        }
    }
    frame.rax = ret;
}

/// Install the personalities: each one's dispatcher is registered with `proc`, which
/// gives it to the threads of programs of that personality.
pub fn init() {
    proc::personality::install(proc::personality::Personality::Dinos, dispatch_dinos);
}
