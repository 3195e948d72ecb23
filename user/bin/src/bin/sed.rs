//! `sed [-n] [-e SCRIPT]... [-f FILE] [SCRIPT] [FILE...]`: edit lines as they stream
//! past (`utilcore::sed` has the language). Exit status 1 for a bad script, 2 if an
//! input could not be read (the others are still edited), as GNU sed gives.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::Write;
use utilcore::sed::{Editor, Output, Script};

const USAGE: &str = "sed [-n] [-e SCRIPT]... [-f FILE] [SCRIPT] [FILE...]";
const ABOUT: &str =
    "Edit the lines of the FILEs (standard input if none) by SCRIPT; print the result.
  -n         print only what p, = and s///p print
  -e SCRIPT  add SCRIPT (several -e are joined by newlines)   -f FILE  read it from FILE
Commands: s/RE/REPL/[gpNi] p d q =, each after [ADDR[,ADDR]][!]; ADDR is N, $ or /RE/.";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let o = match utilcore::opts::parse(&args, "n", "ef") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_failure(&e, USAGE),
    };
    let mut pieces: Vec<String> = Vec::new();
    for (c, v) in &o.list {
        match (c, v) {
            ('e', Some(s)) => pieces.push(s.clone()),
            ('f', Some(f)) => match ulib::fs::read_to_string(f) {
                Ok(s) => pieces.push(String::from(s.trim_end_matches('\n'))),
                Err(e) => {
                    ulib::cli::error(f, e);
                    return 1;
                }
            },
            _ => {}
        }
    }
    let mut operands = o.operands.clone();
    if pieces.is_empty() {
        if operands.is_empty() {
            return ulib::cli::usage_failure(USAGE);
        }
        pieces.push(operands.remove(0));
    }
    let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    let script = match Script::compile(&refs) {
        Ok(s) => s,
        Err(e) => {
            ulib::eprintln!("sed: -e expression: {e}");
            return 1;
        }
    };
    if operands.is_empty() {
        operands.push(String::from("-"));
    }
    // Everything is read first: `$` must know which line is the last of all.
    let mut status = 0;
    let mut inputs = Vec::new();
    for f in &operands {
        match ulib::cli::read_operand(f) {
            Ok(d) => inputs.push(d),
            Err(e) => {
                ulib::eprintln!("sed: can't read {f}: {e}");
                status = 2;
            }
        }
    }
    let last_input = inputs.iter().rposition(|d| !d.is_empty());
    let mut editor = Editor::new(script, o.has('n'));
    let mut out = Output::default();
    let mut stdout = ulib::io::stdout();
    for (k, data) in inputs.iter().enumerate() {
        let lines = utilcore::lines::split(data);
        for (i, l) in lines.iter().enumerate() {
            let final_line = i + 1 == lines.len();
            let last = final_line && Some(k) == last_input;
            editor.line(l, last, !final_line || data.ends_with(b"\n"), &mut out);
            if out.bytes.len() >= 4096 {
                if let Err(e) = stdout.write_all(&out.bytes) {
                    ulib::cli::error("write", e);
                    return 4;
                }
                out.bytes.clear();
            }
        }
        if editor.quit {
            break;
        }
    }
    if let Err(e) = stdout.write_all(&out.bytes).and_then(|()| stdout.flush()) {
        ulib::cli::error("write", e);
        return 4;
    }
    status
}
