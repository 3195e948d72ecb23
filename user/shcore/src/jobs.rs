//! The job table: pipelines started with `&` or stopped with `Ctrl-Z`, numbered `[1]`,
//! `[2]`, ...
//!
//! Chapter 2 section 2-1 (the command interpreter) and 3-2 (process control): a job is
//! one pipeline, all of whose processes share a process group, so one signal (`Ctrl-C`,
//! `Ctrl-Z`, `kill -INT -PGID`) reaches all of them and the terminal can be given to
//! the whole group. The shell keeps a table of its background and stopped jobs,
//! reports each one's end or stop before the next prompt (`[1]+ Done  sleep 1`,
//! `[2]+ Stopped (tty input)  cat`), and `fg`, `bg`, `wait`, `jobs`, `kill` name them
//! by number (`%1`) or as current (`%+`, `%%`) and previous (`%-`).
//!
//! Design decision: the table is bookkeeping only: it records pids and the wait
//! statuses the shell collected (ended, stopped by a signal, continued) and never
//! calls the kernel, so numbering, states, lookup and the report lines are tested on
//! the host. The current job is the one most recently started in the background or
//! stopped, as in bash.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use abi::signal;

use crate::status;

/// Where one process of a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcState {
    /// Running (or continued).
    Running,
    /// Stopped by this signal.
    Stopped(u32),
    /// Ended with this wait status.
    Ended(u32),
}

/// One process of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proc {
    pub pid: u32,
    pub state: ProcState,
}

/// One job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Its number, `[N]`.
    pub id: usize,
    /// The process group of its processes.
    pub pgid: u32,
    /// Its processes, left to right.
    pub procs: Vec<Proc>,
    /// The command as typed, for listings.
    pub text: String,
    /// The terminal mode when it stopped, given back to it by `fg`.
    pub tty_mode: Option<u32>,
    /// Whether its latest stop has been reported to the user.
    pub stop_reported: bool,
    /// When it was last started in the background or stopped (for `%+`, `%-`).
    touched: u64,
}

impl Job {
    /// Whether every process has ended.
    pub fn finished(&self) -> bool {
        self.procs
            .iter()
            .all(|p| matches!(p.state, ProcState::Ended(_)))
    }

    /// The signal that stopped it, if it is stopped: some process stopped and none
    /// still running.
    pub fn stopped(&self) -> Option<u32> {
        if self.procs.iter().any(|p| p.state == ProcState::Running) {
            return None;
        }
        self.procs.iter().find_map(|p| match p.state {
            ProcState::Stopped(sig) => Some(sig),
            _ => None,
        })
    }

    /// The job's status once finished: that of its last process (as a pipeline's is).
    pub fn status(&self) -> Option<u32> {
        match self.procs.last()?.state {
            ProcState::Ended(s) => Some(s),
            _ => None,
        }
    }

    /// The processes not yet ended (running or stopped): those still to wait for.
    pub fn live_pids(&self) -> Vec<u32> {
        self.procs
            .iter()
            .filter(|p| !matches!(p.state, ProcState::Ended(_)))
            .map(|p| p.pid)
            .collect()
    }

    /// The state column of `jobs`.
    pub fn state(&self) -> String {
        if let Some(sig) = self.stopped() {
            return String::from(status::stop_description(sig));
        }
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
    clock: u64,
}

impl JobTable {
    /// No jobs.
    pub fn new() -> Self {
        JobTable::default()
    }

    /// Records a new job, which becomes the current one; returns its number (the
    /// lowest not in use).
    pub fn add(&mut self, pgid: u32, pids: &[u32], text: &str) -> usize {
        let mut id = 1;
        while self.jobs.iter().any(|j| j.id == id) {
            id += 1;
        }
        self.clock += 1;
        self.jobs.push(Job {
            id,
            pgid,
            procs: pids
                .iter()
                .map(|&pid| Proc {
                    pid,
                    state: ProcState::Running,
                })
                .collect(),
            text: String::from(text),
            tty_mode: None,
            stop_reported: false,
            touched: self.clock,
        });
        id
    }

    /// Records a wait status `waitpid` gave for `pid` (ended, stopped or continued);
    /// returns the job's number if it was one of ours. A job that becomes stopped
    /// becomes the current job, its stop not yet reported.
    pub fn record(&mut self, pid: u32, st: u32) -> Option<usize> {
        let clock = self.clock + 1;
        let job = self
            .jobs
            .iter_mut()
            .find(|j| j.procs.iter().any(|p| p.pid == pid))?;
        let was_stopped = job.stopped().is_some();
        let proc = job.procs.iter_mut().find(|p| p.pid == pid)?;
        proc.state = if signal::wifcontinued(st) {
            ProcState::Running
        } else if signal::wifstopped(st) {
            ProcState::Stopped(signal::wstopsig(st))
        } else {
            ProcState::Ended(st)
        };
        if !was_stopped && job.stopped().is_some() {
            job.stop_reported = false;
            job.touched = clock;
            self.clock = clock;
        }
        Some(job.id)
    }

