//! The kernel's own symbol table: the blob the image reserves for it (like Linux's
//! kallsyms).
//!
//! The image reserves a blob in section `.ksyms` (only a magic number at build time),
//! and `cargo xtask build`, after linking, writes the demangled ELF symbols into it in
//! place. The blob's format and the lookup are pure logic in [`x86::symbols`]; hal only
//! reserves the section and hands out the bytes.

pub use x86::symbols::Symbols;

/// Bytes reserved for the blob; `xtask` refuses to build if the symbols need more.
pub const KSYMS_CAPACITY: usize = 1024 * 1024;

#[cfg(dinos_kernel)]
core::arch::global_asm!(
    r#"
    .section .ksyms, "a"
    .balign 16
    .global dinos_ksyms
dinos_ksyms:
    .ascii "KSYM"
    .skip {cap} - 4
    .size dinos_ksyms, {cap}
"#,
    cap = const KSYMS_CAPACITY
);

/// The symbol table of the running kernel.
pub fn table() -> Symbols<'static> {
    Symbols::new(blob())
}

fn blob() -> &'static [u8] {
    #[cfg(dinos_kernel)]
    {
        extern "C" {
            static dinos_ksyms: [u8; KSYMS_CAPACITY];
        }
        // SAFETY: the blob is read-only data of the image, filled before boot by xtask;
        // Rust never sees its initial value, so reading it as bytes is sound.
        unsafe { &dinos_ksyms }
    }
    #[cfg(not(dinos_kernel))]
    {
        &[]
    }
}

/// The symbol containing `addr`: its name and the offset of `addr` into it.
pub fn lookup(addr: u64) -> Option<(&'static str, u64)> {
    table().lookup(addr)
}
