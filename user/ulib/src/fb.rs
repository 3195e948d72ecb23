//! The framebuffer, `/dev/fb0` (chapter 2, 2-2): open it, read or set its mode, and
//! map its memory, so that a pixel is one store with no system call.
//!
//! As with shared memory ([`crate::shm`]), the mapping is seen only as a slice of
//! `AtomicU32` (one per pixel, `0x00RRGGBB`): the display's memory can be mapped by
//! several processes at once (a window server and a test that reads it back), so every
//! access is an atomic one and the one `unsafe` line here is sound.

use crate::sys;
use crate::Result;
use abi::flags::*;
use abi::{FbMode, Pod};
use core::sync::atomic::{AtomicU32, Ordering};

/// `/dev/fb0`, open, with its memory mapped.
pub struct Framebuffer {
    fd: i32,
    addr: usize,
    len: usize,
    pub mode: FbMode,
}

/// The mode of the framebuffer open as `fd`.
pub fn get_mode(fd: i32) -> Result<FbMode> {
    let mut b = [0u8; FbMode::SIZE];
    sys::ioctl(fd, FBIOGET_MODE, &mut b)?;
    Ok(FbMode::from_bytes(&b))
}

/// Set `width` x `height` x 32 on the framebuffer open as `fd`; the mode it took.
pub fn set_mode(fd: i32, width: u32, height: u32) -> Result<FbMode> {
    let mut b = [0u8; FbMode::SIZE];
    FbMode {
        width,
        height,
        bpp: 32,
        pitch: 0,
    }
    .to_bytes(&mut b);
    sys::ioctl(fd, FBIOSET_MODE, &mut b)?;
    Ok(FbMode::from_bytes(&b))
}

impl Framebuffer {
    /// Open `/dev/fb0` and map the current mode's pixels.
    pub fn open() -> Result<Framebuffer> {
        Self::open_path("/dev/fb0")
    }

    pub fn open_path(path: &str) -> Result<Framebuffer> {
        let fd = sys::open(path, O_RDWR | O_CLOEXEC, 0)? as i32;
        let mode = match get_mode(fd) {
            Ok(m) => m,
            Err(e) => {
                let _ = sys::close(fd);
                return Err(e);
            }
        };
        let len = (mode.pitch as usize * mode.height as usize).next_multiple_of(4096);
        let addr = match sys::mmap_file(0, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) {
            Ok(a) => a,
            Err(e) => {
                let _ = sys::close(fd);
                return Err(e);
            }
        };
        Ok(Framebuffer {
            fd,
            addr,
            len,
            mode,
        })
    }

    /// The descriptor.
    pub fn fd(&self) -> i32 {
        self.fd
    }

    /// Every pixel of the mapping, row after row (`pitch / 4` per row).
    pub fn pixels(&self) -> &[AtomicU32] {
        #[allow(unsafe_code)]
        // SAFETY: `[addr, addr+len)` is a readable and writable shared mapping this
        // value owns until it drops (the borrow cannot outlive it), page-aligned hence
        // aligned for u32; AtomicU32 has u32's layout and every access through it is
        // atomic, so other processes mapping the same memory cause no data race.
        unsafe {
            core::slice::from_raw_parts(self.addr as *const AtomicU32, self.len / 4)
        }
    }

    /// Pixels per row in memory.
    pub fn stride(&self) -> usize {
        self.mode.pitch as usize / 4
    }

    /// Set pixel `(x, y)` (ignored outside the screen).
    pub fn put(&self, x: usize, y: usize, rgb: u32) {
        if x < self.mode.width as usize && y < self.mode.height as usize {
            self.pixels()[y * self.stride() + x].store(rgb, Ordering::Relaxed);
        }
    }

    /// Pixel `(x, y)` (0 outside the screen).
    pub fn get(&self, x: usize, y: usize) -> u32 {
        if x < self.mode.width as usize && y < self.mode.height as usize {
            self.pixels()[y * self.stride() + x].load(Ordering::Relaxed)
        } else {
            0
        }
    }

    /// Fill a rectangle (clipped to the screen).
    pub fn fill(&self, x: usize, y: usize, w: usize, h: usize, rgb: u32) {
        let (sw, sh) = (self.mode.width as usize, self.mode.height as usize);
        let px = self.pixels();
        for row in y.min(sh)..(y.saturating_add(h)).min(sh) {
            let base = row * self.stride();
            for p in &px[base + x.min(sw)..base + x.saturating_add(w).min(sw)] {
                p.store(rgb, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for Framebuffer {
    fn drop(&mut self) {
        let _ = sys::munmap(self.addr, self.len);
        let _ = sys::close(self.fd);
    }
}
