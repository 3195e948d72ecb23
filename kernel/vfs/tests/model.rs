//! Model-based random testing: a seeded PRNG drives thousands of operations on
//! the VFS (a root file system with a small tmpfs mounted at `/mnt`) and on a
//! plain map from path to node; every result, errno included, and the final
//! tree must agree. Paths mix absolute and relative (`../..` from a working
//! directory, climbing out of `/mnt`), and symlinks with absolute targets make
//! chains, dangling links and loops.

mod common;

use std::collections::{BTreeMap, HashMap};

use abi::flags::*;
use abi::Errno;
use common::*;
use vfs::{NodeRef, TmpFs, Vfs, ROOT};

const NAMES: [&str; 6] = ["a", "b", "c", "d", "e", "mnt"];
const MNT_LIMIT: u64 = 6000;

#[derive(Clone, Copy, Debug, PartialEq)]
enum M {
    Dir,
    Obj(usize),
}

#[derive(Clone, Debug)]
enum Obj {
    File(Vec<u8>),
    Link(String),
}

struct Model {
    /// "" is the root, "/a/b" below it.
    names: BTreeMap<String, M>,
    objs: HashMap<usize, Obj>,
    next: usize,
}

type R = Result<String, Errno>;

fn split(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

fn parent_of(p: &str) -> String {
    p[..p.rfind('/').unwrap_or(0)].to_string()
}

fn mount_of(p: &str) -> u32 {
    if p == "/mnt" || p.starts_with("/mnt/") {
        2
    } else {
        1
    }
}

fn shown(p: &str) -> &str {
    if p.is_empty() {
        "/"
    } else {
        p
    }
}

impl Model {
    fn new(ext2: bool) -> Model {
        let mut names = BTreeMap::new();
        names.insert(String::new(), M::Dir);
        names.insert("/mnt".into(), M::Dir);
        if ext2 {
            names.insert("/lost+found".into(), M::Dir);
        }
        Model {
            names,
            objs: HashMap::new(),
            next: 0,
        }
    }

    fn is_dir(&self, p: &str) -> bool {
        self.names.get(p) == Some(&M::Dir)
    }

    fn children(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{dir}/");
        self.names
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(k, _)| k[prefix.len()..].to_string())
            .collect()
    }

    fn nlink(&self, p: &str) -> u32 {
        match self.names[p] {
            M::Dir => {
                2 + self
                    .children(p)
                    .iter()
                    .filter(|c| self.is_dir(&format!("{p}/{c}")))
                    .count() as u32
            }
            M::Obj(id) => self.names.values().filter(|&&m| m == M::Obj(id)).count() as u32,
        }
    }

    /// Walks `comps` from `start`; the last is followed only when `follow`.
    fn walk(&self, start: &str, path: &str, follow: bool) -> Result<String, Errno> {
        let mut comps = split(path);
        comps.reverse();
        let mut cur = if path.starts_with('/') {
            String::new()
        } else {
            start.to_string()
        };
        let mut links = 0;
        while let Some(c) = comps.pop() {
            if !self.is_dir(&cur) {
                return Err(Errno::ENOTDIR);
            }
            let next = match c.as_str() {
                "." => cur.clone(),
                ".." => parent_of(&cur),
                _ => format!("{cur}/{c}"),
            };
            match self.names.get(&next) {
                None => return Err(Errno::ENOENT),
                Some(M::Obj(id)) if !comps.is_empty() || follow => {
                    if let Obj::Link(t) = &self.objs[id] {
                        links += 1;
                        if links > 40 {
                            return Err(Errno::ELOOP);
                        }
                        let mut more = split(t);
                        more.reverse();
                        comps.extend(more);
                        cur = String::new();
                        continue;
                    }
                    cur = next;
                }
                Some(_) => cur = next,
            }
        }
        Ok(cur)
    }

    /// (directory, last name) of `path`.
    fn parent(&self, start: &str, path: &str) -> Result<(String, String), Errno> {
        let comps = split(path);
        let (last, dir) = comps.split_last().unwrap();
        let mut dir_path = dir.join("/");
        if path.starts_with('/') {
            dir_path.insert(0, '/');
        }
        let d = if dir.is_empty() && !path.starts_with('/') {
            start.to_string()
        } else {
            self.walk(start, &dir_path, true)?
        };
        if !self.is_dir(&d) {
            return Err(Errno::ENOTDIR);
        }
        Ok((d, last.clone()))
    }

    fn mnt_used(&self) -> u64 {
        let mut ids: Vec<usize> = self
            .names
            .iter()
            .filter(|(k, _)| mount_of(k) == 2)
            .filter_map(|(_, m)| match m {
                M::Obj(id) => Some(*id),
                M::Dir => None,
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids.iter()
            .map(|id| match &self.objs[id] {
                Obj::File(d) => d.len() as u64,
                Obj::Link(t) => t.len() as u64,
            })
            .sum()
    }

    fn free_on(&self, p: &str) -> u64 {
        match mount_of(p) {
            2 => MNT_LIMIT - self.mnt_used(),
            _ => u64::MAX / 4,
        }
    }

    fn new_obj(&mut self, at: String, o: Obj) {
        let id = self.next;
        self.next += 1;
        self.objs.insert(id, o);
        self.names.insert(at, M::Obj(id));
    }

    fn drop_name(&mut self, p: &str) {
        if let Some(M::Obj(id)) = self.names.remove(p) {
            if !self.names.values().any(|&m| m == M::Obj(id)) {
                self.objs.remove(&id);
            }
        }
    }

    fn file(&self, start: &str, path: &str) -> Result<(String, usize), Errno> {
        let p = self.walk(start, path, true)?;
        match self.names[&p] {
            M::Dir => Err(Errno::EISDIR),
            M::Obj(id) => Ok((p, id)),
        }
    }

    // ---- the operations: each returns what the VFS must return ----

    fn mkdir(&mut self, cwd: &str, path: &str) -> R {
        let (d, n) = self.parent(cwd, path)?;
        let at = format!("{d}/{n}");
        if self.names.contains_key(&at) {
            return Err(Errno::EEXIST);
        }
        self.names.insert(at, M::Dir);
        Ok(String::new())
    }

    fn create(&mut self, cwd: &str, path: &str) -> R {
        let (d, n) = self.parent(cwd, path)?;
        let at = format!("{d}/{n}");
        if self.names.contains_key(&at) {
            return Err(Errno::EEXIST);
        }
        self.new_obj(at, Obj::File(Vec::new()));
        Ok(String::new())
    }

    fn write(&mut self, cwd: &str, path: &str, off: u64, data: &[u8]) -> R {
        let (p, id) = self.file(cwd, path)?;
        let free = self.free_on(&p);
        let Obj::File(f) = self.objs.get_mut(&id).unwrap() else {
            unreachable!()
        };
        let old = f.len() as u64;
        let max_end = old + free;
        let n = if off + data.len() as u64 <= max_end {
            data.len()
        } else {
            max_end.saturating_sub(off) as usize
        };
        if n == 0 {
            return Err(Errno::ENOSPC);
        }
        let end = off as usize + n;
        if end > f.len() {
            f.resize(end, 0);
        }
        f[off as usize..end].copy_from_slice(&data[..n]);
        Ok(n.to_string())
    }

    fn read(&self, cwd: &str, path: &str) -> R {
        let (_, id) = self.file(cwd, path)?;
        match &self.objs[&id] {
            Obj::File(f) => Ok(format!("{f:?}")),
            Obj::Link(_) => unreachable!(),
        }
    }

    fn truncate(&mut self, cwd: &str, path: &str, size: u64) -> R {
        let (p, id) = self.file(cwd, path)?;
        let free = self.free_on(&p);
        let Obj::File(f) = self.objs.get_mut(&id).unwrap() else {
            unreachable!()
        };
        if size > f.len() as u64 && size - f.len() as u64 > free {
            return Err(Errno::ENOSPC);
        }
        f.resize(size as usize, 0);
        Ok(String::new())
    }

    fn unlink(&mut self, cwd: &str, path: &str) -> R {
        let (d, n) = self.parent(cwd, path)?;
        let at = format!("{d}/{n}");
        match self.names.get(&at) {
            None => Err(Errno::ENOENT),
            Some(M::Dir) => Err(Errno::EISDIR),
            Some(_) => {
                self.drop_name(&at);
                Ok(String::new())
            }
        }
    }

    fn rmdir(&mut self, cwd: &str, path: &str) -> R {
        let (d, n) = self.parent(cwd, path)?;
        let at = format!("{d}/{n}");
        match self.names.get(&at) {
            None => Err(Errno::ENOENT),
            Some(M::Obj(_)) => Err(Errno::ENOTDIR),
            Some(M::Dir) if at == "/mnt" => Err(Errno::EBUSY),
            Some(M::Dir) if !self.children(&at).is_empty() => Err(Errno::ENOTEMPTY),
            Some(M::Dir) => {
                self.names.remove(&at);
                Ok(String::new())
            }
        }
    }

    fn rename(&mut self, cwd: &str, old: &str, new: &str) -> R {
        let (od, on) = self.parent(cwd, old)?;
        let src = format!("{od}/{on}");
        let sm = *self.names.get(&src).ok_or(Errno::ENOENT)?;
        let (nd, nn) = self.parent(cwd, new)?;
        let dst = format!("{nd}/{nn}");
        if mount_of(&od) != mount_of(&nd) {
            return Err(Errno::EXDEV);
        }
        if src == "/mnt" || (dst == "/mnt" && self.names.contains_key(&dst)) {
            return Err(Errno::EBUSY);
        }
        let tm = self.names.get(&dst).copied();
        if tm == Some(sm) && (sm != M::Dir || src == dst) {
            return Ok(String::new());
        }
        if let Some(t) = tm {
            match (sm, t) {
                (M::Dir, M::Obj(_)) => return Err(Errno::ENOTDIR),
                (M::Obj(_), M::Dir) => return Err(Errno::EISDIR),
                (M::Dir, M::Dir) if !self.children(&dst).is_empty() => {
                    return Err(Errno::ENOTEMPTY)
                }
                _ => {}
            }
        }
        if sm == M::Dir && od != nd && (nd == src || nd.starts_with(&format!("{src}/"))) {
            return Err(Errno::EINVAL);
        }
        if tm.is_some() {
            self.drop_name(&dst);
            self.names.remove(&dst);
        }
        let moved: Vec<(String, M)> = self
            .names
            .iter()
            .filter(|(k, _)| *k == &src || k.starts_with(&format!("{src}/")))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        for (k, _) in &moved {
            self.names.remove(k);
        }
        for (k, v) in moved {
            self.names.insert(format!("{dst}{}", &k[src.len()..]), v);
        }
        Ok(String::new())
    }

    fn link(&mut self, cwd: &str, old: &str, new: &str) -> R {
        let src = self.walk(cwd, old, false)?;
        let M::Obj(id) = self.names[&src] else {
            return Err(Errno::EPERM);
        };
        let (nd, nn) = self.parent(cwd, new)?;
        let dst = format!("{nd}/{nn}");
        if self.names.contains_key(&dst) {
            return Err(Errno::EEXIST);
        }
        if mount_of(&src) != mount_of(&nd) {
            return Err(Errno::EXDEV);
        }
        self.names.insert(dst, M::Obj(id));
        Ok(String::new())
    }

    fn symlink(&mut self, cwd: &str, target: &str, path: &str) -> R {
        let (d, n) = self.parent(cwd, path)?;
        let at = format!("{d}/{n}");
        if self.names.contains_key(&at) {
            return Err(Errno::EEXIST);
        }
        if target.len() as u64 > self.free_on(&at) {
            return Err(Errno::ENOSPC);
        }
        self.new_obj(at, Obj::Link(target.to_string()));
        Ok(String::new())
    }

    fn stat(&self, cwd: &str, path: &str, follow: bool) -> R {
        let p = self.walk(cwd, path, follow)?;
        Ok(match self.names[&p] {
            M::Dir => format!("dir nlink={}", self.nlink(&p)),
            M::Obj(id) => match &self.objs[&id] {
                Obj::File(f) => format!("file size={} nlink={}", f.len(), self.nlink(&p)),
                Obj::Link(t) => format!("link size={} nlink={}", t.len(), self.nlink(&p)),
            },
        })
    }

    fn readlink(&self, cwd: &str, path: &str) -> R {
        let p = self.walk(cwd, path, false)?;
        match self.names[&p] {
            M::Obj(id) => match &self.objs[&id] {
                Obj::Link(t) => Ok(t.clone()),
                Obj::File(_) => Err(Errno::EINVAL),
            },
            M::Dir => Err(Errno::EINVAL),
        }
    }

    fn list(&self, cwd: &str, path: &str) -> R {
        let p = self.walk(cwd, path, true)?;
        if !self.is_dir(&p) {
            return Err(Errno::ENOTDIR);
        }
        Ok(self.children(&p).join(","))
    }
}

// ---- the same operations on the VFS ----

fn ok(r: Result<impl Sized, Errno>) -> R {
    r.map(|_| String::new())
}

fn real_stat(v: &mut Vfs, cwd: NodeRef, path: &str, follow: bool) -> R {
    let st = if follow {
        v.stat(&ROOT, cwd, path)
    } else {
        v.lstat(&ROOT, cwd, path)
    }?;
    Ok(match st.mode & S_IFMT {
        S_IFDIR => format!("dir nlink={}", st.nlink),
        S_IFREG => format!("file size={} nlink={}", st.size, st.nlink),
        S_IFLNK => format!("link size={} nlink={}", st.size, st.nlink),
        m => panic!("unexpected mode {m:o}"),
    })
}

fn real_write(v: &mut Vfs, cwd: NodeRef, path: &str, off: u64, data: &[u8]) -> R {
    let o = v.open(&ROOT, cwd, path, O_WRONLY, 0)?;
    v.write(o.node, off, data).map(|n| n.to_string())
}

fn real_read(v: &mut Vfs, cwd: NodeRef, path: &str) -> R {
    get(v, cwd, path).map(|d| format!("{d:?}"))
}

struct Gen<'a> {
    rng: &'a mut Rng,
    m: &'a Model,
}

impl Gen<'_> {
    fn dir(&mut self) -> String {
        let dirs: Vec<&String> = self
            .m
            .names
            .iter()
            .filter(|(_, v)| **v == M::Dir)
            .map(|(k, _)| k)
            .collect();
        let all: Vec<&String> = self.m.names.keys().collect();
        match self.rng.below(20) {
            0 => "/nope".into(),
            1..=3 => (*self.rng.pick(&all)).clone(),
            _ => (*self.rng.pick(&dirs)).clone(),
        }
    }

    /// An absolute path, sometimes with `.` or `..` in it.
    fn path(&mut self) -> String {
        let dir = self.dir();
        let name = *self.rng.pick(&NAMES);
        match self.rng.below(10) {
            0 => format!("{dir}/./{name}"),
            1 if !dir.is_empty() => {
                format!("{dir}/../{}/{name}", &dir[dir.rfind('/').unwrap() + 1..])
            }
            _ => format!("{dir}/{name}"),
        }
    }

    fn target(&mut self) -> String {
        let n = 1 + self.rng.below(3);
        let pool = ["a", "b", "c", "mnt"];
        (0..n)
            .map(|_| format!("/{}", self.rng.pick(&pool)))
            .collect()
    }
}

