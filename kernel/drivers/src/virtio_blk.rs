//! The virtio block device: a disk QEMU provides (`-device virtio-blk-pci`).
//!
//! A request (virtio 1.x, section 5.2.6) is a chain of three buffers in one virtqueue:
//! a 16-byte header the device reads (type, sector), the data (read by the device for a
//! write, written by it for a read), and one status byte the device writes. Data goes
//! through a bounce buffer of DMA memory, so any kernel buffer can be used without
//! knowing its physical layout; requests larger than it are split.
//!
//! Completion is interrupt-driven: a request is started, and the calling thread sleeps
//! on a wait queue until the device's interrupt says something finished. PCI
//! interrupts are level-triggered and shared (`pci_irq.rs`): the handler masks the
//! lines, counts the interrupt and wakes the waiters; the waiter acknowledges the
//! device (which lowers the line), checks its request and unmasks.
//!
//! Nothing the device says is trusted: a capacity that cannot be addressed skips the
//! device at probe; a used ring that makes no sense fails the request with EIO and
//! every later one too (the device is then considered broken).

use crate::pci::Function;
use crate::probe::Match;
use crate::virtio_pci::{Transport, DRIVER_OK, FAILED};
use crate::virtqueue::{Buf, Virtqueue};
use alloc::boxed::Box;
use block::{BlockDevice, Error};
use hal::dma::DmaBuffer;

/// Red Hat's virtio vendor id; 0x1001 is the transitional block device, 0x1042 the
/// modern-only one (0x1040 + device type 2).
pub const IDS: Match = Match::Ids {
    vendor: 0x1af4,
    devices: &[0x1001, 0x1042],
};

/// Interrupts taken from PCI devices since boot (the virtio disks and the network
/// card share the vector: see `pci_irq`).
pub fn interrupts() -> u64 {
    crate::pci_irq::count()
}

/// Sleep until `done()` (which acknowledges the device) is true.
fn wait_for(mut done: impl FnMut() -> bool) {
    loop {
        let seen = crate::pci_irq::count();
        if done() {
            return;
        }
        crate::pci_irq::unmask();
        crate::pci_irq::waiters().wait_until(|| crate::pci_irq::count() != seen);
    }
}

pub const SECTOR: usize = 512;
/// The bounce buffer: the largest piece of one request.
const CHUNK: usize = 64 * 1024;
/// Queue entries asked for (a request takes three).
const QUEUE_SIZE: u16 = 16;

// Request types and status.
const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;
const S_OK: u8 = 0;
// Feature bits.
const F_RO: u64 = 1 << 5;
const F_FLUSH: u64 = 1 << 9;

/// Offset of the status byte in the header buffer.
const STATUS: usize = 16;

pub struct VirtioDisk {
    t: Transport,
    q: Virtqueue,
    /// The request header (16 bytes) and, after it, the status byte.
    header: DmaBuffer,
    data: DmaBuffer,
    capacity: u64,
    read_only: bool,
    can_flush: bool,
    broken: bool,
}

/// The virtio-blk driver. It cannot be unbound yet: a disk in use (mounted, or open
/// as `/dev/diskN`) would have to be let go of first, and the block registry's users
/// are not yet told a disk is going.
pub static PCI_DRIVER: crate::probe::PciDriver = crate::probe::PciDriver {
    name: "virtio-blk",
    matches: IDS,
    probe,
    remove: None,
};

/// The registry's probe for a virtio block function: set it up and register it as the
/// next `diskN`.
pub fn probe(f: Function) -> Result<(), &'static str> {
    let t = Transport::start(f)?;
    match VirtioDisk::init(t) {
        Ok(disk) => {
            crate::pci_irq::route();
            let mib = (disk.capacity * SECTOR as u64) >> 20;
            let ro = if disk.read_only { ", read-only" } else { "" };
            let cache = if disk.can_flush {
                "write-back cache, flushed on sync"
            } else {
                "write-through"
            };
            let name = crate::block::register_next("disk", Box::new(disk));
            log::info!("virtio-blk at PCI {f}: {mib} MiB{ro}, {cache}, as {name}");
            Ok(())
        }
        Err((t, why)) => {
            t.add_status(FAILED);
            Err(why)
        }
    }
}

