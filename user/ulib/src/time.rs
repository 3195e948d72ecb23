//! Clocks and dates (chapter 2, information maintenance): [`Instant`] from the
//! monotonic clock, [`SystemTime`] from the real-time clock, [`sleep`], and a small UTC
//! calendar ([`DateTime`]) for `date` and `ls -l`.
//!
//! The calendar is the proleptic Gregorian one computed from a day count with Howard
//! Hinnant's `civil_from_days` (exact for every day, no tables, no time zones: dinos
//! keeps UTC).

use crate::{sys, Errno, Result};
use abi::flags::{CLOCK_MONOTONIC, CLOCK_REALTIME};
use abi::Timespec;
use core::fmt;
pub use core::time::Duration;

fn now(clock: u32) -> Duration {
    let mut ts = Timespec::default();
    match sys::clock_gettime(clock, &mut ts) {
        Ok(_) => Duration::new(ts.sec.max(0) as u64, ts.nsec.clamp(0, 999_999_999) as u32),
        Err(_) => Duration::ZERO,
    }
}

/// A point on the monotonic clock (time since boot), for measuring intervals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    pub fn now() -> Instant {
        Instant(now(CLOCK_MONOTONIC))
    }
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }
    /// Time from `earlier` to this instant (zero if `earlier` is later).
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
    /// Time since boot.
    pub fn since_boot(&self) -> Duration {
        self.0
    }
}

impl core::ops::Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0 + d)
    }
}

impl core::ops::Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, other: Instant) -> Duration {
        self.duration_since(other)
    }
}

/// Wall-clock time, as seconds and nanoseconds since 1970-01-01 00:00:00 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SystemTime(Duration);

pub const UNIX_EPOCH: SystemTime = SystemTime(Duration::ZERO);

impl SystemTime {
    pub const UNIX_EPOCH: SystemTime = UNIX_EPOCH;

    pub fn now() -> SystemTime {
        SystemTime(now(CLOCK_REALTIME))
    }
    /// Time since `earlier`; `Err` with the difference if `earlier` is later.
    pub fn duration_since(&self, earlier: SystemTime) -> core::result::Result<Duration, Duration> {
        if self.0 >= earlier.0 {
            Ok(self.0 - earlier.0)
        } else {
            Err(earlier.0 - self.0)
        }
    }
    /// Whole seconds since 1970.
    pub fn unix_seconds(&self) -> i64 {
        self.0.as_secs() as i64
    }
}

/// Sleep for all of `d`: an interrupted sleep (a handler ran, or the process was
/// stopped by `Ctrl-Z` and continued) goes on until `d` has passed since the call, as
/// `sleep 30` does in other systems. [`sleep_checked`] is the one that returns early.
pub fn sleep(d: Duration) {
    let start = Instant::now();
    while let Err(Errno::EINTR) = sleep_checked(d.saturating_sub(start.elapsed())) {}
}

/// Sleep for `d`; `Err(EINTR)` if a signal handler ran first.
pub fn sleep_checked(d: Duration) -> Result<()> {
    let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    sys::nanosleep(ns).map(|_| ())
}

/// A UTC calendar date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: u32,
}

pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
pub const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

impl DateTime {
    /// The UTC calendar time of `secs` seconds since 1970 (negative: before).
    pub fn from_unix(secs: i64) -> DateTime {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        // civil_from_days (H. Hinnant): eras of 400 years starting on March 1st.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097); // day of era, 0..146096
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
        DateTime {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
            weekday: (days + 4).rem_euclid(7) as u32, // 1970-01-01 was a Thursday
        }
    }

    /// `2024-02-29 13:05:09`
    pub fn iso(&self) -> alloc::string::String {
        alloc::format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// `date`'s format: `Thu Feb 29 13:05:09 UTC 2024`.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {:2} {:02}:{:02}:{:02} UTC {}",
            WEEKDAYS[self.weekday as usize % 7],
            MONTHS[(self.month as usize + 11) % 12],
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.year
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn the_epoch_is_a_thursday() {
        let d = DateTime::from_unix(0);
        assert_eq!(d.to_string(), "Thu Jan  1 00:00:00 UTC 1970");
    }

    #[test]
    fn known_dates_including_leap_days_and_century_years() {
        assert_eq!(
            DateTime::from_unix(951_782_400).iso(),
            "2000-02-29 00:00:00"
        );
        assert_eq!(
            DateTime::from_unix(1_709_211_909).to_string(),
            "Thu Feb 29 13:05:09 UTC 2024"
        );
        assert_eq!(
            DateTime::from_unix(4_107_542_399).iso(),
            "2100-02-28 23:59:59"
        );
        assert_eq!(
            DateTime::from_unix(4_107_542_400).iso(),
            "2100-03-01 00:00:00"
        );
        assert_eq!(
            DateTime::from_unix(1_234_567_890).to_string(),
            "Fri Feb 13 23:31:30 UTC 2009"
        );
    }

    #[test]
    fn times_before_1970_count_backwards() {
        assert_eq!(
            DateTime::from_unix(-1).to_string(),
            "Wed Dec 31 23:59:59 UTC 1969"
        );
    }

    #[test]
    fn every_day_follows_the_one_before() {
        let mut prev = DateTime::from_unix(-86_400 * 800);
        for d in -799..200_000i64 {
            let cur = DateTime::from_unix(d * 86_400);
            assert_eq!(cur.weekday, (prev.weekday + 1) % 7);
            let next_day =
                cur.day == prev.day + 1 && cur.month == prev.month && cur.year == prev.year;
            let next_month = cur.day == 1
                && (cur.month == prev.month + 1 || (cur.month == 1 && prev.month == 12));
            assert!(next_day || next_month, "{} after {}", cur.iso(), prev.iso());
            prev = cur;
        }
    }
}
