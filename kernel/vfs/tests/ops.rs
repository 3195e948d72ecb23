//! The file-management calls on tmpfs and devfs: open flags, every errno the
//! VFS produces, hard-link counts, rename, ENOSPC, getdents packing.

mod common;

use abi::flags::*;
use abi::Errno;
use common::*;
use vfs::{Credentials, DirEntry, FileSystem, NodeKind, TmpFs, Vfs, ROOT};

fn fresh() -> Vfs {
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    v.mkdir(&ROOT, r, "/d", 0o755).unwrap();
    v.mkdir(&ROOT, r, "/dev", 0o755).unwrap();
    v.mount(&ROOT, "/dev", Box::new(devfs())).unwrap();
    v
}

#[test]
fn open_creat_excl_trunc() {
    let mut v = fresh();
    let r = v.root();
    // User 7 may create in /d once everyone may write it.
    let user = Credentials::user(7, 8);
    v.chmod(&ROOT, r, "/d", 0o777).unwrap();
    let o = v.open(&user, r, "/d/f", O_CREAT | O_WRONLY, 0o640).unwrap();
    assert!(o.created);
    assert_eq!(o.kind, NodeKind::Regular);
    let st = v.stat_node(o.node).unwrap();
    assert_eq!(
        (st.mode, st.uid, st.gid, st.nlink),
        (S_IFREG | 0o640, 7, 8, 1)
    );
    assert_eq!(st.mtime, NOW);
    v.write(o.node, 0, b"0123456789").unwrap();
    // O_CREAT on an existing file opens it; O_EXCL refuses.
    let again = v.open(&ROOT, r, "/d/f", O_CREAT | O_RDWR, 0o600).unwrap();
    assert_eq!((again.node, again.created), (o.node, false));
    assert_eq!(
        v.open(&ROOT, r, "/d/f", O_CREAT | O_EXCL | O_WRONLY, 0o600)
            .err(),
        Some(Errno::EEXIST)
    );
    assert_eq!(get(&mut v, r, "/d/f").unwrap(), b"0123456789");
    v.open(&ROOT, r, "/d/f", O_WRONLY | O_TRUNC, 0).unwrap();
    assert_eq!(v.stat(&ROOT, r, "/d/f").unwrap().size, 0);
    // Without O_CREAT a missing file is ENOENT, and so is a missing directory.
    assert_eq!(
        v.open(&ROOT, r, "/d/nope", O_RDONLY, 0).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(
        v.open(&ROOT, r, "/nope/f", O_CREAT | O_WRONLY, 0o644).err(),
        Some(Errno::ENOENT)
    );
}

#[test]
fn open_directory_and_nofollow() {
    let mut v = fresh();
    let r = v.root();
    put(&mut v, r, "/d/f", b"x");
    v.symlink(&ROOT, r, "f", "/d/l").unwrap();
    v.symlink(&ROOT, r, "/d", "/dl").unwrap();
    let d = v.open(&ROOT, r, "/d", O_RDONLY | O_DIRECTORY, 0).unwrap();
    assert_eq!(d.kind, NodeKind::Directory);
    assert_eq!(
        v.open(&ROOT, r, "/d/f", O_RDONLY | O_DIRECTORY, 0).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(
        v.open(&ROOT, r, "/d", O_WRONLY, 0).err(),
        Some(Errno::EISDIR)
    );
    assert_eq!(v.open(&ROOT, r, "/d", O_RDWR, 0).err(), Some(Errno::EISDIR));
    assert_eq!(
        v.open(&ROOT, r, "/d", O_CREAT | O_RDONLY, 0o644).err(),
        Some(Errno::EISDIR)
    );
    assert_eq!(
        v.open(&ROOT, r, "/d/l", O_RDONLY | O_NOFOLLOW, 0).err(),
        Some(Errno::ELOOP)
    );
    assert_eq!(
        v.open(&ROOT, r, "/d/l", O_CREAT | O_WRONLY | O_NOFOLLOW, 0o644)
            .err(),
        Some(Errno::ELOOP)
    );
    // O_NOFOLLOW applies to the last component only.
    let f = v.open(&ROOT, r, "/dl/f", O_RDONLY | O_NOFOLLOW, 0).unwrap();
    assert_eq!(f.kind, NodeKind::Regular);
    assert_eq!(v.open(&ROOT, r, "/d/l", O_RDONLY, 0).unwrap().node, f.node);
    // O_CREAT through a dangling symlink creates its target.
    v.symlink(&ROOT, r, "made", "/d/dangle").unwrap();
    let m = v
        .open(&ROOT, r, "/d/dangle", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    assert!(m.created);
    assert_eq!(v.resolve(&ROOT, r, "/d/made", true), Ok(m.node));
    assert_eq!(
        v.open(&ROOT, r, "/d/l", O_CREAT | O_EXCL | O_WRONLY, 0o644)
            .err(),
        Some(Errno::EEXIST),
        "O_EXCL never follows"
    );
}

#[test]
fn reading_directories_and_devices_through_the_vfs() {
    let mut v = fresh();
    let r = v.root();
    let d = v.resolve(&ROOT, r, "/d", true).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(v.read(d, 0, &mut buf), Err(Errno::EISDIR));
    assert_eq!(v.write(d, 0, b"x"), Err(Errno::EISDIR));
    assert_eq!(v.truncate(&ROOT, r, "/d", 0), Err(Errno::EISDIR));
    let null = v.open(&ROOT, r, "/dev/null", O_RDWR, 0).unwrap();
    assert_eq!(null.kind, NodeKind::CharDevice(0x103));
    assert_eq!(v.read(null.node, 0, &mut buf), Err(Errno::ENODEV));
    assert_eq!(v.write(null.node, 0, b"x"), Err(Errno::ENODEV));
    let st = v.stat(&ROOT, r, "/dev/zero").unwrap();
    assert_eq!((st.mode, st.rdev), (S_IFCHR | 0o666, 0x105));
    // New device nodes through the VFS; nothing else can be made in devfs.
    v.mknod(
        &Credentials::user(0, 5),
        r,
        "/dev/tty",
        S_IFCHR | 0o620,
        0x400,
    )
    .unwrap();
    assert_eq!(v.stat(&ROOT, r, "/dev/tty").unwrap().rdev, 0x400);
    assert_eq!(
        list(&mut v, r, "/dev", 64).unwrap(),
        ["null", "pts", "tty", "zero"]
    );
    // The one subdirectory, pts: the pseudo-terminals' slave ends go there.
    assert_eq!(
        list(&mut v, r, "/dev/pts", 64).unwrap(),
        Vec::<String>::new()
    );
    v.mknod(&ROOT, r, "/dev/pts/0", S_IFCHR | 0o620, 0x8800)
        .unwrap();
    assert_eq!(v.stat(&ROOT, r, "/dev/pts/0").unwrap().rdev, 0x8800);
    assert_eq!(v.stat(&ROOT, r, "/dev/pts/../null").unwrap().rdev, 0x103);
    assert_eq!(v.stat(&ROOT, r, "/dev/0"), Err(Errno::ENOENT));
    assert_eq!(list(&mut v, r, "/dev/pts", 64).unwrap(), ["0"]);
    assert_eq!(v.stat(&ROOT, r, "/dev/pts").unwrap().mode, S_IFDIR | 0o755);
    assert_eq!(v.unlink(&ROOT, r, "/dev/pts"), Err(Errno::EISDIR));
    assert_eq!(v.rmdir(&ROOT, r, "/dev/pts"), Err(Errno::EPERM));
    assert_eq!(v.mkdir(&ROOT, r, "/dev/pts/x", 0o755), Err(Errno::EPERM));
    v.unlink(&ROOT, r, "/dev/pts/0").unwrap();
    assert_eq!(v.stat(&ROOT, r, "/dev/pts/0"), Err(Errno::ENOENT));
    assert_eq!(v.mkdir(&ROOT, r, "/dev/x", 0o755), Err(Errno::EPERM));
    assert_eq!(
        v.open(&ROOT, r, "/dev/new", O_CREAT | O_WRONLY, 0o644)
            .err(),
        Some(Errno::EPERM)
    );
    assert_eq!(
        v.mknod(&ROOT, r, "/dev/tty", S_IFCHR, 1),
        Err(Errno::EEXIST)
    );
    v.unlink(&ROOT, r, "/dev/tty").unwrap();
    assert_eq!(v.stat(&ROOT, r, "/dev/tty"), Err(Errno::ENOENT));
    // tmpfs keeps device nodes too.
    v.mknod(&ROOT, r, "/d/console", S_IFCHR | 0o600, 0x501)
        .unwrap();
    assert_eq!(
        v.open(&ROOT, r, "/d/console", O_RDWR, 0).unwrap().kind,
        NodeKind::CharDevice(0x501)
    );
}

#[test]
fn name_operation_errors() {
    let mut v = fresh();
    let r = v.root();
    put(&mut v, r, "/d/f", b"x");
    v.mkdir(&ROOT, r, "/d/sub", 0o755).unwrap();
    put(&mut v, r, "/d/sub/g", b"y");
    assert_eq!(v.mkdir(&ROOT, r, "/d/f", 0o755), Err(Errno::EEXIST));
    assert_eq!(v.mkdir(&ROOT, r, "/d/sub/..", 0o755), Err(Errno::EEXIST));
    assert_eq!(v.mkdir(&ROOT, r, "/", 0o755), Err(Errno::EEXIST));
    assert_eq!(v.unlink(&ROOT, r, "/d/sub"), Err(Errno::EISDIR));
    assert_eq!(v.unlink(&ROOT, r, "/"), Err(Errno::EISDIR));
    assert_eq!(v.unlink(&ROOT, r, "/d/none"), Err(Errno::ENOENT));
    assert_eq!(v.rmdir(&ROOT, r, "/d/sub"), Err(Errno::ENOTEMPTY));
    assert_eq!(v.rmdir(&ROOT, r, "/d/f"), Err(Errno::ENOTDIR));
    assert_eq!(v.rmdir(&ROOT, r, "/d/."), Err(Errno::EINVAL));
    assert_eq!(v.rmdir(&ROOT, r, "/d/sub/.."), Err(Errno::ENOTEMPTY));
    assert_eq!(v.rmdir(&ROOT, r, "/dev"), Err(Errno::EBUSY));
    assert_eq!(v.link(&ROOT, r, "/d/sub", "/d/sub2"), Err(Errno::EPERM));
    assert_eq!(v.link(&ROOT, r, "/d/f", "/d/sub/g"), Err(Errno::EEXIST));
    assert_eq!(v.symlink(&ROOT, r, "x", "/d/f"), Err(Errno::EEXIST));
    assert_eq!(v.symlink(&ROOT, r, "", "/d/e"), Err(Errno::ENOENT));
    assert_eq!(
        v.rename(&ROOT, r, "/d/sub", "/d/sub/in"),
        Err(Errno::EINVAL)
    );
    assert_eq!(v.rename(&ROOT, r, "/d/f", "/d/sub"), Err(Errno::EISDIR));
    assert_eq!(v.rename(&ROOT, r, "/d/sub", "/d/f"), Err(Errno::ENOTDIR));
    v.mkdir(&ROOT, r, "/d/full", 0o755).unwrap();
    put(&mut v, r, "/d/full/x", b"");
    assert_eq!(
        v.rename(&ROOT, r, "/d/sub", "/d/full"),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(v.rename(&ROOT, r, "/d/none", "/d/x"), Err(Errno::ENOENT));
    assert_eq!(v.rename(&ROOT, r, "/d/.", "/d/x"), Err(Errno::EBUSY));
    assert_eq!(v.rename(&ROOT, r, "/", "/d/x"), Err(Errno::EBUSY));
    assert_eq!(v.truncate(&ROOT, r, "/d/none", 0), Err(Errno::ENOENT));
}

#[test]
fn hard_links_count_names() {
    let mut v = fresh();
    let r = v.root();
    let f = put(&mut v, r, "/d/f", b"shared");
    v.mkdir(&ROOT, r, "/d/sub", 0o755).unwrap();
    v.link(&ROOT, r, "/d/f", "/d/sub/f2").unwrap();
    v.link(&ROOT, r, "/d/sub/f2", "/f3").unwrap();
    assert_eq!(v.stat_node(f).unwrap().nlink, 3);
    assert_eq!(v.resolve(&ROOT, r, "/f3", true), Ok(f));
    v.write(f, 0, b"SH").unwrap();
    assert_eq!(get(&mut v, r, "/d/sub/f2").unwrap(), b"SHared");
    v.unlink(&ROOT, r, "/d/f").unwrap();
    assert_eq!(v.stat_node(f).unwrap().nlink, 2);
    v.unlink(&ROOT, r, "/f3").unwrap();
    v.unlink(&ROOT, r, "/d/sub/f2").unwrap();
    assert_eq!(
        v.stat_node(f),
        Err(Errno::ENOENT),
        "freed with its last name"
    );
    // Directory link counts: 2 + subdirectories.
    assert_eq!(v.stat(&ROOT, r, "/d").unwrap().nlink, 3);
    v.mkdir(&ROOT, r, "/d/sub2", 0o755).unwrap();
    assert_eq!(v.stat(&ROOT, r, "/d").unwrap().nlink, 4);
    v.rename(&ROOT, r, "/d/sub2", "/sub2").unwrap();
    assert_eq!(v.stat(&ROOT, r, "/d").unwrap().nlink, 3);
    // A link to a symlink is a link to the symlink itself.
    v.symlink(&ROOT, r, "/d", "/sl").unwrap();
    v.link(&ROOT, r, "/sl", "/sl2").unwrap();
    assert_eq!(v.lstat(&ROOT, r, "/sl2").unwrap().mode & S_IFMT, S_IFLNK);
}

#[test]
fn rename_across_dirs_and_mounts() {
    let mut v = fresh();
    let r = v.root();
    v.mkdir(&ROOT, r, "/mnt", 0o755).unwrap();
    v.mount(&ROOT, "/mnt", Box::new(TmpFs::new(clock(), 1 << 16)))
        .unwrap();
    put(&mut v, r, "/d/a", b"A");
    put(&mut v, r, "/b", b"B");
    v.rename(&ROOT, r, "/d/a", "/b").unwrap();
    assert_eq!(get(&mut v, r, "/b").unwrap(), b"A", "replaced");
    assert_eq!(v.stat(&ROOT, r, "/d/a"), Err(Errno::ENOENT));
    v.mkdir(&ROOT, r, "/d/dir", 0o755).unwrap();
    put(&mut v, r, "/d/dir/in", b"I");
    v.mkdir(&ROOT, r, "/empty", 0o755).unwrap();
    v.rename(&ROOT, r, "/d/dir", "/empty").unwrap();
    assert_eq!(get(&mut v, r, "/empty/in").unwrap(), b"I");
    let e = v.resolve(&ROOT, r, "/empty", true).unwrap();
    assert_eq!(v.path_of(e).unwrap(), b"/empty");
    assert_eq!(v.resolve(&ROOT, e, "..", true), Ok(r));
    // Across file systems: EXDEV for rename and link, both ways.
    put(&mut v, r, "/mnt/m", b"M");
    assert_eq!(v.rename(&ROOT, r, "/b", "/mnt/b"), Err(Errno::EXDEV));
    assert_eq!(v.rename(&ROOT, r, "/mnt/m", "/m"), Err(Errno::EXDEV));
    assert_eq!(v.link(&ROOT, r, "/b", "/mnt/b"), Err(Errno::EXDEV));
    assert_eq!(v.link(&ROOT, r, "/mnt/m", "/d/m"), Err(Errno::EXDEV));
    v.rename(&ROOT, r, "/mnt/m", "/mnt/m2").unwrap();
    // Renaming a file onto another name of itself does nothing.
    v.link(&ROOT, r, "/b", "/b2").unwrap();
    v.rename(&ROOT, r, "/b", "/b2").unwrap();
    assert_eq!(get(&mut v, r, "/b").unwrap(), b"A");
    // Relative paths from a working directory.
    let d = v.resolve_dir(&ROOT, r, "/d").unwrap();
    put(&mut v, d, "rel", b"R");
    v.rename(&ROOT, d, "rel", "../rel2").unwrap();
    assert_eq!(get(&mut v, r, "/rel2").unwrap(), b"R");
}

#[test]
fn tmpfs_runs_out_of_space() {
    let mut v = tmp_vfs(1000);
    let r = v.root();
    let f = put(&mut v, r, "/f", &[1; 600]);
    let g = v
        .open(&ROOT, r, "/g", O_CREAT | O_WRONLY, 0o644)
        .unwrap()
        .node;
    assert_eq!(
        v.write(g, 0, &[2; 600]),
        Ok(400),
        "short write at the limit"
    );
    assert_eq!(v.write(g, 400, &[2; 10]), Err(Errno::ENOSPC));
    assert_eq!(
        v.write(g, 0, &[3; 400]),
        Ok(400),
        "overwrite needs no space"
    );
    assert_eq!(v.truncate(&ROOT, r, "/f", 601), Err(Errno::ENOSPC));
    assert_eq!(v.symlink(&ROOT, r, "target", "/l"), Err(Errno::ENOSPC));
    assert_eq!(v.statfs(1).unwrap().free_blocks, 0);
    v.truncate(&ROOT, r, "/f", 100).unwrap();
    assert_eq!(v.write(g, 400, &[4; 600]), Ok(500));
    v.unlink(&ROOT, r, "/g").unwrap();
    assert_eq!(v.write(f, 100, &[5; 900]), Ok(900));
    let mut buf = vec![0; 1100];
    assert_eq!(v.read(f, 0, &mut buf), Ok(1000));
    assert_eq!(&buf[..101], &[[1u8; 100].as_slice(), &[5]].concat()[..]);
    // The inode limit.
    let mut small = TmpFs::with_limits(clock(), 100, 3);
    let root = small.root();
    small.create(root, b"a", 0o644, 0, 0).unwrap();
    small.mkdir(root, b"b", 0o755, 0, 0).unwrap();
    assert_eq!(small.create(root, b"c", 0o644, 0, 0), Err(Errno::ENOSPC));
    assert_eq!(small.statfs().free_files, 0);
}

#[test]
fn sparse_writes_read_back_zeros() {
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    let f = put(&mut v, r, "/f", b"ab");
    v.write(f, 10, b"z").unwrap();
    assert_eq!(get(&mut v, r, "/f").unwrap(), b"ab\0\0\0\0\0\0\0\0z");
    let mut buf = [9u8; 4];
    assert_eq!(v.read(f, 11, &mut buf), Ok(0), "at the end");
    assert_eq!(v.read(f, 1000, &mut buf), Ok(0));
}

#[test]
fn getdents_packs_and_resumes_with_a_tiny_buffer() {
    let mut v = fresh();
    let r = v.root();
    let mut want = Vec::new();
    for i in 0..20 {
        let name = format!("entry-{i:02}-{}", "x".repeat(i));
        put(&mut v, r, &format!("/d/{name}"), b"");
        want.push(name);
    }
    v.mkdir(&ROOT, r, "/d/zdir", 0o755).unwrap();
    want.push("zdir".into());
    want.sort();
    // 48 bytes holds at most one record of these names: one per call.
    assert_eq!(list(&mut v, r, "/d", 48).unwrap(), want);
    assert_eq!(list(&mut v, r, "/d", 4096).unwrap(), want);
    let d = v.resolve(&ROOT, r, "/d", true).unwrap();
    let mut tiny = [0u8; 16];
    assert_eq!(v.getdents(d, 0, &mut tiny), Ok((16, 1)), "`.` just fits");
    let (n, pos) = v.getdents(d, 1, &mut tiny).unwrap();
    assert_eq!(decode_dirents(&tiny[..n])[0].2, b"..");
    assert_eq!(
        v.getdents(d, pos, &mut tiny),
        Err(Errno::EINVAL),
        "first does not fit"
    );
    let mut buf = [0u8; 4096];
    let (n, _) = v.getdents(d, 0, &mut buf).unwrap();
    let recs = decode_dirents(&buf[..n]);
    let zdir = recs.iter().find(|r| r.2 == b"zdir").unwrap();
    assert_eq!(zdir.1, DT_DIR);
    assert_eq!(zdir.0, v.resolve(&ROOT, r, "/d/zdir", true).unwrap().ino);
    assert!(recs
        .iter()
        .filter(|r| r.2.starts_with(b"entry"))
        .all(|r| r.1 == DT_REG));
    assert_eq!(vfs::dirent_len(1), 16);
    assert_eq!(vfs::dirent_len(4), 16);
    assert_eq!(vfs::dirent_len(5), 24);
    let e = DirEntry {
        ino: 7,
        name: b"abcde".to_vec(),
        kind: NodeKind::Symlink,
    };
    let mut out = [0xffu8; 24];
    assert_eq!(vfs::pack_dirents(&mut out, &e), Some(24));
    assert_eq!(
        &out[..],
        &[
            7, 0, 0, 0, 0, 0, 0, 0, 24, 0, DT_LNK, 5, b'a', b'b', b'c', b'd', b'e', 0, 0, 0, 0, 0,
            0, 0
        ]
    );
    assert_eq!(vfs::pack_dirents(&mut out[..23], &e), None);
}

#[test]
fn getdents_survives_changes_between_calls() {
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    for n in ["a", "b", "c", "d"] {
        put(&mut v, r, &format!("/{n}"), b"");
    }
    let mut buf = [0u8; 16];
    let mut pos = 0;
    let mut seen = Vec::new();
    loop {
        let (n, next) = v.getdents(r, pos, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        seen.push(decode_dirents(&buf[..n])[0].2.clone());
        if seen.len() == 3 {
            v.unlink(&ROOT, r, "/a").unwrap(); // already seen
            v.unlink(&ROOT, r, "/c").unwrap(); // not yet seen: must not appear
        }
        pos = next;
    }
    assert_eq!(seen, [&b"."[..], b"..", b"a", b"b", b"d"]);
}

#[test]
fn statfs_and_mount_list() {
    let mut v = fresh();
    let r = v.root();
    put(&mut v, r, "/f", &[0; 8192]);
    let s = v.statfs(1).unwrap();
    assert_eq!(s.block_size, 4096);
    assert_eq!(s.blocks - s.free_blocks, 2);
    assert_eq!(s.name_max, 255);
    let info = v.mounts();
    assert_eq!(info[1].path, b"/dev");
    assert_eq!(info[1].fs_type, "devfs");
    assert!(!info[0].read_only);
    assert_eq!(v.statfs(99), Err(Errno::EINVAL));
}

/// POSIX: a file unlinked while open keeps its contents until the last close; then it
/// is freed (on tmpfs and on ext2).
#[test]
fn unlinked_open_file_lives_until_unpinned() {
    fn check(v: &mut Vfs) {
        let root = v.root();
        let node = put(v, root, "/f", b"still here");
        v.pin(node).unwrap();
        v.unlink(&ROOT, root, "/f").unwrap();
        assert_eq!(v.stat(&ROOT, root, "/f"), Err(Errno::ENOENT));
        let mut buf = [0u8; 32];
        let n = v.read(node, 0, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"still here");
        v.write(node, 0, b"STILL").unwrap();
        v.unpin(node).unwrap();
        assert!(
            v.read(node, 0, &mut buf).is_err(),
            "freed after the last unpin"
        );
        // A name created afterwards is a different, working file.
        let other = put(v, root, "/g", b"new");
        assert_eq!(get(v, root, "/g").unwrap(), b"new");
        let _ = other;
    }
    let mut t = tmp_vfs(1 << 20);
    check(&mut t);
    if have_mke2fs("unlinked_open_file_lives_until_unpinned") {
        let mut e = ext2_vfs(ext2_image(|_| {}));
        check(&mut e);
        e.shutdown().unwrap();
    }
}

#[test]
fn removed_working_directory_on_tmpfs_is_dead_while_held() {
    let mut v = fresh();
    let r = v.root();
    v.mkdir(&ROOT, r, "/dd", 0o755).unwrap();
    let dd = v.resolve_dir(&ROOT, r, "/dd").unwrap();
    v.pin(dd).unwrap(); // the working directory of a process
    v.rmdir(&ROOT, dd, "/dd").unwrap();
    v.mkdir(&ROOT, r, "/other", 0o755).unwrap();
    assert_ne!(v.resolve_dir(&ROOT, r, "/other").unwrap(), dd);
    // Made in the removed directory: ENOENT, as on Linux; nothing lands elsewhere.
    assert_eq!(
        v.open(&ROOT, dd, "f", O_CREAT | O_WRONLY, 0o644).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(v.mkdir(&ROOT, dd, "sub", 0o755).err(), Some(Errno::ENOENT));
    assert_eq!(v.path_of(dd).err(), Some(Errno::ENOENT));
    assert_eq!(v.resolve(&ROOT, dd, "..", true).err(), Some(Errno::ENOENT));
    assert_eq!(v.stat_node(dd).unwrap().nlink, 0);
    assert_eq!(list(&mut v, r, "/other", 64).unwrap(), Vec::<String>::new());
    v.unpin(dd).unwrap();
    assert_eq!(v.stat_node(dd).err(), Some(Errno::ENOENT));
}

#[test]
fn umount_is_busy_while_a_node_below_is_held() {
    let mut v = fresh();
    let r = v.root();
    v.mkdir(&ROOT, r, "/m", 0o755).unwrap();
    let id = v
        .mount(&ROOT, "/m", Box::new(TmpFs::new(clock(), 1 << 16)))
        .unwrap();
    let o = v
        .open(&ROOT, r, "/m/out", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    v.pin(o.node).unwrap(); // an open file
    assert!(v.is_busy(id));
    assert_eq!(v.umount(&ROOT, "/m").err(), Some(Errno::EBUSY));
    v.write(o.node, 0, b"kept").unwrap();
    v.unpin(o.node).unwrap();
    let sub = v.resolve_dir(&ROOT, r, "/m").unwrap();
    v.pin(sub).unwrap(); // a working directory (the mount's root)
    assert_eq!(v.umount(&ROOT, "/m").err(), Some(Errno::EBUSY));
    assert_eq!(get(&mut v, r, "/m/out").unwrap(), b"kept");
    v.unpin(sub).unwrap();
    assert!(!v.is_busy(id));
    v.umount(&ROOT, "/m").unwrap();
    assert_eq!(v.stat(&ROOT, r, "/m/out").err(), Some(Errno::ENOENT));
}
