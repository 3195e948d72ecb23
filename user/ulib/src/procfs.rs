//! Reading the kernel's state from `/proc` (chapter 2, information maintenance): the
//! process table, memory, uptime and the mount table as the text files the kernel
//! makes, parsed into the same typed values the native calls give (`info`), so `ps`,
//! `free`, `uptime`, `mount` and `top` need nothing but `open` and `read`.
//!
//! Layouts are Linux's: `/proc/PID/stat` is one line whose second field, the name in
//! parentheses, may itself hold spaces and parentheses (so the fields after it are
//! found from the *last* `)`), and the others are `Key: value` lines.

use crate::info::Process;
use crate::{fs, Result};
use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

/// Clock ticks per second in `/proc/PID/stat` (Linux's `USER_HZ`).
pub const USER_HZ: u64 = 100;

/// The whole text of a `/proc` file.
pub fn read(path: &str) -> Result<String> {
    fs::read_to_string(path)
}

/// The value of the line `key:` in `Key: value` text, without its unit.
pub fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// A `Key: N kB` figure in bytes.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    let v = field(text, key)?;
    v.split_whitespace()
        .next()?
        .parse::<u64>()
        .ok()
        .map(|k| k << 10)
}

/// `/proc/PID/stat` split: the pid, the name, and the fields from the state on
/// (`fields[0]` is field 3 of proc_pid_stat(5), the state).
pub fn parse_stat(line: &str) -> Option<(u32, String, Vec<&str>)> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let pid = line[..open].trim().parse().ok()?;
    let name = String::from(&line[open + 1..close]);
    let fields = line[close + 1..].split_whitespace().collect();
    Some((pid, name, fields))
}

/// One process from its `stat` and `status` texts.
pub fn parse_process(stat: &str, status: &str) -> Option<Process> {
    let (pid, name, f) = parse_stat(stat)?;
    // proc_pid_stat(5) field N is f[N - 3].
    let num = |n: usize| f.get(n - 3).and_then(|v| v.parse::<i64>().ok());
    let ticks = |n: usize| Duration::from_millis(num(n).unwrap_or(0) as u64 * 1000 / USER_HZ);
    let uid = field(status, "Uid")
        .and_then(|v| v.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0);
    Some(Process {
        pid,
        ppid: num(4)? as u32,
        pgid: num(5)? as u32,
        uid,
        state: f.first()?.chars().next()?,
        threads: num(20).unwrap_or(1) as u32,
        cpu: num(39).unwrap_or(0) as u32,
        user_time: ticks(14),
        sys_time: ticks(15),
        mem_bytes: num(24).unwrap_or(0) as u64 * 4096,
        syscalls: field(status, "Syscalls")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        // Which system-call table serves it (`ps` marks Linux programs).
        linux: field(status, "Personality") == Some("linux"),
        name,
    })
}

/// The pids `/proc` lists now, sorted.
pub fn pids() -> Result<Vec<u32>> {
    let mut pids: Vec<u32> = fs::read_dir("/proc")?
        .filter_map(|e| e.ok()?.file_name().parse().ok())
        .collect();
    pids.sort_unstable();
    Ok(pids)
}

