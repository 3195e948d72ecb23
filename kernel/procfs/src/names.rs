//! The names of `/proc`: which files exist, their inode numbers and attributes.
//!
//! Nothing is stored: an inode number *is* its meaning, `pid << 12 | entry`, so a
//! lookup, a directory listing or a `stat` is answered from the process table as it
//! is at that instant, and a process that exits takes its directory with it. The VFS
//! caches no names of this file system (`names_are_stable` is false), since they come
//! and go by themselves.
//!
//! The design decision, about locks: these methods run *inside* the VFS lock, and
//! the process layer takes that lock while holding a process's descriptor table or
//! working-directory mutex (a close drops the file under the table's lock). So here
//! a process is read only through its spinlocks (the table, its name, family and
//! credentials), and the two sleeping mutexes `fd/` and `cwd` need are only *tried*:
//! when one is busy at that instant the answer is `EAGAIN`, never a wait that could
//! close a cycle. File *contents* are made outside the lock (`file.rs`).

use abi::flags::*;
use abi::{Errno, Stat};
use alloc::format;
use alloc::vec::Vec;
use proc::process::{self, Pid, Process};
use vfs::{DirEntry, FileSystem, FsStat, NodeKind, NodeRef, Result};

/// What an inode is, decoded from its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    Root,
    /// `/proc/self`, a link to the caller's directory.
    SelfLink,
    /// A system-wide file.
    System(SysFile),
    /// `/proc/PID`.
    PidDir(Pid),
    PidFile(Pid, PidFile),
    /// `/proc/PID/fd`.
    FdDir(Pid),
    /// `/proc/PID/fd/N`.
    Fd(Pid, u32),
    /// `/proc/PID/task`: a directory per thread, named by its tid (Linux's layout).
    TaskDir(Pid),
    /// `/proc/PID/task/TID`.
    Task(Pid, Pid),
    /// `/proc/PID/task/TID/stat`: the thread's id and state (see `pid::thread_stat`).
    TaskStat(Pid, Pid),
    /// `/proc/sys` and `/proc/sys/kernel`: the kernel's settings (Linux's sysctl tree).
    SysDir,
    SysKernelDir,
    /// A setting under `/proc/sys/kernel`, read and (by root) written as text.
    Setting(Setting),
    /// `/proc/net` and its `unix`: every AF_UNIX socket, in Linux's layout.
    NetDir,
    NetUnix,
}

/// The settings under `/proc/sys/kernel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Where core files go (`proc::coredump`'s pattern: `core.%p` by default).
    CorePattern,
    /// Kernel-heap tracking (`hal::heaptrack`): write 1 to start, 0 to stop; read for
    /// the live allocations made since the start, by call chain (`heaptrack.rs`).
    HeapTrack,
    /// The kernel watchdog's test knob (`hal::watchdog`): root writes N to stall the
    /// CPU it runs on for N seconds with interrupts off; read for the reports so far.
    WatchdogSpin,
    /// A test knob: every virtio-blk read waits this many milliseconds first, the
    /// disk's lock held, as a stalled disk would (`drivers::virtio_blk`).
    DiskReadDelay,
    /// Read-only: the counters a leak check compares (processes, threads, open
    /// files and their bound, the out-of-memory killer's kills), one line.
    Counters,
}

/// The settings in the order `ls /proc/sys/kernel` shows them.
const SETTINGS: [(Setting, &str); 5] = [
    (Setting::CorePattern, "core_pattern"),
    (Setting::Counters, "counters"),
    (Setting::DiskReadDelay, "disk_read_delay_ms"),
    (Setting::HeapTrack, "heap_track"),
    (Setting::WatchdogSpin, "watchdog_spin"),
];

/// The system-wide files, in the order `ls /proc` shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysFile {
    Cpuinfo,
    Interrupts,
    Kmsg,
    Loadavg,
    Meminfo,
    Mounts,
    Uptime,
    Version,
}

/// A process's files, in listing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidFile {
    Cmdline,
    Cwd,
    Environ,
    Exe,
    Maps,
    Stat,
    Status,
}

const SYS_FILES: [(SysFile, &str); 8] = [
    (SysFile::Cpuinfo, "cpuinfo"),
    (SysFile::Interrupts, "interrupts"),
    (SysFile::Kmsg, "kmsg"),
    (SysFile::Loadavg, "loadavg"),
    (SysFile::Meminfo, "meminfo"),
    (SysFile::Mounts, "mounts"),
    (SysFile::Uptime, "uptime"),
    (SysFile::Version, "version"),
];

