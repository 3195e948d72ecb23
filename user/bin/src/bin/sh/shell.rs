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

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::shparse::Command;
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
    /// `return N`: leave the function (or sourced file) being run.
    Return(i32),
}

/// `set -e`, `-u`, `-x` and the others `set` knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `-e`: exit when a command fails outside a condition.
    pub errexit: bool,
    /// `-u`: expanding an unset parameter is an error.
    pub nounset: bool,
    /// `-x`: print each command before running it.
    pub xtrace: bool,
    /// `-f`: no pathname expansion.
    pub noglob: bool,
    /// `-v`: print input lines as they are read (accepted, not acted on).
    pub verbose: bool,
    /// `-C`: `>` does not overwrite an existing file.
    pub noclobber: bool,
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
    /// Background and stopped jobs.
    pub jobs: JobTable,
    /// Whether `exit` was refused once because of stopped jobs (the next one goes).
    pub exit_warned: bool,
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
    /// Defined functions: name to body.
    pub functions: BTreeMap<String, Command>,
    /// How many function calls (or sourced files) enclose the command being run.
    pub func_depth: usize,
    /// `set` options.
    pub opts: Options,
    /// Inside a condition (`if`, `while`, `&&`, `!`...), where `set -e` does not act.
    pub cond_depth: usize,
    /// The line of the command being run, for messages.
    pub lineno: usize,
    /// Exit status of the last command substitution of the command being expanded.
    pub subst_status: Option<i32>,
    /// `trap` actions: condition name (`EXIT`, `INT`...) to command text.
    pub traps: BTreeMap<String, String>,
    /// `alias` definitions.
    pub aliases: BTreeMap<String, String>,
    /// Here-document writers still running.
    pub stray: Vec<u32>,
    /// For each function call being run, the variables `local` saved: name and the
    /// value to put back (`None`: unset) when the function returns.
    pub locals: Vec<Vec<(String, Option<String>)>>,
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
            exit_warned: false,
            interactive: false,
            pgid: 0,
            subshell: false,
            flow: Flow::Normal,
            loop_depth: 0,
            editor: shcore::lineedit::Editor::new(),
            functions: BTreeMap::new(),
            func_depth: 0,
            opts: Options::default(),
            cond_depth: 0,
            lineno: 0,
            subst_status: None,
            traps: BTreeMap::new(),
            aliases: BTreeMap::new(),
            stray: Vec::new(),
            locals: Vec::new(),
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

    /// Prints `sh: message` on the command's standard error; a script's messages
    /// name it and the line, as dash does (`script: 3: message`).
    pub fn error(&self, io: &Io, message: &str) {
        if self.interactive {
            self.write(io, 2, &format!("sh: {message}\n"));
        } else {
            let line = format!("{}: {}: {message}\n", self.arg0, self.lineno);
            self.write(io, 2, &line);
        }
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
    fn set_var(&mut self, name: &str, value: &str) -> Result<(), String> {
        self.vars.set(name, value);
        Ok(())
    }
    fn command_output(&mut self, list: &crate::shparse::List) -> Result<String, String> {
        self.capture(list)
    }
    fn nounset(&self) -> bool {
        self.opts.nounset
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
