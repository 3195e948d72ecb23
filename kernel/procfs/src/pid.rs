//! What `/proc/PID/...` says about one process: `status`, `stat`, `maps`, `cmdline`,
//! `environ` (chapter 2, 3-2 "information maintenance": the attributes of a process
//! that a program may ask the kernel for).
//!
//! Each function makes the whole text at once from the process as it is now, outside
//! the VFS lock (so it may take the process's sleeping mutexes, its address space
//! for `maps`). The layouts follow Linux's where a tool would parse them: `stat` is
//! one line of Linux's 52 fields in Linux's order (fields dinos does not keep are 0),
//! `status` is `Name:\tvalue` lines, `maps` is `start-end perms offset dev inode
//! path`. A process gone before the text is made gives `ESRCH`, as on Linux.

use crate::names::process;
use abi::Errno;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use proc::process::{ProcState, Process};

/// Clock ticks per second in `stat`'s times (Linux's `USER_HZ`).
pub const USER_HZ: u64 = 100;

/// The one-letter state Linux shows, and its word.
pub fn state(p: &Process) -> (char, &'static str) {
    if p.is_zombie() {
        return ('Z', "zombie");
    }
    if p.is_stopped() {
        return ('T', "stopped");
    }
    let tid = *p.tid.lock();
    match task::thread_list().iter().find(|t| t.tid == tid) {
        Some(t) => match t.state {
            task::State::Running | task::State::Runnable => ('R', "running"),
            task::State::Blocked => ('S', "sleeping"),
            task::State::Dead => ('X', "dead"),
        },
        None => ('X', "dead"),
    }
}

/// The CPU the process's thread last ran on, and its system calls so far.
fn thread_facts(p: &Process) -> (u32, u64) {
    let tid = *p.tid.lock();
    task::thread_list()
        .iter()
        .find(|t| t.tid == tid)
        .map_or((0, 0), |t| (t.cpu, t.syscalls))
}

/// Virtual size and resident bytes (0 and 0 once the address space is gone).
fn memory(p: &Process) -> (u64, u64) {
    let a = p.aspace.lock();
    match a.as_ref() {
        Some(s) => (s.vmas().map(|v| v.end - v.start).sum(), s.resident_bytes()),
        None => (0, 0),
    }
}

fn ns_to_ticks(ns: u64) -> u64 {
    ns / (1_000_000_000 / USER_HZ)
}

/// `/proc/PID/status`.
pub fn status(pid: u32) -> Result<Vec<u8>, Errno> {
    let p = process(pid).map_err(|_| Errno::ESRCH)?;
    let c = p.cred();
    let (st, word) = state(&p);
    let (vsize, rss) = memory(&p);
    let fds = p.files.lock().count();
    let (pending, mask) = {
        let s = p.sig.lock();
        (s.pending_here(), s.mask())
    };
    let (cpu, syscalls) = thread_facts(&p);
    let (user_ns, sys_ns) = p.cpu_ns();
    let mut groups = String::new();
    for g in &c.groups {
        let _ = write!(groups, "{g} ");
    }
    let mut out = String::new();
    let _ = write!(
        out,
        "Name:\t{}\nUmask:\t{:04o}\nState:\t{st} ({word})\nTgid:\t{pid}\nPid:\t{pid}\n\
         PPid:\t{}\nPgid:\t{}\nSid:\t{}\nTracerPid:\t0\n\
         Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t{}\nFDUsed:\t{fds}\nGroups:\t{}\n\
         VmSize:\t{:8} kB\nVmRSS:\t{:8} kB\nThreads:\t{}\nSigPnd:\t{pending:016x}\n\
         SigBlk:\t{mask:016x}\nCpu:\t{cpu}\nUserTimeMs:\t{}\nSysTimeMs:\t{}\nSyscalls:\t{syscalls}\n\
         Personality:\t{}\n",
        p.name.lock().as_str(),
        c.umask,
        p.ppid(),
        p.pgid(),
        p.sid(),
        c.ruid,
        c.euid,
        c.suid,
        c.euid,
        c.rgid,
        c.egid,
        c.sgid,
        c.egid,
        files::MAX_FDS,
        groups.trim_end(),
        vsize >> 10,
        rss >> 10,
        proc::thread::count(&p),
        user_ns / 1_000_000,
        sys_ns / 1_000_000,
        p.personality.lock().name(),
    );
    Ok(out.into_bytes())
}

