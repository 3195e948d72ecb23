//! The random operations of `fsstress`: each asks the model what should happen,
//! does it, and compares; and the walk that compares the whole tree.

use crate::model::{write_model, Kind, Model, ROOT};
use crate::{agree, bit, Errs, Rng, BUDGET, MAX_DEPTH, MAX_FILE, NAMES};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Debug;
use ulib::abi::flags::{O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use ulib::fs::{self, File, Metadata};
use ulib::io::Write;
use ulib::{sys, Errno};

pub(crate) struct Stress {
    pub(crate) rng: Rng,
    pub(crate) m: Model,
    pub(crate) base: String,
    /// Model node -> inode number seen by `stat` (names of one node share one inode).
    pub(crate) inos: BTreeMap<usize, u64>,
    /// Calls that succeeded, and calls that failed as the model said they would.
    pub(crate) succeeded: u64,
    pub(crate) failed: u64,
    /// Removed directories and files still open (see `dead.rs`).
    pub(crate) held: Vec<File>,
}

/// The whole file through `f`, in reads of whatever size the kernel gives.
fn read_all(f: &File) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16384];
    loop {
        match f.read_at(&mut buf, out.len() as u64)? {
            0 => return Ok(out),
            k => out.extend_from_slice(&buf[..k]),
        }
    }
}

fn open(path: &str, flags: u32) -> Result<File, Errno> {
    sys::open(path, flags, 0o644).map(|fd| File::from_raw_fd(fd as i32))
}

impl Stress {
    /// [`agree`], counting calls that succeed and calls that fail as predicted.
    pub(crate) fn check<T: PartialEq + Debug>(
        &mut self,
        got: &Result<T, Errno>,
        want: &Result<T, Errs>,
    ) -> Result<(), String> {
        match got {
            Ok(_) => self.succeeded += 1,
            Err(_) => self.failed += 1,
        }
        agree(got, want)
    }

    pub(crate) fn real(&self, comps: &[String]) -> String {
        let mut p = self.base.clone();
        for c in comps {
            p.push('/');
            p.push_str(c);
        }
        p
    }

    /// A path, usually of something that exists, sometimes not, sometimes through a
    /// file or a symbolic link.
    fn pick_path(&mut self) -> Vec<String> {
        let mut comps = Vec::new();
        let mut cur = Some(ROOT);
        loop {
            let existing: Vec<String> = match cur.and_then(|c| self.m.ents(c)) {
                Some(e) => e.keys().cloned().collect(),
                None => Vec::new(),
            };
            let name = if !existing.is_empty() && self.rng.chance(75) {
                existing[self.rng.below(existing.len() as u64) as usize].clone()
            } else {
                NAMES[self.rng.below(NAMES.len() as u64) as usize].to_string()
            };
            let child = cur.and_then(|c| self.m.lookup_here(c, &name));
            comps.push(name);
            let deeper = comps.len() < MAX_DEPTH
                && match child {
                    Some(c) if self.m.is_dir(c) => self.rng.chance(50),
                    _ => self.rng.chance(3),
                };
            if !deeper {
                return comps;
            }
            cur = child.filter(|&c| self.m.is_dir(c));
        }
    }

    /// A path, preferably naming something `want` accepts.
    pub(crate) fn pick_where(&mut self, want: fn(&Kind) -> bool) -> Vec<String> {
        let mut p = self.pick_path();
        for _ in 0..4 {
            if let Ok(n) = self.m.resolve(&p, false) {
                if want(&self.m.node(n).kind) {
                    break;
                }
            }
            p = self.pick_path();
        }
        p
    }

    pub(crate) fn pick_file(&mut self) -> Vec<String> {
        self.pick_where(|k| matches!(k, Kind::File(_)))
    }

    fn data_len(&mut self) -> usize {
        1 + match self.rng.below(100) {
            0..=69 => self.rng.below(2000),
            70..=94 => self.rng.below(16384),
            _ => self.rng.below(70000),
        } as usize
    }

