//! `fsstress -f DIR`: fill the disk to `ENOSPC` and check what a full disk does.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs::{self, File};
use ulib::io::Write;
use ulib::Errno;

/// The byte at `off` of fill file `k`: not periodic at any power of two.
fn fill_byte(k: usize, off: u64) -> u8 {
    let x = off.wrapping_mul(0x9E37_79B1) ^ (off >> 11) ^ (k as u64).wrapping_mul(0x5bd1_e995);
    (x ^ (x >> 24)) as u8
}

fn fill_bytes(k: usize, off: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| fill_byte(k, off + i)).collect()
}

fn expect_contents(path: &str, want: &[u8]) -> Result<(), String> {
    let got = fs::read(path).map_err(|e| format!("read {path}: {e:?}"))?;
    if got.len() != want.len() {
        return Err(format!(
            "{path}: {} bytes, {} were written",
            got.len(),
            want.len()
        ));
    }
    match (0..got.len()).find(|&i| got[i] != want[i]) {
        Some(i) => Err(format!("{path}: byte {i} differs")),
        None => Ok(()),
    }
}

/// `fsstress -f DIR`.
pub(crate) fn fill_disk(dir: &str) -> Result<String, String> {
    let statfs = || {
        fs::statfs(dir)
            .map(|s| s.0)
            .map_err(|e| format!("statfs {dir}: {e:?}"))
    };
    fs::sync().map_err(|e| format!("sync: {e:?}"))?;
    let start = statfs()?;
    // Files that exist before the disk fills.
    let mut keep = Vec::new();
    for i in 0..4 {
        let path = format!("{dir}/keep{i}");
        let data = fill_bytes(100 + i, 0, 700 * (i + 1) * (i + 1));
        fs::write(&path, &data).map_err(|e| format!("write {path}: {e:?}"))?;
        keep.push((path, data));
    }
    const CHUNK: usize = 64 * 1024;
    const PER_FILE: u64 = 4 << 20;
    let mut big: Vec<(String, u64)> = Vec::new();
    let mut total = 0u64;
    let mut filled = false;
    'fill: for k in 0..1000 {
        let path = format!("{dir}/big{k}");
        let mut f = match File::create(&path) {
            Ok(f) => f,
            Err(Errno::ENOSPC) => {
                filled = true;
                break;
            }
            Err(e) => return Err(format!("create {path}: {e:?}, expected success or ENOSPC")),
        };
        big.push((path.clone(), 0));
        let mut off = 0u64;
        while off < PER_FILE {
            let r = f.write(&fill_bytes(k, off, CHUNK));
            if let Ok(n) = r {
                off += n as u64;
                total += n as u64;
                big.last_mut().expect("pushed").1 = off;
            }
            match r {
                Ok(CHUNK) => {}
                Ok(0) => return Err(format!("write {path} at {off}: wrote 0 bytes")),
                // A short write: the disk is full, so the next one must fail.
                Ok(_) => match f.write(&fill_bytes(k, off, CHUNK)) {
                    Err(Errno::ENOSPC) => {
                        filled = true;
                        break 'fill;
                    }
                    r => {
                        return Err(format!(
                            "write {path} at {off} after a short write: {r:?}, expected ENOSPC"
                        ))
                    }
                },
                Err(Errno::ENOSPC) => {
                    filled = true;
                    break 'fill;
                }
                Err(e) => return Err(format!("write {path} at {off}: {e:?}, expected ENOSPC")),
            }
        }
    }
    if !filled {
        return Err(format!(
            "{} KiB written and the disk is not full",
            total / 1024
        ));
    }
    let full = statfs()?;
    if full.free_blocks > 16 {
        return Err(format!(
            "ENOSPC with {} blocks still free",
            full.free_blocks
        ));
    }
    for (path, data) in &keep {
        expect_contents(path, data)?;
    }
    for (k, (path, len)) in big.iter().enumerate() {
        expect_contents(path, &fill_bytes(k, 0, *len as usize))?;
    }
    // New small files: each either fits in what is left or fails with ENOSPC.
    let mut extra = Vec::new();
    for i in 0..3 {
        let path = format!("{dir}/new{i}");
        let mut f = match File::create(&path) {
            Ok(f) => f,
            Err(Errno::ENOSPC) => continue,
            Err(e) => return Err(format!("create {path} on a full disk: {e:?}")),
        };
        let data = fill_bytes(200 + i, 0, 4096);
        let n = match f.write(&data) {
            Ok(n) if n <= data.len() => n,
            Err(Errno::ENOSPC) => 0,
            r => {
                return Err(format!(
                    "write {path} on a full disk: {r:?}, expected ENOSPC"
                ))
            }
        };
        drop(f);
        expect_contents(&path, &data[..n])?;
        extra.push(path);
    }
    match fs::create_dir(&format!("{dir}/newdir")) {
        Ok(()) => extra.push(format!("{dir}/newdir")),
        Err(Errno::ENOSPC) => {}
        Err(e) => return Err(format!("mkdir on a full disk: {e:?}, expected ENOSPC")),
    }
    // Give it all back.
    let names = keep
        .iter()
        .map(|(p, _)| p)
        .chain(big.iter().map(|(p, _)| p));
    for path in names {
        fs::remove_file(path).map_err(|e| format!("unlink {path}: {e:?}"))?;
    }
    for path in &extra {
        let r = if path.ends_with("newdir") {
            fs::remove_dir(path)
        } else {
            fs::remove_file(path)
        };
        r.map_err(|e| format!("remove {path}: {e:?}"))?;
    }
    fs::sync().map_err(|e| format!("sync: {e:?}"))?;
    let end = statfs()?;
    if (end.free_blocks, end.free_files) != (start.free_blocks, start.free_files) {
        return Err(format!(
            "after deleting everything: {} free blocks and {} free inodes, {} and {} at the start",
            end.free_blocks, end.free_files, start.free_blocks, start.free_files
        ));
    }
    Ok(format!(
        "{} KiB written in {} files, {} blocks free when full, {} free again",
        total / 1024,
        big.len(),
        full.free_blocks,
        end.free_blocks
    ))
}
