//! `hog procs|threads|fds|pipes|mem|churn ...`: programs that try to starve the system,
//! so that the limits which contain them can be seen working (chapter 2, 3-2
//! "resource allocation" and "protection": the operating system shares the machine
//! out, and no one program may take all of it).
//!
//! - `hog procs [HOLD]`: a fork bomb: forks sleeping children until `fork` fails
//!   (EAGAIN: the user's `RLIMIT_NPROC`, or the process table's room), says how many
//!   and why, holds them HOLD seconds (default 5), then kills and reaps them.
//! - `hog threads [HOLD]`: threads until `thread_spawn` fails, then more processes
//!   doing the same until `fork` fails (threads count against `RLIMIT_NPROC` too).
//! - `hog fds [HOLD]`: opens `/dev/null` until EMFILE (`RLIMIT_NOFILE`), then forks
//!   children that do the same until one gets ENFILE (the system's open-file bound,
//!   which leaves room for root) or `fork` fails.
//! - `hog pipes [HOLD]`: as `fds` with pipes, each filled with a buffer's worth of
//!   bytes (kernel memory held for the program).
//! - `hog socks [HOLD]`: as `pipes` with local socket pairs, both ends' buffers
//!   filled (64 KiB each), until the socket count's bound (ENFILE) or the file bounds.
//! - `hog mem [MIB] [HOLD]`: touches MIB MiB of heap memory, printing every 32 MiB,
//!   then holds it; with MIB 0 or none, children of 32 MiB each until one is killed
//!   (by the out-of-memory killer) before it has its share.
//! - `hog churn SECS`: forks children that exit at once and passes bytes through new
//!   pipes, for SECS seconds (background load for `cargo xtask soak`).
//!
//! Each prints one summary line beginning `hog: MODE:`; the errno is printed by name
//! (EAGAIN, EMFILE, ENFILE), as `xtask/src/limitstest.rs` reads it. Children report
//! their counts to the parent through a pipe.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use ulib::abi::flags::O_RDONLY;
use ulib::abi::signal::SIGKILL;
use ulib::process::{self, Fork};
use ulib::{println, sys, thread, Errno};

const USAGE: &str =
    "hog procs|threads|fds|pipes|socks [HOLD] | hog mem [MIB] [HOLD] | hog churn SECS";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(
        &args,
        USAGE,
        "Try to starve the system; see the limits hold.",
    ) {
        return 0;
    }
    let num = |i: usize, default: u64| -> Option<u64> {
        match args.get(i) {
            None => Some(default),
            Some(a) => a.parse().ok(),
        }
    };
    let (Some(a1), Some(a2)) = (num(1, 5), num(2, 5)) else {
        return ulib::cli::usage_error(USAGE);
    };
    match args.first().map(String::as_str) {
        Some("procs") => procs(a1),
        Some("threads") => threads(a1),
        Some("fds") => spread("fds", a1, open_nulls),
        Some("pipes") => spread("pipes", a1, fill_pipes),
        Some("socks") => spread("socks", a1, fill_socks),
        Some("mem") => mem(num(1, 0).unwrap_or(0), a2),
        Some("churn") => churn(a1),
        _ => ulib::cli::usage_error(USAGE),
    }
}

fn hold(secs: u64) {
    ulib::time::sleep(Duration::from_secs(secs));
}

fn sleep_forever() -> ! {
    loop {
        ulib::time::sleep(Duration::from_secs(3600));
    }
}

/// Kill and reap the children `pids`.
fn release(pids: &[u32]) {
    for &p in pids {
        let _ = process::kill(p as i64, SIGKILL);
    }
    for &p in pids {
        let _ = process::waitpid(p as i64, 0);
    }
}

fn procs(secs: u64) -> i32 {
    let mut kids = Vec::new();
    let err = loop {
        match process::fork() {
            Ok(Fork::Child) => sleep_forever(),
            Ok(Fork::Parent(pid)) => kids.push(pid),
            Err(e) => break e,
        }
    };
    println!(
        "hog: procs: {} forked, then {err:?} ({err}); holding {secs} s",
        kids.len()
    );
    ulib::io::flush_stdout();
    hold(secs);
    release(&kids);
    println!("hog: procs: released");
    0
}

/// Spawn sleeping threads until that fails: (how many, why).
fn spawn_threads() -> (u64, Errno) {
    let mut n = 0;
    loop {
        match thread::spawn(|| sleep_forever()) {
            Ok(h) => {
                core::mem::forget(h); // detached: it sleeps until the process ends
                n += 1;
            }
            Err(e) => return (n, e),
        }
    }
}

