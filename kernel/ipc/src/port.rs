//! Message ports: the kernel object behind a port's descriptors, and the blocking
//! send, receive, call and reply (chapter 2, 3-2 "communication": message passing).
//!
//! A [`Port`] is a [`PortState`] (the queue and the calls, see `queue`) under a
//! spinlock, and one wait queue that every change wakes: a message queued, a message
//! taken (room), an answer given, an end closed. Everyone who waits re-checks their own
//! condition, so one queue serves senders waiting for room, receivers waiting for a
//! message, callers waiting for their answer and `poll`.
//!
//! A port has two kinds of descriptors, as a pipe has two ends: the [`ReceiveEnd`]
//! (the server's; `port_create` makes it, `port_register` names it) and the
//! [`SendEnd`] (a client's; `port_create` makes the first, `port_lookup` more). Both
//! are [`FileObject`]s, so they are closed, polled, inherited by fork and passed in
//! messages like any descriptor; their last closes are what the other side sees.
//!
//! Messages are owned kernel copies: the bytes, the open files of the descriptors
//! passed (the receiver gets new descriptors for the same open files, as with Unix's
//! SCM_RIGHTS), and the sender's identity, filled by the kernel. A receiving end may
//! not travel in a message: a port whose receiving end sat in its own queue could
//! never be closed, and with receiving ends kept out no such cycle can form.

use crate::queue::{Envelope, PortState};
use abi::flags::S_IFSOCK;
use abi::{Errno, Stat};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use files::{FileObject, OpenFile, Readiness, Signals};
use hal::sync::SpinLock;
use task::WaitQueue;

/// Who sent a message (filled by the kernel, never by the sender).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sender {
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
}

/// A message in flight.
pub struct Message {
    pub data: crate::Payload,
    pub files: Vec<Arc<OpenFile>>,
    pub sender: Sender,
}

/// How long a call may wait (made from the ABI's nanoseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Do not wait: EAGAIN.
    Now,
    /// Until this time on the monotonic clock (nanoseconds since boot): ETIMEDOUT then.
    Until(u64),
    Forever,
}

impl Timeout {
    /// The ABI's timeout: 0 is "do not wait", `u64::MAX` "forever", anything else
    /// nanoseconds from now (the wait checks the clock: [`task::wait_any_ns`]).
    pub fn from_ns(ns: u64) -> Timeout {
        match ns {
            0 => Timeout::Now,
            u64::MAX => Timeout::Forever,
            ns => Timeout::Until(hal::apic::nanos_since_boot().saturating_add(ns)),
        }
    }

    /// The same, where O_NONBLOCK on the descriptor means "do not wait".
    pub fn with_nonblock(self, nonblock: bool) -> Timeout {
        if nonblock {
            Timeout::Now
        } else {
            self
        }
    }

    fn deadline(self) -> Option<u64> {
        match self {
            Timeout::Until(t) => Some(t),
            _ => None,
        }
    }
}

/// Sleep on `wq` until `ready()`, the time runs out (EAGAIN for [`Timeout::Now`],
/// ETIMEDOUT) or a signal arrives (EINTR).
pub fn wait<S: Signals>(
    wq: &WaitQueue,
    timeout: Timeout,
    ready: impl Fn() -> bool,
) -> Result<(), Errno> {
    if timeout == Timeout::Now {
        return Err(Errno::EAGAIN);
    }
    // Whether `ready` held when the wait ended, so that it is not asked again (each
    // asking takes the port's lock).
    let was_ready = core::cell::Cell::new(false);
    task::wait_any_ns(&[wq], timeout.deadline(), || {
        was_ready.set(ready());
        was_ready.get() || S::interrupted()
    });
    if was_ready.get() {
        Ok(())
    } else if S::interrupted() {
        Err(Errno::EINTR)
    } else {
        Err(Errno::ETIMEDOUT)
    }
}

/// One message port.
pub struct Port {
    state: SpinLock<PortState<Message>>,
    wq: WaitQueue,
}

/// Ports in the whole system, for the tests that check none is left behind.
static PORTS: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// How many ports exist now.
pub fn count() -> usize {
    PORTS.load(core::sync::atomic::Ordering::Relaxed)
}

