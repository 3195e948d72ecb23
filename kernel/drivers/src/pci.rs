//! PCI: finding devices, reading their headers, giving their BARs addresses.
//!
//! The bus is a tree of *functions* (bus:device.function), each with a 256-byte
//! configuration header: who made it (vendor/device ids), what it is (class), where
//! its registers are (the six BARs), and a linked list of optional *capabilities*.
//! hal gives only the dword read/write of that header ([`hal::pci`]); everything here
//! is logic over it, and nothing a device reports is trusted: an impossible BAR is
//! skipped, a capability list that loops ends after [`MAX_CAPS`] entries.
//!
//! The fast firmware (qboot) does not assign BARs; [`assign_bars`] places every
//! unassigned memory BAR in q35's PCI hole, naturally aligned to its size.

use alloc::vec::Vec;
use core::fmt;

/// One PCI function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Function {
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.device, self.function)
    }
}

// Header offsets (type 0 and the fields common to all types).
const VENDOR: u8 = 0x00;
const COMMAND: u8 = 0x04;
const CLASS: u8 = 0x08;
const HEADER_TYPE: u8 = 0x0c;
const BAR0: u8 = 0x10;
const CAP_POINTER: u8 = 0x34;
const INTERRUPT: u8 = 0x3c;
/// Status register bit: the function has a capability list.
const STATUS_CAP_LIST: u32 = 1 << 20;

/// Command register bits.
pub const CMD_IO: u16 = 1 << 0;
pub const CMD_MEMORY: u16 = 1 << 1;
pub const CMD_BUS_MASTER: u16 = 1 << 2;

/// A capability list longer than this is taken to be a loop.
pub const MAX_CAPS: usize = 48;

impl Function {
    pub fn read32(&self, offset: u8) -> u32 {
        hal::pci::config_read(self.bus, self.device, self.function, offset)
    }
    pub fn write32(&self, offset: u8, value: u32) {
        hal::pci::config_write(self.bus, self.device, self.function, offset, value)
    }
    pub fn read16(&self, offset: u8) -> u16 {
        (self.read32(offset) >> ((offset & 2) * 8)) as u16
    }
    pub fn read8(&self, offset: u8) -> u8 {
        (self.read32(offset) >> ((offset & 3) * 8)) as u8
    }

    pub fn vendor_id(&self) -> u16 {
        self.read16(VENDOR)
    }
    pub fn device_id(&self) -> u16 {
        self.read16(VENDOR + 2)
    }
    /// (class, subclass, programming interface).
    pub fn class(&self) -> (u8, u8, u8) {
        let v = self.read32(CLASS);
        ((v >> 24) as u8, (v >> 16) as u8, (v >> 8) as u8)
    }
    /// Header layout (0 = device, 1 = PCI bridge), without the multi-function bit.
    pub fn header_type(&self) -> u8 {
        self.read8(HEADER_TYPE) & 0x7f
    }
    fn is_multi_function(&self) -> bool {
        self.read8(HEADER_TYPE) & 0x80 != 0
    }
    /// The legacy interrupt pin (1 = INTA .. 4 = INTD, 0 = none).
    pub fn interrupt_pin(&self) -> u8 {
        self.read8(INTERRUPT + 1)
    }

    pub fn command(&self) -> u16 {
        self.read16(COMMAND)
    }
    /// Set bits in the command register (the status half is write-1-to-clear: kept 0).
    pub fn enable(&self, bits: u16) {
        let cmd = self.command() | bits;
        self.write32(COMMAND, cmd as u32);
    }

    /// The capability list: (capability id, offset of the capability in the header).
    pub fn capabilities(&self) -> Vec<(u8, u8)> {
        if self.read32(COMMAND) & STATUS_CAP_LIST == 0 {
            return Vec::new();
        }
        walk_capabilities(self.read8(CAP_POINTER), |at| self.read32(at))
    }
}

/// Follow a capability list from `first`, reading each entry's dword with `read`.
/// Entries live after the standard header (at 0x40 or above); a list that points back
/// into the header ends, and one that loops ends after [`MAX_CAPS`] entries.
pub fn walk_capabilities(first: u8, read: impl Fn(u8) -> u32) -> Vec<(u8, u8)> {
    let mut caps = Vec::new();
    let mut at = first & 0xfc;
    while at >= 0x40 && caps.len() < MAX_CAPS {
        let v = read(at);
        caps.push((v as u8, at));
        at = (v >> 8) as u8 & 0xfc;
    }
    caps
}