/// Every process, by pid. One that exits while the table is read is left out.
pub fn processes() -> Result<Vec<Process>> {
    let mut out = Vec::new();
    for pid in pids()? {
        let stat = read(&alloc::format!("/proc/{pid}/stat"));
        let status = read(&alloc::format!("/proc/{pid}/status"));
        if let (Ok(stat), Ok(status)) = (stat, status) {
            if let Some(p) = parse_process(&stat, &status) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// Memory in bytes, from `/proc/meminfo`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemInfo {
    pub total: u64,
    pub free: u64,
    pub available: u64,
    pub cached: u64,
    pub heap_total: u64,
    pub heap_used: u64,
}

pub fn meminfo() -> Result<MemInfo> {
    let t = read("/proc/meminfo")?;
    let get = |k| kib_field(&t, k).ok_or(Errno::EIO);
    Ok(MemInfo {
        total: get("MemTotal")?,
        free: get("MemFree")?,
        available: get("MemAvailable")?,
        cached: get("Cached")?,
        heap_total: get("HeapTotal")?,
        heap_used: get("HeapUsed")?,
    })
}

/// A `seconds.hundredths` figure.
fn seconds(s: &str) -> Option<Duration> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    let cs: u64 = frac.get(..2).unwrap_or(frac).parse().ok()?;
    Some(Duration::from_secs(whole.parse().ok()?) + Duration::from_millis(cs * 10))
}

/// Time since boot and CPU time spent idle, from `/proc/uptime`.
pub fn uptime() -> Result<(Duration, Duration)> {
    let t = read("/proc/uptime")?;
    let mut w = t.split_whitespace();
    let up = w.next().and_then(seconds).ok_or(Errno::EIO)?;
    let idle = w.next().and_then(seconds).ok_or(Errno::EIO)?;
    Ok((up, idle))
}

/// `/proc/loadavg`: the 1, 5 and 15 minute load averages (as text, e.g. `0.25`),
/// the threads runnable now and in all.
pub struct LoadAvg {
    pub averages: [String; 3],
    pub runnable: u32,
    pub threads: u32,
}

pub fn loadavg() -> Result<LoadAvg> {
    let t = read("/proc/loadavg")?;
    let w: Vec<&str> = t.split_whitespace().collect();
    let (run, all) = w.get(3).and_then(|v| v.split_once('/')).ok_or(Errno::EIO)?;
    Ok(LoadAvg {
        averages: [0, 1, 2].map(|i| String::from(w.get(i).copied().unwrap_or("?"))),
        runnable: run.parse().map_err(|_| Errno::EIO)?,
        threads: all.parse().map_err(|_| Errno::EIO)?,
    })
}

/// The mount table from `/proc/mounts`.
pub fn mounts() -> Result<Vec<fs::Mount>> {
    Ok(fs::parse_mounts(&read("/proc/mounts")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/PID/stat` and `status` of a `sleep 5` copied to the name `x (y) z`,
    /// read on the Linux host: a name with spaces and parentheses.
    const LINUX_STAT: &str = "4405 (x (y) z) S 4404 4401 11048 0 -1 4194304 139 0 0 0 0 0 0 0 20 0 1 0 91851 2990080 405 18446744073709551615 94576176242688 94576176260617 140725617495600 0 0 0 0 6 0 1 0 0 17 0 0 0 0 0 0 94576176274704 94576176275968 94577145851904 140725617502951 140725617502966 140725617502966 140725617504235 0\n";
    const LINUX_STATUS: &str = "Name:\tx (y) z\nUid:\t0\t0\t0\t0\n";

    #[test]
    fn a_linux_stat_line_parses_around_a_name_with_parentheses() {
        let p = parse_process(LINUX_STAT, LINUX_STATUS).unwrap();
        assert_eq!((p.pid, p.ppid, p.pgid, p.uid), (4405, 4404, 4401, 0));
        assert_eq!(p.name, "x (y) z");
        assert_eq!(p.state, 'S');
        assert_eq!(p.threads, 1);
        assert_eq!(p.mem_bytes, 405 * 4096);
        assert_eq!(p.cpu, 0);
    }

    #[test]
    fn fields_and_seconds() {
        assert_eq!(
            field("MemTotal:  100 kB\nMemFree: 5 kB\n", "MemFree"),
            Some("5 kB")
        );
        assert_eq!(
            kib_field("MemFree:        5 kB\n", "MemFree"),
            Some(5 << 10)
        );
        assert_eq!(seconds("12.34"), Some(Duration::from_millis(12_340)));
        assert!(parse_stat("garbage").is_none());
    }
}
