//! The lock-order checker: finds the spinlock orderings that could deadlock two CPUs
//! before they do (a small cousin of Linux's lockdep; `lockcheck` on the kernel command
//! line switches it on).
//!
//! It is compiled into the kernel that the xtask builds with `--cfg=dinos_lockcheck`
//! (`target/kernel-lockcheck`, used by the in-kernel tests and `usertests`, and by
//! `cargo xtask run --lockcheck`); the ordinary kernel leaves the hooks out, since
//! even switched off they cost every spinlock a few instructions (measured: +142 on
//! the pipe round trip).
//!
//! Two CPUs deadlock when one holds A and waits for B while the other holds B and waits
//! for A. That needs no bad luck to be *possible*: it is enough that some path takes B
//! while holding A and another takes A while holding B (or A before B before C before
//! A, through more locks). So the checker does not wait for the deadlock. It keeps, per
//! CPU, the locks held right now, and for the whole kernel the graph of every "taken
//! while holding" pair it has seen. A new pair H -> L that closes a cycle (L already
//! reaches H) is reported at once, with the two sites and the chain, whether or not the
//! timing ever lined up.
//!
//! Scope and cost. A lock's *class* is its address, and only locks inside the kernel
//! image (statics) have classes: a lock in the heap can be freed and its address given
//! to another lock of another kind, which would make stale edges lie. Per-object locks
//! are therefore not checked; the global ones that order the kernel (the scheduler, the
//! VFS, the process table, the heap, the console) are. A spinlock held longer than
//! [`LONG_HOLD_NS`] is reported too (once per lock). Off, each lock and unlock costs one
//! relaxed load (in the checker's kernel). On, the tables are fixed arrays of atomics, so checking never takes a
//! lock or allocates; what does not fit is counted.
#![cfg_attr(not(dinos_lockcheck), allow(dead_code))]

use core::panic::Location;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// Lock classes the checker can tell apart (static locks of the kernel).
const CLASSES: usize = 512;
/// Locks one CPU can hold at once and still be checked.
pub(crate) const MAX_HELD: usize = 12;
/// Longer than this with a spinlock held (interrupts off) is reported.
pub const LONG_HOLD_NS: u64 = 100_000_000;

static ON: AtomicBool = AtomicBool::new(false);
static DATA: (AtomicU64, AtomicU64) = (AtomicU64::new(0), AtomicU64::new(0));

