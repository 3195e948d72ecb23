//! The out-of-memory killer: what happens when a program's page fault finds no frame
//! (chapter 2, 3-2 "resource allocation" and "error detection": the system must go
//! on, and the one to pay is the one who took the memory).
//!
//! User pages stop short of the frames the kernel keeps for itself
//! (`mm::frames::alloc_user_frame`), so when memory runs out the kernel still works
//! and the fault comes here after the page cache has given back what it could. The
//! killer chooses a victim: the process with the most resident pages among those of
//! ordinary users (not root, not init), or the faulting process itself when it is
//! bigger than all of those (so a root program that floods memory ends itself, not
//! a user's small shell). The victim gets SIGKILL and one report, on the console and
//! in the kernel log (`dmesg`):
//!
//! ```text
//! out of memory: killed pid 11 (hog), uid 1000, 57396 KiB resident; the fault was pid 14 (hog), uid 0; 742 of 23751 frames free, 742 kept for the kernel
//! ```
//!
//! A faulting process that is not the victim waits (up to a few seconds) until the
//! victim has released its memory, then takes the fault again. Only one victim is in
//! flight at a time: other faults that find no frame meanwhile wait for the same
//! victim instead of choosing more, so one shortage kills one process.

use crate::process::{self, Pid, Process};
use abi::signal::SIGKILL;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::SpinLock;

/// What the fault path does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Take the fault again: memory was (or is being) freed, or the faulting process
    /// was chosen and has a SIGKILL pending.
    Retry,
    /// The faulting process is the victim: it dies of SIGKILL now.
    KillSelf,
}

/// The victim in flight: its pid and when it was chosen (ns since boot).
static IN_FLIGHT: SpinLock<Option<(Pid, u64)>> = SpinLock::new(None);
/// Processes killed so far (`/proc/sys/vm/oom_kills`).
static KILLS: AtomicU64 = AtomicU64::new(0);

/// How long a faulting process waits for a victim to die before it looks again.
const WAIT_MS: u64 = 3_000;

/// Processes the killer has ended since boot.
pub fn kills() -> u64 {
    KILLS.load(Ordering::Relaxed)
}

/// Is `p` on its way out (SIGKILL pending, its group exiting)? Then its fault
/// needs no victim: the return to user mode ends it.
fn dying(p: &Process) -> bool {
    let s = p.sig.lock();
    s.group_exit.is_some() || s.me_ref().zapped || s.pending_here() & (1u64 << SIGKILL) != 0
}

/// Is the process alive, still holding memory?
fn alive(pid: Pid) -> bool {
    process::get(pid).is_some_and(|p| !p.is_zombie())
}

/// Resident pages of `p`, without waiting for its address space if it is busy
/// (a busy one is tried a few times; then it counts as 0 this time).
fn resident(p: &Process) -> u64 {
    for _ in 0..8 {
        if let Some(a) = p.aspace.try_lock() {
            return a.as_ref().map_or(0, |a| a.resident_pages());
        }
        task::yield_now();
    }
    0
}

/// One candidate's figures.
struct Candidate {
    p: Arc<Process>,
    pages: u64,
    uid: u32,
}

/// The process to kill for a fault of `me` (see the module header).
fn choose(me: &Arc<Process>) -> Candidate {
    let mine = Candidate {
        p: me.clone(),
        pages: resident(me),
        uid: me.with_cred(|c| c.ruid),
    };
    let mut best: Option<Candidate> = None;
    for p in process::all() {
        if p.pid == 1 || p.pid == me.pid || p.is_zombie() || dying(&p) {
            continue;
        }
        let (ruid, euid) = p.with_cred(|c| (c.ruid, c.euid));
        if ruid == 0 || euid == 0 {
            continue; // root's processes are not chosen for others' faults
        }
        let pages = resident(&p);
        if best.as_ref().is_none_or(|b| pages > b.pages) {
            best = Some(Candidate {
                p,
                pages,
                uid: ruid,
            });
        }
    }
    match best {
        // An ordinary user's process at least as big as the faulting one.
        Some(b) if b.pages >= mine.pages => b,
        _ => mine,
    }
}

/// The fault of `me` found no frame, even after the page cache gave back what it
/// could: choose a victim, kill it, and say what the fault path does next.
pub fn out_of_memory(me: &Arc<Process>) -> Verdict {
    if dying(me) {
        return Verdict::Retry;
    }
    let now = hal::apic::nanos_since_boot();
    let waiting_for = {
        let mut f = IN_FLIGHT.lock();
        match *f {
            Some((pid, since))
                if pid != me.pid && alive(pid) && now - since < WAIT_MS * 1_000_000 =>
            {
                Some(pid)
            }
            _ => {
                *f = None;
                None
            }
        }
    };
    if let Some(pid) = waiting_for {
        wait_for(me, pid);
        return Verdict::Retry;
    }
    let v = choose(me);
    let frames = mm::frames::stats().frames;
    // One at a time: the victim may be `me`, and a guard in the same expression as
    // the other would still hold the same spinlock (a self-deadlock, found by
    // `limits::`).
    let name = v.p.name.lock().clone();
    let me_name = me.name.lock().clone();
    log::error!(
        "out of memory: killed pid {} ({name}), uid {}, {} KiB resident; the fault was pid {} ({me_name}), uid {}; {} of {} frames free, {} kept for the kernel",
        v.p.pid,
        v.uid,
        v.pages * 4,
        me.pid,
        me.with_cred(|c| c.ruid),
        frames.free_frames,
        frames.total_frames,
        mm::frames::reserve()
    );
    KILLS.fetch_add(1, Ordering::Relaxed);
    if v.p.pid == me.pid {
        return Verdict::KillSelf;
    }
    *IN_FLIGHT.lock() = Some((v.p.pid, now));
    crate::signal::post(&v.p, SIGKILL);
    let pid = v.p.pid;
    drop(v);
    wait_for(me, pid);
    Verdict::Retry
}

/// Sleep until `pid` has exited (its memory is then free), `me` is being killed, or
/// [`WAIT_MS`] have passed.
fn wait_for(me: &Process, pid: Pid) {
    let mut waited = 0;
    while waited < WAIT_MS && alive(pid) && !dying(me) {
        task::sleep_ms(10);
        waited += 10;
    }
    let mut f = IN_FLIGHT.lock();
    if f.is_some_and(|(p, _)| p == pid) && !alive(pid) {
        *f = None;
    }
}
