//! `fsstress [-s SEED] [-n OPS] DIR`: random file-system operations, each checked
//! against an in-memory model; `fsstress -f DIR`: fill the disk and check what a full
//! disk does (chapter 2 section 4, file management, and the file-system chapter's
//! consistency argument made into a test).
//!
//! The random mode draws operations from a seeded xorshift generator (same seed, same
//! run): create (with `O_EXCL`/`O_TRUNC`), writes at random offsets (past the end too,
//! leaving holes, far enough to need indirect and double-indirect blocks), appends,
//! truncation both ways, reads, unlink, mkdir, rmdir, rename of files and directories
//! (replacing targets), hard links, symbolic links and `readlink`, `stat`/`lstat`.
//! The design decision: the model is a specification, not a mirror of the kernel. It
//! says what POSIX says; where POSIX allows more than one error (a rename that both
//! moves a directory under itself and meets a target of the wrong type), it accepts
//! each of them. Every result, value or errno, must be one the model allows; every
//! 1000 operations and at the end the whole tree is walked and compared (names, types,
//! sizes, link counts, contents, link targets, and that names the model says are one
//! file share one inode number). Symbolic links point into a directory that never
//! exists (`zz_nodir/...`), so following one always gives `ENOENT` and the model stays
//! small. The test is at most 4 levels deep with 8 names a level, so names collide
//! often and the error paths are exercised as much as the successful ones.
//!
//! The fill mode writes 64 KiB chunks until `ENOSPC` (a short write may come first),
//! checks that the error really is `ENOSPC`, that everything written before still
//! reads back, that new small files fail cleanly (or fit in the last blocks), then
//! deletes it all and checks that `statfs` gives back every block and inode.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Debug;
use ulib::abi::flags::{O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_TRUNC, O_WRONLY};
use ulib::fs::{self, File, Metadata};
use ulib::io::Write;
use ulib::{sys, Errno};

ulib::entry!(main);

const USAGE: &str = "fsstress [-s SEED] [-n OPS] DIR | fsstress -f DIR";

/// Names used at every level: few, so that operations collide.
const NAMES: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
const MAX_DEPTH: usize = 4;
/// Largest file size the random mode makes (past 268 KiB: double-indirect blocks).
const MAX_FILE: u64 = 600 * 1024;
/// Sum of file sizes above which growing operations shrink instead (the disk is small).
const BUDGET: u64 = 6 << 20;

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    let (mut seed, mut ops, mut fill, mut dir) = (1u64, 10_000u64, false, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = || it.next().and_then(|v| v.parse::<u64>().ok());
        match a.as_str() {
            "-s" => match number() {
                Some(v) => seed = v,
                None => return ulib::cli::usage_error(USAGE),
            },
            "-n" => match number() {
                Some(v) => ops = v,
                None => return ulib::cli::usage_error(USAGE),
            },
            "-f" => fill = true,
            s if s.starts_with('-') && s.len() > 1 => {
                return ulib::cli::bad_option(s.chars().nth(1).unwrap_or('-'), USAGE)
            }
            s if dir.is_none() => dir = Some(s.to_string()),
            _ => return ulib::cli::usage_error(USAGE),
        }
    }
    let Some(dir) = dir else {
        return ulib::cli::usage_error(USAGE);
    };
    let dir = String::from(dir.trim_end_matches('/'));
    if let Err(e) = fs::create_dir_all(&dir) {
        ulib::cli::error(&dir, e);
        return 1;
    }
    if fill {
        return match fill_disk(&dir) {
            Ok(msg) => {
                ulib::println!("fsstress: full disk ok ({msg})");
                0
            }
            Err(e) => {
                ulib::println!("fsstress: FAILED (full disk): {e}");
                1
            }
        };
    }
    match fs::read_dir(&dir).map(|d| d.count()) {
        Ok(0) => {}
        Ok(_) => {
            ulib::eprintln!("fsstress: {dir}: must be empty");
            return 1;
        }
        Err(e) => {
            ulib::cli::error(&dir, e);
            return 1;
        }
    }
    ulib::println!("fsstress: seed {seed}, {ops} ops in {dir}");
    let mut st = Stress {
        rng: Rng::new(seed),
        m: Model::new(),
        base: dir,
        inos: BTreeMap::new(),
    };
    for k in 1..=ops {
        let r = st.step().and_then(|()| {
            if k % 1000 == 0 || k == ops {
                st.compare_tree().map_err(|e| format!("tree walk: {e}"))
            } else {
                Ok(())
            }
        });
        if let Err(e) = r {
            ulib::println!("fsstress: FAILED at op {k}: {e}");
            return 1;
        }
        if k % 500 == 0 {
            let _ = fs::sync();
        }
    }
    ulib::println!("fsstress: {ops} ops ok");
    0
}

