//! `prodcons [-p P] [-c C] [-n ITEMS] [-s SLOTS]`: the bounded-buffer problem solved
//! with shared memory between processes: P producer and C consumer processes (forked)
//! pass ITEMS numbered items through a ring of SLOTS slots in a shared segment,
//! guarded by two counting semaphores (free slots, filled slots) and a mutex, all from
//! `ulib::sync` and all inside the segment. Each consumer counts every item it takes
//! in a tally in the segment; the parent then checks that every item arrived exactly
//! once and prints `prodcons: OK ...` (exit 0) or `prodcons: FAIL ...` (exit 1).
//!
//! `prodcons --pingpong N` runs the shared-memory round trip (`ulib::shm::ping_pong`)
//! N times, and `prodcons --selftest NAME` one of the checks the test suite
//! (`xtask/src/shmtest.rs`) runs: `share`, `frames`, `kill`, `futex`, `names`.
//!
//! The layout of the segment is a list of word indices (no pointers: each process
//! maps it at its own address): the semaphores and the mutex, the ring's next slot to
//! fill and to empty, a claim counter by which consumers share out the items, the
//! slots, and one tally word per item.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering::*};
use ulib::abi::flags::*;
use ulib::abi::signal::SIGKILL;
use ulib::process::{self, Fork};
use ulib::shm::{self, Segment, Shared};
use ulib::sync::{Mutex, Semaphore};
use ulib::{println, sys, Errno};

ulib::entry!(main);

const USAGE: &str = "prodcons [-p P] [-c C] [-n ITEMS] [-s SLOTS] | --pingpong N | --selftest NAME";

// Word indices of the shared state.
const EMPTY: usize = 0; // 2 words: free slots
const FULL: usize = 2; // 2 words: filled slots
const LOCK: usize = 4;
const HEAD: usize = 5; // items put in so far
const TAIL: usize = 6; // items taken out so far
const CLAIMED: usize = 7; // items consumers have claimed
const SLOTS_AT: usize = 8;

struct Plan {
    producers: u32,
    consumers: u32,
    items: u32,
    slots: u32,
}

impl Plan {
    fn tally_at(&self) -> usize {
        SLOTS_AT + self.slots as usize
    }
    fn words(&self) -> usize {
        self.tally_at() + self.items as usize
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--pingpong") => {
            let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
            return match shm::ping_pong(n) {
                Ok(()) => {
                    println!("prodcons: OK: {n} shared-memory round trips");
                    0
                }
                Err(e) => {
                    println!("prodcons: FAIL: ping-pong: {e}");
                    1
                }
            };
        }
        Some("--selftest") => return selftest(args.get(1).map_or("", String::as_str)),
        _ => {}
    }
    let mut plan = Plan {
        producers: 2,
        consumers: 2,
        items: 1000,
        slots: 8,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let field = match a.as_str() {
            "-p" => &mut plan.producers,
            "-c" => &mut plan.consumers,
            "-n" => &mut plan.items,
            "-s" => &mut plan.slots,
            _ => return usage(),
        };
        match it.next().and_then(|v| v.parse::<u32>().ok()) {
            Some(v) => *field = v,
            None => return usage(),
        }
    }
    if plan.producers == 0
        || plan.consumers == 0
        || plan.slots == 0
        || plan.producers + plan.consumers > 32
        || plan.items > 1_000_000
    {
        ulib::eprintln!(
            "prodcons: 1 to 32 processes in all, at least one slot, at most 1000000 items"
        );
        return 2;
    }
    match run(&plan) {
        Ok(()) => {
            println!(
                "prodcons: OK: {} items from {} producers to {} consumers through {} slots, each exactly once",
                plan.items, plan.producers, plan.consumers, plan.slots
            );
            0
        }
        Err(e) => {
            println!("prodcons: FAIL: {e}");
            1
        }
    }
}

fn usage() -> i32 {
    ulib::eprintln!("usage: {USAGE}");
    2
}

