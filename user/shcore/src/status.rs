//! From a wait status to `$?` and the line a shell prints for a killed program.
//!
//! Chapter 2 section 3-2 (process control): when a child ends, `waitpid` gives its
//! parent a status word saying whether it exited (and with what code) or was killed by
//! a signal. A shell turns that into `$?`: the exit code, or 128 plus the signal number,
//! and, for signals other than `SIGINT` and `SIGPIPE` (which the user caused or which
//! end pipelines quietly), a line like `Segmentation fault (SIGSEGV)`.
//!
//! Design decision: the decoding uses `abi::signal`'s helpers, the same ones the kernel
//! encodes with, so the two cannot disagree about bit positions.

use abi::signal::{self, wexitstatus, wifexited, wifsignaled, wtermsig};
use alloc::format;
use alloc::string::String;

/// The "core dumped" bit of a wait status.
pub const CORE_DUMPED: u32 = 0x80;

/// `$?` for a raw wait status: the exit code, or 128 + signal number.
pub fn exit_code(status: u32) -> i32 {
    if wifexited(status) {
        i32::from(wexitstatus(status))
    } else if wifsignaled(status) {
        128 + wtermsig(status) as i32
    } else {
        // Stopped or otherwise unusual: report it like bash reports a stop (128 + sig).
        128 + ((status >> 8) & 0x7f) as i32
    }
}

/// The description of a signal as shells print it.
pub fn signal_description(sig: u32) -> String {
    let what = match sig {
        signal::SIGHUP => "Hangup",
        signal::SIGINT => "Interrupt",
        signal::SIGQUIT => "Quit",
        signal::SIGILL => "Illegal instruction",
        signal::SIGTRAP => "Trace/breakpoint trap",
        signal::SIGABRT => "Aborted",
        signal::SIGBUS => "Bus error",
        signal::SIGFPE => "Floating point exception",
        signal::SIGKILL => return String::from("Killed"),
        signal::SIGUSR1 => "User defined signal 1",
        signal::SIGSEGV => "Segmentation fault",
        signal::SIGUSR2 => "User defined signal 2",
        signal::SIGPIPE => "Broken pipe",
        signal::SIGALRM => "Alarm clock",
        signal::SIGTERM => return String::from("Terminated"),
        signal::SIGSTOP | signal::SIGTSTP => "Stopped",
        signal::SIGXCPU => "CPU time limit exceeded",
        signal::SIGXFSZ => "File size limit exceeded",
        _ => return format!("Killed by signal {sig}"),
    };
    format!("{what} ({})", signal::name(sig))
}

/// How `jobs` names a stop by `sig` (the C library's `strsignal` texts, which dash
/// shows): `Stopped` for `Ctrl-Z`, `Stopped (tty input)` for a background read.
pub fn stop_description(sig: u32) -> &'static str {
    match sig {
        signal::SIGSTOP => "Stopped (signal)",
        signal::SIGTTIN => "Stopped (tty input)",
        signal::SIGTTOU => "Stopped (tty output)",
        _ => "Stopped",
    }
}

/// The line to print after a foreground command ended with `status`, if any: nothing
/// for a normal exit or for `SIGINT`/`SIGPIPE`.
pub fn report(status: u32) -> Option<String> {
    if !wifsignaled(status) {
        return None;
    }
    let sig = wtermsig(status);
    if sig == signal::SIGINT || sig == signal::SIGPIPE {
        return None;
    }
    let mut line = signal_description(sig);
    if status & CORE_DUMPED != 0 {
        line.push_str(" (core dumped)");
    }
    Some(line)
}

/// The state word `jobs` shows for a finished job: `Done`, `Exit 3`, or the signal.
pub fn job_state(status: u32) -> String {
    if wifexited(status) {
        match wexitstatus(status) {
            0 => String::from("Done"),
            n => format!("Exit {n}"),
        }
    } else if wifsignaled(status) {
        signal_description(wtermsig(status))
    } else {
        String::from("Stopped")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::signal::{wait_status_exited, wait_status_signaled, SIGINT, SIGKILL, SIGSEGV};

    #[test]
    fn exit_codes_pass_through_and_signals_add_128() {
        assert_eq!(exit_code(wait_status_exited(0)), 0);
        assert_eq!(exit_code(wait_status_exited(3)), 3);
        assert_eq!(exit_code(wait_status_signaled(SIGINT)), 130);
        assert_eq!(exit_code(wait_status_signaled(SIGKILL)), 137);
    }

    #[test]
    fn segfault_and_kill_are_reported_but_interrupt_is_quiet() {
        assert_eq!(
            report(wait_status_signaled(SIGSEGV)).as_deref(),
            Some("Segmentation fault (SIGSEGV)")
        );
        assert_eq!(
            report(wait_status_signaled(SIGSEGV) | CORE_DUMPED).as_deref(),
            Some("Segmentation fault (SIGSEGV) (core dumped)")
        );
        assert_eq!(
            report(wait_status_signaled(SIGKILL)).as_deref(),
            Some("Killed")
        );
        assert_eq!(report(wait_status_signaled(SIGINT)), None);
        assert_eq!(report(wait_status_signaled(abi::signal::SIGPIPE)), None);
        assert_eq!(report(wait_status_exited(1)), None);
    }

    #[test]
    fn job_states_read_like_a_shell() {
        assert_eq!(job_state(wait_status_exited(0)), "Done");
        assert_eq!(job_state(wait_status_exited(2)), "Exit 2");
        assert_eq!(
            job_state(wait_status_signaled(abi::signal::SIGTERM)),
            "Terminated"
        );
    }
}
