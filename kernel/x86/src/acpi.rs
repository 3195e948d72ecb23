//! The little of ACPI dinos reads: from the RSDP to the FADT's PM1a control port.
//!
//! Powering off without QEMU's debug-exit device means writing SLP_TYP|SLP_EN to the
//! PM1a control block, whose I/O port the FADT (signature `FACP`) names at offset 64.
//! The FADT is found through the root table: the XSDT (64-bit entries) when the RSDP is
//! revision 2 or later and gives one, else the RSDT (32-bit entries). Only tables below
//! 4 GiB are followed (what the boot page tables map), and at most 64 root entries.

use crate::boot::PhysRead;

/// The PM1a control port named by the FADT under the RSDP at `rsdp`, if there is one.
pub fn find_pm1a_cnt(mem: &impl PhysRead, rsdp: u64) -> Option<u32> {
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
    for i in 0..count as u64 {
        let table = if entry_size == 8 {
            mem.u64_at(root + 36 + i * 8)
        } else {
            mem.u32_at(root + 36 + i * 4) as u64
        };
        if table != 0 && table < 0x1_0000_0000 && mem.bytes::<4>(table) == *b"FACP" {
            let port = mem.u32_at(table + 64);
            return (port != 0 && port <= 0xffff).then_some(port);
        }
    }
    None
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
}
