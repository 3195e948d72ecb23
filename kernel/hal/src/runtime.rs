//! The few symbols a freestanding Rust binary must provide itself.
//!
//! `core` lowers copies and comparisons to calls of `memcpy`, `memmove`, `memset`,
//! `memcmp` and `bcmp`, which a hosted program gets from libc. These use the string
//! instructions (`rep movsq`/`stosq`): 8 bytes per instruction, which matters because
//! every buffer copy in the kernel goes through them. The prebuilt `alloc` also names two
//! unwinding symbols; with `panic = "abort"` they are never called.

core::arch::global_asm!(
    r#"
    .section .text.runtime, "ax"
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
    jbe 2f                      /* destination below source: copy forwards */
    lea rcx, [rsi + rdx]
    cmp rdi, rcx
    jae 2f                      /* no overlap: copy forwards */
    mov r8, rdi
    mov rcx, rdx                /* overlap with destination above: backwards */
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

    .global _Unwind_Resume
_Unwind_Resume:
    ud2

    .global rust_eh_personality
rust_eh_personality:
    ud2
"#
);
