//! Kernel stacks and the context switch: the mechanism under `task`'s scheduler.
//!
//! A [`Task`] is a kernel stack plus the stack pointer saved when the task is not
//! running. Switching is a function call: [`switch_to`] pushes the callee-saved registers
//! (`rbx, rbp, r12-r15`) on the old stack, stores `rsp`, loads the new task's `rsp`, pops
//! its registers and returns on the new stack. Nothing else needs saving:
//!
//! - the caller-saved registers, XMM0-15 included, are dead across any call by the
//!   System V ABI, so a voluntary switch needn't keep them;
//! - a *preempted* task was switched from inside the timer handler, whose entry stub has
//!   already saved every register and the FPU/SSE state in its trap frame (see `trap`).
//!
//! Each kernel stack lives in its own slot of the stack region with an unmapped guard
//! page below it, so an overflow faults on the guard page and is reported as such.
//!
//! Lifetime rule: the task that switches away hands its own `Arc` to the next one, which
//! drops it after the switch ([`finish_switch`]). A task that has exited is therefore
//! freed (stack unmapped, frames returned) by its successor, never while running on it.

use crate::addr::{VirtAddr, KSTACK_BASE, PAGE_SIZE};
use crate::paging::{PageFlags, PageSize, PageTable};
use crate::sync::{IrqGuard, SpinLock};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::{Any, TypeId};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Pages of one kernel stack (the guard page comes in addition).
pub const STACK_PAGES: u64 = 8;
const SLOT_SIZE: u64 = (STACK_PAGES + 1) * PAGE_SIZE;

#[cfg(dinos_kernel)]
core::arch::global_asm!(
    r#"
    .section .text.switch, "ax"
    .global hal_switch_context
hal_switch_context:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

    .global hal_task_trampoline
hal_task_trampoline:
    and rsp, -16
    call hal_task_start
    ud2
"#
);

#[cfg(dinos_kernel)]
extern "C" {
    fn hal_switch_context(save_rsp: *mut u64, load_rsp: u64);
    fn hal_task_trampoline();
}

/// A kernel stack with a guard page, mapped in the kernel half.
pub struct KernelStack {
    slot: usize,
}

static FREE_SLOTS: SpinLock<(Vec<usize>, usize)> = SpinLock::new((Vec::new(), 0));

impl KernelStack {
    /// Map a fresh stack (frames from mm's allocator). `None` when out of memory.
    pub fn new() -> Option<Self> {
        let slot = {
            let mut s = FREE_SLOTS.lock();
            match s.0.pop() {
                Some(slot) => slot,
                None => {
                    s.1 += 1;
                    s.1 - 1
                }
            }
        };
        let stack = KernelStack { slot };
        let base = stack.bottom();
        for i in 0..STACK_PAGES {
            // Not zeroed: a kernel stack is written before it is read, and its old
            // contents are never visible to user mode (that would cost 4 KiB of stores
            // per page on every thread creation).
            let frame = match crate::paging::alloc_frame() {
                Some(f) => f,
                None => {
                    stack.release(i);
                    return None;
                }
            };
            let ok = crate::paging::with_kernel_table(|t| {
                t.map(
                    VirtAddr(base + i * PAGE_SIZE),
                    frame,
                    PageSize::Size4K,
                    PageFlags::WRITABLE | PageFlags::NO_EXECUTE | PageFlags::GLOBAL,
                )
            });
            if ok != Some(Ok(())) {
                crate::paging::free_frame(frame);
                stack.release(i);
                return None;
            }
        }
        // A CPU may still cache a translation of these addresses from the stack that
        // had this slot before (its release flushed lazily): flush it here, before
        // the creator writes the first frame. Interrupts off: the flag and the flush
        // must be this CPU's.
        {
            let _irq = IrqGuard::new();
            crate::smp::poll_shootdown_if_pending();
        }
        Some(stack)
    }

    /// Lowest address of the stack (just above the guard page).
    pub fn bottom(&self) -> u64 {
        KSTACK_BASE + self.slot as u64 * SLOT_SIZE + PAGE_SIZE
    }

