//! The signal frame of a Linux program (chapter 2, 2.3: a system call's calling
//! convention is part of an OS's ABI, and so is the way the kernel calls a program
//! back): `struct rt_sigframe` as Linux x86-64 builds it, so that an `SA_SIGINFO`
//! handler gets a real `siginfo_t` and `ucontext_t`, and `rt_sigreturn` restores the
//! registers, the mask and the FPU state from that `ucontext_t` (a handler may change
//! them there, and the program resumes with the changes).
//!
//! Layout (arch/x86/include/asm/sigframe.h, uapi/asm/sigcontext.h), from the stack
//! pointer the handler starts with:
//!
//! | offset | what |
//! |---|---|
//! | 0 | return address: the program's `SA_RESTORER` |
//! | 8 | `ucontext`: flags, link, `stack_t` (24 bytes), `sigcontext` (256 bytes: r8-r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags, cs/gs/fs/ss, err, trapno, oldmask, cr2, fpstate pointer, 8 reserved), sigmask |
//! | 312 | `siginfo` (128 bytes): signo, errno, code, then pid/uid or addr |
//!
//! and the 512-byte `fxsave` area, 64-byte aligned, above them (the fpstate
//! pointer names it). The native frame (`signal.rs`) is dinos's own and stays.

use crate::process;
use crate::signal::SigInfo;
use abi::Errno;
use hal::trap::TrapFrame;

const UC_SIZE: u64 = 304;
const INFO_SIZE: u64 = 128;
const FPU_SIZE: u64 = 512;
/// Offsets inside the ucontext.
const UC_STACK: usize = 16;
const UC_MCONTEXT: usize = 40;
const UC_SIGMASK: usize = 296;
/// `ss_flags` values.
const SS_ONSTACK: u32 = 1;
const SS_DISABLE: u32 = 2;

/// Where the frame goes for a stack pointer `rsp`: (return address = the handler's
/// rsp, fpstate). `None` when it would not fit above address 0.
fn frame_at(rsp: u64) -> Option<(u64, u64)> {
    let fpstate = rsp.checked_sub(128 + FPU_SIZE)? & !63;
    let base = (fpstate.checked_sub(8 + UC_SIZE + INFO_SIZE)? & !15).checked_sub(8)?;
    Some((base, fpstate))
}

/// Deliver `sig` to a Linux program: `old_mask` is the mask the handler's return
/// puts back and `alt` the thread's alternate stack, both read by the caller under
/// the one signal-lock hold of the delivery (it sets the handler's mask itself). On
/// the alternate stack for `SA_ONSTACK` unless the thread is on it already.
pub fn deliver(
    frame: &mut TrapFrame,
    sig: u32,
    handler: u64,
    action: &abi::SigAction,
    info: SigInfo,
    old_mask: u64,
    alt: Option<(u64, u64)>,
) -> Result<(), Errno> {
    let on_alt = alt.is_some_and(|(sp, size)| crate::signal::on_stack(frame.rsp, sp, size));
    let rsp = match alt {
        Some((sp, size)) if action.flags & abi::signal::SA_ONSTACK != 0 && !on_alt => sp + size,
        _ => frame.rsp,
    };
    setup(
        frame,
        rsp,
        sig,
        handler,
        action.restorer,
        old_mask,
        info,
        alt,
        on_alt,
    )
}

/// A dinos signal mask (bit n = signal n) in Linux's encoding (bit n-1).
fn to_linux(mask: u64) -> u64 {
    mask >> 1
}

/// Offsets in the one buffer [`setup`] copies out: the return address, the
/// ucontext, the siginfo, as they lie from the handler's stack pointer up.
const AT_UC: usize = 8;
const AT_INFO: usize = 8 + UC_SIZE as usize;
const FRAME_LEN: usize = AT_INFO + INFO_SIZE as usize;

