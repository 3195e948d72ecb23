//! Threads: more than one line of execution in one process (the process owns the
//! memory, files and credentials; each thread has its own registers and stack).
//!
//! [`spawn`] runs a closure on a new thread and returns a [`JoinHandle`]; [`JoinHandle::join`]
//! waits for it to end. The mechanism, without `unsafe`: the closure waits in a table
//! of slots (the thread's argument is its slot's number), the stack is a heap block
//! the handle owns, and the join is a futex on a word the kernel writes the thread's
//! id into when it starts and 0 into when it has left its stack (calls 132-133, the
//! dinos version of Linux's `CLONE_CHILD_CLEARTID`). In a program whose modules have
//! thread-local storage each thread gets its own copy of their blocks
//! (`dl::thread_area`, set with `set_thread_pointer` as the thread starts). Share data between threads as
//! `std` does: `Arc`, atomics, and [`crate::sync::Mutex`] over an `AtomicU32`.

use crate::sys;
use crate::Result;
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use spinning_top::Spinlock;

#[cfg(not(test))]
use crate::dl::{thread_area, ThreadArea};
/// Host tests have no dynamic linker: no thread-local area (the memory field only
/// mirrors the real one's, which owns its area).
#[cfg(test)]
struct ThreadArea {
    tp: u64,
    _mem: Vec<u8>,
}
#[cfg(test)]
fn thread_area() -> Option<ThreadArea> {
    None
}

/// Each thread's stack (64 KiB).
pub const STACK_SIZE: usize = 64 * 1024;

/// A thread's closure and the thread pointer it starts with (0: its creator's).
type Job = (Box<dyn FnOnce() + Send>, u64);

/// The closures of threads that have not started yet, by slot.
static SLOTS: Spinlock<Vec<Option<Job>>> = Spinlock::new(Vec::new());

fn park(job: Job) -> usize {
    let mut s = SLOTS.lock();
    if let Some(i) = s.iter().position(|j| j.is_none()) {
        s[i] = Some(job);
        i
    } else {
        s.push(Some(job));
        s.len() - 1
    }
}

/// Where every thread starts: take its closure, run it, end the thread.
extern "C" fn start(slot: u64) -> ! {
    let job = SLOTS.lock().get_mut(slot as usize).and_then(Option::take);
    if let Some((job, tp)) = job {
        // Its own thread-local blocks (docs/linking.md "Thread-local storage").
        if tp != 0 && sys::set_thread_pointer(tp).is_err() {
            sys::thread_exit(127);
        }
        job();
    }
    sys::thread_exit(0)
}

/// A running thread, to be joined. Dropped without a join, the thread runs on
/// (detached) and its stack is never freed.
pub struct JoinHandle {
    tid: u32,
    word: Arc<AtomicU32>,
    stack: Option<Vec<u8>>,
    /// Its thread-local area, freed with the stack.
    tls: Option<ThreadArea>,
}

/// Run `f` on a new thread of this process.
pub fn spawn(f: impl FnOnce() + Send + 'static) -> Result<JoinHandle> {
    let stack = alloc::vec![0u8; STACK_SIZE];
    // The top, 16-byte aligned, less the 8 bytes a `call` would have pushed: at a
    // function's first instruction `rsp + 8` is a multiple of 16.
    let top = ((stack.as_ptr() as usize + STACK_SIZE) & !15) - 8;
    let word = Arc::new(AtomicU32::new(u32::MAX));
    let tls = thread_area();
    let slot = park((Box::new(f), tls.as_ref().map_or(0, |a| a.tp)));
    match sys::thread_spawn(start, top, slot as u64, &word) {
        Ok(tid) => Ok(JoinHandle {
            tid: tid as u32,
            word,
            stack: Some(stack),
            tls,
        }),
        Err(e) => {
            SLOTS.lock()[slot] = None;
            Err(e)
        }
    }
}

impl JoinHandle {
    /// The thread's id (for [`sys::tkill`]).
    pub fn tid(&self) -> u32 {
        self.tid
    }

    /// Wait until the thread has ended.
    pub fn join(mut self) {
        wait_zero(&self.word);
        drop(self.stack.take()); // no thread runs on it any more
        drop(self.tls.take());
    }
}

impl Drop for JoinHandle {
    fn drop(&mut self) {
        if let Some(s) = self.stack.take() {
            core::mem::forget(s); // a detached thread may still be using it
        }
        if let Some(t) = self.tls.take() {
            core::mem::forget(t);
        }
    }
}

/// Sleep until the kernel has cleared `word` (the thread exited).
fn wait_zero(word: &AtomicU32) {
    loop {
        let v = word.load(Ordering::Acquire);
        if v == 0 {
            return;
        }
        let _ = sys::futex(word, abi::flags::FUTEX_WAIT, v, abi::flags::FUTEX_FOREVER);
    }
}

/// The calling thread's id.
pub fn current_tid() -> u32 {
    sys::gettid().unwrap_or(0) as u32
}
