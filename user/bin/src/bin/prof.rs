//! `prof [-k] [-u] [-o FILE] CMD...`: where a program spends its time, found by
//! sampling its program counter at timer interrupts (chapter 2, 3-2 "information
//! maintenance" and 8 "profiling": "periodically sampling the instruction pointer").
//!
//! The kernel does the sampling (`kernel/proc/src/watch.rs`): while a profiled process
//! is on a CPU, that CPU's timer runs at 1 kHz instead of 100 Hz, and each interrupt
//! appends the interrupted program counter and the frame-pointer chain above it (user
//! programs and the kernel are built with frame pointers) to a profile this program
//! opened (`prof_open`) and the child attached itself to (`prof_attach`) before its
//! `exec`. When CMD has exited, the samples are read from the profile's descriptor
//! and named: user addresses from CMD's ELF symbol table (`.symtab`; dinos' programs
//! are not stripped), demangled, kernel addresses by the kernel (`ksym`, from the symbol table
//! the build embeds in the kernel image).
//!
//! - `-u` (the default): the program's functions; `-k`: the kernel's (samples taken
//!   while CMD was in a system call or a fault); both: both.
//! - `-o FILE`: every sample's stack as a folded line (`main;f;g COUNT`), outermost
//!   first, user frames then kernel frames, which flame-graph tools read.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use ulib::abi::flags::{PROF_KERNEL, PROF_USER};
use ulib::abi::UserStr;
use ulib::sys;

const USAGE: &str = "prof [-k] [-u] [-o FILE] CMD...";
const ABOUT: &str =
    "Run CMD, sampling its program counter 1000 times a second; print its hottest functions.";
/// Functions listed per table.
const TOP: usize = 10;

/// A program's functions by address, from its ELF `.symtab`.
struct Symbols {
    /// (start, end, demangled name), sorted by start.
    funcs: Vec<(u64, u64, String)>,
}

impl Symbols {
    fn load(path: &str) -> Symbols {
        let data = ulib::fs::read(path).unwrap_or_default();
        let mut funcs = elf_functions(&data).unwrap_or_default();
        funcs.sort_by_key(|f| f.0);
        // A symbol without a size (an assembly label such as `_start`) reaches to the
        // next one.
        for i in 0..funcs.len() {
            if funcs[i].1 == funcs[i].0 {
                funcs[i].1 = funcs
                    .get(i + 1)
                    .map_or(funcs[i].0 + 1, |f| f.0.max(funcs[i].0 + 1));
            }
        }
        Symbols { funcs }
    }

    fn name(&self, addr: u64) -> Option<&str> {
        let i = self.funcs.partition_point(|f| f.0 <= addr);
        let (start, end, name) = self.funcs.get(i.checked_sub(1)?)?;
        (addr >= *start && addr < *end).then_some(name.as_str())
    }
}

/// Little-endian fields of an ELF file, bounds-checked.
fn le(data: &[u8], at: u64, n: usize) -> Option<u64> {
    let at = usize::try_from(at).ok()?;
    let b = data.get(at..at.checked_add(n)?)?;
    Some(b.iter().rev().fold(0, |v, &x| v << 8 | u64::from(x)))
}