/// Build the frame for `sig` on the stack at `rsp` and point `frame` at `handler`
/// with `(sig, &info, &uc)` as its arguments. Two copies to the program: the return
/// address, ucontext and siginfo from one buffer, and the FPU state straight from
/// where the entry saved it.
#[allow(clippy::too_many_arguments)]
fn setup(
    frame: &mut TrapFrame,
    rsp: u64,
    sig: u32,
    handler: u64,
    restorer: u64,
    old_mask: u64,
    info: SigInfo,
    alt: Option<(u64, u64)>,
    on_alt: bool,
) -> Result<(), Errno> {
    let (base, fpstate) = frame_at(rsp).ok_or(Errno::EFAULT)?;
    let mut buf = [0u8; FRAME_LEN];
    let mut put = |at: usize, v: u64| buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
    put(0, restorer);
    let (ss_sp, ss_size, ss_flags) = match alt {
        Some((sp, size)) => (sp, size, if on_alt { SS_ONSTACK } else { 0 }),
        None => (0, 0, SS_DISABLE),
    };
    put(AT_UC + UC_STACK, ss_sp);
    put(AT_UC + UC_STACK + 8, ss_flags as u64);
    put(AT_UC + UC_STACK + 16, ss_size);
    let f = &*frame;
    let gregs = [
        f.r8, f.r9, f.r10, f.r11, f.r12, f.r13, f.r14, f.r15, f.rdi, f.rsi, f.rbp, f.rbx, f.rdx,
        f.rax, f.rcx, f.rsp, f.rip, f.rflags,
    ];
    let mc = AT_UC + UC_MCONTEXT;
    for (i, g) in gregs.iter().enumerate() {
        put(mc + i * 8, *g);
    }
    // cs, gs, fs, ss as four u16s; then err, trapno, oldmask, cr2, fpstate.
    put(mc + 18 * 8, f.cs & 0xffff | (f.ss & 0xffff) << 48);
    let fault = info.addr.is_some();
    put(mc + 19 * 8, if fault { f.error_code } else { 0 });
    put(mc + 20 * 8, if fault { f.vector } else { 0 });
    put(mc + 21 * 8, to_linux(old_mask));
    put(mc + 22 * 8, info.addr.unwrap_or(0));
    put(mc + 23 * 8, fpstate);
    put(AT_UC + UC_SIGMASK, to_linux(old_mask));
    let si = &mut buf[AT_INFO..];
    si[0..4].copy_from_slice(&sig.to_le_bytes());
    si[8..12].copy_from_slice(&info.code.to_le_bytes());
    match info.addr {
        Some(a) => si[16..24].copy_from_slice(&a.to_le_bytes()),
        None => {
            si[16..20].copy_from_slice(&info.pid.to_le_bytes());
            si[20..24].copy_from_slice(&info.uid.to_le_bytes());
        }
    }
    hal::user::with_saved_fpu_state(frame, |_, fpu| crate::uaccess::write_bytes(fpstate, &fpu.0))?;
    crate::uaccess::write_bytes(base, &buf)?;
    frame.rip = handler;
    frame.rsp = base;
    frame.rdi = sig as u64;
    frame.rsi = base + AT_INFO as u64;
    frame.rdx = base + AT_UC as u64;
    frame.rax = 0;
    Ok(())
}

/// `rt_sigreturn` for a Linux program: the handler's `ret` popped the return
/// address, so `rsp` is at the ucontext. Registers, mask and FPU state come back from
/// it (as the handler left them); returns the restored `rax`.
pub fn sigreturn(frame: &mut TrapFrame) -> Result<u64, Errno> {
    let p = process::current().ok_or(Errno::EINVAL)?;
    // Read onto the kernel stack (no heap: this is half of every signal's cost).
    let mut uc = [0u8; UC_SIZE as usize];
    crate::uaccess::read_into(frame.rsp, &mut uc)?;
    let w = |at: usize| u64::from_le_bytes(uc[at..at + 8].try_into().unwrap());
    let g = |i: usize| w(UC_MCONTEXT + i * 8);
    let (rsp, rip, fpstate) = (g(15), g(16), g(23));
    if rip >= hal::user::USER_TOP || rsp >= hal::user::USER_TOP {
        return Err(Errno::EFAULT);
    }
    // The FPU state first, read straight into the area the return restores it from.
    // A bad pointer ends the program (`bad_frame`), so a half-read area never runs.
    if fpstate != 0 {
        hal::user::with_saved_fpu_state(frame, |_, fpu| {
            crate::uaccess::read_into(fpstate, &mut fpu.0)?;
            // MXCSR bits above 0xffff are reserved; a bad value would fault fxrstor.
            let mxcsr = u32::from_le_bytes(fpu.0[24..28].try_into().unwrap()) & 0xffff;
            fpu.0[24..28].copy_from_slice(&mxcsr.to_le_bytes());
            Ok::<(), Errno>(())
        })?;
    }
    frame.r8 = g(0);
    frame.r9 = g(1);
    frame.r10 = g(2);
    frame.r11 = g(3);
    frame.r12 = g(4);
    frame.r13 = g(5);
    frame.r14 = g(6);
    frame.r15 = g(7);
    frame.rdi = g(8);
    frame.rsi = g(9);
    frame.rbp = g(10);
    frame.rbx = g(11);
    frame.rdx = g(12);
    frame.rcx = g(14);
    frame.rsp = rsp;
    frame.rip = rip;
    // Only the arithmetic flags come from user memory; IF stays on, IOPL 0.
    frame.rflags = (g(17) & 0xcd5) | 0x202;
    let mask = w(UC_SIGMASK) << 1;
    crate::signal::set_mask_after_handler(&p, mask);
    Ok(g(13))
}

/// A frame `rt_sigreturn` cannot restore from (a pointer in it is bad, or it is not
/// in user memory): as Linux does, the program dies of SIGSEGV; there is no state
/// to return it to.
pub fn bad_frame() -> ! {
    if let Some(p) = process::current() {
        log::warn!(
            "pid {} ({}): rt_sigreturn with a bad frame: SIGSEGV",
            p.pid,
            p.name.lock().as_str()
        );
    }
    crate::lifecycle::exit_current(abi::signal::wait_status_signaled(abi::signal::SIGSEGV))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_aligned_as_linux_does_and_refused_near_zero() {
        let (base, fp) = frame_at(0x7fff_ffff_e000).unwrap();
        assert_eq!(
            (base + 8) % 16,
            0,
            "rsp + 8 a multiple of 16 at handler entry"
        );
        assert_eq!(fp % 64, 0);
        assert!(base + 8 + UC_SIZE + INFO_SIZE <= fp);
        assert!(fp + FPU_SIZE <= 0x7fff_ffff_e000 - 128);
        for rsp in 0..2048u64 {
            if let Some((b, fp)) = frame_at(rsp) {
                assert!(b < fp && fp < rsp);
            }
        }
        assert!(frame_at(100).is_none());
    }
}
