//! Locks and interrupt guards: the primitives every other layer synchronises with.
//!
//! - [`IrqGuard`]: interrupts off until the guard is dropped, then back as they were.
//! - [`SpinLock`]: mutual exclusion by spinning, with interrupts off while held, so an
//!   interrupt handler on this CPU can never deadlock against the code it interrupted.
//!   For short critical sections only. In the kernel built with the lock-order
//!   checker (`dinos_lockcheck`), every acquisition is shown to it ([`crate::lockcheck`]).
//! - [`Lock`]: mutual exclusion whose *waiting* is delegated to a [`WaitPolicy`]. The
//!   `task` layer plugs in a policy that puts the waiter to sleep on a wait queue, which
//!   makes a sleeping mutex without any unsafe code above this crate. Exclusion itself is
//!   decided here, by one atomic flag, so a wrong policy can make waiting slow but can
//!   never let two holders in.
//! - [`Once`]: a value initialised once, at run time.

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// Interrupts are off while this lives; dropping it restores the previous state.
#[must_use = "interrupts come back on as soon as the guard is dropped"]
pub struct IrqGuard {
    was_enabled: bool,
}

impl IrqGuard {
    pub fn new() -> Self {
        let was_enabled = crate::cpu::interrupts_enabled();
        crate::cpu::disable_interrupts();
        IrqGuard { was_enabled }
    }

    /// Were interrupts on where this guard was made? Then the caller held no spinlock
    /// (every spinlock keeps them off) and may give up the CPU once the guard is gone.
    #[inline(always)]
    pub fn was_enabled(&self) -> bool {
        self.was_enabled
    }
}

impl Default for IrqGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for IrqGuard {
    fn drop(&mut self) {
        if self.was_enabled {
            crate::cpu::enable_interrupts();
        }
    }
}

/// A spinlock that keeps interrupts off while held.
pub struct SpinLock<T: ?Sized> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `value` to one holder at a time.
unsafe impl<T: ?Sized + Send> Sync for SpinLock<T> {}
// SAFETY: moving the lock moves the value; sending it is as safe as sending T.
unsafe impl<T: ?Sized + Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    pub const fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }
}

impl<T: ?Sized> SpinLock<T> {
    /// The lock's identity for the lock-order checker.
    #[inline]
    #[cfg_attr(not(dinos_lockcheck), allow(dead_code))]
    fn addr(&self) -> usize {
        self as *const Self as *const u8 as usize
    }

    /// Take the lock, spinning until it is free.
    #[cfg_attr(dinos_lockcheck, track_caller)]
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        let irq = IrqGuard::new();
        #[cfg(dinos_lockcheck)]
        let mut wait = Waiting::new();
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            // The holder may be waiting for this CPU to flush its TLB (interrupts are
            // off here, so the request's IPI cannot be taken): answer it while waiting.
            crate::smp::poll_shootdown();
            core::hint::spin_loop();
            #[cfg(dinos_lockcheck)]
            wait.spun(self.addr(), core::panic::Location::caller());
        }
        #[cfg(dinos_lockcheck)]
        crate::lockcheck::acquired(self.addr(), core::panic::Location::caller(), true);
        SpinLockGuard {
            lock: self,
            _irq: irq,
        }
    }

    /// Take the lock when the caller already keeps interrupts off (`_off` shows it):
    /// the same as [`SpinLock::lock`] without saving and restoring the interrupt flag
    /// again, which on the scheduler's paths is most of a lock's cost. The guard
    /// borrows `_off`, so interrupts cannot come back on while the lock is held.
    #[inline]
    #[cfg_attr(dinos_lockcheck, track_caller)]
    pub fn lock_irqs_off<'a>(&'a self, _off: &'a IrqGuard) -> SpinLockGuard<'a, T> {
        #[cfg(dinos_lockcheck)]
        let mut wait = Waiting::new();
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            crate::smp::poll_shootdown();
            core::hint::spin_loop();
            #[cfg(dinos_lockcheck)]
            wait.spun(self.addr(), core::panic::Location::caller());
        }
        #[cfg(dinos_lockcheck)]
        crate::lockcheck::acquired(self.addr(), core::panic::Location::caller(), true);
        SpinLockGuard {
            lock: self,
            _irq: IrqGuard { was_enabled: false },
        }
    }

    /// Take the lock if it is free.
    #[cfg_attr(dinos_lockcheck, track_caller)]
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        let irq = IrqGuard::new();
        #[cfg(dinos_lockcheck)]
        let site = core::panic::Location::caller();
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| {
                #[cfg(dinos_lockcheck)]
                crate::lockcheck::acquired(self.addr(), site, false);
                SpinLockGuard {
                    lock: self,
                    _irq: irq,
                }
            })
    }

    /// Is the lock held right now? (For diagnostics only.)
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }
}

