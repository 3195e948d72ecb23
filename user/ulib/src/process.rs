//! Processes and signals (chapter 2, process control): exit, fork, exec, spawn through
//! a [`Command`] builder, wait, kill, process groups and signal handlers.
//!
//! [`Command::spawn`] uses the `spawn` call, whose arguments travel in a parameter block
//! in memory (`abi::SpawnArgs`): the program, its arguments and environment, which of
//! the parent's descriptors become the child's 0, 1 and 2, and its process group. A
//! program name without a `/` is looked up in the directories of `PATH` (default
//! `/bin`). Standard output is flushed before any call that starts or replaces a
//! program, so buffered text is neither lost nor printed twice.

use crate::fs::File;
use crate::{env, io, sys, Errno, Result};
use abi::signal;
use abi::{SpawnArgs, UserStr};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use crate::sys::{Disposition, Handler};

/// End the program with `code`, after writing buffered standard output.
pub fn exit(code: i32) -> ! {
    io::flush_stdout();
    sys::exit(code)
}

/// End the program by `SIGABRT`.
pub fn abort() -> ! {
    io::flush_stdout();
    let _ = sys::kill(id() as i64, signal::SIGABRT);
    sys::exit(134)
}

/// This process's id.
pub fn id() -> u32 {
    sys::getpid().unwrap_or(0) as u32
}

/// The parent's id.
pub fn parent_id() -> u32 {
    sys::getppid().unwrap_or(0) as u32
}

/// What `fork` returned, in the process that sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fork {
    /// In the parent: the child's pid.
    Parent(u32),
    Child,
}

/// Duplicate this process.
pub fn fork() -> Result<Fork> {
    io::flush_stdout();
    match sys::fork()? {
        0 => Ok(Fork::Child),
        pid => Ok(Fork::Parent(pid as u32)),
    }
}

fn user_strs<S: AsRef<str>>(list: &[S]) -> Vec<UserStr> {
    list.iter()
        .map(|s| UserStr {
            ptr: s.as_ref().as_ptr() as u64,
            len: s.as_ref().len() as u64,
        })
        .collect()
}

/// Find a program: a name with a `/` is used as it is, otherwise each directory of
/// `PATH` (default `/bin`) is tried for a regular file of that name.
pub fn find_program(name: &str) -> Option<String> {
    if name.contains('/') {
        return Some(String::from(name));
    }
    let path = env::var("PATH").unwrap_or_else(|| String::from("/bin"));
    path.split(':')
        .map(|dir| crate::fs::join(if dir.is_empty() { "." } else { dir }, name))
        .find(|p| crate::fs::metadata(p).map(|m| m.is_file()).unwrap_or(false))
}

/// Replace this program with `program` (looked up in `PATH`), with `args` as its
/// arguments (`args[0]` is conventionally its name) and this program's environment.
/// Returns only on failure.
pub fn exec<S: AsRef<str>>(program: &str, args: &[S]) -> Errno {
    exec_with_env(program, args, &env::environ())
}

/// [`exec`] with an explicit environment (`NAME=value` strings).
pub fn exec_with_env<S: AsRef<str>, E: AsRef<str>>(program: &str, args: &[S], envs: &[E]) -> Errno {
    let Some(path) = find_program(program) else {
        return Errno::ENOENT;
    };
    io::flush_stdout();
    let argv = user_strs(args);
    let envp = user_strs(envs);
    match sys::exec(&path, &argv, &envp) {
        Ok(_) => Errno::EIO, // exec does not return on success
        Err(e) => e,
    }
}

/// How a child ended: the raw wait status, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus(pub u32);

