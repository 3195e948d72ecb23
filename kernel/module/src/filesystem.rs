//! A file-system type provided by a module: the kernel's `vfs::FileSystem` over the
//! module's callbacks (chapter 2 section 7: the module plugs into the same
//! file-system-type registry, `fsys::register_fs_type`, that tmpfs and ext2 use).
//!
//! The module gives three entry points (`kapi::fs::FsTypeOps`): `mount` makes an
//! instance from the mount's source, `unmount` drops it, and `op` answers one
//! [`Request`] (an operation code, its arguments, room for the answer), on the
//! kernel's stack. [`ModuleFs`] is one mount: each `FileSystem` method fills a
//! request and calls `op`; what comes back is checked (a read may not claim more than
//! its buffer, a name must fit its room) before the VFS sees it. The VFS keeps a
//! module's files in the page cache like any other: [`FileSystem::read`] fills it, and
//! because this file system stores what is written transformed, it says so
//! ([`FileSystem::transforms_writes`]) and the VFS reads the written pages back
//! instead of copying the writer's bytes into them.
//!
//! While a mount lives, its type's record counts it ([`FsType::mounts`]): that is the
//! module's use count `rmmod` checks. A mount can start between that check and the
//! type's removal only if the factory saw the type alive, and then the removal sees
//! the count (both sides store, then read the other's word, sequentially consistent).

use abi::{Errno, Stat};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use vfs::{DirEntry, FsStat, NodeKind, Result};

/// The longest name a module's directory entry may have (the VFS's).
const NAME_MAX: usize = 255;

/// `kapi::fs::op`.
mod op {
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

/// `kapi::fs::Request`, field for field.
#[repr(C)]
#[derive(Default)]
struct Request {
    op: u32,
    perm: u32,
    uid: u32,
    gid: u32,
    ino: u64,
    name: u64,
    name_len: usize,
    ino2: u64,
    name2: u64,
    name2_len: usize,
    off: u64,
    buf: u64,
    len: usize,
    stat: Stat,
}

/// A registered type: the module's entry points and its mounts.
pub struct FsType {
    pub name: String,
    ctx: u64,
    mount: u64,
    unmount: u64,
    op: u64,
    /// Mounts of it now (and mounts being made).
    mounts: AtomicUsize,
    /// False once it is being removed: no new mount starts.
    alive: AtomicBool,
}

impl FsType {
    pub fn new(name: &str, ctx: u64, mount: u64, unmount: u64, op: u64) -> Arc<FsType> {
        Arc::new(FsType {
            name: String::from(name),
            ctx,
            mount,
            unmount,
            op,
            mounts: AtomicUsize::new(0),
            alive: AtomicBool::new(true),
        })
    }

    /// Its entry points, for the loader's check that they are the module's text.
    pub fn entries(&self) -> [u64; 3] {
        [self.mount, self.unmount, self.op]
    }

    /// Mounts of it now.
    pub fn mounts(&self) -> usize {
        self.mounts.load(Ordering::SeqCst)
    }

    /// Make it the registry's type `name` (`mount -t`).
    pub fn register(self: &Arc<FsType>) -> Result<()> {
        let ty = self.clone();
        fsys::register_fs_type(&self.name, Arc::new(move |src: &str| ty.make(src)))
    }

