//! The few symbols a freestanding Rust binary must provide itself.
//!
//! `core` lowers copies and comparisons to calls of `memcpy`, `memmove`, `memset`,
//! `memcmp` and `bcmp`, which a hosted program gets from libc. These use the string
//! instructions (`rep movsq`/`stosq`): 8 bytes per instruction, which matters because
//! every buffer copy in the kernel goes through them; `memcmp` compares a word (8 bytes)
//! per step, since every name lookup ends in one. The prebuilt `alloc` also names two
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
/* Eight bytes at a time while eight are left, then the last eight bytes once,
   overlapping the part already known equal; a word that differs is looked at a
   byte at a time to find the first differing byte (memcmp's sign). */
memcmp:
bcmp:
    xor eax, eax
    cmp rdx, 8
    jb 5f
    lea r8, [rdi + rdx - 8]     /* the last word of each buffer */
    lea r9, [rsi + rdx - 8]
6:  cmp rdi, r8
    jae 7f
    mov rax, [rdi]
    cmp rax, [rsi]
    jne 8f
    add rdi, 8
    add rsi, 8
    jmp 6b
7:  mov rdi, r8                 /* the last word, overlapping */
    mov rsi, r9
    mov rax, [rdi]
    cmp rax, [rsi]
    jne 8f
    xor eax, eax
    ret
8:  mov edx, 8                  /* these 8 bytes hold the first difference */
5:  xor eax, eax
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
