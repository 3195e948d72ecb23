//! A slow server does not stop the system: a call whose answer has not come within
//! [`FIRST_WAIT_NS`] is waited for with the VFS let go (chapter 2 section 7: the
//! cost a microkernel's service puts on its clients, kept to the clients of that
//! service).
//!
//! The proxy is called with the VFS lock held. Its call is sent, and waited for
//! there for a moment (an answering server answers in microseconds); if no answer
//! came, the call stays in flight on the mount's [`Link`] ([`Pending::InFlight`]),
//! the proxy registers an [`Own`] deferral (`fsys::offlock`) and fails the VFS's call;
//! the VFS operation returns, `fsys::with` lets the lock go and waits in [`Own`]
//! for the rest of the call's 3 s, which leaves the answer on the link
//! ([`Pending::Answered`]); the operation then runs again and the proxy answers its
//! calls from what the first run was told, ending with the answer waited for.
//!
//! While a call is in flight or answered and not yet taken, the mount is *busy*: a
//! call of any other operation on it sends nothing, registers a [`Busy`] deferral
//! (wait until the link is free) and runs again after it. So a stopped server stops
//! the operations on its own mount, one wait each, and nothing else.
//!
//! Only operations whose calls so far were all `Lookup` or `Getattr` (answers the
//! proxy keeps for the next run: `proxy.rs`, `OpLog`) wait off the lock: one that
//! changed the server's tree already, or read data, is not run again, and a later
//! call of it waits with the lock held, as every call did before (docs/ufsd.md).

use crate::wire::Request;
use crate::Link;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use ipc::port::{Message, Port, Timeout};
use ipc::Payload;
use proc::signal::ProcessSignals;

/// How long a call waits for its answer with the VFS held before it is waited for
/// with the VFS let go: 2 ms (a call answers in about 5,000 instructions).
pub const FIRST_WAIT_NS: u64 = 2_000_000;

/// A mount's call that outlived its first wait.
pub(crate) enum Pending {
    Idle,
    /// Sent; its answer is being waited for (by operation `op`, `fp` the request's
    /// fingerprint, until `deadline` on the monotonic clock).
    InFlight {
        port: Arc<Port>,
        token: u64,
        deadline: u64,
        op: u64,
        fp: u64,
    },
    /// Its answer, for the next run of operation `op`.
    Answered {
        op: u64,
        fp: u64,
        answer: Result<Payload, Errno>,
    },
}

/// What a call's wait ended in, as the proxy sees it: the answer's bytes (the
/// message's own, not copied), or EIO (the server gone, too slow, descriptors in the
/// answer), or EINTR.
pub(crate) fn outcome(link: &Link, r: Result<Message, Errno>) -> Result<Payload, Errno> {
    match r {
        Ok(answer) if answer.files.is_empty() => Ok(answer.data),
        Ok(_) => Err(Errno::EIO),
        Err(Errno::EINTR) => Err(Errno::EINTR),
        Err(e) => {
            log::debug!("ufs {}: call failed: {e}", link.name);
            Err(Errno::EIO)
        }
    }
}

/// Wait for the rest of the link's call in flight, with the VFS let go.
pub(crate) struct Own(pub(crate) Arc<Link>);

impl fsys::offlock::Deferred for Own {
    fn wait(&self) {
        let (port, token, deadline) = match &*self.0.pending.lock() {
            Pending::InFlight {
                port,
                token,
                deadline,
                ..
            } => (port.clone(), *token, *deadline),
            _ => return,
        };
        // The count is not known here: the first check looks.
        let r = port.call_wait::<ProcessSignals>(token, u64::MAX, Timeout::Until(deadline));
        if r.is_err() {
            port.call_abandon(token);
        }
        let answer = outcome(&self.0, r);
        let mut p = self.0.pending.lock();
        if let Pending::InFlight { op, fp, .. } = *p {
            *p = Pending::Answered { op, fp, answer };
        }
    }

