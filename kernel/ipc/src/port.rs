//! Message ports: the kernel object behind a port's descriptors, and the blocking
//! send, receive, call and reply (chapter 2, 3-2 "communication": message passing).
//!
//! A [`Port`] is a [`PortState`] (the queue and the calls, see `queue`) under a
//! spinlock, and two wait queues: `wq` for the queue itself (receivers waiting for a
//! message, senders waiting for room, `poll`), woken when a message is queued, taken
//! from a full queue, or an end closes; and `answers` for callers waiting for their
//! reply, woken by a reply or the last receiving end's close. Everyone who waits
//! re-checks their own condition. The split matters to the round trip: a server taking
//! a call from a full queue does not wake the caller, who waits for the answer only.
//! A waiter's check is also its take (a receiver's message, a caller's answer), made
//! under one acquisition of the lock. Every change of the state also counts in
//! `changes`, an atomic read without the lock: a waiter whose check failed asks again
//! (taking the lock) only when the count has moved since, so the checks a wait makes
//! before it sleeps (the wait queue's own, then the one after queueing on several
//! CPUs) cost a load when nothing happened in between.
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

use crate::fast::Fast;
use crate::queue::{Envelope, PortState};
use abi::flags::S_IFSOCK;
use abi::{Errno, Stat};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::cell::Cell;
use core::sync::atomic::{AtomicU64, Ordering};
use files::{FileObject, OpenFile, Readiness, Signals};
use hal::sync::{SpinLock, SpinLockGuard};
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

    pub(crate) fn deadline(self) -> Option<u64> {
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
    pub(crate) state: SpinLock<Inner>,
    /// Receivers, senders waiting for room, pollers.
    wq: WaitQueue,
    /// Callers waiting for their answer.
    answers: WaitQueue,
    /// Changes of `state` so far, counted under its lock (see the module's header).
    changes: AtomicU64,
}

/// What the port's lock guards: the queue and calls (`queue`), and the fast path's
/// parked server and handed-over calls (`fast`). It derefs to the queue's state, which
/// most of this module works on.
pub(crate) struct Inner {
    q: PortState<Message>,
    pub(crate) fast: Fast,
}

impl core::ops::Deref for Inner {
    type Target = PortState<Message>;
    fn deref(&self) -> &PortState<Message> {
        &self.q
    }
}

impl core::ops::DerefMut for Inner {
    fn deref_mut(&mut self) -> &mut PortState<Message> {
        &mut self.q
    }
}

impl Inner {
    /// The parked fast-path server, to be woken because the queue or the ends
    /// changed (it looks at the queue when it runs). It stays parked until it runs.
    pub(crate) fn parked(&self) -> Option<Arc<task::Thread>> {
        self.fast.parked.clone()
    }
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
        state: SpinLock::new(Inner {
            q: PortState::new(capacity),
            fast: Fast::default(),
        }),
        wq: WaitQueue::new(),
        answers: WaitQueue::new(),
        changes: AtomicU64::new(0),
    });
    (ReceiveEnd(port.clone()), SendEnd(port))
}

/// What a waiter saw when its check last failed: the port's change count then.
struct Seen(Cell<u64>);

impl Seen {
    /// Nothing seen yet: the first check takes the lock.
    fn new() -> Seen {
        Seen(Cell::new(u64::MAX))
    }
}