const PID_FILES: [(PidFile, &str); 7] = [
    (PidFile::Cmdline, "cmdline"),
    (PidFile::Cwd, "cwd"),
    (PidFile::Environ, "environ"),
    (PidFile::Exe, "exe"),
    (PidFile::Maps, "maps"),
    (PidFile::Stat, "stat"),
    (PidFile::Status, "status"),
];

const ROOT_INO: u64 = 1;
const SELF_INO: u64 = 2;
const SYS_DIR_INO: u64 = 3;
const SYS_KERNEL_INO: u64 = 4;
const CORE_PATTERN_INO: u64 = 5;
const HEAP_TRACK_INO: u64 = 6;
const WATCHDOG_SPIN_INO: u64 = 7;
const DISK_READ_DELAY_INO: u64 = 8;
const NET_DIR_INO: u64 = 9;
const NET_UNIX_INO: u64 = 10;
const COUNTERS_INO: u64 = 11;
const SYS_BASE: u64 = 16;
const PID_FILE_BASE: u64 = 16;
const FD_DIR: u64 = 8;
const TASK_DIR: u64 = 9;
/// A thread's nodes: this bit, the pid from bit 32, the tid from bit 4 (below
/// [`TID_LIMIT`]), the file in the low bits (0 its directory, 1 `stat`).
const TASK_BIT: u64 = 1 << 62;
const TID_LIMIT: u64 = 1 << 28;
const FD_BASE: u64 = 256;
/// Directory positions of process directories in `/proc`: this plus the pid.
const PID_POS: u64 = 1 << 20;

impl Node {
    /// The inode number.
    pub fn ino(self) -> u64 {
        let pid = |p: Pid| (p as u64) << 12;
        match self {
            Node::Root => ROOT_INO,
            Node::SelfLink => SELF_INO,
            Node::System(f) => {
                SYS_BASE + SYS_FILES.iter().position(|e| e.0 == f).unwrap_or(0) as u64
            }
            Node::PidDir(p) => pid(p),
            Node::PidFile(p, f) => {
                pid(p)
                    | (PID_FILE_BASE + PID_FILES.iter().position(|e| e.0 == f).unwrap_or(0) as u64)
            }
            Node::FdDir(p) => pid(p) | FD_DIR,
            Node::TaskDir(p) => pid(p) | TASK_DIR,
            Node::Task(p, t) => TASK_BIT | (p as u64) << 32 | (t as u64) << 4,
            Node::TaskStat(p, t) => TASK_BIT | (p as u64) << 32 | (t as u64) << 4 | 1,
            Node::Fd(p, fd) => pid(p) | (FD_BASE + fd as u64),
            Node::SysDir => SYS_DIR_INO,
            Node::SysKernelDir => SYS_KERNEL_INO,
            Node::Setting(Setting::CorePattern) => CORE_PATTERN_INO,
            Node::Setting(Setting::HeapTrack) => HEAP_TRACK_INO,
            Node::Setting(Setting::WatchdogSpin) => WATCHDOG_SPIN_INO,
            Node::Setting(Setting::DiskReadDelay) => DISK_READ_DELAY_INO,
            Node::NetDir => NET_DIR_INO,
            Node::NetUnix => NET_UNIX_INO,
            Node::Setting(Setting::Counters) => COUNTERS_INO,
        }
    }

