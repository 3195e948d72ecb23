//! The in-kernel linker: lay a module's sections out, resolve its symbols against the
//! kernel's export table, apply its x86-64 relocations (chapter 2 section 5: what a
//! linker does, done by the kernel at load time).
//!
//! The layout is four page-aligned regions, so each can be mapped with its own rights:
//!
//! | region | holds                                   | mapped            |
//! |--------|-----------------------------------------|-------------------|
//! | text   | `SHF_EXECINSTR` sections                | read + execute    |
//! | rodata | other read-only sections                | read, no-execute  |
//! | got    | the module's global offset table        | read, no-execute  |
//! | data   | writable sections, then `.bss` (zeroed) | read + write, NX  |
//!
//! The design decision: linking happens in a plain byte buffer for a base address
//! chosen beforehand, so all of it (and every refusal) is ordinary code tested on the
//! host; the loader then copies the buffer into frames and maps them. The relocation
//! types are those rustc and gas emit for the kernel code model:
//! `64` (S+A), `PC32`/`PLT32` (S+A-P: a kernel function is within 2 GiB, so a call
//! needs no stub), `GOTPCREL`/`GOTPCRELX`/`REX_GOTPCRELX` (G+GOT+A-P, one 8-byte slot
//! per symbol), `32S` and `32` (S+A, sign- or zero-extended). Any other type, a value
//! that does not fit, or a place outside its section refuses the whole module.

use crate::object::*;
use crate::LoadError;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

pub const R_X86_64_64: u32 = 1;
pub const R_X86_64_PC32: u32 = 2;
pub const R_X86_64_PLT32: u32 = 4;
pub const R_X86_64_GOTPCREL: u32 = 9;
pub const R_X86_64_32: u32 = 10;
pub const R_X86_64_32S: u32 = 11;
pub const R_X86_64_GOTPCRELX: u32 = 41;
pub const R_X86_64_REX_GOTPCRELX: u32 = 42;

const PAGE: usize = 4096;
/// The largest module accepted (its laid-out size).
pub const MAX_IMAGE: usize = 4 << 20;

/// Which region a section goes to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Region {
    Text,
    RoData,
    Got,
    Data,
}

/// Where everything goes, before the base address is known.
pub struct Plan {
    /// Offset in the image of each allocated section (by section index).
    pub placed: BTreeMap<usize, usize>,
    /// The regions' byte ranges in the image (page-aligned starts).
    pub text: Range<usize>,
    pub rodata: Range<usize>,
    pub got: Range<usize>,
    pub data: Range<usize>,
    /// GOT slot of each symbol that needs one.
    pub got_slots: BTreeMap<usize, usize>,
    /// Total size (a whole number of pages).
    pub size: usize,
}

fn region_of(s: &Section) -> Region {
    if s.flags & SHF_EXECINSTR != 0 {
        Region::Text
    } else if s.flags & SHF_WRITE != 0 {
        Region::Data
    } else {
        Region::RoData
    }
}

fn round_up(x: usize, a: usize) -> usize {
    x.div_ceil(a) * a
}

fn bad(msg: String) -> LoadError {
    LoadError::new(Errno::ENOEXEC, msg)
}

fn is_got(kind: u32) -> bool {
    matches!(
        kind,
        R_X86_64_GOTPCREL | R_X86_64_GOTPCRELX | R_X86_64_REX_GOTPCRELX
    )
}

