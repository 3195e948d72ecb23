//! CPU affinity and "which CPU am I on" (chapter 2, 3-2 "process control"; chapter 5's
//! processor affinity): `sched_setaffinity` pins a process's threads to a set of CPUs,
//! `sched_getaffinity` reads the set, `getcpu` says where the caller runs now.
//!
//! A mask has bit N for CPU N. The scheduler's own rules are `task::set_affinity`'s (a
//! thread on a CPU it may no longer use moves at once); here a process id becomes its
//! threads, and the same permission as for a signal applies: a process may change its
//! own and its user's processes, root any.

use crate::table::{Ctx, SysResult};
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// The process `pid` names (0: the caller).
fn target(cx: &Ctx, pid: u64) -> Result<Arc<proc::Process>, Errno> {
    if pid == 0 {
        return cx.process();
    }
    let pid = u32::try_from(pid).map_err(|_| Errno::ESRCH)?;
    let p = proc::process::get(pid).ok_or(Errno::ESRCH)?;
    if p.is_zombie() {
        return Err(Errno::ESRCH);
    }
    Ok(p)
}

/// The kernel threads of `p`, the first its main one.
fn threads(p: &proc::Process) -> Vec<Arc<task::Thread>> {
    let ids: Vec<task::Tid> = p.sig.lock().threads.iter().map(|t| t.ktid).collect();
    ids.into_iter().filter_map(task::by_tid).collect()
}

/// `sched_setaffinity(pid, mask)`: every thread of process `pid` (0: the caller) may
/// run only on the CPUs in `mask` from now on (and the threads it creates after). CPUs
/// not online are ignored; EINVAL if no online CPU is left, ESRCH if there is no such
/// process, EPERM if the caller may not change it.
pub fn sched_setaffinity(cx: &mut Ctx, pid: u64, mask: u64) -> SysResult {
    let p = target(cx, pid)?;
    if mask & task::online_mask() == 0 {
        return Err(Errno::EINVAL);
    }
    let me = cx.process()?.cred();
    let them = p.cred();
    if me.euid != 0 && me.euid != them.ruid && me.euid != them.euid {
        return Err(Errno::EPERM);
    }
    for t in threads(&p) {
        task::set_affinity(&t, mask).map_err(|_| Errno::EINVAL)?;
    }
    Ok(0)
}

/// `sched_getaffinity(pid)`: the CPUs process `pid` (0: the caller) may run on, as a
/// mask of online CPUs (its main thread's).
pub fn sched_getaffinity(cx: &mut Ctx, pid: u64) -> SysResult {
    let p = target(cx, pid)?;
    let t = threads(&p).into_iter().next().ok_or(Errno::ESRCH)?;
    Ok(t.affinity() as usize)
}

/// `getcpu()`: the CPU the caller runs on (it may move right after).
pub fn getcpu(_: &mut Ctx) -> SysResult {
    Ok(task::current_cpu())
}
