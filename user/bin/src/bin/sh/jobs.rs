//! Waiting for jobs: the foreground job (with the terminal handed over), background
//! jobs collected before each prompt, and `fg`, `bg`, `wait`, `kill` on a job.
//!
//! Chapter 2 section 3-2 (process control): `waitpid` is how a parent learns that a
//! child ended and how (exit code or signal), or, with `WUNTRACED`, that it stopped;
//! until it ends the child stays a zombie. Chapter 2 section 2-1: the terminal belongs
//! to one process group at a time, so the shell gives it to a foreground job
//! (`TIOCSPGRP`) and takes it back when the job ends or stops (`Ctrl-Z` sends the
//! group `SIGTSTP`); `fg` gives it back and sends `SIGCONT`, `bg` only sends `SIGCONT`.
//!
//! Design decision: the shell waits for each pid it started by number, never for "any
//! child", so waiting for a foreground job cannot swallow the end of a background one;
//! background jobs are polled with `WNOHANG` before each prompt instead of from a
//! `SIGCHLD` handler, which keeps all job bookkeeping in ordinary code. A foreground
//! job enters the job table only when it stops.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use shcore::status;
use ulib::abi::flags::{WNOHANG, WUNTRACED};
use ulib::abi::signal;
use ulib::{sys, Errno};

use crate::exec::Started;
use crate::shell::{Flow, Io, Shell};

impl Shell {
    /// Waits for every process of a job started in the foreground, with the terminal
    /// given to its group meanwhile; returns the last process's `$?`. If the job
    /// stops (`Ctrl-Z`), it becomes a job in the table, reported `Stopped`; `text`
    /// names it there.
    pub fn wait_foreground(&mut self, s: &Started, text: impl FnOnce() -> String) -> i32 {
        if !self.job_control() {
            let mut last = 0;
            for &pid in &s.pids {
                last = wait_pid(pid, 0);
            }
            return self.foreground_ended(last);
        }
        let statuses = self.wait_in_foreground(s.pgid, &s.pids, None);
        if statuses.iter().any(|&(_, st)| signal::wifstopped(st)) {
            let id = self.jobs.add(s.pgid, &s.pids, &text());
            return self.foreground_stopped(id, &statuses);
        }
        self.foreground_ended(statuses.last().map_or(0, |&(_, st)| st))
    }

    /// Gives the terminal to group `pgid` (with terminal mode `tty_mode`, if one was
    /// saved), waits for `pids` to end or stop, and takes the terminal back; the wait
    /// statuses.
    fn wait_in_foreground(
        &mut self,
        pgid: u32,
        pids: &[u32],
        tty_mode: Option<u32>,
    ) -> Vec<(u32, u32)> {
        let _ = ulib::io::set_foreground_group(0, pgid);
        if let Some(mode) = tty_mode {
            let _ = ulib::io::set_terminal_mode(0, mode);
        }
        let statuses = pids.iter().map(|&p| (p, wait_pid(p, WUNTRACED))).collect();
        let _ = ulib::io::set_foreground_group(0, self.pgid);
        statuses
    }

    /// After a foreground job ended with wait status `last`: the report of a fatal
    /// signal, `Ctrl-C` abandoning the command line, and `$?`.
    fn foreground_ended(&mut self, last: u32) -> i32 {
        if let Some(line) = status::report(last) {
            self.write(&Io::standard(), 2, &format!("{line}\n"));
        }
        let interrupted = signal::wifsignaled(last) && signal::wtermsig(last) == signal::SIGINT;
        if self.job_control() && interrupted {
            // Ctrl-C ended the job (the terminal already echoed `^C` and a newline):
            // abandon the rest of the command line, like bash.
            self.flow = Flow::Cancel;
        }
        status::exit_code(last)
    }

