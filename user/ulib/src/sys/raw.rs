//! The `syscall` instruction itself: the only place a dinos program enters the kernel.
//!
//! The calling convention (abi crate, `docs/abi.md`): call number in `rax`, up to six
//! arguments in `rdi, rsi, rdx, r10, r8, r9`; the result comes back in `rax`, `-errno`
//! on failure. The CPU overwrites `rcx` (return address) and `r11` (flags), so both are
//! declared clobbered. The asm may read and write memory (the kernel fills buffers), so
//! it carries no `nomem`/`readonly` option; it does not touch the stack.
//!
//! The one design decision: these functions are *safe* but visible only inside `sys`
//! (`pub(super)`). A system call can write through any pointer it is given, so soundness
//! rests on the callers, and every caller is a wrapper in `sys/mod.rs` that builds each
//! pointer and length from a live Rust reference of the right size. Nothing else in
//! ulib or in a program can reach this module. The signal-return trampoline the kernel
//! returns through lives here too, since it is nothing but a `syscall`.

#![allow(unsafe_code)]

use core::arch::{asm, global_asm};

pub(super) fn syscall0(n: usize) -> usize {
    let ret;
    // SAFETY: a call with no pointer arguments; the kernel preserves every register but
    // rax, rcx and r11, which are declared as outputs.
    unsafe {
        asm!("syscall", inlateout("rax") n => ret, lateout("rcx") _, lateout("r11") _,
             options(nostack))
    };
    ret
}

pub(super) fn syscall1(n: usize, a1: usize) -> usize {
    let ret;
    // SAFETY: as in `syscall0`; any pointer argument was made from a live reference by
    // the one calling module (`sys`), see the module header.
    unsafe {
        asm!("syscall", inlateout("rax") n => ret, in("rdi") a1,
             lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    ret
}

pub(super) fn syscall2(n: usize, a1: usize, a2: usize) -> usize {
    let ret;
    // SAFETY: as in `syscall1`.
    unsafe {
        asm!("syscall", inlateout("rax") n => ret, in("rdi") a1, in("rsi") a2,
             lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    ret
}

pub(super) fn syscall3(n: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let ret;
    // SAFETY: as in `syscall1`.
    unsafe {
        asm!("syscall", inlateout("rax") n => ret, in("rdi") a1, in("rsi") a2, in("rdx") a3,
             lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    ret
}

pub(super) fn syscall4(n: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> usize {
    let ret;
    // SAFETY: as in `syscall1`.
    unsafe {
        asm!("syscall", inlateout("rax") n => ret, in("rdi") a1, in("rsi") a2, in("rdx") a3,
             in("r10") a4, lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    ret
}

#[allow(dead_code)] // no call takes exactly five arguments yet
pub(super) fn syscall5(n: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize) -> usize {
    let ret;
    // SAFETY: as in `syscall1`.
    unsafe {
        asm!("syscall", inlateout("rax") n => ret, in("rdi") a1, in("rsi") a2, in("rdx") a3,
             in("r10") a4, in("r8") a5, lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    ret
}

pub(super) fn syscall6(
    n: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
    a6: usize,
) -> usize {
    let ret;
    // SAFETY: as in `syscall1`.
    unsafe {
        asm!("syscall", inlateout("rax") n => ret, in("rdi") a1, in("rsi") a2, in("rdx") a3,
             in("r10") a4, in("r8") a5, in("r9") a6, lateout("rcx") _, lateout("r11") _,
             options(nostack))
    };
    ret
}

/// Issue system call `nr` with six arguments exactly as given, unchecked: for test
/// programs (`usertests`) that must pass invalid arguments on purpose (null, kernel or
/// unmapped pointers, closed descriptors, absurd lengths) to check that the kernel
/// refuses them. Normal programs use the typed wrappers of [`crate::sys`]. Re-exported
/// as `ulib::sys::syscall6`.
///
/// # Safety
///
/// The kernel writes through whatever pointers the call takes as outputs and may end,
/// replace or fork the process. The caller must make sure that any *valid* address it
/// passes points at memory that may be overwritten with the call's result (pointers
/// the kernel must refuse, such as null or kernel-half addresses, are fine: the kernel
/// validates every pointer before use), and that calls like `brk`, `munmap` or `exec`
/// do not take away memory the program still uses.
pub unsafe fn syscall6_unchecked(nr: usize, a: [usize; 6]) -> usize {
    // Every argument register is declared clobbered: the short port calls
    // (`port_call_short`, `port_reply_receive_short`) answer in them, and a fuzzer may
    // make those with any arguments.
    syscall_exchange(nr, a).0
}

/// A call whose answer comes back in the argument registers as well as `rax` (the
/// short port calls, docs/ipc.md "The fast path"): the six registers as the kernel left
/// them, `rdi, rsi, rdx, r10, r8, r9`.
pub(super) fn syscall_exchange(n: usize, a: [usize; 6]) -> (usize, [usize; 6]) {
    let ret;
    let mut o = a;
    // SAFETY: as in `syscall1`; every register the kernel may write is an output.
    unsafe {
        asm!("syscall", inlateout("rax") n => ret, inlateout("rdi") o[0], inlateout("rsi") o[1],
             inlateout("rdx") o[2], inlateout("r10") o[3], inlateout("r8") o[4],
             inlateout("r9") o[5], lateout("rcx") _, lateout("r11") _, options(nostack))
    };
    (ret, o)
}

// The signal-return trampoline: a handler installed through `sys::sigaction` returns
// here (its `restorer`), and this asks the kernel to restore the interrupted context.
global_asm!(
    ".pushsection .text.ulib_sigreturn, \"ax\"",
    ".global __ulib_sigreturn",
    "__ulib_sigreturn:",
    "mov eax, {nr}",
    "syscall",
    "ud2",
    ".popsection",
    nr = const abi::nr::SIGRETURN,
);

extern "C" {
    fn __ulib_sigreturn();
}

/// The address of the signal-return trampoline (for `SigAction::restorer`).
pub(super) fn sigreturn_trampoline() -> u64 {
    __ulib_sigreturn as *const () as usize as u64
}
