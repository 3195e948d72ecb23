//! File-system types from modules: the module side of `kapi_register_fs` (chapter 2
//! section 7, "modules": a file system plugged into the same registry `mount -t`
//! asks as the built-in ones).
//!
//! A module implements [`FileSystemType`] (how to mount one, from the mount's source
//! string) and [`FileSystem`] (one mounted instance: about a dozen inode-number
//! calls, the same shape as the kernel's `vfs::FileSystem`), and registers the type
//! with [`register_fs`]. The kernel calls back through one trampoline per type,
//! [`op_tramp`], with a [`Request`] (`repr(C)`, on the kernel's stack) saying which
//! operation and its arguments, and the answer written into it. The design decision:
//! one entry point and a request record rather than a function per operation keeps
//! the exported interface (and its checks on the kernel side) small, as a message to
//! a server would (`ufsd` does the same over ports).

use crate::{result, Errno};
use abi::Stat;
use alloc::boxed::Box;

/// The operations of a [`Request`] (`Request::op`).
pub mod op {
    pub const ROOT: u32 = 0;
    pub const LOOKUP: u32 = 1;
    pub const CREATE: u32 = 2;
    pub const MKDIR: u32 = 3;
    pub const UNLINK: u32 = 4;
    pub const RMDIR: u32 = 5;
    pub const RENAME: u32 = 6;
    pub const READ: u32 = 7;
    pub const WRITE: u32 = 8;
    pub const TRUNCATE: u32 = 9;
    pub const STAT: u32 = 10;
    pub const READDIR: u32 = 11;
    pub const STATFS: u32 = 12;
    pub const PIN: u32 = 13;
    pub const UNPIN: u32 = 14;
    pub const SET_MODE: u32 = 15;
}

/// One call from the kernel into a mounted file system. Which fields mean something
/// depends on `op`; the answer is the trampoline's return value (a count, an inode
/// number, a position, or `-errno`) and, for STAT, READDIR and STATFS, `stat`.
#[repr(C)]
pub struct Request {
    pub op: u32,
    /// Permission bits (CREATE, MKDIR, SET_MODE), owner and group (CREATE, MKDIR).
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    /// The node (or directory) the operation is on.
    pub ino: u64,
    /// A name in `ino` (LOOKUP, CREATE, MKDIR, UNLINK, RMDIR, RENAME's old name).
    pub name: *const u8,
    pub name_len: usize,
    /// RENAME's new directory and name.
    pub ino2: u64,
    pub name2: *const u8,
    pub name2_len: usize,
    /// READ/WRITE offset, TRUNCATE size, READDIR position.
    pub off: u64,
    /// READ's destination, WRITE's source, READDIR's name (out), each of `len` bytes.
    pub buf: *mut u8,
    pub len: usize,
    /// STAT's attributes; READDIR's entry (`ino`, `mode`'s type bits, `size` = the
    /// name's length, `blocks` = the next position); STATFS's totals (`size` = bytes
    /// in use, `nlink` = nodes).
    pub stat: Stat,
}

/// What a mounted file system does; the kernel calls it with its file tree held, one
/// call at a time per mount (hence `&mut self`).
pub trait FileSystem: Send + 'static {
    fn root(&self) -> u64;
    fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64, Errno>;
    fn create(
        &mut self,
        dir: u64,
        name: &[u8],
        perm: u32,
        uid: u32,
        gid: u32,
    ) -> Result<u64, Errno>;
    fn mkdir(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32)
        -> Result<u64, Errno>;
    fn unlink(&mut self, dir: u64, name: &[u8]) -> Result<(), Errno>;
    fn rmdir(&mut self, dir: u64, name: &[u8]) -> Result<(), Errno>;
    fn rename(&mut self, odir: u64, oname: &[u8], ndir: u64, nname: &[u8]) -> Result<(), Errno>;
    fn read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    fn write(&mut self, ino: u64, off: u64, data: &[u8]) -> Result<usize, Errno>;
    fn truncate(&mut self, ino: u64, size: u64) -> Result<(), Errno>;
    fn stat(&mut self, ino: u64) -> Result<Stat, Errno>;
    /// The entry at or after position `pos` of `dir`, its name copied into `name`
    /// (returning its length), and the position after it; `None` at the end.
    fn read_dir(
        &mut self,
        dir: u64,
        pos: u64,
        name: &mut [u8],
    ) -> Result<Option<(u64, u32, usize, u64)>, Errno>;
    /// Bytes in use and nodes.
    fn statfs(&mut self) -> (u64, u64);
    /// An open file's node must outlive its last name until `unpin`.
    fn pin(&mut self, _ino: u64) {}
    fn unpin(&mut self, _ino: u64) {}
    fn set_mode(&mut self, _ino: u64, _perm: u32) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
}

/// A kind of file system: `mount -t NAME SOURCE DIR` makes one with [`mount`](Self::mount).
pub trait FileSystemType: Sync + 'static {
    type Fs: FileSystem;
    fn mount(&self, source: &str) -> Result<Self::Fs, Errno>;
}

/// What `kapi_register_fs` is given: the type and its three entry points.
#[repr(C)]
pub struct FsTypeOps {
    pub ctx: *const (),
    /// `mount(ctx, source, len, &mut instance) -> 0 or -errno`.
    pub mount: extern "C" fn(*const (), *const u8, usize, *mut u64) -> i64,
    /// `unmount(instance)`: the instance is dropped.
    pub unmount: extern "C" fn(u64),
    /// `op(instance, &mut Request) -> value or -errno`.
    pub op: extern "C" fn(u64, *mut Request) -> i64,
}

