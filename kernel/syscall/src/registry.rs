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
//! out); the module's slot keeps a count that keeps its code loaded meanwhile. The
//! call path reads only the handler, one atomic word per number (no lock, no copy of
//! the row): a module's call should cost what a built-in one does.

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

/// Run a call the table does not have: a registered one, or ENOSYS.
#[cold]
#[inline(never)]
pub(crate) fn call(nr: usize, cx: &mut Ctx) -> SysResult {
    let handler = nr
        .checked_sub(DYNAMIC_FIRST)
        .and_then(|i| HANDLERS.get(i))
        .and_then(AtomicFn::load);
    match handler {
        Some(h) => h(cx),
        None => Err(Errno::ENOSYS),
    }
}
