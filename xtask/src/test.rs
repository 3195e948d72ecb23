//! `cargo xtask test`: every test dinos has, host first, then under QEMU.
//!
//! 0. Lint (rustfmt, clippy) and the layering checks (`layers::`, from `cargo metadata`).
//! 1. Host unit tests of the pure crates (`cargo test` on the workspace, kernel binary
//!    excluded); their counts are read from cargo's `test result:` lines.
//! 2. In-kernel tests: one boot with `ktest` on the command line; one result per
//!    `ktest: NAME ... ok|FAILED` line.
//! 3. Fatal-path tests: boots that fault, overflow a stack, exhaust the heap or panic on
//!    purpose; each must print its report and end QEMU with the failure status quickly.
//! 4. Console sessions against the kernel monitor, typed through the serial port.
//!
//! It ends with `N passed, N failed` and exits non-zero if anything failed.

use crate::qemu::{Machine, STATUS_PANIC, STATUS_POWEROFF};
use crate::session::Session;
use crate::{build, deps, root, Result};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Generous: QEMU under software emulation on a loaded 2-core machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
}

impl Tally {
    fn record(&mut self, name: &str, r: Result<()>) {
        match r {
            Ok(()) => {
                self.passed += 1;
                println!("test {name} ... ok");
            }
            Err(e) => {
                println!("test {name} ... FAILED\n{}", indent(&e));
                self.failed.push(name.to_string());
            }
        }
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

pub fn run(args: &[String]) -> Result<u8> {
    let filter = args.first().cloned().unwrap_or_default();
    deps::ensure()?;
    let mut t = Tally::default();

    if filter.is_empty() || "lint".contains(&filter) {
        println!("== lint");
        lint(&mut t);
    }

    let layer_tests: Vec<_> = crate::layers::LAYER_TESTS
        .iter()
        .filter(|(name, _)| filter.is_empty() || name.contains(&filter))
        .collect();
    if !layer_tests.is_empty() {
        println!("== layering");
        for (name, f) in layer_tests {
            t.record(name, f());
        }
    }

    println!("== host unit tests");
    host_tests(&mut t, &filter)?;

    println!("== building the kernel, the programs and the root file system");
    let (kernel, image) = crate::qemu::build_system()?;
    let _ = ROOTFS.set(image);

    let selected = |name: &str| filter.is_empty() || name.contains(&filter);
    if selected("ktest") {
        println!("== in-kernel tests");
        ktests(&mut t, &kernel);
    }
    let name = "ktest::a_cpu_stuck_on_a_spinlock_says_which_lock_and_who_took_it";
    if selected(name) {
        t.record(name, stuck_spinlock_is_reported());
    }
    println!("== fatal paths");
    for case in FATAL_CASES {
        if selected(case.name) {
            let r = fatal_case(&kernel, case);
            t.record(case.name, r);
        }
    }
    println!("== monitor console sessions");
    for (name, f) in MONITOR_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== storage");
    for (name, f) in STORAGE_TESTS
        .iter()
        .chain(crate::storagetest::STORAGE_QEMU_TESTS)
    {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== kernel tests from a user program (usertests)");
    for (name, f) in crate::progtest::PROGRAM_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== shared memory, futexes and semaphores");
    for (name, f) in crate::shmtest::SHM_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== core dumps, limits and accounting");
    for (name, f) in crate::coretest::CORE_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== the tracer and the profiler");
    for (name, f) in crate::tracetest::TRACE_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== message ports and poll");
    for (name, f) in crate::porttest::PORT_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== loadable kernel modules");
    for (name, f) in crate::modtest::MODULE_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== the framebuffer and the desktop");
    for (name, f) in crate::guitest::GUI_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== the network");
    for (name, f) in crate::nettest::NET_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== the Linux personality");
    for (name, f) in crate::linuxtest::LINUX_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== threads");
    for (name, f) in crate::threadtest::THREAD_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== dinos against Linux (vsbench)");
    for (name, f) in crate::vslinuxtest::VSLINUX_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== file utilities and the editor");
    for (name, f) in crate::fstest::FS_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== the text utilities against the host's");
    for (name, f) in crate::utiltest::UTIL_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== users, login and permissions");
    for (name, f) in crate::logintest::LOGIN_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== /proc, dmesg and top");
    for (name, f) in crate::proctest::PROC_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== the system-call fuzzer");
    for (name, f) in crate::fuzztest::FUZZ_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== shell console sessions");
    for (name, f) in crate::shelltest::SHELL_TESTS
        .iter()
        .chain(crate::shcompare::TESTS)
    {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== dynamic linking");
    for (name, f) in crate::dyntest::DYN_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== more than one CPU: affinity");
    for (name, f) in crate::smptest::SMP_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }
    for (name, f) in crate::smptest::FOUR_CPU_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== file I/O without a global lock");
    for (name, f) in crate::iotest::IO_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== the journal: power cuts");
    for (name, f) in crate::journaltest::JOURNAL_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== a file system served from user space");
    for (name, f) in crate::ufsdtest::UFSD_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!("== limits that contain hogs");
    for (name, f) in crate::limitstest::LIMITS_TESTS {
        if selected(name) {
            let r = f(&kernel);
            t.record(name, r);
        }
    }

    println!();
    if !t.failed.is_empty() {
        println!("failed:");
        for f in &t.failed {
            println!("    {f}");
        }
    }
    println!("{} passed, {} failed", t.passed, t.failed.len());
    Ok(if t.failed.is_empty() { 0 } else { 1 })
}

/// Formatting and clippy, for host crates and for the kernel as it is really built.
fn lint(t: &mut Tally) {
    let run = |c: &mut Command| -> Result<()> {
        let out = c.output().map_err(|e| format!("cannot run {c:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                crate::session::tail(&String::from_utf8_lossy(&out.stderr), 60)
            ))
        }
    };
    let cargo = || {
        let mut c = Command::new(env!("CARGO"));
        c.current_dir(root()).env_remove("RUSTFLAGS");
        c
    };
    t.record(
        "lint::rustfmt",
        run(cargo().args(["fmt", "--all", "--", "--check"])),
    );
    t.record(
        "lint::clippy_host_crates",
        run(cargo()
            .args([
                "clippy",
                "--workspace",
                "--exclude",
                "kernel",
                "--exclude",
                "init",
                "--all-targets",
            ])
            .arg("--target-dir")
            .arg(root().join("target").join("host"))
            .args(["--", "-D", "warnings"])),
    );
    t.record(
        "lint::clippy_kernel",
        run(build::kernel_cargo(&["clippy"]).args(["--", "-D", "warnings"])),
    );
}

/// `cargo test` over the host-testable crates, counted from its summary lines.
fn host_tests(t: &mut Tally, filter: &str) -> Result<()> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root())
        .args([
            "test",
            "--workspace",
            "--exclude",
            "kernel",
            "--exclude",
            "init",
            "--exclude",
            "xtask",
            "--no-fail-fast",
        ])
        .arg("--target-dir")
        .arg(root().join("target").join("host"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        // deps::ensure installed e2fsprogs: the ext2 tests must not skip.
        .env("DINOS_REQUIRE_E2FSPROGS", "1");
    if !filter.is_empty() {
        cmd.args(["--", filter]);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut saw_summary = false;
    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|l| l.strip_suffix(" ... ok"))
        {
            t.record(&format!("host::{name}"), Ok(()));
        } else if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|l| l.strip_suffix(" ... FAILED"))
        {
            t.record(
                &format!("host::{name}"),
                Err("see the cargo test output above".into()),
            );
        } else if line.starts_with("test result:") {
            saw_summary = true;
        }
    }
    if !out.status.success() {
        print!("{stdout}");
        eprint!("{stderr}");
        if !saw_summary {
            t.record("host::build", Err("the host tests did not build".into()));
        }
    }
    Ok(())
}

