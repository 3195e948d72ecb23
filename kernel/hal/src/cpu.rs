//! The processor itself: descriptor tables, control registers, MSRs, the interrupt flag.
//!
//! The GDT is laid out for `syscall`/`sysret` (which derive segment selectors from the
//! STAR MSR by fixed offsets): null, kernel code, kernel data, user data, user code, TSS.
//! The TSS holds no task state in long mode; it only names the stacks the CPU switches to:
//! `rsp0` for entries from user mode and the interrupt stack table (IST) used by every
//! vector (see `trap` for why every vector uses one).

use core::arch::asm;
use core::sync::atomic::{AtomicBool, Ordering};

pub const KERNEL_CS: u16 = 0x08;
pub const KERNEL_DS: u16 = 0x10;
pub const USER_DS: u16 = 0x18 | 3;
pub const USER_CS: u16 = 0x20 | 3;
const TSS_SEL: u16 = 0x28;

/// IST slots (1-based as the CPU counts them).
pub const IST_INTERRUPT: u8 = 1;
pub const IST_PAGE_FAULT: u8 = 2;
pub const IST_DOUBLE_FAULT: u8 = 3;
pub const IST_NMI: u8 = 4;
const IST_SIZE: usize = 16 * 1024;

#[repr(C, packed(4))]
struct Tss {
    _reserved0: u32,
    rsp: [u64; 3],
    _reserved1: u64,
    ist: [u64; 7],
    _reserved2: u64,
    _reserved3: u16,
    iomap_base: u16,
}

#[repr(C, align(16))]
struct IstStacks([[u8; IST_SIZE]; 4]);

static mut TSS: Tss = Tss {
    _reserved0: 0,
    rsp: [0; 3],
    _reserved1: 0,
    ist: [0; 7],
    _reserved2: 0,
    _reserved3: 0,
    iomap_base: core::mem::size_of::<Tss>() as u16,
};
static mut IST_STACKS: IstStacks = IstStacks([[0; IST_SIZE]; 4]);
static mut GDT: [u64; 7] = [
    0,
    0x00AF_9A00_0000_FFFF, // kernel code: present, ring 0, long mode
    0x00CF_9200_0000_FFFF, // kernel data
    0x00CF_F200_0000_FFFF, // user data: ring 3
    0x00AF_FA00_0000_FFFF, // user code: ring 3, long mode
    0,                     // TSS (low half), filled in by init
    0,                     // TSS (high half)
];

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

static INITIALISED: AtomicBool = AtomicBool::new(false);

/// The bounds `[bottom, top)` of IST stack `n` (1-based).
pub fn ist_stack(n: u8) -> (u64, u64) {
    let bottom = (&raw const IST_STACKS) as u64 + (n as u64 - 1) * IST_SIZE as u64;
    (bottom, bottom + IST_SIZE as u64)
}

/// Load the GDT and TSS and re-enable SSE (already on from the boot code; made explicit).
pub fn init() {
    if INITIALISED.swap(true, Ordering::SeqCst) {
        return;
    }
    // SAFETY: runs once, on the boot CPU, before interrupts are enabled, so nothing else
    // reads GDT/TSS while they are written. The descriptors are valid for long mode and
    // the segment reloads name descriptors that exist.
    unsafe {
        let tss = &raw mut TSS;
        for n in 1..=4u8 {
            (*tss).ist[n as usize - 1] = ist_stack(n).1;
        }
        let base = tss as u64;
        let limit = (core::mem::size_of::<Tss>() - 1) as u64;
        let low = (limit & 0xffff)
            | ((base & 0xff_ffff) << 16)
            | (0x89 << 40) // present, 64-bit TSS (available)
            | ((limit >> 16) & 0xf) << 48
            | ((base >> 24) & 0xff) << 56;
        let gdt = &raw mut GDT;
        (*gdt)[5] = low;
        (*gdt)[6] = base >> 32;
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
        let mut cr0: u64;
        asm!("mov {}, cr0", out(reg) cr0);
        cr0 = (cr0 & !(1 << 2)) | (1 << 1);
        asm!("mov cr0, {}", in(reg) cr0);
        let mut cr4: u64;
        asm!("mov {}, cr4", out(reg) cr4);
        cr4 |= (1 << 9) | (1 << 10);
        asm!("mov cr4, {}", in(reg) cr4);
    }
}

/// Set the stack the CPU loads on an entry from user mode (TSS.rsp0).
pub fn set_kernel_stack(top: u64) {
    // SAFETY: a single aligned 8-byte store the CPU reads only on a privilege change;
    // single CPU, and callers hold interrupts off while switching tasks.
    unsafe {
        let tss = &raw mut TSS;
        core::ptr::write_unaligned(&raw mut (*tss).rsp[0], top);
    }
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
    rflags() & (1 << 9) != 0
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
