//! `prlimit [-p PID]`: show a process's resource limits (soft and hard), as
//! util-linux's `prlimit` does; `prlimit --core-pattern [PATTERN]` prints or (root
//! only) sets the kernel's core-file name pattern; `prlimit --selftest NAME` checks
//! limits and accounting from inside a process and prints one `prlimit: OK ...` or
//! `prlimit: FAIL ...` line (the `core::` tests run them).
//!
//! Chapter 2, 3-2: the kernel keeps, per process, what it may use (limits, set with
//! `setrlimit`, inherited by children) and what it has used (`getrusage`).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use ulib::abi::flags::{MAP_ANONYMOUS, MAP_PRIVATE, O_RDONLY, PROT_READ, PROT_WRITE};
use ulib::process::{fork, Fork};
use ulib::resource::*;
use ulib::{sys, Errno};

const USAGE: &str =
    "prlimit [-p PID] | prlimit --core-pattern [PATTERN] | prlimit --selftest usage|nofile|as|pattern";

/// The limits shown, with their units.
const SHOWN: &[(u32, &str, &str)] = &[
    (RLIMIT_CPU, "CPU", "seconds"),
    (RLIMIT_STACK, "STACK", "bytes"),
    (RLIMIT_CORE, "CORE", "bytes"),
    (RLIMIT_NPROC, "NPROC", "processes"),
    (RLIMIT_NOFILE, "NOFILE", "files"),
    (RLIMIT_MEMLOCK, "MEMLOCK", "bytes"),
    (RLIMIT_AS, "AS", "bytes"),
];

fn show(v: u64) -> String {
    if v == RLIM_INFINITY {
        String::from("unlimited")
    } else {
        format!("{v}")
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(
        &args,
        USAGE,
        "Show resource limits; check limits and accounting.",
    ) {
        return 0;
    }
    match args.first().map(String::as_str) {
        Some("--selftest") => return selftest(args.get(1).map(String::as_str).unwrap_or("")),
        Some("--core-pattern") => return core_pattern(args.get(1)),
        _ => {}
    }
    let pid = match args.as_slice() {
        [] => 0,
        [p, n] if p == "-p" => match n.parse() {
            Ok(n) => n,
            Err(_) => return ulib::cli::usage_error(USAGE),
        },
        _ => return ulib::cli::usage_error(USAGE),
    };
    ulib::println!("{:<8} {:>20} {:>20} UNITS", "RESOURCE", "SOFT", "HARD");
    for &(res, name, unit) in SHOWN {
        let mut l = Rlimit::INFINITE;
        if let Err(e) = sys::prlimit(pid, res, None, Some(&mut l)) {
            ulib::cli::error("prlimit", e);
            return 1;
        }
        ulib::println!("{name:<8} {:>20} {:>20} {unit}", show(l.cur), show(l.max));
    }
    0
}

fn core_pattern(new: Option<&String>) -> i32 {
    let r = match new {
        Some(p) => sys::set_core_pattern(p).map(|_| ()),
        None => ulib::resource::core_pattern().map(|p| ulib::println!("{p}")),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            ulib::cli::error("core_pattern", e);
            1
        }
    }
}

type Check = core::result::Result<String, String>;

fn ensure(ok: bool, what: impl FnOnce() -> String) -> core::result::Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

fn selftest(name: &str) -> i32 {
    let r = match name {
        "usage" => usage(),
        "nofile" => nofile(),
        "as" => address_space(),
        "pattern" => pattern(),
        _ => return ulib::cli::usage_error(USAGE),
    };
    match r {
        Ok(what) => {
            ulib::println!("prlimit: OK {name}: {what}");
            0
        }
        Err(why) => {
            ulib::println!("prlimit: FAIL {name}: {why}");
            1
        }
    }
}

fn me() -> core::result::Result<Rusage, String> {
    usage_self().map_err(|e| format!("getrusage(SELF): {e}"))
}

