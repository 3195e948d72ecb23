//! Named shared-memory segments (`shm_open`, `ftruncate`, `mmap`, `shm_unlink`):
//! chapter 2's second model of communication, memory that two processes both map.
//!
//! A segment is a file-like object whose pages are anonymous frames: it has a name
//! in one flat table of its own (POSIX names are `/name`, with no directories), an
//! owner and permission bits checked by the one rule in `cred`, and a size set with
//! `ftruncate`. A descriptor opened on it is an ordinary open file; `mmap` of that
//! descriptor is a file mapping (`mm::filemap`) whose [`Pager`] is the segment, so
//! every process that maps it, with `MAP_SHARED`, maps the same frames, and `fork`
//! keeps them shared as it keeps every shared file mapping.
//!
//! The design decisions:
//! - A page gets its frame (zeroed) on the first touch of any process, or the first
//!   `write`; the segment holds one share of each frame and each mapping of a page
//!   another (the frame's share count), so a frame is freed only when nobody has it.
//! - The segment itself is reference counted: the name table (until `shm_unlink`),
//!   each open file and each mapping hold it. The last of them to go frees the
//!   frames, which is how "unlink, then the last close and the last unmap" gives the
//!   memory back without anyone tracking it.
//! - A segment made smaller gives up the frames past its new end, and `ftruncate` takes
//!   those pages away from every process that maps them (`AddressSpace::drop_file_pages`,
//!   as Linux does): a later touch is SIGBUS, and the frames are freed. A segment
//!   *sealed* against shrinking (`SHMIOADDSEALS` with `SHM_SEAL_SHRINK`, Linux's
//!   memfd `F_SEAL_SHRINK`) refuses that with EPERM forever after: a server that
//!   maps a client's segment (wsd) seals it first and then checks its size, and the
//!   client can no longer make the server's reads a SIGBUS.
//!
//! Chosen over a tmpfs on `/dev/shm`: `/dev` is a flat devfs with no directories to
//! mount on, and tmpfs keeps a file's bytes in the heap *and* its page-cache frames,
//! so a segment would cost its size twice and the frames could be written back and
//! evicted while unmapped; here a segment is its frames and nothing else.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use abi::flags::*;
use abi::{Errno, Stat};
use cred::{permits, Access, Credentials};
use hal::addr::{PhysAddr, PAGE_SIZE};
use hal::sync::SpinLock;
use mm::{Pager, VmError};

use crate::fileobj::{FileObject, Mapping};
use crate::openfile::OpenFile;

/// The largest segment: 256 MiB (a bound on the page table kept for it).
pub const MAX_SIZE: u64 = 256 << 20;

/// One segment.
pub struct Segment {
    ino: u64,
    uid: u32,
    gid: u32,
    /// Permission bits (`0o7777` of the mode).
    perm: SpinLock<u32>,
    state: SpinLock<Pages>,
    ctime: i64,
}

/// A segment's size and frames.
struct Pages {
    size: u64,
    /// One slot per page of `size`; `None` until the page is first touched.
    frames: Vec<Option<PhysAddr>>,
    /// `SHM_SEAL_*` bits: only ever added.
    seals: u32,
    mtime: i64,
}

/// The name table: POSIX's flat namespace of segments.
static NAMES: SpinLock<BTreeMap<Vec<u8>, Arc<Segment>>> = SpinLock::new(BTreeMap::new());
static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// The segment name `name` stands for: one leading `/` is allowed, no other, and
/// neither `.` nor `..`.
fn key(name: &[u8]) -> Result<&[u8], Errno> {
    let n = name.strip_prefix(b"/").unwrap_or(name);
    if n.len() > SHM_NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if n.is_empty() || n == b"." || n == b".." || n.contains(&b'/') || n.contains(&0) {
        return Err(Errno::EINVAL);
    }
    Ok(n)
}

fn pages_for(size: u64) -> usize {
    size.div_ceil(PAGE_SIZE) as usize
}

impl Segment {
    fn new(uid: u32, gid: u32, perm: u32) -> Segment {
        let now = drivers::rtc::now();
        Segment {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            uid,
            gid,
            perm: SpinLock::new(perm & 0o7777),
            state: SpinLock::new(Pages {
                size: 0,
                frames: Vec::new(),
                seals: 0,
                mtime: now,
            }),
            ctime: now,
        }
    }

    fn may(&self, cred: &Credentials, want: Access) -> bool {
        permits(cred, self.uid, self.gid, S_IFREG | *self.perm.lock(), want)
    }

