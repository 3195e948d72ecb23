//! The builtins: only the commands that must change the shell process itself.
//!
//! Chapter 2 section 2-1 (the command interpreter): the chapter contrasts shells that
//! contain the code of their commands with shells (like UNIX's) that find each command
//! as a program file. dinos' `sh` is mostly the second kind: everything is a program in
//! `/bin`, except what a child process *cannot* do for its parent: change the shell's
//! working directory (`cd`), variables (`export`, `unset`, `set`, `shift`, `read`),
//! control flow (`exit`, `break`, `continue`, `return`, `eval`, `trap`), read commands
//! into it (`source`, `.`), replace it (`exec`), set what its children inherit
//! (`umask`, `ulimit`), or manage its children (`wait`, `jobs`, `fg`, `bg`, `kill %N`); and the few that POSIX scripts run so often that starting a
//! program each time would dominate (`test`/`[`, `printf`, `:`, `true`, `false`).
//! `history` lists the shell's own memory; `type` and `command` say what a name is.
//!
//! Design decision: builtins write through the command's [`Io`], so `jobs > file` and
//! `export | cat` redirect like any program's output without touching the shell's own
//! descriptors.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use shcore::vars::quote;
use ulib::sys;

use crate::shell::{Flow, Io, Shell};

/// The builtin names (also offered by Tab completion).
pub const BUILTINS: &[&str] = &[
    ".", ":", "[", "alias", "bg", "break", "cd", "command", "continue", "eval", "exec", "exit",
    "export", "false", "fg", "history", "jobs", "local", "printf", "read", "return", "set",
    "shift", "source", "test", "trap", "true", "type", "ulimit", "umask", "unalias", "unset",
    "wait",
];

/// Whether `name` is a builtin (`%N` alone means `fg %N`).
pub fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name) || name.starts_with('%')
}

/// Whether `argv` is a `kill` naming a job (`kill %1`): that one the shell does
/// itself, since only it knows its jobs; any other `kill` is the program `/bin/kill`.
pub fn is_job_kill(argv: &[String]) -> bool {
    argv.first().is_some_and(|a| a == "kill") && argv[1..].iter().any(|a| a.starts_with('%'))
}

fn number(s: Option<&String>, default: i32) -> Result<i32, String> {
    match s {
        None => Ok(default),
        Some(s) => s
            .parse()
            .map_err(|_| format!("{s}: numeric argument required")),
    }
}