/// `/proc/PID/stat`: Linux's 52 fields, in Linux's order (`proc_pid_stat(5)`).
pub fn stat(pid: u32) -> Result<Vec<u8>, Errno> {
    let p = process(pid).map_err(|_| Errno::ESRCH)?;
    let (st, _) = state(&p);
    let (vsize, rss) = memory(&p);
    let (user_ns, sys_ns) = p.cpu_ns();
    let (cuser, csys, exit_code) = {
        let f = p.family.lock();
        let code = match f.state {
            ProcState::Zombie(s) => s,
            ProcState::Alive => 0,
        };
        (f.child_user_ns, f.child_sys_ns, code)
    };
    let (pending, mask) = {
        let s = p.sig.lock();
        (s.pending_here(), s.mask())
    };
    let (cpu, _) = thread_facts(&p);
    let threads = proc::thread::count(&p) as u64;
    let tpgid = tty::pty::foreground_of(p.sid());
    let fields: [u64; 49] = [
        p.ppid() as u64,         // 4 ppid
        p.pgid() as u64,         // 5 pgrp
        p.sid() as u64,          // 6 session
        0,                       // 7 tty_nr
        tpgid as u64,            // 8 tpgid
        0,                       // 9 flags
        0,                       // 10 minflt
        0,                       // 11 cminflt
        0,                       // 12 majflt
        0,                       // 13 cmajflt
        ns_to_ticks(user_ns),    // 14 utime
        ns_to_ticks(sys_ns),     // 15 stime
        ns_to_ticks(cuser),      // 16 cutime
        ns_to_ticks(csys),       // 17 cstime
        20,                      // 18 priority
        0,                       // 19 nice
        threads,                 // 20 num_threads
        0,                       // 21 itrealvalue
        ns_to_ticks(p.start_ns), // 22 starttime
        vsize,                   // 23 vsize (bytes)
        rss / 4096,              // 24 rss (pages)
        u64::MAX,                // 25 rsslim
        0,                       // 26 startcode
        0,                       // 27 endcode
        0,                       // 28 startstack
        0,                       // 29 kstkesp
        0,                       // 30 kstkeip
        pending,                 // 31 signal
        mask,                    // 32 blocked
        0,                       // 33 sigignore
        0,                       // 34 sigcatch
        0,                       // 35 wchan
        0,                       // 36 nswap
        0,                       // 37 cnswap
        17,                      // 38 exit_signal (SIGCHLD)
        cpu as u64,              // 39 processor
        0,                       // 40 rt_priority
        0,                       // 41 policy
        0,                       // 42 delayacct_blkio_ticks
        0,                       // 43 guest_time
        0,                       // 44 cguest_time
        0,                       // 45 start_data
        0,                       // 46 end_data
        0,                       // 47 start_brk
        0,                       // 48 arg_start
        0,                       // 49 arg_end
        0,                       // 50 env_start
        0,                       // 51 env_end
        exit_code as u64,        // 52 exit_code
    ];
    let mut out = format!("{pid} ({}) {st}", p.name.lock().as_str());
    for f in fields {
        let _ = write!(out, " {}", f as i64);
    }
    out.push('\n');
    Ok(out.into_bytes())
}

