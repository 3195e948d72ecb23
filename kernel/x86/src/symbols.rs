//! The kernel's own symbol table format, for symbolised backtraces (like Linux's kallsyms).
//!
//! The loader only loads the ELF's segments, not its symbol table. So the image reserves
//! a blob in section `.ksyms` (hal's `symbols` module; only a magic number at build
//! time), and `cargo xtask build`, after linking, reads the ELF's symbols, demangles them,
//! and writes them into the blob in place. Addresses do not move, since nothing is
//! re-linked. This module reads such a blob, given as bytes.
//!
//! Blob layout (little endian): `"KSYM"`, `u32 count`, `u32 strtab_offset`,
//! `u32 used_bytes`, then `count` entries of `u64 address, u32 size, u32 name_offset`
//! sorted by address, then the names, each a `u16` length followed by its UTF-8 bytes.

use core::fmt;

/// A symbol table blob (possibly empty or unfilled: then nothing is found).
#[derive(Clone, Copy)]
pub struct Symbols<'a>(&'a [u8]);

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

impl<'a> Symbols<'a> {
    pub const fn new(blob: &'a [u8]) -> Self {
        Symbols(blob)
    }

    /// The symbol containing `addr`: its name and the offset of `addr` into it.
    pub fn lookup(&self, addr: u64) -> Option<(&'a str, u64)> {
        let b = self.0;
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
    pub fn available(&self) -> bool {
        u32_at(self.0, 4).is_some_and(|c| c > 0)
    }
}

/// An address as a report prints it: `0x... name+0xoff`, or `0x... ?`.
pub struct Symbol<'a>(pub u64, pub Symbols<'a>);

impl fmt::Display for Symbol<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addr = self.0;
        match self.1.lookup(addr) {
            Some((name, off)) => write!(f, "{addr:#018x} {name}+{off:#x}"),
            None => write!(f, "{addr:#018x} ?"),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// A blob in the layout `xtask` writes, for `(address, size, name)` sorted by address.
    pub fn blob(syms: &[(u64, u32, &str)]) -> Vec<u8> {
        let strtab = 16 + syms.len() * 16;
        let mut b = Vec::from(*b"KSYM");
        b.extend((syms.len() as u32).to_le_bytes());
        b.extend((strtab as u32).to_le_bytes());
        b.extend(0u32.to_le_bytes());
        let mut names = Vec::new();
        for &(addr, size, name) in syms {
            b.extend(addr.to_le_bytes());
            b.extend(size.to_le_bytes());
            b.extend((names.len() as u32).to_le_bytes());
            names.extend((name.len() as u16).to_le_bytes());
            names.extend(name.as_bytes());
        }
        b.extend(names);
        b
    }

    #[test]
    fn lookup_finds_the_enclosing_symbol() {
        let b = blob(&[(0x1000, 0x10, "a"), (0x2000, 0, "b::c"), (0x3000, 8, "d")]);
        let s = Symbols::new(&b);
        assert!(s.available());
        assert_eq!(s.lookup(0x1000), Some(("a", 0)));
        assert_eq!(s.lookup(0x100f), Some(("a", 0xf)));
        assert_eq!(s.lookup(0x1010), None, "past a sized symbol");
        assert_eq!(
            s.lookup(0x2fff),
            Some(("b::c", 0xfff)),
            "size 0: up to the next"
        );
        assert_eq!(s.lookup(0x3004), Some(("d", 4)));
        assert_eq!(s.lookup(0xfff), None, "below the first");
    }

    #[test]
    fn an_unfilled_blob_finds_nothing() {
        let mut b = Vec::from(*b"KSYM");
        b.resize(64, 0);
        let s = Symbols::new(&b);
        assert!(!s.available());
        assert_eq!(s.lookup(0x1000), None);
        assert_eq!(Symbols::new(b"JUNK").lookup(0), None);
        assert_eq!(
            alloc::format!("{}", Symbol(0x10, s)),
            "0x0000000000000010 ?"
        );
    }
}