impl ExitStatus {
    /// Exited with code 0.
    pub fn success(&self) -> bool {
        self.code() == Some(0)
    }
    /// The exit code, if it exited.
    pub fn code(&self) -> Option<i32> {
        signal::wifexited(self.0).then(|| signal::wexitstatus(self.0) as i32)
    }
    /// The signal that ended it, if one did.
    pub fn signal(&self) -> Option<u32> {
        signal::wifsignaled(self.0).then(|| signal::wtermsig(self.0))
    }
    /// The signal that stopped it, for a stop reported with `WUNTRACED`.
    pub fn stopped_by(&self) -> Option<u32> {
        (signal::wifstopped(self.0) && !signal::wifcontinued(self.0))
            .then(|| signal::wstopsig(self.0))
    }
    /// Reported with `WCONTINUED`: a stopped child was continued.
    pub fn continued(&self) -> bool {
        signal::wifcontinued(self.0)
    }
    /// The shell's `$?`: the code, or 128 + the signal.
    pub fn shell_code(&self) -> i32 {
        match (self.code(), self.signal()) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s as i32,
            _ => 255,
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code(), self.signal()) {
            (Some(c), _) => write!(f, "exit status: {c}"),
            (None, Some(s)) => write!(f, "signal: {s} ({})", signal::name(s)),
            _ => write!(f, "wait status {:#x}", self.0),
        }
    }
}

/// Wait for any child: its pid and how it ended.
pub fn wait() -> Result<(u32, ExitStatus)> {
    waitpid(-1, 0).map(|r| r.unwrap_or((0, ExitStatus(0))))
}

/// Wait for child `pid` (-1 any, `-pgid` a group member) with `WNOHANG` or 0 as flags:
/// `None` when `WNOHANG` was given and no child has ended.
pub fn waitpid(pid: i64, flags: u32) -> Result<Option<(u32, ExitStatus)>> {
    let mut status = 0u32;
    match sys::waitpid(pid, Some(&mut status), flags)? {
        0 => Ok(None),
        p => Ok(Some((p as u32, ExitStatus(status)))),
    }
}

/// Send `sig` to process `pid` (negative: to every process of group `-pid`).
pub fn kill(pid: i64, sig: u32) -> Result<()> {
    sys::kill(pid, sig).map(|_| ())
}

/// Put `pid` (0 = this process) into group `pgid` (0 = a group named after `pid`).
pub fn setpgid(pid: u32, pgid: u32) -> Result<()> {
    sys::setpgid(pid, pgid).map(|_| ())
}

pub fn getpgid(pid: u32) -> Result<u32> {
    sys::getpgid(pid).map(|g| g as u32)
}

/// Install `handler` for `sig`: the previous disposition (give it back to
/// [`set_disposition`] to restore it). A handler runs with `sig` blocked and returns
/// through ulib's trampoline, which calls `sigreturn`. Handlers must not allocate.
pub fn signal(sig: u32, handler: Handler) -> Result<Disposition> {
    set_disposition(sig, &Disposition::new(handler, 0))
}

/// Install a disposition (from [`Disposition::new`] or an earlier call): the old one.
pub fn set_disposition(sig: u32, new: &Disposition) -> Result<Disposition> {
    let mut old = Disposition::new(Handler::Default, 0);
    sys::sigaction(sig, Some(new), Some(&mut old))?;
    Ok(old)
}

/// Change the set of blocked signals (`SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK`, with
/// bit `1 << sig` per signal): the previous set.
pub fn sigprocmask(how: u32, set: u64) -> Result<u64> {
    let mut old = 0;
    sys::sigprocmask(how, set, Some(&mut old))?;
    Ok(old)
}

/// Signal number for a name: `"TERM"`, `"SIGTERM"` or `"15"`.
pub fn signal_from_name(name: &str) -> Option<u32> {
    if let Ok(n) = name.parse::<u32>() {
        return (n > 0 && n < signal::NSIG).then_some(n);
    }
    let upper: String = name.chars().map(|c| c.to_ascii_uppercase()).collect();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        alloc::format!("SIG{upper}")
    };
    (1..signal::NSIG).find(|&s| signal::name(s) == full)
}

/// Where a child's standard stream comes from.
#[derive(Debug)]
pub enum Stdio {
    /// The parent's same descriptor.
    Inherit,
    /// `/dev/null`.
    Null,
    /// A new pipe; the parent's end appears in [`Child`].
    Piped,
    /// This descriptor of the parent's (borrowed, not closed).
    Fd(i32),
    /// This file (closed in the parent once the child has it).
    File(File),
    /// Closed in the child.
    Close,
}

