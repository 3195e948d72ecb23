//! The name cache: a walk asks the file system for a name once, and every name
//! operation keeps the cache exact — rename over an existing name, rmdir then
//! mkdir of the same name, a name cached as absent that is then created, links,
//! mounts, drop_caches, inode numbers reused on ext2 — and its size stays bounded.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use abi::flags::*;
use abi::{Errno, Stat};
use common::*;
use vfs::{DirEntry, FileSystem, FsStat, NodeRef, TmpFs, Vfs, ROOT};

/// A tmpfs that counts the lookups it is asked.
struct Counted {
    fs: TmpFs,
    lookups: Arc<AtomicUsize>,
}

impl FileSystem for Counted {
    fn name(&self) -> &str {
        self.fs.name()
    }
    fn read_only(&self) -> bool {
        self.fs.read_only()
    }
    fn root(&self) -> u64 {
        self.fs.root()
    }
    fn lookup(&mut self, dir: u64, name: &[u8]) -> vfs::Result<u64> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        self.fs.lookup(dir, name)
    }
    fn create(&mut self, d: u64, n: &[u8], p: u32, u: u32, g: u32) -> vfs::Result<u64> {
        self.fs.create(d, n, p, u, g)
    }
    fn mkdir(&mut self, d: u64, n: &[u8], p: u32, u: u32, g: u32) -> vfs::Result<u64> {
        self.fs.mkdir(d, n, p, u, g)
    }
    fn symlink(&mut self, d: u64, n: &[u8], t: &[u8], u: u32, g: u32) -> vfs::Result<u64> {
        self.fs.symlink(d, n, t, u, g)
    }
    fn mknod(&mut self, d: u64, n: &[u8], m: u32, r: u32, u: u32, g: u32) -> vfs::Result<u64> {
        self.fs.mknod(d, n, m, r, u, g)
    }
    fn link(&mut self, ino: u64, dir: u64, name: &[u8]) -> vfs::Result<()> {
        self.fs.link(ino, dir, name)
    }
    fn unlink(&mut self, dir: u64, name: &[u8]) -> vfs::Result<()> {
        self.fs.unlink(dir, name)
    }
    fn rmdir(&mut self, dir: u64, name: &[u8]) -> vfs::Result<()> {
        self.fs.rmdir(dir, name)
    }
    fn rename(&mut self, od: u64, on: &[u8], nd: u64, nn: &[u8]) -> vfs::Result<()> {
        self.fs.rename(od, on, nd, nn)
    }
    fn readlink(&mut self, ino: u64) -> vfs::Result<Vec<u8>> {
        self.fs.readlink(ino)
    }
    fn read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> vfs::Result<usize> {
        self.fs.read(ino, off, buf)
    }
    fn write(&mut self, ino: u64, off: u64, data: &[u8]) -> vfs::Result<usize> {
        self.fs.write(ino, off, data)
    }
    fn truncate(&mut self, ino: u64, size: u64) -> vfs::Result<()> {
        self.fs.truncate(ino, size)
    }
    fn stat(&mut self, ino: u64) -> vfs::Result<Stat> {
        self.fs.stat(ino)
    }
    fn read_dir_at(&mut self, dir: u64, pos: u64) -> vfs::Result<Option<(DirEntry, u64)>> {
        self.fs.read_dir_at(dir, pos)
    }
    fn statfs(&mut self) -> FsStat {
        self.fs.statfs()
    }
    fn sync(&mut self) -> vfs::Result<()> {
        self.fs.sync()
    }
    fn pin(&mut self, ino: u64) {
        self.fs.pin(ino)
    }
    fn unpin(&mut self, ino: u64) -> vfs::Result<()> {
        self.fs.unpin(ino)
    }
}

/// A VFS on a counted tmpfs, and its lookup counter.
fn counted() -> (Vfs, Arc<AtomicUsize>) {
    let lookups = Arc::new(AtomicUsize::new(0));
    let fs = Counted {
        fs: TmpFs::new(clock(), 1 << 20),
        lookups: lookups.clone(),
    };
    (Vfs::new(Box::new(fs)), lookups)
}

fn ino(v: &mut Vfs, path: &str) -> Result<u64, Errno> {
    let r = v.root();
    v.lstat(&ROOT, r, path).map(|st| st.ino)
}

