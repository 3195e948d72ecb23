//! `time [-p] [-v] COMMAND [ARG...]`: run COMMAND and then report on standard error
//! the time it took (`real`) and the CPU time it used in user mode and in the kernel
//! (`user`, `sys`, from `getrusage(RUSAGE_CHILDREN)`, the usage of waited-for
//! children), in POSIX's `-p` form. `-v` adds the rest of what the kernel counted:
//! the real time in nanoseconds (under `cargo xtask run --icount`, guest
//! instructions), the largest resident size, page faults, context switches and
//! system calls. The exit status is COMMAND's; 127 if it was not found, 126 if it
//! could not be run.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::process::Command;
use ulib::time::Instant;
use ulib::Errno;

const USAGE: &str = "time [-p] [-v] COMMAND [ARG...]";
const ABOUT: &str = "Run COMMAND, then print its real, user and system times on standard error.";

fn seconds(ns: u64) -> String {
    alloc::format!(
        "{}.{:02}",
        ns / 1_000_000_000,
        ns % 1_000_000_000 / 10_000_000
    )
}

fn main() -> i32 {
    let mut args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let mut verbose = false;
    while let Some(opt) = args.first().filter(|a| *a == "-p" || *a == "-v") {
        verbose |= opt == "-v";
        args.remove(0);
    }
    if args.is_empty() {
        return ulib::cli::usage_error(USAGE);
    }
    let before = ulib::resource::usage_children().unwrap_or_default();
    let start = Instant::now();
    let status = match Command::new(&args[0]).args(&args[1..]).status() {
        Ok(st) => st.shell_code(),
        Err(e) => {
            ulib::cli::error(&args[0], e);
            return if e == Errno::ENOENT { 127 } else { 126 };
        }
    };
    let real = start.elapsed();
    let after = ulib::resource::usage_children().unwrap_or_default();
    let real_ns = real.as_secs() * 1_000_000_000 + real.subsec_nanos() as u64;
    ulib::eprintln!(
        "real {}\nuser {}\nsys {}",
        seconds(real_ns),
        seconds(after.user_ns - before.user_ns),
        seconds(after.sys_ns - before.sys_ns)
    );
    if verbose {
        // maxrss is the largest of the children's, not a sum: shown as it is.
        ulib::eprintln!(
            "real_ns {}\nmaxrss {} KiB\nminflt {}\nmajflt {}\nnvcsw {}\nnivcsw {}\nsyscalls {}",
            real_ns,
            after.maxrss_kb,
            after.minflt - before.minflt,
            after.majflt - before.majflt,
            after.nvcsw - before.nvcsw,
            after.nivcsw - before.nivcsw,
            after.syscalls - before.syscalls
        );
    }
    status
}
