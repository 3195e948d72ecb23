//! Reading a relocatable ELF object (`ET_REL`, x86-64): the sections, the symbol
//! table and the relocation tables a loadable module is made of (chapter 2 section 5:
//! what a linker works from).
//!
//! Pure parsing over a byte slice, tested on the host. Everything is bounds-checked
//! here, once, so that the linker above can index freely: a section's bytes lie in
//! the file, no two sections' bytes overlap, names are inside their string table,
//! symbols name real sections. A check that fails says what is wrong, by name.

use crate::LoadError;
use abi::Errno;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

pub const SHT_PROGBITS: u32 = 1;
pub const SHT_SYMTAB: u32 = 2;
pub const SHT_RELA: u32 = 4;
pub const SHT_NOBITS: u32 = 8;
pub const SHT_REL: u32 = 9;
pub const SHF_WRITE: u64 = 1;
pub const SHF_ALLOC: u64 = 2;
pub const SHF_EXECINSTR: u64 = 4;
pub const SHN_UNDEF: u16 = 0;
pub const SHN_LORESERVE: u16 = 0xff00;
pub const SHN_ABS: u16 = 0xfff1;
pub const SHN_COMMON: u16 = 0xfff2;
pub const STB_WEAK: u8 = 2;

/// One section header.
#[derive(Clone, Debug)]
pub struct Section {
    pub name: String,
    pub kind: u32,
    pub flags: u64,
    pub offset: usize,
    pub size: usize,
    pub link: u32,
    pub info: u32,
    pub align: usize,
    pub entsize: usize,
}

impl Section {
    pub fn is_alloc(&self) -> bool {
        self.flags & SHF_ALLOC != 0
    }
    /// Does it occupy bytes of the file?
    pub fn has_file_bytes(&self) -> bool {
        self.kind != SHT_NOBITS && self.size > 0
    }
}

/// One symbol.
#[derive(Clone, Debug)]
pub struct Symbol {
    pub name: String,
    pub bind: u8,
    pub shndx: u16,
    pub value: u64,
}

/// One relocation of a `SHT_RELA` table.
#[derive(Clone, Copy, Debug)]
pub struct Rela {
    pub offset: u64,
    pub sym: usize,
    pub kind: u32,
    pub addend: i64,
}

/// A parsed object: sections, symbols, and the relocation tables by target section.
pub struct Object<'a> {
    pub data: &'a [u8],
    pub sections: Vec<Section>,
    pub symbols: Vec<Symbol>,
    /// (index of the section relocated, its relocations).
    pub relas: Vec<(usize, Vec<Rela>)>,
}

fn bad(msg: String) -> LoadError {
    LoadError::new(Errno::ENOEXEC, msg)
}

fn u16_at(d: &[u8], off: usize) -> Result<u16, LoadError> {
    d.get(off..off + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| bad(format!("truncated file (no field at offset {off})")))
}

fn u32_at(d: &[u8], off: usize) -> Result<u32, LoadError> {
    d.get(off..off + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| bad(format!("truncated file (no field at offset {off})")))
}

fn u64_at(d: &[u8], off: usize) -> Result<u64, LoadError> {
    let b = d
        .get(off..off + 8)
        .ok_or_else(|| bad(format!("truncated file (no field at offset {off})")))?;
    let mut w = [0u8; 8];
    w.copy_from_slice(b);
    Ok(u64::from_le_bytes(w))
}

/// The NUL-terminated name at `off` of string table section `strtab`.
fn name_in(data: &[u8], strtab: &Section, off: u32) -> Result<String, LoadError> {
    // An empty table was not checked against the file (it has no bytes): index safely.
    let table = strtab
        .offset
        .checked_add(strtab.size)
        .and_then(|end| data.get(strtab.offset..end))
        .ok_or_else(|| bad(String::from("a string table lies outside the file")))?;
    let rest = table
        .get(off as usize..)
        .ok_or_else(|| bad(format!("name offset {off} outside its string table")))?;
    let len = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| bad(format!("unterminated name at offset {off}")))?;
    Ok(String::from_utf8_lossy(&rest[..len]).into_owned())
}

