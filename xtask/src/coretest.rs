//! Core dumps, resource limits and accounting, tested from the shell (`core::...`).
//!
//! The core-dump tests boot a scratch copy of the root image as the persistent disk,
//! crash a program on purpose, power off, and then do what a person would: copy the
//! core out of the image (`corecmd::copy_out`, debugfs) and ask host gdb for a
//! backtrace, which must name the function that faulted. The limit and accounting
//! tests run `prlimit --selftest NAME` (user/bin/src/bin/prlimit.rs), which checks
//! from inside a process and prints one OK or FAIL line, or drive the shell's
//! `ulimit` and `time` and read what they print.

use crate::corecmd::{copy_out, gdb_batch, program_binary, program_name};
use crate::session::Session;
use crate::test::{disk_machine, fsck, scratch_disk};
use crate::Result;
use std::path::Path;
use std::time::Duration;

type CoreTest = fn(&Path) -> Result<()>;

/// The tests, wired into `cargo xtask test` by `test.rs`.
pub const CORE_TESTS: &[(&str, CoreTest)] = &[
    (
        "core::a_null_dereference_leaves_a_core_whose_gdb_backtrace_names_the_function",
        null_dereference_core,
    ),
    (
        "core::ulimit_c_0_writes_no_core_and_the_limit_caps_an_abort_core",
        core_limit,
    ),
    ("core::rlimit_nofile_makes_open_fail_with_emfile", |k| {
        selftest(k, "nofile")
    }),
    ("core::getrusage_counts_grow_with_the_work_done", |k| {
        selftest(k, "usage")
    }),
    (
        "core::rlimit_as_refuses_mappings_and_programs_past_it",
        |k| selftest(k, "as"),
    ),
    (
        "core::rlimit_cpu_sends_sigxcpu_and_time_reports_the_user_time",
        cpu_limit,
    ),
    ("core::rlimit_stack_sizes_a_new_programs_stack", stack_limit),
    ("core::core_pattern_is_root_only_and_names_the_file", |k| {
        selftest(k, "pattern")
    }),
    (
        "core::a_dump_that_cannot_be_written_still_ends_the_process_without_the_core_bit",
        unwritable_core,
    ),
    ("core::ps_shows_time_and_rss", ps_columns),
];

const STEP: Duration = Duration::from_secs(30);

/// The number after `before` in `text` (decimal, or hex after `0x`).
fn number_after(text: &str, before: &str) -> Option<u64> {
    let rest = &text[text.find(before)? + before.len()..];
    match rest.strip_prefix("0x") {
        Some(hex) => {
            let end = hex
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(hex.len());
            u64::from_str_radix(&hex[..end], 16).ok()
        }
        None => {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            rest[..end].parse().ok()
        }
    }
}

/// Boot a scratch disk, run `body` at the shell, power off, check the disk is clean;
/// then `after` looks at the image, given what `body` found.
fn on_disk<T>(
    kernel: &Path,
    name: &str,
    body: impl FnOnce(&mut Session) -> Result<T>,
    after: impl FnOnce(&Path, T) -> Result<()>,
) -> Result<()> {
    let disk = scratch_disk(name)?;
    let found = {
        let mut s = Session::boot_shell(&disk_machine(kernel, &disk))?;
        let found = body(&mut s)?;
        s.send("poweroff\n")?;
        let st = s.wait_exit(STEP)?;
        if crate::qemu::exit_code(st) != 0 {
            return Err(format!("poweroff ended QEMU with status {st:?}"));
        }
        found
    };
    fsck(&disk)?;
    after(&disk, found)?;
    let _ = std::fs::remove_file(&disk);
    Ok(())
}