    pub(crate) fn step(&mut self) -> Result<(), String> {
        match self.rng.below(104) {
            0..=9 => self.op_create(),
            10..=25 => self.op_write(false),
            26..=33 => self.op_write(true),
            34..=41 => self.op_truncate(),
            42..=53 => self.op_read(),
            54..=61 => self.op_unlink(),
            62..=68 => self.op_mkdir(),
            69..=73 => self.op_rmdir(),
            74..=83 => self.op_rename(),
            84..=88 => self.op_link(),
            89..=92 => self.op_symlink(),
            93..=94 => self.op_readlink(),
            95..=96 => self.op_stat(),
            97..=99 => self.op_unlink_open(),
            100..=101 => self.op_remove_working_dir(),
            102 => self.op_truncate_unlinked(),
            _ => self.op_cross_mount(),
        }
    }

    fn op_create(&mut self) -> Result<(), String> {
        let p = self.pick_path();
        let mut flags = O_CREAT | O_WRONLY;
        if self.rng.chance(25) {
            flags |= O_EXCL;
        }
        if self.rng.chance(25) {
            flags |= O_TRUNC;
        }
        let path = self.real(&p);
        let want = (|| -> Result<(), Errs> {
            let (dir, name) = self.m.walk_parent(&p)?;
            match self.m.lookup_here(dir, name) {
                Some(_) if flags & O_EXCL != 0 => Err(bit(Errno::EEXIST)),
                Some(n) => match self.m.node(n).kind {
                    Kind::Sym(_) => Err(bit(Errno::ENOENT)), // into zz_nodir
                    Kind::Dir { .. } => Err(bit(Errno::EISDIR)),
                    Kind::File(_) => {
                        if flags & O_TRUNC != 0 {
                            self.m.file_mut(n).clear();
                        }
                        Ok(())
                    }
                },
                None => {
                    let n = self.m.alloc(Kind::File(Vec::new()));
                    self.m.attach(dir, name, n);
                    Ok(())
                }
            }
        })();
        let got = open(&path, flags).map(drop);
        self.check(&got, &want)
            .map_err(|e| format!("create {path} flags {flags:#o}: {e}"))
    }

    /// Open `p` for writing (`EISDIR` for a directory), as the model predicts.
    fn open_w(
        &mut self,
        p: &[String],
        flags: u32,
        what: &str,
    ) -> Result<Option<(File, usize)>, String> {
        let want = self.m.resolve(p, true).and_then(|n| {
            if self.m.is_dir(n) {
                Err(bit(Errno::EISDIR))
            } else {
                Ok(n)
            }
        });
        let path = self.real(p);
        let got = open(&path, flags);
        self.check(&got.as_ref().map(|_| ()).map_err(|e| *e), &want.map(|_| ()))
            .map_err(|e| format!("{what} {path}: open: {e}"))?;
        Ok(got.ok().zip(want.ok()))
    }

    fn op_write(&mut self, append: bool) -> Result<(), String> {
        let p = self.pick_file();
        if self.m.total_bytes() > BUDGET {
            return self.truncate(p, true);
        }
        let flags = O_WRONLY | if append { O_APPEND } else { 0 };
        let what = if append { "append" } else { "write" };
        let Some((mut f, n)) = self.open_w(&p, flags, what)? else {
            return Ok(());
        };
        let size = self.m.file(n).map_or(0, |d| d.len() as u64);
        let mut len = self.data_len() as u64;
        let mut off = match self.rng.below(100) {
            0..=19 => 0,
            20..=49 => self.rng.below(size + 1),
            50..=69 => size,
            70..=89 => size + self.rng.below(65536),
            _ => self.rng.below(400 * 1024),
        };
        if append {
            off = size;
        }
        if off + len > MAX_FILE {
            off = 0;
            len = len.min(MAX_FILE);
        }
        let buf = self.rng.bytes(len as usize);
        let path = self.real(&p);
        let got = if append {
            f.write(&buf)
        } else {
            f.write_at(&buf, off)
        };
        write_model(self.m.file_mut(n), off as usize, &buf);
        self.check(&got, &Ok(buf.len()))
            .map_err(|e| format!("{what} {path} at {off} len {len}: {e}"))?;
        let size = f.metadata().map(|m| m.len());
        let want = Ok(self.m.file(n).map_or(0, |d| d.len() as u64));
        self.check(&size, &want)
            .map_err(|e| format!("{what} {path} at {off} len {len}: fstat size: {e}"))
    }

