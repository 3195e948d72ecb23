//! The mixed soak: everything at once for a fixed time, then the counters
//! (issue 17 item 5; `cargo xtask soak`, and a short run as a `limits::` test).
//!
//! One boot on a scratch copy of the root disk runs four loads together in the
//! background of root's shell, each a shell loop that ends when `/soak/stop` exists:
//! `fsstress` (random file operations checked against its model, a fresh seed and
//! directory each run), `sysfuzz` (the system-call fuzzer, two workers, 5,000 planned
//! calls a run), `hog churn` (fork/exit and pipe round trips) and a pipeline
//! (`seq | sort | grep | wc`). A short warm-up of the same mix comes first, so that
//! what the kernel makes once and keeps is in the baseline; then the counters are
//! read, the mix runs for the chosen time, the host makes the stop file, waits for
//! every loop to say how many runs it made, and reads the counters again.
//!
//! The counters compared (as `limitstest` reads them): processes, threads and open
//! files exactly (`/proc/sys/kernel/counters`), free frames plus the processes'
//! memory exactly and the kernel heap within `limitstest::HEAP_SLACK` (`sysfuzz --stats`, with
//! the block caches dropped). The leak report names every counter that did not come
//! back and by how much, and for the heap lists the kernel heap tracker's live
//! allocations by call chain (tracking starts at the baseline). Any fsstress run that
//! disagreed with its model fails the soak too, and `e2fsck -fn` must pass after
//! power-off.

use crate::limitstest::{counters, leak_report, Counters};
use crate::session::{tail, Session};
use crate::test::{disk_machine, fsck, scratch_disk};
use crate::Result;
use std::path::Path;
use std::time::{Duration, Instant};

const BOOT_TIMEOUT: Duration = Duration::from_secs(90);
/// The loops finish their current run after the stop file appears.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(300);

/// What a mixed run did.
pub struct MixReport {
    pub secs: u64,
    /// Each loop's summary line (`soak: fsstress runs N`, ...).
    pub lines: Vec<String>,
}

/// The four loads, each ending when `/soak/stop` exists; `seed` varies sysfuzz's
/// seeds between runs.
fn loads(seed: u64, secs: u64) -> Vec<String> {
    vec![
        "(i=0; while [ ! -e /soak/stop ]; do mkdir /soak/fs; \
         fsstress -s $i -n 1000 /soak/fs > /soak/fs.out 2>&1 || echo soak: fsstress FAILED seed $i; \
         rm -rf /soak/fs; i=$((i+1)); done; echo soak: fsstress runs $i) &"
            .to_string(),
        format!(
            "(i=0; while [ ! -e /soak/stop ]; do sysfuzz -s $(({seed}+i)) -n 5000 -p 2 > /dev/null 2>&1; \
             i=$((i+1)); done; echo soak: sysfuzz runs $i) &"
        ),
        format!("(hog churn {secs} > /soak/churn.out; echo soak: churn $(cat /soak/churn.out)) &"),
        "(i=0; while [ ! -e /soak/stop ]; do seq 1 3000 | sort -r | grep 7 | wc -l > /dev/null; \
         i=$((i+1)); done; echo soak: pipelines $i) &"
            .to_string(),
    ]
}

/// Run the mix for `secs` and wait for every loop's summary; returns the lines.
fn run_mix(s: &mut Session, seed: u64, secs: u64) -> Result<Vec<String>> {
    s.run_line("rm -f /soak/stop", &[])?;
    for l in loads(seed, secs) {
        s.send(&format!("{l}\n"))?;
        s.expect("$ ", Duration::from_secs(30))?;
    }
    std::thread::sleep(Duration::from_secs(secs));
    s.send("touch /soak/stop; wait; echo soak''drained\n")?;
    let out = s.expect("soakdrained", DRAIN_TIMEOUT)?;
    s.expect("$ ", Duration::from_secs(30))?;
    let lines: Vec<String> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("soak: "))
        .map(|l| l.trim().to_string())
        .collect();
    if let Some(bad) = lines.iter().find(|l| l.contains("FAILED")) {
        return Err(format!("{bad} (its report is in /soak/fs.out)"));
    }
    for want in [
        "soak: fsstress runs",
        "soak: sysfuzz runs",
        "soak: churn",
        "soak: pipelines",
    ] {
        if !lines.iter().any(|l| l.starts_with(want)) {
            return Err(format!("no {want:?} line: a loop did not finish\n{out}"));
        }
    }
    Ok(lines)
}

/// The whole soak: boot, warm-up (`warm` s), baseline, `secs` of the mix, counters,
/// power-off and e2fsck.
pub fn mixed(kernel: &Path, name: &str, warm: u64, secs: u64) -> Result<MixReport> {
    let disk = scratch_disk(name)?;
    let m = disk_machine(kernel, &disk);
    let mut s = Session::start(&m)?;
    s.expect("$ ", BOOT_TIMEOUT)?;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() % 1_000_000);
    let r = (|| -> Result<MixReport> {
        s.run_line("mkdir /soak", &[])?;
        run_mix(&mut s, seed, warm)?;
        s.run_line("sync", &[])?;
        let base: Counters = counters(&mut s)?;
        println!("    baseline after a {warm} s warm-up: {base:?}");
        s.run_line("echo 1 > /proc/sys/kernel/heap_track", &[])?;
        let t = Instant::now();
        let lines = run_mix(&mut s, seed + 1000, secs)?;
        for l in &lines {
            println!("    {l}");
        }
        println!(
            "    the mix ran {:.0} s (drained included)",
            t.elapsed().as_secs_f64()
        );
        s.run_line("sync", &[])?;
        leak_report(&mut s, "the mixed soak", &base)?;
        Ok(MixReport { secs, lines })
    })();
    let r = match r {
        Ok(rep) => rep,
        Err(e) => {
            let t = tail(&s.output(), 60);
            let _ = s.kill();
            return Err(format!("{e}\nthe console's last lines:\n{t}"));
        }
    };
    s.send("poweroff\n")?;
    let st = s.wait_exit(Duration::from_secs(60))?;
    if crate::qemu::exit_code(st) != 0 {
        return Err(format!("poweroff ended QEMU with {st:?}"));
    }
    fsck(&disk)?;
    let _ = std::fs::remove_file(&disk);
    Ok(r)
}

/// `--mix SECS` taken out of the soak's arguments (default 300 s).
pub fn take_mix_arg(args: &[String]) -> Result<(u64, Vec<String>)> {
    let mut mix = 300;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--mix" {
            let v = it.next().ok_or("soak: --mix takes seconds")?;
            mix = v
                .parse()
                .map_err(|_| format!("soak: --mix {v:?} is not a number of seconds"))?;
        } else {
            rest.push(a.clone());
        }
    }
    Ok((mix, rest))
}

/// The soak's mixed phase: `secs` of the mix after a 20 s warm-up; the exit status.
pub fn soak(kernel: &Path, secs: u64) -> u8 {
    if secs == 0 {
        return 0;
    }
    let t = Instant::now();
    match mixed(kernel, "soak-mix", 20, secs) {
        Ok(r) => {
            println!(
                "soak: the mix ran {} s ({}), {:.0} s in all: every counter back, the disk clean",
                r.secs,
                r.lines.join("; "),
                t.elapsed().as_secs_f64()
            );
            0
        }
        Err(e) => {
            println!("soak FAILED (the mixed phase):\n{e}");
            1
        }
    }
}
