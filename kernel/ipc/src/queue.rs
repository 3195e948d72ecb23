//! The bookkeeping of one message port, with no waiting in it: what a send, a receive,
//! a reply and a close do to the queue and to the calls waiting for their replies.
//!
//! A port is a bounded queue of messages plus the state of every call (a message whose
//! sender waits for the answer). Each call has a *token*, a number never used twice by
//! the port, that travels with its message; the receiver answers by token. A call is
//! first `Queued`, then `Taken` by a receiver, then `Replied`; the caller takes the
//! reply and the call is gone. Three things can end a call early:
//!
//! - the caller gives up (timeout, signal, its process killed): [`PortState::abandon`]
//!   forgets the call and, if nobody took it yet, its message;
//! - the port's last receiving end closes: [`PortState::close_receiver`] empties the
//!   queue and marks every unanswered call `Reset` (the caller gets ECONNRESET);
//! - the receiver answers a call that is no longer there: EPIPE for the replier.
//!
//! Whatever leaves the state (messages dropped by a close or an abandon, a reply
//! nobody takes) is handed back to the caller of these functions, so that it is
//! dropped *outside* the port's lock: a message may carry descriptors, and closing one
//! may be closing an end of this very port. This module is generic over the message
//! type and is unit-tested on the host (`port` wraps it in a lock and a wait queue).

use abi::Errno;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// A queued message and the token of the call it belongs to (0: not a call).
pub struct Envelope<M> {
    pub msg: M,
    pub token: u64,
}

/// Where a call stands.
enum Call<M> {
    /// Its message is in the queue.
    Queued,
    /// A receiver took its message and owes an answer.
    Taken,
    /// The answer, waiting for the caller.
    Replied(M),
    /// The receivers went away before answering.
    Reset,
}

/// One port's queue, ends and calls.
pub struct PortState<M> {
    queue: VecDeque<Envelope<M>>,
    capacity: usize,
    /// Open receiving and sending ends (their last closes are what the other side sees).
    receivers: usize,
    senders: usize,
    /// Registered under a name: a lookup can still make senders.
    pub named: bool,
    next_token: u64,
    calls: Vec<(u64, Call<M>)>,
}

impl<M> PortState<M> {
    /// A port with one receiving and one sending end, queueing up to `capacity`
    /// messages.
    pub fn new(capacity: usize) -> Self {
        PortState {
            queue: VecDeque::with_capacity(capacity),
            capacity,
            receivers: 1,
            senders: 1,
            named: false,
            next_token: 1,
            calls: Vec::new(),
        }
    }

    /// Is some receiving end open?
    pub fn has_receiver(&self) -> bool {
        self.receivers > 0
    }

    /// Would a send be taken now (room, or the EPIPE of a port nobody receives on)?
    pub fn can_send(&self) -> bool {
        self.queue.len() < self.capacity || self.receivers == 0
    }

    /// Would a receive return now (a message, or the EPIPE of a port nobody can send
    /// to any more)?
    pub fn can_receive(&self) -> bool {
        !self.queue.is_empty() || self.nobody_can_send()
    }

    /// No sending end is open and no name can make one: the queue stays empty.
    pub fn nobody_can_send(&self) -> bool {
        self.senders == 0 && !self.named
    }

    /// Is the queue at its capacity?
    pub fn is_full(&self) -> bool {
        self.queue.len() >= self.capacity
    }

    /// Messages waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Queue `msg`; when `call`, the sender will wait for an answer: its token is
    /// returned (0 otherwise). EPIPE when no receiver is left, EAGAIN when the queue is
    /// full; the message comes back with the error.
    pub fn send(&mut self, msg: M, call: bool) -> Result<u64, (Errno, M)> {
        if self.receivers == 0 {
            return Err((Errno::EPIPE, msg));
        }
        if self.queue.len() >= self.capacity {
            return Err((Errno::EAGAIN, msg));
        }
        let token = if call {
            let t = self.next_token;
            self.next_token += 1;
            self.calls.push((t, Call::Queued));
            t
        } else {
            0
        };
        self.queue.push_back(Envelope { msg, token });
        Ok(token)
    }

    /// The message a receive would take next.
    pub fn front(&self) -> Option<&Envelope<M>> {
        self.queue.front()
    }

