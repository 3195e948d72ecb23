//! `date +FORMAT`: the strftime conversions of POSIX `date`, in UTC (dinos has no time
//! zones). The calendar fields come from the caller (ulib's `DateTime`); this module
//! only lays them out.

use alloc::string::String;

/// A moment, broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    pub epoch: i64,
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

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// The day of the year, 1..=366.
pub fn day_of_year(f: &Fields) -> u32 {
    const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    BEFORE[(f.month - 1) as usize] + f.day + u32::from(f.month > 2 && leap(f.year))
}

/// `format` with its `%` conversions replaced; an unknown one is kept as it is.
pub fn format(f: &Fields, format: &str) -> String {
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(k) = chars.next() else {
            out.push('%');
            break;
        };
        let month = MONTHS[(f.month - 1) as usize];
        let day = DAYS[f.weekday as usize];
        let hour12 = match f.hour % 12 {
            0 => 12,
            h => h,
        };
        let s = match k {
            'Y' => alloc::format!("{}", f.year),
            'C' => alloc::format!("{:02}", f.year.div_euclid(100)),
            'y' => alloc::format!("{:02}", f.year.rem_euclid(100)),
            'm' => alloc::format!("{:02}", f.month),
            'd' => alloc::format!("{:02}", f.day),
            'e' => alloc::format!("{:2}", f.day),
            'H' => alloc::format!("{:02}", f.hour),
            'I' => alloc::format!("{hour12:02}"),
            'M' => alloc::format!("{:02}", f.minute),
            'S' => alloc::format!("{:02}", f.second),
            'p' => String::from(if f.hour < 12 { "AM" } else { "PM" }),
            'j' => alloc::format!("{:03}", day_of_year(f)),
            'a' => String::from(&day[..3]),
            'A' => String::from(day),
            'b' | 'h' => String::from(&month[..3]),
            'B' => String::from(month),
            'u' => alloc::format!("{}", if f.weekday == 0 { 7 } else { f.weekday }),
            'w' => alloc::format!("{}", f.weekday),
            's' => alloc::format!("{}", f.epoch),
            'F' => alloc::format!("{}-{:02}-{:02}", f.year, f.month, f.day),
            'T' => alloc::format!("{:02}:{:02}:{:02}", f.hour, f.minute, f.second),
            'R' => alloc::format!("{:02}:{:02}", f.hour, f.minute),
            'D' => alloc::format!("{:02}/{:02}/{:02}", f.month, f.day, f.year.rem_euclid(100)),
            'Z' => String::from("UTC"),
            'z' => String::from("+0000"),
            'n' => String::from("\n"),
            't' => String::from("\t"),
            '%' => String::from("%"),
            other => alloc::format!("%{other}"),
        };
        out.push_str(&s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        // 2024-02-29 13:05:09 UTC, a Thursday.
        let f = Fields {
            epoch: 1_709_211_909,
            year: 2024,
            month: 2,
            day: 29,
            hour: 13,
            minute: 5,
            second: 9,
            weekday: 4,
        };
        assert_eq!(
            format(&f, "%Y-%m-%d %H:%M:%S %j %a %b %s %%"),
            "2024-02-29 13:05:09 060 Thu Feb 1709211909 %"
        );
        assert_eq!(
            format(&f, "%A %B %e %I%p %F %T %u %q"),
            "Thursday February 29 01PM 2024-02-29 13:05:09 4 %q"
        );
        let dec31 = Fields {
            month: 12,
            day: 31,
            ..f
        };
        assert_eq!(day_of_year(&dec31), 366);
    }
}
