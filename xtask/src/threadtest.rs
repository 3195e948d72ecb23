//! Threads in processes (docs/architecture.md "Threads"), tested against Linux.
//!
//! musl's `pthread_create`, mutexes, condition variables, `__thread` variables,
//! `pthread_kill` and `exit` from a thread (`user/linux-tests/threads.c`,
//! `threadexit.c`, built static by `linuxtest::stage`) run on dinos and on the host,
//! and what they print is compared; where a run ends in a signal the case runs under
//! the staged busybox `sh` on both sides, so the status line is the shell's. The
//! native side: `threads N COUNT` (ulib's `thread::spawn`/`join` and `sync::Mutex`).
//! Afterwards the free memory is back where it was. The same cases boot once more
//! with four CPUs, where threads of one process run at the same time.

use crate::linuxtest::{compare, free_bytes, guest, host_program, host_sh, staging};
use crate::session::Session;
use crate::Result;
use std::path::Path;

type ThreadTest = fn(&Path) -> Result<()>;

/// The tests, wired into `cargo xtask test` by `test.rs`.
pub const THREAD_TESTS: &[(&str, ThreadTest)] = &[
    (
        "thread::musl_pthreads_print_what_they_print_on_linux",
        pthreads_one_cpu,
    ),
    (
        "thread::musl_pthreads_on_four_cpus_print_what_they_print_on_linux",
        pthreads_four_cpus,
    ),
];

/// Cases run under busybox `sh -c` on both sides (host: the staged busybox).
const SH_CASES: &[&str] = &[
    // A thread calls exit(5) while others sleep in read, a futex wait and nanosleep.
    "/linux/tests/threadexit; echo status $?",
    // A thread on a bad stack faults: the process dies of SIGSEGV.
    "/linux/tests/threadexit stack; echo status $?",
    // kill -9 of a process whose four threads are all blocked; /proc sees the four.
    "/linux/tests/threadexit block & sleep 1; grep Threads /proc/$!/status; kill -9 $!; wait $! 2>/dev/null; echo status $?",
];

fn pthreads_one_cpu(kernel: &Path) -> Result<()> {
    pthreads(kernel, 1)
}

fn pthreads_four_cpus(kernel: &Path) -> Result<()> {
    pthreads(kernel, 4)
}

fn pthreads(kernel: &Path, cpus: u32) -> Result<()> {
    let tests = staging().join("linux/tests");
    let mut m = crate::test::shell_machine(kernel);
    m.smp = cpus;
    let mut s = Session::boot_shell(&m)?;
    let mut failures = Vec::new();
    let mut check = |r: Result<()>| {
        if let Err(e) = r {
            failures.push(e);
        }
    };
    // Warm the caches first, so the free-memory comparison sees only the rounds.
    let round = |s: &mut Session, failures: &mut dyn FnMut(Result<()>)| -> Result<()> {
        let want = host_program(&tests.join("threads"), &[], &[])?;
        let got = guest(s, "/linux/tests/threads; echo status $?")?;
        failures(compare("threads", &want, &got).map_err(|e| with_reports(s, e)));
        for case in SH_CASES {
            // The shell's own "Killed" goes to its stderr: merged in order on both sides.
            let case = format!("{{ {case}; }} 2>&1");
            let host = case.replace("/linux/tests", &tests.display().to_string());
            let want = host_sh(&host, Path::new("/"))?;
            let quoted = case.replace('\'', "'\\''");
            let got = guest(
                s,
                &format!("PATH=/linux/bin /linux/bin/sh -c '{quoted}' 2>&1 | cat"),
            )?;
            failures(compare(&case, &want, &got));
        }
        let out = guest(s, "threads 8 20000; echo status $?")?;
        if !out.contains("8 threads: sum 200010000 (expected 200010000); 8 distinct tids, none the main one: yes; same pid in every thread: yes")
            || !out.contains("status 0")
        {
            failures(Err(format!("native threads printed:\n{out}")));
        }
        Ok(())
    };
    // Kernel stacks live in slots of the kernel half that are mapped as needed and
    // kept: 64 threads at once first, so the rounds never need a new page table.
    guest(&mut s, "threads 64 64 > /dev/null")?;
    for _ in 0..3 {
        round(&mut s, &mut check)?;
    }
    let before = settled_free(&mut s, None)?;
    for _ in 0..3 {
        round(&mut s, &mut check)?;
        if std::env::var("THREADTEST_DEBUG").is_ok() {
            eprintln!("DEBUG free {}", settled_free(&mut s, None)?);
        }
    }
    let after = settled_free(&mut s, Some(before))?;
    if before != after {
        check(Err(format!(
            "free memory {before} -> {after} bytes ({:+} frames) after three rounds of threaded programs",
            (after as i64 - before as i64) / 4096
        )));
    }
    // The kernel lives, and thread create+join still works.
    let out = guest(&mut s, "threads -b 50")?;
    if !out.contains("thread create+join: 50 rounds") {
        check(Err(format!("threads -b printed:\n{out}")));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// The free memory once the system has settled: a read a second after the last
/// command (what a finished command leaves to be freed by whoever runs next is gone
/// by then). Given the value to come back to, up to three reads a second apart, the
/// first that equals it (a per-thread or per-process leak never does).
fn settled_free(s: &mut Session, want: Option<u64>) -> Result<u64> {
    let mut last = 0;
    for _ in 0..3 {
        guest(s, "sleep 1")?;
        last = free_bytes(s)?;
        if want.is_none_or(|w| w == last) {
            break;
        }
    }
    Ok(last)
}

/// `e` with the kernel's reports of faults (its "pid N (name): SIGSEGV ..." lines).
fn with_reports(s: &Session, e: String) -> String {
    let out = s.output();
    let reports: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("): SIG"))
        .collect();
    format!("{e}\n    kernel reports:\n    {}", reports.join("\n    "))
}
