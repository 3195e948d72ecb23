//! The file-management calls on tmpfs and devfs: open flags, every errno the
//! VFS produces, hard-link counts, rename, ENOSPC, getdents packing.

mod common;

use abi::flags::*;
use abi::Errno;
use common::*;
use vfs::{DirEntry, FileSystem, NodeKind, TmpFs, Vfs};

fn fresh() -> Vfs {
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    v.mkdir(r, "/d", 0o755, 0, 0).unwrap();
    v.mkdir(r, "/dev", 0o755, 0, 0).unwrap();
    v.mount("/dev", Box::new(devfs())).unwrap();
    v
}

#[test]
fn open_creat_excl_trunc() {
    let mut v = fresh();
    let r = v.root();
    let o = v.open(r, "/d/f", O_CREAT | O_WRONLY, 0o640, 7, 8).unwrap();
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
    let again = v.open(r, "/d/f", O_CREAT | O_RDWR, 0o600, 0, 0).unwrap();
    assert_eq!((again.node, again.created), (o.node, false));
    assert_eq!(
        v.open(r, "/d/f", O_CREAT | O_EXCL | O_WRONLY, 0o600, 0, 0)
            .err(),
        Some(Errno::EEXIST)
    );
    assert_eq!(get(&mut v, r, "/d/f").unwrap(), b"0123456789");
    v.open(r, "/d/f", O_WRONLY | O_TRUNC, 0, 0, 0).unwrap();
    assert_eq!(v.stat(r, "/d/f").unwrap().size, 0);
    // Without O_CREAT a missing file is ENOENT, and so is a missing directory.
    assert_eq!(
        v.open(r, "/d/nope", O_RDONLY, 0, 0, 0).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(
        v.open(r, "/nope/f", O_CREAT | O_WRONLY, 0o644, 0, 0).err(),
        Some(Errno::ENOENT)
    );
}

#[test]
fn open_directory_and_nofollow() {
    let mut v = fresh();
    let r = v.root();
    put(&mut v, r, "/d/f", b"x");
    v.symlink(r, "f", "/d/l", 0, 0).unwrap();
    v.symlink(r, "/d", "/dl", 0, 0).unwrap();
    let d = v.open(r, "/d", O_RDONLY | O_DIRECTORY, 0, 0, 0).unwrap();
    assert_eq!(d.kind, NodeKind::Directory);
    assert_eq!(
        v.open(r, "/d/f", O_RDONLY | O_DIRECTORY, 0, 0, 0).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(
        v.open(r, "/d", O_WRONLY, 0, 0, 0).err(),
        Some(Errno::EISDIR)
    );
    assert_eq!(v.open(r, "/d", O_RDWR, 0, 0, 0).err(), Some(Errno::EISDIR));
    assert_eq!(
        v.open(r, "/d", O_CREAT | O_RDONLY, 0o644, 0, 0).err(),
        Some(Errno::EISDIR)
    );
    assert_eq!(
        v.open(r, "/d/l", O_RDONLY | O_NOFOLLOW, 0, 0, 0).err(),
        Some(Errno::ELOOP)
    );
    assert_eq!(
        v.open(r, "/d/l", O_CREAT | O_WRONLY | O_NOFOLLOW, 0o644, 0, 0)
            .err(),
        Some(Errno::ELOOP)
    );
    // O_NOFOLLOW applies to the last component only.
    let f = v.open(r, "/dl/f", O_RDONLY | O_NOFOLLOW, 0, 0, 0).unwrap();
    assert_eq!(f.kind, NodeKind::Regular);
    assert_eq!(v.open(r, "/d/l", O_RDONLY, 0, 0, 0).unwrap().node, f.node);
    // O_CREAT through a dangling symlink creates its target.
    v.symlink(r, "made", "/d/dangle", 0, 0).unwrap();
    let m = v
        .open(r, "/d/dangle", O_CREAT | O_WRONLY, 0o644, 0, 0)
        .unwrap();
    assert!(m.created);
    assert_eq!(v.resolve(r, "/d/made", true), Ok(m.node));
    assert_eq!(
        v.open(r, "/d/l", O_CREAT | O_EXCL | O_WRONLY, 0o644, 0, 0)
            .err(),
        Some(Errno::EEXIST),
        "O_EXCL never follows"
    );
}

#[test]
fn reading_directories_and_devices_through_the_vfs() {
    let mut v = fresh();
    let r = v.root();
    let d = v.resolve(r, "/d", true).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(v.read(d, 0, &mut buf), Err(Errno::EISDIR));
    assert_eq!(v.write(d, 0, b"x"), Err(Errno::EISDIR));
    assert_eq!(v.truncate(r, "/d", 0), Err(Errno::EISDIR));
    let null = v.open(r, "/dev/null", O_RDWR, 0, 0, 0).unwrap();
    assert_eq!(null.kind, NodeKind::CharDevice(0x103));
    assert_eq!(v.read(null.node, 0, &mut buf), Err(Errno::ENODEV));
    assert_eq!(v.write(null.node, 0, b"x"), Err(Errno::ENODEV));
    let st = v.stat(r, "/dev/zero").unwrap();
    assert_eq!((st.mode, st.rdev), (S_IFCHR | 0o666, 0x105));
    // New device nodes through the VFS; nothing else can be made in devfs.
    v.mknod(r, "/dev/tty", S_IFCHR | 0o620, 0x400, 0, 5)
        .unwrap();
    assert_eq!(v.stat(r, "/dev/tty").unwrap().rdev, 0x400);
    assert_eq!(
        list(&mut v, r, "/dev", 64).unwrap(),
        ["null", "tty", "zero"]
    );
    assert_eq!(v.mkdir(r, "/dev/x", 0o755, 0, 0), Err(Errno::EPERM));
    assert_eq!(
        v.open(r, "/dev/new", O_CREAT | O_WRONLY, 0o644, 0, 0).err(),
        Some(Errno::EPERM)
    );
    assert_eq!(v.mknod(r, "/dev/tty", S_IFCHR, 1, 0, 0), Err(Errno::EEXIST));
    v.unlink(r, "/dev/tty").unwrap();
    assert_eq!(v.stat(r, "/dev/tty"), Err(Errno::ENOENT));
    // tmpfs keeps device nodes too.
    v.mknod(r, "/d/console", S_IFCHR | 0o600, 0x501, 0, 0)
        .unwrap();
    assert_eq!(
        v.open(r, "/d/console", O_RDWR, 0, 0, 0).unwrap().kind,
        NodeKind::CharDevice(0x501)
    );
}

#[test]
fn name_operation_errors() {
    let mut v = fresh();
    let r = v.root();
    put(&mut v, r, "/d/f", b"x");
    v.mkdir(r, "/d/sub", 0o755, 0, 0).unwrap();
    put(&mut v, r, "/d/sub/g", b"y");
    assert_eq!(v.mkdir(r, "/d/f", 0o755, 0, 0), Err(Errno::EEXIST));
    assert_eq!(v.mkdir(r, "/d/sub/..", 0o755, 0, 0), Err(Errno::EEXIST));
    assert_eq!(v.mkdir(r, "/", 0o755, 0, 0), Err(Errno::EEXIST));
    assert_eq!(v.unlink(r, "/d/sub"), Err(Errno::EISDIR));
    assert_eq!(v.unlink(r, "/"), Err(Errno::EISDIR));
    assert_eq!(v.unlink(r, "/d/none"), Err(Errno::ENOENT));
    assert_eq!(v.rmdir(r, "/d/sub"), Err(Errno::ENOTEMPTY));
    assert_eq!(v.rmdir(r, "/d/f"), Err(Errno::ENOTDIR));
    assert_eq!(v.rmdir(r, "/d/."), Err(Errno::EINVAL));
    assert_eq!(v.rmdir(r, "/d/sub/.."), Err(Errno::ENOTEMPTY));
    assert_eq!(v.rmdir(r, "/dev"), Err(Errno::EBUSY));
    assert_eq!(v.link(r, "/d/sub", "/d/sub2"), Err(Errno::EPERM));
    assert_eq!(v.link(r, "/d/f", "/d/sub/g"), Err(Errno::EEXIST));
    assert_eq!(v.symlink(r, "x", "/d/f", 0, 0), Err(Errno::EEXIST));
    assert_eq!(v.symlink(r, "", "/d/e", 0, 0), Err(Errno::ENOENT));
    assert_eq!(v.rename(r, "/d/sub", "/d/sub/in"), Err(Errno::EINVAL));
    assert_eq!(v.rename(r, "/d/f", "/d/sub"), Err(Errno::EISDIR));
    assert_eq!(v.rename(r, "/d/sub", "/d/f"), Err(Errno::ENOTDIR));
    v.mkdir(r, "/d/full", 0o755, 0, 0).unwrap();
    put(&mut v, r, "/d/full/x", b"");
    assert_eq!(v.rename(r, "/d/sub", "/d/full"), Err(Errno::ENOTEMPTY));
    assert_eq!(v.rename(r, "/d/none", "/d/x"), Err(Errno::ENOENT));
    assert_eq!(v.rename(r, "/d/.", "/d/x"), Err(Errno::EBUSY));
    assert_eq!(v.rename(r, "/", "/d/x"), Err(Errno::EBUSY));
    assert_eq!(v.truncate(r, "/d/none", 0), Err(Errno::ENOENT));
}

#[test]
fn hard_links_count_names() {
    let mut v = fresh();
    let r = v.root();
    let f = put(&mut v, r, "/d/f", b"shared");
    v.mkdir(r, "/d/sub", 0o755, 0, 0).unwrap();
    v.link(r, "/d/f", "/d/sub/f2").unwrap();
    v.link(r, "/d/sub/f2", "/f3").unwrap();
    assert_eq!(v.stat_node(f).unwrap().nlink, 3);
    assert_eq!(v.resolve(r, "/f3", true), Ok(f));
    v.write(f, 0, b"SH").unwrap();
    assert_eq!(get(&mut v, r, "/d/sub/f2").unwrap(), b"SHared");
    v.unlink(r, "/d/f").unwrap();
    assert_eq!(v.stat_node(f).unwrap().nlink, 2);
    v.unlink(r, "/f3").unwrap();
    v.unlink(r, "/d/sub/f2").unwrap();
    assert_eq!(
        v.stat_node(f),
        Err(Errno::ENOENT),
        "freed with its last name"
    );
    // Directory link counts: 2 + subdirectories.
    assert_eq!(v.stat(r, "/d").unwrap().nlink, 3);
    v.mkdir(r, "/d/sub2", 0o755, 0, 0).unwrap();
    assert_eq!(v.stat(r, "/d").unwrap().nlink, 4);
    v.rename(r, "/d/sub2", "/sub2").unwrap();
    assert_eq!(v.stat(r, "/d").unwrap().nlink, 3);
    // A link to a symlink is a link to the symlink itself.
    v.symlink(r, "/d", "/sl", 0, 0).unwrap();
    v.link(r, "/sl", "/sl2").unwrap();
    assert_eq!(v.lstat(r, "/sl2").unwrap().mode & S_IFMT, S_IFLNK);
}

#[test]
fn rename_across_dirs_and_mounts() {
    let mut v = fresh();
    let r = v.root();
    v.mkdir(r, "/mnt", 0o755, 0, 0).unwrap();
    v.mount("/mnt", Box::new(TmpFs::new(clock(), 1 << 16)))
        .unwrap();
    put(&mut v, r, "/d/a", b"A");
    put(&mut v, r, "/b", b"B");
    v.rename(r, "/d/a", "/b").unwrap();
    assert_eq!(get(&mut v, r, "/b").unwrap(), b"A", "replaced");
    assert_eq!(v.stat(r, "/d/a"), Err(Errno::ENOENT));
    v.mkdir(r, "/d/dir", 0o755, 0, 0).unwrap();
    put(&mut v, r, "/d/dir/in", b"I");
    v.mkdir(r, "/empty", 0o755, 0, 0).unwrap();
    v.rename(r, "/d/dir", "/empty").unwrap();
    assert_eq!(get(&mut v, r, "/empty/in").unwrap(), b"I");
    let e = v.resolve(r, "/empty", true).unwrap();
    assert_eq!(v.path_of(e).unwrap(), b"/empty");
    assert_eq!(v.resolve(e, "..", true), Ok(r));
    // Across file systems: EXDEV for rename and link, both ways.
    put(&mut v, r, "/mnt/m", b"M");
    assert_eq!(v.rename(r, "/b", "/mnt/b"), Err(Errno::EXDEV));
    assert_eq!(v.rename(r, "/mnt/m", "/m"), Err(Errno::EXDEV));
    assert_eq!(v.link(r, "/b", "/mnt/b"), Err(Errno::EXDEV));
    assert_eq!(v.link(r, "/mnt/m", "/d/m"), Err(Errno::EXDEV));
    v.rename(r, "/mnt/m", "/mnt/m2").unwrap();
    // Renaming a file onto another name of itself does nothing.
    v.link(r, "/b", "/b2").unwrap();
    v.rename(r, "/b", "/b2").unwrap();
    assert_eq!(get(&mut v, r, "/b").unwrap(), b"A");
    // Relative paths from a working directory.
    let d = v.resolve_dir(r, "/d").unwrap();
    put(&mut v, d, "rel", b"R");
    v.rename(d, "rel", "../rel2").unwrap();
    assert_eq!(get(&mut v, r, "/rel2").unwrap(), b"R");
}

#[test]
fn tmpfs_runs_out_of_space() {
    let mut v = tmp_vfs(1000);
    let r = v.root();
    let f = put(&mut v, r, "/f", &[1; 600]);
    let g = v
        .open(r, "/g", O_CREAT | O_WRONLY, 0o644, 0, 0)
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
    assert_eq!(v.truncate(r, "/f", 601), Err(Errno::ENOSPC));
    assert_eq!(v.symlink(r, "target", "/l", 0, 0), Err(Errno::ENOSPC));
    assert_eq!(v.statfs(1).unwrap().free_blocks, 0);
    v.truncate(r, "/f", 100).unwrap();
    assert_eq!(v.write(g, 400, &[4; 600]), Ok(500));
    v.unlink(r, "/g").unwrap();
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
    v.mkdir(r, "/d/zdir", 0o755, 0, 0).unwrap();
    want.push("zdir".into());
    want.sort();
    // 48 bytes holds at most one record of these names: one per call.
    assert_eq!(list(&mut v, r, "/d", 48).unwrap(), want);
    assert_eq!(list(&mut v, r, "/d", 4096).unwrap(), want);
    let d = v.resolve(r, "/d", true).unwrap();
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
    assert_eq!(zdir.0, v.resolve(r, "/d/zdir", true).unwrap().ino);
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
            v.unlink(r, "/a").unwrap(); // already seen
            v.unlink(r, "/c").unwrap(); // not yet seen: must not appear
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
        v.unlink(root, "/f").unwrap();
        assert_eq!(v.stat(root, "/f"), Err(Errno::ENOENT));
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
    v.mkdir(r, "/dd", 0o755, 0, 0).unwrap();
    let dd = v.resolve_dir(r, "/dd").unwrap();
    v.pin(dd).unwrap(); // the working directory of a process
    v.rmdir(dd, "/dd").unwrap();
    v.mkdir(r, "/other", 0o755, 0, 0).unwrap();
    assert_ne!(v.resolve_dir(r, "/other").unwrap(), dd);
    // Made in the removed directory: ENOENT, as on Linux; nothing lands elsewhere.
    assert_eq!(
        v.open(dd, "f", O_CREAT | O_WRONLY, 0o644, 0, 0).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(v.mkdir(dd, "sub", 0o755, 0, 0).err(), Some(Errno::ENOENT));
    assert_eq!(v.path_of(dd).err(), Some(Errno::ENOENT));
    assert_eq!(v.resolve(dd, "..", true).err(), Some(Errno::ENOENT));
    assert_eq!(v.stat_node(dd).unwrap().nlink, 0);
    assert_eq!(list(&mut v, r, "/other", 64).unwrap(), Vec::<String>::new());
    v.unpin(dd).unwrap();
    assert_eq!(v.stat_node(dd).err(), Some(Errno::ENOENT));
}

#[test]
fn umount_is_busy_while_a_node_below_is_held() {
    let mut v = fresh();
    let r = v.root();
    v.mkdir(r, "/m", 0o755, 0, 0).unwrap();
    let id = v
        .mount("/m", Box::new(TmpFs::new(clock(), 1 << 16)))
        .unwrap();
    let o = v
        .open(r, "/m/out", O_CREAT | O_WRONLY, 0o644, 0, 0)
        .unwrap();
    v.pin(o.node).unwrap(); // an open file
    assert!(v.is_busy(id));
    assert_eq!(v.umount("/m").err(), Some(Errno::EBUSY));
    v.write(o.node, 0, b"kept").unwrap();
    v.unpin(o.node).unwrap();
    let sub = v.resolve_dir(r, "/m").unwrap();
    v.pin(sub).unwrap(); // a working directory (the mount's root)
    assert_eq!(v.umount("/m").err(), Some(Errno::EBUSY));
    assert_eq!(get(&mut v, r, "/m/out").unwrap(), b"kept");
    v.unpin(sub).unwrap();
    assert!(!v.is_busy(id));
    v.umount("/m").unwrap();
    assert_eq!(v.stat(r, "/m/out").err(), Some(Errno::ENOENT));
}
