//! The kernel's own symbol table, for symbolised backtraces (like Linux's kallsyms).
//!
//! The loader only loads the ELF's segments, not its symbol table. So the image reserves
//! a blob in section `.ksyms` (only a magic number at build time), and `cargo xtask
//! build`, after linking, reads the ELF's symbols, demangles them, and writes them into
//! the blob in place. Addresses do not move, since nothing is re-linked.
//!
//! Blob layout (little endian): `"KSYM"`, `u32 count`, `u32 strtab_offset`,
//! `u32 used_bytes`, then `count` entries of `u64 address, u32 size, u32 name_offset`
//! sorted by address, then the names, each a `u16` length followed by its UTF-8 bytes.

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

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

/// The symbol containing `addr`: its name and the offset of `addr` into it.
pub fn lookup(addr: u64) -> Option<(&'static str, u64)> {
    let b = blob();
    if b.get(0..4)? != b"KSYM" {
        return None;
    }
    let count = u32_at(b, 4)? as usize;
    let strtab = u32_at(b, 8)? as usize;
    let entry = |i: usize| -> Option<(u64, u32, u32)> {
        let o = 16 + i * 16;
        Some((u64_at(b, o)?, u32_at(b, o + 8)?, u32_at(b, o + 12)?))
    };
    // Largest entry with address <= addr.
    let (mut lo, mut hi) = (0usize, count);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if entry(mid)?.0 <= addr {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if lo == 0 {
        return None;
    }
    let (start, size, name_off) = entry(lo - 1)?;
    if size != 0 && addr >= start + size as u64 {
        return None;
    }
    let n = strtab + name_off as usize;
    let len = u16::from_le_bytes(b.get(n..n + 2)?.try_into().ok()?) as usize;
    let name = core::str::from_utf8(b.get(n + 2..n + 2 + len)?).ok()?;
    Some((name, addr - start))
}

/// Is the symbol table present (the image went through `xtask build`)?
pub fn available() -> bool {
    u32_at(blob(), 4).is_some_and(|c| c > 0)
}