/// What a base address register describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bar {
    /// Memory-mapped registers; `wide` BARs take two slots (64-bit addresses).
    Memory { addr: u64, size: u64, wide: bool },
    /// I/O-port registers.
    Io { port: u32, size: u32 },
}

/// Size and address of BAR `index` (0..6): `None` if unimplemented or impossible.
/// Sizing writes all ones and reads back which bits stick, with decoding switched off.
pub fn bar(f: &Function, index: u8) -> Option<Bar> {
    if index >= 6 || f.header_type() != 0 {
        return None;
    }
    let reg = BAR0 + 4 * index;
    let cmd = f.command();
    f.write32(COMMAND, (cmd & !(CMD_IO | CMD_MEMORY)) as u32);
    let size_of = |reg: u8| {
        let old = f.read32(reg);
        f.write32(reg, !0);
        let probe = f.read32(reg);
        f.write32(reg, old);
        (old, probe)
    };
    let low = size_of(reg);
    let wide = low.0 & 1 == 0 && (low.0 >> 1) & 3 == 2;
    let high = (wide && index < 5).then(|| size_of(reg + 4));
    f.write32(COMMAND, cmd as u32);
    decode_bar(index, low, high)
}

/// What a BAR says, from its (value, value after writing all ones) and, for a 64-bit
/// memory BAR, the same pair of the next slot. Anything impossible is `None`: no size
/// bits, a size that is not a power of two, an address not aligned to the size, a
/// 64-bit BAR in the last slot.
pub fn decode_bar(index: u8, low: (u32, u32), high: Option<(u32, u32)>) -> Option<Bar> {
    let (value, probe) = low;
    if value & 1 == 1 {
        let mask = probe & !3 & 0xffff;
        let size = (!mask & 0xffff) + 1;
        return (mask != 0 && size.is_power_of_two()).then_some(Bar::Io {
            port: value & !3,
            size,
        });
    }
    let wide = (value >> 1) & 3 == 2;
    let low_mask = (probe & !0xf) as u64;
    let (addr, mask) = match (wide, high) {
        (true, Some((hv, hp))) if index < 5 => (
            (hv as u64) << 32 | (value & !0xf) as u64,
            (hp as u64) << 32 | low_mask,
        ),
        (true, _) => return None,
        (false, _) if low_mask == 0 => return None,
        (false, _) => ((value & !0xf) as u64, 0xffff_ffff_0000_0000 | low_mask),
    };
    let size = (!mask).wrapping_add(1);
    (mask != 0 && size.is_power_of_two() && addr & (size - 1) == 0).then_some(Bar::Memory {
        addr,
        size,
        wide,
    })
}

/// Where unassigned memory BARs go: q35's PCI hole, above the PCIe configuration
/// window (0xb000_0000, 256 MiB) and below the I/O APIC.
static NEXT_MMIO: hal::sync::SpinLock<u64> = hal::sync::SpinLock::new(0xc000_0000);
const MMIO_END: u64 = 0xfe00_0000;

/// Give every unassigned memory BAR of `f` an address (SeaBIOS assigns them, qboot
/// does not). A BAR that does not fit is left unassigned, with a log line.
pub fn assign_bars(f: &Function) {
    let mut index = 0;
    while index < 6 {
        let b = bar(f, index);
        if let Some(Bar::Memory {
            addr: 0,
            size,
            wide,
        }) = b
        {
            let mut next = NEXT_MMIO.lock();
            let at = next.div_ceil(size).saturating_mul(size);
            if at.checked_add(size).is_some_and(|e| e <= MMIO_END) {
                *next = at + size;
                let reg = BAR0 + 4 * index;
                f.write32(reg, at as u32);
                if wide {
                    f.write32(reg + 4, (at >> 32) as u32);
                }
            } else {
                log::warn!("pci {f}: no room for BAR{index} ({size:#x} bytes)");
            }
        }
        index += if matches!(b, Some(Bar::Memory { wide: true, .. })) {
            2
        } else {
            1
        };
    }
}

