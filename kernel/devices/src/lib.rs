//! Devices as files (chapter 2, 3-2 "device management"): the character-device
//! registry `/dev` is built from, and the kernel's own devices.
//!
//! - [`registry`]: register and unregister a device by number, each with its `/dev`
//!   node; [`CharDevice`], what a driver provides; [`DeviceFile`], the one
//!   [`FileObject`](files::FileObject) every device is opened as.
//! - [`builtin`]: `null`, `zero`, `random`, `urandom`, `rtc`, `kmsg`.
//! - [`disks`]: every disk of the disk registry as raw bytes.
//! - [`fb`]: the framebuffer, `/dev/fb0`, mappable.
//! - [`input`]: the virtio tablet and keyboard, `/dev/eventN` (registered by init with
//!   the process layer's signals, like the terminal).
//!
//! The layer decision: a device is an open-file object, so this crate sits above
//! `files`, and a driver of any layer above registers here (the terminal does, from
//! the `tty` crate). Which process holds a device for exclusive use is the process
//! layer's business (`proc::claim`), not the registry's.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod builtin;
pub mod disks;
pub mod fb;
pub mod input;
pub mod registry;

/// Register the virtual devices and every disk known so far.
pub fn register_builtin() -> Result<(), abi::Errno> {
    builtin::register_virtual()?;
    fb::register_fb()?;
    disks::register_disks()
}

pub use registry::{
    dev_number, open, register_chrdev, registered, unregister_chrdev, CharDevice, DeviceFile,
};
