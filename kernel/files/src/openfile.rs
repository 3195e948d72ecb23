//! Open files: what `open` and `pipe` create.
//!
//! An [`OpenFile`] is an object behind the [`FileObject`] trait (a file-system node, a
//! pipe end, the terminal, a device from the registry in `devices`) plus the offset
//! and the flags it was opened with. It checks the access mode and keeps the offset,
//! and otherwise only forwards: it never asks what kind of object it holds. When the
//! last reference to an OpenFile goes (descriptors name them, see `fdtable`), the
//! object is released: a pipe end counts its readers and writers that way, a node
//! gives back its hold.
//!
//! Opening a path that names a character device needs the device registry, which is
//! a layer above this one (devices are file objects). As in Linux, where the VFS opens
//! a device node through the character-device table's `open`, the registry installs
//! its lookup here ([`set_device_open`]) when the first device is registered; until
//! then no device exists and every device node is ENXIO.

use crate::fileobj::{
    ByteSink, ByteSource, FileObject, Ioctl, IoctlReply, Mapping, NodeFile, Readiness,
};
use crate::signals::Signals;
use abi::flags::*;
use abi::{Errno, Stat};
use alloc::sync::Arc;
use fsys::pages::PageSink;
use fsys::NodeRef;
use hal::sync::Once;
use task::Mutex;

pub struct OpenFile {
    object: Arc<dyn FileObject>,
    /// The flags it was opened with; the status flags O_APPEND and O_NONBLOCK can
    /// change later (`set_status_flags`, Linux's `fcntl(F_SETFL)`).
    flags: core::sync::atomic::AtomicU32,
    /// The position, for objects that have one (`FileObject::has_position`).
    pub offset: Mutex<u64>,
    positional: bool,
    /// The path it was opened by and the directory that path started from (for
    /// `/proc/PID/fd`); `None` for objects made without a path (pipe ends).
    origin: Option<Origin>,
}

/// Where an open file came from: `path` as given to `open`, from `cwd`.
#[derive(Clone)]
pub struct Origin {
    pub cwd: NodeRef,
    pub path: alloc::boxed::Box<[u8]>,
}

/// Open files in the whole system (each holds kernel memory: a pipe, a buffer), so
/// that no program can exhaust the kernel heap by opening: ENFILE beyond this.
pub const MAX_OPEN_FILES: usize = 1024;
/// Of those, the last ones only root may open (as Linux keeps `file-max`'s last
/// files for `CAP_SYS_ADMIN`): a user's descriptor hog ends in ENFILE while root's
/// shell can still open `/proc` for `ps` and run `kill`.
pub const ROOT_RESERVE_FILES: usize = 64;
static OPEN_FILES: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
/// Whether the running thread is privileged (root), as the process layer says
/// ([`set_privileged_hook`]); without a hook, everyone is.
static PRIVILEGED: hal::sync::Once<fn() -> bool> = hal::sync::Once::new();

/// Tell this layer how to ask whether the caller is root (the process layer does,
/// at boot; it knows credentials, this layer does not).
pub fn set_privileged_hook(f: fn() -> bool) {
    PRIVILEGED.call_once(|| f);
}

/// Open files in the system now, and the bound (`/proc/sys/fs/file-nr`).
pub fn open_files() -> (usize, usize) {
    (
        OPEN_FILES.load(core::sync::atomic::Ordering::Relaxed),
        MAX_OPEN_FILES,
    )
}

impl OpenFile {
    /// Open `object` with `flags`. On ENFILE the object is released at once (no
    /// OpenFile was made, so no close would release it).
    pub fn new(object: Arc<dyn FileObject>, flags: u32) -> Result<Arc<Self>, Errno> {
        Self::new_from(object, flags, None)
    }

