//! The little of ACPI dinos reads: the FADT's PM1a control port and the MADT's CPUs.
//!
//! Both tables are found through the root table: the XSDT (64-bit entries) when the
//! RSDP is revision 2 or later and gives one, else the RSDT (32-bit entries). Only
//! tables below 4 GiB are followed (what the boot page tables map), and at most 64 root
//! entries.
//!
//! - Powering off without QEMU's debug-exit device means writing SLP_TYP|SLP_EN to the
//!   PM1a control block, whose I/O port the FADT (signature `FACP`) names at offset 64.
//! - The MADT (signature `APIC`) lists the interrupt controllers: after the 36-byte
//!   header come the local APIC's physical address (u32), flags (u32), then entries of
//!   `u8 type, u8 length, ...`. Type 0 is a processor's local APIC: `u8 processor id,
//!   u8 APIC id, u32 flags` (bit 0 enabled, bit 1 may be enabled later). The enabled
//!   ones are the CPUs the kernel can start.

use crate::boot::PhysRead;

/// The most CPUs dinos runs on: the MADT reader keeps the first this many (and the
/// kernel's per-CPU tables have this many slots).
pub const MAX_CPUS: usize = 8;

/// The physical address of the ACPI table with signature `sig` under the RSDP at
/// `rsdp`, if there is one.
pub fn find_table(mem: &impl PhysRead, rsdp: u64, sig: &[u8; 4]) -> Option<u64> {
    let r = rsdp;
    if r == 0 || r >= 0x1_0000_0000 || mem.bytes::<8>(r) != *b"RSD PTR " {
        return None;
    }
    let revision = mem.u8_at(r + 15);
    let (root, entry_size) = if revision >= 2 && mem.u64_at(r + 24) != 0 {
        (mem.u64_at(r + 24), 8)
    } else {
        (mem.u32_at(r + 16) as u64, 4)
    };
    if root == 0 || root >= 0x1_0000_0000 {
        return None;
    }
    let len = mem.u32_at(root + 4);
    let count = (len.saturating_sub(36) / entry_size).min(64);
    (0..count as u64)
        .map(|i| {
            if entry_size == 8 {
                mem.u64_at(root + 36 + i * 8)
            } else {
                mem.u32_at(root + 36 + i * 4) as u64
            }
        })
        .find(|&t| t != 0 && t < 0x1_0000_0000 && mem.bytes::<4>(t) == *sig)
}

/// The PM1a control port named by the FADT under the RSDP at `rsdp`, if there is one.
pub fn find_pm1a_cnt(mem: &impl PhysRead, rsdp: u64) -> Option<u32> {
    let fadt = find_table(mem, rsdp, b"FACP")?;
    let port = mem.u32_at(fadt + 64);
    (port != 0 && port <= 0xffff).then_some(port)
}

/// The MADT's type of entry for a processor's local APIC.
const MADT_LOCAL_APIC: u8 = 0;
/// Its flag "this processor is enabled".
const LOCAL_APIC_ENABLED: u32 = 1;
/// A bound on the MADT's length that we walk (a corrupt length cannot make us read far).
const MADT_MAX_LEN: u32 = 64 * 1024;

/// The processors the MADT describes. A fixed-size value, so that it can be read at
/// the first instruction of Rust, before there is a heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Madt {
    /// The local APIC's physical address (the same for every CPU: each sees its own).
    pub lapic_phys: u64,
    ids: [u8; MAX_CPUS],
    count: usize,
    /// Enabled processors beyond the first [`MAX_CPUS`], which are not kept.
    pub left_out: usize,
}

impl Madt {
    /// The local APIC ids of the enabled processors, in table order (the boot CPU is
    /// usually, but not necessarily, the first).
    pub fn apic_ids(&self) -> &[u8] {
        &self.ids[..self.count]
    }
}