/// xorshift64: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

/// A set of acceptable errors, one bit per errno.
type Errs = u128;

fn bit(e: Errno) -> Errs {
    1u128 << (e as i32 as u32)
}

fn show_errs(m: Errs) -> String {
    let names: Vec<String> = (0..128)
        .filter(|i| m & (1u128 << i) != 0)
        .map(|i| match Errno::from_code(i) {
            Some(e) => format!("{e:?}"),
            None => format!("errno {i}"),
        })
        .collect();
    format!("Err({})", names.join(" or "))
}

/// `got` must be what the model allows.
fn agree<T: PartialEq + Debug>(
    got: &Result<T, Errno>,
    want: &Result<T, Errs>,
) -> Result<(), String> {
    match (got, want) {
        (Ok(g), Ok(w)) if g == w => Ok(()),
        (Err(e), Err(m)) if m & bit(*e) != 0 => Ok(()),
        _ => {
            let w = match want {
                Ok(w) => format!("Ok({w:?})"),
                Err(m) => show_errs(*m),
            };
            Err(format!("got {got:?}, the model says {w}"))
        }
    }
}

enum Kind {
    File(Vec<u8>),
    Dir {
        ents: BTreeMap<String, usize>,
        parent: usize,
    },
    Sym(String),
}

struct Node {
    kind: Kind,
    /// Names (directory entries) this node has.
    names: u32,
}

/// The file tree as POSIX says it should be; node 0 is DIR.
struct Model {
    nodes: Vec<Option<Node>>,
    free: Vec<usize>,
}

const ROOT: usize = 0;