    /// Records `statuses` for job `id`, which was in the foreground; if it stopped,
    /// keeps it (with the terminal mode it had) and prints `[N]+ Stopped  TEXT`;
    /// if it ended, forgets it. Its `$?` (128 + the signal for a stop, as in bash).
    fn foreground_stopped(&mut self, id: usize, statuses: &[(u32, u32)]) -> i32 {
        for &(pid, st) in statuses {
            self.jobs.record(pid, st);
        }
        let Some(job) = self.jobs.get(id) else {
            return 1;
        };
        if let Some(sig) = job.stopped() {
            let mode = ulib::io::terminal_mode(0).ok();
            if let Some(j) = self.jobs.get_mut(id) {
                j.tty_mode = mode;
                j.stop_reported = true;
            }
            let line = self.jobs.format(self.jobs.get(id).expect("job just seen"));
            self.write(&Io::standard(), 2, &format!("{line}\n"));
            return 128 + sig as i32;
        }
        // Every process was waited for, so not stopped means ended.
        let st = job.status().unwrap_or(0);
        self.jobs.remove(id);
        self.foreground_ended(st)
    }

    /// Collects the ends and stops of background jobs without waiting.
    pub fn reap_jobs(&mut self) {
        let pids: Vec<u32> = self.jobs.iter().flat_map(|j| j.live_pids()).collect();
        for pid in pids {
            let mut st = 0u32;
            match sys::waitpid(i64::from(pid), Some(&mut st), WNOHANG | WUNTRACED) {
                Ok(p) if p as u32 == pid => {
                    self.jobs.record(pid, st);
                }
                Err(Errno::ECHILD) => {
                    self.jobs.record(pid, 0);
                }
                _ => {}
            }
        }
    }

    /// Waits (blocking) for every process of job `id` to end (or, under job control,
    /// for the job to stop); its `$?`.
    pub fn wait_job(&mut self, id: usize) -> i32 {
        let Some(pids) = self.jobs.get(id).map(|j| j.live_pids()) else {
            return 127;
        };
        let flags = if self.job_control() { WUNTRACED } else { 0 };
        for pid in pids {
            let st = wait_pid(pid, flags);
            self.jobs.record(pid, st);
        }
        match self.jobs.get(id) {
            Some(j) => match j.stopped() {
                Some(sig) => 128 + sig as i32,
                None => status::exit_code(j.status().unwrap_or(0)),
            },
            None => 0,
        }
    }

    /// `fg`: job `id` gets the terminal (and the terminal mode it stopped with), is
    /// sent `SIGCONT` in case it was stopped, and the shell waits for it.
    pub fn foreground_job(&mut self, id: usize) -> i32 {
        let Some(job) = self.jobs.get(id) else {
            return 1;
        };
        let (pgid, pids, mode) = (job.pgid, job.live_pids(), job.tty_mode);
        self.write(&Io::standard(), 2, &format!("{}\n", job.text));
        if pids.is_empty() {
            let st = job.status().unwrap_or(0);
            self.jobs.remove(id);
            return status::exit_code(st);
        }
        if !self.job_control() {
            let _ = sys::kill(-i64::from(pgid), signal::SIGCONT);
            self.jobs.continued(id);
            return self.wait_job(id);
        }
        // The terminal first, then `SIGCONT`: the job must not find itself in the
        // background and stop again at its first read.
        let _ = ulib::io::set_foreground_group(0, pgid);
        let _ = sys::kill(-i64::from(pgid), signal::SIGCONT);
        self.jobs.continued(id);
        let statuses = self.wait_in_foreground(pgid, &pids, mode);
        self.foreground_stopped(id, &statuses)
    }

    /// `bg`: job `id`, if stopped, is sent `SIGCONT` and goes on in the background.
    pub fn background_job(&mut self, id: usize, io: &Io) -> i32 {
        let Some(job) = self.jobs.get(id) else {
            return 1;
        };
        if job.stopped().is_none() {
            self.error(io, &format!("bg: job {id} already in background"));
            return 0;
        }
        let _ = sys::kill(-i64::from(job.pgid), signal::SIGCONT);
        let line = format!("[{}]{} {} &\n", job.id, self.jobs.marker(id), job.text);
        self.jobs.continued(id);
        self.write(io, 1, &line);
        0
    }

