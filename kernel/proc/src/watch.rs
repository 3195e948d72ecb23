//! Watching a process: the tracer's and the profiler's hooks on it (chapter 2, 3-2
//! "information maintenance" and the debugging notes of section 8: tracing system
//! calls, profiling by sampling the program counter at timer interrupts).
//!
//! - A *trace* is the write end of a pipe the tracer holds the other end of. Every
//!   system call of a traced process ends by writing one text record into it (the
//!   system-call layer decodes the call from its table row). The traced process
//!   writes its own records, so when the tracer is slow the pipe fills and the traced
//!   process waits, as a process stopped by `ptrace` waits for `strace`: no record is
//!   lost and the counts of `trace -c` are exact. When the tracer goes away (the read
//!   end is closed) the trace is dropped and the process runs on.
//! - A *profile* is a buffer of samples, open as a descriptor ([`Profile`]); the timer
//!   interrupt ([`sample`]) appends the interrupted program counter and the
//!   frame-pointer chain above it (user and, when asked, kernel), with no lock but the
//!   profile's own, nothing that sleeps, and user memory read only through the copy
//!   that stops at a missing page instead of faulting it in.
//!
//! Both are inherited by children made by `fork` or `spawn` when asked
//! ([`abi::flags::TRACE_FOLLOW`], [`abi::flags::PROF_FOLLOW`]), kept across `exec`,
//! and dropped by an `exec` that changes the credentials (a set-id program is not
//! watched by someone who could not watch its owner) and at exit. Who may watch whom
//! is [`may_watch`]: root, or a process whose user owns every id of the target.

use abi::flags::{PROF_DEPTH, PROF_FOLLOW, PROF_KERNEL, PROF_USER, S_IFCHR};
use abi::{Errno, Stat};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use files::{FileObject, OpenFile, Readiness};
use hal::sync::SpinLock;
use hal::trap::TrapFrame;

/// How many processes are traced now: the system-call dispatcher looks at the
/// calling process's [`Watch::is_traced`] only while this is not 0, so calls cost one
/// load while nobody is traced, and two more while someone else is.
pub static TRACED: AtomicUsize = AtomicUsize::new(0);

/// Where a traced process's records go.
pub struct TraceSink {
    /// The write end of the tracer's pipe.
    pub out: Arc<OpenFile>,
    /// Children are traced into the same pipe.
    pub follow: bool,
}

/// A process's tracer and profiler hooks (empty for almost every process).
pub struct Watch {
    trace: SpinLock<Option<Arc<TraceSink>>>,
    /// `trace` is Some: read without the lock on every call while any process is
    /// traced, so that the others' calls stay on the fast path.
    traced: AtomicBool,
    prof: SpinLock<Option<Arc<Profile>>>,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            trace: SpinLock::new(None),
            traced: AtomicBool::new(false),
            prof: SpinLock::new(None),
        }
    }
}