/// A spinning wait, as the lock-order checker sees it: the time is read every 4,096
/// spins, and a wait longer than `lockcheck::STUCK_NS` is reported once.
#[cfg(dinos_lockcheck)]
struct Waiting {
    spins: u32,
    since: u64,
    reported: bool,
}

#[cfg(dinos_lockcheck)]
impl Waiting {
    fn new() -> Self {
        Waiting {
            spins: 0,
            since: 0,
            reported: false,
        }
    }

    #[inline]
    fn spun(&mut self, addr: usize, site: &'static core::panic::Location<'static>) {
        self.spins = self.spins.wrapping_add(1);
        if self.reported || self.spins % 4096 != 0 {
            return;
        }
        if self.since == 0 {
            self.since = crate::apic::nanos_since_boot().max(1);
        } else {
            self.reported = crate::lockcheck::spinning(addr, site, self.since);
        }
    }
}

/// Access to a [`SpinLock`]'s value; releases the lock (then interrupts) on drop.
pub struct SpinLockGuard<'a, T: ?Sized> {
    lock: &'a SpinLock<T>,
    _irq: IrqGuard,
}

impl<T: ?Sized> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this holder owns the lock.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this holder owns the lock.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        #[cfg(dinos_lockcheck)]
        crate::lockcheck::released(self.lock.addr());
        self.lock.locked.store(false, Ordering::Release);
        // `_irq` drops after this, restoring interrupts only once the lock is free.
    }
}

/// How a [`Lock`] waits for its holder: spin, or sleep on a queue.
pub trait WaitPolicy {
    /// Block the caller until `is_free()` may have become true. Must re-check `is_free`
    /// after arranging to be woken, so that a release in between is not lost.
    fn wait(&self, is_free: &dyn Fn() -> bool);
    /// The lock was released: wake one waiter, if any. Says whether there was one.
    fn wake_one(&self) -> bool;
    /// Might anyone be waiting? (A cheap check; a `true` may be stale.)
    fn has_waiters(&self) -> bool {
        true
    }
}

/// A lock whose exclusion is an atomic flag here and whose waiting is `P`'s business.
///
/// A contended release hands the lock over instead of freeing it (`handed`): the flag
/// stays set and one waiter takes it, so a thread that releases and at once locks again
/// on its own CPU cannot take it back before the woken waiter, on another CPU, gets to
/// run. Without the hand-over a program calling `stat` in a loop on one CPU kept the
/// VFS lock from a `fork` on another for minutes with four CPUs (docs/smp.md, "Where
/// the time went"). Linux's mutex hands over the same way once a waiter has starved.
pub struct Lock<T: ?Sized, P: WaitPolicy> {
    locked: AtomicBool,
    /// Set by a release that found waiters: `locked` stays true and the first waiter
    /// to swap this back to false owns the lock.
    handed: AtomicBool,
    policy: P,
    value: UnsafeCell<T>,
}

// SAFETY: access to `value` is handed to one holder at a time by the `locked` flag.
unsafe impl<T: ?Sized + Send, P: WaitPolicy + Sync> Sync for Lock<T, P> {}
// SAFETY: as for SpinLock.
unsafe impl<T: ?Sized + Send, P: WaitPolicy + Send> Send for Lock<T, P> {}

impl<T, P: WaitPolicy> Lock<T, P> {
    pub const fn with_policy(value: T, policy: P) -> Self {
        Lock {
            locked: AtomicBool::new(false),
            handed: AtomicBool::new(false),
            policy,
            value: UnsafeCell::new(value),
        }
    }
}

impl<T: ?Sized, P: WaitPolicy> Lock<T, P> {
    fn try_acquire(&self) -> bool {
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Take the lock, waiting as the policy says.
    pub fn lock(&self) -> LockGuard<'_, T, P> {
        if self.try_acquire() {
            return LockGuard { lock: self };
        }
        // Only a thread that has waited takes a hand-over: a newcomer cannot.
        loop {
            self.policy.wait(&|| {
                !self.locked.load(Ordering::Acquire) || self.handed.load(Ordering::Acquire)
            });
            if self.handed.swap(false, Ordering::AcqRel) || self.try_acquire() {
                return LockGuard { lock: self };
            }
        }
    }

