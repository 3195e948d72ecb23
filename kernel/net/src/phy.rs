//! smoltcp's view of a network card: the [`Device`] trait over a registered
//! [`NetDevice`] (chapter 2 section 7: the stack and the driver meet at one interface).
//!
//! smoltcp asks the device for *tokens*: a receive token hands over one frame, a
//! transmit token lends a buffer of the length the stack needs. Here a received frame
//! is copied out of the driver's DMA buffer into the token, and a frame to send is
//! built in a heap buffer and copied into a free transmit buffer of the card.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use drivers::netdev::NetDevice;
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// A network card as a smoltcp device.
pub struct NicPhy {
    pub dev: Box<dyn NetDevice>,
}

pub struct RxTok(Vec<u8>);
pub struct TxTok<'a>(&'a mut dyn NetDevice);

impl phy::RxToken for RxTok {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxTok<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        self.0.transmit(len, &mut |out| out.copy_from_slice(&frame));
        r
    }
}

impl Device for NicPhy {
    type RxToken<'a> = RxTok;
    type TxToken<'a> = TxTok<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(RxTok, TxTok<'_>)> {
        let mut got = None;
        while got.is_none() {
            if !self.dev.receive(&mut |f| got = Some(f.to_vec())) {
                break;
            }
        }
        got.map(|f| (RxTok(f), TxTok(&mut *self.dev)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxTok<'_>> {
        if self.dev.can_transmit() {
            Some(TxTok(&mut *self.dev))
        } else {
            None
        }
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.dev.max_frame();
        caps.max_burst_size = Some(8);
        caps
    }
}