/// Read the MADT under the RSDP at `rsdp`: the enabled processors' APIC ids.
pub fn read_madt(mem: &impl PhysRead, rsdp: u64) -> Option<Madt> {
    let t = find_table(mem, rsdp, b"APIC")?;
    let len = mem.u32_at(t + 4).min(MADT_MAX_LEN) as u64;
    let mut madt = Madt {
        lapic_phys: mem.u32_at(t + 36) as u64,
        ids: [0; MAX_CPUS],
        count: 0,
        left_out: 0,
    };
    let mut at = 44;
    while at + 2 <= len {
        let (kind, entry_len) = (mem.u8_at(t + at), mem.u8_at(t + at + 1) as u64);
        if entry_len < 2 || at + entry_len > len {
            break; // a malformed entry ends the walk
        }
        if kind == MADT_LOCAL_APIC && entry_len >= 8 {
            let id = mem.u8_at(t + at + 3);
            let flags = mem.u32_at(t + at + 4);
            if flags & LOCAL_APIC_ENABLED != 0 && !madt.apic_ids().contains(&id) {
                if madt.count < MAX_CPUS {
                    madt.ids[madt.count] = id;
                    madt.count += 1;
                } else {
                    madt.left_out += 1;
                }
            }
        }
        at += entry_len;
    }
    Some(madt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boot::tests::Ram;
    use alloc::vec::Vec;

    /// An RSDP at 0x100 (revision `rev`), a root table at 0x200 listing a junk table
    /// and a FADT at 0x400 whose PM1a control port is `port`.
    fn tables(rev: u8, port: u32) -> Ram {
        let mut m = Ram(Vec::new());
        m.put(0x100, b"RSD PTR ");
        m.put(0x10f, &[rev]);
        let entries: [u64; 2] = [0x300, 0x400];
        if rev >= 2 {
            m.put(0x118, &0x200u64.to_le_bytes());
            m.put(0x204, &(36u32 + 16).to_le_bytes());
            m.put(0x224, &entries[0].to_le_bytes());
            m.put(0x22c, &entries[1].to_le_bytes());
        } else {
            m.put(0x110, &0x200u32.to_le_bytes());
            m.put(0x204, &(36u32 + 8).to_le_bytes());
            m.put(0x224, &(entries[0] as u32).to_le_bytes());
            m.put(0x228, &(entries[1] as u32).to_le_bytes());
        }
        m.put(0x300, b"APIC");
        m.put(0x400, b"FACP");
        m.put(0x440, &port.to_le_bytes());
        m
    }

    #[test]
    fn the_fadt_is_found_through_rsdt_and_xsdt() {
        assert_eq!(find_pm1a_cnt(&tables(0, 0x604), 0x100), Some(0x604));
        assert_eq!(find_pm1a_cnt(&tables(2, 0xb004), 0x100), Some(0xb004));
    }

    #[test]
    fn bad_tables_give_nothing() {
        assert_eq!(find_pm1a_cnt(&tables(0, 0x604), 0), None);
        assert_eq!(
            find_pm1a_cnt(&tables(0, 0x604), 0x108),
            None,
            "no signature"
        );
        assert_eq!(
            find_pm1a_cnt(&tables(0, 0x1_0000), 0x100),
            None,
            "not a port"
        );
        assert_eq!(find_pm1a_cnt(&tables(0, 0), 0x100), None);
    }

    /// [`tables`] with a MADT at 0x300: local APIC at 0xfee00000, then `entries`.
    fn with_madt(entries: &[&[u8]]) -> Ram {
        let mut m = tables(2, 0x604);
        let mut at = 0x300 + 44;
        for e in entries {
            m.put(at, e);
            at += e.len() as u64;
        }
        m.put(0x304, &((at - 0x300) as u32).to_le_bytes());
        m.put(0x324, &0xfee0_0000u32.to_le_bytes());
        m
    }

    fn local_apic(id: u8, flags: u32) -> [u8; 8] {
        let f = flags.to_le_bytes();
        [0, 8, id, id, f[0], f[1], f[2], f[3]]
    }

    #[test]
    fn the_madt_lists_the_enabled_cpus() {
        let io_apic: [u8; 12] = [1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0];
        let m = with_madt(&[
            &local_apic(0, 1),
            &io_apic,
            &local_apic(1, 1),
            &local_apic(2, 0), // disabled: not started
            &local_apic(3, 3),
        ]);
        let madt = read_madt(&m, 0x100).expect("a MADT");
        assert_eq!(madt.lapic_phys, 0xfee0_0000);
        assert_eq!(madt.apic_ids(), [0, 1, 3]);
        assert_eq!(madt.left_out, 0);
    }

    #[test]
    fn a_malformed_madt_entry_ends_the_walk() {
        let zero_length: [u8; 2] = [0, 0];
        let m = with_madt(&[&local_apic(0, 1), &zero_length, &local_apic(1, 1)]);
        assert_eq!(read_madt(&m, 0x100).unwrap().apic_ids(), [0]);
        let too_long: [u8; 2] = [0, 200];
        let m = with_madt(&[&local_apic(0, 1), &too_long]);
        assert_eq!(read_madt(&m, 0x100).unwrap().apic_ids(), [0]);
    }

    #[test]
    fn cpus_beyond_the_limit_are_counted_not_kept() {
        let cpus: alloc::vec::Vec<[u8; 8]> = (0..10).map(|id| local_apic(id, 1)).collect();
        let refs: alloc::vec::Vec<&[u8]> = cpus.iter().map(|e| &e[..]).collect();
        let madt = read_madt(&with_madt(&refs), 0x100).unwrap();
        assert_eq!(madt.apic_ids(), [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(madt.left_out, 2);
    }

    #[test]
    fn no_madt_gives_nothing() {
        let mut m = tables(0, 0x604);
        m.put(0x300, b"SSDT");
        assert_eq!(read_madt(&m, 0x100), None);
        assert_eq!(read_madt(&tables(0, 0x604), 0), None);
    }
}
