//! The shell's state: variables, positional arguments, `$?`, jobs, and where its three
//! standard descriptors point for the command being run.
//!
//! Chapter 2 section 2-1 (the command interpreter): the interpreter is a long-lived
//! process whose own state (working directory, variables, jobs) is exactly what its
//! builtins change; everything else it does by starting other programs.
//!
//! Design decision: redirections of builtins and of `{ }`, `if`, `while`... are not
//! done by `dup2` on the shell's own descriptors (which would need saving and
//! restoring around every command); instead each command runs with an [`Io`], a small
//! table saying which of the shell's descriptors play the roles 0..9. Builtins write to
//! `io.fd(1)`, and a spawned program receives `io`'s first three entries as its 0, 1, 2.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use shcore::jobs::JobTable;
use shcore::vars::Vars;
use ulib::io::write_all;

/// How many descriptor roles a redirection can name (`0` to `9`).
pub const IO_SLOTS: usize = 10;

/// Which descriptor of the shell serves as each descriptor of the command being run;
/// `-1` means closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Io {
    pub fds: [i32; IO_SLOTS],
}

impl Io {
    /// The shell's own descriptors: 0 is 0, 1 is 1, and so on.
    pub const fn standard() -> Io {
        Io {
            fds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        }
    }

    /// The shell descriptor for role `n` (`-1` if closed or out of range).
    pub fn fd(&self, n: usize) -> i32 {
        self.fds.get(n).copied().unwrap_or(-1)
    }

    /// The same table with role `n` served by `fd`.
    pub fn with(mut self, n: usize, fd: i32) -> Io {
        if n < IO_SLOTS {
            self.fds[n] = fd;
        }
        self
    }
}

/// Why a loop or script is being left early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Running normally.
    Normal,
    /// `break N`: leave N enclosing loops.
    Break(usize),
    /// `continue N`: go on with the Nth enclosing loop.
    Continue(usize),
    /// `exit N` (or end of input): leave the shell.
    Exit(i32),
    /// `Ctrl-C` ended a foreground job: skip the rest of the command line.
    Cancel,
}

/// Everything the shell knows.
pub struct Shell {
    /// Shell and environment variables.
    pub vars: Vars,
    /// `$0`.
    pub arg0: String,
    /// `$1`...
    pub args: Vec<String>,
    /// `$?`.
    pub status: i32,
    /// `$$`.
    pub pid: u32,
    /// `$!`.
    pub last_bg: Option<u32>,
    /// Background jobs.
    pub jobs: JobTable,
    /// Whether this shell reads commands from a terminal (prompts, job control).
    pub interactive: bool,
    /// The shell's process group, which gets the terminal back after each job.
    pub pgid: u32,
    /// Whether this process is a forked child running part of a pipeline.
    pub subshell: bool,
    /// Set by `break`, `continue`, `exit`.
    pub flow: Flow,
    /// How many loops enclose the command being run.
    pub loop_depth: usize,
    /// The line editor (and its history) when interactive.
    pub editor: shcore::lineedit::Editor,
}

impl Shell {
    /// A shell with the environment it was started with.
    pub fn new(arg0: String, args: Vec<String>) -> Shell {
        let mut vars = Vars::new();
        let env = ulib::env::environ();
        vars.import(env.iter().map(String::as_str));
        Shell {
            vars,
            arg0,
            args,
            status: 0,
            pid: ulib::sys::getpid().unwrap_or(0) as u32,
            last_bg: None,
            jobs: JobTable::new(),
            interactive: false,
            pgid: 0,
            subshell: false,
            flow: Flow::Normal,
            loop_depth: 0,
            editor: shcore::lineedit::Editor::new(),
        }
    }

    /// Writes `text` to the command's descriptor `n` (errors such as a closed pipe are
    /// ignored: a builtin's output has nowhere else to go).
    pub fn write(&self, io: &Io, n: usize, text: &str) {
        let fd = io.fd(n);
        if fd >= 0 {
            let _ = write_all(fd, text.as_bytes());
        }
    }

    /// Prints `sh: message` on the command's standard error.
    pub fn error(&self, io: &Io, message: &str) {
        self.write(io, 2, &format!("sh: {message}\n"));
    }

    /// Whether the shell should stop running commands (loop control or exit pending).
    pub fn interrupted(&self) -> bool {
        self.flow != Flow::Normal
    }
}

impl crate::shparse::Env for Shell {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).map(String::from)
    }
    fn arg0(&self) -> &str {
        &self.arg0
    }
    fn args(&self) -> &[String] {
        &self.args
    }
    fn status(&self) -> i32 {
        self.status
    }
    fn pid(&self) -> u32 {
        self.pid
    }
    fn last_background(&self) -> Option<u32> {
        self.last_bg
    }
}
