//! Process control for Linux programs (chapter 2, 3-2): fork and its `clone` and
//! `vfork` spellings, execve with C argument vectors, wait4/waitid, ids, the thread
//! pointer (`arch_prctl`), futexes and resource limits.
//!
//! `clone` makes a process or a thread. Without `CLONE_VM` (or with `CLONE_VFORK`)
//! it is a fork: the flags a C library uses for `fork`, `vfork` and `posix_spawn` (a
//! new stack, a TLS, the child tid written back) are honoured on a copy-on-write copy
//! of the caller. With `CLONE_THREAD` it is a thread of the caller's process
//! (`proc::thread`), as `pthread_create` asks for it: `CLONE_VM|CLONE_FS|CLONE_FILES|
//! CLONE_SIGHAND|CLONE_THREAD` all together (a dinos thread shares all of them),
//! with `CLONE_SYSVSEM`, `CLONE_SETTLS`, `CLONE_PARENT_SETTID`, `CLONE_CHILD_SETTID`,
//! `CLONE_CHILD_CLEARTID` and `CLONE_DETACHED` allowed. Any other mixture (a shared
//! address space without a thread, a thread without shared files...) is EINVAL.
//! `vfork` is a fork, which is a correct (if slower) vfork: the child runs on its own
//! copy until it execs or exits.

use crate::uapi::*;
use crate::{get, put};
use abi::Errno;
use alloc::string::String;
use syscall::table::{Ctx, SysResult};

pub fn fork(cx: &mut Ctx) -> SysResult {
    syscall::ops::process::fork(cx)
}

pub fn clone(cx: &mut Ctx, flags: u32, stack: u64, ptid: u64, ctid: u64, tls: u64) -> SysResult {
    let flags = flags as u64;
    if flags & CLONE_THREAD != 0 {
        return clone_thread(cx, flags, stack, ptid, ctid, tls);
    }
    let shares_memory = flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0;
    if shares_memory || flags & CLONE_SIGHAND != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_SETTLS != 0 && tls >= hal::user::USER_TOP {
        return Err(Errno::EPERM);
    }
    let mut regs = cx.frame.clone();
    if stack != 0 {
        regs.rsp = stack;
    }
    let tls = (flags & CLONE_SETTLS != 0).then_some(tls);
    let ctid = (flags & CLONE_CHILD_SETTID != 0).then_some(ctid);
    let pid = proc::lifecycle::fork_with(&regs, tls, ctid)?;
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = put(ptid, &pid.to_le_bytes());
    }
    Ok(pid as usize)
}

/// The flags a thread must have, and those it may have besides (module header).
const THREAD_NEEDS: u64 = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
const THREAD_MAY: u64 = CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED;

/// `clone(CLONE_THREAD|...)`: a new thread of the caller's process on `stack`,
/// returning 0 there (`pthread_create`).
fn clone_thread(cx: &mut Ctx, flags: u64, stack: u64, ptid: u64, ctid: u64, tls: u64) -> SysResult {
    if flags & THREAD_NEEDS != THREAD_NEEDS || flags & !(THREAD_NEEDS | THREAD_MAY) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_SETTLS != 0 && tls >= hal::user::USER_TOP {
        return Err(Errno::EPERM);
    }
    let mut regs = cx.frame.clone();
    regs.rax = 0;
    if stack != 0 {
        regs.rsp = stack;
    }
    let start = proc::thread::ThreadStart {
        fpu: hal::user::saved_fpu_state(cx.frame),
        regs,
        tls: (flags & CLONE_SETTLS != 0).then_some(tls),
        set_tid: (flags & CLONE_CHILD_SETTID != 0).then_some(ctid),
        parent_tid: (flags & CLONE_PARENT_SETTID != 0).then_some(ptid),
        clear_tid: if flags & CLONE_CHILD_CLEARTID != 0 {
            ctid
        } else {
            0
        },
    };
    // The parent's copy of the tid is written before the thread can run (`spawn`).
    Ok(proc::thread::spawn(start)? as usize)
}

