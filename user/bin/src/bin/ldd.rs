//! `ldd PROGRAM...`: the shared libraries each program needs, found as its dynamic
//! linker would find them (chapter 2 section 5, dynamic linking).
//!
//! A dynamically linked executable names its interpreter (`PT_INTERP`) and, in its
//! dynamic section (`PT_DYNAMIC`), the libraries it was linked against
//! (`DT_NEEDED`) and where to look for them (`DT_RUNPATH`, `DT_RPATH`). Each library
//! names its own, so the set is a graph; a loader visits it breadth first, each file
//! once, which is the order printed here, with the interpreter last when some object
//! needs it, as glibc's `ldd` prints it.
//!
//! Design decision: this `ldd` reads the files and never runs them. glibc's `ldd`
//! runs the program's loader with `LD_TRACE_LOADED_OBJECTS` set, which executes code
//! from the file being inspected; reading headers answers the same question (which
//! file each name resolves to, or `not found`) for any program, native or Linux,
//! without trusting it. It cannot print load addresses, which differ on every run
//! anyway (address-space randomisation).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "ldd PROGRAM...";
const ABOUT: &str = "Print the shared libraries each PROGRAM needs and the files they are
found in (\"not found\" if none), the dynamic linker last.";

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const PT_NOTE: u32 = 4;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_RPATH: u64 = 15;
const DT_RUNPATH: u64 = 29;

/// Where libraries are looked for after the object's own run paths: glibc's
/// default directories for Linux objects (Debian's multiarch first), dinos' for
/// native ones.
const LINUX_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];
const NATIVE_DIRS: &[&str] = &["/lib", "/usr/lib"];

/// What `ldd` needs from one ELF file.
struct Dynamic {
    interp: Option<String>,
    needed: Vec<String>,
    run_paths: Vec<String>,
    /// Carries the dinos ABI note (a native object).
    native: bool,
    /// Has a dynamic section at all.
    dynamic: bool,
}

fn u16_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?) as u64)
}
fn u32_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?) as u64)
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?).into()
}

/// The NUL-terminated string at `off`.
fn c_str(b: &[u8], off: usize) -> Option<String> {
    let rest = b.get(off..)?;
    let end = rest.iter().position(|&c| c == 0)?;
    core::str::from_utf8(&rest[..end]).ok().map(String::from)
}

/// Reads the headers of an ELF64 x86-64 file; `None` if it is not one (or is
/// malformed: every offset is checked against the file).
fn parse(b: &[u8]) -> Option<Dynamic> {
    if b.get(..4)? != b"\x7fELF" || *b.get(4)? != 2 || u16_at(b, 18)? != 62 {
        return None;
    }
    let phoff = u64_at(b, 32)? as usize;
    let (phentsize, phnum) = (u16_at(b, 54)? as usize, u16_at(b, 56)? as usize);
    let mut loads = Vec::new();
    let mut d = Dynamic {
        interp: None,
        needed: Vec::new(),
        run_paths: Vec::new(),
        native: false,
        dynamic: false,
    };
    let mut dyn_range = None;
    for i in 0..phnum {
        let ph = phoff.checked_add(i.checked_mul(phentsize)?)?;
        let (kind, off) = (u32_at(b, ph)?, u64_at(b, ph + 8)? as usize);
        let (vaddr, filesz) = (u64_at(b, ph + 16)?, u64_at(b, ph + 32)? as usize);
        match kind as u32 {
            PT_LOAD => loads.push((vaddr, off as u64, filesz as u64)),
            PT_INTERP => d.interp = c_str(b, off),
            PT_DYNAMIC => dyn_range = Some((off, filesz)),
            PT_NOTE => {
                let note = b.get(off..off.checked_add(filesz)?)?;
                d.native |= note.windows(6).any(|w| w == b"dinos\0");
            }
            _ => {}
        }
    }
    let Some((off, size)) = dyn_range else {
        return Some(d);
    };
    d.dynamic = true;
    let entries = b.get(off..off.checked_add(size)?)?;
    let (mut strtab, mut needed, mut paths) = (None, Vec::new(), Vec::new());
    for e in entries.chunks_exact(16) {
        let (tag, val) = (u64_at(e, 0)?, u64_at(e, 8)?);
        match tag {
            DT_NULL => break,
            DT_NEEDED => needed.push(val),
            DT_STRTAB => strtab = Some(val),
            DT_RPATH | DT_RUNPATH => paths.push(val),
            _ => {}
        }
    }
    // DT_STRTAB is an address: the file offset is where a loadable segment puts it.
    let strtab = strtab?;
    let (vaddr, foff, _) = loads
        .iter()
        .find(|&&(v, _, len)| v <= strtab && strtab - v < len)?;
    let base = (foff + (strtab - vaddr)) as usize;
    for n in needed {
        d.needed.push(c_str(b, base.checked_add(n as usize)?)?);
    }
    for p in paths {
        let list = c_str(b, base.checked_add(p as usize)?)?;
        d.run_paths
            .extend(list.split(':').filter(|s| !s.is_empty()).map(String::from));
    }
    Some(d)
}

