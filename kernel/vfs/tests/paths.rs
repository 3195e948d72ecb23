//! Path resolution: `.`, `..`, symlinks (relative, absolute, loops), mount
//! crossing in both directions, trailing slashes, length limits, `path_of`.

mod common;

use abi::flags::*;
use abi::Errno;
use common::*;
use vfs::{NodeKind, TmpFs, Vfs, ROOT};

/// /a/b/c (dirs), /a/f (file "hello"), /mnt (tmpfs mounted, holding /mnt/m).
fn tree() -> Vfs {
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    v.mkdir(&ROOT, r, "/a", 0o755).unwrap();
    v.mkdir(&ROOT, r, "/a/b", 0o755).unwrap();
    v.mkdir(&ROOT, r, "/a/b/c", 0o755).unwrap();
    put(&mut v, r, "/a/f", b"hello");
    v.mkdir(&ROOT, r, "/mnt", 0o755).unwrap();
    v.mount(&ROOT, "/mnt", Box::new(TmpFs::new(clock(), 1 << 20)))
        .unwrap();
    v.mkdir(&ROOT, r, "/mnt/m", 0o755).unwrap();
    v
}

#[test]
fn dot_and_dotdot_walk_within_one_file_system() {
    let mut v = tree();
    let r = v.root();
    let c = v.resolve(&ROOT, r, "/a/b/c", true).unwrap();
    assert_eq!(v.resolve(&ROOT, r, "/a/./b/../b/c/.", true), Ok(c));
    assert_eq!(
        v.resolve(&ROOT, c, "..", true),
        v.resolve(&ROOT, r, "/a/b", true)
    );
    assert_eq!(v.resolve(&ROOT, c, "../../..", true), Ok(r));
    assert_eq!(
        v.resolve(&ROOT, r, "/../../..", true),
        Ok(r),
        "`..` of / is /"
    );
    assert_eq!(
        v.resolve(&ROOT, r, "//a///b//", true),
        v.resolve(&ROOT, r, "/a/b", true)
    );
    let b = v.resolve(&ROOT, r, "a/b", true).unwrap();
    assert_eq!(v.resolve(&ROOT, b, "c", true), Ok(c));
}

#[test]
fn dotdot_crosses_mount_points_both_ways() {
    let mut v = tree();
    let r = v.root();
    let mnt = v.resolve(&ROOT, r, "/mnt", true).unwrap();
    assert_ne!(mnt.mount, r.mount, "/mnt is the mounted file system's root");
    assert!(v.is_mount_root(mnt));
    let m = v.resolve(&ROOT, r, "/mnt/m", true).unwrap();
    assert_eq!(m.mount, mnt.mount);
    assert_eq!(v.resolve(&ROOT, m, "../..", true), Ok(r));
    assert_eq!(v.resolve(&ROOT, mnt, "..", true), Ok(r));
    assert_eq!(
        v.resolve(&ROOT, mnt, "../a/f", true),
        v.resolve(&ROOT, r, "/a/f", true)
    );
    assert_eq!(v.resolve(&ROOT, m, "../../mnt/m/../m", true), Ok(m));
    let st = v.stat(&ROOT, r, "/mnt/m").unwrap();
    assert_eq!(st.dev, mnt.mount as u64, "dev is the mount id");
}

#[test]
fn symlinks_relative_absolute_and_chained() {
    let mut v = tree();
    let r = v.root();
    v.symlink(&ROOT, r, "b/c", "/a/rel").unwrap();
    v.symlink(&ROOT, r, "/a/f", "/abs").unwrap();
    v.symlink(&ROOT, r, "../f", "/a/b/up").unwrap();
    v.symlink(&ROOT, r, "/abs", "/chain").unwrap();
    v.symlink(&ROOT, r, "/mnt", "/tolink").unwrap();
    let c = v.resolve(&ROOT, r, "/a/b/c", true).unwrap();
    assert_eq!(
        v.resolve(&ROOT, r, "/a/rel", true),
        Ok(c),
        "relative to the link's directory"
    );
    assert_eq!(
        v.resolve(&ROOT, r, "/a/rel/..", true),
        v.resolve(&ROOT, r, "/a/b", true)
    );
    assert_eq!(get(&mut v, r, "/abs").unwrap(), b"hello");
    assert_eq!(get(&mut v, r, "/a/b/up").unwrap(), b"hello");
    assert_eq!(get(&mut v, r, "/chain").unwrap(), b"hello");
    assert_eq!(
        v.resolve(&ROOT, r, "/tolink/m", true),
        v.resolve(&ROOT, r, "/mnt/m", true)
    );
    // Not following the last component.
    let l = v.resolve(&ROOT, r, "/chain", false).unwrap();
    assert_eq!(v.kind(l), Ok(NodeKind::Symlink));
    assert_eq!(v.readlink(&ROOT, r, "/chain").unwrap(), b"/abs");
    assert_eq!(v.readlink(&ROOT, r, "/a/f"), Err(Errno::EINVAL));
    assert_eq!(v.lstat(&ROOT, r, "/chain").unwrap().mode & S_IFMT, S_IFLNK);
    assert_eq!(v.stat(&ROOT, r, "/chain").unwrap().size, 5);
    // Dangling.
    v.symlink(&ROOT, r, "/nowhere", "/dangling").unwrap();
    assert_eq!(v.stat(&ROOT, r, "/dangling"), Err(Errno::ENOENT));
    assert!(v.lstat(&ROOT, r, "/dangling").is_ok());
}

