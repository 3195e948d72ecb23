//! Path resolution: `.`, `..`, symlinks (relative, absolute, loops), mount
//! crossing in both directions, trailing slashes, length limits, `path_of`.

mod common;

use abi::flags::*;
use abi::Errno;
use common::*;
use vfs::{NodeKind, TmpFs, Vfs};

/// /a/b/c (dirs), /a/f (file "hello"), /mnt (tmpfs mounted, holding /mnt/m).
fn tree() -> Vfs {
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    v.mkdir(r, "/a", 0o755, 0, 0).unwrap();
    v.mkdir(r, "/a/b", 0o755, 0, 0).unwrap();
    v.mkdir(r, "/a/b/c", 0o755, 0, 0).unwrap();
    put(&mut v, r, "/a/f", b"hello");
    v.mkdir(r, "/mnt", 0o755, 0, 0).unwrap();
    v.mount("/mnt", Box::new(TmpFs::new(clock(), 1 << 20)))
        .unwrap();
    v.mkdir(r, "/mnt/m", 0o755, 0, 0).unwrap();
    v
}

#[test]
fn dot_and_dotdot_walk_within_one_file_system() {
    let mut v = tree();
    let r = v.root();
    let c = v.resolve(r, "/a/b/c", true).unwrap();
    assert_eq!(v.resolve(r, "/a/./b/../b/c/.", true), Ok(c));
    assert_eq!(v.resolve(c, "..", true), v.resolve(r, "/a/b", true));
    assert_eq!(v.resolve(c, "../../..", true), Ok(r));
    assert_eq!(v.resolve(r, "/../../..", true), Ok(r), "`..` of / is /");
    assert_eq!(v.resolve(r, "//a///b//", true), v.resolve(r, "/a/b", true));
    let b = v.resolve(r, "a/b", true).unwrap();
    assert_eq!(v.resolve(b, "c", true), Ok(c));
}

#[test]
fn dotdot_crosses_mount_points_both_ways() {
    let mut v = tree();
    let r = v.root();
    let mnt = v.resolve(r, "/mnt", true).unwrap();
    assert_ne!(mnt.mount, r.mount, "/mnt is the mounted file system's root");
    assert!(v.is_mount_root(mnt));
    let m = v.resolve(r, "/mnt/m", true).unwrap();
    assert_eq!(m.mount, mnt.mount);
    assert_eq!(v.resolve(m, "../..", true), Ok(r));
    assert_eq!(v.resolve(mnt, "..", true), Ok(r));
    assert_eq!(v.resolve(mnt, "../a/f", true), v.resolve(r, "/a/f", true));
    assert_eq!(v.resolve(m, "../../mnt/m/../m", true), Ok(m));
    let st = v.stat(r, "/mnt/m").unwrap();
    assert_eq!(st.dev, mnt.mount as u64, "dev is the mount id");
}

#[test]
fn symlinks_relative_absolute_and_chained() {
    let mut v = tree();
    let r = v.root();
    v.symlink(r, "b/c", "/a/rel", 0, 0).unwrap();
    v.symlink(r, "/a/f", "/abs", 0, 0).unwrap();
    v.symlink(r, "../f", "/a/b/up", 0, 0).unwrap();
    v.symlink(r, "/abs", "/chain", 0, 0).unwrap();
    v.symlink(r, "/mnt", "/tolink", 0, 0).unwrap();
    let c = v.resolve(r, "/a/b/c", true).unwrap();
    assert_eq!(
        v.resolve(r, "/a/rel", true),
        Ok(c),
        "relative to the link's directory"
    );
    assert_eq!(v.resolve(r, "/a/rel/..", true), v.resolve(r, "/a/b", true));
    assert_eq!(get(&mut v, r, "/abs").unwrap(), b"hello");
    assert_eq!(get(&mut v, r, "/a/b/up").unwrap(), b"hello");
    assert_eq!(get(&mut v, r, "/chain").unwrap(), b"hello");
    assert_eq!(
        v.resolve(r, "/tolink/m", true),
        v.resolve(r, "/mnt/m", true)
    );
    // Not following the last component.
    let l = v.resolve(r, "/chain", false).unwrap();
    assert_eq!(v.kind(l), Ok(NodeKind::Symlink));
    assert_eq!(v.readlink(r, "/chain").unwrap(), b"/abs");
    assert_eq!(v.readlink(r, "/a/f"), Err(Errno::EINVAL));
    assert_eq!(v.lstat(r, "/chain").unwrap().mode & S_IFMT, S_IFLNK);
    assert_eq!(v.stat(r, "/chain").unwrap().size, 5);
    // Dangling.
    v.symlink(r, "/nowhere", "/dangling", 0, 0).unwrap();
    assert_eq!(v.stat(r, "/dangling"), Err(Errno::ENOENT));
    assert!(v.lstat(r, "/dangling").is_ok());
}

