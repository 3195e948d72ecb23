//! `top [-b] [-n N] [-d SECONDS]`: a screen of the busiest processes, refreshed
//! (chapter 2, 3-2 "information maintenance": the process and memory statistics a
//! program can get from the kernel, here all read from `/proc`).
//!
//! Each frame reads every `/proc/PID/stat` and shows, sorted by CPU use, the share of
//! one CPU each process had since the previous frame (its user plus system ticks over
//! the wall-clock time between the two readings, as Linux's top computes `%CPU`); the
//! first frame measures over a short first interval. The header comes from
//! `/proc/uptime`, `/proc/loadavg` and `/proc/meminfo`.
//!
//! On a terminal the screen is redrawn in place with ANSI escapes (`ESC[H`, `ESC[2J`)
//! every `-d` seconds (default 2) and the keyboard is read in raw mode: `q` quits,
//! any other key redraws now. `-b` (batch) prints frames one after another without
//! escapes or keys, for a pipe or a test; `-n N` stops after N frames.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use ulib::abi::flags::{POLLIN, TTY_CANON, TTY_ECHO, TTY_ISIG};
use ulib::info::Process;
use ulib::io;

const USAGE: &str = "top [-b] [-n N] [-d SECONDS]";

/// The first frame's measuring interval.
const FIRST_INTERVAL: Duration = Duration::from_millis(300);

/// A reading: when, and each process's CPU time so far.
struct Sample {
    at: Duration,
    procs: Vec<Process>,
}

fn sample() -> ulib::Result<Sample> {
    let (at, _) = ulib::procfs::uptime()?;
    Ok(Sample {
        at,
        procs: ulib::procfs::processes()?,
    })
}

fn cpu_time(p: &Process) -> Duration {
    p.user_time + p.sys_time
}

/// One frame's text: header lines, then a row per process, busiest first (at most
/// `rows` rows; all of them when `None`).
fn frame(prev: &Sample, now: &Sample, rows: Option<usize>) -> ulib::Result<String> {
    use core::fmt::Write;
    let before: BTreeMap<u32, Duration> = prev.procs.iter().map(|p| (p.pid, cpu_time(p))).collect();
    let wall = now.at.saturating_sub(prev.at).as_micros().max(1);
    // (per-mille of one CPU, process)
    let mut rows_v: Vec<(u128, &Process)> = now
        .procs
        .iter()
        .map(|p| {
            let used = cpu_time(p).saturating_sub(before.get(&p.pid).copied().unwrap_or_default());
            (used.as_micros() * 1000 / wall, p)
        })
        .collect();
    rows_v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.pid.cmp(&b.1.pid)));
    let load = ulib::procfs::loadavg()?;
    let mem = ulib::procfs::meminfo()?;
    let clock = ulib::time::DateTime::from_unix(ulib::time::SystemTime::now().unix_seconds());
    let up = now.at.as_secs();
    let running = now.procs.iter().filter(|p| p.state == 'R').count();
    let mut out = String::new();
    let [l1, l5, l15] = &load.averages;
    let _ = writeln!(
        out,
        "top - {:02}:{:02}:{:02} up {}:{:02}:{:02}, load average: {l1}, {l5}, {l15}",
        clock.hour,
        clock.minute,
        clock.second,
        up / 3600,
        up / 60 % 60,
        up % 60
    );
    let _ = writeln!(
        out,
        "Tasks: {} total, {running} running; threads: {} total, {} runnable",
        now.procs.len(),
        load.threads,
        load.runnable
    );
    let _ = writeln!(
        out,
        "KiB Mem: {} total, {} free, {} used, {} cached",
        mem.total >> 10,
        mem.free >> 10,
        mem.total.saturating_sub(mem.free) >> 10,
        mem.cached >> 10
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:>5} {:<8} S {:>5} {:>9} {:>7} COMMAND",
        "PID", "USER", "%CPU", "TIME", "MEM"
    );
    for (permille, p) in rows_v.iter().take(rows.unwrap_or(usize::MAX)) {
        let t = cpu_time(p).as_millis();
        let _ = writeln!(
            out,
            "{:>5} {:<8} {} {:>3}.{} {:>5}.{:03} {:>6}K {}",
            p.pid,
            ulib::users::user_name(p.uid),
            p.state,
            permille / 10,
            permille % 10,
            t / 1000,
            t % 1000,
            p.mem_bytes >> 10,
            p.name
        );
    }
    Ok(out)
}

