//! `threads [-b ROUNDS] [N] [COUNT]`: add 1..=COUNT with N threads of one process
//! (chapter 2: the process is the unit of resources, the thread the unit of execution).
//!
//! Each thread adds its share of the numbers into one total that all of them share,
//! as a read and a separate write (not an atomic add) under `ulib::sync::Mutex`: the
//! lock is what keeps the updates from being lost. It prints the total, the expected
//! value, and that every thread had its own id in the same process. `-b ROUNDS`
//! measures instead: ROUNDS times create one thread and join it, and the mean cost.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use ulib::sync::Mutex;
use ulib::{println, thread};

const USAGE: &str = "threads [-b ROUNDS] [N] [COUNT]";
const ABOUT: &str = "Add 1..=COUNT (default 100000) with N threads (default 4) sharing one \
                     total under a mutex; -b ROUNDS: the cost of a thread create and join.";

struct Shared {
    lock: AtomicU32,
    total: AtomicU64,
    pid: AtomicU64,
    wrong_pid: AtomicU32,
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let p = match ulib::cli::parse(&args, "b") {
        Ok(p) => p,
        Err(c) => {
            ulib::cli::bad_option(c, USAGE);
            return 1;
        }
    };
    let num = |s: Option<&String>, d: u64| s.map_or(Some(d), |s| s.parse::<u64>().ok());
    if p.has('b') {
        let Some(rounds) = num(p.operands.first(), 1000).filter(|r| *r > 0) else {
            ulib::eprintln!("threads: bad ROUNDS");
            return 1;
        };
        return bench(rounds);
    }
    let (Some(n), Some(count)) = (num(p.operands.first(), 4), num(p.operands.get(1), 100_000))
    else {
        ulib::eprintln!("usage: {USAGE}");
        return 1;
    };
    if n == 0 || n > 64 {
        ulib::eprintln!("threads: N must be 1..64");
        return 1;
    }
    let shared = Arc::new(Shared {
        lock: AtomicU32::new(0),
        total: AtomicU64::new(0),
        pid: AtomicU64::new(ulib::sys::getpid().unwrap_or(0) as u64),
        wrong_pid: AtomicU32::new(0),
    });
    let tids: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
    let mut handles = Vec::new();
    for i in 0..n {
        let s = shared.clone();
        let tids = tids.clone();
        let h = thread::spawn(move || {
            if ulib::sys::getpid().unwrap_or(0) as u64 != s.pid.load(Relaxed) {
                s.wrong_pid.fetch_add(1, Relaxed);
            }
            tids[i as usize].store(thread::current_tid(), Relaxed);
            let m = Mutex::new(&s.lock);
            let mut k = i + 1;
            while k <= count {
                let _g = m.lock();
                // A read and a write: two threads between them would lose an update.
                let t = s.total.load(Relaxed);
                s.total.store(t + k, Relaxed);
                k += n;
            }
        });
        match h {
            Ok(h) => handles.push(h),
            Err(e) => {
                ulib::eprintln!("threads: cannot start thread {i}: {e}");
                return 1;
            }
        }
    }
    for h in handles {
        h.join();
    }
    let total = shared.total.load(Relaxed);
    let want = count * (count + 1) / 2;
    let mut seen: Vec<u32> = tids.iter().map(|t| t.load(Relaxed)).collect();
    seen.sort_unstable();
    seen.dedup();
    let me = thread::current_tid() as u64;
    println!(
        "{n} threads: sum {total} (expected {want}); {} distinct tids, none the main one: {}; \
         same pid in every thread: {}",
        seen.len(),
        if seen.iter().all(|t| *t as u64 != me && *t != 0) {
            "yes"
        } else {
            "no"
        },
        if shared.wrong_pid.load(Relaxed) == 0 {
            "yes"
        } else {
            "no"
        }
    );
    if total == want && seen.len() as u64 == n {
        0
    } else {
        1
    }
}

/// Create and join one thread `rounds` times; print the mean.
fn bench(rounds: u64) -> i32 {
    let start = ulib::time::Instant::now();
    for _ in 0..rounds {
        match thread::spawn(|| {}) {
            Ok(h) => h.join(),
            Err(e) => {
                ulib::eprintln!("threads: {e}");
                return 1;
            }
        }
    }
    let ns = start.elapsed().as_nanos() as u64;
    println!(
        "thread create+join: {rounds} rounds, {} ns each",
        ns / rounds
    );
    0
}
