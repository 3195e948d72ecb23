//! The builtins scripts lean on: `test`/`[`, `printf`, `read`, `eval`, `exec`,
//! `command`, `type` and `alias`.
//!
//! Chapter 2 section 2-1 (the command interpreter): these either change the shell
//! itself (`read` sets variables, `eval` runs text as commands, `exec` replaces the
//! process or its descriptors, `alias` changes what a word means) or run so often in
//! loops that a program start each time would be the whole cost (`test`, `printf`).
//!
//! Design decision: the logic of `test`, `printf` and `read`'s splitting is in
//! `shcore` (host-tested); here are only the system-call sides: asking the file
//! system, reading standard input one byte at a time (so the rest stays for the next
//! command), writing through the command's [`Io`].

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use shcore::pathsearch::find_command;
use shcore::testexpr::{evaluate, FileTest};
use ulib::abi::flags::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
use ulib::{sys, Errno};

use crate::builtins::is_builtin;
use crate::shell::{Flow, Io, Shell};
use crate::sysfs::SysFs;

/// The file system as `test` asks it.
struct Files;

impl FileTest for Files {
    fn file_test(&self, op: char, path: &str) -> bool {
        if op == 't' {
            return path.parse().is_ok_and(ulib::io::is_terminal);
        }
        let meta = if op == 'L' || op == 'h' {
            ulib::fs::symlink_metadata(path)
        } else {
            ulib::fs::metadata(path)
        };
        let Ok(m) = meta else {
            return false;
        };
        let st = m.0;
        let kind = st.mode & S_IFMT;
        let uid = sys::getuid().unwrap_or(0) as u32;
        // The permission bits that apply to this user (root may read and write all).
        let bits = if uid == st.uid {
            (st.mode >> 6) & 7
        } else {
            st.mode & 7
        };
        match op {
            'e' => true,
            'f' => kind == S_IFREG,
            'd' => kind == S_IFDIR,
            'L' | 'h' => kind == S_IFLNK,
            'b' => kind == S_IFBLK,
            'c' => kind == S_IFCHR,
            'p' => kind == S_IFIFO,
            'S' => kind == S_IFSOCK,
            's' => st.size > 0,
            'r' => uid == 0 || bits & 4 != 0,
            'w' => uid == 0 || bits & 2 != 0,
            'x' => bits & 1 != 0 || (uid == 0 && st.mode & 0o111 != 0),
            'u' => st.mode & 0o4000 != 0,
            'g' => st.mode & 0o2000 != 0,
            'k' => st.mode & 0o1000 != 0,
            'O' => st.uid == uid,
            _ => false,
        }
    }
}

impl Shell {
    pub fn test(&mut self, name: &str, args: &[String], io: &Io) -> Result<i32, String> {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        if name == "[" {
            if args.last() != Some(&"]") {
                self.error(io, "[: missing ]");
                return Ok(2);
            }
            args.pop();
        }
        match evaluate(&args, &Files) {
            Ok(true) => Ok(0),
            Ok(false) => Ok(1),
            Err(msg) => {
                self.error(io, &format!("{name}: {msg}"));
                Ok(2)
            }
        }
    }

    pub fn printf(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        let Some(fmt) = args.first() else {
            return Err(String::from("usage: printf format [arg ...]"));
        };
        let rest: Vec<&str> = args[1..].iter().map(String::as_str).collect();
        let out = shcore::printf::printf(fmt, &rest);
        self.write(io, 1, &out.text);
        for e in &out.errors {
            self.error(io, &format!("printf: {e}"));
        }
        Ok(i32::from(!out.errors.is_empty()))
    }