/// Send one (count, errno) record to the parent.
fn report(fd: i32, n: u64, e: Errno) {
    let mut b = [0u8; 12];
    b[..8].copy_from_slice(&n.to_le_bytes());
    b[8..].copy_from_slice(&e.code().to_le_bytes());
    let _ = sys::write(fd, &b);
}

/// Read one record a child sent (None if it died first).
fn receive(fd: i32) -> Option<(u64, Errno)> {
    let mut b = [0u8; 12];
    let mut got = 0;
    while got < b.len() {
        match sys::read(fd, &mut b[got..]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got += n,
        }
    }
    let n = u64::from_le_bytes(b[..8].try_into().ok()?);
    let e = Errno::from_code(i32::from_le_bytes(b[8..].try_into().ok()?))?;
    Some((n, e))
}

fn threads(secs: u64) -> i32 {
    let (mine, thread_err) = spawn_threads();
    let mut pipe = [0i32; 2];
    if let Err(e) = sys::pipe(&mut pipe) {
        println!("hog: threads: pipe: {e:?}");
        return 1;
    }
    let (mut kids, mut total) = (Vec::new(), mine);
    let fork_err = loop {
        match process::fork() {
            Ok(Fork::Child) => {
                let (n, e) = spawn_threads();
                report(pipe[1], n, e);
                sleep_forever()
            }
            Ok(Fork::Parent(pid)) => {
                kids.push(pid);
                match receive(pipe[0]) {
                    Some((n, _)) => total += n,
                    None => break Errno::EIO,
                }
            }
            Err(e) => break e,
        }
    };
    let procs = kids.len() as u64 + 1;
    println!(
        "hog: threads: {mine} more in this process, then {thread_err:?}; {total} threads in {procs} processes ({} tasks), then fork: {fork_err:?}; holding {secs} s",
        total + procs
    );
    ulib::io::flush_stdout();
    hold(secs);
    release(&kids);
    println!("hog: threads: released");
    0
}

/// Open `/dev/null` until that fails.
fn open_nulls() -> (u64, Errno) {
    let mut n = 0;
    loop {
        match sys::open("/dev/null", O_RDONLY, 0) {
            Ok(_) => n += 1,
            Err(e) => return (n, e),
        }
    }
}

/// Make pipes, each holding a full buffer, until that fails.
fn fill_pipes() -> (u64, Errno) {
    let block = [0x5au8; 4096];
    let mut n = 0;
    loop {
        let mut p = [0i32; 2];
        match sys::pipe(&mut p) {
            Ok(_) => {
                let _ = sys::write(p[1], &block);
                n += 1;
            }
            Err(e) => return (n, e),
        }
    }
}

/// Make local socket pairs, each end's buffer full, until that fails.
fn fill_socks() -> (u64, Errno) {
    use ulib::abi::net::{SOCK_NONBLOCK, SOCK_STREAM};
    let block = alloc::vec![0x5au8; 64 * 1024];
    let mut n = 0;
    loop {
        match sys::socketpair(SOCK_STREAM | SOCK_NONBLOCK) {
            Ok((a, b)) => {
                for fd in [a, b] {
                    let mut sent = 0;
                    while sent < block.len() {
                        match sys::write(fd, &block[sent..]) {
                            Ok(0) | Err(_) => break,
                            Ok(k) => sent += k,
                        }
                    }
                }
                n += 1;
            }
            Err(e) => return (n, e),
        }
    }
}

/// Run `take` here, then in children until one meets a system-wide bound (ENFILE)
/// or `fork` fails; print the totals, hold, release.
fn spread(mode: &str, secs: u64, take: fn() -> (u64, Errno)) -> i32 {
    let mut pipe = [0i32; 2];
    if let Err(e) = sys::pipe(&mut pipe) {
        println!("hog: {mode}: pipe: {e:?}");
        return 1;
    }
    let (mine, first_err) = take();
    let (mut kids, mut total) = (Vec::new(), mine);
    let last_err = loop {
        match process::fork() {
            Ok(Fork::Child) => {
                // The copies of the parent's descriptors are not new open files:
                // drop them, so each child opens as many as it may.
                for fd in 3..1024 {
                    if fd != pipe[1] {
                        let _ = sys::close(fd);
                    }
                }
                let (n, e) = take();
                report(pipe[1], n, e);
                sleep_forever()
            }
            Ok(Fork::Parent(pid)) => {
                kids.push(pid);
                match receive(pipe[0]) {
                    Some((n, e)) => {
                        total += n;
                        if e != first_err {
                            break e;
                        }
                    }
                    None => break Errno::EIO,
                }
            }
            Err(e) => break e,
        }
    };
    println!(
        "hog: {mode}: {mine} in one process, then {first_err:?}; {total} in {} processes, then {last_err:?}; holding {secs} s",
        kids.len() + 1
    );
    ulib::io::flush_stdout();
    hold(secs);
    release(&kids);
    println!("hog: {mode}: released");
    0
}

