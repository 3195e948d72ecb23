//! `fsbench [-m MIB] [-n FILES] [-c KIB] DIR`: file-system benchmarks (chapter 2
//! section 4, file management, measured).
//!
//! Each figure is printed as `fsbench: NAME N ns/op`, the monotonic clock around the
//! work divided by the number of operations; under QEMU's `-icount shift=0`
//! (`cargo xtask bench fs`) a nanosecond is a guest instruction, except while the
//! guest waits for the disk, when QEMU lets the clock follow real time.
//!
//! - `write_64k`: a MIB-MiB file (default 64) written in 64 KiB `write`s; then
//!   `write_8b`, the same per 8 bytes. The data only reaches the block cache.
//! - `sync`: the `sync` that follows, once (it writes the dirty blocks to the disk).
//! - `read_cold_64k`/`read_cold_8b`: the file read back in 64 KiB `read`s after the
//!   sync. What "cold" means here, honestly: dinos has no page cache; file data lives
//!   only in the ext2 block cache, which holds 1024 blocks (1 MiB with the root disk's
//!   1 KiB blocks). A 64 MiB file cannot stay in it, so nearly every block is read from
//!   the virtio disk again; but QEMU serves that disk from the host's page cache, so no
//!   real disk is involved: cold for dinos, warm for the host.
//! - `read_again_64k`/`read_again_8b`: the whole file read a second time. With the
//!   cache far smaller than the file, this is the cold path again (that is the point of
//!   showing it: there is no page cache to make it cheaper).
//! - `read_cached_64k`/`read_cached_8b`: the first KIB KiB (default 256, well inside
//!   the block cache) read over and over after a warm-up pass: the cost of a read that
//!   the block cache satisfies (block lookup plus the copy to user memory).
//! - `create_small`, `ls_l`, `delete_small`: FILES (default 1000) files of 100 bytes
//!   created in one directory (open + write + close), then listed the way `ls -l` does
//!   (`read_dir` and an `lstat` of each entry), then unlinked; per file or entry.
//! - `create_tmpfs`: the same creation in a directory of `/tmp` (a tmpfs: no disk,
//!   no block cache), per file; the files are removed afterwards, untimed.
//! - `scale_1000`, `scale_10000`: the scaling check. That many empty files created
//!   (open + close) in one new directory, each then `stat`ed, then each unlinked;
//!   the time per operation (a third of a file's). If a directory operation cost
//!   grew with the directory, the second figure would be ten times the first.
//!
//! The one design decision: every figure is from one timed pass, no warm-up, except the
//! cached read, whose whole point is the warm state.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use ulib::fs::{self, File};
use ulib::io::{Read, Write};
use ulib::time::Instant;

ulib::entry!(main);

const USAGE: &str = "fsbench [-m MIB] [-n FILES] [-c KIB] DIR";
const CHUNK: usize = 64 * 1024;

struct Options {
    mib: u64,
    files: u64,
    cached_kib: u64,
    dir: String,
}

fn parse(args: &[String]) -> Option<Options> {
    let mut o = Options {
        mib: 64,
        files: 1000,
        cached_kib: 256,
        dir: String::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = || {
            it.next()
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|&v| v > 0)
        };
        match a.as_str() {
            "-m" => o.mib = number()?,
            "-n" => o.files = number()?,
            "-c" => o.cached_kib = number()?,
            s if s.starts_with('-') => return None,
            s if o.dir.is_empty() => o.dir = s.trim_end_matches('/').to_string(),
            _ => return None,
        }
    }
    (!o.dir.is_empty()).then_some(o)
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let Some(o) = parse(&args) else {
        return ulib::cli::usage_error(USAGE);
    };
    match run(&o) {
        Ok(()) => 0,
        Err(e) => {
            ulib::println!("fsbench: failed: {e}");
            1
        }
    }
}

fn report(name: &str, ns: u64, ops: u64) {
    ulib::println!("fsbench: {name} {} ns/op", ns / ops.max(1));
}

/// `ns` spent on `bytes` bytes, per 8 bytes, with two decimals.
fn report_8b(name: &str, ns: u64, bytes: u64) {
    let hundredths = (ns as u128 * 800 / bytes.max(1) as u128) as u64;
    ulib::println!(
        "fsbench: {name} {}.{:02} ns/op",
        hundredths / 100,
        hundredths % 100
    );
}

fn err(what: &str, e: ulib::Errno) -> String {
    format!("{what}: {e:?}")
}

/// Read `f` from the start in 64 KiB reads, `limit` bytes at most; the bytes read.
fn read_through(f: &mut File, buf: &mut [u8], limit: u64) -> Result<u64, String> {
    f.seek(fs::SeekFrom::Start(0)).map_err(|e| err("seek", e))?;
    let mut got = 0u64;
    while got < limit {
        let want = buf.len().min((limit - got) as usize);
        match f.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => got += n as u64,
            Err(e) => return Err(err("read", e)),
        }
    }
    Ok(got)
}

