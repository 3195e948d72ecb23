//! `cargo xtask fuzz [TARGET] [--time SECS]`: the host fuzz targets under libFuzzer.
//!
//! Each target in `fuzz/libfuzzer/fuzz_targets/` (a parser of outside input: ext2
//! images, executables, shell text, module objects, paths; docs/reliability.md) runs
//! for a fixed time (default 60 s). The check each one runs is `fuzzcheck::NAME::check`
//! (fuzz/check), the same function the stable replay tests `hostfuzz::replay_NAME` call
//! on every seed and kept crash in `cargo xtask test`.
//!
//! The corpus libFuzzer grows is kept under `fuzz/work/corpus/NAME` (not committed);
//! the committed seeds in `fuzz/corpus/NAME` are read as a second, read-only corpus.
//! libFuzzer runs in fork mode, so that one crash does not end the run: every crash,
//! timeout or out-of-memory input it writes (`fuzz/work/artifacts/NAME/`) is copied
//! into `fuzz/regressions/NAME/`, where the replay test will fail on it until the bug is
//! fixed. The summary gives the executions, the coverage and the crashes per target.
//!
//! Needs the nightly toolchain (libFuzzer's instrumentation is `-Zsanitizer`-style
//! unstable flags) and `cargo-fuzz`, which is installed on first use with
//! `cargo install cargo-fuzz`, as `deps.rs` installs the host tools. The build is
//! release with debug assertions (so overflow checks) and no sanitizer: the code is
//! safe Rust, and a sanitizer would halve the executions on this machine.

use crate::{root, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const DEFAULT_SECS: u64 = 60;

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

/// The target names: one file each in `fuzz/libfuzzer/fuzz_targets`.
fn targets() -> Result<Vec<String>> {
    let dir = fuzz_dir().join("libfuzzer").join("fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".rs"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    // The order of fuzz/check's TARGETS: the file system first, it finds the most.
    names.sort_by_key(|n| {
        ["ext2", "elf", "shell", "module", "walk"]
            .iter()
            .position(|t| t == n)
    });
    Ok(names)
}

fn ensure_tools() -> Result<()> {
    let nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !nightly {
        return Err("the nightly toolchain is needed: rustup toolchain install nightly".into());
    }
    let have = Command::new(env!("CARGO"))
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        println!("xtask fuzz: installing cargo-fuzz (cargo install cargo-fuzz)");
        let st = Command::new(env!("CARGO"))
            .args(["install", "cargo-fuzz", "--locked"])
            .status()
            .map_err(|e| format!("cargo install: {e}"))?;
        if !st.success() {
            return Err("cargo install cargo-fuzz failed".into());
        }
    }
    Ok(())
}

/// `cargo +nightly fuzz SUBCOMMAND` in fuzz/libfuzzer, with the build options.
fn cargo_fuzz(sub: &str) -> Command {
    let mut c = Command::new("rustup");
    c.args(["run", "nightly", "cargo", "fuzz", sub, "--fuzz-dir", "."])
        .args(["-O", "-a", "-s", "none"])
        .current_dir(fuzz_dir().join("libfuzzer"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR");
    c
}

/// What one target's run did.
struct Outcome {
    name: String,
    secs: u64,
    execs: u64,
    cov: u64,
    corpus: usize,
    new_crashes: Vec<String>,
}

pub fn fuzz_cmd(args: &[String]) -> Result<u8> {
    let mut secs = DEFAULT_SECS;
    let mut only = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--time" => {
                secs = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--time needs a number of seconds")?
            }
            t if !t.starts_with('-') => only = Some(t.to_string()),
            other => return Err(format!("fuzz: unknown option {other}")),
        }
    }
    let mut names = targets()?;
    if let Some(t) = &only {
        if !names.contains(t) {
            return Err(format!(
                "fuzz: no target {t} (targets: {})",
                names.join(", ")
            ));
        }
        names.retain(|n| n == t);
    }
    ensure_tools()?;
    println!("== building the fuzz targets (nightly, release, debug assertions)");
    let mut build = cargo_fuzz("build");
    if let Some(t) = &only {
        build.arg(t);
    }
    if !build
        .status()
        .map_err(|e| format!("cargo fuzz build: {e}"))?
        .success()
    {
        return Err("cargo fuzz build failed".into());
    }
    let mut outcomes = Vec::new();
    for name in &names {
        println!("== fuzz {name} for {secs} s");
        outcomes.push(run_target(name, secs)?);
    }
    println!(
        "\n{:<8} {:>6} {:>12} {:>7} {:>7}  crashes",
        "target", "secs", "execs", "cov", "corpus"
    );
    let mut found = 0;
    for o in &outcomes {
        println!(
            "{:<8} {:>6} {:>12} {:>7} {:>7}  {}",
            o.name,
            o.secs,
            o.execs,
            o.cov,
            o.corpus,
            o.new_crashes.len()
        );
        for c in &o.new_crashes {
            println!("    new: fuzz/regressions/{}/{c}", o.name);
        }
        found += o.new_crashes.len();
    }
    if found > 0 {
        println!(
            "{found} new crash(es) kept in fuzz/regressions; `cargo xtask test hostfuzz` replays them"
        );
        return Ok(1);
    }
    Ok(0)
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.filter_map(|e| e.ok()).count())
}

