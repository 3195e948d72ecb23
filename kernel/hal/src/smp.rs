//! Starting the other CPUs: the MADT's list, INIT-SIPI-SIPI, and a real-mode trampoline.
//!
//! A PC starts with one CPU running (the boot CPU, BSP); the others (application
//! processors, APs) wait in a reset state until the boot CPU sends each one, through its
//! local APIC, an INIT interrupt and then a start-up interrupt (SIPI) naming a page below
//! 1 MiB. The AP starts there in 16-bit real mode, like a PC at power-on, so the first
//! code it runs must be real-mode code at a fixed low address: the *trampoline*.
//!
//! The boot, step by step (one AP at a time, so the boot log is in order):
//!
//! 1. At the first Rust instruction the boot CPU reads the ACPI MADT (what CPUs exist,
//!    [`x86::acpi::read_madt`]) while the boot page tables still map all low memory,
//!    and checks that the trampoline's page ([`TRAMPOLINE`]) is usable RAM in the PVH
//!    memory map. mm keeps the first MiB out of the frame allocator, so nothing else
//!    will ever be put there.
//! 2. [`start_other_cpus`] copies the trampoline to that page and maps the page at its
//!    own address (identity) in the kernel's page table, so that the instruction after
//!    "paging on" still exists. For each AP it allocates a kernel stack and four IST
//!    stacks, records them in the AP's per-CPU slot, writes the AP's start block (the
//!    kernel table's root, CR4, the stack, the entry point, the CPU number) at the end
//!    of the page, and sends INIT, then SIPI twice (the second is ignored by a CPU that
//!    already started, as the MP specification intends), and waits for the AP to say
//!    it is online.
//! 3. The AP, in the trampoline: loads a small GDT (32-bit code and data, 64-bit code),
//!    turns on protection, then PAE with the boot CPU's CR4, the kernel's page table,
//!    long mode and no-execute in EFER, and paging; jumps to 64-bit code, loads its
//!    stack and calls [`hal_ap_entry`] in the kernel's higher half.
//! 4. In Rust, the AP points GS at its per-CPU slot, loads its own GDT and TSS (with
//!    its IST stacks), the shared IDT, the `syscall` MSRs, enables its local APIC, says
//!    it is online and runs what the scheduler installed ([`set_ap_main`]: its idle
//!    thread, its timer, threads from the run queue). Device interrupts stay on CPU 0.
//!
//! The module also has the TLB shootdown the paging code calls when a mapping changes
//! with more than one CPU online ([`shootdown`], explained at its definition).
//!
//! When every AP is up, the identity mapping is removed again. If an AP does not answer
//! in time the bring-up stops there and the page stays mapped (a late AP must still find
//! its trampoline), so a broken CPU costs that CPU, never the machine.

use crate::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use crate::boot::BootInfo;
use crate::paging::{PageFlags, PageSize};
use crate::sync::{Once, SpinLock};
use crate::task::KernelStack;
use alloc::vec::Vec;
use x86::acpi::Madt;

/// The physical page the trampoline is copied to (it must be below 1 MiB and
/// page-aligned: a SIPI names it by its page number).
pub const TRAMPOLINE: u64 = 0x8000;
/// Where in the trampoline page the start block lies (the code comes first).
const START_BLOCK: u64 = 0xf00;

/// What the boot CPU leaves in the trampoline page for the AP it starts next.
#[repr(C)]
#[derive(Clone, Copy)]
struct StartBlock {
    /// The kernel page table's root (below 4 GiB: loaded by 32-bit code).
    cr3: u64,
    /// The boot CPU's CR4 (PAE and the SSE bits).
    cr4: u64,
    /// The top of the AP's first stack.
    stack_top: u64,
    /// The address of [`hal_ap_entry`].
    entry: u64,
    /// The AP's CPU number, its argument.
    index: u64,
}

const fn field(offset: usize) -> u64 {
    TRAMPOLINE + START_BLOCK + offset as u64
}

