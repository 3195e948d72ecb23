//! CPU affinity on a two-CPU machine (docs/smp.md, "Affinity"): `taskset` pins a
//! process, and it is then seen only on its CPU (by itself, through `getcpu` after
//! each round of work, and by `ps`'s CPU column); `taskset -p` reads and moves a
//! running process; a mask with no online CPU is EINVAL, an unknown pid ESRCH. The
//! Linux personality's rows are exercised by the staged busybox's own `taskset` and
//! `nproc` (which counts the CPUs `sched_getaffinity` allows), compared with the host's
//! run of the same busybox.
//!
//! Also here: device interrupt lines spread over the CPUs (seen in `/proc/interrupts`'s
//! per-CPU counts), and the usertests, a shell session and fsstress run on four CPUs,
//! as issue 11 asks of `cargo xtask test` (docs/smp.md, "Tests on four CPUs").

use crate::linuxtest::host_sh;
use crate::session::Session;
use crate::Result;
use std::path::Path;

type SmpTest = fn(&Path) -> Result<()>;

/// The tests, wired into `cargo xtask test` by `test.rs`.
pub const SMP_TESTS: &[(&str, SmpTest)] = &[
    ("smp::affinity_pins_a_process", affinity),
    (
        "smp::device_interrupts_are_spread_over_the_cpus",
        interrupts_spread,
    ),
];

/// The existing usertests, a shell session and fsstress again on four CPUs (issue 11),
/// part of the plain `cargo xtask test`; `cargo xtask test 4_cpus` runs them alone.
pub const FOUR_CPU_TESTS: &[(&str, SmpTest)] = &[
    ("smp::usertests_on_4_cpus", |k| {
        on_cpus(k, 4, "prog::usertests", crate::progtest::PROGRAM_TESTS)
    }),
    ("smp::shell_job_control_on_4_cpus", |k| {
        on_cpus(
            k,
            4,
            "sh::job_control_ctrl_z_jobs_bg_fg_and_a_background_read",
            crate::shelltest::SHELL_TESTS,
        )
    }),
    ("smp::fsstress_on_4_cpus", |k| {
        on_cpus(
            k,
            4,
            "storage::fsstress_10000_random_ops_match_the_model_and_fsck_is_clean",
            crate::storagetest::STORAGE_QEMU_TESTS,
        )
    }),
];

/// Run the existing test `name` from `list` with every machine it boots given `cpus`
/// CPUs (issue 11: the usertests, a shell session and fsstress also run on four CPUs).
/// The CPU count reaches the test through `DINOS_SMP`, which `qemu::Machine::new`
/// reads, so the test runs exactly as it does on one CPU; the variable is put back
/// afterwards (the tests run one after the other, on this thread).
fn on_cpus(kernel: &Path, cpus: u32, name: &str, list: &[(&str, SmpTest)]) -> Result<()> {
    let (_, test) = list
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| format!("no test named {name}"))?;
    let before = std::env::var("DINOS_SMP").ok();
    std::env::set_var("DINOS_SMP", cpus.to_string());
    let started = std::time::Instant::now();
    let r = test(kernel);
    match before {
        Some(v) => std::env::set_var("DINOS_SMP", v),
        None => std::env::remove_var("DINOS_SMP"),
    }
    println!("    ({name} with {cpus} CPUs: {:.1?})", started.elapsed());
    r
}

/// The counts of the `/proc/interrupts` row whose name ends with `name`, per CPU.
fn interrupt_row(listing: &str, name: &str) -> Result<Vec<u64>> {
    let line = listing
        .lines()
        .find(|l| l.trim_end().ends_with(name))
        .ok_or_else(|| format!("/proc/interrupts has no {name:?} row:\n{listing}"))?;
    let (_, rest) = line
        .split_once(':')
        .ok_or_else(|| format!("not a /proc/interrupts row: {line:?}"))?;
    Ok(rest
        .split_whitespace()
        .map_while(|w| w.parse().ok())
        .collect())
}

/// Device interrupt lines are spread over the CPUs (`x86::apic::irq_cpu`): with two
/// CPUs the serial line (GSI 4) goes to CPU 1, so every console interrupt since the
/// console was set up (after the other CPUs) is counted there and none on CPU 0, and
/// typing adds to CPU 1's count alone. The network card's interrupts (a PCI line,
/// vector 0x30) are taken too, whichever CPU its line was given.
fn interrupts_spread(kernel: &Path) -> Result<()> {
    let mut m = crate::test::shell_machine(kernel);
    m.smp = 2;
    m.net = true;
    let mut s = Session::boot_shell(&m)?;
    let first = s.run_line("cat /proc/interrupts", &["COM1 serial"])?;
    let com1 = interrupt_row(&first, "IO-APIC COM1 serial")?;
    if com1.len() != 2 || com1[0] != 0 || com1[1] == 0 {
        return Err(format!(
            "COM1 with two CPUs: want every interrupt on CPU 1, got {com1:?}:\n{first}"
        ));
    }
    s.run_line("echo typed on the serial line", &[])?;
    let second = s.run_line("cat /proc/interrupts", &["COM1 serial"])?;
    let later = interrupt_row(&second, "IO-APIC COM1 serial")?;
    if later[0] != 0 || later[1] <= com1[1] {
        return Err(format!(
            "typing: COM1 counts went from {com1:?} to {later:?}:\n{second}"
        ));
    }
    let pci = interrupt_row(&second, "(PCI)")?;
    if pci.iter().sum::<u64>() == 0 {
        return Err(format!(
            "no PCI interrupt taken with a network card:\n{second}"
        ));
    }
    Ok(())
}

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
