//! The split virtqueue (virtio 1.x, section 2.7): how a driver hands buffers to a
//! device and learns which ones it has finished with.
//!
//! Three arrays in DMA memory the device reads and writes directly:
//!
//! | area       | written by | holds                                                  |
//! |------------|------------|--------------------------------------------------------|
//! | descriptor | driver     | (address, length, flags, next): buffers, chained       |
//! | available  | driver     | heads of the chains offered, and a running index       |
//! | used       | device     | (head, bytes written) of the chains done, and an index |
//!
//! The driver offers a chain by writing its descriptors, putting the head in the next
//! available slot and only then advancing the available index (the device may look at
//! any time); the device does the same on the used side. Nothing the device writes is
//! trusted: a used index that jumps by more than the queue size, or a head that was
//! never offered, is reported as [`Corrupt`] and the driver fails the request.

use alloc::vec::Vec;
use core::sync::atomic::{fence, Ordering};
use hal::dma::DmaBuffer;

/// Largest queue this driver sets up (the device may offer more).
pub const MAX_SIZE: u16 = 64;
// Offsets in the queue's one page: descriptors (16 bytes each), then the available
// ring at 1 KiB and the used ring at 2 KiB (enough for MAX_SIZE entries, aligned).
const DESC: usize = 0;
const AVAIL: usize = 1024;
const USED: usize = 2048;

const F_NEXT: u16 = 1;
const F_WRITE: u16 = 2;

/// One buffer of a chain: where it is, how long, and whether the device writes it.
#[derive(Clone, Copy, Debug)]
pub struct Buf {
    pub addr: u64,
    pub len: u32,
    pub device_writes: bool,
}

/// The device wrote something impossible into the used ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

pub struct Virtqueue {
    mem: DmaBuffer,
    size: u16,
    /// Queue number on its device, and where to write it to notify the device.
    pub index: u16,
    pub notify_at: usize,
    free: Vec<u16>,
    /// For each head in flight, the descriptors of its chain.
    chains: Vec<Option<Vec<u16>>>,
    avail_idx: u16,
    last_used: u16,
}

impl Virtqueue {
    /// A queue of `size` entries (a power of two, at most [`MAX_SIZE`]).
    pub fn new(index: u16, size: u16) -> Option<Virtqueue> {
        if size == 0 || size > MAX_SIZE || !size.is_power_of_two() {
            return None;
        }
        Some(Virtqueue {
            mem: DmaBuffer::new(4096)?,
            size,
            index,
            notify_at: 0,
            free: (0..size).rev().collect(),
            chains: (0..size).map(|_| None).collect(),
            avail_idx: 0,
            last_used: 0,
        })
    }

    pub fn size(&self) -> u16 {
        self.size
    }

    /// Physical addresses of the descriptor, available and used areas.
    pub fn areas(&self) -> (u64, u64, u64) {
        let base = self.mem.phys().as_u64();
        (base + DESC as u64, base + AVAIL as u64, base + USED as u64)
    }

    /// Offer a chain of buffers to the device; returns its head, or `None` if there are
    /// not enough free descriptors. The caller notifies the device afterwards.
    pub fn push(&mut self, chain: &[Buf]) -> Option<u16> {
        if chain.is_empty() || chain.len() > self.free.len() {
            return None;
        }
        let descs: Vec<u16> = (0..chain.len()).map(|_| self.free.pop().unwrap()).collect();
        for (i, (b, &d)) in chain.iter().zip(&descs).enumerate() {
            let at = DESC + 16 * d as usize;
            let mut flags = if b.device_writes { F_WRITE } else { 0 };
            let next = descs.get(i + 1).copied().unwrap_or(0);
            if i + 1 < descs.len() {
                flags |= F_NEXT;
            }
            self.mem.write64(at, b.addr);
            self.mem.write32(at + 8, b.len);
            self.mem.write16(at + 12, flags);
            self.mem.write16(at + 14, next);
        }
        let head = descs[0];
        let slot = (self.avail_idx % self.size) as usize;
        self.mem.write16(AVAIL + 4 + 2 * slot, head);
        // The descriptors and the slot must be visible before the index that offers them.
        fence(Ordering::SeqCst);
        self.avail_idx = self.avail_idx.wrapping_add(1);
        self.mem.write16(AVAIL + 2, self.avail_idx);
        fence(Ordering::SeqCst);
        self.chains[head as usize] = Some(descs);
        Some(head)
    }

    /// Has the device put anything in the used ring since the last [`Self::pop_used`]?
    pub fn has_used(&self) -> bool {
        self.mem.read16(USED + 2) != self.last_used
    }

    /// Take the next finished chain: (head, bytes the device wrote), or `None`.
    pub fn pop_used(&mut self) -> Result<Option<(u16, u32)>, Corrupt> {
        let idx = self.mem.read16(USED + 2);
        if new_entries(idx, self.last_used, self.size)? == 0 {
            return Ok(None);
        }
        fence(Ordering::SeqCst); // read the entry only after the index that publishes it
        let at = USED + 4 + 8 * (self.last_used % self.size) as usize;
        let id = self.mem.read32(at);
        let len = self.mem.read32(at + 4);
        let head = in_flight_head(id, &self.chains)?;
        let descs = self.chains[head as usize].take().ok_or(Corrupt)?;
        self.free.extend(descs);
        self.last_used = self.last_used.wrapping_add(1);
        Ok(Some((head, len)))
    }
}

/// How many entries the device has added to the used ring, from its index: more than
/// the queue holds is impossible.
fn new_entries(used_idx: u16, last_used: u16, size: u16) -> Result<u16, Corrupt> {
    let n = used_idx.wrapping_sub(last_used);
    if n > size {
        Err(Corrupt)
    } else {
        Ok(n)
    }
}

/// The head a used entry names, if it is the head of a chain in flight.
fn in_flight_head(id: u32, chains: &[Option<Vec<u16>>]) -> Result<u16, Corrupt> {
    let head = u16::try_from(id).map_err(|_| Corrupt)?;
    match chains.get(head as usize) {
        Some(Some(_)) => Ok(head),
        _ => Err(Corrupt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn used_index_may_not_run_ahead_of_the_queue() {
        assert_eq!(new_entries(5, 5, 16), Ok(0));
        assert_eq!(new_entries(6, 5, 16), Ok(1));
        assert_eq!(new_entries(3, 0xfffe, 16), Ok(5)); // the index wraps at 2^16
        assert_eq!(new_entries(21, 5, 16), Ok(16));
        assert_eq!(new_entries(22, 5, 16), Err(Corrupt));
        assert_eq!(new_entries(4, 5, 16), Err(Corrupt)); // went backwards
    }

    #[test]
    fn used_entries_must_name_a_chain_in_flight() {
        let chains = vec![None, Some(vec![1, 2, 3]), None, None];
        assert_eq!(in_flight_head(1, &chains), Ok(1));
        assert_eq!(in_flight_head(0, &chains), Err(Corrupt)); // never offered
        assert_eq!(in_flight_head(4, &chains), Err(Corrupt)); // outside the queue
        assert_eq!(in_flight_head(0x1_0001, &chains), Err(Corrupt)); // not a u16
    }
}