/// `execve(path, argv, envp)`. As on Linux, the file is looked up and its execute
/// permission checked before the argument vectors are read (a bad `argv` for a file
/// that cannot be run is EACCES, not EFAULT).
pub fn execve(cx: &mut Ctx, path: String, argv: u64, envp: u64) -> SysResult {
    let p = cx.process()?;
    let cred = p.cred();
    let cwd = p.cwd.lock().node();
    let node = fsys::resolve(&cred, cwd, &path, true)?;
    let st = fsys::stat(node)?;
    if st.mode & abi::flags::S_IFMT != abi::flags::S_IFREG
        || !cred::permits(&cred, st.uid, st.gid, st.mode, cred::Access::EXEC)
    {
        return Err(Errno::EACCES);
    }
    let argv = syscall::user::read_cstr_list(argv, proc::exec::ARG_MAX)?;
    let envp = syscall::user::read_cstr_list(envp, proc::exec::ARG_MAX)?;
    syscall::ops::process::exec(cx, path, argv, envp)
}

/// `exit(code)`: the calling thread ends (the process with it if it was the last).
pub fn exit(_: &mut Ctx, code: i32) -> SysResult {
    proc::thread::exit_thread(abi::signal::wait_status_exited(code as u8))
}

/// `exit_group(code)`: the whole process ends, every thread of it.
pub fn exit_group(cx: &mut Ctx, code: i32) -> SysResult {
    syscall::ops::process::exit(cx, code)
}

/// `wait4(pid, status, options, rusage)`: the native wait; `rusage` (if given) gets
/// the child's CPU time as the parent's children total now holds it.
pub fn wait4(cx: &mut Ctx, pid: i64, status: u64, options: u32, rusage: u64) -> SysResult {
    // __WALL, __WCLONE, __WNOTHREAD choose among threads: every child is a process.
    let options = options & !(0x4000_0000 | 0x8000_0000 | 0x2000_0000);
    if options & !(1 | 2 | 8) != 0 {
        return Err(Errno::EINVAL);
    }
    let pid = pid as i32 as i64; // a C `pid_t`
    let r = syscall::ops::process::waitpid(cx, pid, syscall::user::UserPtr::new(status), options)?;
    if rusage != 0 && r != 0 {
        crate::info::getrusage(cx, -1, rusage)?;
    }
    Ok(r)
}

/// `waitid(idtype, id, info, options)`: the same wait, its result as a `siginfo_t`.
pub fn waitid(_: &mut Ctx, idtype: u32, id: u64, info: u64, options: u32) -> SysResult {
    use abi::flags::{WCONTINUED, WNOHANG, WUNTRACED};
    if options & WNOWAIT != 0 || options & !(WNOHANG | WUNTRACED | WCONTINUED | WEXITED) != 0 {
        return Err(Errno::EINVAL);
    }
    let pid = match idtype {
        P_ALL => -1,
        P_PID => id as u32 as i64,
        P_PGID if id == 0 => 0,
        P_PGID => -(id as u32 as i64),
        _ => return Err(Errno::EINVAL),
    };
    let want = proc::lifecycle::WaitFor {
        nohang: options & WNOHANG != 0,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
    };
    let mut si = [0u8; 128];
    if let Some(r) = proc::lifecycle::waitpid(pid, want)? {
        let s = r.status;
        // CLD_EXITED 1, CLD_KILLED 2, CLD_STOPPED 5, CLD_CONTINUED 6.
        let (code, value) = if s & 0x7f == 0 {
            (1, (s >> 8) & 0xff)
        } else if s == 0xffff {
            (6, abi::signal::SIGCONT)
        } else if s & 0xff == 0x7f {
            (5, (s >> 8) & 0xff)
        } else {
            (2, s & 0x7f)
        };
        let uid = proc::process::get(r.pid).map_or(0, |p| p.cred().ruid);
        si[0..4].copy_from_slice(&abi::signal::SIGCHLD.to_le_bytes());
        si[8..12].copy_from_slice(&(code as u32).to_le_bytes());
        si[16..20].copy_from_slice(&r.pid.to_le_bytes());
        si[20..24].copy_from_slice(&uid.to_le_bytes());
        si[24..28].copy_from_slice(&value.to_le_bytes());
    }
    if info != 0 {
        put(info, &si)?;
    }
    Ok(0)
}

