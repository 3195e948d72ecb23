//! A message's bytes, kept without a heap allocation when they are few.
//!
//! Most messages of a request-and-answer protocol are short (a command, a status), and
//! allocating and freeing their copy cost about a quarter of a port round trip
//! (measured: four heap operations of ~100 instructions each). So up to [`INLINE`]
//! bytes live inside the message itself; longer messages (up to the ABI's 4 KiB) go
//! to the heap.

use abi::Errno;
use alloc::vec::Vec;

/// Bytes kept in the message itself.
pub const INLINE: usize = 32;

/// The bytes of one message.
pub enum Payload {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Vec<u8>),
}

impl Payload {
    /// `len` zero bytes, to be filled ([`Payload::as_mut_slice`]). ENOMEM never: a
    /// failed heap allocation aborts, as everywhere in the kernel.
    pub fn zeroed(len: usize) -> Result<Payload, Errno> {
        if len <= INLINE {
            Ok(Payload::Inline {
                len: len as u8,
                bytes: [0; INLINE],
            })
        } else {
            Ok(Payload::Heap(alloc::vec![0; len]))
        }
    }

    /// A copy of `data`.
    pub fn from_slice(data: &[u8]) -> Payload {
        let mut p = Payload::zeroed(data.len()).unwrap_or(Payload::Heap(Vec::new()));
        p.as_mut_slice().copy_from_slice(data);
        p
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Inline { len, bytes } => &bytes[..*len as usize],
            Payload::Heap(v) => v,
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        match self {
            Payload::Inline { len, bytes } => &mut bytes[..*len as usize],
            Payload::Heap(v) => v,
        }
    }

    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::{Payload, INLINE};

    #[test]
    fn short_payloads_are_inline_and_long_ones_on_the_heap() {
        for len in [0, 1, INLINE - 1, INLINE, INLINE + 1, 4096] {
            let data: alloc::vec::Vec<u8> = (0..len).map(|i| i as u8).collect();
            let p = Payload::from_slice(&data);
            assert_eq!(p.as_slice(), &data[..]);
            assert_eq!(p.len(), len);
            assert_eq!(matches!(p, Payload::Inline { .. }), len <= INLINE);
        }
    }
}
