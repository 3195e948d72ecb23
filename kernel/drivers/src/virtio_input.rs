//! virtio-input: QEMU's `virtio-tablet-pci` (an absolute pointer, standing for a
//! touch screen) and `virtio-keyboard-pci` (chapter 2, 2-2: the input a graphical
//! interface is driven by).
//!
//! The device (virtio 1.x, section 5.8) sends evdev events, 8 bytes each
//! (`le16 type, le16 code, le32 value`, Linux's numbering: `EV_KEY`, `EV_ABS`,
//! `EV_SYN`...), into buffers the driver leaves in its event queue. The driver keeps
//! [`QUEUE`] one-event buffers there; each event taken is stamped with the time since
//! boot, appended to the device's record queue (a bounded ring: when nobody reads, the
//! oldest go, counted in `dropped`), and its buffer goes back to the device.
//! `/dev/eventN` (`kernel/devices/src/input.rs`) hands the records to programs.
//!
//! Events are collected by a kernel thread that looks at every device's used ring
//! 100 times a second (one timer tick), not by the interrupt: q35's PCI lines are shared
//! and the virtio-blk driver masks them while nobody waits for the disk, so a device
//! that interrupts on its own would not be heard. A key press thus reaches a reader
//! within 10 ms. Nothing the device says is trusted: a used entry naming a buffer
//! not offered, or a length short of an event, disables the device with one log line.

use crate::pci::Function;
use crate::probe::{Match, PciDriver};
use crate::virtio_pci::{Transport, DRIVER_OK, FAILED};
use crate::virtqueue::{Buf, Virtqueue};
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use hal::dma::DmaBuffer;
use hal::sync::SpinLock;
use task::WaitQueue;

/// Red Hat's virtio vendor id, modern virtio-input (0x1040 + device type 18).
pub const IDS: Match = Match::Ids {
    vendor: 0x1af4,
    devices: &[0x1052],
};

pub static PCI_DRIVER: PciDriver = PciDriver {
    name: "virtio-input",
    matches: IDS,
    probe,
    remove: None,
};

/// Event buffers kept in the device's queue.
pub const QUEUE: u16 = 64;
/// Records kept for readers per device; older ones are dropped.
pub const RING: usize = 1024;
/// One record as programs read it: Linux's `struct input_event` on x86_64
/// (`struct timeval` of two i64, then `u16 type, u16 code, i32 value`).
pub const RECORD: usize = 24;

/// Event types and codes (Linux's `input-event-codes.h`).
pub const EV_SYN: u16 = 0;
pub const EV_KEY: u16 = 1;
pub const EV_ABS: u16 = 3;
pub const ABS_X: u16 = 0;
pub const ABS_Y: u16 = 1;
pub const BTN_LEFT: u16 = 0x110;
pub const BTN_TOUCH: u16 = 0x14a;

// Configuration selectors (virtio 5.8.5).
const CFG_ID_NAME: u8 = 0x01;
const CFG_ABS_INFO: u8 = 0x12;
const CFG_SELECT: usize = 0;
const CFG_SUBSEL: usize = 1;
const CFG_SIZE: usize = 2;
const CFG_DATA: usize = 8;

/// The event as the device sent it, time-stamped, in Linux's 24-byte layout.
pub fn record(ns: u64, ev: [u8; 8]) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    r[0..8].copy_from_slice(&((ns / 1_000_000_000) as i64).to_le_bytes());
    r[8..16].copy_from_slice(&(((ns % 1_000_000_000) / 1000) as i64).to_le_bytes());
    r[16..24].copy_from_slice(&ev);
    r
}

struct Hw {
    t: Transport,
    q: Virtqueue,
    /// QUEUE buffers of 8 bytes, buffer i at 8 * i.
    bufs: DmaBuffer,
    /// Which buffer each chain head in flight carries.
    slot_of_head: [u16; QUEUE as usize],
    broken: bool,
}

/// One input device.
pub struct InputDevice {
    pub name: String,
    /// The largest ABS_X / ABS_Y value (0 for a device with no absolute axes).
    pub abs_max: (u32, u32),
    hw: SpinLock<Hw>,
    ring: SpinLock<VecDeque<[u8; RECORD]>>,
    pub dropped: AtomicU64,
    heard: AtomicBool,
    /// Woken when records arrive (readers and poll sleep here).
    pub readers: WaitQueue,
}

impl InputDevice {
    /// Take up to `max` records.
    pub fn take(&self, max: usize) -> Vec<[u8; RECORD]> {
        let mut r = self.ring.lock();
        let n = max.min(r.len());
        r.drain(..n).collect()
    }

    pub fn pending(&self) -> usize {
        self.ring.lock().len()
    }

