//! The virtio network card: Ethernet frames to and from QEMU's network
//! (`-device virtio-net-pci`), virtio 1.x section 5.1.
//!
//! Two virtqueues: queue 0 receives, queue 1 transmits. Every frame on either is
//! preceded by the 12-byte `virtio_net_hdr` (no offloads are negotiated, so it is all
//! zero going out and ignored coming in). Receive buffers are posted ahead: at probe
//! the driver fills the receive queue with [`RX_BUFS`] buffers of [`BUF`] bytes, and
//! every buffer the device hands back is copied out and posted again at once, so the
//! card always has room. Transmit buffers come from a pool of [`TX_BUFS`]; a buffer
//! is free again when the device has put it in the used ring.
//!
//! Interrupt-driven: the card shares the PCI interrupt vector (`pci_irq`); the network
//! stack's thread sleeps until an interrupt (or its next timer), calls
//! [`NetDevice::ack_interrupt`], drains the rings and unmasks the lines. Nothing the
//! device says is trusted: a used entry naming a buffer not in flight, or a length
//! outside the buffer, disables the card (one log line; frames are then dropped).

use crate::netdev::{NetDevice, NetStats};
use crate::pci::Function;
use crate::probe::Match;
use crate::virtio_pci::{Transport, DRIVER_OK, FAILED};
use crate::virtqueue::{Buf, Virtqueue};
use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use hal::dma::DmaBuffer;

/// 0x1000 is the transitional network device, 0x1041 the modern-only one.
pub const IDS: Match = Match::Ids {
    vendor: 0x1af4,
    devices: &[0x1000, 0x1041],
};

/// The header before every frame (VERSION_1: with `num_buffers`).
pub const HDR: usize = 12;
/// One buffer: header and the largest Ethernet frame, rounded up.
const BUF: usize = 2048;
const RX_BUFS: usize = 32;
const TX_BUFS: usize = 16;
const F_MAC: u64 = 1 << 5;

pub static PCI_DRIVER: crate::probe::PciDriver = crate::probe::PciDriver {
    name: "virtio-net",
    matches: IDS,
    probe,
    remove: None,
};

pub struct VirtioNet {
    t: Transport,
    rx: Virtqueue,
    tx: Virtqueue,
    rx_mem: DmaBuffer,
    tx_mem: DmaBuffer,
    /// For each descriptor head in flight on a queue, which buffer it is.
    rx_of_head: Vec<Option<usize>>,
    tx_of_head: Vec<Option<usize>>,
    tx_free: Vec<usize>,
    mac: [u8; 6],
    stats: NetStats,
    broken: bool,
}

/// The registry's probe: set the card up and register it as the next `ethN`.
pub fn probe(f: Function) -> Result<(), &'static str> {
    let t = Transport::start(f)?;
    match VirtioNet::init(t) {
        Ok(nic) => {
            crate::pci_irq::route();
            let m = nic.mac;
            let name = crate::netdev::register(Box::new(nic));
            log::info!(
                "virtio-net at PCI {f}: {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} as {name}",
                m[0],
                m[1],
                m[2],
                m[3],
                m[4],
                m[5]
            );
            Ok(())
        }
        Err((t, why)) => {
            t.add_status(FAILED);
            Err(why)
        }
    }
}

/// Is a used entry's length possible for a buffer of `BUF` bytes holding a frame?
fn frame_len(written: u32) -> Option<usize> {
    let n = written as usize;
    (HDR..=BUF).contains(&n).then(|| n - HDR)
}

impl VirtioNet {
    fn init(t: Transport) -> Result<VirtioNet, (Transport, &'static str)> {
        let features = match t.negotiate(F_MAC) {
            Ok(f) => f,
            Err(e) => return Err((t, e)),
        };
        let rx = match t.setup_queue(0, RX_BUFS as u16) {
            Ok(q) => q,
            Err(e) => return Err((t, e)),
        };
        let tx = match t.setup_queue(1, TX_BUFS as u16) {
            Ok(q) => q,
            Err(e) => return Err((t, e)),
        };
        let mut mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
        if features & F_MAC != 0 {
            for (i, b) in mac.iter_mut().enumerate() {
                match t.device_read8(i) {
                    Some(v) => *b = v,
                    None => return Err((t, "configuration unreadable")),
                }
            }
        }
        let (Some(rx_mem), Some(tx_mem)) =
            (DmaBuffer::new(BUF * RX_BUFS), DmaBuffer::new(BUF * TX_BUFS))
        else {
            return Err((t, "no DMA memory for frames"));
        };
        let (rn, tn) = (rx.size() as usize, tx.size() as usize);
        let mut nic = VirtioNet {
            t,
            rx,
            tx,
            rx_mem,
            tx_mem,
            rx_of_head: vec![None; rn],
            tx_of_head: vec![None; tn],
            tx_free: (0..TX_BUFS.min(tn)).rev().collect(),
            mac,
            stats: NetStats::default(),
            broken: false,
        };
        for b in 0..RX_BUFS.min(rn) {
            nic.post_rx(b);
        }
        nic.t.add_status(DRIVER_OK);
        nic.t.notify(&nic.rx);
        Ok(nic)
    }

