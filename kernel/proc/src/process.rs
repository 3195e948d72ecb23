//! The process table: who exists, who is whose parent, and what each one is using.
//!
//! Every process is an `Arc<Process>` in one table keyed by pid, found from the running
//! kernel thread through a tid → pid map. Fields that interrupt handlers touch (signal
//! state, the parent/child links, the exit status) sit behind spinlocks; the address
//! space and the descriptor table, which only the process's own thread (and `fork`)
//! touch, sit behind sleeping mutexes because their operations can block.
//!
//! Who a process is, its [`Credentials`], is one shared, immutable value: an
//! `Arc<Credentials>` that a read clones under a spinlock held for a few
//! instructions, and that a change (setuid, umask) replaces whole. So every file
//! operation works with one consistent snapshot, `fork` shares the parent's value
//! instead of copying it, and the calls that never ask (null, getppid) pay nothing.
//!
//! What a process has used (CPU time, faults, context switches, calls: its
//! [`Rusage`]) is read from where it is counted: ticks here, faults in its address
//! space, switches and calls on its thread; what an address space or a thread that is
//! gone had counted is kept in [`Process::usage`]'s past total, and a child's final
//! usage is added to its parent's children total when it is waited for.
//!
//! A process that has exited stays in the table as a *zombie* holding its exit status
//! until its parent collects it with `waitpid`. Orphans are given to init (pid 1).

use crate::coredump::ExecInfo;
use crate::limits::Limits;
use crate::personality::Personality;
use crate::signal::SigState;
use abi::Rusage;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
pub use cred::Credentials;
use files::FdTable;
use fsys::{Cwd, NodeRef};
use hal::sync::SpinLock;
use mm::AddressSpace;
use task::{Mutex, Tid, WaitQueue};

pub type Pid = u32;

/// Where a process is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcState {
    Alive,
    /// Exited with this wait status (see `abi::signal::wait_status_*`).
    Zombie(u32),
}

/// Links and status, changed under the spinlock.
pub struct Family {
    pub ppid: Pid,
    pub pgid: Pid,
    /// The session: a login's processes (init's, or an interactive shell's). A process
    /// may only join process groups of its own session.
    pub sid: Pid,
    pub state: ProcState,
    /// Stopped by a stop signal (job control) until SIGCONT or SIGKILL.
    pub stopped: bool,
    /// A stop or continue not yet reported to a `waitpid` that asked for it
    /// (`WUNTRACED`, `WCONTINUED`): its wait status.
    pub job_report: Option<u32>,
    pub children: Vec<Pid>,
    /// CPU time (ns) of children that have been waited for.
    pub child_user_ns: u64,
    pub child_sys_ns: u64,
    /// Everything those children used (`getrusage(RUSAGE_CHILDREN)`).
    pub child_usage: Rusage,
}

/// Usage counted by things a process no longer has.
#[derive(Default)]
pub struct PastUsage {
    /// Faults and peak resident size of address spaces `exec` replaced; at exit, all
    /// of the final usage.
    pub past: Rusage,
    /// The process has exited: `past` is its whole usage.
    pub done: bool,
}

pub struct Process {
    pub pid: Pid,
    pub tid: SpinLock<Tid>,
    pub name: SpinLock<String>,
    pub family: SpinLock<Family>,
    /// A copy of `family.ppid` readable without the lock (getppid); written together
    /// with it.
    pub(crate) ppid_fast: AtomicU32,
    pub aspace: Mutex<Option<AddressSpace>>,
    pub files: Mutex<FdTable>,
    /// The working directory, held (see `fsys::Cwd`).
    pub cwd: Mutex<Cwd>,
    pub sig: SpinLock<SigState>,
    /// Whether `sig` may hold a pending signal, readable without its lock.
    pub sig_hint: crate::sigstate::SigHint,
    /// The system-call ABI of the program it runs (set at exec, inherited by fork).
    pub personality: SpinLock<Personality>,
    /// The parent sleeps here waiting for a child to exit.
    pub child_wq: WaitQueue,
    /// Where a stopped process's thread sleeps until it is continued.
    pub stop_wq: WaitQueue,
    /// Woken when one of its threads exits (an `exec` waits here for the others).
    pub thread_wq: WaitQueue,
    pub user_ticks: AtomicU64,
    pub sys_ticks: AtomicU64,
    /// Resource limits (`prlimit`; see `limits.rs`).
    pub limits: SpinLock<Limits>,
    /// Usage whose counters are gone (see the module header).
    pub usage: SpinLock<PastUsage>,
    /// The program it runs, as a core dump describes it.
    pub exec_info: SpinLock<Arc<ExecInfo>>,
    /// Who the process is: user and group ids, groups, umask (see the module
    /// header); read with [`Process::cred`].
    cred: SpinLock<Arc<Credentials>>,
    /// The program it runs and how it was started (set at exec; `/proc/PID/exe`,
    /// `cmdline`, `environ`).
    pub program: SpinLock<Arc<Program>>,
    /// When it was created, in nanoseconds since boot (`/proc/PID/stat`).
    pub start_ns: u64,
    /// The tracer's and the profiler's hooks (`trace`, `prof`), usually empty.
    pub watch: crate::watch::Watch,
}

