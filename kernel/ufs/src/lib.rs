//! ufs: a file system whose server is a user program (chapter 2 section 7, the
//! *microkernel* structure: a service moved out of the kernel, reached by messages).
//!
//! `mount -t ufs NAME DIR` makes a [`Proxy`](proxy::Proxy) for the message port
//! registered as `NAME` (docs/ipc.md) and mounts it on `DIR`; every call the VFS makes
//! of it becomes a request on that port, answered by the server (`ufsd`, user/bin).
//! The same programs then run on the in-kernel tmpfs and on the server's tree.
//!
//! - [`wire`]: the protocol (version 1) and the checks of every answer: the
//!   `ufswire` crate, which the server (`ufsd`) uses too.
//! - [`proxy`]: the [`vfs::FileSystem`] made of calls.
//! - `known`: the directories and small files the proxy knows whole (a new name's
//!   lookup and a small file's read answered without a call).
//! - [`waiting`]: a call the server is slow to answer, waited for with the VFS let
//!   go, so that a stalled server stops only its own mount's operations.
//! - here: the type's registration, the [`Link`] each mount keeps with its server,
//!   and what `mount` does for a server.
//!
//! Two things a server needs from `mount`, which therefore only the server calls:
//!
//! 1. Its pages present. The proxy's calls are made under the VFS lock (for their
//!    first 2 ms, or whole when their operation cannot be run again: `waiting`),
//!    and the server's own text is demand-paged from the page cache, whose faults
//!    take that lock: a server faulting on a handler it had not run yet would wait
//!    for the client waiting for it. So the factory makes every page of
//!    the caller's file mappings present before it returns (it runs in the caller,
//!    with no lock held).
//! 2. A restart without a reboot. If `NAME` is mounted already (its server died and
//!    a new one registered the name again, `PORT_REPLACE`), the mount is not made
//!    twice: the existing mount's [`Link`] moves to the new port with a new
//!    generation of inode numbers, and `mount` answers EBUSY, which the server takes
//!    as "attached".

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod known;
pub mod proxy;
mod waiting;
/// The protocol, shared with the server (the `ufswire` crate).
pub use ufswire as wire;

use abi::Errno;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use hal::sync::SpinLock;
use ipc::port::{Message, Port, Sender, Timeout};
use ipc::Payload;
use proc::signal::ProcessSignals;
use task::WaitQueue;
use waiting::Pending;

/// A mount's connection to its server: the port (a sending end), the generation,
/// counted from 1 and moved on by every restart, and the call waited for with the
/// VFS let go, if any (`waiting`).
pub struct Link {
    name: String,
    port: SpinLock<Option<ipc::SendEnd>>,
    generation: AtomicU64,
    pub(crate) pending: SpinLock<Pending>,
    /// Operations waiting for `pending` to be idle.
    pub(crate) free: WaitQueue,
    /// An answer was dropped unasked (`waiting::Own::done`): the proxy's caches must
    /// go, and its names are no longer trusted.
    dropped: AtomicBool,
    names_unsure: AtomicBool,
}

/// How [`Link::call`] ended: an answer (or the call's error), or a deferral.
pub(crate) enum Sent {
    Answer(Result<Payload, Errno>),
    /// In flight, waited for with the VFS let go; the operation runs again.
    Deferred,
}

