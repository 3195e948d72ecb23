//! The virtio PCI transport (virtio 1.x "modern", section 4.1): how a virtio device's
//! registers are found and used on PCI.
//!
//! A virtio device describes its register blocks with *vendor capabilities* in its PCI
//! header: each names a type (common configuration, notification, interrupt status,
//! device-specific configuration), a BAR and a range inside it. The common block is
//! where feature bits are negotiated, the device status is stepped through
//! ACKNOWLEDGE -> DRIVER -> FEATURES_OK -> DRIVER_OK, and queues are set up; writing a
//! queue's number to its notification address tells the device there is new work;
//! reading the interrupt status byte acknowledges (and lowers) the device's interrupt.
//!
//! Every range a device reports is checked against its BAR before use, so a device
//! describing registers that do not exist is refused at probe time, not at the first
//! access.

use crate::pci::{self, Function};
use crate::virtqueue::Virtqueue;
use hal::mmio::Mmio;

const CAP_VENDOR: u8 = 0x09;
const CFG_COMMON: u8 = 1;
const CFG_NOTIFY: u8 = 2;
const CFG_ISR: u8 = 3;
const CFG_DEVICE: u8 = 4;

// The common configuration block.
const DEVICE_FEATURE_SELECT: usize = 0;
const DEVICE_FEATURE: usize = 4;
const DRIVER_FEATURE_SELECT: usize = 8;
const DRIVER_FEATURE: usize = 12;
const DEVICE_STATUS: usize = 20;
const CONFIG_GENERATION: usize = 21;
const QUEUE_SELECT: usize = 22;
const QUEUE_SIZE: usize = 24;
const QUEUE_MSIX_VECTOR: usize = 26;
const QUEUE_ENABLE: usize = 28;
const QUEUE_NOTIFY_OFF: usize = 30;
const QUEUE_DESC: usize = 32;
const QUEUE_DRIVER: usize = 40;
const QUEUE_DEVICE: usize = 48;
const COMMON_LEN: usize = 56;

/// Device status bits.
pub const ACKNOWLEDGE: u8 = 1;
pub const DRIVER: u8 = 2;
pub const DRIVER_OK: u8 = 4;
pub const FEATURES_OK: u8 = 8;
pub const FAILED: u8 = 128;

/// Feature bit every modern device offers and this driver requires.
pub const F_VERSION_1: u64 = 1 << 32;

/// No MSI-X vector: the device uses its legacy interrupt line.
const NO_VECTOR: u16 = 0xffff;

/// A virtio device's register blocks.
pub struct Transport {
    pub function: Function,
    common: Mmio,
    notify: Mmio,
    notify_multiplier: u32,
    isr: Mmio,
    device: Mmio,
}

/// One vendor capability: (type, BAR, offset, length, the notify multiplier).
fn read_cap(f: &Function, at: u8) -> (u8, u8, u32, u32, u32) {
    let head = f.read32(at);
    let bar = f.read8(at.wrapping_add(4));
    let offset = f.read32(at.wrapping_add(8));
    let length = f.read32(at.wrapping_add(12));
    let multiplier = if (head >> 24) as u8 == CFG_NOTIFY {
        f.read32(at.wrapping_add(16))
    } else {
        0
    };
    ((head >> 24) as u8, bar, offset, length, multiplier)
}

