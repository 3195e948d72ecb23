//! The framebuffer: QEMU's `bochs-display` (PCI 1234:1111), a display adapter with no
//! VGA legacy, only a linear framebuffer and the "DISPI" mode registers.
//!
//! Chapter 2, 2-2 (the graphical interface): everything a desktop draws ends up as
//! pixels in this memory. BAR0 is the framebuffer (16 MiB by default), BAR2 a page of
//! registers whose DISPI block (at 0x500, one 16-bit register every 2 bytes) sets the
//! mode: resolution, 32 bits per pixel, linear framebuffer on. The driver sets
//! 1024x768x32 at probe and keeps the one display in [`FRAMEBUFFER`]; `/dev/fb0`
//! (`kernel/devices/src/fb.rs`) lets a program map the memory and ask for or change
//! the mode. Nothing the device says is trusted: the DISPI id must be a known one and
//! a mode must fit in the BAR and in the memory the device reports.

use crate::pci::{self, Function};
use crate::probe::{Match, PciDriver};
use hal::mmio::Mmio;
use hal::sync::SpinLock;

/// Offset of the DISPI registers in the MMIO BAR.
const DISPI: usize = 0x500;
const INDEX_ID: usize = 0;
const INDEX_XRES: usize = 1;
const INDEX_YRES: usize = 2;
const INDEX_BPP: usize = 3;
const INDEX_ENABLE: usize = 4;
const INDEX_VIRT_WIDTH: usize = 6;
const INDEX_VIRT_HEIGHT: usize = 7;
const INDEX_X_OFFSET: usize = 8;
const INDEX_Y_OFFSET: usize = 9;
const INDEX_VIDEO_MEMORY_64K: usize = 10;
const ENABLED: u16 = 0x01;
const LFB_ENABLED: u16 = 0x40;
/// DISPI versions: 0xB0C0 ... 0xB0C5.
const ID_MIN: u16 = 0xb0c0;
const ID_MAX: u16 = 0xb0cf;

/// The mode set at boot.
pub const DEFAULT_WIDTH: u32 = 1024;
pub const DEFAULT_HEIGHT: u32 = 768;
/// Bounds of a mode a program may ask for (the device's own limits are 2560x1600
/// in older versions).
pub const MAX_WIDTH: u32 = 2560;
pub const MAX_HEIGHT: u32 = 1600;

/// The display's current mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    pub width: u32,
    pub height: u32,
    /// Bytes per row.
    pub pitch: u32,
}

impl Mode {
    pub fn bytes(&self) -> u64 {
        self.pitch as u64 * self.height as u64
    }
}

/// The one display the driver found.
pub struct Framebuffer {
    /// The framebuffer memory (BAR0), mapped uncached in the kernel.
    pub memory: Mmio,
    regs: Mmio,
    /// Bytes of framebuffer memory the device has (the smaller of BAR0 and its own
    /// report).
    pub capacity: u64,
    pub mode: Mode,
}

pub static FRAMEBUFFER: SpinLock<Option<Framebuffer>> = SpinLock::new(None);

pub static PCI_DRIVER: PciDriver = PciDriver {
    name: "bochs-display",
    matches: Match::Ids {
        vendor: 0x1234,
        devices: &[0x1111],
    },
    probe,
    remove: None,
};

/// Is `w` x `h` at 32 bits per pixel a mode this display can show in `capacity`
/// bytes? The pitch if so.
pub fn check_mode(w: u32, h: u32, capacity: u64) -> Option<u32> {
    if w == 0 || h == 0 || w > MAX_WIDTH || h > MAX_HEIGHT || !w.is_multiple_of(8) {
        return None;
    }
    let pitch = w * 4;
    (pitch as u64 * h as u64 <= capacity).then_some(pitch)
}

impl Framebuffer {
    fn read(&self, index: usize) -> u16 {
        self.regs.read16(DISPI + 2 * index)
    }
    fn write(&self, index: usize, v: u16) {
        self.regs.write16(DISPI + 2 * index, v)
    }

    /// Switch to `w` x `h` x 32 (the framebuffer is cleared by the device).
    pub fn set_mode(&mut self, w: u32, h: u32) -> Result<Mode, &'static str> {
        let pitch = check_mode(w, h, self.capacity).ok_or("mode does not fit")?;
        self.write(INDEX_ENABLE, 0);
        self.write(INDEX_BPP, 32);
        self.write(INDEX_XRES, w as u16);
        self.write(INDEX_YRES, h as u16);
        self.write(INDEX_VIRT_WIDTH, w as u16);
        self.write(INDEX_VIRT_HEIGHT, h as u16);
        self.write(INDEX_X_OFFSET, 0);
        self.write(INDEX_Y_OFFSET, 0);
        self.write(INDEX_ENABLE, ENABLED | LFB_ENABLED);
        // The device clamps what it cannot do: read back what it took.
        let (gw, gh) = (self.read(INDEX_XRES) as u32, self.read(INDEX_YRES) as u32);
        if (gw, gh) != (w, h) || self.read(INDEX_BPP) != 32 {
            return Err("the device refused the mode");
        }
        self.mode = Mode {
            width: w,
            height: h,
            pitch,
        };
        Ok(self.mode)
    }
}

fn probe(f: Function) -> Result<(), &'static str> {
    if FRAMEBUFFER.lock().is_some() {
        return Err("a framebuffer is already in use");
    }
    pci::assign_bars(&f);
    f.enable(pci::CMD_MEMORY);
    let memory = pci::map_bar(&f, 0)?;
    let regs = pci::map_bar(&f, 2)?;
    if regs.len() < DISPI + 0x20 {
        return Err("register BAR too small");
    }
    let mut fb = Framebuffer {
        memory,
        regs,
        capacity: 0,
        mode: Mode {
            width: 0,
            height: 0,
            pitch: 0,
        },
    };
    let id = fb.read(INDEX_ID);
    if !(ID_MIN..=ID_MAX).contains(&id) {
        return Err("not a DISPI display");
    }
    let reported = fb.read(INDEX_VIDEO_MEMORY_64K) as u64 * 64 * 1024;
    fb.capacity = (fb.memory.len() as u64).min(if reported == 0 { u64::MAX } else { reported });
    let mode = fb.set_mode(DEFAULT_WIDTH, DEFAULT_HEIGHT)?;
    if !mm::frames::add_device_memory(&fb.memory) {
        return Err("no slot for device memory");
    }
    log::info!(
        "bochs-display at PCI {f}: {}x{}x32, {} KiB framebuffer at {:#x}",
        mode.width,
        mode.height,
        fb.capacity / 1024,
        fb.memory.phys().as_u64()
    );
    *FRAMEBUFFER.lock() = Some(fb);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_must_fit_the_memory_and_the_limits() {
        let mib16 = 16 << 20;
        assert_eq!(check_mode(1024, 768, mib16), Some(4096));
        assert_eq!(check_mode(1920, 1080, mib16), Some(7680));
        assert_eq!(check_mode(2560, 1600, mib16), Some(10240));
        assert_eq!(check_mode(1024, 768, 1 << 20), None);
        assert_eq!(check_mode(0, 768, mib16), None);
        assert_eq!(check_mode(1024, 0, mib16), None);
        assert_eq!(check_mode(4096, 768, mib16), None);
        assert_eq!(check_mode(1023, 768, mib16), None);
        assert_eq!(check_mode(u32::MAX, u32::MAX, u64::MAX), None);
    }
}
