//! The processor itself: descriptor tables, control registers, MSRs, the interrupt flag.
//!
//! The tables' layout and encodings (selectors, IST slots, the TSS descriptor) are in
//! [`x86::descriptors`]; the tables themselves are per CPU ([`crate::percpu`]); this
//! module fills and loads them, owns the boot CPU's IST stacks, and has the
//! instructions that read and write the processor's registers.

use core::arch::asm;
use core::sync::atomic::{AtomicBool, Ordering};

use x86::descriptors::{tss_descriptor, DescriptorPointer, Tss, GDT_TSS_SLOT, TSS_SEL};
pub use x86::descriptors::{
    IST_DOUBLE_FAULT, IST_INTERRUPT, IST_NMI, IST_PAGE_FAULT, KERNEL_CS, KERNEL_DS, USER_CS,
    USER_DS,
};
use x86::regs::{cr0, cr4, rflags};

const IST_SIZE: usize = 16 * 1024;

/// The boot CPU's IST stacks (the others get theirs from [`crate::smp`] at bring-up).
#[repr(C, align(16))]
struct IstStacks([[u8; IST_SIZE]; 4]);

static mut BOOT_IST_STACKS: IstStacks = IstStacks([[0; IST_SIZE]; 4]);

static INITIALISED: AtomicBool = AtomicBool::new(false);

/// The bounds `[bottom, top)` of this CPU's IST stack `n` (1-based).
pub fn ist_stack(n: u8) -> (u64, u64) {
    crate::percpu::this().ist_stack(n)
}

/// Load the boot CPU's GDT and TSS and re-enable SSE (already on from the boot code;
/// made explicit).
pub fn init() {
    if INITIALISED.swap(true, Ordering::SeqCst) {
        return;
    }
    let me = crate::percpu::this();
    let base = (&raw const BOOT_IST_STACKS) as u64;
    for n in 1..=4u8 {
        let bottom = base + (n as u64 - 1) * IST_SIZE as u64;
        me.set_ist_stack(n, (bottom, bottom + IST_SIZE as u64));
    }
    load_tables();
}

/// Fill this CPU's TSS with its IST stacks, put the TSS into its GDT, load both
/// (reloading every segment register but GS, whose base holds the per-CPU pointer), and
/// turn on SSE. Each CPU runs this once on itself, interrupts off, after its IST stacks
/// are recorded in its per-CPU slot.
pub(crate) fn load_tables() {
    let me = crate::percpu::this();
    // SAFETY: the tables are this CPU's own (per-CPU slot), written only here, by this
    // CPU, before it loads them and with interrupts off, so nothing reads them while
    // they change. The descriptors are valid for long mode and the segment reloads
    // name descriptors that exist. Loading DS/ES/SS does not touch the GS base.
    unsafe {
        let tss = me.tables.tss.get();
        for n in 1..=4u8 {
            (*tss).ist[n as usize - 1] = me.ist_stack(n).1;
        }
        let base = tss as u64;
        let limit = (core::mem::size_of::<Tss>() - 1) as u64;
        let gdt = me.tables.gdt.get();
        let [low, high] = tss_descriptor(base, limit);
        (*gdt)[GDT_TSS_SLOT] = low;
        (*gdt)[GDT_TSS_SLOT + 1] = high;
        let ptr = DescriptorPointer {
            limit: (core::mem::size_of::<[u64; 7]>() - 1) as u16,
            base: gdt as u64,
        };
        asm!("lgdt [{}]", in(reg) &ptr, options(readonly, nostack, preserves_flags));
        // Reload CS with a far return, then the data segments.
        asm!(
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {ds:x}",
            "mov es, {ds:x}",
            "mov ss, {ds:x}",
            cs = in(reg) KERNEL_CS as u64,
            ds = in(reg) KERNEL_DS as u64,
            tmp = lateout(reg) _,
        );
        asm!("ltr {0:x}", in(reg) TSS_SEL, options(nostack, preserves_flags));
        // SSE: CR0.EM = 0, CR0.MP = 1; CR4.OSFXSR, CR4.OSXMMEXCPT.
        let mut v: u64;
        asm!("mov {}, cr0", out(reg) v);
        asm!("mov cr0, {}", in(reg) (v & !cr0::EM) | cr0::MP);
        asm!("mov {}, cr4", out(reg) v);
        asm!("mov cr4, {}", in(reg) v | cr4::OSFXSR | cr4::OSXMMEXCPT);
    }
}

