//! The user-mode boundary: entering ring 3, the `syscall` entry, and user memory access.
//!
//! - **Entry by `syscall`.** The CPU jumps to `hal_syscall_entry` with interrupts masked
//!   and TF, DF, NT and AC cleared (FMASK), and the user's stack still loaded. The stub
//!   swaps in the kernel's GS (`swapgs`: this CPU's [`crate::percpu`] data), keeps the
//!   user's `rsp` there for a moment, switches to the thread's kernel
//!   stack and builds the *same* [`TrapFrame`] an interrupt would (call number in `rax`,
//!   arguments in `rdi, rsi, rdx, r10, r8, r9`), saves the FPU/SSE state, and calls the
//!   handler that the system-call layer registered. The result goes back in `rax`. The
//!   return is `iretq` from that frame, so a handler (or a signal, later) may rewrite any
//!   user register and it takes effect.
//! - **Entering user mode** ([`enter_user`]) builds an interrupt-return frame with ring-3
//!   selectors and `iretq`s to it, with every general register zeroed.
//! - **User memory** is never dereferenced directly. [`copy_from_user`]/[`copy_to_user`]
//!   translate each page through the active page table, require the USER bit (and
//!   WRITABLE to write), and copy through the direct map. A bad pointer is therefore an
//!   error value (EFAULT above), never a kernel page fault.
//!
//! The boundary's numbers (where user space ends, the flags a program keeps, the MSRs),
//! the FPU start state and how a buffer splits into checked pages are in [`x86::user`]
//! and [`x86::regs`]; this module holds the entry stubs and the copies themselves.

#[cfg(not(dinos_kernel))]
use crate::paging::PageFlags;
use crate::trap::TrapFrame;
use x86::regs::rflags;
pub use x86::user::{BadAddress, FpuState, SYSCALL_VECTOR, USER_MAP_END, USER_TOP};

/// RFLAGS bits cleared on every `syscall` entry (`IA32_FMASK`); see [`rflags::SYSCALL_CLEARED`].
pub const SYSCALL_FLAGS_CLEARED: u64 = rflags::SYSCALL_CLEARED;

#[cfg(dinos_kernel)]
core::arch::global_asm!(
    r#"
    .section .text.syscall, "ax"
    .global hal_syscall_entry
hal_syscall_entry:
    swapgs                          /* the kernel's GS: this CPU's per-CPU data */
    mov gs:[{user_rsp}], rsp
    mov rsp, gs:[{kstack_top}]
    push {user_ds}
    push qword ptr gs:[{user_rsp}]
    push r11                        /* user rflags */
    push {user_cs}
    push rcx                        /* user rip */
    push 0                          /* error code */
    push {vector}
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rbx, rsp
    sub rsp, 512
    and rsp, -64
    fxsave64 [rsp]
    mov rdi, rbx
    sti
    call hal_syscall_dispatch
    cli
    fxrstor64 [rsp]
    mov rsp, rbx
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16
    swapgs                          /* the user's GS again */
    iretq

    .global hal_enter_user
hal_enter_user:                     /* rdi = rip, rsi = rsp */
    cli
    push {user_ds}
    push rsi
    push 0x202                      /* IF set, reserved bit 1 */
    push {user_cs}
    push rdi
    fninit
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    swapgs
    iretq

    .global hal_enter_user_frame
hal_enter_user_frame:               /* rdi = &TrapFrame (copy), rsi = &FpuState */
    fxrstor64 [rsi]
    mov rsp, rdi
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16
    swapgs
    iretq
"#,
    user_ds = const crate::cpu::USER_DS as u64,
    user_cs = const crate::cpu::USER_CS as u64,
    vector = const SYSCALL_VECTOR,
    user_rsp = const crate::percpu::USER_RSP,
    kstack_top = const crate::percpu::KSTACK_TOP,
);

/// A system-call handler: reads the call from `frame`, writes the result to `frame.rax`.
pub type SyscallHandler = fn(&mut TrapFrame);

/// The dispatcher of a task that has none: every call is ENOSYS.
pub fn no_syscalls(frame: &mut TrapFrame) {
    frame.rax = (-38i64) as u64; // ENOSYS
}