/// The file a library name resolves to: a name with a slash is a path; any other is
/// looked for in the run paths, then the default directories.
fn find(name: &str, run_paths: &[String], native: bool) -> Option<String> {
    if name.contains('/') {
        return ulib::fs::exists(name).then(|| String::from(name));
    }
    let defaults = if native { NATIVE_DIRS } else { LINUX_DIRS };
    run_paths
        .iter()
        .map(String::as_str)
        .chain(defaults.iter().copied())
        .map(|dir| ulib::fs::join(dir, name))
        .find(|p| ulib::fs::metadata(p).is_ok_and(|m| m.is_file()))
}

/// The lines `ldd` prints for `path`, or the message that says why it cannot.
fn report(path: &str) -> Result<Vec<String>, String> {
    let bytes = ulib::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let top = parse(&bytes).ok_or_else(|| format!("{path}: not an ELF x86-64 file"))?;
    if top.interp.is_none() && !top.dynamic {
        return Err(String::from("\tnot a dynamic executable"));
    }
    let native = top.native;
    let interp = top.interp.clone();
    let interp_name = interp.as_deref().map(|p| p.rsplit('/').next().unwrap_or(p));
    let mut lines = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut interp_needed = false;
    let mut queue: VecDeque<(String, Vec<String>)> = top
        .needed
        .iter()
        .map(|n| (n.clone(), top.run_paths.clone()))
        .collect();
    while let Some((name, run_paths)) = queue.pop_front() {
        // The interpreter is listed once, last (if something needs it, as glibc's
        // list has it); a name seen before is not listed again.
        if Some(name.as_str()) == interp_name || interp.as_deref() == Some(name.as_str()) {
            interp_needed = true;
            continue;
        }
        if seen.contains(&name) {
            continue;
        }
        seen.push(name.clone());
        // musl's dynamic linker is its C library too: it answers for `libc.so`.
        let musl = interp_name.is_some_and(|n| n.starts_with("ld-musl"));
        let found = match (&interp, name.as_str()) {
            (Some(i), "libc.so") if musl => Some(i.clone()),
            _ => find(&name, &run_paths, native),
        };
        match found {
            None => lines.push(format!("\t{name} => not found")),
            Some(file) => {
                lines.push(format!("\t{name} => {file}"));
                if let Some(lib) = ulib::fs::read(&file).ok().and_then(|b| parse(&b)) {
                    for n in lib.needed {
                        queue.push_back((n, lib.run_paths.clone()));
                    }
                }
            }
        }
    }
    // A native program's interpreter is always shown: it is what starts it.
    if let Some(i) = interp.filter(|_| interp_needed || native) {
        if ulib::fs::exists(&i) {
            lines.push(format!("\t{i}"));
        } else {
            lines.push(format!("\t{i} => not found"));
        }
    }
    Ok(lines)
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    if args.is_empty() {
        ulib::eprintln!("ldd: missing file arguments\nusage: {USAGE}");
        return 1;
    }
    let mut status = 0;
    for path in &args {
        if args.len() > 1 {
            ulib::println!("{path}:");
        }
        match report(path) {
            Ok(lines) => {
                for l in lines {
                    ulib::println!("{l}");
                }
            }
            Err(e) => {
                ulib::eprintln!("{e}");
                status = 1;
            }
        }
    }
    status
}
