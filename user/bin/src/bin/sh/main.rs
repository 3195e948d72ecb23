//! `sh`: the dinos command interpreter.
//!
//! Chapter 2 section 2-1 (the command interpreter): the program a user talks to. It
//! reads a command (from the keyboard with line editing and history, from a script
//! file, from a pipe, or from `-c`), parses it with `shparse`, finds each command as a
//! program file in `PATH` (`rm` is `/bin/rm`), starts it with `spawn`, connects
//! pipelines and redirections, waits or keeps it as a background job, and reports how
//! it ended in `$?`.
//!
//! Usage: `sh` (interactive on a terminal, else commands from standard input),
//! `sh -c COMMANDS [NAME [ARGS]]`, `sh FILE [ARGS]`.
//!
//! Design decision: one loop serves every input source: lines are gathered until
//! `shparse::parse` stops answering `Incomplete`, then run. A script therefore runs
//! command by command (a syntax error on line 10 stops it there, after lines 1-9 ran, as
//! in other shells), and an interactive `if` prompts `> ` until its `fi`. Modules:
//! `shell` (state), `exec` (running the tree), `jobs` (waiting), `builtins`, `term`
//! (terminal and line input), `sysfs` (the file system for search, globbing and completion), `render`
//! (command text for job listings). The pure parts live in the `shcore` crate.

#![no_std]
#![no_main]
#![deny(unsafe_code)] // not `forbid`: `ulib::entry!` exports the entry symbol

extern crate alloc;

mod builtins;
mod compound;
mod exec;
mod jobs;
mod render;
mod scriptbuiltins;
mod shell;
mod start;
mod subst;
mod sysfs;
mod term;
mod traps;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::shparse::ParseError;
/// The shell language, through `shcore` (which depends on it).
pub use shcore::shparse;
use ulib::sys;

use shell::{Flow, Io, Shell};
use term::{Input, Terminal};

ulib::entry!(main);

fn main() -> i32 {
    let argv: Vec<String> = ulib::env::args().collect();
    let arg0 = argv.first().cloned().unwrap_or_else(|| String::from("sh"));
    let rest = &argv[argv.len().min(1)..];
    let code = match rest.first().map(String::as_str) {
        Some("-c") => {
            let Some(cmd) = rest.get(1) else {
                ulib::eprintln!("sh: -c: option requires an argument");
                return 2;
            };
            let name = rest.get(2).cloned().unwrap_or(arg0);
            let args = rest.get(3..).map(<[String]>::to_vec).unwrap_or_default();
            let mut sh = Shell::new(name, args);
            run_script_text(&mut sh, "-c", cmd, &Io::standard());
            finish(&mut sh)
        }
        Some(file) if file != "-i" && file != "-" => {
            let mut sh = Shell::new(String::from(file), rest[1..].to_vec());
            match sysfs::read_file(file) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    run_script_text(&mut sh, file, &text, &Io::standard());
                    finish(&mut sh)
                }
                Err(e) => {
                    ulib::eprintln!("sh: {file}: {}", e.message());
                    if e == ulib::Errno::ENOENT {
                        127
                    } else {
                        126
                    }
                }
            }
        }
        _ => {
            let mut sh = Shell::new(arg0, Vec::new());
            init_vars(&mut sh);
            match Terminal::open(&mut sh) {
                Some(term) => {
                    sh.interactive = true;
                    let code = interactive(&mut sh, &term);
                    sh.hang_up_stopped_jobs();
                    term.cooked();
                    sh.run_exit_trap(code)
                }
                None => {
                    run_lines(
                        &mut sh,
                        "",
                        &mut || term::read_line_plain(0),
                        &Io::standard(),
                    );
                    finish(&mut sh)
                }
            }
        }
    };
    code
}

/// The exit status once input ended or `exit` ran (after the `EXIT` trap).
fn finish(sh: &mut Shell) -> i32 {
    let code = match sh.flow {
        Flow::Exit(code) => code,
        _ => sh.status,
    };
    sh.run_exit_trap(code)
}

/// Variables an interactive shell sets up if its environment lacks them.
fn init_vars(sh: &mut Shell) {
    if sh.vars.get("PATH").is_none() {
        sh.vars
            .export("PATH", Some(shcore::pathsearch::DEFAULT_PATH));
    }
    if let Ok(cwd) = ulib::env::current_dir() {
        sh.vars.export("PWD", Some(&cwd));
    }
}

