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
    expand_pattern, expand_string, expand_words, glob_match, AndOr, Command, Compound, Connector,
    List, Pipeline, Redirect, RedirectOp, SimpleCommand, Word,
};
use shcore::fsview::expand_glob;
use shcore::pathsearch::{find_command, parse_shebang};
use ulib::abi::flags::{O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use ulib::process::{Command as Program, Stdio};
use ulib::{sys, Errno};

use crate::builtins;
use crate::render;
use crate::shell::{Flow, Io, Shell};
use crate::sysfs::{read_head, SysFs};

/// The process group asking for a new group named after the child.
const NEW_GROUP: u32 = u32::MAX;
/// A new group that is also given the terminal before the child runs (a foreground
/// command: without it, a program that reads the terminal at once could run before
/// the shell's `TIOCSPGRP` and be stopped by SIGTTIN).
const NEW_FOREGROUND_GROUP: u32 = u32::MAX - 1;

/// Processes started for one pipeline.
pub struct Started {
    pub pgid: u32,
    pub pids: Vec<u32>,
}

fn close_all(fds: &mut Vec<i32>) {
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

    fn run_and_or(&mut self, ao: &AndOr, io: &Io) -> i32 {
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

    fn run_pipeline(&mut self, p: &Pipeline, io: &Io) -> i32 {
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
    fn run_background(&mut self, ao: &AndOr, io: &Io) {
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

    fn assignments(&mut self, cmd: &SimpleCommand) -> Result<Vec<(String, String)>, String> {
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
    fn run_simple(&mut self, cmd: &SimpleCommand, io: &Io) -> i32 {
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
    fn run_alias(&mut self, cmd: &SimpleCommand, io: &Io) -> Option<i32> {
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
    fn wait_started(
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

    fn run_compound_redirected(&mut self, c: &Compound, r: &[Redirect], io: &Io) -> i32 {
        let mut opened = Vec::new();
        let status = match self.apply_redirects(r, io, &mut opened) {
            Ok(cio) => self.run_compound(c, &cio),
            Err(status) => status,
        };
        close_all(&mut opened);
        status
    }

    /// `if`, loops and `{ }`, run in this shell.
    fn run_compound(&mut self, c: &Compound, io: &Io) -> i32 {
        match c {
            Compound::If {
                branches,
                otherwise,
            } => {
                for (cond, body) in branches {
                    self.cond_depth += 1;
                    self.run_list(cond, io);
                    self.cond_depth -= 1;
                    if self.interrupted() {
                        return self.status;
                    }
                    if self.status == 0 {
                        self.run_list(body, io);
                        return self.status;
                    }
                }
                match otherwise {
                    Some(o) => {
                        self.run_list(o, io);
                        self.status
                    }
                    None => 0,
                }
            }
            Compound::While { cond, body } => self.run_loop(cond, body, true, io),
            Compound::Until { cond, body } => self.run_loop(cond, body, false, io),
            Compound::For { name, words, body } => {
                let items = match words {
                    Some(ws) => match self.expand_args(ws) {
                        Ok(items) => items,
                        Err(msg) => return self.expansion_failed(io, &msg),
                    },
                    None => self.args.clone(),
                };
                let mut last = 0;
                self.loop_depth += 1;
                for item in items {
                    self.vars.set(name, &item);
                    self.run_list(body, io);
                    last = self.status;
                    if !self.loop_continues() {
                        break;
                    }
                }
                self.loop_depth -= 1;
                last
            }
            Compound::Group(l) => {
                self.run_list(l, io);
                self.status
            }
            Compound::Subshell(l) => self.run_subshell(l, &[], io),
            Compound::Case { word, arms } => {
                let value = match expand_string(word, self) {
                    Ok(v) => v,
                    Err(msg) => return self.expansion_failed(io, &msg),
                };
                for (patterns, body) in arms {
                    for p in patterns {
                        let pattern = match expand_pattern(p, self) {
                            Ok(p) => p,
                            Err(msg) => return self.expansion_failed(io, &msg),
                        };
                        if glob_match(&pattern, &value) {
                            self.status = 0;
                            self.run_list(body, io);
                            return self.status;
                        }
                    }
                }
                0
            }
        }
    }

    fn run_loop(&mut self, cond: &List, body: &List, while_true: bool, io: &Io) -> i32 {
        let mut last = 0;
        self.loop_depth += 1;
        loop {
            self.cond_depth += 1;
            self.run_list(cond, io);
            self.cond_depth -= 1;
            if !self.loop_continues() || (self.status == 0) != while_true {
                break;
            }
            self.run_list(body, io);
            last = self.status;
            if !self.loop_continues() {
                break;
            }
        }
        self.loop_depth -= 1;
        last
    }

    /// After a loop body: consumes one level of `break`/`continue`; whether the loop
    /// goes on.
    fn loop_continues(&mut self) -> bool {
        match self.flow {
            Flow::Normal => true,
            Flow::Break(n) => {
                self.flow = if n > 1 {
                    Flow::Break(n - 1)
                } else {
                    Flow::Normal
                };
                false
            }
            Flow::Continue(n) if n > 1 => {
                self.flow = Flow::Continue(n - 1);
                false
            }
            Flow::Continue(_) => {
                self.flow = Flow::Normal;
                true
            }
            Flow::Exit(_) | Flow::Cancel | Flow::Return(_) => false,
        }
    }

    /// `( list )`: the list in a forked copy of the shell, so its `cd` and variables do
    /// not change this one.
    fn run_subshell(&mut self, l: &List, r: &[Redirect], io: &Io) -> i32 {
        let mut opened = Vec::new();
        let cio = match self.apply_redirects(r, io, &mut opened) {
            Ok(cio) => cio,
            Err(status) => return status,
        };
        let pgid = if self.job_control() { NEW_GROUP } else { 0 };
        let started = self.fork_shell(pgid, &[], |sh| {
            sh.run_list(l, &cio);
            sh.status
        });
        close_all(&mut opened);
        match started {
            Ok(pid) => self.wait_foreground(
                &Started {
                    pgid: if pgid == 0 { self.pgid } else { pid },
                    pids: alloc::vec![pid],
                },
                || format!("( {} )", render::list(l)),
            ),
            Err(status) => status,
        }
    }

    /// Starts every command of a pipeline, left to right, joined by pipes.
    /// `foreground`: the job's group gets the terminal as its first member starts (see
    /// [`NEW_FOREGROUND_GROUP`]).
    fn start_pipeline(
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
    fn start_command(
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
    fn fork_shell(
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
    fn spawn_program(
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
    fn spawn_script(
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
