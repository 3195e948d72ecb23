//! The Linux personality, tested against Linux itself (docs/linux.md).
//!
//! Two halves. [`stage`] puts Linux programs into the root image: Debian's
//! `busybox-static` as `/linux/bin/busybox` with a symbolic link per applet
//! (`/linux/bin/sh`, `/linux/bin/ls`, ...), the C programs of `user/linux-tests`
//! built with `musl-gcc -static` into `/linux/tests`, and one built with the host's
//! `gcc` (dynamically linked, run by the `dyn::` tests). The tests then boot dinos, run
//! those unmodified binaries from the dinos shell, and compare what they print with
//! what the *same binaries* print when the host's Linux runs the same command: the
//! expected output is made by the test, on the host, each time.
//!
//! Design decision: every guest command is bracketed by two markers (typed as
//! `@@B''EGIN`, printed as `@@BEGIN`, so the echo of the typed line never matches) and
//! kernel log lines are dropped from what is between them, so a program's output is
//! compared byte for byte with the host's, and a missing system call (logged once by
//! the kernel) shows up as a failed comparison only through its effect.

use crate::session::Session;
use crate::Result;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

type LinuxTest = fn(&Path) -> Result<()>;

/// The tests, wired into `cargo xtask test` by `test.rs`.
pub const LINUX_TESTS: &[(&str, LinuxTest)] = &[
    (
        "linux::musl_programs_print_what_they_print_on_linux",
        musl_programs,
    ),
    (
        "linux::absurd_arguments_get_linux_errors_and_the_kernel_survives",
        bad_arguments,
    ),
    (
        "linux::busybox_applets_print_what_they_print_on_linux",
        busybox_applets,
    ),
    (
        "linux::a_native_shell_pipes_through_linux_programs",
        mixed_pipeline,
    ),
    ("linux::linux_programs_give_back_every_frame", no_leaks),
    (
        "linux::trace_names_linux_calls_and_their_table",
        trace_names,
    ),
    (
        "linux::busybox_sh_on_the_terminal_runs_jobs_traps_and_heredocs",
        interactive_sh,
    ),
    (
        "linux::busybox_ps_free_df_uptime_read_proc_as_on_linux",
        proc_applets,
    ),
    (
        "linux::nonblocking_pipes_and_ioctls_print_what_they_print_on_linux",
        nonblock_ioctls,
    ),
    ("linux::busybox_vi_edits_a_file_on_the_terminal", vi_smoke),
    (
        "linux::sa_siginfo_handlers_get_what_linux_gives",
        siginfo_handlers,
    ),
    (
        "linux::robust_mutexes_and_proc_task_as_on_linux",
        robust_and_task,
    ),
];

/// Where the host's static busybox is (Debian's `busybox-static`).
const BUSYBOX: &str = "/bin/busybox";

/// The C test programs (`user/linux-tests/NAME.c`).
const PROGRAMS: &[&str] = &[
    "hello",
    "files",
    "badargs",
    "nonblock",
    "siginfo",
    "vsbench",
    "vsnull",
    "threads",
    "threadexit",
    "unixsock",
    "linfuzz",
    "robust",
];

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let st = cmd
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({st})"))
    }
}