#[cfg_attr(dinos_kernel, no_mangle)]
extern "C" fn hal_syscall_dispatch(frame: &mut TrapFrame) {
    SYSCALLS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    // Each task carries its program's dispatcher (its personality's table).
    (crate::task::current_syscall_handler())(frame);
    crate::cpu::disable_interrupts();
    crate::trap::return_to_user(frame);
    // The stub pushed ring-3 selectors and the user's own flags, and handlers that
    // rewrite the frame (exec, sigreturn) set only user flags: the return address is
    // what remains to be checked, and it is one comparison on the fast path.
    if frame.rip >= USER_TOP {
        sanitise_user_frame(frame);
    }
}

/// System calls made since boot (one instruction on the entry path; what a fuzzer
/// or a benchmark reads to count the calls really made, `sysinfo`'s `syscalls`).
static SYSCALLS: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// How many system calls programs have made since boot.
pub fn syscalls_made() -> u64 {
    SYSCALLS.load(core::sync::atomic::Ordering::Relaxed)
}

/// Make `frame` safe to `iretq` to: ring-3 selectors, user flags only (IF on, IOPL 0),
/// and a canonical user `rip`. Every path back to user mode ends here (the trap and
/// system-call returns, and a forked child's first entry).
///
/// A `rip` outside user space cannot be resumed: `iretq` would raise #GP in ring 0. It
/// happens when a program's last instruction ends exactly at [`USER_TOP`] (the return
/// address of a `syscall` there is the first non-canonical address), or when a handler
/// wrote a bad value. The program then gets what a CPU gives for a jump there: a
/// general-protection fault, handed to the user-fault hook (a signal) with the bad
/// address as its fault address. The hook either ends the program or redirects the
/// frame to a signal handler, whose address was checked when it was installed.
#[cold]
pub(crate) fn sanitise_user_frame(frame: &mut TrapFrame) {
    frame.cs = crate::cpu::USER_CS as u64;
    frame.ss = crate::cpu::USER_DS as u64;
    frame.rflags = rflags::for_user(frame.rflags);
    while frame.rip >= USER_TOP {
        let bad = frame.rip;
        frame.vector = x86::trap::GENERAL_PROTECTION;
        frame.error_code = 0;
        if !crate::trap::user_fault(frame, bad) {
            // No hook to turn the fault into a signal (the kernel is still booting).
            panic!("return to user mode at the non-canonical address {bad:#x}");
        }
        crate::trap::return_to_user(frame);
        frame.rflags = rflags::for_user(frame.rflags);
    }
}

/// The FPU state saved by the entry stub for the trap or system call whose frame is
/// `frame` (the stub put it at the 64-byte-aligned address 512 bytes below the frame).
pub fn saved_fpu_state(frame: &TrapFrame) -> FpuState {
    let at = ((frame as *const TrapFrame as u64) - 512) & !63;
    let mut s = FpuState([0; 512]);
    // SAFETY: `frame` is the live trap frame of the current entry (callers get it from
    // the dispatcher), and the entry stub stored 512 bytes of FXSAVE data at `at`, inside
    // the same kernel stack, before calling the dispatcher.
    unsafe { core::ptr::copy_nonoverlapping(at as *const u8, s.0.as_mut_ptr(), 512) };
    s
}

/// Replace the FPU state that will be restored when the entry whose frame is `frame`
/// returns (exec gives the new program a clean FPU, sigreturn restores a saved one).
pub fn set_saved_fpu_state(frame: &TrapFrame, state: &FpuState) {
    let at = ((frame as *const TrapFrame as u64) - 512) & !63;
    // SAFETY: as in saved_fpu_state: the 512 bytes at `at` are this entry's save area.
    unsafe { core::ptr::copy_nonoverlapping(state.0.as_ptr(), at as *mut u8, 512) };
}

/// Work on the FPU state of the entry whose frame is `frame` in place, with the frame
/// beside it: a signal frame copies it straight to the user stack, `rt_sigreturn`
/// reads the program's saved state straight into it (512 bytes not copied twice).
pub fn with_saved_fpu_state<R>(
    frame: &mut TrapFrame,
    f: impl FnOnce(&mut TrapFrame, &mut FpuState) -> R,
) -> R {
    let at = ((frame as *const TrapFrame as u64) - 512) & !63;
    // SAFETY: as in saved_fpu_state: the 512 bytes at `at` are this entry's save area,
    // 64-byte aligned (FpuState needs 16), apart from the frame, and written by the
    // entry stub only before the dispatcher runs and read by it only after it returns;
    // the `&mut` borrow of the live frame for the closure's run means no other
    // reference to the area is made meanwhile (every other access goes through this
    // module with the frame).
    let fpu = unsafe { &mut *(at as *mut FpuState) };
    f(frame, fpu)
}

