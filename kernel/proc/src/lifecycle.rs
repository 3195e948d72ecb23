//! The life of a process: creation (`spawn`, `fork`), replacing its program (`exec`),
//! ending (`exit`) and being collected by its parent (`waitpid`).
//!
//! Two ways to make a process, both real: `fork` copies the caller (copy-on-write
//! memory, shared open files) and the child returns 0 from the same call; `spawn`
//! creates a process running a named program in one call, the parameter-block style
//! the chapter describes, with the caller choosing which descriptors the child gets.
//!
//! Exit releases everything a process holds except its record: descriptors (closing
//! pipe ends wakes readers), memory, then it becomes a zombie with its status, its
//! children go to init, and its parent is woken (and sent SIGCHLD). `waitpid` removes
//! the zombie.
//!
//! Both ways of making a process hand the child its parent's credentials (the same
//! shared value); init and other processes the kernel starts run as root.

use crate::exec;
use crate::process::{self, Pid, ProcState};
use crate::signal::SigState;
use abi::signal::*;
use abi::Errno;
use alloc::string::String;
use alloc::sync::Arc;
use files::FdTable;
use fsys::NodeRef;
use hal::sync::IrqGuard;
use hal::trap::TrapFrame;
use hal::user::FpuState;

fn basename(path: &str) -> &str {
    path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(path)
}

/// What a new process is given.
pub struct SpawnSpec<'a> {
    pub path: &'a str,
    pub argv: &'a [String],
    pub envp: &'a [String],
    pub files: FdTable,
    pub cwd: NodeRef,
    /// Process group: `None` = the parent's, `Some(0)` = a new group named by the
    /// child's pid.
    pub pgid: Option<Pid>,
    pub sig: SigState,
    /// Make the child's group the terminal's foreground group before it runs, if the
    /// parent's group is the foreground group now (`abi::SPAWN_FOREGROUND`).
    pub foreground: bool,
}

/// Create a process running the program at `spec.path`; returns its pid.
pub fn spawn(parent: Option<&Arc<process::Process>>, spec: SpawnSpec) -> Result<Pid, Errno> {
    let cred = match parent {
        Some(p) => p.cred(),
        None => Arc::new(cred::ROOT.clone()),
    };
    let limits = match parent {
        Some(p) => p.limits.lock().clone(),
        None => crate::limits::Limits::initial(),
    };
    process::may_add_task(&cred, &limits, true)?;
    let mut loaded = exec::load(&cred, &limits, spec.cwd, spec.path, spec.argv, spec.envp)?;
    let cred = loaded.cred.take().map(Arc::new).unwrap_or(cred);
    let pid = process::alloc_pid();
    let (ppid, inherited_pgid, sid) = match parent {
        Some(p) => (p.pid, p.pgid(), p.sid()),
        None => (0, pid, pid),
    };
    let pgid = match spec.pgid {
        None => inherited_pgid,
        Some(0) => pid,
        // Joining an existing group: only one of the parent's own session.
        Some(g) if process::group_in_session(g, sid) => g,
        Some(_) => return Err(Errno::EPERM),
    };
    let mut sig = spec.sig.for_new_process();
    sig.reset_handlers();
    let p = process::new_process(
        pid,
        basename(spec.path),
        ppid,
        (pgid, sid),
        spec.files,
        spec.cwd,
        sig,
        cred,
        limits,
        Arc::new(core::mem::take(&mut loaded.info)),
    );
    let table = loaded.aspace.table();
    *p.aspace.lock() = Some(loaded.aspace);
    *p.personality.lock() = loaded.personality;
    *p.program.lock() = Arc::new(process::Program::new(
        spec.cwd, spec.path, spec.argv, spec.envp,
    ));
    if let Some(q) = parent {
        p.watch.inherit_from(&q.watch);
    }
    if spec.foreground {
        // The session's controlling terminal: a pseudo-terminal's, or the console.
        let fg = tty::pty::foreground_of(sid);
        if parent.is_some_and(|q| q.pgid() == fg) || fg == 0 {
            tty::pty::set_foreground_of(sid, pgid);
        }
    }
    let (entry, sp) = (loaded.entry, loaded.sp);
    start_thread(&p, parent, move || {
        hal::task::current().set_address_space(Some(table));
        hal::task::AfterStart::EnterUser {
            rip: entry,
            rsp: sp,
        }
    })?;
    Ok(pid)
}

