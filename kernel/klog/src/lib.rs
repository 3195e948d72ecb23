//! The kernel log: where the OS service "logging" (chapter 2, section 1) lives.
//!
//! Every layer logs through the standard `log` macros (`log::info!`, `log::warn!`, ...).
//! This crate is the backend: each record becomes one line `[  seconds.micros] LEVEL
//! target: message`, is echoed to the console, and is kept in a fixed-size ring buffer
//! ([`LogRing`]) that the monitor's `log` command, and later `dmesg` and `/dev/kmsg`,
//! read back. When the ring is full the oldest *whole lines* are dropped, so a reader
//! never sees half a line.
//!
//! The ring is plain data, tested on the host; only [`init`] and the global logger touch
//! the machine (the console and a spinlock).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod ring;

pub use ring::LogRing;

use core::fmt::Write;
use hal::sync::SpinLock;
use log::{Level, LevelFilter, Log, Metadata, Record};

/// Bytes of log kept for `log`/`dmesg`.
pub const RING_BYTES: usize = 64 * 1024;

struct KernelLogger {
    ring: SpinLock<LogRing<RING_BYTES>>,
}

static LOGGER: KernelLogger = KernelLogger {
    ring: SpinLock::new(LogRing::new()),
};

/// A line being formatted, on the stack (records longer than this are cut).
struct LineBuf {
    buf: [u8; 512],
    len: usize,
}

impl Write for LineBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Format one record the way the ring and the console show it.
pub fn format_line(
    out: &mut impl Write,
    nanos: u64,
    level: Level,
    target: &str,
    args: &core::fmt::Arguments,
) {
    let secs = nanos / 1_000_000_000;
    let micros = (nanos % 1_000_000_000) / 1000;
    let _ = writeln!(out, "[{secs:5}.{micros:06}] {level:<5} {target}: {args}");
}

impl Log for KernelLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut line = LineBuf {
            buf: [0; 512],
            len: 0,
        };
        format_line(
            &mut line,
            hal::apic::nanos_since_boot(),
            record.level(),
            record.target(),
            record.args(),
        );
        if line.len == line.buf.len() {
            line.buf[line.len - 1] = b'\n';
        }
        let text = &line.buf[..line.len];
        self.ring.lock().push(text);
        hal::serial::write_bytes(text);
    }

    fn flush(&self) {}
}

/// Install the kernel logger with the level from the command line (`loglevel=debug`).
pub fn init(level: Option<&str>) {
    let filter = match level {
        Some("error") => LevelFilter::Error,
        Some("warn") => LevelFilter::Warn,
        Some("debug") => LevelFilter::Debug,
        Some("trace") => LevelFilter::Trace,
        Some("off") => LevelFilter::Off,
        _ => LevelFilter::Info,
    };
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(filter);
    }
}

/// Call `f` with the log's contents, oldest first (one or two slices, as stored).
pub fn with_contents<R>(f: impl FnOnce(&[u8], &[u8]) -> R) -> R {
    let ring = LOGGER.ring.lock();
    let (a, b) = ring.as_slices();
    f(a, b)
}

/// Log bytes from position `pos` (bytes since boot) into `out`: the position of
/// the first byte copied and the count (see [`LogRing::read_at`]).
pub fn read_at(pos: u64, out: &mut [u8]) -> (u64, usize) {
    LOGGER.ring.lock().read_at(pos, out)
}

/// Bytes written since boot (including those that have since been dropped).
pub fn total_written() -> u64 {
    LOGGER.ring.lock().total_written()
}
