//! Information maintenance for Linux programs (chapter 2, 3-2): clocks, the system's
//! name, memory and CPU-time figures, random bytes, in Linux's structures.
//!
//! `uname` says `Linux`: a Linux program asks the system's name to learn which ABI
//! and features it may use, and that is the ABI it is given (WSL1 answered the same
//! way). The release names dinos.

use crate::put;
use abi::Errno;
use syscall::table::{Ctx, SysResult};

const NS: u64 = 1_000_000_000;

/// A `struct timespec` in user memory as nanoseconds (EINVAL if not a valid one).
pub fn timespec_ns(at: u64) -> Result<u64, Errno> {
    let b: [u8; 16] = crate::get(at)?;
    let (sec, nsec) = (crate::le64(&b, 0) as i64, crate::le64(&b, 8) as i64);
    if sec < 0 || !(0..NS as i64).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64).saturating_mul(NS).saturating_add(nsec as u64))
}

/// A `struct timeval` at `b[at..]` as nanoseconds (EINVAL if not a valid one). A huge
/// `tv_sec` saturates to "forever" rather than overflowing.
pub fn timeval_ns(b: &[u8], at: usize) -> Result<u64, Errno> {
    let (sec, usec) = (crate::le64(b, at) as i64, crate::le64(b, at + 8) as i64);
    if sec < 0 || !(0..1_000_000).contains(&usec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(NS)
        .saturating_add(usec as u64 * 1000))
}

fn timespec(ns: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / NS).to_le_bytes());
    b[8..].copy_from_slice(&(ns % NS).to_le_bytes());
    b
}