/// Runs a whole script text (a file, `-c`, or `source`), command by command.
pub fn run_script_text(sh: &mut Shell, name: &str, text: &str, io: &Io) {
    let mut lines = text.split_inclusive('\n').map(String::from);
    run_lines(sh, name, &mut || lines.next(), io);
}

/// The non-interactive loop: gathers lines until they parse, runs them, goes on until
/// input ends, `exit` runs, or a syntax error stops the script (status 2).
fn run_lines(sh: &mut Shell, _name: &str, next: &mut dyn FnMut() -> Option<String>, io: &Io) {
    let mut chunk = String::new();
    let mut chunk_start = 1;
    let mut line_no = 0;
    while let Some(line) = next() {
        line_no += 1;
        if chunk.is_empty() {
            chunk_start = line_no;
        }
        chunk.push_str(&line);
        match crate::shparse::parse(&chunk) {
            Err(ParseError::Incomplete) => continue,
            Err(ParseError::Syntax { line, message }) => {
                sh.lineno = chunk_start + line - 1;
                sh.error(io, &message);
                sh.status = 2;
                if !sh.interactive {
                    sh.flow = Flow::Exit(2);
                }
                return;
            }
            Ok(list) => {
                chunk.clear();
                sh.reap_jobs();
                sh.reap_stray();
                sh.run_list(&list, io);
                if sh.interrupted() {
                    return;
                }
            }
        }
    }
    if !chunk.trim().is_empty() {
        sh.lineno = line_no;
        sh.error(io, "syntax error: unexpected end of file");
        sh.status = 2;
        if !sh.interactive {
            sh.flow = Flow::Exit(2);
        }
    }
}

/// `dinos:/path$ `.
fn prompt() -> String {
    let cwd = ulib::env::current_dir().unwrap_or_else(|_| String::from("?"));
    format!("dinos:{cwd}$ ")
}

/// Reports background jobs that stopped or ended since the last prompt.
fn notify_jobs(sh: &mut Shell) {
    sh.reap_jobs();
    let mut lines = sh.jobs.take_stop_reports();
    lines.extend(
        sh.jobs
            .iter()
            .filter(|j| j.finished())
            .map(|j| sh.jobs.format(j)),
    );
    sh.jobs.take_finished();
    for l in lines {
        sh.write(&Io::standard(), 2, &format!("{l}\n"));
    }
}

/// The interactive loop: prompt, edit, parse (prompting `> ` for more), run.
fn interactive(sh: &mut Shell, term: &Terminal) -> i32 {
    let io = Io::standard();
    let mut text = String::new();
    loop {
        if text.is_empty() {
            notify_jobs(sh);
        }
        let p = if text.is_empty() {
            prompt()
        } else {
            String::from("> ")
        };
        match term.read_line(sh, &p) {
            Input::Eof if text.is_empty() => {
                sh.write(&io, 2, "exit\n");
                if sh.may_exit() {
                    return sh.status;
                }
                continue;
            }
            Input::Eof => {
                sh.error(&io, "syntax error: unexpected end of file");
                sh.status = 2;
                text.clear();
                continue;
            }
            Input::Interrupt => {
                sh.status = 130;
                text.clear();
                continue;
            }
            Input::Line(l) => {
                sh.editor.history.push(&l);
                text.push_str(&l);
                text.push('\n');
            }
        }
        match crate::shparse::parse(&text) {
            Err(ParseError::Incomplete) => continue,
            Err(ParseError::Syntax { message, .. }) => {
                sh.error(&io, &message);
                sh.status = 2;
            }
            Ok(list) => {
                term.cooked();
                sh.reap_stray();
                sh.flow = Flow::Normal;
                term::take_interrupt();
                sh.run_list(&list, &io);
                let flow = sh.flow;
                match flow {
                    Flow::Exit(code) if sh.may_exit() => return code,
                    Flow::Exit(_) => {}
                    // Any other command line: the next `exit` warns again.
                    _ => sh.exit_warned = false,
                }
                sh.flow = Flow::Normal;
            }
        }
        text.clear();
        // A program may have left the terminal to another group; take it back.
        let _ = ulib::io::set_foreground_group(0, sh.pgid);
        let _ = sys::yield_now();
    }
}
