//! `/proc/sys/kernel/heap_track`: the kernel-heap tracker's switch and report (chapter
//! 2, 3-2 "information maintenance", turned on the kernel itself: debugging a leak).
//!
//! `echo 1 > heap_track` (root) starts tracking, `echo 0` stops it; reading prints the
//! allocations made since the start that are still live, grouped by the kernel call
//! chain that made them, largest first, with symbols. After a workload that should
//! give back what it took, what is listed is a leak or a container that grew.

use abi::Errno;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write;
use hal::heaptrack::{Tracked, DEPTH, SLOTS};

/// Switch tracking on ("1") or off ("0"); `Capability::SysAdmin` only.
pub fn set(cred: &cred::Credentials, text: &str) -> Result<(), Errno> {
    if !cred::capable(cred, cred::Capability::SysAdmin) {
        return Err(Errno::EPERM);
    }
    match text.trim() {
        "1" => hal::heaptrack::set(true),
        "0" => hal::heaptrack::set(false),
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

/// One call chain's live allocations.
struct Site {
    callers: [u64; DEPTH],
    count: u64,
    bytes: u64,
}

/// The report's text.
pub fn report() -> String {
    let mut live = vec![Tracked::default(); SLOTS];
    let n = hal::heaptrack::snapshot(&mut live).min(SLOTS);
    live.truncate(n);
    let mut sites: Vec<Site> = Vec::new();
    for t in &live {
        match sites.iter_mut().find(|s| s.callers == t.callers) {
            Some(s) => {
                s.count += 1;
                s.bytes += t.size;
            }
            None => sites.push(Site {
                callers: t.callers,
                count: 1,
                bytes: t.size,
            }),
        }
    }
    sites.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(b.count.cmp(&a.count)));
    let total: u64 = sites.iter().map(|s| s.bytes).sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tracking {}: {n} allocations live since the start, {total} bytes; {} not recorded (table full)",
        if hal::heaptrack::is_on() { "on" } else { "off" },
        hal::heaptrack::missed()
    );
    for s in &sites {
        let _ = write!(out, "{:8} bytes {:5}x", s.bytes, s.count);
        for &a in s.callers.iter().filter(|&&a| a != 0) {
            match hal::symbols::lookup(a) {
                Some((name, off)) => {
                    let _ = write!(out, " <- {name}+{off:#x}");
                }
                None => {
                    let _ = write!(out, " <- {a:#x}");
                }
            }
        }
        out.push('\n');
    }
    out
}
