//! CPU affinity on a two-CPU machine (docs/smp.md, "Affinity"): `taskset` pins a
//! process, and it is then seen only on its CPU (by itself, through `getcpu` after
//! each round of work, and by `ps`'s CPU column); `taskset -p` reads and moves a
//! running process; a mask with no online CPU is EINVAL, an unknown pid ESRCH. The
//! Linux personality's rows are exercised by the staged busybox's own `taskset` and
//! `nproc` (which counts the CPUs `sched_getaffinity` allows), compared with the host's
//! run of the same busybox.

use crate::linuxtest::host_sh;
use crate::session::Session;
use crate::Result;
use std::path::Path;

type SmpTest = fn(&Path) -> Result<()>;

/// The tests, wired into `cargo xtask test` by `test.rs`.
pub const SMP_TESTS: &[(&str, SmpTest)] = &[("smp::affinity_pins_a_process", affinity)];

/// The CPU column (the sixth) of `ps`'s line for the command `name`, in `listing`.
fn ps_cpu(listing: &str, name: &str) -> Result<u32> {
    let line = listing
        .lines()
        .rev()
        .find(|l| l.trim_end().ends_with(&format!(" {name}")))
        .ok_or_else(|| format!("ps did not list {name}:\n{listing}"))?;
    line.split_whitespace()
        .nth(5)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no CPU column in ps's line {line:?}"))
}

fn affinity(kernel: &Path) -> Result<()> {
    let mut m = crate::test::shell_machine(kernel);
    m.smp = 2;
    let mut s = Session::boot_shell(&m)?;
    s.run_line("nproc", &["2\r\n"])?;
    // Pinned to one CPU, every one of 300 rounds of work ends on it.
    s.run_line("taskset 2 whichcpu 300", &["cpus 2: 1=300\r\n"])?;
    s.run_line("taskset 0x1 whichcpu 300", &["cpus 1: 0=300\r\n"])?;
    // A running process: read its mask, move it, and ps sees it on its new CPU.
    s.run_line("taskset 2 yes > /dev/null & sleep 1", &[])?;
    let out = s.run_line("taskset -p $!", &["affinity mask: 2\r\n"])?;
    if !out.contains("'s current affinity mask: 2") {
        return Err(format!("taskset -p printed {out:?}"));
    }
    let listing = s.run_line("ps", &[" yes"])?;
    let cpu = ps_cpu(&listing, "yes")?;
    if cpu != 1 {
        return Err(format!(
            "pinned to CPU 1, ps says yes last ran on CPU {cpu}"
        ));
    }
    s.run_line(
        "taskset -p 1 $!",
        &["current affinity mask: 2\r\n", "new affinity mask: 1\r\n"],
    )?;
    let listing = s.run_line("sleep 1; ps", &[" yes"])?;
    let cpu = ps_cpu(&listing, "yes")?;
    if cpu != 0 {
        return Err(format!("moved to CPU 0, ps says yes last ran on CPU {cpu}"));
    }
    // The Linux calls on the same process: busybox's taskset reads and sets it.
    s.run_line(
        "/linux/bin/taskset -p 3 $!",
        &["current affinity mask: 1\r\n", "new affinity mask: 3\r\n"],
    )?;
    s.run_line("taskset -p $!", &["current affinity mask: 3\r\n"])?;
    s.run_line("kill %1", &[])?;
    // Bad input: no online CPU in the mask, not a mask, no such process.
    s.run_line(
        "taskset 4 true; echo st''atus $?",
        &["sched_setaffinity: invalid argument", "status 1"],
    )?;
    s.run_line(
        "taskset -p 0 $$; echo st''atus $?",
        &["invalid argument", "status 1"],
    )?;
    s.run_line(
        "taskset zz true; echo st''atus $?",
        &["bad mask", "status 1"],
    )?;
    s.run_line(
        "taskset -p 99999; echo st''atus $?",
        &["no such process", "status 1"],
    )?;
    // busybox's nproc counts the CPUs sched_getaffinity allows: the host's busybox
    // says the same for one CPU (and the guest has two).
    let want = host_sh("taskset 1 nproc", Path::new("/"))?;
    let got = s.run_line("/linux/bin/taskset 1 /linux/bin/nproc", &[])?;
    let got = got.replace('\r', "");
    let got = got.lines().next().unwrap_or("");
    if got.trim() != want.trim() {
        return Err(format!(
            "taskset 1 nproc: the host's busybox printed {want:?}, dinos {got:?}"
        ));
    }
    s.run_line("/linux/bin/nproc", &["2\r\n"])?;
    Ok(())
}