    /// `kill [-SIGNAL | -s SIGNAL] %JOB|PID...` when some operand names a job: the
    /// signal goes to the job's process group, followed by `SIGCONT` if the job is
    /// stopped (a stopped process acts on no signal but `SIGKILL` until continued).
    pub fn kill_jobs(&mut self, args: &[String], io: &Io) -> i32 {
        let mut sig = signal::SIGTERM;
        let mut rest = args;
        match rest.first().map(String::as_str) {
            Some("-s") => {
                let Some(s) = rest.get(1).and_then(|n| ulib::process::signal_from_name(n)) else {
                    self.error(io, "kill: -s: unknown signal");
                    return 2;
                };
                sig = s;
                rest = &rest[2..];
            }
            Some("--") => rest = &rest[1..],
            Some(a) if a.starts_with('-') && a.len() > 1 => {
                let Some(s) = ulib::process::signal_from_name(&a[1..]) else {
                    self.error(io, &format!("kill: {}: unknown signal", &a[1..]));
                    return 2;
                };
                sig = s;
                rest = &rest[1..];
            }
            _ => {}
        }
        let mut status = 0;
        for target in rest {
            let (pid, stopped) = if target.starts_with('%') {
                match self.jobs.resolve(Some(target)) {
                    Ok(id) => {
                        let j = self.jobs.get(id).expect("job just resolved");
                        (-i64::from(j.pgid), j.stopped().is_some())
                    }
                    Err(msg) => {
                        self.error(io, &format!("kill: {msg}"));
                        status = 1;
                        continue;
                    }
                }
            } else {
                match target.parse::<i64>() {
                    Ok(p) => (p, false),
                    Err(_) => {
                        self.error(
                            io,
                            &format!("kill: {target}: arguments must be jobs or process ids"),
                        );
                        status = 1;
                        continue;
                    }
                }
            };
            if let Err(e) = sys::kill(pid, sig) {
                self.error(io, &format!("kill: {target}: {}", e.message()));
                status = 1;
            } else if stopped && sig != signal::SIGKILL && sig != signal::SIGCONT {
                let _ = sys::kill(pid, signal::SIGCONT);
            }
        }
        status
    }

    /// Before an interactive shell exits: with stopped jobs, warns once and refuses
    /// (as bash does); a second `exit` goes. Whether to exit now.
    pub fn may_exit(&mut self) -> bool {
        self.reap_jobs();
        if self.jobs.any_stopped() && !self.exit_warned {
            self.exit_warned = true;
            self.write(&Io::standard(), 2, "There are stopped jobs.\n");
            return false;
        }
        true
    }

    /// As the interactive shell exits: stopped jobs are sent `SIGHUP` and `SIGCONT`,
    /// so they do not stay stopped with nobody to continue them.
    pub fn hang_up_stopped_jobs(&mut self) {
        for j in self.jobs.iter().filter(|j| j.stopped().is_some()) {
            let _ = sys::kill(-i64::from(j.pgid), signal::SIGHUP);
            let _ = sys::kill(-i64::from(j.pgid), signal::SIGCONT);
        }
    }
}

/// Blocks until `pid` ends (or, with `WUNTRACED` in `flags`, stops); its wait status
/// (0 if it cannot be waited for).
pub fn wait_pid(pid: u32, flags: u32) -> u32 {
    loop {
        let mut st = 0u32;
        match sys::waitpid(i64::from(pid), Some(&mut st), flags) {
            Ok(_) => return st,
            Err(Errno::EINTR) => continue,
            Err(_) => return 0,
        }
    }
}
