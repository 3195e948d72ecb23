//! From power-on to Rust: the PVH entry and the boot information it receives.
//!
//! QEMU (`-kernel kernel.elf`) looks for an ELF note of type 18, owner "Xen"
//! (`XEN_ELFNOTE_PHYS32_ENTRY`), and jumps to the address it names in 32-bit protected
//! mode with paging off and `%ebx` pointing at an `hvm_start_info` structure (the memory
//! map, the command line, and the modules such as an `-initrd` image).
//!
//! The 32-bit code below builds a throw-away set of page tables (2 MiB pages) that map
//! the first 4 GiB three times: identity (so the next instruction after paging is turned
//! on still exists), at the direct map `PHYS_OFFSET`, and the first 1 GiB at `KERNEL_VMA`
//! where the kernel is linked. It enables SSE (the prebuilt `core` uses XMM registers),
//! PAE, long mode and no-execute, loads a minimal GDT, and far-jumps to 64-bit code that
//! jumps to the higher half, sets up the boot stack and calls [`hal_boot_entry`].
//! `mm` later replaces these tables with exact, permission-correct ones.
//!
//! The start info's layout and its parser are in [`x86::boot`]; hal reads physical
//! memory for it ([`BootMemory`]) and keeps the result.

use crate::addr::PhysAddr;
use x86::boot::PhysRead;
pub use x86::boot::{BootInfo, BootModule, MemoryKind, MemoryRegion};