#[cfg(dinos_kernel)]
core::arch::global_asm!(
    r#"
    .section .rodata.ap_trampoline, "a"
    .balign 16
    .global hal_ap_trampoline
    .code16
hal_ap_trampoline:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw $({t} + (ap_gdt_ptr - hal_ap_trampoline)), %bx
    lgdtl (%bx)
    movl %cr0, %eax
    orl $1, %eax                        /* protection on */
    movl %eax, %cr0
    ljmpl $0x08, $({t} + (ap_protected - hal_ap_trampoline))

    .code32
ap_protected:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl {cr4}, %eax                    /* the boot CPU's CR4: PAE, OSFXSR, OSXMMEXCPT */
    movl %eax, %cr4
    movl {cr3}, %eax                    /* the kernel's page table */
    movl %eax, %cr3
    movl ${efer_msr}, %ecx
    rdmsr
    orl ${efer_bits}, %eax              /* long mode, no-execute */
    wrmsr
    movl %cr0, %eax                     /* paging, write-protect, MP; EM off (SSE) */
    andl $~(1 << 2), %eax
    orl $((1 << 31) | (1 << 16) | (1 << 1) | 1), %eax
    movl %eax, %cr0
    ljmpl $0x18, $({t} + (ap_long - hal_ap_trampoline))

    .code64
ap_long:
    movq {stack}, %rsp
    movq {index}, %rdi
    movq {entry}, %rax
    xorl %ebp, %ebp
    call *%rax                          /* hal_ap_entry(index): never returns */
1:  hlt
    jmp 1b

    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF            /* 0x08: 32-bit code */
    .quad 0x00CF92000000FFFF            /* 0x10: data */
    .quad 0x00AF9A000000FFFF            /* 0x18: 64-bit code */
ap_gdt_ptr:
    .word ap_gdt_ptr - ap_gdt - 1
    .long {t} + (ap_gdt - hal_ap_trampoline)
    .global hal_ap_trampoline_end
hal_ap_trampoline_end:
    .code64
"#,
    t = const TRAMPOLINE,
    cr3 = const field(core::mem::offset_of!(StartBlock, cr3)),
    cr4 = const field(core::mem::offset_of!(StartBlock, cr4)),
    stack = const field(core::mem::offset_of!(StartBlock, stack_top)),
    entry = const field(core::mem::offset_of!(StartBlock, entry)),
    index = const field(core::mem::offset_of!(StartBlock, index)),
    efer_msr = const x86::regs::msr::EFER,
    efer_bits = const x86::regs::msr::EFER_LME | x86::regs::msr::EFER_NXE,
    options(att_syntax)
);

/// What the MADT said, and whether the trampoline page is free: read at boot.
struct Found {
    madt: Option<Madt>,
    trampoline_free: bool,
}

static FOUND: Once<Found> = Once::new();

/// The stacks of the started CPUs, kept for the machine's life.
static AP_STACKS: SpinLock<Vec<KernelStack>> = SpinLock::new(Vec::new());

/// Read the MADT under the RSDP and check the trampoline page in the memory map. Runs
/// at boot entry, while the boot page tables map all of low memory (the ACPI tables may
/// lie where mm's table will not map).
pub(crate) fn discover(boot: &BootInfo) {
    FOUND.call_once(|| Found {
        madt: boot
            .rsdp
            .and_then(|r| x86::acpi::read_madt(&crate::boot::BootMemory, r.as_u64())),
        trampoline_free: boot.is_usable(TRAMPOLINE, PAGE_SIZE),
    });
}

/// How many CPUs the firmware describes (at least 1: this one).
pub fn cpus_found() -> usize {
    FOUND
        .get()
        .and_then(|f| f.madt.as_ref())
        .map_or(1, |m| m.apic_ids().len().max(1))
}

/// What became of one CPU [`start_other_cpus`] tried to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuStart {
    /// CPU number `cpu` (APIC id `apic_id`) is up and idle.
    Up { cpu: usize, apic_id: u8 },
    /// The CPU with this APIC id did not come up in time; no further CPU is started.
    NoAnswer { apic_id: u8 },
    /// No memory for its stacks; no further CPU is started.
    NoMemory { apic_id: u8 },
    /// The trampoline's page is not free RAM: no CPU can be started.
    NoTrampolinePage,
}

/// How long an AP has to come online before it is given up.
const ANSWER_NANOS: u64 = 1_000_000_000;