    /// As [`OpenFile::new`], remembering the path it was opened by.
    pub fn new_from(
        object: Arc<dyn FileObject>,
        flags: u32,
        origin: Option<Origin>,
    ) -> Result<Arc<Self>, Errno> {
        use core::sync::atomic::Ordering;
        let n = OPEN_FILES.fetch_add(1, Ordering::SeqCst);
        let full = n >= MAX_OPEN_FILES
            || (n >= MAX_OPEN_FILES - ROOT_RESERVE_FILES
                && !PRIVILEGED.get().is_none_or(|root| root()));
        if full {
            OPEN_FILES.fetch_sub(1, Ordering::SeqCst);
            object.release();
            return Err(Errno::ENFILE);
        }
        Ok(Arc::new(OpenFile {
            positional: object.has_position(),
            object,
            flags: core::sync::atomic::AtomicU32::new(flags),
            offset: task::mutex(0),
            origin,
        }))
    }

    /// The open flags now (access mode, status flags).
    #[inline]
    pub fn flags(&self) -> u32 {
        self.flags.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Set the status flags that may change after open (O_APPEND, O_NONBLOCK) to
    /// those in `status`; the other bits of `status` are ignored, as Linux's F_SETFL
    /// ignores the access mode and creation flags.
    pub fn set_status_flags(&self, status: u32) {
        const SETTABLE: u32 = O_APPEND | O_NONBLOCK;
        let _ = self.flags.fetch_update(
            core::sync::atomic::Ordering::Relaxed,
            core::sync::atomic::Ordering::Relaxed,
            |f| Some(f & !SETTABLE | status & SETTABLE),
        );
    }

    fn readable(&self) -> bool {
        self.flags() & O_ACCMODE != O_WRONLY
    }
    fn writable(&self) -> bool {
        self.flags() & O_ACCMODE != O_RDONLY
    }
    fn nonblock(&self) -> bool {
        self.flags() & O_NONBLOCK != 0
    }

    // read and write are inlined into the system-call operations: on a pipe or the
    // terminal the call itself is most of the work, and a call frame here cost ~20
    // instructions each way (measured: `cargo xtask bench programs`).
    #[inline]
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        if !self.positional {
            return self.object.read(&mut 0, buf, self.nonblock());
        }
        let mut off = self.offset.lock();
        self.object.read(&mut off, buf, self.nonblock())
    }

    /// Read straight into `sink` (see [`FileObject::read_stream`]); `None` when the
    /// object has no such path, or has a position, or the file is not open for
    /// reading ([`OpenFile::read`] then does the work or gives the error).
    #[inline]
    pub fn read_stream(&self, sink: &mut dyn ByteSink) -> Option<Result<usize, Errno>> {
        if !self.readable() || self.positional {
            return None;
        }
        self.object.read_stream(sink, self.nonblock())
    }

    /// Write straight from `src` (see [`FileObject::write_stream`]); `None` as for
    /// [`OpenFile::read_stream`].
    #[inline]
    pub fn write_stream(&self, src: &mut dyn ByteSource) -> Option<Result<usize, Errno>> {
        if !self.writable() || self.positional {
            return None;
        }
        self.object.write_stream(src, self.nonblock())
    }

    /// Read up to `len` bytes at the position straight from cached pages (see
    /// [`FileObject::read_pages`]); `None` when the object has none.
    #[inline]
    pub fn read_pages(&self, len: usize, copy: &mut dyn PageSink) -> Option<Result<usize, Errno>> {
        if !self.readable() || !self.positional {
            return None;
        }
        let mut off = self.offset.lock();
        self.object.read_pages(&mut off, len, copy)
    }

    /// As [`OpenFile::read_pages`] at offset `off` (pread), leaving the position.
    /// (`None` also when the file is not open for reading: [`OpenFile::pread`] then
    /// gives the error.)
    pub fn pread_pages(
        &self,
        off: u64,
        len: usize,
        copy: &mut dyn PageSink,
    ) -> Option<Result<usize, Errno>> {
        if !self.readable() {
            return None;
        }
        self.object.read_pages(&mut { off }, len, copy)
    }