    fn op_truncate(&mut self) -> Result<(), String> {
        let p = self.pick_file();
        let shrink = self.m.total_bytes() > BUDGET;
        self.truncate(p, shrink)
    }

    fn truncate(&mut self, p: Vec<String>, shrink: bool) -> Result<(), String> {
        let by_open = self.rng.chance(20);
        let flags = O_WRONLY | if by_open { O_TRUNC } else { 0 };
        let Some((f, n)) = self.open_w(&p, flags, "truncate")? else {
            return Ok(());
        };
        let path = self.real(&p);
        if by_open {
            self.m.file_mut(n).clear();
        } else {
            let size = self.m.file(n).map_or(0, |d| d.len() as u64);
            let new = match self.rng.below(100) {
                _ if shrink => self.rng.below(size / 2 + 1),
                0..=29 => 0,
                30..=69 => self.rng.below(size + 1),
                _ => (size + self.rng.below(70000)).min(MAX_FILE),
            };
            self.m.file_mut(n).resize(new as usize, 0);
            self.check(&f.set_len(new), &Ok(()))
                .map_err(|e| format!("truncate {path} to {new}: {e}"))?;
        }
        let got = fs::metadata(&path).map(|m| m.len());
        let want = Ok(self.m.file(n).map_or(0, |d| d.len() as u64));
        self.check(&got, &want)
            .map_err(|e| format!("truncate {path}: size: {e}"))
    }

    fn op_read(&mut self) -> Result<(), String> {
        let p = self.pick_file();
        let path = self.real(&p);
        let want = self.m.resolve(&p, true);
        let got = open(&path, O_RDONLY);
        self.check(&got.as_ref().map(|_| ()).map_err(|e| *e), &want.map(|_| ()))
            .map_err(|e| format!("read {path}: open: {e}"))?;
        let (Ok(f), Ok(n)) = (got, want) else {
            return Ok(());
        };
        let size = self.m.file(n).map_or(0, |d| d.len() as u64);
        let off = match self.rng.below(10) {
            0..=2 => 0,
            3 => size + self.rng.below(5000),
            _ => self.rng.below(size + 1),
        };
        let len = self
            .data_len()
            .max(if off == 0 { size as usize } else { 0 });
        let mut buf = vec![0u8; len];
        let got = f.read_at(&mut buf, off);
        let want: Result<usize, Errs> = match self.m.file(n) {
            None => Err(bit(Errno::EISDIR)),
            Some(d) => Ok(d.len().saturating_sub(off as usize).min(len)),
        };
        self.check(&got, &want)
            .map_err(|e| format!("read {path} at {off} len {len}: {e}"))?;
        if let (Ok(k @ 1..), Some(d)) = (got, self.m.file(n)) {
            let at = off as usize;
            if buf[..k] != d[at..at + k] {
                let i = (0..k).find(|&i| buf[i] != d[at + i]).unwrap_or(0);
                return Err(format!(
                    "read {path} at {off} len {len}: byte {} is {:#04x}, the model says {:#04x}",
                    off as usize + i,
                    buf[i],
                    d[at + i]
                ));
            }
        }
        Ok(())
    }

    fn op_unlink(&mut self) -> Result<(), String> {
        let p = self.pick_where(|k| !matches!(k, Kind::Dir { .. }));
        let path = self.real(&p);
        let want = (|| -> Result<(), Errs> {
            let (dir, name) = self.m.walk_parent(&p)?;
            let n = self.m.lookup_here(dir, name).ok_or(bit(Errno::ENOENT))?;
            if self.m.is_dir(n) {
                return Err(bit(Errno::EISDIR));
            }
            if let Some(freed) = self.m.detach(dir, name) {
                self.inos.remove(&freed);
            }
            Ok(())
        })();
        self.check(&fs::remove_file(&path), &want)
            .map_err(|e| format!("unlink {path}: {e}"))
    }