    /// Offer receive buffer `b` to the device.
    fn post_rx(&mut self, b: usize) {
        let chain = [Buf {
            addr: self.rx_mem.phys().as_u64() + (b * BUF) as u64,
            len: BUF as u32,
            device_writes: true,
        }];
        if let Some(head) = self.rx.push(&chain) {
            self.rx_of_head[head as usize] = Some(b);
        }
    }

    fn disable(&mut self, why: &str) {
        if !self.broken {
            log::error!("virtio-net {}: {why}: card disabled", self.t.function);
            self.broken = true;
        }
    }

    /// Take back transmit buffers the device has finished with.
    fn reclaim_tx(&mut self) {
        loop {
            match self.tx.pop_used() {
                Ok(Some((head, _))) => match self
                    .tx_of_head
                    .get_mut(head as usize)
                    .and_then(Option::take)
                {
                    Some(b) => self.tx_free.push(b),
                    None => return self.disable("used transmit entry not in flight"),
                },
                Ok(None) => return,
                Err(_) => return self.disable("impossible transmit used ring"),
            }
        }
    }
}

impl NetDevice for VirtioNet {
    fn mac(&self) -> [u8; 6] {
        self.mac
    }

    fn receive(&mut self, f: &mut dyn FnMut(&[u8])) -> bool {
        if self.broken {
            return false;
        }
        let (head, written) = match self.rx.pop_used() {
            Ok(Some(e)) => e,
            Ok(None) => return false,
            Err(_) => {
                self.disable("impossible receive used ring");
                return false;
            }
        };
        let Some(b) = self
            .rx_of_head
            .get_mut(head as usize)
            .and_then(Option::take)
        else {
            self.disable("used receive entry not in flight");
            return false;
        };
        match frame_len(written) {
            Some(len) => {
                let mut frame = vec![0u8; len];
                self.rx_mem.copy_out(b * BUF + HDR, &mut frame);
                self.stats.rx_packets += 1;
                self.stats.rx_bytes += len as u64;
                f(&frame);
            }
            None => self.stats.dropped += 1,
        }
        self.post_rx(b);
        self.t.notify(&self.rx);
        true
    }

    fn can_transmit(&mut self) -> bool {
        self.reclaim_tx();
        !self.broken && !self.tx_free.is_empty()
    }

    fn transmit(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> bool {
        self.reclaim_tx();
        if self.broken || len > BUF - HDR {
            self.stats.dropped += 1;
            return false;
        }
        let Some(b) = self.tx_free.pop() else {
            self.stats.dropped += 1;
            return false;
        };
        let mut frame = vec![0u8; HDR + len];
        fill(&mut frame[HDR..]);
        self.tx_mem.copy_in(b * BUF, &frame);
        let chain = [Buf {
            addr: self.tx_mem.phys().as_u64() + (b * BUF) as u64,
            len: (HDR + len) as u32,
            device_writes: false,
        }];
        match self.tx.push(&chain) {
            Some(head) => {
                self.tx_of_head[head as usize] = Some(b);
                self.t.notify(&self.tx);
                self.stats.tx_packets += 1;
                self.stats.tx_bytes += len as u64;
                true
            }
            None => {
                self.tx_free.push(b);
                self.stats.dropped += 1;
                false
            }
        }
    }

    fn ack_interrupt(&mut self) {
        self.t.ack_interrupt();
    }

    fn stats(&self) -> NetStats {
        self.stats
    }
}

impl Drop for VirtioNet {
    /// Stop the device before its queues and buffers go back to the frame allocator.
    fn drop(&mut self) {
        let _ = self.t.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_lengths_must_fit_the_buffer_and_hold_the_header() {
        assert_eq!(frame_len(HDR as u32), Some(0));
        assert_eq!(frame_len(HDR as u32 + 60), Some(60));
        assert_eq!(frame_len(BUF as u32), Some(BUF - HDR));
        assert_eq!(frame_len(BUF as u32 + 1), None);
        assert_eq!(frame_len(3), None);
    }
}
