//! The ports' fast path: a short message handed straight from a caller to a waiting
//! server, as L4's and seL4's `call` and `reply_recv` do (chapter 2, 3-2: message
//! passing, and what it costs when the kernel is in the middle).
//!
//! A *short* message is at most [`SHORT_MAX`] bytes, carried as four 64-bit words in
//! the caller's registers, with no descriptors. `port_reply_receive_short` (the server)
//! answers its last call and then, if nothing is queued, *parks* itself on the port:
//! it leaves its thread in [`Fast::parked`] and blocks with no wait queue. A
//! `port_call_short` that finds a parked server gives it the message in
//! [`Fast::handed`] (a copy of four words under the port's lock: no queue, no
//! `Message`, no heap), records the call in [`Fast::calls`], wakes that one thread
//! and sleeps until its answer is in its record. The answer goes the same way: the
//! server writes it into the caller's record, wakes the caller, and parks again.
//!
//! Everything else takes the general path (`port`): a short call that finds no parked
//! server is queued as an ordinary message (so `port_receive` sees it); a short
//! receive that finds a queued message takes it from the queue (if it is short: else
//! EMSGSIZE and it stays queued); an answer to a queued call goes through
//! `Port::reply`. So both kinds of client and server mix on one port, and only a call
//! that meets a parked server skips the queue. Fast tokens have bit 62 set
//! ([`FAST_TOKEN`]), so an answer says which path its call came by.
//!
//! What ends a fast call early is what ends a queued one: the caller's timeout or
//! signal (it takes its record out; a later answer gets EPIPE), the last receiving
//! end's close (ECONNRESET for every call still unanswered, see `Port`'s `release`).

use crate::port::{Message, Port, Timeout};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use files::Signals;
use task::Thread;

/// The most bytes a short message carries.
pub const SHORT_MAX: usize = abi::flags::PORT_SHORT_MAX;

/// Set in the token of a call handed over by the fast path.
pub const FAST_TOKEN: u64 = 1 << 62;

/// A short message: four words, how many of their bytes count, and who sent it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Short {
    pub words: [u64; 4],
    pub len: u32,
    pub pid: u32,
}

impl Short {
    /// A short message of the first `len` bytes (at most [`SHORT_MAX`]) of `words`;
    /// the bytes past them read as 0.
    pub fn new(mut words: [u64; 4], len: u32, pid: u32) -> Short {
        let len = len.min(SHORT_MAX as u32);
        for (i, w) in words.iter_mut().enumerate() {
            let keep = (len as usize).saturating_sub(i * 8).min(8);
            *w = match keep {
                8 => *w,
                0 => 0,
                k => *w & ((1u64 << (k * 8)) - 1),
            };
        }
        Short { words, len, pid }
    }

    /// The message's bytes (little-endian words), `len` of them.
    pub fn to_bytes(&self) -> ([u8; SHORT_MAX], usize) {
        let mut b = [0u8; SHORT_MAX];
        for (i, w) in self.words.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        (b, (self.len as usize).min(SHORT_MAX))
    }

    /// A short message of `bytes` (at most [`SHORT_MAX`]) from `pid`.
    pub fn from_bytes(bytes: &[u8], pid: u32) -> Short {
        let mut b = [0u8; SHORT_MAX];
        let n = bytes.len().min(SHORT_MAX);
        b[..n].copy_from_slice(&bytes[..n]);
        let mut words = [0u64; 4];
        for (i, w) in words.iter_mut().enumerate() {
            let mut c = [0u8; 8];
            c.copy_from_slice(&b[i * 8..i * 8 + 8]);
            *w = u64::from_le_bytes(c);
        }
        Short {
            words,
            len: n as u32,
            pid,
        }
    }
}

/// A call handed over and not yet collected by its caller.
pub(crate) struct FastCall {
    pub(crate) token: u64,
    pub(crate) caller: Arc<Thread>,
    /// The answer (or ECONNRESET) once there is one.
    pub(crate) answer: Option<Result<Short, Errno>>,
}