impl Plan {
    /// Lay `obj` out.
    pub fn new(obj: &Object) -> Result<Plan, LoadError> {
        let mut got_slots = BTreeMap::new();
        for (_, relas) in obj
            .relas
            .iter()
            .filter(|(t, _)| obj.sections[*t].is_alloc())
        {
            for r in relas.iter().filter(|r| is_got(r.kind)) {
                let n = got_slots.len();
                got_slots.entry(r.sym).or_insert(n);
            }
        }
        let mut placed = BTreeMap::new();
        let mut at = 0usize;
        let mut place = |region: Region, at: &mut usize| -> Result<Range<usize>, LoadError> {
            *at = round_up(*at, PAGE);
            let start = *at;
            // Sections with bytes first, then NOBITS (.bss), so the file's data is one run.
            for nobits in [false, true] {
                for (i, s) in obj.sections.iter().enumerate() {
                    if !s.is_alloc() || region_of(s) != region || (s.kind == SHT_NOBITS) != nobits {
                        continue;
                    }
                    if !s.align.is_power_of_two() || s.align > PAGE {
                        return Err(bad(format!("section {} has alignment {}", s.name, s.align)));
                    }
                    *at = round_up(*at, s.align);
                    placed.insert(i, *at);
                    *at = at
                        .checked_add(s.size)
                        .filter(|&e| e <= MAX_IMAGE)
                        .ok_or_else(|| {
                            LoadError::new(
                                Errno::EFBIG,
                                format!(
                                    "section {} makes the module larger than {MAX_IMAGE} bytes",
                                    s.name
                                ),
                            )
                        })?;
                }
            }
            Ok(start..*at)
        };
        let text = place(Region::Text, &mut at)?;
        let rodata = place(Region::RoData, &mut at)?;
        at = round_up(at, PAGE);
        let got = at..at + got_slots.len() * 8;
        at = got.end;
        let data = place(Region::Data, &mut at)?;
        let size = round_up(at, PAGE).max(PAGE);
        if size > MAX_IMAGE {
            return Err(LoadError::new(
                Errno::EFBIG,
                format!("the module needs {size} bytes"),
            ));
        }
        Ok(Plan {
            placed,
            text,
            rodata,
            got,
            data,
            got_slots,
            size,
        })
    }

    /// The rights the page at image offset `off` is mapped with (the GOT's pages are
    /// read-only data).
    pub fn region_at(&self, off: usize) -> Region {
        if off < round_up(self.text.end, PAGE) {
            Region::Text
        } else if off < self.data.start {
            Region::RoData
        } else {
            Region::Data
        }
    }
}

/// A module linked for its base address: the image to copy into its pages.
pub struct Linked {
    pub base: u64,
    pub image: Vec<u8>,
    /// Defined global symbols: name -> address.
    pub globals: BTreeMap<String, u64>,
}

impl Linked {
    /// The 8 bytes at address `va` of the image, if inside it.
    pub fn word_at(&self, va: u64) -> Option<u64> {
        let off = va.checked_sub(self.base)? as usize;
        let b = self.image.get(off..off.checked_add(8)?)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        Some(u64::from_le_bytes(w))
    }

    /// The bytes `[va, va + len)` of the image, if inside it.
    pub fn bytes_at(&self, va: u64, len: usize) -> Option<&[u8]> {
        let off = va.checked_sub(self.base)? as usize;
        self.image.get(off..off.checked_add(len)?)
    }
}