/// The functions in an ELF64 file's `.symtab`: (start, end, demangled name). (A few
/// fields of the format are read by hand: the `object` crate, the xtask's reader,
/// cannot be used here, because the workspace's host build unifies its features and
/// its `std` feature would link std into this `no_std` program.)
fn elf_functions(data: &[u8]) -> Option<Vec<(u64, u64, String)>> {
    const SHT_SYMTAB: u64 = 2;
    const STT_NOTYPE: u64 = 0;
    const STT_FUNC: u64 = 2;
    if data.get(..5)? != b"\x7fELF\x02" {
        return None; // not an ELF64 file
    }
    let shoff = le(data, 0x28, 8)?;
    let shentsize = le(data, 0x3a, 2)?;
    let shnum = le(data, 0x3c, 2)?;
    let section = |i: u64| shoff.checked_add(i.checked_mul(shentsize)?);
    let symtab = (0..shnum).find_map(|i| {
        let at = section(i)?;
        (le(data, at + 4, 4)? == SHT_SYMTAB).then_some(at)
    })?;
    let (off, size) = (le(data, symtab + 0x18, 8)?, le(data, symtab + 0x20, 8)?);
    let entsize = le(data, symtab + 0x38, 8)?.max(24);
    let strtab = section(le(data, symtab + 0x28, 4)?)?;
    let (stroff, strsize) = (le(data, strtab + 0x18, 8)?, le(data, strtab + 0x20, 8)?);
    let strings = data
        .get(usize::try_from(stroff).ok()?..usize::try_from(stroff.checked_add(strsize)?).ok()?)?;
    let mut out = Vec::new();
    for i in 0..size / entsize {
        let at = off + i * entsize;
        let (name, info) = (le(data, at, 4)? as usize, le(data, at + 4, 1)?);
        let (shndx, value, len) = (
            le(data, at + 6, 2)?,
            le(data, at + 8, 8)?,
            le(data, at + 16, 8)?,
        );
        let kind = info & 0xf;
        if (kind != STT_FUNC && kind != STT_NOTYPE) || shndx == 0 || value == 0 {
            continue;
        }
        let raw = strings.get(name..)?;
        let raw = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())];
        let Ok(raw) = core::str::from_utf8(raw) else {
            continue;
        };
        if raw.is_empty() || raw.starts_with('$') || raw.starts_with(".L") {
            continue;
        }
        let mut d = String::new();
        let _ = write!(d, "{:#}", rustc_demangle::demangle(raw));
        out.push((value, value + len, d));
    }
    Some(out)
}

/// Kernel names, asked of the kernel once per address.
#[derive(Default)]
struct KernelSymbols {
    cache: BTreeMap<u64, String>,
}

impl KernelSymbols {
    fn name(&mut self, addr: u64) -> String {
        self.cache
            .entry(addr)
            .or_insert_with(|| {
                let mut buf = [0u8; 160];
                match sys::ksym(addr, &mut buf) {
                    Ok(n) => {
                        let raw = String::from_utf8_lossy(&buf[..n.min(buf.len())]);
                        let mut d = String::new();
                        let _ = write!(d, "{:#}", rustc_demangle::demangle(&raw));
                        d
                    }
                    Err(_) => alloc::format!("{addr:#x}"),
                }
            })
            .clone()
    }
}

/// One sample: the user stack and the kernel stack, innermost first.
struct Sample {
    user: Vec<u64>,
    kernel: Vec<u64>,
}

fn parse_samples(words: &[u64]) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let h = words[i];
        let (nu, nk) = ((h & 0xff) as usize, (h >> 8 & 0xff) as usize);
        i += 1;
        if i + nu + nk > words.len() {
            break;
        }
        out.push(Sample {
            user: words[i..i + nu].to_vec(),
            kernel: words[i + nu..i + nu + nk].to_vec(),
        });
        i += nu + nk;
    }
    out
}