    /// One past the highest address of the stack.
    pub fn top(&self) -> u64 {
        self.bottom() + STACK_PAGES * PAGE_SIZE
    }

    /// Unmap the first `mapped` pages and return the slot.
    ///
    /// The other CPUs' TLBs are flushed lazily (`smp::shootdown_lazy`): a stack's
    /// addresses are used only by the CPU that runs its thread (and by the one that
    /// makes its first frame), and every CPU flushes, if asked, before it switches to a
    /// thread ([`switch_to`]) and after it maps a new stack ([`KernelStack::new`]). So
    /// no CPU is interrupted or waited for here. (Eight shootdowns by IPI per exiting
    /// thread, each waiting for every CPU, made a four-CPU `usertests` several times
    /// slower; docs/smp.md, "Where the time went".) Linux's vmalloc defers the flush of
    /// freed kernel mappings the same way (`lazy_max_pages`).
    fn release(&self, mapped: u64) {
        let mut frames = [None; STACK_PAGES as usize];
        for (i, slot) in frames.iter_mut().enumerate().take(mapped as usize) {
            let va = VirtAddr(self.bottom() + i as u64 * PAGE_SIZE);
            if let Some(Ok(frame)) = crate::paging::with_kernel_table(|t| t.unmap_local(va)) {
                *slot = Some(frame);
            }
        }
        // Before the frames or the slot can be reused: every other CPU is to flush.
        crate::smp::shootdown_lazy();
        for frame in frames.into_iter().flatten() {
            crate::paging::free_frame(frame);
        }
        FREE_SLOTS.lock().0.push(self.slot);
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        self.release(STACK_PAGES);
    }
}

/// A user page table shared between the task that runs in it and the memory manager
/// that edits it.
pub type UserTable = Arc<SpinLock<PageTable>>;

/// A schedulable kernel context.
pub struct Task {
    /// The `rsp` saved when switched out.
    rsp: AtomicU64,
    /// `None` for a CPU's boot task, which runs on the stack that CPU booted on.
    stack: Option<KernelStack>,
    /// That boot stack's bounds (for a task with a `KernelStack`, unused).
    boot_bounds: (u64, u64),
    entry: SpinLock<Option<Box<dyn FnOnce() -> AfterStart + Send>>>,
    /// The user address space this task runs in, if any (loaded into CR3 on switch).
    address_space: SpinLock<Option<UserTable>>,
    /// That table's root (0: the kernel table), read without locks on every switch.
    cr3: AtomicU64,
    /// What the upper layers hang on the task (the process it belongs to), set once.
    owner: crate::sync::Once<Owner>,
    /// "Look at me on the way back to user mode" (a signal may be deliverable): set by
    /// whoever posts one, tested and cleared without locks on every return.
    notify: core::sync::atomic::AtomicBool,
    /// The system-call dispatcher of the program this task runs (its personality's
    /// table), as a `SyscallHandler` address (by default one that answers ENOSYS). Like
    /// the service-table
    /// pointer NT keeps in each thread: choosing the ABI costs one load per call.
    syscall: AtomicUsize,
    /// System calls this task has made (counted on entry).
    syscalls: AtomicU64,
    /// Is a CPU running on this task's stack? Set by the CPU that switches to it,
    /// cleared by the task that follows it on that CPU once the switch is complete, so
    /// that no other CPU loads the task's registers before they are saved.
    on_cpu: core::sync::atomic::AtomicBool,
    /// The user `%fs` base (the thread pointer static Linux programs set with
    /// `arch_prctl(ARCH_SET_FS)`; 0 for dinos programs). Loaded on every switch that
    /// changes it; always a user address (checked by [`set_user_fs_base`]).
    fs_base: AtomicU64,
    /// The owner's identifier (the `task` layer's thread id).
    pub id: u64,
}

