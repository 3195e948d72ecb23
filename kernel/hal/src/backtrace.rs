//! Frame-pointer backtraces of kernel code.
//!
//! dinos is built with `-C force-frame-pointers=yes`, so each frame starts with the
//! caller's `rbp` and the return address above it. The walker follows that chain but
//! trusts nothing: each frame pointer must be aligned and lie inside a known kernel stack
//! (the running task's, the boot stack, or an IST stack), and the walk stops after
//! [`MAX_FRAMES`]. Frames of the prebuilt `core`, which may not keep frame pointers, are
//! passed over rather than followed.

use crate::trap::{KSTACK_LIMIT, KSTACK_TOP};
use core::sync::atomic::Ordering;

pub const MAX_FRAMES: usize = 32;

fn on_known_stack(addr: u64, len: u64) -> bool {
    let within = |(lo, hi): (u64, u64)| addr >= lo && addr + len <= hi;
    let current = (
        KSTACK_LIMIT.load(Ordering::Relaxed),
        KSTACK_TOP.load(Ordering::Relaxed),
    );
    within(current)
        || within(crate::task::boot_stack())
        || (1..=4).any(|n| within(crate::cpu::ist_stack(n)))
}

/// Call `f` with each return address, starting from the frame whose `rbp` is given.
pub fn walk(mut rbp: u64, mut f: impl FnMut(u64)) {
    for _ in 0..MAX_FRAMES {
        if rbp == 0 || !rbp.is_multiple_of(8) || !on_known_stack(rbp, 16) {
            return;
        }
        // SAFETY: [rbp, rbp+16) lies inside a mapped kernel stack (checked above).
        let (next, ret) = unsafe {
            (
                core::ptr::read_volatile(rbp as *const u64),
                core::ptr::read_volatile((rbp + 8) as *const u64),
            )
        };
        if ret == 0 {
            return;
        }
        f(ret);
        if next <= rbp {
            return; // frames must go up the stack
        }
        rbp = next;
    }
}

/// Print `addr` as `0x... name+0xoff`.
pub fn print_symbol(addr: u64) {
    match crate::symbols::lookup(addr) {
        Some((name, off)) => crate::kprint!("{addr:#018x} {name}+{off:#x}"),
        None => crate::kprint!("{addr:#018x} ?"),
    }
}

/// Print the return addresses of the chain at `rbp`, numbered from `first`, folding runs
/// of the same address (deep recursion) into one line.
fn print_chain(rbp: u64, first: usize) {
    let mut n = first;
    let mut last = 0u64;
    let mut repeats = 0usize;
    walk(rbp, |ret| {
        if ret == last {
            repeats += 1;
            return;
        }
        if repeats > 0 {
            crate::kprintln!("      ... the frame above repeated {repeats} more times");
            repeats = 0;
        }
        crate::kprint!("      #{n:<2} ");
        // A return address points after the call; look up the call itself.
        print_symbol(ret - 1);
        crate::kprintln!();
        n += 1;
        last = ret;
    });
    if repeats > 0 {
        crate::kprintln!("      ... the frame above repeated {repeats} more times");
    }
}

/// Print a backtrace that starts at `rip` with frame pointer `rbp`.
pub fn print_from(rip: u64, rbp: u64) {
    crate::kprintln!("    backtrace:");
    crate::kprint!("      #0  ");
    print_symbol(rip);
    crate::kprintln!();
    print_chain(rbp, 1);
    if !crate::symbols::available() {
        crate::kprintln!("      (no symbol table: build the kernel with `cargo xtask build`)");
    }
}

/// Print a backtrace of the caller.
#[inline(never)]
pub fn print_here() {
    let rbp: u64;
    // SAFETY: reads the frame pointer register.
    unsafe { core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack)) };
    crate::kprintln!("    backtrace:");
    print_chain(rbp, 0);
}