    /// The operation returned without asking for the answer again (its new run went
    /// another way): the answer is dropped, and what the proxy keeps is no longer
    /// known to be right (the server may have done the request).
    fn done(&self) {
        let mut p = self.0.pending.lock();
        if matches!(*p, Pending::Answered { op, .. } if op == fsys::offlock::ids().0) {
            *p = Pending::Idle;
            drop(p);
            self.0.unsure();
            self.0.free.wake_all();
        }
    }
}

/// Wait until the link has no call of another operation in flight or unanswered.
pub(crate) struct Busy(pub(crate) Arc<Link>);

impl fsys::offlock::Deferred for Busy {
    fn wait(&self) {
        let link = &self.0;
        // Bounded: the owner's own wait ends within its call's timeout; a signal
        // ends this one (the next run then fails with EINTR).
        let _ = ipc::port::wait::<ProcessSignals>(
            &link.free,
            Timeout::from_ns(crate::proxy::CALL_TIMEOUT_NS + FIRST_WAIT_NS),
            || matches!(*link.pending.lock(), Pending::Idle),
        );
    }

    fn done(&self) {}
}

/// A call's outcome as the proxy's methods see it: the value and data, or an errno.
type Answer = vfs::Result<(u64, Vec<u8>)>;

/// The answers an operation was given, kept for its next run: only while every call
/// of it was a `Lookup` or a `Getattr` (small answers, nothing changed on the
/// server), since only then may it run again.
#[derive(Default)]
pub(crate) struct OpLog {
    /// The operation (`fsys::offlock::ids`) and the run the position is of.
    op: u64,
    run: u64,
    /// The next answer a new run is given.
    at: usize,
    answers: Vec<(u64, Answer)>,
}

impl OpLog {
    /// Start a new operation or run if one did; then the answer to `fp` from the
    /// earlier run, if this is a new run asking what the last one asked.
    pub(crate) fn replay(&mut self, fp: u64) -> Option<Answer> {
        let (op, run) = fsys::offlock::ids();
        if op != self.op {
            self.op = op;
            self.run = run;
            self.at = 0;
            self.answers.clear();
            return None;
        }
        if run != self.run {
            self.run = run;
            self.at = 0;
        }
        let (f, r) = self.answers.get(self.at)?;
        if *f == fp {
            self.at += 1;
            return Some(r.clone());
        }
        // The run went another way: the rest is of no use.
        self.answers.truncate(self.at);
        None
    }

    /// The answers kept for operation `op` may be out of date (it waits for another
    /// one's call): its next run asks again.
    pub(crate) fn forget(&mut self, op: u64) {
        if self.op == op {
            self.answers.clear();
            self.at = 0;
        }
    }

    /// The answer `r` to `fp` was given now (`kept`: a `Lookup` or `Getattr`). Any
    /// other call settles the operation: it will not run again (`fsys::offlock`).
    pub(crate) fn record(&mut self, kept: bool, fp: u64, r: &Answer) {
        if !fsys::offlock::may_defer() {
            return;
        }
        if kept {
            self.answers.push((fp, r.clone()));
            self.at = self.answers.len();
        } else {
            fsys::offlock::settle();
        }
    }
}

/// A request's fingerprint: its header's fields, its name, the length of the rest
/// (what tells a new run's call from another).
pub(crate) fn fingerprint(r: &Request, name: &[u8], rest: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |v: u64| h = (h ^ v).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    mix(r.op as u64 | (r.len as u64) << 16 | (rest as u64) << 48);
    mix(r.ino);
    mix(r.ino2);
    mix(r.off);
    mix(r.mode as u64 | (r.uid as u64) << 32);
    mix(r.gid as u64);
    for c in name.chunks(8) {
        let mut b = [0; 8];
        b[..c.len()].copy_from_slice(c);
        mix(u64::from_le_bytes(b));
    }
    mix(name.len() as u64);
    h
}