    #[inline]
    pub fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        if !self.positional {
            return self.object.write(&mut 0, data, self.nonblock());
        }
        let mut off = self.offset.lock();
        if self.flags() & O_APPEND != 0 {
            if let Some(n) = self.object.node() {
                *off = fsys::stat(n)?.size;
            }
        }
        let put = self.object.write(&mut off, data, self.nonblock())?;
        drop(off);
        self.durable_if_asked()?;
        Ok(put)
    }

    /// Read at an explicit offset (files only: ESPIPE for the rest).
    pub fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        if self.object.node().is_some() && !self.readable() {
            return Err(Errno::EBADF);
        }
        self.object.read_at(off, buf)
    }

    pub fn pwrite(&self, data: &[u8], off: u64) -> Result<usize, Errno> {
        if self.object.node().is_some() && !self.writable() {
            return Err(Errno::EBADF);
        }
        let put = self.object.write_at(off, data)?;
        self.durable_if_asked()?;
        Ok(put)
    }

    /// Opened with `O_SYNC` or `O_DSYNC`: a write returns only once its file system
    /// is written back and the disk flushed (EIO if that failed, though the bytes were
    /// written to the cache: the caller must not count on them, as on Linux).
    fn durable_if_asked(&self) -> Result<(), Errno> {
        if self.flags() & (O_SYNC | O_DSYNC) != 0 {
            if let Some(n) = self.object.node() {
                fsys::sync_node(n)?;
            }
        }
        Ok(())
    }

    pub fn seek(&self, off: i64, whence: u32) -> Result<u64, Errno> {
        let size = self.object.size()?;
        let mut cur = self.offset.lock();
        let base = match whence {
            SEEK_SET => 0i64,
            SEEK_CUR => *cur as i64,
            SEEK_END => size as i64,
            _ => return Err(Errno::EINVAL),
        };
        let new = base
            .checked_add(off)
            .filter(|v| *v >= 0)
            .ok_or(Errno::EINVAL)?;
        *cur = new as u64;
        Ok(new as u64)
    }

    pub fn stat(&self) -> Result<Stat, Errno> {
        self.object.stat()
    }

    /// A device request (ENOTTY for objects that take none).
    pub fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        self.object.ioctl(req)
    }

    /// What a read or write would do now (for poll).
    pub fn poll(&self) -> Readiness {
        self.object.poll()
    }

    /// The wait queue woken when [`OpenFile::poll`] may change (`None`: never).
    pub fn poll_queue(&self) -> Option<&task::WaitQueue> {
        self.object.poll_queue()
    }

    /// The object, for the layer that made it (see [`FileObject::as_any`]).
    pub fn as_any(&self) -> Option<&dyn core::any::Any> {
        self.object.as_any()
    }

    /// Map part of an object that is not a file-system node (ENODEV for those that
    /// cannot be mapped).
    pub fn mmap(&self, offset: u64, len: u64) -> Result<Mapping, Errno> {
        self.object.mmap(offset, len)
    }

    /// Set the size of an object that is not a file-system node (EINVAL for those
    /// without one); the open file must be open for writing.
    pub fn truncate(&self, size: u64) -> Result<(), Errno> {
        if !self.writable() {
            return Err(Errno::EINVAL);
        }
        self.object.truncate(size)
    }

    /// Does the object use the position (a file, a disk: a read fills the whole
    /// buffer up to the end)?
    pub fn has_position(&self) -> bool {
        self.positional
    }

    /// The file-system node, when the open file is one.
    pub fn node(&self) -> Option<NodeRef> {
        self.object.node()
    }

    /// The path it was opened by, if it was opened by one.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// The device number, when the open file is a device.
    pub fn device_number(&self) -> Option<u32> {
        self.object.device_number()
    }

    /// The directory node, for getdents.
    pub fn dir_node(&self) -> Result<NodeRef, Errno> {
        match self.object.node() {
            Some(n) if fsys::is_dir(n) => Ok(n),
            _ => Err(Errno::ENOTDIR),
        }
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        OPEN_FILES.fetch_sub(1, core::sync::atomic::Ordering::SeqCst);
        self.object.release();
    }
}

/// Both ends of a new pipe, open for reading and for writing; `S` is the process
/// layer's [`Signals`] (EINTR, SIGPIPE).
pub fn new_pipe<S: Signals>() -> Result<(Arc<OpenFile>, Arc<OpenFile>), Errno> {
    let (reader, writer) = crate::pipe::ends::<S>();
    let r = OpenFile::new(Arc::new(reader), O_RDONLY)?;
    let w = OpenFile::new(Arc::new(writer), O_WRONLY)?;
    Ok((r, w))
}

