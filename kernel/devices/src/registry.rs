//! Character devices: the registry by number, and devices as files (chapter 2, 3-2
//! "device management").
//!
//! A driver makes its device known with [`register_chrdev`]`(major, minor, name, mode,
//! device)` (Linux's numbering: `major << 8 | minor`) and takes it away again with
//! [`unregister_chrdev`]; a loadable module will do both at run time. The registry
//! owns `/dev`: registering adds the devfs node `name` with permission bits `mode`,
//! removing deletes it, and the devfs mounted at boot is filled from the registry.
//! Opening a device node looks its number up here (ENXIO if nothing is registered
//! under it, as for a node made by `mknod`), and the open file gets a [`DeviceFile`]:
//! the one [`FileObject`] every character device is seen through, which adds the file
//! part (offset, stat, the device number) to the driver's [`CharDevice`] part (read,
//! write, ioctl, readiness). Removing a device does not break descriptors already
//! open on it: each holds the device until its last close.
//!
//! The registry plugs itself into the open path of the layer below
//! ([`files::set_device_open`]) the first time a device is registered: that is how
//! `open` of a device node, which `files` performs, reaches a device without `files`
//! depending on this crate.

use abi::flags::S_IFCHR;
use abi::{Errno, Stat};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use files::{ByteSink, ByteSource, FileObject, Ioctl, IoctlReply, Readiness};
use task::{Mutex, WaitQueue};

/// What a driver provides for a character device. Offsets are the open file's: a
/// device that is not [`seekable`](CharDevice::seekable) may ignore them.
pub trait CharDevice: Send + Sync {
    fn read(&self, off: u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno>;

    fn write(&self, off: u64, data: &[u8], nonblock: bool) -> Result<usize, Errno>;

    /// Read straight into the program's buffer, with no staging copy (a device whose
    /// bytes need no buffer of their own: `null`, `zero`). `None`, the default: the
    /// device is read with [`CharDevice::read`]. `Some(Err(EFAULT))` when a page of
    /// the buffer is not there: the caller then stages the read (which makes the pages
    /// present), so a device that answers here must give the same bytes again.
    fn read_stream(&self, _sink: &mut dyn ByteSink) -> Option<Result<usize, Errno>> {
        None
    }

    /// Write straight from the program's buffer (the counterpart of
    /// [`CharDevice::read_stream`]).
    fn write_stream(&self, _src: &mut dyn ByteSource) -> Option<Result<usize, Errno>> {
        None
    }

    /// Does the device use the file offset (like a file)?
    fn seekable(&self) -> bool {
        false
    }

    /// Size in bytes, where it has one.
    fn size(&self) -> u64 {
        0
    }

    /// A device request: ENOTTY when the device takes none.
    fn ioctl(&self, _req: Ioctl) -> Result<IoctlReply, Errno> {
        Err(Errno::ENOTTY)
    }

    fn poll(&self) -> Readiness {
        Readiness::ALWAYS
    }

    /// Map `len` bytes of the device from `offset` (a framebuffer's memory): ENODEV
    /// for devices that cannot be mapped.
    fn mmap(&self, _offset: u64, _len: u64) -> Result<files::Mapping, Errno> {
        Err(Errno::ENODEV)
    }

    /// The queue woken when `poll`'s answer may change (see `FileObject::poll_queue`).
    fn poll_queue(&self) -> Option<&WaitQueue> {
        None
    }

    /// The number an open of `opened` reports (stat, exclusive request): a device
    /// registered under several numbers (`/dev/tty` and `/dev/console`) names one.
    fn number(&self, opened: u32) -> u32 {
        opened
    }

    /// The privilege an open needs beyond what the node's mode bits allow (checked
    /// with `cred::capable`, EPERM without it): the disks ask for `RawDevice`, since
    /// raw access to a disk goes around every file's permissions.
    fn capability(&self) -> Option<cred::Capability> {
        None
    }

    /// An open of the node numbered `opened` by `cred`: a device that gives each open
    /// an object of its own returns it here (`/dev/ptmx` makes a new pseudo-terminal,
    /// a slave counts its opens); `None`, the default: every open shares this one.
    fn open_instance(
        &self,
        _opened: u32,
        _cred: &cred::Credentials,
    ) -> Option<Result<Arc<dyn CharDevice>, Errno>> {
        None
    }

    /// The last close of an open file on the device (a pseudo-terminal's master
    /// hangs its slave up).
    fn release(&self) {}
}

/// `major << 8 | minor`, the device number `stat` reports as `rdev`.
pub const fn dev_number(major: u32, minor: u32) -> u32 {
    major << 8 | minor
}

struct Registered {
    name: String,
    mode: u32,
    gid: u32,
    dev: Arc<dyn CharDevice>,
}

/// Device number -> the registered device.
static CHRDEVS: Mutex<BTreeMap<u32, Registered>> = task::mutex(BTreeMap::new());

/// Register `dev` as character device `major:minor`, with the node `/dev/NAME`
/// (permission bits `mode`, owned by root). EINVAL for a number above 255, EBUSY if
/// the number is taken, EEXIST if the name is.
pub fn register_chrdev(
    major: u32,
    minor: u32,
    name: &str,
    mode: u32,
    dev: Arc<dyn CharDevice>,
) -> Result<(), Errno> {
    register_chrdev_group(major, minor, name, mode, 0, dev)
}

/// [`register_chrdev`] with the node in group `gid` (owned by root): a device the
/// members of one group may use (`/dev/fb0` and `video`, mode 0660).
pub fn register_chrdev_group(
    major: u32,
    minor: u32,
    name: &str,
    mode: u32,
    gid: u32,
    dev: Arc<dyn CharDevice>,
) -> Result<(), Errno> {
    if major > 0xff || minor > 0xff {
        return Err(Errno::EINVAL);
    }
    let rdev = dev_number(major, minor);
    let mode = mode & 0o7777;
    {
        let mut t = CHRDEVS.lock();
        if t.contains_key(&rdev) {
            return Err(Errno::EBUSY);
        }
        if t.values().any(|r| r.name == name) {
            return Err(Errno::EEXIST);
        }
        let name = String::from(name);
        t.insert(
            rdev,
            Registered {
                name,
                mode,
                gid,
                dev,
            },
        );
    }
    files::set_device_open(open);
    // Not under the registry lock: an open holds the VFS lock, then takes this one.
    if let Err(e) = fsys::add_device_node(name, rdev, mode, gid) {
        CHRDEVS.lock().remove(&rdev);
        return Err(e);
    }
    Ok(())
}

/// Remove character device `major:minor` and its `/dev` node (ENXIO if none is
/// registered). Open descriptors keep the device until they close.
pub fn unregister_chrdev(major: u32, minor: u32) -> Result<(), Errno> {
    let rdev = dev_number(major, minor);
    let name = match CHRDEVS.lock().get(&rdev) {
        Some(r) => r.name.clone(),
        None => return Err(Errno::ENXIO),
    };
    // The name goes first, so nobody can open what is about to be gone.
    fsys::remove_device_node(&name, rdev)?;
    CHRDEVS.lock().remove(&rdev);
    Ok(())
}

/// Every registered device as `(name, number, mode, group)`: what `/dev` is built
/// from.
pub fn registered() -> Vec<(String, u32, u32, u32)> {
    CHRDEVS
        .lock()
        .iter()
        .map(|(&rdev, r)| (r.name.clone(), rdev, r.mode, r.gid))
        .collect()
}

/// The open-file object for device number `rdev`, opened by `cred` (ENXIO if nothing
/// is registered; EPERM when the device asks for a capability `cred` lacks).
pub fn open(rdev: u32, cred: &cred::Credentials) -> Result<Arc<dyn FileObject>, Errno> {
    let dev = CHRDEVS
        .lock()
        .get(&rdev)
        .map(|r| r.dev.clone())
        .ok_or(Errno::ENXIO)?;
    if dev.capability().is_some_and(|c| !cred::capable(cred, c)) {
        return Err(Errno::EPERM);
    }
    let dev = match dev.open_instance(rdev, cred) {
        Some(own) => own?,
        None => dev,
    };
    let rdev = dev.number(rdev);
    Ok(Arc::new(DeviceFile { rdev, dev }))
}

/// A character device as an open-file object.
pub struct DeviceFile {
    rdev: u32,
    dev: Arc<dyn CharDevice>,
}

impl FileObject for DeviceFile {
    fn read(&self, pos: &mut u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        let n = self.dev.read(*pos, buf, nonblock)?;
        if self.dev.seekable() {
            *pos += n as u64;
        }
        Ok(n)
    }

