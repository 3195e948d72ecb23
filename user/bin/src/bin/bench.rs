//! `bench [NAME...]`: micro-benchmarks of the system-call interface and process control.
//!
//! Each prints `bench: NAME N ns/op`, the monotonic clock around many iterations divided
//! by their number: a null system call (call 0, which does nothing), `getppid`, a pipe
//! round trip between two
//! processes (one byte each way: two context switches), the same over a message port
//! (a call and its reply), fork + exit + wait, spawn of
//! `/bin/true` + wait, a forked child that execs `/bin/true` + wait, the same with
//! `/bin/sh -c true` (lmbench's "shell" case: the cost of starting the shell), and
//! `sh -c` running a loop of 1,000 iterations with arithmetic and `[`. Under QEMU's
//! `-icount shift=0` (`cargo xtask bench programs`) one nanosecond of guest time is one
//! guest instruction, so the figures are instructions per operation and repeat exactly.
//! Operands select the benchmarks whose names contain one of them.
//!
//! The one design decision: each benchmark runs once untimed before the timed loop, so
//! lazily built state (page tables, the file cache, kernel tables) is not charged to it.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::{SpawnArgs, UserStr};
use ulib::process::{self, Fork};
use ulib::sys;
use ulib::time::Instant;

ulib::entry!(main);

type Bench = fn(u32) -> Result<(), String>;

/// (name, iterations, one batch of work).
const BENCHES: &[(&str, u32, Bench)] = &[
    ("null_syscall", 100_000, null_syscall),
    ("getppid", 100_000, getppid),
    ("pipe_write_read", 20_000, pipe_write_read),
    ("pipe_round_trip", 5_000, pipe_round_trip),
    ("port_round_trip", 5_000, port_round_trip),
    ("fork_exit_wait", 300, fork_exit_wait),
    ("spawn_exit_wait", 200, spawn_exit_wait),
    ("fork_exec_exit_wait", 200, fork_exec_exit_wait),
    ("fork_exec_sh_c_true", 100, fork_exec_sh_c_true),
    ("sh_loop_1000", 2, sh_loop_1000),
];

/// Benchmarks that time only part of each batch themselves (returning the
/// nanoseconds of that part): (name, iterations, one batch).
type SelfTimed = fn(u32) -> Result<u64, String>;

const SELF_TIMED: &[(&str, u32, SelfTimed)] = &[("mapped_page_fault", 2_000, mapped_page_fault)];

fn main() -> i32 {
    let filters: Vec<String> = ulib::env::args().skip(1).collect();
    let mut status = 0;
    for (name, iters, bench) in BENCHES {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let run = || -> Result<u64, String> {
            bench(1)?; // warm-up
            let start = Instant::now();
            bench(*iters)?;
            Ok(start.elapsed().as_nanos() as u64 / u64::from(*iters))
        };
        match run() {
            Ok(ns) => ulib::println!("bench: {name} {ns} ns/op"),
            Err(e) => {
                ulib::println!("bench: {name} failed: {e}");
                status = 1;
            }
        }
    }
    for (name, iters, bench) in SELF_TIMED {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let run = || -> Result<u64, String> {
            bench(1)?; // warm-up
            Ok(bench(*iters)? / u64::from(*iters))
        };
        match run() {
            Ok(ns) => ulib::println!("bench: {name} {ns} ns/op"),
            Err(e) => {
                ulib::println!("bench: {name} failed: {e}");
                status = 1;
            }
        }
    }
    status
}

fn err(what: &str, e: ulib::Errno) -> String {
    alloc::format!("{what}: {e:?}")
}

fn null_syscall(n: u32) -> Result<(), String> {
    for _ in 0..n {
        sys::null().map_err(|e| err("null", e))?;
    }
    Ok(())
}

fn getppid(n: u32) -> Result<(), String> {
    for _ in 0..n {
        sys::getppid().map_err(|e| err("getppid", e))?;
    }
    Ok(())
}

/// One byte into a pipe and out again in the same process: the cost of the two
/// calls without any context switch.
fn pipe_write_read(n: u32) -> Result<(), String> {
    let mut p = [0i32; 2];
    sys::pipe(&mut p).map_err(|e| err("pipe", e))?;
    let mut b = [0u8; 1];
    for _ in 0..n {
        if sys::write(p[1], b"x") != Ok(1) || sys::read(p[0], &mut b) != Ok(1) {
            return Err(String::from("the pipe lost a byte"));
        }
    }
    let _ = (sys::close(p[0]), sys::close(p[1]));
    Ok(())
}

fn pipe_round_trip(n: u32) -> Result<(), String> {
    let (mut ping, mut pong) = ([0i32; 2], [0i32; 2]);
    sys::pipe(&mut ping).map_err(|e| err("pipe", e))?;
    sys::pipe(&mut pong).map_err(|e| err("pipe", e))?;
    let child = process::fork().map_err(|e| err("fork", e))?;
    if child == Fork::Child {
        // Echo each byte back until the parent closes its end.
        let _ = (sys::close(ping[1]), sys::close(pong[0]));
        let mut b = [0u8; 1];
        while sys::read(ping[0], &mut b) == Ok(1) {
            if sys::write(pong[1], &b).is_err() {
                sys::exit(1);
            }
        }
        sys::exit(0);
    }
    let _ = (sys::close(ping[0]), sys::close(pong[1]));
    let mut b = [0u8; 1];
    let mut result = Ok(());
    for _ in 0..n {
        if sys::write(ping[1], b"x") != Ok(1) || sys::read(pong[0], &mut b) != Ok(1) {
            result = Err(String::from("the echo child stopped answering"));
            break;
        }
    }
    let _ = (sys::close(ping[1]), sys::close(pong[0]));
    process::wait().map_err(|e| err("wait", e))?;
    result
}