fn ret<T: Into<u64>>(r: Result<T, Errno>) -> i64 {
    match r {
        Ok(v) => v.into() as i64,
        Err(e) => -(e.code() as i64),
    }
}

extern "C" fn mount_tramp<T: FileSystemType>(
    ctx: *const (),
    src: *const u8,
    len: usize,
    out: *mut u64,
) -> i64 {
    // SAFETY: `ctx` is the `&'static T` given to register_fs; the kernel passes `len`
    // bytes of UTF-8 (it checked) at `src` and a word to write at `out`, all live for
    // the call.
    let (ty, src) = unsafe {
        (
            &*(ctx as *const T),
            core::str::from_utf8_unchecked(core::slice::from_raw_parts(src, len)),
        )
    };
    match ty.mount(src) {
        Ok(fs) => {
            let inst = Box::into_raw(Box::new(fs)) as u64;
            // SAFETY: see above.
            unsafe { *out = inst };
            0
        }
        Err(e) => -(e.code() as i64),
    }
}

extern "C" fn unmount_tramp<T: FileSystemType>(inst: u64) {
    // SAFETY: `inst` is what mount_tramp::<T> made with Box::into_raw; the kernel gives
    // it back once, at unmount, after its last request.
    drop(unsafe { Box::from_raw(inst as *mut T::Fs) });
}

/// The one entry point of a mounted file system of type `T`.
extern "C" fn op_tramp<T: FileSystemType>(inst: u64, req: *mut Request) -> i64 {
    // SAFETY: `inst` is a live instance of mount_tramp::<T>, used by one request at a
    // time (the kernel's file tree is held); `req` is the kernel's request record, and
    // its pointers are to `name_len`/`name2_len`/`len` bytes live for the call (`buf`
    // writable for READ and READDIR, nothing else using it).
    let (fs, r) = unsafe { (&mut *(inst as *mut T::Fs), &mut *req) };
    // SAFETY: as above, for each pointer the operation uses.
    let name = || unsafe { core::slice::from_raw_parts(r.name, r.name_len) };
    let (ino, off) = (r.ino, r.off);
    match r.op {
        op::ROOT => fs.root() as i64,
        op::LOOKUP => ret(fs.lookup(ino, name())),
        op::CREATE => ret(fs.create(ino, name(), r.perm, r.uid, r.gid)),
        op::MKDIR => ret(fs.mkdir(ino, name(), r.perm, r.uid, r.gid)),
        op::UNLINK => ret(fs.unlink(ino, name()).map(|_| 0u64)),
        op::RMDIR => ret(fs.rmdir(ino, name()).map(|_| 0u64)),
        op::RENAME => {
            // SAFETY: as above.
            let n2 = unsafe { core::slice::from_raw_parts(r.name2, r.name2_len) };
            ret(fs.rename(ino, name(), r.ino2, n2).map(|_| 0u64))
        }
        op::READ => {
            // SAFETY: as above: `len` writable bytes.
            let buf = unsafe { core::slice::from_raw_parts_mut(r.buf, r.len) };
            ret(fs.read(ino, off, buf).map(|n| n as u64))
        }
        op::WRITE => {
            // SAFETY: as above: `len` readable bytes.
            let data = unsafe { core::slice::from_raw_parts(r.buf as *const u8, r.len) };
            ret(fs.write(ino, off, data).map(|n| n as u64))
        }
        op::TRUNCATE => ret(fs.truncate(ino, off).map(|_| 0u64)),
        op::STAT => match fs.stat(ino) {
            Ok(st) => {
                r.stat = st;
                0
            }
            Err(e) => -(e.code() as i64),
        },
        op::READDIR => {
            // SAFETY: as above: `len` writable bytes for the name.
            let buf = unsafe { core::slice::from_raw_parts_mut(r.buf, r.len) };
            match fs.read_dir(ino, off, buf) {
                Ok(Some((ino, mode, len, next))) => {
                    r.stat.ino = ino;
                    r.stat.mode = mode;
                    r.stat.size = len as u64;
                    r.stat.blocks = next;
                    1
                }
                Ok(None) => 0,
                Err(e) => -(e.code() as i64),
            }
        }
        op::STATFS => {
            let (bytes, nodes) = fs.statfs();
            r.stat.size = bytes;
            r.stat.nlink = nodes as u32;
            0
        }
        op::PIN => {
            fs.pin(ino);
            0
        }
        op::UNPIN => {
            fs.unpin(ino);
            0
        }
        op::SET_MODE => ret(fs.set_mode(ino, r.perm).map(|_| 0u64)),
        _ => -(Errno::ENOSYS.code() as i64),
    }
}

/// Make `ty` the file-system type `name` (`mount -t NAME`): EEXIST if taken. The
/// kernel takes it away again when the module is removed, which it refuses while a
/// mount of it remains.
pub fn register_fs<T: FileSystemType>(name: &str, ty: &'static T) -> Result<(), Errno> {
    let ops = FsTypeOps {
        ctx: ty as *const T as *const (),
        mount: mount_tramp::<T>,
        unmount: unmount_tramp::<T>,
        op: op_tramp::<T>,
    };
    // SAFETY: `name` and `ops` are live for the call; the kernel copies both.
    result(unsafe { crate::ffi::kapi_register_fs(name.as_ptr(), name.len(), &ops) }).map(|_| ())
}

/// Remove file-system type `name` (EBUSY while it is mounted).
pub fn unregister_fs(name: &str) -> Result<(), Errno> {
    // SAFETY: `name` is live for the call.
    result(unsafe { crate::ffi::kapi_unregister_fs(name.as_ptr(), name.len()) }).map(|_| ())
}
