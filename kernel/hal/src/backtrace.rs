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

/// The return addresses of the kernel frame-pointer chain from `rbp` into `out`
/// (the profiler's stacks; safe in an interrupt: only known stacks are read). Returns
/// how many were stored.
pub fn walk(mut rbp: u64, out: &mut [u64]) -> usize {
    let mut n = 0;
    while n < out.len() {
        let Some((next, ret)) = read_frame(rbp) else {
            break;
        };
        if ret == 0 {
            break;
        }
        out[n] = ret;
        n += 1;
        if next <= rbp {
            break; // the chain must climb the stack
        }
        rbp = next;
    }
    n
}

/// The user registers saved when the running thread last entered the kernel from
/// user mode (the frame its entry stub left at the top of its kernel stack): `(rip,
/// rbp)`, or None if that frame is not a user one. For the profiler, which samples a
/// program inside a system call.
pub fn user_entry_regs() -> Option<(u64, u64)> {
    let top = crate::percpu::this().kstack_top.load(Ordering::Relaxed);
    let size = core::mem::size_of::<crate::trap::TrapFrame>() as u64;
    let at = top.checked_sub(size)?;
    if top == 0 || !at.is_multiple_of(8) || !on_known_stack(at, size) {
        return None;
    }
    // SAFETY: [at, top) lies inside the running thread's mapped kernel stack (checked
    // above) and is aligned; every bit pattern is a valid TrapFrame (plain integers),
    // and its `cs` is checked before the rest is trusted.
    let f = unsafe { core::ptr::read_volatile(at as *const crate::trap::TrapFrame) };
    if f.cs & 3 == 3 {
        Some((f.rip, f.rbp))
    } else {
        None
    }
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

/// Print the kernel backtrace of `task` where it sleeps (switched out: its saved `rsp`
/// points at the six registers `hal_switch_context` pushed, then the return address
/// into `switch_to`). Every word read must lie inside that task's own stack, so a task
/// that starts running meanwhile gives, at worst, a short or odd trace. Prints
/// nothing for a task that is on a CPU now (its registers are live, not saved).
pub fn print_sleeping(task: &crate::task::Task) -> bool {
    if task.on_cpu() {
        return false;
    }
    let (lo, hi) = task.stack_bounds();
    let read = move |at: u64| -> Option<(u64, u64)> {
        if !at.is_multiple_of(8) || at < lo || at.checked_add(16)? > hi {
            return None;
        }
        // SAFETY: [at, at+16) lies inside `task`'s kernel stack, which stays mapped
        // while the task exists (the caller holds it); aligned; any value is a u64.
        Some(unsafe {
            (
                core::ptr::read_volatile(at as *const u64),
                core::ptr::read_volatile((at + 8) as *const u64),
            )
        })
    };
    // The saved rbp is the sixth word above the saved rsp, the return address the seventh.
    let Some((rbp, ret)) = task.saved_rsp().checked_add(40).and_then(read) else {
        return false;
    };
    crate::kprint!(
        "{}",
        Backtrace {
            rip: Some(ret),
            rbp,
            read_frame: read,
            symbols: crate::symbols::table(),
        }
    );
    true
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
