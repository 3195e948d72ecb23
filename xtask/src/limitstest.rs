//! `limits::`: an ordinary user's hogs are contained and the machine stays usable
//! (issue 17 item 4; docs/reliability.md, "Limits that contain hogs").
//!
//! Each test boots a scratch copy of the root disk at a root shell and runs `hog`
//! (user/bin/src/bin/hog.rs) as `user` through `su user -c`, in the background, so
//! that root's shell works while the hog holds what it took: root runs `ps` and reads
//! `/proc` then. Each hog must end with the errno its limit gives (EAGAIN from the
//! user's `RLIMIT_NPROC`, EMFILE from `RLIMIT_NOFILE`, ENFILE from the open-file
//! table's bound short of root's reserve) or, for memory, with the out-of-memory
//! killer's report naming the process. After each, the counters must be back:
//! processes, threads and open files exactly (`/proc/sys/kernel/counters`), free
//! frames exactly and the kernel heap within [`HEAP_SLACK`] (`sysfuzz --stats`, with
//! the block caches dropped). Power-off comes last (root may), then `e2fsck -fn`.

use crate::session::{tail, Session};
use crate::test::{disk_machine, fsck, scratch_disk};
use crate::Result;
use std::path::Path;
use std::time::Duration;

const BOOT_TIMEOUT: Duration = Duration::from_secs(90);
/// A hog's work under emulation on a loaded machine.
const HOG_TIMEOUT: Duration = Duration::from_secs(60);
/// Heap that may stay after a hog (capacity kept by the run queue, wait queues and
/// the process table's map, which grow to the high-water mark of the bomb).
const HEAP_SLACK: i64 = 16 * 1024;

type LimitsTest = fn(&Path) -> Result<()>;

pub const LIMITS_TESTS: &[(&str, LimitsTest)] = &[
    (
        "limits::a_users_fork_thread_descriptor_pipe_and_socket_hogs_get_eagain_emfile_enfile_while_root_works_and_counters_come_back",
        hogs,
    ),
    (
        "limits::the_oom_killer_ends_the_biggest_users_process_then_the_allocating_one_with_a_report_and_memory_comes_back",
        oom,
    ),
    (
        "limits::fsstress_sysfuzz_forks_and_pipes_together_leave_processes_files_frames_and_heap_back",
        mix,
    ),
];

/// The mixed soak's counter check, short (`soakmix.rs`; `cargo xtask soak` runs it long).
fn mix(kernel: &Path) -> Result<()> {
    crate::soakmix::mixed(kernel, "limits-mix", 5, 15).map(drop)
}

/// The counters a leak check compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    procs: i64,
    threads: i64,
    open_files: i64,
    frames: i64,
    heap: i64,
    oom_kills: i64,
}

fn field(line: &str, name: &str) -> Result<i64> {
    let w: Vec<&str> = line.split_whitespace().collect();
    w.iter()
        .position(|x| *x == name)
        .and_then(|i| w.get(i + 1))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no {name} in {line:?}"))
}

/// Read the counters at root's shell.
pub fn counters(s: &mut Session) -> Result<Counters> {
    // Read by the shell itself, so no `cat` is counted.
    let out = s.run_line(
        "read -r c < /proc/sys/kernel/counters; echo \"$c\"",
        &["oom_kills "],
    )?;
    let c = out
        .lines()
        .find(|l| l.starts_with("procs "))
        .ok_or_else(|| format!("no counters in {out:?}"))?
        .to_string();
    let out = s.run_line("sysfuzz --stats", &["others_mem "])?;
    let st = out
        .lines()
        .find(|l| l.starts_with("sysfuzz: stats "))
        .ok_or_else(|| format!("no stats line in {out:?}"))?
        .to_string();
    Ok(Counters {
        procs: field(&c, "procs")?,
        threads: field(&c, "threads")?,
        open_files: field(&c, "open_files")?,
        frames: field(&st, "free_mem")? + field(&st, "others_mem")?,
        heap: field(&st, "heap_used")?,
        oom_kills: field(&c, "oom_kills")?,
    })
}

/// The counters are back at `base` (see the module header); the OOM count is not
/// compared (a test says how many kills it expects). The error is the leak report:
/// each counter that did not come back, by how much, and for the heap the kernel
/// heap tracker's live allocations when tracking is on.
pub fn leak_report(s: &mut Session, what: &str, base: &Counters) -> Result<Counters> {
    let now = counters(s)?;
    println!(
        "    after {what}: procs {:+}, threads {:+}, open files {:+}, frames {:+} bytes, heap {:+} bytes",
        now.procs - base.procs,
        now.threads - base.threads,
        now.open_files - base.open_files,
        now.frames - base.frames,
        now.heap - base.heap
    );
    let mut grew = Vec::new();
    for (name, a, b) in [
        ("processes", now.procs, base.procs),
        ("threads", now.threads, base.threads),
        ("open files", now.open_files, base.open_files),
        (
            "free frames + process memory (bytes)",
            now.frames,
            base.frames,
        ),
    ] {
        if a != b {
            grew.push(format!("{name}: {b} -> {a} ({:+})", a - b));
        }
    }
    if now.heap - base.heap > HEAP_SLACK {
        grew.push(format!(
            "kernel heap: {} -> {} (+{} > {HEAP_SLACK})",
            base.heap,
            now.heap,
            now.heap - base.heap
        ));
    }
    if grew.is_empty() {
        return Ok(now);
    }
    let mut report = format!("after {what}, not back:\n  {}", grew.join("\n  "));
    if now.heap - base.heap > HEAP_SLACK {
        report.push_str(&crate::fuzztest::heap_report(s, "live heap allocations"));
    }
    Err(report)
}