/// Class id + 1 -> lock address (open addressing by address; 0 = free).
static ADDRS: [AtomicUsize; CLASSES] = [const { AtomicUsize::new(0) }; CLASSES];
/// Where each class was first taken (a `&'static Location`).
static FIRST_SITE: [AtomicPtr<Location<'static>>; CLASSES] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; CLASSES];
/// `EDGES[a]` bit b: lock b was taken while a was held.
static EDGES: [[AtomicU64; CLASSES / 64]; CLASSES] =
    [const { [const { AtomicU64::new(0) }; CLASSES / 64] }; CLASSES];
/// Where the edge a -> b was first seen, for a few edges per class (the report's
/// "earlier" site): `(b + 1, site)` pairs.
static EDGE_SITES: [[(AtomicU32, AtomicPtr<Location<'static>>); 4]; CLASSES] =
    [const { [const { (AtomicU32::new(0), AtomicPtr::new(core::ptr::null_mut())) }; 4] }; CLASSES];
static REPORTED_LONG: [AtomicBool; CLASSES] = [const { AtomicBool::new(false) }; CLASSES];
/// The last acquisition of each class: which CPU, where (for the stuck-waiter report).
static HOLDER_CPU: [AtomicU32; CLASSES] = [const { AtomicU32::new(0) }; CLASSES];
static HOLDER_SITE: [AtomicPtr<Location<'static>>; CLASSES] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; CLASSES];
/// A waiter spinning longer than this reports once (a deadlock, or a holder that
/// never lets go).
pub const STUCK_NS: u64 = 2_000_000_000;
static STUCK: AtomicU64 = AtomicU64::new(0);

static INVERSIONS: AtomicU64 = AtomicU64::new(0);
static LONG_HOLDS: AtomicU64 = AtomicU64::new(0);
static UNTRACKED: AtomicU64 = AtomicU64::new(0);

/// One CPU's held locks (only that CPU touches its own, with interrupts off).
pub(crate) struct Held {
    ids: [AtomicU32; MAX_HELD],
    since: [AtomicU64; MAX_HELD],
    depth: AtomicUsize,
    /// The checker is printing a report on this CPU: its own locks are not checked.
    busy: AtomicBool,
}

impl Held {
    pub(crate) const fn new() -> Held {
        Held {
            ids: [const { AtomicU32::new(0) }; MAX_HELD],
            since: [const { AtomicU64::new(0) }; MAX_HELD],
            depth: AtomicUsize::new(0),
            busy: AtomicBool::new(false),
        }
    }
}

/// Is the checker compiled into this kernel?
pub const BUILT_IN: bool = cfg!(dinos_lockcheck);

/// Switch the checker on (from the kernel command line, early in boot). Returns false
/// in a kernel built without it.
pub fn enable() -> bool {
    if !BUILT_IN {
        return false;
    }
    let l = crate::addr::kernel_layout();
    DATA.0.store(l.data.0.as_u64(), Ordering::Relaxed);
    DATA.1.store(l.data.1.as_u64(), Ordering::Relaxed);
    ON.store(true, Ordering::SeqCst);
    true
}

pub fn is_on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Waits that went on longer than [`STUCK_NS`].
pub fn stuck_waits() -> u64 {
    STUCK.load(Ordering::Relaxed)
}

/// Inversions found so far, spinlocks held too long, and lock acquisitions that could
/// not be checked (too many classes, or too many locks held at once).
pub fn counts() -> (u64, u64, u64) {
    (
        INVERSIONS.load(Ordering::Relaxed),
        LONG_HOLDS.load(Ordering::Relaxed),
        UNTRACKED.load(Ordering::Relaxed),
    )
}

/// Lock classes seen and orderings ("taken while holding") recorded so far.
pub fn graph_size() -> (usize, usize) {
    let classes = ADDRS
        .iter()
        .filter(|a| a.load(Ordering::Relaxed) != 0)
        .count();
    let edges = EDGES
        .iter()
        .flat_map(|row| row.iter())
        .map(|w| w.load(Ordering::Relaxed).count_ones() as usize)
        .sum();
    (classes, edges)
}

/// The class of the lock at `addr`, made on first sight (None for a lock outside the
/// kernel image, or when the table is full).
fn class_of(addr: usize) -> Option<usize> {
    let a = addr as u64;
    if a < DATA.0.load(Ordering::Relaxed) || a >= DATA.1.load(Ordering::Relaxed) {
        return None;
    }
    let mut i = (addr >> 3).wrapping_mul(0x9E37_79B9) % CLASSES;
    for _ in 0..CLASSES {
        match ADDRS[i].compare_exchange(0, addr, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Some(i),
            Err(x) if x == addr => return Some(i),
            Err(_) => i = (i + 1) % CLASSES,
        }
    }
    UNTRACKED.fetch_add(1, Ordering::Relaxed);
    None
}

fn has_edge(a: usize, b: usize) -> bool {
    EDGES[a][b / 64].load(Ordering::Relaxed) & (1 << (b % 64)) != 0
}

/// Is `to` reachable from `from` along recorded edges? The path found is written to
/// `path` (from `from`, at most its length) and its length returned.
fn reaches(from: usize, to: usize, path: &mut [usize; 8]) -> usize {
    let mut seen = [0u64; CLASSES / 64];
    // Depth-first with an explicit stack of (class, next candidate).
    let mut stack = [(0usize, 0usize); 8];
    let mut depth = 1;
    stack[0] = (from, 0);
    seen[from / 64] |= 1 << (from % 64);
    while depth > 0 {
        let (node, next) = stack[depth - 1];
        if node == to {
            for (k, p) in path.iter_mut().enumerate().take(depth) {
                *p = stack[k].0;
            }
            return depth;
        }
        let found =
            (next..CLASSES).find(|&c| has_edge(node, c) && seen[c / 64] & (1 << (c % 64)) == 0);
        match found {
            Some(c) => {
                stack[depth - 1].1 = c + 1;
                seen[c / 64] |= 1 << (c % 64);
                if depth < stack.len() {
                    stack[depth] = (c, 0);
                    depth += 1;
                }
            }
            None => depth -= 1,
        }
    }
    0
}

fn edge_site(a: usize, b: usize) -> Option<&'static Location<'static>> {
    EDGE_SITES[a]
        .iter()
        .find(|(id, _)| id.load(Ordering::Relaxed) == b as u32 + 1)
        .and_then(|(_, s)| {
            let p = s.load(Ordering::Relaxed);
            // SAFETY: only `&'static Location`s are stored (see `acquired`).
            (!p.is_null()).then(|| unsafe { &*p })
        })
}

fn name(class: usize) -> (&'static str, u64) {
    let addr = ADDRS[class].load(Ordering::Relaxed) as u64;
    crate::symbols::lookup(addr).unwrap_or(("?", addr))
}

fn report_cycle(held: usize, taking: usize, site: &'static Location<'static>) {
    INVERSIONS.fetch_add(1, Ordering::Relaxed);
    let mut path = [0usize; 8];
    let n = reaches(taking, held, &mut path);
    let (hn, ho) = name(held);
    let (tn, to) = name(taking);
    crate::kprintln!(
        "lockcheck: lock order inversion on CPU {}: taking {tn}+{to:#x} at {site} while holding {hn}+{ho:#x}, but the opposite order was seen before:",
        crate::percpu::cpu_index()
    );
    for w in path[..n].windows(2) {
        let (an, ao) = name(w[0]);
        let (bn, bo) = name(w[1]);
        match edge_site(w[0], w[1]) {
            Some(s) => crate::kprintln!(
                "lockcheck:   {bn}+{bo:#x} taken while holding {an}+{ao:#x} at {s}"
            ),
            None => crate::kprintln!("lockcheck:   {bn}+{bo:#x} taken while holding {an}+{ao:#x}"),
        }
    }
    crate::backtrace::print_here();
}

/// A spinlock at `addr` was just taken at `site`; `check` is false for a `try_lock`
/// (which cannot wait, so cannot deadlock, but whatever is taken under it counts).
#[inline]
pub(crate) fn acquired(addr: usize, site: &'static Location<'static>, check: bool) {
    if ON.load(Ordering::Relaxed) {
        acquired_slow(addr, site, check);
    }
}

#[inline(never)]
fn acquired_slow(addr: usize, site: &'static Location<'static>, check: bool) {
    let held = &crate::percpu::this().lockcheck;
    if held.busy.load(Ordering::Relaxed) {
        return;
    }
    let Some(class) = class_of(addr) else { return };
    let _ = FIRST_SITE[class].compare_exchange(
        core::ptr::null_mut(),
        site as *const _ as *mut _,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    HOLDER_CPU[class].store(crate::percpu::cpu_index() as u32, Ordering::Relaxed);
    HOLDER_SITE[class].store(site as *const _ as *mut _, Ordering::Relaxed);
    let depth = held.depth.load(Ordering::Relaxed);
    held.busy.store(true, Ordering::Relaxed);
    for h in held.ids[..depth.min(MAX_HELD)].iter() {
        let h = h.load(Ordering::Relaxed) as usize;
        if h == 0 || h - 1 == class {
            continue;
        }
        let h = h - 1;
        if has_edge(h, class) {
            continue;
        }
        let mut path = [0usize; 8];
        if check && reaches(class, h, &mut path) > 0 {
            report_cycle(h, class, site);
        }
        EDGES[h][class / 64].fetch_or(1 << (class % 64), Ordering::Relaxed);
        if let Some((id, s)) = EDGE_SITES[h]
            .iter()
            .find(|(id, _)| id.load(Ordering::Relaxed) == 0)
        {
            id.store(class as u32 + 1, Ordering::Relaxed);
            s.store(site as *const _ as *mut _, Ordering::Relaxed);
        }
    }
    held.busy.store(false, Ordering::Relaxed);
    if depth < MAX_HELD {
        held.ids[depth].store(class as u32 + 1, Ordering::Relaxed);
        held.since[depth].store(crate::apic::nanos_since_boot(), Ordering::Relaxed);
    } else {
        UNTRACKED.fetch_add(1, Ordering::Relaxed);
    }
    held.depth.store(depth + 1, Ordering::Relaxed);
}

/// A CPU has been spinning for the lock at `addr` (taken at `site`) since `since`
/// (nanoseconds since boot): after [`STUCK_NS`], say so once per wait, with who took
/// the lock last and where. A deadlock shows up here as two such lines.
#[inline(never)]
pub(crate) fn spinning(addr: usize, site: &'static Location<'static>, since: u64) -> bool {
    if !ON.load(Ordering::Relaxed) {
        return false;
    }
    let waited = crate::apic::nanos_since_boot().saturating_sub(since);
    if waited < STUCK_NS {
        return false;
    }
    let held = &crate::percpu::this().lockcheck;
    if held.busy.swap(true, Ordering::Relaxed) {
        return true;
    }
    STUCK.fetch_add(1, Ordering::Relaxed);
    let me = crate::percpu::cpu_index();
    match class_of(addr) {
        Some(c) => {
            let (n, o) = name(c);
            let p = HOLDER_SITE[c].load(Ordering::Relaxed);
            let cpu = HOLDER_CPU[c].load(Ordering::Relaxed);
            if p.is_null() {
                crate::kprintln!("lockcheck: CPU {me} has waited {} ms for {n}+{o:#x} at {site}", waited / 1_000_000);
            } else {
                // SAFETY: only `&'static Location`s are stored (see `acquired`).
                let by = unsafe { &*p };
                crate::kprintln!(
                    "lockcheck: CPU {me} has waited {} ms for {n}+{o:#x} at {site}; last taken by CPU {cpu} at {by}",
                    waited / 1_000_000
                );
            }
        }
        None => crate::kprintln!(
            "lockcheck: CPU {me} has waited {} ms for the lock at {addr:#x} (not a static) at {site}",
            waited / 1_000_000
        ),
    }
    crate::backtrace::print_here();
    held.busy.store(false, Ordering::Relaxed);
    true
}

/// The spinlock at `addr` is being released.
#[inline]
pub(crate) fn released(addr: usize) {
    if ON.load(Ordering::Relaxed) {
        released_slow(addr);
    }
}

#[inline(never)]
fn released_slow(addr: usize) {
    let held = &crate::percpu::this().lockcheck;
    if held.busy.load(Ordering::Relaxed) {
        return;
    }
    let a = addr as u64;
    if a < DATA.0.load(Ordering::Relaxed) || a >= DATA.1.load(Ordering::Relaxed) {
        return;
    }
    let depth = held.depth.load(Ordering::Relaxed);
    if depth == 0 {
        return; // taken before the checker was on
    }
    // Guards may be dropped in any order: find this lock's entry, newest first.
    let top = depth.min(MAX_HELD);
    let Some(i) = (0..top).rev().find(|&i| {
        let id = held.ids[i].load(Ordering::Relaxed) as usize;
        id != 0 && ADDRS[id - 1].load(Ordering::Relaxed) == addr
    }) else {
        if depth > MAX_HELD {
            held.depth.store(depth - 1, Ordering::Relaxed);
        }
        return;
    };
    let class = held.ids[i].load(Ordering::Relaxed) as usize - 1;
    let took =
        crate::apic::nanos_since_boot().saturating_sub(held.since[i].load(Ordering::Relaxed));
    for j in i..top - 1 {
        held.ids[j].store(held.ids[j + 1].load(Ordering::Relaxed), Ordering::Relaxed);
        held.since[j].store(held.since[j + 1].load(Ordering::Relaxed), Ordering::Relaxed);
    }
    held.ids[top - 1].store(0, Ordering::Relaxed);
    held.depth.store(depth - 1, Ordering::Relaxed);
    if took > LONG_HOLD_NS && !REPORTED_LONG[class].swap(true, Ordering::Relaxed) {
        LONG_HOLDS.fetch_add(1, Ordering::Relaxed);
        held.busy.store(true, Ordering::Relaxed);
        let (n, o) = name(class);
        let p = FIRST_SITE[class].load(Ordering::Relaxed);
        let ms = took / 1_000_000;
        if p.is_null() {
            crate::kprintln!("lockcheck: spinlock {n}+{o:#x} held {ms} ms with interrupts off");
        } else {
            // SAFETY: only `&'static Location`s are stored (see `acquired`).
            let first = unsafe { &*p };
            crate::kprintln!(
                "lockcheck: spinlock {n}+{o:#x} held {ms} ms with interrupts off (first taken at {first})"
            );
        }
        held.busy.store(false, Ordering::Relaxed);
    }
}
