//! Device drivers: the layer that turns hardware events into data for the kernel.
//!
//! Each driver registers an interrupt handler with hal and hands data to threads through
//! the `task` layer's wait queues. Today: the console. Disks (virtio-blk, RAM disk), the
//! CMOS clock and PCI come with the storage work.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod console;
pub mod ramdisk;
pub mod rtc;
pub mod virtio_blk;