impl Link {
    fn new(name: &str, end: ipc::SendEnd) -> Link {
        Link {
            name: String::from(name),
            port: SpinLock::new(Some(end)),
            generation: AtomicU64::new(1),
            pending: SpinLock::new(Pending::Idle),
            free: WaitQueue::new(),
            dropped: AtomicBool::new(false),
            names_unsure: AtomicBool::new(false),
        }
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn port(&self) -> Result<Arc<Port>, Errno> {
        self.port
            .lock()
            .as_ref()
            .map(|p| p.port().clone())
            .ok_or(Errno::EIO)
    }

    /// Send `req` and wait for the answer's bytes: EIO when the server is gone
    /// (ECONNRESET, EPIPE), took longer than [`proxy::CALL_TIMEOUT_NS`], or sent
    /// descriptors; EINTR when a signal came first. When `may_defer` and no answer
    /// came within [`waiting::FIRST_WAIT_NS`], the call stays in flight and is
    /// waited for with the VFS let go (`fp()` its fingerprint, for the next run).
    pub(crate) fn call(self: &Arc<Self>, req: Vec<u8>, may_defer: bool, fp: u64) -> Sent {
        let port = match self.port() {
            Ok(p) => p,
            Err(e) => return Sent::Answer(Err(e)),
        };
        let deadline = Timeout::from_ns(proxy::CALL_TIMEOUT_NS);
        let (token, changes) = match port.call_start::<ProcessSignals>(message(req), deadline) {
            Ok(t) => t,
            Err(e) => return Sent::Answer(waiting::outcome(self, Err(e))),
        };
        let first = Timeout::from_ns(waiting::FIRST_WAIT_NS);
        let r = match port.call_wait::<ProcessSignals>(token, changes, first) {
            Err(Errno::ETIMEDOUT) if may_defer => {
                let Timeout::Until(deadline) = deadline else {
                    unreachable!("a timeout of 3 s is a time")
                };
                *self.pending.lock() = Pending::InFlight {
                    port,
                    token,
                    deadline,
                    op: fsys::offlock::ids().0,
                    fp,
                };
                fsys::offlock::defer(Arc::new(waiting::Own(self.clone())));
                return Sent::Deferred;
            }
            Err(Errno::ETIMEDOUT) => port.call_wait::<ProcessSignals>(token, u64::MAX, deadline),
            r => r,
        };
        if r.is_err() {
            port.call_abandon(token);
        }
        Sent::Answer(waiting::outcome(self, r))
    }

    /// An answer was dropped unasked: what the proxy knows may be out of date.
    fn unsure(&self) {
        self.dropped.store(true, Ordering::Release);
        self.names_unsure.store(true, Ordering::Release);
    }
}

fn message(bytes: Vec<u8>) -> Message {
    Message {
        data: Payload::Heap(bytes),
        files: Vec::new(),
        sender: Sender::default(),
    }
}

/// Every mount's link by port name (dead entries are those unmounted).
static LINKS: SpinLock<Vec<Weak<Link>>> = SpinLock::new(Vec::new());

/// Register the `ufs` file-system type.
pub fn init() -> Result<(), Errno> {
    fsys::register_fs_type("ufs", Arc::new(factory))
}

/// `mount -t ufs NAME DIR`, in the server (see the module's header).
fn factory(name: &str) -> Result<Box<dyn vfs::FileSystem>, Errno> {
    if name.is_empty() {
        return Err(Errno::EINVAL);
    }
    // `mount` checked the Mount capability already: root may look up any name.
    let end = ipc::names::lookup(name, &cred::ROOT)?;
    prefault_caller();
    let mut links = LINKS.lock();
    links.retain(|l| l.strong_count() > 0);
    if let Some(link) = links
        .iter()
        .find_map(|l| l.upgrade().filter(|l| l.name == name))
    {
        *link.port.lock() = Some(end);
        let g = link.generation.fetch_add(1, Ordering::AcqRel) + 1;
        log::info!("ufs {name}: server attached again (generation {g})");
        return Err(Errno::EBUSY);
    }
    let link = Arc::new(Link::new(name, end));
    links.push(Arc::downgrade(&link));
    Ok(Box::new(proxy::Proxy::new(link)))
}

/// Make every page of the calling process's file mappings present (its text and
/// read-only data, from the page cache), so that serving never faults on them.
fn prefault_caller() {
    let Some(p) = proc::process::current() else {
        return;
    };
    let mut a = p.aspace.lock();
    let Some(a) = a.as_mut() else {
        return;
    };
    let ranges: Vec<(u64, u64)> = a
        .vmas()
        .filter(|v| v.file.is_some())
        .map(|v| (v.start, v.end))
        .collect();
    for (start, end) in ranges {
        let mut at = start;
        while at < end {
            // A page past the file's end (BeyondEnd) is simply not there.
            let _ = a.handle_fault(at, false, false);
            at += 4096;
        }
    }
}
