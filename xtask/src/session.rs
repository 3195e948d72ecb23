//! Scripted console sessions: boot QEMU with the serial console on pipes, send keys,
//! wait for text with a timeout. The kernel tests and the shell tests are written with
//! this, and every wait has a deadline, so a dead or hung kernel fails a test instead of
//! hanging the harness.

use crate::qemu::Machine;
use crate::Result;
use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

struct Shared {
    out: Mutex<(Vec<u8>, u32)>, // (everything read so far, readers finished)
    cond: Condvar,
}

/// The shell's prompt ends in this (`dinos:/path$ `).
pub const SHELL_PROMPT: &str = "$ ";
/// Generous: QEMU under software emulation on a loaded 2-core machine.
pub const SHELL_BOOT_TIMEOUT: Duration = Duration::from_secs(90);
pub const SHELL_STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// A running QEMU whose console we drive.
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    shared: Arc<Shared>,
    /// How far `expect` has consumed the output.
    pos: usize,
    pub started: Instant,
}

impl Session {
    /// Boot `m` with piped console.
    pub fn start(m: &Machine) -> Result<Self> {
        let mut child = m
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start QEMU: {e}"))?;
        let started = Instant::now();
        let shared = Arc::new(Shared {
            out: Mutex::new((Vec::new(), 0)),
            cond: Condvar::new(),
        });
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let sh = shared.clone();
            std::thread::spawn(move || pump(stream, sh));
        }
        Ok(Session {
            stdin: child.stdin.take(),
            child,
            shared,
            pos: 0,
            started,
        })
    }

    /// Type `text` on the console.
    pub fn send(&mut self, text: &str) -> Result<()> {
        let stdin = self.stdin.as_mut().ok_or("console input already closed")?;
        stdin
            .write_all(text.as_bytes())
            .and_then(|_| stdin.flush())
            .map_err(|e| format!("console write failed: {e}"))
    }

    /// Wait until `needle` appears after what was already consumed; returns the text up
    /// to and including it.
    pub fn expect(&mut self, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let mut guard = self.shared.out.lock().unwrap();
        loop {
            let text = &guard.0[self.pos..];
            if let Some(i) = find(text, needle.as_bytes()) {
                let end = self.pos + i + needle.len();
                let got = String::from_utf8_lossy(&guard.0[self.pos..end]).into_owned();
                self.pos = end;
                return Ok(got);
            }
            let now = Instant::now();
            if guard.1 == 2 || now >= deadline {
                let why = if guard.1 == 2 {
                    "QEMU exited"
                } else {
                    "timed out"
                };
                return Err(format!(
                    "{why} waiting for {needle:?} after {:.1}s; the console said:\n{}",
                    self.started.elapsed().as_secs_f64(),
                    tail(&String::from_utf8_lossy(&guard.0), 40)
                ));
            }
            guard = self
                .shared
                .cond
                .wait_timeout(guard, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// Wait for QEMU to exit; its status, or an error on timeout (QEMU is then killed).
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<Option<i32>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().map_err(|e| e.to_string())? {
                // Let the readers collect the last output.
                let g = self.shared.out.lock().unwrap();
                let _ = self
                    .shared
                    .cond
                    .wait_timeout_while(g, Duration::from_millis(500), |o| o.1 < 2);
                return Ok(st.code());
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                return Err(format!(
                    "QEMU still running after {:.1}s; the console said:\n{}",
                    self.started.elapsed().as_secs_f64(),
                    tail(&self.output(), 40)
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Cut the machine's power: SIGKILL QEMU at once (no shutdown, no flush of
    /// anything still in the guest) and wait until it is gone.
    pub fn kill(mut self) -> Result<()> {
        self.child
            .kill()
            .and_then(|()| self.child.wait())
            .map(drop)
            .map_err(|e| format!("cannot kill QEMU: {e}"))
    }

    /// Boot `m` and wait for the shell's first prompt.
    pub fn boot_shell(m: &Machine) -> Result<Self> {
        let mut s = Session::start(m)?;
        s.expect(SHELL_PROMPT, SHELL_BOOT_TIMEOUT)?;
        Ok(s)
    }

    /// At the shell: type `line` and Enter, wait for each of `want` in order and then
    /// the prompt; returns what the command printed (the echoed line left out).
    pub fn run_line(&mut self, line: &str, want: &[&str]) -> Result<String> {
        self.send(&format!("{line}\n"))?;
        let mut seen = String::new();
        let ctx = |e: String| format!("after typing {line:?}: {e}");
        for w in want {
            seen.push_str(&self.expect(w, SHELL_STEP_TIMEOUT).map_err(ctx)?);
        }
        seen.push_str(&self.expect(SHELL_PROMPT, SHELL_STEP_TIMEOUT).map_err(ctx)?);
        Ok(match seen.split_once('\n') {
            Some((_, rest)) => rest.to_string(),
            None => String::new(),
        })
    }

    /// Ask a machine that stopped answering what it is doing: a break on the console
    /// (QEMU's `Ctrl-A b`) and SysRq command `cmd` (`w`: every blocked thread and where
    /// it sleeps; kernel/task/src/sysrq.rs). Returns what the kernel printed, or why
    /// not. The break overtakes input still waiting in QEMU, so this is for a console
    /// whose input the guest has taken (a hung machine's interrupts still take it).
    pub fn sysrq(&mut self, cmd: char) -> String {
        if self.child.try_wait().ok().flatten().is_some() {
            return String::from("(QEMU has exited: no SysRq report)");
        }
        let from = self.output().len();
        let asked = self
            .send("\x01b")
            .and_then(|()| {
                std::thread::sleep(Duration::from_millis(500));
                self.send(&cmd.to_string())
            })
            .and_then(|()| self.expect("sysrq: ", Duration::from_secs(10)));
        match asked {
            Ok(_) => {
                // The report is printed from an interrupt handler, at the serial port's
                // pace: give it time to finish.
                std::thread::sleep(Duration::from_secs(3));
                let out = self.output();
                out.get(from..).unwrap_or("").to_string()
            }
            Err(e) => format!("(no SysRq report: {e})"),
        }
    }

    /// Everything the console printed so far.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.shared.out.lock().unwrap().0).into_owned()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pump(mut r: Box<dyn Read + Send>, sh: Arc<Shared>) {
    let mut buf = [0u8; 4096];
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                sh.out.lock().unwrap().0.extend_from_slice(&buf[..n]);
                sh.cond.notify_all();
            }
        }
    }
    sh.out.lock().unwrap().1 += 1;
    sh.cond.notify_all();
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The last `n` lines of `s`.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
