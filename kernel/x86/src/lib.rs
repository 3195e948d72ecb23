//! What the x86_64 PC's structures mean: the machine described as data, below hal.
//!
//! hal *touches* the hardware and raw memory; this crate says what the hardware's
//! structures mean, as pure functions over numbers and byte slices: address arithmetic,
//! page-table entries and walks (over a [`paging::TableMemory`] that hal provides),
//! GDT/IDT/TSS encodings, register bits and MSR numbers, exception names and the text of
//! a fault report, the firmware's hand-off (PVH start info, ACPI tables, read through a
//! [`boot::PhysRead`]), interrupt-controller and PCI register encodings, and the format
//! of the kernel's own symbol table with the backtrace printed from it.
//!
//! Nothing here can touch memory it was not handed, so the crate is
//! `#![forbid(unsafe_code)]`, builds on the host and is unit-tested there: the logic that
//! was untestable inside hal is tested here, and hal's trusted base is only the
//! mechanism (the loads and stores, the privileged instructions, the entry stubs).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod acpi;
pub mod addr;
pub mod apic;
pub mod backtrace;
pub mod boot;
pub mod descriptors;
pub mod paging;
pub mod pci;
pub mod regs;
pub mod symbols;
pub mod trap;
pub mod uart;
pub mod user;
