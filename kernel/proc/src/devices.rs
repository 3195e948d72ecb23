//! Character and block devices as files (chapter 2, 3-2 "device management").
//!
//! Every device a program can open under `/dev` is one [`Device`]: the terminal, the
//! virtual devices `null`, `zero`, `random`/`urandom`, the clock `rtc`, the kernel log
//! `kmsg`, and raw disks (`disk0`, `ram0`). Reading and writing them goes through the
//! same `read`/`write` calls as files; `ioctl` asks device-specific questions (terminal
//! modes, disk size); and a process can *request* a device for exclusive use and
//! *release* it again ([`request`], [`release`]): a second requester waits, or gets
//! EBUSY if it asked not to wait.

use crate::blockdev::SharedDisk;
use crate::fsys;
use crate::process::Pid;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};
use task::{Mutex, WaitQueue};

pub enum Device {
    Tty,
    Null,
    Zero,
    Random,
    Rtc,
    Kmsg,
    Disk {
        name: String,
        disk: SharedDisk,
        rdev: u32,
    },
}

const SECTOR: u64 = 512;

impl Device {
    /// The device behind device number `rdev`.
    pub fn from_rdev(rdev: u32) -> Result<Device, Errno> {
        Ok(match rdev {
            fsys::DEV_CONSOLE | fsys::DEV_TTY => Device::Tty,
            fsys::DEV_NULL => Device::Null,
            fsys::DEV_ZERO => Device::Zero,
            fsys::DEV_RANDOM | fsys::DEV_URANDOM => Device::Random,
            fsys::DEV_RTC => Device::Rtc,
            fsys::DEV_KMSG => Device::Kmsg,
            r if r & 0xff00 == fsys::DEV_DISK_BASE => {
                let names = crate::blockdev::names();
                let name = names
                    .get((r & 0xff) as usize)
                    .cloned()
                    .ok_or(Errno::ENXIO)?;
                let disk = crate::blockdev::get(&name).ok_or(Errno::ENXIO)?;
                Device::Disk {
                    name,
                    disk,
                    rdev: r,
                }
            }
            _ => return Err(Errno::ENXIO),
        })
    }

    pub fn rdev(&self) -> u32 {
        match self {
            Device::Tty => fsys::DEV_CONSOLE,
            Device::Null => fsys::DEV_NULL,
            Device::Zero => fsys::DEV_ZERO,
            Device::Random => fsys::DEV_URANDOM,
            Device::Rtc => fsys::DEV_RTC,
            Device::Kmsg => fsys::DEV_KMSG,
            Device::Disk { rdev, .. } => *rdev,
        }
    }

    /// Does the device use the file offset (like a file)?
    pub fn seekable(&self) -> bool {
        matches!(self, Device::Disk { .. } | Device::Kmsg | Device::Rtc)
    }

    /// Size in bytes, where it has one.
    pub fn size(&self) -> u64 {
        match self {
            Device::Disk { disk, .. } => disk.lock().sector_count() * SECTOR,
            _ => 0,
        }
    }

    pub fn read(&self, off: u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        match self {
            Device::Tty => crate::tty::read(buf, nonblock),
            Device::Null => Ok(0),
            Device::Zero => {
                buf.fill(0);
                Ok(buf.len())
            }
            Device::Random => {
                fill_random(buf);
                Ok(buf.len())
            }
            Device::Rtc => {
                // The wall-clock time as decimal seconds since the epoch: one line, then
                // end of file (read it again after seeking to 0).
                let s = alloc::format!("{}\n", drivers::rtc::now());
                let from = (off as usize).min(s.len());
                let n = (s.len() - from).min(buf.len());
                buf[..n].copy_from_slice(&s.as_bytes()[from..from + n]);
                Ok(n)
            }
            Device::Kmsg => Ok(klog::with_contents(|a, b| {
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
            })),
            Device::Disk { disk, .. } => disk_io(disk, off, DiskOp::Read(buf)),
        }
    }

    pub fn write(&self, off: u64, data: &[u8]) -> Result<usize, Errno> {
        match self {
            Device::Tty => {
                crate::tty::write(data);
                Ok(data.len())
            }
            Device::Null | Device::Zero | Device::Random => Ok(data.len()),
            Device::Rtc | Device::Kmsg => Err(Errno::EINVAL),
            Device::Disk { name, disk, .. } => {
                if crate::blockdev::is_mounted(name) {
                    return Err(Errno::EBUSY); // the file system owns it
                }
                disk_io(disk, off, DiskOp::Write(data))
            }
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

/// Devices held for exclusive use: device number -> owner.
static OWNERS: Mutex<BTreeMap<u32, Pid>> = task::mutex(BTreeMap::new());
static RELEASED: WaitQueue = WaitQueue::new();

/// Request device `rdev` for exclusive use by `pid`. Waits while another process holds
/// it, or fails with EBUSY when `nonblock`.
pub fn request(rdev: u32, pid: Pid, nonblock: bool) -> Result<(), Errno> {
    loop {
        {
            let mut o = OWNERS.lock();
            match o.get(&rdev) {
                None => {
                    o.insert(rdev, pid);
                    return Ok(());
                }
                Some(&p) if p == pid => return Ok(()),
                Some(&p) if crate::process::get(p).is_none_or(|q| q.is_zombie()) => {
                    o.insert(rdev, pid); // the holder is gone
                    return Ok(());
                }
                Some(_) if nonblock => return Err(Errno::EBUSY),
                Some(_) => {}
            }
        }
        crate::signal::interruptible_wait(&RELEASED, || !OWNERS.lock().contains_key(&rdev))?;
    }
}

/// Give a device back (EPERM if `pid` does not hold it).
pub fn release(rdev: u32, pid: Pid) -> Result<(), Errno> {
    let mut o = OWNERS.lock();
    match o.get(&rdev) {
        Some(&p) if p == pid => {
            o.remove(&rdev);
            drop(o);
            RELEASED.wake_all();
            Ok(())
        }
        _ => Err(Errno::EPERM),
    }
}

/// Release everything `pid` holds (it exited).
pub fn release_all(pid: Pid) {
    let mut o = OWNERS.lock();
    let before = o.len();
    o.retain(|_, p| *p != pid);
    let changed = o.len() != before;
    drop(o);
    if changed {
        RELEASED.wake_all();
    }
}
