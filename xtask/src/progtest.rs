//! Tests and benchmarks that run as programs inside dinos: `usertests` and `bench`.
//!
//! Chapter 2 seen from user space: `usertests` (user/bin/src/bin/usertests/) exercises
//! process control, pipes, signals, memory, descriptors and the kernel's argument
//! checking from a real program, and checks for leaks; `bench` times system calls,
//! pipe round trips, fork, spawn and exec in the guest. Both are started from the shell
//! prompt, as a person would, and their console output is read back.
//!
//! Design decision: the program does the checking and prints one `usertests: NAME ...
//! ok` line per test; this side only insists that every expected name reports `ok` and
//! that the summary says `0 failed`, so a test missing from the output (a crash, a
//! rename) fails as loudly as a failing one. The benchmarks run under `-icount shift=0`,
//! where a nanosecond of guest time is one guest instruction: the figures are
//! instruction counts and repeat exactly from run to run.

use crate::session::Session;
use crate::Result;
use std::path::Path;
use std::time::Duration;

/// Generous: QEMU under software emulation on a loaded 2-core machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(90);
/// The whole `usertests` run (a few seconds when the machine is idle).
const USERTESTS_TIMEOUT: Duration = Duration::from_secs(600);
/// The whole `bench` run under instruction counting.
const BENCH_TIMEOUT: Duration = Duration::from_secs(600);
const PROMPT: &str = "$ ";

type ProgramTest = fn(&Path) -> Result<()>;

/// The tests, wired into `cargo xtask test` by `test.rs`.
pub const PROGRAM_TESTS: &[(&str, ProgramTest)] = &[("prog::usertests", usertests)];

/// Every test `usertests` runs (keep in step with `TESTS` in its main.rs).
const USERTESTS: &[&str] = &[
    "spawn_1000_times_leaks_nothing",
    "sixty_four_processes_alive_at_once",
    "fork_gives_the_child_a_private_copy",
    "exec_passes_argv_and_envp",
    "malformed_executable_is_enoexec",
    "exec_of_a_non_executable_is_eacces",
    "faulting_child_is_killed_by_sigsegv",
    "pipe_reads_eof_after_last_writer_closes",
    "pipe_write_without_reader_is_epipe_and_sigpipe",
    "pipe_carries_1mib_intact",
    "pipe_moves_bytes_from_and_to_untouched_pages",
    "many_processes_fork_pipe_and_share_pages",
    "signal_handler_runs_and_sigreturn_restores",
    "sigprocmask_delays_delivery_until_unblocked",
    "sigkill_cannot_be_caught_or_blocked",
    "kill_ends_a_sleeping_child_with_sigterm",
    "sigchld_reaches_a_parent_with_a_handler",
    "brk_grows_writes_and_shrinks",
    "mmap_munmap_and_touching_unmapped_is_sigsegv",
    "shared_file_mapping_is_the_file",
    "private_file_mapping_keeps_writes",
    "truncated_mapping_is_sigbus",
    "truncated_file_is_sigbus_in_every_mapping",
    "writing_a_running_program_is_etxtbsy",
    "mprotect_takes_and_gives_rights",
    "file_mapping_refusals",
    "dup_dup2_close_share_the_offset",
    "device_request_is_exclusive_until_released",
    "huge_executable_is_refused_not_fatal",
    "fork_shares_descriptor_offsets",
    "fork_1000_times_leaks_nothing",
    "signal_with_a_stack_near_address_zero_is_sigsegv",
    "programs_cannot_reach_the_top_of_user_space",
    "munmap_of_all_user_space_is_prompt_and_frees_everything",
    "mapping_regions_without_end_gives_enomem",
    "orphans_are_reaped_by_init",
    "init_survives_signals_and_keeps_its_group",
    "removed_working_directory_is_empty_and_unlinked",
    "umount_is_ebusy_while_a_file_or_directory_is_in_use",
    "net_socket_calls_refuse_bad_arguments",
    "bad_arguments_are_refused_never_fatal",
    "fork_while_the_vfs_is_busy_and_a_thread_ticks",
];

