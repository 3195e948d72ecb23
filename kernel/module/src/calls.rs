//! System calls provided by modules: the dynamic numbers of `syscall::registry` bound
//! to module functions (chapter 2 section 7: a module extends the call interface).
//!
//! A module's call costs what a built-in one does because nothing is done per call
//! that can be done once: [`bind`] checks that the function is the module's text and
//! puts it in the number's entry slot (`hal::module::bind_entry`), and the dispatcher,
//! missing the number in its table, jumps straight to it with the argument registers
//! (`syscall::registry::call`). What keeps the module loaded while a call runs is a
//! per-CPU count of calls in flight (one `inc`/`dec gs:` each, no locked instruction);
//! [`unbind`] empties the slot, makes every CPU pass a serialising point, and waits
//! for that count to reach zero before the module's pages may go.

use abi::nr::{DYNAMIC_COUNT, DYNAMIC_FIRST};
use abi::Errno;
use alloc::collections::BTreeSet;
use alloc::string::String;
use hal::sync::SpinLock;
use syscall::table::{Entry, Ret};

/// Call names live as long as the kernel (a row's name is `&'static`): each distinct
/// name is kept once, however often a module is loaded again.
static NAMES: SpinLock<BTreeSet<&'static str>> = SpinLock::new(BTreeSet::new());

fn intern(name: &str) -> &'static str {
    let mut names = NAMES.lock();
    if let Some(n) = names.get(name) {
        return n;
    }
    let n: &'static str = String::from(name).leak();
    names.insert(n);
    n
}

fn slot(nr: usize) -> Result<usize, Errno> {
    nr.checked_sub(DYNAMIC_FIRST)
        .filter(|&i| i < DYNAMIC_COUNT)
        .ok_or(Errno::EINVAL)
}

/// Bind number `nr` to module function `handler` (`extern "C" fn(u64 x 6) -> i64`,
/// already checked to be the module's text by the loader).
pub fn bind(nr: usize, name: &str, handler: u64) -> Result<(), Errno> {
    let i = slot(nr)?;
    if name.is_empty() || name.len() > 32 {
        return Err(Errno::EINVAL);
    }
    let entry = Entry {
        name: intern(name),
        args: &[],
        ret: Ret::Int,
        handler: syscall::registry::module_row,
    };
    // Load and remove are serialised (the loader's lock), so a free number stays free
    // between this check and the registration.
    if syscall::registry::lookup(nr).is_some() {
        return Err(Errno::EEXIST);
    }
    if !hal::module::bind_entry(i, handler) {
        return Err(Errno::EFAULT);
    }
    syscall::registry::register_call(nr, entry).inspect_err(|_| {
        hal::module::unbind_entry(i);
    })
}

/// Take number `nr` away and wait until no call into a module is running.
pub fn unbind(nr: usize) -> Result<(), Errno> {
    let i = slot(nr)?;
    let r = syscall::registry::unregister_call(nr).map(|_| ());
    hal::module::unbind_entry(i);
    while hal::module::calls_in_flight() != 0 {
        task::yield_now();
    }
    r
}
