//! `/proc`, `dmesg` and `top`, tested from the console (`cargo xtask test procfs`).
//!
//! Three boots:
//!
//! 1. A root shell makes a process with a known working directory, descriptors and
//!    command line (`cd /tmp/pt; sleep 60 </etc/passwd >out 2>/dev/null &`; the shell
//!    gives a program only descriptors 0 to 2), and `/proc/PID`
//!    must say exactly that: `cwd`, `exe` and `fd/N` links, `cmdline` (compared with
//!    the host's `od -c` of the same bytes), `status` and `stat` (Linux's 52 fields,
//!    the parent the shell's pid); `ps` (from `/proc`) must agree with `ps -K` (the
//!    kernel's process-list call) on every process; bad requests (a missing pid or
//!    descriptor, a write, a mkdir) are errors, and the directory goes once the
//!    process is reaped.
//! 2. Processes that exit while something reads every `/proc` file of theirs, again
//!    and again, must leave the kernel running; `dmesg` shows a known boot line with
//!    its time and level, `-l` filters, `-w` follows a line logged later (a program's
//!    SIGSEGV report); `top -b -n 1` lists the shell, and `top` on the terminal draws
//!    with ANSI escapes and quits on `q`.
//! 3. With `login`, an ordinary user may read another user's `/proc/1/status` but
//!    not its `environ` (nor `/proc/kmsg`), and may read its own `environ`.

use crate::session::{Session, SHELL_PROMPT};
use crate::test::{disk_machine, fsck, scratch_disk, shell_machine};
use crate::Result;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

type ProcTest = fn(&Path) -> Result<()>;

pub const PROC_TESTS: &[(&str, ProcTest)] = &[
    (
        "procfs::proc_agrees_with_ps_and_with_what_the_test_made",
        agrees_with_what_was_made,
    ),
    (
        "procfs::dying_processes_dmesg_and_top",
        dying_processes_dmesg_and_top,
    ),
    (
        "procfs::another_users_environ_and_root_only_settings_are_refused",
        environ_is_private,
    ),
];

const STEP: Duration = Duration::from_secs(30);

/// The first `KEY=NUMBER` in `out`.
fn number_after(out: &str, key: &str) -> Result<u32> {
    let at = out
        .find(key)
        .ok_or_else(|| format!("no {key:?} in {out:?}"))?;
    out[at + key.len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .map_err(|_| format!("no number after {key:?} in {out:?}"))
}

/// `ps`'s rows: pid -> (ppid, pgid, uid, name).
fn ps_rows(out: &str) -> BTreeMap<u32, (u32, u32, u32, String)> {
    out.lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() < 9 {
                return None;
            }
            let n = |i: usize| w[i].parse::<u32>().ok();
            Some((n(0)?, (n(1)?, n(2)?, n(3)?, w[8..].join(" "))))
        })
        .collect()
}

/// The host's `od -c` of `bytes`, the reference for dinos' `od -c` of a file.
fn host_od(bytes: &[u8]) -> Result<String> {
    let path = crate::root().join("target").join("proctest-od.bin");
    std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let out = Command::new("od")
        .arg("-c")
        .arg(&path)
        .output()
        .map_err(|e| format!("cannot run od: {e}"))?;
    let _ = std::fs::remove_file(&path);
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What a command printed, without the prompt `run_line` leaves at the end.
fn body(out: &str) -> String {
    match out.rfind("\r\n") {
        Some(i) => out[..i + 2].replace("\r\n", "\n"),
        None => String::new(),
    }
}

fn must_contain(out: &str, want: &str, what: &str) -> Result<()> {
    match out.contains(want) {
        true => Ok(()),
        false => Err(format!("{what}: {want:?} not in:\n{out}")),
    }
}

fn agrees_with_what_was_made(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&shell_machine(kernel))?;
    let r = made_process_checks(&mut s);
    r.map_err(|e| {
        format!(
            "{e}\n(the console said:\n{})",
            crate::session::tail(&s.output(), 40)
        )
    })
}

