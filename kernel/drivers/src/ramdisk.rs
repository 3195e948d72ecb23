//! The RAM disk: a boot module (QEMU's `-initrd` image) used as a block device.
//!
//! Without a disk (`cargo xtask run --ramdisk`), the root file system is an ext2 image
//! that the xtask builds and QEMU loads into memory. This driver presents that memory as
//! 512-byte sectors through the same `BlockDevice` trait the virtio disk implements,
//! so the ext2 code cannot tell the difference. Writes change the memory only: they are
//! gone at power-off.

use block::{BlockDevice, Error};
use hal::boot::ModuleMemory;

pub const SECTOR: usize = 512;

pub struct RamDisk {
    mem: ModuleMemory,
}

impl RamDisk {
    pub fn new(mem: ModuleMemory) -> Self {
        RamDisk { mem }
    }

    fn range(&self, first: u64, len: usize) -> block::Result<usize> {
        if !len.is_multiple_of(SECTOR) {
            return Err(Error::Invalid);
        }
        let start = first
            .checked_mul(SECTOR as u64)
            .filter(|s| s + len as u64 <= self.mem.len() as u64)
            .ok_or(Error::Io)?;
        Ok(start as usize)
    }
}

impl BlockDevice for RamDisk {
    fn sector_size(&self) -> usize {
        SECTOR
    }
    fn sector_count(&self) -> u64 {
        (self.mem.len() / SECTOR) as u64
    }
    fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> block::Result<()> {
        let at = self.range(first, buf.len())?;
        self.mem.read(at, buf);
        Ok(())
    }
    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> block::Result<()> {
        let at = self.range(first, buf.len())?;
        self.mem.write(at, buf);
        Ok(())
    }
}