impl Model {
    fn new() -> Model {
        let root = Node {
            kind: Kind::Dir {
                ents: BTreeMap::new(),
                parent: ROOT,
            },
            names: 1,
        };
        Model {
            nodes: vec![Some(root)],
            free: Vec::new(),
        }
    }
    fn node(&self, i: usize) -> &Node {
        self.nodes[i].as_ref().expect("model: dead node")
    }
    fn node_mut(&mut self, i: usize) -> &mut Node {
        self.nodes[i].as_mut().expect("model: dead node")
    }
    fn ents(&self, i: usize) -> Option<&BTreeMap<String, usize>> {
        match &self.node(i).kind {
            Kind::Dir { ents, .. } => Some(ents),
            _ => None,
        }
    }
    fn is_dir(&self, i: usize) -> bool {
        self.ents(i).is_some()
    }
    fn file(&self, i: usize) -> Option<&Vec<u8>> {
        match &self.node(i).kind {
            Kind::File(d) => Some(d),
            _ => None,
        }
    }
    fn file_mut(&mut self, i: usize) -> &mut Vec<u8> {
        match &mut self.node_mut(i).kind {
            Kind::File(d) => d,
            _ => panic!("model: not a file"),
        }
    }
    fn lookup_here(&self, dir: usize, name: &str) -> Option<usize> {
        self.ents(dir).and_then(|e| e.get(name).copied())
    }
    /// The directory holding the last component, and that name. A symbolic link on
    /// the way points into `zz_nodir`, so it gives `ENOENT`.
    fn walk_parent<'p>(&self, comps: &'p [String]) -> Result<(usize, &'p str), Errs> {
        let (last, dirs) = comps.split_last().expect("paths are never empty");
        let mut cur = ROOT;
        for c in dirs {
            let ents = self.ents(cur).ok_or(bit(Errno::ENOTDIR))?;
            let next = *ents.get(c.as_str()).ok_or(bit(Errno::ENOENT))?;
            if let Kind::Sym(_) = self.node(next).kind {
                return Err(bit(Errno::ENOENT));
            }
            cur = next;
        }
        if !self.is_dir(cur) {
            return Err(bit(Errno::ENOTDIR));
        }
        Ok((cur, last.as_str()))
    }
    fn resolve(&self, comps: &[String], follow: bool) -> Result<usize, Errs> {
        let (dir, name) = self.walk_parent(comps)?;
        let n = self.lookup_here(dir, name).ok_or(bit(Errno::ENOENT))?;
        match self.node(n).kind {
            Kind::Sym(_) if follow => Err(bit(Errno::ENOENT)),
            _ => Ok(n),
        }
    }
    fn nlink(&self, i: usize) -> u32 {
        match self.ents(i) {
            Some(e) => 2 + e.values().filter(|&&c| self.is_dir(c)).count() as u32,
            None => self.node(i).names,
        }
    }
    fn alloc(&mut self, kind: Kind) -> usize {
        let n = Some(Node { kind, names: 0 });
        match self.free.pop() {
            Some(i) => {
                self.nodes[i] = n;
                i
            }
            None => {
                self.nodes.push(n);
                self.nodes.len() - 1
            }
        }
    }
    fn attach(&mut self, dir: usize, name: &str, child: usize) {
        if let Kind::Dir { parent, .. } = &mut self.node_mut(child).kind {
            *parent = dir;
        }
        self.node_mut(child).names += 1;
        if let Kind::Dir { ents, .. } = &mut self.node_mut(dir).kind {
            ents.insert(name.to_string(), child);
        }
    }
    /// Remove a name; the node goes with its last name. Returns the freed node.
    fn detach(&mut self, dir: usize, name: &str) -> Option<usize> {
        let child = match &mut self.node_mut(dir).kind {
            Kind::Dir { ents, .. } => ents.remove(name).expect("model: no such name"),
            _ => panic!("model: not a directory"),
        };
        let n = self.node_mut(child);
        n.names -= 1;
        if n.names == 0 {
            self.nodes[child] = None;
            self.free.push(child);
            Some(child)
        } else {
            None
        }
    }
    /// Whether directory `d` is `anc` or lies below it.
    fn within(&self, mut d: usize, anc: usize) -> bool {
        loop {
            if d == anc {
                return true;
            }
            match self.node(d).kind {
                Kind::Dir { parent, .. } if d != ROOT => d = parent,
                _ => return false,
            }
        }
    }
    fn total_bytes(&self) -> u64 {
        self.nodes
            .iter()
            .flatten()
            .map(|n| match &n.kind {
                Kind::File(d) => d.len() as u64,
                _ => 0,
            })
            .sum()
    }
}

fn write_model(data: &mut Vec<u8>, off: usize, buf: &[u8]) {
    if data.len() < off + buf.len() {
        data.resize(off + buf.len(), 0);
    }
    data[off..off + buf.len()].copy_from_slice(buf);
}

struct Stress {
    rng: Rng,
    m: Model,
    base: String,
    /// Model node -> inode number seen by `stat` (names of one node share one inode).
    inos: BTreeMap<usize, u64>,
}

fn open(path: &str, flags: u32) -> Result<File, Errno> {
    sys::open(path, flags, 0o644).map(|fd| File::from_raw_fd(fd as i32))
}

