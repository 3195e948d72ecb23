//! Compound commands: `if`, `while`/`until`, `for`, `case`, `{ list }`, `( subshell )`
//! and function bodies, with their redirections (chapter 2, 2-1: the command
//! interpreter is a programming language; only `( subshell )` needs a new process).

use alloc::format;
use alloc::vec::Vec;

use crate::shparse::{expand_pattern, expand_string, glob_match, Compound, List, Redirect};

use crate::exec::{close_all, Started, NEW_GROUP};
use crate::render;
use crate::shell::{Flow, Io, Shell};

impl Shell {
    pub(crate) fn run_compound_redirected(&mut self, c: &Compound, r: &[Redirect], io: &Io) -> i32 {
        let mut opened = Vec::new();
        let status = match self.apply_redirects(r, io, &mut opened) {
            Ok(cio) => self.run_compound(c, &cio),
            Err(status) => status,
        };
        close_all(&mut opened);
        status
    }

    /// `if`, loops and `{ }`, run in this shell.
    pub(crate) fn run_compound(&mut self, c: &Compound, io: &Io) -> i32 {
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

    pub(crate) fn run_loop(&mut self, cond: &List, body: &List, while_true: bool, io: &Io) -> i32 {
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
    pub(crate) fn loop_continues(&mut self) -> bool {
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
    pub(crate) fn run_subshell(&mut self, l: &List, r: &[Redirect], io: &Io) -> i32 {
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
}