fn run_target(name: &str, secs: u64) -> Result<Outcome> {
    let work = fuzz_dir().join("work");
    let corpus = work.join("corpus").join(name);
    let artifacts = work.join("artifacts").join(name);
    let seeds = fuzz_dir().join("corpus").join(name);
    let kept = fuzz_dir().join("regressions").join(name);
    for d in [&corpus, &artifacts, &kept] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let before: Vec<_> = std::fs::read_dir(&artifacts)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    let start = Instant::now();
    let out = cargo_fuzz("run")
        .arg(name)
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={secs}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .args([
            "-fork=1",
            "-ignore_crashes=1",
            "-ignore_timeouts=1",
            "-ignore_ooms=1",
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-max_len=65536",
            "-print_final_stats=1",
        ])
        .output()
        .map_err(|e| format!("cargo fuzz run: {e}"))?;
    let log = String::from_utf8_lossy(&out.stderr);
    std::fs::write(work.join(format!("{name}.log")), log.as_bytes()).map_err(|e| e.to_string())?;
    // Fork mode's status lines: `#N: cov: C ft: F corp: K exec/s: E oom/timeout/crash: ...`.
    let (mut execs, mut cov) = (0, 0);
    for line in log.lines().filter(|l| l.starts_with('#')) {
        let num_after = |key: &str| {
            line.split_whitespace()
                .skip_while(|w| *w != key)
                .nth(1)
                .and_then(|w| w.trim_end_matches(':').parse::<u64>().ok())
        };
        if let Some(n) = line[1..].split(':').next().and_then(|n| n.parse().ok()) {
            execs = n;
        }
        if let Some(c) = num_after("cov:") {
            cov = c;
        }
    }
    if let Some(n) = log
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok())
    {
        execs = n;
    }
    if execs == 0 {
        print!("{log}");
        return Err(format!("fuzz {name}: libFuzzer did not run (log above)"));
    }
    let mut new_crashes = Vec::new();
    for e in std::fs::read_dir(&artifacts)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let f = e.file_name();
        if before.contains(&f) {
            continue;
        }
        let dest = kept.join(&f);
        if !dest.exists() {
            std::fs::copy(e.path(), &dest).map_err(|e| e.to_string())?;
            new_crashes.push(f.to_string_lossy().into_owned());
        }
    }
    new_crashes.sort();
    Ok(Outcome {
        name: name.to_string(),
        secs: start.elapsed().as_secs(),
        execs,
        cov,
        corpus: count_files(&corpus),
        new_crashes,
    })
}
