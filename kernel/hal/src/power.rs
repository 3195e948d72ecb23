//! Ending the machine: QEMU's debug-exit device, then ACPI S5 as a fallback.
//!
//! `cargo xtask` starts QEMU with `-device isa-debug-exit,iobase=0xf4`: a write of `v`
//! to port 0xf4 ends QEMU with status `(v << 1) | 1`. dinos writes [`EXIT_SUCCESS`] for
//! a clean power-off (QEMU status 33) and [`EXIT_FAILURE`] after a panic (status 35); the
//! xtask maps those back to 0 and 1. On a QEMU without that device, power-off falls back
//! to ACPI: writing SLP_TYP|SLP_EN to the PM1a control block named by the FADT.

use crate::addr::PhysAddr;
use crate::port::Port;
use core::sync::atomic::{AtomicU32, Ordering};

const DEBUG_EXIT: Port = Port::new(0xf4);
pub const EXIT_SUCCESS: u8 = 0x10;
pub const EXIT_FAILURE: u8 = 0x11;

static PM1A_CNT: AtomicU32 = AtomicU32::new(0);

/// Find the ACPI PM1a control port from the RSDP (called at boot, while the boot page
/// tables still map all low memory).
pub fn init(rsdp: Option<PhysAddr>) {
    if let Some(port) = rsdp.and_then(find_pm1a_cnt) {
        PM1A_CNT.store(port, Ordering::SeqCst);
    }
}

#[cfg(dinos_kernel)]
fn read<T: Copy>(p: u64) -> T {
    // SAFETY: ACPI tables live in low physical memory, mapped by the boot page tables;
    // every pointer followed here comes from a table whose signature was checked.
    unsafe { core::ptr::read_unaligned(PhysAddr(p).to_virt().as_u64() as *const T) }
}

#[cfg(not(dinos_kernel))]
fn read<T: Copy + Default>(_p: u64) -> T {
    T::default()
}

fn find_pm1a_cnt(rsdp: PhysAddr) -> Option<u32> {
    let r = rsdp.as_u64();
    if r == 0 || r >= 0x1_0000_0000 || read::<[u8; 8]>(r) != *b"RSD PTR " {
        return None;
    }
    let revision: u8 = read(r + 15);
    let (root, entry_size) = if revision >= 2 && read::<u64>(r + 24) != 0 {
        (read::<u64>(r + 24), 8)
    } else {
        (read::<u32>(r + 16) as u64, 4)
    };
    if root == 0 || root >= 0x1_0000_0000 {
        return None;
    }
    let len: u32 = read(root + 4);
    let count = (len.saturating_sub(36) / entry_size).min(64);
    for i in 0..count as u64 {
        let table = if entry_size == 8 {
            read::<u64>(root + 36 + i * 8)
        } else {
            read::<u32>(root + 36 + i * 4) as u64
        };
        if table != 0 && table < 0x1_0000_0000 && read::<[u8; 4]>(table) == *b"FACP" {
            let port: u32 = read(table + 64);
            return (port != 0 && port <= 0xffff).then_some(port);
        }
    }
    None
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
