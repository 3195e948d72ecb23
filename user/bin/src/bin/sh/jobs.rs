//! Waiting for jobs: the foreground job (with the terminal handed over), background
//! jobs collected before each prompt, and `wait`/`fg` on a job by number.
//!
//! Chapter 2 section 3-2 (process control): `waitpid` is how a parent learns that a
//! child ended and how (exit code or signal); until then the child stays a zombie.
//! Chapter 2 section 2-1: the terminal belongs to one process group at a time, so the
//! shell gives it to a foreground job (`TIOCSPGRP`) and takes it back when it ends.
//!
//! Design decision: the shell waits for each pid it started by number, never for "any
//! child", so waiting for a foreground job cannot swallow the end of a background one;
//! background jobs are polled with `WNOHANG` before each prompt instead of from a
//! `SIGCHLD` handler, which keeps all job bookkeeping in ordinary code.

use alloc::format;
use alloc::vec::Vec;

use shcore::status;
use ulib::abi::signal;
use ulib::{sys, Errno};

use crate::exec::Started;
use crate::shell::{Flow, Io, Shell};

impl Shell {
    /// Waits for every process of a job started in the foreground, with the terminal
    /// given to its group meanwhile; returns the last process's `$?`.
    pub fn wait_foreground(&mut self, s: &Started) -> i32 {
        let job_control = self.job_control();
        if job_control {
            let _ = ulib::io::set_foreground_group(0, s.pgid);
        }
        let mut last = 0;
        for &pid in &s.pids {
            last = wait_pid(pid);
        }
        if job_control {
            let _ = ulib::io::set_foreground_group(0, self.pgid);
        }
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

    /// Collects the ends of background jobs without waiting.
    pub fn reap_jobs(&mut self) {
        let pids: Vec<u32> = self
            .jobs
            .iter()
            .flat_map(|j| j.procs.iter().filter(|(_, s)| s.is_none()).map(|(p, _)| *p))
            .collect();
        for pid in pids {
            let mut st = 0u32;
            match sys::waitpid(i64::from(pid), Some(&mut st), ulib::abi::flags::WNOHANG) {
                Ok(p) if p as u32 == pid => {
                    self.jobs.record_exit(pid, st);
                }
                Err(Errno::ECHILD) => {
                    self.jobs.record_exit(pid, 0);
                }
                _ => {}
            }
        }
    }

    /// Waits (blocking) for every process of job `id`; its `$?`.
    pub fn wait_job(&mut self, id: usize) -> i32 {
        let pids: Vec<u32> = match self.jobs.get(id) {
            Some(j) => j
                .procs
                .iter()
                .filter(|(_, s)| s.is_none())
                .map(|(p, _)| *p)
                .collect(),
            None => return 127,
        };
        for pid in pids {
            let st = wait_pid(pid);
            self.jobs.record_exit(pid, st);
        }
        let st = self.jobs.get(id).and_then(|j| j.status()).unwrap_or(0);
        status::exit_code(st)
    }

    /// Puts job `id` in the foreground: the terminal goes to its group, it is sent
    /// `SIGCONT` in case it was stopped, and the shell waits for it.
    pub fn foreground_job(&mut self, id: usize) -> i32 {
        let Some(job) = self.jobs.remove(id) else {
            return 1;
        };
        self.write(&Io::standard(), 2, &format!("{}\n", job.text));
        let _ = sys::kill(-i64::from(job.pgid), signal::SIGCONT);
        let pids = job
            .procs
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(p, _)| *p)
            .collect();
        let s = Started {
            pgid: job.pgid,
            pids,
        };
        if s.pids.is_empty() {
            return status::exit_code(job.status().unwrap_or(0));
        }
        self.wait_foreground(&s)
    }
}

/// Blocks until `pid` ends; its wait status (0 if it cannot be waited for).
pub fn wait_pid(pid: u32) -> u32 {
    loop {
        let mut st = 0u32;
        match sys::waitpid(i64::from(pid), Some(&mut st), 0) {
            Ok(_) => return st,
            Err(Errno::EINTR) => continue,
            Err(_) => return 0,
        }
    }
}