/// A `port_call` of one byte answered by a forked server with `port_reply_receive`
/// (its answer and its wait for the next call in one system call): one message each
/// way, two switches, two system calls.
fn port_round_trip(n: u32) -> Result<(), String> {
    let (server, client) = ulib::port::create(1).map_err(|e| err("port_create", e))?;
    let child = process::fork().map_err(|e| err("fork", e))?;
    if child == Fork::Child {
        drop(client);
        let mut b = [0u8; 1];
        let mut m = server.receive(&mut b, &mut [], None);
        while let Ok(got) = m {
            let answer = b;
            m = server.reply_receive(got.token, &answer, &[], &mut b, &mut [], None);
        }
        sys::exit(0);
    }
    drop(server);
    let mut b = [0u8; 1];
    let mut result = Ok(());
    for _ in 0..n {
        if client.call(b"x", &[], &mut b, &mut [], None).map(|m| m.len) != Ok(1) {
            result = Err(String::from("the server stopped answering"));
            break;
        }
    }
    drop(client);
    process::wait().map_err(|e| err("wait", e))?;
    result
}

fn fork_exit_wait(n: u32) -> Result<(), String> {
    for _ in 0..n {
        match sys::fork().map_err(|e| err("fork", e))? {
            0 => sys::exit(0),
            pid => {
                sys::waitpid(pid as i64, None, 0).map_err(|e| err("waitpid", e))?;
            }
        }
    }
    Ok(())
}

const TRUE: &str = "/bin/true";

fn spawn_exit_wait(n: u32) -> Result<(), String> {
    let argv = [UserStr {
        ptr: TRUE.as_ptr() as u64,
        len: TRUE.len() as u64,
    }];
    let block = SpawnArgs {
        path: argv[0],
        argv: argv.as_ptr() as u64,
        argc: 1,
        envp: 0,
        envc: 0,
        fds: [0, 1, 2],
        pgid: 0,
        flags: 0,
    };
    for _ in 0..n {
        let pid = sys::spawn(&block).map_err(|e| err("spawn", e))?;
        sys::waitpid(pid as i64, None, 0).map_err(|e| err("waitpid", e))?;
    }
    Ok(())
}

fn fork_exec_exit_wait(n: u32) -> Result<(), String> {
    fork_exec_wait(&[TRUE], n)
}

/// lmbench's "shell" case: fork, exec `/bin/sh -c true`, wait.
fn fork_exec_sh_c_true(n: u32) -> Result<(), String> {
    fork_exec_wait(&["/bin/sh", "-c", "true"], n)
}

/// A shell loop of 1,000 iterations, each a `[` test and an arithmetic expansion
/// (`sh -c`, started by fork + exec; one operation is the whole script).
fn sh_loop_1000(n: u32) -> Result<(), String> {
    const LOOP: &str = "i=0; while [ $i -lt 1000 ]; do i=$((i+1)); done; [ $i = 1000 ]";
    fork_exec_wait(&["/bin/sh", "-c", LOOP], n)
}

/// `n` first touches of pages of a private read-only mapping of `/bin/sh`, whose
/// pages are in the page cache (the warm-up round read them): the time of the touches
/// only, each one page fault served from the cache.
#[allow(unsafe_code)]
fn mapped_page_fault(n: u32) -> Result<u64, String> {
    use ulib::abi::flags::{MAP_PRIVATE, PROT_READ};
    const PAGE: usize = 4096;
    let f = ulib::fs::File::open("/bin/sh").map_err(|e| err("open /bin/sh", e))?;
    let pages = (f.metadata().map_err(|e| err("stat", e))?.len() as usize / PAGE).max(1);
    let mut left = n as usize;
    let mut ns = 0;
    while left > 0 {
        let count = left.min(pages);
        let at = sys::mmap_file(0, count * PAGE, PROT_READ, MAP_PRIVATE, f.as_raw_fd(), 0)
            .map_err(|e| err("mmap", e))?;
        let start = Instant::now();
        for p in 0..count {
            // SAFETY: a byte of a page this function just mapped readable.
            unsafe { core::ptr::read_volatile((at + p * PAGE) as *const u8) };
        }
        ns += start.elapsed().as_nanos() as u64;
        sys::munmap(at, count * PAGE).map_err(|e| err("munmap", e))?;
        left -= count;
    }
    Ok(ns)
}

/// Fork `n` children that each exec `argv` (its first word the program's path), and
/// wait for each; a child that does not exit with 0 is an error.
fn fork_exec_wait(words: &[&str], n: u32) -> Result<(), String> {
    let argv: Vec<UserStr> = words
        .iter()
        .map(|w| UserStr {
            ptr: w.as_ptr() as u64,
            len: w.len() as u64,
        })
        .collect();
    for _ in 0..n {
        match sys::fork().map_err(|e| err("fork", e))? {
            0 => {
                let _ = sys::exec(words[0], &argv, &[]);
                sys::exit(127);
            }
            pid => {
                let mut st = 0u32;
                sys::waitpid(pid as i64, Some(&mut st), 0).map_err(|e| err("waitpid", e))?;
                if st != 0 {
                    return Err(alloc::format!("the child failed (status {st:#x})"));
                }
            }
        }
    }
    Ok(())
}
