//! Running the syntax tree: lists, and-or lists, pipelines, commands, redirections.
//!
//! Chapter 2 section 2-1 (the command interpreter) and 3-2 (process control): for each
//! command the shell finds the program file (`PATH` search), asks the kernel to start
//! it with `spawn` (one call carrying path, arguments, environment, the three
//! descriptors the child gets and its process group), and waits. A pipeline is several
//! children joined by `pipe`s, all in one process group that is made the terminal's
//! foreground group while it runs, so `Ctrl-C` interrupts the job and not the shell.
//!
//! Design decision: programs are started with `spawn`, never `fork` + `exec`: the
//! shell's memory is not copied for a child that will throw it away, and descriptor
//! wiring is data (`Command`'s stdio, `SpawnArgs::fds` underneath) rather than `dup2` calls in a child. `fork` is used
//! only where a piece of *shell* code must run in another process: a builtin or
//! compound command inside a pipeline or in the background, and `( subshell )`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::shparse::{
    expand_string, expand_words, AndOr, Command, Compound, Connector, List, Pipeline, Redirect,
    RedirectOp, SimpleCommand, Word,
};
use shcore::fsview::expand_glob;
use ulib::abi::flags::{O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use ulib::sys;

use crate::builtins;
use crate::render;
use crate::shell::{Flow, Io, Shell};
use crate::sysfs::SysFs;

/// The process group asking for a new group named after the child.
pub(crate) const NEW_GROUP: u32 = u32::MAX;
/// A new group that is also given the terminal before the child runs (a foreground
/// command: without it, a program that reads the terminal at once could run before
/// the shell's `TIOCSPGRP` and be stopped by SIGTTIN).
pub(crate) const NEW_FOREGROUND_GROUP: u32 = u32::MAX - 1;

/// Processes started for one pipeline.
pub struct Started {
    pub pgid: u32,
    pub pids: Vec<u32>,
}

pub(crate) fn close_all(fds: &mut Vec<i32>) {
    for fd in fds.drain(..) {
        let _ = sys::close(fd);
    }
}

impl Shell {
    /// Whether this shell moves jobs in and out of the terminal's foreground.
    pub fn job_control(&self) -> bool {
        self.interactive && !self.subshell
    }

    /// Runs every item of `list`; `$?` ends as the last one's status.
    pub fn run_list(&mut self, list: &List, io: &Io) {
        for item in &list.items {
            if self.job_control() && crate::term::take_interrupt() {
                self.flow = Flow::Cancel;
            }
            self.run_pending_traps(io);
            if self.interrupted() {
                return;
            }
            if item.background {
                self.run_background(&item.and_or, io);
                self.status = 0;
            } else {
                self.status = self.run_and_or(&item.and_or, io);
            }
        }
        self.run_pending_traps(io);
    }

    pub(crate) fn run_and_or(&mut self, ao: &AndOr, io: &Io) -> i32 {
        // Every pipeline but the last is a condition, where `set -e` does not act.
        let conditional = !ao.rest.is_empty();
        self.cond_depth += usize::from(conditional);
        let mut status = self.run_pipeline(&ao.first, io);
        let mut last_ran = &ao.first;
        for (i, (conn, p)) in ao.rest.iter().enumerate() {
            if self.interrupted() {
                break;
            }
            self.status = status;
            let go = match conn {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if go {
                let is_last = i + 1 == ao.rest.len();
                if is_last {
                    self.cond_depth -= 1;
                }
                status = self.run_pipeline(p, io);
                if is_last {
                    self.cond_depth += 1;
                }
                last_ran = p;
            }
        }
        self.cond_depth -= usize::from(conditional);
        let decided_by_last = ao
            .rest
            .last()
            .is_none_or(|(_, p)| core::ptr::eq(p, last_ran));
        if status != 0
            && self.opts.errexit
            && self.cond_depth == 0
            && decided_by_last
            && !last_ran.negated
            && !self.interrupted()
        {
            self.flow = Flow::Exit(status);
        }
        status
    }

    pub(crate) fn run_pipeline(&mut self, p: &Pipeline, io: &Io) -> i32 {
        self.cond_depth += usize::from(p.negated);
        let status = match p.commands.as_slice() {
            [Command::Simple(c)] => self.run_simple(c, io),
            [Command::Function { name, body }] => {
                self.functions.insert(name.clone(), (**body).clone());
                0
            }
            [Command::Compound(Compound::Subshell(l), r)] => self.run_subshell(l, r, io),
            [Command::Compound(c, r)] => self.run_compound_redirected(c, r, io),
            cmds => match self.start_pipeline(cmds, io, true) {
                Ok(s) => self.wait_foreground(&s, || render::pipeline(p)),
                Err(status) => status,
            },
        };
        self.cond_depth -= usize::from(p.negated);
        if p.negated {
            i32::from(status == 0)
        } else {
            status
        }
    }

    /// `cmd &`: starts it without waiting and records it as a job.
    pub(crate) fn run_background(&mut self, ao: &AndOr, io: &Io) {
        let text = render::and_or(ao);
        let started = match (ao.rest.is_empty(), ao.first.negated) {
            (true, false) => self.start_pipeline(&ao.first.commands, io, false),
            _ => {
                let pgid = if self.job_control() { NEW_GROUP } else { 0 };
                self.fork_shell(pgid, &[], |sh| sh.run_and_or(ao, io))
                    .map(|pid| Started {
                        pgid: if pgid == 0 { self.pgid } else { pid },
                        pids: alloc::vec![pid],
                    })
            }
        };
        if let Ok(s) = started {
            let last = *s.pids.last().unwrap_or(&0);
            self.last_bg = Some(last);
            let id = self.jobs.add(s.pgid, &s.pids, &text);
            if self.interactive && !self.subshell {
                self.write(&Io::standard(), 2, &format!("[{id}] {last}\n"));
            }
        }
    }

    /// Expands words into arguments: parameters, field splitting, then file-name
    /// globbing (a pattern that matches nothing stays as written).
    pub fn expand_args(&mut self, words: &[Word]) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for field in expand_words(words, self)? {
            match field.pattern {
                Some(p) if !self.opts.noglob => {
                    let matches = expand_glob(&p, &SysFs);
                    if matches.is_empty() {
                        out.push(field.value);
                    } else {
                        out.extend(matches);
                    }
                }
                _ => out.push(field.value),
            }
        }
        Ok(out)
    }

    pub(crate) fn assignments(
        &mut self,
        cmd: &SimpleCommand,
    ) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        for a in &cmd.assignments {
            out.push((a.name.clone(), expand_string(&a.value, self)?));
        }
        Ok(out)
    }

    /// An expansion failed (`${x:?}`, division by zero, `set -u`): the message, and a
    /// script stops (status 2) while an interactive shell goes on.
    pub fn expansion_failed(&mut self, io: &Io, message: &str) -> i32 {
        self.error(io, message);
        if !self.interactive {
            self.flow = Flow::Exit(2);
        }
        2
    }

    /// Whether `name` is run inside the shell (a function or builtin), not spawned.
    pub fn runs_inside(&self, name: &str) -> bool {
        builtins::is_builtin(name) || self.functions.contains_key(name)
    }

    /// A simple command run in the foreground: a builtin here, a program as a job.
    pub(crate) fn run_simple(&mut self, cmd: &SimpleCommand, io: &Io) -> i32 {
        self.lineno = cmd.line;
        self.subst_status = None;
        if let Some(status) = self.run_alias(cmd, io) {
            return status;
        }
        let expanded = self
            .expand_args(&cmd.words)
            .and_then(|argv| Ok((argv, self.assignments(cmd)?)));
        match expanded {
            Ok((argv, assigns)) => self.run_expanded(cmd, &argv, &assigns, io),
            Err(msg) => self.expansion_failed(io, &msg),
        }
    }

    /// `alias` substitution: a first word that names an alias is replaced by its text
    /// and the command parsed again (redirections still apply to the whole).
    pub(crate) fn run_alias(&mut self, cmd: &SimpleCommand, io: &Io) -> Option<i32> {
        let first = cmd.words.first()?.as_literal()?;
        let value = self.aliases.get(first)?.clone();
        let mut text = value;
        for w in &cmd.words[1..] {
            text.push(' ');
            text.push_str(&w.text);
        }
        // An alias is not expanded again inside its own text.
        let saved = self.aliases.remove(first);
        let status = match crate::shparse::parse(&text) {
            Ok(list) => {
                let mut opened = Vec::new();
                let status = match self.apply_redirects(&cmd.redirects, io, &mut opened) {
                    Ok(cio) => {
                        self.run_list(&list, &cio);
                        self.status
                    }
                    Err(status) => status,
                };
                close_all(&mut opened);
                status
            }
            Err(e) => {
                self.error(io, &format!("{e}"));
                2
            }
        };
        if let Some(v) = saved {
            self.aliases.insert(String::from(first), v);
        }
        Some(status)
    }

    /// Runs a simple command whose words are already expanded.
    pub fn run_expanded(
        &mut self,
        cmd: &SimpleCommand,
        argv: &[String],
        assigns: &[(String, String)],
        io: &Io,
    ) -> i32 {
        if self.opts.xtrace {
            let mut line = String::from("+");
            for (k, v) in assigns {
                line.push_str(&format!(" {k}={v}"));
            }
            for a in argv {
                line.push(' ');
                line.push_str(a);
            }
            line.push('\n');
            self.write(io, 2, &line);
        }
        let mut opened = Vec::new();
        let cio = self.apply_redirects(&cmd.redirects, io, &mut opened);
        let status = match cio {
            Err(status) => status,
            Ok(_) if argv.is_empty() => {
                for (k, v) in assigns {
                    self.vars.set(k, v);
                }
                self.subst_status.unwrap_or(0)
            }
            Ok(cio) if self.functions.contains_key(&argv[0]) => {
                let saved: Vec<(String, Option<String>)> = assigns
                    .iter()
                    .map(|(k, v)| {
                        let old = self.vars.get(k).map(String::from);
                        self.vars.set(k, v);
                        (k.clone(), old)
                    })
                    .collect();
                let status = self.call_function(argv, &cio);
                for (k, old) in saved {
                    match old {
                        Some(v) => self.vars.set(&k, &v),
                        None => self.vars.unset(&k),
                    }
                }
                status
            }
            Ok(cio) if builtins::is_job_kill(argv) => self.kill_jobs(&argv[1..], &cio),
            Ok(cio) if builtins::is_builtin(&argv[0]) => {
                for (k, v) in assigns {
                    self.vars.set(k, v);
                }
                if argv[0] == "exec" {
                    // `exec 3>file` may have opened the file as descriptor 3 itself:
                    // that one now belongs to the shell and stays open.
                    opened.retain(|&fd| {
                        !cmd.redirects
                            .iter()
                            .any(|r| r.fd as i32 == fd && cio.fd(fd as usize) == fd)
                    });
                }
                self.run_builtin(argv, &cio)
            }
            Ok(cio) => {
                let env = self.vars.environ(assigns);
                let pgid = if self.job_control() {
                    NEW_FOREGROUND_GROUP
                } else {
                    0
                };
                let r = self.spawn_program(argv, &env, &cio, pgid);
                close_all(&mut opened);
                self.wait_started(r, pgid, || render::command(&Command::Simple(cmd.clone())))
            }
        };
        close_all(&mut opened);
        status
    }

    /// Waits for a program just spawned in the foreground (or passes on why it could
    /// not start).
    pub(crate) fn wait_started(
        &mut self,
        r: Result<u32, i32>,
        pgid: u32,
        text: impl FnOnce() -> String,
    ) -> i32 {
        match r {
            Ok(pid) => self.wait_foreground(
                &Started {
                    pgid: if pgid == 0 { self.pgid } else { pid },
                    pids: alloc::vec![pid],
                },
                text,
            ),
            Err(status) => status,
        }
    }

    /// Runs `argv` as a program (found in `PATH`), in the foreground.
    pub fn run_program(&mut self, argv: &[String], io: &Io) -> i32 {
        let env = self.vars.environ(&[]);
        let pgid = if self.job_control() {
            NEW_FOREGROUND_GROUP
        } else {
            0
        };
        let r = self.spawn_program(argv, &env, io, pgid);
        self.wait_started(r, pgid, || argv.join(" "))
    }

    /// Calls function `argv[0]` with `argv[1..]` as its positional parameters.
    pub fn call_function(&mut self, argv: &[String], io: &Io) -> i32 {
        let Some(body) = self.functions.get(&argv[0]).cloned() else {
            return 127;
        };
        let saved = core::mem::replace(&mut self.args, argv[1..].to_vec());
        let saved_loops = core::mem::replace(&mut self.loop_depth, 0);
        self.func_depth += 1;
        self.locals.push(Vec::new());
        let mut status = match &body {
            Command::Compound(c, r) => self.run_compound_redirected(c, r, io),
            _ => 0,
        };
        for (name, old) in self.locals.pop().unwrap_or_default().into_iter().rev() {
            match old {
                Some(v) => self.vars.set(&name, &v),
                None => self.vars.unset(&name),
            }
        }
        self.func_depth -= 1;
        self.loop_depth = saved_loops;
        self.args = saved;
        if let Flow::Return(n) = self.flow {
            self.flow = Flow::Normal;
            status = n;
        }
        status
    }

    /// Applies redirections to `io`, opening files; the descriptors opened are pushed
    /// on `opened` for the caller to close once the command has started or finished.
    /// On failure the message is printed and the status (1) returned.
    pub fn apply_redirects(
        &mut self,
        redirects: &[Redirect],
        io: &Io,
        opened: &mut Vec<i32>,
    ) -> Result<Io, i32> {
        let mut new = *io;
        for r in redirects {
            let n = r.fd as usize;
            if n >= crate::shell::IO_SLOTS {
                self.error(io, &format!("{}: bad file descriptor", r.fd));
                return Err(1);
            }
            let (word, flags) = match &r.op {
                RedirectOp::Read(w) => (w, O_RDONLY),
                RedirectOp::ReadWrite(w) => (w, O_RDWR | O_CREAT),
                RedirectOp::Write(w) if self.opts.noclobber => (w, O_WRONLY | O_CREAT | O_EXCL),
                RedirectOp::Write(w) => (w, O_WRONLY | O_CREAT | O_TRUNC),
                RedirectOp::Append(w) => (w, O_WRONLY | O_CREAT | O_APPEND),
                RedirectOp::Dup(m) => {
                    let fd = new.fd(*m as usize);
                    if fd < 0 {
                        self.error(io, &format!("{m}: bad file descriptor"));
                        return Err(1);
                    }
                    new = new.with(n, fd);
                    continue;
                }
                RedirectOp::Close => {
                    new = new.with(n, -1);
                    continue;
                }
                RedirectOp::HereDoc(body) => {
                    let text = match expand_string(body, self) {
                        Ok(t) => t,
                        Err(msg) => {
                            close_all(opened);
                            return Err(self.expansion_failed(io, &msg));
                        }
                    };
                    match self.here_document(&text) {
                        Ok(fd) => {
                            opened.push(fd);
                            new = new.with(n, fd);
                        }
                        Err(e) => {
                            self.error(io, &format!("here-document: {}", e.message()));
                            close_all(opened);
                            return Err(1);
                        }
                    }
                    continue;
                }
            };
            let path = match expand_string(word, self) {
                Ok(p) => p,
                Err(msg) => {
                    close_all(opened);
                    return Err(self.expansion_failed(io, &msg));
                }
            };
            match sys::open(&path, flags, 0o666) {
                Ok(fd) => {
                    opened.push(fd as i32);
                    new = new.with(n, fd as i32);
                }
                Err(e) => {
                    // As dash: a redirection that fails gives status 2.
                    self.error(io, &format!("{path}: {}", e.message()));
                    close_all(opened);
                    return Err(2);
                }
            }
        }
        Ok(new)
    }
}
