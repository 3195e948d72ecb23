//! `ufsbench [-n FILES] DIR`: one small-file workload, phase by phase, to compare
//! file systems (chapter 2 section 7: the same work on the in-kernel tmpfs and on
//! `ufsd`, the server in user space; docs/structures.md).
//!
//! In a new directory `DIR/ufsbench`, FILES files (default 200) are created and
//! written (open with O_CREAT, a 100-byte write, close), `stat`ed, read back (open,
//! read, close), listed (one `read_dir` pass, per entry), renamed, and removed; the
//! directory is then removed. Each phase prints `ufsbench: PHASE N ns/op` (the
//! monotonic clock: under `-icount shift=0` a nanosecond is a guest instruction),
//! then `ufsbench: total N ns/file` and `ufsbench: done`. Any failure is printed
//! with its path and the program exits 1.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::{self, File};
use ulib::io::{Read, Write};
use ulib::time::Instant;

ulib::entry!(main);

const USAGE: &str = "ufsbench [-n FILES] DIR";

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let Ok((args, n)) = ulib::cli::take_value(&args, 'n') else {
        return ulib::cli::usage_error(USAGE);
    };
    let files: usize = match n.as_deref().map(str::parse) {
        None => 200,
        Some(Ok(n)) if n > 0 => n,
        _ => return ulib::cli::usage_error(USAGE),
    };
    let [dir] = args.as_slice() else {
        return ulib::cli::usage_error(USAGE);
    };
    match run(&fs::join(dir, "ufsbench"), files) {
        Ok(()) => {
            ulib::println!("ufsbench: done");
            0
        }
        Err(e) => {
            ulib::eprintln!("ufsbench: {e}");
            1
        }
    }
}

fn run(dir: &str, n: usize) -> Result<(), String> {
    let fail = |what: &str, p: &str, e: ulib::Errno| format!("{what} {p}: {e}");
    fs::create_dir(dir).map_err(|e| fail("mkdir", dir, e))?;
    let path = |prefix: &str, i: usize| format!("{dir}/{prefix}{i}");
    let data = [b'x'; 100];
    let mut total = 0u64;
    let mut phase = |name: &str, per: usize, f: &mut dyn FnMut() -> Result<(), String>| {
        let t = Instant::now();
        let r = f();
        let ns = t.elapsed().as_nanos() as u64;
        total += ns;
        ulib::println!("ufsbench: {name} {} ns/op", ns / per as u64);
        r
    };
    phase("create_write", n, &mut || {
        for i in 0..n {
            let p = path("f", i);
            let mut f = File::create(&p).map_err(|e| fail("create", &p, e))?;
            f.write_all(&data).map_err(|e| fail("write", &p, e))?;
        }
        Ok(())
    })?;
    phase("stat", n, &mut || {
        for i in 0..n {
            let p = path("f", i);
            let m = fs::metadata(&p).map_err(|e| fail("stat", &p, e))?;
            if m.len() != 100 {
                return Err(format!("stat {p}: size {}", m.len()));
            }
        }
        Ok(())
    })?;
    phase("read", n, &mut || {
        let mut buf = [0u8; 256];
        for i in 0..n {
            let p = path("f", i);
            let mut f = File::open(&p).map_err(|e| fail("open", &p, e))?;
            let got = f.read(&mut buf).map_err(|e| fail("read", &p, e))?;
            if buf[..got] != data[..] {
                return Err(format!("read {p}: {got} bytes, not the 100 written"));
            }
        }
        Ok(())
    })?;
    phase("list", n, &mut || {
        let count = fs::read_dir(dir)
            .map_err(|e| fail("read_dir", dir, e))?
            .filter(|e| e.is_ok())
            .count();
        if count != n {
            return Err(format!("read_dir {dir}: {count} entries, not {n}"));
        }
        Ok(())
    })?;
    phase("rename", n, &mut || {
        for i in 0..n {
            let (a, b) = (path("f", i), path("g", i));
            fs::rename(&a, &b).map_err(|e| fail("rename", &a, e))?;
        }
        Ok(())
    })?;
    phase("unlink", n, &mut || {
        for i in 0..n {
            let p = path("g", i);
            fs::remove_file(&p).map_err(|e| fail("unlink", &p, e))?;
        }
        Ok(())
    })?;
    fs::remove_dir(dir).map_err(|e| fail("rmdir", dir, e))?;
    ulib::println!("ufsbench: total {} ns/file", total / n as u64);
    Ok(())
}
