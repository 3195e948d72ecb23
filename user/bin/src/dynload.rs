//! The dynamic linker's machinery, shared by `/lib/ld-dinos.so` (linking a program at
//! its start) and `dlopen` (`plugins`: loading a library while a program runs);
//! chapter 2 section 5, docs/linking.md.
//!
//! [`parse`] reads what linking needs from an ELF file (segments, `DT_NEEDED`, run
//! paths, `.dynsym`, `DT_RELA` and `DT_JMPREL`, the TLS segment), every offset checked,
//! in safe code; [`load_library`] maps a library at an address the kernel picks (a
//! reservation, then each segment from the file over it, the `.bss` zeroed);
//! [`relocate`] applies `RELATIVE`, `GLOB_DAT`, `JUMP_SLOT`, `64`, `COPY` and the
//! thread-local `TPOFF64`, `DTPMOD64`, `DTPOFF64`, a symbol looked for in the objects
//! in load order; the PLT's `JUMP_SLOT`s are bound now or, for a program started by
//! `ld-dinos` without `LD_BIND_NOW` or `-z now`, on each slot's first call
//! ([`bind_lazily`], through `ulib::dl`'s resolver stub). [`load_all`] does it for an
//! object and everything it needs, breadth first, each library once; [`setup_tls`]
//! gives the first thread its TLS blocks. `dlopen.rs` builds run-time loading on it.
//! Errors are messages naming the library, symbol or relocation; the only `unsafe` is
//! in the four small functions at the end, over `ulib::dl`.

#![allow(dead_code)] // each program uses part of it

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::borrow::Borrow;
use spinning_top::Spinlock;
use ulib::abi::flags::{MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE};

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_PHDR: u32 = 6;
const PT_TLS: u32 = 7;
const STT_TLS: u8 = 6;
const DT_PLTGOT: u64 = 3;
const DT_BIND_NOW: u64 = 24;
const DT_FLAGS: u64 = 30;
const DF_BIND_NOW: u64 = 8;
const DT_FLAGS_1: u64 = 0x6fff_fffb;
const DF_1_NOW: u64 = 1;
/// The thread control block's size: its first word points at itself (`%fs:0`).
pub const TCB_SIZE: u64 = 256;
const SHT_DYNSYM: u32 = 11;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_PLTRELSZ: u64 = 2;
const DT_STRTAB: u64 = 5;
const DT_RELA: u64 = 7;
const DT_RELASZ: u64 = 8;
const DT_RUNPATH: u64 = 29;
const DT_HASH: u64 = 4;
const DT_SYMTAB: u64 = 6;
const DT_STRSZ: u64 = 10;
const DT_GNU_HASH: u64 = 0x6fff_fef5;
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
pub const PAGE: u64 = 4096;

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
    /// A thread-local variable: its value is an offset in its object's TLS block.
    pub tls: bool,
}

/// An object's thread-local template (`PT_TLS`): `filesz` initialised bytes at
/// `vaddr`, `memsz` in all, aligned to `align`.
#[derive(Clone, Copy)]
pub struct Tls {
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
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
    /// The PLT's relocations (`DT_JMPREL`), each with the word its slot holds in the
    /// file: the address of the second half of its PLT entry, which pushes the
    /// slot's index and jumps to the resolver (before the base is added).
    plt: Vec<(Rela, u64)>,
    /// The PLT's GOT (`DT_PLTGOT`): words 1 and 2 are the resolver's.
    pltgot: Option<u64>,
    /// The object asks to be bound at start (`-z now`: `DF_BIND_NOW`, `DF_1_NOW`).
    pub bind_now: bool,
    pub tls: Option<Tls>,
    /// Its TLS module id (1, 2, ...) and how far below the thread pointer its block
    /// starts, once [`tls_layout`] placed it.
    pub tls_module: Option<(u64, u64)>,
    /// Its `DT_GNU_HASH` table, which [`find_symbol`] looks names up in (a linear
    /// search of [`Object::symbols`] without one).
    pub hash: Option<GnuHash>,
}

/// A `DT_GNU_HASH` table: the symbols from `symoffset` on (the defined ones, sorted
/// by bucket) hashed into `buckets`; each bucket's run in `chains` holds their hashes
/// with the low bit marking the run's last; the Bloom filter answers "not here" for
/// most names with one word (docs/linking.md).
pub struct GnuHash {
    symoffset: usize,
    shift: u32,
    bloom: Vec<u64>,
    buckets: Vec<u32>,
    chains: Vec<u32>,
}

