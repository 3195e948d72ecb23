//! The kernel's own virtual devices, registered at boot with Linux's numbers:
//! `null`, `zero`, `random`/`urandom`, the clock `rtc` and the kernel log `kmsg`.
//! They are ordinary registry entries (see `registry`): a module's device sits beside
//! them on the same terms, as do the disks (`disks`) and the terminal (the `tty`
//! crate, which registers itself).

use crate::registry::{register_chrdev, CharDevice};
use abi::Errno;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use files::{ByteSink, ByteSource};

/// Device numbers (major << 8 | minor), as Linux numbers them.
pub const DEV_NULL: u32 = 0x0103;
pub const DEV_ZERO: u32 = 0x0105;
pub const DEV_RANDOM: u32 = 0x0108;
pub const DEV_URANDOM: u32 = 0x0109;
pub const DEV_KMSG: u32 = 0x010b;
pub const DEV_RTC: u32 = 0xfe00;

/// Register the virtual devices.
pub fn register_virtual() -> Result<(), Errno> {
    let random: Arc<dyn CharDevice> = Arc::new(Random);
    let list: [(&str, u32, u32, Arc<dyn CharDevice>); 6] = [
        ("null", DEV_NULL, 0o666, Arc::new(Null)),
        ("zero", DEV_ZERO, 0o666, Arc::new(Zero)),
        ("random", DEV_RANDOM, 0o666, random.clone()),
        ("urandom", DEV_URANDOM, 0o666, random),
        ("rtc", DEV_RTC, 0o644, Arc::new(Rtc)),
        ("kmsg", DEV_KMSG, 0o644, Arc::new(Kmsg)),
    ];
    for (name, rdev, mode, dev) in list {
        register_chrdev(rdev >> 8, rdev & 0xff, name, mode, dev)?;
    }
    Ok(())
}

/// Reads nothing, swallows everything.
struct Null;

impl CharDevice for Null {
    fn read(&self, _: u64, _: &mut [u8], _: bool) -> Result<usize, Errno> {
        Ok(0)
    }
    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        Ok(data.len())
    }
    /// Everything taken, nothing copied. A buffer with a page that is not there goes
    /// the staged way (`None`), which answers EFAULT for a bad one, as dinos always
    /// has (Linux's `write_null` does not look at the buffer at all).
    fn write_stream(&self, src: &mut dyn ByteSource) -> Option<Result<usize, Errno>> {
        all_there(src).then(|| Ok(src.len()))
    }
}

/// Zero bytes, as many as asked.
struct Zero;

/// What `zero` copies out from, a piece at a time (no buffer to clear per read).
static ZEROS: [u8; 1024] = [0; 1024];

impl CharDevice for Zero {
    fn read(&self, _: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        buf.fill(0);
        Ok(buf.len())
    }
    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        Ok(data.len())
    }
    /// Zeros copied straight from [`ZEROS`]. A page not there gives EFAULT, so the
    /// caller stages the read (the bytes are zeros again, so what was copied already
    /// does not matter).
    fn read_stream(&self, sink: &mut dyn ByteSink) -> Option<Result<usize, Errno>> {
        let len = sink.len();
        let mut at = 0;
        while at < len {
            let n = (len - at).min(ZEROS.len());
            if !sink.put_now(at, &ZEROS[..n]) {
                return Some(Err(Errno::EFAULT));
            }
            at += n;
        }
        Some(Ok(len))
    }
    /// As `null`'s.
    fn write_stream(&self, src: &mut dyn ByteSource) -> Option<Result<usize, Errno>> {
        all_there(src).then(|| Ok(src.len()))
    }
}

/// Is every page of `src` there to be read? One byte of each is read: probes a page
/// apart from the first byte, and the last byte, touch every page the buffer spans.
/// The last byte is not read again when it was the last probe (a buffer of one
/// byte, the common `write(fd, &c, 1)`, is read once).
fn all_there(src: &mut dyn ByteSource) -> bool {
    let len = src.len();
    if len == 0 {
        return true;
    }
    let mut b = [0u8; 1];
    let mut at = 0;
    loop {
        if !src.get_now(at, &mut b) {
            return false;
        }
        if at == len - 1 {
            return true;
        }
        // The next page's probe, or the last byte when that comes first.
        at = at.saturating_add(4096).min(len - 1);
    }
}

/// Pseudo-random bytes (`random` and `urandom` are one device).
struct Random;

impl CharDevice for Random {
    fn read(&self, _: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        fill_random(buf);
        Ok(buf.len())
    }
    fn write(&self, _: u64, data: &[u8], _: bool) -> Result<usize, Errno> {
        Ok(data.len())
    }
    fn number(&self, _: u32) -> u32 {
        DEV_URANDOM
    }
}

/// The wall-clock time as decimal seconds since the epoch: one line, then end of
/// file (read it again after seeking to 0).
struct Rtc;

impl CharDevice for Rtc {
    fn read(&self, off: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        let s = alloc::format!("{}\n", drivers::rtc::now());
        let from = (off as usize).min(s.len());
        let n = (s.len() - from).min(buf.len());
        buf[..n].copy_from_slice(&s.as_bytes()[from..from + n]);
        Ok(n)
    }
    fn write(&self, _: u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn seekable(&self) -> bool {
        true
    }
}

/// The kernel log ring, oldest record first.
struct Kmsg;

impl CharDevice for Kmsg {
    fn read(&self, off: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        Ok(klog::with_contents(|a, b| {
            let mut n = 0;
            let mut pos = off as usize;
            for part in [a, b] {
                if pos >= part.len() {
                    pos -= part.len();
                    continue;
                }
                let take = (part.len() - pos).min(buf.len() - n);
                buf[n..n + take].copy_from_slice(&part[pos..pos + take]);
                n += take;
                pos = 0;
            }
            n
        }))
    }
    fn write(&self, _: u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn seekable(&self) -> bool {
        true
    }
}

static RANDOM_STATE: AtomicU64 = AtomicU64::new(0);

/// Pseudo-random bytes (xorshift64*, reseeded from the cycle counter): unpredictable
/// enough for test data and seeds, not for cryptography. Also what `getrandom` and
/// a new program's `AT_RANDOM` bytes are made of.
pub fn fill_random(buf: &mut [u8]) {
    let mut x = RANDOM_STATE.load(Ordering::Relaxed) ^ hal::cpu::rdtsc() ^ 0x9e37_79b9_7f4a_7c15;
    for chunk in buf.chunks_mut(8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let v = x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    RANDOM_STATE.store(x, Ordering::Relaxed);
}
