//! Resource limits: how much of each resource a process may use (`prlimit`,
//! `getrlimit`, `setrlimit`; chapter 2, 3-2 "process control" and "protection").
//!
//! Each process has one [`Limits`] table, copied to a child by `fork` and `spawn` and
//! kept by `exec`, so a limit set in a shell (`ulimit`) holds for everything it runs.
//! Each entry is a soft limit, which the kernel enforces, below a hard limit, the
//! ceiling: anyone may lower either, raise the soft one up to the hard one, but only a
//! process with `Capability::Resource` (root) raises a hard limit.
//!
//! Where each is enforced: `RLIMIT_NOFILE` by the descriptor table (EMFILE),
//! `RLIMIT_STACK` by `exec` (the size of the new stack region), `RLIMIT_AS` by `exec`,
//! `mmap` and `brk` (ENOMEM), `RLIMIT_CPU` by the timer tick ([`check_cpu`]: SIGXCPU
//! at the soft limit and each second after, SIGKILL at the hard one), `RLIMIT_CORE`
//! by the core dump (`coredump.rs`), `RLIMIT_NPROC` by `fork`, `spawn` and thread
//! creation (EAGAIN: `process::may_add_task` counts the tasks of the caller's real
//! user; root is not held to it, as on Linux). `RLIMIT_MEMLOCK` is kept and
//! inherited, not enforced: dinos never pages user memory out, so nothing is locked. The design decision: limits are plain values
//! read at the moment of use, so a change takes effect at the next open, map or tick.

use abi::resource::*;
use abi::{Errno, Rlimit};
use cred::{capable, Capability, Credentials};

/// The most descriptors a process can have at all (`RLIMIT_NOFILE`'s ceiling, like
/// Linux's `nr_open`).
pub const NOFILE_MAX: u64 = files::MAX_FDS as u64;
/// Tasks (processes and threads) a user may have by default (`RLIMIT_NPROC`, soft
/// and hard): half the process table, so one user's fork bomb leaves the rest to
/// everyone else (and `process::ROOT_RESERVE` to root whatever the users do).
pub const DEFAULT_NPROC: u64 = (crate::process::MAX_PROCS / 2) as u64;
/// Lockable memory by default (`RLIMIT_MEMLOCK`): Linux's 8 MiB.
pub const DEFAULT_MEMLOCK: u64 = 8 << 20;
/// The stack region a program gets by default (`RLIMIT_STACK`'s soft limit).
pub const DEFAULT_STACK: u64 = 8 << 20;
/// The stack region is at least this big, and at most this big, whatever the limit
/// (a program could not even start with less; more would reach into the heap's room).
pub const STACK_MIN: u64 = 64 << 10;
pub const STACK_MAX: u64 = 1 << 30;

/// A process's limits, indexed by resource number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits([Rlimit; RLIM_NLIMITS as usize]);

impl Limits {
    /// The limits init starts with, Linux's own: no core files (soft 0, hard
    /// unlimited: `ulimit -c unlimited` turns them on), 64 descriptors, an 8 MiB
    /// stack, [`DEFAULT_NPROC`] tasks per user, 8 MiB of locked memory, everything
    /// else unlimited. Everyone inherits them from init, so they are what a user
    /// who logs in gets.
    pub fn initial() -> Self {
        let mut l = [Rlimit::INFINITE; RLIM_NLIMITS as usize];
        l[RLIMIT_CORE as usize] = Rlimit {
            cur: 0,
            max: RLIM_INFINITY,
        };
        l[RLIMIT_NOFILE as usize] = Rlimit {
            cur: NOFILE_MAX,
            max: NOFILE_MAX,
        };
        l[RLIMIT_STACK as usize] = Rlimit {
            cur: DEFAULT_STACK,
            max: RLIM_INFINITY,
        };
        l[RLIMIT_NPROC as usize] = Rlimit {
            cur: DEFAULT_NPROC,
            max: DEFAULT_NPROC,
        };
        l[RLIMIT_MEMLOCK as usize] = Rlimit {
            cur: DEFAULT_MEMLOCK,
            max: DEFAULT_MEMLOCK,
        };
        Limits(l)
    }

    /// The limit on `resource` (EINVAL for an unknown one).
    pub fn get(&self, resource: u32) -> Result<Rlimit, Errno> {
        self.0.get(resource as usize).copied().ok_or(Errno::EINVAL)
    }

    /// The soft limit on `resource` (known to exist: the constants above).
    pub fn soft(&self, resource: u32) -> u64 {
        self.0[resource as usize].cur
    }

    /// Change the limit on `resource` to `new` as a process with `cred` may.
    pub fn set(&mut self, cred: &Credentials, resource: u32, new: Rlimit) -> Result<(), Errno> {
        let old = self.get(resource)?;
        if new.cur > new.max {
            return Err(Errno::EINVAL);
        }
        if new.max > old.max && !capable(cred, Capability::Resource) {
            return Err(Errno::EPERM);
        }
        if resource == RLIMIT_NOFILE && new.max > NOFILE_MAX {
            return Err(Errno::EPERM); // above what a table can hold (Linux: nr_open)
        }
        self.0[resource as usize] = new;
        Ok(())
    }

