//! The tracer and the profiler, tested from the console (`cargo xtask test trace::`).
//!
//! Each test boots the root shell and runs `trace` or `prof` on `tracee`, a program
//! whose calls and hot spots are known in advance (user/bin/src/bin/tracee.rs): its
//! calls must come out in order with their paths, flags, results and errno names as
//! the kernel decodes them; `-c` must count exactly the calls made; `-f` must follow a
//! child; a user who is not root may trace their own process but not another user's
//! (EPERM); and the profile must put more than half of the samples in the function
//! that does most of the work. The bad arguments of calls 140-144 each get their
//! errno (`tracee badwatch`).

use crate::session::Session;
use crate::Result;
use std::path::Path;

type TraceTest = fn(&Path) -> Result<()>;

pub const TRACE_TESTS: &[(&str, TraceTest)] = &[
    (
        "trace::a_traced_program_shows_its_calls_decoded",
        calls_decoded,
    ),
    ("trace::counts_agree_with_the_calls_made", counts),
    ("trace::follow_traces_the_children_too", follow),
    (
        "trace::a_user_cannot_trace_another_users_process",
        permissions,
    ),
    ("trace::bad_arguments_get_their_errno", bad_arguments),
    ("trace::a_traced_program_outlives_its_tracer", tracer_killed),
    ("trace::prof_finds_the_hot_function", prof_hot),
    (
        "trace::help_concepts_follows_the_chapter_map",
        help_concepts,
    ),
    (
        "trace::sysrq_shows_where_each_blocked_thread_sleeps",
        sysrq_blocked,
    ),
];

fn boot(kernel: &Path) -> Result<Session> {
    Session::boot_shell(&crate::test::shell_machine(kernel))
}

/// `lines` must appear in `out` in this order (other lines may come between).
fn in_order(out: &str, lines: &[String]) -> Result<()> {
    let mut it = out.lines().map(str::trim_end);
    for want in lines {
        if !it.any(|l| l == want) {
            return Err(format!("no line {want:?} (in order) in:\n{out}"));
        }
    }
    Ok(())
}

fn calls_decoded(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let out = s.run_line("trace tracee calls", &["+++ exited with 0 +++"])?;
    // The pid is the kernel's to choose: taken from the getpid line.
    let pid = out
        .lines()
        .find_map(|l| l.trim_end().strip_prefix("getpid() = "))
        .ok_or_else(|| format!("no getpid line in:\n{out}"))?;
    let want: Vec<String> = [
        "exec(\"/bin/tracee\", [\"tracee\", \"calls\"], [\"HOME=/\", \"PATH=/bin\", \"PWD=/\", \"TERM=vt100\"]) = 0",
        "open(\"/tracee/missing\", O_RDONLY, 0) = -1 ENOENT (no such file or directory)",
        "open(\"/tmp/tracee.txt\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3",
        "write(3, \"hello, trace\\n\", 13) = 13",
        "close(3) = 0",
        "unlink(\"/tmp/tracee.txt\") = 0",
        &format!("getpid() = {pid}"),
        "exit(0) = ?",
        "+++ exited with 0 +++",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    in_order(&out, &want)?;
    let stat = out
        .lines()
        .find(|l| l.starts_with("stat(\"/tmp/tracee.txt\", {mode=S_IFREG|0644, size=13, ino="))
        .ok_or_else(|| format!("no summarised stat line in:\n{out}"))?;
    if !stat.trim_end().ends_with("}) = 0") {
        return Err(format!("stat's line: {stat}"));
    }
    // The tracer's own calls before the exec are not shown.
    if out
        .lines()
        .any(|l| l.starts_with("close(") && !l.starts_with("close(3)"))
    {
        return Err(format!("the tracer's own close is in the trace:\n{out}"));
    }
    // -e keeps only the calls named.
    let only = s.run_line("trace -e open,unlink tracee calls", &["+++ exited"])?;
    let names: Vec<&str> = only
        .lines()
        .filter(|l| l.contains('('))
        .map(|l| l.split('(').next().unwrap_or(""))
        .collect();
    if names != ["open", "open", "unlink"] {
        return Err(format!("trace -e open,unlink showed {names:?}:\n{only}"));
    }
    Ok(())
}

/// `trace -c`'s row for `call`: (calls, errors).
fn row(out: &str, call: &str) -> Result<(u64, u64)> {
    out.lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 5 && f[4] == call).then(|| (f[0].parse().ok(), f[1].parse().ok()))
        })
        .and_then(|(c, e)| Some((c?, e?)))
        .ok_or_else(|| format!("no row for {call} in:\n{out}"))
}

