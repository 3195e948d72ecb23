//! Per-CPU data: what each processor keeps for itself, reached through the GS segment.
//!
//! Every CPU has one [`PerCpu`] slot in a static table of [`MAX_CPUS`]. A CPU's
//! `IA32_GS_BASE` holds the address of its own slot while it runs kernel code, so
//! `gs:OFFSET` is *this CPU's* field in one instruction, with no lock and no CPU number
//! to look up, and the same kernel code runs unchanged on every CPU:
//!
//! | field            | who reads it                                              |
//! |------------------|-----------------------------------------------------------|
//! | `this`           | Rust code, to find the slot (`gs:0`)                      |
//! | `kstack_top`     | the `syscall` and trap stubs, on an entry from user mode  |
//! | `kstack_limit`   | the trap stub (room left on the stack), fault reports     |
//! | `user_rsp`       | the `syscall` stub: the user's stack pointer, kept a moment |
//! | `current`        | the lock-free "running task" accessors in [`crate::task`] |
//!
//! plus the running task's owning reference, the task switched away from, this CPU's
//! GDT and TSS, and the bounds of its IST stacks.
//!
//! **swapgs.** User mode has a GS of its own (base 0: dinos gives programs no way to
//! change it), so the kernel's GS base is swapped in on every entry from user mode and
//! out on every return: `swapgs` exchanges `IA32_GS_BASE` with `IA32_KERNEL_GS_BASE`.
//! The `syscall` stub always swaps (only user mode executes `syscall`); the trap stub
//! swaps when the interrupted code was ring 3 (the saved CS says so), on the way in and
//! again on the way out. The one window where ring-0 code runs on the user's GS is the
//! first instruction of the `syscall` stub and the last few before its `iretq`, with
//! interrupts masked: only an NMI or a machine check could arrive there, and both are
//! fatal in dinos anyway.
//!
//! For the layers above, [`CpuLocal`] is a value per CPU reached safely: the caller's
//! closure runs with interrupts off, so the thread cannot move to another CPU (or be
//! interrupted by code that uses the same value) while it holds the reference.

use crate::sync::{IrqGuard, SpinLock};
use crate::task::Task;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
pub use x86::acpi::MAX_CPUS;
use x86::descriptors::Tss;

/// One CPU's own data. `repr(C)` and the first five fields' offsets are part of the
/// contract with the entry stubs, which name them through `offset_of!`.
#[repr(C)]
pub(crate) struct PerCpu {
    /// The slot's own address (so `gs:0` gives Rust a pointer to it).
    this: AtomicU64,
    /// Top and lowest usable address of the running thread's kernel stack.
    pub(crate) kstack_top: AtomicU64,
    pub(crate) kstack_limit: AtomicU64,
    /// The user's `rsp` while the `syscall` stub switches stacks.
    pub(crate) user_rsp: AtomicU64,
    /// The running task, as a plain pointer (the same task as `current_arc`).
    pub(crate) current: AtomicPtr<Task>,
    /// This CPU's number (0 for the boot CPU) and its local APIC id.
    index: AtomicU32,
    apic_id: AtomicU32,
    /// Has this CPU finished its bring-up?
    online: AtomicBool,
    /// The page-table root this CPU has loaded (recorded before each CR3 load, so that
    /// a TLB shootdown knows which CPUs may cache a user table's entries).
    pub(crate) active_root: AtomicU64,
    /// Another CPU asked this one to flush its TLB (see `smp::shootdown`).
    pub(crate) flush_pending: AtomicBool,
    /// Another CPU asked this one to flush before its next switch, with no IPI and
    /// not waiting (a freed kernel stack, `smp::shootdown_lazy`). Apart from
    /// `flush_pending`, which a requester waits on: a lazy request landing on the same
    /// flag kept a requester waiting for a CPU spinning in user mode (no switch, no
    /// IPI to come), for good.
    pub(crate) lazy_flush: AtomicBool,
    /// The spinlocks this CPU holds, for the lock-order checker (`lockcheck.rs`).
    pub(crate) lockcheck: crate::lockcheck::Held,
    /// The running task's reference, which keeps it alive while it runs.
    pub(crate) current_arc: SpinLock<Option<Arc<Task>>>,
    /// The task that switched to the running one, dropped by it after the switch.
    pub(crate) prev: SpinLock<Option<Arc<Task>>>,
    /// The bounds `[bottom, top)` of the IST stacks (slots 1-4).
    ist: [(AtomicU64, AtomicU64); 4],
    /// This CPU's descriptor tables, which its own GDTR and TR point at.
    pub(crate) tables: CpuTables,
    /// Calls into module code begun on this CPU less those ended on it
    /// (`module::call_entry`: `inc`/`dec gs:[MODULE_CALLS]`, one instruction each).
    pub(crate) module_calls: AtomicU64,
}