/// `crash null` under `ulimit -c unlimited`: the shell says "(core dumped)", the
/// status is 139, and host gdb, given the core copied out of the image and the
/// program, shows SIGSEGV, the faulting function, and the rip the kernel reported.
fn null_dereference_core(kernel: &Path) -> Result<()> {
    on_disk(
        kernel,
        "core-null",
        |s| {
            s.run_line("ulimit -c unlimited", &[])?;
            let out = s.run_line("crash null", &["(core dumped)"])?;
            let pid = number_after(&out, "pid ").ok_or(format!("no pid in:\n{out}"))?;
            let rip = number_after(&out, "rip ").ok_or(format!("no rip in:\n{out}"))?;
            s.run_line("echo st=$?", &["st=139"])?;
            s.run_line(&format!("ls /core.{pid}"), &[&format!("/core.{pid}")])?;
            Ok((pid, rip))
        },
        |disk, (pid, rip)| {
            let core = crate::root().join(format!("target/test-core.{pid}"));
            copy_out(disk, &format!("/core.{pid}"), &core)?;
            let bytes = std::fs::read(&core).map_err(|e| e.to_string())?;
            let name = program_name(&bytes)?;
            if name != "crash" {
                return Err(format!("NT_PRPSINFO names {name:?}, not crash"));
            }
            let prog = program_binary(&name)?;
            let out = gdb_batch(&prog, &core, &["bt", "info registers rip"])?;
            let _ = std::fs::remove_file(&core);
            let want = [
                "Program terminated with signal SIGSEGV".to_string(),
                "crash_null_dereference".to_string(),
                format!("rip            {rip:#x}"),
                "Core was generated by `crash null'".to_string(),
            ];
            match want.iter().find(|w| !out.contains(w.as_str())) {
                None => Ok(()),
                Some(w) => Err(format!("gdb's output lacks {w:?}:\n{out}")),
            }
        },
    )
}

/// `ulimit -c 0`: a crash writes no core and the shell does not say "core dumped";
/// `ulimit -c 8` (4096 bytes): an abort's core is cut at 4096 bytes.
fn core_limit(kernel: &Path) -> Result<()> {
    on_disk(
        kernel,
        "core-limit",
        |s| {
            s.run_line("ulimit -c 0; ulimit -c", &["0"])?;
            let out = s.run_line("crash null", &["Segmentation fault (SIGSEGV)"])?;
            if out.contains("core dumped") {
                return Err(format!("ulimit -c 0 still dumped core:\n{out}"));
            }
            s.run_line("ls / | grep -c '^core' ; true", &["0"])?;
            s.run_line("ulimit -c 8", &[])?;
            let out = s.run_line("crash abort", &["Aborted (SIGABRT) (core dumped)"])?;
            s.run_line("echo st=$?", &["st=134"])?;
            let _ = out;
            s.run_line("wc -c /core.*", &["4096 /core."])?;
            Ok(())
        },
        |_, ()| Ok(()),
    )
}

fn selftest(kernel: &Path, name: &str) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    let out = s.run_line(&format!("prlimit --selftest {name}"), &["prlimit: "])?;
    if out.contains("prlimit: OK") {
        Ok(())
    } else {
        Err(format!("prlimit --selftest {name} printed:\n{out}"))
    }
}