/// The hash `DT_GNU_HASH` files a name under (Bernstein's: h * 33 + c from 5381).
pub fn gnu_hash(name: &str) -> u32 {
    name.bytes()
        .fold(5381u32, |h, c| h.wrapping_mul(33).wrapping_add(c as u32))
}

impl GnuHash {
    /// The index in `symbols` of the defined symbol `name` (whose [`gnu_hash`] is
    /// `h`), if the table has it.
    pub fn find(&self, symbols: &[Symbol], name: &str, h: u32) -> Option<usize> {
        let word = *self
            .bloom
            .get((h as usize / 64) % self.bloom.len().max(1))?;
        let mask = (1u64 << (h % 64)) | (1u64 << ((h >> self.shift) % 64));
        if word & mask != mask {
            return None;
        }
        let mut i = *self.buckets.get(h as usize % self.buckets.len().max(1))? as usize;
        if i < self.symoffset {
            return None; // an empty bucket
        }
        loop {
            let c = *self.chains.get(i - self.symoffset)?;
            if c | 1 == h | 1 && symbols.get(i).is_some_and(|s| s.defined && s.name == name) {
                return Some(i);
            }
            if c & 1 != 0 {
                return None;
            }
            i += 1;
        }
    }

    /// How many entries `.dynsym` has: past the end of the last bucket's run.
    fn symbol_count(&self) -> usize {
        let last = self.buckets.iter().copied().max().unwrap_or(0) as usize;
        if last < self.symoffset {
            return self.symoffset;
        }
        let mut i = last;
        while let Some(c) = self.chains.get(i - self.symoffset) {
            i += 1;
            if c & 1 != 0 {
                break;
            }
        }
        i
    }
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

/// The most bytes one part of a file may take (a table, the dynamic section): a
/// header claiming more is not believed.
const MAX_PART: usize = 1 << 20;
/// What the first read takes: the ELF header and program headers, and in the files
/// the linkers make also `.dynsym`, `.dynstr`, the hash tables and the relocations.
const HEAD: usize = 4096;

/// The parts of an ELF file that linking reads, each fetched with `pread` when first
/// asked for (the first page, the dynamic section, the PLT's GOT words; the section
/// headers only when no hash table says how many symbols there are), never the whole
/// file: the code and data are mapped, not copied (docs/linking.md, "What it costs").
pub struct Parts<'f> {
    file: &'f ulib::fs::File,
    chunks: Vec<(usize, Vec<u8>)>,
}

impl<'f> Parts<'f> {
    pub fn new(file: &'f ulib::fs::File) -> Self {
        Self {
            file,
            chunks: Vec::new(),
        }
    }

    /// Read up to `len` bytes at `off` into a new chunk (fewer at the end of the
    /// file); its index.
    fn fill(&mut self, off: usize, len: usize) -> Option<usize> {
        if len > MAX_PART {
            return None;
        }
        let mut buf = alloc::vec![0u8; len];
        let mut got = 0;
        while got < len {
            match self.file.read_at(&mut buf[got..], (off + got) as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(ulib::abi::Errno::EINTR) => continue,
                Err(_) => return None,
            }
        }
        buf.truncate(got);
        self.chunks.push((off, buf));
        Some(self.chunks.len() - 1)
    }

    /// The `len` bytes at file offset `off`, from a chunk already read or read now
    /// (just those: reading whole pages around them cost more in new heap pages than
    /// the `pread`s it saved); None past the end of the file.
    pub fn get(&mut self, off: usize, len: usize) -> Option<&[u8]> {
        let end = off.checked_add(len)?;
        let i = match self
            .chunks
            .iter()
            .position(|(o, c)| *o <= off && end <= o + c.len())
        {
            Some(i) => i,
            None => self.fill(off, len)?,
        };
        let (o, c) = &self.chunks[i];
        c.get(off - o..end - o)
    }

    fn u16(&mut self, off: usize) -> Option<u64> {
        u16_at(self.get(off, 2)?, 0)
    }
    fn u32(&mut self, off: usize) -> Option<u64> {
        u32_at(self.get(off, 4)?, 0)
    }
    fn u64(&mut self, off: usize) -> Option<u64> {
        u64_at(self.get(off, 8)?, 0)
    }
}

