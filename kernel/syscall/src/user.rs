//! Typed user memory: what a handler holds instead of a raw pointer.
//!
//! A [`UserPtr<T>`] is the address of one `T` in the caller's memory; a [`UserSlice`] /
//! [`UserSliceMut`] is a buffer the call reads from / writes to. None of them is a
//! reference: each copy goes through `proc::uaccess`, which checks the range against
//! the caller's address space *at the moment of the copy* (so a buffer unmapped by
//! another thread in between is `EFAULT`, never a kernel fault). Paths and strings are
//! copied in when the argument is decoded, checked for length and UTF-8.

use crate::arg::{Arg, Kind, Regs};
use abi::types::Pod;
use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use proc::uaccess;

/// Longest path or string argument.
pub const STR_MAX: usize = uaccess::STR_MAX;

/// A buffer in user memory that the call reads.
#[derive(Clone, Copy, Debug)]
pub struct UserSlice {
    addr: u64,
    len: usize,
}

/// A buffer in user memory that the call fills.
#[derive(Clone, Copy, Debug)]
pub struct UserSliceMut {
    addr: u64,
    len: usize,
}

impl UserSlice {
    pub fn new(addr: u64, len: usize) -> UserSlice {
        UserSlice { addr, len }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn addr(&self) -> u64 {
        self.addr
    }
    /// Check the whole buffer is readable without copying it (before a call commits).
    pub fn check(&self) -> Result<(), Errno> {
        uaccess::check_buffer(self.addr, self.len, false)
    }
    /// Copy `out.len()` bytes starting `at` bytes into the buffer.
    pub fn read_at(&self, at: usize, out: &mut [u8]) -> Result<(), Errno> {
        self.within(at, out.len())?;
        uaccess::read_into(self.addr + at as u64, out)
    }
    /// The whole buffer, copied into the kernel (for small buffers).
    pub fn to_vec(&self) -> Result<Vec<u8>, Errno> {
        uaccess::read_bytes(self.addr, self.len)
    }
    fn within(&self, at: usize, n: usize) -> Result<(), Errno> {
        match at.checked_add(n) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Errno::EFAULT),
        }
    }
}