impl Task {
    /// Give this task a user address space (or none: kernel only). If the task is the
    /// running one, the new table is loaded at once.
    pub fn set_address_space(&self, table: Option<UserTable>) {
        if let Some(t) = &table {
            assert!(
                t.lock().is_user(),
                "a task's address space must be a user table"
            );
        }
        let running = core::ptr::eq(crate::percpu::current_ptr(), self);
        let root = table.as_ref().map_or(0, |t| t.lock().root().as_u64());
        let old = core::mem::replace(&mut *self.address_space.lock(), table);
        self.cr3.store(root, Ordering::SeqCst);
        if running {
            self.load_address_space();
        }
        drop(old); // after the switch away from it, so it is no longer active
    }

    fn load_address_space(&self) {
        match self.cr3.load(Ordering::SeqCst) {
            0 => crate::paging::activate_kernel_table(),
            root => {
                if crate::cpu::read_cr3() & x86::paging::ADDR_MASK != root {
                    // SAFETY: `root` is the root of the user table held in
                    // `address_space` (set together, above), alive as long as this
                    // task holds it; a user table shares the kernel half, so this code
                    // and stack stay mapped.
                    unsafe { crate::paging::load_cr3(root) };
                }
            }
        }
    }

    /// Is a CPU still on this task's stack (running it, or not yet done switching away
    /// from it)? The scheduler does not pick such a task for another CPU: that CPU
    /// would spin in [`switch_to`] with interrupts off until the first one is done, and
    /// two CPUs that each picked the other's outgoing task waited for each other for
    /// good (docs/smp.md, "Races found").
    pub fn on_cpu(&self) -> bool {
        self.on_cpu.load(Ordering::Acquire)
    }

    /// The `rsp` saved when it was last switched out (0 before it first ran).
    pub fn saved_rsp(&self) -> u64 {
        self.rsp.load(Ordering::Acquire)
    }

    /// The bounds `[bottom, top)` of this task's stack.
    pub fn stack_bounds(&self) -> (u64, u64) {
        match &self.stack {
            Some(s) => (s.bottom(), s.top()),
            None => self.boot_bounds,
        }
    }
}

/// The bounds of the boot stack.
pub fn boot_stack() -> (u64, u64) {
    #[cfg(dinos_kernel)]
    {
        extern "C" {
            static __boot_stack_bottom: u8;
            static __boot_stack_top: u8;
        }
        (
            (&raw const __boot_stack_bottom) as u64,
            (&raw const __boot_stack_top) as u64,
        )
    }
    #[cfg(not(dinos_kernel))]
    (0, 0)
}

// The running task is per CPU ([`crate::percpu`]): `current_arc` holds its reference,
// `current` the same task as a plain pointer for the lock-free accessors below (changed
// only by `switch_to`, interrupts off, always to the task `current_arc` holds), and
// `prev` the task switched away from until the next one has dropped it.

/// Run `f` on the running task without taking a lock or a reference count.
fn with_current<R>(f: impl FnOnce(&Task) -> R) -> Option<R> {
    let p = crate::percpu::current_ptr();
    if p.is_null() {
        return None;
    }
    // SAFETY: a CPU's `current` always points at the task its `current_arc` holds
    // (switch_to updates both with interrupts off, on that CPU), and that Arc keeps it
    // alive at least until the task is switched away from, which cannot happen during
    // `f` without it stopping being the running code. The pointer was read in one
    // load from this CPU's slot, so it names the task running this code.
    Some(f(unsafe { &*p }))
}

/// Record `[bottom, top)` as the running thread's kernel stack on this CPU: where the
/// entry stubs put a frame from user mode, and what the trap stub and fault reports
/// check for room.
pub(crate) fn set_cpu_stack((bottom, top): (u64, u64)) {
    let cpu = crate::percpu::this();
    cpu.kstack_top.store(top, Ordering::SeqCst);
    cpu.kstack_limit.store(bottom, Ordering::SeqCst);
    crate::cpu::set_kernel_stack(top);
}

static EXIT_HOOK: AtomicUsize = AtomicUsize::new(0);