/// Enter user mode with every register (and the FPU state) taken from `frame`/`fpu`:
/// how a forked child starts, as a copy of its parent at the end of `fork`.
pub fn enter_user_frame(frame: &TrapFrame, fpu: &FpuState) -> ! {
    let mut f = frame.clone();
    sanitise_user_frame(&mut f);
    #[cfg(dinos_kernel)]
    {
        extern "C" {
            fn hal_enter_user_frame(frame: *const TrapFrame, fpu: *const FpuState) -> !;
        }
        crate::cpu::disable_interrupts();
        // SAFETY: the frame's selectors are forced to ring 3, its flags to user flags and
        // its rip checked to be a user address (sanitise_user_frame), so the iretq can
        // only resume user code; a bad rsp faults in user mode. `fpu` is aligned.
        unsafe { hal_enter_user_frame(&f, fpu) }
    }
    #[cfg(not(dinos_kernel))]
    {
        let _ = (f, fpu);
        panic!("enter_user_frame on the host")
    }
}

/// Turn on `syscall`/`sysret` and point them at the entry stub (once, at boot).
pub fn init() {
    #[cfg(dinos_kernel)]
    {
        use x86::regs::msr;
        extern "C" {
            fn hal_syscall_entry();
        }
        // SAFETY: EFER.SCE enables the syscall instruction; STAR holds the selector bases
        // that match the GDT layout in cpu.rs (kernel CS 0x08; user base 0x10 so that
        // user SS = 0x18|3 and CS = 0x20|3); LSTAR is the entry stub above; FMASK clears
        // the flags kernel code must not inherit (SYSCALL_FLAGS_CLEARED).
        unsafe {
            crate::cpu::wrmsr(msr::EFER, crate::cpu::rdmsr(msr::EFER) | msr::EFER_SCE);
            let star = msr::star(crate::cpu::KERNEL_CS, x86::descriptors::STAR_USER_BASE);
            crate::cpu::wrmsr(msr::STAR, star);
            crate::cpu::wrmsr(msr::LSTAR, hal_syscall_entry as *const () as u64);
            crate::cpu::wrmsr(msr::FMASK, rflags::SYSCALL_CLEARED);
        }
    }
}

/// Leave the kernel for user mode at `rip` with stack `rsp`, in the active address space.
/// The thread comes back only through system calls and traps.
pub fn enter_user(rip: u64, rsp: u64) -> ! {
    assert!(
        rip < USER_TOP && rsp < USER_TOP,
        "enter_user with a kernel address"
    );
    #[cfg(dinos_kernel)]
    {
        extern "C" {
            fn hal_enter_user(rip: u64, rsp: u64) -> !;
        }
        // SAFETY: both addresses are in the user half (checked), so the CPU can only run
        // user code at ring 3 there; the kernel stack for the next entry is this thread's
        // (the per-CPU kstack_top, kept current by task::switch_to).
        unsafe { hal_enter_user(rip, rsp) }
    }
    #[cfg(not(dinos_kernel))]
    panic!("enter_user on the host")
}

/// Check `[addr, addr+len)` in the active address space ([`x86::user::user_pieces`]) and
/// call `f(direct-map address, offset into the buffer, length)` per page piece. The
/// copies below trust that logic: each piece lies in one USER page, within the buffer.
/// Only host builds copy this way; the kernel lets the MMU check (see the copies).
#[cfg(not(dinos_kernel))]
fn each_user_piece(
    addr: u64,
    len: usize,
    need: PageFlags,
    mut f: impl FnMut(u64, usize, usize),
) -> Result<(), BadAddress> {
    let translate = crate::paging::translate_active;
    x86::user::user_pieces(addr, len, need, translate, |pa, off, n| {
        f(pa.to_virt().as_u64(), off, n)
    })
}

