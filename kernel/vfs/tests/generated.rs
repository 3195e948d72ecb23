//! File systems whose names come and go by themselves and whose links name nodes
//! (what procfs needs): `names_are_stable() == false` keeps their names out of the
//! name cache, `link_node` links read as the path of the node they name and are
//! followed, and `generated()` files open as generated.

mod common;

use std::sync::{Arc, Mutex};

use abi::flags::*;
use abi::{Errno, Stat};
use common::*;
use vfs::{DirEntry, FileSystem, FsStat, NodeKind, NodeRef, Result, ROOT};

/// Where the link points: a node and a path relative to it.
type Target = Arc<Mutex<Option<(NodeRef, Vec<u8>)>>>;

/// Root 1; a regular file per name in `names` (inode 10 + index); inode 2 is a link
/// to `target` with `rest` appended.
struct Live {
    names: Arc<Mutex<Vec<String>>>,
    target: Target,
}

impl FileSystem for Live {
    fn name(&self) -> &str {
        "live"
    }
    fn read_only(&self) -> bool {
        true
    }
    fn root(&self) -> u64 {
        1
    }
    fn names_are_stable(&self) -> bool {
        false
    }
    fn generated(&self) -> bool {
        true
    }
    fn lookup(&mut self, dir: u64, name: &[u8]) -> Result<u64> {
        if dir != 1 {
            return Err(Errno::ENOTDIR);
        }
        if name == b".." || name == b"." {
            return Ok(1);
        }
        if name == b"link" {
            return Ok(2);
        }
        let names = self.names.lock().unwrap();
        let i = names.iter().position(|n| n.as_bytes() == name);
        i.map(|i| 10 + i as u64).ok_or(Errno::ENOENT)
    }
    fn create(&mut self, _: u64, _: &[u8], _: u32, _: u32, _: u32) -> Result<u64> {
        Err(Errno::EROFS)
    }
    fn mkdir(&mut self, _: u64, _: &[u8], _: u32, _: u32, _: u32) -> Result<u64> {
        Err(Errno::EROFS)
    }
    fn symlink(&mut self, _: u64, _: &[u8], _: &[u8], _: u32, _: u32) -> Result<u64> {
        Err(Errno::EROFS)
    }
    fn link(&mut self, _: u64, _: u64, _: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    fn unlink(&mut self, _: u64, _: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    fn rmdir(&mut self, _: u64, _: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    fn rename(&mut self, _: u64, _: &[u8], _: u64, _: &[u8]) -> Result<()> {
        Err(Errno::EROFS)
    }
    fn readlink(&mut self, _: u64) -> Result<Vec<u8>> {
        Err(Errno::EINVAL) // every link here is a magic one
    }
    fn link_node(&mut self, ino: u64) -> Option<Result<(NodeRef, Vec<u8>)>> {
        (ino == 2).then(|| self.target.lock().unwrap().clone().ok_or(Errno::ENOENT))
    }
    fn read(&mut self, _: u64, _: u64, _: &mut [u8]) -> Result<usize> {
        Ok(0)
    }
    fn write(&mut self, _: u64, _: u64, _: &[u8]) -> Result<usize> {
        Err(Errno::EROFS)
    }
    fn truncate(&mut self, _: u64, _: u64) -> Result<()> {
        Err(Errno::EROFS)
    }
    fn stat(&mut self, ino: u64) -> Result<Stat> {
        let mode = match ino {
            1 => S_IFDIR | 0o555,
            2 => S_IFLNK | 0o777,
            _ => S_IFREG | 0o444,
        };
        Ok(Stat {
            ino,
            mode,
            nlink: 1,
            ..Stat::default()
        })
    }
    fn read_dir_at(&mut self, _: u64, pos: u64) -> Result<Option<(DirEntry, u64)>> {
        let names = self.names.lock().unwrap();
        Ok(names.get(pos as usize).map(|n| {
            let e = DirEntry {
                ino: 10 + pos,
                name: n.as_bytes().to_vec(),
                kind: NodeKind::Regular,
            };
            (e, pos + 1)
        }))
    }
    fn statfs(&mut self) -> FsStat {
        FsStat::default()
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
}

type Shared = (
    Arc<Mutex<Vec<String>>>,
    Arc<Mutex<Option<(NodeRef, Vec<u8>)>>>,
);

fn live_on(v: &mut vfs::Vfs, at: &str) -> Shared {
    let names = Arc::new(Mutex::new(vec![String::from("a")]));
    let target = Arc::new(Mutex::new(None));
    let r = v.root();
    v.mkdir(&ROOT, r, at, 0o755).unwrap();
    let fs = Live {
        names: names.clone(),
        target: target.clone(),
    };
    v.mount(&ROOT, at, Box::new(fs)).unwrap();
    (names, target)
}

#[test]
fn names_that_come_and_go_are_seen_at_once() {
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    let (names, _) = live_on(&mut v, "/live");
    assert!(v.stat(&ROOT, r, "/live/a").is_ok());
    assert_eq!(v.stat(&ROOT, r, "/live/b").err(), Some(Errno::ENOENT));
    names.lock().unwrap().clear();
    names.lock().unwrap().push(String::from("b"));
    // Neither the positive answer for `a` nor the negative one for `b` was kept.
    assert_eq!(v.stat(&ROOT, r, "/live/a").err(), Some(Errno::ENOENT));
    assert!(v.stat(&ROOT, r, "/live/b").is_ok());
}

#[test]
fn a_link_to_a_node_reads_as_its_path_and_is_followed() {
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    let d = v.mkdir(&ROOT, r, "/d", 0o755).unwrap();
    let sub = v.mkdir(&ROOT, d, "sub", 0o755).unwrap();
    put(&mut v, sub, "f", b"hello");
    let (_, target) = live_on(&mut v, "/live");
    *target.lock().unwrap() = Some((sub, Vec::new()));
    assert_eq!(v.readlink(&ROOT, r, "/live/link").unwrap(), b"/d/sub");
    assert_eq!(v.resolve(&ROOT, r, "/live/link", true), Ok(sub));
    // With a path relative to the node (a file opened as `f` from `/d/sub`).
    *target.lock().unwrap() = Some((sub, b"f".to_vec()));
    assert_eq!(v.readlink(&ROOT, r, "/live/link").unwrap(), b"/d/sub/f");
    assert_eq!(v.stat(&ROOT, r, "/live/link").unwrap().size, 5);
    // An absolute one is the whole target; a link with no node is ENOENT.
    *target.lock().unwrap() = Some((sub, b"/d".to_vec()));
    assert_eq!(v.readlink(&ROOT, r, "/live/link").unwrap(), b"/d");
    *target.lock().unwrap() = None;
    assert_eq!(
        v.readlink(&ROOT, r, "/live/link").err(),
        Some(Errno::ENOENT)
    );
}

#[test]
fn generated_files_open_as_generated_and_others_do_not() {
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    put(&mut v, r, "/plain", b"x");
    live_on(&mut v, "/live");
    assert!(v.open(&ROOT, r, "/live/a", O_RDONLY, 0).unwrap().generated);
    assert!(!v.open(&ROOT, r, "/plain", O_RDONLY, 0).unwrap().generated);
    assert!(!v.open(&ROOT, r, "/live", O_RDONLY, 0).unwrap().generated);
    assert_eq!(
        v.open(&ROOT, r, "/live/a", O_WRONLY, 0).err(),
        Some(Errno::EROFS)
    );
}