/// Turn the code running on this CPU's boot stack into task `id` (once per CPU).
pub fn adopt_boot_task(id: u64) -> Arc<Task> {
    let t = Arc::new(Task {
        rsp: AtomicU64::new(0),
        stack: None,
        boot_bounds: {
            let cpu = crate::percpu::this();
            (
                cpu.kstack_limit.load(Ordering::SeqCst),
                cpu.kstack_top.load(Ordering::SeqCst),
            )
        },
        entry: SpinLock::new(None),
        address_space: SpinLock::new(None),
        cr3: AtomicU64::new(0),
        owner: crate::sync::Once::new(),
        notify: core::sync::atomic::AtomicBool::new(false),
        syscall: AtomicUsize::new(crate::user::no_syscalls as *const () as usize),
        syscalls: AtomicU64::new(0),
        on_cpu: core::sync::atomic::AtomicBool::new(true),
        fs_base: AtomicU64::new(0),
        id,
    });
    let cpu = crate::percpu::this();
    cpu.current
        .store(Arc::as_ptr(&t) as *mut Task, Ordering::SeqCst);
    let mut cur = cpu.current_arc.lock();
    assert!(cur.is_none(), "boot task adopted twice");
    *cur = Some(t.clone());
    t
}

/// What a task's entry function does when it returns: the scheduler's exit path.
pub fn set_exit_hook(hook: fn() -> !) {
    EXIT_HOOK.store(hook as usize, Ordering::SeqCst);
}

/// A new task that will run `entry` the first time it is switched to.
/// What a task does when its entry function returns. Entering user mode happens here,
/// after the entry function (and its boxed environment) is gone, because that path
/// never comes back: anything still owned by a frame on it would never be freed.
pub enum AfterStart {
    /// The task is finished (the exit hook runs).
    Exit,
    /// Start a program: user mode at `rip` with stack `rsp`, registers zero.
    EnterUser { rip: u64, rsp: u64 },
    /// Resume a copy of another thread's user state (fork).
    EnterUserFrame(Box<(crate::trap::TrapFrame, crate::user::FpuState)>),
}

pub fn new_task(id: u64, entry: Box<dyn FnOnce() -> AfterStart + Send>) -> Option<Arc<Task>> {
    let stack = KernelStack::new()?;
    // Initial frame for hal_switch_context: six callee-saved registers, then the
    // return address (the trampoline).
    let frame_top = stack.top() - 8;
    let rsp = frame_top - 7 * 8;
    #[cfg(dinos_kernel)]
    {
        let words: [u64; 7] = [0, 0, 0, 0, 0, 0, hal_task_trampoline as *const () as u64];
        // SAFETY: the 7 words lie inside the freshly mapped stack, which nothing else
        // references yet.
        unsafe { core::ptr::copy_nonoverlapping(words.as_ptr(), rsp as *mut u64, 7) };
    }
    Some(Arc::new(Task {
        rsp: AtomicU64::new(rsp),
        stack: Some(stack),
        boot_bounds: (0, 0),
        entry: SpinLock::new(Some(entry)),
        address_space: SpinLock::new(None),
        cr3: AtomicU64::new(0),
        owner: crate::sync::Once::new(),
        notify: core::sync::atomic::AtomicBool::new(false),
        syscall: AtomicUsize::new(crate::user::no_syscalls as *const () as usize),
        syscalls: AtomicU64::new(0),
        on_cpu: core::sync::atomic::AtomicBool::new(false),
        fs_base: AtomicU64::new(0),
        id,
    }))
}

/// The running task.
pub fn current() -> Arc<Task> {
    crate::percpu::this()
        .current_arc
        .lock()
        .as_ref()
        .expect("no current task: adopt_boot_task not called")
        .clone()
}

/// The running task's id, without locks or reference counts.
pub fn current_id() -> u64 {
    with_current(|t| t.id).unwrap_or(0)
}

/// A task's owner object with its concrete type, recorded when it is attached, so that
/// finding the running process on every system call is one comparison of type ids
/// instead of `Any::downcast_ref`'s call through the vtable.
struct Owner {
    ty: TypeId,
    obj: Arc<dyn Any + Send + Sync>,
}

impl Owner {
    fn get<T: Any>(&self) -> Option<&T> {
        if self.ty != TypeId::of::<T>() {
            return None;
        }
        // SAFETY: `ty` is the type id of the object `obj` was made from (`set_owner` is
        // generic over it), and it equals T's, so the data pointer points at a live T,
        // kept alive by `obj` at least as long as `self` is borrowed.
        Some(unsafe { &*(Arc::as_ptr(&self.obj) as *const T) })
    }

