//! Futexes: sleeping on a word of memory, so that locks and semaphores kept in
//! memory (even memory two processes share) can wait without spinning.
//!
//! A program's lock lives in its own memory and is taken with atomic instructions;
//! only when it must wait does it call the kernel: `FUTEX_WAIT(addr, val)` sleeps if
//! the word at `addr` still holds `val` (else EAGAIN: it changed, look again), and
//! `FUTEX_WAKE(addr, n)` wakes up to `n` sleepers of that word. The check and the
//! sleep happen under the waiter table's lock, and a waker takes the same lock, so a
//! wake-up between a program's last look at the word and its sleep is never lost.
//!
//! The design decisions:
//! - Waiters are named by [`mm::WordKey`]: a word of shared memory by its physical
//!   address (so processes that map a segment at different addresses meet), any other
//!   word by address space and virtual address, as Linux's private futexes.
//! - The waiters are one table, searched in order (first come, first woken): a
//!   handful of sleepers at a time is the normal case; a hashed table of buckets is
//!   the step to take when that changes. Entries are in a vector that keeps its room,
//!   so a wait allocates nothing once the table has grown.
//! - A waiter takes its own entry out when it stops waiting for any reason other than
//!   a wake-up (a timeout, a signal: and a process being killed is woken by the
//!   signal), so a dead process leaves no waiters behind. A waker takes out the
//!   entries it wakes and leaves the wait's ticket on the thread (`wake_token`),
//!   so a waiter knows it was woken without looking in the table again.
//! - `FUTEX_WAKE_WAIT` wakes one waiter and waits, in one call under one lock: the
//!   hand-over of a ping-pong between two processes costs two calls per round trip
//!   instead of four.

use crate::process::Process;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::SpinLock;
use mm::{VmError, WordKey};
use task::Thread;

struct Waiter {
    key: WordKey,
    ticket: u64,
    thread: Arc<Thread>,
}

static WAITERS: SpinLock<Vec<Waiter>> = SpinLock::new(Vec::new());
static NEXT_TICKET: AtomicU64 = AtomicU64::new(1);

fn word_errno(e: VmError) -> Errno {
    match e {
        VmError::Invalid => Errno::EINVAL,
        VmError::NoMemory => Errno::ENOMEM,
        _ => Errno::EFAULT,
    }
}

/// Wake up to `n` waiters of `key` from the table `w`; how many.
fn wake_in(w: &mut Vec<Waiter>, key: WordKey, n: u32) -> u32 {
    let mut woken = 0;
    let mut i = 0;
    while i < w.len() && woken < n {
        if w[i].key == key {
            let gone = w.remove(i);
            gone.thread.wake_token.store(gone.ticket, Ordering::Release);
            task::wake_thread(&gone.thread);
            woken += 1;
        } else {
            i += 1;
        }
    }
    woken
}

/// Take the first waiter of `key` out of `w` as [`wake_in`] does, but leave the
/// wake-up itself to the caller: the thread to wake (`FUTEX_WAKE_WAIT` hands it the CPU).
fn take_one(w: &mut Vec<Waiter>, key: WordKey) -> Option<Arc<Thread>> {
    let i = w.iter().position(|x| x.key == key)?;
    let gone = w.remove(i);
    gone.thread.wake_token.store(gone.ticket, Ordering::Release);
    Some(gone.thread)
}

/// Queue `me` as the waiter `ticket` of the word at `addr` if it holds `val` (else
/// EAGAIN); with `other`, first take one waiter of the word out into it (the one
/// `FUTEX_WAKE_WAIT` wakes: the caller wakes it once these locks are let go).
fn queue_waiter(
    p: &Process,
    addr: u64,
    val: u32,
    ticket: u64,
    me: &Arc<Thread>,
    other: Option<&mut Option<Arc<Thread>>>,
) -> Result<(), Errno> {
    // The address space stays locked until the waiter is queued: the word's frame
    // cannot be unmapped between finding it and reading it.
    let mut s = p.aspace.lock();
    let s = s.as_mut().ok_or(Errno::EINVAL)?;
    let word = s.futex_word(addr).map_err(word_errno)?;
    let mut w = WAITERS.lock();
    if let Some(other) = other {
        *other = take_one(&mut w, word.key);
    }
    if word.load() != val {
        return Err(Errno::EAGAIN);
    }
    w.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
    w.push(Waiter {
        key: word.key,
        ticket,
        thread: me.clone(),
    });
    Ok(())
}