/// Touch `mib` MiB of heap memory (1 MiB blocks filled with a non-zero byte, so that
/// every page is written: a fault that takes a frame each, and no allocator can hand
/// out untouched zero pages).
fn take_mib(mib: u64, progress: bool) -> Vec<Vec<u8>> {
    let mut held: Vec<Vec<u8>> = Vec::new();
    while (held.len() as u64) < mib {
        held.push(alloc::vec![0x5a; 1 << 20]);
        let done = held.len() as u64;
        if progress && done.is_multiple_of(32) {
            println!("hog: mem: {done} MiB");
        }
    }
    held
}

/// One process's share when `hog mem` takes all it can. Several processes of one
/// user show whom the out-of-memory killer ends: the one whose fault found no frame
/// (none of root's is chosen for another's fault), while its siblings keep theirs.
const SHARE_MIB: u64 = 32;

fn mem(mib: u64, secs: u64) -> i32 {
    if mib > 0 {
        let held = take_mib(mib, true);
        println!("hog: mem: holding {} MiB for {secs} s", held.len());
        ulib::io::flush_stdout();
        hold(secs);
        println!("hog: mem: released");
        return 0;
    }
    // All it can: children of SHARE_MIB each, until one is killed (by the
    // out-of-memory killer) before it has its share.
    let mut pipe = [0i32; 2];
    if let Err(e) = sys::pipe(&mut pipe) {
        println!("hog: mem: pipe: {e:?}");
        return 1;
    }
    let (mut kids, mut total) = (Vec::new(), 0u64);
    loop {
        let pid = match process::fork() {
            Ok(Fork::Child) => {
                let held = take_mib(SHARE_MIB, false);
                report(pipe[1], held.len() as u64, Errno::EIO);
                sleep_forever()
            }
            Ok(Fork::Parent(pid)) => pid,
            Err(e) => {
                println!(
                    "hog: mem: {total} MiB in {} processes, then fork: {e:?}",
                    kids.len()
                );
                break;
            }
        };
        // Wait for its report, or its death.
        let mut fds = [ulib::poll::PollFd {
            fd: pipe[0],
            events: ulib::poll::POLLIN,
            revents: 0,
        }];
        let died = loop {
            if let Ok(Some((_, st))) = process::waitpid(pid as i64, ulib::abi::flags::WNOHANG) {
                break Some(st);
            }
            if matches!(ulib::poll::poll(&mut fds, Some(Duration::from_millis(50))), Ok(n) if n > 0)
            {
                if let Some((n, _)) = receive(pipe[0]) {
                    total += n;
                }
                break None;
            }
        };
        match died {
            None => {
                kids.push(pid);
                println!("hog: mem: {total} MiB in {} processes", kids.len());
            }
            Some(st) => {
                println!(
                    "hog: mem: {total} MiB in {} processes, then pid {pid} died (signal {:?})",
                    kids.len(),
                    st.signal()
                );
                break;
            }
        }
    }
    ulib::io::flush_stdout();
    release(&kids);
    println!("hog: mem: released");
    0
}

fn churn(secs: u64) -> i32 {
    let start = ulib::time::Instant::now();
    let (mut forks, mut pipes, mut bytes) = (0u64, 0u64, 0u64);
    let mut buf = [0u8; 512];
    while start.elapsed() < Duration::from_secs(secs) {
        match process::fork() {
            Ok(Fork::Child) => process::exit(0),
            Ok(Fork::Parent(pid)) => {
                let _ = process::waitpid(pid as i64, 0);
                forks += 1;
            }
            Err(_) => ulib::time::sleep(Duration::from_millis(10)),
        }
        let mut p = [0i32; 2];
        if sys::pipe(&mut p).is_ok() {
            if let Ok(n) = sys::write(p[1], &buf) {
                bytes += n as u64;
            }
            let _ = sys::read(p[0], &mut buf);
            let _ = sys::close(p[0]);
            let _ = sys::close(p[1]);
            pipes += 1;
        }
    }
    println!("hog: churn: {forks} forks, {pipes} pipes, {bytes} bytes in {secs} s");
    0
}