/// One port's fast-path state, under the port's lock beside its queue.
#[derive(Default)]
pub(crate) struct Fast {
    /// A server blocked in `port_reply_receive_short`, waiting for a hand-off. Only
    /// set while `handed` is empty and the queue is.
    pub(crate) parked: Option<Arc<Thread>>,
    /// A message handed to a parked server, and its token, not yet taken (any short
    /// receiver may take it; the server it was given to takes it when it runs).
    pub(crate) handed: Option<(Short, u64)>,
    /// Calls handed over whose callers have not taken their outcome yet.
    pub(crate) calls: Vec<FastCall>,
    /// The next fast token's number (without [`FAST_TOKEN`]).
    pub(crate) next: u64,
}

impl Fast {
    /// The record of call `token`.
    pub(crate) fn call_mut(&mut self, token: u64) -> Option<&mut FastCall> {
        self.calls.iter_mut().find(|c| c.token == token)
    }

    /// Take call `token`'s record out (its caller is done with it).
    pub(crate) fn forget(&mut self, token: u64) -> Option<FastCall> {
        let i = self.calls.iter().position(|c| c.token == token)?;
        Some(self.calls.swap_remove(i))
    }

    /// The last receiving end closed: every call still unanswered is reset, the
    /// message in hand dropped. Returns the callers to wake.
    pub(crate) fn reset(&mut self) -> Vec<Arc<Thread>> {
        self.handed = None;
        self.parked = None;
        let mut wake = Vec::new();
        for c in self.calls.iter_mut().filter(|c| c.answer.is_none()) {
            c.answer = Some(Err(Errno::ECONNRESET));
            wake.push(c.caller.clone());
        }
        wake
    }
}

impl Port {
    /// `port_call_short`: send `msg` and wait for a short answer. Handed straight to a
    /// parked server when there is one; else `queued(&msg)` makes it an ordinary
    /// message for the queue, and an answer longer than [`SHORT_MAX`] bytes or with
    /// descriptors is dropped (EMSGSIZE). The rest as [`Port::call`].
    pub fn call_short<S: Signals>(
        &self,
        msg: Short,
        queued: impl FnOnce(&Short) -> Result<Message, Errno>,
        timeout: Timeout,
    ) -> Result<Short, Errno> {
        let me = task::current();
        let handed = {
            let mut s = self.state.lock();
            if !s.has_receiver() {
                return Err(Errno::EPIPE);
            }
            if s.fast.parked.is_some() {
                s.fast.calls.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            }
            s.fast.parked.take().map(|server| {
                s.fast.next = s.fast.next.wrapping_add(1);
                let token = FAST_TOKEN | (s.fast.next & (FAST_TOKEN - 1));
                s.fast.handed = Some((msg, token));
                s.fast.calls.push(FastCall {
                    token,
                    caller: me.clone(),
                    answer: None,
                });
                (server, token)
            })
        };
        let Some((server, token)) = handed else {
            let answer = self.call::<S>(queued(&msg)?, timeout)?;
            if answer.data.len() > SHORT_MAX || !answer.files.is_empty() {
                return Err(Errno::EMSGSIZE);
            }
            return Ok(Short::from_bytes(answer.data.as_slice(), answer.sender.pid));
        };
        // As for a queued call, "do not wait" applied to the sending only. The server
        // woken, this thread sleeps until its answer: on one CPU the CPU goes straight
        // to the server.
        let answered = || {
            let mut s = self.state.lock();
            s.fast.call_mut(token).is_some_and(|c| c.answer.is_some())
        };
        task::wake_and_block(
            &me,
            Some(server),
            || answered() || S::interrupted(),
            timeout.deadline(),
        );
        let record = self.state.lock().fast.forget(token);
        match record.and_then(|c| c.answer) {
            Some(r) => r,
            None if S::interrupted() => Err(Errno::EINTR),
            None => Err(Errno::ETIMEDOUT),
        }
    }

    /// Answer call `token` with `answer`: into its caller's record if it came by the
    /// fast path, else as [`Port::reply`] does, made a message by `queued`. EPIPE when
    /// its caller is no longer waiting.
    pub fn reply_short(
        &self,
        token: u64,
        answer: Short,
        queued: impl FnOnce(&Short) -> Result<Message, Errno>,
    ) -> Result<(), Errno> {
        let caller = self.answer_short(token, answer, queued)?;
        if let Some(t) = caller {
            task::wake_thread(&t);
        }
        Ok(())
    }