fn made_process_checks(s: &mut Session) -> Result<()> {
    let sh = number_after(&s.run_line("echo sh=$$", &["sh="])?, "sh=")?;
    s.run_line("mkdir -p /tmp/pt; cd /tmp/pt", &[])?;
    let out = s.run_line(
        "sleep 60 </etc/passwd >out 2>/dev/null & echo pid=$!",
        &["pid="],
    )?;
    let pid = number_after(&out, "pid=")?;
    s.run_line("cd /", &[])?;
    // The links: where it runs, what it runs, what its descriptors are.
    let out = s.run_line(&format!("ls -l /proc/{pid}/"), &[])?;
    must_contain(&out, "cwd -> /tmp/pt\r\n", "cwd")?;
    must_contain(&out, "exe -> /bin/sleep\r\n", "exe")?;
    let out = s.run_line(&format!("ls -l /proc/{pid}/fd"), &[])?;
    must_contain(&out, " 0 -> /etc/passwd\r\n", "fd 0")?;
    must_contain(
        &out,
        " 1 -> /tmp/pt/out\r\n",
        "fd 1 (opened by a relative path)",
    )?;
    must_contain(&out, " 2 -> /dev/null\r\n", "fd 2")?;
    let names = s.run_line(&format!("ls /proc/{pid}/fd"), &[])?;
    let names = body(&names);
    let fds: Vec<&str> = names.split_whitespace().collect();
    if fds != ["0", "1", "2"] {
        return Err(format!("/proc/{pid}/fd lists {fds:?}"));
    }
    // The command line, byte for byte as the host's od shows the same bytes.
    let out = s.run_line(&format!("od -c /proc/{pid}/cmdline"), &[])?;
    let want = host_od(b"sleep\x0060\x00")?;
    if body(&out) != want {
        return Err(format!(
            "od -c of cmdline:\n{out}\nthe host's od -c:\n{want}"
        ));
    }
    // status and stat.
    let out = s.run_line(&format!("cat /proc/{pid}/status"), &[])?;
    for want in [
        "Name:\tsleep\r\n".to_string(),
        format!("Pid:\t{pid}\r\n"),
        format!("PPid:\t{sh}\r\n"),
        "State:\tS (sleeping)\r\n".to_string(),
        "Uid:\t0\t0\t0\t0\r\n".to_string(),
        "FDUsed:\t3\r\n".to_string(),
    ] {
        must_contain(&out, &want, "status")?;
    }
    let out = s.run_line(&format!("cat /proc/{pid}/stat"), &[])?;
    let line = out.lines().next().unwrap_or("");
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() != 52
        || fields[0] != pid.to_string()
        || fields[1] != "(sleep)"
        || fields[2] != "S"
        || fields[3] != sh.to_string()
    {
        return Err(format!(
            "stat is not Linux's 52 fields for this process: {line:?}"
        ));
    }
    let out = s.run_line(&format!("cat /proc/{pid}/maps"), &[])?;
    must_contain(&out, " /bin/sleep\r\n", "maps: the program's segments")?;
    must_contain(
        &out,
        " rw-p 00000000 00:00 0           [stack]\r\n",
        "maps: the stack",
    )?;
    // ps from /proc against ps from the kernel's call, process by process.
    let from_proc = ps_rows(&s.run_line("ps", &[])?);
    let from_call = ps_rows(&s.run_line("ps -K", &[])?);
    let others =
        |m: &BTreeMap<u32, (u32, u32, u32, String)>| -> BTreeMap<u32, (u32, u32, u32, String)> {
            m.iter()
                .filter(|(_, v)| v.3 != "ps")
                .map(|(k, v)| (*k, v.clone()))
                .collect()
        };
    if others(&from_proc) != others(&from_call) || !from_proc.contains_key(&pid) {
        return Err(format!(
            "ps from /proc: {from_proc:?}\nps from the call: {from_call:?}"
        ));
    }
    if from_proc[&pid] != (sh, pid, 0, "sleep".to_string()) {
        return Err(format!("ps's row for {pid}: {:?}", from_proc[&pid]));
    }
    // System-wide files that other programs now read.
    s.run_line("cat /proc/mounts", &["proc /proc proc ro 0 0\r\n"])?;
    s.run_line("mount", &["proc on /proc type proc (ro)"])?;
    s.run_line("uptime", &[" up ", "load average: "])?;
    s.run_line("free", &["Mem:", "Heap:"])?;
    s.run_line("cat /proc/self/stat", &[" (cat) R "])?;
    // Bad requests are errors.
    s.run_line("cat /proc/99999/status", &["no such file"])?;
    s.run_line(&format!("cat /proc/{pid}/fd/9"), &["no such file"])?;
    s.run_line(&format!("cat /proc/{pid}/fd"), &["is a directory"])?;
    s.run_line("echo x > /proc/uptime", &["read-only"])?;
    s.run_line("mkdir /proc/x", &["read-only"])?;
    s.run_line("cat /proc/007/status", &["no such file"])?;
    // Gone once reaped.
    s.run_line(
        &format!("kill {pid}; wait; ls /proc/{pid}"),
        &["no such file"],
    )?;
    let out = s.run_line("ls /proc", &[])?;
    if out.split_whitespace().any(|w| w == pid.to_string()) {
        return Err(format!("/proc still lists {pid}:\n{out}"));
    }
    s.send("poweroff\n")?;
    s.wait_exit(STEP).map(drop)
}