/// Create the thread of process `p`, register it, and link it to its parent, with
/// interrupts off so it cannot run before it is registered.
fn start_thread(
    p: &Arc<process::Process>,
    parent: Option<&Arc<process::Process>>,
    body: impl FnOnce() -> hal::task::AfterStart + Send + 'static,
) -> Result<(), Errno> {
    let _irq = IrqGuard::new();
    let name = p.name.lock().clone();
    let t = task::create_then(&name, body).map_err(|_| Errno::ENOMEM)?;
    process::register(p, &t);
    if let Some(parent) = parent {
        parent.family.lock().children.push(p.pid);
    }
    task::start(&t); // only now: on another CPU it could run at once
    Ok(())
}

/// `fork`: a copy of the calling process whose thread resumes from `frame` with 0.
pub fn fork(frame: &TrapFrame) -> Result<Pid, Errno> {
    fork_with(frame, None, None)
}

/// [`fork`] as Linux's `clone` asks for it: the child's thread pointer is `tls`
/// (`CLONE_SETTLS`) instead of the caller's, and its pid is written at `child_tid`
/// in the child's own memory before it runs (`CLONE_CHILD_SETTID`).
pub fn fork_with(
    frame: &TrapFrame,
    tls: Option<u64>,
    child_tid: Option<u64>,
) -> Result<Pid, Errno> {
    let parent = process::current().ok_or(Errno::EINVAL)?;
    {
        // A fork bomb ends here: EAGAIN (the user's RLIMIT_NPROC, the table's room).
        let limits = parent.limits.lock().clone();
        process::may_add_task(&parent.cred(), &limits, true)?;
    }
    let child_space = {
        let mut a = parent.aspace.lock();
        a.as_mut()
            .ok_or(Errno::EINVAL)?
            .fork()
            .map_err(|_| Errno::ENOMEM)?
    };
    let pid = process::alloc_pid();
    let files = parent.files.lock().clone();
    let cwd = parent.cwd.lock().node();
    // Only the calling thread is copied (its mask, its alternate stack).
    let sig = parent.sig.lock().for_new_process();
    let name = parent.name.lock().clone();
    // Copied out first: a guard written among the arguments would hold its spinlock
    // (interrupts off) through `new_process`, which takes the VFS's sleeping lock to
    // hold the working directory. A fork that slept there, on two CPUs, left the
    // parent's limits locked, and the next timer tick of a thread of the parent
    // (`account_tick`, RLIMIT_CPU) spun on it forever (found by sysfuzz on 2 CPUs,
    // reported by the watchdog; docs/reliability.md).
    let limits = parent.limits.lock().clone();
    let exec_info = parent.exec_info.lock().clone();
    let child = process::new_process(
        pid,
        &name,
        parent.pid,
        (parent.pgid(), parent.sid()),
        files,
        cwd,
        sig,
        parent.cred(),
        limits,
        exec_info,
    );
    let table = child_space.table();
    *child.aspace.lock() = Some(child_space);
    *child.personality.lock() = *parent.personality.lock();
    *child.program.lock() = parent.program.lock().clone();
    child.watch.inherit_from(&parent.watch);
    let mut regs = frame.clone();
    regs.rax = 0;
    let state = alloc::boxed::Box::new((regs, hal::user::saved_fpu_state(frame)));
    // The child's thread pointer is the parent's (a Linux program's TLS is in the
    // copied memory, at the same address).
    let fs_base = tls.unwrap_or_else(hal::task::user_fs_base);
    start_thread(&child, Some(&parent), move || {
        hal::task::current().set_address_space(Some(table));
        let _ = hal::task::set_user_fs_base(fs_base);
        if let Some(at) = child_tid {
            // A bad address is the program's loss, as on Linux: nothing is written.
            let _ = crate::uaccess::write_bytes(at, &pid.to_le_bytes());
        }
        hal::task::AfterStart::EnterUserFrame(state)
    })?;
    Ok(pid)
}

