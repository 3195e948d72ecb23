//! `io::`: no file-system lock is held across a wait for the disk (issue 10 item 4).
//!
//! One boot, a small machine (64 MiB, so the page cache holds at most ~32 MiB) with
//! two CPUs and a scratch root disk that the host has given a 48 MiB file `/big`
//! (written with debugfs: no guest time spent making it). `iolat` (user/bin) counts
//! cached 4 KiB reads of an ext2 file and tmpfs creates for a fixed window, first
//! with nothing else running, then while a child streams `/big` from the disk (larger
//! than the page cache, so every pass reads the disk). The test compares the two
//! *counts* of operations, taken in the same boot, and asserts the loaded ones stay
//! within [`SLOWDOWN`] of the idle ones; it also asserts the streamer really kept the
//! disk busy. Then a third count runs with the disk stalled: every virtio-blk read
//! waits 4 s first (`/proc/sys/kernel/disk_read_delay_ms`, a test knob), so the
//! streamer sits in one request with the disk's lock held for the whole window, and
//! the cached reads and tmpfs creates must still keep the same fraction of their idle
//! count (`iolat` reads `/big`'s block map first, so the stalled request is a data
//! page's: metadata is still read with the VFS held, docs/architecture.md). The bound is loose on purpose (a loaded 2-core host runs both vCPUs and
//! the disk's I/O thread); what it excludes is the old behaviour, where every cached
//! read waited behind whole disk requests of the streamer. e2fsck -fn runs on the
//! disk after power-off.

use crate::session::Session;
use crate::test::{disk_machine, fsck, scratch_disk};
use crate::Result;
use std::path::Path;
use std::time::Duration;

type IoTest = fn(&Path) -> Result<()>;

pub const IO_TESTS: &[(&str, IoTest)] = &[(
    "io::cached_reads_and_tmpfs_keep_their_speed_while_another_process_streams_the_disk",
    streaming_does_not_stall_cached_reads,
)];

const BOOT_TIMEOUT: Duration = Duration::from_secs(90);
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// The loaded counts must be at least the idle counts divided by this.
const SLOWDOWN: u64 = 4;
/// The streamer must have read at least this much while the loaded count ran.
const MIN_STREAMED_MIB: u64 = 1;
const BIG_MIB: usize = 48;

fn streaming_does_not_stall_cached_reads(kernel: &Path) -> Result<()> {
    let disk = scratch_disk("iolat")?;
    crate::storagetest::grow_disk(&disk, 96)?;
    let big = disk.with_extension("big");
    let data: Vec<u8> = (0..BIG_MIB << 20).map(|i| (i / 4096 + i) as u8).collect();
    std::fs::write(&big, &data).map_err(|e| format!("{}: {e}", big.display()))?;
    let wrote = crate::diskupdate::run_debugfs(&disk, &format!("write {} big\n", big.display()));
    let _ = std::fs::remove_file(&big);
    wrote?;
    let mut m = disk_machine(kernel, &disk);
    m.mem_mib = 64;
    m.smp = m.smp.max(2);
    let out = {
        let mut s = Session::start(&m)?;
        s.expect("$ ", BOOT_TIMEOUT)?;
        let cmd = "iolat -t 1500 -s 4000 /cached /big /tmp";
        s.send(&format!("{cmd}\n"))?;
        s.expect(cmd, STEP_TIMEOUT)?;
        let out = s.expect("$ ", STEP_TIMEOUT);
        s.send("poweroff\n")?;
        s.wait_exit(STEP_TIMEOUT)?;
        out?
    };
    fsck(&disk)?;
    let _ = std::fs::remove_file(&disk);
    check(&out)
}

/// The numbers after each word of `words` on the line starting with `prefix`.
fn figures(out: &str, prefix: &str, words: &[&str]) -> Result<Vec<u64>> {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with(prefix))
        .ok_or(format!("no `{prefix}` line in:\n{out}"))?;
    let toks: Vec<&str> = line.split_whitespace().collect();
    words
        .iter()
        .map(|w| {
            toks.iter()
                .position(|t| t == w)
                .and_then(|i| toks.get(i + 1))
                .and_then(|v| v.parse().ok())
                .ok_or(format!("no number after `{w}` in `{line}`"))
        })
        .collect()
}

fn check(out: &str) -> Result<()> {
    let idle = figures(out, "iolat: idle", &["reads", "creates"])?;
    let loaded = figures(
        out,
        "iolat: loaded reads",
        &["reads", "creates", "streamed"],
    )?;
    println!(
        "    idle: {} reads, {} creates; loaded: {} reads, {} creates, {} MiB streamed",
        idle[0], idle[1], loaded[0], loaded[1], loaded[2]
    );
    if loaded[2] < MIN_STREAMED_MIB {
        return Err(format!(
            "the streamer read {} MiB: the disk was not busy\n{out}",
            loaded[2]
        ));
    }
    let stalled = figures(out, "iolat: stalled reads", &["reads", "creates"])?;
    println!(
        "    stalled disk: {} reads, {} creates",
        stalled[0], stalled[1]
    );
    for (what, i, l) in [
        ("cached reads", idle[0], loaded[0]),
        ("tmpfs creates", idle[1], loaded[1]),
        ("cached reads with the disk stalled", idle[0], stalled[0]),
        ("tmpfs creates with the disk stalled", idle[1], stalled[1]),
    ] {
        if i == 0 || l * SLOWDOWN < i {
            return Err(format!(
                "{what}: {l} under load against {i} idle, more than {SLOWDOWN}x fewer\n{out}"
            ));
        }
    }
    Ok(())
}
