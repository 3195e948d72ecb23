//! Resource limits and resource usage: what a process may use, and what it has used
//! (chapter 2, 3-2 "information maintenance", and the debugging section's core file).
//!
//! A limit is a pair, Linux's `struct rlimit`: the *soft* limit, which the kernel
//! enforces, and the *hard* limit, the ceiling up to which the process may raise its
//! soft limit. Anyone may lower either; only a privileged process raises the hard one.
//! Resource numbers are Linux's, so a Linux program's `prlimit64` means the same.
//!
//! Usage ([`Rusage`]) counts what the kernel charged to a process: CPU time split at the
//! user/kernel boundary, the largest resident size, page faults, context switches and
//! system calls. Times are nanoseconds (dinos' `times` uses them too).

use crate::types::{pod_fields, Pod};

/// "No limit".
pub const RLIM_INFINITY: u64 = u64::MAX;

/// CPU time in seconds: SIGXCPU at the soft limit (and each second after), SIGKILL at
/// the hard one.
pub const RLIMIT_CPU: u32 = 0;
/// Largest file size (reserved: not enforced yet).
pub const RLIMIT_FSIZE: u32 = 1;
/// Largest data segment (reserved: not enforced yet; see `RLIMIT_AS`).
pub const RLIMIT_DATA: u32 = 2;
/// Size of the stack region a new program gets (at `exec`).
pub const RLIMIT_STACK: u32 = 3;
/// Largest core file; 0 writes none.
pub const RLIMIT_CORE: u32 = 4;
/// Processes and threads the caller's real user may have at once (EAGAIN from
/// `fork`, `spawn` and thread creation past it; root is not held to it).
pub const RLIMIT_NPROC: u32 = 6;
/// Open descriptors: the lowest number `open` may not return (EMFILE).
pub const RLIMIT_NOFILE: u32 = 7;
/// Bytes of memory that may be locked in RAM (kept and reported; dinos never pages
/// user memory out, so nothing is locked or refused by it).
pub const RLIMIT_MEMLOCK: u32 = 8;
/// Address space: the sum of the sizes of all mapped regions (ENOMEM past it).
pub const RLIMIT_AS: u32 = 9;
/// Number of resources (Linux's `RLIM_NLIMITS` is 16; 10.. are reserved here).
pub const RLIM_NLIMITS: u32 = 16;

/// `getrusage` of the caller.
pub const RUSAGE_SELF: i32 = 0;
/// `getrusage` of the caller's waited-for children (and theirs).
pub const RUSAGE_CHILDREN: i32 = -1;

/// One resource limit (Linux's `struct rlimit`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rlimit {
    /// The limit the kernel enforces.
    pub cur: u64,
    /// The ceiling for `cur` (raised only with privilege).
    pub max: u64,
}

impl Rlimit {
    pub const INFINITE: Rlimit = Rlimit {
        cur: RLIM_INFINITY,
        max: RLIM_INFINITY,
    };
}

impl Default for Rlimit {
    fn default() -> Self {
        Rlimit::INFINITE
    }
}

/// `getrusage` result.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rusage {
    /// CPU time spent in user mode.
    pub user_ns: u64,
    /// CPU time spent in the kernel on the process's behalf.
    pub sys_ns: u64,
    /// Largest resident set seen, in KiB (for children: the largest of them).
    pub maxrss_kb: u64,
    /// Page faults resolved without reading a file: zero-fill, copy-on-write.
    pub minflt: u64,
    /// Page faults that took a page from a file (the page cache, which may read the disk).
    pub majflt: u64,
    /// Context switches because the process waited (blocked, slept, yielded).
    pub nvcsw: u64,
    /// Context switches because the scheduler took the CPU away (preemption).
    pub nivcsw: u64,
    /// System calls made.
    pub syscalls: u64,
}

impl Rusage {
    /// Add `o` to this total (children's usage): counts add, `maxrss` is the largest.
    pub fn add(&mut self, o: &Rusage) {
        self.user_ns += o.user_ns;
        self.sys_ns += o.sys_ns;
        self.maxrss_kb = self.maxrss_kb.max(o.maxrss_kb);
        self.minflt += o.minflt;
        self.majflt += o.majflt;
        self.nvcsw += o.nvcsw;
        self.nivcsw += o.nivcsw;
        self.syscalls += o.syscalls;
    }
}

pod_fields!(Rlimit { cur: u64, max: u64 });
pod_fields!(Rusage {
    user_ns: u64,
    sys_ns: u64,
    maxrss_kb: u64,
    minflt: u64,
    majflt: u64,
    nvcsw: u64,
    nivcsw: u64,
    syscalls: u64
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_forms_are_the_c_layouts() {
        assert_eq!(Rlimit::SIZE, 16);
        assert_eq!(Rusage::SIZE, 64);
        let r = Rlimit { cur: 5, max: 9 };
        let mut b = [0u8; 16];
        r.to_bytes(&mut b);
        assert_eq!(&b[..8], &5u64.to_le_bytes());
        assert_eq!(Rlimit::from_bytes(&b), r);
    }

    #[test]
    fn children_add_up_but_maxrss_is_the_largest() {
        let mut t = Rusage {
            maxrss_kb: 100,
            minflt: 1,
            ..Rusage::default()
        };
        t.add(&Rusage {
            maxrss_kb: 40,
            minflt: 2,
            syscalls: 7,
            ..Rusage::default()
        });
        assert_eq!((t.maxrss_kb, t.minflt, t.syscalls), (100, 3, 7));
    }
}
