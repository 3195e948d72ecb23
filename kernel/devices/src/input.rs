//! `/dev/event0`, `/dev/event1`, ...: input devices as files (chapter 2, 2-2 and 3-2
//! "device management"), numbered 13:64+N as on Linux. devfs is one flat
//! directory, so the nodes are `/dev/eventN` rather than Linux's `/dev/input/eventN`.
//!
//! A read returns whole records of Linux's `struct input_event` layout (24 bytes:
//! `i64 sec, i64 usec, u16 type, u16 code, i32 value`), as many as fit in the buffer;
//! a buffer shorter than one record is EINVAL. It waits until an event comes
//! (O_NONBLOCK: EAGAIN), and `poll` says when one is there. `ioctl(INPIOGABSMAX)`
//! gives a tablet's largest X and Y (`(y << 16) | x` in a u32): a touch at value `v`
//! of a `W`-pixel-wide screen is at pixel `v * W / (max + 1)`.

use crate::registry::{register_chrdev_group, CharDevice};
use abi::Errno;
use alloc::sync::Arc;
use core::marker::PhantomData;
use drivers::virtio_input::{InputDevice, DEVICES, RECORD};
use files::signals::{interruptible_wait, Signals};
use files::{Ioctl, IoctlReply, Readiness};
use task::WaitQueue;

pub const INPUT_MAJOR: u32 = 13;
pub const EVENT_MINOR: u32 = 64;
/// The group that may read the keyboard and the tablet (`input` in `/etc/group`):
/// `/dev/eventN` is mode 0660, so nobody else can log another user's keys.
pub const INPUT_GID: u32 = 104;

/// Register `/dev/eventN` for every input device found; a reader's sleep ends with
/// EINTR as the process layer's signals `S` say.
pub fn register_inputs<S: Signals>() -> Result<(), Errno> {
    let devs = DEVICES.lock().clone();
    for (i, d) in devs.into_iter().enumerate() {
        let name = alloc::format!("event{i}");
        register_chrdev_group(
            INPUT_MAJOR,
            EVENT_MINOR + i as u32,
            &name,
            0o660,
            INPUT_GID,
            Arc::new(Event::<S>(d, PhantomData)),
        )?;
    }
    Ok(())
}

struct Event<S>(Arc<InputDevice>, PhantomData<fn() -> S>);

impl<S: Signals> CharDevice for Event<S> {
    fn read(&self, _: u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        let max = buf.len() / RECORD;
        if max == 0 {
            return Err(Errno::EINVAL);
        }
        loop {
            let recs = self.0.take(max);
            if !recs.is_empty() {
                for (i, r) in recs.iter().enumerate() {
                    buf[i * RECORD..(i + 1) * RECORD].copy_from_slice(r);
                }
                return Ok(recs.len() * RECORD);
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            interruptible_wait::<S>(&self.0.readers, || self.0.pending() > 0)?;
        }
    }

    fn write(&self, _: u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        match req {
            Ioctl::GetAbsMax => {
                let (x, y) = self.0.abs_max;
                Ok(IoctlReply::U32(y.min(0xffff) << 16 | x.min(0xffff)))
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn poll(&self) -> Readiness {
        Readiness {
            readable: self.0.pending() > 0,
            writable: false,
            hangup: false,
        }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.readers)
    }
}