/// A CPU's GDT and TSS. The CPU itself reads them (on a privilege change, an interrupt,
/// a segment load); Rust code writes them only on the CPU they belong to.
pub(crate) struct CpuTables {
    pub(crate) gdt: UnsafeCell<[u64; 7]>,
    pub(crate) tss: UnsafeCell<Tss>,
}

// SAFETY: a CPU's tables are written only by that CPU (at its bring-up, and TSS.rsp0 on
// its own task switches, interrupts off), so no two CPUs ever access the same cell
// concurrently from Rust; the processor's own reads are what the tables are for.
unsafe impl Sync for CpuTables {}

impl PerCpu {
    const fn new() -> Self {
        PerCpu {
            this: AtomicU64::new(0),
            kstack_top: AtomicU64::new(0),
            kstack_limit: AtomicU64::new(0),
            user_rsp: AtomicU64::new(0),
            current: AtomicPtr::new(core::ptr::null_mut()),
            index: AtomicU32::new(0),
            apic_id: AtomicU32::new(0),
            online: AtomicBool::new(false),
            active_root: AtomicU64::new(0),
            flush_pending: AtomicBool::new(false),
            lazy_flush: AtomicBool::new(false),
            lockcheck: crate::lockcheck::Held::new(),
            current_arc: SpinLock::new(None),
            prev: SpinLock::new(None),
            ist: [const { (AtomicU64::new(0), AtomicU64::new(0)) }; 4],
            tables: CpuTables {
                gdt: UnsafeCell::new(x86::descriptors::GDT),
                tss: UnsafeCell::new(Tss::new()),
            },
            module_calls: AtomicU64::new(0),
        }
    }

    /// The bounds of IST stack `n` (1-based).
    pub(crate) fn ist_stack(&self, n: u8) -> (u64, u64) {
        let (lo, hi) = &self.ist[n as usize - 1];
        (lo.load(Ordering::Relaxed), hi.load(Ordering::Relaxed))
    }

    pub(crate) fn set_ist_stack(&self, n: u8, (bottom, top): (u64, u64)) {
        let (lo, hi) = &self.ist[n as usize - 1];
        lo.store(bottom, Ordering::Relaxed);
        hi.store(top, Ordering::Relaxed);
    }

    pub(crate) fn index(&self) -> usize {
        self.index.load(Ordering::Relaxed) as usize
    }
}

/// Offsets of the fields the entry stubs read (`gs:OFFSET`).
pub(crate) const KSTACK_TOP: usize = core::mem::offset_of!(PerCpu, kstack_top);
pub(crate) const KSTACK_LIMIT: usize = core::mem::offset_of!(PerCpu, kstack_limit);
pub(crate) const USER_RSP: usize = core::mem::offset_of!(PerCpu, user_rsp);
pub(crate) const CURRENT: usize = core::mem::offset_of!(PerCpu, current);
pub(crate) const MODULE_CALLS: usize = core::mem::offset_of!(PerCpu, module_calls);

static CPUS: [PerCpu; MAX_CPUS] = [const { PerCpu::new() }; MAX_CPUS];
/// How many CPUs have come online (the boot CPU counts from its first instruction).
static ONLINE: AtomicUsize = AtomicUsize::new(1);

/// Point this CPU's GS base at slot `index` (the kernel's GS) and make the user's GS
/// base 0. The first thing each CPU does in Rust.
pub(crate) fn init_this_cpu(index: usize, apic_id: u32) {
    let slot = &CPUS[index];
    slot.this
        .store(slot as *const PerCpu as u64, Ordering::Relaxed);
    slot.index.store(index as u32, Ordering::Relaxed);
    slot.apic_id.store(apic_id, Ordering::Relaxed);
    #[cfg(dinos_kernel)]
    // SAFETY: GS_BASE gets the address of this CPU's own static slot, which lives for
    // ever; KERNEL_GS_BASE gets 0, the user's GS base, swapped in on the way to user
    // mode. Nothing reads `gs:` before this point.
    unsafe {
        use x86::regs::msr;
        crate::cpu::wrmsr(msr::GS_BASE, slot as *const PerCpu as u64);
        crate::cpu::wrmsr(msr::KERNEL_GS_BASE, 0);
    }
}