/// Start every other CPU the MADT lists, one at a time, calling `report` for each.
/// Needs the kernel heap and page table (mm) and a calibrated TSC (apic::init).
pub fn start_other_cpus(mut report: impl FnMut(CpuStart)) {
    let Some(Found {
        madt: Some(madt),
        trampoline_free,
    }) = FOUND.get()
    else {
        return;
    };
    let me = crate::cpu::initial_apic_id() as u8;
    let others: Vec<u8> = madt
        .apic_ids()
        .iter()
        .copied()
        .filter(|&id| id != me)
        .collect();
    if others.is_empty() {
        return;
    }
    if !trampoline_free {
        report(CpuStart::NoTrampolinePage);
        return;
    }
    let root = crate::paging::kernel_root();
    assert!(
        root != 0 && root < 0x1_0000_0000,
        "the kernel page table must be installed, below 4 GiB"
    );
    crate::trap::set_handler(crate::apic::TLB_VECTOR, tlb_ipi);
    install_trampoline();
    let mut all_up = true;
    for (n, &apic_id) in others.iter().enumerate() {
        let index = n + 1;
        let result = start_one(index, apic_id, root);
        report(result);
        if !matches!(result, CpuStart::Up { .. }) {
            all_up = false;
            break;
        }
    }
    if all_up {
        remove_trampoline();
    }
}

/// Copy the trampoline into its page and map that page at its own address.
fn install_trampoline() {
    #[cfg(dinos_kernel)]
    {
        extern "C" {
            static hal_ap_trampoline: u8;
            static hal_ap_trampoline_end: u8;
        }
        let start = (&raw const hal_ap_trampoline) as u64;
        let len = (&raw const hal_ap_trampoline_end) as u64 - start;
        assert!(
            len <= START_BLOCK,
            "the AP trampoline overlaps its start block"
        );
        // SAFETY: the source is the trampoline's bytes in the kernel's rodata; the
        // destination is the trampoline page in the direct map (mm maps the first MiB),
        // which `discover` found to be usable RAM and which mm never hands out (the
        // first MiB is kept out of the frame allocator): no Rust object lives there.
        unsafe {
            core::ptr::copy_nonoverlapping(
                start as *const u8,
                PhysAddr(TRAMPOLINE).to_virt().as_u64() as *mut u8,
                len as usize,
            )
        };
    }
    let mapped = crate::paging::with_kernel_table(|t| {
        t.map(
            VirtAddr(TRAMPOLINE),
            PhysAddr(TRAMPOLINE),
            PageSize::Size4K,
            PageFlags::empty(),
        )
    });
    assert!(
        matches!(mapped, Some(Ok(()))),
        "cannot map the AP trampoline: {mapped:?}"
    );
}

/// Remove the trampoline's identity mapping (the page itself is low memory, not a frame
/// of the allocator: nothing is freed). The APs never touch that address again.
fn remove_trampoline() {
    let _ = crate::paging::with_kernel_table(|t| t.unmap(VirtAddr(TRAMPOLINE)));
}

/// Start CPU number `index`, APIC id `apic_id`, and wait for it.
fn start_one(index: usize, apic_id: u8, root: u64) -> CpuStart {
    let mut stacks = Vec::new();
    for _ in 0..5 {
        match KernelStack::new() {
            Some(s) => stacks.push(s),
            None => return CpuStart::NoMemory { apic_id },
        }
    }
    let slot = crate::percpu::slot(index);
    for n in 1..=4u8 {
        let s = &stacks[n as usize];
        slot.set_ist_stack(n, (s.bottom(), s.top()));
    }
    let boot_stack = (stacks[0].bottom(), stacks[0].top());
    slot.kstack_limit
        .store(boot_stack.0, core::sync::atomic::Ordering::SeqCst);
    slot.kstack_top
        .store(boot_stack.1, core::sync::atomic::Ordering::SeqCst);
    write_start_block(&StartBlock {
        cr3: root,
        cr4: crate::cpu::read_cr4(),
        stack_top: boot_stack.1,
        entry: ap_entry_address(),
        index: index as u64,
    });
    AP_STACKS.lock().extend(stacks);
    let page = (TRAMPOLINE / PAGE_SIZE) as u8;
    crate::apic::send_init(apic_id);
    crate::apic::delay_micros(200);
    crate::apic::send_startup(apic_id, page);
    crate::apic::delay_micros(200);
    if !crate::percpu::is_online(index) {
        crate::apic::send_startup(apic_id, page);
    }
    let deadline = crate::apic::nanos_since_boot() + ANSWER_NANOS;
    while !crate::percpu::is_online(index) {
        if crate::apic::nanos_since_boot() > deadline {
            return CpuStart::NoAnswer { apic_id };
        }
        core::hint::spin_loop();
    }
    CpuStart::Up {
        cpu: index,
        apic_id,
    }
}

