//! What a dynamic linker needs from the start code and the machine: the initial stack
//! it was started with (to hand on to the program), and the three operations that no
//! safe Rust can express (chapter 2 section 5, dynamic linking; docs/linking.md).
//!
//! A dynamic linker writes relocated addresses into memory it has mapped, zeroes the
//! `.bss` tails of the libraries, and finally jumps to the program's entry with the
//! stack the kernel built. Those are [`store_u64`], [`zero`], [`copy`] and
//! [`start_program`]: each an `unsafe fn`, since what makes them sound (the address
//! is inside a mapping the caller made writable and that no Rust object lives in) is
//! the caller's knowledge, and the caller (`/lib/ld-dinos.so`) says why at each use.
//! Everything else a loader does (reading ELF files, finding libraries and symbols) is
//! safe code in the loader.

#![allow(unsafe_code)]

use alloc::vec::Vec;
use spinning_top::Spinlock;

struct Start {
    sp: u64,
    stack: &'static [u8],
    auxv: Vec<(u64, u64)>,
}

static START: Spinlock<Option<Start>> = Spinlock::new(None);

/// Called once by the start code with the initial stack (`rt.rs`).
pub(crate) fn init(sp: u64, stack: &'static [u8], auxv: Vec<(u64, u64)>) {
    *START.lock() = Some(Start { sp, stack, auxv });
}

/// The initial stack pointer (at `argc`), as the kernel left it.
pub fn initial_sp() -> u64 {
    START.lock().as_ref().map_or(0, |s| s.sp)
}

/// The value of auxiliary-vector entry `key` (`abi::auxv::AT_*`), if present.
pub fn auxv(key: u64) -> Option<u64> {
    let s = START.lock();
    s.as_ref()?
        .auxv
        .iter()
        .find(|&&(k, _)| k == key)
        .map(|&(_, v)| v)
}

/// The NUL-terminated string an auxiliary-vector entry points at (`AT_EXECFN`), if it
/// lies in the initial stack.
pub fn auxv_str(key: u64) -> Option<alloc::string::String> {
    let at = auxv(key)?;
    let s = START.lock();
    let s = s.as_ref()?;
    let off = at.checked_sub(s.sp)? as usize;
    let rest = s.stack.get(off..)?;
    let end = rest.iter().position(|&c| c == 0)?;
    core::str::from_utf8(&rest[..end])
        .ok()
        .map(alloc::string::String::from)
}

/// Store `value` at `addr`.
///
/// # Safety
/// `addr` must be 8 bytes of writable memory the caller mapped, holding no Rust object
/// (a relocation target in a loaded image).
pub unsafe fn store_u64(addr: u64, value: u64) {
    // SAFETY: the caller's promise; unaligned stores are allowed on x86-64.
    unsafe { (addr as *mut u64).write_unaligned(value) }
}

/// Zero `len` bytes at `addr`.
///
/// # Safety
/// As for [`store_u64`], for the whole range.
pub unsafe fn zero(addr: u64, len: usize) {
    // SAFETY: the caller's promise.
    unsafe { core::ptr::write_bytes(addr as *mut u8, 0, len) }
}

/// Copy `len` bytes from `from` to `to` (an `R_X86_64_COPY` relocation).
///
/// # Safety
/// `from` readable and `to` writable for `len` bytes, not overlapping, as for
/// [`store_u64`].
pub unsafe fn copy(to: u64, from: u64, len: usize) {
    // SAFETY: the caller's promise.
    unsafe { core::ptr::copy_nonoverlapping(from as *const u8, to as *mut u8, len) }
}

/// Jump to `entry` with the stack pointer at `sp` (the initial stack), never to return:
/// the program starts as if the kernel had started it.
///
/// # Safety
/// `entry` must be the start of a program's code that expects the initial stack at
/// `sp`, and nothing of the caller's is used afterwards.
pub unsafe fn start_program(entry: u64, sp: u64) -> ! {
    crate::io::flush_stdout();
    // SAFETY: the caller's promise; rdx = 0 says "no exit handler to register", as the
    // kernel's start leaves it.
    unsafe {
        core::arch::asm!(
            "mov rsp, {sp}",
            "xor ebp, ebp",
            "xor edx, edx",
            "jmp {entry}",
            sp = in(reg) sp,
            entry = in(reg) entry,
            options(noreturn)
        )
    }
}
