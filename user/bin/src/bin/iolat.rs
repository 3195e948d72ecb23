//! `iolat [-t MS] [-s MS] CACHED BIG TMPDIR`: does a process waiting for the disk hold up the
//! others? (chapter 2 section 4, file management; the kernel's lock design, measured.)
//!
//! CACHED (made 256 KiB long if it is shorter) is read once so that the page cache
//! holds it; then for MS milliseconds (default 1500) this process reads it in 4 KiB
//! `pread`s, eight for each file it creates and removes again in TMPDIR (a tmpfs),
//! and counts both: the *idle* figures. Then a child streams BIG (which should be
//! larger than the page cache, so that every pass reads the disk) over and over in
//! 64 KiB reads, and the same MS-millisecond count is taken while it does: the
//! *loaded* figures. A kernel that held one file-system lock while a reader waits for
//! the disk would let the cached reads and the creates run only between the
//! streamer's disk requests; one that lets go of it while waiting leaves them nearly
//! as fast as idle (they share the CPUs with the streamer, nothing more).
//!
//! Prints `iolat: idle reads R creates C`, `iolat: loaded reads R creates C
//! streamed M MiB` (M: the MiB the child read, from its start 200 ms before the
//! loaded count to its end) and the loaded/idle ratios. With `-s MS`, a third count
//! follows while every disk read is made to wait MS milliseconds first
//! (`/proc/sys/kernel/disk_read_delay_ms`, a test knob of the virtio-blk driver): the
//! streamer is then stuck in a request with the disk's lock held, a stalled disk, and
//! `iolat: stalled reads R creates C` says what the others still did. The caches are
//! dropped first (root only), so BIG starts cold; then BIG's block map is read (one
//! byte every 256 KiB), since ext2 metadata is still read with the VFS held.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use ulib::fs::{self, File};
use ulib::io::Read;
use ulib::process::{self, Fork};
use ulib::sys;
use ulib::time::{Duration, Instant};
use ulib::Errno;

ulib::entry!(main);

const USAGE: &str = "iolat [-t MS] [-s MS] CACHED BIG TMPDIR";
/// The test knob that makes every disk read wait (drivers::virtio_blk).
const DELAY: &str = "/proc/sys/kernel/disk_read_delay_ms";
const CACHED_BYTES: usize = 256 * 1024;
const PAGE: usize = 4096;

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let mut ms = 1500u64;
    let mut stall = 0u64;
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-t" | "-s" => match it.next().and_then(|v| v.parse().ok()).filter(|&v| v > 0) {
                Some(v) if a == "-t" => ms = v,
                Some(v) => stall = v,
                None => return ulib::cli::usage_error(USAGE),
            },
            s if s.starts_with('-') => return ulib::cli::usage_error(USAGE),
            s => paths.push(s),
        }
    }
    let [cached, big, dir] = paths[..] else {
        return ulib::cli::usage_error(USAGE);
    };
    match run(cached, big, dir.trim_end_matches('/'), ms, stall) {
        Ok(()) => 0,
        Err((what, e)) => {
            ulib::println!("iolat: {what}: {e}");
            1
        }
    }
}

type Failed = (String, Errno);

fn at<T>(what: &str, r: Result<T, Errno>) -> Result<T, Failed> {
    r.map_err(|e| (String::from(what), e))
}

