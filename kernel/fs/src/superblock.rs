//! The superblock: the 1024 bytes at byte offset 1024 that describe the whole file
//! system (sizes, counts, features), and the geometry derived from it.
//!
//! The design decision: the raw bytes are kept and only the fields this driver
//! changes (free counts, write time, the `large_file` flag) are patched back on
//! `sync`, so fields we do not understand survive untouched. Every number is
//! checked at mount against the others and against the device size, so the rest
//! of the crate can trust the geometry; the feature flags decide whether the image
//! may be mounted read-write, only read-only, or not at all.

use crate::error::MountError;

/// Byte offset of the superblock on the device.
pub const SUPERBLOCK_OFFSET: u64 = 1024;
/// Size of the superblock record.
pub const SUPERBLOCK_SIZE: usize = 1024;
/// `s_magic`.
pub const EXT2_MAGIC: u16 = 0xEF53;
/// The root directory's inode number.
pub const ROOT_INO: u32 = 2;

/// `s_feature_compat` bits.
pub mod compat {
    pub const DIR_PREALLOC: u32 = 0x1;
    pub const IMAGIC_INODES: u32 = 0x2;
    pub const HAS_JOURNAL: u32 = 0x4;
    pub const EXT_ATTR: u32 = 0x8;
    pub const RESIZE_INODE: u32 = 0x10;
    pub const DIR_INDEX: u32 = 0x20;
    pub const SPARSE_SUPER2: u32 = 0x200;
}

/// `s_feature_incompat` bits.
pub mod incompat {
    pub const COMPRESSION: u32 = 0x1;
    pub const FILETYPE: u32 = 0x2;
    pub const RECOVER: u32 = 0x4;
    pub const JOURNAL_DEV: u32 = 0x8;
    pub const META_BG: u32 = 0x10;
    pub const EXTENTS: u32 = 0x40;
    pub const BIT64: u32 = 0x80;
    pub const MMP: u32 = 0x100;
    pub const FLEX_BG: u32 = 0x200;
    pub const EA_INODE: u32 = 0x400;
    pub const DIRDATA: u32 = 0x1000;
    pub const CSUM_SEED: u32 = 0x2000;
    pub const LARGEDIR: u32 = 0x4000;
    pub const INLINE_DATA: u32 = 0x8000;
    pub const ENCRYPT: u32 = 0x10000;
    pub const CASEFOLD: u32 = 0x20000;
}

/// `s_feature_ro_compat` bits.
pub mod ro_compat {
    pub const SPARSE_SUPER: u32 = 0x1;
    pub const LARGE_FILE: u32 = 0x2;
    pub const BTREE_DIR: u32 = 0x4;
    pub const HUGE_FILE: u32 = 0x8;
    pub const GDT_CSUM: u32 = 0x10;
    pub const DIR_NLINK: u32 = 0x20;
    pub const EXTRA_ISIZE: u32 = 0x40;
    pub const QUOTA: u32 = 0x100;
    pub const BIGALLOC: u32 = 0x200;
    pub const METADATA_CSUM: u32 = 0x400;
    pub const READONLY: u32 = 0x1000;
    pub const PROJECT: u32 = 0x2000;
    pub const VERITY: u32 = 0x8000;
    pub const ORPHAN_PRESENT: u32 = 0x10000;
}

const INCOMPAT_NAMES: &[(u32, &str)] = &[
    (incompat::COMPRESSION, "compression"),
    (incompat::JOURNAL_DEV, "journal_dev"),
    (incompat::META_BG, "meta_bg"),
    (incompat::EXTENTS, "extent"),
    (incompat::BIT64, "64bit"),
    (incompat::MMP, "mmp"),
    (incompat::EA_INODE, "ea_inode"),
    (incompat::DIRDATA, "dirdata"),
    (incompat::CSUM_SEED, "metadata_csum_seed"),
    (incompat::LARGEDIR, "large_dir"),
    (incompat::INLINE_DATA, "inline_data"),
    (incompat::ENCRYPT, "encrypt"),
    (incompat::CASEFOLD, "casefold"),
];
const INCOMPAT_OK: u32 = incompat::FILETYPE | incompat::FLEX_BG | incompat::RECOVER;

/// ro_compat features we can read but must not write.
const RO_COMPAT_NAMES: &[(u32, &str)] = &[
    (ro_compat::BTREE_DIR, "btree_dir"),
    (ro_compat::HUGE_FILE, "huge_file"),
    (ro_compat::GDT_CSUM, "uninit_bg"),
    (ro_compat::EXTRA_ISIZE, "extra_isize"),
    (ro_compat::QUOTA, "quota"),
    (ro_compat::METADATA_CSUM, "metadata_csum"),
    (ro_compat::READONLY, "read-only"),
    (ro_compat::PROJECT, "project"),
    (ro_compat::VERITY, "verity"),
    (ro_compat::ORPHAN_PRESENT, "orphan_present"),
];
const RO_COMPAT_OK: u32 = ro_compat::SPARSE_SUPER | ro_compat::LARGE_FILE | ro_compat::DIR_NLINK;

