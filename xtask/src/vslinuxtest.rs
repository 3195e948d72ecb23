//! dinos against Linux: one static musl micro-benchmark, run on both under the same QEMU.
//!
//! `user/linux-tests/vsbench.c` (staged by `linuxtest::stage` as
//! `/linux/tests/vsbench`, with the trivial `vsnull` it executes) times the operations
//! of chapter 2's system-call families (a null call, I/O, files, pipes, processes,
//! signals, page faults) and prints `name ns_per_op`. [`bench`] (`cargo xtask bench
//! --vs-linux`) runs it on dinos, from the shell through the Linux personality, and on
//! Debian's Linux kernel as the `/init` of a tiny initramfs this module writes (cpio,
//! newc format), both under `-icount shift=0` with the same machine and memory, and
//! prints the two side by side. Under `-icount shift=0` the guest clock advances one
//! nanosecond per guest instruction, so the figures repeat run to run and compare the
//! instructions each kernel spends, not the host's mood.
//!
//! The quick test (`vslinux::...`) only checks that the binary runs on dinos and prints
//! every row with a positive figure; the Linux boot needs the kernel package and stays
//! in the bench.

use crate::qemu::Machine;
use crate::session::Session;
use crate::Result;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

type VsTest = fn(&Path) -> Result<()>;

/// The tests, wired into `cargo xtask test` by `test.rs`.
pub const VSLINUX_TESTS: &[(&str, VsTest)] = &[(
    "vslinux::vsbench_runs_on_dinos_and_prints_every_row",
    runs_on_dinos,
)];

/// The rows vsbench prints, in order.
pub const ROWS: &[&str] = &[
    "null_call",
    "read_1",
    "write_1",
    "stat",
    "open_close",
    "pipe_round_trip",
    "ctx_switch",
    "fork_exit_wait",
    "fork_exec_wait",
    "signal",
    "page_fault",
    "create_delete",
];

/// What each row times, for the table.
const WHAT: &[&str] = &[
    "getppid",
    "read 1 byte of /dev/zero",
    "write 1 byte to /dev/null",
    "stat a file in /tmp",
    "open and close a file in /tmp",
    "1 byte there and back over two pipes, two processes",
    "one switch: pipe ping-pong less the pipe transfers",
    "fork, child _exit(0), waitpid",
    "fork, execve a trivial static program, waitpid",
    "kill(self, SIGUSR1) and its handler",
    "first touch of a fresh anonymous page",
    "create, close and unlink a file in /tmp",
];

/// Iterations for the bench (process rows run a tenth of it).
const BENCH_N: u32 = 1000;

/// The `name ns_per_op` rows between vsbench's begin and end lines, in order;
/// anything else on the console (kernel log lines, the echoed command) is skipped.
pub fn parse(text: &str) -> Result<Vec<(String, f64)>> {
    let begin = text
        .find("vsbench: begin")
        .ok_or("vsbench did not start (no `vsbench: begin`)")?;
    let rest = &text[begin..];
    let end = rest.find("vsbench: end").ok_or_else(|| {
        format!(
            "vsbench did not finish:\n{}",
            crate::session::tail(rest, 20)
        )
    })?;
    if let Some(l) = rest[..end].lines().find(|l| l.contains(" failed")) {
        return Err(format!("vsbench: {l}"));
    }
    let mut rows = Vec::new();
    for line in rest[..end].lines().skip(1) {
        let mut w = line.trim_end_matches('\r').split(' ');
        if let (Some(name), Some(v), None) = (w.next(), w.next(), w.next()) {
            if ROWS.contains(&name) {
                let v: f64 = v.parse().map_err(|_| format!("bad figure in {line:?}"))?;
                rows.push((name.to_string(), v));
            }
        }
    }
    Ok(rows)
}

/// Every row, in order, each once, each with a positive figure.
fn check_rows(rows: &[(String, f64)]) -> Result<()> {
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    if names != ROWS {
        return Err(format!("vsbench printed rows {names:?}, want {ROWS:?}"));
    }
    if let Some((n, v)) = rows.iter().find(|(_, v)| !v.is_finite() || *v <= 0.0) {
        return Err(format!("row {n} has a non-positive figure {v}"));
    }
    Ok(())
}

