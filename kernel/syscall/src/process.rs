//! Process control: exit, fork, exec, spawn, waitpid, kill, signals, sleep, memory.

use crate::{me, Args};
use abi::signal::*;
use abi::{Errno, SigAction, SpawnArgs};
use alloc::string::String;
use alloc::vec::Vec;
use proc::files::FdTable;
use proc::lifecycle::{self, SpawnSpec};
use proc::uaccess;

const ARG_MAX: usize = proc::exec::ARG_MAX;

pub fn exit(a: &mut Args) -> Result<usize, Errno> {
    lifecycle::exit_current(wait_status_exited(a.arg(0) as u8))
}

pub fn fork(a: &mut Args) -> Result<usize, Errno> {
    lifecycle::fork(a.frame).map(|p| p as usize)
}

fn strings(ptr: u64, count: u64) -> Result<Vec<String>, Errno> {
    if count == 0 {
        return Ok(Vec::new());
    }
    uaccess::read_str_list(ptr, count, ARG_MAX)
}

pub fn exec(a: &mut Args) -> Result<usize, Errno> {
    let path = uaccess::read_str(a.arg(0), a.arg(1))?;
    let argv = strings(a.arg(2), a.arg(3))?;
    let envp = strings(a.arg(4), a.arg(5))?;
    lifecycle::exec(a.frame, &path, &argv, &envp)?;
    Ok(0)
}

pub fn spawn(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let s: SpawnArgs = uaccess::read_pod(a.arg(0))?;
    let path = uaccess::read_str(s.path.ptr, s.path.len)?;
    let argv = strings(s.argv, s.argc)?;
    let envp = strings(s.envp, s.envc)?;
    let mut files = FdTable::new();
    {
        let mine = p.files.lock();
        for (child_fd, &parent_fd) in s.fds.iter().enumerate() {
            if parent_fd >= 0 {
                files.insert_at(child_fd as i32, mine.get(parent_fd)?)?;
            }
        }
    }
    let pgid = match s.pgid {
        0 => None,
        u32::MAX => Some(0), // a new group named after the child
        g => Some(g),
    };
    let sig = p.sig.lock().clone();
    let cwd = *p.cwd.lock();
    let pid = lifecycle::spawn(
        Some(&p),
        SpawnSpec {
            path: &path,
            argv: &argv,
            envp: &envp,
            files,
            cwd,
            pgid,
            sig,
        },
    )?;
    Ok(pid as usize)
}

pub fn waitpid(a: &mut Args) -> Result<usize, Errno> {
    let nohang = a.arg(2) as u32 & abi::flags::WNOHANG != 0;
    match lifecycle::waitpid(a.arg(0) as i64, nohang)? {
        None => Ok(0),
        Some(r) => {
            if a.arg(1) != 0 {
                uaccess::write_bytes(a.arg(1), &r.status.to_le_bytes())?;
            }
            Ok(r.pid as usize)
        }
    }
}

pub fn getpid(_: &mut Args) -> Result<usize, Errno> {
    proc::process::with_current(|p| p.pid as usize).ok_or(Errno::ESRCH)
}

pub fn getppid(_: &mut Args) -> Result<usize, Errno> {
    proc::process::with_current(|p| p.ppid() as usize).ok_or(Errno::ESRCH)
}

pub fn kill(a: &mut Args) -> Result<usize, Errno> {
    proc::signal::kill(me()?.pid, a.arg(0) as i64, a.arg(1) as u32)?;
    Ok(0)
}

pub fn sigaction(a: &mut Args) -> Result<usize, Errno> {
    let new = if a.arg(1) != 0 {
        Some(uaccess::read_pod::<SigAction>(a.arg(1))?)
    } else {
        None
    };
    let old = proc::signal::sigaction(a.arg(0) as u32, new)?;
    if a.arg(2) != 0 {
        uaccess::write_pod(a.arg(2), &old)?;
    }
    Ok(0)
}

pub fn sigprocmask(a: &mut Args) -> Result<usize, Errno> {
    let old = proc::signal::sigprocmask(a.arg(0) as u32, a.arg(1))?;
    if a.arg(2) != 0 {
        uaccess::write_bytes(a.arg(2), &old.to_le_bytes())?;
    }
    Ok(0)
}

pub fn sigreturn(a: &mut Args) -> Result<usize, Errno> {
    proc::signal::sigreturn(a.frame).map(|rax| rax as usize)
}

pub fn nanosleep(a: &mut Args) -> Result<usize, Errno> {
    let ns = a.arg(0);
    let tick_ns = 1_000_000_000 / hal::apic::TIMER_HZ;
    let deadline = task::ticks() + ns.div_ceil(tick_ns);
    while task::ticks() < deadline {
        if proc::signal::interrupted() {
            return Err(Errno::EINTR);
        }
        task::sleep_ticks(deadline - task::ticks());
    }
    Ok(0)
}

pub fn yield_now(_: &mut Args) -> Result<usize, Errno> {
    task::yield_now();
    Ok(0)
}

pub fn brk(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let mut s = p.aspace.lock();
    let s = s.as_mut().ok_or(Errno::EINVAL)?;
    Ok(s.set_brk(a.arg(0)) as usize)
}

pub fn mmap(a: &mut Args) -> Result<usize, Errno> {
    let (hint, len, prot, flags) = (a.arg(0), a.arg(1), a.arg(2) as u32, a.arg(3) as u32);
    if flags & abi::flags::MAP_ANONYMOUS == 0 {
        return Err(Errno::EOPNOTSUPP); // file mappings come with the VFS page cache
    }
    if len == 0 || len > (1 << 40) {
        return Err(Errno::EINVAL);
    }
    let p = me()?;
    let mut s = p.aspace.lock();
    let s = s.as_mut().ok_or(Errno::EINVAL)?;
    let at = s.find_free(hint, len).ok_or(Errno::ENOMEM)?;
    let prot = mm::Prot {
        read: prot & abi::flags::PROT_READ != 0 || prot != 0,
        write: prot & abi::flags::PROT_WRITE != 0,
        exec: prot & abi::flags::PROT_EXEC != 0,
    };
    s.map(at, len, prot, mm::VmaKind::Mmap)
        .map_err(|_| Errno::ENOMEM)?;
    Ok(at as usize)
}

pub fn munmap(a: &mut Args) -> Result<usize, Errno> {
    let p = me()?;
    let mut s = p.aspace.lock();
    let s = s.as_mut().ok_or(Errno::EINVAL)?;
    s.unmap(a.arg(0), a.arg(1)).map_err(|_| Errno::EINVAL)?;
    Ok(0)
}

pub fn setpgid(a: &mut Args) -> Result<usize, Errno> {
    let pid = u32::try_from(a.arg(0)).map_err(|_| Errno::ESRCH)?;
    let pgid = u32::try_from(a.arg(1)).map_err(|_| Errno::EINVAL)?;
    proc::process::setpgid(&*me()?, pid, pgid)?;
    Ok(0)
}

pub fn setsid(_a: &mut Args) -> Result<usize, Errno> {
    Ok(proc::process::setsid(&*me()?)? as usize)
}

pub fn getpgid(a: &mut Args) -> Result<usize, Errno> {
    let pid = if a.arg(0) == 0 {
        me()?.pid
    } else {
        a.arg(0) as u32
    };
    Ok(proc::process::get(pid).ok_or(Errno::ESRCH)?.pgid() as usize)
}