/// Nanoseconds on `clock`: REALTIME (and _COARSE), MONOTONIC (and _RAW, _COARSE,
/// BOOTTIME: dinos does not suspend), the process's CPU time.
fn clock_ns(cx: &Ctx, clock: u32) -> Result<u64, Errno> {
    let up = hal::apic::nanos_since_boot();
    match clock {
        0 | 5 => Ok((drivers::rtc::boot_time().max(0) as u64) * NS + up),
        1 | 4 | 6 | 7 => Ok(up),
        2 | 3 => {
            let (u, s) = cx.process()?.cpu_ns();
            Ok(u + s)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn clock_gettime(cx: &mut Ctx, clock: u32, out: u64) -> SysResult {
    let ns = clock_ns(cx, clock)?;
    put(out, &timespec(ns))?;
    Ok(0)
}

/// `clock_getres`: the timer tick for CPU-time clocks, nanoseconds for the others.
pub fn clock_getres(cx: &mut Ctx, clock: u32, out: u64) -> SysResult {
    clock_ns(cx, clock)?;
    let res = if matches!(clock, 2 | 3 | 5 | 6) {
        NS / hal::apic::TIMER_HZ
    } else {
        1
    };
    if out != 0 {
        put(out, &timespec(res))?;
    }
    Ok(0)
}

pub fn gettimeofday(cx: &mut Ctx, tv: u64, tz: u64) -> SysResult {
    let ns = clock_ns(cx, 0)?;
    if tv != 0 {
        let mut b = crate::uapi::Bytes::default();
        b.u64(ns / NS).u64(ns % NS / 1000);
        put(tv, &b.0)?;
    }
    if tz != 0 {
        put(tz, &[0u8; 8])?; // UTC, no daylight saving
    }
    Ok(0)
}

pub fn time(cx: &mut Ctx, out: u64) -> SysResult {
    let secs = clock_ns(cx, 0)? / NS;
    if out != 0 {
        put(out, &secs.to_le_bytes())?;
    }
    Ok(secs as usize)
}

fn sleep_ns(cx: &mut Ctx, ns: u64) -> SysResult {
    syscall::ops::process::nanosleep(cx, ns)
}

/// `nanosleep(req, rem)`: `rem` is left alone (an interrupted sleep says EINTR; the
/// time left is not computed).
pub fn nanosleep(cx: &mut Ctx, req: u64, _rem: u64) -> SysResult {
    let ns = timespec_ns(req)?;
    sleep_ns(cx, ns)
}

pub fn clock_nanosleep(cx: &mut Ctx, clock: u32, flags: u32, req: u64, _rem: u64) -> SysResult {
    const TIMER_ABSTIME: u32 = 1;
    if flags & !TIMER_ABSTIME != 0 {
        return Err(Errno::EINVAL);
    }
    let now = clock_ns(cx, clock)?;
    let want = timespec_ns(req)?;
    let ns = if flags & TIMER_ABSTIME != 0 {
        want.saturating_sub(now)
    } else {
        want
    };
    match sleep_ns(cx, ns) {
        Err(e) => Err(e),
        Ok(_) => Ok(0),
    }
}

pub fn uname(_: &mut Ctx, out: u64) -> SysResult {
    use crate::uapi::UTS_FIELD;
    let mut b = [0u8; UTS_FIELD * 6];
    let fields = [
        "Linux",
        "dinos",
        concat!("6.1.0-dinos-", env!("CARGO_PKG_VERSION")),
        // At most 64 bytes (a `struct utsname` field holds 65 with its NUL).
        "#1 dinos, Linux personality (OS Concepts, chapter 2)",
        "x86_64",
        "(none)",
    ];
    for (i, f) in fields.iter().enumerate() {
        let n = f.len().min(UTS_FIELD - 1);
        b[i * UTS_FIELD..i * UTS_FIELD + n].copy_from_slice(&f.as_bytes()[..n]);
    }
    put(out, &b)?;
    Ok(0)
}

/// `struct sysinfo` (112 bytes), in bytes (`mem_unit` 1).
pub fn sysinfo(_: &mut Ctx, out: u64) -> SysResult {
    let m = mm::stats();
    let mut b = crate::uapi::Bytes::default();
    b.u64(hal::apic::nanos_since_boot() / NS)
        .zeros(24) // loads[3]: dinos keeps no load average
        .u64(m.frames.total_frames * 4096)
        .u64(m.frames.free_frames * 4096)
        .u64(0) // sharedram
        .u64(0) // bufferram
        .u64(0) // totalswap
        .u64(0) // freeswap
        .u16(proc::process::all().len().min(u16::MAX as usize) as u16)
        .u16(0)
        .u32(0)
        .u64(0) // totalhigh
        .u64(0) // freehigh
        .u32(1); // mem_unit
    let n = b.0.len();
    b.zeros(112 - n);
    put(out, &b.0)?;
    Ok(0)
}

/// Clock ticks (`AT_CLKTCK`, 100 a second) in `ns`.
fn ticks(ns: u64) -> u64 {
    ns / (NS / 100)
}

/// `times(buf)`: CPU time in clock ticks; returns the ticks since boot.
pub fn times(cx: &mut Ctx, out: u64) -> SysResult {
    let p = cx.process()?;
    let (u, s) = p.cpu_ns();
    let (cu, cs) = {
        let f = p.family.lock();
        (f.child_user_ns, f.child_sys_ns)
    };
    if out != 0 {
        let mut b = crate::uapi::Bytes::default();
        b.u64(ticks(u)).u64(ticks(s)).u64(ticks(cu)).u64(ticks(cs));
        put(out, &b.0)?;
    }
    Ok(ticks(hal::apic::nanos_since_boot()) as usize)
}

/// `getrusage(who, usage)`: RUSAGE_SELF (0), RUSAGE_CHILDREN (-1), RUSAGE_THREAD (1);
/// the CPU times are filled, the counters dinos does not keep are 0.
pub fn getrusage(cx: &mut Ctx, who: i32, out: u64) -> SysResult {
    let p = cx.process()?;
    let r = match who {
        // RUSAGE_SELF and RUSAGE_THREAD (a process has one thread).
        0 | 1 => p.rusage(),
        -1 => p.family.lock().child_usage,
        _ => return Err(Errno::EINVAL),
    };
    // struct rusage: two timevals, then 14 longs (maxrss, ixrss, idrss, isrss, minflt,
    // majflt, nswap, inblock, oublock, msgsnd, msgrcv, nsignals, nvcsw, nivcsw).
    let mut b = crate::uapi::Bytes::default();
    b.u64(r.user_ns / NS)
        .u64(r.user_ns % NS / 1000)
        .u64(r.sys_ns / NS)
        .u64(r.sys_ns % NS / 1000)
        .u64(r.maxrss_kb);
    b.zeros(3 * 8);
    b.u64(r.minflt).u64(r.majflt);
    b.zeros(6 * 8);
    b.u64(r.nvcsw).u64(r.nivcsw);
    put(out, &b.0)?;
    Ok(0)
}

/// `getrandom(buf, len, flags)`: the kernel's generator (the one behind /dev/random).
pub fn getrandom(_: &mut Ctx, buf: u64, len: u64, flags: u32) -> SysResult {
    if flags & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    let n = (len as usize).min(proc::uaccess::CHUNK);
    let mut b = alloc::vec![0u8; n];
    devices::builtin::fill_random(&mut b);
    put(buf, &b)?;
    Ok(n)
}
