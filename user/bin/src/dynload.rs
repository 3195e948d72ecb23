//! The dynamic linker's machinery, shared by `/lib/ld-dinos.so` (linking a program at
//! its start) and `dlopen` (`plugins`: loading a library while a program runs);
//! chapter 2 section 5, docs/linking.md.
//!
//! [`parse`] reads what linking needs from an ELF file (segments, `DT_NEEDED`, run
//! paths, `.dynsym`, `DT_RELA` and `DT_JMPREL`), every offset checked, in safe code;
//! [`load_library`] maps a library at an address the kernel picks (a reservation,
//! then each segment from the file over it, the `.bss` zeroed); [`relocate`] applies
//! `RELATIVE`, `GLOB_DAT`, `JUMP_SLOT`, `64` and `COPY` relocations, every symbol bound
//! now (immediate binding), looked for in the objects in load order; [`load_all`] does
//! both for an object and everything it needs, breadth first, each library once.
//! Errors are messages naming the library, symbol or relocation; the only `unsafe` is
//! in the three small functions at the end, over `ulib::dl`.

#![allow(dead_code)] // each program uses part of it

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::flags::{MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE};

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_PHDR: u32 = 6;
const SHT_DYNSYM: u32 = 11;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_PLTRELSZ: u64 = 2;
const DT_STRTAB: u64 = 5;
const DT_RELA: u64 = 7;
const DT_RELASZ: u64 = 8;
const DT_RUNPATH: u64 = 29;
const DT_RPATH: u64 = 15;
const DT_JMPREL: u64 = 23;
const R_NONE: u32 = 0;
const R_64: u32 = 1;
const R_COPY: u32 = 5;
const R_GLOB_DAT: u32 = 6;
const R_JUMP_SLOT: u32 = 7;
const R_RELATIVE: u32 = 8;
const R_DTPMOD64: u32 = 16;
const R_DTPOFF64: u32 = 17;
const R_TPOFF64: u32 = 18;
/// Where libraries are looked for after an object's own run paths.
const LIB_DIRS: &[&str] = &["/lib", "/usr/lib"];
const PAGE: u64 = 4096;

/// A `PT_LOAD` segment.
#[derive(Clone, Copy)]
pub struct Load {
    vaddr: u64,
    offset: u64,
    filesz: u64,
    memsz: u64,
    flags: u32,
}

/// A dynamic symbol.
pub struct Symbol {
    pub name: String,
    pub value: u64,
    pub size: u64,
    pub defined: bool,
    pub weak: bool,
}

/// A relocation (`Elf64_Rela`).
pub struct Rela {
    offset: u64,
    kind: u32,
    sym: usize,
    addend: i64,
}

/// One loaded object: the program or a library.
pub struct Object {
    pub path: String,
    pub base: u64,
    /// The mapped range, `(start, length)`: what unloading unmaps (empty for the
    /// program, which the kernel mapped).
    pub span: (u64, u64),
    pub needed: Vec<String>,
    pub run_paths: Vec<String>,
    pub symbols: Vec<Symbol>,
    relocs: Vec<Rela>,
}

fn u16_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u16::from_le_bytes(b.get(o..o.checked_add(2)?)?.try_into().ok()?) as u64)
}
fn u32_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(o..o.checked_add(4)?)?.try_into().ok()?) as u64)
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(o..o.checked_add(8)?)?.try_into().ok()?,
    ))
}
fn c_str(b: &[u8], off: usize) -> Option<String> {
    let rest = b.get(off..)?;
    let end = rest.iter().position(|&c| c == 0)?;
    core::str::from_utf8(&rest[..end]).ok().map(String::from)
}

/// The file offset at which address `vaddr` (unbiased) is stored.
fn file_offset(loads: &[Load], vaddr: u64) -> Option<usize> {
    loads
        .iter()
        .find(|l| l.vaddr <= vaddr && vaddr - l.vaddr < l.filesz)
        .map(|l| (l.offset + (vaddr - l.vaddr)) as usize)
}

