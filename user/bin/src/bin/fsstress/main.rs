//! `fsstress [-s SEED] [-n OPS] DIR`: random file-system operations, each checked
//! against an in-memory model; `fsstress -f DIR`: fill the disk and check what a full
//! disk does (chapter 2 section 4, file management, and the file-system chapter's
//! consistency argument made into a test).
//!
//! The random mode draws operations from a seeded xorshift generator (same seed, same
//! run): create (with `O_EXCL`/`O_TRUNC`), writes at random offsets (past the end too,
//! leaving holes, far enough to need indirect and double-indirect blocks), appends,
//! truncation both ways, reads, unlink, mkdir, rmdir, rename of files and directories
//! (replacing targets), hard links, symbolic links and `readlink`, `stat`/`lstat`,
//! unlink of an open file (which must keep its data until it is closed), rmdir of
//! the working directory (which must then take no new names: `ENOENT`), truncation
//! of an open file with no name left, and rename or link onto another file system
//! (`EXDEV`).
//! The design decision: the model is a specification, not a mirror of the kernel. It
//! says what POSIX says; where POSIX allows more than one error (a rename that both
//! moves a directory under itself and meets a target of the wrong type), it accepts
//! each of them. Every result, value or errno, must be one the model allows; every
//! 1000 operations and at the end the whole tree is walked and compared (names, types,
//! sizes, link counts, contents, link targets, and that names the model says are one
//! file share one inode number). Symbolic links point into a directory that never
//! exists (`zz_nodir/...`), so following one always gives `ENOENT` and the model stays
//! small. The test is at most 4 levels deep with 8 names a level, so names collide
//! often and the error paths are exercised as much as the successful ones.
//!
//! The fill mode writes 64 KiB chunks until `ENOSPC` (a short write may come first),
//! checks that the error really is `ENOSPC`, that everything written before still
//! reads back, that new small files fail cleanly (or fit in the last blocks), then
//! deletes it all and checks that `statfs` gives back every block and inode.
//!
//! The write mode, `fsstress -w HOW FILE TEXT`, writes one file made durable by HOW
//! (`fsync`, `O_SYNC`, `sync`, ...) and prints `fsstress: HOW FILE done` once the
//! promise is made, for tests that cut the power then.
//!
//! The memory mode, `fsstress -M MIB`, takes MIB MiB of memory and checks every page:
//! for the test that the page cache gives memory back when a program needs it.
//!
//! Files: `model.rs` (the model), `ops.rs` (the operations and the tree walk),
//! `dead.rs` (removed-but-held directories and files, cross-mount calls), `fill.rs`
//! (the fill mode), `durable.rs` (the write mode), `memory.rs` (the memory mode).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Debug;
use ulib::fs;
use ulib::{sys, Errno};

mod dead;
mod durable;
mod fill;
mod memory;
mod model;
mod ops;

ulib::entry!(main);

const USAGE: &str =
    "fsstress [-s SEED] [-n OPS] DIR | fsstress -f DIR | fsstress -w HOW FILE TEXT | fsstress -M MIB";