static ROOTFS: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Record the root image built (for commands other than `test` that use the helpers).
pub fn set_rootfs(image: std::path::PathBuf) {
    let _ = ROOTFS.set(image);
}

static LOCKCHECK_KERNEL: std::sync::OnceLock<std::result::Result<std::path::PathBuf, String>> =
    std::sync::OnceLock::new();

/// The kernel with the lock-order checker compiled in (built on first use, once).
pub fn lockcheck_kernel() -> Result<std::path::PathBuf> {
    LOCKCHECK_KERNEL
        .get_or_init(|| crate::build::build_kernel_variant(crate::build::Variant::LockCheck))
        .clone()
}

/// A machine that boots into user space: the kernel plus the root file system image.
pub fn shell_machine(kernel: &Path) -> Machine {
    let mut m = machine(kernel, "");
    m.initrd = ROOTFS.get().cloned();
    m
}

pub fn machine(kernel: &Path, append: &str) -> Machine {
    let mut m = Machine::new(kernel);
    m.append = append.to_string();
    m.no_reboot = true;
    m
}

fn ktests(t: &mut Tally, kernel: &Path) {
    let result = (|| -> Result<String> {
        // In the kernel with the lock-order checker, switched on: every test runs
        // under it.
        let _ = kernel;
        let mut s = Session::start(&machine(&lockcheck_kernel()?, "ktest lockcheck"))?;
        s.expect("ktest: done", BOOT_TIMEOUT)?;
        let status = s.wait_exit(STEP_TIMEOUT)?;
        let out = s.output();
        if status != Some(STATUS_POWEROFF) && !out.contains("FAILED") {
            return Err(format!("QEMU status {status:?} after the tests"));
        }
        Ok(out)
    })();
    match result {
        Ok(out) => {
            let mut n = 0;
            for line in out.lines() {
                let Some(rest) = line.strip_prefix("ktest: ") else {
                    continue;
                };
                if let Some((name, verdict)) = rest.split_once(" ... ") {
                    n += 1;
                    let r = if verdict.trim_end().ends_with("ok") {
                        Ok(())
                    } else {
                        Err(verdict.to_string())
                    };
                    t.record(&format!("ktest::{name}"), r);
                }
            }
            if n == 0 {
                t.record("ktest::run", Err("no test results on the console".into()));
            }
            // The one inversion is the deliberate one of `lock_order_inversion_is_reported`.
            let reports: Vec<&str> = out
                .lines()
                .filter(|l| l.contains("lockcheck: lock order inversion"))
                .collect();
            let stray: Vec<&&str> = reports.iter().filter(|l| !l.contains("ORDER_")).collect();
            t.record(
                "ktest::the_lock_order_checker_finds_no_inversion_but_the_deliberate_one",
                if stray.is_empty() && reports.len() == 1 {
                    Ok(())
                } else {
                    Err(format!("{} inversion reports: {reports:#?}", reports.len()))
                },
            );
        }
        Err(e) => t.record("ktest::run", Err(e)),
    }
}

