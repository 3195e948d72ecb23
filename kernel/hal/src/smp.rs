//! Starting the other CPUs: the MADT's list, INIT-SIPI-SIPI, and a real-mode trampoline.
//!
//! A PC starts with one CPU running (the boot CPU, BSP); the others (application
//! processors, APs) wait in a reset state until the boot CPU sends each one, through its
//! local APIC, an INIT interrupt and then a start-up interrupt (SIPI) naming a page below
//! 1 MiB. The AP starts there in 16-bit real mode, like a PC at power-on, so the first
//! code it runs must be real-mode code at a fixed low address: the *trampoline*.
//!
//! The boot, step by step. All the APs are started at once, as Linux 6.5's parallel
//! bring-up does, and put online one at a time, so the boot log stays in order:
//!
//! 1. At the first Rust instruction the boot CPU reads the ACPI MADT (what CPUs exist,
//!    [`x86::acpi::read_madt`]) while the boot page tables still map all low memory,
//!    and checks that the trampoline's page ([`TRAMPOLINE`]) is usable RAM in the PVH
//!    memory map. mm keeps the first MiB out of the frame allocator, so nothing else
//!    will ever be put there.
//! 2. [`wake_other_cpus`], while the timer calibration runs (it needs no clock):
//!    copies the trampoline to that page and maps the page at its own address
//!    (identity) in the kernel's page table, so that the instruction after "paging on"
//!    still exists. For each AP it allocates a kernel stack and four IST stacks and
//!    records them in the AP's per-CPU slot; the start block at the end of the page
//!    holds the kernel table's root, CR4, the entry point, and a table of APIC id ->
//!    CPU number and stack. Then one INIT, SIPI, SIPI to all other CPUs at once (the
//!    ICR's "all excluding self" shorthand; the second SIPI is ignored by a CPU that
//!    already started, as the MP specification intends), 10 us apart.
//! 3. Each AP, in the trampoline: loads a small GDT (32-bit code and data, 64-bit
//!    code), turns on protection, then PAE with the boot CPU's CR4, the kernel's page
//!    table, long mode and no-execute in EFER, and paging; jumps to 64-bit code, finds
//!    its own APIC id (CPUID leaf 1, EBX bits 31-24) in the table, loads that entry's
//!    stack and calls [`hal_ap_entry`] with its CPU number. A CPU the table does not
//!    list (disabled in the MADT, or past [`MAX_CPUS`](crate::percpu::MAX_CPUS))
//!    halts there for good.
//! 4. In Rust, the AP points GS at its per-CPU slot, loads its own GDT and TSS (with
//!    its IST stacks), the shared IDT, the `syscall` MSRs, enables its local APIC, says
//!    it has *arrived*, and waits at its gate, halted (interrupts on; only this
//!    module's wake-up IPI reaches it, its timer masked and no device line routed to
//!    it).
//! 5. [`start_other_cpus`], once the clock is calibrated: waits (at most 1 s) for the
//!    APs to arrive and opens their gates in CPU order, each after the one before is
//!    online; each AP then says it is online and runs what the scheduler installed
//!    ([`set_ap_main`]: its idle thread, its timer, threads from the run queues).
//!
//! The module also has the TLB shootdown the paging code calls when a mapping changes
//! with more than one CPU online ([`shootdown`], explained at its definition).
//!
//! When every AP is up, the identity mapping is removed again. If an AP does not arrive
//! in time, it and the CPUs numbered after it stay off (CPU numbers are 0 to
//! `cpus_online() - 1`, without gaps; an AP that arrives after that halts at its gate)
//! and the page stays mapped (a late AP must still find its trampoline), so a broken
//! CPU costs CPUs, never the machine.

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

const MAX_CPUS: usize = crate::percpu::MAX_CPUS;

/// What the boot CPU leaves in the trampoline page for the APs, all started at once.
#[repr(C)]
#[derive(Clone, Copy)]
struct StartBlock {
    /// The kernel page table's root (below 4 GiB: loaded by 32-bit code).
    cr3: u64,
    /// The boot CPU's CR4 (PAE and the SSE bits).
    cr4: u64,
    /// The address of [`hal_ap_entry`].
    entry: u64,
    /// How many entries of the two tables below are valid.
    count: u64,
    /// CPU number -> APIC id (entry 0 is the boot CPU's, which never looks).
    apic_ids: [u64; MAX_CPUS],
    /// CPU number -> the top of that AP's first stack.
    stack_tops: [u64; MAX_CPUS],
}

const _: () = assert!(START_BLOCK as usize + core::mem::size_of::<StartBlock>() <= 4096);

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
    movl $1, %eax                       /* CPUID leaf 1: EBX bits 31-24, the APIC id */
    cpuid
    shrl $24, %ebx
    movq {count}, %rcx
    xorl %edx, %edx
2:  cmpq %rcx, %rdx                     /* find it in the table: rdx = the CPU number */
    jae 9f
    cmpq {ids}(,%rdx,8), %rbx
    je 3f
    incq %rdx
    jmp 2b