impl<'a> Object<'a> {
    /// Parse and check `data` as an x86-64 relocatable object.
    pub fn parse(data: &'a [u8]) -> Result<Object<'a>, LoadError> {
        if data.len() < 64 {
            return Err(bad(format!(
                "truncated file ({} bytes, shorter than an ELF header)",
                data.len()
            )));
        }
        if &data[..4] != b"\x7fELF" || data[4] != 2 || data[5] != 1 {
            return Err(bad("not a 64-bit little-endian ELF file".into()));
        }
        if u16_at(data, 16)? != 1 {
            return Err(bad("not a relocatable object (ET_REL)".into()));
        }
        if u16_at(data, 18)? != 62 {
            return Err(bad("not an x86-64 object".into()));
        }
        let shoff = u64_at(data, 40)? as usize;
        let shentsize = u16_at(data, 58)? as usize;
        let shnum = u16_at(data, 60)? as usize;
        let shstrndx = u16_at(data, 62)? as usize;
        if shentsize != 64 || shnum == 0 || shstrndx >= shnum {
            return Err(bad("bad section header table".into()));
        }
        let end = shnum
            .checked_mul(64)
            .and_then(|n| n.checked_add(shoff))
            .filter(|&e| e <= data.len());
        if end.is_none() {
            return Err(bad(format!(
                "truncated file: the section headers ({shnum} at offset {shoff}) run past its {} bytes",
                data.len()
            )));
        }
        let mut sections = Vec::with_capacity(shnum);
        let mut name_offs = Vec::with_capacity(shnum);
        for i in 0..shnum {
            let h = shoff + i * 64;
            name_offs.push(u32_at(data, h)?);
            let s = Section {
                name: String::new(),
                kind: u32_at(data, h + 4)?,
                flags: u64_at(data, h + 8)?,
                offset: u64_at(data, h + 24)? as usize,
                size: u64_at(data, h + 32)? as usize,
                link: u32_at(data, h + 40)?,
                info: u32_at(data, h + 44)?,
                align: u64_at(data, h + 48)?.max(1) as usize,
                entsize: u64_at(data, h + 56)? as usize,
            };
            if s.has_file_bytes() && s.offset.checked_add(s.size).is_none_or(|e| e > data.len()) {
                return Err(bad(format!(
                    "section {i} ({:#x} bytes at offset {:#x}) runs past the end of the file ({} bytes): truncated or out of range",
                    s.size,
                    s.offset,
                    data.len()
                )));
            }
            sections.push(s);
        }
        // Names, now that the string table is known to lie in the file.
        let shstr = sections[shstrndx].clone();
        for (s, &off) in sections.iter_mut().zip(&name_offs) {
            s.name = name_in(data, &shstr, off)?;
        }
        check_overlaps(&sections)?;
        let symbols = read_symbols(data, &sections)?;
        let mut relas = Vec::new();
        for (i, s) in sections.iter().enumerate() {
            match s.kind {
                SHT_REL => {
                    return Err(bad(format!(
                        "section {}: SHT_REL is not used on x86-64",
                        s.name
                    )))
                }
                SHT_RELA => {}
                _ => continue,
            }
            let target = s.info as usize;
            if s.entsize != 24 || target >= sections.len() || s.size % 24 != 0 {
                return Err(bad(format!("relocation section {} is malformed", s.name)));
            }
            let mut v = Vec::with_capacity(s.size / 24);
            for k in 0..s.size / 24 {
                let r = s.offset + k * 24;
                let info = u64_at(data, r + 8)?;
                let rel = Rela {
                    offset: u64_at(data, r)?,
                    sym: (info >> 32) as usize,
                    kind: info as u32,
                    addend: u64_at(data, r + 16)? as i64,
                };
                if rel.sym >= symbols.len() {
                    return Err(bad(format!(
                        "relocation {k} of {} names symbol {} (the table has {})",
                        s.name,
                        rel.sym,
                        symbols.len()
                    )));
                }
                v.push(rel);
            }
            let _ = i;
            relas.push((target, v));
        }
        Ok(Object {
            data,
            sections,
            symbols,
            relas,
        })
    }

    /// The file bytes of section `i` (empty for NOBITS).
    pub fn bytes(&self, i: usize) -> &'a [u8] {
        let s = &self.sections[i];
        if s.has_file_bytes() {
            &self.data[s.offset..s.offset + s.size]
        } else {
            &[]
        }
    }
}

/// No two sections may share file bytes (a hostile object could make one section's
/// relocations rewrite another's code).
fn check_overlaps(sections: &[Section]) -> Result<(), LoadError> {
    let mut spans: Vec<(usize, usize, &str)> = sections
        .iter()
        .filter(|s| s.has_file_bytes())
        .map(|s| (s.offset, s.offset + s.size, s.name.as_str()))
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        if w[1].0 < w[0].1 {
            return Err(bad(format!(
                "sections {} and {} overlap in the file",
                w[0].2, w[1].2
            )));
        }
    }
    Ok(())
}

fn read_symbols(data: &[u8], sections: &[Section]) -> Result<Vec<Symbol>, LoadError> {
    let mut tabs = sections.iter().filter(|s| s.kind == SHT_SYMTAB);
    let Some(tab) = tabs.next() else {
        return Err(bad("no symbol table".into()));
    };
    if tabs.next().is_some() || tab.entsize != 24 || tab.size % 24 != 0 {
        return Err(bad("malformed symbol table".into()));
    }
    let strtab = sections
        .get(tab.link as usize)
        .filter(|s| s.kind == 3)
        .ok_or_else(|| bad("the symbol table has no string table".into()))?;
    let mut out = Vec::with_capacity(tab.size / 24);
    for k in 0..tab.size / 24 {
        let e = tab.offset + k * 24;
        let info = data[e + 4];
        let sym = Symbol {
            name: name_in(data, strtab, u32_at(data, e)?)?,
            bind: info >> 4,
            shndx: u16_at(data, e + 6)?,
            value: u64_at(data, e + 8)?,
        };
        if sym.shndx != SHN_UNDEF
            && sym.shndx < SHN_LORESERVE
            && sym.shndx as usize >= sections.len()
        {
            return Err(bad(format!(
                "symbol {} is in section {}, which does not exist",
                sym.name, sym.shndx
            )));
        }
        out.push(sym);
    }
    Ok(out)
}
