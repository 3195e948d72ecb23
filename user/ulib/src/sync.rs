//! Locks and semaphores for processes that share memory: [`Mutex`], [`Condvar`] and a
//! counting [`Semaphore`] (POSIX `sem_t`), built on atomics and the futex.
//!
//! Each is a view over one or two 32-bit words of memory ([`crate::shm::Shared`]'s
//! words, or any `AtomicU32`), so it works the same inside a segment mapped by many
//! processes at different addresses: no pointer is kept in the shared words. The fast
//! path is an atomic instruction in user space; only a process that must wait, or that
//! must wake a waiter, calls the kernel.
//!
//! - The mutex is Drepper's three-state futex lock ("Futexes Are Tricky", mutex 2):
//!   0 free, 1 held, 2 held with (perhaps) waiters; unlocking a 1 makes no call.
//! - The condition variable is a sequence number: a waiter notes it, unlocks, and
//!   sleeps while it is unchanged; a notifier bumps it and wakes.
//! - The semaphore keeps its value and a count of sleepers, so a `post` with nobody
//!   waiting makes no call; a waiter sleeps while the value is 0.
//!
//! Under `cargo test` on the host the futex is replaced by yielding the thread (a
//! futex wait may always return early, so the algorithms stay correct), which lets
//! the tests below run them with real threads.

use core::sync::atomic::{AtomicU32, Ordering::*};

#[cfg(not(test))]
mod futex {
    use abi::flags::*;
    use core::sync::atomic::AtomicU32;

    /// Sleep while `w` holds `v` (returns at once if it does not).
    pub fn wait(w: &AtomicU32, v: u32) {
        let _ = crate::sys::futex(w, FUTEX_WAIT, v, FUTEX_FOREVER);
    }

    /// As [`wait`], at most `ns` nanoseconds: false if the time ran out.
    pub fn wait_timeout(w: &AtomicU32, v: u32, ns: u64) -> bool {
        crate::sys::futex(w, FUTEX_WAIT, v, ns) != Err(abi::Errno::ETIMEDOUT)
    }

    /// Wake up to `n` sleepers of `w`.
    pub fn wake(w: &AtomicU32, n: u32) {
        let _ = crate::sys::futex(w, FUTEX_WAKE, n, 0);
    }
}

#[cfg(test)]
mod futex {
    use core::sync::atomic::AtomicU32;
    pub fn wait(_: &AtomicU32, _: u32) {
        std::thread::yield_now();
    }
    pub fn wait_timeout(_: &AtomicU32, _: u32, _: u64) -> bool {
        std::thread::yield_now();
        true
    }
    pub fn wake(_: &AtomicU32, _: u32) {}
}

/// A mutual-exclusion lock on one word (initially 0: free).
pub struct Mutex<'a> {
    state: &'a AtomicU32,
}

/// The lock held; unlocks at drop.
pub struct MutexGuard<'m, 'a> {
    mutex: &'m Mutex<'a>,
}

impl<'a> Mutex<'a> {
    /// The mutex whose state is `word`.
    pub fn new(word: &'a AtomicU32) -> Mutex<'a> {
        Mutex { state: word }
    }

    /// Take the lock, sleeping while another holds it.
    pub fn lock(&self) -> MutexGuard<'_, 'a> {
        if let Err(mut c) = self.state.compare_exchange(0, 1, Acquire, Relaxed) {
            if c != 2 {
                c = self.state.swap(2, Acquire);
            }
            while c != 0 {
                futex::wait(self.state, 2);
                c = self.state.swap(2, Acquire);
            }
        }
        MutexGuard { mutex: self }
    }

    /// Take the lock if it is free.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, 'a>> {
        self.state
            .compare_exchange(0, 1, Acquire, Relaxed)
            .ok()
            .map(|_| MutexGuard { mutex: self })
    }

