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

use crate::addr::PhysAddr;

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

/// One entry of the physical memory map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryRegion {
    pub start: PhysAddr,
    pub len: u64,
    pub kind: MemoryKind,
}

/// What a memory-map entry is (the E820 types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryKind {
    Usable,
    Reserved,
    AcpiReclaimable,
    AcpiNvs,
    Bad,
    Other(u32),
}

impl MemoryKind {
    fn from_e820(t: u32) -> Self {
        match t {
            1 => MemoryKind::Usable,
            2 => MemoryKind::Reserved,
            3 => MemoryKind::AcpiReclaimable,
            4 => MemoryKind::AcpiNvs,
            5 => MemoryKind::Bad,
            other => MemoryKind::Other(other),
        }
    }
}

/// A boot module (QEMU passes an `-initrd` image as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootModule {
    pub start: PhysAddr,
    pub len: u64,
}

const MAX_REGIONS: usize = 64;
const MAX_MODULES: usize = 8;
const MAX_CMDLINE: usize = 1024;

/// What the boot loader told us, copied out of low memory into kernel data.
pub struct BootInfo {
    regions: [MemoryRegion; MAX_REGIONS],
    region_count: usize,
    modules: [BootModule; MAX_MODULES],
    module_count: usize,
    cmdline: [u8; MAX_CMDLINE],
    cmdline_len: usize,
    /// Physical address of the ACPI RSDP, when the loader gave one.
    pub rsdp: Option<PhysAddr>,
}

impl BootInfo {
    pub fn memory_map(&self) -> &[MemoryRegion] {
        &self.regions[..self.region_count]
    }
    pub fn modules(&self) -> &[BootModule] {
        &self.modules[..self.module_count]
    }
    /// The kernel command line (`-append`), or "" if absent or not UTF-8.
    pub fn cmdline(&self) -> &str {
        core::str::from_utf8(&self.cmdline[..self.cmdline_len]).unwrap_or("")
    }
    /// Is `word` one of the space-separated words of the command line (or `word=...`)?
    pub fn cmdline_value(&self, key: &str) -> Option<&str> {
        self.cmdline().split_whitespace().find_map(|w| {
            if w == key {
                Some("")
            } else {
                w.strip_prefix(key).and_then(|r| r.strip_prefix('='))
            }
        })
    }
}

const PVH_MAGIC: u32 = 0x336e_c578;

/// Read a `T` from physical memory through the direct map set up by the boot tables.
#[cfg(dinos_kernel)]
fn read_phys<T: Copy>(p: u64) -> T {
    // SAFETY: the boot page tables map physical 0..4 GiB at PHYS_OFFSET, and the start
    // info and the tables it points to live in low memory below that; T is plain data.
    unsafe { core::ptr::read_unaligned(PhysAddr(p).to_virt().as_u64() as *const T) }
}

/// Copy QEMU's `hvm_start_info` into a [`BootInfo`].
#[cfg(dinos_kernel)]
fn parse_start_info(paddr: u32) -> BootInfo {
    let mut info = BootInfo {
        regions: [MemoryRegion {
            start: PhysAddr(0),
            len: 0,
            kind: MemoryKind::Reserved,
        }; MAX_REGIONS],
        region_count: 0,
        modules: [BootModule {
            start: PhysAddr(0),
            len: 0,
        }; MAX_MODULES],
        module_count: 0,
        cmdline: [0; MAX_CMDLINE],
        cmdline_len: 0,
        rsdp: None,
    };
    let base = paddr as u64;
    let magic: u32 = read_phys(base);
    if magic != PVH_MAGIC {
        crate::kprintln!("boot: bad PVH start-info magic {magic:#x}");
        crate::power::exit_failure();
    }
    let version: u32 = read_phys(base + 4);
    let nr_modules: u32 = read_phys(base + 12);
    let modlist: u64 = read_phys(base + 16);
    let cmdline: u64 = read_phys(base + 24);
    let rsdp: u64 = read_phys(base + 32);
    if rsdp != 0 {
        info.rsdp = Some(PhysAddr(rsdp));
    }
    if cmdline != 0 {
        while info.cmdline_len < MAX_CMDLINE {
            let b: u8 = read_phys(cmdline + info.cmdline_len as u64);
            if b == 0 {
                break;
            }
            info.cmdline[info.cmdline_len] = b;
            info.cmdline_len += 1;
        }
    }
    for i in 0..(nr_modules as usize).min(MAX_MODULES) {
        let e = modlist + i as u64 * 32;
        info.modules[i] = BootModule {
            start: PhysAddr(read_phys(e)),
            len: read_phys(e + 8),
        };
        info.module_count += 1;
    }
    if version >= 1 {
        let memmap: u64 = read_phys(base + 40);
        let entries: u32 = read_phys(base + 48);
        for i in 0..(entries as usize).min(MAX_REGIONS) {
            let e = memmap + i as u64 * 24;
            info.regions[i] = MemoryRegion {
                start: PhysAddr(read_phys(e)),
                len: read_phys(e + 8),
                kind: MemoryKind::from_e820(read_phys(e + 16)),
            };
            info.region_count += 1;
        }
    }
    info
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
    crate::apic::mark_boot();
    crate::serial::init();
    let info = BOOT_INFO.call_once(|| parse_start_info(start_info));
    crate::power::init(info.rsdp);
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