/// Take the waiter with `ticket` out of the table; false if a waker already had.
fn forget(ticket: u64) -> bool {
    let mut w = WAITERS.lock();
    match w.iter().position(|w| w.ticket == ticket) {
        Some(i) => {
            w.remove(i);
            true
        }
        None => false,
    }
}

/// `FUTEX_WAKE`: wake up to `n` waiters of the word at `addr` in `p`'s memory.
pub fn wake(p: &Process, addr: u64, n: u32) -> Result<usize, Errno> {
    let key = {
        let mut s = p.aspace.lock();
        let s = s.as_mut().ok_or(Errno::EINVAL)?;
        s.futex_word(addr).map_err(word_errno)?.key
    };
    let mut w = WAITERS.lock();
    if w.is_empty() {
        return Ok(0);
    }
    Ok(wake_in(&mut w, key, n) as usize)
}

/// `FUTEX_WAIT` (with `wake_first`: `FUTEX_WAKE_WAIT`, one waiter of the word woken
/// first): sleep while the word at `addr` holds `val`, until a `FUTEX_WAKE` of it,
/// a signal (EINTR) or timer tick `deadline` (ETIMEDOUT). EAGAIN if the word does not
/// hold `val` when looked at.
pub fn wait(
    p: &Process,
    addr: u64,
    val: u32,
    deadline: Option<u64>,
    wake_first: bool,
) -> Result<usize, Errno> {
    let me = task::current();
    let ticket = NEXT_TICKET.fetch_add(1, Ordering::Relaxed);
    // The waiter `FUTEX_WAKE_WAIT` takes out, woken once the locks are let go.
    let mut other = None;
    let queued = queue_waiter(p, addr, val, ticket, &me, wake_first.then_some(&mut other));
    if let Err(e) = queued {
        if let Some(t) = other {
            task::wake_thread(&t);
        }
        return Err(e);
    }
    let woken = || me.wake_token.load(Ordering::Acquire) == ticket;
    let cond = || woken() || crate::signal::interrupted_in(p);
    let ended = match (other, deadline) {
        // The one woken gets the CPU at once (on one CPU: no run-queue trip).
        (Some(t), None) => task::wake_and_block(&me, Some(t), cond, None),
        (other, deadline) => {
            if let Some(t) = other {
                task::wake_thread(&t);
            }
            task::block_until(&me, cond, deadline)
        }
    };
    if woken() || !forget(ticket) {
        return Ok(0); // woken (perhaps just as the time ran out or a signal came)
    }
    if ended {
        Err(Errno::EINTR)
    } else {
        Err(Errno::ETIMEDOUT)
    }
}

/// `FUTEX_REQUEUE` / `FUTEX_CMP_REQUEUE` (with `cmp`: EAGAIN unless the word at
/// `addr` holds it): wake up to `n_wake` waiters of `addr`, and move up to `n_move`
/// of the others to wait on `addr2` instead (a condition variable hands its waiters
/// to the mutex rather than waking them all to fight for it). Returns how many were
/// woken and moved.
pub fn requeue(
    p: &Process,
    addr: u64,
    n_wake: u32,
    addr2: u64,
    n_move: u32,
    cmp: Option<u32>,
) -> Result<usize, Errno> {
    let mut s = p.aspace.lock();
    let s = s.as_mut().ok_or(Errno::EINVAL)?;
    let to = s.futex_word(addr2).map_err(word_errno)?.key;
    let word = s.futex_word(addr).map_err(word_errno)?;
    let mut w = WAITERS.lock();
    if cmp.is_some_and(|v| word.load() != v) {
        return Err(Errno::EAGAIN);
    }
    let woken = wake_in(&mut w, word.key, n_wake);
    let mut moved = 0;
    for x in w.iter_mut().filter(|x| x.key == word.key) {
        if moved == n_move {
            break;
        }
        x.key = to;
        moved += 1;
    }
    Ok((woken + moved) as usize)
}

/// How many threads wait on futexes now (for the tests: a killed waiter leaves none).
pub fn waiters() -> usize {
    WAITERS.lock().len()
}
