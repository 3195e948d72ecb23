//! Starting processes: a pipeline's children joined by pipes in one process group,
//! a program by `spawn` (with `PATH` search and `#!` scripts), and shell code that
//! must run in another process by `fork` (chapter 2, 3-2 "process control").

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::shparse::{Command, Pipeline, Word};
use shcore::pathsearch::{find_command, parse_shebang};
use ulib::process::{Command as Program, Stdio};
use ulib::{sys, Errno};

use crate::builtins;
use crate::exec::{close_all, Started, NEW_FOREGROUND_GROUP, NEW_GROUP};
use crate::render;
use crate::shell::{Flow, Io, Shell};
use crate::sysfs::{read_head, SysFs};

impl Shell {
    /// Starts every command of a pipeline, left to right, joined by pipes.
    /// `foreground`: the job's group gets the terminal as its first member starts (see
    /// [`NEW_FOREGROUND_GROUP`]).
    pub(crate) fn start_pipeline(
        &mut self,
        cmds: &[Command],
        io: &Io,
        foreground: bool,
    ) -> Result<Started, i32> {
        let job_control = self.job_control();
        let mut started = Started {
            pgid: if job_control { 0 } else { self.pgid },
            pids: Vec::new(),
        };
        let mut stdin = io.fd(0);
        let mut prev_read: Option<i32> = None;
        let mut result = Ok(());
        for (i, cmd) in cmds.iter().enumerate() {
            let last = i + 1 == cmds.len();
            let mut next_read = None;
            let mut stdout = io.fd(1);
            if !last {
                let mut p = [0i32; 2];
                if let Err(e) = sys::pipe(&mut p) {
                    self.error(io, &format!("pipe: {}", e.message()));
                    result = Err(1);
                    break;
                }
                next_read = Some(p[0]);
                stdout = p[1];
            }
            let cio = io.with(0, stdin).with(1, stdout);
            let pgid = match (job_control, started.pids.first()) {
                (false, _) => 0,
                (true, None) if foreground => NEW_FOREGROUND_GROUP,
                (true, None) => NEW_GROUP,
                (true, Some(_)) => started.pgid,
            };
            let close_in_child: Vec<i32> = next_read.into_iter().collect();
            let r = self.start_command(cmd, &cio, pgid, &close_in_child);
            if let Some(fd) = prev_read.take() {
                let _ = sys::close(fd);
            }
            if !last {
                let _ = sys::close(stdout);
            }
            prev_read = next_read;
            stdin = next_read.unwrap_or(-1);
            match r {
                Ok(pid) => {
                    if job_control && started.pids.is_empty() {
                        started.pgid = pid;
                    }
                    started.pids.push(pid);
                }
                // A command that could not start: the others still run (as in every
                // shell), reading end of file or writing into a closed pipe.
                Err(status) if last => result = Err(status),
                Err(_) => {}
            }
        }
        if let Some(fd) = prev_read {
            let _ = sys::close(fd);
        }
        match result {
            _ if !started.pids.is_empty() && result.is_ok() => Ok(started),
            Err(status) => {
                // Reap what did start so nothing is left behind.
                if !started.pids.is_empty() {
                    let text = render::pipeline(&Pipeline {
                        negated: false,
                        commands: cmds.to_vec(),
                    });
                    self.wait_foreground(&started, || text);
                }
                Err(status)
            }
            Ok(()) => Err(1),
        }
    }

    /// Starts one pipeline member: a program with `spawn`, shell code with `fork`.
    pub(crate) fn start_command(
        &mut self,
        cmd: &Command,
        io: &Io,
        pgid: u32,
        close: &[i32],
    ) -> Result<u32, i32> {
        match cmd {
            Command::Simple(c) => {
                self.lineno = c.line;
                let expanded = self
                    .expand_args(&c.words)
                    .and_then(|argv| Ok((argv, self.assignments(c)?)));
                let (argv, assigns) = match expanded {
                    Ok(x) => x,
                    Err(msg) => {
                        self.error(io, &msg);
                        return Err(2);
                    }
                };
                let alias = c
                    .words
                    .first()
                    .and_then(Word::as_literal)
                    .is_some_and(|w| self.aliases.contains_key(w));
                if alias {
                    return self.fork_shell(pgid, close, |sh| sh.run_simple(c, io));
                }
                let inside = |a: &String| self.runs_inside(a) || builtins::is_job_kill(&argv);
                if argv.first().is_some_and(|a| !inside(a)) {
                    let mut opened = Vec::new();
                    let cio = self.apply_redirects(&c.redirects, io, &mut opened)?;
                    let env = self.vars.environ(&assigns);
                    let r = self.spawn_program(&argv, &env, &cio, pgid);
                    close_all(&mut opened);
                    return r;
                }
                self.fork_shell(pgid, close, |sh| sh.run_expanded(c, &argv, &assigns, io))
            }
            Command::Function { .. } => self.fork_shell(pgid, close, |_| 0),
            Command::Compound(c, r) => {
                self.fork_shell(pgid, close, |sh| sh.run_compound_redirected(c, r, io))
            }
        }
    }