    /// What inode `ino` is (`ENOENT` for a number no name gives).
    pub fn from_ino(ino: u64) -> Result<Node> {
        if ino & TASK_BIT != 0 {
            let (pid, tid) = (
                (ino >> 32) as Pid & 0x3fff_ffff,
                (ino >> 4) as Pid & 0x0fff_ffff,
            );
            return match ino & 0xf {
                0 => Ok(Node::Task(pid, tid)),
                1 => Ok(Node::TaskStat(pid, tid)),
                _ => Err(Errno::ENOENT),
            };
        }
        let pid = (ino >> 12) as Pid;
        let entry = ino & 0xfff;
        if pid == 0 {
            return match ino {
                ROOT_INO => Ok(Node::Root),
                SELF_INO => Ok(Node::SelfLink),
                SYS_DIR_INO => Ok(Node::SysDir),
                SYS_KERNEL_INO => Ok(Node::SysKernelDir),
                CORE_PATTERN_INO => Ok(Node::Setting(Setting::CorePattern)),
                HEAP_TRACK_INO => Ok(Node::Setting(Setting::HeapTrack)),
                WATCHDOG_SPIN_INO => Ok(Node::Setting(Setting::WatchdogSpin)),
                DISK_READ_DELAY_INO => Ok(Node::Setting(Setting::DiskReadDelay)),
                NET_DIR_INO => Ok(Node::NetDir),
                NET_UNIX_INO => Ok(Node::NetUnix),
                COUNTERS_INO => Ok(Node::Setting(Setting::Counters)),
                _ => SYS_FILES
                    .get(ino.wrapping_sub(SYS_BASE) as usize)
                    .map(|e| Node::System(e.0))
                    .ok_or(Errno::ENOENT),
            };
        }
        match entry {
            0 => Ok(Node::PidDir(pid)),
            FD_DIR => Ok(Node::FdDir(pid)),
            TASK_DIR => Ok(Node::TaskDir(pid)),
            e if e >= FD_BASE && e < FD_BASE + files::MAX_FDS as u64 => {
                Ok(Node::Fd(pid, (e - FD_BASE) as u32))
            }
            e => PID_FILES
                .get(e.wrapping_sub(PID_FILE_BASE) as usize)
                .map(|f| Node::PidFile(pid, f.0))
                .ok_or(Errno::ENOENT),
        }
    }

    /// The process this node belongs to, if it belongs to one.
    pub fn pid(self) -> Option<Pid> {
        match self {
            Node::PidDir(p) | Node::PidFile(p, _) | Node::FdDir(p) | Node::Fd(p, _) => Some(p),
            Node::TaskDir(p) | Node::Task(p, _) | Node::TaskStat(p, _) => Some(p),
            _ => None,
        }
    }

    fn kind(self) -> NodeKind {
        match self {
            Node::Root
            | Node::PidDir(_)
            | Node::FdDir(_)
            | Node::TaskDir(_)
            | Node::Task(..)
            | Node::SysDir
            | Node::SysKernelDir
            | Node::NetDir => NodeKind::Directory,
            Node::SelfLink | Node::Fd(..) => NodeKind::Symlink,
            Node::PidFile(_, PidFile::Cwd | PidFile::Exe) => NodeKind::Symlink,
            _ => NodeKind::Regular,
        }
    }
}

/// The process `pid`, zombies included (`ENOENT` once it is reaped).
pub fn process(pid: Pid) -> Result<alloc::sync::Arc<Process>> {
    process::get(pid).ok_or(Errno::ENOENT)
}

/// Run `f` on the open file behind descriptor `fd` of `p`, if the table can be had
/// now. Borrowed, never cloned: a reference taken here could become the last one
/// (the process closes the descriptor meanwhile), and dropping it would take the VFS
/// lock this code runs under.
pub fn with_open_file<R>(p: &Process, fd: u32, f: impl FnOnce(&files::OpenFile) -> R) -> Result<R> {
    let table = p.files.try_lock().ok_or(Errno::EAGAIN)?;
    table.peek(fd as i32).map(f).ok_or(Errno::ENOENT)
}

/// The mounted `/proc`: no state but the clock for its times.
pub struct ProcFs;

