//! Heap tracking: which code holds the kernel-heap blocks allocated since a chosen
//! moment. The leak hunter's tool (Linux's kmemleak asks the same question a different
//! way): start tracking, run a workload that should give back everything it takes, and
//! list the allocations made meanwhile that are still live, each with the kernel call
//! chain that made it. Whatever is listed is either a leak or a container that grew.
//!
//! Off, it costs the allocator one relaxed load per call. On, each allocation records
//! its address, size and the return addresses of its first [`DEPTH`] frames (the
//! kernel keeps frame pointers) in a fixed table, so that tracking itself never
//! allocates; a free looks its block up and forgets it. Blocks allocated before
//! tracking started are not in the table and their frees are ignored. The table holds
//! [`SLOTS`] live blocks; allocations beyond that are counted as missed, not recorded.
//! `/proc/sys/kernel/heap_track` switches it on and off and prints the report.

use crate::sync::SpinLock;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Return addresses kept per allocation.
pub const DEPTH: usize = 6;
/// Live allocations the table can hold (a power of two: the hash is a mask).
pub const SLOTS: usize = 4096;

/// One tracked, still-live allocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tracked {
    pub addr: u64,
    pub size: u64,
    /// Return addresses, innermost first; unused slots are 0.
    pub callers: [u64; DEPTH],
}

struct Table {
    slots: [Tracked; SLOTS],
    live: usize,
}

static ON: AtomicBool = AtomicBool::new(false);
static MISSED: AtomicU64 = AtomicU64::new(0);
static TABLE: SpinLock<Table> = SpinLock::new(Table {
    slots: [Tracked {
        addr: 0,
        size: 0,
        callers: [0; DEPTH],
    }; SLOTS],
    live: 0,
});

fn home(addr: u64) -> usize {
    // Blocks are at least 16-byte aligned: drop the always-zero bits, then mix.
    ((addr >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize & (SLOTS - 1)
}

impl Table {
    fn insert(&mut self, t: Tracked) -> bool {
        if self.live >= SLOTS - SLOTS / 8 {
            return false; // keep probe chains short
        }
        let mut i = home(t.addr);
        while self.slots[i].addr != 0 {
            i = (i + 1) & (SLOTS - 1);
        }
        self.slots[i] = t;
        self.live += 1;
        true
    }

    /// Forget `addr` if tracked (linear probing with backward-shift deletion, so no
    /// tombstones are left behind).
    fn remove(&mut self, addr: u64) {
        let mut i = home(addr);
        loop {
            match self.slots[i].addr {
                0 => return,
                a if a == addr => break,
                _ => i = (i + 1) & (SLOTS - 1),
            }
        }
        self.live -= 1;
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & (SLOTS - 1);
            let a = self.slots[j].addr;
            if a == 0 {
                break;
            }
            // Move entry j into the hole if its home is not in (hole, j] cyclically.
            let h = home(a);
            let stays = if hole <= j {
                hole < h && h <= j
            } else {
                hole < h || h <= j
            };
            if !stays {
                self.slots[hole] = self.slots[j];
                hole = j;
            }
        }
        self.slots[hole] = Tracked::default();
    }
}

/// Start tracking from now on (forgetting what an earlier run recorded), or stop.
pub fn set(on: bool) {
    if on {
        let mut t = TABLE.lock();
        t.slots.fill(Tracked::default());
        t.live = 0;
        MISSED.store(0, Ordering::Relaxed);
    }
    ON.store(on, Ordering::SeqCst);
}

/// Is tracking on?
pub fn is_on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Allocations made while tracking that did not fit the table.
pub fn missed() -> u64 {
    MISSED.load(Ordering::Relaxed)
}

/// Copy the tracked live allocations into `out` (the caller allocates it before, since
/// nothing may allocate under the table's lock); returns how many there are in all.
pub fn snapshot(out: &mut [Tracked]) -> usize {
    let t = TABLE.lock();
    let mut n = 0;
    for s in t.slots.iter().filter(|s| s.addr != 0) {
        if let Some(o) = out.get_mut(n) {
            *o = *s;
        }
        n += 1;
    }
    n
}

/// Called by the allocator for every block it hands out.
#[inline]
pub(crate) fn on_alloc(addr: *mut u8, size: usize) {
    if !ON.load(Ordering::Relaxed) || addr.is_null() {
        return;
    }
    record(addr as u64, size as u64);
}

#[inline(never)]
fn record(addr: u64, size: u64) {
    let rbp: u64;
    // SAFETY: reads the frame pointer register; nothing else.
    unsafe { core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack)) };
    let mut callers = [0; DEPTH];
    // The chain is read only where it lies on a known kernel stack (backtrace.rs).
    crate::backtrace::walk(rbp, &mut callers);
    if !TABLE.lock().insert(Tracked {
        addr,
        size,
        callers,
    }) {
        MISSED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Called by the allocator for every block given back.
#[inline]
pub(crate) fn on_free(addr: *mut u8) {
    if ON.load(Ordering::Relaxed) {
        TABLE.lock().remove(addr as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(addr: u64) -> Tracked {
        Tracked {
            addr,
            size: 16,
            callers: [0; DEPTH],
        }
    }

    #[test]
    fn removal_keeps_every_other_entry_reachable() {
        let mut t = Table {
            slots: [Tracked::default(); SLOTS],
            live: 0,
        };
        // Many addresses, some sharing a home slot, inserted then removed in another order.
        let addrs: alloc::vec::Vec<u64> = (1..=2000u64).map(|i| i * 0x30 + 0x1000).collect();
        for &a in &addrs {
            assert!(t.insert(entry(a)));
        }
        for &a in addrs.iter().step_by(3) {
            t.remove(a);
        }
        for (k, &a) in addrs.iter().enumerate() {
            let mut i = home(a);
            let found = loop {
                match t.slots[i].addr {
                    0 => break false,
                    x if x == a => break true,
                    _ => i = (i + 1) & (SLOTS - 1),
                }
            };
            assert_eq!(found, k % 3 != 0, "address {a:#x}");
        }
        assert_eq!(t.live, addrs.len() - addrs.len().div_ceil(3));
    }
}