3:  movq {stacks}(,%rdx,8), %rsp
    movq %rdx, %rdi
    movq {entry}, %rax
    xorl %ebp, %ebp
    call *%rax                          /* hal_ap_entry(index): never returns */
9:  cli                                 /* not in the table: this CPU stays off */
    hlt
    jmp 9b

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
    entry = const field(core::mem::offset_of!(StartBlock, entry)),
    count = const field(core::mem::offset_of!(StartBlock, count)),
    ids = const field(core::mem::offset_of!(StartBlock, apic_ids)),
    stacks = const field(core::mem::offset_of!(StartBlock, stack_tops)),
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

/// How long the APs have to arrive (from the moment [`start_other_cpus`] looks), and
/// each to come online once its gate is open, before it is given up.
const ANSWER_NANOS: u64 = 1_000_000_000;

/// The wait between INIT and the first SIPI, and between the two SIPIs. The MP
/// specification's 10 ms after INIT (and 200 us after each SIPI) is for CPUs of the
/// 1990s with an external APIC; Linux waits 0 after INIT and 10 us after each SIPI on
/// every CPU since family 6 (`init_udelay = 0`, `smpboot.c`), and QEMU needs none at all.
/// dinos keeps Linux's short one.
const SIPI_DELAY_MICROS: u64 = 10;

/// An AP's gate: where it waits, arrived, until the boot CPU lets it go online.
const GATE_SHUT: u8 = 0;
const GATE_OPEN: u8 = 1;
/// It came too late (or a CPU before it never came): it halts for good.
const GATE_NEVER: u8 = 2;

/// Per CPU number: set by the AP when it has set itself up and waits at its gate.
static ARRIVED: [core::sync::atomic::AtomicBool; MAX_CPUS] =
    [const { core::sync::atomic::AtomicBool::new(false) }; MAX_CPUS];
/// Per CPU number: its gate (`GATE_*`), written by the boot CPU.
static GATE: [core::sync::atomic::AtomicU8; MAX_CPUS] =
    [const { core::sync::atomic::AtomicU8::new(GATE_SHUT) }; MAX_CPUS];

/// What [`wake_other_cpus`] started, for [`start_other_cpus`] to finish.
struct Woken {
    /// The APIC ids of CPUs 1, 2, ... (those with stacks: all were sent the SIPI).
    apic_ids: Vec<u8>,
    /// The first AP that got no stacks (it and those after it are not numbered).
    no_memory: Option<u8>,
}

static WOKEN: SpinLock<Option<Woken>> = SpinLock::new(None);

/// Send every other CPU the MADT lists on its way: stacks, start block, then one
/// INIT-SIPI-SIPI to all at once. Needs the kernel heap and page table (mm), not the
/// clock: it is called while the timer calibration runs, so the APs' start overlaps it.
/// [`start_other_cpus`] then puts them online.
pub fn wake_other_cpus() {
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
        .take(MAX_CPUS - 1)
        .collect();
    if others.is_empty() || !trampoline_free {
        *WOKEN.lock() = Some(Woken {
            apic_ids: Vec::new(),
            no_memory: None,
        });
        return;
    }
    let root = crate::paging::kernel_root();
    assert!(
        root != 0 && root < 0x1_0000_0000,
        "the kernel page table must be installed, below 4 GiB"
    );
    crate::trap::set_handler(crate::apic::TLB_VECTOR, tlb_ipi);
    let mut block = StartBlock {
        cr3: root,
        cr4: crate::cpu::read_cr4(),
        entry: ap_entry_address(),
        count: 1,
        apic_ids: [u64::MAX; MAX_CPUS],
        stack_tops: [0; MAX_CPUS],
    };
    block.apic_ids[0] = u64::from(me);
    let mut woken = Woken {
        apic_ids: Vec::new(),
        no_memory: None,
    };
    for (n, &apic_id) in others.iter().enumerate() {
        let index = n + 1;
        let Some(top) = give_stacks(index) else {
            woken.no_memory = Some(apic_id);
            break;
        };
        block.apic_ids[index] = u64::from(apic_id);
        block.stack_tops[index] = top;
        block.count = index as u64 + 1;
        woken.apic_ids.push(apic_id);
    }
    if !woken.apic_ids.is_empty() {
        install_trampoline();
        write_start_block(&block);
        let page = (TRAMPOLINE / PAGE_SIZE) as u8;
        crate::apic::broadcast_init();
        crate::apic::delay_micros(SIPI_DELAY_MICROS);
        crate::apic::pit0_deadline(24); // 20 us: see there (an emulator's clock)
        crate::apic::broadcast_startup(page);
        crate::apic::delay_micros(SIPI_DELAY_MICROS);
        crate::apic::broadcast_startup(page);
    }
    *WOKEN.lock() = Some(woken);
}