    fn unlock(&self) {
        if self.state.fetch_sub(1, Release) != 1 {
            self.state.store(0, Release);
            futex::wake(self.state, 1);
        }
    }
}

impl Drop for MutexGuard<'_, '_> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

/// A condition variable on one word (initially 0), used with a [`Mutex`].
pub struct Condvar<'a> {
    seq: &'a AtomicU32,
}

impl<'a> Condvar<'a> {
    pub fn new(word: &'a AtomicU32) -> Condvar<'a> {
        Condvar { seq: word }
    }

    /// Unlock `guard`'s mutex, sleep until notified (or spuriously), lock it again.
    /// As everywhere, the caller re-checks its condition in a loop.
    pub fn wait<'m, 'b>(&self, guard: MutexGuard<'m, 'b>) -> MutexGuard<'m, 'b> {
        let seq = self.seq.load(Acquire);
        let mutex = guard.mutex;
        drop(guard);
        futex::wait(self.seq, seq);
        mutex.lock()
    }

    /// Wake one waiter.
    pub fn notify_one(&self) {
        self.seq.fetch_add(1, Release);
        futex::wake(self.seq, 1);
    }

    /// Wake every waiter.
    pub fn notify_all(&self) {
        self.seq.fetch_add(1, Release);
        futex::wake(self.seq, u32::MAX);
    }
}

/// A counting semaphore on two words: the value, and how many sleep on it.
pub struct Semaphore<'a> {
    value: &'a AtomicU32,
    sleepers: &'a AtomicU32,
}

/// Words a [`Semaphore`] takes.
pub const SEMAPHORE_WORDS: usize = 2;