/// The terminal in raw mode until dropped.
struct Raw {
    saved: u32,
}

impl Raw {
    fn new() -> Option<Raw> {
        let saved = io::terminal_mode(0).ok()?;
        io::set_terminal_mode(0, saved & !(TTY_ECHO | TTY_CANON | TTY_ISIG)).ok()?;
        Some(Raw { saved })
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let _ = io::set_terminal_mode(0, self.saved);
    }
}

/// Wait up to `d` for a key: `true` when it is `q` (or the input ended).
fn quit_key(d: Duration) -> bool {
    let mut fds = [ulib::abi::PollFd {
        fd: 0,
        events: POLLIN,
        revents: 0,
    }];
    match ulib::poll::poll(&mut fds, Some(d)) {
        Ok(0) | Err(_) => false,
        Ok(_) => {
            let mut b = [0u8; 1];
            !matches!(ulib::sys::read(0, &mut b), Ok(1) if b[0] != b'q' && b[0] != 3)
        }
    }
}

/// A delay in seconds, whole or with a decimal fraction (`0.5`).
fn parse_delay(s: &str) -> Option<Duration> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut ms = 0u64;
    for (i, c) in frac.chars().take(3).enumerate() {
        ms += c.to_digit(10)? as u64 * [100, 10, 1][i];
    }
    let d = Duration::from_secs(secs) + Duration::from_millis(ms);
    (d > Duration::ZERO).then_some(d)
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let Ok((args, count)) = ulib::cli::take_value(&args, 'n') else {
        return ulib::cli::usage_error(USAGE);
    };
    let Ok((args, delay)) = ulib::cli::take_value(&args, 'd') else {
        return ulib::cli::usage_error(USAGE);
    };
    let batch = match ulib::cli::parse(&args, "b") {
        Ok(p) if p.operands.is_empty() => p.flags.contains(&'b'),
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let count: Option<u64> = match count.map(|c| c.parse()) {
        None => None,
        Some(Ok(n)) if n > 0 => Some(n),
        Some(_) => return ulib::cli::usage_error(USAGE),
    };
    let delay = match delay.map(|d| parse_delay(&d)) {
        None => Duration::from_secs(2),
        Some(Some(d)) => d,
        Some(None) => return ulib::cli::usage_error(USAGE),
    };
    let interactive = !batch && io::is_terminal(0) && io::is_terminal(1);
    let _raw = if interactive { Raw::new() } else { None };
    let rows = match interactive {
        true => io::window_size(1)
            .ok()
            .map(|w| (w.rows as usize).saturating_sub(6).max(1)),
        false => None,
    };
    let mut prev = match sample() {
        Ok(s) => s,
        Err(e) => {
            ulib::cli::error("/proc", e);
            return 1;
        }
    };
    ulib::time::sleep(FIRST_INTERVAL);
    let mut shown = 0;
    loop {
        let now = match sample() {
            Ok(s) => s,
            Err(e) => {
                ulib::cli::error("/proc", e);
                return 1;
            }
        };
        let text = match frame(&prev, &now, rows) {
            Ok(t) => t,
            Err(e) => {
                ulib::cli::error("/proc", e);
                return 1;
            }
        };
        if interactive {
            // Home, clear, then the frame; in raw mode a newline needs its return.
            ulib::print!("\x1b[H\x1b[2J{}", text.replace('\n', "\r\n"));
        } else {
            ulib::print!("{text}");
            if count != Some(shown + 1) {
                ulib::println!();
            }
        }
        shown += 1;
        if count.is_some_and(|n| shown >= n) {
            break;
        }
        prev = now;
        if interactive {
            if quit_key(delay) {
                break;
            }
        } else {
            ulib::time::sleep(delay);
        }
    }
    0
}
