//! The system-wide files of `/proc`: `meminfo`, `uptime`, `loadavg`, `interrupts`,
//! `cpuinfo`, `mounts`, `version` (chapter 2, 3-2 "information maintenance": the
//! state of the whole machine, as text any program can read).
//!
//! Each is made whole when it is read from the start, in Linux's layout where tools
//! parse it (`free`, `uptime` and `mount` here do). The load average is the one
//! figure that has to be *kept*: Linux's exponentially damped mean of the number of
//! runnable threads, sampled every 5 seconds by a kernel thread ([`start_sampler`])
//! in fixed point (11 fraction bits), with Linux's decay constants for 1, 5 and 15
//! minutes.

use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::names::SysFile;

/// The text of system file `f`.
pub fn generate(f: SysFile) -> Result<Vec<u8>, Errno> {
    let text = match f {
        SysFile::Meminfo => meminfo()?,
        SysFile::Uptime => uptime(),
        SysFile::Loadavg => loadavg(),
        SysFile::Interrupts => interrupts(),
        SysFile::Cpuinfo => cpuinfo(),
        SysFile::Mounts => mounts()?,
        SysFile::Version => version(),
        SysFile::Kmsg => return Err(Errno::EINVAL), // read by position: file.rs
    };
    Ok(text.into_bytes())
}

/// `/proc/net/unix` in Linux's layout (what net-tools' and busybox's `netstat -x`
/// parse): number, references, protocol, flags (`__SO_ACCEPTCON` for a listener),
/// type (1: stream), state (1 unconnected, 3 connected, 4 disconnecting), inode (the
/// socket's number here), path (`@` for the abstract namespace, as Linux prints it).
pub fn net_unix() -> String {
    let mut out = String::from("Num       RefCount Protocol Flags    Type St Inode Path\n");
    for u in net::unix::list() {
        let flags: u32 = if u.listening { 0x0001_0000 } else { 0 };
        let _ = write!(
            out,
            "{:016x}: {:08X} 00000000 {flags:08X} 0001 {:02X} {:5}",
            u.id, u.refs, u.state, u.id
        );
        if let Some(p) = &u.path {
            let _ = write!(out, " {}", String::from_utf8_lossy(p));
        }
        out.push('\n');
    }
    out
}

fn meminfo() -> Result<String, Errno> {
    let m = mm::stats();
    let kib = |frames: u64| frames * 4;
    let cache = fsys::with(|v| Ok(v.page_cache_stats()))?;
    let mut out = String::new();
    let _ = write!(
        out,
        "MemTotal:       {:8} kB\nMemFree:        {:8} kB\nMemAvailable:   {:8} kB\n\
         Buffers:               0 kB\nCached:         {:8} kB\nSwapCached:            0 kB\n\
         SwapTotal:             0 kB\nSwapFree:              0 kB\nDirty:          {:8} kB\n\
         Shmem:                 0 kB\nSReclaimable:          0 kB\n\
         HeapTotal:      {:8} kB\nHeapUsed:       {:8} kB\nHeapFree:       {:8} kB\n",
        kib(m.frames.total_frames),
        kib(m.frames.free_frames),
        kib(m.frames.free_frames + cache.pages as u64 - cache.dirty as u64),
        kib(cache.pages as u64),
        kib(cache.dirty as u64),
        m.heap.size >> 10,
        m.heap.used >> 10,
        m.heap.size.saturating_sub(m.heap.used) >> 10,
    );
    Ok(out)
}

/// Two figures in seconds: since boot, and the time CPUs spent idle (summed over
/// CPUs, as Linux does).
fn uptime() -> String {
    let ns = hal::apic::nanos_since_boot();
    let tick_ns = 1_000_000_000 / hal::apic::TIMER_HZ;
    let idle_ns: u64 = task::thread_list()
        .iter()
        .filter(|t| t.name.starts_with("idle"))
        .map(|t| t.cpu_ticks * tick_ns)
        .sum();
    alloc::format!(
        "{}.{:02} {}.{:02}\n",
        ns / 1_000_000_000,
        ns % 1_000_000_000 / 10_000_000,
        idle_ns / 1_000_000_000,
        idle_ns % 1_000_000_000 / 10_000_000
    )
}

/// Fixed-point load averages (11 fraction bits), for 1, 5 and 15 minutes.
static LOAD: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];
const FSHIFT: u32 = 11;
const FIXED_1: u64 = 1 << FSHIFT;
/// `FIXED_1 / exp(5 s / 1 min)`, `/ exp(5/300)`, `/ exp(5/900)`: Linux's EXP_1, 5, 15.
const EXP: [u64; 3] = [1884, 2014, 2037];
/// Linux samples every 5 s (`LOAD_FREQ`).
const SAMPLE_MS: u64 = 5000;

/// Threads that want a CPU now (running or waiting for one), idle threads not
/// counted; and all threads.
fn runnable() -> (u64, u64) {
    let threads = task::thread_list();
    let busy = threads
        .iter()
        .filter(|t| !t.name.starts_with("idle"))
        .filter(|t| matches!(t.state, task::State::Running | task::State::Runnable))
        .count();
    (busy as u64, threads.len() as u64)
}

/// One step of the damped mean: `load = load * e + n * (1 - e)`, in fixed point,
/// rounded up while the load rises so that a steady load is reached (Linux's
/// `calc_load`).
fn decay(load: u64, e: u64, n: u64) -> u64 {
    let active = n * FIXED_1;
    let mut next = load * e + active * (FIXED_1 - e);
    if active >= load {
        next += FIXED_1 - 1;
    }
    next >> FSHIFT
}

