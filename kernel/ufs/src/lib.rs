//! ufs: a file system whose server is a user program (chapter 2 section 7, the
//! *microkernel* structure: a service moved out of the kernel, reached by messages).
//!
//! `mount -t ufs NAME DIR` makes a [`Proxy`](proxy::Proxy) for the message port
//! registered as `NAME` (docs/ipc.md) and mounts it on `DIR`; every call the VFS makes
//! of it becomes a request on that port, answered by the server (`ufsd`, user/bin).
//! The same programs then run on the in-kernel tmpfs and on the server's tree.
//!
//! - [`wire`]: the protocol (version 1) and the checks of every answer.
//! - [`proxy`]: the [`vfs::FileSystem`] made of calls.
//! - here: the type's registration, the [`Link`] each mount keeps with its server,
//!   and what `mount` does for a server.
//!
//! Two things a server needs from `mount`, which therefore only the server calls:
//!
//! 1. Its pages present. The proxy's calls run under the VFS lock, and the server's
//!    own text is demand-paged from the page cache, whose faults take that lock: a
//!    server faulting on a handler it had not run yet would wait for the client
//!    waiting for it (until the call's timeout). So the factory makes every page of
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

pub mod proxy;
pub mod wire;

use abi::Errno;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::SpinLock;
use ipc::port::{Message, Port, Sender, Timeout};
use ipc::Payload;
use proc::signal::ProcessSignals;

/// A mount's connection to its server: the port (a sending end), and the
/// generation, counted from 1 and moved on by every restart.
pub struct Link {
    name: String,
    port: SpinLock<Option<ipc::SendEnd>>,
    generation: AtomicU64,
}

impl Link {
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
    /// descriptors; EINTR when a signal came first.
    pub fn call(&self, req: Vec<u8>) -> Result<Vec<u8>, Errno> {
        let port = self.port()?;
        let msg = message(req);
        let timeout = Timeout::from_ns(proxy::CALL_TIMEOUT_NS);
        match port.call::<ProcessSignals>(msg, timeout) {
            Ok(answer) if answer.files.is_empty() => Ok(Vec::from(answer.data.as_slice())),
            Ok(_) => Err(Errno::EIO),
            Err(Errno::EINTR) => Err(Errno::EINTR),
            Err(e) => {
                log::debug!("ufs {}: call failed: {e}", self.name);
                Err(Errno::EIO)
            }
        }
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
    let link = Arc::new(Link {
        name: String::from(name),
        port: SpinLock::new(Some(end)),
        generation: AtomicU64::new(1),
    });
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
