//! `bench [NAME...]`: micro-benchmarks of the system-call interface and process control.
//!
//! Each prints `bench: NAME N ns/op`, the monotonic clock around many iterations divided
//! by their number: a null system call (call 0, which does nothing), `getppid`, a pipe
//! round trip between two
//! processes (one byte each way: two context switches), the same over a message port
//! (a call and its reply) and through a word of shared memory and the futex, fork +
//! exit + wait, spawn of
//! `/bin/true` + wait, a forked child that execs `/bin/true` + wait, the same with
//! `/bin/sh -c true` (lmbench's "shell" case: the cost of starting the shell), and
//! `sh -c` running a loop of 1,000 iterations with arithmetic and `[`, and `access` of
//! a path, and a TCP round trip over loopback. Under QEMU's
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
    ("access", 20_000, access),
    // Last among the forking benchmarks: its code, once run, is part of what every
    // later fork of this process copies.
    ("futex_wake", 100_000, futex_wake),
    ("shm_round_trip", 5_000, shm_round_trip),
    ("tcp_round_trip", 2_000, tcp_round_trip),
    ("port_block_round_trip", 5_000, port_block_round_trip),
];

/// Benchmarks that time only part of each batch themselves (returning the
/// nanoseconds of that part): (name, iterations, one batch).
type SelfTimed = fn(u32) -> Result<u64, String>;

const SELF_TIMED: &[(&str, u32, SelfTimed)] = &[("mapped_page_fault", 2_000, mapped_page_fault)];

fn main() -> i32 {
    let filters: Vec<String> = ulib::env::args().skip(1).collect();
    if filters.first().map(String::as_str) == Some("--split") {
        return split_main(&filters[1..]);
    }
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

/// `access("/etc/passwd", R_OK)`: a path walk and the permission rule, judged by the
/// real ids.
fn access(n: u32) -> Result<(), String> {
    for _ in 0..n {
        sys::access("/etc/passwd", ulib::abi::flags::R_OK).map_err(|e| err("access", e))?;
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

/// A TCP round trip over loopback between two processes: one byte each way on a
/// connection (`TCP_NODELAY`), through smoltcp and the loopback interface.
fn tcp_round_trip(n: u32) -> Result<(), String> {
    use ulib::abi::net::{IPPROTO_TCP, TCP_NODELAY};
    use ulib::net;
    let l = net::tcp_listen([127, 0, 0, 1], 0, 1).map_err(|e| err("listen", e))?;
    let port = l.local_addr().map_err(|e| err("getsockname", e))?.port();
    let child = process::fork().map_err(|e| err("fork", e))?;
    if child == Fork::Child {
        drop(l);
        let Ok(c) = net::tcp_connect([127, 0, 0, 1], port) else {
            sys::exit(1)
        };
        let _ = c.set_option(IPPROTO_TCP, TCP_NODELAY, 1);
        let mut b = [0u8; 1];
        while sys::read(c.fd(), &mut b) == Ok(1) {
            if sys::write(c.fd(), &b).is_err() {
                sys::exit(1);
            }
        }
        sys::exit(0);
    }
    let (c, _) = l.accept().map_err(|e| err("accept", e))?;
    let _ = c.set_option(IPPROTO_TCP, TCP_NODELAY, 1);
    let mut b = [0u8; 1];
    let mut result = Ok(());
    for _ in 0..n {
        if sys::write(c.fd(), b"x") != Ok(1) || sys::read(c.fd(), &mut b) != Ok(1) {
            result = Err(String::from("the echo child stopped answering"));
            break;
        }
    }
    drop(c);
    process::wait().map_err(|e| err("wait", e))?;
    result
}

/// `FUTEX_WAKE` of a word of a shared segment that nobody waits on: the cost of
/// finding the word (its region, its frame) and looking for waiters.
fn futex_wake(n: u32) -> Result<(), String> {
    let seg = ulib::shm::Segment::create("/bench.futex", 4096, 0o600).map_err(|e| err("shm", e))?;
    let _ = ulib::shm::unlink("/bench.futex");
    let map = seg.map().map_err(|e| err("mmap", e))?;
    let w = &map.words()[0];
    for _ in 0..n {
        sys::futex(w, ulib::abi::flags::FUTEX_WAKE, 1, 0).map_err(|e| err("futex", e))?;
    }
    Ok(())
}

/// Two processes hand a word of a shared segment back and forth with the futex
/// (`ulib::shm::ping_pong`): two calls and two switches per round trip.
fn shm_round_trip(n: u32) -> Result<(), String> {
    ulib::shm::ping_pong(n).map_err(|e| err("shm ping-pong", e))
}

/// A short call of one byte (`port_call_short`) answered by a forked server looping
/// on `port_reply_receive_short`: the fast path, message and answer in registers and
/// handed straight to the waiting side (docs/ipc.md). Two system calls, two switches.
fn port_round_trip(n: u32) -> Result<(), String> {
    use ulib::port::Short;
    let (server, client) = ulib::port::create(1).map_err(|e| err("port_create", e))?;
    let child = process::fork().map_err(|e| err("fork", e))?;
    if child == Fork::Child {
        drop(client);
        let mut m = server.reply_receive_short(0, &Short::default(), None);
        while let Ok(got) = m {
            m = server.reply_receive_short(got.token, &got.msg, None);
        }
        sys::exit(0);
    }
    drop(server);
    let mut result = Ok(());
    let sent = Short::from_bytes(b"x");
    for _ in 0..n {
        if client.call_short(&sent, None) != Ok(sent) {
            result = Err(String::from("the server stopped answering"));
            break;
        }
    }
    drop(client);
    process::wait().map_err(|e| err("wait", e))?;
    result
}

/// A `port_call` of one byte answered by a forked server with `port_reply_receive`
/// (its answer and its wait for the next call in one system call), each message
/// described by a `PortMsg` block in memory: the general path (any size,
/// descriptors). One message each way, two switches, two system calls.
fn port_block_round_trip(n: u32) -> Result<(), String> {
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

/// `bench --split P [STEPS]`: one CPU-bound job of STEPS steps (default 400 million)
/// done by P processes, each forked to do its share; prints the wall time from the
/// first fork to the last wait ("split: P processes, N ms"). `cargo xtask bench smp`
/// runs it with 1, 2 and 4 CPUs: with more CPUs than processes, the processes run at
/// once and the time falls.
fn split_main(args: &[String]) -> i32 {
    let procs: u64 = match args.first().and_then(|a| a.parse().ok()) {
        Some(p) if (1..=64).contains(&p) => p,
        _ => {
            ulib::println!("usage: bench --split PROCESSES [STEPS]");
            return 2;
        }
    };
    let steps: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(400_000_000);
    let start = Instant::now();
    for _ in 0..procs {
        match sys::fork() {
            Ok(0) => sys::exit(i32::from(spin(steps / procs) == 0)),
            Ok(_) => {}
            Err(e) => {
                ulib::println!("bench: split: fork: {e:?}");
                return 1;
            }
        }
    }
    for _ in 0..procs {
        if process::wait().is_err() {
            ulib::println!("bench: split: wait failed");
            return 1;
        }
    }
    let ms = start.elapsed().as_nanos() / 1_000_000;
    ulib::println!("split: {procs} processes, {ms} ms");
    0
}

/// `steps` rounds of a xorshift generator: arithmetic only, no memory traffic and no
/// system call, so the time is the CPU's alone. The result is returned (and tested by
/// the caller) so the loop cannot be optimised away.
fn spin(steps: u64) -> u64 {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..steps {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    core::hint::black_box(x)
}