    /// Take it out of the registry and stop new mounts: EBUSY (and nothing changed)
    /// while it is mounted.
    pub fn retire(self: &Arc<FsType>) -> Result<()> {
        match fsys::unregister_fs_type(&self.name) {
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        self.alive.store(false, Ordering::SeqCst);
        if self.mounts() != 0 {
            // A mount got in between the check and the removal: the type stays.
            self.revive();
            return Err(Errno::EBUSY);
        }
        Ok(())
    }

    /// Put a retired type back (a removal refused after it was retired).
    pub fn revive(self: &Arc<FsType>) {
        self.alive.store(true, Ordering::SeqCst);
        let _ = self.register();
    }

    /// The factory: one mount of this type.
    fn make(self: &Arc<FsType>, src: &str) -> Result<Box<dyn vfs::FileSystem>> {
        self.mounts.fetch_add(1, Ordering::SeqCst);
        let made = self.mount_instance(src);
        if made.is_err() {
            self.mounts.fetch_sub(1, Ordering::SeqCst);
        }
        made
    }

    fn mount_instance(self: &Arc<FsType>, src: &str) -> Result<Box<dyn vfs::FileSystem>> {
        if !self.alive.load(Ordering::SeqCst) {
            return Err(Errno::ENODEV);
        }
        let mut inst = 0u64;
        let args = [
            self.ctx,
            src.as_ptr() as u64,
            src.len() as u64,
            &mut inst as *mut u64 as u64,
            0,
            0,
        ];
        let r = hal::module::call(self.mount, args).ok_or(Errno::ENODEV)? as i64;
        if r < 0 {
            return Err(Errno::from_code(-r as i32).unwrap_or(Errno::EINVAL));
        }
        let mut fs = ModuleFs {
            ty: self.clone(),
            inst,
            root: 0,
        };
        fs.root = fs.call(&mut req(op::ROOT, 0))?;
        Ok(Box::new(fs))
    }
}

fn req(op: u32, ino: u64) -> Request {
    Request {
        op,
        ino,
        ..Request::default()
    }
}

fn with_name(mut r: Request, name: &[u8]) -> Request {
    r.name = name.as_ptr() as u64;
    r.name_len = name.len();
    r
}

/// One mount of a module's file system.
pub struct ModuleFs {
    ty: Arc<FsType>,
    inst: u64,
    root: u64,
}

impl ModuleFs {
    /// Ask the module; a value, or its errno.
    fn call(&mut self, r: &mut Request) -> Result<u64> {
        let v = hal::module::call(
            self.ty.op,
            [self.inst, r as *mut Request as u64, 0, 0, 0, 0],
        )
        .ok_or(Errno::EIO)? as i64;
        match v {
            v if v < 0 => Err(Errno::from_code(-v as i32).unwrap_or(Errno::EIO)),
            v => Ok(v as u64),
        }
    }

    fn name_op(&mut self, op: u32, dir: u64, name: &[u8]) -> Result<u64> {
        self.call(&mut with_name(req(op, dir), name))
    }

    fn make_node(
        &mut self,
        op: u32,
        dir: u64,
        name: &[u8],
        perm: u32,
        uid: u32,
        gid: u32,
    ) -> Result<u64> {
        let mut r = with_name(req(op, dir), name);
        (r.perm, r.uid, r.gid) = (perm, uid, gid);
        self.call(&mut r)
    }

