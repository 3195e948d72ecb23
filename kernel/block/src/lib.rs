//! Block devices: the interface between disk drivers (below) and file systems (above).
//!
//! The design decision: a device speaks in *sectors* (its own fixed size, usually
//! 512 bytes) and knows nothing of file-system blocks; a file system's block cache
//! groups sectors into its blocks. So a virtio disk, the boot RAM disk and a test image
//! all implement the same four methods of [`BlockDevice`], and every failure is a
//! `Result`, never a panic.
//!
//! This crate sits *below* both `drivers` and `fs` (layered structure, chapter 2 §7):
//! a driver implements the trait, a file system is written against it, and a read goes
//! strictly downward (fs -> block trait -> driver -> hal) without climbing back up. It
//! has no dependencies at all, so the file system's host tests build it too.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

/// Why a device request failed. File systems map these onto their own errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The device failed, or the request lies outside the device.
    Io,
    /// The request was malformed (not whole sectors).
    Invalid,
    /// The device does not accept writes.
    ReadOnly,
}

/// Shorthand for the results of device requests.
pub type Result<T> = core::result::Result<T, Error>;

/// A disk: an array of equally sized sectors that can be read and written.
pub trait BlockDevice {
    /// Bytes per sector: a power of two between 512 and 4096.
    fn sector_size(&self) -> usize;
    /// Number of sectors on the device.
    fn sector_count(&self) -> u64;
    /// Reads `buf.len() / sector_size()` whole sectors starting at sector `first`.
    fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> Result<()>;
    /// Writes `buf.len() / sector_size()` whole sectors starting at sector `first`.
    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> Result<()>;
    /// Makes earlier writes durable (a no-op for memory).
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A disk held in memory: the RAM disk, and the image type of the host tests.
#[derive(Clone, Debug)]
pub struct MemDisk {
    bytes: Vec<u8>,
    read_only: bool,
}

/// Sector size of a [`MemDisk`].
pub const MEM_SECTOR: usize = 512;

impl MemDisk {
    /// Wraps an image; a trailing partial sector is ignored.
    pub fn new(bytes: Vec<u8>) -> MemDisk {
        MemDisk {
            bytes,
            read_only: false,
        }
    }

    /// A disk whose writes fail with `EROFS` (for testing read-only paths).
    pub fn new_read_only(bytes: Vec<u8>) -> MemDisk {
        MemDisk {
            bytes,
            read_only: true,
        }
    }

    /// The image bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Gives the image back.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn range(&self, first: u64, len: usize) -> Result<core::ops::Range<usize>> {
        if !len.is_multiple_of(MEM_SECTOR) {
            return Err(Error::Invalid);
        }
        let start = usize::try_from(first)
            .ok()
            .and_then(|s| s.checked_mul(MEM_SECTOR))
            .ok_or(Error::Io)?;
        let end = start.checked_add(len).ok_or(Error::Io)?;
        if end > self.bytes.len() / MEM_SECTOR * MEM_SECTOR {
            return Err(Error::Io);
        }
        Ok(start..end)
    }
}

impl BlockDevice for MemDisk {
    fn sector_size(&self) -> usize {
        MEM_SECTOR
    }

    fn sector_count(&self) -> u64 {
        (self.bytes.len() / MEM_SECTOR) as u64
    }

    fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> Result<()> {
        let r = self.range(first, buf.len())?;
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }

    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let r = self.range(first, buf.len())?;
        self.bytes[r].copy_from_slice(buf);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memdisk_rejects_out_of_range_and_partial_sectors() {
        let mut d = MemDisk::new(alloc::vec![0u8; 4096]);
        let mut buf = [0u8; 512];
        assert_eq!(d.read_sectors(8, &mut buf), Err(Error::Io));
        assert_eq!(d.read_sectors(u64::MAX, &mut buf), Err(Error::Io));
        assert_eq!(d.read_sectors(0, &mut buf[..100]), Err(Error::Invalid));
        buf[0] = 7;
        d.write_sectors(7, &buf).unwrap();
        assert_eq!(d.as_bytes()[7 * 512], 7);
    }
}