impl UserSliceMut {
    pub fn new(addr: u64, len: usize) -> UserSliceMut {
        UserSliceMut { addr, len }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn addr(&self) -> u64 {
        self.addr
    }
    /// Check the whole buffer is writable without touching it: done before a call
    /// consumes data (a pipe's bytes, a file offset), so a bad buffer loses nothing.
    pub fn check(&self) -> Result<(), Errno> {
        uaccess::check_buffer(self.addr, self.len, true)
    }
    /// Copy `data` to `at` bytes into the buffer.
    pub fn write_at(&self, at: usize, data: &[u8]) -> Result<(), Errno> {
        match at.checked_add(data.len()) {
            Some(end) if end <= self.len => uaccess::write_bytes(self.addr + at as u64, data),
            _ => Err(Errno::EFAULT),
        }
    }
    /// Copy `len` bytes of frame `frame` from `off` to `at` bytes into the buffer.
    pub fn copy_frame_at(
        &self,
        at: usize,
        frame: hal::addr::PhysAddr,
        off: usize,
        len: usize,
    ) -> Result<(), Errno> {
        match at.checked_add(len) {
            Some(end) if end <= self.len => {
                uaccess::copy_frame_out(self.addr + at as u64, frame, off, len)
            }
            _ => Err(Errno::EFAULT),
        }
    }
    /// Copy as much of `data` as fits; the number of bytes copied.
    pub fn write_prefix(&self, data: &[u8]) -> Result<usize, Errno> {
        let n = data.len().min(self.len);
        uaccess::write_bytes(self.addr, &data[..n])?;
        Ok(n)
    }
}

/// A read from the page cache copies straight into the buffer.
/// A buffer as a stream read's destination: the object copies straight into it (see
/// [`files::ByteSink`]); a page that is not there fails the copy, never faults.
impl files::ByteSink for UserSliceMut {
    fn len(&self) -> usize {
        self.len
    }
    #[inline]
    fn put_now(&mut self, at: usize, data: &[u8]) -> bool {
        at.checked_add(data.len())
            .is_some_and(|end| end <= self.len)
            && hal::user::copy_to_user(self.addr + at as u64, data).is_ok()
    }
}

/// A buffer as a stream write's source.
impl files::ByteSource for UserSlice {
    fn len(&self) -> usize {
        self.len
    }
    #[inline]
    fn get_now(&mut self, at: usize, out: &mut [u8]) -> bool {
        at.checked_add(out.len()).is_some_and(|end| end <= self.len)
            && hal::user::copy_from_user(out, self.addr + at as u64).is_ok()
    }
}

impl fsys::pages::PageSink for UserSliceMut {
    #[inline]
    fn copy_now(&mut self, frame: hal::addr::PhysAddr, off: usize, len: usize, at: usize) -> bool {
        at.checked_add(len).is_some_and(|end| end <= self.len)
            && hal::user::copy_frame_to_user(self.addr + at as u64, frame, off, len).is_ok()
    }
    fn copy(
        &mut self,
        frame: hal::addr::PhysAddr,
        off: usize,
        len: usize,
        at: usize,
    ) -> Result<(), Errno> {
        self.copy_frame_at(at, frame, off, len)
    }
}

/// The address of one `T` in user memory (0: none given, for optional arguments).
pub struct UserPtr<T> {
    addr: u64,
    _t: core::marker::PhantomData<T>,
}

impl<T> Clone for UserPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for UserPtr<T> {}

/// A structure that crosses the boundary, with its name for the tracer.
pub trait UserStruct: Pod {
    const NAME: &'static str;
}

impl<T: UserStruct> UserPtr<T> {
    pub fn new(addr: u64) -> Self {
        UserPtr {
            addr,
            _t: core::marker::PhantomData,
        }
    }
    pub fn is_null(&self) -> bool {
        self.addr == 0
    }
    pub fn addr(&self) -> u64 {
        self.addr
    }
    pub fn read(&self) -> Result<T, Errno> {
        uaccess::read_pod(self.addr)
    }
    pub fn write(&self, v: &T) -> Result<(), Errno> {
        uaccess::write_pod(self.addr, v)
    }
    /// Read it if given (`None` for a null pointer).
    pub fn read_opt(&self) -> Result<Option<T>, Errno> {
        if self.is_null() {
            Ok(None)
        } else {
            self.read().map(Some)
        }
    }
    /// Write it if given.
    pub fn write_opt(&self, v: &T) -> Result<(), Errno> {
        if self.is_null() {
            Ok(())
        } else {
            self.write(v)
        }
    }
    /// The `i`-th element of an array of `T` starting here.
    pub fn at(&self, i: usize) -> Result<Self, Errno> {
        let off = (i as u64)
            .checked_mul(T::SIZE as u64)
            .and_then(|o| self.addr.checked_add(o))
            .ok_or(Errno::EFAULT)?;
        Ok(UserPtr::new(off))
    }
}

impl<T: UserStruct> Arg for UserPtr<T> {
    type Value = UserPtr<T>;
    const KIND: Kind = Kind::Struct(T::NAME);
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<Self, Errno> {
        Ok(UserPtr::new(r.take()))
    }
}

macro_rules! user_structs {
    ($($t:ty => $name:literal),* $(,)?) => {
        $(impl UserStruct for $t { const NAME: &'static str = $name; })*
    };
}

user_structs!(
    abi::Stat => "struct stat",
    abi::StatFs => "struct statfs",
    abi::SigAction => "struct sigaction",
    abi::SpawnArgs => "struct spawn_args",
    abi::Timespec => "struct timespec",
    abi::Utsname => "struct utsname",
    abi::SysInfo => "struct sysinfo",
    abi::ProcInfo => "struct procinfo",
    abi::Tms => "struct tms",
    abi::Rlimit => "struct rlimit",
    abi::Rusage => "struct rusage",
    abi::WinSize => "struct winsize",
    abi::FbMode => "struct fb_mode",
    abi::UserStr => "struct user_str",
    abi::PortMsg => "struct port_msg",
    abi::PollFd => "struct pollfd",
    abi::net::SockAddrIn => "struct sockaddr_in",
    abi::net::IfInfo => "struct ifinfo",
    abi::net::SockInfo => "struct sockinfo",
    U32 => "u32",
    U64 => "u64",
    FdPair => "int[2]",
);

/// A `u32` in user memory (ioctl values, wait status).
#[derive(Clone, Copy, Default)]
pub struct U32(pub u32);
/// A `u64` in user memory (a signal mask, a disk size).
#[derive(Clone, Copy, Default)]
pub struct U64(pub u64);
/// The two descriptors `pipe` returns.
#[derive(Clone, Copy, Default)]
pub struct FdPair(pub i32, pub i32);

impl Pod for U32 {
    fn to_bytes(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.0.to_le_bytes());
    }
    fn from_bytes(b: &[u8]) -> Self {
        U32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Pod for U64 {
    fn to_bytes(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.0.to_le_bytes());
    }
    fn from_bytes(b: &[u8]) -> Self {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        U64(u64::from_le_bytes(a))
    }
}

impl Pod for FdPair {
    fn to_bytes(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.0.to_le_bytes());
        out[4..8].copy_from_slice(&self.1.to_le_bytes());
    }
    fn from_bytes(b: &[u8]) -> Self {
        FdPair(
            i32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        )
    }
}

/// Decoder: a path given as pointer and length (the dinos encoding). Non-empty, at
/// most [`STR_MAX`] bytes, UTF-8.
pub struct PathArg;
/// Decoder: a string given as pointer and length (may be empty).
pub struct StrArg;
pub(crate) fn read_str(addr: u64, len: u64) -> Result<String, Errno> {
    uaccess::read_str(addr, len)
}

pub(crate) fn read_path(addr: u64, len: u64) -> Result<String, Errno> {
    let p = uaccess::read_str(addr, len)?;
    if p.is_empty() {
        return Err(Errno::ENOENT);
    }
    Ok(p)
}

/// A list of strings given as a pointer to `count` [`abi::UserStr`] (argv, envp), at
/// most `limit` bytes in all.
pub fn read_str_list(ptr: u64, count: u64, limit: usize) -> Result<Vec<String>, Errno> {
    if count == 0 {
        return Ok(Vec::new());
    }
    uaccess::read_str_list(ptr, count, limit)
}

/// A NUL-terminated string at `addr` (the C convention, which the Linux personality
/// speaks), at most `max` bytes before the NUL (ENAMETOOLONG past that). It is read a
/// page at a time up to the terminator, so a string that ends just before an unmapped
/// page is read, and one that runs into it is EFAULT.
pub fn read_cstr(addr: u64, max: usize) -> Result<String, Errno> {
    // Most strings are paths of a few dozen bytes: a first chunk of 64 bytes that
    // holds the NUL becomes the string with one allocation of its exact size.
    let mut first = [0u8; 64];
    let n = ((4096 - (addr & 4095)) as usize).min(first.len());
    uaccess::read_into(addr, &mut first[..n])?;
    if let Some(end) = first[..n].iter().position(|&b| b == 0) {
        if end > max {
            return Err(Errno::ENAMETOOLONG);
        }
        return String::from_utf8(first[..end].to_vec()).map_err(|_| Errno::EINVAL);
    }
    if n > max {
        return Err(Errno::ENAMETOOLONG);
    }
    let mut out = Vec::with_capacity(2 * n);
    out.extend_from_slice(&first[..n]);
    let mut at = addr.checked_add(n as u64).ok_or(Errno::EFAULT)?;
    loop {
        let room = (4096 - (at & 4095)) as usize;
        let mut chunk = [0u8; 256];
        let n = room.min(chunk.len());
        uaccess::read_into(at, &mut chunk[..n])?;
        if let Some(end) = chunk[..n].iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..end]);
            break;
        }
        out.extend_from_slice(&chunk[..n]);
        if out.len() > max {
            return Err(Errno::ENAMETOOLONG);
        }
        at = at.checked_add(n as u64).ok_or(Errno::EFAULT)?;
    }
    if out.len() > max {
        return Err(Errno::ENAMETOOLONG);
    }
    String::from_utf8(out).map_err(|_| Errno::EINVAL)
}

