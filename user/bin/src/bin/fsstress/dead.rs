//! The operations of `fsstress` about lifetimes and boundaries: removing a directory
//! that is still in use, truncating a file that is open but has no name left, and
//! renaming or linking across file systems.
//!
//! A directory removed while it is the working directory (and open) must stay an
//! empty, nameless directory: every name made in it fails with `ENOENT`, `getcwd`
//! and `..` too, and its inode is not reused while it is held. The open descriptors
//! of such directories and files are kept for a while (up to [`HELD`]) while other
//! operations go on, so the kernel allocates inodes while the dead ones are held;
//! the tree walk and e2fsck at the end tell whether anything leaked into them.

use crate::model::Kind;
use crate::ops::Stress;
use crate::{bit, Errs};
use alloc::format;
use alloc::string::String;
use ulib::abi::flags::{O_CREAT, O_RDONLY, O_RDWR, O_WRONLY};
use ulib::fs::File;
use ulib::{sys, Errno};

/// Descriptors of removed directories and files kept open at once.
pub(crate) const HELD: usize = 6;

fn open(path: &str, flags: u32) -> Result<File, Errno> {
    sys::open(path, flags, 0o644).map(|fd| File::from_raw_fd(fd as i32))
}

impl Stress {
    fn hold(&mut self, f: File) {
        if self.held.len() >= HELD {
            let i = self.rng.below(self.held.len() as u64) as usize;
            self.held.swap_remove(i); // closed: the last close frees it
        }
        self.held.push(f);
    }

    /// `cd D; rmdir D`, then try to make a name in it: always `ENOENT`.
    pub(crate) fn op_remove_working_dir(&mut self) -> Result<(), String> {
        let p = self.pick_where(|k| matches!(k, Kind::Dir { .. }));
        let Ok((dir, name)) = self.m.walk_parent(&p) else {
            return Ok(());
        };
        let Some(n) = self.m.lookup_here(dir, name) else {
            return Ok(());
        };
        if !self.m.ents(n).is_some_and(|e| e.is_empty()) {
            return Ok(());
        }
        let name = String::from(name);
        let path = self.real(&p);
        let what = format!("cd {path}; rmdir {path}");
        sys::chdir(&path).map_err(|e| format!("chdir {path}: {e:?}, the model says Ok"))?;
        let r = self.in_removed_dir(&path, dir, &name, n);
        let back = sys::chdir("/");
        r.map_err(|e| format!("{what}: {e}"))?;
        back.map_err(|e| format!("{what}: chdir /: {e:?}"))?;
        Ok(())
    }

    fn in_removed_dir(
        &mut self,
        path: &str,
        dir: usize,
        name: &str,
        n: usize,
    ) -> Result<(), String> {
        let f = open(".", O_RDONLY).map_err(|e| format!("open .: {e:?}"))?;
        let ino = f
            .metadata()
            .map(|m| m.ino())
            .map_err(|e| format!("fstat: {e:?}"))?;
        self.m.detach(dir, name);
        self.inos.remove(&n);
        self.check(&sys::rmdir(path), &Ok(0))
            .map_err(|e| format!("rmdir: {e}"))?;
        let gone: Result<usize, Errs> = Err(bit(Errno::ENOENT));
        let made = match self.rng.below(6) {
            0 => sys::open("x", O_CREAT | O_WRONLY, 0o644),
            1 => sys::mkdir("x", 0o755),
            2 => sys::symlink("zz_nodir/t", "x"),
            3 => sys::open("../x", O_CREAT | O_WRONLY, 0o644),
            4 => {
                let old = self.pick_where(|k| !matches!(k, Kind::Dir { .. }));
                let old = self.real(&old);
                match sys::link(&old, "x") {
                    Err(Errno::EPERM) => Err(Errno::ENOENT), // `old` was a directory
                    r => r,
                }
            }
            _ => {
                let old = self.pick_where(|_| true);
                sys::rename(&self.real(&old), "x")
            }
        };
        self.check(&made, &gone)
            .map_err(|e| format!("making a name in it: {e}"))?;
        self.check(&sys::getcwd(&mut [0u8; 512]), &gone)
            .map_err(|e| format!("getcwd: {e}"))?;
        self.check(&sys::chdir(".."), &gone)
            .map_err(|e| format!("chdir ..: {e}"))?;
        self.check(&sys::getdents(f.as_raw_fd(), &mut [0u8; 256]), &gone)
            .map_err(|e| format!("getdents: {e}"))?;
        let links = f.metadata().map(|m| (m.ino(), m.nlink()));
        self.check(&links, &Ok((ino, 0)))
            .map_err(|e| format!("fstat: {e}"))?;
        self.hold(f);
        Ok(())
    }

    /// Open a file, remove its last name, truncate and write it through the
    /// descriptor, and keep it open for a while.
    pub(crate) fn op_truncate_unlinked(&mut self) -> Result<(), String> {
        let p = self.pick_file();
        let Ok((dir, name)) = self.m.walk_parent(&p) else {
            return Ok(());
        };
        let Some(n) = self.m.lookup_here(dir, name) else {
            return Ok(());
        };
        if self.m.file(n).is_none() || self.m.node(n).names != 1 {
            return Ok(());
        }
        let name = String::from(name);
        let path = self.real(&p);
        let what = format!("open {path}, unlink it, truncate");
        let f = open(&path, O_RDWR).map_err(|e| format!("{what}: open: {e:?}"))?;
        self.m.detach(dir, &name);
        self.inos.remove(&n);
        self.check(&sys::unlink(&path), &Ok(0))
            .map_err(|e| format!("{what}: unlink: {e}"))?;
        let size = self.rng.below(300 * 1024);
        self.check(&f.set_len(size), &Ok(()))
            .map_err(|e| format!("{what}: ftruncate: {e}"))?;
        self.check(&f.write_at(b"tail", size / 2), &Ok(4))
            .map_err(|e| format!("{what}: write: {e}"))?;
        let st = f.metadata().map(|m| (m.len(), m.nlink()));
        self.check(&st, &Ok((size.max(size / 2 + 4), 0)))
            .map_err(|e| format!("{what}: fstat: {e}"))?;
        self.hold(f);
        Ok(())
    }

    /// rename and link onto another file system: `EXDEV`, and nothing changes.
    pub(crate) fn op_cross_mount(&mut self) -> Result<(), String> {
        let p = self.pick_where(|_| true);
        let path = self.real(&p);
        let other = if self.base.starts_with("/tmp") {
            "/fsstress_xdev"
        } else {
            "/tmp/fsstress_xdev"
        };
        let node = self.m.resolve(&p, false);
        let rename_want: Result<usize, Errs> = match &node {
            Ok(_) => Err(bit(Errno::EXDEV)),
            Err(e) => Err(*e),
        };
        self.check(&sys::rename(&path, other), &rename_want)
            .map_err(|e| format!("rename {path} {other}: {e}"))?;
        let link_want: Result<usize, Errs> = match &node {
            Ok(n) if self.m.is_dir(*n) => Err(bit(Errno::EPERM)),
            Ok(_) => Err(bit(Errno::EXDEV)),
            Err(e) => Err(*e),
        };
        self.check(&sys::link(&path, other), &link_want)
            .map_err(|e| format!("link {path} {other}: {e}"))
    }
}