impl Drop for Port {
    fn drop(&mut self) {
        PORTS.fetch_sub(1, core::sync::atomic::Ordering::Relaxed);
    }
}

/// A new port queueing up to `capacity` messages: its receiving and sending ends.
pub fn create(capacity: usize) -> (ReceiveEnd, SendEnd) {
    PORTS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    let port = Arc::new(Port {
        state: SpinLock::new(PortState::new(capacity)),
        wq: WaitQueue::new(),
    });
    (ReceiveEnd(port.clone()), SendEnd(port))
}

impl Port {
    /// Run `f` on the state, then wake every waiter; what `f` returns to be dropped
    /// (messages, with their descriptors) is dropped after the lock is let go.
    fn change<R>(&self, f: impl FnOnce(&mut PortState<Message>) -> (R, Vec<Message>)) -> R {
        let (r, gone) = f(&mut self.state.lock());
        self.wq.wake_all();
        drop(gone);
        r
    }

    /// Queue `msg` for a receiver, waiting for room as `timeout` allows; EPIPE when no
    /// receiver is left.
    pub fn send<S: Signals>(&self, msg: Message, timeout: Timeout) -> Result<(), Errno> {
        self.queue::<S>(msg, false, timeout).map(|_| ())
    }

    /// Queue `msg` (as a call when `call`): its token.
    fn queue<S: Signals>(
        &self,
        mut msg: Message,
        call: bool,
        timeout: Timeout,
    ) -> Result<u64, Errno> {
        loop {
            let r = self.state.lock().send(msg, call);
            match r {
                Ok(token) => {
                    self.wq.wake_all();
                    return Ok(token);
                }
                Err((Errno::EAGAIN, m)) => {
                    msg = m;
                    wait::<S>(&self.wq, timeout, || self.state.lock().can_send())?;
                }
                Err((e, _)) => return Err(e),
            }
        }
    }

    /// Send `msg` and wait for its answer. ECONNRESET when every receiving end closed
    /// before answering; on a timeout or a signal the call is withdrawn (its message,
    /// if nobody took it yet, is dropped).
    pub fn call<S: Signals>(&self, msg: Message, timeout: Timeout) -> Result<Message, Errno> {
        let token = self.queue::<S>(msg, true, timeout)?;
        // An answer takes at least the receiver's turn, so "do not wait" (a zero
        // timeout, O_NONBLOCK) applies to queueing the request only (EAGAIN when the
        // queue is full); its answer is then waited for as long as it takes.
        let timeout = match timeout {
            Timeout::Now => Timeout::Forever,
            t => t,
        };
        let outcome = core::cell::Cell::new(None);
        let waited = wait::<S>(&self.wq, timeout, || {
            let taken = self.state.lock().take_reply(token);
            let got = taken.is_some();
            if got {
                outcome.set(taken);
            }
            got
        });
        if let Some(o) = outcome.into_inner() {
            return o;
        }
        match waited {
            Ok(()) => unreachable!("woken for an answer that is not there"),
            Err(e) => {
                self.change(|s| ((), s.abandon(token)));
                Err(e)
            }
        }
    }

