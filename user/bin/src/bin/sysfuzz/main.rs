//! `sysfuzz [-s SEED] [-n CALLS] [-p PROCS] [-c CHUNK] [-v]`: a system-call fuzzer that
//! must not bring the kernel down (chapter 2's protection promise, tested the hostile
//! way); `sysfuzz --stats`: one line of the kernel's memory figures, for leak checks.
//!
//! The run is split into chunks of [`CHUNK`] calls, each with its own seed derived from
//! the run's seed; up to PROCS worker processes run chunks at once, each in its own
//! process group. A worker points its standard descriptors at /dev/null (it must never
//! reach the terminal), sets up its scratch memory, works in a sandbox directory, and
//! makes its chunk of calls ([`calls`]) with arguments drawn from what it knows
//! ([`world`]): its descriptors, children, mappings and sibling workers. Fuzzed forks
//! make children that fuzz on with a share of the budget; workers signal each other,
//! install handlers, exit early and are waited for.
//!
//! The parent is the watchdog: every [`TICK_MS`] ms it sends each live worker's group
//! SIGCONT (a fuzzed SIGSTOP must not stall the run) and SIGUSR2, whose handler every
//! fuzzing process keeps, so any interruptible wait (a pipe nobody writes, a long sleep)
//! ends with EINTR. A worker group that has made [`RUNAWAY_CALLS`] calls is in a loop
//! of its own (the kernel counts each process's calls) and is killed as a runaway.
//! A chunk still running after [`CHUNK_TIMEOUT_S`] s is killed and
//! reported as hung. At the end the parent kills what is left of each worker's group,
//! removes the sandbox ([`sandbox`]) and prints one summary line,
//! `sysfuzz: seed S, N calls planned, M made, done`: M counts the calls the fuzz
//! processes really made (the kernel counts every call; this process's own are taken
//! off), fewer than N when fuzzed calls end workers early; the line before it says how
//! many chunks ended early and why. `--stats` first writes back and drops the file
//! systems' caches, so that its heap figure can be compared exactly.
//!
//! `--ports` is the message-port mode: most calls drawn are the port calls and poll
//! (with the fork, kill, close and exit that make peers come and go), so messages of
//! random sizes carrying random descriptors meet ports whose other side has died.
//!
//! Every fourth chunk is a Linux one (all with `--linux`, none with `--native` or
//! `--ports`): its worker sets up as a native one does and then becomes
//! [`LINUX_FUZZER`], a static musl program making raw Linux system calls across the
//! Linux personality's table with the same kind of hostile arguments, watched and
//! counted by this parent like any other worker.
//!
//! `-c K` runs only chunk K (with `-v`, each call is printed before it is made), which
//! is how a crash found by a seed is narrowed down to its calls.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

mod calls;
mod rng;
mod rows;
mod sandbox;
mod world;

use ulib::abi;

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use rng::{mix, Rng};
use ulib::abi::flags::WNOHANG;
use ulib::abi::signal::{SIGCONT, SIGKILL, SIGUSR2};
use ulib::process::{self, Handler};
use ulib::sys;
use world::{List, World, OWN_BUF, PAGE, SANDBOXES, VERBOSE_FD};

ulib::entry!(main);

/// Calls per chunk (per worker process).
const CHUNK: u64 = 500;
/// The watchdog's period.
const TICK_MS: u64 = 200;
/// A chunk running longer than this is hung (its calls together never take more than
/// a few seconds, even under software emulation on a loaded machine).
const CHUNK_TIMEOUT_S: u64 = 120;
/// A worker's group that has made this many calls is in a loop of its own making (a
/// fuzzed signal handler that lands on code which raises the signal again, say):
/// stopped and reported as a runaway, not waited for as hung. A chunk makes well under
/// 10,000 (its budget, its children's, the set-up).
const RUNAWAY_CALLS: u64 = 200_000;
/// A worker's group that has run this long in user mode is in a loop of its own too,
/// whether or not it makes calls (its calls may be few and slow, or made by children
/// that come and go, which the count above misses). Time in the kernel is not counted:
/// a call that spins there is the kernel's fault, reported as hung.
const RUNAWAY_USER_S: u64 = 20;
/// Calls a fuzzed fork's child makes, at most.
const CHILD_BUDGET: u64 = 100;