/// Link `obj` as laid out by `plan` at `base`; `export` resolves an undefined symbol.
pub fn link(
    obj: &Object,
    plan: &Plan,
    base: u64,
    export: &dyn Fn(&str) -> Option<u64>,
) -> Result<Linked, LoadError> {
    let mut image = vec![0u8; plan.size];
    for (&i, &off) in &plan.placed {
        let b = obj.bytes(i);
        image[off..off + b.len()].copy_from_slice(b);
    }
    // Every symbol's address (None: in a section that is not loaded).
    let mut addr = Vec::with_capacity(obj.symbols.len());
    let mut globals = BTreeMap::new();
    for (k, s) in obj.symbols.iter().enumerate() {
        let a = match s.shndx {
            SHN_UNDEF if k == 0 || s.name.is_empty() => Some(0),
            // The assembler names the GOT when code uses it: this module's own.
            SHN_UNDEF if s.name == "_GLOBAL_OFFSET_TABLE_" => Some(base + plan.got.start as u64),
            SHN_UNDEF => match export(&s.name) {
                Some(a) => Some(a),
                None if s.bind == STB_WEAK => Some(0),
                None => {
                    return Err(LoadError::new(
                        Errno::ENOENT,
                        format!(
                            "undefined symbol {} (not in the kernel's export table)",
                            s.name
                        ),
                    ))
                }
            },
            SHN_ABS => Some(s.value),
            SHN_COMMON => return Err(bad(format!("common symbol {}", s.name))),
            n if n >= SHN_LORESERVE => {
                return Err(bad(format!("symbol {} in reserved section {n:#x}", s.name)))
            }
            n => match plan.placed.get(&(n as usize)) {
                Some(&off) => {
                    if s.value > obj.sections[n as usize].size as u64 {
                        return Err(bad(format!(
                            "symbol {} lies outside its section {}",
                            s.name, obj.sections[n as usize].name
                        )));
                    }
                    Some(base + off as u64 + s.value)
                }
                None => None,
            },
        };
        if let Some(a) = a {
            if s.bind != 0 && s.shndx != SHN_UNDEF && !s.name.is_empty() {
                globals.insert(s.name.clone(), a);
            }
        }
        addr.push(a);
    }
    // The GOT holds each symbol's address.
    for (&sym, &slot) in &plan.got_slots {
        let a = addr[sym]
            .ok_or_else(|| bad(format!("GOT entry for unloaded {}", obj.symbols[sym].name)))?;
        let at = plan.got.start + slot * 8;
        image[at..at + 8].copy_from_slice(&a.to_le_bytes());
    }
    for (target, relas) in &obj.relas {
        let sec = &obj.sections[*target];
        if !sec.is_alloc() {
            continue; // debugging information: not loaded, not relocated
        }
        if sec.kind == SHT_NOBITS {
            return Err(bad(format!(
                "relocations against {}, which has no bytes",
                sec.name
            )));
        }
        let sec_off = plan.placed[target];
        for (k, r) in relas.iter().enumerate() {
            let sym = &obj.symbols[r.sym];
            let s = addr[r.sym].ok_or_else(|| {
                bad(format!(
                    "relocation {k} of {} refers to {}, which is not loaded",
                    sec.name, sym.name
                ))
            })?;
            let width = match r.kind {
                R_X86_64_64 => 8,
                R_X86_64_PC32 | R_X86_64_PLT32 | R_X86_64_32 | R_X86_64_32S => 4,
                t if is_got(t) => 4,
                t => {
                    return Err(bad(format!(
                        "relocation {k} of {} has type {t}, which this linker does not apply",
                        sec.name
                    )))
                }
            };
            let in_sec = r.offset as usize;
            if r.offset > sec.size as u64 || in_sec + width > sec.size {
                return Err(bad(format!(
                    "relocation {k} of {} is at offset {:#x}, outside the section ({:#x} bytes)",
                    sec.name, r.offset, sec.size
                )));
            }
            let at = sec_off + in_sec;
            let p = base + at as u64;
            let a = r.addend;
            let value: i128 = match r.kind {
                R_X86_64_64 | R_X86_64_32 | R_X86_64_32S => s as i128 + a as i128,
                R_X86_64_PC32 | R_X86_64_PLT32 => s as i128 + a as i128 - p as i128,
                _ => {
                    let g = base + (plan.got.start + plan.got_slots[&r.sym] * 8) as u64;
                    g as i128 + a as i128 - p as i128
                }
            };
            let fits = match r.kind {
                R_X86_64_64 => {
                    image[at..at + 8].copy_from_slice(&(value as u64).to_le_bytes());
                    continue;
                }
                R_X86_64_32 => {
                    let v = value as u64; // S+A as a 64-bit address
                    (v <= u32::MAX as u64).then_some(v as u32)
                }
                R_X86_64_32S => {
                    let v = value as i64;
                    (v >= i32::MIN as i64 && v <= i32::MAX as i64).then_some(v as i32 as u32)
                }
                _ => (value >= i32::MIN as i128 && value <= i32::MAX as i128)
                    .then_some(value as i32 as u32),
            };
            let v = fits.ok_or_else(|| {
                bad(format!(
                    "relocation {k} of {} (type {}, symbol {}) does not fit in 32 bits",
                    sec.name, r.kind, sym.name
                ))
            })?;
            image[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
    }
    Ok(Linked {
        base,
        image,
        globals,
    })
}