/// The parsed superblock plus the geometry every other module uses.
#[derive(Clone)]
pub struct Superblock {
    raw: [u8; SUPERBLOCK_SIZE],
    pub inodes_count: u32,
    pub blocks_count: u32,
    pub reserved_blocks: u32,
    pub free_blocks: u32,
    pub free_inodes: u32,
    pub first_data_block: u32,
    pub block_size: usize,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub rev_level: u32,
    pub first_ino: u32,
    pub inode_size: usize,
    pub feature_compat: u32,
    pub feature_incompat: u32,
    pub feature_ro_compat: u32,
    /// Number of block groups.
    pub groups: u32,
    /// Blocks of inode table per group.
    pub inode_table_blocks: u32,
    /// Blocks holding the group descriptor table.
    pub gdt_blocks: u32,
    /// Why the image may only be mounted read-only (a feature name), if so.
    pub read_only_reason: Option<&'static str>,
}

pub(crate) fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}
pub(crate) fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}
pub(crate) fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

impl Superblock {
    /// Parses and validates the superblock; `device_bytes` is the device size.
    pub fn parse(raw: &[u8; SUPERBLOCK_SIZE], device_bytes: u64) -> Result<Superblock, MountError> {
        let bad = MountError::Fs(crate::Errno::EIO);
        if le16(raw, 56) != EXT2_MAGIC {
            return Err(MountError::BadMagic);
        }
        let log_bs = le32(raw, 24);
        if log_bs > 2 {
            return Err(MountError::Unsupported("block size above 4096"));
        }
        let block_size = 1024usize << log_bs;
        let rev_level = le32(raw, 76);
        if rev_level > 1 {
            return Err(MountError::Unsupported("revision above 1"));
        }
        let (first_ino, inode_size, fc, fi, fr) = if rev_level == 0 {
            (11, 128, 0, 0, 0)
        } else {
            (
                le32(raw, 84),
                le16(raw, 88) as usize,
                le32(raw, 92),
                le32(raw, 96),
                le32(raw, 100),
            )
        };
        for &(bit, name) in INCOMPAT_NAMES {
            if fi & bit != 0 {
                return Err(MountError::Unsupported(name));
            }
        }
        if fi & !(INCOMPAT_OK | INCOMPAT_NAMES.iter().fold(0, |a, x| a | x.0)) != 0 {
            return Err(MountError::Unsupported("unknown incompat feature"));
        }
        if fr & ro_compat::BIGALLOC != 0 {
            return Err(MountError::Unsupported("bigalloc"));
        }
        // A journal (has_journal, needs_recovery) is the mount's business: it is
        // replayed and used, or the mount is read-only naming why (fs.rs).
        let mut read_only_reason = None;
        if fi & incompat::RECOVER != 0 && fc & compat::HAS_JOURNAL == 0 {
            read_only_reason = Some("needs_recovery");
        }
        for &(bit, name) in RO_COMPAT_NAMES {
            if fr & bit != 0 {
                read_only_reason = Some(name);
            }
        }
        let known_ro =
            RO_COMPAT_OK | ro_compat::BIGALLOC | RO_COMPAT_NAMES.iter().fold(0, |a, x| a | x.0);
        if fr & !known_ro != 0 {
            read_only_reason = Some("unknown ro_compat feature");
        }

        let sb = Superblock {
            raw: *raw,
            inodes_count: le32(raw, 0),
            blocks_count: le32(raw, 4),
            reserved_blocks: le32(raw, 8),
            free_blocks: le32(raw, 12),
            free_inodes: le32(raw, 16),
            first_data_block: le32(raw, 20),
            block_size,
            blocks_per_group: le32(raw, 32),
            inodes_per_group: le32(raw, 40),
            rev_level,
            first_ino,
            inode_size,
            feature_compat: fc,
            feature_incompat: fi,
            feature_ro_compat: fr,
            groups: 0,
            inode_table_blocks: 0,
            gdt_blocks: 0,
            read_only_reason,
        };
        sb.finish(device_bytes).ok_or(bad)
    }

    /// Derives and checks the geometry; `None` means inconsistent numbers.
    fn finish(mut self, device_bytes: u64) -> Option<Superblock> {
        let bs = self.block_size as u32;
        let bits = bs * 8;
        let want_first = if bs == 1024 { 1 } else { 0 };
        if self.first_data_block != want_first
            || self.blocks_per_group == 0
            || self.blocks_per_group > bits
            || self.inodes_per_group == 0
            || self.inodes_per_group > bits
            || self.blocks_count <= self.first_data_block
            || (self.blocks_count as u64) * bs as u64 > device_bytes
            || self.inode_size < 128
            || self.inode_size > self.block_size
            || !self.inode_size.is_power_of_two()
            || self.first_ino < 11
            || self.first_ino > self.inodes_count
        {
            return None;
        }
        let groups = (self.blocks_count - self.first_data_block).div_ceil(self.blocks_per_group);
        if (groups as u64) * self.inodes_per_group as u64 != self.inodes_count as u64 {
            return None;
        }
        self.groups = groups;
        self.inode_table_blocks = (self.inodes_per_group * self.inode_size as u32).div_ceil(bs);
        // u64: a corrupt image may claim billions of one-block groups.
        self.gdt_blocks = u32::try_from((groups as u64 * 32).div_ceil(bs as u64)).ok()?;
        if self.free_blocks > self.blocks_count || self.free_inodes > self.inodes_count {
            return None;
        }
        Some(self)
    }

