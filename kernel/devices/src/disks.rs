//! Disks as character devices: each disk of the disk registry (`drivers::block`) as
//! raw bytes, `/dev/disk0`, `/dev/ram0`, ... (major 8, minor = registration order).
//! Reads and writes may start and end anywhere: the edges are read, patched and
//! written back a sector at a time. Writing is refused while the disk is mounted,
//! since the file system owns it then.
//!
//! Protection: a raw disk bypasses every file's permissions, so opening one is a
//! privileged operation (`Capability::RawDevice`, EPERM for a user), decided by the
//! capability and not by the node's mode bits (0666, which would let anyone in; the
//! check is the device's, made at open with the opener's credentials).

use crate::registry::{register_chrdev, CharDevice};
use abi::Errno;
use alloc::string::String;
use alloc::sync::Arc;
use drivers::block::{self as disks, SharedDisk};
use files::{Ioctl, IoctlReply};

/// Disks: major 8, minor = registration order.
pub const DEV_DISK_BASE: u32 = 0x0800;

/// Register every disk known so far (the one place that reads the disk registry).
pub fn register_disks() -> Result<(), Errno> {
    for (i, name) in disks::names().into_iter().enumerate() {
        let disk = disks::get(&name).ok_or(Errno::ENXIO)?;
        let rdev = DEV_DISK_BASE + i as u32;
        let dev = Arc::new(Disk {
            name: name.clone(),
            disk,
        });
        register_chrdev(rdev >> 8, rdev & 0xff, &name, 0o666, dev)?;
    }
    Ok(())
}

const SECTOR: u64 = 512;

/// A whole disk as bytes.
struct Disk {
    name: String,
    disk: SharedDisk,
}

impl CharDevice for Disk {
    fn capability(&self) -> Option<cred::Capability> {
        Some(cred::Capability::RawDevice)
    }

    fn read(&self, off: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        disk_io(&self.disk, off, DiskOp::Read(buf))
    }
    fn write(&self, off: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        if disks::is_mounted(&self.name) {
            return Err(Errno::EBUSY); // the file system owns it
        }
        disk_io(&self.disk, off, DiskOp::Write(data))
    }
    fn seekable(&self) -> bool {
        true
    }
    fn size(&self) -> u64 {
        self.disk.lock().sector_count() * SECTOR
    }
    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        match req {
            Ioctl::GetDiskSize => Ok(IoctlReply::U64(self.size())),
            _ => Err(Errno::EINVAL),
        }
    }
}

enum DiskOp<'a> {
    Read(&'a mut [u8]),
    Write(&'a [u8]),
}

/// Byte-granular access to a sector device (read-modify-write at the edges).
fn disk_io(disk: &SharedDisk, off: u64, op: DiskOp) -> Result<usize, Errno> {
    let mut d = disk.lock();
    let size = d.sector_count() * SECTOR;
    if off >= size {
        return Ok(0);
    }
    let len = match &op {
        DiskOp::Read(b) => b.len(),
        DiskOp::Write(b) => b.len(),
    };
    let len = (len as u64).min(size - off) as usize;
    let mut sector = [0u8; SECTOR as usize];
    let mut done = 0;
    let mut op = op;
    while done < len {
        let pos = off + done as u64;
        let s = pos / SECTOR;
        let within = (pos % SECTOR) as usize;
        let n = (SECTOR as usize - within).min(len - done);
        d.read_sectors(s, &mut sector).map_err(|_| Errno::EIO)?;
        match &mut op {
            DiskOp::Read(b) => b[done..done + n].copy_from_slice(&sector[within..within + n]),
            DiskOp::Write(b) => {
                sector[within..within + n].copy_from_slice(&b[done..done + n]);
                d.write_sectors(s, &sector).map_err(|_| Errno::EIO)?;
            }
        }
        done += n;
    }
    Ok(len)
}
