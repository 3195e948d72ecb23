//! The power-cut rig for the journal (`cargo xtask test journal::`, and
//! `cargo xtask soak-journal [CUTS]` for 200 cuts).
//!
//! The disk is a copy of the root image given a journal by the host's
//! `tune2fs -O has_journal -J size=1` (so it is what `mke2fs -j` would make). Each
//! boot first checks the previous cut, then runs a write-heavy shell loop in a fresh
//! directory `/jt/N`: create, write, rename, remove, mkdir, append to a log, `sync`,
//! and print `SYNCED i` once `sync` has returned; the rig kills QEMU (SIGKILL, the
//! power cut) after a random delay. The next boot replays the journal at mount
//! (its log line says how much); at its shell prompt the host copies the image and
//! checks that `e2fsck -fn` finds it clean and that everything synced before the cut
//! is there, with its content: for the last `SYNCED k` seen, the log lists 0..=k,
//! files `g(k-1)` and `gk` hold their text, every `g` older than `k-3` is gone, and
//! every directory `d0..dk` exists. A cut in the middle of a loop iteration may keep
//! or drop that iteration's changes, never half of a metadata update (that would be
//! an e2fsck error). So one boot is both the replay of one cut and the workload of
//! the next: N cuts take N+1 boots. Timing: 3-6 s per cut on the shared 2-core
//! machine (figures in docs/reliability.md).

use crate::session::Session;
use crate::test::{disk_machine, scratch_disk};
use crate::Result;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const BOOT_TIMEOUT: Duration = Duration::from_secs(90);

/// Iterations of the loop per boot; a cut usually lands well before the end.
const ITERATIONS: u32 = 40;

/// Cuts in `cargo xtask test`.
pub const TEST_CUTS: u32 = 20;

type JournalTest = fn(&Path) -> Result<()>;

pub const JOURNAL_TESTS: &[(&str, JournalTest)] = &[(
    "journal::twenty_power_cuts_replay_to_a_clean_disk_keeping_every_synced_file",
    |k| power_cuts(k, TEST_CUTS, 1).map(drop),
)];

/// The shell loop of cut `n`: each iteration changes metadata in several ways and
/// ends with `sync` and a marker.
fn workload(n: u32) -> String {
    format!(
        "mkdir -p /jt/{n} && cd /jt/{n} && i=0; while [ $i -lt {ITERATIONS} ]; do \
         echo \"text of $i in {n} 0123456789abcdef\" > f$i; mv f$i g$i; rm -f g$((i-3)); \
         mkdir d$i; echo $i >> log; sync; echo SYNCED $i; i=$((i+1)); done; cd /\n"
    )
}

/// What the loop of cut `n` must have left, given the last `SYNCED k` seen
/// (`None`: none seen); the files are read from `dir`, a host copy of `/jt/n`.
fn check_cut(n: u32, last: Option<u32>, dir: &Path) -> Result<()> {
    let Some(k) = last else { return Ok(()) };
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let log = read("log").ok_or(format!("cut {n}: /jt/{n}/log is missing after SYNCED {k}"))?;
    let want: String = (0..=k).map(|i| format!("{i}\n")).collect();
    if !log.starts_with(&want) {
        return Err(format!("cut {n}: after SYNCED {k} the log holds {log:?}"));
    }
    for i in 0..=k {
        let text = format!("text of {i} in {n} 0123456789abcdef\n");
        let g = read(&format!("g{i}"));
        let must = i + 1 >= k; // g(k-1) and gk: synced, not yet removed
        let may = i + 2 >= k; // g(k-2): its removal is the unsynced iteration's
        match g {
            Some(t) if t != text => {
                return Err(format!("cut {n}: g{i} holds {t:?}, not {text:?}"));
            }
            Some(_) if !may => {
                return Err(format!(
                    "cut {n}: g{i} is back after its removal was synced"
                ));
            }
            None if must => {
                return Err(format!("cut {n}: g{i} is missing after SYNCED {k}"));
            }
            _ => {}
        }
        if !dir.join(format!("d{i}")).is_dir() {
            return Err(format!("cut {n}: d{i} is missing after SYNCED {k}"));
        }
        if dir.join(format!("f{i}")).exists() {
            return Err(format!(
                "cut {n}: f{i} is there although its rename was synced"
            ));
        }
    }
    Ok(())
}

/// The last `SYNCED i` in `out`.
fn last_synced(out: &str) -> Option<u32> {
    out.lines()
        .filter_map(|l| l.trim().strip_prefix("SYNCED "))
        .filter_map(|s| s.trim().parse().ok())
        .next_back()
}