    /// True when the feature `bit` of `s_feature_compat` is set.
    pub fn has_compat(&self, bit: u32) -> bool {
        self.feature_compat & bit != 0
    }

    /// True when directory entries carry a file type byte.
    pub fn has_filetype(&self) -> bool {
        self.feature_incompat & incompat::FILETYPE != 0
    }

    /// True when group `g` holds a backup superblock (and hence a GDT copy).
    pub fn group_has_super(&self, g: u32) -> bool {
        if self.feature_ro_compat & ro_compat::SPARSE_SUPER == 0 || g <= 1 {
            return true;
        }
        [3u32, 5, 7].iter().any(|&p| {
            let mut x = g;
            while x.is_multiple_of(p) {
                x /= p;
            }
            x == 1
        })
    }

    /// First block of group `g`.
    pub fn group_first_block(&self, g: u32) -> u32 {
        self.first_data_block + g * self.blocks_per_group
    }

    /// Number of blocks in group `g` (the last group may be short).
    pub fn group_blocks(&self, g: u32) -> u32 {
        let first = self.group_first_block(g);
        (self.blocks_count - first).min(self.blocks_per_group)
    }

    /// The little-endian word at byte `off` of the raw superblock (fields this
    /// driver does not keep parsed, such as `s_journal_inum`).
    pub fn raw_u32(&self, off: usize) -> u32 {
        le32(&self.raw, off)
    }

    /// Sets or clears `needs_recovery` (the journal may hold transactions).
    pub fn set_needs_recovery(&mut self, on: bool) {
        if on {
            self.feature_incompat |= incompat::RECOVER;
        } else {
            self.feature_incompat &= !incompat::RECOVER;
        }
    }

    /// Sets `large_file` (needed once any file reaches 2 GiB).
    pub fn set_large_file(&mut self) {
        self.feature_ro_compat |= ro_compat::LARGE_FILE;
    }

    /// Serializes the fields this driver may change, keeping all others.
    pub fn to_bytes(&mut self, now: u32) -> [u8; SUPERBLOCK_SIZE] {
        put32(&mut self.raw, 12, self.free_blocks);
        put32(&mut self.raw, 16, self.free_inodes);
        put32(&mut self.raw, 48, now);
        if self.rev_level >= 1 {
            put32(&mut self.raw, 96, self.feature_incompat);
            put32(&mut self.raw, 100, self.feature_ro_compat);
        }
        self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_super_backups_are_in_groups_0_1_and_powers_of_3_5_7() {
        let mut raw = [0u8; SUPERBLOCK_SIZE];
        put16(&mut raw, 56, EXT2_MAGIC);
        put32(&mut raw, 0, 64 * 60);
        put32(&mut raw, 4, 8192 * 60 + 1);
        put32(&mut raw, 20, 1);
        put32(&mut raw, 32, 8192);
        put32(&mut raw, 40, 64);
        put32(&mut raw, 76, 1);
        put32(&mut raw, 84, 11);
        put16(&mut raw, 88, 128);
        put32(&mut raw, 100, ro_compat::SPARSE_SUPER);
        let sb = Superblock::parse(&raw, 1 << 30).unwrap();
        let with: alloc::vec::Vec<u32> = (0..60).filter(|&g| sb.group_has_super(g)).collect();
        assert_eq!(with, [0, 1, 3, 5, 7, 9, 25, 27, 49]);
    }

    #[test]
    fn billions_of_one_block_groups_are_parsed_without_overflow() {
        // 4 KiB blocks, one block and one inode per group: 2^28 groups, whose
        // 32-byte descriptors once overflowed a u32 byte count (a panic).
        let mut raw = [0u8; SUPERBLOCK_SIZE];
        put16(&mut raw, 56, EXT2_MAGIC);
        put32(&mut raw, 24, 2);
        put32(&mut raw, 0, 1 << 28);
        put32(&mut raw, 4, 1 << 28);
        put32(&mut raw, 32, 1);
        put32(&mut raw, 40, 1);
        put32(&mut raw, 76, 1);
        put32(&mut raw, 84, 11);
        put16(&mut raw, 88, 128);
        let sb = Superblock::parse(&raw, 1 << 40).unwrap();
        assert_eq!((sb.groups, sb.gdt_blocks), (1 << 28, 1 << 21));
    }

    #[test]
    fn unknown_incompat_feature_refuses_mount_naming_it() {
        let mut raw = [0u8; SUPERBLOCK_SIZE];
        put16(&mut raw, 56, EXT2_MAGIC);
        put32(&mut raw, 76, 1);
        put32(&mut raw, 96, incompat::EXTENTS);
        assert_eq!(
            Superblock::parse(&raw, 1 << 20).err(),
            Some(MountError::Unsupported("extent"))
        );
    }
}