fn write_start_block(block: &StartBlock) {
    let at = PhysAddr(TRAMPOLINE + START_BLOCK).to_virt().as_u64() as *mut StartBlock;
    // SAFETY: the start block lies in the trampoline page (in the direct map, owned by
    // this module, see install_trampoline), after the code (checked there); the AP it
    // is for has not been sent its SIPI yet, and the previous AP has finished reading
    // it (it was online before this one is started). Aligned: the page is.
    unsafe { core::ptr::write_volatile(at, *block) };
    core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
}

fn ap_entry_address() -> u64 {
    #[cfg(dinos_kernel)]
    {
        hal_ap_entry as *const () as u64
    }
    #[cfg(not(dinos_kernel))]
    0
}

/// The first Rust code an AP runs: on its own stack, in the kernel's page table, with
/// the trampoline's GDT. It sets up the CPU as the boot CPU's boot did and idles.
#[cfg(dinos_kernel)]
extern "C" fn hal_ap_entry(index: u64) -> ! {
    let index = index as usize;
    crate::percpu::init_this_cpu(index, crate::cpu::initial_apic_id());
    crate::cpu::load_tables();
    crate::trap::load_idt();
    crate::user::init();
    let me = crate::percpu::this();
    crate::cpu::set_kernel_stack(me.kstack_top.load(core::sync::atomic::Ordering::SeqCst));
    me.active_root.store(
        crate::paging::kernel_root(),
        core::sync::atomic::Ordering::SeqCst,
    );
    crate::apic::init_this_cpu();
    crate::percpu::set_online();
    let main = AP_MAIN.load(core::sync::atomic::Ordering::Acquire);
    if main != 0 {
        // SAFETY: only `set_ap_main` stores here, always a `fn() -> !`.
        let main: fn() -> ! = unsafe { core::mem::transmute(main) };
        main();
    }
    loop {
        crate::cpu::enable_and_halt();
    }
}

/// What each started CPU runs once it is set up (the scheduler's per-CPU start), as a
/// `fn() -> !` address; 0: idle for ever.
static AP_MAIN: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Install what the other CPUs run once they are up (before [`start_other_cpus`]). It
/// runs on the CPU's own boot stack with interrupts off.
pub fn set_ap_main(main: fn() -> !) {
    AP_MAIN.store(main as usize, core::sync::atomic::Ordering::Release);
}

// TLB shootdown. A CPU caches translations; when a mapping is removed or its rights
// reduced, every CPU that may cache it must flush before the frame or the right can be
// reused. The changing CPU flushes its own entry (paging.rs), then asks the others:
// for a kernel address every online CPU, for a user table the CPUs whose active root
// is that table. It sets each one's `flush_pending`, sends it TLB_VECTOR and waits
// until each has cleared the flag. A CPU flushes (reloads CR3: no mapping is global
// while CR4.PGE is off) in the IPI's handler, or, if its interrupts are off, in any
// spin wait (a spinlock, a task switch): so a CPU that spins on a lock the requester
// holds still answers, and the wait cannot deadlock.

/// One shootdown at a time (two requesters waiting for each other would each answer
/// the other in their spin loops, but one at a time keeps the protocol plain).
static SHOOTDOWN: SpinLock<()> = SpinLock::new(());

/// Make every other CPU that may cache translations of table `root` (all of them for a
/// kernel address) flush its TLB, and wait until they have. Free with one CPU online.
pub(crate) fn shootdown(root: u64, kernel: bool) {
    if crate::percpu::cpus_online() < 2 {
        return;
    }
    let _serial = SHOOTDOWN.lock(); // interrupts off from here: this CPU stays this CPU
    core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
    let me = crate::percpu::this();
    let mut asked: [Option<&crate::percpu::PerCpu>; crate::percpu::MAX_CPUS] =
        [None; crate::percpu::MAX_CPUS];
    for (slot, c) in asked.iter_mut().zip(crate::percpu::online_slots()) {
        let wanted = kernel || c.active_root.load(core::sync::atomic::Ordering::SeqCst) == root;
        if core::ptr::eq(c, me) || !wanted {
            continue;
        }
        c.flush_pending
            .store(true, core::sync::atomic::Ordering::SeqCst);
        crate::apic::send_fixed(c.apic_id(), crate::apic::TLB_VECTOR);
        *slot = Some(c);
    }
    for c in asked.iter().flatten() {
        while c.flush_pending.load(core::sync::atomic::Ordering::Acquire) {
            poll_shootdown();
            core::hint::spin_loop();
        }
    }
}

