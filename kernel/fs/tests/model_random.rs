//! Model-based random testing: a seeded PRNG drives thousands of operations on
//! the file system and on a plain in-memory model of it; results and the whole
//! tree must agree, and e2fsck must find the image clean at the end, including
//! on a small disk that keeps running out of space.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use fs::{Errno, Ext2, FileType, MemDisk, NewOwner};

const OWN: NewOwner = NewOwner {
    perm: 0o644,
    uid: 0,
    gid: 0,
};
const NAMES: [&str; 8] = [
    "a",
    "b",
    "c",
    "dir",
    "file",
    "x",
    "long-name-for-a-directory-entry",
    "z",
];

/// ENOSPC results seen (shared by the tests running in parallel, so approximate).
static ENOSPC_SEEN: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Dir,
    File(usize),
    Link(Vec<u8>),
}

#[derive(Default)]
struct Model {
    /// Full path ("" is the root, "/a/b" below it) to what it names.
    names: BTreeMap<String, Node>,
    files: HashMap<usize, Vec<u8>>,
    next_id: usize,
}

fn join(dir: &str, name: &str) -> String {
    format!("{dir}/{name}")
}

impl Model {
    fn new() -> Model {
        let mut m = Model::default();
        m.names.insert(String::new(), Node::Dir);
        m.names.insert("/lost+found".into(), Node::Dir);
        m
    }
    fn children(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{dir}/");
        self.names
            .keys()
            .filter(|k| k.starts_with(&prefix) && !k[prefix.len()..].contains('/'))
            .cloned()
            .collect()
    }
    fn dirs(&self) -> Vec<String> {
        self.names
            .iter()
            .filter(|(_, n)| **n == Node::Dir)
            .map(|(k, _)| k.clone())
            .collect()
    }
    fn files(&self) -> Vec<(String, usize)> {
        self.names
            .iter()
            .filter_map(|(k, n)| match n {
                Node::File(id) => Some((k.clone(), *id)),
                _ => None,
            })
            .collect()
    }
    fn links_to(&self, id: usize) -> usize {
        self.names
            .values()
            .filter(|n| **n == Node::File(id))
            .count()
    }
    fn remove_name(&mut self, path: &str) {
        if let Some(Node::File(id)) = self.names.remove(path) {
            if self.links_to(id) == 0 {
                self.files.remove(&id);
            }
        }
    }
    /// Moves `from` (and everything under it) to `to`.
    fn move_tree(&mut self, from: &str, to: &str) {
        let prefix = format!("{from}/");
        let moved: Vec<(String, Node)> = self
            .names
            .iter()
            .filter(|(k, _)| *k == from || k.starts_with(&prefix))
            .map(|(k, n)| (k.clone(), n.clone()))
            .collect();
        for (k, _) in &moved {
            self.names.remove(k);
        }
        for (k, n) in moved {
            self.names.insert(format!("{to}{}", &k[from.len()..]), n);
        }
    }
}

fn pick<T: Clone>(rng: &mut Rng, v: &[T]) -> T {
    v[rng.below(v.len() as u64) as usize].clone()
}

fn ino(fs: &mut Ext2<MemDisk>, path: &str) -> u32 {
    fs.lookup_path(path)
        .unwrap_or_else(|e| panic!("lookup {path}: {e}"))
}

/// Expected result of making `name` in `dir`.
fn expect_new(m: &Model, dir: &str, name: &str) -> Result<(), Errno> {
    if m.names.contains_key(&join(dir, name)) {
        Err(Errno::EEXIST)
    } else {
        Ok(())
    }
}

/// Compares the whole tree, contents and link counts.
fn check_tree(fs: &mut Ext2<MemDisk>, m: &Model) {
    for dir in m.dirs() {
        let d = ino(fs, &dir);
        let mut got: Vec<String> = fs
            .read_dir(d)
            .unwrap()
            .into_iter()
            .map(|e| String::from_utf8(e.name).unwrap())
            .filter(|n| n != "." && n != "..")
            .map(|n| join(&dir, &n))
            .collect();
        got.sort();
        let want = m.children(&dir);
        assert_eq!(got, want, "names in '{dir}'");
        let subdirs = want.iter().filter(|c| m.names[*c] == Node::Dir).count();
        assert_eq!(
            fs.stat(d).unwrap().nlink as usize,
            2 + subdirs,
            "links of '{dir}'"
        );
        for child in want {
            let i = ino(fs, &child);
            let st = fs.stat(i).unwrap();
            match &m.names[&child] {
                Node::Dir => assert_eq!(st.kind, FileType::Directory),
                Node::Link(t) => assert_eq!(&fs.readlink(i).unwrap(), t, "target of {child}"),
                Node::File(id) => {
                    let data = &m.files[id];
                    assert_eq!(st.size as usize, data.len(), "size of {child}");
                    assert_eq!(st.nlink as usize, m.links_to(*id), "links of {child}");
                    let mut buf = vec![0u8; data.len()];
                    assert_eq!(fs.read(i, 0, &mut buf).unwrap(), data.len());
                    assert!(buf == *data, "contents of {child}");
                }
            }
        }
    }
}