/// Whether `path` is an ELF executable with no program interpreter (static).
fn is_static_elf(path: &Path) -> bool {
    let Ok(b) = fs::read(path) else { return false };
    if b.len() < 64 || &b[..4] != b"\x7fELF" {
        return false;
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(b[32..40].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(54), u16_at(56));
    (0..phnum).all(|i| {
        let at = phoff + i * phentsize;
        b.get(at..at + 4) != Some(&3u32.to_le_bytes()[..]) // PT_INTERP
    })
}

/// Put the Linux programs under `staging/linux` (called by `make_rootfs`).
pub fn stage(staging: &Path) -> Result<()> {
    let bin = staging.join("linux/bin");
    let tests = staging.join("linux/tests");
    for d in [&bin, &tests] {
        fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    if !is_static_elf(Path::new(BUSYBOX)) {
        return Err(format!(
            "{BUSYBOX} is missing or not statically linked: install Debian's busybox-static \
             (apt-get install busybox-static)"
        ));
    }
    fs::copy(BUSYBOX, bin.join("busybox")).map_err(|e| format!("{BUSYBOX}: {e}"))?;
    let list = Command::new(BUSYBOX)
        .arg("--list")
        .output()
        .map_err(|e| format!("cannot run {BUSYBOX} --list: {e}"))?;
    for applet in String::from_utf8_lossy(&list.stdout).split_whitespace() {
        if applet == "busybox" || applet.contains('/') {
            continue;
        }
        std::os::unix::fs::symlink("busybox", bin.join(applet))
            .map_err(|e| format!("link {applet}: {e}"))?;
    }
    let src = crate::root().join("user/linux-tests");
    for name in PROGRAMS {
        let c = src.join(format!("{name}.c"));
        run(
            Command::new("musl-gcc")
                .args(["-static", "-O2", "-Wall", "-o"])
                .arg(tests.join(name))
                .arg(&c),
            &format!("musl-gcc -static {}", c.display()),
        )?;
    }
    // The same hello, linked dynamically against the host's C library (run with the
    // host's loader, which `dyntest::stage` copies in: `dyn::` tests).
    run(
        Command::new("gcc")
            .args(["-O2", "-o"])
            .arg(tests.join("hello-dynamic"))
            .arg(src.join("hello.c")),
        "gcc hello.c (dynamic)",
    )?;
    // Inputs for the applet comparisons.
    let data = staging.join("linux/data");
    fs::create_dir_all(data.join("sub")).map_err(|e| format!("{}: {e}", data.display()))?;
    for (name, text) in DATA {
        fs::write(data.join(name), text).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

const DATA: &[(&str, &str)] = &[
    (
        "words",
        "pear\napple\nfig\nbanana\napple\ncherry\nfig\ndate\nelderberry\napple\n",
    ),
    (
        "table",
        "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:A User:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
    ),
    ("sub/note", "one line\nline two has Pattern\nthree\n"),
    ("sub/more", "pattern again\nnothing\n"),
];

/// The staging folder the root image was made from (its `/linux` is the guest's).
pub(crate) fn staging() -> PathBuf {
    crate::root().join("target/rootfs")
}

/// What a Linux shell command prints on the host, run by the staged busybox in `cwd`
/// as `/linux/bin/sh` (its name in messages) with `PATH` at the staged applets, as
/// the guest runs it.
pub(crate) fn host_sh(cmd: &str, cwd: &Path) -> Result<String> {
    use std::os::unix::process::CommandExt;
    let out = Command::new(staging().join("linux/bin/busybox"))
        .arg0("/linux/bin/sh")
        .args(["-c", cmd])
        .current_dir(cwd)
        .env_clear()
        .env("PATH", staging().join("linux/bin"))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run busybox on the host: {e}"))?;
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok(s)
}

/// What a pipeline of the host's own tools prints (`/bin/sh -c`).
fn host_native(cmd: &str) -> Result<String> {
    let out = Command::new("/bin/sh")
        .args(["-c", cmd])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run /bin/sh on the host: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What a program prints on the host (stdout and stderr), with `args` and `env`.
pub(crate) fn host_program(path: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<String> {
    let out = Command::new(path)
        .args(args)
        .envs(env.iter().copied())
        .current_dir("/")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {} on the host: {e}", path.display()))?;
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    s.push_str(&format!("status {}\n", out.status.code().unwrap_or(-1)));
    Ok(s)
}

/// Run `line` at the dinos shell; what it printed, without the kernel's log lines.
pub(crate) fn guest(s: &mut Session, line: &str) -> Result<String> {
    let out = s.run_line(
        &format!("echo @@B''EGIN; {line}; echo @@E''ND"),
        &["@@BEGIN", "@@END"],
    )?;
    let start = out.find("@@BEGIN").ok_or("no begin marker")? + "@@BEGIN".len();
    let end = out.rfind("@@END").ok_or("no end marker")?;
    let text = out[start..end].replace("\r\n", "\n");
    let kept: Vec<&str> = text
        .trim_start_matches('\n')
        .lines()
        .filter(|l| !is_log_line(l))
        .collect();
    Ok(kept.iter().map(|l| format!("{l}\n")).collect())
}

/// A kernel log line as the console shows it: `[    1.234567] LEVEL target: ...`.
fn is_log_line(l: &str) -> bool {
    l.starts_with('[')
        && l.split_once("] ").is_some_and(|(_, rest)| {
            ["INFO ", "WARN ", "ERROR ", "DEBUG "]
                .iter()
                .any(|lv| rest.starts_with(lv))
        })
}

pub(crate) fn compare(what: &str, want: &str, got: &str) -> Result<()> {
    if want == got {
        return Ok(());
    }
    let show = |s: &str| -> String { s.lines().map(|l| format!("    |{l}\n")).collect() };
    Err(format!(
        "{what}: dinos printed\n{}but Linux printed\n{}",
        show(got),
        show(want)
    ))
}

fn boot(kernel: &Path) -> Result<Session> {
    Session::boot_shell(&crate::test::shell_machine(kernel))
}

fn musl_programs(kernel: &Path) -> Result<()> {
    let tests = staging().join("linux/tests");
    let mut s = boot(kernel)?;
    let want = host_program(&tests.join("hello"), &["x", "y z"], &[("LT_A", "1")])?;
    let got = guest(&mut s, "LT_A=1 /linux/tests/hello x 'y z'; echo status $?")?;
    compare("hello", &want, &got)?;
    let want = host_program(&tests.join("files"), &[], &[])?;
    let got = guest(&mut s, "/linux/tests/files; echo status $?")?;
    compare("files", &want, &got)
}

/// `robust.c`: a robust mutex whose owner (a thread, a child process) ends without
/// unlocking goes to the next locker with EOWNERDEAD (`proc::robust`), and
/// `/proc/self/task` lists the threads (`procfs`), as on the host.
fn robust_and_task(kernel: &Path) -> Result<()> {
    let tests = staging().join("linux/tests");
    let mut s = boot(kernel)?;
    let want = host_program(&tests.join("robust"), &[], &[])?;
    let got = guest(&mut s, "/linux/tests/robust; echo status $?")?;
    compare("robust", &want, &got)
}

fn bad_arguments(kernel: &Path) -> Result<()> {
    let tests = staging().join("linux/tests");
    let mut s = boot(kernel)?;
    let want = host_program(&tests.join("badargs"), &[], &[])?;
    let got = guest(&mut s, "/linux/tests/badargs < /dev/null; echo status $?")?;
    compare("badargs", &want, &got)?;
    // The kernel logged the unknown calls once each, and is alive and well.
    if !s
        .output()
        .contains("Linux system call 400 is not implemented")
    {
        return Err("the kernel did not log the unknown call 400".into());
    }
    s.run_line("echo al''ive", &["alive"])?;
    Ok(())
}

/// The issue's "done when" line, and the applets the issue names, each compared
/// with busybox on the host over the same files (`/linux/data`, and `/bin`, which
/// the guest's root image has exactly as staged).
const APPLET_CASES: &[&str] = &[
    "ls -l BIN | wc -l; echo hi | sed s/h/H/",
    "echo hello world",
    "cat words",
    "wc words; wc -l table",
    "sort words; sort -r -u words",
    "sort words | uniq -c",
    "grep -n apple words; grep -c fig words",
    "grep -r -i pattern sub | sort",
    "sed -n '2,4p' table; sed 's/:/ /g' table",
    "awk -F: '{ print $1, $3 }' table",
    "cut -d: -f1,7 table | tr a-z A-Z",
    "head -n 3 words; tail -n 2 words",
    "ls sub; ls -a sub | sort",
    "find . -type f | sort",
    "x=3; y=$((x * 7)); echo $y; for i in 1 2 3; do echo item $i; done",
    "if [ -d sub ]; then echo dir; fi; test -f nope || echo no file",
    "printf '%s-%d\\n' a 1 b 2",
    "basename /a/b/c.txt .txt; dirname /a/b/c.txt; expr 6 \\* 7",
    "echo one > /tmp/lt-o; echo two >> /tmp/lt-o; cat /tmp/lt-o; rm /tmp/lt-o; cat /tmp/lt-o",
    "seq 1 5 | tac | xargs echo",
    "sh -c 'exit 4'; echo status $?",
    "md5sum words; sha256sum table",
];

fn busybox_applets(kernel: &Path) -> Result<()> {
    let data = staging().join("linux/data");
    let bin = staging().join("bin");
    let mut s = boot(kernel)?;
    s.run_line("cd /linux/data", &[])?;
    let mut failures = Vec::new();
    for case in APPLET_CASES {
        let host_cmd = case.replace("BIN", &bin.display().to_string());
        let guest_cmd = case.replace("BIN", "/bin");
        let want = host_sh(&host_cmd, &data)?;
        let quoted = guest_cmd.replace('\'', "'\\''");
        // Output into a pipe, as on the host (a terminal changes what ls and wc do).
        let got = guest(
            &mut s,
            &format!("PATH=/linux/bin /linux/bin/sh -c '{quoted}' 2>&1 | cat"),
        )?;
        if let Err(e) = compare(case, &want, &got) {
            failures.push(e);
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

fn mixed_pipeline(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    // A native echo into a Linux tr and sort, back into a native cat and wc; the
    // host runs the same pipeline with its own (GNU) tools.
    let want = host_native("echo pear apple fig | tr ' ' '\\n' | sort | cat")?;
    let got = guest(
        &mut s,
        "echo pear apple fig | /linux/bin/tr ' ' '\\n' | /linux/bin/sort | cat",
    )?;
    compare("native | linux | linux | native", &want, &got)?;
    let want = host_native("echo b a | tr ' ' '\\n' | sort -r | wc -l")?;
    let got = guest(
        &mut s,
        "echo b a | /linux/bin/tr ' ' '\\n' | /linux/bin/sort -r | wc -l",
    )?;
    compare("wc -l", &want, &got)?;
    // `ps` (native) lists a running Linux program with its personality.
    let out = s.run_line("/linux/bin/sleep 1 & ps; wait", &["PID"])?;
    if !out.lines().any(|l| l.contains("sleep [linux]")) {
        return Err(format!("ps did not show the Linux sleep:\n{out}"));
    }
    Ok(())
}

/// The free frame count (native `free -b`, the `Mem:` line's last column).
pub(crate) fn free_bytes(s: &mut Session) -> Result<u64> {
    let out = guest(s, "free -b")?;
    out.lines()
        .find(|l| l.starts_with("Mem:"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no Mem: line in\n{out}"))
}

/// Linux processes (busybox's sh forking applets, a musl program that forks, maps,
/// signals and exits) return every frame: after twenty warm-up runs (which fill the
/// page cache and the kernel's caches), twenty more runs leave the free memory exactly where it
/// was.
fn no_leaks(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let work = "/linux/tests/hello a > /dev/null; /linux/bin/sh -c 'echo a | sed s/a/b/ | wc -c' > /dev/null; /linux/tests/badargs > /dev/null";
    let twenty =
        format!("for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do {work}; done");
    guest(&mut s, &twenty)?;
    let before = free_bytes(&mut s)?;
    guest(&mut s, &twenty)?;
    let after = free_bytes(&mut s)?;
    if before != after {
        return Err(format!(
            "free memory {before} -> {after} bytes ({:+} frames) after 20 rounds of Linux programs",
            (after as i64 - before as i64) / 4096
        ));
    }
    Ok(())
}

/// Busybox's shell as a person uses it, on the dinos terminal (termios, the
/// foreground group, job control, signals): a background job is listed and reaped, a
/// trap runs its handler, a here-document is read, and `exit 3` is the status the
/// native shell sees. (No host run: the host has no such terminal to compare with;
/// the behaviours are what ash documents.)
fn interactive_sh(kernel: &Path) -> Result<()> {
    use std::time::Duration;
    let step = Duration::from_secs(20);
    let mut s = boot(kernel)?;
    s.send("PATH=/linux/bin /linux/bin/sh\n")?;
    s.expect("built-in shell (ash)", step)?;
    s.expect("# ", step)?;
    s.send("sleep 1 &\n")?;
    s.send("jobs\n")?;
    s.expect("Running", step)?;
    s.send("wait; echo wai''ted $?\n")?;
    // ash reports the finished job at its next prompt, after the echo.
    s.expect("waited 0", step)?;
    s.expect("Done", step)?;
    s.send("trap 'echo got u''sr1' USR1; kill -USR1 $$; echo af''ter\n")?;
    s.expect("got usr1", step)?;
    s.expect("after", step)?;
    s.send("read x <<EOF\nhello\nEOF\necho re''ad $x\n")?;
    s.expect("read hello", step)?;
    s.send("exit 3\n")?;
    s.run_line("echo ba''ck $?", &["back 3"])?;
    Ok(())
}

/// With `trace` on the command line, a Linux program's calls are decoded by name from
/// the Linux table's rows (C strings quoted, flags by name) and marked `linux:`; a
/// native program's calls in the same boot are not.
fn trace_names(kernel: &Path) -> Result<()> {
    let mut m = crate::test::shell_machine(kernel);
    m.append = String::from("trace");
    let mut s = Session::boot_shell(&m)?;
    s.run_line("/linux/tests/hello tr''aced", &["argv[1]=traced"])?;
    let out = s.output();
    for want in [
        "linux:arch_prctl(ARCH_SET_FS, ",
        "linux:access(\"/no/such/file\", F_OK) = -1 ENOENT",
        "linux:exit_group(3) = ?",
    ] {
        if !out.contains(want) {
            return Err(format!(
                "the trace has no {want:?}:\n{}",
                crate::session::tail(&out, 40)
            ));
        }
    }
    if !out
        .lines()
        .any(|l| l.contains("] waitpid(") || l.contains("] spawn("))
    {
        return Err("the native shell's calls were not traced".into());
    }
    if out.lines().any(|l| l.contains("linux:spawn(")) {
        return Err("a native call was shown as a Linux one".into());
    }
    Ok(())
}

/// The first line of what the host's busybox prints for `cmd` (the column headers).
fn host_header(cmd: &str) -> Result<String> {
    let out = host_sh(cmd, Path::new("/"))?;
    Ok(out.lines().next().unwrap_or("").to_string())
}

/// A field of `/proc/meminfo` text, in kB.
fn meminfo_kb(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Busybox's process and memory status applets, which read `/proc` and call
/// `statfs`/`sysinfo`: their column headers and line shapes are the host's (same
/// binary, host Linux), and their numbers are the guest's: the processes the test
/// started are listed with their parents and arguments, `free`'s total is
/// `/proc/meminfo`'s, `df /` is the native `df`'s figures for the root.
fn proc_applets(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let bb = |cmd: &str| format!("PATH=/linux/bin /linux/bin/sh -c '{cmd}' 2>&1 | cat");
    // ps: a sleeping Linux program and the shell that started it.
    let shell = guest(&mut s, "/linux/bin/sleep 30 & echo $$ $!")?;
    // (The native shell first prints the background job's pid on a line of its own.)
    let (sh_pid, sleep_pid) = shell
        .lines()
        .last()
        .and_then(|l| l.split_once(' '))
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .ok_or_else(|| format!("no pids in {shell:?}"))?;
    let ps = guest(&mut s, &bb("ps"))?;
    compare(
        "ps header",
        &format!("{}\n", host_header("ps")?),
        &format!("{}\n", ps.lines().next().unwrap_or("")),
    )?;
    let want = format!("{sleep_pid:>5} root     /linux/bin/sleep 30");
    if !ps.lines().any(|l| l == want) {
        return Err(format!("busybox ps has no line {want:?}:\n{ps}"));
    }
    let ps = guest(&mut s, &bb("ps -o pid,ppid,stat,args"))?;
    compare(
        "ps -o header",
        &format!("{}\n", host_header("ps -o pid,ppid,stat,args")?),
        &format!("{}\n", ps.lines().next().unwrap_or("")),
    )?;
    let want = format!("{sleep_pid:>5} {sh_pid:>5} S    /linux/bin/sleep 30");
    if !ps.lines().any(|l| l == want) {
        return Err(format!("busybox ps -o has no line {want:?}:\n{ps}"));
    }
    guest(&mut s, &format!("kill {sleep_pid}; wait"))?;
    // free: Linux's columns, no "-/+ buffers/cache" line (meminfo has what busybox
    // needs for the available column), and the total of /proc/meminfo.
    let free = guest(&mut s, &bb("free; cat /proc/meminfo"))?;
    let host_free = host_sh("free", Path::new("/"))?;
    let shape = |t: &str| -> Vec<String> {
        t.lines()
            .take_while(|l| !l.contains(": ") || l.starts_with("Mem:") || l.starts_with("Swap:"))
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .collect()
    };
    if shape(&free)[..] != shape(&host_free)[..] || free.lines().next() != host_free.lines().next()
    {
        return Err(format!("busybox free:\n{free}but on Linux:\n{host_free}"));
    }
    let total = free
        .lines()
        .find(|l| l.starts_with("Mem:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok());
    if total.is_none() || total != meminfo_kb(&free, "MemTotal") {
        return Err(format!("free's total is not MemTotal:\n{free}"));
    }
    // df: the header is Linux's; the root's line has the native df's numbers.
    let df = guest(&mut s, &bb("df /"))?;
    compare(
        "df header",
        &format!("{}\n", host_header("df /")?),
        &format!("{}\n", df.lines().next().unwrap_or("")),
    )?;
    let native = guest(&mut s, "df")?;
    // (The native df has a Type column after the source.)
    let blocks = |t: &str, skip: usize| -> Option<Vec<String>> {
        let l = t.lines().find(|l| l.trim_end().ends_with(" /"))?;
        Some(
            l.split_whitespace()
                .skip(skip)
                .take(3)
                .map(String::from)
                .collect(),
        )
    };
    if blocks(&df, 1).is_none() || blocks(&df, 1) != blocks(&native, 2) {
        return Err(format!("busybox df / and native df differ:\n{df}{native}"));
    }
    // uptime: the host's shape, " HH:MM:SS up ..., N users,  load average: a, b, c".
    let up = guest(&mut s, &bb("uptime"))?;
    let host_up = host_sh("uptime", Path::new("/"))?;
    let words = |t: &str| -> Vec<String> {
        t.split_whitespace()
            .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
            .map(String::from)
            .collect()
    };
    let (g, h) = (words(&up), words(&host_up));
    // "min," (guest, just booted) against "HH:MM," or "days," on the host.
    let strip = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .filter(|w| w != "min," && w != "days," && w != "day,")
            .collect()
    };
    if strip(g) != strip(h) || !up.contains("load average: ") {
        return Err(format!("busybox uptime: {up:?}, on Linux {host_up:?}"));
    }
    Ok(())
}

/// `nonblock.c`: fcntl(F_SETFL) with O_NONBLOCK and O_APPEND, pipe2(O_NONBLOCK),
/// FIONBIO, FIONREAD, window-size requests on a pipe, compared with the host; then,
/// on the dinos terminal, TIOCSWINSZ and TIOCGWINSZ, compared with the host running
/// the program on a pseudo-terminal (`script`).
fn nonblock_ioctls(kernel: &Path) -> Result<()> {
    let prog = staging().join("linux/tests/nonblock");
    let mut s = boot(kernel)?;
    let want = host_program(&prog, &[], &[])?;
    let got = guest(
        &mut s,
        "/linux/tests/nonblock < /dev/null | cat; echo status $?",
    )?;
    compare("nonblock", &want, &got)?;
    let out = Command::new("script")
        .args(["-qec"])
        .arg(format!("{} tty", prog.display()))
        .arg("/dev/null")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run script on the host: {e}"))?;
    let want = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let got = guest(&mut s, "/linux/tests/nonblock tty")?;
    compare("nonblock tty", &want, &got)?;
    // The size stays for the next program (busybox's stty reads it back).
    let got = guest(&mut s, "/linux/bin/stty size")?;
    compare("stty size", "24 80\n", &got)
}

/// Busybox's `vi` on the dinos terminal (raw mode, the window size, escape sequences,
/// poll on the terminal for ESC): a new file is typed in insert mode and written with
/// `:wq`; opened again, its first line is deleted with `dd` and written. The file is
/// read back with native programs after each, and the shell's terminal works again
/// (vi gave the mode back). (No host run: vi needs a terminal; what is asserted is
/// the file vi wrote.)
fn vi_smoke(kernel: &Path) -> Result<()> {
    use std::thread::sleep;
    use std::time::Duration;
    let step = Duration::from_secs(20);
    let pause = || sleep(Duration::from_millis(800));
    let mut s = boot(kernel)?;
    s.send("/linux/bin/vi /tmp/vi-test\n")?;
    s.expect("vi-test", step)?;
    pause();
    s.send("ione\rtwo\rthree")?;
    pause();
    s.send("\x1b")?;
    pause();
    s.send(":wq\r")?;
    let got = guest(&mut s, "tr a-z A-Z < /tmp/vi-test")?;
    compare("vi's file", "ONE\nTWO\nTHREE\n", &got)?;
    s.send("/linux/bin/vi /tmp/vi-test\n")?;
    s.expect("vi-test", step)?;
    pause();
    s.send("dd")?;
    pause();
    s.send(":wq\r")?;
    let got = guest(&mut s, "tr a-z A-Z < /tmp/vi-test")?;
    compare("vi's file after dd", "TWO\nTHREE\n", &got)
}

/// `siginfo.c`: an `SA_SIGINFO` handler's `siginfo_t` (signo, code, pid, uid; the
/// address of a fault) and `ucontext_t` (the mask, gregs, trapno, err, cr2), and
/// `rt_sigreturn` resuming with what the handler changed (rax, the mask, rip),
/// compared with the host.
fn siginfo_handlers(kernel: &Path) -> Result<()> {
    let prog = staging().join("linux/tests/siginfo");
    let mut s = boot(kernel)?;
    let want = host_program(&prog, &[], &[])?;
    let got = guest(&mut s, "/linux/tests/siginfo | cat; echo status $?")?;
    compare("siginfo", &want, &got)
}