/// What `exec` was given: the program's path (from the directory it was resolved
/// in) and copies of the argument and environment strings, each NUL-terminated as
/// Linux's `/proc/PID/cmdline` shows them. A copy, not the live stack: a process
/// that rewrites its `argv` does not change it, and a dying process still has it.
#[derive(Default)]
pub struct Program {
    pub cwd: Option<NodeRef>,
    pub path: String,
    pub cmdline: Vec<u8>,
    pub environ: Vec<u8>,
}

impl Program {
    /// The record of an exec of `path` from `cwd` with `argv` and `envp`.
    pub fn new(cwd: NodeRef, path: &str, argv: &[String], envp: &[String]) -> Program {
        let join = |v: &[String]| {
            let mut out = Vec::new();
            for a in v {
                out.extend_from_slice(a.as_bytes());
                out.push(0);
            }
            out
        };
        Program {
            cwd: Some(cwd),
            path: String::from(path),
            cmdline: join(argv),
            environ: join(envp),
        }
    }
}

impl Process {
    /// The process's credentials as they are now: a shared snapshot that a later
    /// change does not alter.
    #[inline]
    pub fn cred(&self) -> Arc<Credentials> {
        self.cred.lock().clone()
    }

    /// Run `f` on the credentials without taking a reference to them (a message's
    /// sender identity, on the port round trip's path).
    #[inline]
    pub fn with_cred<R>(&self, f: impl FnOnce(&Credentials) -> R) -> R {
        f(&self.cred.lock())
    }

    /// Replace the credentials whole (the users work: setuid, setgid, umask).
    pub fn set_cred(&self, cred: Credentials) {
        let new = Arc::new(cred);
        let old = core::mem::replace(&mut *self.cred.lock(), new);
        drop(old); // outside the lock
    }

    pub fn ppid(&self) -> Pid {
        self.ppid_fast.load(Ordering::Relaxed)
    }

    pub fn pgid(&self) -> Pid {
        self.family.lock().pgid
    }

    pub fn sid(&self) -> Pid {
        self.family.lock().sid
    }

    pub fn is_zombie(&self) -> bool {
        matches!(self.family.lock().state, ProcState::Zombie(_))
    }

    /// Stopped by job control (`ps` shows 'T')?
    pub fn is_stopped(&self) -> bool {
        self.family.lock().stopped
    }

    /// Everything this process has used so far (`getrusage(RUSAGE_SELF)`).
    pub fn rusage(&self) -> Rusage {
        let (user_ns, sys_ns) = self.cpu_ns();
        let past = self.usage.lock();
        if past.done {
            return Rusage {
                user_ns,
                sys_ns,
                ..past.past
            };
        }
        let mut r = past.past;
        drop(past);
        r.user_ns = user_ns;
        r.sys_ns = sys_ns;
        if let Some(a) = self.aspace.lock().as_ref() {
            let (minor, major) = a.fault_counts();
            r.minflt += minor;
            r.majflt += major;
            r.maxrss_kb = r.maxrss_kb.max(a.peak_resident_bytes() / 1024);
        }
        let live: Vec<Tid> = self.sig.lock().threads.iter().map(|t| t.ktid).collect();
        for t in live.into_iter().filter_map(task::by_tid) {
            let (v, i) = t.context_switches();
            r.nvcsw += v;
            r.nivcsw += i;
            r.syscalls += t.syscalls();
        }
        r
    }

    /// Fold the counters of an address space being dropped (by `exec`) into the past
    /// total.
    pub(crate) fn retire_aspace(&self, a: &AddressSpace) {
        let (minor, major) = a.fault_counts();
        let mut u = self.usage.lock();
        u.past.minflt += minor;
        u.past.majflt += major;
        u.past.maxrss_kb = u.past.maxrss_kb.max(a.peak_resident_bytes() / 1024);
    }

    /// At exit, while the address space and the thread are still there: keep the
    /// whole usage, for the parent to collect.
    pub(crate) fn retire_all(&self) {
        let r = self.rusage();
        *self.usage.lock() = PastUsage {
            past: r,
            done: true,
        };
    }