/// In the lock-order checker's kernel, a CPU that waits seconds for a spinlock says
/// so: which lock, where it waits, and which CPU took the lock where (ktest=lockstuck
/// takes one lock twice, so the wait never ends; the machine is then stopped).
fn stuck_spinlock_is_reported() -> Result<()> {
    let mut s = Session::start(&machine(&lockcheck_kernel()?, "ktest=lockstuck lockcheck"))?;
    s.expect(
        "ktest: taking init::ktest::ORDER_A a second time",
        BOOT_TIMEOUT,
    )?;
    s.expect("lockcheck: CPU 0 has waited ", STEP_TIMEOUT)?;
    s.expect(
        "ms for init::ktest::ORDER_A+0x0 at kernel/init/src/ktest.rs",
        STEP_TIMEOUT,
    )?;
    s.expect(
        "last taken by CPU 0 at kernel/init/src/ktest.rs",
        STEP_TIMEOUT,
    )?;
    s.expect("init::ktest::take_a_spinlock_twice", STEP_TIMEOUT)?;
    Ok(())
}

struct FatalCase {
    name: &'static str,
    append: &'static str,
    /// Text the report must contain, in order.
    expect: &'static [&'static str],
}

const FATAL_CASES: &[FatalCase] = &[
    FatalCase {
        name: "fatal::page_fault_is_reported_with_backtrace",
        append: "ktest=pagefault",
        expect: &[
            "KERNEL EXCEPTION: Page Fault (#PF, vector 14)",
            "faulting address: 0x000000000dead000 (read, page not present, kernel mode)",
            "rip ",
            "backtrace:",
            "init::ktest::deliberate_page_fault",
        ],
    },
    FatalCase {
        name: "fatal::kernel_stack_overflow_hits_guard_page",
        append: "ktest=overflow",
        expect: &[
            "KERNEL EXCEPTION: Page Fault",
            "kernel stack overflow",
            "init::ktest::recurse",
        ],
    },
    FatalCase {
        name: "fatal::heap_exhaustion_is_reported_as_such",
        append: "ktest=oom",
        expect: &["kernel heap out of memory", "KERNEL PANIC", "backtrace:"],
    },
    FatalCase {
        name: "fatal::panic_prints_message_and_backtrace",
        append: "ktest=panic",
        expect: &[
            "KERNEL PANIC in thread 1: deliberate panic requested by ktest=panic",
            "at kernel/init/src/ktest.rs",
            "backtrace:",
            "init::ktest::run",
        ],
    },
];

