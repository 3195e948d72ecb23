//! Input devices, `/dev/eventN` (chapter 2, 2-2): the tablet (a touch screen's
//! absolute pointer) and the keyboard, read as Linux-layout `input_event` records.

use crate::sys;
use crate::Result;
use abi::flags::*;
use alloc::vec::Vec;

/// Bytes of one record (Linux's `struct input_event` on x86_64).
pub const RECORD: usize = 24;
pub const EV_SYN: u16 = 0;
pub const EV_KEY: u16 = 1;
pub const EV_ABS: u16 = 3;
pub const ABS_X: u16 = 0;
pub const ABS_Y: u16 = 1;
pub const BTN_LEFT: u16 = 0x110;
pub const BTN_TOUCH: u16 = 0x14a;

/// One event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Microseconds since boot.
    pub time_us: u64,
    pub kind: u16,
    pub code: u16,
    pub value: i32,
}

impl Event {
    pub fn from_record(r: &[u8]) -> Event {
        let sec = i64::from_le_bytes(r[0..8].try_into().unwrap());
        let usec = i64::from_le_bytes(r[8..16].try_into().unwrap());
        Event {
            time_us: (sec as u64)
                .wrapping_mul(1_000_000)
                .wrapping_add(usec as u64),
            kind: u16::from_le_bytes([r[16], r[17]]),
            code: u16::from_le_bytes([r[18], r[19]]),
            value: i32::from_le_bytes([r[20], r[21], r[22], r[23]]),
        }
    }
}

/// An open input device.
pub struct Device {
    fd: i32,
}

impl Device {
    /// Open `path`; `nonblock`: reads answer EAGAIN instead of waiting.
    pub fn open(path: &str, nonblock: bool) -> Result<Device> {
        let flags = O_RDONLY | O_CLOEXEC | if nonblock { O_NONBLOCK } else { 0 };
        Ok(Device {
            fd: sys::open(path, flags, 0)? as i32,
        })
    }

    pub fn fd(&self) -> i32 {
        self.fd
    }

    /// The largest absolute X and Y, (0, 0) for a device without absolute axes.
    pub fn abs_max(&self) -> (u32, u32) {
        let mut b = [0u8; 4];
        match sys::ioctl(self.fd, INPIOGABSMAX, &mut b) {
            Ok(_) => {
                let v = u32::from_le_bytes(b);
                (v & 0xffff, v >> 16)
            }
            Err(_) => (0, 0),
        }
    }

    /// The events ready (waiting for at least one unless opened non-blocking).
    pub fn read(&self) -> Result<Vec<Event>> {
        let mut buf = [0u8; RECORD * 32];
        let n = sys::read(self.fd, &mut buf)?;
        Ok(buf[..n]
            .chunks_exact(RECORD)
            .map(Event::from_record)
            .collect())
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let _ = sys::close(self.fd);
    }
}

/// A tablet and its largest X and Y.
pub type Tablet = (Device, (u32, u32));

/// The first `/dev/eventN` with absolute axes (the tablet) and the first without
/// (the keyboard).
pub fn find(nonblock: bool) -> (Option<Tablet>, Option<Device>) {
    let (mut tablet, mut keyboard) = (None, None);
    for n in 0..8 {
        let path = alloc::format!("/dev/event{n}");
        let Ok(d) = Device::open(&path, nonblock) else {
            continue;
        };
        let max = d.abs_max();
        if max.0 > 0 && max.1 > 0 {
            if tablet.is_none() {
                tablet = Some((d, max));
            }
        } else if keyboard.is_none() {
            keyboard = Some(d);
        }
    }
    (tablet, keyboard)
}

/// A pixel of a `size`-pixel axis for tablet value `v` of range `0..=max`.
pub fn scale(v: i32, max: u32, size: u32) -> u32 {
    let v = v.clamp(0, max as i32) as u64;
    ((v * size as u64) / (max as u64 + 1)) as u32
}

/// Pointer state followed over a stream of tablet events: where it is, whether it
/// is pressed, and when a frame (`EV_SYN`) completes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pointer {
    pub x: u32,
    pub y: u32,
    pub down: bool,
}

impl Pointer {
    /// Apply `e` for a `w` x `h` screen and tablet range `max`; true at the end of a
    /// frame (the state is then consistent).
    pub fn apply(&mut self, e: &Event, max: (u32, u32), w: u32, h: u32) -> bool {
        match (e.kind, e.code) {
            (EV_ABS, ABS_X) => self.x = scale(e.value, max.0, w),
            (EV_ABS, ABS_Y) => self.y = scale(e.value, max.1, h),
            (EV_KEY, BTN_LEFT) | (EV_KEY, BTN_TOUCH) => self.down = e.value != 0,
            (EV_SYN, _) => return true,
            _ => {}
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tablet_values_scale_to_pixels() {
        assert_eq!(scale(0, 32767, 1024), 0);
        assert_eq!(scale(32767, 32767, 1024), 1023);
        assert_eq!(scale(16384, 32767, 1024), 512);
        assert_eq!(scale(-5, 32767, 1024), 0);
        assert_eq!(scale(99999, 32767, 768), 767);
    }

    #[test]
    fn pointer_follows_a_press_move_release() {
        let ev = |kind, code, value| Event {
            time_us: 0,
            kind,
            code,
            value,
        };
        let mut p = Pointer::default();
        let m = (32767, 32767);
        assert!(!p.apply(&ev(EV_ABS, ABS_X, 16384), m, 1024, 768));
        assert!(!p.apply(&ev(EV_ABS, ABS_Y, 16384), m, 1024, 768));
        assert!(!p.apply(&ev(EV_KEY, BTN_LEFT, 1), m, 1024, 768));
        assert!(p.apply(&ev(EV_SYN, 0, 0), m, 1024, 768));
        assert_eq!(
            p,
            Pointer {
                x: 512,
                y: 384,
                down: true
            }
        );
        p.apply(&ev(EV_KEY, BTN_LEFT, 0), m, 1024, 768);
        assert!(!p.down);
    }

    #[test]
    fn records_decode() {
        let mut r = [0u8; RECORD];
        r[0..8].copy_from_slice(&2i64.to_le_bytes());
        r[8..16].copy_from_slice(&5i64.to_le_bytes());
        r[16..18].copy_from_slice(&EV_KEY.to_le_bytes());
        r[18..20].copy_from_slice(&30u16.to_le_bytes());
        r[20..24].copy_from_slice(&1i32.to_le_bytes());
        let e = Event::from_record(&r);
        assert_eq!(
            e,
            Event {
                time_us: 2_000_005,
                kind: EV_KEY,
                code: 30,
                value: 1
            }
        );
    }
}