const USAGE: &str =
    "sysfuzz [-s SEED] [-n CALLS] [-p PROCS] [-c CHUNK] [-v] [-x NR]... [--ports] [--linux|--native] | sysfuzz --stats";

struct Options {
    seed: u64,
    calls: u64,
    procs: usize,
    only_chunk: Option<u64>,
    verbose: bool,
    /// `-x NR` (repeatable): never make call NR. A switch for narrowing a finding down
    /// or steering around a known bug while looking for others; the default (no `-x`)
    /// makes every call, and the tests never pass one.
    exclude: [u128; 2],
    /// `--ports`: draw mostly the message-port calls.
    ports: bool,
    /// Which chunks run the Linux fuzzer ([`LINUX_FUZZER`]): every fourth by default,
    /// all with `--linux`, none with `--native`.
    linux: Linux,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Linux {
    EveryFourth,
    All,
    None,
}

/// The Linux half: a static musl program that makes raw Linux system calls
/// (`user/linux-tests/linfuzz.c`), run as a worker under the Linux personality.
const LINUX_FUZZER: &str = "/linux/tests/linfuzz";

impl Options {
    /// Does chunk `k` run the Linux fuzzer?
    fn linux_chunk(&self, k: u64) -> bool {
        match self.linux {
            Linux::EveryFourth => k % 4 == 3 && !self.ports,
            Linux::All => true,
            Linux::None => false,
        }
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--stats") {
        return stats();
    }
    let mut o = match parse(&args) {
        Some(o) => o,
        None => return ulib::cli::usage_error(USAGE),
    };
    if o.linux != Linux::None && ulib::fs::metadata(LINUX_FUZZER).is_err() {
        // Said, and the summary's Linux count is 0 (which the test refuses).
        ulib::println!("sysfuzz: no Linux fuzzer at {LINUX_FUZZER}: native workers only");
        o.linux = Linux::None;
    }
    ulib::println!(
        "sysfuzz: seed {}, {} calls in chunks of {CHUNK}, {} processes",
        o.seed,
        o.calls,
        o.procs
    );
    if let Err(e) = sandbox::create() {
        ulib::eprintln!("sysfuzz: {e}");
        return 1;
    }
    let untouchable = sandbox::outside();
    let before = calls_now();
    let report = run(&o);
    let left = sandbox::remove();
    let after = calls_now();
    let escaped = sandbox::changes_outside(&untouchable);
    ulib::println!(
        "sysfuzz: {} chunks ({} Linux), up to {} at once, {} ended early ({}), {} hung, {} ran away, {} fuzz processes left, {} sandbox names left, {escaped} changes outside",
        report.chunks,
        report.linux,
        report.peak,
        report.early,
        report.why,
        report.hung,
        report.runaway,
        report.stragglers,
        left
    );
    // Made: every call the machine took during the run, less this process's own (the
    // watchdog's waits and signals, the sandbox's set-up) and the runaways' loops. Chunks end early when a
    // fuzzed call kills its worker, so this is what the run really made.
    let made = (after.0 - before.0)
        .saturating_sub(after.1 - before.1)
        .saturating_sub(report.runaway_calls);
    ulib::println!(
        "sysfuzz: seed {}, {} calls planned, {made} made, done",
        o.seed,
        o.calls
    );
    0
}

/// (System calls made on the machine since boot, those made by this process.)
fn calls_now() -> (u64, u64) {
    let all = ulib::info::sysinfo().map_or(0, |i| i.syscalls);
    let me = process::id();
    let mine = all_procs()
        .iter()
        .find(|p| p.pid == me)
        .map_or(0, |p| p.syscalls);
    (all, mine)
}

fn parse(args: &[String]) -> Option<Options> {
    let mut o = Options {
        seed: ulib::time::Instant::now().since_boot().as_nanos() as u64,
        calls: 10_000,
        procs: 4,
        only_chunk: None,
        verbose: false,
        exclude: [0; 2],
        ports: false,
        linux: Linux::EveryFourth,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse::<u64>().ok());
        match a.as_str() {
            "-s" => o.seed = value()?,
            "-n" => o.calls = value()?,
            "-p" => o.procs = (value()? as usize).clamp(1, 16),
            "-c" => o.only_chunk = Some(value()?),
            "-v" => o.verbose = true,
            "-x" => {
                let n = value()?.min(255);
                o.exclude[n as usize / 128] |= 1u128 << (n % 128);
            }
            "--ports" => o.ports = true,
            "--linux" => o.linux = Linux::All,
            "--native" => o.linux = Linux::None,
            _ => return None,
        }
    }
    Some(o)
}

