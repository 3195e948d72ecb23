//! The run-time plumbing of a freestanding program: `_start`, the panic handler, and the
//! symbols the compiler expects a C library to provide.
//!
//! `_start` is where the kernel's `exec` begins a program, with the stack pointer at the
//! initial stack (see [`crate::startup`]) and 16-byte aligned. It clears the frame
//! pointer (so backtraces end here), passes the stack pointer to [`start_rust`] and
//! re-aligns before the call, as the System V ABI wants `rsp + 8` to be 16-aligned at a
//! function's first instruction. `start_rust` finds the extent of the initial stack
//! (the only unsafe reading here), parses it with safe code, sets up the environment,
//! calls the program's `main` (named by [`crate::entry!`]) and exits with its value.
//!
//! Left out of `cfg(test)` builds, where the host's C library provides all of this.

#[cfg(not(test))]
mod machine {
    #![allow(unsafe_code)]

    use core::arch::global_asm;

    global_asm!(
        ".pushsection .text._start, \"ax\"",
        ".global _start",
        ".type _start, @function",
        "_start:",
        "xor ebp, ebp",
        "mov rdi, rsp",
        "and rsp, -16",
        "call {start}",
        "ud2",
        ".popsection",
        start = sym start_rust,
    );

    // The ABI note: "this program speaks the dinos system-call interface". `exec`
    // reads it (a PT_NOTE segment, see user/bin/user.ld) to choose the process's
    // personality. Owner "dinos", type 1, descriptor: the ABI version.
    global_asm!(
        ".pushsection .note.dinos, \"a\", @note",
        ".balign 4",
        ".long 6", // name size, with the NUL
        ".long 4", // descriptor size
        ".long 1", // type: ABI
        ".asciz \"dinos\"",
        ".balign 4",
        ".long 1", // ABI version
        ".popsection",
    );

    extern "Rust" {
        /// Defined by the program through `ulib::entry!`.
        fn __dinos_user_main() -> i32;
    }

    /// How many bytes from `sp` the initial stack occupies: its vectors and the end of
    /// the highest string they point at.
    fn extent(sp: *const u64) -> usize {
        let base = sp as usize;
        // SAFETY: the kernel's exec contract: `sp` points at argc, then two
        // NULL-terminated pointer vectors and an AT_NULL-terminated auxv, all readable;
        // each non-NULL pointer in the vectors is a readable NUL-terminated string.
        // Only reads are made, and only within that layout.
        unsafe {
            let argc = sp.read() as usize;
            let mut at = 1 + argc + 1; // past argc, argv, NULL
            let mut end = base + 8 * at;
            let mut high = 0usize;
            for i in 1..=argc {
                high = high.max(sp.add(i).read() as usize);
            }
            loop {
                let p = sp.add(at).read() as usize;
                at += 1;
                if p == 0 {
                    break;
                }
                high = high.max(p);
            }
            while sp.add(at).read() != abi::auxv::AT_NULL {
                at += 2;
            }
            end = end.max(base + 8 * (at + 2));
            if high >= base {
                let mut q = high as *const u8;
                while q.read() != 0 {
                    q = q.add(1);
                }
                end = end.max(q as usize + 1);
            }
            end - base
        }
    }

    extern "C" fn start_rust(sp: *const u64) -> ! {
        let len = extent(sp);
        // SAFETY: `extent` measured this range of the initial stack, which stays mapped
        // and is never written for the life of the program.
        let stack: &'static [u8] = unsafe { core::slice::from_raw_parts(sp as *const u8, len) };
        let init = crate::startup::parse(stack, sp as u64).unwrap_or_default();
        crate::env::init(init.args, init.env);
        let interpreted = init
            .auxv
            .iter()
            .any(|&(k, v)| k == abi::auxv::AT_BASE && v != 0);
        crate::dl::init(sp as u64, stack, init.auxv);
        if interpreted {
            crate::dl::note_loader_tls();
        }
        // SAFETY: `entry!` defines this symbol as a plain safe Rust function.
        let code = unsafe { __dinos_user_main() };
        crate::process::exit(code)
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo) -> ! {
        crate::rt::report_panic(info)
    }

    // `memcpy` and friends (core lowers copies and comparisons to them; LLVM turns a
    // NUL scan into `strlen`) and the two
    // unwinding symbols the prebuilt `alloc` names; with panic = "abort" those are never
    // called. The same code as the kernel's (kernel/hal/src/runtime.rs).
    global_asm!(
        r#"
    .pushsection .text.memfns, "ax"
    .global memcpy
memcpy:
    mov rax, rdi
    mov rcx, rdx
    shr rcx, 3
    rep movsq
    mov rcx, rdx
    and rcx, 7
    rep movsb
    ret

    .global memmove
memmove:
    mov rax, rdi
    cmp rdi, rsi
    jbe 2f
    lea rcx, [rsi + rdx]
    cmp rdi, rcx
    jae 2f
    mov r8, rdi
    mov rcx, rdx
    and rcx, 7
    lea rsi, [rsi + rdx - 1]
    lea rdi, [rdi + rdx - 1]
    std
    rep movsb
    mov rcx, rdx
    shr rcx, 3
    sub rsi, 7
    sub rdi, 7
    rep movsq
    cld
    mov rax, r8
    ret
2:  mov rcx, rdx
    shr rcx, 3
    rep movsq
    mov rcx, rdx
    and rcx, 7
    rep movsb
    ret

    .global memset
memset:
    mov r9, rdi
    movzx eax, sil
    movabs r8, 0x0101010101010101
    imul rax, r8
    mov rcx, rdx
    shr rcx, 3
    rep stosq
    mov rcx, rdx
    and rcx, 7
    rep stosb
    mov rax, r9
    ret

    .global memcmp
    .global bcmp
memcmp:
bcmp:
    xor eax, eax
    test rdx, rdx
    jz 4f
3:  movzx eax, byte ptr [rdi]
    movzx ecx, byte ptr [rsi]
    sub eax, ecx
    jnz 4f
    inc rdi
    inc rsi
    dec rdx
    jnz 3b
4:  ret

    .global strlen
strlen:
    mov rax, rdi
5:  cmp byte ptr [rax], 0
    je 6f
    inc rax
    jmp 5b
6:  sub rax, rdi
    ret

    .global _Unwind_Resume
_Unwind_Resume:
    ud2

    .global rust_eh_personality
rust_eh_personality:
    ud2
    .popsection
"#
    );
}

use core::sync::atomic::{AtomicBool, Ordering};

static PANICKING: AtomicBool = AtomicBool::new(false);

/// Print `PROGRAM: panicked at FILE:LINE:COL: MESSAGE` to standard error and exit 101.
/// Nothing here allocates, so an out-of-memory panic is reported too.
#[allow(dead_code)] // the panic handler is its only caller, absent from test builds
pub(crate) fn report_panic(info: &core::panic::PanicInfo) -> ! {
    if PANICKING.swap(true, Ordering::SeqCst) {
        crate::sys::exit(101); // panicked while reporting a panic
    }
    crate::io::flush_stdout();
    crate::env::with_program_name(|name| crate::eprint!("{name}: panicked at "));
    match info.location() {
        Some(l) => crate::eprintln!(
            "{}:{}:{}: {}",
            l.file(),
            l.line(),
            l.column(),
            info.message()
        ),
        None => crate::eprintln!("?: {}", info.message()),
    }
    crate::sys::exit(101)
}