/// `/proc/PID/task/TID/stat`: the process's line with the thread's id and the
/// thread's own state in front; the times, memory and counts after them are the
/// process's (dinos counts them per process).
pub fn thread_stat(pid: u32, tid: u32) -> Result<Vec<u8>, Errno> {
    let p = process(pid).map_err(|_| Errno::ESRCH)?;
    let ktid = proc::thread::kernel_id(&p, tid).ok_or(Errno::ESRCH)?;
    let (whole, _) = state(&p);
    let st = match whole {
        'Z' | 'T' => whole,
        _ => match task::thread_list().iter().find(|t| t.tid == ktid) {
            Some(t) => match t.state {
                task::State::Running | task::State::Runnable => 'R',
                task::State::Blocked => 'S',
                task::State::Dead => 'X',
            },
            None => 'X',
        },
    };
    let line = String::from_utf8(stat(pid)?).map_err(|_| Errno::EIO)?;
    // "PID (NAME) S rest": the name may hold ") ", so its end is the last one.
    let close = line.rfind(") ").ok_or(Errno::EIO)?;
    let open = line.find(" (").ok_or(Errno::EIO)?;
    let name = &line[open..close + 2];
    let rest = line.get(close + 3..).ok_or(Errno::EIO)?;
    Ok(format!("{tid}{name}{st}{rest}").into_bytes())
}

/// `/proc/PID/maps`: one line per region of the address space.
pub fn maps(pid: u32) -> Result<Vec<u8>, Errno> {
    let p = process(pid).map_err(|_| Errno::ESRCH)?;
    let program = p.program.lock().clone();
    let mut out = String::new();
    let a = p.aspace.lock();
    let Some(space) = a.as_ref() else {
        return Ok(Vec::new());
    };
    // A file mapping is named by its file's path (the program, its interpreter, a
    // library the dynamic linker mapped); a segment copied in from a file (an image's
    // data) by the file of the image region before it. The program's own segments
    // (below the heap) take its name, as does a file below the heap whose path
    // cannot be told.
    let heap = space
        .vmas()
        .find(|v| v.kind == mm::VmaKind::Heap)
        .map_or(0, |v| v.start);
    let mut image = program.path.clone();
    for v in space.vmas() {
        let bit = |on: bool, c: char| if on { c } else { '-' };
        let shared = v.file.as_ref().is_some_and(|f| f.shared);
        let offset = v.file.as_ref().map_or(0, |f| f.offset);
        let file_name = v.file.as_ref().and_then(|f| f.pager.name());
        let name = match v.kind {
            mm::VmaKind::Image if v.end <= heap => program.path.clone(),
            mm::VmaKind::Image => {
                if let Some(n) = file_name {
                    image = n;
                }
                image.clone()
            }
            mm::VmaKind::Heap => "[heap]".into(),
            mm::VmaKind::Stack => "[stack]".into(),
            mm::VmaKind::Mmap => match (&v.file, file_name) {
                (Some(_), Some(n)) => n,
                (Some(_), None) if v.end <= heap => program.path.clone(),
                (Some(_), None) => "[file]".into(),
                (None, _) => String::new(),
            },
        };
        let _ = writeln!(
            out,
            "{:08x}-{:08x} {}{}{}{} {offset:08x} 00:00 0 {:>10}{name}",
            v.start,
            v.end,
            bit(v.prot.read, 'r'),
            bit(v.prot.write, 'w'),
            bit(v.prot.exec, 'x'),
            if shared { 's' } else { 'p' },
            "",
        );
    }
    Ok(out.into_bytes())
}

/// `/proc/PID/cmdline` (`environ` when `env`): the strings exec was given, each
/// ending in NUL; empty for a zombie, as on Linux.
pub fn args(pid: u32, env: bool) -> Result<Vec<u8>, Errno> {
    let p = process(pid).map_err(|_| Errno::ESRCH)?;
    if p.is_zombie() {
        return Ok(Vec::new());
    }
    let program = p.program.lock().clone();
    Ok(match env {
        true => program.environ.clone(),
        false => program.cmdline.clone(),
    })
}