    fn get_arc<T: Any>(&self) -> Option<Arc<T>> {
        self.get::<T>()?;
        let raw = Arc::into_raw(self.obj.clone()) as *const T;
        // SAFETY: as in `get`, the object is a T; `raw` comes from `Arc::into_raw` of an
        // `Arc<dyn Any>` made from an `Arc<T>` by unsized coercion, which is what
        // `Arc::from_raw` requires. The clone's count is the one the new Arc owns.
        Some(unsafe { Arc::from_raw(raw) })
    }
}

impl Task {
    /// Attach the upper layer's object (once; later calls are ignored).
    pub fn set_owner<T: Any + Send + Sync>(&self, owner: Arc<T>) {
        self.owner.call_once(|| Owner {
            ty: TypeId::of::<T>(),
            obj: owner,
        });
    }

    /// Ask the running-or-not task to look at its pending work before it next returns
    /// to user mode.
    pub fn notify(&self) {
        self.notify.store(true, Ordering::Release);
    }
}

impl Task {
    /// How many system calls this task has made.
    pub fn syscalls(&self) -> u64 {
        self.syscalls.load(Ordering::Relaxed)
    }

    /// Set the system-call dispatcher for this task (None: every call is ENOSYS).
    pub fn set_syscall_handler(&self, h: Option<crate::user::SyscallHandler>) {
        let h = h.unwrap_or(crate::user::no_syscalls);
        self.syscall
            .store(h as *const () as usize, Ordering::Release);
    }
}

/// The running task's user `%fs` base.
pub fn user_fs_base() -> u64 {
    with_current(|t| t.fs_base.load(Ordering::Relaxed)).unwrap_or(0)
}

/// Set the running task's user `%fs` base, at once and on every later switch to it.
/// Only user addresses are accepted (a non-canonical value would fault `wrmsr`, a
/// kernel one would give user code nothing it can use): `Err` for any other.
pub fn set_user_fs_base(base: u64) -> Result<(), crate::user::BadAddress> {
    if base >= crate::user::USER_TOP {
        return Err(crate::user::BadAddress(base));
    }
    let _irq = IrqGuard::new();
    with_current(|t| t.fs_base.store(base, Ordering::Relaxed));
    load_fs_base(base);
    Ok(())
}

fn load_fs_base(base: u64) {
    #[cfg(dinos_kernel)]
    // SAFETY: FS_BASE exists on every x86_64 CPU; `base` is a canonical user address
    // (checked by the callers), and the kernel never addresses memory through %fs.
    unsafe {
        crate::cpu::wrmsr(x86::regs::msr::FS_BASE, base)
    };
    #[cfg(not(dinos_kernel))]
    let _ = base;
}

/// The running task's system-call dispatcher. Called only from the system-call entry,
/// which only user mode reaches, which only runs in the current task.
#[inline(always)]
pub(crate) fn current_syscall_handler() -> crate::user::SyscallHandler {
    let p = crate::percpu::current_ptr();
    // SAFETY: a `syscall` instruction comes from ring 3, which runs only after
    // `switch_to` made a task current (a CPU's `current` is never null once it runs
    // tasks, long before any user mode); that task is alive while it runs. The
    // field holds only values `set_syscall_handler` or `new_task` stored, each a
    // `SyscallHandler`.
    unsafe {
        (*p).syscalls.fetch_add(1, Ordering::Relaxed);
        let h = (*p).syscall.load(Ordering::Acquire);
        core::mem::transmute::<usize, crate::user::SyscallHandler>(h)
    }
}

/// The running task's owner object, if it has one and it is a `T`.
pub fn current_owner<T: Any + Send + Sync>() -> Option<Arc<T>> {
    with_current(|t| t.owner.get()?.get_arc::<T>()).flatten()
}