fn counts(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let out = s.run_line("trace -c tracee nulls 1234", &[" total"])?;
    if row(&out, "null")? != (1234, 0) {
        return Err(format!("null: expected 1234 calls, 0 errors:\n{out}"));
    }
    if row(&out, "exec")? != (1, 0) || row(&out, "exit")? != (1, 0) {
        return Err(format!("exec and exit should be counted once each:\n{out}"));
    }
    let out = s.run_line("trace -c tracee calls", &[" total"])?;
    for (call, want) in [
        ("open", (2, 1)),
        ("write", (1, 0)),
        ("stat", (1, 0)),
        ("getpid", (1, 0)),
    ] {
        if row(&out, call)? != want {
            return Err(format!("{call}: expected {want:?} (calls, errors):\n{out}"));
        }
    }
    Ok(())
}

fn follow(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let out = s.run_line("trace -f tracee fork", &["+++ exited with 0 +++"])?;
    let child = out
        .lines()
        .find_map(|l| {
            l.split_once("] fork() = ")
                .map(|(_, c)| c.trim_end().to_string())
        })
        .ok_or_else(|| format!("no fork line in:\n{out}"))?;
    let want: Vec<String> = vec![
        format!("[{child}] open(\"/tracee/child\", O_RDONLY, 0) = -1 ENOENT (no such file or directory)"),
        format!("[{child}] exit(3) = ?"),
    ];
    in_order(&out, &want)?;
    if !out.contains(&format!("waitpid({child}, [768], 0) = {child}")) {
        return Err(format!(
            "the parent's waitpid (status 3 << 8) is missing:\n{out}"
        ));
    }
    // Without -f the child is not traced.
    let out = s.run_line("trace tracee fork", &["+++ exited with 0 +++"])?;
    if out.contains("/tracee/child") || !out.contains("open(\"/tracee/parent\"") {
        return Err(format!(
            "without -f only the parent should be traced:\n{out}"
        ));
    }
    Ok(())
}

fn permissions(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    // Root's process, traced by an ordinary user: refused.
    let out = s.run_line("tracee sleepy 100 & echo pid=$!", &["pid="])?;
    let pid = out
        .lines()
        .find_map(|l| l.trim_end().strip_prefix("pid="))
        .ok_or_else(|| format!("no pid in:\n{out}"))?
        .to_string();
    let out = s.run_line(
        &format!("su user -c 'trace -p {pid}'; echo status $?"),
        &["status "],
    )?;
    if !out.contains(&format!("trace: cannot attach to {pid}: EPERM")) || !out.contains("status 1")
    {
        return Err(format!("user attaching to root's process:\n{out}"));
    }
    // Root may: the process's calls come, with its pid.
    s.run_line(&format!("kill {pid}"), &[])?;
    let out = s.run_line("tracee sleepy 6 & trace -p $!", &["exit(0) = ?"])?;
    if !out.lines().any(|l| l.contains("] nanosleep(50000000) = 0")) {
        return Err(format!("root's trace -p shows no nanosleep:\n{out}"));
    }
    // A user may trace a process of their own.
    let out = s.run_line(
        "su user -c 'tracee sleepy 6 & trace -p $!'",
        &["exit(0) = ?"],
    )?;
    if !out.lines().any(|l| l.contains("] getpid() = ")) {
        return Err(format!("a user's trace -p of their own process:\n{out}"));
    }
    Ok(())
}

/// The tracer killed while its program runs (asleep, or blocked writing records into
/// the full pipe): the program runs on to its end, untraced, and no SIGPIPE kills it.
fn tracer_killed(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    for (cmd, done) in [
        ("tracee sleepy 40", "tracee: slept 40 times"),
        ("tracee nulls 200000 say", "tracee: 200000 null calls"),
    ] {
        let line = format!("trace {cmd} 2>/dev/null & T=$!; sleep 1; kill $T; echo killed");
        let out = s.run_line(&line, &["killed"])?;
        // The program (now init's child) ends on its own, later.
        if !out.contains(done) {
            s.expect(done, std::time::Duration::from_secs(30))
                .map_err(|e| format!("`{cmd}` did not finish after its tracer was killed: {e}"))?;
        }
    }
    Ok(())
}