/// Set the stack this CPU loads on an entry from user mode (its TSS.rsp0).
pub fn set_kernel_stack(top: u64) {
    let tss = crate::percpu::this().tables.tss.get();
    // SAFETY: a single aligned 8-byte store into this CPU's own TSS, which only this
    // CPU writes and which the CPU reads only on a privilege change; callers hold
    // interrupts off while switching tasks.
    unsafe { core::ptr::write_unaligned(&raw mut (*tss).rsp[0], top) };
}

/// Read CR4 (the AP trampoline copies the boot CPU's).
pub(crate) fn read_cr4() -> u64 {
    let v: u64;
    // SAFETY: reading CR4 has no side effects.
    unsafe { asm!("mov {}, cr4", out(reg) v, options(nomem, nostack)) };
    v
}

/// The RFLAGS register as the running code sees it.
pub fn rflags() -> u64 {
    let flags: u64;
    // SAFETY: reads RFLAGS; no memory access.
    unsafe { asm!("pushfq", "pop {}", out(reg) flags, options(preserves_flags)) };
    flags
}

/// Are maskable interrupts enabled (RFLAGS.IF)?
pub fn interrupts_enabled() -> bool {
    rflags() & rflags::IF != 0
}

/// Enable maskable interrupts.
pub fn enable_interrupts() {
    // SAFETY: the IDT is loaded before anyone can call this (trap::init runs at boot).
    unsafe { asm!("sti", options(nomem, nostack)) };
}

/// Disable maskable interrupts.
pub fn disable_interrupts() {
    // SAFETY: masking interrupts cannot break memory safety.
    unsafe { asm!("cli", options(nomem, nostack)) };
}

/// Enable interrupts and halt until the next one, atomically (no lost wake-up).
pub fn enable_and_halt() {
    // SAFETY: `sti; hlt` — the CPU delays the effect of sti by one instruction, so an
    // interrupt pending now wakes the hlt instead of being taken before it.
    unsafe { asm!("sti", "hlt", options(nomem, nostack)) };
}

/// Halt until the next interrupt (interrupt flag unchanged).
pub fn halt() {
    // SAFETY: hlt only waits.
    unsafe { asm!("hlt", options(nomem, nostack)) };
}

/// Stop this CPU for good.
pub fn halt_forever() -> ! {
    loop {
        disable_interrupts();
        halt();
    }
}

/// Read the time-stamp counter.
pub fn rdtsc() -> u64 {
    let lo: u32;
    let hi: u32;
    // SAFETY: rdtsc reads a counter; no memory access.
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    ((hi as u64) << 32) | lo as u64
}

/// CR2: the address of the last page fault.
pub fn read_cr2() -> u64 {
    let v: u64;
    // SAFETY: reading CR2 has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack)) };
    v
}

/// CR3: the physical address of the active top-level page table.
pub fn read_cr3() -> u64 {
    let v: u64;
    // SAFETY: reading CR3 has no side effects.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack)) };
    v
}

/// Read a model-specific register.
pub(crate) fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: callers in this crate only name MSRs that exist on x86_64.
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    ((hi as u64) << 32) | lo as u64
}

/// Write a model-specific register.
///
/// # Safety
/// The MSR and value must be valid and must not break the kernel's invariants.
pub(crate) unsafe fn wrmsr(msr: u32, value: u64) {
    // SAFETY: the caller's obligation.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32,
             options(nomem, nostack))
    };
}

/// Execute `cpuid` for a leaf (subleaf 0): (eax, ebx, ecx, edx).
pub fn cpuid(leaf: u32) -> (u32, u32, u32, u32) {
    let r = core::arch::x86_64::__cpuid_count(leaf, 0);
    (r.eax, r.ebx, r.ecx, r.edx)
}

/// This CPU's local APIC id as the processor reports it (`cpuid` leaf 1, EBX bits
/// 24-31): known before the APIC is mapped.
pub fn initial_apic_id() -> u32 {
    cpuid(1).1 >> 24
}