/// A fresh segment of `words` words, mapped, its name already gone (private to this
/// process and the children it forks).
fn anonymous_segment(tag: &str, words: usize) -> Result<Shared, String> {
    let name = format!("/prodcons.{tag}.{}", sys::getpid().unwrap_or(0));
    let seg = Segment::create(&name, words * shm::WORD, 0o600)
        .map_err(|e| format!("shm_open {name}: {e}"))?;
    let map = seg.map().map_err(|e| format!("mmap: {e}"));
    let _ = shm::unlink(&name);
    map
}

fn run(plan: &Plan) -> Result<(), String> {
    let map = anonymous_segment("ring", plan.words())?;
    let w = map.words();
    Semaphore::new(&w[EMPTY..EMPTY + 2]).init(plan.slots);
    Semaphore::new(&w[FULL..FULL + 2]).init(0);
    let mut children = Vec::new();
    for p in 0..plan.producers {
        children.push(spawn(|| produce(plan, w, p))?);
    }
    for _ in 0..plan.consumers {
        children.push(spawn(|| consume(plan, w))?);
    }
    let mut failed = 0;
    for pid in children {
        match process::waitpid(pid as i64, 0) {
            Ok(Some((_, st))) if st.success() => {}
            _ => failed += 1,
        }
    }
    if failed != 0 {
        return Err(format!("{failed} worker processes did not finish cleanly"));
    }
    let tally = &w[plan.tally_at()..];
    let lost = tally.iter().filter(|t| t.load(Acquire) == 0).count();
    let twice = tally.iter().filter(|t| t.load(Acquire) > 1).count();
    let (head, tail) = (w[HEAD].load(Acquire), w[TAIL].load(Acquire));
    let free = Semaphore::new(&w[EMPTY..EMPTY + 2]).value();
    if lost != 0 || twice != 0 || head != plan.items || tail != plan.items || free != plan.slots {
        return Err(format!(
            "{lost} items lost, {twice} delivered more than once, {head} put in, {tail} taken out, {free} slots free"
        ));
    }
    Ok(())
}

/// Fork a worker running `work`; its exit status says whether it succeeded.
fn spawn(work: impl FnOnce() -> bool) -> Result<u32, String> {
    match process::fork().map_err(|e| format!("fork: {e}"))? {
        Fork::Child => process::exit(if work() { 0 } else { 1 }),
        Fork::Parent(pid) => Ok(pid),
    }
}

/// Producer `me`: put in the items `me`, `me + P`, `me + 2P`, ... (as item + 1, so
/// an empty slot, 0, is never mistaken for an item).
fn produce(plan: &Plan, w: &[AtomicU32], me: u32) -> bool {
    let (empty, full) = (
        Semaphore::new(&w[EMPTY..EMPTY + 2]),
        Semaphore::new(&w[FULL..FULL + 2]),
    );
    let lock = Mutex::new(&w[LOCK]);
    for item in (me..plan.items).step_by(plan.producers as usize) {
        empty.wait();
        {
            let _g = lock.lock();
            let head = w[HEAD].load(Relaxed);
            w[SLOTS_AT + (head % plan.slots) as usize].store(item + 1, Relaxed);
            w[HEAD].store(head + 1, Relaxed);
        }
        full.post();
    }
    true
}

/// A consumer: claim items one at a time while any are left, take each out of the
/// ring and count it in its tally.
fn consume(plan: &Plan, w: &[AtomicU32]) -> bool {
    let (empty, full) = (
        Semaphore::new(&w[EMPTY..EMPTY + 2]),
        Semaphore::new(&w[FULL..FULL + 2]),
    );
    let lock = Mutex::new(&w[LOCK]);
    let tally = &w[plan.tally_at()..];
    while w[CLAIMED].fetch_add(1, AcqRel) < plan.items {
        full.wait();
        let v = {
            let _g = lock.lock();
            let tail = w[TAIL].load(Relaxed);
            let slot = &w[SLOTS_AT + (tail % plan.slots) as usize];
            let v = slot.swap(0, Relaxed);
            w[TAIL].store(tail + 1, Relaxed);
            v
        };
        empty.post();
        match v.checked_sub(1).and_then(|i| tally.get(i as usize)) {
            Some(t) => {
                t.fetch_add(1, AcqRel);
            }
            None => return false, // an empty slot or a number that was never an item
        }
    }
    true
}

