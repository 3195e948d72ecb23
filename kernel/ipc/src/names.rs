//! The port name service: `port_register(fd, name)`, `port_register_mode(fd, name,
//! mode, flags)` and `port_lookup(name)`, with the protection a name carries
//! (chapter 2, 3-2 "communication" and "protection").
//!
//! A name maps to a port's receiving end; a lookup makes a new sending end of that port.
//! One table for the whole system (names are not paths: there is no directory), holding
//! weak references, so a name never keeps a port alive: the last close of the
//! receiving end removes the port's name.
//!
//! A name also records who registered it (the effective uid and gid) and a mode, as a
//! Unix socket's file does, and the one permission rule of files (`cred::permits`)
//! decides: a lookup needs `w` in the class of the mode that applies to the caller
//! (owner, group, other), as connecting to a socket does; EACCES otherwise. A taken
//! name is EEXIST, unless the registration asks to replace it (`PORT_REPLACE`), which
//! only the name's owner or a process with `Capability::Fowner` may do (EPERM): a
//! restarted server takes its name back, another user cannot steal it.

use crate::port::{Port, SendEnd};
use abi::flags::PORT_NAME_MAX;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use cred::{Access, Capability, Credentials};
use hal::sync::SpinLock;

/// One registered name.
struct Entry {
    port: Weak<Port>,
    /// Who registered it (effective ids) and its permission bits.
    uid: u32,
    gid: u32,
    mode: u32,
}

static NAMES: SpinLock<BTreeMap<String, Entry>> = SpinLock::new(BTreeMap::new());

/// How a name is registered: its permission bits, and whether it may replace a name
/// that is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registration {
    pub mode: u32,
    pub replace: bool,
}

impl Registration {
    /// `port_register`'s: the mode a new socket file would get (0666 less the umask),
    /// never replacing.
    pub fn default_for(cred: &Credentials) -> Registration {
        Registration {
            mode: 0o666 & !cred.umask,
            replace: false,
        }
    }
}

/// Register `port` under `name` for `cred`: EINVAL for an empty or too long name, a
/// mode with bits beyond 0777, or a port that already has a name; EEXIST when the
/// name is taken (and `how.replace` is not asked); EPERM when replacing a name the
/// caller does not own (without `Fowner`); EPIPE when the port's receivers are gone.
pub fn register(
    port: &Arc<Port>,
    name: &str,
    cred: &Credentials,
    how: Registration,
) -> Result<(), Errno> {
    if name.is_empty() || name.len() > PORT_NAME_MAX || how.mode & !0o777 != 0 {
        return Err(Errno::EINVAL);
    }
    let mut names = NAMES.lock();
    if names
        .values()
        .any(|e| core::ptr::eq(e.port.as_ptr(), Arc::as_ptr(port)))
    {
        return Err(Errno::EINVAL);
    }
    let old = names
        .get(name)
        .and_then(|e| Some((e.port.upgrade()?, e.uid)));
    if let Some((_, owner)) = &old {
        if !how.replace {
            return Err(Errno::EEXIST);
        }
        if !cred.owns(*owner) && !cred::capable(cred, Capability::Fowner) {
            return Err(Errno::EPERM);
        }
    }
    if !port.set_named(true) {
        return Err(Errno::EPIPE);
    }
    let entry = Entry {
        port: Arc::downgrade(port),
        uid: cred.euid,
        gid: cred.egid,
        mode: how.mode,
    };
    names.insert(String::from(name), entry);
    drop(names);
    if let Some((old, _)) = old {
        // Replaced: the old port keeps its queue and senders but can no longer be
        // found, so its receivers see EPIPE once those senders are gone.
        old.set_named(false);
    }
    Ok(())
}

/// A new sending end of the port registered as `name`, for `cred`: ENOENT when there
/// is none, EACCES when the name's mode does not let `cred` write to it.
pub fn lookup(name: &str, cred: &Credentials) -> Result<SendEnd, Errno> {
    let port = {
        let names = NAMES.lock();
        let e = names.get(name).ok_or(Errno::ENOENT)?;
        let port = e.port.upgrade().ok_or(Errno::ENOENT)?;
        if !cred::permits(cred, e.uid, e.gid, e.mode, Access::WRITE) {
            return Err(Errno::EACCES);
        }
        port
    };
    port.new_sender().ok_or(Errno::ENOENT)
}

/// Remove `port`'s name (its last receiving end closed).
pub(crate) fn forget(port: &Arc<Port>) {
    NAMES
        .lock()
        .retain(|_, e| !core::ptr::eq(e.port.as_ptr(), Arc::as_ptr(port)));
}

/// Names registered now (for the tests that check none is left behind).
pub fn count() -> usize {
    NAMES.lock().len()
}
