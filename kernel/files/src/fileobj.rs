//! What is behind an open descriptor: the [`FileObject`] trait (Linux's
//! `file_operations`, chapter 2 section 7 "extensible").
//!
//! A file-system node, either end of a pipe, the terminal, a virtual device and a raw
//! disk are all one kind of thing to the descriptor layer: an object that can be read,
//! written, sized, stat'ed, asked a device question ([`Ioctl`]), polled for readiness,
//! mapped, and released at the last close. [`OpenFile`](crate::OpenFile) holds
//! an `Arc<dyn FileObject>` plus the flags and offset, and never asks which kind it
//! has; a socket or a message port later is one more `impl`, not an edit of a match.
//!
//! The design decision: the *offset* belongs to the open file, not to the object (two
//! opens of one file have two offsets; `dup` shares one), so `read` and `write` are
//! given the open file's position to use and advance, and an object that has no
//! positions (a pipe, the terminal) ignores it. Device requests are typed and
//! personality-neutral: the system-call layer decodes its ABI's ioctl numbers into an
//! [`Ioctl`], and a second ABI decodes its own numbers into the same values.

use abi::{Errno, Stat, WinSize};
use core::any::Any;
use fsys::pages::PageSink;
use fsys::NodeRef;
use task::WaitQueue;

/// A device request, decoded from whatever numbering the caller's ABI uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ioctl {
    /// The terminal's mode bits (`TTY_ECHO`, `TTY_CANON`, `TTY_ISIG`).
    GetTermMode,
    SetTermMode(u32),
    /// The terminal's size in characters.
    GetWinSize,
    /// Set the size the terminal reports (the program that draws the terminal says
    /// how big it is; dinos's serial console cannot know).
    SetWinSize(WinSize),
    /// How many bytes a read would return now without waiting (FIONREAD).
    BytesReady,
    /// The terminal's foreground process group (Ctrl-C goes there).
    GetForeground,
    SetForeground(u32),
    /// Make the terminal the caller's controlling terminal (`TIOCSCTTY`).
    SetControlling,
    /// A pseudo-terminal master's number `N` (`/dev/pts/N`), and the slave's lock.
    GetPtyNumber,
    SetPtyLock(bool),
    /// A disk's size in bytes.
    GetDiskSize,
    /// A framebuffer's mode (`/dev/fb0`), and a new one to set.
    GetFbMode,
    SetFbMode(abi::FbMode),
    /// Seal a shared-memory segment (`SHM_SEAL_*` bits), and its seals.
    AddSeals(u32),
    GetSeals,
    /// An absolute pointer's largest X and Y (`/dev/eventN`), as `(y << 16) | x`.
    GetAbsMax,
    /// A request the caller's ABI could not decode: an object that takes device
    /// requests answers EINVAL, any other ENOTTY.
    Unknown,
}

/// What a device request gives back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoctlReply {
    None,
    U32(u32),
    U64(u64),
    WinSize(WinSize),
    FbMode(abi::FbMode),
}

/// Readiness for the poll call: what an operation would do now without waiting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// A read would not wait (data, or end of file).
    pub readable: bool,
    /// A write would not wait (room, or an error such as EPIPE).
    pub writable: bool,
    /// The other side is gone (a pipe's last writer or reader closed).
    pub hangup: bool,
}

impl Readiness {
    /// Always ready both ways: files and most devices.
    pub const ALWAYS: Readiness = Readiness {
        readable: true,
        writable: true,
        hangup: false,
    };
}

/// The result of mapping an object that is not a file-system node into memory
/// (a shared-memory segment): what fills the mapping's pages. (A regular file's
/// mapping is made from its node and the page cache, see `mmap` in the system-call
/// layer.)
pub struct Mapping {
    pub pager: alloc::sync::Arc<dyn mm::Pager>,
}

/// Where a stream read puts its bytes: the program's buffer, written straight from
/// the object's own memory (a pipe's ring), so the bytes are copied once. The copy is
/// made under the object's lock, so it cannot fault pages in: a page of the buffer
/// that is not present fails it, the object keeps the bytes it could not hand over,
/// and when it handed over none it answers EFAULT, which the system call takes as
/// "do it the staged way" (that path makes pages present, or fails for good).
pub trait ByteSink {
    /// Bytes the destination takes.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Copy `data` to `at` bytes into the destination now, without sleeping or
    /// faulting: false if a page of the destination is not there.
    fn put_now(&mut self, at: usize, data: &[u8]) -> bool;
}

/// Where a stream write takes its bytes from: the program's buffer, read straight
/// into the object's memory (the counterpart of [`ByteSink`]).
pub trait ByteSource {
    /// Bytes the source holds.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Fill `out` with the bytes `at` bytes into the source now, without sleeping or
    /// faulting: false if a page of the source is not there.
    fn get_now(&mut self, at: usize, out: &mut [u8]) -> bool;
}