fn dying_processes_dmesg_and_top(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&shell_machine(kernel))?;
    let r = dying_checks(&mut s);
    r.map_err(|e| {
        format!(
            "{e}\n(the console said:\n{})",
            crate::session::tail(&s.output(), 40)
        )
    })
}

fn dying_checks(s: &mut Session) -> Result<()> {
    // A reader going through every process's files while processes come and go.
    s.run_line(
        "(while :; do cat /proc/[0-9]*/stat /proc/[0-9]*/status /proc/[0-9]*/maps /proc/[0-9]*/cmdline >/dev/null 2>&1; ls -l /proc/[0-9]*/fd /proc/[0-9]*/ >/dev/null 2>&1; done) & echo R=$!",
        &["R="],
    )?;
    s.run_line(
        "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo x | cat >/dev/null & P=$!; cat /proc/$P/status /proc/$P/stat /proc/$P/maps /proc/$P/cmdline /proc/$P/environ >/dev/null 2>&1; ls -l /proc/$P/ /proc/$P/fd >/dev/null 2>&1; done; wait $P; echo dying-ok",
        &["dying-ok"],
    )?;
    s.run_line("kill %1; wait; echo reader-gone", &["reader-gone"])?;
    s.run_line("cat /proc/self/status", &["Name:\tcat"])?;
    // dmesg: a boot line, with its time and level; -l filters.
    s.run_line("dmesg", &["] INFO  fsys::mount: root file system mounted"])?;
    let out = s.run_line("dmesg -l warn,err", &[])?;
    if out.contains("INFO") {
        return Err(format!("dmesg -l warn,err printed INFO lines:\n{out}"));
    }
    s.run_line("dmesg -l loud", &["unknown level"])?;
    // -w follows: a line logged after it started reaches its output.
    s.run_line("dmesg -w > /tmp/w & echo W=$!", &["W="])?;
    s.run_line("sleep 1; crash stack; sleep 1; kill %1; wait", &["SIGSEGV"])?;
    s.run_line("grep -c 'root file system mounted' /tmp/w", &["1\r\n"])?;
    s.run_line(
        "grep SIGSEGV /tmp/w",
        &["WARN  proc::signal: pid ", "(crash): SIGSEGV"],
    )?;
    // top.
    let out = s.run_line("top -b -n 1", &["load average:", "COMMAND"])?;
    if !out.lines().any(|l| l.trim_end().ends_with(" sh")) {
        return Err(format!("top -b -n 1 does not list the shell:\n{out}"));
    }
    s.send("top -d 1\n")?;
    s.expect("\x1b[H\x1b[2J", STEP)?;
    s.expect("COMMAND", STEP)?;
    s.send("q")?;
    s.expect(SHELL_PROMPT, STEP)?;
    s.run_line("echo after-top", &["after-top"])?;
    s.send("poweroff\n")?;
    s.wait_exit(STEP).map(drop)
}

