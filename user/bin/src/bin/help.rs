//! `help`: every command in /bin with one line about it.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "help";

/// One line per program in /bin (keep in step with user/bin/src/bin).
const COMMANDS: &[(&str, &str)] = &[
    ("cat", "cat [FILE...]: print files, or standard input"),
    ("date", "date [-I]: the date and time (UTC)"),
    (
        "crash",
        "crash stack: overrun the stack on purpose (see the kernel stop a program)",
    ),
    ("echo", "echo [-n] [WORD...]: print words"),
    (
        "env",
        "env [-i] [NAME=VALUE...] [COMMAND...]: show or change the environment",
    ),
    ("false", "false: fail (exit status 1)"),
    ("free", "free [-b|-k|-m]: memory use"),
    ("help", "help: this list"),
    (
        "init",
        "init: the first process; starts the shell and reaps orphans",
    ),
    (
        "kill",
        "kill [-SIGNAL] PID...: send a signal (kill -l lists them)",
    ),
    ("ls", "ls [-alR] [PATH...]: list directories"),
    ("poweroff", "poweroff: turn the machine off"),
    ("ps", "ps: list processes"),
    ("reboot", "reboot: restart the machine"),
    ("sh", "sh [SCRIPT]: the command interpreter"),
    ("sleep", "sleep SECONDS: wait"),
    ("true", "true: succeed (exit status 0)"),
    ("uname", "uname [-asnrvm]: the system's name and version"),
    ("uptime", "uptime: time since boot"),
];

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    match ulib::cli::parse(&args, "") {
        Ok(p) if p.operands.is_empty() => {}
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    }
    ulib::println!("Commands in /bin:");
    for (name, line) in COMMANDS {
        ulib::println!("  {name:<9} {line}");
    }
    // Programs added to /bin without a line here still get listed.
    if let Ok(dir) = ulib::fs::read_dir("/bin") {
        let mut extra: Vec<String> = dir
            .filter_map(|e| e.ok())
            .map(|e| String::from(e.file_name()))
            .filter(|n| !COMMANDS.iter().any(|(c, _)| c == n))
            .collect();
        extra.sort();
        for name in extra {
            ulib::println!("  {name}");
        }
    }
    0
}