/// Read the `DT_GNU_HASH` table at address `at` (its chains run to the end of the
/// part read: as many words as `.dynsym` could have past `symoffset`, bounded by
/// [`MAX_PART`]).
fn read_gnu_hash(p: &mut Parts, loads: &[Load], at: u64) -> Option<GnuHash> {
    let g = file_offset(loads, at)?;
    let head = p.get(g, 16)?;
    let (nbuckets, symoffset) = (u32_at(head, 0)? as usize, u32_at(head, 4)? as usize);
    let (nbloom, shift) = (u32_at(head, 8)? as usize, u32_at(head, 12)? as u32);
    if nbuckets == 0 || nbloom == 0 || !nbloom.is_power_of_two() {
        return None;
    }
    let words = |b: &[u8], size: usize| -> Vec<u64> {
        b.chunks_exact(size)
            .map(|w| {
                if size == 8 {
                    u64::from_le_bytes(w.try_into().unwrap_or([0; 8]))
                } else {
                    u32::from_le_bytes(w.try_into().unwrap_or([0; 4])) as u64
                }
            })
            .collect()
    };
    let bloom_at = g.checked_add(16)?;
    let bloom = words(p.get(bloom_at, nbloom.checked_mul(8)?)?, 8);
    let buckets_at = bloom_at.checked_add(nbloom * 8)?;
    let buckets: Vec<u32> = words(p.get(buckets_at, nbuckets.checked_mul(4)?)?, 4)
        .into_iter()
        .map(|w| w as u32)
        .collect();
    let last = buckets.iter().copied().max().unwrap_or(0) as usize;
    let chains_at = buckets_at.checked_add(nbuckets * 4)?;
    // The chains: up to the last bucket's run's end, found word by word past `last`.
    let mut n = last.saturating_sub(symoffset);
    if last >= symoffset {
        loop {
            let c = u32_at(p.get(chains_at.checked_add(n.checked_mul(4)?)?, 4)?, 0)?;
            n += 1;
            if c & 1 != 0 || n > MAX_PART / 24 {
                break;
            }
        }
    }
    let chains = words(p.get(chains_at, n * 4)?, 4)
        .into_iter()
        .map(|w| w as u32)
        .collect();
    Some(GnuHash {
        symoffset,
        shift: shift % 64,
        bloom,
        buckets,
        chains,
    })
}