/// Allocate CPU `index`'s boot stack and four IST stacks and record them in its slot;
/// returns its boot stack's top (`None`: out of memory).
fn give_stacks(index: usize) -> Option<u64> {
    let mut stacks = Vec::new();
    for _ in 0..5 {
        stacks.push(KernelStack::new()?);
    }
    let slot = crate::percpu::slot(index);
    for n in 1..=4u8 {
        let s = &stacks[n as usize];
        slot.set_ist_stack(n, (s.bottom(), s.top()));
    }
    let (bottom, top) = (stacks[0].bottom(), stacks[0].top());
    slot.kstack_limit
        .store(bottom, core::sync::atomic::Ordering::SeqCst);
    slot.kstack_top
        .store(top, core::sync::atomic::Ordering::SeqCst);
    AP_STACKS.lock().extend(stacks);
    Some(top)
}

/// Put online, in CPU order, the CPUs [`wake_other_cpus`] started (calling it first
/// if it was not), calling `report` for each. Needs a calibrated TSC
/// ([`crate::apic::start_clock`]): it waits at most [`ANSWER_NANOS`] for the APs.
pub fn start_other_cpus(mut report: impl FnMut(CpuStart)) {
    if WOKEN.lock().is_none() {
        wake_other_cpus();
    }
    let Some(woken) = WOKEN.lock().take() else {
        return;
    };
    if let Some(Found {
        madt: Some(madt),
        trampoline_free: false,
    }) = FOUND.get()
    {
        if madt.apic_ids().len() > 1 {
            report(CpuStart::NoTrampolinePage);
        }
        return;
    }
    use core::sync::atomic::Ordering::{Acquire, Release};
    let deadline = crate::apic::nanos_since_boot() + ANSWER_NANOS;
    let wait = |done: &dyn Fn() -> bool, until: u64| {
        while !done() {
            if crate::apic::nanos_since_boot() > until {
                return false;
            }
            core::hint::spin_loop();
        }
        true
    };
    let mut all_up = true;
    for (n, &apic_id) in woken.apic_ids.iter().enumerate() {
        let index = n + 1;
        let up = wait(&|| ARRIVED[index].load(Acquire), deadline) && {
            GATE[index].store(GATE_OPEN, Release);
            crate::apic::send_fixed(apic_id, crate::apic::TLB_VECTOR); // its wake-up
            let until = crate::apic::nanos_since_boot() + ANSWER_NANOS;
            wait(&|| crate::percpu::is_online(index), until)
        };
        if !up {
            for gate in &GATE[index..] {
                gate.store(GATE_NEVER, Release);
            }
            report(CpuStart::NoAnswer { apic_id });
            all_up = false;
            break;
        }
        report(CpuStart::Up {
            cpu: index,
            apic_id,
        });
    }
    if let (true, Some(apic_id)) = (all_up, woken.no_memory) {
        report(CpuStart::NoMemory { apic_id });
    }
    if all_up && !woken.apic_ids.is_empty() {
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

fn write_start_block(block: &StartBlock) {
    let at = PhysAddr(TRAMPOLINE + START_BLOCK).to_virt().as_u64() as *mut StartBlock;
    // SAFETY: the start block lies in the trampoline page (in the direct map, owned by
    // this module, see install_trampoline), after the code (checked there); it is
    // written once, before any AP is sent its SIPI, and only read after. Aligned: the
    // page is.
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
/// the trampoline's GDT. It sets up the CPU as the boot CPU's boot did, waits at its
/// gate until the boot CPU lets it go online (in CPU order), and idles.
#[cfg(dinos_kernel)]
extern "C" fn hal_ap_entry(index: u64) -> ! {
    use core::sync::atomic::Ordering;
    let index = index as usize;
    crate::percpu::init_this_cpu(index, crate::cpu::initial_apic_id());
    crate::cpu::load_tables();
    crate::trap::load_idt();
    crate::user::init();
    let me = crate::percpu::this();
    crate::cpu::set_kernel_stack(me.kstack_top.load(Ordering::SeqCst));
    me.active_root
        .store(crate::paging::kernel_root(), Ordering::SeqCst);
    crate::apic::init_this_cpu();
    ARRIVED[index].store(true, Ordering::Release);
    // Halted, not spinning, at the gate: the boot CPU wakes it with TLB_VECTOR (whose
    // handler finds nothing to flush). `sti; hlt` is one step, so an IPI sent after
    // the look is still seen. A spinning wait would cost nothing on real CPUs, but
    // under QEMU's one-thread emulator (-icount) each spinning CPU's time slices are
    // guest time that the boot CPU waits through.
    loop {
        match GATE[index].load(Ordering::Acquire) {
            GATE_OPEN => break,
            GATE_NEVER => crate::cpu::halt_forever(),
            _ => {
                crate::cpu::enable_and_halt();
                crate::cpu::disable_interrupts();
            }
        }
    }
    crate::percpu::set_online();
    // Mappings changed while it waited were not shot down here (it was not online):
    // from `set_online` on they are, and this flush covers those before.
    let root = crate::cpu::read_cr3();
    // SAFETY: reloads the table that is already active: only the TLB changes.
    unsafe { core::arch::asm!("mov cr3, {}", in(reg) root, options(nostack)) };
    let main = AP_MAIN.load(Ordering::Acquire);
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