pub fn gettid(cx: &mut Ctx) -> SysResult {
    cx.with_process(|p| proc::thread::gettid(p) as usize)
}

/// `set_tid_address(addr)`: the calling thread's exit writes 0 at `addr` and wakes
/// its futex; returns the tid.
pub fn set_tid_address(cx: &mut Ctx, addr: u64) -> SysResult {
    cx.with_process(|p| proc::thread::set_clear_tid(p, addr) as usize)
}

/// `set_robust_list(head, len)`: where the calling thread's list of held robust
/// mutexes starts, walked when the thread ends (`proc::robust`). Linux accepts only
/// the length of its `struct robust_list_head` (EINVAL otherwise) and does not look
/// at the address until then.
pub fn set_robust_list(cx: &mut Ctx, head: u64, len: u64) -> SysResult {
    if len != proc::robust::HEAD_LEN {
        return Err(Errno::EINVAL);
    }
    cx.with_process(|p| proc::thread::set_robust_list(p, head))?;
    Ok(0)
}

/// `get_robust_list(tid, &head, &len)`: thread `tid`'s list head (0: the caller's).
/// musl asks it once, with tid 0, to learn whether robust mutexes are supported
/// (`pthread_mutexattr_setrobust`). Another process's thread needs the right to
/// signal it (Linux: to trace it), EPERM otherwise; no such thread is ESRCH.
pub fn get_robust_list(cx: &mut Ctx, tid: u64, head_at: u64, len_at: u64) -> SysResult {
    let me = cx.process()?;
    let (p, tid) = match tid {
        0 => {
            let t = proc::thread::gettid(&me);
            (me.clone(), t)
        }
        t => {
            let t = proc::process::Pid::try_from(t).map_err(|_| Errno::ESRCH)?;
            let (p, _) = proc::thread::find(t).ok_or(Errno::ESRCH)?;
            if p.pid != me.pid && !cred::may_signal(&me.cred(), &p.cred()) {
                return Err(Errno::EPERM);
            }
            (p, t)
        }
    };
    let head = proc::thread::robust_list_of(&p, tid).ok_or(Errno::ESRCH)?;
    crate::put(head_at, &head.to_le_bytes())?;
    crate::put(len_at, &proc::robust::HEAD_LEN.to_le_bytes())?;
    Ok(0)
}

/// Calls that C libraries try at start and do without when the kernel answers
/// ENOSYS: `rseq` (restartable sequences; glibc and musl go on without). It has a
/// row so that `trace` names it and the unknown-call log stays for calls really
/// missing.
pub fn not_supported<A, B>(_: &mut Ctx, _: A, _: B) -> SysResult {
    Err(Errno::ENOSYS)
}

pub fn getpgrp(cx: &mut Ctx) -> SysResult {
    syscall::ops::process::getpgid(cx, 0)
}

pub fn getsid(cx: &mut Ctx, pid: u64) -> SysResult {
    let p = if pid == 0 {
        cx.process()?
    } else {
        proc::process::get(u32::try_from(pid).map_err(|_| Errno::ESRCH)?).ok_or(Errno::ESRCH)?
    };
    Ok(p.sid() as usize)
}

/// `arch_prctl`: the `%fs` base (the thread pointer C libraries put their TLS at).
pub fn arch_prctl(_: &mut Ctx, code: u32, addr: u64) -> SysResult {
    match code as u64 {
        ARCH_SET_FS => {
            hal::task::set_user_fs_base(addr).map_err(|_| Errno::EPERM)?;
            Ok(0)
        }
        ARCH_GET_FS => {
            put(addr, &hal::task::user_fs_base().to_le_bytes())?;
            Ok(0)
        }
        // %gs belongs to the kernel's per-CPU data (`swapgs`).
        ARCH_SET_GS | ARCH_GET_GS => Err(Errno::EINVAL),
        _ => Err(Errno::EINVAL),
    }
}