fn bad_arguments(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let out = s.run_line("tracee badwatch", &["badwatch: trace_detach self"])?;
    let want: Vec<String> = [
        "trace_attach bad fd: EBADF",
        "trace_attach not a pipe: EINVAL",
        "trace_attach read end: EINVAL",
        "trace_attach bad flags: EINVAL",
        "trace_attach no process: ESRCH",
        "trace_detach untraced: ENOENT",
        "prof_open bad flags: EINVAL",
        "prof_attach not a profile: EINVAL",
        "prof_attach bad fd: EBADF",
        "ksym user address: ENOENT",
        "prof_open past the limit: EAGAIN",
        "prof_open after closing: ok 0",
        "trace_attach self: ok 0",
        "trace_attach again: EBUSY",
        "trace_detach self: ok 0",
    ]
    .iter()
    .map(|l| format!("badwatch: {l}"))
    .collect();
    in_order(&out, &want)?;
    // While it traced itself, its one call in between went to its own pipe.
    let own: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("badwatch: own record: "))
        .collect();
    // (Its println between the two attaches, the refused attach, the next println;
    // the detach itself is not recorded: the trace is gone when the call ends.)
    if own.len() != 3
        || own[0] != "write(1, \"badwatch: trace_attach self: ok \"..., 34) = 34"
        || !own[1].starts_with("trace_attach(0, ")
        || !own[1].ends_with(", 0) = -1 EBUSY (device or resource busy)")
        || !own[2].starts_with("write(1, \"badwatch: trace_attach again: EB\"..., 36)")
    {
        return Err(format!("its own records: {own:?}\n{out}"));
    }
    Ok(())
}

