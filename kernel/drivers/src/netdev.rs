//! The registry of network cards: what a NIC driver provides and where the network
//! stack finds it (Linux's `register_netdev`, chapter 2 section 7 "modules").
//!
//! A network card is anything that sends and receives Ethernet frames: the
//! [`NetDevice`] trait. A driver registers its card here at probe time, named in
//! order (`eth0`, `eth1`, ...); the network stack (`kernel/net`, a layer above) takes
//! the cards when it starts, so the driver never names the stack. Frames cross the
//! trait as byte slices: the driver copies them between its DMA buffers and the
//! stack's, which keeps the stack free of physical addresses.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use hal::sync::SpinLock;

/// Counters a card keeps, shown by `ifconfig`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NetStats {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Frames dropped: no transmit buffer free, or a received frame too long.
    pub dropped: u64,
}

/// A network card, as the stack uses it.
pub trait NetDevice: Send {
    /// The card's Ethernet address.
    fn mac(&self) -> [u8; 6];
    /// The largest frame it sends or receives, Ethernet header included (no CRC).
    fn max_frame(&self) -> usize {
        1514
    }
    /// Hand the next received frame to `f`; false when none is waiting.
    fn receive(&mut self, f: &mut dyn FnMut(&[u8])) -> bool;
    /// Is a transmit buffer free?
    fn can_transmit(&mut self) -> bool;
    /// Send a frame of `len` bytes that `fill` writes; false when no buffer was free
    /// (the frame is dropped, as a full card's queue drops it).
    fn transmit(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> bool;
    /// Acknowledge the card's interrupt (the waiter does this before looking at its
    /// queues, then unmasks the line).
    fn ack_interrupt(&mut self);
    fn stats(&self) -> NetStats;
}

/// A registered card: its name and the device.
pub struct Nic {
    pub name: String,
    pub dev: Box<dyn NetDevice>,
}

static CARDS: SpinLock<Vec<Nic>> = SpinLock::new(Vec::new());
static COUNT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Register a card as the next `ethN`; returns its name.
pub fn register(dev: Box<dyn NetDevice>) -> String {
    let n = COUNT.fetch_add(1, core::sync::atomic::Ordering::SeqCst);
    let name = alloc::format!("eth{n}");
    CARDS.lock().push(Nic {
        name: name.clone(),
        dev,
    });
    name
}

/// Take every registered card (the network stack does this once, at its start).
pub fn take_all() -> Vec<Nic> {
    core::mem::take(&mut *CARDS.lock())
}
