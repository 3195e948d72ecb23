//! The job table: pipelines started with `&`, numbered `[1]`, `[2]`, ...
//!
//! Chapter 2 section 2-1 (the command interpreter) and 3-2 (process control): a job is
//! one pipeline, all of whose processes share a process group, so one signal (`Ctrl-C`,
//! `kill -INT -PGID`) reaches all of them and the terminal can be given to the whole
//! group. The shell keeps a table of its background jobs, reports each one's end
//! before the next prompt (`[1]+ Done  sleep 1`), and `fg`, `bg`, `wait`, `jobs` name
//! them by number (`%1`) or as current (`%+`, `%%`) and previous (`%-`).
//!
//! Design decision: the table is bookkeeping only: it records pids and the wait
//! statuses the shell collected and never calls the kernel, so numbering, lookup and
//! the report lines are tested on the host.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::status;

/// One job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Its number, `[N]`.
    pub id: usize,
    /// The process group of its processes.
    pub pgid: u32,
    /// Its processes, left to right, each with its wait status once it ended.
    pub procs: Vec<(u32, Option<u32>)>,
    /// The command as typed, for listings.
    pub text: String,
}

impl Job {
    /// Whether every process has ended.
    pub fn finished(&self) -> bool {
        self.procs.iter().all(|(_, s)| s.is_some())
    }

    /// The job's status: that of its last process (as a pipeline's is).
    pub fn status(&self) -> Option<u32> {
        self.procs.last().and_then(|(_, s)| *s)
    }

    /// The state column of `jobs`.
    pub fn state(&self) -> String {
        match (self.finished(), self.status()) {
            (true, Some(s)) => status::job_state(s),
            _ => String::from("Running"),
        }
    }
}

/// All jobs of a shell.
#[derive(Clone, Debug, Default)]
pub struct JobTable {
    jobs: Vec<Job>,
}

impl JobTable {
    /// No jobs.
    pub fn new() -> Self {
        JobTable::default()
    }

    /// Records a new job; returns its number (the lowest not in use).
    pub fn add(&mut self, pgid: u32, pids: &[u32], text: &str) -> usize {
        let mut id = 1;
        while self.jobs.iter().any(|j| j.id == id) {
            id += 1;
        }
        self.jobs.push(Job {
            id,
            pgid,
            procs: pids.iter().map(|&p| (p, None)).collect(),
            text: String::from(text),
        });
        id
    }

    /// Records that `pid` ended with `status`; returns the job's number if it was one
    /// of ours.
    pub fn record_exit(&mut self, pid: u32, status: u32) -> Option<usize> {
        for job in &mut self.jobs {
            for proc in &mut job.procs {
                if proc.0 == pid {
                    proc.1 = Some(status);
                    return Some(job.id);
                }
            }
        }
        None
    }