/// How a device node is opened: the registry's lookup by device number, for the
/// opener's credentials (a device may ask for a capability beyond the node's mode
/// bits: the disks' `RawDevice`).
pub type DeviceOpen = fn(u32, &cred::Credentials) -> Result<Arc<dyn FileObject>, Errno>;

static DEVICE_OPEN: Once<DeviceOpen> = Once::new();

/// Install the device registry's lookup (once: later calls change nothing).
pub fn set_device_open(open: DeviceOpen) {
    DEVICE_OPEN.call_once(|| open);
}

/// The open-file object of device number `rdev` for `cred` (ENXIO if no device is
/// registered under it, or none at all; EPERM if the device needs a capability
/// `cred` lacks).
pub fn open_device(rdev: u32, cred: &cred::Credentials) -> Result<Arc<dyn FileObject>, Errno> {
    DEVICE_OPEN.get().ok_or(Errno::ENXIO)?(rdev, cred)
}

/// How a generated file (procfs) is opened: the layer that makes its contents.
pub type GeneratedOpen = fn(NodeRef) -> Result<Arc<dyn FileObject>, Errno>;

static GENERATED_OPEN: Once<GeneratedOpen> = Once::new();

/// Install the lookup for files whose contents a layer above makes
/// (`vfs::FileSystem::generated`); until then they open as ENXIO.
pub fn set_generated_open(open: GeneratedOpen) {
    GENERATED_OPEN.call_once(|| open);
}

/// Open `path` relative to `cwd` as `cred` may (`mode`: permissions for a created
/// file). A device node opens the device registered under its number (ENXIO if none
/// is).
pub fn open(
    cred: &cred::Credentials,
    cwd: NodeRef,
    path: &str,
    flags: u32,
    mode: u32,
) -> Result<Arc<OpenFile>, Errno> {
    open_telling(cred, cwd, path, flags, mode).map(|(f, _)| f)
}

/// [`open`], also telling whether `O_CREAT` made the file (then nothing can map
/// it yet, and `O_TRUNC` had nothing to cut).
pub fn open_telling(
    cred: &cred::Credentials,
    cwd: NodeRef,
    path: &str,
    flags: u32,
    mode: u32,
) -> Result<(Arc<OpenFile>, bool), Errno> {
    // Held while open, taken under the same lock as the open so that nobody can
    // remove and free the node in between: an unlinked file keeps its contents until
    // the last close, and its mount cannot be unmounted.
    // A regular file opened for writing counts as a writer (ETXTBSY while it runs).
    let writer = |o: &vfs::Opened| {
        o.kind == vfs::NodeKind::Regular && !o.generated && flags & O_ACCMODE != O_RDONLY
    };
    let opened = fsys::with(|v| {
        // Refused before the open can truncate a running program (checked by the
        // open on the node it found, so the path is walked once).
        let mut busy = |n| {
            if flags & O_ACCMODE != O_RDONLY && fsys::writers::is_executing(n) {
                Err(Errno::ETXTBSY)
            } else {
                Ok(())
            }
        };
        let o = v.open_checked(cred, cwd, path, flags, mode, &mut busy)?;
        if writer(&o) {
            fsys::get_write_access(o.node)?;
        }
        if !matches!(o.kind, vfs::NodeKind::CharDevice(_)) && !o.generated {
            if let Err(e) = v.pin(o.node) {
                if writer(&o) {
                    fsys::put_write_access(o.node);
                }
                return Err(e);
            }
        }
        Ok(o)
    })?;
    let object: Arc<dyn FileObject> = match opened.kind {
        vfs::NodeKind::CharDevice(rdev) => open_device(rdev, cred)?,
        _ if opened.generated => GENERATED_OPEN.get().ok_or(Errno::ENXIO)?(opened.node)?,
        _ => Arc::new(NodeFile(opened.node, writer(&opened))),
    };
    let origin = Origin {
        cwd,
        path: path.as_bytes().into(),
    };
    // ENFILE releases the object, so a node's hold is given back.
    OpenFile::new_from(object, flags, Some(origin)).map(|f| (f, opened.created))
}