#[test]
fn symlink_loops_give_eloop() {
    let mut v = tree();
    let r = v.root();
    v.symlink(r, "/loop2", "/loop1", 0, 0).unwrap();
    v.symlink(r, "/loop1", "/loop2", 0, 0).unwrap();
    v.symlink(r, "self", "/self", 0, 0).unwrap();
    assert_eq!(v.resolve(r, "/loop1", true), Err(Errno::ELOOP));
    assert_eq!(v.resolve(r, "/self/x", true), Err(Errno::ELOOP));
    assert_eq!(v.stat(r, "/loop1/x"), Err(Errno::ELOOP));
    assert!(
        v.resolve(r, "/loop1", false).is_ok(),
        "lstat of a loop is fine"
    );
    // A chain of exactly 40 links resolves; 41 is too many.
    put(&mut v, r, "/t0", b"end");
    for i in 1..=41 {
        v.symlink(r, format!("/t{}", i - 1), format!("/t{i}"), 0, 0)
            .unwrap();
    }
    assert_eq!(get(&mut v, r, "/t40").unwrap(), b"end");
    assert_eq!(get(&mut v, r, "/t41"), Err(Errno::ELOOP));
}

#[test]
fn trailing_slash_requires_a_directory() {
    let mut v = tree();
    let r = v.root();
    v.symlink(r, "/a/b", "/dirlink", 0, 0).unwrap();
    v.symlink(r, "/a/f", "/filelink", 0, 0).unwrap();
    assert_eq!(v.resolve(r, "/a/f/", true), Err(Errno::ENOTDIR));
    assert_eq!(v.resolve(r, "/a/b/", true), v.resolve(r, "/a/b", true));
    // A trailing slash follows a final symlink even when not following.
    assert_eq!(v.resolve(r, "/dirlink/", false), v.resolve(r, "/a/b", true));
    assert_eq!(v.resolve(r, "/filelink/", false), Err(Errno::ENOTDIR));
    assert_eq!(v.stat(r, "/a/f/."), Err(Errno::ENOTDIR));
    // mkdir accepts "new/", creating a file with "new/" is EISDIR.
    v.mkdir(r, "/newdir/", 0o755, 0, 0).unwrap();
    assert_eq!(
        v.open(r, "/newfile/", O_CREAT | O_WRONLY, 0o644, 0, 0)
            .err(),
        Some(Errno::EISDIR)
    );
    assert_eq!(v.unlink(r, "/a/f/"), Err(Errno::ENOTDIR));
    assert_eq!(v.rmdir(r, "/a/f/"), Err(Errno::ENOTDIR));
    v.rmdir(r, "/newdir/").unwrap();
}