fn read_all(fd: i32) -> Vec<u64> {
    let mut words = Vec::new();
    let mut buf = alloc::vec![0u8; 64 * 1024];
    while let Ok(n) = sys::read(fd, &mut buf) {
        if n == 0 {
            break;
        }
        for c in buf[..n].chunks_exact(8) {
            words.push(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
    }
    words
}

fn print_table(title: &str, counts: &BTreeMap<String, u64>, total: u64) {
    ulib::println!("{title}");
    ulib::println!("{:>7} {:>8}  function", "%", "samples");
    let mut rows: Vec<(&String, &u64)> = counts.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (name, &n) in rows.into_iter().take(TOP) {
        let tenths = n * 1000 / total.max(1);
        ulib::println!("{:>5}.{} {:>8}  {name}", tenths / 10, tenths % 10, n);
    }
}

fn strs(list: &[String]) -> Vec<UserStr> {
    list.iter()
        .map(|s| UserStr {
            ptr: s.as_ptr() as u64,
            len: s.len() as u64,
        })
        .collect()
}

/// Run `cmd` with a profile attached; its samples and its exit status.
fn run(path: &str, cmd: &[String], flags: u32) -> Result<(Vec<u64>, i32), i32> {
    let fd = match sys::prof_open(flags) {
        Ok(fd) => fd as i32,
        Err(e) => {
            ulib::cli::error("prof: prof_open", e);
            return Err(1);
        }
    };
    let argv = strs(cmd);
    let env = ulib::env::environ();
    let envp = strs(&env);
    ulib::io::flush_stdout();
    let pid = match sys::fork() {
        Ok(0) => {
            if let Err(e) = sys::prof_attach(fd, 0) {
                ulib::cli::error("prof: prof_attach", e);
                sys::exit(126);
            }
            let _ = sys::close(fd);
            let e = sys::exec(path, &argv, &envp)
                .err()
                .unwrap_or(ulib::Errno::EIO);
            ulib::cli::error(path, e);
            sys::exit(126)
        }
        Ok(pid) => pid,
        Err(e) => {
            ulib::cli::error("prof: fork", e);
            return Err(1);
        }
    };
    let status = match ulib::process::waitpid(pid as i64, 0) {
        Ok(Some((_, st))) => st.shell_code(),
        _ => 1,
    };
    let words = read_all(fd);
    let _ = sys::close(fd);
    Ok((words, status))
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let (mut kernel, mut user, mut out) = (false, false, None);
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-k" => kernel = true,
            "-u" => user = true,
            "-ku" | "-uk" => (kernel, user) = (true, true),
            "-o" => {
                let Some(f) = args.get(i + 1) else {
                    return ulib::cli::usage_error(USAGE);
                };
                out = Some(f.clone());
                i += 1;
            }
            "--" => {
                i += 1;
                break;
            }
            a if a.starts_with('-') && a.len() > 1 => {
                return ulib::cli::bad_option(a.chars().nth(1).unwrap_or('?'), USAGE);
            }
            _ => break,
        }
        i += 1;
    }
    let cmd = &args[i..];
    if cmd.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    let user = user || !kernel;
    let flags = if user { PROF_USER } else { 0 } | if kernel { PROF_KERNEL } else { 0 };
    let Some(path) = ulib::process::find_program(&cmd[0]) else {
        ulib::eprintln!("prof: {}: not found", cmd[0]);
        return 127;
    };
    let (words, status) = match run(&path, cmd, flags) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let samples = parse_samples(&words);
    let total = samples.len() as u64;
    let in_kernel = samples.iter().filter(|s| !s.kernel.is_empty()).count();
    ulib::println!(
        "prof: {total} samples of {path} at {} Hz ({} with a kernel stack)",
        hal_rate(),
        in_kernel
    );
    let syms = Symbols::load(&path);
    let mut ksyms = KernelSymbols::default();
    let user_name = |a: u64, ret: bool| -> String {
        // A return address points after its call: look up the call itself.
        let a = if ret { a.saturating_sub(1) } else { a };
        syms.name(a)
            .map(String::from)
            .unwrap_or_else(|| alloc::format!("{a:#x}"))
    };
    if user {
        let mut counts = BTreeMap::new();
        for s in samples.iter().filter(|s| !s.user.is_empty()) {
            *counts.entry(user_name(s.user[0], false)).or_insert(0u64) += 1;
        }
        print_table(
            &alloc::format!("hottest functions of {path}:"),
            &counts,
            total,
        );
    }
    if kernel {
        let mut counts = BTreeMap::new();
        for s in samples.iter().filter(|s| !s.kernel.is_empty()) {
            *counts.entry(ksyms.name(s.kernel[0])).or_insert(0u64) += 1;
        }
        let user_mode = total - in_kernel as u64;
        if user_mode > 0 {
            counts.insert(String::from("(in user mode)"), user_mode);
        }
        print_table("hottest kernel functions:", &counts, total);
    }
    if let Some(file) = out {
        let mut folded: BTreeMap<String, u64> = BTreeMap::new();
        for s in &samples {
            let mut frames: Vec<String> = Vec::new();
            for (n, &a) in s.user.iter().enumerate().rev() {
                frames.push(user_name(a, n > 0));
            }
            for (n, &a) in s.kernel.iter().enumerate().rev() {
                frames.push(ksyms.name(if n > 0 { a.saturating_sub(1) } else { a }));
            }
            if !frames.is_empty() {
                *folded.entry(frames.join(";")).or_insert(0) += 1;
            }
        }
        let mut text = String::new();
        for (stack, n) in folded {
            let _ = writeln!(text, "{stack} {n}");
        }
        if let Err(e) = ulib::fs::write(&file, text.as_bytes()) {
            ulib::cli::error(&file, e);
            return 1;
        }
    }
    status
}

/// The sampling rate the kernel uses for a profiled process (its timer's 100 Hz
/// times `hal::apic::FAST_TIMER_FACTOR`).
fn hal_rate() -> u32 {
    1000
}