impl<'a> Semaphore<'a> {
    /// The semaphore kept in `words[0..2]`.
    pub fn new(words: &'a [AtomicU32]) -> Semaphore<'a> {
        Semaphore {
            value: &words[0],
            sleepers: &words[1],
        }
    }

    /// Give it its first value (before anyone uses it).
    pub fn init(&self, value: u32) {
        self.value.store(value, Release);
        self.sleepers.store(0, Release);
    }

    /// The value now.
    pub fn value(&self) -> u32 {
        self.value.load(Acquire)
    }

    /// Take one unit if there is one (`sem_trywait`).
    pub fn try_wait(&self) -> bool {
        let mut v = self.value.load(Relaxed);
        while v > 0 {
            match self.value.compare_exchange_weak(v, v - 1, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => v = now,
            }
        }
        false
    }

    /// Take one unit, sleeping while there is none (`sem_wait`).
    pub fn wait(&self) {
        while !self.try_wait() {
            self.sleepers.fetch_add(1, SeqCst);
            futex::wait(self.value, 0);
            self.sleepers.fetch_sub(1, SeqCst);
        }
    }

    /// As [`Semaphore::wait`], giving up after about `ns` nanoseconds: false then.
    pub fn wait_timeout(&self, ns: u64) -> bool {
        while !self.try_wait() {
            self.sleepers.fetch_add(1, SeqCst);
            let in_time = futex::wait_timeout(self.value, 0, ns);
            self.sleepers.fetch_sub(1, SeqCst);
            if !in_time {
                return self.try_wait();
            }
        }
        true
    }

    /// Give one unit back, waking a sleeper if there is one (`sem_post`).
    pub fn post(&self) {
        self.value.fetch_add(1, SeqCst);
        if self.sleepers.load(SeqCst) != 0 {
            futex::wake(self.value, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::sync::Arc;
    use std::vec::Vec;

    #[test]
    fn mutex_keeps_a_shared_count_exact() {
        let words: Arc<Vec<AtomicU32>> = Arc::new((0..2).map(|_| AtomicU32::new(0)).collect());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let w = words.clone();
                std::thread::spawn(move || {
                    let m = Mutex::new(&w[0]);
                    for _ in 0..10_000 {
                        let _g = m.lock();
                        // A non-atomic read-modify-write, made safe only by the lock.
                        let v = w[1].load(Relaxed);
                        w[1].store(v + 1, Relaxed);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(words[1].load(Relaxed), 40_000);
        assert_eq!(words[0].load(Relaxed), 0, "free at the end");
        assert!(Mutex::new(&words[0]).try_lock().is_some());
    }

    #[test]
    fn semaphores_make_a_bounded_buffer_that_loses_nothing() {
        const SLOTS: usize = 4;
        const ITEMS: u32 = 5_000;
        // words: empty(2) full(2) mutex head tail slots...
        let w: Arc<Vec<AtomicU32>> = Arc::new((0..7 + SLOTS).map(|_| AtomicU32::new(0)).collect());
        Semaphore::new(&w[0..2]).init(SLOTS as u32);
        Semaphore::new(&w[2..4]).init(0);
        let producer = |w: Arc<Vec<AtomicU32>>, base: u32| {
            std::thread::spawn(move || {
                let (empty, full, m) = (
                    Semaphore::new(&w[0..2]),
                    Semaphore::new(&w[2..4]),
                    Mutex::new(&w[4]),
                );
                for i in 0..ITEMS {
                    empty.wait();
                    {
                        let _g = m.lock();
                        let head = w[5].load(Relaxed);
                        w[7 + head as usize % SLOTS].store(base + i, Relaxed);
                        w[5].store(head + 1, Relaxed);
                    }
                    full.post();
                }
            })
        };
        let consumer = |w: Arc<Vec<AtomicU32>>| {
            std::thread::spawn(move || {
                let (empty, full, m) = (
                    Semaphore::new(&w[0..2]),
                    Semaphore::new(&w[2..4]),
                    Mutex::new(&w[4]),
                );
                let mut got = Vec::new();
                for _ in 0..ITEMS {
                    full.wait();
                    {
                        let _g = m.lock();
                        let tail = w[6].load(Relaxed);
                        got.push(w[7 + tail as usize % SLOTS].load(Relaxed));
                        w[6].store(tail + 1, Relaxed);
                    }
                    empty.post();
                }
                got
            })
        };
        let ps = [producer(w.clone(), 0), producer(w.clone(), 1 << 20)];
        let cs = [consumer(w.clone()), consumer(w.clone())];
        for p in ps {
            p.join().unwrap();
        }
        let mut all: Vec<u32> = cs.into_iter().flat_map(|c| c.join().unwrap()).collect();
        all.sort_unstable();
        let mut want: Vec<u32> = (0..ITEMS)
            .chain((0..ITEMS).map(|i| (1 << 20) + i))
            .collect();
        want.sort_unstable();
        assert_eq!(all, want, "every item exactly once");
        assert_eq!(Semaphore::new(&w[0..2]).value(), SLOTS as u32);
    }

    #[test]
    fn condvar_wakes_a_waiter_that_rechecks() {
        let w: Arc<Vec<AtomicU32>> = Arc::new((0..3).map(|_| AtomicU32::new(0)).collect());
        let w2 = w.clone();
        let t = std::thread::spawn(move || {
            let (m, c) = (Mutex::new(&w2[0]), Condvar::new(&w2[1]));
            let mut g = m.lock();
            while w2[2].load(Relaxed) == 0 {
                g = c.wait(g);
            }
            drop(g);
        });
        {
            let (m, c) = (Mutex::new(&w[0]), Condvar::new(&w[1]));
            let _g = m.lock();
            w[2].store(1, Relaxed);
            c.notify_all();
        }
        t.join().unwrap();
    }

    #[test]
    fn try_wait_takes_only_what_there_is() {
        let w = [AtomicU32::new(0), AtomicU32::new(0)];
        let s = Semaphore::new(&w);
        s.init(2);
        assert!(s.try_wait() && s.try_wait());
        assert!(!s.try_wait());
        s.post();
        assert!(s.wait_timeout(1));
        assert_eq!(s.value(), 0);
    }
}