/// The copy of the disk at a prompt: `e2fsck -fn` clean, then `/jt` dumped to `out`.
fn check_image(disk: &Path, out: &Path) -> Result<()> {
    let copy = disk.with_extension("check");
    std::fs::copy(disk, &copy).map_err(|e| format!("{}: {e}", copy.display()))?;
    let r = (|| {
        crate::test::fsck(&copy)?;
        let _ = std::fs::remove_dir_all(out);
        std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
        let o = Command::new(crate::deps::tool("debugfs"))
            .arg("-R")
            .arg(format!("rdump /jt {}", out.display()))
            .arg(&copy)
            .output()
            .map_err(|e| format!("cannot run debugfs: {e}"))?;
        if !o.status.success() {
            return Err(format!(
                "debugfs rdump: {}",
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&copy);
    r
}

/// Figures of a run of the rig.
pub struct CutFigures {
    pub cuts: u32,
    pub replays: u32,
    pub replayed_transactions: u64,
    pub synced_seen: u64,
}

/// `cuts` power cuts on one journaled disk; delays from `seed`.
pub fn power_cuts(kernel: &Path, cuts: u32, seed: u64) -> Result<CutFigures> {
    let disk = scratch_disk(&format!("journal-cuts-{seed}"))?;
    let st = Command::new(crate::deps::tool("tune2fs"))
        .args(["-O", "has_journal", "-J", "size=1"])
        .arg(&disk)
        .output()
        .map_err(|e| format!("cannot run tune2fs: {e}"))?;
    if !st.status.success() {
        return Err(format!(
            "tune2fs -j: {}",
            String::from_utf8_lossy(&st.stderr)
        ));
    }
    let dump = disk.with_extension("jt");
    let mut fig = CutFigures {
        cuts: 0,
        replays: 0,
        replayed_transactions: 0,
        synced_seen: 0,
    };
    let started = std::time::Instant::now();
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut last: Option<u32> = None;
    for n in 0..=cuts {
        let mut s = Session::start(&disk_machine(kernel, &disk))?;
        let boot = s.expect("$ ", BOOT_TIMEOUT)?;
        let journaled = boot
            .lines()
            .find(|l| l.contains("root file system journaled: replayed"))
            .ok_or_else(|| format!("boot {n}: the root file system has no journal:\n{boot}"))?;
        let replayed: u64 = journaled
            .split("replayed ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if n > 0 {
            fig.replays += (replayed > 0) as u32;
            fig.replayed_transactions += replayed;
            let checked = check_image(&disk, &dump)
                .and_then(|()| check_cut(n - 1, last, &dump.join("jt").join(format!("{}", n - 1))));
            if let Err(e) = checked {
                let _ = s.kill();
                return Err(format!(
                    "after cut {} (last SYNCED {last:?}; {journaled}): {e}",
                    n - 1
                ));
            }
        }
        if n == cuts {
            s.send("poweroff\n")?;
            s.wait_exit(Duration::from_secs(30))?;
            break;
        }
        s.send(&workload(n))?;
        // Cut at a random moment up to 1.2 s after the first marker (an iteration
        // takes about 0.1 s here; 40 of them outlast it).
        s.expect("SYNCED 0", Duration::from_secs(30))?;
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(rng % 1200));
        let out = s.output();
        s.kill()?;
        last = last_synced(&out[out.rfind("mkdir -p /jt/").unwrap_or(0)..]);
        fig.synced_seen += last.map_or(0, |k| k as u64 + 1);
        fig.cuts += 1;
    }
    crate::test::fsck(&disk)?;
    println!(
        "journal: {} cuts in {:.1?}: {} boots replayed {} transactions; {} synced iterations checked",
        fig.cuts,
        started.elapsed(),
        fig.replays,
        fig.replayed_transactions,
        fig.synced_seen
    );
    let _ = std::fs::remove_dir_all(&dump);
    let _ = std::fs::remove_file(&disk);
    if fig.replays * 2 < fig.cuts {
        return Err(format!(
            "only {} of {} cuts left a journal to replay: the rig is not cutting mid-workload",
            fig.replays, fig.cuts
        ));
    }
    Ok(fig)
}

/// `cargo xtask soak-journal [CUTS]`: the rig with 200 cuts (or CUTS), in runs of 20
/// on fresh disks, with the figures.
pub fn soak(args: &[String]) -> Result<u8> {
    let cuts: u32 = match args.first() {
        Some(a) => a
            .parse()
            .map_err(|_| format!("soak-journal: {a:?} is not a number"))?,
        None => 200,
    };
    crate::deps::ensure()?;
    let (kernel, image) = crate::qemu::build_system()?;
    crate::test::set_rootfs(image);
    let started = std::time::Instant::now();
    let (mut done, mut replays, mut tx, mut synced, mut failed) = (0, 0, 0, 0, 0);
    let mut run = 0u64;
    while done < cuts {
        run += 1;
        let n = (cuts - done).min(TEST_CUTS);
        match power_cuts(&kernel, n, 1000 + run) {
            Ok(f) => {
                replays += f.replays;
                tx += f.replayed_transactions;
                synced += f.synced_seen;
                println!("run {run}: {n} cuts ok ({} replays)", f.replays);
            }
            Err(e) => {
                failed += 1;
                println!("run {run}: FAILED\n{e}");
            }
        }
        done += n;
    }
    println!(
        "soak-journal: {done} cuts in {:.0?}, {failed} runs failed; {replays} boots replayed \
         {tx} transactions; {synced} synced iterations checked",
        started.elapsed()
    );
    Ok(u8::from(failed > 0))
}