#[test]
fn symlink_loops_give_eloop() {
    let mut v = tree();
    let r = v.root();
    v.symlink(&ROOT, r, "/loop2", "/loop1").unwrap();
    v.symlink(&ROOT, r, "/loop1", "/loop2").unwrap();
    v.symlink(&ROOT, r, "self", "/self").unwrap();
    assert_eq!(v.resolve(&ROOT, r, "/loop1", true), Err(Errno::ELOOP));
    assert_eq!(v.resolve(&ROOT, r, "/self/x", true), Err(Errno::ELOOP));
    assert_eq!(v.stat(&ROOT, r, "/loop1/x"), Err(Errno::ELOOP));
    assert!(
        v.resolve(&ROOT, r, "/loop1", false).is_ok(),
        "lstat of a loop is fine"
    );
    // A chain of exactly 40 links resolves; 41 is too many.
    put(&mut v, r, "/t0", b"end");
    for i in 1..=41 {
        v.symlink(&ROOT, r, format!("/t{}", i - 1), format!("/t{i}"))
            .unwrap();
    }
    assert_eq!(get(&mut v, r, "/t40").unwrap(), b"end");
    assert_eq!(get(&mut v, r, "/t41"), Err(Errno::ELOOP));
}

#[test]
fn trailing_slash_requires_a_directory() {
    let mut v = tree();
    let r = v.root();
    v.symlink(&ROOT, r, "/a/b", "/dirlink").unwrap();
    v.symlink(&ROOT, r, "/a/f", "/filelink").unwrap();
    assert_eq!(v.resolve(&ROOT, r, "/a/f/", true), Err(Errno::ENOTDIR));
    assert_eq!(
        v.resolve(&ROOT, r, "/a/b/", true),
        v.resolve(&ROOT, r, "/a/b", true)
    );
    // A trailing slash follows a final symlink even when not following.
    assert_eq!(
        v.resolve(&ROOT, r, "/dirlink/", false),
        v.resolve(&ROOT, r, "/a/b", true)
    );
    assert_eq!(
        v.resolve(&ROOT, r, "/filelink/", false),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(v.stat(&ROOT, r, "/a/f/."), Err(Errno::ENOTDIR));
    // mkdir accepts "new/", creating a file with "new/" is EISDIR.
    v.mkdir(&ROOT, r, "/newdir/", 0o755).unwrap();
    assert_eq!(
        v.open(&ROOT, r, "/newfile/", O_CREAT | O_WRONLY, 0o644)
            .err(),
        Some(Errno::EISDIR)
    );
    assert_eq!(v.unlink(&ROOT, r, "/a/f/"), Err(Errno::ENOTDIR));
    assert_eq!(v.rmdir(&ROOT, r, "/a/f/"), Err(Errno::ENOTDIR));
    v.rmdir(&ROOT, r, "/newdir/").unwrap();
}

#[test]
fn non_directory_in_the_middle_is_enotdir() {
    let mut v = tree();
    let r = v.root();
    assert_eq!(v.resolve(&ROOT, r, "/a/f/x", true), Err(Errno::ENOTDIR));
    assert_eq!(v.mkdir(&ROOT, r, "/a/f/x", 0o755), Err(Errno::ENOTDIR));
    assert_eq!(v.resolve(&ROOT, r, "/a/nope/x", true), Err(Errno::ENOENT));
    assert_eq!(v.resolve_dir(&ROOT, r, "/a/f"), Err(Errno::ENOTDIR));
    let f = v.resolve(&ROOT, r, "/a/f", true).unwrap();
    assert_eq!(
        v.resolve(&ROOT, f, "x", true),
        Err(Errno::ENOTDIR),
        "cwd not a directory"
    );
}

#[test]
fn long_names_and_paths_are_enametoolong() {
    let mut v = tree();
    let r = v.root();
    let long = "n".repeat(256);
    assert_eq!(
        v.resolve(&ROOT, r, format!("/{long}"), true),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        v.resolve(&ROOT, r, format!("/{long}/x"), true),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        v.mkdir(&ROOT, r, format!("/{long}"), 0o755),
        Err(Errno::ENAMETOOLONG)
    );
    v.mkdir(&ROOT, r, format!("/{}", "n".repeat(255)), 0o755)
        .unwrap();
    let deep = "./".repeat(2049); // 4098 bytes of valid components
    assert_eq!(v.resolve(&ROOT, r, &deep, true), Err(Errno::ENAMETOOLONG));
    assert_eq!(v.resolve(&ROOT, r, &deep[..4096], true), Ok(r));
    assert_eq!(v.resolve(&ROOT, r, "", true), Err(Errno::ENOENT));
}

#[test]
fn path_of_walks_up_through_mounts() {
    let mut v = tree();
    let r = v.root();
    assert_eq!(v.path_of(r).unwrap(), b"/");
    let c = v.resolve(&ROOT, r, "/a/b/c", true).unwrap();
    assert_eq!(v.path_of(c).unwrap(), b"/a/b/c");
    let m = v.resolve(&ROOT, r, "/mnt/m", true).unwrap();
    assert_eq!(v.path_of(m).unwrap(), b"/mnt/m");
    let mnt = v.resolve(&ROOT, r, "/mnt", true).unwrap();
    assert_eq!(v.path_of(mnt).unwrap(), b"/mnt");
    // A renamed parent is seen; a removed directory is ENOENT.
    v.rename(&ROOT, r, "/a", "/z").unwrap();
    assert_eq!(v.path_of(c).unwrap(), b"/z/b/c");
    v.rmdir(&ROOT, r, "/z/b/c").unwrap();
    assert!(v.path_of(c).is_err());
    let f = v.resolve(&ROOT, r, "/z/f", true).unwrap();
    assert_eq!(v.path_of(f), Err(Errno::ENOTDIR));
}

#[test]
fn mount_table_rules() {
    let mut v = tree();
    let r = v.root();
    assert_eq!(
        v.mount(&ROOT, "/mnt", Box::new(TmpFs::new(clock(), 10)))
            .err(),
        Some(Errno::EBUSY),
        "already a mount point"
    );
    assert_eq!(
        v.mount(&ROOT, "/", Box::new(TmpFs::new(clock(), 10))).err(),
        Some(Errno::EBUSY)
    );
    assert_eq!(
        v.mount(&ROOT, "/a/f", Box::new(TmpFs::new(clock(), 10)))
            .err(),
        Some(Errno::ENOTDIR)
    );
    let inner = v.mount(&ROOT, "/mnt/m", Box::new(devfs())).unwrap();
    assert_eq!(
        v.umount(&ROOT, "/mnt").err(),
        Some(Errno::EBUSY),
        "something below"
    );
    assert_eq!(v.umount(&ROOT, "/").err(), Some(Errno::EBUSY));
    assert_eq!(v.umount(&ROOT, "/a").err(), Some(Errno::EINVAL));
    let list = v.mounts();
    let paths: Vec<_> = list
        .iter()
        .map(|m| (m.path.clone(), m.fs_type.clone()))
        .collect();
    assert_eq!(
        paths,
        vec![
            (b"/".to_vec(), "tmpfs".to_string()),
            (b"/mnt".to_vec(), "tmpfs".to_string()),
            (b"/mnt/m".to_vec(), "devfs".to_string()),
        ]
    );
    assert_eq!(list[2].id, inner);
    assert_eq!(v.rmdir(&ROOT, r, "/mnt"), Err(Errno::EBUSY));
    assert_eq!(v.rmdir(&ROOT, r, "/mnt/m"), Err(Errno::EBUSY));
    assert_eq!(v.rename(&ROOT, r, "/mnt", "/x"), Err(Errno::EBUSY));
    assert_eq!(v.rmdir(&ROOT, r, "/"), Err(Errno::EBUSY));
    let gone = v.umount(&ROOT, "/mnt/m").unwrap();
    assert_eq!(gone.name(), "devfs");
    assert_eq!(v.statfs(inner), Err(Errno::EINVAL));
    v.umount(&ROOT, "/mnt").unwrap();
    assert_eq!(
        v.list_names("/mnt"),
        Vec::<String>::new(),
        "the covered dir again"
    );
    assert_eq!(v.resolve(&ROOT, r, "/mnt/m", true), Err(Errno::ENOENT));
    v.sync_all().unwrap();
}

trait ListNames {
    fn list_names(&mut self, path: &str) -> Vec<String>;
}

impl ListNames for Vfs {
    fn list_names(&mut self, path: &str) -> Vec<String> {
        let r = self.root();
        list(self, r, path, 256).unwrap()
    }
}