    /// Take the next message. EAGAIN when there is none yet, EPIPE when there will
    /// never be one (no sender and no name).
    pub fn receive(&mut self) -> Result<Envelope<M>, Errno> {
        let Some(env) = self.queue.pop_front() else {
            return Err(if self.nobody_can_send() {
                Errno::EPIPE
            } else {
                Errno::EAGAIN
            });
        };
        if env.token != 0 {
            if let Some(c) = self.call_mut(env.token) {
                *c = Call::Taken;
            }
        }
        Ok(env)
    }

    /// Put a message a receiver took back at the front (its delivery failed). When no
    /// receiver is left it is returned to be dropped instead, and its call reset.
    pub fn unreceive(&mut self, msg: M, token: u64) -> Vec<M> {
        if self.receivers == 0 {
            if let Some(c) = self.call_mut(token) {
                *c = Call::Reset;
            }
            return alloc::vec![msg];
        }
        if let Some(c) = self.call_mut(token) {
            *c = Call::Queued;
        }
        self.queue.push_front(Envelope { msg, token });
        Vec::new()
    }

    /// Answer call `token` with `msg`. EPIPE (the answer given back) when that call is
    /// not waiting for an answer from a receiver: its caller gave up, or it was
    /// answered already, or there never was such a call.
    pub fn reply(&mut self, token: u64, msg: M) -> Result<(), (Errno, M)> {
        match self.call_mut(token) {
            Some(c @ Call::Taken) => {
                *c = Call::Replied(msg);
                Ok(())
            }
            _ => Err((Errno::EPIPE, msg)),
        }
    }

    /// The outcome of call `token`, if it has one: the answer, or ECONNRESET when the
    /// receivers went away first. The call is then forgotten. `None` while it waits.
    pub fn take_reply(&mut self, token: u64) -> Option<Result<M, Errno>> {
        let i = self.calls.iter().position(|c| c.0 == token)?;
        match self.calls[i].1 {
            Call::Queued | Call::Taken => None,
            Call::Replied(_) | Call::Reset => match self.calls.swap_remove(i).1 {
                Call::Replied(m) => Some(Ok(m)),
                _ => Some(Err(Errno::ECONNRESET)),
            },
        }
    }

    /// The caller of `token` gives up: forget the call, and its message if no receiver
    /// took it yet. Returns what is to be dropped (that message, or an answer that came
    /// too late).
    pub fn abandon(&mut self, token: u64) -> Vec<M> {
        let mut gone = Vec::new();
        if let Some(i) = self.calls.iter().position(|c| c.0 == token) {
            if let (_, Call::Replied(m)) = self.calls.swap_remove(i) {
                gone.push(m);
            }
        }
        if let Some(i) = self.queue.iter().position(|e| e.token == token) {
            if let Some(e) = self.queue.remove(i) {
                gone.push(e.msg);
            }
        }
        gone
    }

    /// A receiving end closed. At the last one the queue is emptied (its messages
    /// returned, to be dropped) and every call not yet answered is reset.
    pub fn close_receiver(&mut self) -> Vec<M> {
        self.receivers -= 1;
        if self.receivers > 0 {
            return Vec::new();
        }
        self.named = false;
        for c in self.calls.iter_mut() {
            if matches!(c.1, Call::Queued | Call::Taken) {
                c.1 = Call::Reset;
            }
        }
        self.queue.drain(..).map(|e| e.msg).collect()
    }

    /// A new sending end (a lookup by name). Descriptors copied by `dup`, `fork` or a
    /// message share one open file, and so one end: they are not counted.
    pub fn add_sender(&mut self) {
        self.senders += 1;
    }

    /// A sending end closed.
    pub fn close_sender(&mut self) {
        self.senders -= 1;
    }

    fn call_mut(&mut self, token: u64) -> Option<&mut Call<M>> {
        self.calls
            .iter_mut()
            .find(|c| c.0 == token)
            .map(|c| &mut c.1)
    }

    /// Calls the port keeps state for (waiting callers and unclaimed answers).
    pub fn calls(&self) -> usize {
        self.calls.len()
    }
}

#[cfg(test)]
mod tests {
    use super::PortState;
    use abi::Errno;

    #[test]
    fn messages_come_out_in_order_and_a_full_queue_refuses() {
        let mut p = PortState::new(3);
        for i in 0..3 {
            assert_eq!(p.send(i, false).ok(), Some(0));
        }
        assert!(!p.can_send());
        assert_eq!(p.send(9, false).err().map(|e| e.0), Some(Errno::EAGAIN));
        for i in 0..3 {
            assert_eq!(p.receive().ok().map(|e| e.msg), Some(i));
        }
        assert_eq!(p.receive().err(), Some(Errno::EAGAIN));
        assert!(p.can_send() && !p.can_receive());
    }