    /// `read [-r] [NAME...]`: one line of standard input into the variables.
    pub fn read(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        let mut raw = false;
        let mut names: Vec<&str> = Vec::new();
        for a in args {
            match a.as_str() {
                "-r" => raw = true,
                n if crate::shparse::is_name(n) => names.push(n),
                n => return Err(format!("{n}: bad variable name")),
            }
        }
        if names.is_empty() {
            names.push("REPLY");
        }
        let fd = io.fd(0);
        let mut line: Vec<u8> = Vec::new();
        let mut eof = false;
        loop {
            let mut b = [0u8; 1];
            match sys::read(fd, &mut b) {
                Ok(0) | Err(_) if true => {
                    eof = true;
                    break;
                }
                _ => {}
            }
            if b[0] == b'\n' {
                // Backslash-newline joins lines unless -r.
                if !raw && line.last() == Some(&b'\\') {
                    line.pop();
                    continue;
                }
                break;
            }
            line.push(b[0]);
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        let ifs = String::from(self.vars.get("IFS").unwrap_or(" \t\n"));
        let values = shcore::readsplit::split_read(&text, &ifs, names.len(), raw);
        for (n, v) in names.iter().zip(values) {
            self.vars.set(n, &v);
        }
        Ok(i32::from(eof))
    }

    /// `eval ARGS`: the arguments joined by spaces, parsed and run here.
    pub fn eval(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        let text = args.join(" ");
        match crate::shparse::parse(&text) {
            Ok(list) => {
                self.status = 0;
                let line = self.lineno;
                self.run_list(&list, io);
                self.lineno = line;
                Ok(self.status)
            }
            Err(e) => {
                self.error(io, &format!("{e}"));
                if !self.interactive {
                    self.flow = Flow::Exit(2);
                }
                Ok(2)
            }
        }
    }

    /// `exec [PROGRAM ARGS]`: with a program, it replaces the shell; without, the
    /// command's redirections become the shell's own descriptors.
    pub fn exec(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        for n in 0..crate::shell::IO_SLOTS {
            let fd = io.fd(n);
            if fd == n as i32 {
                continue;
            }
            if fd < 0 {
                let _ = sys::close(n as i32);
            } else {
                sys::dup2(fd, n as i32).map_err(|e| format!("{n}: {}", e.message()))?;
            }
        }
        let Some(name) = args.first() else {
            return Ok(0);
        };
        let path = match find_command(name, self.vars.get("PATH"), &SysFs) {
            Ok(p) => p,
            Err(e) => {
                self.error(io, &format!("exec: {name}: {}", e.message(name)));
                self.flow = Flow::Exit(e.status());
                return Ok(e.status());
            }
        };
        let env = self.vars.environ(&[]);
        let e: Errno = ulib::process::exec_with_env(&path, args, &env);
        self.error(io, &format!("exec: {name}: {}", e.message()));
        self.flow = Flow::Exit(126);
        Ok(126)
    }

    /// What `name` is, as `type` says it; `None` if nothing.
    fn describe(&self, name: &str) -> Option<(String, String)> {
        if let Some(v) = self.aliases.get(name) {
            return Some((
                format!("{name} is an alias for {v}"),
                format!("alias {name}={}", shcore::vars::quote(v)),
            ));
        }
        if self.functions.contains_key(name) {
            return Some((format!("{name} is a shell function"), String::from(name)));
        }
        if is_builtin(name) {
            return Some((format!("{name} is a shell builtin"), String::from(name)));
        }
        find_command(name, self.vars.get("PATH"), &SysFs)
            .ok()
            .map(|p| (format!("{name} is {p}"), p))
    }

    pub fn type_builtin(&mut self, args: &[String], io: &Io) -> i32 {
        let mut status = 0;
        for a in args {
            match self.describe(a) {
                Some((text, _)) => self.write(io, 1, &format!("{text}\n")),
                None => {
                    self.write(io, 1, &format!("{a}: not found\n"));
                    status = 127;
                }
            }
        }
        status
    }

    /// `command [-v|-V] NAME [ARGS]`: runs NAME skipping functions and aliases, or
    /// says what it is.
    pub fn command(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        match args.first().map(String::as_str) {
            None => Ok(0),
            Some(flag @ ("-v" | "-V")) => {
                let mut status = 0;
                for a in &args[1..] {
                    match self.describe(a) {
                        Some((long, short)) => {
                            let text = if flag == "-v" { short } else { long };
                            self.write(io, 1, &format!("{text}\n"));
                        }
                        None => status = 127,
                    }
                }
                Ok(status)
            }
            Some(name) if is_builtin(name) => Ok(self.run_builtin(args, io)),
            Some(_) => Ok(self.run_program(args, io)),
        }
    }

    /// `alias [NAME[=VALUE]...]`.
    pub fn alias(&mut self, args: &[String], io: &Io) -> Result<i32, String> {
        if args.is_empty() {
            let lines: Vec<String> = self
                .aliases
                .iter()
                .map(|(k, v)| format!("{k}={}\n", shcore::vars::quote(v)))
                .collect();
            lines.iter().for_each(|l| self.write(io, 1, l));
            return Ok(0);
        }
        let mut status = 0;
        for a in args {
            match a.split_once('=') {
                Some((k, v)) => {
                    self.aliases.insert(String::from(k), String::from(v));
                }
                None => match self.aliases.get(a) {
                    Some(v) => {
                        let line = format!("{a}={}\n", shcore::vars::quote(v));
                        self.write(io, 1, &line);
                    }
                    None => {
                        self.error(io, &format!("alias: {a} not found"));
                        status = 1;
                    }
                },
            }
        }
        Ok(status)
    }
}
