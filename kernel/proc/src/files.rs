//! Open files and descriptor tables.
//!
//! An [`OpenFile`] is what `open` creates: an object behind the [`FileObject`] trait
//! (a file-system node, a pipe end, the terminal, a device from the registry in
//! `devices`) plus the offset and the flags it was opened with. It checks the access
//! mode and keeps the offset, and otherwise only forwards: it never asks what kind of
//! object it holds. A descriptor is an index into a process's [`FdTable`] naming an
//! `Arc<OpenFile>`: `dup` and `fork` share one OpenFile (and so its offset), as POSIX
//! requires; `open` twice gives two. When the last reference to an OpenFile goes, the
//! object is released (a pipe end counts its readers and writers that way, a node
//! gives back its hold).

pub use crate::fileobj::{FileObject, Ioctl, IoctlReply, Mapping, NodeFile, Readiness};
use crate::fsys::{self, NodeRef};
use crate::pipe::{Pipe, PipeReader, PipeWriter};
use abi::flags::*;
use abi::{Errno, Stat};
use alloc::sync::Arc;
use alloc::vec::Vec;
use task::Mutex;

/// Descriptors per process.
pub const MAX_FDS: usize = 64;

pub struct OpenFile {
    object: Arc<dyn FileObject>,
    pub flags: u32,
    /// The position, for objects that have one (`FileObject::has_position`).
    pub offset: Mutex<u64>,
    positional: bool,
}

/// Open files in the whole system (each holds kernel memory: a pipe, a buffer), so
/// that no program can exhaust the kernel heap by opening: ENFILE beyond this.
pub const MAX_OPEN_FILES: usize = 1024;
static OPEN_FILES: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

impl OpenFile {
    /// Open `object` with `flags`. On ENFILE the object is released at once (no
    /// OpenFile was made, so no close would release it).
    pub fn new(object: Arc<dyn FileObject>, flags: u32) -> Result<Arc<Self>, Errno> {
        use core::sync::atomic::Ordering;
        if OPEN_FILES.fetch_add(1, Ordering::SeqCst) >= MAX_OPEN_FILES {
            OPEN_FILES.fetch_sub(1, Ordering::SeqCst);
            object.release();
            return Err(Errno::ENFILE);
        }
        Ok(Arc::new(OpenFile {
            positional: object.has_position(),
            object,
            flags,
            offset: task::mutex(0),
        }))
    }

    fn readable(&self) -> bool {
        self.flags & O_ACCMODE != O_WRONLY
    }
    fn writable(&self) -> bool {
        self.flags & O_ACCMODE != O_RDONLY
    }
    fn nonblock(&self) -> bool {
        self.flags & O_NONBLOCK != 0
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

    #[inline]
    pub fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        if !self.positional {
            return self.object.write(&mut 0, data, self.nonblock());
        }
        let mut off = self.offset.lock();
        if self.flags & O_APPEND != 0 {
            if let Some(n) = self.object.node() {
                *off = fsys::stat(n)?.size;
            }
        }
        self.object.write(&mut off, data, self.nonblock())
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
        self.object.write_at(off, data)
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

    /// Map part of the file (ENODEV: nothing can be mapped yet).
    pub fn mmap(&self, offset: u64, len: u64) -> Result<Mapping, Errno> {
        self.object.mmap(offset, len)
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

/// Both ends of a new pipe.
pub fn new_pipe() -> Result<(Arc<OpenFile>, Arc<OpenFile>), Errno> {
    let p = Arc::new(Pipe::new());
    let r = OpenFile::new(Arc::new(PipeReader(p.clone())), O_RDONLY)?;
    let w = OpenFile::new(Arc::new(PipeWriter(p)), O_WRONLY)?;
    Ok((r, w))
}

/// A process's descriptors.
#[derive(Clone, Default)]
pub struct FdTable {
    fds: Vec<Option<(Arc<OpenFile>, bool)>>, // (file, close-on-exec)
}

impl FdTable {
    pub fn new() -> Self {
        FdTable { fds: Vec::new() }
    }

    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.fds.get(i))
            .and_then(|e| e.as_ref())
            .map(|e| e.0.clone())
            .ok_or(Errno::EBADF)
    }

    /// Install at the lowest free descriptor.
    pub fn insert(&mut self, f: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
        let at = match self.fds.iter().position(|e| e.is_none()) {
            Some(i) => i,
            None if self.fds.len() < MAX_FDS => {
                self.fds.push(None);
                self.fds.len() - 1
            }
            None => return Err(Errno::EMFILE),
        };
        self.fds[at] = Some((f, cloexec));
        Ok(at as i32)
    }

    /// Install at exactly `fd`, closing what was there.
    pub fn insert_at(&mut self, fd: i32, f: Arc<OpenFile>) -> Result<(), Errno> {
        let i = usize::try_from(fd)
            .ok()
            .filter(|&i| i < MAX_FDS)
            .ok_or(Errno::EBADF)?;
        if self.fds.len() <= i {
            self.fds.resize(i + 1, None);
        }
        self.fds[i] = Some((f, false));
        Ok(())
    }

    pub fn close(&mut self, fd: i32) -> Result<(), Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match self.fds.get_mut(i) {
            Some(e @ Some(_)) => {
                *e = None;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    /// Close every close-on-exec descriptor (exec).
    pub fn close_on_exec(&mut self) {
        for e in self.fds.iter_mut() {
            if e.as_ref().is_some_and(|x| x.1) {
                *e = None;
            }
        }
    }

    /// Drop everything (exit).
    pub fn clear(&mut self) {
        self.fds.clear();
    }

    pub fn count(&self) -> usize {
        self.fds.iter().filter(|e| e.is_some()).count()
    }
}

/// Open `path` relative to `cwd` as `cred` may (`mode`: permissions for a created
/// file). A device
/// node opens the device registered under its number (ENXIO if none is).
pub fn open(
    cred: &cred::Credentials,
    cwd: NodeRef,
    path: &str,
    flags: u32,
    mode: u32,
) -> Result<Arc<OpenFile>, Errno> {
    // Held while open, taken under the same lock as the open so that nobody can
    // remove and free the node in between: an unlinked file keeps its contents until
    // the last close, and its mount cannot be unmounted.
    let opened = fsys::with(|v| {
        let o = v.open(cred, cwd, path, flags, mode)?;
        if !matches!(o.kind, vfs::NodeKind::CharDevice(_)) {
            v.pin(o.node)?;
        }
        Ok(o)
    })?;
    let object: Arc<dyn FileObject> = match opened.kind {
        vfs::NodeKind::CharDevice(rdev) => crate::devices::open(rdev)?,
        _ => Arc::new(NodeFile(opened.node)),
    };
    // ENFILE releases the object, so a node's hold is given back.
    OpenFile::new(object, flags)
}