    /// Runs `f` in a forked copy of the shell, which exits with its status.
    pub(crate) fn fork_shell(
        &mut self,
        pgid: u32,
        close: &[i32],
        f: impl FnOnce(&mut Shell) -> i32,
    ) -> Result<u32, i32> {
        match sys::fork() {
            Ok(0) => {
                self.subshell = true;
                self.reset_traps_for_child();
                if pgid != 0 {
                    let new = pgid == NEW_GROUP || pgid == NEW_FOREGROUND_GROUP;
                    let _ = sys::setpgid(0, if new { 0 } else { pgid });
                    if pgid == NEW_FOREGROUND_GROUP {
                        // Both sides give the terminal (as POSIX shells do), so it is
                        // the job's before either goes on.
                        let _ = ulib::io::set_foreground_group(0, ulib::process::id());
                    }
                }
                for &fd in close {
                    let _ = sys::close(fd);
                }
                crate::term::default_signals();
                let status = f(self);
                let code = match self.flow {
                    Flow::Exit(code) => code,
                    _ => status,
                };
                sys::exit(code)
            }
            Ok(pid) => {
                let pid = pid as u32;
                if pgid != 0 {
                    // Also from the parent, so the group exists before anyone signals it.
                    let new = pgid == NEW_GROUP || pgid == NEW_FOREGROUND_GROUP;
                    let _ = sys::setpgid(pid, if new { pid } else { pgid });
                    if pgid == NEW_FOREGROUND_GROUP {
                        let _ = ulib::io::set_foreground_group(0, pid);
                    }
                }
                Ok(pid)
            }
            Err(e) => {
                self.error(&Io::standard(), &format!("fork: {}", e.message()));
                Err(2)
            }
        }
    }

    /// Finds and spawns the program `argv[0]`; on failure prints why and returns the
    /// status (127 not found, 126 not runnable).
    pub(crate) fn spawn_program(
        &mut self,
        argv: &[String],
        env: &[String],
        io: &Io,
        pgid: u32,
    ) -> Result<u32, i32> {
        let name = &argv[0];
        let path = match find_command(name, self.vars.get("PATH"), &SysFs) {
            Ok(p) => p,
            Err(e) => {
                self.error(io, &format!("{name}: {}", e.message(name)));
                return Err(e.status());
            }
        };
        match spawn_path(&path, argv, env, io, pgid) {
            Ok(pid) => Ok(pid as u32),
            Err(Errno::ENOEXEC) => self.spawn_script(&path, argv, env, io, pgid),
            Err(e) => {
                self.error(io, &format!("{name}: {}", e.message()));
                Err(if e == Errno::ENOENT { 127 } else { 126 })
            }
        }
    }

    /// The kernel refused `path` as not a program: if it starts with `#!`, run the
    /// interpreter it names with the file as its argument; a text file without `#!`
    /// is run by `/bin/sh` (as POSIX shells do).
    pub(crate) fn spawn_script(
        &mut self,
        path: &str,
        argv: &[String],
        env: &[String],
        io: &Io,
        pgid: u32,
    ) -> Result<u32, i32> {
        let head = read_head(path, 256).unwrap_or_default();
        let (interp, arg) = match parse_shebang(&head) {
            Some(x) => x,
            None if !head.contains(&0) => (String::from("/bin/sh"), None),
            None => {
                self.error(io, &format!("{}: exec format error", argv[0]));
                return Err(126);
            }
        };
        let mut new_argv = alloc::vec![interp.clone()];
        new_argv.extend(arg);
        new_argv.push(String::from(path));
        new_argv.extend(argv[1..].iter().cloned());
        let interp_path = match find_command(&interp, self.vars.get("PATH"), &SysFs) {
            Ok(p) => p,
            Err(_) => interp.clone(),
        };
        match spawn_path(&interp_path, &new_argv, env, io, pgid) {
            Ok(pid) => Ok(pid as u32),
            Err(e) => {
                self.error(
                    io,
                    &format!("{path}: bad interpreter {interp}: {}", e.message()),
                );
                Err(126)
            }
        }
    }
}

/// One `spawn` call (through `ulib::process::Command`): the program at `path` with
/// `argv` and `env`, descriptors 0-2 from `io`, in process group `pgid` (0: the
/// shell's, `u32::MAX`: a new one named after the child).
fn spawn_path(
    path: &str,
    argv: &[String],
    env: &[String],
    io: &Io,
    pgid: u32,
) -> Result<usize, Errno> {
    // A path is used as it is, never looked up in PATH again.
    let path = if path.contains('/') {
        String::from(path)
    } else {
        format!("./{path}")
    };
    let mut c = Program::new(&path);
    if let Some((name, rest)) = argv.split_first() {
        c.arg0(name).args(rest);
    }
    c.env_clear();
    for var in env {
        if let Some((name, value)) = var.split_once('=') {
            c.env(name, value);
        }
    }
    for i in 0..3 {
        let s = match io.fd(i) {
            fd if fd < 0 => Stdio::Close,
            fd => Stdio::Fd(fd),
        };
        match i {
            0 => c.stdin(s),
            1 => c.stdout(s),
            _ => c.stderr(s),
        };
    }
    match pgid {
        0 => {}
        NEW_GROUP => {
            c.process_group(0);
        }
        NEW_FOREGROUND_GROUP => {
            c.process_group(0).foreground(true);
        }
        g => {
            c.process_group(g);
        }
    }
    c.spawn().map(|child| child.id() as usize)
}
