//! x86 I/O ports: the 16-bit port space used by the UART, the PIT, the CMOS clock and
//! QEMU's debug-exit device.
//!
//! A [`Port`] can only be made inside this crate, for the devices hal drives itself, or
//! through [`Port::new`], whose callers name a fixed, well-known device port.

use core::arch::asm;

/// One I/O port.
#[derive(Debug, Clone, Copy)]
pub struct Port(u16);

impl Port {
    /// A port. Port I/O cannot touch memory, so this is safe in Rust's sense; choosing
    /// the right port for the right device is the caller's job.
    pub const fn new(port: u16) -> Self {
        Port(port)
    }

    pub fn read8(self) -> u8 {
        let v: u8;
        // SAFETY: `in` from an I/O port does not access memory.
        unsafe {
            asm!("in al, dx", in("dx") self.0, out("al") v, options(nomem, nostack, preserves_flags))
        };
        v
    }

    pub fn write8(self, v: u8) {
        // SAFETY: `out` to an I/O port does not access memory (no DMA-capable device is
        // programmed through a Port in dinos).
        unsafe {
            asm!("out dx, al", in("dx") self.0, in("al") v, options(nomem, nostack, preserves_flags))
        };
    }

    pub fn read16(self) -> u16 {
        let v: u16;
        // SAFETY: as read8.
        unsafe {
            asm!("in ax, dx", in("dx") self.0, out("ax") v, options(nomem, nostack, preserves_flags))
        };
        v
    }

    pub fn write16(self, v: u16) {
        // SAFETY: as write8.
        unsafe {
            asm!("out dx, ax", in("dx") self.0, in("ax") v, options(nomem, nostack, preserves_flags))
        };
    }

    pub fn read32(self) -> u32 {
        let v: u32;
        // SAFETY: as read8.
        unsafe {
            asm!("in eax, dx", in("dx") self.0, out("eax") v, options(nomem, nostack, preserves_flags))
        };
        v
    }

    pub fn write32(self, v: u32) {
        // SAFETY: as write8.
        unsafe {
            asm!("out dx, eax", in("dx") self.0, in("eax") v, options(nomem, nostack, preserves_flags))
        };
    }
}