/// Result of a write/create that may run out of space: `ENOSPC` is accepted
/// (the model is then left alone), anything else must match `want`.
fn agree(op: &str, got: Result<(), Errno>, want: Result<(), Errno>) -> bool {
    if got == Err(Errno::ENOSPC) && want.is_ok() {
        ENOSPC_SEEN.fetch_add(1, Ordering::Relaxed);
        return false;
    }
    assert_eq!(got, want, "{op}");
    got.is_ok()
}

fn run(seed: u64, block: u32, size_kib: u64, ops: usize) {
    let mut fs = mount(mkfs(block, size_kib, None, &[]));
    let mut m = Model::new();
    let mut rng = Rng::new(seed);
    let enospc_before = ENOSPC_SEEN.load(Ordering::Relaxed);
    for step in 0..ops {
        let dirs = m.dirs();
        let dir = pick(&mut rng, &dirs);
        let name = pick(&mut rng, &NAMES[..]);
        let path = join(&dir, name);
        let d = ino(&mut fs, &dir);
        let what = rng.below(100);
        let op = format!("step {step}: op {what} on {path}");
        match what {
            0..=14 => {
                let got = fs.create(d, name, OWN).map(|_| ());
                if agree(&op, got, expect_new(&m, &dir, name)) {
                    m.next_id += 1;
                    m.files.insert(m.next_id, Vec::new());
                    m.names.insert(path, Node::File(m.next_id));
                }
            }
            15..=22 => {
                let got = fs.mkdir(d, name, OWN).map(|_| ());
                if agree(&op, got, expect_new(&m, &dir, name)) {
                    m.names.insert(path, Node::Dir);
                }
            }
            23..=27 => {
                let max = if rng.chance(50) { 40 } else { 500 };
                let target = vec![b't'; 1 + rng.below(max) as usize];
                let got = fs.symlink(d, name, &target, OWN).map(|_| ());
                if agree(&op, got, expect_new(&m, &dir, name)) {
                    m.names.insert(path, Node::Link(target));
                }
            }
            28..=49 => {
                let files = m.files();
                if files.is_empty() {
                    continue;
                }
                let (fpath, id) = pick(&mut rng, &files);
                let off = match rng.below(10) {
                    0 => rng.below(3 << 20),
                    1..=3 => rng.below(300 << 10),
                    _ => rng.below(20 << 10),
                };
                let len = rng.below(12_000) as usize;
                let data = rng.bytes(len);
                let f = ino(&mut fs, &fpath);
                let n = match fs.write(f, off, &data) {
                    Ok(n) => n,
                    Err(Errno::ENOSPC) if !data.is_empty() => 0,
                    Err(e) => panic!("{op}: write {fpath}: {e}"),
                };
                if n < data.len() {
                    ENOSPC_SEEN.fetch_add(1, Ordering::Relaxed);
                }
                if n > 0 {
                    let content = m.files.get_mut(&id).unwrap();
                    let end = off as usize + n;
                    if content.len() < end {
                        content.resize(end, 0);
                    }
                    content[off as usize..end].copy_from_slice(&data[..n]);
                }
            }
            50..=57 => {
                let files = m.files();
                if files.is_empty() {
                    continue;
                }
                let (fpath, id) = pick(&mut rng, &files);
                let size = if rng.chance(30) {
                    0
                } else {
                    rng.below(400 << 10) as usize
                };
                let f = ino(&mut fs, &fpath);
                fs.truncate(f, size as u64).unwrap();
                m.files.get_mut(&id).unwrap().resize(size, 0);
            }
            58..=67 => {
                let want = match m.names.get(&path) {
                    None => Err(Errno::ENOENT),
                    Some(Node::Dir) => Err(Errno::EISDIR),
                    Some(_) => Ok(()),
                };
                assert_eq!(fs.unlink(d, name), want, "{op}");
                if want.is_ok() {
                    m.remove_name(&path);
                }
            }
            68..=74 => {
                let want = match m.names.get(&path) {
                    None => Err(Errno::ENOENT),
                    Some(Node::Dir) if !m.children(&path).is_empty() => Err(Errno::ENOTEMPTY),
                    Some(Node::Dir) => Ok(()),
                    Some(_) => Err(Errno::ENOTDIR),
                };
                assert_eq!(fs.rmdir(d, name), want, "{op}");
                if want.is_ok() {
                    m.names.remove(&path);
                }
            }
            75..=89 => {
                let ndir = pick(&mut rng, &dirs);
                let nname = pick(&mut rng, &NAMES[..]);
                let npath = join(&ndir, nname);
                let nd = ino(&mut fs, &ndir);
                let src = m.names.get(&path).cloned();
                let tgt = m.names.get(&npath).cloned();
                let want = match (&src, &tgt) {
                    (None, _) => Err(Errno::ENOENT),
                    _ if path == npath => Ok(()),
                    (Some(Node::File(a)), Some(Node::File(b))) if a == b => Ok(()),
                    (Some(Node::Dir), Some(t)) if *t != Node::Dir => Err(Errno::ENOTDIR),
                    (Some(Node::Dir), Some(Node::Dir)) if !m.children(&npath).is_empty() => {
                        Err(Errno::ENOTEMPTY)
                    }
                    (Some(s), Some(Node::Dir)) if *s != Node::Dir => Err(Errno::EISDIR),
                    (Some(Node::Dir), _)
                        if dir != ndir
                            && (ndir == path || ndir.starts_with(&format!("{path}/"))) =>
                    {
                        Err(Errno::EINVAL)
                    }
                    _ => Ok(()),
                };
                let got = fs.rename(d, name, nd, nname);
                let same = path == npath
                    || matches!((&src, &tgt), (Some(Node::File(a)), Some(Node::File(b))) if a == b);
                if agree(&format!("{op} -> {npath}"), got, want) && !same {
                    m.remove_name(&npath);
                    if tgt == Some(Node::Dir) {
                        m.names.remove(&npath);
                    }
                    m.move_tree(&path, &npath);
                }
            }
            90..=95 => {
                let files = m.files();
                if files.is_empty() {
                    continue;
                }
                let (fpath, id) = pick(&mut rng, &files);
                let f = ino(&mut fs, &fpath);
                if agree(&op, fs.link(f, d, name), expect_new(&m, &dir, name)) {
                    m.names.insert(path, Node::File(id));
                }
            }
            _ => {
                let files = m.files();
                if files.is_empty() {
                    continue;
                }
                let (fpath, id) = pick(&mut rng, &files);
                let off = rng.below(m.files[&id].len() as u64 + 100);
                let mut buf = vec![0u8; rng.below(9000) as usize];
                let f = ino(&mut fs, &fpath);
                let n = fs.read(f, off, &mut buf).unwrap();
                let content = &m.files[&id];
                let want = content.len().saturating_sub(off as usize).min(buf.len());
                assert_eq!(n, want, "{op}: read length");
                if n > 0 {
                    assert!(
                        buf[..n] == content[off as usize..off as usize + n],
                        "{op}: read data"
                    );
                }
            }
        }
        if step % 500 == 499 {
            check_tree(&mut fs, &m);
        }
        if step == ops / 2 {
            fs.sync().unwrap();
            assert_fsck_clean(fs.device().as_bytes());
        }
    }
    check_tree(&mut fs, &m);
    let image = unmount(fs);
    assert_fsck_clean(&image);
    let enospc = ENOSPC_SEEN.load(Ordering::Relaxed) - enospc_before;
    eprintln!(
        "seed {seed}: {ops} ops, {} names at the end, {enospc} ENOSPC",
        m.names.len()
    );
}

#[test]
fn random_operations_match_model_on_1k_blocks() {
    if have_tools("random_operations_match_model_on_1k_blocks") {
        run(1, 1024, 16 * 1024, 3000);
        run(2, 1024, 16 * 1024, 3000);
    }
}

#[test]
fn random_operations_match_model_on_4k_blocks() {
    if have_tools("random_operations_match_model_on_4k_blocks") {
        run(3, 4096, 32 * 1024, 3000);
    }
}

#[test]
fn random_operations_on_a_tiny_disk_hit_enospc_and_stay_consistent() {
    if have_tools("random_operations_on_a_tiny_disk_hit_enospc_and_stay_consistent") {
        run(4, 1024, 1024, 3000);
        run(5, 4096, 2048, 2000);
    }
}