/// `help concepts` takes the sections of docs/chapter2.md in the same order.
fn help_concepts(kernel: &Path) -> Result<()> {
    let doc = std::fs::read_to_string(crate::root().join("docs/chapter2.md"))
        .map_err(|e| format!("docs/chapter2.md: {e}"))?;
    // The numbered headings: `## 3-1. Application ...` gives "3-1".
    let sections: Vec<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .filter_map(|h| h.split_once(". ").map(|(n, _)| n.to_string()))
        .filter(|n| n.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect();
    let mut s = boot(kernel)?;
    let out = s.run_line("help concepts", &["7-4 modules"])?;
    let said: Vec<&str> = out
        .lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect();
    let mut at = said.iter();
    for n in &sections {
        let n = n.split(" and ").next().unwrap_or(n);
        if !at.any(|l| l.starts_with(n)) {
            return Err(format!(
                "section {n} of docs/chapter2.md is missing or out of order in:\n{out}"
            ));
        }
    }
    if said.iter().filter(|l| !l.contains("(not yet")).count() < 15 {
        return Err(format!("too few sections:\n{out}"));
    }
    Ok(())
}

fn prof_hot(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let out = s.run_line("prof -o /tmp/folded tracee hot 400", &["hottest functions"])?;
    let total: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("prof: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no sample count in:\n{out}"))?;
    let hot: u64 = out
        .lines()
        .find(|l| l.trim_end().ends_with(" tracee::hot_function"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("hot_function not in the table:\n{out}"))?;
    if total < 50 || hot * 2 <= total {
        return Err(format!("hot_function has {hot} of {total} samples:\n{out}"));
    }
    // The folded stacks walk the frame-pointer chain from the start code: main (the
    // entry macro's `__dinos_user_main`, `hot` inlined into it) calls the hot function
    // directly and through cold_function.
    let folded = s.run_line("cat /tmp/folded", &[])?;
    let deep = |via: &str| {
        folded.lines().any(|l| {
            l.starts_with("_start;")
                && l.contains(&format!(";__dinos_user_main;{via}tracee::hot_function "))
        })
    };
    if !deep("") || !deep("tracee::cold_function;") {
        return Err(format!(
            "the folded stacks lack main;[cold_function;]hot_function:\n{folded}"
        ));
    }
    Ok(())
}

/// The console's SysRq `w` (a break, then `w`): every blocked thread with the kernel
/// backtrace of its sleep. A `sleep 60` sleeps in `sleep_ticks`, the shell in the
/// terminal's read; the `w` is the kernel's, not the shell's, and the shell goes on.
fn sysrq_blocked(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    s.run_line("sleep 60 &", &[])?;
    s.run_line("echo ready", &["ready"])?;
    let out = s.sysrq('w');
    let sleeps_in = |name: &str, frame: &str| {
        let mut lines = out
            .lines()
            .skip_while(|l| !l.contains(&format!("{name:?} blocked")));
        lines.next().is_some()
            && lines
                .take_while(|l| !l.trim_start().starts_with("tid "))
                .any(|l| l.contains(frame))
    };
    if !sleeps_in("sleep", "sleep_ticks") || !sleeps_in("sh", "Terminal") {
        return Err(format!(
            "SysRq w does not show sleep in sleep_ticks and sh in the terminal's read:\n{out}"
        ));
    }
    if !out.contains("cpu 0: runs") {
        return Err(format!("SysRq w shows no CPU line:\n{out}"));
    }
    let after = s.run_line("echo still here", &["still here"])?;
    if after.contains("command not found") {
        return Err(format!("the SysRq letter reached the shell:\n{after}"));
    }
    Ok(())
}

/// `cargo xtask bench trace`: under `-icount shift=0` (guest time follows the
/// instruction count, so each figure repeats exactly), one boot:
///
/// - a null call untraced, traced (`trace`, the lines thrown away, and `trace -c`),
///   and untraced while another process is traced (the dispatcher's slow path that
///   every call takes while any process is traced);
/// - `tracee hot 300` alone and under `prof` (1 kHz sampling): the slowdown of the
///   CPU-bound loop, as the program itself measures it (target under 3%).
pub fn bench(kernel: &Path, image: &Path) -> Result<()> {
    let mut m = crate::qemu::Machine::new(kernel);
    m.initrd = Some(image.to_path_buf());
    m.no_reboot = true;
    m.icount = true;
    let mut s = Session::boot_shell(&m)?;
    let null = |s: &mut Session, cmd: &str| -> Result<u64> {
        let out = s.run_line(cmd, &[" ns each"])?;
        out.lines()
            .find_map(|l| l.trim_end().strip_prefix("tracee: 20000 null calls, "))
            .and_then(|r| r.strip_suffix(" ns each"))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("no figure from `{cmd}`:\n{out}"))
    };
    let plain = null(&mut s, "tracee nullbench 20000")?;
    let traced = null(&mut s, "trace tracee nullbench 20000 2>/dev/null")?;
    let counted = null(&mut s, "trace -c tracee nullbench 20000 2>/dev/null")?;
    let beside = null(
        &mut s,
        "trace tracee sleepy 100 2>/dev/null & sleep 1; tracee nullbench 20000",
    )?;
    s.run_line("kill %1; wait", &[])?;
    let hot = |s: &mut Session, cmd: &str| -> Result<u64> {
        let out = s.run_line(cmd, &[" ns ("])?;
        out.lines()
            .find_map(|l| l.trim_end().strip_prefix("tracee: hot 300 rounds in "))
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("no figure from `{cmd}`:\n{out}"))
    };
    let alone = hot(&mut s, "tracee hot 300")?;
    let profiled = hot(&mut s, "prof tracee hot 300")?;
    let out = s.run_line("prof -k tracee hot 300", &["hottest kernel"])?;
    let with_kernel = out
        .lines()
        .find_map(|l| l.trim_end().strip_prefix("tracee: hot 300 rounds in "))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| format!("no figure from prof -k:\n{out}"))?;
    let samples = out
        .lines()
        .find_map(|l| l.strip_prefix("prof: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("?")
        .to_string();
    println!(
        "trace: under -icount shift=0, {}",
        crate::bench::qemu_version()
    );
    println!("| null call | guest ns per call |");
    println!("|---|---|");
    println!("| untraced | {plain} |");
    println!("| traced, each line to the tracer (`trace`) | {traced} |");
    println!("| traced, counted (`trace -c`) | {counted} |");
    println!("| untraced, while another process is traced | {beside} |");
    let pct = |a: u64| (a as f64 - alone as f64) * 100.0 / alone as f64;
    println!("| CPU-bound loop (`tracee hot 300`) | guest ms | slowdown |");
    println!("|---|---|---|");
    println!("| alone | {:.1} | |", alone as f64 / 1e6);
    println!(
        "| under `prof` (1 kHz) | {:.1} | {:+.2}% |",
        profiled as f64 / 1e6,
        pct(profiled)
    );
    println!(
        "| under `prof -k` ({samples} samples) | {:.1} | {:+.2}% |",
        with_kernel as f64 / 1e6,
        pct(with_kernel)
    );
    Ok(())
}