    /// Records that job `id` was sent `SIGCONT`: its stopped processes run again.
    pub fn continued(&mut self, id: usize) {
        if let Some(j) = self.jobs.iter_mut().find(|j| j.id == id) {
            for p in &mut j.procs {
                if let ProcState::Stopped(_) = p.state {
                    p.state = ProcState::Running;
                }
            }
        }
    }

    /// The jobs, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter()
    }

    /// Whether there are no jobs.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Whether some job is stopped (the shell warns before exiting).
    pub fn any_stopped(&self) -> bool {
        self.jobs.iter().any(|j| j.stopped().is_some())
    }

    /// The job with number `id`.
    pub fn get(&self, id: usize) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id)
    }

    /// The job with number `id`, to change.
    pub fn get_mut(&mut self, id: usize) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.id == id)
    }

    /// The job `pid` belongs to.
    pub fn of_pid(&self, pid: u32) -> Option<usize> {
        self.jobs
            .iter()
            .find(|j| j.procs.iter().any(|p| p.pid == pid))
            .map(|j| j.id)
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

    /// The listing lines of jobs that stopped since the last report, now reported.
    pub fn take_stop_reports(&mut self) -> Vec<String> {
        let ids: Vec<usize> = self
            .jobs
            .iter()
            .filter(|j| j.stopped().is_some() && !j.stop_reported)
            .map(|j| j.id)
            .collect();
        ids.into_iter()
            .filter_map(|id| {
                self.get_mut(id)?.stop_reported = true;
                Some(self.format(self.get(id)?))
            })
            .collect()
    }

    /// The current job (`%+`, most recently started in the background or stopped)
    /// and the previous one (`%-`).
    fn current_previous(&self) -> (Option<usize>, Option<usize>) {
        let mut by_time: Vec<&Job> = self.jobs.iter().collect();
        by_time.sort_by_key(|j| core::cmp::Reverse(j.touched));
        (by_time.first().map(|j| j.id), by_time.get(1).map(|j| j.id))
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
        let running = !job.finished() && job.stopped().is_none();
        let amp = if running { " &" } else { "" };
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
        assert_eq!(t.record(20, wait_status_signaled(13)), Some(1));
        assert!(t.take_finished().is_empty());
        assert_eq!(t.record(21, wait_status_exited(0)), Some(1));
        assert_eq!(t.record(99, 0), None);
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
        t.record(2, wait_status_signaled(SIGKILL));
        assert_eq!(
            t.format(t.get(2).unwrap()),
            "[2]+ Killed                  sleep 20"
        );
    }

    #[test]
    fn a_stopped_job_is_listed_stopped_until_continued() {
        use abi::signal::{wait_status_stopped, SIGTSTP, SIGTTIN, WAIT_STATUS_CONTINUED};
        let mut t = JobTable::new();
        t.add(30, &[30, 31], "cat | wc");
        assert_eq!(t.record(30, wait_status_stopped(SIGTSTP)), Some(1));
        // One process still runs: the job is not stopped yet.
        assert_eq!(t.get(1).unwrap().stopped(), None);
        assert_eq!(t.take_stop_reports(), Vec::<String>::new());
        t.record(31, wait_status_stopped(SIGTSTP));
        assert_eq!(t.get(1).unwrap().stopped(), Some(SIGTSTP));
        assert!(t.any_stopped());
        assert_eq!(
            t.take_stop_reports(),
            ["[1]+ Stopped                 cat | wc"]
        );
        // Reported once.
        assert!(t.take_stop_reports().is_empty());
        assert_eq!(t.get(1).unwrap().live_pids(), [30, 31]);
        t.continued(1);
        assert_eq!(t.get(1).unwrap().state(), "Running");
        assert!(!t.any_stopped());
        // A continue reported by waitpid also counts; a SIGTTIN stop is named.
        t.record(30, wait_status_stopped(SIGTTIN));
        t.record(31, wait_status_stopped(SIGTTIN));
        assert_eq!(t.get(1).unwrap().state(), "Stopped (tty input)");
        t.record(30, WAIT_STATUS_CONTINUED);
        assert_eq!(t.get(1).unwrap().stopped(), None);
    }

    #[test]
    fn the_current_job_is_the_latest_started_or_stopped() {
        use abi::signal::{wait_status_stopped, SIGTSTP};
        let mut t = JobTable::new();
        t.add(1, &[1], "sleep 10");
        t.add(2, &[2], "sleep 20");
        assert_eq!(t.resolve(None), Ok(2));
        t.record(1, wait_status_stopped(SIGTSTP));
        assert_eq!(t.resolve(None), Ok(1));
        assert_eq!(t.resolve(Some("%-")), Ok(2));
        assert_eq!(t.marker(1), '+');
        assert_eq!(t.marker(2), '-');
        // A stopped job is listed without `&`; a job that ends after a stop is done.
        assert_eq!(
            t.format(t.get(1).unwrap()),
            "[1]+ Stopped                 sleep 10"
        );
        t.record(1, wait_status_exited(0));
        assert_eq!(t.take_finished().len(), 1);
        assert_eq!(t.of_pid(2), Some(2));
        assert_eq!(t.of_pid(1), None);
    }
}
