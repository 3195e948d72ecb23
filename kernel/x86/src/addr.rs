//! Physical and virtual addresses, and the kernel's fixed virtual layout.
//!
//! Pure arithmetic: nothing here dereferences an address (hal does that, through the
//! direct map, in `hal::addr` and the modules that use it).
//!
//! Two newtypes keep the two address spaces apart at compile time: a `PhysAddr` cannot be
//! dereferenced, only turned into a `VirtAddr` through the *direct map*, a window in the
//! kernel half where all of physical memory appears at `PHYS_OFFSET + paddr`.
//!
//! ```text
//! 0x0000_0000_0000_0000 .. 0x0000_7fff_ffff_ffff   user space (later)
//! 0xffff_8000_0000_0000 ..                          direct map of physical memory
//! 0xffff_c000_0000_0000 ..                          kernel stacks, each with a guard page
//! 0xffff_ffff_8000_0000 ..                          the kernel image (code model "kernel")
//! 0xffff_ffff_c000_0000 .. 0xffff_ffff_e000_0000   loadable modules (kernel/module)
//! ```

use core::fmt;

/// Where physical address 0 appears in the direct map.
pub const PHYS_OFFSET: u64 = 0xffff_8000_0000_0000;
/// Base of the region where kernel stacks are mapped.
pub const KSTACK_BASE: u64 = 0xffff_c000_0000_0000;
/// Where physical address 0 of the kernel image is linked (the top 2 GiB).
pub const KERNEL_VMA: u64 = 0xffff_ffff_8000_0000;
/// Where loadable modules are mapped: in the top 2 GiB with the kernel image, so
/// that a module's calls into the kernel are 32-bit displacements (PC32, PLT32) and
/// its absolute references sign-extended 32-bit ones (32S), as the kernel code model
/// both are compiled for expects (Linux keeps its modules here too).
pub const MODULE_BASE: u64 = 0xffff_ffff_c000_0000;
/// The size of the module region (512 MiB).
pub const MODULE_SIZE: u64 = 0x2000_0000;
/// The size of a page (and of a physical frame).
pub const PAGE_SIZE: u64 = 4096;

/// A physical memory address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct PhysAddr(pub u64);

/// A virtual memory address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct VirtAddr(pub u64);

impl PhysAddr {
    /// This physical address as seen through the direct map.
    pub const fn to_virt(self) -> VirtAddr {
        VirtAddr(self.0 + PHYS_OFFSET)
    }
    pub const fn as_u64(self) -> u64 {
        self.0
    }
    pub const fn is_page_aligned(self) -> bool {
        self.0.is_multiple_of(PAGE_SIZE)
    }
}

impl VirtAddr {
    pub const fn as_u64(self) -> u64 {
        self.0
    }
    pub const fn is_page_aligned(self) -> bool {
        self.0.is_multiple_of(PAGE_SIZE)
    }
    /// Is this address in the kernel half (bit 63 set)?
    pub const fn is_kernel(self) -> bool {
        self.0 >= 0xffff_8000_0000_0000
    }
    /// The physical address behind a direct-map or kernel-image address, if it is one.
    pub fn to_phys_linear(self) -> Option<PhysAddr> {
        if self.0 >= KERNEL_VMA {
            Some(PhysAddr(self.0 - KERNEL_VMA))
        } else if (PHYS_OFFSET..KSTACK_BASE).contains(&self.0) {
            Some(PhysAddr(self.0 - PHYS_OFFSET))
        } else {
            None
        }
    }
}

impl fmt::Debug for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhysAddr({:#x})", self.0)
    }
}

impl fmt::Debug for VirtAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VirtAddr({:#x})", self.0)
    }
}

/// Where the linker put the kernel image's parts (virtual addresses).
#[derive(Debug, Clone, Copy)]
pub struct KernelLayout {
    pub text: (VirtAddr, VirtAddr),
    pub rodata: (VirtAddr, VirtAddr),
    pub data: (VirtAddr, VirtAddr),
    /// The page below the boot stack, left unmapped to catch overflow.
    pub boot_stack_guard: VirtAddr,
    pub end: VirtAddr,
}