// ---- the checks the test suite runs ---------------------------------------------------

fn selftest(name: &str) -> i32 {
    let r = match name {
        "share" => share(),
        "frames" => frames(),
        "kill" => kill(),
        "futex" => futex(),
        "names" => names(),
        _ => Err(format!(
            "no self-test {name:?} (share, frames, kill, futex, names)"
        )),
    };
    match r {
        Ok(()) => {
            println!("prodcons: OK: selftest {name}");
            0
        }
        Err(e) => {
            println!("prodcons: FAIL: selftest {name}: {e}");
            1
        }
    }
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// Two processes open one segment by name, each maps it on its own: each sees the
/// other's writes (on pages far apart), and a `read` of the descriptor sees them too.
fn share() -> Result<(), String> {
    const NAME: &str = "/prodcons.share";
    const PAGES: usize = 8;
    let seg = Segment::create(NAME, PAGES * 4096, 0o600).map_err(|e| format!("create: {e}"))?;
    let map = seg.map().map_err(|e| format!("mmap: {e}"))?;
    let w = map.words();
    let last = w.len() - 1;
    let child = match process::fork().map_err(|e| format!("fork: {e}"))? {
        Fork::Child => {
            // A second, separate mapping of the segment, opened by name.
            let ok = Segment::open(NAME).and_then(|s| s.map()).is_ok_and(|m| {
                let v = m.words();
                while v[0].load(Acquire) != 1 {
                    let _ = sys::futex(&v[0], FUTEX_WAIT, 0, FUTEX_FOREVER);
                }
                let seen = v[last].load(Acquire) == 0xfeed;
                v[1].store(0xbeef, Release);
                v[0].store(2, Release);
                let _ = sys::futex(&v[0], FUTEX_WAKE, 1, 0);
                seen
            });
            process::exit(if ok { 0 } else { 1 })
        }
        Fork::Parent(pid) => pid,
    };
    w[last].store(0xfeed, Release);
    w[0].store(1, Release);
    let _ = sys::futex(&w[0], FUTEX_WAKE, 1, 0);
    while w[0].load(Acquire) != 2 {
        let _ = sys::futex(&w[0], FUTEX_WAIT, 1, FUTEX_FOREVER);
    }
    let st = process::waitpid(child as i64, 0).map_err(|e| format!("wait: {e}"))?;
    check(st.is_some_and(|(_, s)| s.success()), || {
        "the child did not see the parent's write".into()
    })?;
    check(w[1].load(Acquire) == 0xbeef, || {
        "the parent did not see the child's write".into()
    })?;
    let mut b = [0u8; 4];
    sys::pread(seg.fd(), &mut b, 4).map_err(|e| format!("pread: {e}"))?;
    check(u32::from_ne_bytes(b) == 0xbeef, || {
        format!("read of the segment gave {b:?}")
    })?;
    shm::unlink(NAME).map_err(|e| format!("unlink: {e}"))
}

fn free_frames() -> Result<u64, String> {
    // Let threads that just exited be freed (see usertests' settled_usage).
    let mut last = ulib::info::sysinfo()
        .map_err(|e| format!("sysinfo: {e}"))?
        .free_mem;
    for _ in 0..50 {
        let _ = sys::nanosleep(10_000_000);
        let now = ulib::info::sysinfo()
            .map_err(|e| format!("sysinfo: {e}"))?
            .free_mem;
        if now == last {
            break;
        }
        last = now;
    }
    Ok(last / 4096)
}

/// A segment of 64 pages, touched by a parent and a forked child, unlinked while
/// still mapped and open: its frames stay while anyone has it and come back, every
/// one, after the last unmap and close.
fn frames() -> Result<(), String> {
    const NAME: &str = "/prodcons.frames";
    const PAGES: usize = 64;
    let round = || -> Result<(), String> {
        let seg = Segment::create(NAME, PAGES * 4096, 0o600).map_err(|e| format!("create: {e}"))?;
        let map = seg.map().map_err(|e| format!("mmap: {e}"))?;
        let w = map.words();
        for p in 0..PAGES {
            w[p * 1024].store(p as u32 + 1, Release);
        }
        shm::unlink(NAME).map_err(|e| format!("unlink: {e}"))?;
        let child = spawn(|| {
            (0..PAGES).all(|p| w[p * 1024 + 1].swap(w[p * 1024].load(Acquire), AcqRel) == 0)
        })?;
        let st = process::waitpid(child as i64, 0).map_err(|e| format!("wait: {e}"))?;
        check(st.is_some_and(|(_, s)| s.success()), || {
            "the child saw other bytes".into()
        })?;
        check(
            (0..PAGES).all(|p| w[p * 1024 + 1].load(Acquire) == p as u32 + 1),
            || "the parent did not see the child's writes".into(),
        )?;
        let held = free_frames()?;
        drop(seg); // closed: the mapping still holds it
        check(w[5].load(Acquire) == 0, || {
            "the mapping changed at close".into()
        })?;
        drop(map);
        let after = free_frames()?;
        check(after >= held + PAGES as u64, || {
            format!(
                "only {} frames came back at the last unmap, {PAGES} expected",
                after as i64 - held as i64
            )
        })
    };
    round()?; // warm up: page tables, heap
    let before = free_frames()?;
    for _ in 0..3 {
        round()?;
    }
    let after = free_frames()?;
    check(before == after, || {
        format!(
            "free frames {before} -> {after} ({:+})",
            after as i64 - before as i64
        )
    })
}

/// A child sleeping on a futex of a segment is killed: the kill ends its wait (the
/// kernel keeps no waiter for it: a wake finds nobody), and the survivor, waiting with
/// a timeout on a semaphore the dead one would have posted, goes on.
fn kill() -> Result<(), String> {
    let map = anonymous_segment("kill", 1024)?;
    let w = map.words();
    let sem = Semaphore::new(&w[2..4]);
    sem.init(0);
    let child = spawn(|| {
        w[0].store(1, Release); // about to sleep
        let _ = sys::futex(&w[1], FUTEX_WAIT, 0, FUTEX_FOREVER);
        sem.post(); // never reached: killed first
        true
    })?;
    while w[0].load(Acquire) == 0 {
        let _ = sys::yield_now();
    }
    let _ = sys::nanosleep(50_000_000); // asleep in the kernel by now
    process::kill(child as i64, SIGKILL).map_err(|e| format!("kill: {e}"))?;
    let st = process::waitpid(child as i64, 0).map_err(|e| format!("wait: {e}"))?;
    check(st.is_some_and(|(_, s)| s.signal() == Some(SIGKILL)), || {
        "the child was not killed".into()
    })?;
    let woken = sys::futex(&w[1], FUTEX_WAKE, u32::MAX, 0).map_err(|e| format!("wake: {e}"))?;
    check(woken == 0, || {
        format!("{woken} waiters left behind by the dead process")
    })?;
    check(!sem.wait_timeout(30_000_000), || {
        "a post from the dead?".into()
    })?;
    sem.post();
    check(sem.wait_timeout(30_000_000), || {
        "the survivor's semaphore is wedged".into()
    })
}

/// FUTEX_WAIT: EAGAIN when the word differs, ETIMEDOUT after its timeout (and not
/// much before), woken by FUTEX_WAKE (which says how many it woke), EINVAL for an
/// unaligned word, EFAULT for one outside memory.
fn futex() -> Result<(), String> {
    let map = anonymous_segment("futex", 1024)?;
    let w = map.words();
    w[0].store(7, Release);
    let r = sys::futex(&w[0], FUTEX_WAIT, 6, FUTEX_FOREVER);
    check(r == Err(Errno::EAGAIN), || format!("changed value: {r:?}"))?;
    let t0 = ulib::time::Instant::now();
    let r = sys::futex(&w[0], FUTEX_WAIT, 7, 50_000_000);
    let took = t0.elapsed().as_millis();
    check(r == Err(Errno::ETIMEDOUT), || format!("timeout: {r:?}"))?;
    check((45..2000).contains(&took), || {
        format!("a 50 ms timeout took {took} ms")
    })?;
    // Private memory (not shared) works too, keyed by address.
    let private = AtomicU32::new(3);
    let r = sys::futex(&private, FUTEX_WAIT, 3, 0);
    check(r == Err(Errno::ETIMEDOUT), || {
        format!("private word, zero timeout: {r:?}")
    })?;
    let child = spawn(|| {
        w[1].store(1, Release);
        sys::futex(&w[0], FUTEX_WAIT, 7, 5_000_000_000) == Ok(0)
    })?;
    while w[1].load(Acquire) == 0 {
        let _ = sys::yield_now();
    }
    let mut woken = 0;
    for _ in 0..500 {
        woken = sys::futex(&w[0], FUTEX_WAKE, 10, 0).map_err(|e| format!("wake: {e}"))?;
        if woken != 0 {
            break;
        }
        let _ = sys::nanosleep(1_000_000);
    }
    check(woken == 1, || format!("FUTEX_WAKE woke {woken}"))?;
    let st = process::waitpid(child as i64, 0).map_err(|e| format!("wait: {e}"))?;
    check(st.is_some_and(|(_, s)| s.success()), || {
        "the woken child's FUTEX_WAIT did not return 0".into()
    })?;
    #[allow(unsafe_code)]
    // SAFETY: the raw call passes addresses the kernel must refuse; nothing is touched.
    let (bad_align, bad_addr) = unsafe {
        (
            sys::syscall6(
                ulib::abi::nr::FUTEX,
                [map.addr() + 2, FUTEX_WAKE as usize, 1, 0, 0, 0],
            ),
            sys::syscall6(
                ulib::abi::nr::FUTEX,
                [0x10, FUTEX_WAIT as usize, 0, 0, 0, 0],
            ),
        )
    };
    check(Errno::decode(bad_align) == Err(Errno::EINVAL), || {
        format!("unaligned: {:?}", Errno::decode(bad_align))
    })?;
    check(Errno::decode(bad_addr) == Err(Errno::EFAULT), || {
        format!("unmapped: {:?}", Errno::decode(bad_addr))
    })
}

/// Names: O_EXCL refuses an existing name, a missing name is ENOENT, names with a
/// `/` inside are EINVAL, unlink of a missing name is ENOENT, and a reopened segment
/// keeps its size and bytes until unlinked.
fn names() -> Result<(), String> {
    const NAME: &str = "/prodcons.names";
    let a = Segment::create(NAME, 100, 0o640).map_err(|e| format!("create: {e}"))?;
    let again = Segment::create(NAME, 100, 0o640).err();
    check(again == Some(Errno::EEXIST), || {
        format!("O_EXCL on an existing name: {again:?}")
    })?;
    let missing = Segment::open("/prodcons.none").err();
    check(missing == Some(Errno::ENOENT), || {
        format!("missing name: {missing:?}")
    })?;
    let slash = sys::shm_open("/a/b", O_RDWR | O_CREAT, 0o600).err();
    check(slash == Some(Errno::EINVAL), || {
        format!("name with a slash: {slash:?}")
    })?;
    sys::pwrite(a.fd(), b"hello", 10).map_err(|e| format!("pwrite: {e}"))?;
    let b = Segment::open(NAME).map_err(|e| format!("reopen: {e}"))?;
    let mut st = ulib::abi::Stat::default();
    sys::fstat(b.fd(), &mut st).map_err(|e| format!("fstat: {e}"))?;
    check(
        st.size == 100 && st.mode == S_IFREG | 0o640 && st.nlink == 1,
        || {
            format!(
                "stat: size {} mode {:o} nlink {}",
                st.size, st.mode, st.nlink
            )
        },
    )?;
    let mut buf = [0u8; 5];
    sys::pread(b.fd(), &mut buf, 10).map_err(|e| format!("pread: {e}"))?;
    check(&buf == b"hello", || format!("reopened bytes {buf:?}"))?;
    shm::unlink(NAME).map_err(|e| format!("unlink: {e}"))?;
    let gone = shm::unlink(NAME).err();
    check(gone == Some(Errno::ENOENT), || {
        format!("second unlink: {gone:?}")
    })?;
    sys::fstat(b.fd(), &mut st).map_err(|e| format!("fstat: {e}"))?;
    check(st.nlink == 0, || "unlinked segment still has a name".into())
}