    /// The jobs, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter()
    }

    /// Whether there are no jobs.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// The job with number `id`.
    pub fn get(&self, id: usize) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id)
    }

    /// Removes and returns job `id`.
    pub fn remove(&mut self, id: usize) -> Option<Job> {
        let i = self.jobs.iter().position(|j| j.id == id)?;
        Some(self.jobs.remove(i))
    }

    /// Removes and returns every finished job (to be reported once).
    pub fn take_finished(&mut self) -> Vec<Job> {
        let (done, running) = core::mem::take(&mut self.jobs)
            .into_iter()
            .partition(Job::finished);
        self.jobs = running;
        done
    }

    /// The current job (`%+`, the newest) and previous (`%-`).
    fn current_previous(&self) -> (Option<usize>, Option<usize>) {
        let n = self.jobs.len();
        (
            n.checked_sub(1).map(|i| self.jobs[i].id),
            n.checked_sub(2).map(|i| self.jobs[i].id),
        )
    }

    /// The marker `jobs` shows after `[N]`: `+` current, `-` previous, else a space.
    pub fn marker(&self, id: usize) -> char {
        match self.current_previous() {
            (Some(c), _) if c == id => '+',
            (_, Some(p)) if p == id => '-',
            _ => ' ',
        }
    }

    /// Resolves a job specification (`%1`, `1`, `%+`, `%%`, `%-`, or none for the
    /// current job) to a job number, or the message to print.
    pub fn resolve(&self, spec: Option<&str>) -> Result<usize, String> {
        let (cur, prev) = self.current_previous();
        let found = match spec {
            None | Some("%" | "%%" | "%+" | "+") => cur,
            Some("%-" | "-") => prev,
            Some(s) => {
                let n = s.strip_prefix('%').unwrap_or(s);
                match n.parse::<usize>() {
                    Ok(id) => self.get(id).map(|j| j.id),
                    Err(_) => {
                        // `%name`: the job whose command starts with it.
                        self.jobs
                            .iter()
                            .find(|j| j.text.starts_with(n))
                            .map(|j| j.id)
                    }
                }
            }
        };
        found.ok_or_else(|| match spec {
            None => String::from("no current job"),
            Some(s) => format!("{s}: no such job"),
        })
    }

    /// A `jobs` line: `[1]+ Running                 sleep 100 &`.
    pub fn format(&self, job: &Job) -> String {
        let amp = if job.finished() { "" } else { " &" };
        format!(
            "[{}]{} {:<24}{}{}",
            job.id,
            self.marker(job.id),
            job.state(),
            job.text,
            amp
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::signal::{wait_status_exited, wait_status_signaled, SIGKILL};

    #[test]
    fn numbers_are_the_lowest_free_ones() {
        let mut t = JobTable::new();
        assert_eq!(t.add(10, &[10], "a"), 1);
        assert_eq!(t.add(11, &[11], "b"), 2);
        t.remove(1);
        assert_eq!(t.add(12, &[12], "c"), 1);
    }

    #[test]
    fn a_job_finishes_when_all_its_processes_have_ended() {
        let mut t = JobTable::new();
        t.add(20, &[20, 21], "yes | head");
        assert_eq!(t.record_exit(20, wait_status_signaled(13)), Some(1));
        assert!(t.take_finished().is_empty());
        assert_eq!(t.record_exit(21, wait_status_exited(0)), Some(1));
        assert_eq!(t.record_exit(99, 0), None);
        let done = t.take_finished();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].state(), "Done");
        assert!(t.is_empty());
    }

    #[test]
    fn specs_name_jobs_by_number_current_previous_and_prefix() {
        let mut t = JobTable::new();
        t.add(1, &[1], "sleep 10");
        t.add(2, &[2], "cat");
        assert_eq!(t.resolve(None), Ok(2));
        assert_eq!(t.resolve(Some("%%")), Ok(2));
        assert_eq!(t.resolve(Some("%-")), Ok(1));
        assert_eq!(t.resolve(Some("%1")), Ok(1));
        assert_eq!(t.resolve(Some("2")), Ok(2));
        assert_eq!(t.resolve(Some("%sl")), Ok(1));
        assert_eq!(t.resolve(Some("%7")), Err("%7: no such job".into()));
        assert_eq!(JobTable::new().resolve(None), Err("no current job".into()));
    }

    #[test]
    fn listing_lines_show_marker_state_and_text() {
        let mut t = JobTable::new();
        t.add(1, &[1], "sleep 10");
        t.add(2, &[2], "sleep 20");
        let lines: Vec<String> = t.iter().map(|j| t.format(j)).collect();
        assert_eq!(lines[0], "[1]- Running                 sleep 10 &");
        assert_eq!(lines[1], "[2]+ Running                 sleep 20 &");
        t.record_exit(2, wait_status_signaled(SIGKILL));
        assert_eq!(
            t.format(t.get(2).unwrap()),
            "[2]+ Killed                  sleep 20"
        );
    }
}