    /// Take the next message whose size `fits` accepts, waiting as `timeout` allows.
    /// When it does not fit (EMSGSIZE), it stays queued, and `fits` had its sizes.
    pub fn receive<S: Signals>(
        &self,
        fits: impl Fn(usize, usize) -> bool,
        timeout: Timeout,
    ) -> Result<(Message, u64), Errno> {
        loop {
            let (r, was_full) = {
                let mut s = self.state.lock();
                let was_full = s.is_full();
                match s.front() {
                    Some(e) if !fits(e.msg.data.len(), e.msg.files.len()) => {
                        return Err(Errno::EMSGSIZE)
                    }
                    _ => (s.receive(), was_full),
                }
            };
            match r {
                Ok(Envelope { msg, token }) => {
                    // Taking a message matters only to those waiting for room (senders,
                    // pollers of a sending end), and they wait only while it is full.
                    if was_full {
                        self.wq.wake_all();
                    }
                    return Ok((msg, token));
                }
                Err(Errno::EAGAIN) => {
                    wait::<S>(&self.wq, timeout, || self.state.lock().can_receive())?
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Put back a message taken by [`Port::receive`] that could not be delivered (the
    /// receiver's buffer was bad): it is first in the queue again and, if it is a call,
    /// waiting to be taken. Dropped (with its call reset) when no receiver is left.
    pub fn unreceive(&self, msg: Message, token: u64) {
        self.change(|s| ((), s.unreceive(msg, token)));
    }

    /// Answer call `token`. EPIPE when its caller is no longer waiting.
    pub fn reply(&self, token: u64, msg: Message) -> Result<(), Errno> {
        self.change(|s| match s.reply(token, msg) {
            Ok(()) => (Ok(()), Vec::new()),
            Err((e, m)) => (Err(e), alloc::vec![m]),
        })
    }

    /// The sizes (bytes, descriptors) of the message a receive would take next.
    pub fn front_size(&self) -> Option<(usize, usize)> {
        let s = self.state.lock();
        s.front().map(|e| (e.msg.data.len(), e.msg.files.len()))
    }

    /// Messages queued now.
    pub fn len(&self) -> usize {
        self.state.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Mark the port named (a lookup can make senders) or not; false if no receiving
    /// end is open any more.
    pub(crate) fn set_named(&self, named: bool) -> bool {
        self.change(|s| {
            let alive = s.has_receiver();
            s.named = named && alive;
            (alive, Vec::new())
        })
    }

    /// A new sending end, unless no receiving end is left.
    pub(crate) fn new_sender(self: &Arc<Self>) -> Option<SendEnd> {
        let mut s = self.state.lock();
        if !s.has_receiver() {
            return None;
        }
        s.add_sender();
        Some(SendEnd(self.clone()))
    }
}

/// The receiving end of a port (the server's descriptor).
pub struct ReceiveEnd(Arc<Port>);

/// A sending end (a client's descriptor).
pub struct SendEnd(Arc<Port>);

impl ReceiveEnd {
    pub fn port(&self) -> &Arc<Port> {
        &self.0
    }

    /// The port, if `f` is a receiving end.
    pub fn of(f: &OpenFile) -> Option<&Port> {
        f.as_any()?.downcast_ref::<ReceiveEnd>().map(|r| &*r.0)
    }
}

impl SendEnd {
    pub fn port(&self) -> &Arc<Port> {
        &self.0
    }

    /// The port, if `f` is a sending end.
    pub fn of(f: &OpenFile) -> Option<&Port> {
        f.as_any()?.downcast_ref::<SendEnd>().map(|s| &*s.0)
    }
}

fn port_stat() -> Result<Stat, Errno> {
    Ok(Stat {
        mode: S_IFSOCK | 0o600,
        nlink: 1,
        blksize: abi::flags::PORT_MSG_MAX as u64,
        ..Default::default()
    })
}

impl FileObject for ReceiveEnd {
    /// Ports are read with `port_receive`, not `read`.
    fn read(&self, _: &mut u64, _: &mut [u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _: &mut u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        port_stat()
    }
    fn poll(&self) -> Readiness {
        let s = self.0.state.lock();
        Readiness {
            readable: s.can_receive(),
            writable: false,
            hangup: s.nobody_can_send(),
        }
    }
    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.wq)
    }
    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
    fn release(&self) {
        let last = {
            let mut s = self.0.state.lock();
            let gone = s.close_receiver();
            (!s.has_receiver()).then_some(gone)
        };
        self.0.wq.wake_all();
        if let Some(gone) = last {
            crate::names::forget(&self.0);
            drop(gone);
        }
    }
}

impl FileObject for SendEnd {
    /// Ports are written with `port_send` and `port_call`, not `write`.
    fn read(&self, _: &mut u64, _: &mut [u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _: &mut u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        port_stat()
    }
    fn poll(&self) -> Readiness {
        let s = self.0.state.lock();
        Readiness {
            readable: false,
            writable: s.can_send(),
            hangup: !s.has_receiver(),
        }
    }
    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.wq)
    }
    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
    fn release(&self) {
        self.0.state.lock().close_sender();
        self.0.wq.wake_all();
    }
}