    /// `port_reply_receive_short`: [`Port::reply_short`], then
    /// [`Port::receive_short`]; a fast caller answered is woken by the receive (on one
    /// CPU, when this thread parks, by handing it the CPU).
    pub fn reply_receive_short<S: Signals>(
        &self,
        token: u64,
        answer: Short,
        queued: impl FnOnce(&Short) -> Result<Message, Errno>,
        timeout: Timeout,
    ) -> Result<(Short, u64), Errno> {
        let caller = if token != 0 {
            self.answer_short(token, answer, queued)?
        } else {
            None
        };
        self.receive_short_waking::<S>(timeout, caller)
    }

    /// The answer's half of [`Port::reply_short`]: the fast caller to wake, if any.
    fn answer_short(
        &self,
        token: u64,
        answer: Short,
        queued: impl FnOnce(&Short) -> Result<Message, Errno>,
    ) -> Result<Option<Arc<Thread>>, Errno> {
        if token & FAST_TOKEN == 0 {
            return self.reply(token, queued(&answer)?).map(|()| None);
        }
        let caller = {
            let mut s = self.state.lock();
            match s.fast.call_mut(token) {
                Some(c) if c.answer.is_none() => {
                    c.answer = Some(Ok(answer));
                    c.caller.clone()
                }
                _ => return Err(Errno::EPIPE),
            }
        };
        Ok(Some(caller))
    }

    /// The next message of at most [`SHORT_MAX`] bytes and no descriptors, and its
    /// token: the one handed over, else the queue's first (EMSGSIZE, left queued, when
    /// it is larger), else this thread parks for a hand-off (or, when another server
    /// is parked already, waits on the queue as [`Port::receive`]).
    pub fn receive_short<S: Signals>(&self, timeout: Timeout) -> Result<(Short, u64), Errno> {
        self.receive_short_waking::<S>(timeout, None)
    }

    /// [`Port::receive_short`], waking `wake` (a caller just answered) before it
    /// returns or sleeps, or handing it the CPU as it parks.
    fn receive_short_waking<S: Signals>(
        &self,
        timeout: Timeout,
        mut wake: Option<Arc<Thread>>,
    ) -> Result<(Short, u64), Errno> {
        let wake_now = |w: &mut Option<Arc<Thread>>| {
            if let Some(t) = w.take() {
                task::wake_thread(&t);
            }
        };
        enum Next {
            Queue,
            Parked,
            Wait,
        }
        let me = task::current();
        loop {
            let next = {
                let mut s = self.state.lock();
                if let Some(h) = s.fast.handed.take() {
                    drop(s);
                    wake_now(&mut wake);
                    return Ok(h);
                }
                if !s.is_empty() || s.nobody_can_send() {
                    Next::Queue
                } else if timeout == Timeout::Now {
                    drop(s);
                    wake_now(&mut wake);
                    return Err(Errno::EAGAIN);
                } else if s.fast.parked.is_none() {
                    s.fast.parked = Some(me.clone());
                    Next::Parked
                } else {
                    Next::Wait
                }
            };
            if !matches!(next, Next::Parked) {
                wake_now(&mut wake);
            }
            match next {
                Next::Queue => match self.receive_queued::<S>(Timeout::Now) {
                    Err(Errno::EAGAIN) => continue, // another receiver was quicker
                    r => return r,
                },
                Next::Wait => return self.receive_queued::<S>(timeout),
                Next::Parked => {}
            }
            let ready = || {
                let s = self.state.lock();
                s.fast.handed.is_some() || !s.is_empty() || s.nobody_can_send()
            };
            let held = task::wake_and_block(
                &me,
                wake.take(),
                || ready() || S::interrupted(),
                timeout.deadline(),
            );
            {
                let mut s = self.state.lock();
                if s.fast.parked.as_ref().is_some_and(|t| Arc::ptr_eq(t, &me)) {
                    s.fast.parked = None;
                }
                if let Some(h) = s.fast.handed.take() {
                    return Ok(h);
                }
            }
            if S::interrupted() {
                return Err(Errno::EINTR);
            }
            if !held {
                return Err(Errno::ETIMEDOUT);
            }
        }
    }

    /// A short message from the queue, as [`Port::receive`] takes it.
    fn receive_queued<S: Signals>(&self, timeout: Timeout) -> Result<(Short, u64), Errno> {
        let (m, token) = self.receive::<S>(|len, nfds| len <= SHORT_MAX && nfds == 0, timeout)?;
        Ok((Short::from_bytes(m.data.as_slice(), m.sender.pid), token))
    }
}
