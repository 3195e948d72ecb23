//! A character device provided by a module: the kernel's [`CharDevice`] over the
//! module's `read`/`write` functions (chapter 2 section 7: the module plugs into the
//! same device registry a built-in driver uses).
//!
//! The open files of `/dev/NAME` hold this object (an `Arc`), so the number of them
//! is its reference count less the two the registry and the loader keep: that is
//! the module's use count `rmmod` checks. A call into the module is counted while it
//! runs, and refused (ENXIO) once the loader has marked the device dead, so a
//! descriptor that outlives the module can never jump into unmapped code.

use abi::Errno;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use devices::CharDevice;

pub struct ModuleDevice {
    ctx: u64,
    read: u64,
    write: u64,
    alive: AtomicBool,
    busy: AtomicUsize,
}

/// Counts one call into the module for as long as it lives.
struct Running<'a>(&'a AtomicUsize);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Release);
    }
}

impl ModuleDevice {
    pub fn new(ctx: u64, read: u64, write: u64) -> Arc<ModuleDevice> {
        Arc::new(ModuleDevice {
            ctx,
            read,
            write,
            alive: AtomicBool::new(true),
            busy: AtomicUsize::new(0),
        })
    }

    /// No more calls into the module (it is being removed).
    pub fn kill(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }

    /// Calls into the module running now.
    pub fn running(&self) -> usize {
        self.busy.load(Ordering::Acquire)
    }

    fn enter(&self) -> Result<Running<'_>, Errno> {
        self.busy.fetch_add(1, Ordering::AcqRel);
        let g = Running(&self.busy);
        match self.alive.load(Ordering::SeqCst) {
            true => Ok(g),
            false => Err(Errno::ENXIO),
        }
    }

    fn call(&self, f: u64, off: u64, buf: u64, len: usize) -> Result<usize, Errno> {
        let _g = self.enter()?;
        let r = hal::module::call(f, [self.ctx, off, buf, len as u64, 0, 0]).ok_or(Errno::ENXIO)?
            as i64;
        match r {
            r if r < 0 => Err(Errno::from_code((-r) as i32).unwrap_or(Errno::EIO)),
            r if r as usize > len => Err(Errno::EIO), // a module that claims more than it had room for
            r => Ok(r as usize),
        }
    }
}

impl CharDevice for ModuleDevice {
    fn read(&self, off: u64, buf: &mut [u8], _nonblock: bool) -> Result<usize, Errno> {
        self.call(self.read, off, buf.as_mut_ptr() as u64, buf.len())
    }

    fn write(&self, off: u64, data: &[u8], _nonblock: bool) -> Result<usize, Errno> {
        self.call(self.write, off, data.as_ptr() as u64, data.len())
    }

    fn seekable(&self) -> bool {
        true
    }
}