impl ProcFs {
    fn lookup_node(&self, dir: Node, name: &[u8]) -> Result<Node> {
        let text = core::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        match dir {
            Node::Root => match text {
                ".." | "." => Ok(Node::Root),
                "self" => Ok(Node::SelfLink),
                "sys" => Ok(Node::SysDir),
                "net" => Ok(Node::NetDir),
                _ => {
                    if let Some(e) = SYS_FILES.iter().find(|e| e.1 == text) {
                        return Ok(Node::System(e.0));
                    }
                    let pid = parse_number(text).ok_or(Errno::ENOENT)?;
                    process(pid)?;
                    Ok(Node::PidDir(pid))
                }
            },
            Node::PidDir(pid) => {
                process(pid)?;
                match text {
                    ".." => Ok(Node::Root),
                    "." => Ok(dir),
                    "fd" => Ok(Node::FdDir(pid)),
                    "task" => Ok(Node::TaskDir(pid)),
                    _ => PID_FILES
                        .iter()
                        .find(|e| e.1 == text)
                        .map(|e| Node::PidFile(pid, e.0))
                        .ok_or(Errno::ENOENT),
                }
            }
            Node::FdDir(pid) => match text {
                ".." => Ok(Node::PidDir(pid)),
                "." => Ok(dir),
                _ => {
                    let fd = parse_number(text).ok_or(Errno::ENOENT)?;
                    with_open_file(&*process(pid)?, fd, |_| ())?;
                    Ok(Node::Fd(pid, fd))
                }
            },
            Node::TaskDir(pid) => match text {
                ".." => Ok(Node::PidDir(pid)),
                "." => Ok(dir),
                _ => {
                    let tid = parse_number(text).ok_or(Errno::ENOENT)?;
                    thread_of(pid, tid)?;
                    Ok(Node::Task(pid, tid))
                }
            },
            Node::Task(pid, tid) => match text {
                ".." => Ok(Node::TaskDir(pid)),
                "." => Ok(dir),
                "stat" => thread_of(pid, tid).map(|_| Node::TaskStat(pid, tid)),
                _ => Err(Errno::ENOENT),
            },
            Node::SysDir => match text {
                ".." => Ok(Node::Root),
                "." => Ok(dir),
                "kernel" => Ok(Node::SysKernelDir),
                _ => Err(Errno::ENOENT),
            },
            Node::SysKernelDir => match text {
                ".." => Ok(Node::SysDir),
                "." => Ok(dir),
                _ => SETTINGS
                    .iter()
                    .find(|e| e.1 == text)
                    .map(|e| Node::Setting(e.0))
                    .ok_or(Errno::ENOENT),
            },
            Node::NetDir => match text {
                ".." => Ok(Node::Root),
                "." => Ok(dir),
                "unix" => Ok(Node::NetUnix),
                _ => Err(Errno::ENOENT),
            },
            _ => Err(Errno::ENOTDIR),
        }
    }
}

/// Is `tid` a thread of the live-or-zombie process `pid` (and a tid a node can hold)?
fn thread_of(pid: Pid, tid: Pid) -> Result<()> {
    let p = process(pid)?;
    match tid as u64 >= TID_LIMIT || !proc::thread::tids(&p).contains(&tid) {
        true => Err(Errno::ENOENT),
        false => Ok(()),
    }
}

/// A decimal number with no sign, no leading zero and no junk (`/proc/007` is not 7).
fn parse_number(s: &str) -> Option<u32> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

fn entry(node: Node, name: &[u8]) -> DirEntry {
    DirEntry {
        ino: node.ino(),
        name: name.to_vec(),
        kind: node.kind(),
    }
}

fn ro() -> Result<u64> {
    Err(Errno::EROFS)
}

impl FileSystem for ProcFs {
    fn name(&self) -> &str {
        "proc"
    }
    fn read_only(&self) -> bool {
        true
    }
    fn root(&self) -> u64 {
        ROOT_INO
    }
    fn names_are_stable(&self) -> bool {
        false
    }
    fn generated(&self) -> bool {
        true
    }
    fn writable(&mut self, ino: u64) -> bool {
        matches!(Node::from_ino(ino), Ok(Node::Setting(_)))
    }

    fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64> {
        self.lookup_node(Node::from_ino(dir)?, name).map(Node::ino)
    }