    /// Move what the device has sent into the record ring; true if anything came.
    fn collect(&self) -> bool {
        let mut got = 0;
        let mut hw = self.hw.lock();
        if hw.broken {
            return false;
        }
        hw.t.ack_interrupt();
        loop {
            let (head, len) = match hw.q.pop_used() {
                Ok(Some(u)) => u,
                Ok(None) => break,
                Err(_) => {
                    log::error!("virtio-input {}: impossible used ring: disabled", self.name);
                    hw.broken = true;
                    break;
                }
            };
            let slot = hw.slot_of_head[head as usize % QUEUE as usize];
            if len >= 8 {
                let mut ev = [0u8; 8];
                hw.bufs.copy_out(8 * slot as usize, &mut ev);
                let rec = record(hal::apic::nanos_since_boot(), ev);
                let mut ring = self.ring.lock();
                if ring.len() == RING {
                    ring.pop_front();
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
                ring.push_back(rec);
                got += 1;
                if !self.heard.swap(true, Ordering::Relaxed) {
                    log::info!("virtio-input {}: first event", self.name);
                }
            }
            // The buffer goes back to the device.
            let addr = hw.bufs.phys().as_u64() + 8 * slot as u64;
            match hw.q.push(&[Buf {
                addr,
                len: 8,
                device_writes: true,
            }]) {
                Some(h) => hw.slot_of_head[h as usize % QUEUE as usize] = slot,
                None => {
                    hw.broken = true;
                    break;
                }
            }
        }
        if got > 0 {
            let hw = &*hw;
            hw.t.notify(&hw.q);
        }
        got > 0
    }
}

impl Drop for Hw {
    fn drop(&mut self) {
        let _ = self.t.reset();
    }
}

/// Every input device found, in bus order (`/dev/event0` is the first).
pub static DEVICES: SpinLock<Vec<Arc<InputDevice>>> = SpinLock::new(Vec::new());
static POLLER: AtomicBool = AtomicBool::new(false);

/// The collecting thread: every tick, every device.
fn poller() {
    log::info!("virtio-input: collecting events every tick");
    loop {
        let devs: Vec<Arc<InputDevice>> = DEVICES.lock().clone();
        for d in &devs {
            if d.collect() {
                d.readers.wake_all();
            }
        }
        task::sleep_ticks(1);
    }
}

/// A configuration string or structure: select `sel`/`sub`, then read `size` bytes.
fn config(t: &Transport, sel: u8, sub: u8) -> Vec<u8> {
    t.device_write8(CFG_SELECT, sel);
    t.device_write8(CFG_SUBSEL, sub);
    let size = t.device_read8(CFG_SIZE).unwrap_or(0).min(128) as usize;
    (0..size)
        .map_while(|i| t.device_read8(CFG_DATA + i))
        .collect()
}

/// The `max` field of an ABS_INFO structure (`le32 min, max, fuzz, flat, res`).
pub fn abs_max(info: &[u8]) -> u32 {
    match info.get(4..8) {
        Some(b) if info.len() >= 20 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        _ => 0,
    }
}

fn probe(f: Function) -> Result<(), &'static str> {
    let t = Transport::start(f)?;
    let fail = |t: &Transport, why| {
        t.add_status(FAILED);
        Err(why)
    };
    if let Err(e) = t.negotiate(0) {
        return fail(&t, e);
    }
    let name = String::from_utf8_lossy(&config(&t, CFG_ID_NAME, 0)).into_owned();
    let abs = (
        abs_max(&config(&t, CFG_ABS_INFO, ABS_X as u8)),
        abs_max(&config(&t, CFG_ABS_INFO, ABS_Y as u8)),
    );
    let mut q = match t.setup_queue(0, QUEUE) {
        Ok(q) => q,
        Err(e) => return fail(&t, e),
    };
    let Some(bufs) = DmaBuffer::new(8 * q.size() as usize) else {
        return fail(&t, "no DMA memory for events");
    };
    let mut slot_of_head = [0u16; QUEUE as usize];
    for slot in 0..q.size() {
        let addr = bufs.phys().as_u64() + 8 * slot as u64;
        match q.push(&[Buf {
            addr,
            len: 8,
            device_writes: true,
        }]) {
            Some(h) => slot_of_head[h as usize % QUEUE as usize] = slot,
            None => return fail(&t, "queue refused a buffer"),
        }
    }
    t.add_status(DRIVER_OK);
    t.notify(&q);
    let n = {
        let mut d = DEVICES.lock();
        d.push(Arc::new(InputDevice {
            name: name.clone(),
            abs_max: abs,
            hw: SpinLock::new(Hw {
                t,
                q,
                bufs,
                slot_of_head,
                broken: false,
            }),
            ring: SpinLock::new(VecDeque::new()),
            dropped: AtomicU64::new(0),
            heard: AtomicBool::new(false),
            readers: WaitQueue::new(),
        }));
        d.len() - 1
    };
    if !POLLER.swap(true, Ordering::SeqCst) && task::spawn("input", poller).is_err() {
        log::error!("virtio-input: cannot start the collecting thread");
    }
    log::info!("virtio-input at PCI {f}: \"{name}\" as event{n}, absolute axes up to {abs:?}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_linux_input_event_layout() {
        let ev = [1, 0, 0x1e, 0, 1, 0, 0, 0]; // EV_KEY KEY_A 1
        let r = record(3_000_456_789, ev);
        assert_eq!(i64::from_le_bytes(r[0..8].try_into().unwrap()), 3);
        assert_eq!(i64::from_le_bytes(r[8..16].try_into().unwrap()), 456);
        assert_eq!(&r[16..], &ev);
    }

    #[test]
    fn abs_info_max_needs_the_whole_structure() {
        let mut info = [0u8; 20];
        info[4..8].copy_from_slice(&32767u32.to_le_bytes());
        assert_eq!(abs_max(&info), 32767);
        assert_eq!(abs_max(&info[..8]), 0);
        assert_eq!(abs_max(&[]), 0);
    }
}
