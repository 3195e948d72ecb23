//! The boot loader's hand-off: the PVH `hvm_start_info` and what it points to.
//!
//! QEMU (`-kernel kernel.elf`) starts the kernel at its PVH entry with `%ebx` holding
//! the physical address of an `hvm_start_info` structure (the memory map, the command
//! line, and the modules such as an `-initrd` image). This module parses it into a
//! [`BootInfo`], reading physical memory through a [`PhysRead`]: hal's reads the boot
//! page tables' direct map; the tests' is a byte vector.
//!
//! Layout (all little endian): `hvm_start_info` is `u32 magic, u32 version, u32 flags,
//! u32 nr_modules, u64 modlist_paddr, u64 cmdline_paddr, u64 rsdp_paddr`, and from
//! version 1 on `u64 memmap_paddr, u32 memmap_entries`. A module entry is
//! `u64 paddr, u64 size, u64 cmdline_paddr, u64 reserved` (32 bytes); a memory-map entry
//! is `u64 addr, u64 size, u32 type, u32 reserved` (24 bytes, the E820 types).

use crate::addr::PhysAddr;

/// Reading physical memory: how the parsers here see the machine.
pub trait PhysRead {
    /// Fill `buf` from physical address `paddr`.
    fn read(&self, paddr: u64, buf: &mut [u8]);

    fn bytes<const N: usize>(&self, paddr: u64) -> [u8; N] {
        let mut b = [0; N];
        self.read(paddr, &mut b);
        b
    }
    fn u8_at(&self, paddr: u64) -> u8 {
        self.bytes::<1>(paddr)[0]
    }
    fn u32_at(&self, paddr: u64) -> u32 {
        u32::from_le_bytes(self.bytes(paddr))
    }
    fn u64_at(&self, paddr: u64) -> u64 {
        u64::from_le_bytes(self.bytes(paddr))
    }
}

/// One entry of the physical memory map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryRegion {
    pub start: PhysAddr,
    pub len: u64,
    pub kind: MemoryKind,
}

/// What a memory-map entry is (the E820 types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryKind {
    Usable,
    Reserved,
    AcpiReclaimable,
    AcpiNvs,
    Bad,
    Other(u32),
}

impl MemoryKind {
    pub fn from_e820(t: u32) -> Self {
        match t {
            1 => MemoryKind::Usable,
            2 => MemoryKind::Reserved,
            3 => MemoryKind::AcpiReclaimable,
            4 => MemoryKind::AcpiNvs,
            5 => MemoryKind::Bad,
            other => MemoryKind::Other(other),
        }
    }
}

/// A boot module (QEMU passes an `-initrd` image as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootModule {
    pub start: PhysAddr,
    pub len: u64,
}

pub const MAX_REGIONS: usize = 64;
pub const MAX_MODULES: usize = 8;
pub const MAX_CMDLINE: usize = 1024;

/// The `hvm_start_info` magic number.
pub const PVH_MAGIC: u32 = 0x336e_c578;

/// What the boot loader told us, copied out of low memory into kernel data.
pub struct BootInfo {
    regions: [MemoryRegion; MAX_REGIONS],
    region_count: usize,
    modules: [BootModule; MAX_MODULES],
    module_count: usize,
    cmdline: [u8; MAX_CMDLINE],
    cmdline_len: usize,
    /// Physical address of the ACPI RSDP, when the loader gave one.
    pub rsdp: Option<PhysAddr>,
}

/// The start info did not begin with [`PVH_MAGIC`]; the magic found instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadMagic(pub u32);

impl BootInfo {
    /// Nothing known yet: no memory, no modules, an empty command line.
    pub const fn empty() -> Self {
        BootInfo {
            regions: [MemoryRegion {
                start: PhysAddr(0),
                len: 0,
                kind: MemoryKind::Reserved,
            }; MAX_REGIONS],
            region_count: 0,
            modules: [BootModule {
                start: PhysAddr(0),
                len: 0,
            }; MAX_MODULES],
            module_count: 0,
            cmdline: [0; MAX_CMDLINE],
            cmdline_len: 0,
            rsdp: None,
        }
    }

    /// Does `[start, start + len)` lie wholly inside one usable memory region?
    pub fn is_usable(&self, start: u64, len: u64) -> bool {
        self.memory_map().iter().any(|r| {
            r.kind == MemoryKind::Usable
                && r.start.as_u64() <= start
                && start.saturating_add(len) <= r.start.as_u64().saturating_add(r.len)
        })
    }

    /// Copy the `hvm_start_info` at `base` (and what it points to) into a `BootInfo`.
    /// At most [`MAX_REGIONS`] regions, [`MAX_MODULES`] modules and [`MAX_CMDLINE`]
    /// bytes of command line are kept.
    pub fn from_pvh(mem: &impl PhysRead, base: u64) -> Result<BootInfo, BadMagic> {
        let mut info = BootInfo::empty();
        let magic = mem.u32_at(base);
        if magic != PVH_MAGIC {
            return Err(BadMagic(magic));
        }
        let version = mem.u32_at(base + 4);
        let nr_modules = mem.u32_at(base + 12);
        let modlist = mem.u64_at(base + 16);
        let cmdline = mem.u64_at(base + 24);
        let rsdp = mem.u64_at(base + 32);
        if rsdp != 0 {
            info.rsdp = Some(PhysAddr(rsdp));
        }
        if cmdline != 0 {
            while info.cmdline_len < MAX_CMDLINE {
                let b = mem.u8_at(cmdline + info.cmdline_len as u64);
                if b == 0 {
                    break;
                }
                info.cmdline[info.cmdline_len] = b;
                info.cmdline_len += 1;
            }
        }
        for i in 0..(nr_modules as usize).min(MAX_MODULES) {
            let e = modlist + i as u64 * 32;
            info.modules[i] = BootModule {
                start: PhysAddr(mem.u64_at(e)),
                len: mem.u64_at(e + 8),
            };
            info.module_count += 1;
        }
        if version >= 1 {
            let memmap = mem.u64_at(base + 40);
            let entries = mem.u32_at(base + 48);
            for i in 0..(entries as usize).min(MAX_REGIONS) {
                let e = memmap + i as u64 * 24;
                info.regions[i] = MemoryRegion {
                    start: PhysAddr(mem.u64_at(e)),
                    len: mem.u64_at(e + 8),
                    kind: MemoryKind::from_e820(mem.u32_at(e + 16)),
                };
                info.region_count += 1;
            }
        }
        Ok(info)
    }

