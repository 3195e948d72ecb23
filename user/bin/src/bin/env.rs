//! `env [-i] [NAME=VALUE...] [COMMAND [ARG...]]`: print the environment, or run a command in a changed one.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "env [-i] [NAME=VALUE...] [COMMAND [ARG...]]";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let mut rest = &args[..];
    let mut vars = ulib::env::environ();
    while let Some(a) = rest.first() {
        if a == "-i" || a == "-" {
            vars.clear();
        } else if a == "--" {
            rest = &rest[1..];
            break;
        } else if a.starts_with('-') {
            return ulib::cli::bad_option(a.chars().nth(1).unwrap_or('-'), USAGE);
        } else {
            break;
        }
        rest = &rest[1..];
    }
    while let Some(a) = rest.first() {
        let Some((name, _)) = a.split_once('=') else {
            break;
        };
        vars.retain(|v| v.split_once('=').map_or(v.as_str(), |p| p.0) != name);
        vars.push(a.clone());
        rest = &rest[1..];
    }
    if rest.is_empty() {
        for v in &vars {
            ulib::println!("{v}");
        }
        return 0;
    }
    // Look the command up in the new PATH if one was given.
    if let Some(p) = vars.iter().find_map(|v| v.strip_prefix("PATH=")) {
        ulib::env::set_var("PATH", p);
    }
    let e = ulib::process::exec_with_env(&rest[0], rest, &vars);
    ulib::cli::error(&rest[0], e);
    if e == ulib::Errno::ENOENT {
        127
    } else {
        126
    }
}