impl VirtioDisk {
    /// Finish the device's initialisation (status ACKNOWLEDGE | DRIVER so far).
    fn init(t: Transport) -> Result<VirtioDisk, (Transport, &'static str)> {
        let features = match t.negotiate(F_RO | F_FLUSH) {
            Ok(f) => f,
            Err(e) => return Err((t, e)),
        };
        let q = match t.setup_queue(0, QUEUE_SIZE) {
            Ok(q) if q.size() >= 4 => q,
            Ok(_) => return Err((t, "queue too small")),
            Err(e) => return Err((t, e)),
        };
        // Capacity in 512-byte sectors, whatever the device's block size.
        let capacity = match t.device_read64(0) {
            Some(c) if c > 0 && c <= u64::MAX / SECTOR as u64 => c,
            Some(_) => return Err((t, "capacity is zero or unaddressable")),
            None => return Err((t, "configuration unreadable")),
        };
        let (Some(header), Some(data)) = (DmaBuffer::new(STATUS + 1), DmaBuffer::new(CHUNK)) else {
            return Err((t, "no DMA memory for requests"));
        };
        t.add_status(DRIVER_OK);
        Ok(VirtioDisk {
            t,
            q,
            header,
            data,
            capacity,
            read_only: features & F_RO != 0,
            can_flush: features & F_FLUSH != 0,
            broken: false,
        })
    }

    /// Whole sectors, inside the disk.
    fn check(&self, first: u64, len: usize) -> block::Result<()> {
        let sectors = (len / SECTOR) as u64;
        if !len.is_multiple_of(SECTOR) {
            return Err(Error::Invalid);
        }
        if first.checked_add(sectors).is_none_or(|e| e > self.capacity) {
            return Err(Error::Io);
        }
        Ok(())
    }

    /// One request of `len` bytes (at most [`CHUNK`], already in the bounce buffer for
    /// a write), start to finish.
    fn request(&mut self, kind: u32, sector: u64, len: usize) -> block::Result<()> {
        if self.broken {
            return Err(Error::Io);
        }
        self.header.write32(0, kind);
        self.header.write32(4, 0);
        self.header.write64(8, sector);
        self.header.write8(STATUS, 0xff); // the device must overwrite it
        let header = self.header.phys().as_u64();
        let hdr = Buf {
            addr: header,
            len: 16,
            device_writes: false,
        };
        let data = Buf {
            addr: self.data.phys().as_u64(),
            len: len as u32,
            device_writes: kind == T_IN,
        };
        let status = Buf {
            addr: header + STATUS as u64,
            len: 1,
            device_writes: true,
        };
        let head = if len > 0 {
            self.q.push(&[hdr, data, status])
        } else {
            self.q.push(&[hdr, status])
        }
        .ok_or(Error::Io)?;
        self.t.notify(&self.q);
        let (t, q) = (&self.t, &self.q);
        wait_for(|| {
            t.ack_interrupt();
            q.has_used()
        });
        match self.q.pop_used() {
            Ok(Some((id, _))) if id == head => {}
            other => {
                log::error!(
                    "virtio-blk {}: impossible used ring ({other:?} for head {head}): disk disabled",
                    self.t.function
                );
                self.broken = true;
                return Err(Error::Io);
            }
        }
        match self.header.read8(STATUS) {
            S_OK => Ok(()),
            _ => Err(Error::Io),
        }
    }
}

impl BlockDevice for VirtioDisk {
    fn sector_size(&self) -> usize {
        SECTOR
    }
    fn sector_count(&self) -> u64 {
        self.capacity
    }
    fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> block::Result<()> {
        self.check(first, buf.len())?;
        let delay = READ_DELAY_MS.load(core::sync::atomic::Ordering::Relaxed);
        if delay > 0 {
            task::sleep_ms(delay); // a stalled disk (the test knob below)
        }
        let mut sector = first;
        for piece in buf.chunks_mut(CHUNK) {
            self.request(T_IN, sector, piece.len())?;
            self.data.copy_out(0, piece);
            sector += (piece.len() / SECTOR) as u64;
        }
        Ok(())
    }
    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> block::Result<()> {
        self.check(first, buf.len())?;
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let mut sector = first;
        for piece in buf.chunks(CHUNK) {
            self.data.copy_in(0, piece);
            self.request(T_OUT, sector, piece.len())?;
            sector += (piece.len() / SECTOR) as u64;
        }
        Ok(())
    }
    fn flush(&mut self) -> block::Result<()> {
        if self.can_flush {
            self.request(T_FLUSH, 0, 0)
        } else {
            Ok(())
        }
    }
}

impl Drop for VirtioDisk {
    /// Stop the device before its queue and buffers go back to the frame allocator.
    fn drop(&mut self) {
        let _ = self.t.reset();
    }
}

/// The test knob `/proc/sys/kernel/disk_read_delay_ms`: each read request waits this
/// long before it starts, the disk's lock held, as a stalled disk would; what must
/// keep working meanwhile is everything that does not need this disk (`io::` tests).
static READ_DELAY_MS: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// The read delay now, in milliseconds.
pub fn read_delay_ms() -> u64 {
    READ_DELAY_MS.load(core::sync::atomic::Ordering::Relaxed)
}

/// Set the read delay; false (nothing changed) beyond the most, 10 s.
pub fn set_read_delay_ms(ms: u64) -> bool {
    if ms > 10_000 {
        return false;
    }
    READ_DELAY_MS.store(ms, core::sync::atomic::Ordering::Relaxed);
    true
}