/// A program to start, `std::process::Command`'s builder.
#[derive(Debug)]
pub struct Command {
    program: String,
    /// `argv[0]`, if not the program's name.
    arg0: Option<String>,
    args: Vec<String>,
    env: Option<Vec<String>>,
    env_changes: Vec<(String, Option<String>)>,
    stdio: [Option<Stdio>; 3],
    pgid: u32,
    foreground: bool,
}

/// A started child.
#[derive(Debug)]
pub struct Child {
    pid: u32,
    /// The parent's write end, if stdin was [`Stdio::Piped`].
    pub stdin: Option<File>,
    pub stdout: Option<File>,
    pub stderr: Option<File>,
}

impl Command {
    pub fn new(program: &str) -> Command {
        Command {
            program: String::from(program),
            arg0: None,
            args: Vec::new(),
            env: None,
            env_changes: Vec::new(),
            stdio: [None, None, None],
            pgid: 0,
            foreground: false,
        }
    }
    /// The name the program sees as `argv[0]` (by default the name it was started by,
    /// as `std::os::unix::process::CommandExt::arg0`).
    pub fn arg0(&mut self, name: &str) -> &mut Self {
        self.arg0 = Some(String::from(name));
        self
    }
    pub fn arg(&mut self, a: &str) -> &mut Self {
        self.args.push(String::from(a));
        self
    }
    pub fn args<S: AsRef<str>>(&mut self, args: &[S]) -> &mut Self {
        self.args
            .extend(args.iter().map(|a| String::from(a.as_ref())));
        self
    }
    pub fn env(&mut self, name: &str, value: &str) -> &mut Self {
        self.env_changes
            .push((String::from(name), Some(String::from(value))));
        self
    }
    pub fn env_remove(&mut self, name: &str) -> &mut Self {
        self.env_changes.push((String::from(name), None));
        self
    }
    /// Start from an empty environment instead of this program's.
    pub fn env_clear(&mut self) -> &mut Self {
        self.env = Some(Vec::new());
        self.env_changes.clear();
        self
    }
    pub fn stdin(&mut self, s: Stdio) -> &mut Self {
        self.stdio[0] = Some(s);
        self
    }
    pub fn stdout(&mut self, s: Stdio) -> &mut Self {
        self.stdio[1] = Some(s);
        self
    }
    pub fn stderr(&mut self, s: Stdio) -> &mut Self {
        self.stdio[2] = Some(s);
        self
    }
    /// The child's process group: 0 makes a new group named after the child (as in
    /// `std`), any other value joins that group. Unset, it stays in the parent's.
    pub fn process_group(&mut self, pgid: u32) -> &mut Self {
        self.pgid = if pgid == 0 { u32::MAX } else { pgid };
        self
    }

    /// Give the terminal to the child's (new) group before it runs, when this process
    /// holds the terminal (`abi::SPAWN_FOREGROUND`): a shell's foreground job.
    pub fn foreground(&mut self, yes: bool) -> &mut Self {
        self.foreground = yes;
        self
    }

    fn environment(&self) -> Vec<String> {
        let mut vars = self.env.clone().unwrap_or_else(env::environ);
        for (name, value) in &self.env_changes {
            vars.retain(|s| s.split_once('=').map_or(s.as_str(), |p| p.0) != name);
            if let Some(v) = value {
                vars.push(alloc::format!("{name}={v}"));
            }
        }
        vars
    }