/// Names used at every level: few, so that operations collide.
const NAMES: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
const MAX_DEPTH: usize = 4;
/// Largest file size the random mode makes (past 268 KiB: double-indirect blocks).
const MAX_FILE: u64 = 600 * 1024;
/// Sum of file sizes above which growing operations shrink instead (the disk is small).
const BUDGET: u64 = 6 << 20;

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if let [m, mib] = args.as_slice() {
        if let (true, Ok(mib)) = (m == "-M", mib.parse::<usize>()) {
            return match memory::touch(mib) {
                Ok(()) => {
                    ulib::println!("fsstress: {mib} MiB of memory ok");
                    0
                }
                Err(e) => {
                    ulib::println!("fsstress: {mib} MiB of memory: {e}");
                    1
                }
            };
        }
    }
    if let [w, how, path, text] = args.as_slice() {
        if w == "-w" && durable::HOWS.contains(&how.as_str()) {
            return match durable::write(how, path, text) {
                Ok(()) => {
                    ulib::println!("fsstress: {how} {path} done");
                    0
                }
                Err(e) => {
                    ulib::cli::error(path, e);
                    1
                }
            };
        }
    }
    let (mut seed, mut ops, mut fill, mut dir) = (1u64, 10_000u64, false, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = || it.next().and_then(|v| v.parse::<u64>().ok());
        match a.as_str() {
            "-s" => match number() {
                Some(v) => seed = v,
                None => return ulib::cli::usage_error(USAGE),
            },
            "-n" => match number() {
                Some(v) => ops = v,
                None => return ulib::cli::usage_error(USAGE),
            },
            "-f" => fill = true,
            s if s.starts_with('-') && s.len() > 1 => {
                return ulib::cli::bad_option(s.chars().nth(1).unwrap_or('-'), USAGE)
            }
            s if dir.is_none() => dir = Some(s.to_string()),
            _ => return ulib::cli::usage_error(USAGE),
        }
    }
    let Some(dir) = dir else {
        return ulib::cli::usage_error(USAGE);
    };
    let mut dir = String::from(dir.trim_end_matches('/'));
    if !dir.starts_with('/') {
        // Absolute: some operations change the working directory and come back to `/`.
        let mut buf = [0u8; 4096];
        let n = sys::getcwd(&mut buf).unwrap_or(0);
        let cwd = core::str::from_utf8(&buf[..n])
            .unwrap_or("/")
            .trim_end_matches('/');
        dir = format!("{cwd}/{dir}");
    }
    if let Err(e) = fs::create_dir_all(&dir) {
        ulib::cli::error(&dir, e);
        return 1;
    }
    if fill {
        return match fill::fill_disk(&dir) {
            Ok(msg) => {
                ulib::println!("fsstress: full disk ok ({msg})");
                0
            }
            Err(e) => {
                ulib::println!("fsstress: FAILED (full disk): {e}");
                1
            }
        };
    }
    match fs::read_dir(&dir).map(|d| d.count()) {
        Ok(0) => {}
        Ok(_) => {
            ulib::eprintln!("fsstress: {dir}: must be empty");
            return 1;
        }
        Err(e) => {
            ulib::cli::error(&dir, e);
            return 1;
        }
    }
    ulib::println!("fsstress: seed {seed}, {ops} ops in {dir}");
    let mut st = ops::Stress {
        rng: Rng::new(seed),
        m: model::Model::new(),
        base: dir,
        inos: BTreeMap::new(),
        succeeded: 0,
        failed: 0,
        held: Vec::new(),
    };
    for k in 1..=ops {
        let r = st.step().and_then(|()| {
            if k % 1000 == 0 || k == ops {
                st.compare_tree().map_err(|e| format!("tree walk: {e}"))
            } else {
                Ok(())
            }
        });
        if let Err(e) = r {
            ulib::println!("fsstress: FAILED at op {k}: {e}");
            return 1;
        }
        if k % 500 == 0 {
            let _ = fs::sync();
        }
    }
    ulib::println!(
        "fsstress: {ops} ops ok ({} calls succeeded, {} failed as the model said)",
        st.succeeded,
        st.failed
    );
    0
}

/// xorshift64: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

/// A set of acceptable errors, one bit per errno.
type Errs = u128;

fn bit(e: Errno) -> Errs {
    1u128 << (e as i32 as u32)
}

fn show_errs(m: Errs) -> String {
    let names: Vec<String> = (0..128)
        .filter(|i| m & (1u128 << i) != 0)
        .map(|i| match Errno::from_code(i) {
            Some(e) => format!("{e:?}"),
            None => format!("errno {i}"),
        })
        .collect();
    format!("Err({})", names.join(" or "))
}

/// `got` must be what the model allows.
fn agree<T: PartialEq + Debug>(
    got: &Result<T, Errno>,
    want: &Result<T, Errs>,
) -> Result<(), String> {
    match (got, want) {
        (Ok(g), Ok(w)) if g == w => Ok(()),
        (Err(e), Err(m)) if m & bit(*e) != 0 => Ok(()),
        _ => {
            let w = match want {
                Ok(w) => format!("Ok({w:?})"),
                Err(m) => show_errs(*m),
            };
            Err(format!("got {got:?}, the model says {w}"))
        }
    }
}
