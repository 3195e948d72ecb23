//! The CPU's descriptor tables as data: the GDT layout, the TSS, IDT gates.
//!
//! The GDT is laid out for `syscall`/`sysret` (which derive segment selectors from the
//! STAR MSR by fixed offsets): null, kernel code, kernel data, user data, user code, TSS.
//! The TSS holds no task state in long mode; it only names the stacks the CPU switches to:
//! `rsp0` for entries from user mode and the interrupt stack table (IST) used by every
//! vector. hal owns the tables themselves and loads them (`lgdt`, `ltr`, `lidt`); this
//! module only says what their bits mean.

pub const KERNEL_CS: u16 = 0x08;
pub const KERNEL_DS: u16 = 0x10;
pub const USER_DS: u16 = 0x18 | 3;
pub const USER_CS: u16 = 0x20 | 3;
pub const TSS_SEL: u16 = 0x28;
/// The STAR MSR's user selector base: `sysret` loads SS = base + 8 and CS = base + 16
/// (with RPL 3), which are [`USER_DS`] and [`USER_CS`].
pub const STAR_USER_BASE: u16 = 0x10;

/// IST slots (1-based as the CPU counts them).
pub const IST_INTERRUPT: u8 = 1;
pub const IST_PAGE_FAULT: u8 = 2;
pub const IST_DOUBLE_FAULT: u8 = 3;
pub const IST_NMI: u8 = 4;

/// The GDT, the TSS descriptor's two slots (5 and 6) still empty: filled in by hal once
/// the TSS's address is known ([`tss_descriptor`]).
pub const GDT: [u64; 7] = [
    0,
    0x00AF_9A00_0000_FFFF, // kernel code: present, ring 0, long mode
    0x00CF_9200_0000_FFFF, // kernel data
    0x00CF_F200_0000_FFFF, // user data: ring 3
    0x00AF_FA00_0000_FFFF, // user code: ring 3, long mode
    0,                     // TSS (low half)
    0,                     // TSS (high half)
];
/// The GDT slot of the TSS descriptor (its selector is [`TSS_SEL`]).
pub const GDT_TSS_SLOT: usize = 5;

/// The 64-bit task-state segment.
#[repr(C, packed(4))]
pub struct Tss {
    pub _reserved0: u32,
    /// Stacks for entries from rings 0-2 (`rsp[0]` is the one used: from user mode).
    pub rsp: [u64; 3],
    pub _reserved1: u64,
    /// The interrupt stack table, slots 1-7.
    pub ist: [u64; 7],
    pub _reserved2: u64,
    pub _reserved3: u16,
    pub iomap_base: u16,
}

impl Tss {
    /// A TSS with no stacks yet and no I/O permission bitmap (its offset is the limit).
    pub const fn new() -> Self {
        Tss {
            _reserved0: 0,
            rsp: [0; 3],
            _reserved1: 0,
            ist: [0; 7],
            _reserved2: 0,
            _reserved3: 0,
            iomap_base: core::mem::size_of::<Tss>() as u16,
        }
    }
}

impl Default for Tss {
    fn default() -> Self {
        Self::new()
    }
}

/// The two GDT words of an available 64-bit TSS at `base` with byte limit `limit`.
pub const fn tss_descriptor(base: u64, limit: u64) -> [u64; 2] {
    let low = (limit & 0xffff)
        | ((base & 0xff_ffff) << 16)
        | (0x89 << 40) // present, 64-bit TSS (available)
        | ((limit >> 16) & 0xf) << 48
        | ((base >> 24) & 0xff) << 56;
    [low, base >> 32]
}

/// The operand of `lgdt` and `lidt`.
#[repr(C, packed)]
pub struct DescriptorPointer {
    pub limit: u16,
    pub base: u64,
}

/// One IDT gate.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdtEntry {
    offset_low: u16,
    selector: u16,
    ist: u8,
    flags: u8,
    offset_mid: u16,
    offset_high: u32,
    _zero: u32,
}