/// `ulimit -S -t 1` then a CPU-bound loop: SIGXCPU after one second of CPU time, and
/// `time` (getrusage of the children) reports at least that as user time. With the
/// hard limit at 1 too (`ulimit -t 1`) the same loop is killed (SIGKILL), as on Linux
/// (bash there: status 152 for the first, 137 for the second).
fn cpu_limit(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line(
        "sh -c 'ulimit -t 1; crash spin'; echo st=$?",
        &["Killed", "st=137"],
    )?;
    let out = s.run_line(
        "time sh -c 'ulimit -S -t 1; crash spin'",
        &["CPU time limit exceeded (SIGXCPU)", "sys "],
    )?;
    let user = out
        .lines()
        .find_map(|l| l.strip_prefix("user "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or(format!("no user time in:\n{out}"))?;
    if !(0.95..3.0).contains(&user) {
        return Err(format!("user time {user} s for a 1 s CPU limit:\n{out}"));
    }
    // The limit was the child shell's: the interactive shell still has none.
    s.run_line("ulimit -t", &["unlimited"])?;
    Ok(())
}

/// `ulimit -s 256`: a program started then gets a 256 KiB stack region, so `crash
/// stack` faults just below `STACK_TOP - 256 KiB` instead of 8 MiB down.
fn stack_limit(kernel: &Path) -> Result<()> {
    const STACK_TOP: u64 = 0x7fff_ffff_0000;
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    let out = s.run_line(
        "sh -c 'ulimit -s 256; ulimit -s; crash stack'",
        &["256", "SIGSEGV"],
    )?;
    let addr = number_after(&out, "at address ").ok_or(format!("no address in:\n{out}"))?;
    let bottom = STACK_TOP - (256 << 10);
    if !(bottom - 4096..bottom).contains(&addr) {
        return Err(format!(
            "the fault was at {addr:#x}, not in the page below {bottom:#x}:\n{out}"
        ));
    }
    Ok(())
}

/// A pattern naming the program (`%e`) puts `c.crash.PID` where it says; one naming
/// a directory that does not exist writes nothing, and the program still dies of its
/// signal, reported without "core dumped" (status 139), the shell unharmed.
fn unwritable_core(kernel: &Path) -> Result<()> {
    on_disk(
        kernel,
        "core-pattern",
        |s| {
            s.run_line("ulimit -c unlimited; prlimit --core-pattern /c.%e.%p", &[])?;
            let out = s.run_line("crash null", &["(core dumped)"])?;
            let pid = number_after(&out, "pid ").ok_or(format!("no pid in:\n{out}"))?;
            s.run_line(&format!("ls /c.crash.{pid}"), &[&format!("/c.crash.{pid}")])?;
            s.run_line("prlimit --core-pattern /no/such/dir/core", &[])?;
            let out = s.run_line("crash null; echo st=$?", &["st=139"])?;
            if out.contains("core dumped") || !out.contains("Segmentation fault (SIGSEGV)") {
                return Err(format!("a dump to a missing directory printed:\n{out}"));
            }
            s.run_line("echo still here", &["still here"])?;
            Ok(pid)
        },
        |disk, pid| {
            let host = crate::root().join(format!("target/test-c.crash.{pid}"));
            copy_out(disk, &format!("/c.crash.{pid}"), &host)?;
            let bytes = std::fs::read(&host).map_err(|e| e.to_string())?;
            let _ = std::fs::remove_file(&host);
            match program_name(&bytes)?.as_str() {
                "crash" => Ok(()),
                other => Err(format!("the core names {other:?}")),
            }
        },
    )
}

/// `ps` has the CPU time and resident size columns, with a size for the shell.
fn ps_columns(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    let out = s.run_line("ps", &["TIME", "RSS"])?;
    let sh = out
        .lines()
        .find(|l| l.trim_end().ends_with(" sh"))
        .ok_or(format!("no sh line in:\n{out}"))?;
    let rss = sh
        .split_whitespace()
        .find_map(|w| w.strip_suffix('K'))
        .and_then(|k| k.parse::<u64>().ok())
        .ok_or(format!("no RSS in {sh:?}"))?;
    if rss < 16 {
        return Err(format!("the shell's RSS is {rss}K: {sh:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::number_after;

    #[test]
    fn numbers_are_read_after_their_label() {
        let line = "pid 6 (crash): SIGSEGV (Page Fault) at address 0x0, rip 0x4006e4";
        assert_eq!(number_after(line, "pid "), Some(6));
        assert_eq!(number_after(line, "rip "), Some(0x4006e4));
        assert_eq!(number_after(line, "at address "), Some(0));
        assert_eq!(number_after(line, "nothing"), None);
    }
}