impl Shell {
    /// Runs builtin `argv[0]`; its exit status.
    pub fn run_builtin(&mut self, argv: &[String], io: &Io) -> i32 {
        let name = argv[0].as_str();
        let args = &argv[1..];
        let r = match name {
            "cd" => self.cd(args, io),
            "exit" => number(args.first(), self.status).map(|n| {
                self.flow = Flow::Exit(n & 0xff);
                n & 0xff
            }),
            "export" => self.export(args, io),
            "unset" => {
                let functions = args.first().is_some_and(|a| a == "-f");
                for a in args.iter().filter(|a| !a.starts_with('-')) {
                    if functions {
                        self.functions.remove(a);
                    } else {
                        self.vars.unset(a);
                    }
                }
                Ok(0)
            }
            "local" => self.local(args, io),
            ":" | "true" => Ok(0),
            "false" => Ok(1),
            "test" | "[" => self.test(name, args, io),
            "printf" => self.printf(args, io),
            "read" => self.read(args, io),
            "eval" => self.eval(args, io),
            "return" => number(args.first(), self.status).map(|n| {
                self.flow = Flow::Return(n & 0xff);
                n & 0xff
            }),
            "exec" => self.exec(args, io),
            "command" => self.command(args, io),
            "type" => Ok(self.type_builtin(args, io)),
            "trap" => self.trap(args, io),
            "alias" => self.alias(args, io),
            "unalias" => {
                if args.first().is_some_and(|a| a == "-a") {
                    self.aliases.clear();
                }
                let mut status = 0;
                for a in args.iter().filter(|a| *a != "-a") {
                    if self.aliases.remove(a).is_none() {
                        self.error(io, &format!("unalias: {a}: not found"));
                        status = 1;
                    }
                }
                Ok(status)
            }
            "set" => self.set(args, io),
            "shift" => number(args.first(), 1).and_then(|n| {
                let n = n.max(0) as usize;
                if n > self.args.len() {
                    return Err(String::from("shift count out of range"));
                }
                self.args.drain(..n);
                Ok(0)
            }),
            "break" | "continue" => number(args.first(), 1).and_then(|n| {
                if self.loop_depth == 0 {
                    return Err(String::from("only meaningful in a loop"));
                }
                let n = (n.max(1) as usize).min(self.loop_depth);
                self.flow = if name == "break" {
                    Flow::Break(n)
                } else {
                    Flow::Continue(n)
                };
                Ok(0)
            }),
            "source" | "." => self.source(args, io),
            "umask" => self.umask(args, io),
            "ulimit" => self.ulimit(args, io),
            "wait" => self.wait_builtin(args),
            "jobs" => {
                self.reap_jobs();
                let lines: Vec<String> = self.jobs.iter().map(|j| self.jobs.format(j)).collect();
                for l in lines {
                    self.write(io, 1, &format!("{l}\n"));
                }
                self.jobs.take_stop_reports();
                self.jobs.take_finished();
                Ok(0)
            }
            "fg" => self
                .jobs
                .resolve(args.first().map(String::as_str))
                .map(|id| self.foreground_job(id)),
            n if n.starts_with('%') => self.jobs.resolve(Some(n)).map(|id| self.foreground_job(id)),
            "bg" => self
                .jobs
                .resolve(args.first().map(String::as_str))
                .map(|id| self.background_job(id, io)),
            "history" => {
                let lines: Vec<String> = self
                    .editor
                    .history
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("{:5}  {l}\n", i + 1))
                    .collect();
                lines.iter().for_each(|l| self.write(io, 1, l));
                Ok(0)
            }
            _ => Err(String::from("not a builtin")),
        };
        match r {
            Ok(status) => status,
            Err(msg) => {
                self.error(io, &format!("{name}: {msg}"));
                if name == "exit" {
                    self.flow = Flow::Exit(2);
                }
                if name == "exit" {
                    2
                } else {
                    1
                }
            }
        }
    }

    fn cd(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        let target = match args.first().map(String::as_str) {
            None => String::from(
                self.vars
                    .get("HOME")
                    .filter(|h| !h.is_empty())
                    .unwrap_or("/"),
            ),
            Some("-") => match self.vars.get("OLDPWD") {
                Some(old) => {
                    let old = String::from(old);
                    self.write(io, 1, &format!("{old}\n"));
                    old
                }
                None => return Err(String::from("OLDPWD not set")),
            },
            Some(dir) => String::from(dir),
        };
        let old = ulib::env::current_dir().unwrap_or_default();
        sys::chdir(&target).map_err(|e| format!("{target}: {}", e.message()))?;
        let new = ulib::env::current_dir().unwrap_or(target);
        self.vars.set("OLDPWD", &old);
        self.vars.set("PWD", &new);
        Ok(0)
    }

    fn export(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        if args.is_empty() || args[0] == "-p" {
            let lines: Vec<String> = self
                .vars
                .iter()
                .filter(|(_, v)| v.exported)
                .map(|(k, v)| format!("export {k}={}\n", quote(&v.value)))
                .collect();
            lines.iter().for_each(|l| self.write(io, 1, l));
            return Ok(0);
        }
        let mut status = 0;
        for a in args {
            let (name, value) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (a.as_str(), None),
            };
            if crate::shparse::is_name(name) {
                self.vars.export(name, value);
            } else {
                self.error(io, &format!("export: '{a}': not a valid identifier"));
                status = 1;
            }
        }
        Ok(status)
    }

    fn set(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        let mut i = 0;
        while let Some(a) = args.get(i) {
            if a == "--" {
                self.args = args[i + 1..].to_vec();
                return Ok(0);
            }
            let on = a.starts_with('-');
            if !(on || a.starts_with('+')) || a.len() < 2 {
                break;
            }
            if &a[1..] == "o" {
                i += 1;
                let Some(name) = args.get(i) else {
                    let lines: Vec<String> = [
                        ("errexit", self.opts.errexit),
                        ("noglob", self.opts.noglob),
                        ("nounset", self.opts.nounset),
                        ("xtrace", self.opts.xtrace),
                    ]
                    .iter()
                    .map(|(n, v)| format!("{n:<16}{}\n", if *v { "on" } else { "off" }))
                    .collect();
                    lines.iter().for_each(|l| self.write(io, 1, l));
                    return Ok(0);
                };
                let letter = match name.as_str() {
                    "errexit" => 'e',
                    "nounset" => 'u',
                    "xtrace" => 'x',
                    "noglob" => 'f',
                    "verbose" => 'v',
                    "noclobber" => 'C',
                    _ => return Err(format!("-o {name}: invalid option")),
                };
                self.set_option(letter, on)?;
            } else {
                for c in a[1..].chars() {
                    self.set_option(c, on)?;
                }
            }
            i += 1;
        }
        if i < args.len() {
            self.args = args[i..].to_vec();
            return Ok(0);
        }
        if i > 0 {
            return Ok(0);
        }
        let lines: Vec<String> = self
            .vars
            .iter()
            .map(|(k, v)| format!("{k}={}\n", quote(&v.value)))
            .collect();
        lines.iter().for_each(|l| self.write(io, 1, l));
        Ok(0)
    }

    /// `local NAME[=VALUE]...`: the variables get their old values back when the
    /// function returns.
    fn local(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        if self.locals.is_empty() {
            return Err(String::from("not in a function"));
        }
        let mut status = 0;
        for a in args {
            let (name, value) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (a.as_str(), None),
            };
            if !crate::shparse::is_name(name) {
                self.error(io, &format!("local: '{a}': bad variable name"));
                status = 1;
                continue;
            }
            let old = self.vars.get(name).map(String::from);
            if let Some(frame) = self.locals.last_mut() {
                if !frame.iter().any(|(n, _)| n == name) {
                    frame.push((String::from(name), old));
                }
            }
            if let Some(v) = value {
                self.vars.set(name, v);
            }
        }
        Ok(status)
    }

    fn set_option(&mut self, c: char, on: bool) -> Result<(), String> {
        let o = &mut self.opts;
        match c {
            'e' => o.errexit = on,
            'u' => o.nounset = on,
            'x' => o.xtrace = on,
            'f' => o.noglob = on,
            'v' => o.verbose = on,
            'C' => o.noclobber = on,
            _ => return Err(format!("-{c}: invalid option")),
        }
        Ok(())
    }

    /// `umask [-S] [MODE]`: prints the file-mode creation mask (`0022`, or with `-S`
    /// the permissions it leaves, `u=rwx,g=rx,o=rx`) or sets it from MODE, octal
    /// (`027`) or symbolic (`u=rwx,g=rx,o=`, `g-w`: the permissions the mask leaves,
    /// changed as `chmod` changes a file's; `shcore::mode`).
    fn umask(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        let (symbolic, rest) = match args.first().map(String::as_str) {
            Some("-S") => (true, &args[1..]),
            _ => (false, args),
        };
        let fail = |e: ulib::Errno| String::from(e.message());
        let Some(mode) = rest.first() else {
            // Reading the mask means setting one: put the old one straight back.
            let mask = sys::umask(0).map_err(fail)? as u32;
            sys::umask(mask).map_err(fail)?;
            let line = if symbolic {
                symbolic_mask(mask)
            } else {
                format!("{mask:04o}")
            };
            self.write(io, 1, &format!("{line}\n"));
            return Ok(0);
        };
        let old = sys::umask(0).map_err(fail)? as u32;
        let Some(mask) = shcore::mode::apply_to_umask(mode, old) else {
            sys::umask(old).map_err(fail)?;
            return Err(format!("Illegal mode: {mode}"));
        };
        sys::umask(mask).map_err(fail)?;
        Ok(0)
    }

    /// `ulimit [-H|-S] [-a|-c|-l|-n|-s|-t|-u|-v] [VALUE]`: print or set a resource limit of
    /// the shell, which every later command inherits (`shcore::ulimit`).
    fn ulimit(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        use shcore::ulimit::{self as ul, Request, Which};
        use ulib::resource::{getrlimit, setrlimit};
        let fail = |e: ulib::Errno| String::from(e.message());
        match ul::parse(args)? {
            Request::All(which) => {
                let mut pairs = Vec::new();
                for k in ul::KNOWN {
                    pairs.push((*k, getrlimit(k.resource).map_err(fail)?));
                }
                for l in ul::all_lines(&pairs, which) {
                    self.write(io, 1, &format!("{l}\n"));
                }
            }
            Request::Show(k, which) => {
                let l = getrlimit(k.resource).map_err(fail)?;
                let v = if which == Which::Hard { l.max } else { l.cur };
                self.write(io, 1, &format!("{}\n", ul::show_value(v, k.unit)));
            }
            Request::Set(k, which, v) => {
                let old = getrlimit(k.resource).map_err(fail)?;
                setrlimit(k.resource, ul::apply(old, which, v)).map_err(fail)?;
            }
        }
        Ok(0)
    }

    fn source(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        let Some(path) = args.first() else {
            return Err(String::from("filename argument required"));
        };
        let text = crate::sysfs::read_file(path).map_err(|e| format!("{path}: {}", e.message()))?;
        let text = String::from_utf8_lossy(&text).into_owned();
        let saved = if args.len() > 1 {
            Some(core::mem::replace(&mut self.args, args[1..].to_vec()))
        } else {
            None
        };
        let line = self.lineno;
        self.func_depth += 1;
        crate::run_script_text(self, path, &text, io);
        self.func_depth -= 1;
        self.lineno = line;
        if let Some(saved) = saved {
            self.args = saved;
        }
        if let Flow::Return(n) = self.flow {
            self.flow = Flow::Normal;
            self.status = n;
        }
        Ok(self.status)
    }

    fn wait_builtin(&mut self, args: &[String]) -> Result<i32, String> {
        if args.is_empty() {
            let ids: Vec<usize> = self.jobs.iter().map(|j| j.id).collect();
            for id in ids {
                self.wait_job(id);
            }
            self.jobs.take_finished();
            return Ok(0);
        }
        let mut status = 0;
        for a in args {
            let id = if a.starts_with('%') {
                self.jobs.resolve(Some(a))?
            } else {
                let pid: u32 = a.parse().map_err(|_| format!("{a}: not a pid or job"))?;
                match self.jobs.of_pid(pid) {
                    Some(id) => id,
                    None => return Err(format!("pid {pid} is not a child of this shell")),
                }
            };
            status = self.wait_job(id);
            if self.jobs.get(id).is_some_and(|j| j.finished()) {
                self.jobs.remove(id);
            }
        }
        Ok(status)
    }
}

/// `u=rwx,g=rx,o=rx`: the permissions a mask leaves, as `umask -S` shows them.
fn symbolic_mask(mask: u32) -> String {
    let classes: Vec<String> = [('u', 6), ('g', 3), ('o', 0)]
        .iter()
        .map(|&(who, shift)| {
            let allowed = !mask >> shift & 7;
            let perms: String = [(4, 'r'), (2, 'w'), (1, 'x')]
                .iter()
                .filter(|(bit, _)| allowed & bit != 0)
                .map(|(_, c)| *c)
                .collect();
            format!("{who}={perms}")
        })
        .collect();
    classes.join(",")
}
