//! Open files and descriptor tables.
//!
//! An [`OpenFile`] is what `open` creates: the object (a file-system node, a pipe end,
//! the terminal, a virtual device) plus the offset and the flags it was opened with.
//! A descriptor is an index into a process's [`FdTable`] naming an `Arc<OpenFile>`:
//! `dup` and `fork` share one OpenFile (and so its offset), as POSIX requires; `open`
//! twice gives two. A pipe end counts its OpenFiles, so the pipe knows when the last
//! reader or writer is gone.

use crate::fsys::{self, NodeRef};
use crate::pipe::Pipe;
use abi::flags::*;
use abi::{Errno, Stat};
use alloc::sync::Arc;
use alloc::vec::Vec;
use task::Mutex;

/// Descriptors per process.
pub const MAX_FDS: usize = 64;

/// What an open file refers to.
pub enum Object {
    Node(NodeRef),
    PipeRead(Arc<Pipe>),
    PipeWrite(Arc<Pipe>),
    Device(crate::devices::Device),
}

pub struct OpenFile {
    pub object: Object,
    pub flags: u32,
    pub offset: Mutex<u64>,
}

/// Open files in the whole system (each holds kernel memory: a pipe, a buffer), so
/// that no program can exhaust the kernel heap by opening: ENFILE beyond this.
pub const MAX_OPEN_FILES: usize = 1024;
static OPEN_FILES: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

impl OpenFile {
    pub fn new(object: Object, flags: u32) -> Result<Arc<Self>, Errno> {
        use core::sync::atomic::Ordering;
        if OPEN_FILES.fetch_add(1, Ordering::SeqCst) >= MAX_OPEN_FILES {
            OPEN_FILES.fetch_sub(1, Ordering::SeqCst);
            return Err(Errno::ENFILE);
        }
        Ok(Arc::new(OpenFile {
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

    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        match &self.object {
            Object::Node(n) => {
                if fsys::is_dir(*n) {
                    return Err(Errno::EISDIR);
                }
                let mut off = self.offset.lock();
                let got = fsys::read(*n, *off, buf)?;
                *off += got as u64;
                Ok(got)
            }
            Object::PipeRead(p) => p.read(buf, self.nonblock()),
            Object::PipeWrite(_) => Err(Errno::EBADF),
            Object::Device(d) => {
                let mut off = self.offset.lock();
                let n = d.read(*off, buf, self.nonblock())?;
                if d.seekable() {
                    *off += n as u64;
                }
                Ok(n)
            }
        }
    }

    pub fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        match &self.object {
            Object::Node(n) => {
                let mut off = self.offset.lock();
                if self.flags & O_APPEND != 0 {
                    *off = fsys::stat(*n)?.size;
                }
                let put = fsys::write(*n, *off, data)?;
                *off += put as u64;
                Ok(put)
            }
            Object::PipeWrite(p) => p.write(data, self.nonblock()),
            Object::PipeRead(_) => Err(Errno::EBADF),
            Object::Device(d) => {
                let mut off = self.offset.lock();
                let n = d.write(*off, data)?;
                if d.seekable() {
                    *off += n as u64;
                }
                Ok(n)
            }
        }
    }

    /// Read at an explicit offset (files only).
    pub fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        match &self.object {
            Object::Node(n) if self.readable() => fsys::read(*n, off, buf),
            Object::Node(_) => Err(Errno::EBADF),
            _ => Err(Errno::ESPIPE),
        }
    }

    pub fn pwrite(&self, data: &[u8], off: u64) -> Result<usize, Errno> {
        match &self.object {
            Object::Node(n) if self.writable() => fsys::write(*n, off, data),
            Object::Node(_) => Err(Errno::EBADF),
            _ => Err(Errno::ESPIPE),
        }
    }

    pub fn seek(&self, off: i64, whence: u32) -> Result<u64, Errno> {
        let size = match &self.object {
            Object::Node(n) => fsys::stat(*n)?.size,
            Object::Device(d) if d.seekable() => d.size(),
            _ => return Err(Errno::ESPIPE),
        };
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
        match &self.object {
            Object::Node(n) => fsys::stat(*n),
            Object::PipeRead(_) | Object::PipeWrite(_) => Ok(Stat {
                mode: S_IFIFO | 0o600,
                nlink: 1,
                blksize: crate::pipe::PIPE_BUF as u64,
                ..Default::default()
            }),
            Object::Device(d) => Ok(Stat {
                mode: S_IFCHR | 0o666,
                nlink: 1,
                rdev: d.rdev() as u64,
                size: d.size(),
                ..Default::default()
            }),
        }
    }

    /// The directory node, for getdents.
    pub fn dir_node(&self) -> Result<NodeRef, Errno> {
        match &self.object {
            Object::Node(n) if fsys::is_dir(*n) => Ok(*n),
            _ => Err(Errno::ENOTDIR),
        }
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        OPEN_FILES.fetch_sub(1, core::sync::atomic::Ordering::SeqCst);
        match &self.object {
            Object::PipeRead(p) => p.close_reader(),
            Object::PipeWrite(p) => p.close_writer(),
            // The last close of a file whose name was removed frees it.
            Object::Node(n) => {
                if let Err(e) = fsys::with(|v| v.unpin(*n)) {
                    log::warn!("closing {n:?}: {e}");
                }
            }
            _ => {}
        }
    }
}

/// Both ends of a new pipe.
pub fn new_pipe() -> Result<(Arc<OpenFile>, Arc<OpenFile>), Errno> {
    let p = Arc::new(Pipe::new());
    let r = OpenFile::new(Object::PipeRead(p.clone()), O_RDONLY)?;
    let w = OpenFile::new(Object::PipeWrite(p), O_WRONLY)?;
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
/// file).
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
    let object = match opened.kind {
        vfs::NodeKind::CharDevice(rdev) => Object::Device(crate::devices::Device::from_rdev(rdev)?),
        _ => Object::Node(opened.node),
    };
    OpenFile::new(object, flags).inspect_err(|_| {
        // ENFILE: no OpenFile was made, so no close will give the hold back.
        if !matches!(opened.kind, vfs::NodeKind::CharDevice(_)) {
            let _ = fsys::with(|v| v.unpin(opened.node));
        }
    })
}