    pub fn memory_map(&self) -> &[MemoryRegion] {
        &self.regions[..self.region_count]
    }
    pub fn modules(&self) -> &[BootModule] {
        &self.modules[..self.module_count]
    }
    /// The kernel command line (`-append`), or "" if absent or not UTF-8.
    pub fn cmdline(&self) -> &str {
        core::str::from_utf8(&self.cmdline[..self.cmdline_len]).unwrap_or("")
    }
    /// Is `word` one of the space-separated words of the command line (or `word=...`)?
    pub fn cmdline_value(&self, key: &str) -> Option<&str> {
        self.cmdline().split_whitespace().find_map(|w| {
            if w == key {
                Some("")
            } else {
                w.strip_prefix(key).and_then(|r| r.strip_prefix('='))
            }
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// Physical memory from address 0, as bytes.
    pub struct Ram(pub Vec<u8>);

    impl Ram {
        pub fn put(&mut self, at: u64, bytes: &[u8]) {
            let at = at as usize;
            if self.0.len() < at + bytes.len() {
                self.0.resize(at + bytes.len(), 0);
            }
            self.0[at..at + bytes.len()].copy_from_slice(bytes);
        }
    }

    impl PhysRead for Ram {
        fn read(&self, paddr: u64, buf: &mut [u8]) {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = self.0.get(paddr as usize + i).copied().unwrap_or(0);
            }
        }
    }

    fn start_info(cmdline: &[u8]) -> Ram {
        let mut m = Ram(Vec::new());
        let le32 = |v: u32| v.to_le_bytes();
        let le64 = |v: u64| v.to_le_bytes();
        m.put(0x100, &le32(PVH_MAGIC));
        m.put(0x104, &le32(1)); // version
        m.put(0x10c, &le32(1)); // one module
        m.put(0x110, &le64(0x200)); // modlist
        m.put(0x118, &le64(0x1000)); // cmdline
        m.put(0x120, &le64(0xe0000)); // rsdp
        m.put(0x128, &le64(0x400)); // memmap
        m.put(0x130, &le32(2)); // two entries
        m.put(0x200, &le64(0x80_0000));
        m.put(0x208, &le64(0x1234));
        m.put(0x1000, cmdline);
        for (i, (start, len, kind)) in [(0u64, 0x9fc00u64, 1u32), (0x10_0000, 0x7f0_0000, 7)]
            .into_iter()
            .enumerate()
        {
            let e = 0x400 + i as u64 * 24;
            m.put(e, &le64(start));
            m.put(e + 8, &le64(len));
            m.put(e + 16, &le32(kind));
        }
        m
    }

    #[test]
    fn the_start_info_is_parsed() {
        let info = BootInfo::from_pvh(&start_info(b"quiet init=/bin/sh\0junk"), 0x100).unwrap();
        assert_eq!(info.rsdp, Some(PhysAddr(0xe0000)));
        assert_eq!(
            info.modules(),
            [BootModule {
                start: PhysAddr(0x80_0000),
                len: 0x1234
            }]
        );
        let map = info.memory_map();
        assert_eq!(map.len(), 2);
        assert_eq!((map[0].len, map[0].kind), (0x9fc00, MemoryKind::Usable));
        assert_eq!(map[1].kind, MemoryKind::Other(7));
        assert_eq!(info.cmdline(), "quiet init=/bin/sh");
    }

    #[test]
    fn usable_ranges() {
        let info = BootInfo::from_pvh(&start_info(b"\0"), 0x100).unwrap();
        assert!(info.is_usable(0x8000, 0x1000), "low memory");
        assert!(
            !info.is_usable(0x9f000, 0x1000),
            "runs past the region's end"
        );
        assert!(!info.is_usable(0x10_0000, 0x1000), "not a usable kind");
        assert!(!info.is_usable(0xa0000, 0x1000), "in no region");
    }

    #[test]
    fn a_bad_magic_is_refused() {
        let m = start_info(b"\0");
        assert_eq!(BootInfo::from_pvh(&m, 0x104).err(), Some(BadMagic(1)));
    }

    #[test]
    fn cmdline_values() {
        let info = BootInfo::from_pvh(&start_info(b"quiet init=/bin/sh x=\0"), 0x100).unwrap();
        assert_eq!(info.cmdline_value("quiet"), Some(""));
        assert_eq!(info.cmdline_value("init"), Some("/bin/sh"));
        assert_eq!(info.cmdline_value("x"), Some(""));
        assert_eq!(info.cmdline_value("in"), None, "a prefix is not a key");
        assert_eq!(info.cmdline_value("absent"), None);
        assert_eq!(BootInfo::empty().cmdline(), "");
    }

    #[test]
    fn the_command_line_is_bounded() {
        let long = [b'a'; MAX_CMDLINE + 10];
        let info = BootInfo::from_pvh(&start_info(&long), 0x100).unwrap();
        assert_eq!(info.cmdline().len(), MAX_CMDLINE);
    }
}