#[test]
fn a_walk_asks_the_file_system_once_per_name() {
    let (mut v, lookups) = counted();
    let r = v.root();
    v.mkdir(&ROOT, r, "/a", 0o755).unwrap();
    v.mkdir(&ROOT, r, "/a/b", 0o755).unwrap();
    put(&mut v, r, "/a/b/f", b"x");
    let before = lookups.load(Ordering::Relaxed);
    for _ in 0..10 {
        v.stat(&ROOT, r, "/a/b/f").unwrap();
        assert_eq!(v.stat(&ROOT, r, "/a/b/missing"), Err(Errno::ENOENT));
    }
    // Every name was recorded when it was made; only "missing" is asked, once.
    assert_eq!(lookups.load(Ordering::Relaxed) - before, 1);
}

#[test]
fn a_name_cached_as_absent_can_be_created_and_removed_again() {
    let (mut v, _) = counted();
    let r = v.root();
    assert_eq!(ino(&mut v, "/f"), Err(Errno::ENOENT)); // cached: absent
    let f = put(&mut v, r, "/f", b"1");
    assert_eq!(ino(&mut v, "/f"), Ok(f.ino));
    v.unlink(&ROOT, r, "/f").unwrap();
    assert_eq!(ino(&mut v, "/f"), Err(Errno::ENOENT));
    assert_eq!(ino(&mut v, "/d"), Err(Errno::ENOENT));
    let d = v.mkdir(&ROOT, r, "/d", 0o755).unwrap();
    assert_eq!(ino(&mut v, "/d"), Ok(d.ino));
    assert_eq!(ino(&mut v, "/s"), Err(Errno::ENOENT));
    v.symlink(&ROOT, r, "/d", "/s").unwrap();
    assert_eq!(v.stat(&ROOT, r, "/s").map(|s| s.ino), Ok(d.ino));
    assert_eq!(ino(&mut v, "/n"), Err(Errno::ENOENT));
    v.mknod(&ROOT, r, "/n", S_IFIFO | 0o644, 0).unwrap();
    assert!(ino(&mut v, "/n").is_ok());
    assert_eq!(ino(&mut v, "/d/l"), Err(Errno::ENOENT));
    let g = put(&mut v, r, "/g", b"2");
    v.link(&ROOT, r, "/g", "/d/l").unwrap();
    assert_eq!(ino(&mut v, "/d/l"), Ok(g.ino));
}

#[test]
fn rename_over_an_existing_name() {
    let (mut v, _) = counted();
    let r = v.root();
    let a = put(&mut v, r, "/a", b"a");
    let b = put(&mut v, r, "/b", b"b");
    assert_eq!(
        (ino(&mut v, "/a"), ino(&mut v, "/b")),
        (Ok(a.ino), Ok(b.ino))
    );
    v.rename(&ROOT, r, "/a", "/b").unwrap();
    assert_eq!(ino(&mut v, "/a"), Err(Errno::ENOENT));
    assert_eq!(ino(&mut v, "/b"), Ok(a.ino));
    assert_eq!(get(&mut v, r, "/b").unwrap(), b"a");
    // Two names of one file: rename does nothing, both names stay.
    v.link(&ROOT, r, "/b", "/c").unwrap();
    v.rename(&ROOT, r, "/b", "/c").unwrap();
    assert_eq!(
        (ino(&mut v, "/b"), ino(&mut v, "/c")),
        (Ok(a.ino), Ok(a.ino))
    );
    // A directory replacing an empty one: the replaced one's names go with it.
    v.mkdir(&ROOT, r, "/d1", 0o755).unwrap();
    put(&mut v, r, "/d1/inner", b"i");
    let d2 = v.mkdir(&ROOT, r, "/d2", 0o755).unwrap();
    assert_eq!(ino(&mut v, "/d2/inner"), Err(Errno::ENOENT)); // cached in d2
    v.rename(&ROOT, r, "/d1", "/d2").unwrap();
    assert!(ino(&mut v, "/d2/inner").is_ok());
    assert_eq!(ino(&mut v, "/d1"), Err(Errno::ENOENT));
    assert_ne!(ino(&mut v, "/d2"), Ok(d2.ino));
    // A failed rename changes nothing.
    assert_eq!(v.rename(&ROOT, r, "/nothing", "/b"), Err(Errno::ENOENT));
    assert_eq!(ino(&mut v, "/b"), Ok(a.ino));
}