impl Stress {
    fn real(&self, comps: &[String]) -> String {
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
    fn pick_where(&mut self, want: fn(&Kind) -> bool) -> Vec<String> {
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

    fn pick_file(&mut self) -> Vec<String> {
        self.pick_where(|k| matches!(k, Kind::File(_)))
    }

    fn data_len(&mut self) -> usize {
        1 + match self.rng.below(100) {
            0..=69 => self.rng.below(2000),
            70..=94 => self.rng.below(16384),
            _ => self.rng.below(70000),
        } as usize
    }

    fn step(&mut self) -> Result<(), String> {
        match self.rng.below(100) {
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
            _ => self.op_stat(),
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
        agree(&got, &want).map_err(|e| format!("create {path} flags {flags:#o}: {e}"))
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
        agree(&got.as_ref().map(|_| ()).map_err(|e| *e), &want.map(|_| ()))
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
        agree(&got, &Ok(buf.len()))
            .map_err(|e| format!("{what} {path} at {off} len {len}: {e}"))?;
        let size = f.metadata().map(|m| m.len());
        let want = Ok(self.m.file(n).map_or(0, |d| d.len() as u64));
        agree(&size, &want)
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
            agree(&f.set_len(new), &Ok(()))
                .map_err(|e| format!("truncate {path} to {new}: {e}"))?;
        }
        let got = fs::metadata(&path).map(|m| m.len());
        let want = Ok(self.m.file(n).map_or(0, |d| d.len() as u64));
        agree(&got, &want).map_err(|e| format!("truncate {path}: size: {e}"))
    }

    fn op_read(&mut self) -> Result<(), String> {
        let p = self.pick_file();
        let path = self.real(&p);
        let want = self.m.resolve(&p, true);
        let got = open(&path, O_RDONLY);
        agree(&got.as_ref().map(|_| ()).map_err(|e| *e), &want.map(|_| ()))
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
        agree(&got, &want).map_err(|e| format!("read {path} at {off} len {len}: {e}"))?;
        if let (Ok(k), Some(d)) = (got, self.m.file(n)) {
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
        agree(&fs::remove_file(&path), &want).map_err(|e| format!("unlink {path}: {e}"))
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
        agree(&fs::create_dir(&path), &want).map_err(|e| format!("mkdir {path}: {e}"))
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
        agree(&fs::remove_dir(&path), &want).map_err(|e| format!("rmdir {path}: {e}"))
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
        agree(&fs::rename(&opath, &npath), &want)
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
        agree(&fs::hard_link(&opath, &npath), &want)
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
        agree(&fs::symlink(&target, &path), &want)
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
        agree(&fs::read_link(&path), &want).map_err(|e| format!("readlink {path}: {e}"))
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
        agree(&got.map(|_| ()), &want.map(|_| ())).map_err(|e| format!("{call} {path}: {e}"))?;
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
    fn compare_tree(&mut self) -> Result<(), String> {
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

/// The byte at `off` of fill file `k`: not periodic at any power of two.
fn fill_byte(k: usize, off: u64) -> u8 {
    let x = off.wrapping_mul(0x9E37_79B1) ^ (off >> 11) ^ (k as u64).wrapping_mul(0x5bd1_e995);
    (x ^ (x >> 24)) as u8
}

fn fill_bytes(k: usize, off: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| fill_byte(k, off + i)).collect()
}

fn expect_contents(path: &str, want: &[u8]) -> Result<(), String> {
    let got = fs::read(path).map_err(|e| format!("read {path}: {e:?}"))?;
    if got.len() != want.len() {
        return Err(format!(
            "{path}: {} bytes, {} were written",
            got.len(),
            want.len()
        ));
    }
    match (0..got.len()).find(|&i| got[i] != want[i]) {
        Some(i) => Err(format!("{path}: byte {i} differs")),
        None => Ok(()),
    }
}

/// `fsstress -f DIR`.
fn fill_disk(dir: &str) -> Result<String, String> {
    let statfs = || {
        fs::statfs(dir)
            .map(|s| s.0)
            .map_err(|e| format!("statfs {dir}: {e:?}"))
    };
    fs::sync().map_err(|e| format!("sync: {e:?}"))?;
    let start = statfs()?;
    // Files that exist before the disk fills.
    let mut keep = Vec::new();
    for i in 0..4 {
        let path = format!("{dir}/keep{i}");
        let data = fill_bytes(100 + i, 0, 700 * (i + 1) * (i + 1));
        fs::write(&path, &data).map_err(|e| format!("write {path}: {e:?}"))?;
        keep.push((path, data));
    }
    const CHUNK: usize = 64 * 1024;
    const PER_FILE: u64 = 4 << 20;
    let mut big: Vec<(String, u64)> = Vec::new();
    let mut total = 0u64;
    let mut filled = false;
    'fill: for k in 0..1000 {
        let path = format!("{dir}/big{k}");
        let mut f = match File::create(&path) {
            Ok(f) => f,
            Err(Errno::ENOSPC) => {
                filled = true;
                break;
            }
            Err(e) => return Err(format!("create {path}: {e:?}, expected success or ENOSPC")),
        };
        big.push((path.clone(), 0));
        let mut off = 0u64;
        while off < PER_FILE {
            let r = f.write(&fill_bytes(k, off, CHUNK));
            if let Ok(n) = r {
                off += n as u64;
                total += n as u64;
                big.last_mut().expect("pushed").1 = off;
            }
            match r {
                Ok(CHUNK) => {}
                Ok(0) => return Err(format!("write {path} at {off}: wrote 0 bytes")),
                // A short write: the disk is full, so the next one must fail.
                Ok(_) => match f.write(&fill_bytes(k, off, CHUNK)) {
                    Err(Errno::ENOSPC) => {
                        filled = true;
                        break 'fill;
                    }
                    r => {
                        return Err(format!(
                            "write {path} at {off} after a short write: {r:?}, expected ENOSPC"
                        ))
                    }
                },
                Err(Errno::ENOSPC) => {
                    filled = true;
                    break 'fill;
                }
                Err(e) => return Err(format!("write {path} at {off}: {e:?}, expected ENOSPC")),
            }
        }
    }
    if !filled {
        return Err(format!(
            "{} KiB written and the disk is not full",
            total / 1024
        ));
    }
    let full = statfs()?;
    if full.free_blocks > 16 {
        return Err(format!(
            "ENOSPC with {} blocks still free",
            full.free_blocks
        ));
    }
    for (path, data) in &keep {
        expect_contents(path, data)?;
    }
    for (k, (path, len)) in big.iter().enumerate() {
        expect_contents(path, &fill_bytes(k, 0, *len as usize))?;
    }
    // New small files: each either fits in what is left or fails with ENOSPC.
    let mut extra = Vec::new();
    for i in 0..3 {
        let path = format!("{dir}/new{i}");
        let mut f = match File::create(&path) {
            Ok(f) => f,
            Err(Errno::ENOSPC) => continue,
            Err(e) => return Err(format!("create {path} on a full disk: {e:?}")),
        };
        let data = fill_bytes(200 + i, 0, 4096);
        let n = match f.write(&data) {
            Ok(n) if n <= data.len() => n,
            Err(Errno::ENOSPC) => 0,
            r => {
                return Err(format!(
                    "write {path} on a full disk: {r:?}, expected ENOSPC"
                ))
            }
        };
        drop(f);
        expect_contents(&path, &data[..n])?;
        extra.push(path);
    }
    match fs::create_dir(&format!("{dir}/newdir")) {
        Ok(()) => extra.push(format!("{dir}/newdir")),
        Err(Errno::ENOSPC) => {}
        Err(e) => return Err(format!("mkdir on a full disk: {e:?}, expected ENOSPC")),
    }
    // Give it all back.
    let names = keep
        .iter()
        .map(|(p, _)| p)
        .chain(big.iter().map(|(p, _)| p));
    for path in names {
        fs::remove_file(path).map_err(|e| format!("unlink {path}: {e:?}"))?;
    }
    for path in &extra {
        let r = if path.ends_with("newdir") {
            fs::remove_dir(path)
        } else {
            fs::remove_file(path)
        };
        r.map_err(|e| format!("remove {path}: {e:?}"))?;
    }
    fs::sync().map_err(|e| format!("sync: {e:?}"))?;
    let end = statfs()?;
    if (end.free_blocks, end.free_files) != (start.free_blocks, start.free_files) {
        return Err(format!(
            "after deleting everything: {} free blocks and {} free inodes, {} and {} at the start",
            end.free_blocks, end.free_files, start.free_blocks, start.free_files
        ));
    }
    Ok(format!(
        "{} KiB written in {} files, {} blocks free when full, {} free again",
        total / 1024,
        big.len(),
        full.free_blocks,
        end.free_blocks
    ))
}