fn run(o: &Options) -> Result<(), String> {
    fs::create_dir_all(&o.dir).map_err(|e| err(&o.dir, e))?;
    let big = fs::join(&o.dir, "big");
    let size = o.mib << 20;
    let mut buf: Vec<u8> = (0..CHUNK).map(|i| (i * 7 + i / 251) as u8).collect();
    let chunks = size / CHUNK as u64;

    let mut f = File::create(&big).map_err(|e| err(&big, e))?;
    let t = Instant::now();
    for _ in 0..chunks {
        f.write_all(&buf).map_err(|e| err("write", e))?;
    }
    let ns = t.elapsed().as_nanos() as u64;
    report("write_64k", ns, chunks);
    report_8b("write_8b", ns, size);
    drop(f);

    let t = Instant::now();
    fs::sync().map_err(|e| err("sync", e))?;
    report("sync", t.elapsed().as_nanos() as u64, 1);

    let mut f = File::open(&big).map_err(|e| err(&big, e))?;
    for name in ["read_cold", "read_again"] {
        let t = Instant::now();
        let got = read_through(&mut f, &mut buf, size)?;
        let ns = t.elapsed().as_nanos() as u64;
        if got != size {
            return Err(format!("{name}: read {got} bytes of {size}"));
        }
        report(&format!("{name}_64k"), ns, chunks);
        report_8b(&format!("{name}_8b"), ns, size);
    }

    let region = (o.cached_kib << 10).min(size);
    read_through(&mut f, &mut buf, region)?; // warm-up: the region enters the cache
    let passes = (16u64 << 20) / region.max(1);
    let passes = passes.clamp(4, 4096);
    let t = Instant::now();
    for _ in 0..passes {
        if read_through(&mut f, &mut buf, region)? != region {
            return Err("read_cached: short read".into());
        }
    }
    let ns = t.elapsed().as_nanos() as u64;
    let bytes = region * passes;
    report("read_cached_64k", ns, bytes.div_ceil(CHUNK as u64));
    report_8b("read_cached_8b", ns, bytes);
    drop(f);
    fs::remove_file(&big).map_err(|e| err(&big, e))?;

    let dir = fs::join(&o.dir, "small");
    fs::create_dir_all(&dir).map_err(|e| err(&dir, e))?;
    let names: Vec<String> = (0..o.files)
        .map(|i| fs::join(&dir, &format!("f{i:05}")))
        .collect();
    let data = vec![b'x'; 100];
    let t = Instant::now();
    for p in &names {
        let mut f = File::create(p).map_err(|e| err(p, e))?;
        f.write_all(&data).map_err(|e| err(p, e))?;
    }
    report("create_small", t.elapsed().as_nanos() as u64, o.files);

    let t = Instant::now();
    let mut entries = 0u64;
    let mut bytes = 0u64;
    for e in fs::read_dir(&dir).map_err(|e| err(&dir, e))? {
        let e = e.map_err(|e| err(&dir, e))?;
        let md = e.metadata().map_err(|er| err(&e.path(), er))?;
        bytes += md.len();
        entries += 1;
    }
    report("ls_l", t.elapsed().as_nanos() as u64, entries);
    if entries != o.files || bytes != o.files * 100 {
        return Err(format!(
            "ls_l: {entries} entries of {bytes} bytes, expected {}",
            o.files
        ));
    }

    let t = Instant::now();
    for p in &names {
        fs::remove_file(p).map_err(|e| err(p, e))?;
    }
    report("delete_small", t.elapsed().as_nanos() as u64, o.files);
    fs::remove_dir(&dir).map_err(|e| err(&dir, e))?;

    let tmp = "/tmp/fsbench-small";
    fs::create_dir_all(tmp).map_err(|e| err(tmp, e))?;
    let names: Vec<String> = (0..o.files)
        .map(|i| fs::join(tmp, &format!("f{i:05}")))
        .collect();
    let t = Instant::now();
    for p in &names {
        let mut f = File::create(p).map_err(|e| err(p, e))?;
        f.write_all(&data).map_err(|e| err(p, e))?;
    }
    report("create_tmpfs", t.elapsed().as_nanos() as u64, o.files);
    for p in &names {
        fs::remove_file(p).map_err(|e| err(p, e))?;
    }
    fs::remove_dir(tmp).map_err(|e| err(tmp, e))?;

    for n in [1000u64, 10000] {
        scale(&fs::join(&o.dir, "scale"), n)?;
    }
    ulib::println!("fsbench: done");
    Ok(())
}

/// `n` empty files in the new directory `dir`: created, then each `stat`ed, then
/// each unlinked; prints the time per operation as `scale_N`.
fn scale(dir: &str, n: u64) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
    let names: Vec<String> = (0..n).map(|i| fs::join(dir, &format!("f{i:05}"))).collect();
    let t = Instant::now();
    for p in &names {
        File::create(p).map_err(|e| err(p, e))?;
    }
    let mut bytes = 0;
    for p in &names {
        bytes += fs::metadata(p).map_err(|e| err(p, e))?.len();
    }
    for p in &names {
        fs::remove_file(p).map_err(|e| err(p, e))?;
    }
    report(&format!("scale_{n}"), t.elapsed().as_nanos() as u64, 3 * n);
    if bytes != 0 {
        return Err(format!("scale_{n}: {bytes} bytes in empty files"));
    }
    fs::remove_dir(dir).map_err(|e| err(dir, e))
}
