//! A fixed amount of everything at once, for more than one CPU: rounds of worker
//! processes that each fork and reap a child of their own, report through a pipe, and
//! write their own slot of a shared file mapping while the others write theirs. Every
//! result is checked: each exit status, each pipe message, each slot. With `--smp 4`
//! the workers run on all the CPUs together (the test that runs usertests on four
//! CPUs); on one CPU it is an ordinary fork, pipe and mapping test.

use crate::{ctx, ensure, expect_exit, fork_child, TestResult};
use alloc::format;
use alloc::vec::Vec;
use ulib::abi::flags::*;
use ulib::fs::OpenOptions;
use ulib::sys;

const PAGE: usize = 4096;
const PATH: &str = "/tmp/usertests-stress";
const ROUNDS: usize = 12;
const WORKERS: usize = 8;

#[allow(unsafe_code)]
fn poke64(addr: usize, v: u64) {
    // SAFETY: `addr` is an 8-byte-aligned slot in the shared mapping this module made;
    // no Rust object lives there.
    unsafe { core::ptr::write_volatile(addr as *mut u64, v) }
}

#[allow(unsafe_code)]
fn peek64(addr: usize) -> u64 {
    // SAFETY: as for `poke64`.
    unsafe { core::ptr::read_volatile(addr as *const u64) }
}

/// What worker `w` of round `r` says and writes (distinct for every pair).
fn token(r: usize, w: usize) -> u64 {
    (r as u64) << 32 | (w as u64) << 8 | 0x5a
}

/// One worker: a child of its own that exits with a known status, reaped and checked;
/// then its token into its slot of the shared page and down its pipe.
fn worker(r: usize, w: usize, map: usize, pipe_w: i32) -> i32 {
    let code = ((r * WORKERS + w) % 200) as i32 + 1;
    match fork_child(move || code) {
        Ok(pid) if expect_exit(pid, code, "grandchild").is_ok() => {}
        _ => return 10,
    }
    poke64(map + w * PAGE / WORKERS, token(r, w));
    if sys::write(pipe_w, &token(r, w).to_le_bytes()) != Ok(8) {
        return 11;
    }
    0
}

pub fn many_processes_fork_pipe_and_share_pages() -> TestResult {
    let f = ctx(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(PATH),
        "create the shared file",
    )?;
    ctx(f.write_at(&[0u8; PAGE], 0), "size the shared file")?;
    let map = ctx(
        sys::mmap_file(
            0,
            PAGE,
            PROT_READ | PROT_WRITE,
            MAP_SHARED,
            f.as_raw_fd(),
            0,
        ),
        "mmap the shared file",
    )?;
    for r in 0..ROUNDS {
        let mut pipes = Vec::new();
        let mut pids = Vec::new();
        for w in 0..WORKERS {
            let mut fds = [0i32; 2];
            ctx(sys::pipe(&mut fds), "pipe")?;
            let pid = fork_child(move || {
                let _ = sys::close(fds[0]);
                worker(r, w, map, fds[1])
            })?;
            let _ = sys::close(fds[1]);
            pipes.push(fds[0]);
            pids.push(pid);
        }
        for (w, (&rd, &pid)) in pipes.iter().zip(&pids).enumerate() {
            let mut b = [0u8; 8];
            let n = ctx(sys::read(rd, &mut b), "read a worker's pipe")?;
            let _ = sys::close(rd);
            expect_exit(pid, 0, &format!("worker {w} of round {r}"))?;
            let said = u64::from_le_bytes(b);
            ensure(n == 8 && said == token(r, w), || {
                format!(
                    "round {r}: worker {w} said {said:#x} ({n} bytes), expected {:#x}",
                    token(r, w)
                )
            })?;
            let slot = peek64(map + w * PAGE / WORKERS);
            ensure(slot == token(r, w), || {
                format!(
                    "round {r}: worker {w}'s shared slot holds {slot:#x}, expected {:#x}",
                    token(r, w)
                )
            })?;
        }
    }
    ctx(sys::munmap(map, PAGE), "munmap")?;
    drop(f);
    ctx(ulib::fs::remove_file(PATH), "remove the shared file")?;
    Ok(())
}