/// `path` as seen from working directory `cwd`: `../` up to the root, then the
/// rest (so a walk from inside `/mnt` climbs out of the mount).
fn relative(cwd: &str, path: &str) -> String {
    let ups = split(cwd).len();
    let rest = path.trim_start_matches('/');
    let mut s = "../".repeat(ups);
    s.push_str(rest);
    if s.is_empty() {
        s.push('.');
    }
    s
}

fn run(seed: u64, ops: usize, mut v: Vfs, ext2: bool) {
    let mut m = Model::new(ext2);
    let mut rng = Rng::new(seed);
    let r = v.root();
    v.mkdir(&ROOT, r, "/mnt", 0o755).unwrap();
    v.mount(&ROOT, "/mnt", Box::new(TmpFs::new(clock(), MNT_LIMIT)))
        .unwrap();
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for step in 0..ops {
        let g = &mut Gen {
            rng: &mut rng,
            m: &m,
        };
        let (a, b, t) = (g.path(), g.path(), g.target());
        // A working directory: usually `/`, sometimes a real directory.
        let cwd_s = if rng.below(4) == 0 {
            let dirs: Vec<String> = m
                .names
                .iter()
                .filter(|(_, v)| **v == M::Dir)
                .map(|(k, _)| k.clone())
                .collect();
            rng.pick(&dirs).clone()
        } else {
            String::new()
        };
        let cwd = v.resolve_dir(&ROOT, r, shown(&cwd_s)).unwrap();
        let (a, b) = if cwd_s.is_empty() || rng.below(2) == 0 {
            (a, b)
        } else {
            (relative(&cwd_s, &a), relative(&cwd_s, &b))
        };
        let off = rng.below(3000);
        let len = 1 + rng.below(1500) as usize;
        let data: Vec<u8> = (0..len)
            .map(|i| (i as u64 + seed + step as u64) as u8)
            .collect();
        let op = rng.below(15);
        let (name, want, got) = match op {
            0 | 1 => (
                "mkdir",
                m.mkdir(&cwd_s, &a),
                ok(v.mkdir(&ROOT, cwd, &a, 0o755)),
            ),
            2 | 3 => (
                "create",
                m.create(&cwd_s, &a),
                ok(v.open(&ROOT, cwd, &a, O_CREAT | O_EXCL | O_WRONLY, 0o644)),
            ),
            4 => (
                "write",
                m.write(&cwd_s, &a, off, &data),
                real_write(&mut v, cwd, &a, off, &data),
            ),
            5 => ("read", m.read(&cwd_s, &a), real_read(&mut v, cwd, &a)),
            6 => (
                "truncate",
                m.truncate(&cwd_s, &a, off),
                ok(v.truncate(&ROOT, cwd, &a, off)),
            ),
            7 => ("unlink", m.unlink(&cwd_s, &a), ok(v.unlink(&ROOT, cwd, &a))),
            8 => ("rmdir", m.rmdir(&cwd_s, &a), ok(v.rmdir(&ROOT, cwd, &a))),
            9 => (
                "rename",
                m.rename(&cwd_s, &a, &b),
                ok(v.rename(&ROOT, cwd, &a, &b)),
            ),
            10 => (
                "link",
                m.link(&cwd_s, &a, &b),
                ok(v.link(&ROOT, cwd, &a, &b)),
            ),
            11 => (
                "symlink",
                m.symlink(&cwd_s, &t, &a),
                ok(v.symlink(&ROOT, cwd, &t, &a)),
            ),
            12 => {
                let follow = rng.below(2) == 0;
                (
                    "stat",
                    m.stat(&cwd_s, &a, follow),
                    real_stat(&mut v, cwd, &a, follow),
                )
            }
            13 => (
                "readlink",
                m.readlink(&cwd_s, &a),
                v.readlink(&ROOT, cwd, &a)
                    .map(|t| String::from_utf8(t).unwrap()),
            ),
            _ => {
                let dir = shown(
                    &m.walk("", &a, true)
                        .map(|p| parent_of(&p))
                        .unwrap_or_default(),
                )
                .to_string();
                let bufsize = 24 + rng.below(200) as usize;
                (
                    "list",
                    m.list("", &dir),
                    list(&mut v, r, &dir, bufsize).map(|n| n.join(",")),
                )
            }
        };
        assert_eq!(
            got, want,
            "seed {seed} step {step}: {name} cwd={cwd_s:?} a={a:?} b={b:?} t={t:?} off={off} len={len}"
        );
        let c = counts.entry(name).or_default();
        match &want {
            Ok(_) => c.0 += 1,
            Err(e) => {
                c.1 += 1;
                *errors.entry(format!("{e:?}")).or_default() += 1;
            }
        }
    }
    // The whole tree agrees: every name, its kind, contents and link count, and
    // every directory's listing and path.
    for (p, _) in m.names.clone() {
        let sp = shown(&p);
        assert_eq!(
            real_stat(&mut v, r, sp, false),
            m.stat("", sp, false),
            "final {sp}"
        );
        if m.is_dir(&p) {
            assert_eq!(
                list(&mut v, r, sp, 512).map(|n| n.join(",")),
                m.list("", sp),
                "final ls {sp}"
            );
            let node = v.resolve_dir(&ROOT, r, sp).unwrap();
            assert_eq!(String::from_utf8(v.path_of(node).unwrap()).unwrap(), sp);
        }
    }
    v.sync_all().unwrap();
    for (name, (good, _)) in &counts {
        assert!(
            *good > 0,
            "seed {seed}: {name} never succeeded ({counts:?})"
        );
    }
    for e in [
        "ENOENT",
        "ENOTDIR",
        "EEXIST",
        "EISDIR",
        "ENOTEMPTY",
        "EXDEV",
        "ENOSPC",
    ] {
        assert!(
            errors.contains_key(e),
            "seed {seed}: {e} never tested ({errors:?})"
        );
    }
    eprintln!("seed {seed}: {counts:?} {errors:?}");
}

#[test]
fn random_operations_on_tmpfs_root_match_the_model() {
    for seed in 1..=4 {
        run(seed, 3000, tmp_vfs(1 << 30), false);
    }
}

#[test]
fn random_operations_on_ext2_root_match_the_model() {
    if !have_mke2fs("vfs model on ext2") {
        return;
    }
    for seed in 11..=12 {
        let image = ext2_image(|_| {});
        run(seed, 3000, ext2_vfs(image), true);
    }
}
