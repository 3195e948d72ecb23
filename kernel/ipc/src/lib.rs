//! Message passing between processes (chapter 2, 3-2 "communication"): message ports.
//!
//! - [`queue`]: one port's bookkeeping (the bounded queue, the calls waiting for an
//!   answer, what a close does), pure and unit-tested on the host.
//! - [`port`]: the port as a kernel object: the lock, the wait queue, the blocking
//!   send, receive, call and reply with their timeouts, and the two kinds of
//!   descriptors ([`ReceiveEnd`], [`SendEnd`]) as open-file objects.
//! - [`fast`]: the fast path, a short message in registers handed straight from a
//!   caller to a server waiting for it (L4's call and reply-and-receive).
//! - [`names`]: the name service (`port_register`, `port_lookup`).
//! - [`payload`]: a message's bytes, inline when they are few.
//!
//! The layer decision: ports are open files (`files`), so descriptors, fork, close and
//! poll treat them like pipes; this crate sits on `files` and below the system-call
//! layer, which copies messages in and out of user memory and fills in the sender's
//! identity. Nothing here names a process. docs/ipc.md tells the whole design.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod fast;
pub mod names;
pub mod payload;
pub mod port;
pub mod queue;

pub use fast::Short;
pub use payload::Payload;
pub use port::{create, Message, Port, ReceiveEnd, SendEnd, Sender, Timeout};