/// `exec`: replace the calling process's program. On success the frame is rewritten to
/// start the new program when the system call returns.
pub fn exec(
    frame: &mut TrapFrame,
    path: &str,
    argv: &[String],
    envp: &[String],
) -> Result<(), Errno> {
    let p = process::current().ok_or(Errno::EINVAL)?;
    let cwd = p.cwd.lock().node();
    let limits = p.limits.lock().clone();
    let mut loaded = exec::load(&p.cred(), &limits, cwd, path, argv, envp)?;
    // The other threads go first (they run the old program), and this one takes the
    // pid as its tid.
    crate::thread::become_only_thread(&p)?;
    // Point of no return: the old program is gone from here on.
    if let Some(c) = loaded.cred.take() {
        // A set-id program is not watched by whoever watched its caller.
        p.watch.clear();
        p.set_cred(c);
    }
    hal::task::current().set_address_space(Some(loaded.aspace.table()));
    let old = p.aspace.lock().replace(loaded.aspace);
    if let Some(old) = old.as_ref() {
        p.retire_aspace(old);
    }
    drop(old);
    *p.exec_info.lock() = Arc::new(core::mem::take(&mut loaded.info));
    *p.personality.lock() = loaded.personality;
    hal::task::current().set_syscall_handler(crate::personality::entry(loaded.personality).ok());
    let _ = hal::task::set_user_fs_base(0);
    p.files.lock().close_on_exec();
    p.sig.lock().reset_handlers();
    *p.name.lock() = String::from(basename(path));
    let program = Arc::new(process::Program::new(cwd, path, argv, envp));
    let old = core::mem::replace(&mut *p.program.lock(), program);
    drop(old); // outside the lock
    *frame = TrapFrame {
        rip: loaded.entry,
        rsp: loaded.sp,
        cs: frame.cs,
        ss: frame.ss,
        rflags: 0x202,
        vector: frame.vector,
        ..TrapFrame::default()
    };
    hal::user::set_saved_fpu_state(frame, &FpuState::initial());
    Ok(())
}

/// End the calling process with wait status `status`, every thread of it. Never
/// returns.
pub fn exit_current(status: u32) -> ! {
    crate::thread::exit_group(status)
}

/// End the calling process, whose last thread the caller is (`thread::exit_thread`).
pub(crate) fn exit_process(status: u32) -> ! {
    if let Some(p) = process::current() {
        // What it used, while its address space and thread can still say.
        p.retire_all();
        // Descriptors first: closing pipe ends wakes whoever waits on the other end
        // (a tracer's pipe among them).
        p.files.lock().clear();
        p.watch.clear();
        p.cwd.lock().release();
        crate::claim::release_all(p.pid);
        crate::alarm::cancel(p.pid);
        hal::task::current().set_address_space(None);
        let space = p.aspace.lock().take();
        drop(space);
        let (ppid, children) = {
            let mut f = p.family.lock();
            f.state = ProcState::Zombie(status);
            (f.ppid, core::mem::take(&mut f.children))
        };
        // Orphans go to init: first onto init's list, then their parent links, then
        // init is woken. A child that exits meanwhile wakes init itself (its ppid is
        // already 1) or is seen by init's rescan after the last wake-up here; either
        // way init's waitpid finds it, so none stays a zombie.
        if let Some(init) = process::get(1).filter(|_| p.pid != 1) {
            if !children.is_empty() {
                init.family.lock().children.extend(children.iter().copied());
                for c in &children {
                    if let Some(cp) = process::get(*c) {
                        cp.family.lock().ppid = 1;
                        cp.ppid_fast.store(1, core::sync::atomic::Ordering::Relaxed);
                    }
                }
                init.child_wq.wake_all();
            }
        }
        match process::get(ppid) {
            Some(parent) => {
                crate::signal::post(&parent, SIGCHLD);
                parent.child_wq.wake_all();
            }
            None => {
                // No parent (init itself, or a process started by the kernel): nobody
                // will wait, so remove the record now.
                process::remove(p.pid);
            }
        }
        if p.pid == 1 {
            log::error!("init exited with status {status:#x}");
        }
    }
    task::exit()
}

/// The result of a successful `waitpid`.
pub struct Reaped {
    pub pid: Pid,
    pub status: u32,
}

/// What a `waitpid` waits for besides an exit.
#[derive(Clone, Copy, Debug, Default)]
pub struct WaitFor {
    /// Return at once (`Ok(None)`) when nothing is to be reported (`WNOHANG`).
    pub nohang: bool,
    /// Report a child that stopped (`WUNTRACED`).
    pub stopped: bool,
    /// Report a stopped child that was continued (`WCONTINUED`).
    pub continued: bool,
}