#[test]
fn non_directory_in_the_middle_is_enotdir() {
    let mut v = tree();
    let r = v.root();
    assert_eq!(v.resolve(r, "/a/f/x", true), Err(Errno::ENOTDIR));
    assert_eq!(v.mkdir(r, "/a/f/x", 0o755, 0, 0), Err(Errno::ENOTDIR));
    assert_eq!(v.resolve(r, "/a/nope/x", true), Err(Errno::ENOENT));
    assert_eq!(v.resolve_dir(r, "/a/f"), Err(Errno::ENOTDIR));
    let f = v.resolve(r, "/a/f", true).unwrap();
    assert_eq!(
        v.resolve(f, "x", true),
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
        v.resolve(r, format!("/{long}"), true),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        v.resolve(r, format!("/{long}/x"), true),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        v.mkdir(r, format!("/{long}"), 0o755, 0, 0),
        Err(Errno::ENAMETOOLONG)
    );
    v.mkdir(r, format!("/{}", "n".repeat(255)), 0o755, 0, 0)
        .unwrap();
    let deep = "./".repeat(2049); // 4098 bytes of valid components
    assert_eq!(v.resolve(r, &deep, true), Err(Errno::ENAMETOOLONG));
    assert_eq!(v.resolve(r, &deep[..4096], true), Ok(r));
    assert_eq!(v.resolve(r, "", true), Err(Errno::ENOENT));
}

#[test]
fn path_of_walks_up_through_mounts() {
    let mut v = tree();
    let r = v.root();
    assert_eq!(v.path_of(r).unwrap(), b"/");
    let c = v.resolve(r, "/a/b/c", true).unwrap();
    assert_eq!(v.path_of(c).unwrap(), b"/a/b/c");
    let m = v.resolve(r, "/mnt/m", true).unwrap();
    assert_eq!(v.path_of(m).unwrap(), b"/mnt/m");
    let mnt = v.resolve(r, "/mnt", true).unwrap();
    assert_eq!(v.path_of(mnt).unwrap(), b"/mnt");
    // A renamed parent is seen; a removed directory is ENOENT.
    v.rename(r, "/a", "/z").unwrap();
    assert_eq!(v.path_of(c).unwrap(), b"/z/b/c");
    v.rmdir(r, "/z/b/c").unwrap();
    assert!(v.path_of(c).is_err());
    let f = v.resolve(r, "/z/f", true).unwrap();
    assert_eq!(v.path_of(f), Err(Errno::ENOTDIR));
}

#[test]
fn mount_table_rules() {
    let mut v = tree();
    let r = v.root();
    assert_eq!(
        v.mount("/mnt", Box::new(TmpFs::new(clock(), 10))).err(),
        Some(Errno::EBUSY),
        "already a mount point"
    );
    assert_eq!(
        v.mount("/", Box::new(TmpFs::new(clock(), 10))).err(),
        Some(Errno::EBUSY)
    );
    assert_eq!(
        v.mount("/a/f", Box::new(TmpFs::new(clock(), 10))).err(),
        Some(Errno::ENOTDIR)
    );
    let inner = v.mount("/mnt/m", Box::new(devfs())).unwrap();
    assert_eq!(
        v.umount("/mnt").err(),
        Some(Errno::EBUSY),
        "something below"
    );
    assert_eq!(v.umount("/").err(), Some(Errno::EBUSY));
    assert_eq!(v.umount("/a").err(), Some(Errno::EINVAL));
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
    assert_eq!(v.rmdir(r, "/mnt"), Err(Errno::EBUSY));
    assert_eq!(v.rmdir(r, "/mnt/m"), Err(Errno::EBUSY));
    assert_eq!(v.rename(r, "/mnt", "/x"), Err(Errno::EBUSY));
    assert_eq!(v.rmdir(r, "/"), Err(Errno::EBUSY));
    let gone = v.umount("/mnt/m").unwrap();
    assert_eq!(gone.name(), "devfs");
    assert_eq!(v.statfs(inner), Err(Errno::EINVAL));
    v.umount("/mnt").unwrap();
    assert_eq!(
        v.list_names("/mnt"),
        Vec::<String>::new(),
        "the covered dir again"
    );
    assert_eq!(v.resolve(r, "/mnt/m", true), Err(Errno::ENOENT));
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
