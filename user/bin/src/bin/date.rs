//! `date [-u] [-I] [-d @SECONDS] [+FORMAT]`: the current date and time (or that of
//! SECONDS since 1970), in UTC (dinos has no time zones; `-I`: ISO form; `+FORMAT`:
//! strftime conversions, `utilcore::date`).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::time::{DateTime, SystemTime};
use utilcore::date::Fields;

const USAGE: &str = "date [-u] [-I] [-d @SECONDS] [+FORMAT]";
const ABOUT: &str = "Print the date and time in UTC (dinos has no time zones).
  -I           ISO 8601 form: 2024-02-29 13:05:09
  -d @SECONDS  that many seconds after 1970-01-01 00:00:00 instead of now
  +FORMAT      %Y %m %d %H %M %S %j %a %A %b %B %s %e %y %C %I %p %u %w %F %T %R %D %Z %z %n %t %%";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let o = match utilcore::opts::parse(&args, "uI", "d") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_error(&e, USAGE),
    };
    let secs = match o.value('d') {
        None => SystemTime::now().unix_seconds(),
        Some(d) => match d.strip_prefix('@').and_then(utilcore::number::integer) {
            Some(s) => s,
            None => {
                ulib::eprintln!("date: invalid date '{d}' (only @SECONDS is understood)");
                return 1;
            }
        },
    };
    let now = DateTime::from_unix(secs);
    match o.operands.as_slice() {
        [] if o.has('I') => ulib::println!("{}", now.iso()),
        [] => ulib::println!("{now}"),
        [f] if f.starts_with('+') => {
            let fields = Fields {
                epoch: secs,
                year: now.year,
                month: now.month,
                day: now.day,
                hour: now.hour,
                minute: now.minute,
                second: now.second,
                weekday: now.weekday,
            };
            ulib::println!("{}", utilcore::date::format(&fields, &f[1..]));
        }
        _ => return ulib::cli::usage_error(USAGE),
    }
    0
}
