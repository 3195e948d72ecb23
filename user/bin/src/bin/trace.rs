//! `trace [-f] [-c] [-e CALLS] CMD... | trace [-f] [-c] [-e CALLS] -p PID`: every
//! system call of a program, with its arguments decoded, its result and its errno by
//! name (chapter 2, 3-1 "the system-call interface" and 8 "tracing system calls"; the
//! `strace` of dinos).
//!
//! The kernel does the decoding, from the same table rows that dispatch the calls
//! (`kernel/syscall/src/trace.rs`); this program makes a pipe, asks the kernel to
//! write the child's records into it (`trace_attach`, then the child `exec`s CMD),
//! and prints them as they come, on standard error, until the pipe's end of file
//! says every traced process is gone. A record is `PID NANOSECONDS LINE`.
//!
//! - `-f`: the children CMD makes are traced too (lines start `[PID]`).
//! - `-c`: instead of the lines, a table of calls, errors and time per call.
//! - `-e open,read`: only these calls.
//! - `-p PID`: attach to a running process (yours, or any as root: EPERM otherwise);
//!   it ends when the process does, or at Ctrl-C.
//!
//! The calls the child makes between `trace_attach` and its `exec` (closing the pipe)
//! are the tracer's own, not CMD's: they are not shown.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::flags::TRACE_FOLLOW;
use ulib::abi::UserStr;
use ulib::sys;

const USAGE: &str = "trace [-f] [-c] [-e CALLS] CMD... | trace [-f] [-c] [-e CALLS] -p PID";
const ABOUT: &str = "Print each system call CMD makes, with its arguments and result.";

struct Opts {
    follow: bool,
    count: bool,
    only: Option<Vec<String>>,
    pid: Option<u32>,
    cmd: Vec<String>,
}

fn parse(args: &[String]) -> Result<Opts, i32> {
    let mut o = Opts {
        follow: false,
        count: false,
        only: None,
        pid: None,
        cmd: Vec::new(),
    };
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-f" => o.follow = true,
            "-c" => o.count = true,
            "-fc" | "-cf" => {
                o.follow = true;
                o.count = true;
            }
            "-e" | "-p" => {
                let Some(v) = args.get(i + 1) else {
                    return Err(ulib::cli::usage_error(USAGE));
                };
                if args[i] == "-e" {
                    let list = v.strip_prefix("trace=").unwrap_or(v);
                    o.only = Some(list.split(',').map(String::from).collect());
                } else {
                    let Ok(pid) = v.parse::<u32>() else {
                        return Err(ulib::cli::option_error(&"-p needs a process id", USAGE));
                    };
                    o.pid = Some(pid);
                }
                i += 1;
            }
            "--" => {
                i += 1;
                break;
            }
            a if a.starts_with('-') && a.len() > 1 => {
                return Err(ulib::cli::bad_option(
                    a.chars().nth(1).unwrap_or('?'),
                    USAGE,
                ));
            }
            _ => break,
        }
        i += 1;
    }
    o.cmd = args[i..].to_vec();
    if o.cmd.is_empty() == o.pid.is_none() {
        return Err(ulib::cli::usage_error(USAGE));
    }
    Ok(o)
}

/// One record from the kernel: who, how long, the line.
struct Record<'a> {
    pid: u32,
    ns: u64,
    line: &'a str,
}

impl<'a> Record<'a> {
    fn parse(text: &'a str) -> Option<Record<'a>> {
        let (pid, rest) = text.split_once(' ')?;
        let (ns, line) = rest.split_once(' ')?;
        Some(Record {
            pid: pid.parse().ok()?,
            ns: ns.parse().ok()?,
            line,
        })
    }

    fn name(&self) -> &'a str {
        self.line.split('(').next().unwrap_or(self.line)
    }

    /// The errno name if the call failed (`... = -1 ENOENT (...)`).
    fn error(&self) -> Option<&'a str> {
        let (_, result) = self.line.rsplit_once(") = ")?;
        result.strip_prefix("-1 ")?.split(' ').next()
    }
}

#[derive(Default)]
struct Tally {
    calls: u64,
    errors: u64,
    ns: u64,
}

struct Tracer {
    opts: Opts,
    /// The first child, until its `exec` (its calls before are the tracer's).
    starting: Option<u32>,
    tally: BTreeMap<String, Tally>,
}