    /// A transfer of `len` bytes at `buf`: the count, never more than asked.
    fn transfer(&mut self, op: u32, ino: u64, off: u64, buf: u64, len: usize) -> Result<usize> {
        let mut r = req(op, ino);
        (r.off, r.buf, r.len) = (off, buf, len);
        match self.call(&mut r)? as usize {
            n if n > len => Err(Errno::EIO),
            n => Ok(n),
        }
    }
}

impl Drop for ModuleFs {
    fn drop(&mut self) {
        let _ = hal::module::call(self.ty.unmount, [self.inst, 0, 0, 0, 0, 0]);
        self.ty.mounts.fetch_sub(1, Ordering::SeqCst);
    }
}

impl vfs::FileSystem for ModuleFs {
    fn name(&self) -> &str {
        &self.ty.name
    }
    fn read_only(&self) -> bool {
        false
    }
    fn root(&self) -> u64 {
        self.root
    }
    fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64> {
        self.name_op(op::LOOKUP, dir, name)
    }
    fn create(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64> {
        self.make_node(op::CREATE, dir, name, perm, uid, gid)
    }
    fn mkdir(&mut self, dir: u64, name: &[u8], perm: u32, uid: u32, gid: u32) -> Result<u64> {
        self.make_node(op::MKDIR, dir, name, perm, uid, gid)
    }
    fn symlink(&mut self, _: u64, _: &[u8], _: &[u8], _: u32, _: u32) -> Result<u64> {
        Err(Errno::EPERM)
    }
    fn link(&mut self, _: u64, _: u64, _: &[u8]) -> Result<()> {
        Err(Errno::EPERM)
    }
    fn unlink(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        self.name_op(op::UNLINK, dir, name).map(|_| ())
    }
    fn rmdir(&mut self, dir: u64, name: &[u8]) -> Result<()> {
        self.name_op(op::RMDIR, dir, name).map(|_| ())
    }
    fn rename(&mut self, odir: u64, oname: &[u8], ndir: u64, nname: &[u8]) -> Result<()> {
        let mut r = with_name(req(op::RENAME, odir), oname);
        (r.ino2, r.name2, r.name2_len) = (ndir, nname.as_ptr() as u64, nname.len());
        self.call(&mut r).map(|_| ())
    }
    fn readlink(&mut self, _: u64) -> Result<Vec<u8>> {
        Err(Errno::EINVAL)
    }
    fn read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> Result<usize> {
        self.transfer(op::READ, ino, off, buf.as_mut_ptr() as u64, buf.len())
    }
    fn write(&mut self, ino: u64, off: u64, data: &[u8]) -> Result<usize> {
        self.transfer(op::WRITE, ino, off, data.as_ptr() as u64, data.len())
    }
    fn truncate(&mut self, ino: u64, size: u64) -> Result<()> {
        let mut r = req(op::TRUNCATE, ino);
        r.off = size;
        self.call(&mut r).map(|_| ())
    }
    fn stat(&mut self, ino: u64) -> Result<Stat> {
        let mut r = req(op::STAT, ino);
        self.call(&mut r)?;
        let mut st = r.stat;
        st.ino = ino;
        Ok(st)
    }
    fn read_dir_at(&mut self, dir: u64, pos: u64) -> Result<Option<(DirEntry, u64)>> {
        let mut name = vec![0u8; NAME_MAX];
        let mut r = req(op::READDIR, dir);
        (r.off, r.buf, r.len) = (pos, name.as_mut_ptr() as u64, name.len());
        if self.call(&mut r)? == 0 {
            return Ok(None);
        }
        let len = r.stat.size as usize;
        if len == 0 || len > name.len() || r.stat.blocks <= pos {
            return Err(Errno::EIO); // a name that does not fit, or a position not moving on
        }
        name.truncate(len);
        let kind = NodeKind::from_stat(&r.stat);
        Ok(Some((
            DirEntry {
                ino: r.stat.ino,
                name,
                kind,
            },
            r.stat.blocks,
        )))
    }
    fn statfs(&mut self) -> FsStat {
        let mut r = req(op::STATFS, 0);
        let _ = self.call(&mut r);
        let used = r.stat.size.div_ceil(4096);
        FsStat {
            block_size: 4096,
            blocks: used,
            free_blocks: 0,
            avail_blocks: 0,
            files: r.stat.nlink as u64,
            free_files: 0,
            name_max: NAME_MAX as u32,
        }
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    fn pin(&mut self, ino: u64) {
        let _ = self.call(&mut req(op::PIN, ino));
    }
    fn unpin(&mut self, ino: u64) -> Result<()> {
        self.call(&mut req(op::UNPIN, ino)).map(|_| ())
    }
    fn set_mode(&mut self, ino: u64, perm: u32) -> Result<()> {
        let mut r = req(op::SET_MODE, ino);
        r.perm = perm;
        self.call(&mut r).map(|_| ())
    }
    fn transforms_writes(&self) -> bool {
        true
    }
}
