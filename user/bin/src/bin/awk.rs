//! `awk [-F SEP] [-v VAR=VALUE]... [-f FILE | PROGRAM] [FILE...]`: pattern scanning and
//! processing (`utilcore::awk` has the language). Exit status 2 for a bad program or a
//! run-time error, 2 also if an input could not be read (the others are still run);
//! otherwise the status `exit` gave.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::OpenOptions;
use ulib::io::Write;
use utilcore::awk::{operand_assignment, unescape, Awk, Program};

const USAGE: &str = "awk [-F SEP] [-v VAR=VALUE]... [-f FILE | PROGRAM] [FILE...]";
const ABOUT: &str = "Run PROGRAM on every line of the FILEs (standard input if none).
  -F SEP        split fields at SEP (one character, or an extended regular expression)
  -v VAR=VALUE  set VAR before BEGIN          -f FILE  read the program from FILE
Rules are PATTERN { ACTION }: BEGIN, END, /RE/, expressions, P1,P2 ranges; actions have
print, printf, if, while, for, for-in, next, exit, delete, arrays and the built-ins
length substr index split sub gsub match toupper tolower int sprintf;
print and printf can write to a file with > FILE or >> FILE.";

/// Write what the program printed: to standard output, and to the files of `>`, `>>`.
fn flush(awk: &mut Awk) -> bool {
    let mut stdout = ulib::io::stdout();
    let mut ok = stdout
        .write_all(&awk.out)
        .and_then(|()| stdout.flush())
        .is_ok();
    awk.out.clear();
    for f in awk.files.drain(..) {
        let mut oo = OpenOptions::new();
        oo.write(true).create(true).mode(0o644);
        if f.truncate {
            oo.truncate(true);
        } else {
            oo.append(true);
        }
        if let Err(e) = oo
            .open(&f.name)
            .and_then(|mut file| file.write_all(&f.bytes))
        {
            ulib::cli::error(&f.name, e);
            ok = false;
        }
    }
    ok
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let o = match utilcore::opts::parse(&args, "", "Fvf") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_error(&e, USAGE),
    };
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut text: Option<String> = None;
    for (c, v) in &o.list {
        let v = v.clone().unwrap_or_default();
        match c {
            'F' => {
                let sep = if v == "t" {
                    String::from("\t")
                } else {
                    unescape(&v)
                };
                vars.push((String::from("FS"), sep));
            }
            'v' => match v.split_once('=') {
                Some((k, val)) if !k.is_empty() => vars.push((String::from(k), unescape(val))),
                _ => {
                    ulib::eprintln!("awk: -v needs VAR=VALUE, not `{v}`");
                    return 2;
                }
            },
            'f' => match ulib::fs::read_to_string(&v) {
                Ok(s) => text.get_or_insert_with(String::new).push_str(&s),
                Err(e) => {
                    ulib::cli::error(&v, e);
                    return 2;
                }
            },
            _ => {}
        }
    }
    let mut operands = o.operands.clone();
    let text = match text {
        Some(t) => t,
        None if operands.is_empty() => return ulib::cli::usage_error(USAGE),
        None => operands.remove(0),
    };
    let prog = match Program::compile(&text) {
        Ok(p) => p,
        Err(e) => {
            ulib::eprintln!("awk: {e}");
            return 2;
        }
    };
    let reads = prog.reads_input();
    let mut awk = Awk::new(prog, &vars);
    let mut status = 0;
    let mut result = awk.begin();
    if result.is_ok() && reads && !awk.exited() {
        let files = operands
            .iter()
            .filter(|f| operand_assignment(f).is_none())
            .count();
        if files == 0 {
            operands.push(String::from("-"));
        }
        for f in &operands {
            if let Some((k, v)) = operand_assignment(f) {
                awk.assign(k, v);
                continue;
            }
            let data = match ulib::cli::read_operand(f) {
                Ok(d) => d,
                Err(e) => {
                    ulib::eprintln!("awk: cannot open {f}: {e}");
                    status = 2;
                    continue;
                }
            };
            let name = if f == "-" { "" } else { f.as_str() };
            result = awk.input(name, &data);
            if !flush(&mut awk) {
                return 2;
            }
            if result.is_err() || awk.exited() {
                break;
            }
        }
    }
    let result = result.and_then(|()| awk.end());
    if !flush(&mut awk) {
        return 2;
    }
    match result {
        Ok(s) if status == 0 => s,
        Ok(_) => status,
        Err(e) => {
            ulib::eprintln!("awk: {e}");
            2
        }
    }
}