/// A NULL-terminated array of pointers to NUL-terminated strings (C's `argv`), at most
/// `limit` bytes of strings in all (E2BIG past that). A null `ptr` is an empty list.
pub fn read_cstr_list(ptr: u64, limit: usize) -> Result<Vec<String>, Errno> {
    let mut out = Vec::new();
    if ptr == 0 {
        return Ok(out);
    }
    let mut total = 0usize;
    for i in 0u64.. {
        if i > 4096 {
            return Err(Errno::E2BIG);
        }
        let at = ptr.checked_add(i * 8).ok_or(Errno::EFAULT)?;
        let p = UserPtr::<U64>::new(at).read()?.0;
        if p == 0 {
            break;
        }
        let s = read_cstr(p, limit.saturating_sub(total))?;
        total = total.saturating_add(s.len() + 1);
        if total > limit {
            return Err(Errno::E2BIG);
        }
        out.push(s);
    }
    Ok(out)
}

/// Decoder: a NUL-terminated path (one register). Non-empty (ENOENT), at most
/// [`STR_MAX`] bytes, UTF-8.
pub struct CPath;
/// Decoder: a NUL-terminated string (one register), possibly empty.
pub struct CStr;
/// Decoder: a NULL-terminated array of C strings (argv, envp), at most
/// `proc::exec::ARG_MAX` bytes.
pub struct CStrList;

impl Arg for CPath {
    type Value = String;
    const KIND: Kind = Kind::CPath;
    fn take(r: &mut Regs) -> Result<String, Errno> {
        let p = read_cstr(r.take(), STR_MAX)?;
        if p.is_empty() {
            return Err(Errno::ENOENT);
        }
        Ok(p)
    }
}

impl Arg for CStr {
    type Value = String;
    const KIND: Kind = Kind::CPath;
    fn take(r: &mut Regs) -> Result<String, Errno> {
        read_cstr(r.take(), STR_MAX)
    }
}

impl Arg for CStrList {
    type Value = Vec<String>;
    const KIND: Kind = Kind::CStrList;
    fn take(r: &mut Regs) -> Result<Vec<String>, Errno> {
        read_cstr_list(r.take(), proc::exec::ARG_MAX)
    }
}
