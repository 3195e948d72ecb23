//! The port name service: `port_register(fd, name)` and `port_lookup(name)`.
//!
//! A name maps to a port's receiving end; a lookup makes a new sending end of that port.
//! One table for the whole system (names are not paths: there is no directory and no
//! permission on them yet), holding weak references, so a name never keeps a port
//! alive: the last close of the receiving end removes the port's name.

use crate::port::{Port, SendEnd};
use abi::flags::PORT_NAME_MAX;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use hal::sync::SpinLock;

static NAMES: SpinLock<BTreeMap<String, Weak<Port>>> = SpinLock::new(BTreeMap::new());

/// Register `port` under `name`: EEXIST when the name is taken, EINVAL for an empty or
/// too long name or a port that already has one, EPIPE when its receivers are gone.
pub fn register(port: &Arc<Port>, name: &str) -> Result<(), Errno> {
    if name.is_empty() || name.len() > PORT_NAME_MAX {
        return Err(Errno::EINVAL);
    }
    let mut names = NAMES.lock();
    if names.contains_key(name) {
        return Err(Errno::EEXIST);
    }
    if names
        .values()
        .any(|w| core::ptr::eq(w.as_ptr(), Arc::as_ptr(port)))
    {
        return Err(Errno::EINVAL);
    }
    if !port.set_named(true) {
        return Err(Errno::EPIPE);
    }
    names.insert(String::from(name), Arc::downgrade(port));
    Ok(())
}

/// A new sending end of the port registered as `name` (ENOENT when there is none).
pub fn lookup(name: &str) -> Result<SendEnd, Errno> {
    let port = NAMES.lock().get(name).and_then(Weak::upgrade);
    port.and_then(|p| p.new_sender()).ok_or(Errno::ENOENT)
}

/// Remove `port`'s name (its last receiving end closed).
pub(crate) fn forget(port: &Arc<Port>) {
    NAMES
        .lock()
        .retain(|_, w| !core::ptr::eq(w.as_ptr(), Arc::as_ptr(port)));
}

/// Names registered now (for the tests that check none is left behind).
pub fn count() -> usize {
    NAMES.lock().len()
}
