//! A socket as an open file: `read`, `write`, `poll`, `close` and inheritance across
//! `fork` work on it as on a pipe (chapter 2 section 7: one more `impl FileObject`,
//! no edit of the descriptor layer).
//!
//! The object holds only the socket's id in the table. Every operation is tried
//! under the stack's lock; one that would wait drops the lock and sleeps on the
//! stack's wait queue until the next poll changed something (the event counter
//! moved), a signal came (EINTR), or the socket's timeout passed (EAGAIN). The
//! signal check is the process layer's, taken as the type parameter `S` as pipes do.

use crate::table::Sid;
use crate::{lock, Net, EVENTS, WAITERS};
use abi::{Errno, Stat};
use core::marker::PhantomData;
use core::sync::atomic::Ordering;
use files::{FileObject, Ioctl, IoctlReply, Readiness, Signals};
use task::WaitQueue;

/// `S_IFSOCK`: what `fstat` says a socket is.
const S_IFSOCK: u32 = 0o140000;

pub struct SocketFile<S: Signals> {
    pub sid: Sid,
    _s: PhantomData<fn() -> S>,
}

impl<S: Signals> SocketFile<S> {
    pub fn new(sid: Sid) -> Self {
        SocketFile {
            sid,
            _s: PhantomData,
        }
    }
}

/// Run `op` on the stack until it has an answer: at once if `nonblock` (EAGAIN when
/// it would wait), else sleeping between tries, at most `timeout_ms` (0: no limit).
/// A try that did something is followed by a poll, so its effect goes out now.
pub fn blocking<S: Signals, T>(
    nonblock: bool,
    timeout_ms: u64,
    mut op: impl FnMut(&mut Net) -> Result<Option<T>, Errno>,
) -> Result<T, Errno> {
    let deadline =
        (timeout_ms != 0).then(|| hal::apic::nanos_since_boot() + timeout_ms * 1_000_000);
    loop {
        let seen = EVENTS.load(Ordering::SeqCst);
        {
            let mut net = lock();
            let r = op(&mut net);
            if !matches!(r, Ok(None)) {
                crate::poll_locked(&mut net);
            }
            if let Some(v) = r.transpose() {
                return v;
            }
        }
        wait_for_change::<S>(&EVENTS, &WAITERS, seen, nonblock, deadline)?;
    }
}

/// One sleep of a blocking socket call: until `events` moves past `seen` (woken on
/// `waiters`), a signal (EINTR) or `deadline` (EAGAIN); EAGAIN at once if `nonblock`.
/// `Ok` means "try again". Shared by the IP sockets and AF_UNIX (`unix.rs`), each
/// with its own counter and queue.
pub(crate) fn wait_for_change<S: Signals>(
    events: &core::sync::atomic::AtomicU64,
    waiters: &WaitQueue,
    seen: u64,
    nonblock: bool,
    deadline: Option<u64>,
) -> Result<(), Errno> {
    if nonblock {
        return Err(Errno::EAGAIN);
    }
    let moved = task::wait_any_ns(&[waiters], deadline, || {
        events.load(Ordering::SeqCst) != seen || S::interrupted()
    });
    if events.load(Ordering::SeqCst) == seen {
        if S::interrupted() {
            return Err(Errno::EINTR);
        }
        if !moved {
            return Err(Errno::EAGAIN);
        }
    }
    Ok(())
}

impl<S: Signals> SocketFile<S> {
    fn timeouts(&self) -> (u64, u64) {
        let net = lock();
        net.socks
            .get(&self.sid)
            .map_or((0, 0), |e| (e.rcvtimeo_ms, e.sndtimeo_ms))
    }

    /// `recvfrom`: bytes and who sent them.
    pub fn recv(
        &self,
        buf: &mut [u8],
        peek: bool,
        nonblock: bool,
    ) -> Result<(usize, Option<(smoltcp::wire::Ipv4Address, u16)>), Errno> {
        let (rcv, _) = self.timeouts();
        blocking::<S, _>(nonblock, rcv, |net| net.recv(self.sid, buf, peek))
    }

    /// `sendto`: a write to a connection, or a datagram to `to`.
    pub fn send(
        &self,
        data: &[u8],
        to: Option<(smoltcp::wire::Ipv4Address, u16)>,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        let (_, snd) = self.timeouts();
        let r = blocking::<S, _>(nonblock, snd, |net| net.send(self.sid, data, to));
        if r == Err(Errno::EPIPE) {
            S::raise(abi::signal::SIGPIPE);
        }
        r
    }
}

impl<S: Signals> FileObject for SocketFile<S> {
    fn read(&self, _pos: &mut u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.recv(buf, false, nonblock).map(|(n, _)| n)
    }

    fn write(&self, _pos: &mut u64, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.send(data, None, nonblock)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(Stat {
            mode: S_IFSOCK | 0o777,
            nlink: 1,
            ..Default::default()
        })
    }

    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        match req {
            Ioctl::BytesReady => Ok(IoctlReply::U32(lock().bytes_ready(self.sid) as u32)),
            _ => Err(Errno::ENOTTY),
        }
    }

    fn poll(&self) -> Readiness {
        lock().readiness(self.sid)
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&WAITERS)
    }

    fn as_any(&self) -> Option<&dyn core::any::Any> {
        Some(self)
    }

    fn release(&self) {
        let mut net = lock();
        net.release(self.sid);
        crate::poll_locked(&mut net);
    }
}
