//! `cargo xtask bench`: benchmarks whose figures go in docs/benchmarks.md.
//!
//! `boot`: wall time from starting QEMU to the kernel announcing it is ready (the
//! monitor prompt), over several runs; median and spread, with the QEMU version, and the
//! kernel's own figure (TSC time from its first instruction to ready).
//! `syscall`: instructions per null system call, measured in the guest.
//! `trace`: the cost of tracing (a traced null call against an untraced one) and of
//! profiling at 1 kHz (a CPU-bound program's slowdown); see `tracetest::bench`.
//! `smp`: a CPU-bound job split into 1, 2 and 4 processes, wall time with 1, 2 and 4
//! CPUs (MTTCG, no `-icount`: the figure is real time, and the host's cores bound it).
//! `--vs-linux`: the same static musl micro-benchmark on dinos and on Debian's Linux
//! under the same QEMU, side by side (`vslinuxtest::bench`).
//! Guest figures use
//! `-icount shift=0` so they repeat exactly; the wall figures are what a user waits.

use crate::qemu::Machine;
use crate::session::Session;
use crate::{deps, Result};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 11;

pub fn run(args: &[String]) -> Result<u8> {
    deps::ensure()?;
    let which = args.first().map(String::as_str).unwrap_or("all");
    let (kernel, image) = crate::qemu::build_system()?;
    match which {
        "all" => {
            boot(&kernel, &image)?;
            syscall(&kernel)?;
            crate::progtest::bench_programs(&kernel, &image)?;
            crate::storagetest::fs_bench(&kernel, false)?;
            crate::tracetest::bench(&kernel, &image)?;
        }
        "gui" => crate::guitest::bench_latency(&kernel, &image)?,
        "trace" => crate::tracetest::bench(&kernel, &image)?,
        "fs" => {
            let ramdisk = args.get(1).map(String::as_str) == Some("--ramdisk");
            crate::storagetest::fs_bench(&kernel, ramdisk)?
        }
        "boot" => boot(&kernel, &image)?,
        "syscall" => syscall(&kernel)?,
        "programs" => crate::progtest::bench_programs(&kernel, &image)?,
        "smp" => smp(&kernel, &image)?,
        "net" => crate::netbench::bench(&kernel, &image)?,
        "ufsd" => crate::ufsdtest::bench(&kernel, &image)?,
        "--vs-linux" | "vs-linux" => crate::vslinuxtest::bench(&kernel, &image)?,
        other => {
            return Err(format!(
                "unknown benchmark `{other}` (try: boot, syscall, programs, fs, smp, trace, net, ufsd, gui, --vs-linux)"
            ))
        }
    }
    Ok(0)
}

pub fn qemu_version() -> String {
    Command::new("qemu-system-x86_64")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown QEMU".into())
}

struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(mut v: Vec<f64>) -> Stats {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Stats {
        median: v[v.len() / 2],
        min: v[0],
        max: v[v.len() - 1],
    }
}

/// One boot: (wall ms to the prompt, the kernel's own "ready in N us"). With an image,
/// to the shell's prompt; without, to the kernel monitor's.
/// The console text that ends each phase of a boot to the shell, in order, and what
/// the phase is (the monitor boot has the first two, then its prompt).
const SHELL_PHASES: [(&str, &str); 5] = [
    (
        "(x86_64)",
        "QEMU start and firmware, to the kernel's first line",
    ),
    ("dinos ready in ", "kernel: first line to ready"),
    (
        "started /bin/init",
        "kernel: PCI, disks, root mount, registries, to /bin/init started",
    ),
    (
        "Welcome to dinos",
        "init, `/bin/sh /etc/rc` and its first command (`cat /etc/motd`)",
    ),
    (
        "$ ",
        "the rest of /etc/rc (`uname -a`), then the interactive sh's prompt",
    ),
];

