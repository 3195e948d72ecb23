//! Shared helpers for the host tests: temporary directories, the host's
//! e2fsprogs (mke2fs to build images, e2fsck and debugfs to judge ours), a
//! fixed clock and a tiny seeded PRNG.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use fs::{Ext2, MemDisk};

pub const MKE2FS: &str = "/usr/sbin/mke2fs";
pub const E2FSCK: &str = "/usr/sbin/e2fsck";
pub const DEBUGFS: &str = "/usr/sbin/debugfs";
pub const NOW: u32 = 1_700_000_000;

/// True when e2fsprogs is installed; otherwise prints why the test is skipped.
/// Under `cargo xtask test` (which installs e2fsprogs first and sets
/// `DINOS_REQUIRE_E2FSPROGS`) a missing tool is a failure, not a skip.
pub fn have_tools(test: &str) -> bool {
    let ok = [MKE2FS, E2FSCK, DEBUGFS]
        .iter()
        .all(|p| Path::new(p).exists());
    if !ok && std::env::var_os("DINOS_REQUIRE_E2FSPROGS").is_some() {
        panic!("{test}: e2fsprogs (mke2fs, e2fsck, debugfs) is required but not installed");
    }
    if !ok {
        eprintln!("SKIPPED {test}: e2fsprogs (mke2fs, e2fsck, debugfs) not installed");
    }
    ok
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("dinos-fs-{tag}-{}-{n}", std::process::id()));
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

/// Builds an ext2 image with mke2fs: `size_kib` KiB, `block` bytes per block,
/// filled from `src` when given; `extra` are more mke2fs arguments.
pub fn mkfs(block: u32, size_kib: u64, src: Option<&Path>, extra: &[&str]) -> Vec<u8> {
    let tmp = TempDir::new("mkfs");
    let img = tmp.path().join("img");
    let mut cmd = Command::new(MKE2FS);
    cmd.args(["-q", "-F", "-t", "ext2", "-b", &block.to_string()]);
    cmd.args(extra);
    if let Some(s) = src {
        cmd.arg("-d").arg(s);
    }
    cmd.arg(&img).arg(format!("{size_kib}k"));
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "mke2fs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&img).unwrap()
}

/// Runs `e2fsck -fn` on an image; returns (clean, output).
pub fn fsck(image: &[u8]) -> (bool, String) {
    let tmp = TempDir::new("fsck");
    let img = tmp.path().join("img");
    std::fs::write(&img, image).unwrap();
    let out = Command::new(E2FSCK).arg("-fn").arg(&img).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code() == Some(0), text)
}

/// Asserts the image is clean for e2fsck.
pub fn assert_fsck_clean(image: &[u8]) {
    let (ok, text) = fsck(image);
    assert!(ok, "e2fsck -fn found problems:\n{text}");
}

/// Runs one debugfs request (read-only unless `write`) on an image file copy;
/// returns stdout and the (possibly modified) image.
pub fn debugfs(image: &[u8], request: &str, write: bool) -> (String, Vec<u8>) {
    let tmp = TempDir::new("debugfs");
    let img = tmp.path().join("img");
    std::fs::write(&img, image).unwrap();
    let mut cmd = Command::new(DEBUGFS);
    if write {
        cmd.arg("-w");
    }
    let out = cmd.arg("-R").arg(request).arg(&img).output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        std::fs::read(&img).unwrap(),
    )
}

/// Mounts an image read-write with the fixed test clock.
pub fn mount(image: Vec<u8>) -> Ext2<MemDisk> {
    Ext2::mount(MemDisk::new(image), Box::new(|| NOW)).expect("mount")
}

/// Syncs and returns the image bytes.
pub fn unmount(fs: Ext2<MemDisk>) -> Vec<u8> {
    fs.unmount().expect("sync").into_bytes()
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
    /// Uniform-ish in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Deterministic file contents: byte i of pattern `seed`.
pub fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed as u32 * 7) as u8 ^ (i >> 10) as u8)
        .collect()
}

/// The exact bytes of file `path` in an image, as debugfs's `cat` prints them.
pub fn debugfs_cat(image: &[u8], path: &str) -> Vec<u8> {
    let tmp = TempDir::new("debugfs-cat");
    let img = tmp.path().join("img");
    std::fs::write(&img, image).unwrap();
    let out = Command::new(DEBUGFS)
        .arg("-R")
        .arg(format!("cat {path}"))
        .arg(&img)
        .output()
        .unwrap();
    out.stdout
}
