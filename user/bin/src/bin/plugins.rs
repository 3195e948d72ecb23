//! `plugins NAME...`: load plugins chosen at run time with `dlopen`, call them through
//! `dlsym`, unload them with `dlclose` (chapter 2 section 5: run-time loading;
//! docs/linking.md).
//!
//! Each NAME is `/lib/plugins/NAME.so` (or a path with a `/`): a shared library that
//! exports `plugin_run(long) -> long` and `plugin_name(buf, len)`. This program is
//! linked statically; the loading is `user/bin/src/dynload.rs`, the same code
//! `/lib/ld-dinos.so` links programs with, so a plugin's own `DT_NEEDED` libraries
//! are loaded with it (`triple.so` needs `libdemo.so`). A plugin that is missing, or
//! lacks a symbol, is reported by name and the others still run (exit status 1).
//!
//! `plugins -k NAME...` keeps every library open: it opens each in turn, then closes
//! them in the same order, and after each step prints which shared objects are
//! mapped (from `/proc/self/maps`) and how many times (their executable mappings):
//! a library opened twice, or needed by another already open, is mapped once and
//! unmapped at its last `dlclose`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

#[path = "../dlopen.rs"]
mod dlopen;
#[path = "../dynload.rs"]
mod dynload;

ulib::entry!(main);

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "plugins [-k] NAME...";
const ABOUT: &str = "Load each plugin /lib/plugins/NAME.so with dlopen, call its plugin_run(7)
and plugin_name through dlsym, and unload it with dlclose. -k: open them all, then
close them in order, printing the shared objects mapped after each step.";

/// A plugin's `long f(long)`.
type RunFn = extern "C" fn(i64) -> i64;
/// A plugin's `long f(char *buf, long len)`.
type NameFn = extern "C" fn(*mut u8, i64) -> i64;

/// The functions at the addresses `dlsym` found.
#[allow(unsafe_code)]
fn functions(run: u64, name: u64) -> (RunFn, NameFn) {
    // SAFETY: both addresses are the values of a plugin's exported function symbols,
    // in its text, mapped executable and relocated by `dlopen`; the plugin interface
    // says these are its `plugin_run` and `plugin_name` of these C types.
    unsafe {
        (
            core::mem::transmute::<u64, RunFn>(run),
            core::mem::transmute::<u64, NameFn>(name),
        )
    }
}

fn path_of(name: &str) -> String {
    if name.contains('/') {
        String::from(name)
    } else {
        format!("/lib/plugins/{name}.so")
    }
}

/// The `plugin_run` at the address `dlsym` found.
#[allow(unsafe_code)]
fn run_function(at: u64) -> RunFn {
    // SAFETY: as in `functions`, for `plugin_run` alone.
    unsafe { core::mem::transmute::<u64, RunFn>(at) }
}

fn run(dl: &mut dlopen::Linker, name: &str) -> Result<String, String> {
    let path = path_of(name);
    let lib = dl.open(&path)?;
    let found = (dl.sym(&lib, "plugin_run"), dl.sym(&lib, "plugin_name"));
    let (Some(run_at), Some(name_at)) = found else {
        dl.close(lib);
        return Err(format!("{path}: no plugin_run or plugin_name symbol"));
    };
    let (run_fn, name_fn) = functions(run_at, name_at);
    let mut buf = [0u8; 64];
    let len = name_fn(buf.as_mut_ptr(), buf.len() as i64);
    let len = usize::try_from(len).unwrap_or(0).min(buf.len());
    let line = format!(
        "{name}: {}: plugin_run(7) = {}",
        String::from_utf8_lossy(&buf[..len]),
        run_fn(7)
    );
    dl.close(lib);
    Ok(line)
}

/// The shared objects mapped now, in address order, each with its number of
/// executable mappings (`/proc/self/maps`).
fn mapped() -> String {
    let text = ulib::fs::read("/proc/self/maps").unwrap_or_default();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for line in String::from_utf8_lossy(&text).lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(rights), Some(path)) = (fields.get(1), fields.get(5)) else {
            continue;
        };
        if !path.ends_with(".so") {
            continue;
        }
        let exec = usize::from(rights.contains('x'));
        match seen.iter_mut().find(|(p, _)| p == path) {
            Some((_, n)) => *n += exec,
            None => seen.push((String::from(*path), exec)),
        }
    }
    if seen.is_empty() {
        return String::from("nothing mapped");
    }
    let parts: Vec<String> = seen.iter().map(|(p, n)| format!("{p} x{n}")).collect();
    parts.join(", ")
}

/// `-k`: open every library, then close each, showing what is mapped.
fn keep(names: &[String]) -> i32 {
    let mut dl = dlopen::Linker::new();
    let mut libs = Vec::new();
    let mut status = 0;
    for name in names {
        match dl.open(&path_of(name)) {
            Ok(lib) => {
                libs.push((name, lib));
                ulib::println!("open {name}: {}", mapped());
            }
            Err(e) => {
                ulib::eprintln!("plugins: {e}");
                status = 1;
            }
        }
    }
    for (name, lib) in libs {
        let run = dl.sym(&lib, "plugin_run").map(|at| run_function(at)(7));
        dl.close(lib);
        match run {
            Some(v) => ulib::println!("close {name} (plugin_run(7) = {v}): {}", mapped()),
            None => ulib::println!("close {name}: {}", mapped()),
        }
    }
    status
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    if args.is_empty() {
        ulib::eprintln!("usage: {USAGE}");
        return 1;
    }
    if args[0] == "-k" {
        return keep(&args[1..]);
    }
    let mut dl = dlopen::Linker::new();
    let mut status = 0;
    for name in &args {
        match run(&mut dl, name) {
            Ok(line) => ulib::println!("{line}"),
            Err(e) => {
                ulib::eprintln!("plugins: {e}");
                status = 1;
            }
        }
    }
    status
}