    /// Make the segment `size` bytes long; new pages read as zeros.
    pub fn resize(&self, size: u64) -> Result<(), Errno> {
        if size > MAX_SIZE {
            return Err(Errno::EFBIG);
        }
        let gone = {
            let mut s = self.state.lock();
            if s.seals & SHM_SEAL_SHRINK != 0 && size < s.size {
                return Err(Errno::EPERM);
            }
            let n = pages_for(size);
            let gone = if n < s.frames.len() {
                s.frames.split_off(n)
            } else {
                let more = n - s.frames.len();
                s.frames.try_reserve(more).map_err(|_| Errno::ENOMEM)?;
                s.frames.resize(n, None);
                Vec::new()
            };
            // The tail of a last page that stays: zero past the new end, so growing
            // again reads zeros there.
            if let Some(Some(f)) = s.frames.last() {
                let off = (size % PAGE_SIZE) as usize;
                if off != 0 && size < s.size {
                    let zeros = [0u8; 512];
                    let mut at = off;
                    while at < PAGE_SIZE as usize {
                        let k = zeros.len().min(PAGE_SIZE as usize - at);
                        hal::paging::write_frame(*f, at, &zeros[..k]);
                        at += k;
                    }
                }
            }
            s.size = size;
            s.mtime = drivers::rtc::now();
            gone
        };
        for f in gone.into_iter().flatten() {
            mm::frames::release(f);
        }
        Ok(())
    }

    /// The frame of page `index`, given one now if it has none; BeyondEnd past the
    /// end. The caller gets no hold of its own (the segment's state lock is held).
    fn frame(s: &mut Pages, index: usize) -> Result<PhysAddr, VmError> {
        let slot = s.frames.get_mut(index).ok_or(VmError::BeyondEnd)?;
        match *slot {
            Some(f) => Ok(f),
            None => {
                let f = mm::frames::alloc_frame().ok_or(VmError::NoMemory)?;
                hal::paging::zero_frame(f);
                *slot = Some(f);
                Ok(f)
            }
        }
    }

    /// Bytes `[off, off + buf.len())` into `buf`, up to the end: how many.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> usize {
        let s = self.state.lock();
        let end = s.size.min(off.saturating_add(buf.len() as u64));
        let mut at = off;
        while at < end {
            let index = (at / PAGE_SIZE) as usize;
            let po = (at % PAGE_SIZE) as usize;
            let n = ((PAGE_SIZE as usize - po) as u64).min(end - at) as usize;
            let dst = &mut buf[(at - off) as usize..][..n];
            match s.frames[index] {
                Some(f) => hal::paging::read_frame(f, po, dst),
                None => dst.fill(0),
            }
            at += n as u64;
        }
        end.saturating_sub(off) as usize
    }

    /// Write `data` at `off`, growing the segment if it ends past the end.
    fn write_at(&self, off: u64, data: &[u8]) -> Result<usize, Errno> {
        let end = off.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        if end > self.state.lock().size {
            self.resize(end)?;
        }
        let mut s = self.state.lock();
        let mut at = off;
        while at < end {
            let index = (at / PAGE_SIZE) as usize;
            let po = (at % PAGE_SIZE) as usize;
            let n = ((PAGE_SIZE as usize - po) as u64).min(end - at) as usize;
            let f = Self::frame(&mut s, index).map_err(|_| Errno::ENOMEM)?;
            hal::paging::write_frame(f, po, &data[(at - off) as usize..][..n]);
            at += n as u64;
        }
        s.mtime = drivers::rtc::now();
        Ok(data.len())
    }

    fn size(&self) -> u64 {
        self.state.lock().size
    }
}

impl Pager for Segment {
    fn page(&self, index: u64) -> Result<PhysAddr, VmError> {
        let mut s = self.state.lock();
        let f = Self::frame(
            &mut s,
            usize::try_from(index).map_err(|_| VmError::BeyondEnd)?,
        )?;
        mm::frames::share(f); // the mapping's hold
        Ok(f)
    }

    fn dirtied(&self, _index: u64) {
        // Nothing to write back: the frames are the segment.
    }

    fn sync(&self) -> Result<(), VmError> {
        Ok(())
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        let frames = core::mem::take(&mut self.state.lock().frames);
        for f in frames.into_iter().flatten() {
            mm::frames::release(f);
        }
    }
}

/// An open segment: what a descriptor from `shm_open` refers to.
pub struct SegmentFile(pub Arc<Segment>);

impl FileObject for SegmentFile {
    fn read(&self, pos: &mut u64, buf: &mut [u8], _nonblock: bool) -> Result<usize, Errno> {
        let n = self.0.read_at(*pos, buf);
        *pos += n as u64;
        Ok(n)
    }