    /// Start the program.
    pub fn spawn(&mut self) -> Result<Child> {
        let path = find_program(&self.program).ok_or(Errno::ENOENT)?;
        let mut argv = Vec::with_capacity(self.args.len() + 1);
        argv.push(self.arg0.clone().unwrap_or_else(|| self.program.clone()));
        argv.extend(self.args.iter().cloned());
        let envs = self.environment();

        // Descriptors for the child, and the parent's ends of any pipes. `owned` is
        // closed (dropped) after the spawn.
        let mut fds = [0i32; 3];
        let mut owned: Vec<File> = Vec::new();
        let mut parent_ends: [Option<File>; 3] = [None, None, None];
        for (i, slot) in self.stdio.iter_mut().enumerate() {
            fds[i] = match slot.take().unwrap_or(Stdio::Inherit) {
                Stdio::Inherit => i as i32,
                Stdio::Fd(fd) => fd,
                Stdio::Close => abi::flags::SPAWN_FD_CLOSE,
                Stdio::Null => {
                    let f = crate::fs::OpenOptions::new()
                        .read(i == 0)
                        .write(i != 0)
                        .open("/dev/null")?;
                    let fd = f.as_raw_fd();
                    owned.push(f);
                    fd
                }
                Stdio::File(f) => {
                    let fd = f.as_raw_fd();
                    owned.push(f);
                    fd
                }
                Stdio::Piped => {
                    let mut p = [0i32; 2];
                    sys::pipe(&mut p)?;
                    let (read, write) = (File::from_raw_fd(p[0]), File::from_raw_fd(p[1]));
                    let (child, parent) = if i == 0 { (read, write) } else { (write, read) };
                    let fd = child.as_raw_fd();
                    owned.push(child);
                    parent_ends[i] = Some(parent);
                    fd
                }
            };
        }

        let argv_strs = user_strs(&argv);
        let env_strs = user_strs(&envs);
        let block = SpawnArgs {
            path: UserStr {
                ptr: path.as_ptr() as u64,
                len: path.len() as u64,
            },
            argv: argv_strs.as_ptr() as u64,
            argc: argv_strs.len() as u64,
            envp: env_strs.as_ptr() as u64,
            envc: env_strs.len() as u64,
            fds,
            pgid: self.pgid,
            flags: if self.foreground {
                abi::SPAWN_FOREGROUND
            } else {
                0
            },
        };
        io::flush_stdout();
        let pid = sys::spawn(&block)? as u32;
        drop(owned);
        let [stdin, stdout, stderr] = parent_ends;
        Ok(Child {
            pid,
            stdin,
            stdout,
            stderr,
        })
    }

    /// Start the program and wait for it.
    pub fn status(&mut self) -> Result<ExitStatus> {
        self.spawn()?.wait()
    }
}

impl Child {
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// Wait for the child to end (closing its stdin pipe first, so it sees the end).
    pub fn wait(&mut self) -> Result<ExitStatus> {
        self.stdin = None;
        loop {
            match waitpid(self.pid as i64, 0) {
                Ok(Some((_, st))) => return Ok(st),
                Ok(None) => continue,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// How it ended, if it has.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        Ok(waitpid(self.pid as i64, abi::flags::WNOHANG)?.map(|(_, s)| s))
    }

    /// Send it `SIGKILL`.
    pub fn kill(&mut self) -> Result<()> {
        kill(self.pid as i64, signal::SIGKILL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_tells_code_from_signal() {
        let s = ExitStatus(signal::wait_status_exited(3));
        assert_eq!(
            (s.code(), s.signal(), s.success(), s.shell_code()),
            (Some(3), None, false, 3)
        );
        let s = ExitStatus(signal::wait_status_signaled(signal::SIGSEGV));
        assert_eq!(
            (s.code(), s.signal(), s.shell_code()),
            (None, Some(11), 139)
        );
        assert_eq!(alloc::format!("{s}"), "signal: 11 (SIGSEGV)");
        assert!(ExitStatus(0).success());
    }

    #[test]
    fn signal_names_are_read_with_or_without_the_prefix() {
        assert_eq!(signal_from_name("TERM"), Some(15));
        assert_eq!(signal_from_name("sigkill"), Some(9));
        assert_eq!(signal_from_name("2"), Some(2));
        assert_eq!(signal_from_name("99"), None);
        assert_eq!(signal_from_name("NOPE"), None);
    }

    #[test]
    fn command_environment_applies_changes_in_order() {
        let mut c = Command::new("x");
        c.env_clear()
            .env("A", "1")
            .env("B", "2")
            .env_remove("A")
            .env("B", "3");
        assert_eq!(c.environment(), ["B=3"]);
    }
}