    /// How many descriptors the table may use.
    pub fn nofile(&self) -> usize {
        self.soft(RLIMIT_NOFILE).min(NOFILE_MAX) as usize
    }

    /// The size of the stack region `exec` makes: the soft limit, page-rounded and
    /// kept within [`STACK_MIN`, `STACK_MAX`].
    pub fn stack_size(&self) -> u64 {
        let s = self.soft(RLIMIT_STACK).clamp(STACK_MIN, STACK_MAX);
        s.next_multiple_of(4096)
    }
}

/// What the timer tick should do about `RLIMIT_CPU` for a process that has used
/// `cpu_ticks` ticks (`hz` a second) under `lim`: `Some(signal)` when the tick makes
/// a whole second past the soft limit (SIGXCPU) or reaches the hard one (SIGKILL).
pub fn check_cpu(lim: Rlimit, cpu_ticks: u64, hz: u64) -> Option<u32> {
    use abi::signal::{SIGKILL, SIGXCPU};
    if lim.max != RLIM_INFINITY && cpu_ticks >= lim.max.saturating_mul(hz) {
        return Some(SIGKILL);
    }
    if lim.cur != RLIM_INFINITY {
        let soft = lim.cur.saturating_mul(hz);
        if cpu_ticks >= soft && (cpu_ticks - soft).is_multiple_of(hz) {
            return Some(SIGXCPU);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Credentials {
        Credentials::user(1000, 1000)
    }

    #[test]
    fn soft_above_hard_is_refused() {
        let mut l = Limits::initial();
        let r = l.set(&cred::ROOT, RLIMIT_CORE, Rlimit { cur: 10, max: 5 });
        assert_eq!(r, Err(Errno::EINVAL));
    }

    #[test]
    fn only_root_raises_a_hard_limit_but_anyone_lowers_one() {
        let mut l = Limits::initial();
        let low = Rlimit { cur: 100, max: 100 };
        l.set(&user(), RLIMIT_CPU, low).unwrap();
        let back = Rlimit { cur: 100, max: 200 };
        assert_eq!(l.set(&user(), RLIMIT_CPU, back), Err(Errno::EPERM));
        l.set(&cred::ROOT, RLIMIT_CPU, back).unwrap();
        assert_eq!(l.get(RLIMIT_CPU), Ok(back));
        // The soft limit moves freely below the hard one.
        l.set(&user(), RLIMIT_CPU, Rlimit { cur: 200, max: 200 })
            .unwrap();
    }

    #[test]
    fn unknown_resources_and_too_many_descriptors_are_refused() {
        let mut l = Limits::initial();
        assert_eq!(l.get(RLIM_NLIMITS), Err(Errno::EINVAL));
        let big = Rlimit {
            cur: 10,
            max: NOFILE_MAX + 1,
        };
        assert_eq!(l.set(&cred::ROOT, RLIMIT_NOFILE, big), Err(Errno::EPERM));
        l.set(&user(), RLIMIT_NOFILE, Rlimit { cur: 5, max: 64 })
            .unwrap();
        assert_eq!(l.nofile(), 5);
    }

    #[test]
    fn a_user_starts_with_half_the_process_table_and_cannot_raise_it() {
        let mut l = Limits::initial();
        let n = l.get(RLIMIT_NPROC).unwrap();
        assert_eq!(n, Rlimit { cur: 128, max: 128 });
        let more = Rlimit { cur: 129, max: 129 };
        assert_eq!(l.set(&user(), RLIMIT_NPROC, more), Err(Errno::EPERM));
        l.set(&user(), RLIMIT_NPROC, Rlimit { cur: 10, max: 128 })
            .unwrap();
        assert_eq!(l.soft(RLIMIT_NPROC), 10);
        assert_eq!(l.soft(RLIMIT_MEMLOCK), 8 << 20);
    }

    #[test]
    fn stack_size_follows_the_limit_within_bounds() {
        let mut l = Limits::initial();
        assert_eq!(l.stack_size(), DEFAULT_STACK);
        l.set(
            &user(),
            RLIMIT_STACK,
            Rlimit {
                cur: 1,
                max: RLIM_INFINITY,
            },
        )
        .unwrap();
        assert_eq!(l.stack_size(), STACK_MIN);
        l.set(&user(), RLIMIT_STACK, Rlimit::INFINITE).unwrap();
        assert_eq!(l.stack_size(), STACK_MAX);
    }

    #[test]
    fn cpu_limit_sends_xcpu_each_second_then_kill() {
        use abi::signal::{SIGKILL, SIGXCPU};
        let lim = Rlimit { cur: 1, max: 3 };
        assert_eq!(check_cpu(lim, 99, 100), None);
        assert_eq!(check_cpu(lim, 100, 100), Some(SIGXCPU));
        assert_eq!(check_cpu(lim, 150, 100), None);
        assert_eq!(check_cpu(lim, 200, 100), Some(SIGXCPU));
        assert_eq!(check_cpu(lim, 300, 100), Some(SIGKILL));
        assert_eq!(check_cpu(Rlimit::INFINITE, 1 << 40, 100), None);
    }
}