/// The file's loadable segments and everything dynamic linking needs from it.
pub fn parse(path: &str, b: &[u8]) -> Option<(Vec<Load>, Object, Option<u64>)> {
    if b.get(..4)? != b"\x7fELF" || *b.get(4)? != 2 || u16_at(b, 18)? != 62 {
        return None;
    }
    let phoff = u64_at(b, 32)? as usize;
    let (phentsize, phnum) = (u16_at(b, 54)? as usize, u16_at(b, 56)? as usize);
    let (mut loads, mut dynamic, mut phdr) = (Vec::new(), None, None);
    for i in 0..phnum {
        let ph = phoff.checked_add(i.checked_mul(phentsize)?)?;
        let load = Load {
            vaddr: u64_at(b, ph + 16)?,
            offset: u64_at(b, ph + 8)?,
            filesz: u64_at(b, ph + 32)?,
            memsz: u64_at(b, ph + 40)?,
            flags: u32_at(b, ph + 4)? as u32,
        };
        match u32_at(b, ph)? as u32 {
            PT_LOAD if load.filesz <= load.memsz => loads.push(load),
            PT_LOAD => return None,
            PT_DYNAMIC => dynamic = Some(load),
            PT_PHDR => phdr = Some(load.vaddr),
            _ => {}
        }
    }
    let mut obj = Object {
        path: String::from(path),
        base: 0,
        span: (0, 0),
        needed: Vec::new(),
        run_paths: Vec::new(),
        symbols: Vec::new(),
        relocs: Vec::new(),
    };
    let Some(d) = dynamic else {
        return Some((loads, obj, phdr));
    };
    let entries = b.get(d.offset as usize..(d.offset.checked_add(d.filesz)?) as usize)?;
    let mut tags: Vec<(u64, u64)> = Vec::new();
    for e in entries.chunks_exact(16) {
        let (tag, val) = (u64_at(e, 0)?, u64_at(e, 8)?);
        if tag == DT_NULL {
            break;
        }
        tags.push((tag, val));
    }
    let tag = |t: u64| tags.iter().find(|&&(k, _)| k == t).map(|&(_, v)| v);
    let strtab = file_offset(&loads, tag(DT_STRTAB)?)?;
    for &(t, v) in &tags {
        match t {
            DT_NEEDED => obj.needed.push(c_str(b, strtab.checked_add(v as usize)?)?),
            DT_RUNPATH | DT_RPATH => {
                let list = c_str(b, strtab.checked_add(v as usize)?)?;
                obj.run_paths
                    .extend(list.split(':').filter(|s| !s.is_empty()).map(String::from));
            }
            _ => {}
        }
    }
    // The symbols: the .dynsym section, by the section headers.
    let shoff = u64_at(b, 40)? as usize;
    let (shentsize, shnum) = (u16_at(b, 58)? as usize, u16_at(b, 60)? as usize);
    for i in 0..shnum {
        let sh = shoff.checked_add(i.checked_mul(shentsize)?)?;
        if u32_at(b, sh + 4)? as u32 != SHT_DYNSYM {
            continue;
        }
        let (off, size) = (u64_at(b, sh + 24)? as usize, u64_at(b, sh + 32)? as usize);
        let syms = b.get(off..off.checked_add(size)?)?;
        for s in syms.chunks_exact(24) {
            let info = s[4];
            obj.symbols.push(Symbol {
                name: c_str(b, strtab.checked_add(u32_at(s, 0)? as usize)?)?,
                value: u64_at(s, 8)?,
                size: u64_at(s, 16)?,
                defined: u16_at(s, 6)? != 0,
                weak: info >> 4 == 2,
            });
        }
    }
    for (at, len) in [(DT_RELA, DT_RELASZ), (DT_JMPREL, DT_PLTRELSZ)] {
        let (Some(at), Some(len)) = (tag(at), tag(len)) else {
            continue;
        };
        let off = file_offset(&loads, at)?;
        for r in b.get(off..off.checked_add(len as usize)?)?.chunks_exact(24) {
            let info = u64_at(r, 8)?;
            obj.relocs.push(Rela {
                offset: u64_at(r, 0)?,
                kind: info as u32,
                sym: (info >> 32) as usize,
                addend: u64_at(r, 16)? as i64,
            });
        }
    }
    Some((loads, obj, phdr))
}

pub fn prot_of(flags: u32) -> u32 {
    let mut p = 0;
    if flags & 4 != 0 {
        p |= PROT_READ;
    }
    if flags & 2 != 0 {
        p |= PROT_WRITE;
    }
    if flags & 1 != 0 {
        p |= PROT_EXEC;
    }
    p
}