impl Drop for Watch {
    /// A process record dropped while still traced (a child whose start failed after
    /// it inherited the trace) leaves the count right.
    fn drop(&mut self) {
        if self.is_traced() {
            TRACED.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Watch {
    /// The trace, if the process is traced.
    pub fn trace(&self) -> Option<Arc<TraceSink>> {
        self.trace.lock().clone()
    }

    /// Is the process traced? (One load, no lock.)
    #[inline(always)]
    pub fn is_traced(&self) -> bool {
        self.traced.load(Ordering::Relaxed)
    }

    /// Start (`Some`) or stop (`None`) tracing; returns the sink replaced.
    pub fn set_trace(&self, sink: Option<Arc<TraceSink>>) -> Option<Arc<TraceSink>> {
        let now = sink.is_some();
        let old = {
            let mut t = self.trace.lock();
            self.traced.store(now, Ordering::Relaxed);
            core::mem::replace(&mut *t, sink)
        };
        match (old.is_some(), now) {
            (false, true) => {
                TRACED.fetch_add(1, Ordering::Relaxed);
            }
            (true, false) => {
                TRACED.fetch_sub(1, Ordering::Relaxed);
            }
            _ => {}
        }
        old
    }

    /// Start (`Some`) or stop (`None`) sampling into a profile.
    pub fn set_profile(&self, p: Option<Arc<Profile>>) {
        let old = core::mem::replace(&mut *self.prof.lock(), p);
        drop(old);
    }

    /// The profile this process is sampled into, if any.
    pub fn profile(&self) -> Option<Arc<Profile>> {
        self.prof.lock().clone()
    }

    /// A new child of a process watched so: it is watched the same way when the
    /// watcher asked to follow children.
    pub fn inherit_from(&self, parent: &Watch) {
        if let Some(t) = parent.trace().filter(|t| t.follow) {
            self.set_trace(Some(t));
        }
        if let Some(p) = parent.profile().filter(|p| p.flags & PROF_FOLLOW != 0) {
            self.set_profile(Some(p));
        }
    }

    /// Stop every watch (exit, a set-id exec). Dropping the last sink closes the
    /// tracer's pipe, which is how it learns that every traced process is gone.
    pub fn clear(&self) {
        let t = self.set_trace(None);
        drop(t);
        self.set_profile(None);
    }
}

/// May a process with credentials `watcher` trace or profile one with `target`?
/// Root may; otherwise the watcher's real and effective user must both be the user of
/// all three of the target's ids (a set-uid program running as someone else is not
/// the watcher's to watch), as Linux's ptrace check says.
pub fn may_watch(watcher: &cred::Credentials, target: &cred::Credentials) -> bool {
    if watcher.euid == 0 {
        return true;
    }
    let u = watcher.euid;
    watcher.ruid == u && target.ruid == u && target.euid == u && target.suid == u
}

/// Profiles that may exist at once (each holds [`PROFILE_WORDS`] words of kernel
/// heap): EAGAIN beyond, so that opening profiles cannot exhaust the heap.
pub const MAX_PROFILES: usize = 8;
static PROFILES: AtomicUsize = AtomicUsize::new(0);

/// Words a profile keeps (a sample of a few frames takes 5-10: at 1 kHz, tens of
/// seconds of one CPU's time); samples that do not fit are counted as dropped.
pub const PROFILE_WORDS: usize = 1 << 17;

/// A profile: samples appended by the timer interrupt, read by the profiler through
/// its descriptor as 64-bit words, one record per sample:
///
/// ```text
/// header = user_frames | kernel_frames << 8 | cpu << 16
/// user_frames words (the program counter, then return addresses, innermost first)
/// kernel_frames words (likewise, when the sample landed in the kernel and
///                      PROF_KERNEL was asked)
/// ```
///
/// A read past the last record returns 0 (end of file). `dropped` samples did not fit.
pub struct Profile {
    pub flags: u32,
    words: SpinLock<Vec<u64>>,
    read_at: SpinLock<usize>,
    pub samples: AtomicU64,
    pub dropped: AtomicU64,
}

impl Profile {
    /// A new empty profile (its whole buffer allocated now, never in the interrupt).
    pub fn new(flags: u32) -> Result<Arc<Profile>, Errno> {
        if flags & !(PROF_USER | PROF_KERNEL | PROF_FOLLOW) != 0 {
            return Err(Errno::EINVAL);
        }
        if PROFILES.fetch_add(1, Ordering::SeqCst) >= MAX_PROFILES {
            PROFILES.fetch_sub(1, Ordering::SeqCst);
            return Err(Errno::EAGAIN);
        }
        let mut words = Vec::new();
        if words.try_reserve_exact(PROFILE_WORDS).is_err() {
            PROFILES.fetch_sub(1, Ordering::SeqCst);
            return Err(Errno::ENOMEM);
        }
        Ok(Arc::new(Profile {
            flags,
            words: SpinLock::new(words),
            read_at: SpinLock::new(0),
            samples: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }))
    }

    fn record(&self, user: &[u64], kernel: &[u64]) {
        let header = user.len() as u64
            | (kernel.len() as u64) << 8
            | (hal::percpu::cpu_index() as u64) << 16;
        let mut w = self.words.lock();
        let need = 1 + user.len() + kernel.len();
        if w.len() + need > w.capacity() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        w.push(header);
        w.extend_from_slice(user);
        w.extend_from_slice(kernel);
        self.samples.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        PROFILES.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A profile open as a descriptor (what `prof_open` returns).
pub struct ProfileFile(pub Arc<Profile>);

impl FileObject for ProfileFile {
    fn read(&self, _: &mut u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        let w = self.0.words.lock();
        let mut at = self.0.read_at.lock();
        let mut n = 0;
        while n + 8 <= buf.len() && *at < w.len() {
            buf[n..n + 8].copy_from_slice(&w[*at].to_le_bytes());
            n += 8;
            *at += 1;
        }
        Ok(n)
    }
    fn write(&self, _: &mut u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(Stat {
            mode: S_IFCHR | 0o400,
            nlink: 1,
            size: self.0.words.lock().len() as u64 * 8,
            ..Default::default()
        })
    }
    fn poll(&self) -> Readiness {
        Readiness::ALWAYS
    }
    fn as_any(&self) -> Option<&dyn core::any::Any> {
        Some(self)
    }
}

/// The user frame-pointer chain from `(rip, rbp)` into `out`: the program counter,
/// then each frame's return address. User memory is read with the copy that stops at
/// a page that is not present (never faulting one in: this runs in an interrupt).
fn user_chain(rip: u64, mut rbp: u64, out: &mut [u64]) -> usize {
    out[0] = rip;
    let mut n = 1;
    while n < out.len() && rbp != 0 && rbp.is_multiple_of(8) {
        let mut pair = [0u8; 16];
        if hal::user::copy_from_user(&mut pair, rbp).is_err() {
            break;
        }
        let next = u64::from_le_bytes(pair[..8].try_into().unwrap_or([0; 8]));
        let ret = u64::from_le_bytes(pair[8..].try_into().unwrap_or([0; 8]));
        if ret == 0 {
            break;
        }
        out[n] = ret;
        n += 1;
        if next <= rbp {
            break;
        }
        rbp = next;
    }
    n
}

/// The timer interrupt's part: if the interrupted thread's process is being profiled,
/// record where it was. Returns whether it is (the timer then runs fast on this CPU).
pub fn sample(frame: &TrapFrame) -> bool {
    let Some(p) = crate::process::with_current(|p| p.watch.prof.lock().clone()).flatten() else {
        return false;
    };
    let mut user = [0u64; PROF_DEPTH];
    let mut kernel = [0u64; PROF_DEPTH];
    let (nu, nk) = if frame.from_user() {
        (user_chain(frame.rip, frame.rbp, &mut user), 0)
    } else {
        let nk = if p.flags & PROF_KERNEL != 0 {
            kernel[0] = frame.rip;
            1 + hal::backtrace::walk(frame.rbp, &mut kernel[1..])
        } else {
            0
        };
        // Where the program was when it entered the kernel (the call it is in).
        let nu = match hal::backtrace::user_entry_regs() {
            Some((rip, rbp)) => user_chain(rip, rbp, &mut user),
            None => 0,
        };
        (nu, nk)
    };
    let nu = if p.flags & PROF_USER != 0 || p.flags & PROF_KERNEL == 0 {
        nu
    } else {
        0
    };
    // Recorded even when empty (a user-mode sample of a kernel-only profile), so
    // that the totals say where the time went.
    p.record(&user[..nu], &kernel[..nk]);
    true
}

/// How many samples a profile holds and how many were dropped.
pub fn profile_counts(p: &Profile) -> (u64, u64) {
    (
        p.samples.load(Ordering::Relaxed),
        p.dropped.load(Ordering::Relaxed),
    )
}