/// Everything an open descriptor can be.
pub trait FileObject: Send + Sync {
    /// Read at the open file's position `pos`, advancing it when the object has
    /// positions. `nonblock` (O_NONBLOCK): EAGAIN instead of waiting.
    fn read(&self, pos: &mut u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno>;

    /// Read at `pos` (advancing it) by handing `sink` the pieces of the object's
    /// cached pages that hold the bytes. `None` for objects without pages (everything but a regular
    /// file), which are read with [`FileObject::read`].
    fn read_pages(
        &self,
        _pos: &mut u64,
        _len: usize,
        _sink: &mut dyn PageSink,
    ) -> Option<Result<usize, Errno>> {
        None
    }

    /// Write at `pos`, advancing it when the object has positions.
    fn write(&self, pos: &mut u64, data: &[u8], nonblock: bool) -> Result<usize, Errno>;

    /// Read, copying once, straight into `sink` (objects without positions that keep
    /// their bytes in kernel memory: a pipe). `None`: the object has no such path and
    /// is read with [`FileObject::read`].
    fn read_stream(
        &self,
        _sink: &mut dyn ByteSink,
        _nonblock: bool,
    ) -> Option<Result<usize, Errno>> {
        None
    }

    /// Write, copying once, straight from `src` (the counterpart of `read_stream`).
    fn write_stream(
        &self,
        _src: &mut dyn ByteSource,
        _nonblock: bool,
    ) -> Option<Result<usize, Errno>> {
        None
    }

    /// Does the object use the open file's position (a file, a disk)? Objects that
    /// do not (a pipe, the terminal) are read and written without taking the open
    /// file's offset lock.
    fn has_position(&self) -> bool {
        false
    }

    /// Read at an explicit offset, leaving the position alone (pread): ESPIPE for
    /// objects without positions.
    fn read_at(&self, _off: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::ESPIPE)
    }

    /// Write at an explicit offset (pwrite).
    fn write_at(&self, _off: u64, _data: &[u8]) -> Result<usize, Errno> {
        Err(Errno::ESPIPE)
    }

    /// The size `SEEK_END` counts from; ESPIPE when the object cannot seek.
    fn size(&self) -> Result<u64, Errno> {
        Err(Errno::ESPIPE)
    }

    fn stat(&self) -> Result<Stat, Errno>;

    /// A device request; ENOTTY for objects that take none.
    fn ioctl(&self, _req: Ioctl) -> Result<IoctlReply, Errno> {
        Err(Errno::ENOTTY)
    }

    /// What a read or write would do now.
    fn poll(&self) -> Readiness {
        Readiness::ALWAYS
    }

    /// The wait queue woken (with `wake_all`) whenever [`FileObject::poll`]'s answer
    /// may have changed: `poll` sleeps on it. `None` for objects whose readiness never
    /// changes (files and most devices are always ready).
    fn poll_queue(&self) -> Option<&WaitQueue> {
        None
    }

    /// The object itself, for the layer that made it to find its own type again (a
    /// message port's calls take a descriptor and need the port). `None` for objects
    /// that are used only through this trait.
    fn as_any(&self) -> Option<&dyn Any> {
        None
    }

    /// Map `len` bytes from `offset`: ENODEV for objects that cannot be mapped.
    fn mmap(&self, _offset: u64, _len: u64) -> Result<Mapping, Errno> {
        Err(Errno::ENODEV)
    }

    /// Set the size (`ftruncate` of an object that is not a file-system node):
    /// EINVAL for objects that have no size to set.
    fn truncate(&self, _size: u64) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    /// The file-system node, for objects that are one (ftruncate, getdents, fsync,
    /// and a `read` that fills the whole buffer).
    fn node(&self) -> Option<NodeRef> {
        None
    }

    /// The device number, for devices (exclusive request and release).
    fn device_number(&self) -> Option<u32> {
        None
    }

    /// The last open file referring to this object is closing.
    fn release(&self) {}
}

/// A file-system node opened: a regular file, a directory (for getdents) or a symlink
/// opened without following. Held (`Vfs::pin`) while open; the hold is given back at
/// release, which is what frees a file removed while open. The flag says the open
/// may write a regular file: it counts as a writer (`fsys::writers`, `ETXTBSY`) until
/// the release.
pub struct NodeFile(pub NodeRef, pub bool);

impl FileObject for NodeFile {
    fn read(&self, pos: &mut u64, buf: &mut [u8], _nonblock: bool) -> Result<usize, Errno> {
        if fsys::is_dir(self.0) {
            return Err(Errno::EISDIR);
        }
        let got = fsys::read(self.0, *pos, buf)?;
        *pos += got as u64;
        Ok(got)
    }

    fn write(&self, pos: &mut u64, data: &[u8], _nonblock: bool) -> Result<usize, Errno> {
        let put = fsys::write(self.0, *pos, data)?;
        *pos += put as u64;
        Ok(put)
    }

    fn read_pages(
        &self,
        pos: &mut u64,
        len: usize,
        copy: &mut dyn PageSink,
    ) -> Option<Result<usize, Errno>> {
        Some(fsys::pages::read_to(self.0, *pos, len, copy).inspect(|&n| *pos += n as u64))
    }

    fn has_position(&self) -> bool {
        true
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        fsys::read(self.0, off, buf)
    }

    fn write_at(&self, off: u64, data: &[u8]) -> Result<usize, Errno> {
        fsys::write(self.0, off, data)
    }

    fn size(&self) -> Result<u64, Errno> {
        Ok(fsys::stat(self.0)?.size)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        fsys::stat(self.0)
    }

    fn node(&self) -> Option<NodeRef> {
        Some(self.0)
    }

    fn release(&self) {
        if self.1 {
            fsys::put_write_access(self.0);
        }
        // The last close of a file whose name was removed frees it.
        if let Err(e) = fsys::with(|v| v.unpin(self.0)) {
            log::warn!("closing {:?}: {e}", self.0);
        }
    }
}