/// A number just before `marker` in `text` (`"126 forked"` -> 126).
fn number_before(text: &str, marker: &str) -> Option<i64> {
    let at = text.find(marker)?;
    text[..at]
        .split_whitespace()
        .last()?
        .trim_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()
}

/// Boot a scratch disk at root's shell (`mem` MiB).
fn boot(kernel: &Path, name: &str, mem: u32) -> Result<(Session, std::path::PathBuf)> {
    let disk = scratch_disk(name)?;
    let mut m = disk_machine(kernel, &disk);
    m.mem_mib = mem;
    let mut s = Session::start(&m)?;
    s.expect("$ ", BOOT_TIMEOUT)?;
    Ok((s, disk))
}

/// Root's shell works while a hog holds what it took: `ps` lists the hog's
/// processes, `/proc` can be read, a command runs.
fn root_still_works(s: &mut Session, hog_procs_at_least: usize) -> Result<()> {
    let out = s.run_line("ps; echo ps-status $?", &["ps-status "])?;
    if !out.contains("ps-status 0") {
        return Err(format!("root's ps failed while the hog held:\n{out}"));
    }
    let n = out.lines().filter(|l| l.contains(" hog")).count();
    if n < hog_procs_at_least {
        return Err(format!(
            "ps listed {n} hog processes, expected at least {hog_procs_at_least}:\n{}",
            tail(&out, 20)
        ));
    }
    s.run_line("echo root''ok", &["rootok"])?;
    Ok(())
}

/// Run `hog ARGS` as `user` in the background; wait for its summary line, check
/// root's shell while it holds, wait for it to end; returns the summary line.
fn user_hog(s: &mut Session, args: &str, at_least: usize) -> Result<String> {
    let mode = args.split_whitespace().next().unwrap_or("");
    s.send(&format!("su user -c 'hog {args}' &\n"))?;
    s.expect("$ ", HOG_TIMEOUT)?;
    let out = s.expect("; holding ", HOG_TIMEOUT)?;
    let line = out
        .lines()
        .rev()
        .find(|l| l.contains(&format!("hog: {mode}: ")))
        .ok_or_else(|| format!("no summary from hog {mode}:\n{out}"))?
        .trim()
        .to_string();
    println!("    {line}");
    root_still_works(s, at_least)?;
    s.expect(&format!("hog: {mode}: released"), HOG_TIMEOUT)?;
    s.run_line("wait; echo waited''ok", &["waitedok"])?;
    Ok(line)
}

