//! The hardware abstraction layer: everything dinos does that touches the machine.
//!
//! This crate is the kernel's *trusted base* (the idea Asterinas calls its framework):
//! it is the only crate allowed `unsafe`, and it exports safe types and functions so that
//! every layer above (`mm`, `task`, `drivers`, `kernel`) can say `#![forbid(unsafe_code)]`.
//! Each `unsafe` block here carries a `// SAFETY:` line that says why it is sound.
//!
//! hal *touches* the hardware and raw memory; what the hardware's structures *mean*
//! (page-table bits and walks, descriptor encodings, register numbers, exception names
//! and the fault report's text, the PVH and ACPI layouts, the symbol table's format) is
//! pure logic in the `x86` crate below, which forbids `unsafe` and is tested on the host.
//! Keeping that out of here keeps the trusted base to the mechanism: the loads and
//! stores, the privileged instructions and the entry stubs. The types callers use are
//! re-exported from the modules they belong to (`hal::paging::PageFlags`).
//!
//! Map of the crate, in boot order:
//! - [`boot`]: the PVH entry (32-bit, paging off) that reaches long mode in the higher
//!   half, and the physical reads that turn QEMU's hand-off into a [`boot::BootInfo`].
//! - [`percpu`]: each CPU's own data (running task, kernel-stack top, GDT, TSS),
//!   reached through GS; [`percpu::CpuLocal`] for the layers above.
//! - [`cpu`]: GDT, TSS, SSE enable, control registers, MSRs, interrupt flag.
//! - [`trap`]: the IDT, the entry stubs (red-zone and FPU handling), exception reports.
//! - [`addr`], [`paging`]: physical/virtual addresses, the direct map, page tables.
//! - [`heap`]: the kernel heap as the global allocator; [`heaptrack`], who holds its
//!   blocks (the leak hunter's report).
//! - [`apic`], [`serial`], [`port`], [`power`]: the devices the core kernel needs.
//! - [`pci`], [`mmio`], [`dma`]: what device drivers need from the machine, as safe
//!   primitives: PCI configuration access, mapped device registers, DMA memory
//!   (the drivers themselves, PCI enumeration included, are in `drivers`).
//! - [`smp`]: the other CPUs, found in the MADT and started through a real-mode
//!   trampoline (INIT-SIPI-SIPI).
//! - [`task`]: kernel stacks with guard pages and the context switch.
//! - [`sync`]: spinlocks, interrupt guards and the lock type sleeping mutexes build on;
//!   [`lockcheck`], the lock-order checker watching the spinlocks.
//! - [`backtrace`], [`symbols`]: frame-pointer backtraces, symbolised.
//! - [`module`]: entering a loaded kernel module's code, reading what it points at.

#![no_std]
#![allow(clippy::missing_safety_doc)]
// Built for the host only so the layers above can be type-checked and unit-tested; the
// machine code paths are `cfg(dinos_kernel)` and unused there.
#![cfg_attr(not(dinos_kernel), allow(dead_code))]

extern crate alloc;

pub mod addr;
pub mod apic;
pub mod backtrace;
pub mod boot;
pub mod cpu;
pub mod debug;
pub mod dma;
pub mod heap;
pub mod heaptrack;
pub mod lockcheck;
pub mod mmio;
pub mod module;
pub mod paging;
pub mod pci;
pub mod percpu;
pub mod port;
pub mod power;
pub mod serial;
pub mod smp;
pub mod symbols;
pub mod sync;
pub mod task;
pub mod trap;
pub mod user;
pub mod watchdog;

#[cfg(dinos_kernel)]
mod runtime;

/// The console writer everything low-level prints through (the serial port).
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => { $crate::serial::print(format_args!($($arg)*)) };
}

/// [`kprint!`] with a newline.
#[macro_export]
macro_rules! kprintln {
    () => { $crate::kprint!("\n") };
    ($($arg:tt)*) => { $crate::serial::print(format_args!("{}\n", format_args!($($arg)*))) };
}
