//! Core dumps: what a process killed by a fault leaves for a debugger (chapter 2's
//! debugging section: "a core dump, a capture of the memory of the process").
//!
//! A process ended by a signal whose default action is "core" (SIGSEGV, SIGBUS,
//! SIGILL, SIGFPE, SIGABRT, SIGQUIT, SIGTRAP, SIGXCPU: `abi::signal::dumps_core`)
//! writes, before it lets go of anything, an ELF core file named by the kernel's
//! [`core_pattern`] (default `core.%p`, relative to its working directory), and its
//! wait status gets the "core dumped" bit. The file's format is `corefile.rs`;
//! here the process's state is gathered and written.
//!
//! The design decisions:
//! - The file is created and written through the VFS with the process's own
//!   credentials, like any file the program could have written (no second path to
//!   the disk): `O_CREAT|O_TRUNC|O_NOFOLLOW`, mode 0600. A name that is not a regular
//!   file of the process's user with one link is left alone (no dump), and a
//!   set-user-id program (effective id not the real one) never dumps, as on Linux
//!   with `suid_dumpable` 0, so a core cannot leak a privileged program's memory.
//! - Memory: every writable region whole, and, when all the read-only ones together
//!   are small ([`SMALL_READONLY`]), those too; a larger read-only region (program
//!   text the debugger reads from the executable) is listed with no bytes. Untouched
//!   anonymous pages are holes in the file (they read as zeros, as they would have),
//!   so a mostly empty 8 MiB stack costs only its touched pages.
//! - `RLIMIT_CORE` bounds the file: 0 writes none, otherwise the file is cut at the
//!   limit (what Linux does); a dump whose headers do not fit is not written.

use crate::corefile::{self, Note, Segment, Status, NGREG};
use crate::process::Process;
use abi::resource::RLIMIT_CORE;
use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use hal::sync::SpinLock;
use hal::trap::TrapFrame;

/// What a dump says about the program a process runs: set by `exec`, kept by `fork`.
#[derive(Clone, Debug, Default)]
pub struct ExecInfo {
    /// The program file's path.
    pub path: String,
    /// Its arguments, joined by spaces (`prpsinfo`'s `pr_psargs`).
    pub args: String,
    /// The auxiliary vector it started with.
    pub auxv: Vec<(u64, u64)>,
}

/// Memory is written in runs of at most this many bytes (one `pwrite` each).
const RUN: usize = 64 << 10;

/// Read-only regions are dumped too when together they are at most this big.
pub const SMALL_READONLY: u64 = 1 << 20;

/// The default core-file name: `core.` and the pid, in the working directory.
pub const DEFAULT_PATTERN: &str = "core.%p";
/// The longest pattern accepted (Linux's `CORENAME_MAX_SIZE`).
pub const PATTERN_MAX: usize = 128;

static PATTERN: SpinLock<Option<String>> = SpinLock::new(None);

/// The core-file name pattern (`/proc/sys/kernel/core_pattern`'s value): `%p` pid,
/// `%u` uid, `%s` signal, `%e` program name, `%t` time (seconds since 1970), `%%`.
pub fn core_pattern() -> String {
    PATTERN
        .lock()
        .clone()
        .unwrap_or_else(|| String::from(DEFAULT_PATTERN))
}

/// Set the pattern. Only a caller with `Capability::SysAdmin` may (EPERM); the pattern
/// must be non-empty, at most [`PATTERN_MAX`] bytes, without NUL, and not a pipe
/// (`|program`: dinos writes cores to files only) (EINVAL).
pub fn set_core_pattern(cred: &cred::Credentials, pattern: &str) -> Result<(), Errno> {
    check_pattern(cred, pattern)?;
    *PATTERN.lock() = Some(String::from(pattern));
    Ok(())
}

/// May `cred` set `pattern`? (The rules of [`set_core_pattern`].)
fn check_pattern(cred: &cred::Credentials, pattern: &str) -> Result<(), Errno> {
    if !cred::capable(cred, cred::Capability::SysAdmin) {
        return Err(Errno::EPERM);
    }
    if pattern.is_empty()
        || pattern.len() > PATTERN_MAX
        || pattern.contains('\0')
        || pattern.starts_with('|')
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// The values a pattern's `%` escapes stand for.
pub struct Expand<'a> {
    pub pid: u32,
    pub uid: u32,
    pub signal: u32,
    pub name: &'a str,
    pub time: i64,
}

