//! Information maintenance: clocks, system identity, memory and process statistics.

use crate::{me, Args};
use abi::flags::*;
use abi::types::Pod;
use abi::{Errno, ProcInfo, SysInfo, Timespec, Tms, Utsname};
use proc::uaccess;

/// The call that does nothing: what the system-call path itself costs.
pub fn null(_: &mut Args) -> Result<usize, Errno> {
    Ok(0)
}

pub fn clock_gettime(a: &mut Args) -> Result<usize, Errno> {
    let ns = hal::apic::nanos_since_boot();
    let ts = match a.arg(0) as u32 {
        CLOCK_MONOTONIC => Timespec {
            sec: (ns / 1_000_000_000) as i64,
            nsec: (ns % 1_000_000_000) as i64,
        },
        CLOCK_REALTIME => Timespec {
            sec: drivers::rtc::boot_time() + (ns / 1_000_000_000) as i64,
            nsec: (ns % 1_000_000_000) as i64,
        },
        _ => return Err(Errno::EINVAL),
    };
    uaccess::write_pod(a.arg(1), &ts)?;
    Ok(0)
}

fn field<const N: usize>(s: &str) -> [u8; N] {
    let mut b = [0u8; N];
    let n = s.len().min(N - 1);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    b
}

pub fn uname(a: &mut Args) -> Result<usize, Errno> {
    let u = Utsname {
        sysname: field("dinos"),
        nodename: field("dinos"),
        release: field(env!("CARGO_PKG_VERSION")),
        version: field("dinos kernel (Operating System Concepts, chapter 2)"),
        machine: field("x86_64"),
    };
    uaccess::write_pod(a.arg(0), &u)?;
    Ok(0)
}

pub fn sysinfo(a: &mut Args) -> Result<usize, Errno> {
    let m = mm::stats();
    let s = SysInfo {
        uptime_ns: hal::apic::nanos_since_boot(),
        total_mem: m.frames.total_frames * 4096,
        free_mem: m.frames.free_frames * 4096,
        heap_total: m.heap.size as u64,
        heap_used: m.heap.used as u64,
        procs: proc::process::all().len() as u32,
        threads: task::thread_list().len() as u32,
    };
    uaccess::write_pod(a.arg(0), &s)?;
    Ok(0)
}

pub fn proclist(a: &mut Args) -> Result<usize, Errno> {
    let max = a.arg(1) as usize;
    let mut n = 0;
    for p in proc::process::all().iter().take(max) {
        let (user_ns, sys_ns) = p.cpu_ns();
        let mem_bytes = p.aspace.lock().as_ref().map_or(0, |s| s.resident_bytes());
        let state = if p.is_zombie() { b'Z' } else { b'R' };
        let info = ProcInfo {
            pid: p.pid,
            ppid: p.ppid(),
            pgid: p.pgid(),
            uid: p.cred().euid, // as ps shows it: whose rights it runs with
            state: state as u32,
            threads: 1,
            user_ns,
            sys_ns,
            mem_bytes,
            name: field(p.name.lock().as_str()),
        };
        uaccess::write_pod(a.arg(0) + (n * ProcInfo::SIZE) as u64, &info)?;
        n += 1;
    }
    Ok(n)
}

pub fn times(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let (user_ns, sys_ns) = p.cpu_ns();
    let (child_user_ns, child_sys_ns) = {
        let f = p.family.lock();
        (f.child_user_ns, f.child_sys_ns)
    };
    uaccess::write_pod(
        a.arg(0),
        &Tms {
            user_ns,
            sys_ns,
            child_user_ns,
            child_sys_ns,
        },
    )?;
    Ok(0)
}
