//! File-system stress tests and the file-system benchmark, run inside dinos.
//!
//! The tests boot with a scratch copy of the root image as the persistent virtio
//! disk, run `fsstress` (a random workload checked against a model, or a fill to
//! `ENOSPC`) from the shell, power off cleanly and then ask `e2fsck -fn` whether what
//! the kernel left on the disk is a consistent ext2 file system: the in-guest program
//! checks what the calls return, the host checks what reached the disk.
//!
//! `fs_bench` runs `fsbench` under `-icount shift=0` on a copy of the root image grown
//! to 128 MiB (the 16 MiB image cannot hold the 64 MiB file), and prints the figures as
//! a markdown table for docs/benchmarks.md.

// Not called until test.rs and bench.rs wire these in; remove this line then.

use crate::session::Session;
use crate::test::{disk_machine, fsck, scratch_disk};
use crate::Result;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Generous: software emulation on a loaded 2-core machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(90);
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// For a whole fsstress run.
const RUN_TIMEOUT: Duration = Duration::from_secs(1500);

type StorageTest = fn(&Path) -> Result<()>;

pub const STORAGE_QEMU_TESTS: &[(&str, StorageTest)] = &[
    (
        "storage::fsstress_10000_random_ops_match_the_model_and_fsck_is_clean",
        fsstress_random,
    ),
    (
        "storage::full_disk_gives_enospc_loses_nothing_and_frees_every_block",
        fsstress_full_disk,
    ),
];

/// Run `cmd` at the shell prompt and wait for the next prompt; the output must
/// contain `want`.
fn run_expecting(s: &mut Session, cmd: &str, want: &str, timeout: Duration) -> Result<String> {
    s.send(&format!("{cmd}\n"))?;
    s.expect(cmd, STEP_TIMEOUT)?; // the echo: what follows is the output
    let out = s.expect("$ ", timeout)?;
    if out.contains(want) {
        Ok(out)
    } else {
        Err(format!(
            "`{cmd}` did not print {want:?}; it printed:\n{out}"
        ))
    }
}

/// `poweroff` from the shell: QEMU must exit with the power-off status.
fn power_off(s: &mut Session) -> Result<()> {
    s.send("poweroff\n")?;
    let st = s.wait_exit(STEP_TIMEOUT)?;
    if crate::qemu::exit_code(st) != 0 {
        return Err(format!("poweroff ended QEMU with status {st:?}"));
    }
    Ok(())
}

/// Run `cmds` (command, expected output) on a scratch disk, power off cleanly and
/// check the disk with `e2fsck -fn`. When a command fails, the machine is still
/// powered off and the disk checked, and both findings are reported.
fn on_scratch_disk(kernel: &Path, name: &str, cmds: &[(&str, &str, Duration)]) -> Result<()> {
    let disk = scratch_disk(name)?;
    let ran = {
        let mut s = Session::start(&disk_machine(kernel, &disk))?;
        s.expect("$ ", BOOT_TIMEOUT)?;
        let ran = cmds
            .iter()
            .try_for_each(|&(cmd, want, t)| run_expecting(&mut s, cmd, want, t).map(drop));
        power_off(&mut s)?;
        ran
    };
    match (ran, fsck(&disk)) {
        (Ok(()), Ok(())) => {
            let _ = std::fs::remove_file(&disk);
            Ok(())
        }
        (Err(e), Ok(())) => Err(format!(
            "{e}
(e2fsck found the disk clean)"
        )),
        (Ok(()), Err(f)) => Err(f),
        (Err(e), Err(f)) => Err(format!(
            "{e}
{f}"
        )),
    }
}

fn fsstress_random(kernel: &Path) -> Result<()> {
    on_scratch_disk(
        kernel,
        "fsstress",
        &[
            ("mkdir /stress", "", STEP_TIMEOUT),
            (
                "fsstress -n 10000 /stress",
                "fsstress: 10000 ops ok",
                RUN_TIMEOUT,
            ),
        ],
    )
}

fn fsstress_full_disk(kernel: &Path) -> Result<()> {
    on_scratch_disk(
        kernel,
        "fsfill",
        &[
            ("fsstress -f /fill", "fsstress: full disk ok", RUN_TIMEOUT),
            // Still usable: a program loads, a file is written and read.
            ("ls /bin", "fsstress", STEP_TIMEOUT),
            (
                "echo after''fill > /fill/note; cat /fill/note",
                "afterfill",
                STEP_TIMEOUT,
            ),
        ],
    )
}

