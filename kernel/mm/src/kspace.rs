//! The kernel address space: one page table with exact permissions.
//!
//! The boot code's tables map 4 GiB three times with everything writable and executable.
//! This replaces them with what a careful kernel wants:
//!
//! | region                 | flags                                     |
//! |------------------------|-------------------------------------------|
//! | kernel `.text`         | read + execute                            |
//! | kernel `.rodata`       | read only, no-execute                     |
//! | kernel `.data`, `.bss` | read + write, no-execute                  |
//! | boot-stack guard page  | not mapped (an overflow faults)           |
//! | direct map of RAM      | read + write, no-execute (2 MiB pages)    |
//! | APIC registers         | read + write, no-execute, uncached        |
//!
//! No kernel mapping has the USER bit: user mode cannot reach any of it. Everything is
//! GLOBAL, so switching between process address spaces (which share this upper half)
//! keeps the kernel's TLB entries.

use hal::addr::{PhysAddr, VirtAddr, KERNEL_VMA, PAGE_SIZE};
use hal::boot::{BootInfo, MemoryKind};
use hal::paging::{PageFlags, PageSize, PageTable};

const TWO_MIB: u64 = 2 * 1024 * 1024;

/// Map the physical range `[start, end)` into the direct map with `flags`, using 2 MiB
/// pages where alignment allows.
pub fn map_direct(t: &mut PageTable, start: u64, end: u64, flags: PageFlags) {
    let mut p = start & !(PAGE_SIZE - 1);
    while p < end {
        let (size, step) = if p.is_multiple_of(TWO_MIB) && p + TWO_MIB <= end {
            (PageSize::Size2M, TWO_MIB)
        } else {
            (PageSize::Size4K, PAGE_SIZE)
        };
        match t.map(PhysAddr(p).to_virt(), PhysAddr(p), size, flags) {
            Ok(())
            | Err(hal::paging::MapError::AlreadyMapped)
            | Err(hal::paging::MapError::HugePage) => {}
            Err(e) => panic!("direct map of {p:#x}: {e:?}"),
        }
        p += step;
    }
}

fn map_image(
    t: &mut PageTable,
    (start, end): (VirtAddr, VirtAddr),
    flags: PageFlags,
    skip: VirtAddr,
) {
    let mut va = start.as_u64();
    while va < end.as_u64() {
        if va != skip.as_u64() {
            t.map(
                VirtAddr(va),
                PhysAddr(va - KERNEL_VMA),
                PageSize::Size4K,
                flags,
            )
            .expect("mapping the kernel image");
        }
        va += PAGE_SIZE;
    }
}

pub(crate) fn init(boot: &BootInfo) {
    let mut t = PageTable::new().expect("no frame for the kernel page table");
    let layout = hal::addr::kernel_layout();
    let g = PageFlags::GLOBAL;
    let none = VirtAddr(0);
    map_image(&mut t, layout.text, g, none);
    map_image(&mut t, layout.rodata, g | PageFlags::NO_EXECUTE, none);
    map_image(
        &mut t,
        layout.data,
        g | PageFlags::WRITABLE | PageFlags::NO_EXECUTE,
        layout.boot_stack_guard,
    );
    let rw = g | PageFlags::WRITABLE | PageFlags::NO_EXECUTE;
    // Low memory holds firmware tables (ACPI); then every RAM-like region.
    map_direct(&mut t, 0, 0x10_0000, rw);
    for m in boot.memory_map() {
        if matches!(
            m.kind,
            MemoryKind::Usable | MemoryKind::AcpiReclaimable | MemoryKind::AcpiNvs
        ) {
            map_direct(&mut t, m.start.as_u64(), m.start.as_u64() + m.len, rw);
        }
    }
    for m in boot.modules() {
        map_direct(&mut t, m.start.as_u64(), m.start.as_u64() + m.len, rw);
    }
    for (base, len) in hal::apic::mmio_ranges() {
        map_direct(
            &mut t,
            base.as_u64(),
            base.as_u64() + len,
            rw | PageFlags::NO_CACHE | PageFlags::WRITE_THROUGH,
        );
    }
    hal::paging::install_kernel_table(t).expect("the new kernel page table is incomplete");
    log::info!(
        "kernel page table installed (text {:#x}-{:#x} r-x, rodata r--, data rw-)",
        layout.text.0.as_u64(),
        layout.text.1.as_u64()
    );
}