/// Boot to the shell prompt, type `command`, and wait for `until` in its output: the
/// whole console transcript, or an error that carries it.
pub(crate) fn run_program(
    m: &crate::qemu::Machine,
    command: &str,
    until: &str,
    timeout: Duration,
) -> Result<String> {
    let mut s = Session::start(m)?;
    s.expect(PROMPT, BOOT_TIMEOUT)?;
    s.send(&format!("{command}\n"))?;
    match s.expect(until, timeout) {
        Ok(_) => {
            // The rest of the summary line.
            let _ = s.expect("\n", Duration::from_secs(5));
            Ok(s.output())
        }
        Err(e) => Err(format!(
            "{}\nthe whole console transcript:\n{}",
            e.lines().next().unwrap_or(""),
            s.output()
        )),
    }
}

fn usertests(kernel: &Path) -> Result<()> {
    usertests_on(&crate::test::shell_machine(kernel))
}

/// `cargo xtask soak-smp [RUNS] [CPUS]`: the whole `usertests` run with several CPUs
/// (MTTCG, default 4), `RUNS` times (default 20), each in a fresh boot; prints each
/// run's outcome and the tally, and fails if any run failed or hung. Races one CPU
/// never shows come out here: three were found and fixed this way (a thread queued
/// twice by the scheduler, a wait that dropped its condition's answer, SIGCONT left
/// pending), and one still hangs about one run in twenty (docs/smp.md). Not part of
/// `cargo xtask test` while it does.
pub fn soak_smp(args: &[String]) -> Result<u8> {
    let num = |i: usize, default: u32| -> Result<u32> {
        match args.get(i) {
            Some(a) => a
                .parse()
                .map_err(|_| format!("soak-smp: {a:?} is not a number")),
            None => Ok(default),
        }
    };
    let (runs, cpus) = (num(0, 20)?, num(1, 4)?);
    crate::deps::ensure()?;
    let (kernel, image) = crate::qemu::build_system()?;
    crate::test::set_rootfs(image);
    let mut failed = 0;
    for run in 1..=runs {
        let mut m = crate::test::shell_machine(&kernel);
        m.smp = cpus;
        let started = std::time::Instant::now();
        match usertests_on(&m) {
            Ok(()) => println!("run {run}/{runs}: ok ({:.0?})", started.elapsed()),
            Err(e) => {
                failed += 1;
                let first = e.lines().next().unwrap_or("");
                println!(
                    "run {run}/{runs}: FAILED ({:.0?}): {first}",
                    started.elapsed()
                );
                eprintln!("{e}");
            }
        }
    }
    println!("{} of {runs} runs with {cpus} CPUs passed", runs - failed);
    Ok(u8::from(failed > 0))
}

fn usertests_on(m: &crate::qemu::Machine) -> Result<()> {
    // In the kernel with the lock-order checker (hal::lockcheck), switched on: any
    // inversion it reports while the programs run fails the run. (Its "held too long"
    // lines are not failures: on an overcommitted host a virtual CPU can be
    // descheduled while it holds a lock.)
    let mut m = m.clone();
    m.kernel = crate::test::lockcheck_kernel()?;
    m.append = format!("{} lockcheck", m.append).trim().to_string();
    // "passed, " appears only in the summary line, `usertests: N passed, M failed`.
    let out = run_program(&m, "usertests", " passed, ", USERTESTS_TIMEOUT)?;
    let mut problems = Vec::new();
    problems.extend(
        out.lines()
            .filter(|l| l.contains("lockcheck: lock order inversion"))
            .map(|l| l.trim_end().to_string()),
    );
    for name in USERTESTS {
        let ok = format!("usertests: {name} ... ok");
        if !out.lines().any(|l| l.trim_end() == ok) {
            let line = out
                .lines()
                .find(|l| l.starts_with(&format!("usertests: {name} ... ")))
                .map(|l| l.trim_end().to_string())
                .unwrap_or_else(|| format!("usertests: {name}: no result line"));
            problems.push(line);
        }
    }
    let summary = out
        .lines()
        .find(|l| l.starts_with("usertests: ") && l.contains(" passed, "))
        .unwrap_or("");
    if !summary.trim_end().ends_with(" 0 failed") {
        problems.push(format!("summary: {:?}", summary.trim_end()));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n\nthe whole console transcript:\n{out}",
            problems.join("\n")
        ))
    }
}