    /// Unlink a file while it is open: the open file keeps its data (and can still
    /// be written) until it is closed, even when that was its last name.
    fn op_unlink_open(&mut self) -> Result<(), String> {
        let p = self.pick_file();
        let Some(n) = self.m.resolve(&p, true).ok() else {
            return Ok(());
        };
        let Some(data) = self.m.file(n).cloned() else {
            return Ok(());
        };
        let path = self.real(&p);
        let f =
            open(&path, O_RDWR).map_err(|e| format!("open {path}: {e:?}, the model says Ok"))?;
        let (dir, name) = self
            .m
            .walk_parent(&p)
            .map_err(|_| "model: no parent".to_string())?;
        let name = name.to_string();
        let gone = self.m.detach(dir, &name);
        if let Some(freed) = gone {
            self.inos.remove(&freed);
        }
        let what = format!("unlink {path} while open");
        self.check(&fs::remove_file(&path), &Ok(()))
            .map_err(|e| format!("{what}: {e}"))?;
        let got = read_all(&f).map_err(|e| format!("{what}, then read: {e:?}"))?;
        if got != data {
            return Err(format!(
                "{what}: the open file reads {} bytes{}, it held {} bytes",
                got.len(),
                if got.len() == data.len() {
                    " that differ"
                } else {
                    ""
                },
                data.len()
            ));
        }
        let patch = self.rng.bytes(16);
        self.check(&f.write_at(&patch, 0), &Ok(16))
            .map_err(|e| format!("{what}, then write: {e}"))?;
        let mut want = data;
        write_model(&mut want, 0, &patch);
        if gone.is_none() {
            write_model(self.m.file_mut(n), 0, &patch);
        }
        let got = read_all(&f).map_err(|e| format!("{what}, write, then read: {e:?}"))?;
        if got != want {
            return Err(format!(
                "{what}: what was written through the open file is not read back"
            ));
        }
        let links = f.metadata().map(|m| m.nlink());
        let want = Ok(if gone.is_some() {
            0
        } else {
            self.m.node(n).names
        });
        self.check(&links, &want)
            .map_err(|e| format!("{what}: fstat link count: {e}"))
    }