/// Wait for `prompt`, then type `answer` and Enter.
fn answer(s: &mut Session, prompt: &str, answer: &str) -> Result<()> {
    s.expect(prompt, STEP)
        .map_err(|e| format!("waiting for {prompt:?}: {e}"))?;
    s.send(&format!("{answer}\n"))
}

fn environ_is_private(kernel: &Path) -> Result<()> {
    let disk = scratch_disk("procfs")?;
    let ran = {
        let mut m = disk_machine(kernel, &disk);
        m.append = "login".into();
        let mut s = Session::start(&m)?;
        let r = (|| -> Result<()> {
            s.expect("login: ", crate::session::SHELL_BOOT_TIMEOUT)?;
            s.send("user\n")?;
            answer(&mut s, "Password: ", "user")?;
            s.expect(SHELL_PROMPT, STEP)?;
            s.run_line("id -un", &["user"])?;
            s.run_line("cat /proc/1/status", &["Name:\tinit", "Uid:\t0\t0\t0\t0"])?;
            s.run_line("cat /proc/1/environ", &["permission denied"])?;
            s.run_line("cat /proc/kmsg", &["permission denied"])?;
            s.run_line("od -c /proc/self/environ", &["H   O   M   E   ="])?;
            s.run_line("ls -l /proc/self/environ", &["-r-------- 1 user user "])?;
            // A setting: anyone reads it, only root writes it.
            s.run_line("ls /proc/sys/kernel", &["core_pattern"])?;
            s.run_line("cat /proc/sys/kernel/core_pattern", &["core.%p"])?;
            s.run_line(
                "echo mine.%p > /proc/sys/kernel/core_pattern",
                &["ermission denied"],
            )?;
            s.run_line("echo x > /proc/meminfo", &["ead-only file system"])?;
            s.send("su\n")?;
            answer(&mut s, "Password: ", "root")?;
            s.expect(SHELL_PROMPT, STEP)?;
            s.run_line("id -un", &["root"])?;
            s.run_line(
                "od -c /proc/1/environ",
                &["P   A   T   H   =   /   b   i   n"],
            )?;
            // Root sets the pattern through the file; the kernel's call sees it, and a
            // core dump is then named by it.
            s.run_line("echo dump.%p > /proc/sys/kernel/core_pattern", &[])?;
            s.run_line("cat /proc/sys/kernel/core_pattern", &["dump.%p"])?;
            s.run_line("prlimit --core-pattern", &["dump.%p"])?;
            s.run_line("echo x > /proc/meminfo", &["ead-only file system"])?;
            s.run_line(
                // (On the ext2 disk: a core's untouched stack is a hole there, and
                // tmpfs has no holes.)
                "mkdir -p /cores; cd /cores; ulimit -c unlimited; crash null; ls",
                &["(core dumped)", "dump."],
            )?;
            s.send("poweroff\n")?;
            s.wait_exit(STEP).map(drop)
        })();
        r.map_err(|e| {
            format!(
                "{e}\n(the console said:\n{})",
                crate::session::tail(&s.output(), 30)
            )
        })
    };
    match (ran, fsck(&disk)) {
        (Ok(()), Ok(())) => {
            let _ = std::fs::remove_file(&disk);
            Ok(())
        }
        (Err(e), _) => Err(e),
        (Ok(()), Err(f)) => Err(f),
    }
}