/// Is all of `[addr, addr+len)` mapped now as user memory (and writable, if `write`)?
///
/// The MMU answers: one byte of each page is touched with an instruction that has a
/// fixup (a read, or for `write` a `lock or` of zero, which needs write permission
/// but changes nothing, even with another thread writing the same byte). A page that
/// is missing or read-only faults and the answer is no. That costs a few instructions
/// a page where walking the four levels of the page table in software cost ~60.
pub fn user_range_mapped(addr: u64, len: usize, write: bool) -> bool {
    if user_range(addr, len).is_err() {
        return false;
    }
    if len == 0 {
        return true;
    }
    #[cfg(dinos_kernel)]
    {
        let last = addr + len as u64 - 1;
        let mut page = addr;
        loop {
            // SAFETY: `page` lies in the user half (the whole range was checked above),
            // so the probe touches only user memory; the touch reads a byte or adds
            // zero to it atomically (no value changes), and a fault there resumes at
            // the probe's fixup, which reports it.
            let ok = unsafe {
                if write {
                    hal_user_probe_write(page as *mut u8)
                } else {
                    hal_user_probe_read(page as *const u8)
                }
            };
            if ok != 0 {
                return false;
            }
            let next = (page & !(crate::addr::PAGE_SIZE - 1)) + crate::addr::PAGE_SIZE;
            if next > last {
                return true;
            }
            page = next;
        }
    }
    #[cfg(not(dinos_kernel))]
    {
        let need = if write {
            PageFlags::WRITABLE
        } else {
            PageFlags::empty()
        };
        each_user_piece(addr, len, need, |_, _, _| {}).is_ok()
    }
}

// The user copies: `rep movsq` for the whole words, then `rep movsb` for the rest, on
// the user's own addresses, with a fixup (the way Linux's exception table works). A
// page that is missing or does not allow the access (a write to a copy-on-write page:
// CR0.WP is set at boot, so ring 0 faults on read-only pages too) raises #PF at one of
// the two copy instructions; the trap handler sees that address ([`fault_fixup`]) and
// resumes at the matching fixup, which returns the bytes left (words left times 8 plus
// the tail, or the tail's count). No page-table walk on the way: the MMU does it.
// Words first because a `rep movsb` counts one instruction per byte under `-icount`
// (and on real CPUs without fast strings it is slower too).
#[cfg(dinos_kernel)]
core::arch::global_asm!(
    r#"
    .section .text.hal_user_copy, "ax"
    .global hal_user_copy
hal_user_copy:
    mov rcx, rdx
    shr rcx, 3
    and edx, 7
    .global hal_user_copy_words
hal_user_copy_words:
    rep movsq
    mov rcx, rdx
    .global hal_user_copy_bytes
hal_user_copy_bytes:
    rep movsb
    xor eax, eax
    ret
    .global hal_user_copy_words_fixup
hal_user_copy_words_fixup:
    lea rax, [rdx + rcx * 8]
    ret
    .global hal_user_copy_bytes_fixup
hal_user_copy_bytes_fixup:
    mov rax, rcx
    ret

    .global hal_user_probe_read
hal_user_probe_read:
    .global hal_user_probe_read_insn
hal_user_probe_read_insn:
    mov al, byte ptr [rdi]
    xor eax, eax
    ret
    .global hal_user_probe_write
hal_user_probe_write:
    .global hal_user_probe_write_insn
hal_user_probe_write_insn:
    lock or byte ptr [rdi], 0
    xor eax, eax
    ret
    .global hal_user_probe_fixup
hal_user_probe_fixup:
    mov eax, 1
    ret
"#
);

#[cfg(dinos_kernel)]
extern "C" {
    /// Copy `len` bytes from `src` to `dst`; returns how many were *not* copied (0 on
    /// success). Only ever called with one side a user range checked to lie below
    /// `USER_TOP` and the other a kernel buffer.
    fn hal_user_copy(dst: *mut u8, src: *const u8, len: usize) -> usize;
    static hal_user_copy_words: u8;
    static hal_user_copy_bytes: u8;
    static hal_user_copy_words_fixup: u8;
    static hal_user_copy_bytes_fixup: u8;
    /// Touch one user byte (read it, or atomically add nothing to it): 0 if the page
    /// allows that access, 1 if it faulted (and the fixup returned).
    fn hal_user_probe_read(addr: *const u8) -> u32;
    fn hal_user_probe_write(addr: *mut u8) -> u32;
    static hal_user_probe_read_insn: u8;
    static hal_user_probe_write_insn: u8;
    static hal_user_probe_fixup: u8;
}