fn hogs(kernel: &Path) -> Result<()> {
    let (mut s, disk) = boot(kernel, "limits-hogs", 256)?;
    let r = (|| -> Result<()> {
        // A user's limits are the defaults init gave everyone.
        s.run_line(
            "su user -c 'echo u=$(ulimit -u) h=$(ulimit -Hu) n=$(ulimit -n)'",
            &["u=128 h=128 n=64"],
        )?;
        // Warm-up: what the kernel keeps once made (tables' capacity) is then in the
        // baseline.
        s.run_line("su user -c 'hog procs 0'", &["hog: procs: released"])?;
        let base = counters(&mut s)?;
        println!("    baseline: {base:?}");

        // A fork bomb: EAGAIN at the user's 128 tasks (su's shell and hog among them).
        let line = user_hog(&mut s, "procs 3", 100)?;
        let n = number_before(&line, "forked").ok_or("no count")?;
        if !line.contains("then EAGAIN") || !(120..128).contains(&n) {
            return Err(format!(
                "the fork bomb should end in EAGAIN a little short of 128: {line}"
            ));
        }
        leak_report(&mut s, "the fork bomb", &base)?;
        // A lower limit set with ulimit holds for what the shell runs.
        let out = s.run_line(
            "su user -c 'ulimit -u 10; hog procs 0'",
            &["hog: procs: released"],
        )?;
        let n = number_before(&out, "forked").ok_or("no count")?;
        if !out.contains("then EAGAIN") || n >= 10 {
            return Err(format!("ulimit -u 10 did not hold: {out}"));
        }

        // Threads are tasks too: the per-process bound (64), then the user's.
        let line = user_hog(&mut s, "threads 3", 2)?;
        let tasks = number_before(&line, "tasks)").ok_or("no task count")?;
        if !line.contains("then EAGAIN;") || !line.contains("fork: EAGAIN") || tasks > 128 {
            return Err(format!(
                "the thread hog was not stopped by EAGAIN at 128 tasks: {line}"
            ));
        }
        leak_report(&mut s, "the thread hog", &base)?;

        // Descriptors: EMFILE at 64 per process, then ENFILE short of root's reserve.
        let line = user_hog(&mut s, "fds 3", 10)?;
        let total = line
            .split("; ")
            .nth(1)
            .and_then(|rest| number_before(rest, " in "))
            .ok_or("no total")?;
        if !line.contains("then EMFILE;") || !line.contains("then ENFILE") || total < 800 {
            return Err(format!(
                "the descriptor hog should meet EMFILE, then ENFILE: {line}"
            ));
        }
        leak_report(&mut s, "the descriptor hog", &base)?;

        // Pipes full of bytes: the same bounds hold the kernel memory they use.
        let line = user_hog(&mut s, "pipes 3", 10)?;
        if !line.contains("then EMFILE;") || !line.contains("then ENFILE") {
            return Err(format!(
                "the pipe hog should meet EMFILE, then ENFILE: {line}"
            ));
        }
        leak_report(&mut s, "the pipe hog", &base)?;

        // Local socket pairs with both buffers full (64 KiB each): the socket
        // count's bound (256, ENFILE) holds the kernel heap they take.
        let line = user_hog(&mut s, "socks 3", 5)?;
        if !line.contains("then EMFILE;") || !line.contains("then ENFILE") {
            return Err(format!(
                "the socket hog should meet EMFILE, then ENFILE: {line}"
            ));
        }
        leak_report(&mut s, "the socket hog", &base)?;
        Ok(())
    })();
    finish(s, &disk, r)
}

fn oom(kernel: &Path) -> Result<()> {
    // 128 MiB: the hogs fill it quickly.
    let (mut s, disk) = boot(kernel, "limits-oom", 128)?;
    let r = (|| -> Result<()> {
        s.run_line("su user -c 'hog mem 4 0'", &["hog: mem: released"])?;
        let base = counters(&mut s)?;
        println!("    baseline: {base:?}");
        // The user's hog takes 56 MiB and holds it; then root's hog takes all it can.
        s.send("su user -c 'hog mem 56 60' &\n")?;
        s.expect("hog: mem: holding 56 MiB", HOG_TIMEOUT)?;
        let t = std::time::Instant::now();
        s.send("hog mem; echo root-hog-status $?\n")?;
        let mut out = s.expect("root-hog-status ", HOG_TIMEOUT)?;
        out.push_str(&s.expect("$ ", HOG_TIMEOUT)?);
        println!("    root's hog ran {:.1} s", t.elapsed().as_secs_f64());
        let reports: Vec<&str> = out
            .lines()
            .filter(|l| l.contains("out of memory: killed pid "))
            .collect();
        for r in &reports {
            println!("    {}", r.trim());
        }
        // First the user's process (the biggest non-root one, bigger than root's
        // process that was allocating then), then, with no user's process left, the
        // allocating one: root's hog's last child, before it had its share.
        let ok = reports.len() == 2
            && reports[0].contains("(hog), uid 1000")
            && reports[1].contains("(hog), uid 0")
            && out.contains("died (signal Some(9))")
            && out.contains("root-hog-status 0");
        if !ok {
            return Err(format!(
                "expected two reports, the user's hog then root's allocating child, killed by SIGKILL:\n{}",
                tail(&out, 30)
            ));
        }
        if let Some(l) = out.lines().find(|l| l.contains("died (signal")) {
            println!("    {}", l.trim());
        }
        root_still_works(&mut s, 0)?;
        s.run_line("wait; echo waited''ok", &["waitedok"])?;
        let dmesg = s.run_line("dmesg | grep -c 'out of memory: killed'", &[])?;
        if !dmesg.contains('2') {
            return Err(format!("dmesg does not hold both reports: {dmesg}"));
        }
        let now = leak_report(&mut s, "the memory hogs", &base)?;
        if now.oom_kills != base.oom_kills + 2 {
            return Err(format!("oom_kills {} -> {}", base.oom_kills, now.oom_kills));
        }
        Ok(())
    })();
    finish(s, &disk, r)
}

/// Power off (root may), then the disk must be clean; a failure carries the
/// console's tail.
fn finish(mut s: Session, disk: &Path, r: Result<()>) -> Result<()> {
    if let Err(e) = r {
        let t = tail(&s.output(), 60);
        let _ = s.kill();
        return Err(format!("{e}\nthe console's last lines:\n{t}"));
    }
    s.send("poweroff\n")?;
    let st = s.wait_exit(Duration::from_secs(60))?;
    if crate::qemu::exit_code(st) != 0 {
        return Err(format!("poweroff ended QEMU with {st:?}"));
    }
    fsck(disk)?;
    let _ = std::fs::remove_file(disk);
    Ok(())
}