/// The benchmarks `bench` prints, with the target for each (if any).
const BENCHES: &[(&str, &str, Option<u64>)] = &[
    (
        "null_syscall",
        "null system call (call 0, which does nothing, from a program)",
        Some(150),
    ),
    ("getppid", "getppid (finds the caller's process)", None),
    (
        "pipe_write_read",
        "pipe write + read of 1 byte in one process (no switch)",
        None,
    ),
    (
        "pipe_round_trip",
        "pipe round trip between two processes (1 byte each way, 2 switches)",
        Some(2_500),
    ),
    (
        "port_round_trip",
        "port round trip between two processes (short call in registers, 2 switches)",
        Some(2_000),
    ),
    ("fork_exit_wait", "fork + exit + wait", Some(100_000)),
    ("spawn_exit_wait", "spawn /bin/true + exit + wait", None),
    (
        "fork_exec_exit_wait",
        "fork + exec /bin/true + exit + wait",
        None,
    ),
    (
        "fork_exec_sh_c_true",
        "fork + exec /bin/sh -c true + wait (lmbench shell; Linux 1,040,500)",
        Some(400_000),
    ),
    (
        "sh_loop_1000",
        "sh -c: a loop of 1,000 iterations with [ and $((...)) (fork + exec + wait)",
        None,
    ),
    (
        "access",
        "access(\"/etc/passwd\", R_OK) (path walk, permission by the real ids)",
        None,
    ),
    (
        "futex_wake",
        "futex wake of a shared word nobody waits on (find the word, look for waiters)",
        None,
    ),
    (
        "shm_round_trip",
        "shared-memory round trip between two processes (futex wake + wait each way, 2 switches)",
        Some(1_500),
    ),
    (
        "tcp_round_trip",
        "TCP round trip over loopback between two processes (1 byte each way, smoltcp)",
        None,
    ),
    (
        "port_block_round_trip",
        "port round trip, the general path (PortMsg blocks in memory: port_call + port_reply_receive)",
        None,
    ),
    (
        "mapped_page_fault",
        "page fault on a mapped file page already in the page cache (the touch only)",
        Some(800),
    ),
];

/// `cargo xtask bench programs`: boot under `-icount shift=0`, run `bench`, print the
/// figures as a markdown table.
pub fn bench_programs(kernel: &Path, image: &Path) -> Result<()> {
    let mut m = crate::qemu::Machine::new(kernel);
    m.initrd = Some(image.to_path_buf());
    m.no_reboot = true;
    m.icount = true;
    let last = BENCHES[BENCHES.len() - 1].0;
    let out = run_program(&m, "bench", &format!("bench: {last} "), BENCH_TIMEOUT)?;
    println!("programs: in-guest benchmarks (user/bin/src/bin/bench.rs) under -icount shift=0");
    println!("| operation | guest instructions per operation | target |");
    println!("|---|---|---|");
    let mut missed = Vec::new();
    for (name, what, target) in BENCHES {
        let prefix = format!("bench: {name} ");
        let n: u64 = out
            .lines()
            .find_map(|l| l.trim_end().strip_prefix(&prefix))
            .and_then(|r| r.strip_suffix(" ns/op"))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("no figure for {name} in the output:\n{out}"))?;
        let t = target.map_or("-".to_string(), |t| format!("<= {t}"));
        println!("| {what} | {n} | {t} |");
        if target.is_some_and(|t| n > t) {
            missed.push(*name);
        }
    }
    if missed.is_empty() {
        println!("every target met");
    } else {
        println!("targets missed: {}", missed.join(", "));
    }
    Ok(())
}