/// The file name `pattern` gives for a dump of `e`. A `/` in the program name is
/// replaced (it must not make a new path component); an unknown escape is dropped.
pub fn expand(pattern: &str, e: &Expand) -> String {
    use core::fmt::Write;
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let _ = match chars.next() {
            Some('p') => write!(out, "{}", e.pid),
            Some('u') => write!(out, "{}", e.uid),
            Some('s') => write!(out, "{}", e.signal),
            Some('t') => write!(out, "{}", e.time),
            Some('e') => write!(out, "{}", e.name.replace('/', "!")),
            Some('%') => write!(out, "%"),
            _ => Ok(()),
        };
    }
    out
}

/// The registers in `user_regs_struct` order (see `corefile::prstatus`).
fn registers(f: &TrapFrame, in_syscall: bool) -> [u64; NGREG] {
    let orig_rax = if in_syscall { f.rax } else { u64::MAX };
    [
        f.r15, f.r14, f.r13, f.r12, f.rbp, f.rbx, f.r11, f.r10, f.r9, f.r8, f.rax, f.rcx, f.rdx,
        f.rsi, f.rdi, orig_rax, f.rip, f.cs, f.rflags, f.rsp, f.ss, 0, 0, 0, 0, 0, 0,
    ]
}

fn flags_of(prot: mm::Prot) -> u32 {
    let mut fl = 0;
    if prot.read {
        fl |= corefile::PF_R;
    }
    if prot.write {
        fl |= corefile::PF_W;
    }
    if prot.exec {
        fl |= corefile::PF_X;
    }
    fl
}

/// Write a core file for the calling process `p`, dying of `sig` with its user
/// registers in `frame` (`fault_addr`: the address of a fault, if one caused it).
/// True when a file was written.
pub fn dump(p: &Process, frame: &TrapFrame, sig: u32, fault_addr: Option<u64>) -> bool {
    let limit = p.limits.lock().soft(RLIMIT_CORE);
    if limit == 0 {
        return false;
    }
    match write_core(p, frame, sig, fault_addr, limit) {
        Ok(name) => {
            log::info!("pid {}: core dumped to {name}", p.pid);
            true
        }
        Err(e) => {
            log::warn!("pid {}: no core dump: {e}", p.pid);
            false
        }
    }
}

