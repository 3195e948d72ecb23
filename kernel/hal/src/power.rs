//! Ending the machine: QEMU's debug-exit device, then ACPI S5 as a fallback.
//!
//! `cargo xtask` starts QEMU with `-device isa-debug-exit,iobase=0xf4`: a write of `v`
//! to port 0xf4 ends QEMU with status `(v << 1) | 1`. dinos writes [`EXIT_SUCCESS`] for
//! a clean power-off (QEMU status 33) and [`EXIT_FAILURE`] after a panic (status 35); the
//! xtask maps those back to 0 and 1. On a QEMU without that device, power-off falls back
//! to ACPI: writing SLP_TYP|SLP_EN to the PM1a control block named by the FADT (found
//! by [`x86::acpi::find_pm1a_cnt`], reading the tables through [`BootMemory`]).

use crate::addr::PhysAddr;
use crate::boot::BootMemory;
use crate::port::Port;
use core::sync::atomic::{AtomicU32, Ordering};

const DEBUG_EXIT: Port = Port::new(0xf4);
pub const EXIT_SUCCESS: u8 = 0x10;
pub const EXIT_FAILURE: u8 = 0x11;

static PM1A_CNT: AtomicU32 = AtomicU32::new(0);

/// Find the ACPI PM1a control port from the RSDP (called at boot, while the boot page
/// tables still map all low memory).
pub fn init(rsdp: Option<PhysAddr>) {
    let find = |rsdp: PhysAddr| x86::acpi::find_pm1a_cnt(&BootMemory, rsdp.as_u64());
    if let Some(port) = rsdp.and_then(find) {
        PM1A_CNT.store(port, Ordering::SeqCst);
    }
}

/// Write `code` to the debug-exit device (QEMU exits at once if it has one).
pub fn debug_exit(code: u8) {
    DEBUG_EXIT.write32(code as u32);
}

/// Power off: the debug-exit device, then ACPI S5, then halt.
pub fn poweroff() -> ! {
    debug_exit(EXIT_SUCCESS);
    let port = PM1A_CNT.load(Ordering::SeqCst);
    if port != 0 {
        // SLP_TYP for S5 is 0 in QEMU's DSDT for both PIIX4 and ICH9; SLP_EN is bit 13.
        Port::new(port as u16).write16(1 << 13);
    }
    crate::cpu::halt_forever()
}

/// Stop after a fatal error: QEMU exits with a failure status.
pub fn exit_failure() -> ! {
    debug_exit(EXIT_FAILURE);
    crate::cpu::halt_forever()
}

/// Reset the machine through the keyboard controller (pulse the CPU reset line).
pub fn reboot() -> ! {
    Port::new(0x64).write8(0xfe);
    crate::cpu::halt_forever()
}
