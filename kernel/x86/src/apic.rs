//! The interrupt controllers' registers and encodings: the local APIC, the I/O APIC's
//! redirection entries, the legacy PIT used to calibrate the timer, and the TSC clock's
//! arithmetic.
//!
//! hal reads and writes the registers (memory-mapped, uncached) and the PIT's ports;
//! this module only names them and builds the values written.

use crate::addr::PhysAddr;

/// The timer interrupt's vector.
pub const TIMER_VECTOR: u8 = 32;
/// The inter-processor interrupt that asks a CPU to flush its TLB.
pub const TLB_VECTOR: u8 = 0xe0;
/// The inter-processor interrupt that wakes an idle CPU to look at the run queue.
pub const WAKE_VECTOR: u8 = 0xe1;
/// Where the local APIC sends spurious interrupts.
pub const SPURIOUS_VECTOR: u8 = 0xff;
/// Vector for ISA IRQ n is `IRQ_BASE + n`.
pub const IRQ_BASE: u8 = 32;

pub const LAPIC_PHYS: PhysAddr = PhysAddr(0xfee0_0000);
pub const IOAPIC_PHYS: PhysAddr = PhysAddr(0xfec0_0000);

/// Local APIC register offsets.
pub mod lapic {
    pub const TPR: u64 = 0x80;
    pub const EOI: u64 = 0xb0;
    /// Spurious-interrupt vector register; [`SVR_ENABLE`] turns the APIC on.
    pub const SVR: u64 = 0xf0;
    pub const SVR_ENABLE: u32 = 0x100;
    pub const LVT_TIMER: u64 = 0x320;
    /// The timer's LVT mode bit: periodic rather than one-shot.
    pub const LVT_PERIODIC: u32 = 1 << 17;
    pub const TIMER_INIT: u64 = 0x380;
    pub const TIMER_CURRENT: u64 = 0x390;
    pub const TIMER_DIVIDE: u64 = 0x3e0;
    /// The divide-configuration value for "divide by 16".
    pub const DIVIDE_BY_16: u32 = 0x3;
    /// An LVT entry's mask bit: the source raises no interrupt.
    pub const LVT_MASKED: u32 = 1 << 16;
    /// The interrupt command register: the destination APIC id goes in bits 24-31 of
    /// the high half; writing the low half sends the command.
    pub const ICR_LOW: u64 = 0x300;
    pub const ICR_HIGH: u64 = 0x310;
    /// Set while the APIC has not yet sent the last command.
    pub const ICR_PENDING: u32 = 1 << 12;
    /// INIT, level assert: the target CPU resets and waits for a start-up IPI.
    pub const ICR_INIT: u32 = (5 << 8) | (1 << 14);
    /// A non-maskable interrupt (delivery mode 4, assert): taken even with interrupts
    /// off, which is how a panicking CPU stops the others wherever they are.
    pub const ICR_NMI: u32 = (4 << 8) | (1 << 14);
    /// The destination shorthand "all excluding self" (bits 18-19 = 11): the command
    /// goes to every other CPU, whatever ICR_HIGH says.
    pub const ICR_ALL_BUT_SELF: u32 = 3 << 18;

    /// A start-up IPI (SIPI): the target starts in real mode at `CS = page << 8, IP = 0`,
    /// that is at physical address `page * 4096`.
    pub const fn icr_startup(page: u8) -> u32 {
        (6 << 8) | (1 << 14) | page as u32
    }

    /// A fixed interrupt of `vector` (edge, assert): an ordinary IPI.
    pub const fn icr_fixed(vector: u8) -> u32 {
        (1 << 14) | vector as u32
    }

    /// The ICR's high half for destination APIC id `apic_id`.
    pub const fn icr_destination(apic_id: u8) -> u32 {
        (apic_id as u32) << 24
    }
}

/// I/O APIC: the index register (at the base) and the data register.
pub const IOAPIC_DATA_OFFSET: u64 = 0x10;

/// The I/O APIC register index of the low half of input `n`'s redirection entry (the
/// high half, holding the destination APIC id, is the next index).
pub const fn redirection_register(n: u8) -> u32 {
    0x10 + 2 * n as u32
}

/// The high half of a redirection entry: physical destination mode, to the CPU with
/// APIC id `apic_id` (bits 56-63 of the entry).
pub const fn redirection_destination(apic_id: u8) -> u32 {
    (apic_id as u32) << 24
}

/// The CPU (a number from 0 to `cpus - 1`) that device interrupt line `gsi` is sent
/// to: the lines are dealt out round-robin starting one after the boot CPU, so with
/// two CPUs or more the first line (and COM1, GSI 4) never lands on CPU 0, which also
/// takes the clock's work (the sleepers, the tick count). One CPU: always 0.
pub const fn irq_cpu(gsi: u8, cpus: usize) -> usize {
    if cpus <= 1 {
        0
    } else {
        (gsi as usize + 1) % cpus
    }
}