/// Map the library file `path` at a base the kernel chooses; the loaded object.
pub fn load_library(path: &str) -> Result<Object, String> {
    let bytes = ulib::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let (loads, mut obj, _) =
        parse(path, &bytes).ok_or_else(|| format!("{path}: not a valid ELF library"))?;
    let low = loads
        .iter()
        .map(|l| l.vaddr & !(PAGE - 1))
        .min()
        .unwrap_or(0);
    let high = loads.iter().map(|l| l.vaddr + l.memsz).max().unwrap_or(0);
    if loads.is_empty() || high <= low {
        return Err(format!("{path}: no loadable segment"));
    }
    let span = (high - low).div_ceil(PAGE) * PAGE;
    // Reserve the whole span, then map each segment over its part of it.
    let base = ulib::sys::mmap(0, span as usize, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS)
        .map_err(|e| format!("{path}: cannot reserve {span} bytes: {e}"))? as u64
        - low;
    let file = ulib::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    for l in &loads {
        let start = (base + l.vaddr) & !(PAGE - 1);
        let file_end = (base + l.vaddr + l.filesz).div_ceil(PAGE) * PAGE;
        let mem_end = (base + l.vaddr + l.memsz).div_ceil(PAGE) * PAGE;
        let prot = prot_of(l.flags);
        if l.filesz > 0 {
            ulib::sys::mmap_file(
                start as usize,
                (file_end - start) as usize,
                prot,
                MAP_PRIVATE | MAP_FIXED,
                file.as_raw_fd(),
                l.offset & !(PAGE - 1),
            )
            .map_err(|e| format!("{path}: cannot map a segment: {e}"))?;
        }
        if l.memsz > l.filesz {
            // The .bss: the rest of the last file page is zeroed, the pages after it
            // are fresh anonymous memory.
            let bss = base + l.vaddr + l.filesz;
            let page_end = bss.div_ceil(PAGE) * PAGE;
            if l.filesz > 0 && page_end > bss && prot & PROT_WRITE != 0 {
                zero_tail(bss, (page_end - bss) as usize);
            }
            let anon_start = if l.filesz > 0 { file_end } else { start };
            if mem_end > anon_start {
                ulib::sys::mmap(
                    anon_start as usize,
                    (mem_end - anon_start) as usize,
                    prot,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                )
                .map_err(|e| format!("{path}: cannot map the bss: {e}"))?;
            }
        }
    }
    obj.base = base;
    obj.span = (base + low, span);
    Ok(obj)
}

/// The file a library name resolves to.
pub fn find(name: &str, run_paths: &[String]) -> Option<String> {
    if name.contains('/') {
        return ulib::fs::exists(name).then(|| String::from(name));
    }
    run_paths
        .iter()
        .map(String::as_str)
        .chain(LIB_DIRS.iter().copied())
        .map(|dir| ulib::fs::join(dir, name))
        .find(|p| ulib::fs::metadata(p).is_ok_and(|m| m.is_file()))
}

/// Where `name` is defined: the first object (in load order) that defines it, and
/// the symbol's address and size there. `skip` is left out (for `COPY`).
pub fn lookup(objects: &[Object], name: &str, skip: Option<usize>) -> Option<(u64, u64)> {
    objects
        .iter()
        .enumerate()
        .filter(|&(i, _)| Some(i) != skip)
        .find_map(|(_, o)| {
            o.symbols
                .iter()
                .find(|s| s.defined && s.name == name)
                .map(|s| (o.base + s.value, s.size))
        })
}

/// Apply object `i`'s relocations.
pub fn relocate(objects: &[Object], i: usize) -> Result<(), String> {
    let o = &objects[i];
    for r in &o.relocs {
        let at = o.base + r.offset;
        let symbol = |r: &Rela| -> Result<(u64, u64), String> {
            let Some(s) = o.symbols.get(r.sym) else {
                return Err(format!("{}: bad symbol index {}", o.path, r.sym));
            };
            let skip = (r.kind == R_COPY).then_some(i);
            match lookup(objects, &s.name, skip) {
                Some(found) => Ok(found),
                None if s.weak => Ok((0, 0)),
                None => Err(format!(
                    "{}: symbol {} not found (needed by {})",
                    objects[0].path, s.name, o.path
                )),
            }
        };
        let value = match r.kind {
            R_NONE => continue,
            R_RELATIVE => o.base.wrapping_add(r.addend as u64),
            R_GLOB_DAT | R_JUMP_SLOT => symbol(r)?.0,
            R_64 => symbol(r)?.0.wrapping_add(r.addend as u64),
            R_COPY => {
                let (from, size) = symbol(r)?;
                copy_data(at, from, size as usize);
                continue;
            }
            R_TPOFF64 | R_DTPMOD64 | R_DTPOFF64 => {
                return Err(format!(
                    "{}: thread-local storage relocations are not supported",
                    o.path
                ))
            }
            other => return Err(format!("{}: unknown relocation type {other}", o.path)),
        };
        store(at, value);
    }
    Ok(())
}