/// Run `f` on the running task's owner object if it is a `T`, borrowed: no reference
/// count changes, no call through a vtable.
#[inline]
pub fn with_current_owner<T: Any + Send + Sync, R>(f: impl FnOnce(&T) -> R) -> Option<R> {
    with_current(|t| t.owner.get()?.get::<T>().map(f)).flatten()
}

/// Set the running task's notify flag.
pub fn notify_current() {
    with_current(|t| t.notify());
}

/// Test and clear the running task's notify flag.
pub fn take_current_notify() -> bool {
    with_current(|t| t.notify.swap(false, Ordering::AcqRel)).unwrap_or(false)
}

/// Drop the task that switched to us (possibly its last reference).
fn finish_switch() {
    let prev = crate::percpu::this().prev.lock().take();
    if let Some(p) = &prev {
        p.on_cpu.store(false, Ordering::Release);
    }
    drop(prev);
}

/// Switch to `next`. Interrupts must be off (the caller shows its `IrqGuard`): the
/// scheduler's data and the CPU's idea of the current stack must change together.
pub fn switch_to(next: Arc<Task>, irqs_off: &IrqGuard) {
    let cpu = crate::percpu::this();
    cpu.current
        .store(Arc::as_ptr(&next) as *mut Task, Ordering::Release);
    let prev = cpu
        .current_arc
        .lock_irqs_off(irqs_off)
        .replace(next.clone())
        .expect("switch_to before adopt_boot_task");
    if Arc::ptr_eq(&prev, &next) {
        return;
    }
    // Another CPU may still be switching away from `next` (it was woken and queued
    // while it went to sleep there): wait until its registers are saved.
    while next
        .on_cpu
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        crate::smp::poll_shootdown();
        core::hint::spin_loop();
    }
    // A flush asked for lazily (a freed kernel stack, whose slot `next` may now use)
    // is done before this CPU touches `next`'s stack.
    crate::smp::poll_shootdown_if_pending();
    set_cpu_stack(next.stack_bounds());
    next.load_address_space();
    let fs = next.fs_base.load(Ordering::Relaxed);
    if fs != prev.fs_base.load(Ordering::Relaxed) {
        load_fs_base(fs);
    }
    let save = prev.rsp.as_ptr();
    let load = next.rsp.load(Ordering::SeqCst);
    assert!(
        load != 0,
        "switch to a task that never ran and has no frame"
    );
    drop(next);
    *cpu.prev.lock_irqs_off(irqs_off) = Some(prev);
    #[cfg(dinos_kernel)]
    // SAFETY: `save` points into `prev`, kept alive by this CPU's `prev` until the next
    // task has switched (finish_switch); `load` is the saved rsp of `next`, which this
    // CPU's `current_arc` keeps
    // alive, and whose stack holds a frame made by this function or by `new_task`.
    unsafe {
        hal_switch_context(save, load)
    };
    #[cfg(not(dinos_kernel))]
    let _ = (save, load);
    finish_switch();
}

#[cfg_attr(dinos_kernel, no_mangle)]
extern "C" fn hal_task_start() -> ! {
    finish_switch();
    let entry = current().entry.lock().take();
    crate::cpu::enable_interrupts();
    let after = entry.map_or(AfterStart::Exit, |f| f());
    match after {
        AfterStart::Exit => {}
        AfterStart::EnterUser { rip, rsp } => crate::user::enter_user(rip, rsp),
        AfterStart::EnterUserFrame(state) => {
            // Move the state out and free the box *before* leaving: `let (f, s) =
            // *state` alone would free it only when `state` goes out of scope, which a
            // path that never returns never reaches (it leaked 688 bytes per fork).
            let (frame, fpu) = {
                let boxed = state;
                *boxed
            };
            crate::user::enter_user_frame(&frame, &fpu)
        }
    }
    let hook = EXIT_HOOK.load(Ordering::SeqCst);
    if hook != 0 {
        // SAFETY: only `set_exit_hook` stores here, always a `fn() -> !`.
        let hook: fn() -> ! = unsafe { core::mem::transmute(hook) };
        hook();
    }
    crate::kprintln!("task {} returned with no exit hook; halting", current_id());
    crate::cpu::halt_forever()
}