/// Trigger mode and polarity of an interrupt line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// ISA devices: edge-triggered, active high.
    IsaEdge,
    /// PCI devices: level-triggered, active low.
    PciLevel,
}

/// The low half of a redirection entry: fixed delivery of `vector`, with the line's
/// trigger mode and polarity, masked or not.
pub const fn redirection_entry(vector: u8, trigger: Trigger, masked: bool) -> u32 {
    let mode = match trigger {
        Trigger::IsaEdge => 0,
        Trigger::PciLevel => (1 << 13) | (1 << 15), // active low, level
    };
    vector as u32 | mode | if masked { 1 << 16 } else { 0 }
}

/// The legacy 8254 timer (PIT) and its ports.
pub mod pit {
    /// Its input clock, the same on every PC.
    pub const HZ: u64 = 1_193_182;
    pub const CHANNEL0: u16 = 0x40;
    pub const CHANNEL2: u16 = 0x42;
    pub const COMMAND: u16 = 0x43;
    /// Port 0x61: bit 0 gates channel 2, bit 1 drives the speaker, bit 5 reads its output.
    pub const GATE: u16 = 0x61;
    pub const GATE_OUTPUT: u8 = 0x20;
    /// Channel 2, low byte then high byte, mode 0 (interrupt on terminal count).
    pub const CHANNEL2_ONE_SHOT: u8 = 0b1011_0000;
    /// Channel 0, low byte then high byte, mode 0 (interrupt on terminal count).
    pub const CHANNEL0_ONE_SHOT: u8 = 0b0011_0000;
    /// Channel 2, counter latch: the next two reads give the count at this moment.
    pub const CHANNEL2_LATCH: u8 = 0b1000_0000;
}

/// The legacy 8259 PICs, which dinos moves out of the way and masks.
pub mod pic {
    /// Command and data ports of the primary and the secondary PIC.
    pub const PRIMARY: (u16, u16) = (0x20, 0x21);
    pub const SECONDARY: (u16, u16) = (0xa0, 0xa1);
    /// ICW1: edge-triggered, cascaded, ICW4 follows.
    pub const ICW1_INIT: u8 = 0x11;
    /// ICW2: the vector bases, 0xf0 and 0xf8, so a stray IRQ is never an exception.
    pub const VECTOR_BASES: (u8, u8) = (0xf0, 0xf8);
    /// ICW3: the secondary hangs on the primary's line 2 (a bit mask), and its id is 2.
    pub const CASCADE: (u8, u8) = (1 << 2, 2);
    /// ICW4: 8086 mode.
    pub const ICW4_8086: u8 = 0x01;
    /// OCW1: every line masked.
    pub const MASK_ALL: u8 = 0xff;
}

/// Nanoseconds in `ticks` of a counter running at `hz` (0 for an unknown rate).
pub const fn ticks_to_nanos(ticks: u64, hz: u64) -> u64 {
    if hz <= 1 {
        return 0;
    }
    ((ticks as u128 * 1_000_000_000) / hz as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirection_entries() {
        assert_eq!(redirection_register(4), 0x18);
        assert_eq!(redirection_entry(36, Trigger::IsaEdge, false), 36);
        assert_eq!(redirection_entry(0x40, Trigger::PciLevel, false), 0xa040);
        assert_eq!(redirection_entry(0x40, Trigger::PciLevel, true), 0x1_a040);
        assert_eq!(redirection_destination(3), 0x0300_0000);
    }

    #[test]
    fn device_lines_are_spread_over_the_cpus() {
        assert_eq!(irq_cpu(4, 1), 0, "one CPU takes everything");
        assert_eq!(irq_cpu(4, 2), 1, "COM1 away from CPU 0");
        let on: [usize; 8] = core::array::from_fn(|i| irq_cpu(16 + i as u8, 4));
        assert_eq!(on, [1, 2, 3, 0, 1, 2, 3, 0], "PCI lines A-H on four CPUs");
        assert!((0..24).all(|g| irq_cpu(g, 3) < 3));
    }

    #[test]
    fn start_up_commands() {
        assert_eq!(lapic::ICR_INIT, 0x4500);
        assert_eq!(lapic::ICR_NMI, 0x4400);
        assert_eq!(lapic::icr_startup(0x08), 0x4608, "a start at 0x8000");
        assert_eq!(lapic::icr_destination(3), 0x0300_0000);
        assert_eq!(lapic::icr_fixed(0xe0), 0x40e0);
    }

    #[test]
    fn tsc_ticks_to_nanoseconds() {
        assert_eq!(ticks_to_nanos(3_000_000_000, 3_000_000_000), 1_000_000_000);
        assert_eq!(
            ticks_to_nanos(u64::MAX, 1_000_000_000),
            u64::MAX,
            "no overflow"
        );
        assert_eq!(ticks_to_nanos(5, 1), 0, "not calibrated");
    }
}
