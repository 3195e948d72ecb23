//! The CMOS real-time clock: wall-clock time at boot.
//!
//! The RTC keeps the date in battery-backed registers behind ports 0x70/0x71. It is read
//! once at boot (waiting out an update in progress, reading twice until two reads agree,
//! decoding BCD and 12-hour formats); afterwards the kernel counts from that moment with
//! its monotonic clock.

use core::sync::atomic::{AtomicI64, Ordering};
use hal::port::Port;

/// Wall-clock seconds at boot.
static BOOT_UNIX: AtomicI64 = AtomicI64::new(0);

/// Read the clock once, at boot.
pub fn init() {
    BOOT_UNIX.store(read_unix_time(), Ordering::Relaxed);
}

/// Seconds since the Unix epoch at boot.
pub fn boot_time() -> i64 {
    BOOT_UNIX.load(Ordering::Relaxed)
}

/// Seconds since the Unix epoch now (boot time plus the monotonic clock).
pub fn now() -> i64 {
    boot_time() + (hal::apic::nanos_since_boot() / 1_000_000_000) as i64
}

const INDEX: Port = Port::new(0x70);
const DATA: Port = Port::new(0x71);

fn reg(r: u8) -> u8 {
    INDEX.write8(r);
    DATA.read8()
}

fn snapshot() -> [u8; 7] {
    while reg(0x0a) & 0x80 != 0 {
        core::hint::spin_loop(); // update in progress
    }
    [
        reg(0x00),
        reg(0x02),
        reg(0x04),
        reg(0x07),
        reg(0x08),
        reg(0x09),
        reg(0x32),
    ]
}

fn bcd(v: u8) -> u8 {
    (v & 0x0f) + (v >> 4) * 10
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Seconds since the Unix epoch, read from the RTC now.
pub fn read_unix_time() -> i64 {
    let mut a = snapshot();
    loop {
        let b = snapshot();
        if a == b {
            break;
        }
        a = b;
    }
    let status_b = reg(0x0b);
    let binary = status_b & 0x04 != 0;
    let h24 = status_b & 0x02 != 0;
    let dec = |v: u8| if binary { v } else { bcd(v) };
    let [s, mi, h, d, mo, y, c] = a;
    let pm = h & 0x80 != 0;
    let mut hour = dec(h & 0x7f) as i64;
    if !h24 {
        hour %= 12;
        if pm {
            hour += 12;
        }
    }
    let century = if c != 0 { dec(c) as i64 } else { 20 };
    let year = century * 100 + dec(y) as i64;
    let days = days_from_civil(year, dec(mo) as u32, dec(d) as u32);
    days * 86400 + hour * 3600 + dec(mi) as i64 * 60 + dec(s) as i64
}