impl Port {
    /// The state, locked to be changed: the change is counted (under the lock, before
    /// any waker looks at its wait queue, so a waiter that queued itself and then
    /// reads the count sees the change, or is found by the waker).
    pub(crate) fn mutate(&self) -> SpinLockGuard<'_, Inner> {
        let s = self.state.lock();
        self.changes.fetch_add(1, Ordering::SeqCst);
        s
    }

    /// Ask `check` of the state under its lock, unless nothing changed since it last
    /// answered `None` to this waiter (`seen`).
    fn check<R>(
        &self,
        seen: &Seen,
        check: impl FnOnce(&mut PortState<Message>) -> Option<R>,
    ) -> Option<R> {
        if self.changes.load(Ordering::SeqCst) == seen.0.get() {
            return None;
        }
        let mut s = self.state.lock();
        let r = check(&mut s);
        if r.is_none() {
            seen.0.set(self.changes.load(Ordering::Relaxed));
        }
        r
    }

    /// Run `f` on the state, then wake every waiter; what `f` returns to be dropped
    /// (messages, with their descriptors) is dropped after the lock is let go.
    fn change<R>(&self, f: impl FnOnce(&mut PortState<Message>) -> (R, Vec<Message>)) -> R {
        let (r, gone, parked) = {
            let mut s = self.mutate();
            let (r, gone) = f(&mut s);
            (r, gone, s.parked())
        };
        self.wq.wake_all();
        self.answers.wake_all();
        if let Some(t) = parked {
            task::wake_thread(&t);
        }
        drop(gone);
        r
    }

    /// Queue `msg` for a receiver, waiting for room as `timeout` allows; EPIPE when no
    /// receiver is left.
    pub fn send<S: Signals>(&self, msg: Message, timeout: Timeout) -> Result<(), Errno> {
        self.queue::<S>(msg, false, timeout).map(|_| ())
    }

    /// Queue `msg` (as a call when `call`): its token, and the change count just
    /// after (what the caller has seen of the state).
    fn queue<S: Signals>(
        &self,
        mut msg: Message,
        call: bool,
        timeout: Timeout,
    ) -> Result<(u64, u64), Errno> {
        loop {
            let (r, parked) = {
                let mut s = self.mutate();
                let r = s
                    .send(msg, call)
                    .map(|t| (t, self.changes.load(Ordering::Relaxed)));
                (r, s.parked())
            };
            match r {
                Ok(sent) => {
                    self.wq.wake_all();
                    if let Some(t) = parked {
                        task::wake_thread(&t); // a fast-path server takes it from the queue
                    }
                    return Ok(sent);
                }
                Err((Errno::EAGAIN, m)) => {
                    msg = m;
                    let seen = Seen::new();
                    wait::<S>(&self.wq, timeout, || {
                        self.check(&seen, |s| s.can_send().then_some(())).is_some()
                    })?;
                }
                Err((e, _)) => return Err(e),
            }
        }
    }

    /// Send `msg` and wait for its answer. ECONNRESET when every receiving end closed
    /// before answering; on a timeout or a signal the call is withdrawn (its message,
    /// if nobody took it yet, is dropped).
    pub fn call<S: Signals>(&self, msg: Message, timeout: Timeout) -> Result<Message, Errno> {
        let (token, changes) = self.queue::<S>(msg, true, timeout)?;
        // An answer takes at least the receiver's turn, so "do not wait" (a zero
        // timeout, O_NONBLOCK) applies to queueing the request only (EAGAIN when the
        // queue is full); its answer is then waited for as long as it takes.
        let timeout = match timeout {
            Timeout::Now => Timeout::Forever,
            t => t,
        };
        let outcome = Cell::new(None);
        // Nothing can have answered yet unless the count moved since the queueing.
        let seen = Seen(Cell::new(changes));
        let waited = wait::<S>(&self.answers, timeout, || {
            let taken = self.check(&seen, |s| s.take_reply(token));
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

    /// The first half of a [`Port::call`] made in two (the ufs proxy's, which waits
    /// for a slow answer with the VFS let go): queue `msg` as a call; its token and
    /// the change count, for [`Port::call_wait`].
    pub fn call_start<S: Signals>(
        &self,
        msg: Message,
        timeout: Timeout,
    ) -> Result<(u64, u64), Errno> {
        self.queue::<S>(msg, true, timeout)
    }

    /// Wait for the answer of call `token` (from [`Port::call_start`], `changes` its
    /// count) as `timeout` allows. Unlike [`Port::call`], a timeout or a signal does
    /// not withdraw the call: it may be waited for again, and must end in an answer
    /// or a [`Port::call_abandon`].
    pub fn call_wait<S: Signals>(
        &self,
        token: u64,
        changes: u64,
        timeout: Timeout,
    ) -> Result<Message, Errno> {
        let outcome = Cell::new(None);
        let seen = Seen(Cell::new(changes));
        let waited = wait::<S>(&self.answers, timeout, || {
            let taken = self.check(&seen, |s| s.take_reply(token));
            let got = taken.is_some();
            if got {
                outcome.set(taken);
            }
            got
        });
        match outcome.into_inner() {
            Some(o) => o,
            None => Err(waited.err().unwrap_or(Errno::ETIMEDOUT)),
        }
    }

    /// Give up call `token` (its message, if nobody took it yet, is dropped).
    pub fn call_abandon(&self, token: u64) {
        self.change(|s| ((), s.abandon(token)));
    }

    /// Take the next message whose size `fits` accepts, waiting as `timeout` allows.
    /// When it does not fit (EMSGSIZE), it stays queued, and `fits` had its sizes.
    pub fn receive<S: Signals>(
        &self,
        fits: impl Fn(usize, usize) -> bool,
        timeout: Timeout,
    ) -> Result<(Message, u64), Errno> {
        // The outcome (a message, EMSGSIZE, EPIPE) and whether the queue was full.
        let outcome = Cell::new(None);
        let seen = Seen::new();
        // Check and take under one acquisition of the lock; false: nothing yet.
        let take = || {
            let r = self.check(&seen, |s| {
                let was_full = s.is_full();
                let r = match s.front() {
                    Some(e) if !fits(e.msg.data.len(), e.msg.files.len()) => Err(Errno::EMSGSIZE),
                    _ => s.receive(),
                };
                match r {
                    Err(Errno::EAGAIN) => None,
                    Ok(e) => {
                        // Room made: counted, for senders waiting for it.
                        self.changes.fetch_add(1, Ordering::SeqCst);
                        Some((Ok(e), was_full))
                    }
                    Err(e) => Some((Err(e), was_full)),
                }
            });
            let got = r.is_some();
            if got {
                outcome.set(r);
            }
            got
        };
        // The wait checks first (with interrupts off), so no check is made before it.
        if timeout == Timeout::Now {
            if !take() {
                return Err(Errno::EAGAIN);
            }
        } else {
            wait::<S>(&self.wq, timeout, take)?;
        }
        let (r, was_full) = outcome.into_inner().ok_or(Errno::EAGAIN)?;
        let Envelope { msg, token } = r?;
        // Taking a message matters only to those waiting for room (senders, pollers of
        // a sending end), and they wait only while it is full.
        if was_full {
            self.wq.wake_all();
        }
        Ok((msg, token))
    }

    /// Put back a message taken by [`Port::receive`] that could not be delivered (the
    /// receiver's buffer was bad): it is first in the queue again and, if it is a call,
    /// waiting to be taken. Dropped (with its call reset) when no receiver is left.
    pub fn unreceive(&self, msg: Message, token: u64) {
        self.change(|s| ((), s.unreceive(msg, token)));
    }

    /// Answer call `token`. EPIPE when its caller is no longer waiting. Only callers
    /// are woken: an answer changes nothing a receiver, a sender or `poll` waits for.
    pub fn reply(&self, token: u64, msg: Message) -> Result<(), Errno> {
        let r = self.mutate().reply(token, msg);
        match r {
            Ok(()) => {
                self.answers.wake_all();
                Ok(())
            }
            Err((e, m)) => {
                drop(m); // outside the lock: it may hold descriptors
                Err(e)
            }
        }
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
        let mut s = self.mutate();
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
        let (last, callers) = {
            let mut s = self.0.mutate();
            let gone = s.close_receiver();
            let last = !s.has_receiver();
            let callers = if last { s.fast.reset() } else { Vec::new() };
            (last.then_some(gone), callers)
        };
        self.0.wq.wake_all();
        self.0.answers.wake_all();
        for t in &callers {
            task::wake_thread(t); // their fast calls were reset: ECONNRESET
        }
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
        let parked = {
            let mut s = self.0.mutate();
            s.close_sender();
            s.parked()
        };
        self.0.wq.wake_all();
        if let Some(t) = parked {
            task::wake_thread(&t); // perhaps nobody can send now: EPIPE
        }
    }
}
