//! Descriptor tables: a process's small integers naming open files.
//!
//! A descriptor is an index into a process's [`FdTable`] naming an `Arc<OpenFile>`:
//! `dup` and `fork` share one OpenFile (and so its offset), as POSIX requires; `open`
//! twice gives two. The lowest free number is used first; each entry carries its
//! close-on-exec bit, which belongs to the descriptor, not to the open file. The
//! table's *limit* (the process's `RLIMIT_NOFILE`, at most [`MAX_FDS`]) is the lowest
//! number it will not hand out: past it `open` and `dup` fail with EMFILE, `dup2` with
//! EBADF, as POSIX says; descriptors already open above it stay usable.
//! The methods fork, exec and exit use are `#[inline]` (they are called from `proc`,
//! another crate: see `fsys::tree`).

use crate::openfile::OpenFile;
use abi::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// Descriptors per process.
pub const MAX_FDS: usize = 64;

/// A process's descriptors.
#[derive(Clone)]
pub struct FdTable {
    fds: Vec<Option<(Arc<OpenFile>, bool)>>, // (file, close-on-exec)
    /// New descriptors are below this (`RLIMIT_NOFILE`, at most `MAX_FDS`).
    limit: usize,
}

impl Default for FdTable {
    fn default() -> Self {
        Self::new()
    }
}

impl FdTable {
    #[inline]
    pub fn new() -> Self {
        FdTable {
            fds: Vec::new(),
            limit: MAX_FDS,
        }
    }

    /// Hand out only descriptors below `limit` from now on (capped at `MAX_FDS`).
    #[inline]
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.min(MAX_FDS);
    }

    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.fds.get(i))
            .and_then(|e| e.as_ref())
            .map(|e| e.0.clone())
            .ok_or(Errno::EBADF)
    }

    /// The open file behind `fd`, borrowed: for a look that must not end up holding
    /// the last reference (procfs, under the VFS lock, where dropping a file would
    /// take that lock again).
    pub fn peek(&self, fd: i32) -> Option<&OpenFile> {
        let i = usize::try_from(fd).ok()?;
        self.fds.get(i)?.as_ref().map(|e| &*e.0)
    }

    /// Install at the lowest free descriptor.
    pub fn insert(&mut self, f: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
        let at = match self.fds.iter().take(self.limit).position(|e| e.is_none()) {
            Some(i) => i,
            None if self.fds.len() < self.limit => {
                self.fds.push(None);
                self.fds.len() - 1
            }
            None => return Err(Errno::EMFILE),
        };
        self.fds[at] = Some((f, cloexec));
        Ok(at as i32)
    }

    /// Install at the lowest free descriptor not below `min` (`fcntl(F_DUPFD)`).
    pub fn insert_from(&mut self, min: i32, f: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
        let min = usize::try_from(min).map_err(|_| Errno::EINVAL)?;
        if min >= MAX_FDS {
            return Err(Errno::EINVAL);
        }
        let at = (min..MAX_FDS)
            .find(|&i| self.fds.get(i).is_none_or(|e| e.is_none()))
            .ok_or(Errno::EMFILE)?;
        if self.fds.len() <= at {
            self.fds.resize(at + 1, None);
        }
        self.fds[at] = Some((f, cloexec));
        Ok(at as i32)
    }

    /// The close-on-exec bit of `fd`.
    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        self.entry(fd).map(|e| e.1)
    }

    /// Set or clear the close-on-exec bit of `fd`.
    pub fn set_cloexec(&mut self, fd: i32, on: bool) -> Result<(), Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match self.fds.get_mut(i) {
            Some(Some(e)) => {
                e.1 = on;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    fn entry(&self, fd: i32) -> Result<&(Arc<OpenFile>, bool), Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.fds.get(i))
            .and_then(|e| e.as_ref())
            .ok_or(Errno::EBADF)
    }

    /// Install at exactly `fd`, closing what was there.
    #[inline]
    pub fn insert_at(&mut self, fd: i32, f: Arc<OpenFile>) -> Result<(), Errno> {
        let i = usize::try_from(fd)
            .ok()
            .filter(|&i| i < self.limit)
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
    #[inline]
    pub fn close_on_exec(&mut self) {
        for e in self.fds.iter_mut() {
            if e.as_ref().is_some_and(|x| x.1) {
                *e = None;
            }
        }
    }

    /// Drop everything (exit).
    #[inline]
    pub fn clear(&mut self) {
        self.fds.clear();
    }

    pub fn count(&self) -> usize {
        self.fds.iter().filter(|e| e.is_some()).count()
    }
}
