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
    (
        "bench",
        "bench [NAME...]: time system calls, pipes, fork, spawn and exec",
    ),
    ("cat", "cat [FILE...]: print files, or standard input"),
    (
        "chmod",
        "chmod MODE FILE...: change permission bits (octal or u+x)",
    ),
    ("cp", "cp [-rf] SOURCE... DEST: copy files and trees"),
    ("date", "date [-I]: the date and time (UTC)"),
    (
        "crash",
        "crash stack: overrun the stack on purpose (see the kernel stop a program)",
    ),
    ("df", "df: space used and free on each file system"),
    ("du", "du [-sk] [PATH...]: disk space used, in KiB"),
    ("echo", "echo [-n] [WORD...]: print words"),
    (
        "edit",
        "edit FILE: full-screen text editor (^S save, ^Q quit, ^F find)",
    ),
    (
        "env",
        "env [-i] [NAME=VALUE...] [COMMAND...]: show or change the environment",
    ),
    ("false", "false: fail (exit status 1)"),
    (
        "find",
        "find [PATH...] [-name GLOB] [-type f|d|l]: walk directory trees",
    ),
    ("free", "free [-b|-k|-m]: memory use"),
    (
        "fsbench",
        "fsbench [-m MIB] [-n FILES] [-c KIB] DIR: file-system benchmarks",
    ),
    (
        "fsstress",
        "fsstress [-s SEED] [-n OPS] DIR | -f DIR: file-system stress test against a model",
    ),
    (
        "grep",
        "grep [-ivnrc] PATTERN [FILE...]: print lines matching a regular expression",
    ),
    ("head", "head [-n N] [FILE...]: the first lines"),
    ("help", "help: this list"),
    ("hexdump", "hexdump [-C] [FILE...]: bytes in hexadecimal"),
    (
        "init",
        "init: the first process; starts the shell and reaps orphans",
    ),
    (
        "kill",
        "kill [-SIGNAL] PID...: send a signal (kill -l lists them)",
    ),
    ("ln", "ln [-sf] TARGET LINK: make a hard or symbolic link"),
    ("ls", "ls [-alR] [PATH...]: list directories"),
    ("mkdir", "mkdir [-p] [-m MODE] DIR...: make directories"),
    ("more", "more [FILE...]: show text a screenful at a time"),
    (
        "mount",
        "mount [-t TYPE SOURCE TARGET]: list or mount file systems",
    ),
    ("mv", "mv SOURCE... DEST: move or rename files"),
    ("poweroff", "poweroff: turn the machine off"),
    ("ps", "ps: list processes"),
    ("reboot", "reboot: restart the machine"),
    ("rm", "rm [-rf] PATH...: remove files and trees"),
    ("rmdir", "rmdir [-p] DIR...: remove empty directories"),
    ("sh", "sh [SCRIPT]: the command interpreter"),
    ("sleep", "sleep SECONDS: wait"),
    (
        "stat",
        "stat [-L] PATH...: everything stat says about a file",
    ),
    ("sync", "sync: write cached blocks to the disks"),
    (
        "tail",
        "tail [-n N] [FILE...]: the last lines (of standard input too)",
    ),
    (
        "touch",
        "touch [-acm] FILE...: create files or set their times to now",
    ),
    ("true", "true: succeed (exit status 0)"),
    ("umount", "umount TARGET...: unmount file systems"),
    ("uname", "uname [-asnrvm]: the system's name and version"),
    ("uptime", "uptime: time since boot"),
    (
        "usertests",
        "usertests [NAME...]: test the kernel from a program (xv6 style)",
    ),
    ("wc", "wc [-lwc] [FILE...]: count lines, words and bytes"),
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