    /// CPU time in nanoseconds: (user, system).
    pub fn cpu_ns(&self) -> (u64, u64) {
        let tick = 1_000_000_000 / hal::apic::TIMER_HZ;
        (
            self.user_ticks.load(Ordering::Relaxed) * tick,
            self.sys_ticks.load(Ordering::Relaxed) * tick,
        )
    }
}

static TABLE: SpinLock<BTreeMap<Pid, Arc<Process>>> = SpinLock::new(BTreeMap::new());
static NEXT_PID: AtomicU32 = AtomicU32::new(1);

/// The limit on live processes (zombies included), so a fork bomb ends in EAGAIN.
pub const MAX_PROCS: usize = 256;
/// Slots of the process table only root may fill: however many processes ordinary
/// users make together, root can still log in, run `ps`, `kill` and `poweroff`.
pub const ROOT_RESERVE: usize = 32;

/// Tasks of the user with real id `uid`: its processes (zombies included, until
/// reaped) and their threads beyond the first. What `RLIMIT_NPROC` counts (as on
/// Linux, where threads are tasks too). Counted when asked, from the table: it is
/// asked only when an ordinary user makes a process or a thread.
pub fn tasks_of_user(uid: u32) -> usize {
    all()
        .iter()
        .filter(|p| p.with_cred(|c| c.ruid) == uid)
        .map(|p| p.sig.lock().threads.len().max(1))
        .sum()
}

/// May a process with `cred` and `limits` make one more task, a process
/// (`process`) or a thread? EAGAIN when the table is full (for ordinary users: all
/// but [`ROOT_RESERVE`] of it), or when the real user already has its
/// `RLIMIT_NPROC`. Root (`Capability::Resource`) is held only to the table's size.
pub fn may_add_task(
    cred: &Credentials,
    limits: &crate::limits::Limits,
    process: bool,
) -> Result<(), abi::Errno> {
    use abi::resource::{RLIMIT_NPROC, RLIM_INFINITY};
    let root = cred::capable(cred, cred::Capability::Resource) || cred.ruid == 0;
    let room = if root {
        MAX_PROCS
    } else {
        MAX_PROCS - ROOT_RESERVE
    };
    if process && table_len() >= room {
        return Err(abi::Errno::EAGAIN);
    }
    let lim = limits.soft(RLIMIT_NPROC);
    if !root && lim != RLIM_INFINITY && tasks_of_user(cred.ruid) as u64 >= lim {
        return Err(abi::Errno::EAGAIN);
    }
    Ok(())
}

pub(crate) fn alloc_pid() -> Pid {
    NEXT_PID.fetch_add(1, Ordering::Relaxed)
}

/// A new process record (not yet in the table), running with `cred` (the
/// parent's, shared).
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_process(
    pid: Pid,
    name: &str,
    ppid: Pid,
    (pgid, sid): (Pid, Pid),
    files: FdTable,
    cwd: NodeRef,
    sig: SigState,
    cred: Arc<Credentials>,
    limits: Limits,
    exec_info: Arc<ExecInfo>,
) -> Arc<Process> {
    let mut files = files;
    files.set_limit(limits.nofile());
    Arc::new(Process {
        pid,
        tid: SpinLock::new(0),
        name: SpinLock::new(String::from(name)),
        ppid_fast: AtomicU32::new(ppid),
        family: SpinLock::new(Family {
            ppid,
            pgid,
            sid,
            state: ProcState::Alive,
            stopped: false,
            job_report: None,
            children: Vec::new(),
            child_user_ns: 0,
            child_sys_ns: 0,
            child_usage: Rusage::default(),
        }),
        aspace: task::mutex(None),
        files: task::mutex(files),
        cwd: task::mutex(Cwd::hold(cwd)),
        sig: SpinLock::new(sig),
        sig_hint: crate::sigstate::SigHint::new(),
        personality: SpinLock::new(Personality::Dinos),
        child_wq: WaitQueue::new(),
        stop_wq: WaitQueue::new(),
        thread_wq: WaitQueue::new(),
        user_ticks: AtomicU64::new(0),
        sys_ticks: AtomicU64::new(0),
        limits: SpinLock::new(limits),
        usage: SpinLock::new(PastUsage::default()),
        exec_info: SpinLock::new(exec_info),
        cred: SpinLock::new(cred),
        program: SpinLock::new(Arc::new(Program::default())),
        start_ns: hal::apic::nanos_since_boot(),
        watch: crate::watch::Watch::default(),
    })
}