/// If a page fault in kernel mode at `rip`, on user address `addr`, is one of the user
/// copies', where to resume (the copy then reports the bytes it did not do).
pub(crate) fn fault_fixup(rip: u64, addr: u64) -> Option<u64> {
    #[cfg(dinos_kernel)]
    {
        // Only the labels' addresses are taken (no read): no `unsafe` needed.
        if addr >= USER_TOP {
            return None;
        }
        if rip == core::ptr::addr_of!(hal_user_copy_words) as u64 {
            Some(core::ptr::addr_of!(hal_user_copy_words_fixup) as u64)
        } else if rip == core::ptr::addr_of!(hal_user_copy_bytes) as u64 {
            Some(core::ptr::addr_of!(hal_user_copy_bytes_fixup) as u64)
        } else if rip == core::ptr::addr_of!(hal_user_probe_read_insn) as u64
            || rip == core::ptr::addr_of!(hal_user_probe_write_insn) as u64
        {
            Some(core::ptr::addr_of!(hal_user_probe_fixup) as u64)
        } else {
            None
        }
    }
    #[cfg(not(dinos_kernel))]
    {
        let _ = (rip, addr);
        None
    }
}

/// `[addr, addr + len)` lies in the user half (so a copy can only touch user pages,
/// and every address in it is canonical).
fn user_range(addr: u64, len: usize) -> Result<(), BadAddress> {
    match addr.checked_add(len as u64) {
        Some(end) if end <= USER_TOP => Ok(()),
        _ => Err(BadAddress(addr)),
    }
}

/// Copy `dst.len()` bytes from user address `src` in the active address space. A bad
/// page stops the copy with an error (callers check whole ranges beforehand when a
/// partial copy would matter).
pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), BadAddress> {
    user_range(src, dst.len())?;
    #[cfg(dinos_kernel)]
    {
        // SAFETY: the source range is in the user half (checked above), so the copy
        // reads only user pages; a page that is not there or not readable faults, and
        // the fixup ends the copy. `dst` is a kernel buffer of exactly `len` bytes.
        let left = unsafe { hal_user_copy(dst.as_mut_ptr(), src as *const u8, dst.len()) };
        if left != 0 {
            return Err(BadAddress(src + (dst.len() - left) as u64));
        }
        Ok(())
    }
    #[cfg(not(dinos_kernel))]
    {
        each_user_piece(src, dst.len(), PageFlags::empty(), |kva, off, n| {
            // SAFETY: host builds never run this (they have no user space).
            unsafe { core::ptr::copy_nonoverlapping(kva as *const u8, dst[off..].as_mut_ptr(), n) };
        })
    }
}

/// Copy `src` to user address `dst` in the active address space.
pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), BadAddress> {
    user_range(dst, src.len())?;
    #[cfg(dinos_kernel)]
    {
        // SAFETY: the destination range is in the user half (checked above), so the
        // copy writes only user pages, and only writable ones: with CR0.WP set a
        // read-only page (copy-on-write, or read-only by the program's choice) faults
        // like a missing one, and the fixup ends the copy. `src` is a kernel buffer.
        let left = unsafe { hal_user_copy(dst as *mut u8, src.as_ptr(), src.len()) };
        if left != 0 {
            return Err(BadAddress(dst + (src.len() - left) as u64));
        }
        Ok(())
    }
    #[cfg(not(dinos_kernel))]
    {
        each_user_piece(dst, src.len(), PageFlags::WRITABLE, |kva, off, n| {
            // SAFETY: host builds never run this (they have no user space).
            unsafe { core::ptr::copy_nonoverlapping(src[off..].as_ptr(), kva as *mut u8, n) };
        })
    }
}

/// Copy `len` bytes of frame `frame` from `off` to user address `dst` in the active
/// address space: how a read copies once, from a page-cache page to the program.
pub fn copy_frame_to_user(
    dst: u64,
    frame: crate::addr::PhysAddr,
    off: usize,
    len: usize,
) -> Result<(), BadAddress> {
    crate::paging::check_frame(frame);
    assert!(off + len <= crate::addr::PAGE_SIZE as usize);
    user_range(dst, len)?;
    #[cfg(dinos_kernel)]
    {
        let src = (frame.to_virt().as_u64() + off as u64) as *const u8;
        // SAFETY: the destination range is in the user half (checked above) and the
        // fixup ends the copy at a page that is missing or read-only, as in
        // `copy_to_user`; the source is `len` bytes inside one data frame (checked:
        // not the kernel image or heap) in the direct map, which the caller holds.
        let left = unsafe { hal_user_copy(dst as *mut u8, src, len) };
        if left != 0 {
            return Err(BadAddress(dst + (len - left) as u64));
        }
        Ok(())
    }
    #[cfg(not(dinos_kernel))]
    {
        let _ = (dst, off);
        Err(BadAddress(dst))
    }
}
