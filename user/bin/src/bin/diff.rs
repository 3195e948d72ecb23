//! `diff [-u | -U N] [-q] [-L LABEL]... FILE1 FILE2`: the lines by which two files
//! differ, in the normal or the unified format (`utilcore::diff`, Myers' algorithm).
//! Exit status 0 if they are the same, 1 if they differ, 2 on trouble.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::io::Write;
use utilcore::diff;

const USAGE: &str = "diff [-u | -U N] [-q] [-L LABEL]... FILE1 FILE2";
const ABOUT: &str = "Compare two files line by line (- is standard input).
  -u        unified output, 3 lines of context     -U N  with N lines of context
  -q        only say whether they differ           -L LABEL  name a file so in -u headers";

/// A unified-format header line: the label, or the name and modification time.
fn header(mark: &str, name: &str, label: Option<&str>) -> String {
    if let Some(l) = label {
        return alloc::format!("{mark} {l}\n");
    }
    let when = if name == "-" {
        ulib::time::SystemTime::now().unix_seconds()
    } else {
        ulib::fs::metadata(name).map(|m| m.mtime()).unwrap_or(0)
    };
    alloc::format!(
        "{mark} {name}\t{}.000000000 +0000\n",
        ulib::time::DateTime::from_unix(when).iso()
    )
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let o = match utilcore::opts::parse(&args, "uqa", "UL") {
        Ok(o) => o,
        Err(e) => return ulib::cli::option_error(&e, USAGE),
    };
    let [fa, fb] = o.operands.as_slice() else {
        ulib::eprintln!("diff: two files are needed");
        return ulib::cli::usage_error(USAGE);
    };
    let context = match o.value('U').map(utilcore::number::count) {
        None => o.has('u').then_some(3),
        Some(Some(n)) => Some(n as usize),
        Some(None) => {
            ulib::eprintln!("diff: invalid context length");
            return ulib::cli::usage_error(USAGE);
        }
    };
    let mut data = [Vec::new(), Vec::new()];
    for (slot, name) in data.iter_mut().zip([fa, fb]) {
        match ulib::cli::read_operand(name) {
            Ok(d) => *slot = d,
            Err(e) => {
                ulib::cli::error(name, e);
                return 2;
            }
        }
    }
    if data[0] == data[1] {
        return 0;
    }
    if o.has('q') {
        ulib::println!("Files {fa} and {fb} differ");
        return 1;
    }
    let (a, b) = (diff::lines(&data[0]), diff::lines(&data[1]));
    let changes = diff::script(&a, &b);
    let out = match context {
        None => diff::normal(&a, &b, &changes),
        Some(c) => {
            let labels = o.values('L');
            let mut v = Vec::new();
            v.extend_from_slice(header("---", fa, labels.first().copied()).as_bytes());
            v.extend_from_slice(header("+++", fb, labels.get(1).copied()).as_bytes());
            v.extend_from_slice(&diff::unified(&a, &b, &changes, c));
            v
        }
    };
    let mut stdout = ulib::io::stdout();
    if let Err(e) = stdout.write_all(&out).and_then(|()| stdout.flush()) {
        ulib::cli::error("write", e);
        return 2;
    }
    1
}