    fn create(&mut self, _: u64, _: &[u8], _: u32, _: u32, _: u32) -> Result<u64> {
        ro()
    }
    fn mkdir(&mut self, _: u64, _: &[u8], _: u32, _: u32, _: u32) -> Result<u64> {
        ro()
    }
    fn symlink(&mut self, _: u64, _: &[u8], _: &[u8], _: u32, _: u32) -> Result<u64> {
        ro()
    }
    fn link(&mut self, _: u64, _: u64, _: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    fn unlink(&mut self, _: u64, _: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    fn rmdir(&mut self, _: u64, _: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    fn rename(&mut self, _: u64, _: &[u8], _: u64, _: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }

    fn readlink(&mut self, ino: u64) -> Result<Vec<u8>> {
        match Node::from_ino(ino)? {
            Node::SelfLink => {
                let pid = process::with_current(|p| p.pid).ok_or(Errno::ENOENT)?;
                Ok(format!("{pid}").into_bytes())
            }
            Node::Fd(pid, fd) => {
                // A descriptor with no path (a pipe end): what Linux shows for one.
                let st = with_open_file(&*process(pid)?, fd, |f| f.stat())??;
                let what = match st.mode & S_IFMT {
                    S_IFIFO => "pipe",
                    S_IFSOCK => "socket",
                    _ => "anon_inode",
                };
                Ok(format!("{what}:[{}]", st.ino).into_bytes())
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn link_node(&mut self, ino: u64) -> Option<Result<(NodeRef, Vec<u8>)>> {
        let node = match Node::from_ino(ino) {
            Ok(n) => n,
            Err(e) => return Some(Err(e)),
        };
        let p = match node.pid().map(process) {
            Some(Ok(p)) => p,
            Some(Err(e)) => return Some(Err(e)),
            None => return None,
        };
        match node {
            Node::PidFile(_, PidFile::Cwd) => Some(match p.cwd.try_lock() {
                _ if p.is_zombie() => Err(Errno::ENOENT),
                Some(cwd) => Ok((cwd.node(), Vec::new())),
                None => Err(Errno::EAGAIN),
            }),
            Node::PidFile(_, PidFile::Exe) if p.is_zombie() => Some(Err(Errno::ENOENT)),
            Node::PidFile(_, PidFile::Exe) => {
                let prog = p.program.lock().clone();
                Some(match prog.cwd {
                    Some(cwd) => Ok((cwd, prog.path.clone().into_bytes())),
                    None => Err(Errno::ENOENT),
                })
            }
            Node::Fd(_, fd) => {
                let named = with_open_file(&p, fd, |f| match (f.origin(), f.node()) {
                    (Some(o), _) => Some((o.cwd, o.path.to_vec())),
                    (None, Some(n)) => Some((n, Vec::new())),
                    (None, None) => None, // readlink describes it
                });
                match named {
                    Err(e) => Some(Err(e)),
                    Ok(named) => named.map(Ok),
                }
            }
            _ => None,
        }
    }

    fn read(&mut self, _: u64, _: u64, _: &mut [u8]) -> Result<usize> {
        Ok(0) // contents are made at open (file.rs)
    }
    fn write(&mut self, _: u64, _: u64, _: &[u8]) -> Result<usize> {
        Err(Errno::EROFS)
    }
    fn truncate(&mut self, _: u64, _: u64) -> Result<()> {
        Err(Errno::EROFS)
    }

    fn stat(&mut self, ino: u64) -> Result<Stat> {
        let node = Node::from_ino(ino)?;
        let kind = node.kind();
        let (uid, gid, time) = match node.pid() {
            Some(pid) => {
                let p = process(pid)?;
                let c = p.cred();
                let t = drivers::rtc::boot_time() + (p.start_ns / 1_000_000_000) as i64;
                (c.euid, c.egid, t)
            }
            None => (0, 0, drivers::rtc::boot_time()),
        };
        if let Node::Fd(pid, fd) = node {
            with_open_file(&*process(pid)?, fd, |_| ())?;
        }
        let perm = match node {
            Node::Root
            | Node::PidDir(_)
            | Node::TaskDir(_)
            | Node::Task(..)
            | Node::SysDir
            | Node::SysKernelDir
            | Node::NetDir => 0o555,
            // Root writes a setting (and the write checks the capability again).
            Node::Setting(_) => 0o644,
            Node::FdDir(_) => 0o500,
            Node::SelfLink | Node::PidFile(_, PidFile::Cwd | PidFile::Exe) => 0o777,
            Node::Fd(..) => 0o700,
            // Another user's environment is private (Linux: readable by whoever may
            // trace the process).
            Node::PidFile(_, PidFile::Environ) => 0o400,
            Node::System(SysFile::Kmsg) => 0o400,
            _ => 0o444,
        };
        let type_bits = match kind {
            NodeKind::Directory => S_IFDIR,
            NodeKind::Symlink => S_IFLNK,
            _ => S_IFREG,
        };
        Ok(Stat {
            ino,
            mode: type_bits | perm,
            nlink: if kind.is_dir() { 2 } else { 1 },
            uid,
            gid,
            atime: time,
            mtime: time,
            ctime: time,
            blksize: 1024,
            ..Stat::default()
        })
    }

    fn read_dir_at(&mut self, dir: u64, pos: u64) -> Result<Option<(DirEntry, u64)>> {
        let node = Node::from_ino(dir)?;
        if !node.kind().is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let parent = match node {
            Node::PidDir(_) | Node::SysDir | Node::NetDir => Node::Root,
            Node::FdDir(p) | Node::TaskDir(p) => Node::PidDir(p),
            Node::Task(p, _) => Node::TaskDir(p),
            Node::SysKernelDir => Node::SysDir,
            _ => Node::Root,
        };
        match pos {
            0 => return Ok(Some((entry(node, b"."), 1))),
            1 => return Ok(Some((entry(parent, b".."), 2))),
            _ => {}
        }
        let i = (pos - 2) as usize;
        match node {
            Node::Root => {
                if i == 0 {
                    return Ok(Some((entry(Node::SelfLink, b"self"), 3)));
                }
                if let Some((f, name)) = SYS_FILES.get(i - 1) {
                    return Ok(Some((entry(Node::System(*f), name.as_bytes()), pos + 1)));
                }
                if i == SYS_FILES.len() + 1 {
                    return Ok(Some((entry(Node::SysDir, b"sys"), pos + 1)));
                }
                if i == SYS_FILES.len() + 2 {
                    return Ok(Some((entry(Node::NetDir, b"net"), pos + 1)));
                }
                let from = pos.saturating_sub(PID_POS) as Pid;
                let next = process::all()
                    .into_iter()
                    .map(|p| p.pid)
                    .find(|&p| p >= from);
                Ok(next.map(|pid| {
                    let name = format!("{pid}");
                    (
                        entry(Node::PidDir(pid), name.as_bytes()),
                        PID_POS + pid as u64 + 1,
                    )
                }))
            }
            Node::PidDir(pid) => {
                process(pid)?;
                if i == 0 {
                    return Ok(Some((entry(Node::FdDir(pid), b"fd"), 3)));
                }
                if i == PID_FILES.len() + 1 {
                    return Ok(Some((entry(Node::TaskDir(pid), b"task"), pos + 1)));
                }
                Ok(PID_FILES
                    .get(i - 1)
                    .map(|(f, name)| (entry(Node::PidFile(pid, *f), name.as_bytes()), pos + 1)))
            }
            Node::TaskDir(pid) => {
                // Positions by tid, as `/proc` does by pid: a thread that ends between
                // two reads moves nobody else.
                let mut tids = proc::thread::tids(&*process(pid)?);
                tids.sort_unstable();
                let from = pos.saturating_sub(PID_POS) as Pid;
                Ok(tids
                    .into_iter()
                    .find(|&t| t >= from && (t as u64) < TID_LIMIT)
                    .map(|tid| {
                        let name = format!("{tid}");
                        let next = PID_POS + tid as u64 + 1;
                        (entry(Node::Task(pid, tid), name.as_bytes()), next)
                    }))
            }
            Node::Task(pid, tid) => {
                thread_of(pid, tid)?;
                Ok((i == 0).then(|| (entry(Node::TaskStat(pid, tid), b"stat"), pos + 1)))
            }
            Node::FdDir(pid) => {
                let p = process(pid)?;
                let table = p.files.try_lock().ok_or(Errno::EAGAIN)?;
                let next =
                    (i as u32..files::MAX_FDS as u32).find(|&fd| table.peek(fd as i32).is_some());
                Ok(next.map(|fd| {
                    let name = format!("{fd}");
                    (entry(Node::Fd(pid, fd), name.as_bytes()), 2 + fd as u64 + 1)
                }))
            }
            Node::SysDir => Ok((i == 0).then(|| (entry(Node::SysKernelDir, b"kernel"), pos + 1))),
            Node::NetDir => Ok((i == 0).then(|| (entry(Node::NetUnix, b"unix"), pos + 1))),
            Node::SysKernelDir => Ok(SETTINGS
                .get(i)
                .map(|(s, name)| (entry(Node::Setting(*s), name.as_bytes()), pos + 1))),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn statfs(&mut self) -> FsStat {
        FsStat {
            block_size: 1024,
            name_max: 255,
            ..FsStat::default()
        }
    }

    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_nodes_come_back_from_their_inode_numbers() {
        let nodes = [
            Node::TaskDir(7),
            Node::Task(7, 9),
            Node::TaskStat(7, 9),
            Node::Task(0x3fff_ffff, 0x0fff_ffff),
            Node::TaskStat(1, 0x0fff_ffff),
            Node::PidDir(7),
            Node::FdDir(7),
            Node::Fd(7, 3),
            Node::PidFile(7, PidFile::Stat),
        ];
        for n in nodes {
            assert_eq!(Node::from_ino(n.ino()), Ok(n), "{n:?}");
        }
        assert_ne!(Node::TaskDir(7).ino(), Node::FdDir(7).ino());
        assert_eq!(
            Node::from_ino(TASK_BIT | 7 << 32 | 9 << 4 | 5),
            Err(Errno::ENOENT)
        );
    }
}