/// The file's loadable segments and everything dynamic linking needs from it, read
/// in parts ([`Parts`]).
pub fn parse(path: &str, file: &ulib::fs::File) -> Option<(Vec<Load>, Object, Option<u64>)> {
    let mut p = Parts::new(file);
    p.fill(0, HEAD)?;
    let b = p.get(0, 64)?;
    if b.get(..4)? != b"\x7fELF" || *b.get(4)? != 2 || u16_at(b, 18)? != 62 {
        return None;
    }
    let phoff = u64_at(b, 32)? as usize;
    let (phentsize, phnum) = (u16_at(b, 54)? as usize, u16_at(b, 56)? as usize);
    let (shoff, shentsize, shnum) = (
        u64_at(b, 40)? as usize,
        u16_at(b, 58)? as usize,
        u16_at(b, 60)? as usize,
    );
    if phentsize < 56 {
        return None;
    }
    let phdrs = p.get(phoff, phnum.checked_mul(phentsize)?)?;
    let (mut loads, mut dynamic, mut phdr, mut tls) = (Vec::new(), None, None, None);
    for ph in phdrs.chunks_exact(phentsize) {
        let load = Load {
            vaddr: u64_at(ph, 16)?,
            offset: u64_at(ph, 8)?,
            filesz: u64_at(ph, 32)?,
            memsz: u64_at(ph, 40)?,
            flags: u32_at(ph, 4)? as u32,
        };
        match u32_at(ph, 0)? as u32 {
            PT_LOAD if load.filesz <= load.memsz => loads.push(load),
            PT_LOAD => return None,
            PT_DYNAMIC => dynamic = Some(load),
            PT_PHDR => phdr = Some(load.vaddr),
            PT_TLS if load.filesz <= load.memsz => {
                let align = u64_at(ph, 48)?.max(1);
                if !align.is_power_of_two() || align > PAGE {
                    return None;
                }
                tls = Some(Tls {
                    vaddr: load.vaddr,
                    filesz: load.filesz,
                    memsz: load.memsz,
                    align,
                });
            }
            PT_TLS => return None,
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
        plt: Vec::new(),
        pltgot: None,
        bind_now: false,
        tls,
        tls_module: None,
        hash: None,
    };
    let Some(d) = dynamic else {
        return Some((loads, obj, phdr));
    };
    let entries = p.get(d.offset as usize, d.filesz as usize)?;
    let mut tags: Vec<(u64, u64)> = Vec::new();
    for e in entries.chunks_exact(16) {
        let (tag, val) = (u64_at(e, 0)?, u64_at(e, 8)?);
        if tag == DT_NULL {
            break;
        }
        tags.push((tag, val));
    }
    let tag = |t: u64| tags.iter().find(|&&(k, _)| k == t).map(|&(_, v)| v);
    let strtab = p
        .get(
            file_offset(&loads, tag(DT_STRTAB)?)?,
            tag(DT_STRSZ)? as usize,
        )?
        .to_vec();
    for &(t, v) in &tags {
        match t {
            DT_NEEDED => obj.needed.push(c_str(&strtab, v as usize)?),
            DT_RUNPATH | DT_RPATH => {
                let list = c_str(&strtab, v as usize)?;
                obj.run_paths
                    .extend(list.split(':').filter(|s| !s.is_empty()).map(String::from));
            }
            DT_BIND_NOW => obj.bind_now = true,
            DT_FLAGS if v & DF_BIND_NOW != 0 => obj.bind_now = true,
            DT_FLAGS_1 if v & DF_1_NOW != 0 => obj.bind_now = true,
            _ => {}
        }
    }
    obj.pltgot = tag(DT_PLTGOT);
    // The symbols: DT_SYMTAB, as many as a hash table says; without one, the
    // .dynsym section, by the section headers.
    obj.hash = tag(DT_GNU_HASH).and_then(|at| read_gnu_hash(&mut p, &loads, at));
    let count = match (tag(DT_HASH), &obj.hash) {
        (Some(h), _) => file_offset(&loads, h)
            .and_then(|o| p.u32(o.checked_add(4)?))
            .map(|n| n as usize),
        (None, Some(g)) => Some(g.symbol_count()),
        (None, None) => None,
    };
    let counted = match (tag(DT_SYMTAB), count) {
        (Some(at), Some(n)) => Some((file_offset(&loads, at)?, n.checked_mul(24)?)),
        _ => None,
    };
    let dynsym = match counted {
        Some(found) => Some(found),
        None => {
            let shdrs = p.get(shoff, shnum.checked_mul(shentsize)?)?;
            let mut found = None;
            for sh in shdrs.chunks_exact(shentsize.max(64)) {
                if u32_at(sh, 4)? as u32 == SHT_DYNSYM {
                    found = Some((u64_at(sh, 24)? as usize, u64_at(sh, 32)? as usize));
                }
            }
            found
        }
    };
    if let Some((off, size)) = dynsym {
        for s in p.get(off, size)?.chunks_exact(24) {
            let info = s[4];
            obj.symbols.push(Symbol {
                name: c_str(&strtab, u32_at(s, 0)? as usize)?,
                value: u64_at(s, 8)?,
                size: u64_at(s, 16)?,
                defined: u16_at(s, 6)? != 0,
                weak: info >> 4 == 2,
                tls: info & 0xf == STT_TLS,
            });
        }
    }
    for (table, size) in [(DT_RELA, DT_RELASZ), (DT_JMPREL, DT_PLTRELSZ)] {
        let (Some(at), Some(len)) = (tag(table), tag(size)) else {
            continue;
        };
        let rows = p.get(file_offset(&loads, at)?, len as usize)?.to_vec();
        let mut relas = Vec::with_capacity(rows.len() / 24);
        for r in rows.chunks_exact(24) {
            let info = u64_at(r, 8)?;
            relas.push(Rela {
                offset: u64_at(r, 0)?,
                kind: info as u32,
                sym: (info >> 32) as usize,
                addend: u64_at(r, 16)? as i64,
            });
        }
        if table != DT_JMPREL {
            obj.relocs.extend(relas);
            continue;
        }
        // Each slot's word in the file (0 if it is not there: bound at start); the
        // slots are one table (`.got.plt`), read at once.
        let slots: Vec<usize> = relas
            .iter()
            .filter_map(|r| file_offset(&loads, r.offset))
            .collect();
        if let (Some(&lo), Some(&hi)) = (slots.iter().min(), slots.iter().max()) {
            if hi - lo < MAX_PART {
                p.get(lo, hi - lo + 8);
            }
        }
        for rela in relas {
            let word = file_offset(&loads, rela.offset).and_then(|o| p.u64(o));
            obj.plt.push((rela, word.unwrap_or(0)));
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
    let file = ulib::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let (loads, mut obj, _) =
        parse(path, &file).ok_or_else(|| format!("{path}: not a valid ELF library"))?;
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
/// the symbol there. `skip` is left out (for `COPY`).
pub fn find_symbol<'a, O: Borrow<Object>>(
    objects: &'a [O],
    name: &str,
    skip: Option<usize>,
) -> Option<(usize, &'a Symbol)> {
    let h = gnu_hash(name);
    objects
        .iter()
        .enumerate()
        .filter(|&(i, _)| Some(i) != skip)
        .find_map(|(i, o)| {
            let o = o.borrow();
            match &o.hash {
                Some(table) => table.find(&o.symbols, name, h).map(|k| (i, &o.symbols[k])),
                None => o
                    .symbols
                    .iter()
                    .find(|s| s.defined && s.name == name)
                    .map(|s| (i, s)),
            }
        })
}

/// The address and size of `name` (see [`find_symbol`]); `__tls_get_addr`, which no
/// object defines, is the linker's own (`ulib::dl`).
pub fn lookup<O: Borrow<Object>>(
    objects: &[O],
    name: &str,
    skip: Option<usize>,
) -> Option<(u64, u64)> {
    match find_symbol(objects, name, skip) {
        Some((i, s)) => Some((objects[i].borrow().base + s.value, s.size)),
        None if name == "__tls_get_addr" => Some((ulib::dl::tls_get_addr_fn(), 0)),
        None => None,
    }
}

/// Why symbol `name` of `o` cannot be bound (`program`: the first object's path).
fn not_found(program: &str, name: &str, o: &Object) -> String {
    format!("{program}: symbol {name} not found (needed by {})", o.path)
}

/// Apply object `i`'s relocations; its PLT's too unless `lazy` (then each slot is
/// pointed at its PLT entry's second half, which calls the resolver stub).
pub fn relocate<O: Borrow<Object>>(objects: &[O], i: usize, lazy: bool) -> Result<(), String> {
    let o = objects[i].borrow();
    let program = objects[0].borrow().path.as_str();
    // The symbol a relocation names: where it is defined (object index, symbol), or
    // None for a weak one that is nowhere.
    let defined = |r: &Rela| -> Result<Option<(usize, &Symbol)>, String> {
        let Some(s) = o.symbols.get(r.sym) else {
            return Err(format!("{}: bad symbol index {}", o.path, r.sym));
        };
        let skip = (r.kind == R_COPY).then_some(i);
        match find_symbol(objects, &s.name, skip) {
            Some(found) => Ok(Some(found)),
            None if s.weak => Ok(None),
            None => Err(not_found(program, &s.name, o)),
        }
    };
    let address = |r: &Rela| -> Result<(u64, u64), String> {
        let s = &o.symbols.get(r.sym).map_or("", |s| s.name.as_str());
        match defined(r) {
            Ok(Some((j, sym))) => Ok((objects[j].borrow().base + sym.value, sym.size)),
            Ok(None) => Ok((0, 0)),
            Err(_) if *s == "__tls_get_addr" => Ok((ulib::dl::tls_get_addr_fn(), 0)),
            Err(e) => Err(e),
        }
    };
    // A thread-local relocation's module and the variable's offset in its block
    // (symbol 0: this object's own block, the offset being the addend).
    let tls = |r: &Rela| -> Result<(&Object, u64), String> {
        let (owner, value) = if r.sym == 0 {
            (o, 0)
        } else {
            match defined(r)? {
                Some((j, sym)) if sym.tls => (objects[j].borrow(), sym.value),
                Some(_) => {
                    return Err(format!(
                        "{}: a TLS relocation names a non-TLS symbol",
                        o.path
                    ))
                }
                None => return Err(format!("{}: a weak thread-local symbol is nowhere", o.path)),
            }
        };
        if owner.tls_module.is_none() {
            return Err(format!(
                "{}: thread-local storage of {} has no block (TLS is supported in the libraries a program starts with, not in those loaded with dlopen)",
                o.path, owner.path
            ));
        }
        Ok((owner, value.wrapping_add(r.addend as u64)))
    };
    let plt = o.plt.iter().filter(|_| !lazy).map(|(r, _)| r);
    for r in o.relocs.iter().chain(plt) {
        let at = o.base + r.offset;
        let value = match r.kind {
            R_NONE => continue,
            R_RELATIVE => o.base.wrapping_add(r.addend as u64),
            R_GLOB_DAT | R_JUMP_SLOT => address(r)?.0,
            R_64 => address(r)?.0.wrapping_add(r.addend as u64),
            R_COPY => {
                let (from, size) = address(r)?;
                copy_data(at, from, size as usize);
                continue;
            }
            R_DTPMOD64 => tls(r)?.0.tls_module.map_or(0, |(id, _)| id),
            R_DTPOFF64 => tls(r)?.1,
            R_TPOFF64 => {
                let (owner, offset) = tls(r)?;
                let below = owner.tls_module.map_or(0, |(_, below)| below);
                offset.wrapping_sub(below)
            }
            other => return Err(format!("{}: unknown relocation type {other}", o.path)),
        };
        store(at, value);
    }
    if lazy && !o.plt.is_empty() {
        let Some(got) = o.pltgot else {
            return Err(format!("{}: a PLT without DT_PLTGOT", o.path));
        };
        for (r, word) in &o.plt {
            if r.kind != R_JUMP_SLOT {
                return Err(format!(
                    "{}: unknown PLT relocation type {}",
                    o.path, r.kind
                ));
            }
            store(o.base + r.offset, o.base.wrapping_add(*word));
        }
        // GOT[1]: which object (the stub hands it to the resolver); GOT[2]: the stub.
        store(o.base + got + 8, i as u64);
        store(o.base + got + 16, ulib::dl::lazy_stub());
    }
    Ok(())
}

/// Give each object with a TLS template its module id and its place below the
/// thread pointer (x86-64's variant II: the program's block nearest, each aligned);
/// returns the bytes the blocks take and their largest alignment.
pub fn tls_layout(objects: &mut [Object]) -> Result<(u64, u64), String> {
    let (mut below, mut align, mut id) = (0u64, 16u64, 0u64);
    for o in objects.iter_mut() {
        let Some(t) = o.tls else { continue };
        id += 1;
        below = (below + t.memsz).div_ceil(t.align) * t.align;
        align = align.max(t.align);
        if !ulib::dl::set_tls_block(id, below) {
            return Err(format!(
                "{}: more than {} modules with thread-local storage",
                o.path,
                ulib::dl::TLS_MODULES
            ));
        }
        o.tls_module = Some((id, below));
    }
    Ok((below, align))
}

/// Make the first thread's TLS area (the blocks [`tls_layout`] placed, each a copy
/// of its object's template, then the control block) and point `%fs` at it. Nothing
/// when no object has thread-local storage. Below the blocks lies a second copy of
/// them, never written again: the image each later thread's area starts from, which
/// the control block names (`ulib::dl::thread_area`, words 1-4: the magic, the blocks'
/// size and alignment, the image).
pub fn setup_tls(objects: &[Object], (size, align): (u64, u64)) -> Result<(), String> {
    if size == 0 {
        return Ok(());
    }
    let blocks = size.div_ceil(align) * align;
    let total = (2 * blocks + TCB_SIZE).div_ceil(PAGE) * PAGE;
    let area = ulib::sys::mmap(
        0,
        total as usize,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
    )
    .map_err(|e| format!("cannot map the thread-local area: {e}"))? as u64;
    let (image, tp) = (area, area + 2 * blocks);
    for o in objects {
        let (Some(t), Some((_, below))) = (o.tls, o.tls_module) else {
            continue;
        };
        if t.filesz > 0 {
            copy_data(tp - below, o.base + t.vaddr, t.filesz as usize);
        }
    }
    copy_data(image, tp - blocks, blocks as usize);
    for (i, word) in [tp, ulib::dl::TCB_MAGIC, blocks, align, image]
        .into_iter()
        .enumerate()
    {
        store(tp + 8 * i as u64, word);
    }
    ulib::sys::set_thread_pointer(tp).map_err(|e| format!("cannot set the thread pointer: {e}"))?;
    Ok(())
}

/// Load the libraries `objects[0]` needs, and theirs, breadth first, each once, and
/// relocate them all (`objects[0]` last): the objects in load order, or why not. At
/// a program's start (`startup`) their TLS blocks are placed and the PLTs of objects
/// that allow it are left to be bound `lazy`ily; for `dlopen` every slot is bound now
/// and TLS is refused.
pub fn load_all(first: Object, startup: bool, lazy: bool) -> Result<Vec<Object>, String> {
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
    let result = (|| {
        let layout = if startup {
            tls_layout(&mut objects)?
        } else {
            (0, 0)
        };
        // Libraries first (their data may be copied into the program by COPY).
        for i in (0..objects.len()).rev() {
            relocate(&objects, i, lazy && !objects[i].bind_now)?;
        }
        setup_tls(&objects, layout)
    })();
    if let Err(e) = result {
        unload(&objects);
        return Err(e);
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

// ---- lazy binding -------------------------------------------------------------------

/// The objects the program was linked with, for the resolver (kept for the life of
/// the process).
static SCOPE: Spinlock<Option<&'static [Object]>> = Spinlock::new(None);

/// From now on a PLT slot of `objects` left unbound by [`relocate`] is bound at its
/// first call, by [`resolve`] through `ulib::dl`'s stub.
pub fn bind_lazily(objects: &'static [Object]) {
    *SCOPE.lock() = Some(objects);
    ulib::dl::set_lazy_resolver(resolve);
}

/// Bind PLT slot `index` of object `object` (the stub's two words): look its symbol
/// up, store its address in the slot (the next call goes straight there) and return
/// it. A symbol that is nowhere ends the program as at start, with status 127. Runs
/// on the program's stack in the middle of its call: it allocates nothing (the heap
/// is the program's now).
extern "C" fn resolve(object: u64, index: u64) -> u64 {
    let scope = *SCOPE.lock();
    let Some(objects) = scope else {
        ulib::eprintln!("ld-dinos: a lazy call before the program was linked");
        ulib::process::exit(127)
    };
    let Some((o, (r, _))) = objects
        .get(object as usize)
        .and_then(|o| Some((o, o.plt.get(index as usize)?)))
    else {
        ulib::eprintln!("ld-dinos: bad PLT slot {index} of object {object}");
        ulib::process::exit(127)
    };
    let name = o.symbols.get(r.sym).map_or("", |s| s.name.as_str());
    let weak = o.symbols.get(r.sym).is_some_and(|s| s.weak);
    let value = match lookup(objects, name, None) {
        Some((at, _)) => at,
        None if weak => 0,
        None => {
            let program = objects.first().map_or("", |p| p.path.as_str());
            ulib::eprintln!(
                "ld-dinos: {program}: symbol {name} not found (needed by {})",
                o.path
            );
            ulib::process::exit(127)
        }
    };
    store(o.base + r.offset, value);
    value
}

// The three places the linker writes memory it did not get from Rust.

/// Zero the `.bss` part of a library's last file page.
#[allow(unsafe_code)]
fn zero_tail(at: u64, len: usize) {
    // SAFETY: [at, at + len) is the tail of a page `load_library` just mapped writable
    // from the library's file, past its file bytes; nothing lives there yet.
    unsafe { ulib::dl::zero(at, len) }
}

/// Zero a TLS block before a library's template is copied into it (the room may
/// have been another's).
#[allow(unsafe_code)]
pub fn zero_block(at: u64, len: usize) {
    // SAFETY: [at, at + len) is a block `Linker::place_tls` placed inside the
    // thread-local area it mapped, below the control block; no Rust object lives there.
    unsafe { ulib::dl::zero(at, len) }
}

/// Apply an `R_X86_64_COPY`, copy a TLS template into its block, or the blocks into
/// their image.
#[allow(unsafe_code)]
pub fn copy_data(to: u64, from: u64, len: usize) {
    // SAFETY: a COPY target is the program's own writable data, sized by the symbol;
    // the source is the defining library's mapped data, of that size. A TLS block is
    // in the area `setup_tls` just mapped, sized by `tls_layout` from the template,
    // which is inside its object's mapped segments; the image is the part of that area
    // below the blocks, as large as they are.
    unsafe { ulib::dl::copy(to, from, len) }
}

/// Store a relocated word.
#[allow(unsafe_code)]
pub fn store(at: u64, value: u64) {
    // SAFETY: `at` is a relocation target of a loaded object: inside one of its
    // writable segments (the GOT, data), mapped by the kernel (the program) or by
    // `load_library`, holding no Rust object of this linker; or one of the first five
    // words of the thread control block `setup_tls` mapped.
    unsafe { ulib::dl::store_u64(at, value) }
}