/// Load the libraries `objects[0]` needs, and theirs, breadth first, each once, and
/// relocate them all (`objects[0]` last): the objects in load order, or why not.
pub fn load_all(first: Object) -> Result<Vec<Object>, String> {
    let mut objects = alloc::vec![first];
    let mut queue: VecDeque<(String, usize)> =
        objects[0].needed.iter().map(|n| (n.clone(), 0)).collect();
    let mut names: Vec<String> = Vec::new();
    while let Some((name, by)) = queue.pop_front() {
        if names.contains(&name) {
            continue;
        }
        let Some(file) = find(&name, &objects[by].run_paths) else {
            let err = format!(
                "{}: cannot find library {name} (needed by {})",
                objects[0].path, objects[by].path
            );
            unload(&objects);
            return Err(err);
        };
        names.push(name);
        match load_library(&file) {
            Ok(lib) => {
                let index = objects.len();
                queue.extend(lib.needed.iter().map(|n| (n.clone(), index)));
                objects.push(lib);
            }
            Err(e) => {
                unload(&objects);
                return Err(e);
            }
        }
    }
    // Libraries first (their data may be copied into the program by COPY).
    for i in (0..objects.len()).rev() {
        if let Err(e) = relocate(&objects, i) {
            unload(&objects);
            return Err(e);
        }
    }
    Ok(objects)
}

/// Unmap what [`load_library`] mapped for each of `objects`.
pub fn unload(objects: &[Object]) {
    for o in objects {
        if o.span.1 > 0 {
            let _ = ulib::sys::munmap(o.span.0 as usize, o.span.1 as usize);
        }
    }
}

// The three places the linker writes memory it did not get from Rust.

/// Zero the `.bss` part of a library's last file page.
#[allow(unsafe_code)]
fn zero_tail(at: u64, len: usize) {
    // SAFETY: [at, at + len) is the tail of a page `load_library` just mapped writable
    // from the library's file, past its file bytes; nothing lives there yet.
    unsafe { ulib::dl::zero(at, len) }
}

/// Apply an `R_X86_64_COPY`.
#[allow(unsafe_code)]
fn copy_data(to: u64, from: u64, len: usize) {
    // SAFETY: a COPY target is the program's own writable data, sized by the symbol;
    // the source is the defining library's mapped data, of that size.
    unsafe { ulib::dl::copy(to, from, len) }
}

/// Store a relocated word.
#[allow(unsafe_code)]
fn store(at: u64, value: u64) {
    // SAFETY: `at` is a relocation target of a loaded object: inside one of its
    // writable segments (the GOT, data), mapped by the kernel (the program) or by
    // `load_library`, holding no Rust object of this linker.
    unsafe { ulib::dl::store_u64(at, value) }
}

/// A library loaded while the program runs ([`dlopen`]): it and what it needs, in load
/// order.
pub struct Library(Vec<Object>);

/// Load the library file `path` and every library it needs, relocated, each symbol
/// bound in their own scope (the library first, then its needs in load order).
pub fn dlopen(path: &str) -> Result<Library, String> {
    if !ulib::fs::exists(path) {
        return Err(format!("{path}: no such library"));
    }
    let first = load_library(path)?;
    load_all(first).map(Library)
}

/// The address of `name` in the library (or what it loaded).
pub fn dlsym(lib: &Library, name: &str) -> Option<u64> {
    lookup(&lib.0, name, None).map(|(at, _)| at)
}

/// Unmap the library and everything [`dlopen`] loaded for it.
pub fn dlclose(lib: Library) {
    unload(&lib.0);
}