#[cfg(dinos_kernel)]
core::arch::global_asm!(
    r#"
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                 /* name size: "Xen\0" */
    .long 4                 /* descriptor size */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long pvh_start
    .balign 4

    .section .boot.text, "ax"
    .code32
    .global pvh_start
pvh_start:
    cli
    cld
    movl %ebx, %esi                     /* keep the start-info pointer */

    /* CR4: PAE (5), OSFXSR (9), OSXMMEXCPT (10). */
    movl %cr4, %eax
    orl $((1 << 5) | (1 << 9) | (1 << 10)), %eax
    movl %eax, %cr4

    /* 2048 PD entries, 2 MiB each: physical 0 .. 4 GiB. */
    movl $boot_pd, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                     /* present, writable, 2 MiB page */
    movl %eax, (%edi, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b

    /* The low PDPT points at the four PDs. */
    movl $boot_pdpt_low, %edi
    movl $boot_pd, %eax
    orl $3, %eax
    movl %eax, 0(%edi)
    addl $4096, %eax
    movl %eax, 8(%edi)
    addl $4096, %eax
    movl %eax, 16(%edi)
    addl $4096, %eax
    movl %eax, 24(%edi)

    /* The high PDPT: entry 510 (-2 GiB) maps the first 1 GiB. */
    movl $boot_pdpt_high, %edi
    movl $boot_pd, %eax
    orl $3, %eax
    movl %eax, (510 * 8)(%edi)

    /* PML4: identity (0), direct map (256), kernel image (511). */
    movl $boot_pml4, %edi
    movl $boot_pdpt_low, %eax
    orl $3, %eax
    movl %eax, 0(%edi)
    movl %eax, (256 * 8)(%edi)
    movl $boot_pdpt_high, %eax
    orl $3, %eax
    movl %eax, (511 * 8)(%edi)
    movl %edi, %cr3

    /* EFER: long mode enable (8), no-execute enable (11). */
    movl $0xC0000080, %ecx
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax
    wrmsr

    /* CR0: paging (31), write-protect (16), monitor coprocessor (1), protection (0);
       clear emulation (2) so SSE instructions run. */
    movl %cr0, %eax
    andl $~(1 << 2), %eax
    orl $((1 << 31) | (1 << 16) | (1 << 1) | 1), %eax
    movl %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $0x08, $boot64

    .code64
boot64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movabsq $boot_high, %rax
    jmp *%rax

    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF            /* 64-bit code */
    .quad 0x00CF92000000FFFF            /* data */
boot_gdt_ptr:
    .word boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * 4

    .section .text.boot_high, "ax"
    .type boot_high, @function
boot_high:
    movabsq $__boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl %esi, %edi                     /* argument: start-info physical address */
    call hal_boot_entry
2:  hlt
    jmp 2b
    .size boot_high, . - boot_high

    .section .bss.boot_stack, "aw", @nobits
    .balign 4096
    .global __boot_stack_guard
__boot_stack_guard:
    .skip 4096                          /* left unmapped by mm: catches overflow */
    .global __boot_stack_bottom
__boot_stack_bottom:
    .skip 65536
    .global __boot_stack_top
__boot_stack_top:
"#,
    options(att_syntax)
);

/// Physical memory below 4 GiB, read through the direct map the boot page tables set
/// up (and that mm's tables keep): how the start info and the ACPI tables are read.
pub(crate) struct BootMemory;

impl PhysRead for BootMemory {
    fn read(&self, paddr: u64, buf: &mut [u8]) {
        assert!(paddr.saturating_add(buf.len() as u64) <= 0x1_0000_0000);
        #[cfg(dinos_kernel)]
        // SAFETY: the boot page tables map physical 0..4 GiB at PHYS_OFFSET (checked
        // bound above) and so do mm's for RAM and firmware tables; these are plain bytes
        // the loader or the firmware left, which no Rust object owns.
        unsafe {
            let from = PhysAddr(paddr).to_virt().as_u64() as *const u8;
            core::ptr::copy_nonoverlapping(from, buf.as_mut_ptr(), buf.len())
        };
        #[cfg(not(dinos_kernel))]
        buf.fill(0);
    }
}

/// Copy QEMU's `hvm_start_info` into a [`BootInfo`]; a bad one stops the machine.
#[cfg(dinos_kernel)]
fn parse_start_info(paddr: u32) -> BootInfo {
    BootInfo::from_pvh(&BootMemory, paddr as u64).unwrap_or_else(|e| {
        crate::kprintln!("boot: bad PVH start-info magic {:#x}", e.0);
        crate::power::exit_failure()
    })
}

/// Kept in kernel data so that the `&'static BootInfo` handed to the kernel stays valid.
#[cfg(dinos_kernel)]
static BOOT_INFO: crate::sync::Once<BootInfo> = crate::sync::Once::new();

#[cfg(dinos_kernel)]
extern "Rust" {
    /// The kernel's main function, defined by the binary crate.
    fn dinos_main(boot: &'static BootInfo) -> !;
}

/// The first Rust code that runs: called by `boot_high` on the boot stack.
#[cfg(dinos_kernel)]
#[no_mangle]
extern "C" fn hal_boot_entry(start_info: u32) -> ! {
    crate::percpu::init_this_cpu(0, crate::cpu::initial_apic_id());
    crate::percpu::set_online();
    crate::apic::mark_boot();
    crate::serial::init();
    let info = BOOT_INFO.call_once(|| parse_start_info(start_info));
    crate::power::init(info.rsdp);
    crate::smp::discover(info);
    crate::cpu::init();
    crate::trap::init();
    crate::user::init();
    // SAFETY: `dinos_main` is defined exactly once, by the kernel binary, with this
    // signature; it is called once, here.
    unsafe { dinos_main(info) }
}

/// A boot module's memory, taken over by one owner (the RAM disk driver).
pub struct ModuleMemory {
    start: PhysAddr,
    len: usize,
}

#[cfg(dinos_kernel)]
static MODULES_TAKEN: crate::sync::SpinLock<u8> = crate::sync::SpinLock::new(0);

impl ModuleMemory {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copy bytes out, from `offset`. Panics if the range is outside the module.
    pub fn read(&self, offset: usize, buf: &mut [u8]) {
        assert!(offset.checked_add(buf.len()).is_some_and(|e| e <= self.len));
        // SAFETY: inside the module (checked), which mm keeps out of the frame allocator
        // and maps in the direct map, and which only this owner touches.
        unsafe {
            core::ptr::copy_nonoverlapping(
                (self.start.to_virt().as_u64() + offset as u64) as *const u8,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
    }

    /// Copy bytes in, at `offset`. Panics if the range is outside the module.
    pub fn write(&mut self, offset: usize, data: &[u8]) {
        assert!(offset
            .checked_add(data.len())
            .is_some_and(|e| e <= self.len));
        // SAFETY: as in read; `&mut self` makes this owner's access exclusive.
        unsafe {
            core::ptr::copy_nonoverlapping(
                data.as_ptr(),
                (self.start.to_virt().as_u64() + offset as u64) as *mut u8,
                data.len(),
            )
        };
    }
}

/// Take the memory of boot module `index` (once; later calls get `None`).
pub fn take_module(boot: &BootInfo, index: usize) -> Option<ModuleMemory> {
    let m = *boot.modules().get(index)?;
    #[cfg(dinos_kernel)]
    {
        let mut taken = MODULES_TAKEN.lock();
        if index >= 8 || *taken & (1 << index) != 0 {
            return None;
        }
        *taken |= 1 << index;
    }
    Some(ModuleMemory {
        start: m.start,
        len: m.len as usize,
    })
}