    /// The model's answer for a call that makes the new name `p`.
    fn new_name<'p>(&self, p: &'p [String]) -> Result<(usize, &'p str), Errs> {
        let (dir, name) = self.m.walk_parent(p)?;
        match self.m.lookup_here(dir, name) {
            Some(_) => Err(bit(Errno::EEXIST)),
            None => Ok((dir, name)),
        }
    }

    fn op_mkdir(&mut self) -> Result<(), String> {
        let p = self.pick_path();
        let path = self.real(&p);
        let want = self.new_name(&p).map(|(dir, name)| {
            let n = self.m.alloc(Kind::Dir {
                ents: BTreeMap::new(),
                parent: dir,
            });
            self.m.attach(dir, name, n);
        });
        self.check(&fs::create_dir(&path), &want)
            .map_err(|e| format!("mkdir {path}: {e}"))
    }

    fn op_rmdir(&mut self) -> Result<(), String> {
        let p = self.pick_where(|k| matches!(k, Kind::Dir { .. }));
        let path = self.real(&p);
        let want = (|| -> Result<(), Errs> {
            let (dir, name) = self.m.walk_parent(&p)?;
            let n = self.m.lookup_here(dir, name).ok_or(bit(Errno::ENOENT))?;
            match self.m.ents(n) {
                None => return Err(bit(Errno::ENOTDIR)),
                Some(e) if !e.is_empty() => return Err(bit(Errno::ENOTEMPTY)),
                Some(_) => {}
            }
            self.m.detach(dir, name);
            self.inos.remove(&n);
            Ok(())
        })();
        self.check(&fs::remove_dir(&path), &want)
            .map_err(|e| format!("rmdir {path}: {e}"))
    }

    fn op_rename(&mut self) -> Result<(), String> {
        let old = self.pick_where(|_| true);
        let new = self.pick_path();
        let (opath, npath) = (self.real(&old), self.real(&new));
        let want = (|| -> Result<(), Errs> {
            let (od, on) = self.m.walk_parent(&old)?;
            let src = self.m.lookup_here(od, on).ok_or(bit(Errno::ENOENT))?;
            let (nd, nn) = self.m.walk_parent(&new)?;
            let existing = self.m.lookup_here(nd, nn);
            if existing == Some(src) {
                return Ok(()); // the same file: nothing happens
            }
            let mut errs = 0;
            let src_dir = self.m.is_dir(src);
            if let Some(t) = existing {
                match (src_dir, self.m.ents(t)) {
                    (true, None) => errs |= bit(Errno::ENOTDIR),
                    (true, Some(e)) if !e.is_empty() => errs |= bit(Errno::ENOTEMPTY),
                    (false, Some(_)) => errs |= bit(Errno::EISDIR),
                    _ => {}
                }
            }
            if src_dir && od != nd && self.m.within(nd, src) {
                errs |= bit(Errno::EINVAL);
            }
            if errs != 0 {
                return Err(errs);
            }
            if existing.is_some() {
                if let Some(freed) = self.m.detach(nd, nn) {
                    self.inos.remove(&freed);
                }
            }
            // Keep the node alive while it has no name.
            self.m.node_mut(src).names += 1;
            self.m.detach(od, on);
            self.m.attach(nd, nn, src);
            self.m.node_mut(src).names -= 1;
            Ok(())
        })();
        self.check(&fs::rename(&opath, &npath), &want)
            .map_err(|e| format!("rename {opath} {npath}: {e}"))
    }

    fn op_link(&mut self) -> Result<(), String> {
        let old = self.pick_where(|k| !matches!(k, Kind::Dir { .. }));
        let new = self.pick_path();
        let (opath, npath) = (self.real(&old), self.real(&new));
        let want = (|| -> Result<(), Errs> {
            let n = self.m.resolve(&old, false)?;
            if self.m.is_dir(n) {
                return Err(bit(Errno::EPERM));
            }
            let (dir, name) = self.new_name(&new)?;
            self.m.attach(dir, name, n);
            Ok(())
        })();
        self.check(&fs::hard_link(&opath, &npath), &want)
            .map_err(|e| format!("link {opath} {npath}: {e}"))
    }

    fn op_symlink(&mut self) -> Result<(), String> {
        let p = self.pick_path();
        let path = self.real(&p);
        // Fast (in the inode, < 60 bytes) and slow (a block) links both.
        let len = match self.rng.below(3) {
            0 => 10 + self.rng.below(40),
            1 => 55 + self.rng.below(10),
            _ => 100 + self.rng.below(200),
        } as usize;
        let mut target = String::from("zz_nodir/");
        while target.len() < len {
            target.push((b'a' + self.rng.below(26) as u8) as char);
        }
        let want = self.new_name(&p).map(|(dir, name)| {
            let n = self.m.alloc(Kind::Sym(target.clone()));
            self.m.attach(dir, name, n);
        });
        self.check(&fs::symlink(&target, &path), &want)
            .map_err(|e| format!("symlink {target} {path}: {e}"))
    }

    fn op_readlink(&mut self) -> Result<(), String> {
        let p = self.pick_where(|k| matches!(k, Kind::Sym(_)));
        let path = self.real(&p);
        let want = self
            .m
            .resolve(&p, false)
            .and_then(|n| match &self.m.node(n).kind {
                Kind::Sym(t) => Ok(t.clone()),
                _ => Err(bit(Errno::EINVAL)),
            });
        self.check(&fs::read_link(&path), &want)
            .map_err(|e| format!("readlink {path}: {e}"))
    }

    fn op_stat(&mut self) -> Result<(), String> {
        let p = self.pick_path();
        let path = self.real(&p);
        let follow = self.rng.chance(50);
        let want = self.m.resolve(&p, follow);
        let got = if follow {
            fs::metadata(&path)
        } else {
            fs::symlink_metadata(&path)
        };
        let call = if follow { "stat" } else { "lstat" };
        self.check(&got.map(|_| ()), &want.map(|_| ()))
            .map_err(|e| format!("{call} {path}: {e}"))?;
        match (got, want) {
            (Ok(md), Ok(n)) => self
                .check_node(n, &md)
                .map_err(|e| format!("{call} {path}: {e}")),
            _ => Ok(()),
        }
    }

    /// Type, link count, size and inode number of node `n` against `md`.
    fn check_node(&mut self, n: usize, md: &Metadata) -> Result<(), String> {
        let (kind, size) = match &self.m.node(n).kind {
            Kind::File(d) => ("file", Some(d.len() as u64)),
            Kind::Dir { .. } => ("directory", None),
            Kind::Sym(t) => ("symlink", Some(t.len() as u64)),
        };
        let real = if md.is_file() {
            "file"
        } else if md.is_dir() {
            "directory"
        } else if md.is_symlink() {
            "symlink"
        } else {
            "other"
        };
        if real != kind {
            return Err(format!("a {real}, the model says a {kind}"));
        }
        if md.nlink() != self.m.nlink(n) {
            return Err(format!(
                "{} links, the model says {}",
                md.nlink(),
                self.m.nlink(n)
            ));
        }
        if let Some(s) = size.filter(|&s| s != md.len()) {
            return Err(format!("size {}, the model says {s}", md.len()));
        }
        match self.inos.insert(n, md.ino()) {
            Some(i) if i != md.ino() => Err(format!(
                "inode {}, earlier the same file was inode {i}",
                md.ino()
            )),
            _ => Ok(()),
        }
    }

    /// Walk the real tree and the model together.
    pub(crate) fn compare_tree(&mut self) -> Result<(), String> {
        let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
        let mut todo = vec![(ROOT, self.base.clone())];
        while let Some((dir, path)) = todo.pop() {
            let mut real: Vec<(String, u64)> = Vec::new();
            for e in fs::read_dir(&path).map_err(|e| format!("read_dir {path}: {e:?}"))? {
                let e = e.map_err(|e| format!("read_dir {path}: {e:?}"))?;
                real.push((e.file_name().to_string(), e.ino()));
            }
            real.sort();
            let ents: Vec<(String, usize)> = match self.m.ents(dir) {
                Some(e) => e.iter().map(|(k, &v)| (k.clone(), v)).collect(),
                None => return Err(format!("{path}: the model lost a directory")),
            };
            let names: Vec<&String> = real.iter().map(|(n, _)| n).collect();
            let want: Vec<&String> = ents.iter().map(|(n, _)| n).collect();
            if names != want {
                return Err(format!("{path} holds {names:?}, the model says {want:?}"));
            }
            for ((name, ino), (_, n)) in real.iter().zip(ents) {
                let p = fs::join(&path, name);
                let md = fs::symlink_metadata(&p).map_err(|e| format!("lstat {p}: {e:?}"))?;
                self.check_node(n, &md).map_err(|e| format!("{p}: {e}"))?;
                if md.ino() != *ino {
                    return Err(format!(
                        "{p}: the directory says inode {ino}, lstat {}",
                        md.ino()
                    ));
                }
                if let Some(other) = seen.insert(*ino, n).filter(|&o| o != n) {
                    return Err(format!("{p}: inode {ino} also holds model node {other}"));
                }
                match &self.m.node(n).kind {
                    Kind::File(d) => {
                        let got = fs::read(&p).map_err(|e| format!("read {p}: {e:?}"))?;
                        if got != *d {
                            return Err(format!("{p}: contents differ ({} bytes read)", got.len()));
                        }
                    }
                    Kind::Sym(t) => {
                        let got = fs::read_link(&p).map_err(|e| format!("readlink {p}: {e:?}"))?;
                        if got != *t {
                            return Err(format!("{p}: link to {got:?}, the model says {t:?}"));
                        }
                    }
                    Kind::Dir { .. } => todo.push((n, p)),
                }
            }
        }
        Ok(())
    }
}
