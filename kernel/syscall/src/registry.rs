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
//! Removal while a call is running is safe for the registry (the row was copied out);
//! the module issue adds the count that keeps a module's code loaded meanwhile.

use crate::table::{Ctx, Entry, SysResult};
use abi::nr::{DYNAMIC_COUNT, DYNAMIC_FIRST};
use abi::Errno;
use hal::sync::SpinLock;

static CALLS: SpinLock<[Option<Entry>; DYNAMIC_COUNT]> = SpinLock::new([None; DYNAMIC_COUNT]);

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
    log::info!("system call {nr} ({}) registered", entry.name);
    Ok(())
}

/// Take system call `nr` away again (ENOENT if nothing is registered there); later
/// calls of it are ENOSYS.
pub fn unregister_call(nr: usize) -> Result<Entry, Errno> {
    let i = slot(nr)?;
    CALLS.lock()[i].take().ok_or(Errno::ENOENT)
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
    match lookup(nr) {
        Some(e) => (e.handler)(cx),
        None => Err(Errno::ENOSYS),
    }
}
