//! `trap ACTION CONDITION...`: shell commands run on a signal or when the shell exits.
//!
//! Chapter 2 section 3-2 (process control): a signal interrupts whatever the process
//! is doing; a shell script wants to run ordinary commands instead (`trap 'rm -f
//! $tmp' EXIT INT`). The handler therefore only records that the signal came; the
//! shell runs the action between two commands, where running shell code is safe.
//!
//! Design decision: pending signals are bits of one atomic word, set by the handler
//! and taken by [`Shell::run_pending_traps`], called by the command loop before and
//! after each command. `trap '' SIG` ignores the signal, `trap - SIG` restores the
//! default, and the `EXIT` action runs once when the shell ends.

use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};

use ulib::abi::signal;
use ulib::sys::{self, Disposition, Handler};

use crate::shell::{Flow, Io, Shell};

/// Signals that arrived and whose actions have not run yet, one bit per number.
static PENDING: AtomicU64 = AtomicU64::new(0);

extern "C" fn record(sig: u32) {
    PENDING.fetch_or(1 << (sig & 63), Ordering::Relaxed);
}

/// Signal names (without `SIG`) and numbers.
const SIGNALS: &[(&str, u32)] = &[
    ("HUP", signal::SIGHUP),
    ("INT", signal::SIGINT),
    ("QUIT", signal::SIGQUIT),
    ("ABRT", signal::SIGABRT),
    ("KILL", signal::SIGKILL),
    ("USR1", signal::SIGUSR1),
    ("USR2", signal::SIGUSR2),
    ("PIPE", signal::SIGPIPE),
    ("ALRM", signal::SIGALRM),
    ("TERM", signal::SIGTERM),
    ("CHLD", signal::SIGCHLD),
    ("CONT", signal::SIGCONT),
    ("TSTP", signal::SIGTSTP),
];

/// The condition a `trap` operand names: `EXIT`/`0`, or a signal by name or number,
/// as `(canonical name, signal number)` (0 for `EXIT`).
fn condition(s: &str) -> Option<(String, u32)> {
    let s = s.strip_prefix("SIG").unwrap_or(s);
    if s == "EXIT" || s == "0" {
        return Some((String::from("EXIT"), 0));
    }
    SIGNALS
        .iter()
        .find(|(name, num)| *name == s || s.parse() == Ok(*num))
        .map(|(name, num)| (String::from(*name), *num))
}

impl Shell {
    /// The `trap` builtin.
    pub fn trap(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        if args.is_empty() {
            let lines: alloc::vec::Vec<String> = self
                .traps
                .iter()
                .map(|(k, v)| format!("trap -- {} {k}\n", shcore::vars::quote(v)))
                .collect();
            lines.iter().for_each(|l| self.write(io, 1, l));
            return Ok(0);
        }
        // `trap SIG...` (first operand a condition) resets them, like `trap - SIG...`.
        let (action, conds) = if condition(&args[0]).is_some() && args[0].parse::<u32>().is_ok() {
            ("-", args)
        } else {
            (args[0].as_str(), &args[1..])
        };
        let mut status = 0;
        for c in conds {
            let Some((name, num)) = condition(c) else {
                self.error(io, &format!("trap: {c}: bad trap"));
                status = 1;
                continue;
            };
            let keyboard = matches!(num, signal::SIGINT | signal::SIGQUIT | signal::SIGTSTP);
            let handler = match action {
                "-" if keyboard && self.job_control() => {
                    // The interactive shell's own handling, not death by Ctrl-C.
                    self.traps.remove(&name);
                    crate::term::restore_shell_signal(num);
                    continue;
                }
                "-" => {
                    self.traps.remove(&name);
                    Handler::Default
                }
                "" => {
                    self.traps.insert(name, String::new());
                    Handler::Ignore
                }
                a => {
                    self.traps.insert(name, String::from(a));
                    Handler::Call(record)
                }
            };
            if num != 0 && num != signal::SIGKILL {
                let _ = sys::sigaction(num, Some(&Disposition::new(handler, 0)), None);
            }
        }
        Ok(status)
    }

    /// In a forked child (a subshell): caught signals go back to their default
    /// actions and the actions are forgotten; ignored signals stay ignored (POSIX).
    pub fn reset_traps_for_child(&mut self) {
        for (name, action) in core::mem::take(&mut self.traps) {
            if action.is_empty() {
                continue;
            }
            if let Some((_, num)) = condition(&name).filter(|(_, n)| *n != 0) {
                let _ = sys::sigaction(num, Some(&Disposition::new(Handler::Default, 0)), None);
            }
        }
        PENDING.store(0, Ordering::Relaxed);
    }

    /// Runs the actions of signals that arrived since the last call.
    pub fn run_pending_traps(&mut self, io: &Io) {
        let pending = PENDING.swap(0, Ordering::Relaxed);
        if pending == 0 {
            return;
        }
        for (name, num) in SIGNALS {
            if pending & (1 << num) != 0 {
                if let Some(action) = self.traps.get(*name).cloned() {
                    self.run_trap_action(&action, io);
                }
            }
        }
    }

    /// Runs `action` keeping `$?` as it was.
    fn run_trap_action(&mut self, action: &str, io: &Io) {
        let status = self.status;
        if let Ok(list) = crate::shparse::parse(action) {
            self.run_list(&list, io);
        }
        if !matches!(self.flow, Flow::Exit(_)) {
            self.status = status;
        }
    }

    /// Runs the `EXIT` action once, as the shell ends; the exit status it leaves.
    pub fn run_exit_trap(&mut self, code: i32) -> i32 {
        let Some(action) = self.traps.remove("EXIT") else {
            return code;
        };
        self.flow = Flow::Normal;
        self.status = code;
        self.run_trap_action(&action, &Io::standard());
        match self.flow {
            Flow::Exit(c) => c,
            _ => code,
        }
    }
}