fn fatal_case(kernel: &Path, case: &FatalCase) -> Result<()> {
    let mut s = Session::start(&machine(kernel, case.append))?;
    s.expect(case.expect[0], BOOT_TIMEOUT)?;
    let reported = Instant::now();
    for e in &case.expect[1..] {
        s.expect(e, STEP_TIMEOUT)?;
    }
    let status = s.wait_exit(STEP_TIMEOUT)?;
    if status != Some(STATUS_PANIC) {
        return Err(format!(
            "QEMU status {status:?}, expected {STATUS_PANIC} (failure)"
        ));
    }
    let took = reported.elapsed();
    if took > Duration::from_secs(5) {
        return Err(format!("QEMU took {took:?} to stop after the report"));
    }
    Ok(())
}

type MonitorTest = fn(&Path) -> Result<()>;

const MONITOR_TESTS: &[(&str, MonitorTest)] = &[
    ("monitor::commands_answer", monitor_commands_answer),
    (
        "monitor::typeahead_before_boot_is_kept",
        monitor_typeahead_kept,
    ),
    (
        "monitor::line_editing_backspace_and_ctrl_c",
        monitor_line_editing,
    ),
    ("monitor::poweroff_exits_cleanly", monitor_poweroff),
];

fn monitor(kernel: &Path) -> Result<Session> {
    let mut s = Session::start(&machine(kernel, ""))?;
    s.expect("dinos> ", BOOT_TIMEOUT)?;
    Ok(s)
}

fn monitor_commands_answer(kernel: &Path) -> Result<()> {
    let mut s = monitor(kernel)?;
    for (cmd, want) in [
        ("help", "poweroff   turn the machine off"),
        ("mem", "frames: "),
        ("threads", "kmain"),
        ("ticks", "ticks at 100 Hz; up "),
        ("log", "dinos ready in"),
        ("frobnicate", "frobnicate: unknown command (try `help`)"),
    ] {
        s.send(&format!("{cmd}\n"))?;
        s.expect(want, STEP_TIMEOUT)?;
        s.expect("dinos> ", STEP_TIMEOUT)?;
    }
    Ok(())
}

fn monitor_typeahead_kept(kernel: &Path) -> Result<()> {
    let mut s = Session::start(&machine(kernel, ""))?;
    // Typed at once, long before the kernel is ready to read.
    s.send("ticks\nthreads\nmem\n")?;
    s.expect("ticks at 100 Hz", BOOT_TIMEOUT)?;
    s.expect("kmain", STEP_TIMEOUT)?;
    s.expect("frames: ", STEP_TIMEOUT)?;
    Ok(())
}

fn monitor_line_editing(kernel: &Path) -> Result<()> {
    let mut s = monitor(kernel)?;
    s.send("tixx\x7f\x7fcks\n")?; // "tixx", two backspaces, "cks" = "ticks"
    s.expect("ticks at 100 Hz", STEP_TIMEOUT)?;
    s.send("poweroff\x03")?; // abandoned with Ctrl-C: must not power off
    s.expect("^C", STEP_TIMEOUT)?;
    s.send("mem\n")?;
    s.expect("frames: ", STEP_TIMEOUT)?;
    Ok(())
}

