//! `fuzzcheck`: the check functions of the host fuzz targets, one module per parser of
//! outside input (issue 17 item 2; docs/reliability.md, "Host fuzz targets").
//!
//! Chapter 2's promise for the kernel's interface is that bad input gets an error,
//! never a crash: a corrupt disk, a malformed executable or module, a hostile path or
//! shell line. Each module here takes arbitrary bytes, feeds them to the real parser
//! and checks what can be checked (no panic, no unbounded work, and where a model
//! exists, agreement with it). Kernel crates are `no_std` with `panic = "abort"`, so a
//! panic found here is a kernel panic on the machine.
//!
//! Design decision: one body, two drivers. `fuzz/fuzz_targets/NAME.rs` calls
//! `NAME::check` under libFuzzer (nightly, `cargo xtask fuzz`), and the tests at the
//! bottom of this file call the same function on every committed seed
//! (`fuzz/corpus/NAME/`) and every crash kept (`fuzz/regressions/NAME/`) on stable, in
//! `cargo xtask test hostfuzz`. The replay also turns on the slow oracles
//! ([`Oracle::Full`]: host `e2fsck -fn` on the images the ext2 writer produced).
#![forbid(unsafe_code)]

pub mod elf;
pub mod ext2;
mod input;
pub mod module;
pub mod shell;
pub mod walk;

/// How much checking a run does beyond "no panic" and the in-process models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oracle {
    /// Only in-process checks: fast enough for thousands of runs a second.
    Fast,
    /// Also the host tools (e2fsck), for replays of the corpus and the crashes.
    Full,
}

/// A target: its name (the directory names under `fuzz/`) and its check.
pub type Target = (&'static str, fn(&[u8], Oracle));

/// Every target, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: &[Target] = &[
    ("ext2", ext2::check),
    ("elf", elf::check),
    ("shell", shell::check),
    ("module", module::check),
    ("walk", walk::check),
];

/// The `fuzz/` directory.
pub fn fuzz_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/check has a parent")
        .to_path_buf()
}

/// Runs `check` on every file of `fuzz/corpus/NAME` and `fuzz/regressions/NAME`;
/// returns how many inputs it ran. A panic names the file.
pub fn replay(name: &str, check: fn(&[u8], Oracle)) -> usize {
    let mut n = 0;
    for kind in ["corpus", "regressions"] {
        let dir = fuzz_dir().join(kind).join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if !p.is_file() || p.file_name().is_some_and(|f| f == "README.md") {
                continue;
            }
            let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let r = std::panic::catch_unwind(|| check(&data, Oracle::Full));
            if r.is_err() {
                panic!("{name}: the check failed on {}", p.display());
            }
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod hostfuzz {
    //! The replays: every seed and every kept crash of each target, on stable.
    use super::*;

    fn replay_target(name: &str) {
        let (_, check) = TARGETS.iter().find(|(n, _)| *n == name).unwrap();
        let n = replay(name, *check);
        assert!(n > 0, "{name}: no seeds in fuzz/corpus/{name}");
        println!("{name}: {n} inputs replayed");
    }

    #[test]
    fn replay_ext2() {
        replay_target("ext2");
    }
    #[test]
    fn replay_elf() {
        replay_target("elf");
    }
    #[test]
    fn replay_shell() {
        replay_target("shell");
    }
    #[test]
    fn replay_module() {
        replay_target("module");
    }
    #[test]
    fn replay_walk() {
        replay_target("walk");
    }
}