/// Extend the ext2 image `path` to `mib` MiB and grow its file system to fill it
/// (`e2fsck -fp`, which `resize2fs` insists on, then `resize2fs`).
pub fn grow_disk(path: &Path, mib: u64) -> Result<()> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.set_len(mib << 20)
        .map_err(|e| format!("cannot extend {}: {e}", path.display()))?;
    drop(f);
    for (tool, args) in [("e2fsck", &["-fp"][..]), ("resize2fs", &[][..])] {
        let out = Command::new(crate::deps::tool(tool))
            .args(args)
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run {tool} ({e}): install e2fsprogs"))?;
        if !out.status.success() {
            return Err(format!(
                "{tool} {} failed:\n{}{}",
                path.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(())
}

/// `cargo xtask bench fs`: `fsbench /b` at full size under `-icount shift=0`.
/// Call after `build_system` (it copies the root image that built).
pub fn fs_bench(kernel: &Path) -> Result<()> {
    let image = crate::root().join("target").join("rootfs.img");
    let disk = crate::root().join("target").join("bench-fs.img");
    std::fs::copy(&image, &disk)
        .map_err(|e| format!("{}: {e} (build the system first)", image.display()))?;
    grow_disk(&disk, 128)?;
    let mut m = disk_machine(kernel, &disk);
    m.icount = true;
    let mut s = Session::start(&m)?;
    s.expect("$ ", BOOT_TIMEOUT)?;
    let out = run_expecting(&mut s, "fsbench /b", "fsbench: done", RUN_TIMEOUT)?;
    power_off(&mut s)?;
    fsck(&disk)?;
    let _ = std::fs::remove_file(&disk);

    let figure = |name: &str| -> Result<String> {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("fsbench: {name} ")))
            .and_then(|r| r.strip_suffix(" ns/op"))
            .map(str::to_string)
            .ok_or_else(|| format!("fsbench printed no {name} figure:\n{out}"))
    };
    println!(
        "fs: fsbench /b under -icount shift=0 (1 ns = 1 guest instruction while the CPU runs),"
    );
    println!(
        "128 MiB ext2 disk with 1 KiB blocks, 1 MiB block cache, {}",
        crate::bench::qemu_version()
    );
    println!("| operation | guest ns per op | per 8 bytes |");
    println!("|---|---|---|");
    for (label, op, per8) in [
        (
            "write 64 MiB in 64 KiB writes (into the block cache)",
            "write_64k",
            Some("write_8b"),
        ),
        ("sync after the write (once; eviction from the 1 MiB cache had written most blocks already)", "sync", None),
        (
            "read back after sync, 64 KiB reads (\"cold\": blocks from the virtio disk)",
            "read_cold_64k",
            Some("read_cold_8b"),
        ),
        (
            "read again (file 64x the block cache: cold again, no page cache)",
            "read_again_64k",
            Some("read_again_8b"),
        ),
        (
            "cached read, 256 KiB region in the block cache",
            "read_cached_64k",
            Some("read_cached_8b"),
        ),
        (
            "create a 100-byte file (1,000 in one directory)",
            "create_small",
            None,
        ),
        (
            "ls -l of 1,000 entries (read_dir + lstat), per entry",
            "ls_l",
            None,
        ),
        ("delete a small file (1,000)", "delete_small", None),
        (
            "create a 100-byte file on tmpfs (1,000 in one directory of /tmp)",
            "create_tmpfs",
            None,
        ),
        (
            "1,000 files in one directory: create + stat + delete, per op",
            "scale_1000",
            None,
        ),
        (
            "10,000 files in one directory: create + stat + delete, per op",
            "scale_10000",
            None,
        ),
    ] {
        let p8 = match per8 {
            Some(n) => figure(n)?,
            None => String::new(),
        };
        println!("| {label} | {} | {p8} |", figure(op)?);
    }
    println!(
        "Figures that wait for the disk (write, sync, cold reads, create) include real time: \
         while the guest idles QEMU advances its clock by real time, so they vary run to run; \
         the cached read, ls -l and delete figures repeat to within 1%."
    );
    let cached: f64 = figure("read_cached_8b")?
        .parse()
        .map_err(|_| "unreadable read_cached_8b figure".to_string())?;
    let verdict = if cached <= 1.0 { "meets" } else { "misses" };
    println!(
        "target: cached read at most 1 guest instruction per 8 bytes: {verdict} it ({cached:.2})"
    );
    let per_op = |name: &str| -> Result<f64> {
        figure(name)?
            .parse()
            .map_err(|_| format!("unreadable {name} figure"))
    };
    let growth = per_op("scale_10000")? / per_op("scale_1000")?.max(1.0);
    let verdict = if growth <= 1.5 { "meets" } else { "misses" };
    println!(
        "target: a directory operation among 10,000 files at most 1.5x its cost among 1,000: \
         {verdict} it ({growth:.2}x)"
    );
    Ok(())
}
