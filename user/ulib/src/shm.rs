//! Shared memory between processes: named segments (`shm_open`) and a view of a
//! mapped segment as 32-bit atomic words.
//!
//! A [`Segment`] is an open descriptor on a named segment; [`Segment::map`] maps all
//! of it `MAP_SHARED` and gives a [`Shared`], which unmaps at drop. A forked child
//! inherits the mapping (and its own copy of the `Shared`, which unmaps the child's).
//!
//! The design decision: the mapping is seen only as a slice of `AtomicU32`, and
//! whatever lives in it (locks, semaphores, a ring of slots) is named by word
//! *index*, never by pointer, since another process maps it at another address.
//! Every access to memory that another process may write at the same moment is then an
//! atomic one, which is what makes the one `unsafe` line here sound.

use crate::sys;
use crate::Result;
use abi::flags::*;
use abi::Stat;
use core::sync::atomic::AtomicU32;

/// Bytes per word of a [`Shared`] view.
pub const WORD: usize = 4;

/// An open shared-memory segment.
pub struct Segment {
    fd: i32,
}

impl Segment {
    /// Create segment `name` (`/name`; EEXIST if it exists) of `size` bytes, zeroed,
    /// with permission bits `mode`.
    pub fn create(name: &str, size: usize, mode: u32) -> Result<Segment> {
        let fd = sys::shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode)? as i32;
        let seg = Segment { fd };
        sys::ftruncate(fd, size as u64)?;
        Ok(seg)
    }

    /// Open the existing segment `name` for reading and writing.
    pub fn open(name: &str) -> Result<Segment> {
        let fd = sys::shm_open(name, O_RDWR | O_CLOEXEC, 0)? as i32;
        Ok(Segment { fd })
    }

    /// Adopt a descriptor for a segment (one passed in a message); closed at drop.
    pub fn from_raw_fd(fd: i32) -> Segment {
        Segment { fd }
    }

    /// The descriptor.
    pub fn fd(&self) -> i32 {
        self.fd
    }

    /// The segment's size in bytes.
    pub fn size(&self) -> Result<usize> {
        let mut st = Stat::default();
        sys::fstat(self.fd, &mut st)?;
        Ok(st.size as usize)
    }

    /// Seal the segment against shrinking (`SHM_SEAL_SHRINK`, for good): done by
    /// a process that maps someone else's segment before it checks the size.
    pub fn seal_shrink(&self) -> Result<()> {
        let mut b = abi::flags::SHM_SEAL_SHRINK.to_le_bytes();
        sys::ioctl(self.fd, abi::flags::SHMIOADDSEALS, &mut b).map(|_| ())
    }

    /// Map the whole segment, shared and writable.
    pub fn map(&self) -> Result<Shared> {
        let len = self.size()?;
        let addr = sys::mmap_file(0, len, PROT_READ | PROT_WRITE, MAP_SHARED, self.fd, 0)?;
        Ok(Shared { addr, len })
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        let _ = sys::close(self.fd);
    }
}

/// Remove segment `name`; it lives on while open or mapped.
pub fn unlink(name: &str) -> Result<()> {
    sys::shm_unlink(name).map(|_| ())
}

/// A shared mapping of a segment.
pub struct Shared {
    addr: usize,
    len: usize,
}

impl Shared {
    /// The mapping as words (its length rounded down to whole words).
    pub fn words(&self) -> &[AtomicU32] {
        #[allow(unsafe_code)]
        // SAFETY: `[addr, addr+len)` is a readable and writable mapping this value owns
        // until it drops (the borrow cannot outlive it), page-aligned hence aligned for
        // u32; AtomicU32 has u32's layout, and every access through it is atomic, so
        // writes by other processes sharing the frames are not data races.
        unsafe {
            core::slice::from_raw_parts(self.addr as *const AtomicU32, self.len / WORD)
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where it is mapped in this process.
    pub fn addr(&self) -> usize {
        self.addr
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let _ = sys::munmap(self.addr, self.len);
    }
}

/// The shared-memory round trip (`pingpong shm ROUNDS`, `bench`'s `shm_round_trip`):
/// a parent and a forked child hand one word of a segment back and forth `rounds`
/// times, each turn one `FUTEX_WAKE_WAIT` (wake the other side, sleep until it
/// answers), so a round trip is two calls and two context switches. The word holds
/// whose turn it is: 0 the parent's, 1 the child's, 2 "stop". The segment is unlinked
/// as soon as both have it mapped, so nothing is left behind whatever happens.
pub fn ping_pong(rounds: u32) -> Result<()> {
    use crate::process::{self, Fork};
    let name = alloc::format!("/pingpong.{}", sys::getpid()?);
    let map = {
        let seg = Segment::create(&name, 4096, 0o600)?;
        let map = seg.map();
        unlink(&name)?;
        map?
    };
    let turn = &map.words()[0];
    let wait_while = |v: u32| {
        while turn.load(core::sync::atomic::Ordering::Acquire) == v {
            let _ = sys::futex(turn, FUTEX_WAIT, v, FUTEX_FOREVER);
        }
    };
    let hand_over = |to: u32| {
        turn.store(to, core::sync::atomic::Ordering::Release);
        let _ = sys::futex(turn, FUTEX_WAKE_WAIT, to, FUTEX_FOREVER);
        // Woken, or the other side answered before this side slept, or spuriously.
        while turn.load(core::sync::atomic::Ordering::Acquire) == to {
            let _ = sys::futex(turn, FUTEX_WAIT, to, FUTEX_FOREVER);
        }
    };
    match process::fork()? {
        Fork::Child => {
            wait_while(0);
            while turn.load(core::sync::atomic::Ordering::Acquire) == 1 {
                hand_over(0);
            }
            sys::exit(0)
        }
        Fork::Parent(pid) => {
            for _ in 0..rounds {
                hand_over(1);
            }
            turn.store(2, core::sync::atomic::Ordering::Release);
            let _ = sys::futex(turn, FUTEX_WAKE, 1, 0);
            let (_, status) = process::waitpid(pid as i64, 0)?.ok_or(crate::Errno::ECHILD)?;
            if status.0 != 0 {
                return Err(crate::Errno::EIO);
            }
            Ok(())
        }
    }
}