/// One boot: the wall time (ms from starting QEMU) at which each phase ended
/// (`SHELL_PHASES` with a root image, else the first two and the monitor's prompt), and
/// the kernel's own ready time (ms of guest TSC time).
fn one_boot(
    kernel: &std::path::Path,
    image: Option<&std::path::Path>,
    icount: bool,
    cpus: u32,
) -> Result<(Vec<f64>, f64)> {
    let mut m = Machine::new(kernel);
    m.icount = icount;
    m.smp = cpus;
    m.no_reboot = true;
    m.initrd = image.map(|p| p.to_path_buf());
    let marks: Vec<&str> = if image.is_some() {
        SHELL_PHASES.iter().map(|p| p.0).collect()
    } else {
        vec![SHELL_PHASES[0].0, SHELL_PHASES[1].0, "dinos> "]
    };
    let start = Instant::now();
    let mut s = Session::start(&m)?;
    let mut text = String::new();
    let mut at = Vec::new();
    for mark in marks {
        text += &s.expect(mark, Duration::from_secs(60))?;
        at.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    s.send("poweroff\n")?;
    let _ = s.wait_exit(Duration::from_secs(10));
    let guest_us = text
        .split("dinos ready in ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .ok_or("the kernel did not report its ready time")?;
    Ok((at, guest_us / 1000.0))
}

/// The median length of each phase of `boots` (each a list of phase end times).
fn phase_medians(boots: &[Vec<f64>]) -> Vec<f64> {
    (0..boots[0].len())
        .map(|i| {
            let d = boots
                .iter()
                .map(|b| b[i] - if i == 0 { 0.0 } else { b[i - 1] })
                .collect();
            stats(d).median
        })
        .collect()
}

/// In-guest micro-benchmarks under `-icount shift=0`, where the guest TSC counts guest
/// instructions: the figures are instructions per operation, identical run to run.
fn syscall(kernel: &std::path::Path) -> Result<()> {
    let mut m = Machine::new(kernel);
    m.icount = true;
    m.no_reboot = true;
    m.append = "ktest=bench".into();
    let mut s = Session::start(&m)?;
    let line = s.expect(" per call", Duration::from_secs(120))?;
    let _ = s.wait_exit(Duration::from_secs(10));
    let n: u64 = line
        .rsplit("null_syscall ")
        .next()
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no figure in the kernel's output: {line}"))?;
    println!("syscall: under -icount shift=0, {}", qemu_version());
    println!("| operation | guest instructions per operation | target |");
    println!("|---|---|---|");
    println!("| null system call (syscall, dispatch, iretq; 3-instruction loop included) | {n} | <= 150 |");
    Ok(())
}

fn boot(kernel: &std::path::Path, image: &std::path::Path) -> Result<()> {
    println!("boot: {RUNS} runs, {}", qemu_version());
    let mut wall = Vec::new();
    let mut guest = Vec::new();
    let mut shell = Vec::new();
    let (mut guest4, mut shell4) = (Vec::new(), Vec::new());
    let (mut phases, mut phases4) = (Vec::new(), Vec::new());
    let last = |v: &Vec<f64>| v[v.len() - 1];
    for _ in 0..RUNS {
        let (w, g) = one_boot(kernel, None, false, 1)?;
        wall.push(last(&w));
        guest.push(g);
        let p = one_boot(kernel, Some(image), false, 1)?.0;
        shell.push(last(&p));
        phases.push(p);
        guest4.push(one_boot(kernel, None, false, 4)?.1);
        let p = one_boot(kernel, Some(image), false, 4)?.0;
        shell4.push(last(&p));
        phases4.push(p);
    }
    let (_, icount_guest) = one_boot(kernel, None, true, 1)?;
    let (_, icount_guest4) = one_boot(kernel, None, true, 4)?;
    let sh = stats(shell);
    let w = stats(wall);
    let g = stats(guest);
    let (g4, sh4) = (stats(guest4), stats(shell4));
    println!("| measure | median | min | max |");
    println!("|---|---|---|---|");
    println!(
        "| wall time, QEMU start to monitor prompt (ms) | {:.1} | {:.1} | {:.1} |",
        w.median, w.min, w.max
    );
    println!(
        "| guest time, kernel entry to ready (ms, TSC) | {:.2} | {:.2} | {:.2} |",
        g.median, g.min, g.max
    );
    println!("| guest time under -icount shift=0 (ms) | {icount_guest:.2} | | |");
    println!(
        "| wall time, QEMU start to the shell prompt (ms) | {:.1} | {:.1} | {:.1} |",
        sh.median, sh.min, sh.max
    );
    println!(
        "| `--smp 4`: guest time, kernel entry to ready (ms, TSC) | {:.2} | {:.2} | {:.2} |",
        g4.median, g4.min, g4.max
    );
    println!("| `--smp 4`: guest time under -icount shift=0 (ms) | {icount_guest4:.2} | | |");
    println!(
        "| `--smp 4`: wall time, QEMU start to the shell prompt (ms) | {:.1} | {:.1} | {:.1} |",
        sh4.median, sh4.min, sh4.max
    );
    println!();
    println!("where the wall time to the shell prompt goes (median of each phase, ms):");
    println!("| phase (ends at the console line) | 1 CPU | `--smp 4` |");
    println!("|---|---|---|");
    let (p1, p4) = (phase_medians(&phases), phase_medians(&phases4));
    for (i, (mark, what)) in SHELL_PHASES.iter().enumerate() {
        println!(
            "| {what} (`{}`) | {:.1} | {:.1} |",
            mark.trim(),
            p1[i],
            p4[i]
        );
    }
    println!();
    let verdict = |ok: bool| if ok { "meets" } else { "misses" };
    println!(
        "target: kernel ready within 150 ms of wall time: {} it (median {:.1} ms)",
        verdict(w.median <= 150.0),
        w.median
    );
    println!(
        "target: shell prompt within 400 ms of wall time: {} it (median {:.1} ms)",
        verdict(sh.median <= 400.0),
        sh.median
    );
    println!(
        "target (issue 11): with --smp 4, kernel ready within 10 ms of guest time: {} it (median {:.2} ms)",
        verdict(g4.median <= 10.0),
        g4.median
    );
    println!(
        "target (issue 11): with --smp 4, shell prompt within 150 ms of wall time: {} it (median {:.1} ms)",
        verdict(sh4.median <= 150.0),
        sh4.median
    );
    Ok(())
}

/// Runs of each (CPUs, processes) pair; the median is reported.
const SMP_RUNS: usize = 3;

/// The CPU-bound job of `bench --split P` with 1, 2 and 4 CPUs: wall milliseconds, and
/// the speed-up over one CPU. On the 2-core build machines, 2 CPUs is the honest
/// ceiling (the target: at least 1.8x for 2 processes on 2 CPUs).
fn smp(kernel: &std::path::Path, image: &std::path::Path) -> Result<()> {
    let cpus = [1u32, 2, 4];
    let procs = [1u32, 2, 4];
    let mut ms = vec![vec![0f64; procs.len()]; cpus.len()];
    for (ci, &n) in cpus.iter().enumerate() {
        let mut m = Machine::new(kernel);
        m.initrd = Some(image.to_path_buf());
        m.no_reboot = true;
        m.smp = n;
        let mut s = Session::start(&m)?;
        s.expect("$ ", Duration::from_secs(60))?;
        for (pi, &p) in procs.iter().enumerate() {
            let mut runs = Vec::new();
            for _ in 0..SMP_RUNS {
                s.send(&format!("bench --split {p}\n"))?;
                let line = s.expect(" ms", Duration::from_secs(300))?;
                let v: f64 = line
                    .rsplit(&format!("split: {p} processes, "))
                    .next()
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("no figure in: {line}"))?;
                runs.push(v);
            }
            ms[ci][pi] = stats(runs).median;
        }
        s.send("poweroff\n")?;
        let _ = s.wait_exit(Duration::from_secs(10));
    }
    println!(
        "smp: `bench --split P` (400 M xorshift steps shared by P processes), median of {SMP_RUNS}, wall ms, {}",
        qemu_version()
    );
    println!("| processes | 1 CPU | 2 CPUs | 4 CPUs | speed-up, 2 CPUs | speed-up, 4 CPUs |");
    println!("|---|---|---|---|---|---|");
    for (pi, p) in procs.iter().enumerate() {
        println!(
            "| {p} | {:.0} | {:.0} | {:.0} | {:.2}x | {:.2}x |",
            ms[0][pi],
            ms[1][pi],
            ms[2][pi],
            ms[0][pi] / ms[1][pi],
            ms[0][pi] / ms[2][pi]
        );
    }
    Ok(())
}
