//! `/dev/fb0`: the framebuffer as a file (chapter 2, 2-2 and 3-2 "device
//! management").
//!
//! A program opens `/dev/fb0`, asks for the mode with `ioctl(FBIOGET_MODE)` (or sets
//! one with `FBIOSET_MODE`), and `mmap`s it `MAP_SHARED`: the pages of its mapping are
//! the display's memory itself, mapped uncached, so a store is a pixel on the screen
//! with no system call and no copy. `read`/`write`/`lseek` reach the same memory
//! byte by byte (`cat picture.raw > /dev/fb0`). Device number 29:0, as on Linux.
//!
//! The mapping's pager hands out the framebuffer's physical pages. They are device
//! memory, registered with `mm::frames::add_device_memory` by the driver, so
//! unmapping, fork and exit count and free nothing; a mapping covers the whole
//! memory the device has, so a mode change never leaves a program with a mapping
//! that points past the end.

use crate::registry::{register_chrdev_group, CharDevice};
use abi::{Errno, FbMode};
use alloc::sync::Arc;
use drivers::bochs_display::{check_mode, FRAMEBUFFER};
use files::{Ioctl, IoctlReply, Mapping};
use hal::addr::{PhysAddr, PAGE_SIZE};

pub const FB_MAJOR: u32 = 29;
/// The group that may use the screen (`video` in `/etc/group`, Debian's number):
/// `/dev/fb0` is root's and this group's, mode 0660, so an ordinary user cannot
/// read or paint over what another's windows show.
pub const VIDEO_GID: u32 = 44;

/// Register `/dev/fb0` if a display was found.
pub fn register_fb() -> Result<(), Errno> {
    if FRAMEBUFFER.lock().is_none() {
        return Ok(());
    }
    register_chrdev_group(FB_MAJOR, 0, "fb0", 0o660, VIDEO_GID, Arc::new(Fb))
}

struct Fb;

/// The framebuffer's physical base and size in bytes.
fn memory() -> Result<(u64, u64), Errno> {
    let fb = FRAMEBUFFER.lock();
    let fb = fb.as_ref().ok_or(Errno::ENXIO)?;
    Ok((fb.memory.phys().as_u64(), fb.capacity))
}

fn mode() -> Result<FbMode, Errno> {
    let fb = FRAMEBUFFER.lock();
    let m = fb.as_ref().ok_or(Errno::ENXIO)?.mode;
    Ok(FbMode {
        width: m.width,
        height: m.height,
        bpp: 32,
        pitch: m.pitch,
    })
}

impl CharDevice for Fb {
    fn read(&self, off: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        let fb = FRAMEBUFFER.lock();
        let fb = fb.as_ref().ok_or(Errno::ENXIO)?;
        let end = fb.mode.bytes();
        let n = (end.saturating_sub(off) as usize).min(buf.len());
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = fb.memory.read8(off as usize + i);
        }
        Ok(n)
    }

    fn write(&self, off: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        let fb = FRAMEBUFFER.lock();
        let fb = fb.as_ref().ok_or(Errno::ENXIO)?;
        let end = fb.mode.bytes();
        if data.is_empty() {
            return Ok(0);
        }
        if off >= end {
            return Err(Errno::ENOSPC);
        }
        let n = ((end - off) as usize).min(data.len());
        let mut i = 0;
        while i < n {
            let at = off as usize + i;
            if at.is_multiple_of(4) && n - i >= 4 {
                let w = u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
                fb.memory.write32(at, w);
                i += 4;
            } else {
                fb.memory.write8(at, data[i]);
                i += 1;
            }
        }
        Ok(n)
    }

    fn seekable(&self) -> bool {
        true
    }

    fn size(&self) -> u64 {
        FRAMEBUFFER.lock().as_ref().map_or(0, |fb| fb.mode.bytes())
    }

    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        match req {
            Ioctl::GetFbMode => Ok(IoctlReply::FbMode(mode()?)),
            Ioctl::SetFbMode(m) => {
                {
                    let mut fb = FRAMEBUFFER.lock();
                    let fb = fb.as_mut().ok_or(Errno::ENXIO)?;
                    if m.bpp != 32 || check_mode(m.width, m.height, fb.capacity).is_none() {
                        return Err(Errno::EINVAL);
                    }
                    fb.set_mode(m.width, m.height).map_err(|_| Errno::EINVAL)?;
                }
                Ok(IoctlReply::FbMode(mode()?))
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn mmap(&self, offset: u64, len: u64) -> Result<Mapping, Errno> {
        let (base, size) = memory()?;
        if offset
            .checked_add(len)
            .is_none_or(|e| e > size.next_multiple_of(PAGE_SIZE))
        {
            return Err(Errno::EINVAL);
        }
        Ok(Mapping {
            pager: Arc::new(FbPager { base, size }),
        })
    }
}

/// The framebuffer's pages, for a program's mapping.
struct FbPager {
    base: u64,
    size: u64,
}

impl mm::Pager for FbPager {
    fn page(&self, index: u64) -> Result<PhysAddr, mm::VmError> {
        let off = index.checked_mul(PAGE_SIZE).ok_or(mm::VmError::BeyondEnd)?;
        if off >= self.size {
            return Err(mm::VmError::BeyondEnd);
        }
        Ok(PhysAddr(self.base + off))
    }
    fn dirtied(&self, _index: u64) {}
    fn sync(&self) -> Result<(), mm::VmError> {
        Ok(())
    }
    fn name(&self) -> Option<alloc::string::String> {
        Some("/dev/fb0".into())
    }
    fn device_memory(&self) -> bool {
        true
    }
}
