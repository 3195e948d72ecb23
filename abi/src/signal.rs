//! Signals: numbers (Linux's), default actions, and the wait-status encoding.

pub const SIGHUP: u32 = 1;
pub const SIGINT: u32 = 2;
pub const SIGQUIT: u32 = 3;
pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGABRT: u32 = 6;
pub const SIGBUS: u32 = 7;
pub const SIGFPE: u32 = 8;
pub const SIGKILL: u32 = 9;
pub const SIGUSR1: u32 = 10;
pub const SIGSEGV: u32 = 11;
pub const SIGUSR2: u32 = 12;
pub const SIGPIPE: u32 = 13;
pub const SIGALRM: u32 = 14;
pub const SIGTERM: u32 = 15;
pub const SIGCHLD: u32 = 17;
pub const SIGCONT: u32 = 18;
pub const SIGSTOP: u32 = 19;
pub const SIGTSTP: u32 = 20;
/// A background process read from its terminal.
pub const SIGTTIN: u32 = 21;
/// A background process wrote to its terminal (with `TOSTOP`; reserved).
pub const SIGTTOU: u32 = 22;
/// CPU time limit (`RLIMIT_CPU`'s soft limit) exceeded.
pub const SIGXCPU: u32 = 24;
/// File size limit exceeded (reserved: dinos has no `RLIMIT_FSIZE` yet).
pub const SIGXFSZ: u32 = 25;
/// Signals are 1..NSIG.
pub const NSIG: u32 = 32;

/// `sigaction` handler values.
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

/// `SigAction::flags`: run the handler on the alternate signal stack (`sigaltstack`),
/// if one is set and the thread is not on it already. (Linux's value.)
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// `SigAction::flags`: a system call a handler interrupts is restarted after it
/// rather than failing with EINTR (for the calls that may be; Linux's value, honoured
/// for Linux programs: see `SigState::restart`).
pub const SA_RESTART: u64 = 0x1000_0000;
/// The smallest alternate signal stack accepted (Linux's `MINSIGSTKSZ`).
pub const MINSIGSTKSZ: u64 = 2048;

/// `sigprocmask` operations.
pub const SIG_BLOCK: u32 = 0;
pub const SIG_UNBLOCK: u32 = 1;
pub const SIG_SETMASK: u32 = 2;

/// What happens to a process for a signal with the default action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    Ignore,
    Stop,
    Continue,
}

pub const fn default_action(sig: u32) -> DefaultAction {
    match sig {
        SIGCHLD => DefaultAction::Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGCONT => DefaultAction::Continue,
        _ => DefaultAction::Terminate,
    }
}

/// The conventional name ("SIGSEGV") of a signal.
pub const fn name(sig: u32) -> &'static str {
    match sig {
        SIGHUP => "SIGHUP",
        SIGINT => "SIGINT",
        SIGQUIT => "SIGQUIT",
        SIGILL => "SIGILL",
        SIGTRAP => "SIGTRAP",
        SIGABRT => "SIGABRT",
        SIGBUS => "SIGBUS",
        SIGFPE => "SIGFPE",
        SIGKILL => "SIGKILL",
        SIGUSR1 => "SIGUSR1",
        SIGSEGV => "SIGSEGV",
        SIGUSR2 => "SIGUSR2",
        SIGPIPE => "SIGPIPE",
        SIGALRM => "SIGALRM",
        SIGTERM => "SIGTERM",
        SIGCHLD => "SIGCHLD",
        SIGCONT => "SIGCONT",
        SIGSTOP => "SIGSTOP",
        SIGTSTP => "SIGTSTP",
        SIGTTIN => "SIGTTIN",
        SIGTTOU => "SIGTTOU",
        SIGXCPU => "SIGXCPU",
        SIGXFSZ => "SIGXFSZ",
        _ => "SIG?",
    }
}

/// Does the default action of `sig` write a core file (Linux's "core" signals)? The
/// process still ends as for "terminate"; `RLIMIT_CORE` says whether a file is written.
pub const fn dumps_core(sig: u32) -> bool {
    matches!(
        sig,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
    )
}

/// Wait status as `waitpid` reports it (the traditional encoding): exit code in bits
/// 8-15 for a normal exit, the signal number in bits 0-6 when a signal killed it.
pub const fn wait_status_exited(code: u8) -> u32 {
    (code as u32) << 8
}
pub const fn wait_status_signaled(sig: u32) -> u32 {
    sig & 0x7f
}
/// The "core dumped" bit of a signal's wait status (`WCOREDUMP`).
pub const WAIT_CORE_DUMPED: u32 = 0x80;
/// Killed by `sig`, and a core file was written.
pub const fn wait_status_core_dumped(sig: u32) -> u32 {
    wait_status_signaled(sig) | WAIT_CORE_DUMPED
}
/// Did the signal that ended the process leave a core file?
pub const fn wcoredump(status: u32) -> bool {
    wifsignaled(status) && status & WAIT_CORE_DUMPED != 0
}
/// A child stopped by `sig` (reported with `WUNTRACED`): 0x7f in the low byte.
pub const fn wait_status_stopped(sig: u32) -> u32 {
    (sig & 0xff) << 8 | 0x7f
}
/// A stopped child continued by SIGCONT (reported with `WCONTINUED`).
pub const WAIT_STATUS_CONTINUED: u32 = 0xffff;
pub const fn wifstopped(status: u32) -> bool {
    status & 0xff == 0x7f
}
pub const fn wstopsig(status: u32) -> u32 {
    (status >> 8) & 0xff
}
pub const fn wifcontinued(status: u32) -> bool {
    status == WAIT_STATUS_CONTINUED
}
pub const fn wifexited(status: u32) -> bool {
    status & 0x7f == 0
}
pub const fn wexitstatus(status: u32) -> u8 {
    (status >> 8) as u8
}
pub const fn wifsignaled(status: u32) -> bool {
    status & 0x7f != 0 && status & 0x7f != 0x7f
}
pub const fn wtermsig(status: u32) -> u32 {
    status & 0x7f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_status_encodes_exit_and_signal() {
        let s = wait_status_exited(3);
        assert!(wifexited(s) && !wifsignaled(s) && wexitstatus(s) == 3);
        let s = wait_status_signaled(SIGSEGV);
        assert!(!wifexited(s) && wifsignaled(s) && wtermsig(s) == SIGSEGV);
    }
}
