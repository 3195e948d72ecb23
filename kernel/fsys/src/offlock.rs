//! Waiting with the VFS let go: how a file system whose calls can be slow (the ufs
//! proxy, whose every call is a message to a server in user space) keeps a stalled
//! call from stopping every other file operation of the system.
//!
//! Chapter 2 section 7's price of a service in user space is that the kernel must
//! wait for it. The VFS is one lock ([`crate::tree::with`]), and a file system is
//! called with it held, in the middle of an operation that cannot simply be paused.
//! The page-cache fill (`vfs::Fill`) splits its one slow step out of the operation;
//! for a file system whose every call may be slow the split is made the other way:
//! the operation is *done again*. A call that finds it cannot finish soon registers
//! a [`Deferred`] and fails; [`with`](crate::tree::with) sees it when the operation
//! returns, lets the lock go, waits ([`Deferred::wait`]), takes the lock again and
//! runs the whole operation once more. The file system answers the calls of the new
//! run from what it learnt in the earlier runs (the answer waited for, and the
//! answers before it), so the server sees every request once; when the operation
//! finally returns, each deferral hears [`Deferred::done`] (an answer nobody asked
//! for again is dropped there).
//!
//! Only operations run by [`with`](crate::tree::with) can be done again
//! ([`may_defer`]); a file system called from anywhere else waits as before, with
//! the lock held. Everything here is touched with the VFS lock held, so the atomics
//! need no ordering of their own. Lock order: the VFS, then a file system's own
//! spinlocks (docs/architecture.md).

use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use hal::sync::SpinLock;

/// A wait a file system asked for, done with the VFS let go.
pub trait Deferred: Send + Sync {
    /// Wait (the VFS is not held; a bounded wait: the operation runs again after it).
    fn wait(&self);
    /// The operation this deferral belonged to has returned (the VFS is held).
    fn done(&self);
}

/// Operations so far (one per `with`), and the one running now under the lock (an
/// operation run again after a wait gets its number back: others ran meanwhile).
static OPS: AtomicU64 = AtomicU64::new(0);
static OP: AtomicU64 = AtomicU64::new(0);
/// Its run, counted (one per time the operation is run).
static RUN: AtomicU64 = AtomicU64::new(0);
/// The operation running now may be done again.
static RETRYABLE: AtomicBool = AtomicBool::new(false);
/// A deferral registered by this run (`DEFERRED` is set).
static HAS_DEFERRED: AtomicBool = AtomicBool::new(false);
static DEFERRED: SpinLock<Option<Arc<dyn Deferred>>> = SpinLock::new(None);

/// A run of an operation starts: of a new one (`again` `None`; its number is
/// returned), or of operation `again` once more.
#[inline]
pub(crate) fn begin(again: Option<u64>) -> u64 {
    let op = match again {
        Some(op) => op,
        None => OPS.fetch_add(1, Relaxed) + 1,
    };
    OP.store(op, Relaxed);
    RUN.fetch_add(1, Relaxed);
    RETRYABLE.store(true, Relaxed);
    op
}

/// The run returned: the deferral it registered, if any.
#[inline]
pub(crate) fn end() -> Option<Arc<dyn Deferred>> {
    RETRYABLE.store(false, Relaxed);
    if !HAS_DEFERRED.load(Relaxed) {
        return None;
    }
    HAS_DEFERRED.store(false, Relaxed);
    DEFERRED.lock().take()
}

/// May a call of a file system fail now with a deferral, to be asked again in a new
/// run of the same operation?
#[inline]
pub fn may_defer() -> bool {
    RETRYABLE.load(Relaxed)
}

/// The running operation changed something a new run would change again (or read
/// what it cannot be given again): it is not run again, and its later slow calls
/// wait with the lock held.
#[inline]
pub fn settle() {
    RETRYABLE.store(false, Relaxed);
}

/// Has this run registered a deferral already? (Then nothing more should be sent:
/// the run's answers will be thrown away.)
#[inline]
pub fn deferred() -> bool {
    HAS_DEFERRED.load(Relaxed)
}

/// The operation running now, and its run: what a file system keeps its answers of
/// earlier runs by.
#[inline]
pub fn ids() -> (u64, u64) {
    (OP.load(Relaxed), RUN.load(Relaxed))
}

/// Ask for `d` to be waited for with the lock let go, and the operation run again
/// (only when [`may_defer`]; the first deferral of a run is the one kept).
pub fn defer(d: Arc<dyn Deferred>) {
    debug_assert!(may_defer());
    let mut slot = DEFERRED.lock();
    if slot.is_none() {
        *slot = Some(d);
        HAS_DEFERRED.store(true, Relaxed);
    }
}