    #[test]
    fn a_call_is_answered_by_its_token_once() {
        let mut p = PortState::new(4);
        let t1 = p.send("ask 1", true).ok().unwrap();
        let t2 = p.send("ask 2", true).ok().unwrap();
        assert!(t1 != 0 && t2 != 0 && t1 != t2);
        // Not yet taken: no answer may be given, none is there.
        assert_eq!(p.reply(t1, "early").err().map(|e| e.0), Some(Errno::EPIPE));
        assert!(p.take_reply(t1).is_none());
        let e = p.receive().ok().unwrap();
        assert_eq!((e.msg, e.token), ("ask 1", t1));
        assert!(p.reply(t1, "answer 1").is_ok());
        assert_eq!(p.reply(t1, "twice").err().map(|e| e.0), Some(Errno::EPIPE));
        assert_eq!(p.take_reply(t1), Some(Ok("answer 1")));
        assert!(p.take_reply(t1).is_none());
        assert_eq!(p.calls(), 1);
    }

    #[test]
    fn the_last_receiver_closing_resets_calls_and_returns_the_queue() {
        let mut p = PortState::new(4);
        let taken = p.send(1, true).ok().unwrap();
        assert_eq!(p.receive().ok().map(|e| e.msg), Some(1));
        let queued = p.send(2, true).ok().unwrap();
        p.send(3, false).ok().unwrap();
        let answered = p.send(4, true).ok().unwrap();
        // A second receiving end keeps everything as it is.
        p.receivers += 1;
        assert!(p.close_receiver().is_empty());
        let _ = p.receive(); // 2
        let _ = p.receive(); // 3
        let _ = p.receive(); // 4
        assert!(p.reply(answered, 40).is_ok());
        p.send(5, false).ok().unwrap();
        assert_eq!(p.close_receiver(), [5]);
        assert_eq!(p.take_reply(taken), Some(Err(Errno::ECONNRESET)));
        assert_eq!(p.take_reply(queued), Some(Err(Errno::ECONNRESET)));
        assert_eq!(p.take_reply(answered), Some(Ok(40)));
        assert_eq!(p.send(6, false).err().map(|e| e.0), Some(Errno::EPIPE));
        assert!(p.can_send(), "a send would not wait: it fails at once");
        assert_eq!(p.calls(), 0);
    }

    #[test]
    fn an_abandoned_call_leaves_nothing_behind() {
        let mut p = PortState::new(4);
        let t = p.send(7, true).ok().unwrap();
        assert_eq!(p.abandon(t), [7]);
        assert!(p.is_empty() && p.calls() == 0);
        // Taken, then abandoned: the late answer is refused.
        let t = p.send(8, true).ok().unwrap();
        let _ = p.receive();
        assert!(p.abandon(t).is_empty());
        assert_eq!(p.reply(t, 80).err().map(|e| e.0), Some(Errno::EPIPE));
        // Answered, then abandoned before the caller took it: the answer is dropped.
        let t = p.send(9, true).ok().unwrap();
        let _ = p.receive();
        p.reply(t, 90).ok().unwrap();
        assert_eq!(p.abandon(t), [90]);
        assert_eq!(p.calls(), 0);
    }

    #[test]
    fn a_message_put_back_is_first_again_and_its_call_waits() {
        let mut p = PortState::new(1);
        let t = p.send(1, true).ok().unwrap();
        let e = p.receive().ok().unwrap();
        assert!(p.unreceive(e.msg, e.token).is_empty());
        assert!(p.is_full());
        assert_eq!(p.reply(t, 10).err().map(|e| e.0), Some(Errno::EPIPE));
        let e = p.receive().ok().unwrap();
        assert_eq!((e.msg, e.token), (1, t));
        p.close_receiver();
        assert_eq!(p.unreceive(e.msg, e.token), [1]);
        assert_eq!(p.take_reply(t), Some(Err(Errno::ECONNRESET)));
    }

    #[test]
    fn a_port_nobody_can_send_to_reads_as_broken() {
        let mut p: PortState<u8> = PortState::new(2);
        p.send(1, false).ok().unwrap();
        p.close_sender();
        assert!(p.can_receive());
        assert_eq!(p.receive().ok().map(|e| e.msg), Some(1));
        assert_eq!(p.receive().err(), Some(Errno::EPIPE));
        // A name could still make a sender: then it is only empty.
        p.named = true;
        assert_eq!(p.receive().err(), Some(Errno::EAGAIN));
        assert!(!p.can_receive());
    }
}