/// This CPU's slot.
#[inline(always)]
pub(crate) fn this() -> &'static PerCpu {
    #[cfg(dinos_kernel)]
    {
        let p: u64;
        // SAFETY: reads `gs:0`, which `init_this_cpu` made this CPU's slot address
        // before any kernel code that calls this runs (it is the first thing each CPU
        // does), and which kernel code always sees (swapgs restores it on every entry).
        unsafe {
            core::arch::asm!("mov {}, gs:[0]", out(reg) p, options(nostack, readonly, preserves_flags));
            &*(p as *const PerCpu)
        }
    }
    #[cfg(not(dinos_kernel))]
    &CPUS[0]
}

/// The running task on this CPU, as a pointer (null before the boot task is adopted):
/// one load from `gs:`, so it is right even if the thread moves to another CPU between
/// two calls.
#[inline(always)]
pub(crate) fn current_ptr() -> *const Task {
    #[cfg(dinos_kernel)]
    {
        let p: *const Task;
        // SAFETY: as in `this`: `gs:CURRENT` is this CPU's `current` field, an
        // aligned pointer-sized atomic that only its own CPU writes.
        unsafe {
            core::arch::asm!("mov {}, gs:[{off}]", out(reg) p, off = const CURRENT,
                options(nostack, readonly, preserves_flags))
        };
        p
    }
    #[cfg(not(dinos_kernel))]
    CPUS[0].current.load(Ordering::Acquire)
}

/// Slot `index`, for the CPU that brings it up.
pub(crate) fn slot(index: usize) -> &'static PerCpu {
    &CPUS[index]
}

/// Mark this CPU online (the last step of its bring-up).
pub(crate) fn set_online() {
    let me = this();
    if !me.online.swap(true, Ordering::AcqRel) && me.index() != 0 {
        ONLINE.fetch_add(1, Ordering::AcqRel);
    }
}

/// The slots of the CPUs that are online, this one included.
pub(crate) fn online_slots() -> impl Iterator<Item = &'static PerCpu> {
    CPUS.iter().filter(|c| c.online.load(Ordering::Acquire))
}

impl PerCpu {
    pub(crate) fn apic_id(&self) -> u8 {
        self.apic_id.load(Ordering::Relaxed) as u8
    }
}

/// Has CPU `index` finished its bring-up?
pub(crate) fn is_online(index: usize) -> bool {
    CPUS[index].online.load(Ordering::Acquire)
}

/// The number of the CPU this code runs on (0 is the boot CPU). A thread may move to
/// another CPU right after the call: use it for reports, not to index data.
pub fn cpu_index() -> usize {
    this().index()
}

/// The local APIC id of the CPU this code runs on.
pub fn apic_id() -> u32 {
    this().apic_id.load(Ordering::Relaxed)
}

/// How many CPUs are running (the boot CPU and every started one).
pub fn cpus_online() -> usize {
    ONLINE.load(Ordering::Acquire)
}

/// A value of type `T` for each CPU, each CPU reaching only its own.
///
/// [`with`](Self::with) runs a closure on this CPU's value with interrupts off: the
/// thread cannot be switched to another CPU while it holds the reference, and no
/// interrupt handler on this CPU runs in between. So `T` need not be `Sync` (a `Cell`
/// counter is fine); it must be `Send`, as the values are made on the boot CPU.
pub struct CpuLocal<T> {
    values: [T; MAX_CPUS],
}

// SAFETY: each value is reached only by its own CPU (`with` indexes by the running CPU
// with interrupts off), so it is never shared between CPUs; `T: Send` covers it having
// been made on another one.
unsafe impl<T: Send> Sync for CpuLocal<T> {}

impl<T> CpuLocal<T> {
    /// One value per CPU (const: usable in a `static`).
    pub const fn new(values: [T; MAX_CPUS]) -> Self {
        CpuLocal { values }
    }

    /// Run `f` on this CPU's value, interrupts off.
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let _irq = IrqGuard::new();
        f(&self.values[cpu_index()])
    }
}

impl<T: Sync> CpuLocal<T> {
    /// Every CPU's value, to read them all (a `Sync` `T`: atomics, for statistics).
    pub fn all(&self) -> &[T; MAX_CPUS] {
        &self.values
    }
}

const _: () = {
    // The stubs rely on these exact offsets being distinct, 8-byte aligned slots.
    assert!(KSTACK_TOP == 8 && KSTACK_LIMIT == 16 && USER_RSP == 24 && CURRENT == 32);
};