    fn write(&self, pos: &mut u64, data: &[u8], _nonblock: bool) -> Result<usize, Errno> {
        let n = self.0.write_at(*pos, data)?;
        *pos += n as u64;
        Ok(n)
    }

    fn has_position(&self) -> bool {
        true
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        Ok(self.0.read_at(off, buf))
    }

    fn write_at(&self, off: u64, data: &[u8]) -> Result<usize, Errno> {
        self.0.write_at(off, data)
    }

    fn size(&self) -> Result<u64, Errno> {
        Ok(self.0.size())
    }

    fn stat(&self) -> Result<Stat, Errno> {
        let seg = &self.0;
        let (size, mtime, resident) = {
            let s = seg.state.lock();
            let resident = s.frames.iter().filter(|f| f.is_some()).count() as u64;
            (s.size, s.mtime, resident)
        };
        let named = NAMES.lock().values().any(|s| Arc::ptr_eq(s, seg));
        Ok(Stat {
            dev: 0,
            ino: seg.ino,
            mode: S_IFREG | *seg.perm.lock(),
            nlink: named as u32,
            uid: seg.uid,
            gid: seg.gid,
            rdev: 0,
            size,
            blksize: PAGE_SIZE,
            blocks: resident * (PAGE_SIZE / 512),
            atime: mtime,
            mtime,
            ctime: seg.ctime,
        })
    }

    fn mmap(&self, _offset: u64, _len: u64) -> Result<Mapping, Errno> {
        Ok(Mapping {
            pager: self.0.clone(),
        })
    }

    fn truncate(&self, size: u64) -> Result<(), Errno> {
        self.0.resize(size)
    }

    fn ioctl(&self, req: crate::Ioctl) -> Result<crate::IoctlReply, Errno> {
        let mut s = self.0.state.lock();
        match req {
            crate::Ioctl::AddSeals(bits) if bits & !SHM_SEAL_SHRINK == 0 => {
                s.seals |= bits;
                Ok(crate::IoctlReply::None)
            }
            crate::Ioctl::AddSeals(_) => Err(Errno::EINVAL),
            crate::Ioctl::GetSeals => Ok(crate::IoctlReply::U32(s.seals)),
            _ => Err(Errno::ENOTTY),
        }
    }
}

/// `shm_open`: the segment `name` opened with `flags` (`O_RDONLY` or `O_RDWR`, and
/// `O_CREAT`, `O_EXCL`, `O_TRUNC`) as `cred` may; `mode` gives a new segment's
/// permission bits (the umask already taken away). A new segment is owned by the
/// caller's effective ids and is empty.
pub fn shm_open(
    cred: &Credentials,
    name: &[u8],
    flags: u32,
    mode: u32,
) -> Result<Arc<OpenFile>, Errno> {
    let name = key(name)?;
    let acc = flags & O_ACCMODE;
    if acc == O_WRONLY || acc == O_ACCMODE {
        return Err(Errno::EINVAL);
    }
    let want = if acc == O_RDWR {
        Access {
            r: true,
            w: true,
            x: false,
        }
    } else {
        Access::READ
    };
    let seg = {
        let mut names = NAMES.lock();
        match names.get(name) {
            Some(_) if flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL => {
                return Err(Errno::EEXIST);
            }
            Some(seg) => {
                if !seg.may(cred, want) {
                    return Err(Errno::EACCES);
                }
                seg.clone()
            }
            None if flags & O_CREAT == 0 => return Err(Errno::ENOENT),
            None => {
                let seg = Arc::new(Segment::new(cred.euid, cred.egid, mode));
                names.insert(Vec::from(name), seg.clone());
                seg
            }
        }
    };
    if flags & O_TRUNC != 0 && acc == O_RDWR {
        seg.resize(0)?;
    }
    OpenFile::new(Arc::new(SegmentFile(seg)), flags & (O_ACCMODE | O_NONBLOCK))
}

/// `shm_unlink`: remove the name `name`. The segment lives on while it is open or
/// mapped. Only its owner (or a process acting as every owner) may remove it, as in
/// Linux's sticky `/dev/shm`.
pub fn shm_unlink(cred: &Credentials, name: &[u8]) -> Result<(), Errno> {
    let name = key(name)?;
    let mut names = NAMES.lock();
    let seg = names.get(name).ok_or(Errno::ENOENT)?;
    if !cred.owns(seg.uid) && !cred::capable(cred, cred::Capability::Fowner) {
        return Err(Errno::EACCES);
    }
    let gone = names.remove(name);
    drop(names);
    drop(gone); // perhaps the last holder: frames freed without the table locked
    Ok(())
}

/// How many segments have names now (for the tests).
pub fn named_segments() -> usize {
    NAMES.lock().len()
}
