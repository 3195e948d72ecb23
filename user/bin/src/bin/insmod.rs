//! `insmod PATH [ARGS...]`: link a kernel module into the running kernel (chapter 2
//! section 7, "modules"; section 5, loading). The file is read here and handed to the
//! kernel's linker whole (`init_module`); `ARGS` (e.g. `who=dinos`) reach the module's
//! init as one string. Root only. A refusal prints the kernel's reason, for example
//! `insmod: bad.ko: undefined symbol kapi_nothing (not in the kernel's export table)`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "insmod PATH [ARGS...]";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        return ulib::cli::usage_error(USAGE);
    };
    let image = match ulib::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            ulib::cli::error(path, e);
            return 1;
        }
    };
    let margs = args[1..].join(" ");
    let mut why = [0u8; 256];
    match ulib::sys::init_module(&image, &margs, &mut why) {
        Ok(_) => 0,
        Err(e) => {
            let n = why.iter().position(|&b| b == 0).unwrap_or(0);
            match n {
                0 => ulib::cli::error(path, e),
                _ => ulib::eprintln!(
                    "insmod: {path}: {} ({e})",
                    String::from_utf8_lossy(&why[..n])
                ),
            }
            1
        }
    }
}