    /// Take the lock if it is free.
    pub fn try_lock(&self) -> Option<LockGuard<'_, T, P>> {
        self.try_acquire().then_some(LockGuard { lock: self })
    }

    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }
}

/// Access to a [`Lock`]'s value.
pub struct LockGuard<'a, T: ?Sized, P: WaitPolicy> {
    lock: &'a Lock<T, P>,
}

impl<T: ?Sized, P: WaitPolicy> Deref for LockGuard<'_, T, P> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this holder owns the lock.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized, P: WaitPolicy> DerefMut for LockGuard<'_, T, P> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this holder owns the lock.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized, P: WaitPolicy> Drop for LockGuard<'_, T, P> {
    fn drop(&mut self) {
        let lock = self.lock;
        if lock.policy.has_waiters() {
            // Contended: hand the lock to a waiter (it stays locked).
            lock.handed.store(true, Ordering::SeqCst);
            if lock.policy.wake_one() {
                return; // the woken thread (or another waiter) takes it
            }
            // Nobody was queued after all: take the hand-over back, unless a waiter
            // already has.
            if !lock.handed.swap(false, Ordering::AcqRel) {
                return;
            }
        }
        lock.locked.store(false, Ordering::SeqCst);
        // Uncontended (the common case): nobody to wake, no queue to touch.
        if lock.policy.has_waiters() {
            lock.policy.wake_one();
        }
    }
}

/// A value computed once, the first time it is asked for.
pub struct Once<T> {
    state: AtomicU8, // 0 = empty, 1 = running, 2 = ready
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value is written once, before state 2 is published with Release, and only
// read after state 2 is observed with Acquire.
unsafe impl<T: Send + Sync> Sync for Once<T> {}

impl<T> Once<T> {
    pub const fn new() -> Self {
        Once {
            state: AtomicU8::new(0),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The value, computing it with `f` if this is the first call.
    pub fn call_once(&self, f: impl FnOnce() -> T) -> &T {
        if self
            .state
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Acquire)
            .is_ok()
        {
            // SAFETY: state 1 gives this caller exclusive access to the slot.
            unsafe { (*self.value.get()).write(f()) };
            self.state.store(2, Ordering::Release);
        }
        while self.state.load(Ordering::Acquire) != 2 {
            core::hint::spin_loop();
        }
        // SAFETY: state 2 means the slot was written and is never written again.
        unsafe { (*self.value.get()).assume_init_ref() }
    }

    /// The value, if it has been computed.
    pub fn get(&self) -> Option<&T> {
        if self.state.load(Ordering::Acquire) == 2 {
            // SAFETY: as in call_once.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }
}

impl<T> Drop for Once<T> {
    fn drop(&mut self) {
        if *self.state.get_mut() == 2 {
            // SAFETY: state 2 means the slot holds an initialised value, and `&mut self`
            // means nobody can be reading it.
            unsafe { self.value.get_mut().assume_init_drop() };
        }
    }
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A function pointer that is read without a lock and swapped while others read it
/// (a registry's handler, looked at on every call, written at registration).
///
/// `F` must be a function-pointer type (checked: the size of a `usize`); a stored
/// value is its bits in one atomic word, 0 for none (a function pointer is never 0).
pub struct AtomicFn<F: Copy> {
    bits: core::sync::atomic::AtomicUsize,
    _f: core::marker::PhantomData<F>,
}

impl<F: Copy> AtomicFn<F> {
    const FITS: () = assert!(
        core::mem::size_of::<F>() == core::mem::size_of::<usize>()
            && core::mem::align_of::<F>() == core::mem::align_of::<usize>()
    );

    pub const fn none() -> Self {
        AtomicFn {
            bits: core::sync::atomic::AtomicUsize::new(0),
            _f: core::marker::PhantomData,
        }
    }

    pub fn store(&self, f: Option<F>) {
        let () = Self::FITS;
        // SAFETY: `F` is exactly a word (FITS), Copy, so its bits are a usize.
        let bits = f.map_or(0, |f| unsafe { core::mem::transmute_copy::<F, usize>(&f) });
        self.bits.store(bits, Ordering::Release);
    }

    pub fn load(&self) -> Option<F> {
        let () = Self::FITS;
        let bits = self.bits.load(Ordering::Acquire);
        // SAFETY: a word other than 0 was stored by `store` from a valid `F` of the
        // same size: these are its bits again.
        (bits != 0).then(|| unsafe { core::mem::transmute_copy::<usize, F>(&bits) })
    }
}