fn monitor_poweroff(kernel: &Path) -> Result<()> {
    let mut s = monitor(kernel)?;
    s.send("poweroff\n")?;
    let status = s.wait_exit(STEP_TIMEOUT)?;
    if crate::qemu::exit_code(status) != 0 {
        return Err(format!("QEMU status {status:?} after poweroff"));
    }
    Ok(())
}

type StorageTest = fn(&Path) -> Result<()>;

const STORAGE_TESTS: &[(&str, StorageTest)] = &[
    (
        "storage::file_written_before_poweroff_is_there_after_reboot_and_fsck_is_clean",
        persistent_disk,
    ),
    ("storage::reboot_resets_the_machine", reboot_resets),
    (
        "storage::run_updates_the_programs_on_the_disk_and_keeps_user_files",
        |_| crate::diskupdate::updates_keep_user_files(),
    ),
    (
        "storage::root_image_holds_every_program_and_passes_e2fsck",
        root_image_is_complete,
    ),
];

/// The image the xtask built: clean by e2fsck, and every program is in /bin.
fn root_image_is_complete(_kernel: &Path) -> Result<()> {
    let image = ROOTFS.get().ok_or("no root image built")?;
    fsck(image)?;
    let out = Command::new(crate::deps::tool("debugfs"))
        .args(["-R", "ls -l /bin"])
        .arg(image)
        .output()
        .map_err(|e| format!("cannot run debugfs: {e}"))?;
    let listing = String::from_utf8_lossy(&out.stdout);
    for name in crate::userbuild::program_names()? {
        if !listing.split_whitespace().any(|w| w == name) {
            return Err(format!("/bin/{name} is missing from the image:\n{listing}"));
        }
    }
    Ok(())
}

/// `reboot` from the shell resets the machine (with -no-reboot, QEMU then exits).
fn reboot_resets(kernel: &Path) -> Result<()> {
    let mut s = Session::start(&shell_machine(kernel))?;
    s.expect("$ ", BOOT_TIMEOUT)?;
    s.send("reboot\n")?;
    let st = s.wait_exit(STEP_TIMEOUT)?;
    if st != Some(0) {
        return Err(format!(
            "QEMU status {st:?} after reboot, expected a reset (0)"
        ));
    }
    Ok(())
}

/// A scratch copy of the root image, as a persistent virtio disk.
pub fn scratch_disk(name: &str) -> Result<std::path::PathBuf> {
    let image = ROOTFS.get().ok_or("no root image built")?;
    let disk = root().join("target").join(format!("test-{name}.img"));
    std::fs::copy(image, &disk).map_err(|e| format!("{}: {e}", disk.display()))?;
    Ok(disk)
}

pub fn disk_machine(kernel: &Path, disk: &Path) -> Machine {
    let mut m = machine(kernel, "");
    m.disk = Some(disk.to_path_buf());
    m
}

/// `e2fsck -fn`: the image must be clean.
pub fn fsck(disk: &Path) -> Result<()> {
    let out = Command::new(crate::deps::tool("e2fsck"))
        .arg("-fn")
        .arg(disk)
        .output()
        .map_err(|e| format!("cannot run e2fsck: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "e2fsck -fn {} found problems:\n{}{}",
            disk.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn persistent_disk(kernel: &Path) -> Result<()> {
    let disk = scratch_disk("persist")?;
    {
        let mut s = Session::start(&disk_machine(kernel, &disk))?;
        s.expect("$ ", BOOT_TIMEOUT)?;
        s.send("echo kept across boots > /note; echo written''ok\n")?;
        s.expect("writtenok", STEP_TIMEOUT)?;
        s.expect("$ ", STEP_TIMEOUT)?;
        s.send("poweroff\n")?;
        let st = s.wait_exit(STEP_TIMEOUT)?;
        if crate::qemu::exit_code(st) != 0 {
            return Err(format!("first boot ended with status {st:?}"));
        }
    }
    fsck(&disk)?;
    let mut s = Session::start(&disk_machine(kernel, &disk))?;
    s.expect("$ ", BOOT_TIMEOUT)?;
    s.send("cat /note\n")?;
    s.expect("kept across boots", STEP_TIMEOUT)?;
    s.send("poweroff\n")?;
    s.wait_exit(STEP_TIMEOUT)?;
    fsck(&disk)?;
    let _ = std::fs::remove_file(&disk);
    Ok(())
}
