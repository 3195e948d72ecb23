//! The dinos kernel binary: the entry symbol hal's boot code calls, and the panic
//! handler. The boot story itself is the safe crate `init`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

mod panic;

/// Called by hal's boot code on the boot stack, interrupts off, GDT/IDT/TSS loaded.
#[allow(unsafe_code)] // the one exported symbol: hal's boot code calls it by name
#[no_mangle]
fn dinos_main(boot: &'static hal::boot::BootInfo) -> ! {
    init::main(boot)
}