impl Transport {
    /// The start every virtio driver's probe makes (virtio 1.x, 3.1.1 steps 1-3): give
    /// the function its BARs, let it answer on them and reach memory, map its register
    /// blocks, reset it, and say a driver is here and knows the device. The driver then
    /// negotiates features and sets its queues up.
    pub fn start(f: Function) -> Result<Transport, &'static str> {
        pci::assign_bars(&f);
        f.enable(pci::CMD_MEMORY | pci::CMD_BUS_MASTER);
        let t = Transport::new(f)?;
        t.reset()?;
        t.add_status(ACKNOWLEDGE);
        t.add_status(DRIVER);
        Ok(t)
    }

    /// Find and map the register blocks of virtio function `f` (BARs assigned and
    /// memory decoding on).
    pub fn new(f: Function) -> Result<Transport, &'static str> {
        let mut bars: [Option<Mmio>; 6] = Default::default();
        let mut found: [Option<(Mmio, u32)>; 5] = Default::default();
        for (id, at) in f.capabilities() {
            if id != CAP_VENDOR || at > 0xec {
                continue;
            }
            let (kind, bar, offset, length, mul) = read_cap(&f, at);
            if !(CFG_COMMON..=CFG_DEVICE).contains(&kind) || bar >= 6 {
                continue;
            }
            if found[kind as usize].is_some() {
                continue; // the first of each kind is the one to use
            }
            if bars[bar as usize].is_none() {
                bars[bar as usize] = Some(pci::map_bar(&f, bar)?);
            }
            let region = bars[bar as usize]
                .as_ref()
                .and_then(|m| m.slice(offset as usize, length as usize))
                .ok_or("capability outside its BAR")?;
            found[kind as usize] = Some((region, mul));
        }
        let mut take = |kind: u8| found[kind as usize].take();
        let (Some(common), Some(notify), Some(isr), Some(device)) = (
            take(CFG_COMMON),
            take(CFG_NOTIFY),
            take(CFG_ISR),
            take(CFG_DEVICE),
        ) else {
            return Err("not a modern virtio device (register blocks missing)");
        };
        if common.0.len() < COMMON_LEN {
            return Err("common configuration too short");
        }
        Ok(Transport {
            function: f,
            common: common.0,
            notify_multiplier: notify.1,
            notify: notify.0,
            isr: isr.0,
            device: device.0,
        })
    }

    pub fn status(&self) -> u8 {
        self.common.read8(DEVICE_STATUS)
    }

    pub fn add_status(&self, bits: u8) {
        self.common.write8(DEVICE_STATUS, self.status() | bits);
    }

    /// Reset the device: it forgets its queues and stops using memory it was given.
    pub fn reset(&self) -> Result<(), &'static str> {
        self.common.write8(DEVICE_STATUS, 0);
        for _ in 0..1_000_000 {
            if self.status() == 0 {
                return Ok(());
            }
            core::hint::spin_loop();
        }
        Err("device does not reset")
    }

    /// Accept the features in `wanted` that the device offers (plus VERSION_1, which
    /// must be offered) and confirm them with FEATURES_OK. Returns the accepted set.
    pub fn negotiate(&self, wanted: u64) -> Result<u64, &'static str> {
        let c = &self.common;
        c.write32(DEVICE_FEATURE_SELECT, 0);
        let low = c.read32(DEVICE_FEATURE) as u64;
        c.write32(DEVICE_FEATURE_SELECT, 1);
        let offered = (c.read32(DEVICE_FEATURE) as u64) << 32 | low;
        if offered & F_VERSION_1 == 0 {
            return Err("device does not offer VIRTIO_F_VERSION_1");
        }
        let accepted = offered & (wanted | F_VERSION_1);
        c.write32(DRIVER_FEATURE_SELECT, 0);
        c.write32(DRIVER_FEATURE, accepted as u32);
        c.write32(DRIVER_FEATURE_SELECT, 1);
        c.write32(DRIVER_FEATURE, (accepted >> 32) as u32);
        self.add_status(FEATURES_OK);
        if self.status() & FEATURES_OK == 0 {
            return Err("device refused the features");
        }
        Ok(accepted)
    }

    /// Set up queue `index` with at most `max` entries (a power of two).
    pub fn setup_queue(&self, index: u16, max: u16) -> Result<Virtqueue, &'static str> {
        let c = &self.common;
        c.write16(QUEUE_SELECT, index);
        let offered = c.read16(QUEUE_SIZE);
        if offered == 0 {
            return Err("queue does not exist");
        }
        // The largest power of two the device and this driver both allow.
        let size = 1u16 << (offered.min(max).ilog2());
        let mut q = Virtqueue::new(index, size).ok_or("no DMA memory for the queue")?;
        let notify_at = (c.read16(QUEUE_NOTIFY_OFF) as usize)
            .checked_mul(self.notify_multiplier as usize)
            .filter(|&o| o.checked_add(2).is_some_and(|e| e <= self.notify.len()) && o % 2 == 0)
            .ok_or("queue notification address outside its block")?;
        q.notify_at = notify_at;
        let (desc, driver, device) = q.areas();
        c.write16(QUEUE_SIZE, size);
        c.write16(QUEUE_MSIX_VECTOR, NO_VECTOR);
        for (reg, addr) in [
            (QUEUE_DESC, desc),
            (QUEUE_DRIVER, driver),
            (QUEUE_DEVICE, device),
        ] {
            c.write32(reg, addr as u32);
            c.write32(reg + 4, (addr >> 32) as u32);
        }
        c.write16(QUEUE_ENABLE, 1);
        Ok(q)
    }

    /// Tell the device that queue `q` has new chains.
    pub fn notify(&self, q: &Virtqueue) {
        self.notify.write16(q.notify_at, q.index);
    }

    /// Read (and so acknowledge) the interrupt status: bit 0 = a queue was used,
    /// bit 1 = the configuration changed.
    pub fn ack_interrupt(&self) -> u8 {
        self.isr.read8(0)
    }

    /// A byte of the device-specific configuration, or `None` past its end.
    pub fn device_read8(&self, offset: usize) -> Option<u8> {
        (offset < self.device.len()).then(|| self.device.read8(offset))
    }

    /// A 32-bit field of the device-specific configuration, or `None` past its end.
    pub fn device_read32(&self, offset: usize) -> Option<u32> {
        (offset.checked_add(4)? <= self.device.len()).then(|| self.device.read32(offset))
    }

    /// Write a byte of the device-specific configuration (ignored past its end).
    pub fn device_write8(&self, offset: usize, value: u8) {
        if offset < self.device.len() {
            self.device.write8(offset, value)
        }
    }

    /// A 64-bit field of the device-specific configuration, read as two halves while
    /// the configuration generation stays the same (the device may change it between).
    pub fn device_read64(&self, offset: usize) -> Option<u64> {
        for _ in 0..16 {
            let before = self.common.read8(CONFIG_GENERATION);
            let low = self.device_read32(offset)? as u64;
            let high = self.device_read32(offset + 4)? as u64;
            if self.common.read8(CONFIG_GENERATION) == before {
                return Some(high << 32 | low);
            }
        }
        None
    }
}
