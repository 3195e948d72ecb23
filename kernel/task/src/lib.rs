//! Kernel threads and their scheduling: the machinery user processes will run on.
//!
//! - [`thread`]: the thread object, spawn, exit, join.
//! - [`sched`]: the per-CPU run queues and the round-robin policy, work stealing and
//!   CPU affinity, driven by the timer
//!   ([`on_tick`]) for preemption; [`yield_now`] for giving up the CPU voluntarily.
//! - [`wait`]: wait queues (sleep until a condition holds, woken by whoever changes it),
//!   timed sleep, and the sleeping [`Mutex`].
//!
//! - [`sysrq`]: the console's SysRq commands (every CPU and thread, and where each
//!   sleeps), for a machine that stopped answering.
//!
//! The context switch itself, and the kernel stacks, are hal's ([`hal::task`]); this
//! layer decides *which* thread runs and *when*.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod sched;
pub mod sysrq;
pub mod thread;
pub mod wait;

pub use sched::{
    current_cpu, init, interrupt, on_tick, online_mask, preempt_point, set_affinity, ticks,
    yield_now, NoCpu,
};
pub use thread::{
    by_tid, create_then, current, exit, spawn, spawn_then, start, thread_list, SpawnError, State,
    Thread, ThreadInfo, Tid,
};
pub use wait::{
    block_until, block_until_ns, mutex, sleep_ms, sleep_ticks, wait_any, wait_any_ns,
    wake_and_block, wake_thread, Mutex, MutexGuard, WaitQueue,
};