impl IdtEntry {
    /// A gate that is not present (any use raises #NP, then #DF).
    pub const MISSING: IdtEntry = IdtEntry {
        offset_low: 0,
        selector: 0,
        ist: 0,
        flags: 0,
        offset_mid: 0,
        offset_high: 0,
        _zero: 0,
    };

    /// A present interrupt gate (interrupts off on entry) to `handler` in code segment
    /// `selector`, on IST stack `ist`, that code at privilege `dpl` may raise with `int`.
    pub const fn interrupt_gate(handler: u64, selector: u16, ist: u8, dpl: u8) -> Self {
        IdtEntry {
            offset_low: handler as u16,
            selector,
            ist,
            flags: 0x8e | (dpl << 5),
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            _zero: 0,
        }
    }

    /// The handler address the gate points at.
    pub const fn handler(&self) -> u64 {
        self.offset_low as u64 | (self.offset_mid as u64) << 16 | (self.offset_high as u64) << 32
    }
}

/// The IST stack vector `vector` enters on: #PF, #DF and NMI/#MC have stacks of their
/// own so that a fault in the middle of another entry cannot overwrite the frame being
/// copied; every other vector shares one.
pub const fn ist_for_vector(vector: u8) -> u8 {
    match vector {
        14 => IST_PAGE_FAULT,
        8 => IST_DOUBLE_FAULT,
        2 | 18 => IST_NMI,
        _ => IST_INTERRUPT,
    }
}

/// The gate privilege for `vector`: breakpoint and overflow may be raised from user mode
/// with `int3`/`into`; every other vector only by the CPU or the kernel.
pub const fn dpl_for_vector(vector: u8) -> u8 {
    if vector == 3 || vector == 4 {
        3
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tss_descriptor_splits_base_and_limit() {
        let [low, high] = tss_descriptor(0xffff_ffff_8012_3456, 0x67);
        assert_eq!(low & 0xffff, 0x67);
        assert_eq!((low >> 16) & 0xff_ffff, 0x12_3456);
        assert_eq!((low >> 40) & 0xff, 0x89);
        assert_eq!(low >> 56, 0x80);
        assert_eq!(high, 0xffff_ffff);
    }

    #[test]
    fn interrupt_gate_round_trips_the_handler() {
        let g = interrupt_gate_for(0xffff_ffff_8000_1230);
        assert_eq!(g.handler(), 0xffff_ffff_8000_1230);
        assert_eq!(g.flags, 0x8e | 3 << 5);
        assert_eq!(g.selector, KERNEL_CS);
    }

    fn interrupt_gate_for(addr: u64) -> IdtEntry {
        IdtEntry::interrupt_gate(addr, KERNEL_CS, IST_INTERRUPT, 3)
    }

    #[test]
    fn selectors_match_the_gdt_and_star() {
        assert_eq!(GDT[(KERNEL_CS >> 3) as usize] >> 40 & 0xff, 0x9a);
        assert_eq!(GDT[(USER_CS >> 3) as usize] >> 40 & 0xff, 0xfa);
        assert_eq!(GDT[(USER_DS >> 3) as usize] >> 40 & 0xff, 0xf2);
        assert_eq!(STAR_USER_BASE + 8, USER_DS & !3);
        assert_eq!(STAR_USER_BASE + 16, USER_CS & !3);
        assert_eq!(TSS_SEL as usize >> 3, GDT_TSS_SLOT);
        assert_eq!(core::mem::size_of::<Tss>(), 104);
        assert_eq!(core::mem::size_of::<IdtEntry>(), 16);
    }

    #[test]
    fn fault_vectors_get_their_own_stacks() {
        assert_eq!(ist_for_vector(14), IST_PAGE_FAULT);
        assert_eq!(ist_for_vector(8), IST_DOUBLE_FAULT);
        assert_eq!(ist_for_vector(18), IST_NMI);
        assert_eq!(ist_for_vector(32), IST_INTERRUPT);
        assert_eq!((dpl_for_vector(3), dpl_for_vector(13)), (3, 0));
    }
}
