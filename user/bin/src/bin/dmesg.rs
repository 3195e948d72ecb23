//! `dmesg [-w] [-l LEVEL[,LEVEL...]]`: the kernel log (chapter 2, section 1: the
//! logging and error-detection services), with each line's time since boot and level,
//! read from `/proc/kmsg`. `-w` keeps reading and prints lines as the kernel logs them;
//! `-l` keeps only the named levels (`err`, `warn`, `info`, `debug`, `trace`; Linux's
//! `error`, `emerg`, `alert`, `crit` mean `err`, and `notice` means `info`).
//!
//! `/proc/kmsg`'s positions are positions in the log itself, so a descriptor kept open
//! reads on from where it stopped: following the log is reading again after a pause.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use ulib::fs::File;
use ulib::io::Read;

const USAGE: &str = "dmesg [-w] [-l LEVEL[,LEVEL...]]";

/// How long `-w` waits before looking for new lines.
const FOLLOW_PAUSE: Duration = Duration::from_millis(200);

/// The kernel's name for a level a user may type.
fn level_name(word: &str) -> Option<&'static str> {
    Some(match word.to_ascii_lowercase().as_str() {
        "emerg" | "alert" | "crit" | "err" | "error" => "ERROR",
        "warn" | "warning" => "WARN",
        "notice" | "info" => "INFO",
        "debug" => "DEBUG",
        "trace" => "TRACE",
        _ => return None,
    })
}

/// The level of a log line `[    1.234567] LEVEL target: message`.
fn line_level(line: &str) -> Option<&str> {
    let (_, rest) = line.split_once(']')?;
    rest.split_whitespace().next()
}

/// Print the complete lines of `pending` that pass `levels`, keeping a last partial
/// line for the next read.
fn print_lines(pending: &mut Vec<u8>, levels: &[&str]) {
    let Some(end) = pending.iter().rposition(|&b| b == b'\n') else {
        return;
    };
    let text = String::from_utf8_lossy(&pending[..end + 1]).into_owned();
    pending.drain(..end + 1);
    for line in text.lines() {
        if levels.is_empty() || line_level(line).is_some_and(|l| levels.contains(&l)) {
            ulib::println!("{line}");
        }
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let Ok((args, level_arg)) = ulib::cli::take_value(&args, 'l') else {
        return ulib::cli::usage_error(USAGE);
    };
    let follow = match ulib::cli::parse(&args, "w") {
        Ok(p) if p.operands.is_empty() => p.flags.contains(&'w'),
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    };
    let mut levels = Vec::new();
    for word in level_arg.iter().flat_map(|l| l.split(',')) {
        match level_name(word) {
            Some(l) => levels.push(l),
            None => {
                ulib::eprintln!("dmesg: unknown level '{word}'");
                return 1;
            }
        }
    }
    let mut log = match File::open("/proc/kmsg") {
        Ok(f) => f,
        Err(e) => {
            ulib::cli::error("/proc/kmsg", e);
            return 1;
        }
    };
    let mut pending = Vec::new();
    let mut buf = alloc::vec![0u8; 4096];
    loop {
        match log.read(&mut buf) {
            Ok(0) if !follow => break,
            Ok(0) => ulib::time::sleep(FOLLOW_PAUSE),
            Ok(n) => {
                pending.extend_from_slice(&buf[..n]);
                print_lines(&mut pending, &levels);
            }
            Err(ulib::Errno::EINTR) => continue,
            Err(e) => {
                ulib::cli::error("/proc/kmsg", e);
                return 1;
            }
        }
    }
    if !pending.is_empty() {
        pending.push(b'\n');
        print_lines(&mut pending, &levels);
    }
    0
}
