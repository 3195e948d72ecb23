//! Pseudo-terminals (chapter 2, 2-2: the terminal a terminal emulator gives the
//! shell), tested from a user program: `ptytest` (user/bin) drives children over
//! `/dev/ptmx` and prints a transcript, and the host runs the same sequence against
//! Linux's pseudo-terminals (`ptyhost.py`, Python's `os.openpty`): the two must be
//! equal line for line. No display is needed.

use crate::session::Session;
use crate::Result;
use std::path::Path;

/// The transcript's lines (`== `, `> `, `< `, `= `), without the console's `\r`.
fn transcript(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| ["== ", "> ", "< ", "= "].iter().any(|p| l.starts_with(p)))
        .map(str::to_string)
        .collect()
}

/// The host's transcript: `ptyhost.py` under python3 on Linux's ptys.
fn host_transcript() -> Result<Vec<String>> {
    let script = crate::root().join("xtask").join("src").join("ptyhost.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .output()
        .map_err(|e| format!("python3 {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "ptyhost.py failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(transcript(&String::from_utf8_lossy(&out.stdout)))
}

/// Echo, Backspace, Ctrl-U, Ctrl-D, the window size, raw mode, Ctrl-Z and Ctrl-C to
/// the foreground job, SIGTTIN for a background read, SIGHUP at the master's close,
/// EIO and end-of-file after: as Linux does them.
pub fn matches_linux(kernel: &Path) -> Result<()> {
    let want = host_transcript()?;
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    let out = s.run_line("ptytest", &["== session C", "= exit"])?;
    let got = transcript(&out);
    if got != want {
        let mut diff = String::new();
        for i in 0..got.len().max(want.len()) {
            let (g, w) = (got.get(i), want.get(i));
            if g != w {
                diff.push_str(&format!("line {i}:\n  dinos: {g:?}\n  linux: {w:?}\n"));
            }
        }
        return Err(format!("ptytest differs from Linux:\n{diff}"));
    }
    Ok(())
}

/// The interactive shell on a pseudo-terminal: a prompt, a command's output, a job
/// stopped with Ctrl-Z and listed, `fg`, Ctrl-C, `exit`; then the bad paths.
pub fn shell_and_bad_paths(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    let out = s.run_line("ptytest sh", &["= exit"])?;
    let t = transcript(&out);
    let after = |typed: &str| -> Result<&String> {
        let i = t
            .iter()
            .position(|l| l == &format!("> {typed}"))
            .ok_or_else(|| format!("`{typed}` was not typed:\n{out}"))?;
        t.get(i + 1)
            .ok_or_else(|| format!("nothing read after `{typed}`:\n{out}"))
    };
    let checks: [(&str, &[&str]); 6] = [
        (
            "echo on a pty; ls /dev/pts\\x0a",
            &["on a pty\\x0d\\x0a", "0\\x0d\\x0a"],
        ),
        ("/linux/bin/busybox stty size\\x0a", &["30 100\\x0d\\x0a"]),
        ("\\x1a", &["^Z", "Stopped", "sleep 30"]),
        ("jobs\\x0a", &["[1]", "Stopped", "sleep 30"]),
        ("\\x03", &["^C"]),
        ("exit\\x0a", &["exit"]),
    ];
    for (typed, wants) in checks {
        let read = after(typed)?;
        for w in wants {
            if !read.contains(w) {
                return Err(format!(
                    "after `{typed}` the terminal showed {read:?}, not {w:?}:\n{out}"
                ));
            }
        }
    }
    // `exit` gives the last status: the job's, ended by Ctrl-C (128 + SIGINT), as
    // in dash.
    if t.last().map(String::as_str) != Some("= exit 130") {
        return Err(format!("sh on the pty did not exit 130:\n{out}"));
    }
    let bad = s.run_line("ptytest bad; echo status $?", &["status "])?;
    let oks = bad.lines().filter(|l| l.starts_with("ok ")).count();
    if bad.contains("FAIL") || oks != 12 || !bad.contains("status 0") {
        return Err(format!("ptytest bad ({oks} ok):\n{bad}"));
    }
    // Nothing is left behind: no pseudo-terminal node.
    let left = s.run_line("ls /dev/pts | wc -l", &[])?;
    if left.lines().next().map(str::trim) != Some("0") {
        return Err(format!("/dev/pts is not empty afterwards: {left}"));
    }
    Ok(())
}
