//! Shared helpers for the VFS host tests: trees on tmpfs, ext2 images made by
//! the host's mke2fs, a fixed clock, a seeded PRNG and a getdents decoder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use abi::flags::*;
use abi::Errno;
use vfs::{DevFs, NodeRef, TmpFs, Vfs, ROOT};

pub const MKE2FS: &str = "/usr/sbin/mke2fs";
pub const NOW: i64 = 1_700_000_000;

pub fn clock() -> Box<dyn Fn() -> i64 + Send> {
    Box::new(|| NOW)
}

/// A VFS whose root is an empty tmpfs of `limit` bytes.
pub fn tmp_vfs(limit: u64) -> Vfs {
    Vfs::new(Box::new(TmpFs::new(clock(), limit)))
}

/// A devfs with null (1,3) and zero (1,5) registered.
pub fn devfs() -> DevFs {
    let mut d = DevFs::new(clock());
    d.register("null", 0x103, 0o666).unwrap();
    d.register("zero", 0x105, 0o666).unwrap();
    d
}

/// Creates (or truncates) a file and writes `data` into it.
pub fn put(v: &mut Vfs, cwd: NodeRef, path: &str, data: &[u8]) -> NodeRef {
    let o = v
        .open(&ROOT, cwd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        .unwrap_or_else(|e| panic!("create {path}: {e:?}"));
    assert_eq!(v.write(o.node, 0, data), Ok(data.len()));
    o.node
}

/// The whole contents of `path`.
pub fn get(v: &mut Vfs, cwd: NodeRef, path: &str) -> Result<Vec<u8>, Errno> {
    let o = v.open(&ROOT, cwd, path, O_RDONLY, 0)?;
    let size = v.stat_node(o.node)?.size as usize;
    let mut buf = vec![0u8; size + 16];
    let n = v.read(o.node, 0, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

/// Decodes getdents records into (ino, type, name).
pub fn decode_dirents(mut buf: &[u8]) -> Vec<(u64, u8, Vec<u8>)> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let ino = u64::from_le_bytes(buf[0..8].try_into().unwrap());
        let reclen = u16::from_le_bytes(buf[8..10].try_into().unwrap()) as usize;
        assert!(reclen.is_multiple_of(8) && reclen >= abi::DIRENT_HEADER && reclen <= buf.len());
        let namelen = buf[11] as usize;
        out.push((ino, buf[10], buf[12..12 + namelen].to_vec()));
        buf = &buf[reclen..];
    }
    out
}

/// Every name in directory `path` (`.` and `..` left out), sorted, read with
/// getdents through a buffer of `bufsize` bytes.
pub fn list(v: &mut Vfs, cwd: NodeRef, path: &str, bufsize: usize) -> Result<Vec<String>, Errno> {
    let dir = v.resolve_dir(&ROOT, cwd, path)?;
    let mut names = Vec::new();
    let mut pos = 0;
    let mut buf = vec![0u8; bufsize];
    loop {
        let (n, next) = v.getdents(dir, pos, &mut buf)?;
        if n == 0 {
            break;
        }
        for (_, _, name) in decode_dirents(&buf[..n]) {
            let name = String::from_utf8(name).unwrap();
            if name != "." && name != ".." {
                names.push(name);
            }
        }
        pos = next;
    }
    names.sort();
    Ok(names)
}

/// True when mke2fs is installed; otherwise prints why the test is skipped.
/// With `DINOS_REQUIRE_E2FSPROGS` set a missing mke2fs is a failure.
pub fn have_mke2fs(test: &str) -> bool {
    let ok = Path::new(MKE2FS).exists();
    if !ok && std::env::var_os("DINOS_REQUIRE_E2FSPROGS").is_some() {
        panic!("{test}: mke2fs is required but not installed");
    }
    if !ok {
        eprintln!("SKIPPED {test}: mke2fs not installed");
    }
    ok
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("dinos-vfs-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A 4 MiB ext2 image made by `mke2fs -q -t ext2 -d DIR img 4M`, DIR filled by
/// `fill`.
pub fn ext2_image(fill: impl FnOnce(&Path)) -> Vec<u8> {
    let tmp = TempDir::new("img");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    fill(&src);
    let img = tmp.path().join("img");
    let out = Command::new(MKE2FS)
        .args(["-q", "-F", "-t", "ext2", "-d"])
        .arg(&src)
        .arg(&img)
        .arg("4M")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mke2fs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&img).unwrap()
}

/// Mounts an image as the root of a new VFS.
pub fn ext2_vfs(image: Vec<u8>) -> Vfs {
    let fs = fs::Ext2::mount(fs::MemDisk::new(image), Box::new(|| NOW as u32)).expect("mount");
    Vfs::new(Box::new(fs))
}

/// xorshift64*: small, seeded, good enough to pick test operations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}
