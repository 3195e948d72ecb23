//! System calls added while the kernel runs (chapter 2 section 7, "modules": a module
//! extends the interface without the kernel being rebuilt).
//!
//! The built-in calls are the personality's table, fixed at build time and indexed
//! without a lock. A call registered here gets a number in the range the ABI keeps
//! for them (`abi::nr::DYNAMIC_FIRST`, `DYNAMIC_COUNT` of them), is written as the
//! same kind of row ([`entry!`](crate::entry): name, argument decoders, handler), and
//! so is decoded, traced and checked exactly like a built-in one. Only a number
//! the table does not know reaches this registry, so it costs the built-in calls
//! nothing.
//!
//! The registry is of the native (dinos) personality: its numbers are dinos numbers.
//! Removal while a call is running is safe for the registry (the handler was read
//! out). A module's call is not a Rust handler at all: the number's entry slot in
//! `hal::module` holds the module's own function (checked to be module text when it
//! was bound), and [`call`] jumps to it with the argument registers, counted by one
//! per-CPU `inc` that lets removal wait for calls in flight. So the call path is a
//! table miss, one load and the module's function: a module's call costs what a
//! built-in one does (docs/benchmarks.md, "Module calls").

use crate::table::{Ctx, Entry, Handler, SysResult};
use abi::nr::{DYNAMIC_COUNT, DYNAMIC_FIRST};
use abi::Errno;
use hal::sync::{AtomicFn, SpinLock};

static CALLS: SpinLock<[Option<Entry>; DYNAMIC_COUNT]> = SpinLock::new([None; DYNAMIC_COUNT]);

/// Each row's handler again, for the call path: read with one atomic load, no lock
/// (written under `CALLS`'s lock, beside the row).
static HANDLERS: [AtomicFn<Handler>; DYNAMIC_COUNT] = [const { AtomicFn::none() }; DYNAMIC_COUNT];

fn slot(nr: usize) -> Result<usize, Errno> {
    nr.checked_sub(DYNAMIC_FIRST)
        .filter(|&i| i < DYNAMIC_COUNT)
        .ok_or(Errno::EINVAL)
}

/// Make `entry` system call `nr` (EINVAL outside the dynamic range, EEXIST if taken).
pub fn register_call(nr: usize, entry: Entry) -> Result<(), Errno> {
    let i = slot(nr)?;
    let mut calls = CALLS.lock();
    if calls[i].is_some() {
        return Err(Errno::EEXIST);
    }
    calls[i] = Some(entry);
    HANDLERS[i].store(Some(entry.handler));
    log::info!("system call {nr} ({}) registered", entry.name);
    Ok(())
}

/// Take system call `nr` away again (ENOENT if nothing is registered there); later
/// calls of it are ENOSYS.
pub fn unregister_call(nr: usize) -> Result<Entry, Errno> {
    let i = slot(nr)?;
    let mut calls = CALLS.lock();
    HANDLERS[i].store(None);
    calls[i].take().ok_or(Errno::ENOENT)
}

/// The row registered as `nr`, if any (copied: the call runs without the lock).
pub fn lookup(nr: usize) -> Option<Entry> {
    let i = slot(nr).ok()?;
    CALLS.lock()[i]
}

const _: () = assert!(hal::module::ENTRY_SLOTS == DYNAMIC_COUNT);

/// Run a call the table does not have: a module's function bound to the number's
/// entry slot (`hal::module::bind_entry`), a registered handler, or ENOSYS.
pub(crate) fn call(nr: usize, cx: &mut Ctx) -> SysResult {
    // One compare: a number below the range wraps to a huge index.
    let i = nr.wrapping_sub(DYNAMIC_FIRST);
    if i >= DYNAMIC_COUNT {
        return Err(Errno::ENOSYS);
    }
    if let Some(r) = call_module(i, cx) {
        return r;
    }
    match HANDLERS[i].load() {
        Some(h) => h(cx),
        None => Err(Errno::ENOSYS),
    }
}

/// The module function bound to dynamic slot `i`, called with the argument
/// registers; `None` if none is bound.
#[inline(always)]
fn call_module(i: usize, cx: &mut Ctx) -> Option<SysResult> {
    let f = &cx.frame;
    let v = hal::module::call_entry(i, [f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9])?;
    Some(match v as i64 {
        r if r < 0 => Err(Errno::from_code(-r as i32).unwrap_or(Errno::EINVAL)),
        r => Ok(r as usize),
    })
}

/// The handler of a row whose number is bound to a module's function (the traced
/// path calls a row's handler): that function, or ENOSYS once it is unbound.
pub fn module_row(cx: &mut Ctx) -> SysResult {
    let nr = cx.frame.rax as usize;
    let i = nr.checked_sub(DYNAMIC_FIRST).filter(|&i| i < DYNAMIC_COUNT);
    i.and_then(|i| call_module(i, cx))
        .unwrap_or(Err(Errno::ENOSYS))
}
