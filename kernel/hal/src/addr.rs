//! The kernel image's layout as the linker placed it, and the address types.
//!
//! The address types and the fixed virtual layout are pure arithmetic and live in the
//! `x86` crate ([`x86::addr`]); they are re-exported here so callers keep saying
//! `hal::addr::PhysAddr`. What stays is the one thing only the running image knows:
//! where the linker put its sections (the addresses of linker-script symbols).

pub use x86::addr::{
    KernelLayout, PhysAddr, VirtAddr, KERNEL_VMA, KSTACK_BASE, MODULE_BASE, MODULE_SIZE, PAGE_SIZE,
    PHYS_OFFSET,
};

/// The linker script's section boundaries.
pub fn kernel_layout() -> KernelLayout {
    #[cfg(dinos_kernel)]
    {
        extern "C" {
            static __text_start: u8;
            static __text_end: u8;
            static __rodata_start: u8;
            static __rodata_end: u8;
            static __data_start: u8;
            static __kernel_end: u8;
            static __boot_stack_guard: u8;
        }
        // Only the addresses of these linker symbols are taken; nothing is read.
        let a = |p: *const u8| VirtAddr(p as u64);
        KernelLayout {
            text: (a(&raw const __text_start), a(&raw const __text_end)),
            rodata: (a(&raw const __rodata_start), a(&raw const __rodata_end)),
            data: (a(&raw const __data_start), a(&raw const __kernel_end)),
            boot_stack_guard: a(&raw const __boot_stack_guard),
            end: a(&raw const __kernel_end),
        }
    }
    #[cfg(not(dinos_kernel))]
    {
        let z = VirtAddr(0);
        KernelLayout {
            text: (z, z),
            rodata: (z, z),
            data: (z, z),
            boot_stack_guard: z,
            end: z,
        }
    }
}