/// `--stats`: the figures the leak check compares.
fn stats() -> i32 {
    // The file systems' block caches are heap memory that follows what was read last:
    // written back and dropped first, the heap figure is comparable exactly.
    let dropped = match sys::drop_caches() {
        Ok(n) => n,
        Err(e) => {
            ulib::cli::error("drop_caches", e);
            return 1;
        }
    };
    match ulib::info::sysinfo() {
        Ok(i) => {
            // The memory of the other processes (init, the shell) is part of what is
            // not free; a leak check compares free_mem + others_mem.
            let me = process::id();
            let others: u64 = all_procs()
                .iter()
                .filter(|p| p.pid != me)
                .map(|p| p.mem_bytes)
                .sum();
            ulib::println!(
                "sysfuzz: stats free_mem {} heap_used {} procs {} threads {} dropped_blocks {} others_mem {}",
                i.free_mem,
                i.heap_used,
                i.procs,
                i.threads,
                dropped,
                others
            );
            0
        }
        Err(e) => {
            ulib::cli::error("sysinfo", e);
            1
        }
    }
}

#[derive(Default)]
struct Report {
    chunks: u64,
    /// The most workers that were running at once.
    peak: usize,
    /// Chunks run by the Linux fuzzer.
    linux: u64,
    early: u64,
    hung: u64,
    runaway: u64,
    /// Calls the runaways had made when they were stopped (not counted as made).
    runaway_calls: u64,
    stragglers: usize,
    why: String,
}