fn write_core(
    p: &Process,
    frame: &TrapFrame,
    sig: u32,
    fault_addr: Option<u64>,
    limit: u64,
) -> Result<String, Errno> {
    let cred = p.cred();
    if cred.euid != cred.ruid || cred.egid != cred.rgid {
        return Err(Errno::EPERM); // a set-id program: its memory is not the user's
    }
    let info = p.exec_info.lock().clone();
    let pname = p.name.lock().clone();
    let name = expand(
        &core_pattern(),
        &Expand {
            pid: p.pid,
            uid: cred.ruid,
            signal: sig,
            name: &pname,
            time: drivers::rtc::boot_time()
                + (hal::apic::nanos_since_boot() / 1_000_000_000) as i64,
        },
    );
    // The regions and what of each goes in the file.
    let (segs, maps) = {
        let a = p.aspace.lock();
        let a = a.as_ref().ok_or(Errno::EINVAL)?;
        let readonly: u64 = a
            .vmas()
            .filter(|v| !v.prot.write)
            .map(|v| v.end - v.start)
            .sum();
        let mut segs = Vec::new();
        let mut maps = Vec::new();
        for v in a.vmas() {
            let keep = v.prot.write || readonly <= SMALL_READONLY;
            segs.push(Segment {
                vaddr: v.start,
                memsz: v.end - v.start,
                filesz: if keep { v.end - v.start } else { 0 },
                flags: flags_of(v.prot),
            });
            if let Some(f) = v.file.as_ref() {
                // The program's own segments are named after it; other mapped files
                // by their path, when the file system can tell it.
                let name = match v.kind {
                    mm::VmaKind::Image => Some(info.path.clone()),
                    _ => f.pager.name(),
                };
                maps.push((v.start, v.end, f.offset / 4096, name));
            }
        }
        (segs, maps)
    };
    let (user_ns, sys_ns) = p.cpu_ns();
    let (cu, cs) = {
        let f = p.family.lock();
        (f.child_user_ns, f.child_sys_ns)
    };
    let (pending, blocked) = {
        let s = p.sig.lock();
        (s.pending_here(), s.mask())
    };
    let st = Status {
        signal: sig,
        pending,
        blocked,
        pid: p.pid,
        ppid: p.ppid(),
        pgrp: p.pgid(),
        sid: p.sid(),
        times_ns: [user_ns, sys_ns, cu, cs],
    };
    let named: Vec<(u64, u64, u64, &str)> = maps
        .iter()
        .filter_map(|(s, e, o, n)| n.as_deref().map(|n| (*s, *e, *o, n)))
        .collect();
    // A fault's siginfo carries its address (SEGV_MAPERR / SEGV_ACCERR from the page
    // fault's present bit); a sent signal's says SI_USER.
    let (code, addr) = match fault_addr {
        Some(a) if frame.vector == 14 => (if frame.error_code & 1 == 0 { 1 } else { 2 }, a),
        Some(a) => (1, a),
        None => (0, 0),
    };
    let notes = [
        Note {
            kind: corefile::NT_PRSTATUS,
            desc: corefile::prstatus(&st, &registers(frame, fault_addr.is_none())),
        },
        Note {
            kind: corefile::NT_PRPSINFO,
            desc: corefile::prpsinfo(&st, cred.ruid, cred.rgid, &pname, &info.args),
        },
        Note {
            kind: corefile::NT_SIGINFO,
            desc: corefile::siginfo(sig, code, addr),
        },
        Note {
            kind: corefile::NT_AUXV,
            desc: corefile::auxv(&info.auxv),
        },
        Note {
            kind: corefile::NT_FILE,
            desc: corefile::files(&named),
        },
        Note {
            kind: corefile::NT_PRFPREG,
            desc: Vec::from(&hal::user::saved_fpu_state(frame).0[..]),
        },
    ];
    let layout = corefile::layout(&notes, &segs);
    if layout.head.len() as u64 > limit {
        return Err(Errno::EFBIG);
    }
    // Created like any file the process makes, then checked: it must be the user's
    // own regular file with one name.
    let cwd = p.cwd.lock().node();
    let flags =
        abi::flags::O_WRONLY | abi::flags::O_CREAT | abi::flags::O_TRUNC | abi::flags::O_NOFOLLOW;
    let file = files::open(&cred, cwd, &name, flags, 0o600 & !cred.umask)?;
    let fst = file.stat()?;
    if fst.mode & abi::flags::S_IFMT != abi::flags::S_IFREG
        || fst.nlink != 1
        || fst.uid != cred.euid
    {
        return Err(Errno::EPERM);
    }
    file.pwrite(&layout.head, 0)?;
    // Pages go out in runs of up to RUN bytes (one write each), a hole ending a run.
    let mut run: Vec<u8> = Vec::with_capacity(RUN);
    let mut run_at = 0u64;
    let flush = |run: &mut Vec<u8>, at: u64| -> Result<(), Errno> {
        if !run.is_empty() {
            let n = (limit.saturating_sub(at) as usize).min(run.len());
            file.pwrite(&run[..n], at)?;
            run.clear();
        }
        Ok(())
    };
    let mut page = alloc::vec![0u8; 4096];
    'regions: for (seg, off) in segs.iter().zip(&layout.offsets) {
        let mut va = seg.vaddr;
        while va < seg.vaddr + seg.filesz {
            let at = off + (va - seg.vaddr);
            if at >= limit {
                break 'regions;
            }
            let got = {
                let a = p.aspace.lock();
                let a = a.as_ref().ok_or(Errno::EINVAL)?;
                match a.find(va) {
                    Some(v) => a.read_page_for_dump(v, va, &mut page),
                    None => false,
                }
            };
            if !got || run_at + run.len() as u64 != at || run.len() == RUN {
                flush(&mut run, run_at)?;
                run_at = at;
            }
            if got {
                run.extend_from_slice(&page);
            }
            va += 4096;
        }
    }
    flush(&mut run, run_at)?;
    // Holes at the end still belong to the file: give it its full size (at most the
    // limit).
    let node = file.node().ok_or(Errno::EINVAL)?;
    fsys::with(|v| v.truncate_node(node, layout.total.min(limit)))?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e() -> Expand<'static> {
        Expand {
            pid: 42,
            uid: 1000,
            signal: 11,
            name: "cr/ash",
            time: 1700000000,
        }
    }

    #[test]
    fn default_pattern_names_core_dot_pid() {
        assert_eq!(expand(DEFAULT_PATTERN, &e()), "core.42");
    }

    #[test]
    fn escapes_expand_and_a_slash_in_the_name_cannot_make_a_path() {
        assert_eq!(
            expand("/tmp/%e-%p-%u-%s-%t%%%q", &e()),
            "/tmp/cr!ash-42-1000-11-1700000000%"
        );
    }

    #[test]
    fn only_root_sets_the_pattern_and_pipes_are_refused() {
        let user = cred::Credentials::user(1000, 1000);
        assert_eq!(check_pattern(&user, "x"), Err(Errno::EPERM));
        assert_eq!(check_pattern(&cred::ROOT, "|/bin/x"), Err(Errno::EINVAL));
        assert_eq!(check_pattern(&cred::ROOT, ""), Err(Errno::EINVAL));
        assert_eq!(check_pattern(&cred::ROOT, "/tmp/core.%e.%p"), Ok(()));
    }
}