fn runs_on_dinos(kernel: &Path) -> Result<()> {
    // Under `-icount`, as the bench: the figures are instruction counts and repeat, so
    // "positive" is a property of the kernel, not of the host's load. (With wall time
    // `ctx_switch`, a difference of two short timings, came out negative on a busy
    // host once the pipe writer hands the CPU to its reader.)
    let mut m = crate::test::shell_machine(kernel);
    m.icount = true;
    let mut s = Session::boot_shell(&m)?;
    let out = s.run_line("/linux/tests/vsbench 100; echo st''=$?", &["st="])?;
    check_rows(&parse(&out)?)?;
    if !out.contains("st=0") {
        return Err(format!("vsbench did not exit 0:\n{out}"));
    }
    // Bad input is not a crash: a count that is no number runs the minimum.
    let out = s.run_line("/linux/tests/vsbench x; echo st''=$?", &["st="])?;
    check_rows(&parse(&out)?)?;
    Ok(())
}

/// One cpio entry in the "newc" format (the kernel's initramfs format, see
/// Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte ASCII
/// header, the name with its NUL, padding to 4 bytes, the data, padding to 4.
fn cpio_entry(out: &mut Vec<u8>, ino: u32, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]) {
    let nlink = if mode & 0o170000 == 0o040000 { 2 } else { 1 };
    let fields = [
        ino,
        mode,
        0,
        0,
        nlink,
        0,
        data.len() as u32,
        0,
        0,
        rdev.0,
        rdev.1,
        name.len() as u32 + 1,
        0,
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out.extend_from_slice(data);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// The initramfs: vsbench as `/init`, `vsnull` beside it, `/dev` with the console
/// node the kernel opens for init's standard streams, and `/tmp`. Kept under
/// target/ and rewritten only when its bytes change.
fn initramfs() -> Result<PathBuf> {
    let tests = crate::root().join("target/rootfs/linux/tests");
    let read = |n: &str| fs::read(tests.join(n)).map_err(|e| format!("{n}: {e}"));
    let (bench, null) = (read("vsbench")?, read("vsnull")?);
    let mut cpio = Vec::new();
    cpio_entry(&mut cpio, 1, ".", 0o040755, (0, 0), &[]);
    cpio_entry(&mut cpio, 2, "dev", 0o040755, (0, 0), &[]);
    cpio_entry(&mut cpio, 3, "dev/console", 0o020600, (5, 1), &[]);
    cpio_entry(&mut cpio, 4, "tmp", 0o041777, (0, 0), &[]);
    cpio_entry(&mut cpio, 5, "init", 0o100755, (0, 0), &bench);
    cpio_entry(&mut cpio, 6, "vsnull", 0o100755, (0, 0), &null);
    cpio_entry(&mut cpio, 7, "TRAILER!!!", 0, (0, 0), &[]);
    let path = crate::root().join("target/vslinux-initramfs.cpio");
    if fs::read(&path).ok().as_deref() != Some(&cpio[..]) {
        fs::write(&path, &cpio).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(path)
}

/// vsbench on dinos: the shell, then `/linux/tests/vsbench N`, under `-icount`.
fn on_dinos(kernel: &Path, image: &Path) -> Result<Vec<(String, f64)>> {
    let mut m = Machine::new(kernel);
    m.initrd = Some(image.to_path_buf());
    m.icount = true;
    m.no_reboot = true;
    let mut s = Session::start(&m)?;
    s.expect("$ ", Duration::from_secs(120))?;
    s.send(&format!("/linux/tests/vsbench {BENCH_N}\n"))?;
    let out = s.expect("vsbench: end", Duration::from_secs(900))?;
    s.send("poweroff\n")?;
    let _ = s.wait_exit(Duration::from_secs(20));
    parse(&out)
}

/// vsbench as Linux's init, under the same machine; it powers off at the end. `extra`
/// is added to the kernel's command line.
fn on_linux(vmlinuz: &Path, initrd: &Path, extra: &str) -> Result<Vec<(String, f64)>> {
    let mut m = Machine::new(vmlinuz);
    m.initrd = Some(initrd.to_path_buf());
    m.icount = true;
    m.no_reboot = true;
    // Everything after `--` is init's arguments.
    m.append = format!("console=ttyS0 quiet panic=-1{extra} -- {BENCH_N}");
    let mut s = Session::start(&m)?;
    let out = s.expect("vsbench: end", Duration::from_secs(900))?;
    let _ = s.wait_exit(Duration::from_secs(60));
    parse(&out)
}

/// `cargo xtask bench --vs-linux`.
pub fn bench(kernel: &Path, image: &Path) -> Result<()> {
    let vmlinuz = crate::deps::linux_kernel()?;
    let initrd = initramfs()?;
    let dinos = on_dinos(kernel, image)?;
    check_rows(&dinos)?;
    let linux = on_linux(&vmlinuz, &initrd, "")?;
    check_rows(&linux)?;
    // For information only: Linux without its speculative-execution mitigations
    // (page-table isolation and the rest are on by default for QEMU's CPU model,
    // which claims no immunity). The target is against the default kernel.
    let bare = on_linux(&vmlinuz, &initrd, " mitigations=off")?;
    check_rows(&bare)?;
    let kver = vmlinuz
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .trim_start_matches("vmlinuz-")
                .to_string()
        })
        .unwrap_or_default();
    println!(
        "vs-linux: vsbench {BENCH_N} (process rows {}), -icount shift=0 (1 ns = 1 guest instruction), \
         q35, -m 256, 1 CPU; {}; Linux {kver} (Debian linux-image-amd64)",
        BENCH_N / 10,
        crate::bench::qemu_version()
    );
    println!(
        "| operation | what | dinos (ns) | Linux (ns) | ratio | target <= 0.5 | Linux, mitigations=off (ns) | ratio to it |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut met = Vec::new();
    let mut missed = Vec::new();
    for (i, (((name, d), (_, l)), (_, b))) in dinos.iter().zip(&linux).zip(&bare).enumerate() {
        let ratio = d / l;
        let ok = ratio <= 0.5;
        if ok {
            met.push(name.as_str());
        } else {
            missed.push(name.as_str());
        }
        println!(
            "| {name} | {} | {d:.1} | {l:.1} | {ratio:.2} | {} | {b:.1} | {:.2} |",
            WHAT[i],
            if ok { "met" } else { "missed" },
            d / b
        );
    }
    println!(
        "target met for: {}",
        if met.is_empty() {
            "none".into()
        } else {
            met.join(", ")
        }
    );
    println!(
        "target missed for: {}",
        if missed.is_empty() {
            "none".into()
        } else {
            missed.join(", ")
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_rows_and_skips_noise() {
        let text = "$ /linux/tests/vsbench 5\r\nvsbench: begin n=5\r\nnull_call 12.5\r\n\
                    [    1.0] INFO  x: y\r\nread_1 3.0\r\nvsbench: end rows=2\r\n";
        let rows = parse(text).unwrap();
        assert_eq!(
            rows,
            vec![("null_call".into(), 12.5), ("read_1".into(), 3.0)]
        );
        assert!(check_rows(&rows).is_err());
        assert!(parse("vsbench: begin\nvsbench: mmap failed\nvsbench: end").is_err());
        assert!(parse("nothing").is_err());
    }

    #[test]
    fn cpio_entries_are_aligned_newc() {
        let mut v = Vec::new();
        cpio_entry(&mut v, 1, "init", 0o100755, (0, 0), b"abc");
        assert_eq!(&v[..6], b"070701");
        assert_eq!(v.len() % 4, 0);
        // header 110 + "init\0" = 115 -> 116, + 3 data -> 120.
        assert_eq!(v.len(), 120);
        assert_eq!(&v[116..119], b"abc");
    }
}