/// Put `p` in the table, running as thread `t`, which now belongs to it and calls
/// into its personality's system-call table.
pub(crate) fn register(p: &Arc<Process>, t: &task::Thread) {
    *p.tid.lock() = t.tid;
    {
        let mut s = p.sig.lock();
        s.threads.truncate(1);
        s.threads[0].ktid = t.tid;
        s.threads[0].tid = p.pid;
    }
    t.set_owner(p.clone());
    t.set_syscall_handler(crate::personality::entry(*p.personality.lock()).ok());
    TABLE.lock().insert(p.pid, p.clone());
}

pub(crate) fn remove(pid: Pid) -> Option<Arc<Process>> {
    TABLE.lock().remove(&pid)
}

pub(crate) fn table_len() -> usize {
    TABLE.lock().len()
}

/// The process by pid.
pub fn get(pid: Pid) -> Option<Arc<Process>> {
    TABLE.lock().get(&pid).cloned()
}

/// Run `f` on the calling process, borrowed (no lock, no reference count): the fast
/// way for calls that only read it.
pub fn with_current<R>(f: impl FnOnce(&Process) -> R) -> Option<R> {
    hal::task::with_current_owner::<Process, R>(f)
}

/// The process the running thread belongs to (None for kernel threads): the owner
/// object hal keeps on the thread's task, so this takes no lock.
pub fn current() -> Option<Arc<Process>> {
    hal::task::current_owner::<Process>()
}

/// Every process, by pid.
pub fn all() -> Vec<Arc<Process>> {
    TABLE.lock().values().cloned().collect()
}

/// Processes in group `pgid`.
pub fn group(pgid: Pid) -> Vec<Arc<Process>> {
    TABLE
        .lock()
        .values()
        .filter(|p| p.pgid() == pgid)
        .cloned()
        .collect()
}

/// Does some process of session `sid` belong to group `pgid`? (Zombies count: until
/// they are reaped they are still members, so a pipeline whose first command has
/// already exited can still be joined by its last.)
pub(crate) fn group_in_session(pgid: Pid, sid: Pid) -> bool {
    TABLE.lock().values().any(|p| {
        let f = p.family.lock();
        f.pgid == pgid && f.sid == sid
    })
}

/// `setpgid(pid, pgid)` by `caller`, with the POSIX rules: the target is the caller or
/// one of its children (ESRCH), in the caller's session and not a session leader
/// (EPERM); the group is either new (named by the target's pid) or an existing group of
/// the same session (EPERM). So no process can join a group of another session, such
/// as init's.
pub fn setpgid(caller: &Process, pid: Pid, pgid: Pid) -> Result<(), abi::Errno> {
    use abi::Errno;
    let pid = if pid == 0 { caller.pid } else { pid };
    let target = get(pid).ok_or(Errno::ESRCH)?;
    if target.pid != caller.pid && target.ppid() != caller.pid {
        return Err(Errno::ESRCH);
    }
    let pgid = if pgid == 0 { target.pid } else { pgid };
    let sid = caller.sid();
    {
        let f = target.family.lock();
        if f.sid != sid {
            return Err(Errno::EPERM);
        }
        if f.sid == target.pid {
            return Err(Errno::EPERM);
        }
    }
    if pgid != target.pid && !group_in_session(pgid, sid) {
        return Err(Errno::EPERM);
    }
    target.family.lock().pgid = pgid;
    Ok(())
}

/// `setsid`: the caller leaves its session and group and leads new ones named by its
/// pid. A group leader may not (EPERM): its group's members would be split between two
/// sessions.
pub fn setsid(caller: &Process) -> Result<Pid, abi::Errno> {
    let in_use = TABLE
        .lock()
        .values()
        .any(|p| p.pid != caller.pid && p.pgid() == caller.pid);
    let mut f = caller.family.lock();
    if f.pgid == caller.pid || in_use {
        return Err(abi::Errno::EPERM);
    }
    f.sid = caller.pid;
    f.pgid = caller.pid;
    Ok(caller.pid)
}

/// Charge one timer tick to the running process, as user or system time (by where
/// the tick found the CPU: in user mode, or in the kernel on the process's behalf),
/// and enforce its `RLIMIT_CPU`.
pub fn account_tick(from_user: bool) {
    let Some(p) = current() else { return };
    let c = if from_user {
        &p.user_ticks
    } else {
        &p.sys_ticks
    };
    c.fetch_add(1, Ordering::Relaxed);
    let used = p.user_ticks.load(Ordering::Relaxed) + p.sys_ticks.load(Ordering::Relaxed);
    let lim = p.limits.lock().get(abi::resource::RLIMIT_CPU);
    if let Some(sig) = lim
        .ok()
        .and_then(|l| crate::limits::check_cpu(l, used, hal::apic::TIMER_HZ))
    {
        crate::signal::post(&p, sig);
    }
}
