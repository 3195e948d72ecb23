//! The virtio block device: a disk QEMU provides (`-device virtio-blk-pci`).
//!
//! hal finds the device on PCI and drives the virtio protocol (through the
//! `virtio-drivers` crate); this driver presents it as the same `BlockDevice` the
//! RAM disk implements, in 512-byte sectors. Requests complete by polling the device's
//! used ring (the request is issued and the driver waits for the device to finish it);
//! interrupt-driven completion with sleeping waiters is the next step.

use fs::{BlockDevice, Errno};
use hal::virtio::VirtioBlock;

pub const SECTOR: usize = 512;

pub struct VirtioDisk {
    dev: VirtioBlock,
}

/// Every virtio disk on the machine, in PCI order.
pub fn probe() -> alloc::vec::Vec<VirtioDisk> {
    hal::virtio::probe_block_devices()
        .into_iter()
        .map(|dev| {
            log::info!(
                "virtio-blk at PCI {:02x}:{:02x}.{}: {} MiB",
                dev.location.0,
                dev.location.1,
                dev.location.2,
                (dev.capacity() * SECTOR as u64) >> 20
            );
            VirtioDisk { dev }
        })
        .collect()
}

impl VirtioDisk {
    /// Whole sectors, inside the disk.
    fn check(&self, first: u64, len: usize) -> fs::Result<()> {
        let sectors = (len / SECTOR) as u64;
        if !len.is_multiple_of(SECTOR)
            || first
                .checked_add(sectors)
                .is_none_or(|e| e > self.dev.capacity())
        {
            return Err(Errno::EIO);
        }
        Ok(())
    }
}

impl BlockDevice for VirtioDisk {
    fn sector_size(&self) -> usize {
        SECTOR
    }
    fn sector_count(&self) -> u64 {
        self.dev.capacity()
    }
    fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> fs::Result<()> {
        self.check(first, buf.len())?;
        self.dev.read(first, buf).map_err(|_| Errno::EIO)
    }
    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> fs::Result<()> {
        self.check(first, buf.len())?;
        self.dev.write(first, buf).map_err(|_| Errno::EIO)
    }
    fn flush(&mut self) -> fs::Result<()> {
        self.dev.flush().map_err(|_| Errno::EIO)
    }
}