/// Ask every other online CPU to flush its TLB before it next switches threads or
/// maps a kernel stack, without an IPI and without waiting (a freed kernel stack's
/// addresses: see `task::KernelStack::release`, the only caller).
pub(crate) fn shootdown_lazy() {
    if crate::percpu::cpus_online() < 2 {
        return;
    }
    let me = crate::percpu::this() as *const crate::percpu::PerCpu;
    for c in crate::percpu::online_slots() {
        if !core::ptr::eq(c, me) {
            c.lazy_flush
                .store(true, core::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// [`poll_shootdown`] behind an inline test of this CPU's flag (the switch path: one
/// load when nothing is asked). Interrupts must be off.
#[inline(always)]
pub(crate) fn poll_shootdown_if_pending() {
    let me = crate::percpu::this();
    if me.flush_pending.load(core::sync::atomic::Ordering::Relaxed)
        || me.lazy_flush.load(core::sync::atomic::Ordering::Relaxed)
    {
        poll_shootdown();
    }
}

/// Flush this CPU's TLB if another CPU asked for it. Out of line and cold: it is
/// called from spin loops, and must not make the uncontended `SpinLock::lock` bigger.
#[cold]
#[inline(never)]
pub(crate) fn poll_shootdown() {
    let me = crate::percpu::this();
    // A requester waiting on `flush_pending` holds SHOOTDOWN until it is cleared, so
    // a `true` seen here is its one request; the lazy flag is taken before the flush.
    let asked = me.flush_pending.load(core::sync::atomic::Ordering::Acquire);
    let lazy = me
        .lazy_flush
        .swap(false, core::sync::atomic::Ordering::AcqRel);
    if asked || lazy {
        let root = crate::cpu::read_cr3();
        // SAFETY: reloads the table that is already active: only the TLB changes.
        unsafe { core::arch::asm!("mov cr3, {}", in(reg) root, options(nostack)) };
    }
    if asked {
        me.flush_pending
            .store(false, core::sync::atomic::Ordering::Release);
    }
}

/// TLB_VECTOR's handler.
fn tlb_ipi(_frame: &mut crate::trap::TrapFrame) {
    crate::apic::eoi();
    poll_shootdown();
}

// ---- Waking an idle CPU, and stopping them all ----------------------------------------
//
// An idle CPU halts until an interrupt. A thread made runnable by another CPU would
// otherwise wait for the idle one's next timer tick (10 ms): the waker sends it
// WAKE_VECTOR, whose handler (the scheduler's, installed with `trap::set_handler`)
// makes it look at the run queue at once.
//
// A CPU that panics, or meets a fatal exception, stops the others before it reports,
// so the report is not interleaved with their output and nothing runs on from a state
// the failure may have broken. It sends each an NMI, taken even with interrupts off;
// the NMI finds `STOPPING` set and halts that CPU for good.

static STOPPING: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Send CPU `index` (a CPU number, as `percpu::cpu_index`) the wake-up interrupt, if it
/// is online.
pub fn wake_cpu(index: usize) {
    if index < crate::percpu::MAX_CPUS && crate::percpu::is_online(index) {
        let apic_id = crate::percpu::slot(index).apic_id();
        crate::apic::send_fixed(apic_id, crate::apic::WAKE_VECTOR);
    }
}

/// Stop every other online CPU (for a panic or a fatal exception on this one).
pub fn stop_other_cpus() {
    if crate::percpu::cpus_online() < 2 {
        return;
    }
    STOPPING.store(true, core::sync::atomic::Ordering::SeqCst);
    let me = crate::percpu::this();
    for c in crate::percpu::online_slots() {
        if !core::ptr::eq(c, me) {
            crate::apic::send_nmi(c.apic_id());
        }
    }
}

/// Is the machine stopping (another CPU asked, by NMI)?
pub(crate) fn stopping() -> bool {
    STOPPING.load(core::sync::atomic::Ordering::SeqCst)
}