impl Tracer {
    fn take(&mut self, text: &str) {
        let Some(r) = Record::parse(text) else {
            ulib::eprintln!("trace: bad record: {text}");
            return;
        };
        if self.starting == Some(r.pid) {
            if r.name() == "exec" {
                self.starting = None;
            } else {
                return;
            }
        }
        if let Some(only) = &self.opts.only {
            if !only.iter().any(|n| n == r.name()) {
                return;
            }
        }
        if self.opts.count {
            let t = self.tally.entry(String::from(r.name())).or_default();
            t.calls += 1;
            t.errors += r.error().is_some() as u64;
            t.ns += r.ns;
        } else if self.opts.follow || self.opts.pid.is_some() {
            ulib::eprintln!("[{}] {}", r.pid, r.line);
        } else {
            ulib::eprintln!("{}", r.line);
        }
    }

    /// Read records until every traced process is gone (end of file).
    fn run(&mut self, fd: i32) {
        let mut buf = alloc::vec![0u8; 8192];
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let n = match sys::read(fd, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(ulib::Errno::EINTR) => continue,
                Err(e) => {
                    ulib::cli::error("trace: read", e);
                    break;
                }
            };
            pending.extend_from_slice(&buf[..n]);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line[..end]);
                self.take(&text);
            }
        }
    }

    fn summary(&self) {
        let mut rows: Vec<(&String, &Tally)> = self.tally.iter().collect();
        rows.sort_by(|a, b| b.1.ns.cmp(&a.1.ns).then(b.1.calls.cmp(&a.1.calls)));
        ulib::eprintln!(
            "{:>8} {:>8} {:>12} {:>10}  call",
            "calls",
            "errors",
            "usecs",
            "ns/call"
        );
        let (mut c, mut e, mut t) = (0, 0, 0);
        for (name, r) in rows {
            ulib::eprintln!(
                "{:>8} {:>8} {:>12} {:>10}  {name}",
                r.calls,
                r.errors,
                r.ns / 1000,
                r.ns / r.calls.max(1)
            );
            c += r.calls;
            e += r.errors;
            t += r.ns;
        }
        ulib::eprintln!(
            "{:>8} {:>8} {:>12} {:>10}  total",
            c,
            e,
            t / 1000,
            t / c.max(1)
        );
    }
}

fn strs(list: &[String]) -> Vec<UserStr> {
    list.iter()
        .map(|s| UserStr {
            ptr: s.as_ptr() as u64,
            len: s.len() as u64,
        })
        .collect()
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if ulib::cli::help(&args, USAGE, ABOUT) {
        return 0;
    }
    let opts = match parse(&args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let flags = if opts.follow { TRACE_FOLLOW } else { 0 };
    let mut fds = [0i32; 2];
    if let Err(e) = sys::pipe(&mut fds) {
        ulib::cli::error("trace: pipe", e);
        return 1;
    }
    let [rfd, wfd] = fds;
    let mut child = None;
    if let Some(pid) = opts.pid {
        if let Err(e) = sys::trace_attach(pid, wfd, flags) {
            ulib::eprintln!("trace: cannot attach to {pid}: {:?}", e);
            return 1;
        }
    } else {
        let Some(path) = ulib::process::find_program(&opts.cmd[0]) else {
            ulib::eprintln!("trace: {}: not found", opts.cmd[0]);
            return 127;
        };
        let argv = strs(&opts.cmd);
        let env = ulib::env::environ();
        let envp = strs(&env);
        ulib::io::flush_stdout();
        match sys::fork() {
            Ok(0) => {
                let _ = sys::close(rfd);
                if let Err(e) = sys::trace_attach(0, wfd, flags) {
                    ulib::eprintln!("trace: trace_attach: {:?}", e);
                    sys::exit(126);
                }
                let _ = sys::close(wfd);
                let e = sys::exec(&path, &argv, &envp)
                    .err()
                    .unwrap_or(ulib::Errno::EIO);
                ulib::eprintln!("trace: {path}: {:?}", e);
                sys::exit(126)
            }
            Ok(pid) => child = Some(pid as u32),
            Err(e) => {
                ulib::cli::error("trace: fork", e);
                return 1;
            }
        }
    }
    let _ = sys::close(wfd);
    let mut t = Tracer {
        starting: child,
        opts,
        tally: BTreeMap::new(),
    };
    t.run(rfd);
    let status = match child {
        Some(pid) => match ulib::process::waitpid(pid as i64, 0) {
            Ok(Some((_, st))) => st.shell_code(),
            _ => 1,
        },
        None => 0,
    };
    if t.opts.count {
        t.summary();
    }
    if t.opts.pid.is_none() && !t.opts.count {
        ulib::eprintln!("+++ exited with {status} +++");
    }
    status
}