/// `prctl`: the process name (`PR_SET_NAME`, `PR_GET_NAME`, 16 bytes with the NUL).
pub fn prctl(cx: &mut Ctx, option: u64, arg: u64) -> SysResult {
    let p = cx.process()?;
    match option {
        PR_SET_NAME => {
            let b: [u8; 16] = get(arg)?;
            let end = b.iter().position(|&c| c == 0).unwrap_or(15).min(15);
            let name = core::str::from_utf8(&b[..end]).map_err(|_| Errno::EINVAL)?;
            *p.name.lock() = String::from(name);
            Ok(0)
        }
        PR_GET_NAME => {
            let mut b = [0u8; 16];
            let name = p.name.lock().clone();
            let n = name.len().min(15);
            b[..n].copy_from_slice(&name.as_bytes()[..n]);
            put(arg, &b)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `getresuid(ruid, euid, suid)` and `getresgid`.
pub fn getresuid(cx: &mut Ctx, r: u64, e: u64, s: u64) -> SysResult {
    let c = cx.process()?.cred();
    put(r, &c.ruid.to_le_bytes())?;
    put(e, &c.euid.to_le_bytes())?;
    put(s, &c.suid.to_le_bytes())?;
    Ok(0)
}

pub fn getresgid(cx: &mut Ctx, r: u64, e: u64, s: u64) -> SysResult {
    let c = cx.process()?.cred();
    put(r, &c.rgid.to_le_bytes())?;
    put(e, &c.egid.to_le_bytes())?;
    put(s, &c.sgid.to_le_bytes())?;
    Ok(0)
}

pub fn setreuid(cx: &mut Ctx, r: Option<u32>, e: Option<u32>) -> SysResult {
    syscall::ops::protect::setresuid(cx, r, e, None)
}

pub fn setregid(cx: &mut Ctx, r: Option<u32>, e: Option<u32>) -> SysResult {
    syscall::ops::protect::setresgid(cx, r, e, None)
}

/// `getgroups(size, list)`: Linux passes a count of `gid_t`, dinos a byte length.
pub fn getgroups(cx: &mut Ctx, size: i32, list: u64) -> SysResult {
    let size = usize::try_from(size).map_err(|_| Errno::EINVAL)?;
    syscall::ops::protect::getgroups(cx, syscall::user::UserSliceMut::new(list, size * 4))
}

pub fn setgroups(cx: &mut Ctx, size: u64, list: u64) -> SysResult {
    let size = usize::try_from(size).map_err(|_| Errno::EINVAL)?;
    if size > abi::flags::NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    syscall::ops::protect::setgroups(cx, syscall::user::UserSlice::new(list, size * 4))
}

/// `futex(addr, op, val, timeout or val2, addr2, val3)`: FUTEX_WAIT, FUTEX_WAKE,
/// FUTEX_REQUEUE and FUTEX_CMP_REQUEUE, with or without FUTEX_PRIVATE_FLAG (a private
/// word is keyed by address space and address anyway: the threads of a process
/// share both). The others (PI, bitsets, WAKE_OP) are ENOSYS.
pub fn futex(
    cx: &mut Ctx,
    addr: u64,
    op: u32,
    val: u32,
    timeout: u64,
    addr2: u64,
    val3: u32,
) -> SysResult {
    const PRIVATE: u32 = 128;
    const CLOCK_REALTIME_FLAG: u32 = 256;
    match op & !(PRIVATE | CLOCK_REALTIME_FLAG) {
        0 => {
            let ns = match timeout {
                0 => abi::flags::FUTEX_FOREVER,
                t => crate::info::timespec_ns(t)?,
            };
            syscall::ops::comm::futex(cx, addr, abi::flags::FUTEX_WAIT, val, ns)
        }
        1 => syscall::ops::comm::futex(cx, addr, abi::flags::FUTEX_WAKE, val, 0),
        3 | 4 => {
            let cmp = (op & 127 == 4).then_some(val3);
            let n_move = u32::try_from(timeout).unwrap_or(u32::MAX);
            let p = cx.process()?;
            proc::futex::requeue(&p, addr, val, addr2, n_move, cmp)
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// `getrlimit(resource, rlim)`: the native `prlimit` (its resources are numbered as
/// Linux's, and `struct rlimit` is the same two 64-bit words).
pub fn getrlimit(cx: &mut Ctx, resource: u32, out: u64) -> SysResult {
    prlimit64(cx, 0, resource, 0, out)
}

/// `prlimit64(pid, resource, new, old)`: the native `prlimit`.
pub fn prlimit64(cx: &mut Ctx, pid: u32, resource: u32, new: u64, old: u64) -> SysResult {
    syscall::ops::resource::prlimit(
        cx,
        i64::from(pid),
        resource,
        syscall::user::UserPtr::new(new),
        syscall::user::UserPtr::new(old),
    )
}

pub fn setrlimit(cx: &mut Ctx, resource: u32, new: u64) -> SysResult {
    prlimit64(cx, 0, resource, new, 0)
}

/// The kernel thread Linux's `pid` argument names for the affinity calls: a thread id,
/// 0 for the caller. ESRCH if there is none.
type ProcessThread = (
    alloc::sync::Arc<proc::Process>,
    alloc::sync::Arc<task::Thread>,
);

fn affinity_thread(tid: u32) -> Result<ProcessThread, Errno> {
    if tid == 0 {
        let p = proc::current().ok_or(Errno::ESRCH)?;
        return Ok((p, task::current()));
    }
    let (p, k) = proc::thread::find(tid).ok_or(Errno::ESRCH)?;
    let t = task::by_tid(k).ok_or(Errno::ESRCH)?;
    Ok((p, t))
}

/// `sched_getaffinity(pid, size, mask)`: the CPUs thread `pid` (0: the caller) may run
/// on; returns the bytes written (8: one word holds every CPU dinos can have).
pub fn sched_getaffinity(_: &mut Ctx, pid: u32, size: u64, mask: u64) -> SysResult {
    let (_, t) = affinity_thread(pid)?;
    if size < 8 || !size.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    put(mask, &t.affinity().to_le_bytes())?;
    Ok(8)
}

/// `sched_setaffinity(pid, size, mask)`: thread `pid` (0: the caller) may run only on
/// the CPUs of the mask from now on. As on Linux, a shorter mask is read as far as it
/// goes, bits for CPUs that do not exist are ignored, and a mask with no online CPU is
/// EINVAL; EPERM unless the caller is root or the thread's user.
pub fn sched_setaffinity(_: &mut Ctx, pid: u32, size: u64, mask: u64) -> SysResult {
    let (p, t) = affinity_thread(pid)?;
    let mut bytes = [0u8; 8];
    let n = size.min(8) as usize;
    proc::uaccess::read_into(mask, &mut bytes[..n])?;
    let mask = u64::from_le_bytes(bytes);
    if mask & task::online_mask() == 0 {
        return Err(Errno::EINVAL);
    }
    let me = proc::current().ok_or(Errno::ESRCH)?.cred();
    let them = p.cred();
    if me.euid != 0 && me.euid != them.ruid && me.euid != them.euid {
        return Err(Errno::EPERM);
    }
    task::set_affinity(&t, mask).map_err(|_| Errno::EINVAL)?;
    Ok(0)
}

/// `getcpu(cpu, node, cache)`: the CPU the caller runs on, and its NUMA node (always
/// 0); either pointer may be null.
pub fn getcpu(_: &mut Ctx, cpu: u64, node: u64, _cache: u64) -> SysResult {
    if cpu != 0 {
        put(cpu, &(task::current_cpu() as u32).to_le_bytes())?;
    }
    if node != 0 {
        put(node, &0u32.to_le_bytes())?;
    }
    Ok(0)
}
