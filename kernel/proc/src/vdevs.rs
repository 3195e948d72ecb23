//! The kernel's own character devices, registered at boot with Linux's numbers:
//! `null`, `zero`, `random`/`urandom`, the clock `rtc`, the kernel log `kmsg`, the
//! terminal (`console`, `tty`, in `tty`), and each disk as raw bytes (`disk0`,
//! `ram0`: major 8, minor = registration order). They are ordinary registry entries
//! (see `devices`): a module's device sits beside them on the same terms.

use crate::blockdev::SharedDisk;
use crate::devices::{register_chrdev, CharDevice};
use crate::fileobj::{Ioctl, IoctlReply};
use crate::fsys;
use abi::Errno;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

/// Register the built-in devices and every disk known so far.
pub fn register_builtin() -> Result<(), Errno> {
    let tty: Arc<dyn CharDevice> = Arc::new(crate::tty::Terminal);
    let random: Arc<dyn CharDevice> = Arc::new(Random);
    let list: [(&str, u32, u32, Arc<dyn CharDevice>); 8] = [
        ("console", fsys::DEV_CONSOLE, 0o620, tty.clone()),
        ("tty", fsys::DEV_TTY, 0o666, tty),
        ("null", fsys::DEV_NULL, 0o666, Arc::new(Null)),
        ("zero", fsys::DEV_ZERO, 0o666, Arc::new(Zero)),
        ("random", fsys::DEV_RANDOM, 0o666, random.clone()),
        ("urandom", fsys::DEV_URANDOM, 0o666, random),
        ("rtc", fsys::DEV_RTC, 0o644, Arc::new(Rtc)),
        ("kmsg", fsys::DEV_KMSG, 0o644, Arc::new(Kmsg)),
    ];
    for (name, rdev, mode, dev) in list {
        register_chrdev(rdev >> 8, rdev & 0xff, name, mode, dev)?;
    }
    register_disks()
}

/// Disks: raw access to the whole device (refused for writing while mounted). The
/// one place that reads the disk registry.
fn register_disks() -> Result<(), Errno> {
    for (i, name) in crate::blockdev::names().into_iter().enumerate() {
        let disk = crate::blockdev::get(&name).ok_or(Errno::ENXIO)?;
        let rdev = fsys::DEV_DISK_BASE + i as u32;
        let dev = Arc::new(Disk {
            name: name.clone(),
            disk,
        });
        register_chrdev(rdev >> 8, rdev & 0xff, &name, 0o660, dev)?;
    }
    Ok(())
}

/// Reads nothing, swallows everything.
struct Null;

impl CharDevice for Null {
    fn read(&self, _: u64, _: &mut [u8], _: bool) -> Result<usize, Errno> {
        Ok(0)
    }
    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        Ok(data.len())
    }
}

/// Zero bytes, as many as asked.
struct Zero;

impl CharDevice for Zero {
    fn read(&self, _: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        buf.fill(0);
        Ok(buf.len())
    }
    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        Ok(data.len())
    }
}

/// Pseudo-random bytes (`random` and `urandom` are one device).
struct Random;

impl CharDevice for Random {
    fn read(&self, _: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        fill_random(buf);
        Ok(buf.len())
    }
    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        Ok(data.len())
    }
    fn number(&self, _: u32) -> u32 {
        fsys::DEV_URANDOM
    }
}

/// The wall-clock time as decimal seconds since the epoch: one line, then end of
/// file (read it again after seeking to 0).
struct Rtc;

impl CharDevice for Rtc {
    fn read(&self, off: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        let s = alloc::format!("{}\n", drivers::rtc::now());
        let from = (off as usize).min(s.len());
        let n = (s.len() - from).min(buf.len());
        buf[..n].copy_from_slice(&s.as_bytes()[from..from + n]);
        Ok(n)
    }
    fn write(&self, _: u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn seekable(&self) -> bool {
        true
    }
}

/// The kernel log ring, oldest record first.
struct Kmsg;

impl CharDevice for Kmsg {
    fn read(&self, off: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        Ok(klog::with_contents(|a, b| {
            let mut n = 0;
            let mut pos = off as usize;
            for part in [a, b] {
                if pos >= part.len() {
                    pos -= part.len();
                    continue;
                }
                let take = (part.len() - pos).min(buf.len() - n);
                buf[n..n + take].copy_from_slice(&part[pos..pos + take]);
                n += take;
                pos = 0;
            }
            n
        }))
    }
    fn write(&self, _: u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn seekable(&self) -> bool {
        true
    }
}

const SECTOR: u64 = 512;

/// A whole disk as bytes.
struct Disk {
    name: String,
    disk: SharedDisk,
}

impl CharDevice for Disk {
    fn read(&self, off: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        disk_io(&self.disk, off, DiskOp::Read(buf))
    }
    fn write(&self, off: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        if crate::blockdev::is_mounted(&self.name) {
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

static RANDOM_STATE: AtomicU64 = AtomicU64::new(0);

/// Pseudo-random bytes (xorshift64*, reseeded from the cycle counter): unpredictable
/// enough for test data and seeds, not for cryptography.
fn fill_random(buf: &mut [u8]) {
    let mut x = RANDOM_STATE.load(Ordering::Relaxed) ^ hal::cpu::rdtsc() ^ 0x9e37_79b9_7f4a_7c15;
    for chunk in buf.chunks_mut(8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let v = x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    RANDOM_STATE.store(x, Ordering::Relaxed);
}