/// `waitpid(pid, want)`: pid > 0 that child, -1 any child, 0 any in the caller's
/// group, < -1 any in group -pid. An exited child is reaped; a stop or continue is
/// reported once, if asked for. `Ok(None)` with `nohang` when nothing is to report.
pub fn waitpid(pid: i64, wait: WaitFor) -> Result<Option<Reaped>, Errno> {
    let me = process::current().ok_or(Errno::ECHILD)?;
    let my_pgid = me.pgid();
    // Out-of-range pids and groups match nothing (ECHILD), never a truncated number.
    let want = |v: i64| Pid::try_from(v).ok();
    let matches = |c: &process::Process| match pid {
        -1 => true,
        0 => c.pgid() == my_pgid,
        p if p > 0 => want(p) == Some(c.pid),
        p => p.checked_neg().and_then(want) == Some(c.pgid()),
    };
    loop {
        match scan_children(&me, &matches, wait) {
            Scan::NoChildren => return Err(Errno::ECHILD),
            Scan::Zombie(c, status) => {
                let (u, s) = c.cpu_ns();
                let (cu, cs, mut usage) = {
                    let f = c.family.lock();
                    (f.child_user_ns, f.child_sys_ns, f.child_usage)
                };
                usage.add(&c.rusage());
                {
                    let mut f = me.family.lock();
                    f.children.retain(|x| *x != c.pid);
                    f.child_user_ns += u + cu;
                    f.child_sys_ns += s + cs;
                    f.child_usage.add(&usage);
                }
                process::remove(c.pid);
                return Ok(Some(Reaped { pid: c.pid, status }));
            }
            Scan::Job(c, status) => return Ok(Some(Reaped { pid: c.pid, status })),
            Scan::Running if wait.nohang => return Ok(None),
            Scan::Running => {}
        }
        // The condition looks at the children *as they are when it is tested*, not at
        // a list taken before sleeping: children handed over while we sleep (orphans
        // given to init) count too.
        crate::signal::interruptible_wait(&me.child_wq, || {
            !matches!(peek_children(&me, &matches, wait), Scan::Running)
        })?;
    }
}

/// What a look at a process's children found.
enum Scan {
    /// No child matches the request.
    NoChildren,
    /// A matching child has exited with this status.
    Zombie(Arc<process::Process>, u32),
    /// A matching child stopped or continued, with this status (taken: reported once).
    Job(Arc<process::Process>, u32),
    /// Matching children exist, all still running.
    Running,
}

/// Look at the children; a stop or continue found is taken (reported once).
fn scan_children(
    me: &process::Process,
    matches: &impl Fn(&process::Process) -> bool,
    want: WaitFor,
) -> Scan {
    look_at_children(me, matches, want, true)
}

/// [`scan_children`] without taking anything (a sleeper's wake-up condition).
fn peek_children(
    me: &process::Process,
    matches: &impl Fn(&process::Process) -> bool,
    want: WaitFor,
) -> Scan {
    look_at_children(me, matches, want, false)
}

fn look_at_children(
    me: &process::Process,
    matches: &impl Fn(&process::Process) -> bool,
    want: WaitFor,
    take: bool,
) -> Scan {
    let children: alloc::vec::Vec<Pid> = me.family.lock().children.clone();
    let mut any = false;
    for c in children.iter().filter_map(|c| process::get(*c)) {
        if !matches(&c) {
            continue;
        }
        any = true;
        let mut f = c.family.lock();
        if let ProcState::Zombie(status) = f.state {
            drop(f);
            return Scan::Zombie(c, status);
        }
        let wanted = match f.job_report {
            Some(s) if abi::signal::wifcontinued(s) => want.continued,
            Some(_) => want.stopped,
            None => false,
        };
        if wanted {
            let status = if take {
                f.job_report.take()
            } else {
                f.job_report
            };
            drop(f);
            if let Some(status) = status {
                return Scan::Job(c, status);
            }
        }
    }
    if any {
        Scan::Running
    } else {
        Scan::NoChildren
    }
}

/// Start init (pid 1) from `path` with arguments `args` (from the kernel command
/// line), the console as descriptors 0, 1 and 2.
pub fn start_init(path: &str, args: &[&str]) -> Result<Pid, Errno> {
    let mut files = FdTable::new();
    let console = files::Origin {
        cwd: fsys::root(),
        path: b"/dev/console".as_slice().into(),
    };
    let tty = files::OpenFile::new_from(
        devices::open(tty::DEV_CONSOLE, &cred::ROOT)?,
        abi::flags::O_RDWR,
        Some(console),
    )?;
    for fd in 0..3 {
        files.insert_at(fd, tty.clone())?;
    }
    let argv: alloc::vec::Vec<String> = core::iter::once(path)
        .chain(args.iter().copied())
        .map(String::from)
        .collect();
    let envp = [
        String::from("PATH=/bin"),
        String::from("HOME=/"),
        String::from("TERM=vt100"),
    ];
    spawn(
        None,
        SpawnSpec {
            path,
            argv: &argv,
            envp: &envp,
            files,
            cwd: fsys::root(),
            pgid: None,
            foreground: false,
            sig: SigState::new(),
        },
    )
}
