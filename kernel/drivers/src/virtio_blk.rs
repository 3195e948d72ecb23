//! The virtio block device: a disk QEMU provides (`-device virtio-blk-pci`).
//!
//! hal finds the device on PCI and drives the virtio protocol (through the
//! `virtio-drivers` crate); this driver presents it as the same `BlockDevice` the
//! RAM disk implements, in 512-byte sectors.
//!
//! Completion is interrupt-driven: a request is started, and the calling thread sleeps
//! on a wait queue until the device's interrupt says something finished. PCI
//! interrupts are level-triggered and shared, so the handler masks the lines, counts
//! the interrupt and wakes the waiters; the waiter acknowledges the device (which
//! lowers the line), checks its request and unmasks. The interrupt lines of PCI slots
//! on q35 (PIRQ A-H = GSI 16-23) all lead to one vector.

use core::sync::atomic::{AtomicU64, Ordering};
use fs::{BlockDevice, Errno};
use hal::virtio::VirtioBlock;
use task::WaitQueue;

/// The vector all PCI interrupt lines are routed to.
const VECTOR: u8 = 0x30;
/// q35's PCI interrupt lines in APIC mode.
const GSIS: core::ops::RangeInclusive<u8> = 16..=23;

static INTERRUPTS: AtomicU64 = AtomicU64::new(0);
static WAITERS: WaitQueue = WaitQueue::new();

fn irq_handler(_frame: &mut hal::trap::TrapFrame) {
    for gsi in GSIS {
        hal::apic::set_gsi_masked(gsi, VECTOR, true);
    }
    INTERRUPTS.fetch_add(1, Ordering::SeqCst);
    hal::apic::eoi();
    WAITERS.wake_all();
    task::preempt_point();
}

/// Interrupts taken from virtio disks since boot.
pub fn interrupts() -> u64 {
    INTERRUPTS.load(Ordering::Relaxed)
}

/// Sleep until `done()` (which acknowledges the device) is true.
fn wait_for(mut done: impl FnMut() -> bool) {
    loop {
        let seen = INTERRUPTS.load(Ordering::SeqCst);
        if done() {
            return;
        }
        for gsi in GSIS {
            hal::apic::set_gsi_masked(gsi, VECTOR, false);
        }
        WAITERS.wait_until(|| INTERRUPTS.load(Ordering::SeqCst) != seen);
    }
}

pub const SECTOR: usize = 512;

pub struct VirtioDisk {
    dev: VirtioBlock,
}

/// Every virtio disk on the machine, in PCI order.
pub fn probe() -> alloc::vec::Vec<VirtioDisk> {
    let disks: alloc::vec::Vec<_> = hal::virtio::probe_block_devices();
    if !disks.is_empty() {
        hal::trap::set_handler(VECTOR, irq_handler);
        for gsi in GSIS {
            hal::apic::route_pci_gsi(gsi, VECTOR);
        }
    }
    disks
        .into_iter()
        .map(|mut dev| {
            dev.enable_interrupts();
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
        self.dev.start_read(first, buf).map_err(|_| Errno::EIO)?;
        wait_for(|| self.dev.poll_done());
        self.dev.finish_read(buf).map_err(|_| Errno::EIO)
    }
    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> fs::Result<()> {
        self.check(first, buf.len())?;
        self.dev.start_write(first, buf).map_err(|_| Errno::EIO)?;
        wait_for(|| self.dev.poll_done());
        self.dev.finish_write(buf).map_err(|_| Errno::EIO)
    }
    fn flush(&mut self) -> fs::Result<()> {
        self.dev.flush().map_err(|_| Errno::EIO)
    }
}
