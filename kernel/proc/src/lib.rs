//! Processes: the unit a program runs as (chapter 2, 3-2 "process control").
//!
//! A process is one or more kernel threads (from `task`) plus what makes it a running program:
//! an address space (`mm`), a table of open files (`files`), a working directory
//! (`fsys`), signal state, a parent and children. This crate holds those mechanisms;
//! the system-call layer above (`syscall`) turns user requests into calls here.
//!
//! - [`process`]: the process table, pids, current process, CPU accounting.
//! - [`lifecycle`]: spawn, fork, exit, wait, kill.
//! - [`exec`]: loading an ELF program and building its initial stack.
//! - [`thread`]: the threads of a process (spawn, exit of one, exit of all, exec's
//!   and fork's rules, `tkill`).
//! - [`futex`]: sleeping on a word of memory (the waiter table, keyed by word).
//! - [`signal`]: pending signals, handlers, delivery on the way back to user mode,
//!   and what a fault in a program turns into.
//! - [`sigstate`]: the signal state of a process and of each of its threads.
//! - [`claim`]: devices held for exclusive use (request and release).
//! - [`limits`]: resource limits (`prlimit`), inherited over fork and exec; the
//!   per-user task count (`RLIMIT_NPROC`) is checked in [`process`].
//! - [`oom`]: the out-of-memory killer, for a fault that finds no frame.
//! - [`coredump`], [`corefile`]: the ELF core file a process killed by a fault
//!   leaves for a debugger, and its format.
//! - [`personality`]: which system-call ABI a program speaks.
//! - [`uaccess`]: reaching the calling process's memory.
//! - [`watch`]: the tracer's and the profiler's hooks on a process.
//!
//! The layer decision: this is the top of the kernel's mechanisms. The layers below
//! (open files and pipes, devices, the terminal) never name a process: what they need
//! from signals (EINTR, SIGPIPE) they get through [`signal::ProcessSignals`], an
//! implementation of their `files::Signals` trait given to them as a type parameter;
//! or they return what should happen and this layer acts (a Ctrl-C the terminal
//! reports becomes SIGINT for its foreground group).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod alarm;
pub mod claim;
pub mod coredump;
pub mod corefile;
pub mod exec;
pub mod futex;
pub mod image;
pub mod lifecycle;
pub mod limits;
pub mod linuxframe;
pub mod oom;
pub mod personality;
pub mod process;
pub mod robust;
pub mod siginfo;
pub mod signal;
pub mod sigstate;
pub mod thread;
pub mod uaccess;
pub mod watch;

pub use process::{current, Pid, Process};