/// getrusage's numbers grow with the work done: system calls, CPU time, faults and
/// resident size, voluntary switches; a waited-for child's calls reach CHILDREN.
fn usage() -> Check {
    let a = me()?;
    for _ in 0..2000 {
        let _ = sys::getpid();
    }
    let b = me()?;
    ensure(b.syscalls >= a.syscalls + 2000, || {
        format!(
            "2000 getpid calls moved syscalls {} -> {}",
            a.syscalls, b.syscalls
        )
    })?;
    // A CPU-bound loop until at least two timer ticks were charged as user time.
    let start = ulib::time::Instant::now();
    let mut x = 1u64;
    let mut c = me()?;
    while c.user_ns < b.user_ns + 20_000_000 && start.elapsed() < Duration::from_secs(10) {
        for _ in 0..100_000 {
            x = core::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        c = me()?;
    }
    ensure(c.user_ns >= b.user_ns + 20_000_000, || {
        format!(
            "a CPU-bound loop of 10 s left user time at {} ns",
            c.user_ns
        )
    })?;
    // 1 MiB of new heap, written: at least 256 minor faults, and the peak rises.
    let v = core::hint::black_box(alloc::vec![1u8; 1 << 20]);
    let d = me()?;
    ensure(d.minflt >= c.minflt + 250, || {
        format!(
            "touching 256 new pages moved minflt {} -> {}",
            c.minflt, d.minflt
        )
    })?;
    ensure(d.maxrss_kb >= 1024, || {
        format!("with 1 MiB touched, maxrss is {} KiB", d.maxrss_kb)
    })?;
    drop(v);
    for _ in 0..5 {
        ulib::time::sleep(Duration::from_millis(10));
    }
    let e = me()?;
    ensure(e.nvcsw >= d.nvcsw + 5, || {
        format!("5 sleeps moved nvcsw {} -> {}", d.nvcsw, e.nvcsw)
    })?;
    let before = usage_children().map_err(|e| format!("getrusage(CHILDREN): {e}"))?;
    match fork().map_err(|e| format!("fork: {e}"))? {
        Fork::Child => {
            for _ in 0..1000 {
                let _ = sys::getpid();
            }
            ulib::process::exit(0);
        }
        Fork::Parent(pid) => {
            ulib::process::waitpid(pid as i64, 0).map_err(|e| format!("waitpid: {e}"))?;
        }
    }
    let after = usage_children().map_err(|e| format!("getrusage(CHILDREN): {e}"))?;
    ensure(after.syscalls >= before.syscalls + 1000, || {
        format!(
            "a child's 1000 calls moved the children's syscalls {} -> {}",
            before.syscalls, after.syscalls
        )
    })?;
    ensure(
        sys::getrusage(5, &mut Rusage::default()) == Err(Errno::EINVAL),
        || String::from("getrusage(5) was not EINVAL"),
    )?;
    Ok(format!(
        "syscalls +{}, user {} ms, minflt +{}, maxrss {} KiB, nvcsw +{}, children's syscalls +{}",
        b.syscalls - a.syscalls,
        (c.user_ns - b.user_ns) / 1_000_000,
        d.minflt - c.minflt,
        d.maxrss_kb,
        e.nvcsw - d.nvcsw,
        after.syscalls - before.syscalls
    ))
}

/// RLIMIT_NOFILE: open fails with EMFILE at the limit, dup2 past it with EBADF; a
/// child inherits it; soft above hard is EINVAL; only root raises the hard limit.
fn nofile() -> Check {
    let set = |cur, max| setrlimit(RLIMIT_NOFILE, Rlimit { cur, max });
    set(8, 64).map_err(|e| format!("setrlimit(NOFILE, 8/64): {e}"))?;
    let mut opened = Vec::new();
    let err = loop {
        match sys::open("/dev/null", O_RDONLY, 0) {
            Ok(fd) if opened.len() < 64 => opened.push(fd),
            Ok(_) => break Errno::E2BIG,
            Err(e) => break e,
        }
    };
    ensure(err == Errno::EMFILE && opened.last() == Some(&7), || {
        format!("with NOFILE 8, open gave fds {opened:?} and then {err}")
    })?;
    ensure(sys::dup2(0, 8) == Err(Errno::EBADF), || {
        String::from("dup2(0, 8) under NOFILE 8 was not EBADF")
    })?;
    match fork().map_err(|e| format!("fork: {e}"))? {
        Fork::Child => {
            let ok = getrlimit(RLIMIT_NOFILE) == Ok(Rlimit { cur: 8, max: 64 })
                && sys::open("/dev/null", O_RDONLY, 0) == Err(Errno::EMFILE);
            // An ordinary user may lower the hard limit but not raise it again.
            let user = sys::setuid(1000).is_ok()
                && set(8, 32).is_ok()
                && set(8, 64) == Err(Errno::EPERM)
                && set(32, 32).is_ok();
            ulib::process::exit(if !ok {
                1
            } else if !user {
                2
            } else {
                0
            });
        }
        Fork::Parent(pid) => {
            let st = ulib::process::waitpid(pid as i64, 0)
                .map_err(|e| format!("waitpid: {e}"))?
                .map(|(_, s)| s);
            ensure(st.and_then(|s| s.code()) == Some(0), || {
                format!("the child's checks (1: inherited, 2: as a user) ended {st:?}")
            })?;
        }
    }
    ensure(set(65, 64) == Err(Errno::EINVAL), || {
        String::from("soft 65 above hard 64 was not EINVAL")
    })?;
    ensure(set(64, 65) == Err(Errno::EPERM), || {
        String::from("a hard limit above the table's 64 was not EPERM")
    })?;
    set(64, 64).map_err(|e| format!("raising the soft limit back to 64: {e}"))?;
    let fd = sys::open("/dev/null", O_RDONLY, 0).map_err(|e| format!("open at 64: {e}"))?;
    for fd in opened.into_iter().chain([fd as usize]) {
        let _ = sys::close(fd as i32);
    }
    Ok(String::from(
        "EMFILE at 8, EBADF for dup2 past it, inherited, EINVAL, EPERM for a user",
    ))
}

/// The core pattern: root reads and sets it (and pipes, empty and over-long patterns
/// are EINVAL); an ordinary user may read it but not set it (EPERM).
fn pattern() -> Check {
    let old = ulib::resource::core_pattern().map_err(|e| format!("get_core_pattern: {e}"))?;
    for bad in ["", "|/bin/cat", &"x".repeat(129)] {
        let r = sys::set_core_pattern(bad);
        ensure(r == Err(Errno::EINVAL), || {
            format!("pattern {bad:?} gave {r:?}")
        })?;
    }
    sys::set_core_pattern("/tmp/core.%e").map_err(|e| format!("set as root: {e}"))?;
    let now = ulib::resource::core_pattern().map_err(|e| format!("get: {e}"))?;
    ensure(now == "/tmp/core.%e", || {
        format!("after setting, the pattern is {now:?}")
    })?;
    match fork().map_err(|e| format!("fork: {e}"))? {
        Fork::Child => {
            let ok = sys::setuid(1000).is_ok()
                && sys::set_core_pattern("/x") == Err(Errno::EPERM)
                && ulib::resource::core_pattern().is_ok_and(|p| p == "/tmp/core.%e");
            ulib::process::exit(if ok { 0 } else { 1 });
        }
        Fork::Parent(pid) => {
            let st = ulib::process::waitpid(pid as i64, 0)
                .map_err(|e| format!("waitpid: {e}"))?
                .map(|(_, s)| s);
            ensure(st.and_then(|s| s.code()) == Some(0), || {
                format!("a user could set the pattern, or not read it ({st:?})")
            })?;
        }
    }
    sys::set_core_pattern(&old).map_err(|e| format!("restoring {old:?}: {e}"))?;
    let mut small = [0u8; 4];
    let n = sys::get_core_pattern(&mut small).map_err(|e| format!("get into 4 bytes: {e}"))?;
    ensure(n == old.len() && small[..] == old.as_bytes()[..4], || {
        format!("a 4-byte buffer got {small:?}, length {n}")
    })?;
    Ok(String::from(
        "EINVAL for bad patterns, set by root, EPERM for a user, cut to fit",
    ))
}

/// RLIMIT_AS: a mapping that would take the regions past the limit is ENOMEM, a small
/// one still works; a program whose stack alone exceeds it cannot start.
fn address_space() -> Check {
    setrlimit(
        RLIMIT_AS,
        Rlimit {
            cur: 64 << 20,
            max: RLIM_INFINITY,
        },
    )
    .map_err(|e| format!("setrlimit(AS, 64 MiB): {e}"))?;
    let prot = PROT_READ | PROT_WRITE;
    let flags = MAP_PRIVATE | MAP_ANONYMOUS;
    let big = sys::mmap(0, 128 << 20, prot, flags);
    ensure(big == Err(Errno::ENOMEM), || {
        format!("mmap of 128 MiB under a 64 MiB limit gave {big:?}")
    })?;
    let small = sys::mmap(0, 1 << 20, prot, flags).map_err(|e| format!("mmap 1 MiB: {e}"))?;
    let _ = sys::munmap(small, 1 << 20);
    let mut tru = ulib::process::Command::new("/bin/true");
    setrlimit(
        RLIMIT_AS,
        Rlimit {
            cur: 1 << 20,
            max: RLIM_INFINITY,
        },
    )
    .map_err(|e| format!("setrlimit(AS, 1 MiB): {e}"))?;
    let spawned = tru.status();
    ensure(spawned == Err(Errno::ENOMEM), || {
        format!("starting /bin/true (an 8 MiB stack) under 1 MiB gave {spawned:?}")
    })?;
    Ok(String::from(
        "ENOMEM past 64 MiB, 1 MiB maps, exec refused under 1 MiB",
    ))
}