fn run(cached: &str, big: &str, dir: &str, ms: u64, stall: u64) -> Result<(), Failed> {
    at("drop_caches", sys::drop_caches())?;
    let have = fs::metadata(cached).map(|m| m.len()).unwrap_or(0);
    if have < CACHED_BYTES as u64 {
        let data: Vec<u8> = (0..CACHED_BYTES).map(|i| (i % 251) as u8).collect();
        at(cached, fs::write(cached, &data))?;
    }
    let file = at(cached, File::open(cached))?;
    let mut buf = vec![0u8; PAGE];
    for i in 0..CACHED_BYTES / PAGE {
        at(cached, file.read_at(&mut buf, (i * PAGE) as u64))?;
    }
    // BIG's block map into ext2's block cache: one byte every 256 KiB reads each
    // indirect block once. The kernel waits for metadata under the VFS lock still
    // (docs/architecture.md); this makes every disk read the streamer waits on below
    // a data page's, the case the kernel promises not to hold anyone up for.
    let map = at(big, File::open(big))?;
    let len = at(big, map.metadata())?.len();
    let mut one = [0u8; 1];
    for off in (0..len).step_by(256 * 1024) {
        at(big, map.read_at(&mut one, off))?;
    }
    drop(map);
    let window = Duration::from_millis(ms);
    let (reads, creates) = count(&file, dir, window)?;
    ulib::println!("iolat: idle reads {reads} creates {creates}");

    let mut fds = [0i32; 2];
    at("pipe", sys::pipe(&mut fds))?;
    let child = match at("fork", process::fork())? {
        Fork::Child => {
            let _ = sys::close(fds[0]);
            stream(big, fds[1]);
        }
        Fork::Parent(pid) => pid,
    };
    let _ = sys::close(fds[1]);
    // Let the streamer get going, then count while it runs.
    ulib::time::sleep(Duration::from_millis(200));
    let loaded = count(&file, dir, window);
    let stalled = match stall {
        0 => None,
        delay => Some(stalled_count(&file, dir, window, delay)),
    };
    let _ = process::kill(child as i64, ulib::abi::signal::SIGKILL);
    let _ = process::waitpid(child as i64, 0);
    let (mib, streamer_failed) = drain(fds[0]);
    let (lreads, lcreates) = loaded?;
    ulib::println!("iolat: loaded reads {lreads} creates {lcreates} streamed {mib} MiB");
    if streamer_failed {
        ulib::println!("iolat: the streamer failed to read {big}");
        return Err((String::from(big), Errno::EIO));
    }
    ulib::println!(
        "iolat: loaded/idle reads {} creates {}",
        ratio(lreads, reads),
        ratio(lcreates, creates)
    );
    if let Some(stalled) = stalled {
        let (sreads, screates) = stalled?;
        ulib::println!("iolat: stalled reads {sreads} creates {screates} delay {stall} ms");
        ulib::println!(
            "iolat: stalled/idle reads {} creates {}",
            ratio(sreads, reads),
            ratio(screates, creates)
        );
    }
    Ok(())
}

/// The count again with every disk read delayed by `delay` ms (the streamer is then
/// stuck in a disk request, the disk's lock held, for the whole window), the delay
/// taken away after.
fn stalled_count(
    file: &File,
    dir: &str,
    window: Duration,
    delay: u64,
) -> Result<(u64, u64), Failed> {
    at(DELAY, fs::write(DELAY, format!("{delay}\n").as_bytes()))?;
    ulib::time::sleep(Duration::from_millis(300));
    let r = count(file, dir, window);
    at(DELAY, fs::write(DELAY, b"0\n"))?;
    r
}

/// `a / b` with two decimals.
fn ratio(a: u64, b: u64) -> String {
    let r = a * 100 / b.max(1);
    format!("{}.{:02}", r / 100, r % 100)
}

/// For `window`: cached 4 KiB reads of `file`, eight per create + unlink in `dir`.
fn count(file: &File, dir: &str, window: Duration) -> Result<(u64, u64), Failed> {
    let mut buf = vec![0u8; PAGE];
    let (mut reads, mut creates) = (0u64, 0u64);
    let start = Instant::now();
    while start.elapsed() < window {
        for _ in 0..8 {
            let off = (reads % (CACHED_BYTES / PAGE) as u64) * PAGE as u64;
            if at("read", file.read_at(&mut buf, off))? != PAGE {
                return Err((String::from("short read"), Errno::EIO));
            }
            reads += 1;
        }
        let name = format!("{dir}/iolat{}", creates % 16);
        drop(at(&name, File::create(&name))?);
        at(&name, fs::remove_file(&name))?;
        creates += 1;
    }
    Ok((reads, creates))
}

/// The child: read `big` from start to end again and again, one byte down `out` per
/// MiB (a `!` if a read fails, then exit).
fn stream(big: &str, out: i32) -> ! {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let Ok(mut f) = File::open(big) else {
            let _ = sys::write(out, b"!");
            process::exit(1);
        };
        let mut since = 0usize;
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => since += n,
                Err(_) => {
                    let _ = sys::write(out, b"!");
                    process::exit(1);
                }
            }
            while since >= 1 << 20 {
                let _ = sys::write(out, b"m");
                since -= 1 << 20;
            }
        }
    }
}

/// The MiB the streamer reported down `fd` until it died, and whether it failed.
fn drain(fd: i32) -> (u64, bool) {
    let (mut mib, mut failed) = (0, false);
    let mut buf = [0u8; 256];
    while let Ok(n) = sys::read(fd, &mut buf) {
        if n == 0 {
            break;
        }
        mib += buf[..n].iter().filter(|&&b| b == b'm').count() as u64;
        failed |= buf[..n].contains(&b'!');
    }
    (mib, failed)
}