/// The parent: keep `procs` workers busy until every chunk has run.
fn run(o: &Options) -> Report {
    let chunks = o.calls.div_ceil(CHUNK);
    let todo: Vec<u64> = match o.only_chunk {
        Some(k) => alloc::vec![k],
        None => (0..chunks).collect(),
    };
    let me = process::id();
    let root = sys::getuid().map_or(true, |u| u == 0);
    let mut r = Report::default();
    let mut why: Vec<(String, u32)> = Vec::new();
    let mut live: Vec<(u32, u64, ulib::time::Instant)> = Vec::new();
    let mut groups: Vec<u32> = Vec::new();
    let mut next = 0usize;
    let mut shown = 0u64;
    let mut since_tick = ulib::time::Instant::now();
    // Workers killed by the watchdog (hung or ran away), counted once.
    let mut stopped: Vec<u32> = Vec::new();
    // Processes that had left their worker's group when killed as runaways.
    let mut escaped_runaways: Vec<u32> = Vec::new();
    while next < todo.len() || !live.is_empty() {
        while live.len() < o.procs && next < todo.len() {
            let k = todo[next];
            next += 1;
            let siblings: Vec<u32> = live.iter().map(|l| l.0).collect();
            let budget = CHUNK.min(o.calls.saturating_sub(k * CHUNK)).max(1);
            match sys::fork() {
                Ok(0) if o.linux_chunk(k) => linux_worker(mix(o.seed, k), budget),
                Ok(0) => worker(mix(o.seed, k), budget, &siblings, me, root, o),
                Ok(pid) => {
                    let pid = pid as u32;
                    let _ = sys::setpgid(pid, pid); // as the child does: no race
                    if o.linux_chunk(k) {
                        r.linux += 1;
                    }
                    live.push((pid, k, ulib::time::Instant::now()));
                    r.peak = r.peak.max(live.len());
                    groups.push(pid);
                }
                Err(e) => {
                    ulib::eprintln!("sysfuzz: fork: {e}; retrying");
                    next -= 1;
                    let _ = sys::nanosleep(50_000_000);
                    break;
                }
            }
        }
        let mut status = 0u32;
        match sys::waitpid(-1, Some(&mut status), WNOHANG) {
            Ok(pid) if pid != 0 => {
                if let Some(i) = live.iter().position(|l| l.0 == pid as u32) {
                    let (pid, _k, _) = live.swap_remove(i);
                    r.chunks += 1;
                    // The rest of the worker's group (children of fuzzed forks).
                    let _ = sys::kill(-i64::from(pid), SIGKILL);
                    let what = classify(status);
                    if what != "ok" {
                        r.early += 1;
                        match why.iter_mut().find(|w| w.0 == what) {
                            Some(w) => w.1 += 1,
                            None => why.push((what, 1)),
                        }
                    }
                }
                continue;
            }
            _ => {}
        }
        let _ = sys::nanosleep(5_000_000);
        if since_tick.elapsed().as_millis() as u64 >= TICK_MS {
            since_tick = ulib::time::Instant::now();
            let table = all_procs();
            for &(pid, k, started) in &live {
                let g = -i64::from(pid);
                if stopped.contains(&pid) {
                    // Killed already, not yet reaped: keep it from stopping again.
                    let _ = sys::kill(i64::from(pid), SIGKILL);
                    continue;
                }
                let group = || table.iter().filter(|p| p.pgid == pid);
                let calls: u64 = group().map(|p| p.syscalls).sum();
                let user_s: u64 = group().map(|p| p.user_time.as_secs()).sum();
                if calls >= RUNAWAY_CALLS || user_s >= RUNAWAY_USER_S {
                    ulib::println!(
                        "sysfuzz: chunk {k} (pid {pid}) ran away ({calls} calls, {user_s} s in user mode); killing it"
                    );
                    r.runaway += 1;
                    r.runaway_calls += calls;
                    stopped.push(pid);
                    let _ = sys::kill(g, SIGKILL);
                    let _ = sys::kill(i64::from(pid), SIGKILL);
                } else if started.elapsed().as_secs() >= CHUNK_TIMEOUT_S {
                    ulib::println!("sysfuzz: chunk {k} (pid {pid}) hung; killing it");
                    r.hung += 1;
                    stopped.push(pid);
                    let _ = sys::kill(g, SIGKILL);
                    let _ = sys::kill(i64::from(pid), SIGKILL);
                } else {
                    let _ = sys::kill(g, SIGCONT);
                    let _ = sys::kill(g, SIGUSR2);
                }
            }
            // A fuzzed setpgid or setsid moves a process out of its worker's group, so
            // the sums above miss it; one in a loop of its own then holds up its worker
            // (which waits for it) until the chunk times out as hung. Any process of
            // ours, outside every live group, past the runaway count, is one of those.
            let escaped: Vec<&ulib::info::Process> = table
                .iter()
                .filter(|p| {
                    p.pid > me
                        && (p.name == "sysfuzz" || p.name == "linfuzz")
                        && p.syscalls >= RUNAWAY_CALLS
                        && !live.iter().any(|l| l.0 == p.pgid || l.0 == p.pid)
                        && !escaped_runaways.contains(&p.pid)
                })
                .collect();
            for p in escaped {
                ulib::println!(
                    "sysfuzz: pid {} (left its group {}) ran away ({} calls); killing it",
                    p.pid,
                    p.pgid,
                    p.syscalls
                );
                r.runaway += 1;
                r.runaway_calls += p.syscalls;
                escaped_runaways.push(p.pid);
                let _ = sys::kill(i64::from(p.pid), SIGKILL);
            }
        }
        let done = r.chunks * CHUNK;
        if o.calls >= 10 * CHUNK && done >= shown + o.calls / 5 {
            shown = done;
            ulib::println!(
                "sysfuzz: {}% ({} chunks done, {} ended early)",
                (done * 100 / o.calls).min(100),
                r.chunks,
                r.early
            );
        }
    }
    // Whatever outlived its worker: kill it, give the kernel a moment to reap it, and
    // count what is still there.
    for &g in &groups {
        let _ = sys::kill(-i64::from(g), SIGKILL);
    }
    // A fuzzed setpgid may have moved a process out of its worker's group: anything
    // still called sysfuzz that was made after this process is one of ours.
    for _ in 0..2 {
        for p in ours(me) {
            let _ = sys::kill(i64::from(p.pid), SIGKILL);
        }
        let _ = sys::nanosleep(100_000_000);
    }
    r.stragglers = ours(me).len();
    r.why = if why.is_empty() {
        String::from("none")
    } else {
        why.iter()
            .map(|(w, n)| alloc::format!("{n} {w}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    r
}

/// How a worker ended, in words ("ok" for a finished chunk).
fn classify(status: u32) -> String {
    let st = process::ExitStatus(status);
    match (st.code(), st.signal()) {
        (Some(0), _) => String::from("ok"),
        (Some(c), _) => alloc::format!("exit {c}"),
        (_, Some(s)) => alloc::format!("{} ({s})", abi::signal::name(s)),
        _ => alloc::format!("status {status:#x}"),
    }
}

/// The fuzz processes still in the process table (zombies included): every process
/// named sysfuzz with a pid above this one's (pids only grow).
fn ours(me: u32) -> Vec<ulib::info::Process> {
    all_procs()
        .into_iter()
        .filter(|p| p.pid > me && (p.name == "sysfuzz" || p.name == "linfuzz"))
        .collect()
}

/// The process table.
fn all_procs() -> Vec<ulib::info::Process> {
    ulib::info::processes().unwrap_or_default()
}

/// Counts the wake-ups (the handler must do something observable).
static WAKEUPS: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_signal(_sig: u32) {
    WAKEUPS.fetch_add(1, Ordering::Relaxed);
}

/// A worker: set up, run the chunk, reap the children, exit.
fn worker(seed: u64, budget: u64, siblings: &[u32], parent: u32, root: bool, o: &Options) -> ! {
    let verbose = o.verbose;
    let me = process::id();
    let _ = sys::setpgid(0, 0);
    if verbose {
        let _ = sys::dup2(1, VERBOSE_FD);
    }
    if let Ok(null) = sys::open("/dev/null", abi::flags::O_RDWR, 0) {
        for fd in 0..3 {
            let _ = sys::dup2(null as i32, fd);
        }
    }
    for fd in 3..64 {
        if !(verbose && fd == VERBOSE_FD) {
            let _ = sys::close(fd);
        }
    }
    // Relative paths must resolve inside the sandbox: a worker that cannot get there
    // (a fuzzed chmod, rename or mount took it away) does not fuzz from where it
    // happens to be, which is `/` (the cwd inherited from the shell). It ends, exit 4.
    let sandbox = SANDBOXES[(seed % 2) as usize];
    let _ = sys::mkdir(sandbox, 0o755);
    if sys::chdir(sandbox).is_err() {
        sys::exit(4);
    }
    // Six pages: see world.rs for the layout.
    let scratch = match sys::mmap(
        0,
        6 * PAGE,
        3,
        abi::flags::MAP_ANONYMOUS | abi::flags::MAP_PRIVATE,
    ) {
        Ok(p) => p,
        Err(_) => sys::exit(3),
    };
    for hole in [2, 4] {
        calls::raw(
            ulib::abi::nr::MUNMAP as u64,
            [(scratch + hole * PAGE) as u64, PAGE as u64, 0, 0, 0, 0],
        );
    }
    let _ = process::signal(SIGUSR2, Handler::Call(on_signal));
    // Most signals get a handler to begin with (fuzzed sigactions change that), so a
    // sibling's kill usually runs a handler instead of ending the chunk.
    let mut pre = Rng::new(mix(seed, 0x5161));
    for sig in 1..32 {
        if sig != SIGUSR2 && !pre.one_in(4) {
            let _ = process::signal(sig, Handler::Call(on_signal));
        }
    }
    let d = sys::Disposition::new(Handler::Call(on_signal), 0).raw();
    let heap: &mut [u8; OWN_BUF] = alloc::boxed::Box::leak(alloc::boxed::Box::new([0u8; OWN_BUF]));
    let mut stack_buf = [0u8; OWN_BUF];
    let mut input = [0u8; 4096];
    let mut sib = List::new();
    for &s in siblings {
        sib.push(s, 0);
    }
    let mut w = World {
        rng: Rng::new(seed),
        scratch,
        stack_buf: &mut stack_buf,
        heap_buf: heap,
        input: &mut input,
        text: main as *const () as usize,
        fds: List::new(),
        children: List::new(),
        siblings: sib,
        maps: List::new(),
        me,
        group: me,
        parent,
        depth: 0,
        budget,
        root,
        verbose,
        exclude: o.exclude,
        ports: o.ports,
        token: 0,
        restorer: d.restorer,
        handler: d.handler,
        creds: seed & 0x100 != 0,
        last_tid: 0,
    };
    while w.budget > 0 {
        w.budget -= 1;
        if let calls::After::ForkedChild = w.step() {
            become_child(&mut w);
        }
    }
    // Reap this process's children (a fuzzed fork's or spawn's), then end.
    for &c in w.children.as_slice() {
        let _ = sys::kill(i64::from(c), SIGKILL);
        let _ = sys::waitpid(i64::from(c), None, 0);
    }
    sys::exit(0)
}

/// A worker of the Linux half: the same set-up as a native worker's (its own group,
/// /dev/null for the standard descriptors, nothing else open, the sandbox as working
/// directory), then the Linux fuzzer in its place with the chunk's seed and budget.
/// (`main` has checked that the fuzzer is there; if its exec fails all the same, the
/// worker ends with exit 5.)
fn linux_worker(seed: u64, budget: u64) -> ! {
    let _ = sys::setpgid(0, 0);
    if let Ok(null) = sys::open("/dev/null", abi::flags::O_RDWR, 0) {
        for fd in 0..3 {
            let _ = sys::dup2(null as i32, fd);
        }
    }
    for fd in 3..64 {
        let _ = sys::close(fd);
    }
    let sandbox = SANDBOXES[(seed % 2) as usize];
    let _ = sys::mkdir(sandbox, 0o755);
    if sys::chdir(sandbox).is_err() {
        sys::exit(4);
    }
    let seed = alloc::format!("{seed}");
    let budget = alloc::format!("{budget}");
    let _ = process::exec_with_env(LINUX_FUZZER, &["linfuzz", &seed, &budget], &[] as &[&str]);
    sys::exit(5)
}

/// After a fuzzed fork, in the child: a seed of its own, a share of the budget, no
/// children yet, and the parent among the processes it may signal.
fn become_child(w: &mut World) {
    let parent = w.me;
    w.me = process::id();
    w.rng = Rng::new(mix(w.rng.next(), u64::from(w.me)));
    w.depth += 1;
    w.budget = w.budget.min(CHILD_BUDGET);
    w.children.clear();
    w.creds = true;
    w.last_tid = 0;
    let r = w.rng.next();
    w.siblings.push(parent, r);
    let _ = w.parent;
}

/// Verbose mode: one line per call, to the protected console descriptor.
pub fn say_call(pid: u32, number: u64, a: &[u64; 6]) {
    let line = alloc::format!(
        "sysfuzz[{pid}]: {}/{number}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x})\n",
        calls::name(number),
        a[0],
        a[1],
        a[2],
        a[3],
        a[4],
        a[5]
    );
    let _ = sys::write(VERBOSE_FD, line.as_bytes());
}