/// Map memory BAR `index` of `f` (assigned by now) as device registers.
pub fn map_bar(f: &Function, index: u8) -> Result<hal::mmio::Mmio, &'static str> {
    match bar(f, index) {
        Some(Bar::Memory { addr, size, .. }) if addr != 0 => {
            let len = usize::try_from(size).map_err(|_| "BAR too large")?;
            hal::mmio::map(hal::addr::PhysAddr(addr), len).map_err(|e| match e {
                hal::mmio::MmioError::IsRam => "BAR overlaps RAM",
                hal::mmio::MmioError::BadRange => "BAR address out of range",
                hal::mmio::MmioError::NoMemory => "no memory to map the BAR",
            })
        }
        Some(Bar::Memory { .. }) => Err("BAR unassigned"),
        Some(Bar::Io { .. }) => Err("BAR is I/O space, not memory"),
        None => Err("BAR not implemented"),
    }
}

/// Every function on bus 0 (the only bus on the machines dinos runs on: q35 without
/// bridges), in device order.
pub fn scan() -> Vec<Function> {
    let mut found = Vec::new();
    for device in 0..32 {
        let f0 = Function {
            bus: 0,
            device,
            function: 0,
        };
        if f0.vendor_id() == 0xffff {
            continue;
        }
        let functions = if f0.is_multi_function() { 8 } else { 1 };
        for function in 0..functions {
            let f = Function { function, ..f0 };
            if f.vendor_id() != 0xffff {
                found.push(f);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_decoded_and_nonsense_is_refused() {
        // A 16 KiB 64-bit memory BAR, unassigned; then assigned above 4 GiB.
        let bar = decode_bar(4, (0x4, 0xffff_c004), Some((0, 0xffff_ffff)));
        assert_eq!(
            bar,
            Some(Bar::Memory {
                addr: 0,
                size: 0x4000,
                wide: true
            })
        );
        let bar = decode_bar(4, (0x8000_4004, 0xffff_c004), Some((1, 0xffff_ffff)));
        assert!(matches!(
            bar,
            Some(Bar::Memory {
                addr: 0x1_8000_4000,
                ..
            })
        ));
        // A 4 KiB 32-bit BAR and a 64-byte I/O BAR.
        let bar = decode_bar(1, (0xfebd_1000, 0xffff_f000), None);
        assert_eq!(
            bar,
            Some(Bar::Memory {
                addr: 0xfebd_1000,
                size: 0x1000,
                wide: false
            })
        );
        assert_eq!(
            decode_bar(0, (0xc041, 0xffff_ffc1), None),
            Some(Bar::Io {
                port: 0xc040,
                size: 64
            })
        );
        // Unimplemented (nothing sticks), holes in the size mask, misaligned address,
        // a 64-bit BAR in the last slot or without its upper half.
        assert_eq!(decode_bar(0, (0, 0), None), None);
        assert_eq!(decode_bar(0, (0, 0xff0f_f000), None), None);
        assert_eq!(decode_bar(0, (0x1800, 0xffff_f000), None), None);
        assert_eq!(decode_bar(5, (0x4, 0xffff_c004), Some((0, !0))), None);
        assert_eq!(decode_bar(2, (0x4, 0xffff_c004), None), None);
        assert_eq!(decode_bar(0, (0x1, 0x1), None), None);
    }

    #[test]
    fn capability_lists_that_loop_or_point_into_the_header_end() {
        // 0x40 -> 0x50 -> 0x40 -> ...: a loop.
        let looped = walk_capabilities(0x40, |at| if at == 0x40 { 0x5009 } else { 0x4011 });
        assert_eq!(looped.len(), MAX_CAPS);
        // 0x40 -> 0x10 (inside the standard header): the walk stops.
        assert_eq!(walk_capabilities(0x40, |_| 0x1009), [(0x09, 0x40)]);
        // 0x60 -> 0x70 -> end; low bits of pointers are ignored.
        let caps = walk_capabilities(0x63, |at| if at == 0x60 { 0x7309 } else { 0x0011 });
        assert_eq!(caps, [(0x09, 0x60), (0x11, 0x70)]);
        assert!(walk_capabilities(0, |_| unreachable!()).is_empty());
    }
}
