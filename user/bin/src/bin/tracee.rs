//! `tracee MODE [N]`: a program whose system calls and hot spots are known in advance,
//! for testing and measuring the tracer and the profiler (chapter 2, 3-2 "information
//! maintenance" and the debugging notes: a trace must show exactly these calls, a
//! profile must find exactly this hot function).
//!
//! - `calls`: a fixed sequence of file calls (one failing with ENOENT), each made
//!   straight through `ulib::sys`, so each is exactly one system call.
//! - `nulls N [say]`: N null calls (the count `trace -c` must report); with a third
//!   word, a line at the end saying so.
//! - `nullbench N`: N null calls, timed: the nanoseconds each took.
//! - `fork`: a child that makes its own calls (for `trace -f`).
//! - `hot N`: N rounds of arithmetic, most of it in `hot_function` and a tenth in
//!   `cold_function`; prints the nanoseconds the loop took (the profiler's slowdown).
//! - `sleepy N`: N times, sleep 50 ms and call getpid (a process to attach to).
//! - `badwatch`: the tracer's and profiler's calls with bad arguments; one line each
//!   with the errno it got.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::flags::*;
use ulib::sys;

const USAGE: &str = "tracee calls | nulls N | nullbench N | fork | hot N | sleepy N | badwatch";

fn said(what: &str, r: sys::SysResult) {
    match r {
        Ok(v) => ulib::println!("badwatch: {what}: ok {v}"),
        Err(e) => ulib::println!("badwatch: {what}: {e:?}"),
    }
}

/// Bad arguments to calls 140-144, and a process tracing itself into its own pipe.
fn badwatch() -> i32 {
    let mut fds = [0i32; 2];
    if sys::pipe(&mut fds).is_err() {
        return 1;
    }
    let [r, w] = fds;
    said("trace_attach bad fd", sys::trace_attach(0, 99, 0));
    said("trace_attach not a pipe", sys::trace_attach(0, 0, 0));
    said("trace_attach read end", sys::trace_attach(0, r, 0));
    said("trace_attach bad flags", sys::trace_attach(0, w, 0x80));
    said(
        "trace_attach no process",
        sys::trace_attach(4_000_000, w, 0),
    );
    said("trace_detach untraced", sys::trace_detach(0));
    said("prof_open bad flags", sys::prof_open(0x80));
    said("prof_attach not a profile", sys::prof_attach(w, 0));
    said("prof_attach bad fd", sys::prof_attach(99, 0));
    said("ksym user address", sys::ksym(0x40_0000, &mut [0u8; 16]));
    let mut profiles = Vec::new();
    for _ in 0..8 {
        match sys::prof_open(0) {
            Ok(fd) => profiles.push(fd as i32),
            Err(e) => ulib::println!("badwatch: prof_open: {e:?}"),
        }
    }
    said("prof_open past the limit", sys::prof_open(0));
    for fd in profiles {
        let _ = sys::close(fd);
    }
    said("prof_open after closing", sys::prof_open(0).map(|_| 0));
    said("trace_attach self", sys::trace_attach(0, w, 0));
    said("trace_attach again", sys::trace_attach(0, w, 0));
    said("trace_detach self", sys::trace_detach(0));
    let _ = sys::close(w);
    let mut buf = [0u8; 512];
    let n = sys::read(r, &mut buf).unwrap_or(0);
    for line in core::str::from_utf8(&buf[..n]).unwrap_or("").lines() {
        // `PID NANOSECONDS LINE`: the line only.
        let text = line.splitn(3, ' ').nth(2).unwrap_or("");
        ulib::println!("badwatch: own record: {text}");
    }
    0
}

/// The file calls a test expects, in order.
fn calls() -> i32 {
    let _ = sys::open("/tracee/missing", O_RDONLY, 0);
    let Ok(fd) = sys::open("/tmp/tracee.txt", O_WRONLY | O_CREAT | O_TRUNC, 0o644) else {
        return 1;
    };
    let _ = sys::write(fd as i32, b"hello, trace\n");
    let _ = sys::close(fd as i32);
    let mut st = ulib::abi::Stat::default();
    let _ = sys::stat("/tmp/tracee.txt", &mut st);
    let _ = sys::unlink("/tmp/tracee.txt");
    let _ = sys::getpid();
    0
}

#[inline(never)]
fn hot_function(rounds: u64) -> u64 {
    let mut x = core::hint::black_box(0x9e37_79b9_7f4a_7c15u64);
    for i in 0..rounds {
        x = x.rotate_left(7) ^ i.wrapping_mul(0x2545_f491_4f6c_dd1d);
        x = core::hint::black_box(x);
    }
    x
}

#[inline(never)]
fn cold_function(rounds: u64) -> u64 {
    hot_function(core::hint::black_box(rounds))
}

fn hot(n: u64) -> i32 {
    let start = ulib::time::Instant::now();
    let mut acc = 0u64;
    for _ in 0..n {
        acc ^= hot_function(90_000);
        acc ^= cold_function(10_000);
    }
    let d = start.elapsed();
    let ns = d.as_secs() * 1_000_000_000 + d.subsec_nanos() as u64;
    ulib::println!("tracee: hot {n} rounds in {ns} ns ({:x})", acc & 0xf);
    0
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let n = |d: u64| args.get(1).and_then(|s| s.parse::<u64>().ok()).unwrap_or(d);
    match args.first().map(String::as_str) {
        Some("calls") => calls(),
        Some("nulls") => {
            for _ in 0..n(1000) {
                let _ = sys::null();
            }
            if args.len() > 2 {
                ulib::println!("tracee: {} null calls", n(0));
            }
            0
        }
        Some("nullbench") => {
            let count = n(10_000);
            let start = ulib::time::Instant::now();
            for _ in 0..count {
                let _ = sys::null();
            }
            let d = start.elapsed();
            let ns = d.as_secs() * 1_000_000_000 + d.subsec_nanos() as u64;
            ulib::println!("tracee: {count} null calls, {} ns each", ns / count.max(1));
            0
        }
        Some("fork") => match ulib::process::fork() {
            Ok(ulib::process::Fork::Child) => {
                let _ = sys::open("/tracee/child", O_RDONLY, 0);
                let _ = sys::getppid();
                sys::exit(3)
            }
            Ok(ulib::process::Fork::Parent(pid)) => {
                let _ = ulib::process::waitpid(pid as i64, 0);
                let _ = sys::open("/tracee/parent", O_RDONLY, 0);
                0
            }
            Err(e) => {
                ulib::cli::error("fork", e);
                1
            }
        },
        Some("hot") => hot(n(20)),
        Some("sleepy") => {
            for _ in 0..n(100) {
                let _ = sys::nanosleep(50_000_000);
                let _ = sys::getpid();
            }
            ulib::println!("tracee: slept {} times", n(100));
            0
        }
        Some("badwatch") => badwatch(),
        _ => ulib::cli::usage_error(USAGE),
    }
}
