//! Information maintenance (chapter 2, 3-2): clocks, system identity, memory and
//! process statistics.

use crate::table::{Ctx, SysResult};
use crate::user::{UserPtr, UserSliceMut};
use abi::flags::*;
use abi::{Errno, ProcInfo, SysInfo, Timespec, Tms, Utsname};

/// The call that does nothing: what the system-call path itself costs.
pub fn null(_: &mut Ctx) -> SysResult {
    Ok(0)
}

pub fn clock_gettime(_: &mut Ctx, clock: u32, out: UserPtr<Timespec>) -> SysResult {
    let ns = hal::apic::nanos_since_boot();
    let ts = match clock {
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
    out.write(&ts)?;
    Ok(0)
}

fn field<const N: usize>(s: &str) -> [u8; N] {
    let mut b = [0u8; N];
    let n = s.len().min(N - 1);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    b
}

pub fn uname(_: &mut Ctx, out: UserPtr<Utsname>) -> SysResult {
    let u = Utsname {
        sysname: field("dinos"),
        nodename: field("dinos"),
        release: field(env!("CARGO_PKG_VERSION")),
        version: field("dinos kernel (Operating System Concepts, chapter 2)"),
        machine: field("x86_64"),
    };
    out.write(&u)?;
    Ok(0)
}

pub fn sysinfo(_: &mut Ctx, out: UserPtr<SysInfo>) -> SysResult {
    let m = mm::stats();
    let s = SysInfo {
        uptime_ns: hal::apic::nanos_since_boot(),
        total_mem: m.frames.total_frames * 4096,
        free_mem: m.frames.free_frames * 4096,
        heap_total: m.heap.size as u64,
        heap_used: m.heap.used as u64,
        procs: proc::process::all().len() as u32,
        threads: task::thread_list().len() as u32,
        syscalls: hal::user::syscalls_made(),
        cpus: hal::percpu::cpus_online() as u32,
        reserved: 0,
    };
    out.write(&s)?;
    Ok(0)
}

/// Up to `max` process records into the array at `out`; the number written.
pub fn proclist(_: &mut Ctx, out: UserPtr<ProcInfo>, max: usize) -> SysResult {
    let mut n = 0;
    let threads = task::thread_list();
    for p in proc::process::all().iter().take(max) {
        let (user_ns, sys_ns) = p.cpu_ns();
        let mem_bytes = p.aspace.lock().as_ref().map_or(0, |s| s.resident_bytes());
        let state = if p.is_zombie() {
            b'Z'
        } else if p.is_stopped() {
            b'T'
        } else {
            b'R'
        };
        let thread = {
            let tid = *p.tid.lock();
            threads.iter().find(|t| t.tid == tid)
        };
        let info = ProcInfo {
            pid: p.pid,
            ppid: p.ppid(),
            pgid: p.pgid(),
            uid: p.cred().euid, // as ps shows it: whose rights it runs with
            state: state as u32,
            threads: 1,
            cpu: thread.map_or(0, |t| t.cpu),
            personality: match *p.personality.lock() {
                proc::personality::Personality::Dinos => abi::PERSONALITY_DINOS,
                proc::personality::Personality::Linux => abi::PERSONALITY_LINUX,
            },
            user_ns,
            sys_ns,
            mem_bytes,
            syscalls: thread.map_or(0, |t| t.syscalls),
            name: field(p.name.lock().as_str()),
        };
        out.at(n)?.write(&info)?;
        n += 1;
    }
    Ok(n)
}

pub fn times(cx: &mut Ctx, out: UserPtr<Tms>) -> SysResult {
    let p = cx.process()?;
    let (user_ns, sys_ns) = p.cpu_ns();
    let (child_user_ns, child_sys_ns) = {
        let f = p.family.lock();
        (f.child_user_ns, f.child_sys_ns)
    };
    out.write(&Tms {
        user_ns,
        sys_ns,
        child_user_ns,
        child_sys_ns,
    })?;
    Ok(0)
}

/// The kernel's mount table as text (one `SOURCE TARGET TYPE rw|ro` line each), as
/// much as fits.
pub fn mounts(_: &mut Ctx, dest: UserSliceMut) -> SysResult {
    let text = fsys::mount_table_text()?;
    dest.write_prefix(text.as_bytes())
}