    fn write(&self, pos: &mut u64, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let n = self.dev.write(*pos, data, nonblock)?;
        if self.dev.seekable() {
            *pos += n as u64;
        }
        Ok(n)
    }

    fn has_position(&self) -> bool {
        self.dev.seekable()
    }

    /// A device without positions may copy straight to the program (`OpenFile` asks
    /// only for objects without positions).
    fn read_stream(&self, sink: &mut dyn ByteSink, _: bool) -> Option<Result<usize, Errno>> {
        self.dev.read_stream(sink)
    }

    fn write_stream(&self, src: &mut dyn ByteSource, _: bool) -> Option<Result<usize, Errno>> {
        self.dev.write_stream(src)
    }

    /// pread on a device that uses offsets (a disk, the framebuffer); ESPIPE on a
    /// stream.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        match self.dev.seekable() {
            true => self.dev.read(off, buf, false),
            false => Err(Errno::ESPIPE),
        }
    }

    fn write_at(&self, off: u64, data: &[u8]) -> Result<usize, Errno> {
        match self.dev.seekable() {
            true => self.dev.write(off, data, false),
            false => Err(Errno::ESPIPE),
        }
    }

    fn size(&self) -> Result<u64, Errno> {
        match self.dev.seekable() {
            true => Ok(self.dev.size()),
            false => Err(Errno::ESPIPE),
        }
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(Stat {
            mode: S_IFCHR | 0o666,
            nlink: 1,
            rdev: self.rdev as u64,
            size: self.dev.size(),
            ..Default::default()
        })
    }

    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        self.dev.ioctl(req)
    }

    fn poll(&self) -> Readiness {
        self.dev.poll()
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        self.dev.poll_queue()
    }

    fn mmap(&self, offset: u64, len: u64) -> Result<files::Mapping, Errno> {
        self.dev.mmap(offset, len)
    }

    fn device_number(&self) -> Option<u32> {
        Some(self.rdev)
    }

    fn release(&self) {
        self.dev.release()
    }
}
