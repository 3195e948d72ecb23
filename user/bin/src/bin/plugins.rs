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

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

#[path = "../dynload.rs"]
mod dynload;

ulib::entry!(main);

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "plugins NAME...";
const ABOUT: &str = "Load each plugin /lib/plugins/NAME.so with dlopen, call its plugin_run(7)
and plugin_name through dlsym, and unload it with dlclose.";

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

fn run(name: &str) -> Result<String, String> {
    let path = if name.contains('/') {
        String::from(name)
    } else {
        format!("/lib/plugins/{name}.so")
    };
    let lib = dynload::dlopen(&path)?;
    let found = (
        dynload::dlsym(&lib, "plugin_run"),
        dynload::dlsym(&lib, "plugin_name"),
    );
    let (Some(run_at), Some(name_at)) = found else {
        dynload::dlclose(lib);
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
    dynload::dlclose(lib);
    Ok(line)
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
    let mut status = 0;
    for name in &args {
        match run(name) {
            Ok(line) => ulib::println!("{line}"),
            Err(e) => {
                ulib::eprintln!("plugins: {e}");
                status = 1;
            }
        }
    }
    status
}
