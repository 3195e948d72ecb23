//! `xargs [-rt] [-n N] [-I REPL] [COMMAND [ARG...]]`: run COMMAND (default `echo`)
//! with arguments read from standard input (split as `utilcore::xargs` says).
//!
//! Exit status as POSIX gives it: 0; 123 if a command exited 1 to 125; 124 if one
//! exited 255 (xargs then stops); 125 if one was killed by a signal; 126 if the
//! command could not be run; 127 if it was not found; 1 for bad input.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::Read;
use ulib::process::{Command, Stdio};
use ulib::Errno;

const USAGE: &str = "xargs [-rt] [-n N] [-I REPL] [COMMAND [ARG...]]";
const ABOUT: &str = "Run COMMAND (echo if none) with arguments read from standard input.
  -n N     at most N arguments per command    -r  run nothing if there is no input
  -I REPL  one command per input line, the line put in place of REPL in the ARGs
  -t       print each command on standard error before running it";

/// Run one command line; `Err` is the status that must end xargs at once.
fn run(argv: &[String], trace: bool, worst: &mut i32) -> Result<(), i32> {
    if trace {
        ulib::eprintln!("{}", argv.join(" "));
    }
    let st = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::Null)
        .status();
    match st {
        Ok(st) => match (st.code(), st.signal()) {
            (Some(0), _) => Ok(()),
            (Some(255), _) => {
                ulib::eprintln!("xargs: {}: exited with status 255; aborting", argv[0]);
                Err(124)
            }
            (Some(_), _) => {
                *worst = 123;
                Ok(())
            }
            (None, Some(sig)) => {
                ulib::eprintln!("xargs: {}: terminated by signal {sig}", argv[0]);
                Err(125)
            }
            (None, None) => Err(125),
        },
        Err(Errno::ENOENT) => {
            ulib::cli::error(&argv[0], Errno::ENOENT);
            Err(127)
        }
        Err(e) => {
            ulib::cli::error(&argv[0], e);
            Err(126)
        }
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let o = match utilcore::opts::parse(&args, "rt", "nI") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_failure(&e, USAGE),
    };
    let per = match o.value('n').map(utilcore::number::count) {
        None => usize::MAX,
        Some(Some(n)) if n > 0 => n as usize,
        Some(_) => {
            ulib::eprintln!("xargs: invalid number for -n");
            return ulib::cli::usage_failure(USAGE);
        }
    };
    let mut command = o.operands.clone();
    if command.is_empty() {
        command.push(String::from("echo"));
    }
    let mut input = String::new();
    if let Err(e) = ulib::io::stdin().read_to_string(&mut input) {
        ulib::cli::error("read", e);
        return 1;
    }
    let trace = o.has('t');
    let mut worst = 0;
    if let Some(repl) = o.value('I') {
        for line in utilcore::xargs::lines(&input) {
            let argv = utilcore::xargs::replace(&command, repl, &line);
            if let Err(st) = run(&argv, trace, &mut worst) {
                return st;
            }
        }
        return worst;
    }
    let (words, unmatched) = utilcore::xargs::split(&input);
    // At an unmatched quote the arguments before it are still used, as GNU does.
    let bad_input = |worst: i32| match unmatched {
        Some(q) => {
            let which = if q.0 == '"' { "double" } else { "single" };
            ulib::eprintln!("xargs: unmatched {which} quote");
            1
        }
        None => worst,
    };
    if words.is_empty() {
        if o.has('r') || unmatched.is_some() {
            return bad_input(0);
        }
        return run(&command, trace, &mut worst).err().unwrap_or(worst);
    }
    for chunk in words.chunks(per) {
        let mut argv = command.clone();
        argv.extend(chunk.iter().cloned());
        if let Err(st) = run(&argv, trace, &mut worst) {
            return st;
        }
    }
    bad_input(worst)
}