/// Start the thread that samples the run queue for the load average.
pub fn start_sampler() {
    let t = task::spawn("loadavg", || loop {
        task::sleep_ms(SAMPLE_MS);
        // The sampler itself is running as it counts: it is not load.
        let (n, _) = runnable();
        let n = n.saturating_sub(1);
        for (slot, e) in LOAD.iter().zip(EXP) {
            let old = slot.load(Ordering::Relaxed);
            slot.store(decay(old, e, n), Ordering::Relaxed);
        }
    });
    if let Err(e) = t {
        log::warn!("no load-average sampler ({e:?}): /proc/loadavg stays at 0");
    }
}

fn loadavg() -> String {
    let mut out = String::new();
    for slot in &LOAD {
        let v = slot.load(Ordering::Relaxed);
        let hundredths = (v * 100 + FIXED_1 / 2) >> FSHIFT;
        let _ = write!(out, "{}.{:02} ", hundredths / 100, hundredths % 100);
    }
    let (busy, all) = runnable();
    let last_pid = proc::process::all().last().map_or(0, |p| p.pid);
    let _ = writeln!(out, "{busy}/{all} {last_pid}");
    out
}

/// What a vector is, for `/proc/interrupts`.
fn vector_name(v: u8) -> String {
    use hal::apic::{IRQ_BASE, TIMER_VECTOR, TLB_VECTOR, WAKE_VECTOR};
    match v {
        0..=31 => String::from(x86::trap::EXCEPTION_NAMES[v as usize].1),
        TIMER_VECTOR => String::from("LAPIC timer"),
        TLB_VECTOR => String::from("TLB shootdown IPI"),
        WAKE_VECTOR => String::from("scheduler wake-up IPI"),
        v if v == IRQ_BASE + 4 => String::from("IO-APIC COM1 serial"),
        v if (IRQ_BASE..IRQ_BASE + 16).contains(&v) => {
            alloc::format!("IO-APIC IRQ {}", v - IRQ_BASE)
        }
        v => alloc::format!("vector {v:#x} (PCI)"),
    }
}

/// Per vector that anything took, a count per CPU.
fn interrupts() -> String {
    let cpus = hal::percpu::cpus_online().max(1);
    let mut out = String::from("    ");
    for c in 0..cpus {
        let _ = write!(out, "{:>11}", alloc::format!("CPU{c}"));
    }
    out.push('\n');
    for v in 0..=255u8 {
        let counts: Vec<u64> = (0..cpus)
            .map(|c| hal::trap::interrupt_count(c, v))
            .collect();
        if counts.iter().all(|&n| n == 0) && !(v >= 32 && hal::trap::has_handler(v)) {
            continue;
        }
        let _ = write!(out, "{v:3}:");
        for n in counts {
            let _ = write!(out, "{n:>11}");
        }
        let _ = writeln!(out, "  {}", vector_name(v));
    }
    out
}

/// The processor's brand string (CPUID leaves 0x80000002 to 4), or its vendor.
fn model_name() -> String {
    let regs_text = |regs: [u32; 4]| {
        let mut s = Vec::new();
        for r in regs {
            s.extend_from_slice(&r.to_le_bytes());
        }
        s
    };
    let (max_ext, ..) = hal::cpu::cpuid(0x8000_0000);
    if max_ext < 0x8000_0004 {
        return String::from("unknown");
    }
    let mut bytes = Vec::new();
    for leaf in 0x8000_0002..=0x8000_0004u32 {
        let (a, b, c, d) = hal::cpu::cpuid(leaf);
        bytes.extend(regs_text([a, b, c, d]));
    }
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from(String::from_utf8_lossy(&bytes[..end]).trim())
}

fn cpuinfo() -> String {
    let (_, b, c, d) = hal::cpu::cpuid(0);
    let mut vendor = Vec::new();
    for r in [b, d, c] {
        vendor.extend_from_slice(&r.to_le_bytes());
    }
    let (sig, ..) = hal::cpu::cpuid(1);
    let family = (sig >> 8) & 0xf;
    let model = ((sig >> 4) & 0xf) | ((sig >> 12) & 0xf0);
    let name = model_name();
    let mhz = hal::apic::tsc_hz() / 1_000_000;
    let mut out = String::new();
    for cpu in 0..hal::percpu::cpus_online().max(1) {
        let _ = write!(
            out,
            "processor\t: {cpu}\nvendor_id\t: {}\ncpu family\t: {family}\nmodel\t\t: {model}\n\
             model name\t: {name}\nstepping\t: {}\ncpu MHz\t\t: {mhz}.000\n\n",
            String::from_utf8_lossy(&vendor),
            sig & 0xf,
        );
    }
    out
}

/// Linux's `/proc/mounts` layout: `source target type options 0 0`.
fn mounts() -> Result<String, Errno> {
    let table = fsys::mount_table_text()?;
    let mut out = String::new();
    for line in table.lines() {
        let _ = writeln!(out, "{line} 0 0");
    }
    Ok(out)
}

fn version() -> String {
    alloc::format!(
        "dinos version {} (x86_64) #1 SMP, a teaching kernel for Operating System Concepts chapter 2\n",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_load_converges_to_itself() {
        let mut l = 0;
        for _ in 0..200 {
            l = decay(l, EXP[0], 2);
        }
        // Two runnable threads for 1000 s: the 1-minute mean is 2.00.
        assert_eq!((l * 100 + FIXED_1 / 2) >> FSHIFT, 200);
    }

    #[test]
    fn one_sample_moves_the_one_minute_mean_by_a_twelfth() {
        // exp(-5/60) = 0.920: one runnable thread for 5 s from idle gives 0.08.
        let l = decay(0, EXP[0], 1);
        assert_eq!((l * 100 + FIXED_1 / 2) >> FSHIFT, 8);
    }
}