#[test]
fn rmdir_then_mkdir_of_the_same_name() {
    let (mut v, _) = counted();
    let r = v.root();
    v.mkdir(&ROOT, r, "/d", 0o755).unwrap();
    put(&mut v, r, "/d/f", b"x");
    assert!(ino(&mut v, "/d/f").is_ok());
    assert_eq!(ino(&mut v, "/d/g"), Err(Errno::ENOENT));
    v.unlink(&ROOT, r, "/d/f").unwrap();
    v.rmdir(&ROOT, r, "/d").unwrap();
    assert_eq!(ino(&mut v, "/d"), Err(Errno::ENOENT));
    assert_eq!(ino(&mut v, "/d/f"), Err(Errno::ENOENT));
    let d = v.mkdir(&ROOT, r, "/d", 0o755).unwrap();
    assert_eq!(ino(&mut v, "/d"), Ok(d.ino));
    assert_eq!(ino(&mut v, "/d/f"), Err(Errno::ENOENT));
    let g = put(&mut v, r, "/d/g", b"y");
    assert_eq!(ino(&mut v, "/d/g"), Ok(g.ino));
    assert_eq!(list(&mut v, r, "/d", 4096).unwrap(), ["g"]);
}

#[test]
fn mounts_hide_and_umount_shows_the_cached_directory_again() {
    let (mut v, _) = counted();
    let r = v.root();
    v.mkdir(&ROOT, r, "/mnt", 0o755).unwrap();
    put(&mut v, r, "/mnt/under", b"u");
    assert!(ino(&mut v, "/mnt/under").is_ok());
    let id = v
        .mount(&ROOT, "/mnt", Box::new(TmpFs::new(clock(), 1 << 16)))
        .unwrap();
    assert_eq!(ino(&mut v, "/mnt/under"), Err(Errno::ENOENT));
    put(&mut v, r, "/mnt/over", b"o");
    assert!(ino(&mut v, "/mnt/over").is_ok());
    v.unlink(&ROOT, r, "/mnt/over").unwrap();
    v.umount(&ROOT, "/mnt").unwrap();
    assert!(ino(&mut v, "/mnt/under").is_ok());
    assert_eq!(ino(&mut v, "/mnt/over"), Err(Errno::ENOENT));
    let _ = id;
}

#[test]
fn drop_caches_empties_the_name_cache() {
    let (mut v, lookups) = counted();
    let r = v.root();
    put(&mut v, r, "/f", b"x");
    assert!(v.cached_names() > 0);
    assert_eq!(
        v.drop_caches(&vfs::Credentials::user(5, 5)),
        Err(Errno::EPERM)
    );
    assert!(v.cached_names() > 0);
    v.drop_caches(&ROOT).unwrap();
    assert_eq!(v.cached_names(), 0);
    let before = lookups.load(Ordering::Relaxed);
    assert!(ino(&mut v, "/f").is_ok());
    assert_eq!(lookups.load(Ordering::Relaxed), before + 1, "asked again");
}

#[test]
fn no_program_can_grow_the_cache_without_limit() {
    let (mut v, _) = counted();
    let r = v.root();
    for i in 0..40_000 {
        let name = format!("/missing-name-number-{i:06}");
        assert_eq!(v.stat(&ROOT, r, &name), Err(Errno::ENOENT));
    }
    // 1 MiB at 64 bytes plus the name each.
    assert!(v.cached_names() < 12_000, "{} names", v.cached_names());
    assert_eq!(
        ino(&mut v, "/missing-name-number-000001"),
        Err(Errno::ENOENT)
    );
}

/// ext2 reuses a freed inode number for the next directory: nothing cached of the
/// old directory may answer for the new one.
#[test]
fn a_reused_ext2_inode_starts_with_no_cached_names() {
    if !have_mke2fs("a_reused_ext2_inode_starts_with_no_cached_names") {
        return;
    }
    let image = ext2_image(|src| std::fs::create_dir_all(src.join("p")).unwrap());
    let mut v = ext2_vfs(image);
    let r = v.root();
    let old = v.mkdir(&ROOT, r, "/old", 0o755).unwrap();
    put(&mut v, r, "/old/x", b"x");
    assert_eq!(ino(&mut v, "/old/y"), Err(Errno::ENOENT));
    v.unlink(&ROOT, r, "/old/x").unwrap();
    v.rmdir(&ROOT, r, "/old").unwrap();
    let new = v.mkdir(&ROOT, r, "/p/new", 0o755).unwrap();
    assert_eq!(new, old, "ext2 gave the freed inode number again");
    assert_eq!(ino(&mut v, "/p/new/x"), Err(Errno::ENOENT));
    let y = put(&mut v, r, "/p/new/y", b"y");
    assert_eq!(ino(&mut v, "/p/new/y"), Ok(y.ino));
    assert_eq!(v.path_of(new), Ok(b"/p/new".to_vec()));
    let _: NodeRef = y;
}
