//! Frame-pointer backtraces of kernel code: the stack reads behind them.
//!
//! Following the chain and printing it is pure logic ([`x86::backtrace`]); what needs
//! hal is reading a frame: the two words at a frame pointer are read only if they lie
//! inside a known kernel stack (the running task's, the boot stack, or an IST stack).

use core::sync::atomic::Ordering;
use x86::backtrace::Backtrace;
pub use x86::backtrace::MAX_FRAMES;

fn on_known_stack(addr: u64, len: u64) -> bool {
    let within = |(lo, hi): (u64, u64)| addr >= lo && addr + len <= hi;
    let cpu = crate::percpu::this();
    let current = (
        cpu.kstack_limit.load(Ordering::Relaxed),
        cpu.kstack_top.load(Ordering::Relaxed),
    );
    within(current)
        || within(crate::task::boot_stack())
        || (1..=4).any(|n| within(crate::cpu::ist_stack(n)))
}

/// The caller's `rbp` and the return address saved at frame pointer `rbp`, if the frame
/// lies on a known kernel stack.
fn read_frame(rbp: u64) -> Option<(u64, u64)> {
    if !rbp.is_multiple_of(8) || !on_known_stack(rbp, 16) {
        return None;
    }
    // SAFETY: [rbp, rbp+16) lies inside a mapped kernel stack (checked above), aligned.
    Some(unsafe {
        (
            core::ptr::read_volatile(rbp as *const u64),
            core::ptr::read_volatile((rbp + 8) as *const u64),
        )
    })
}

/// Print a backtrace that starts at `rip` with frame pointer `rbp`.
pub fn print_from(rip: u64, rbp: u64) {
    let symbols = crate::symbols::table();
    let rip = Some(rip);
    crate::kprint!(
        "{}",
        Backtrace {
            rip,
            rbp,
            read_frame,
            symbols
        }
    );
}

/// Print a backtrace of the caller.
#[inline(never)]
pub fn print_here() {
    let rbp: u64;
    // SAFETY: reads the frame pointer register.
    unsafe { core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack)) };
    let symbols = crate::symbols::table();
    crate::kprint!(
        "{}",
        Backtrace {
            rip: None,
            rbp,
            read_frame,
            symbols
        }
    );
}
