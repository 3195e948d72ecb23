//! Writing: operations run on an image in memory, the image goes back to the
//! host, and e2fsck must find it clean and debugfs must see what we wrote.

mod common;

use common::*;
use fs::{Errno, Ext2, FileType, MemDisk, NewOwner};

const RW: NewOwner = NewOwner {
    perm: 0o644,
    uid: 1000,
    gid: 100,
};
const DIR: NewOwner = NewOwner {
    perm: 0o755,
    uid: 1000,
    gid: 100,
};

fn read_all(fs: &mut Ext2<MemDisk>, ino: u32) -> Vec<u8> {
    let size = fs.stat(ino).unwrap().size as usize;
    let mut v = vec![0u8; size];
    assert_eq!(fs.read(ino, 0, &mut v).unwrap(), size);
    v
}

/// Many kinds of operation on one image, then e2fsck and debugfs.
fn mixed_operations(block: u32, extra: &[&str]) {
    let src = TempDir::new("src");
    std::fs::create_dir(src.path().join("old")).unwrap();
    std::fs::write(src.path().join("old/keep.txt"), b"kept").unwrap();
    std::fs::write(src.path().join("old/big.bin"), pattern(9, 3 << 20)).unwrap();
    let image = mkfs(block, 32 * 1024, Some(src.path()), extra);
    let mut fs = mount(image);
    let root = fs.root();

    // Files of every block-map depth, written in uneven pieces.
    let sizes = [
        0usize,
        1,
        1000,
        12 * 1024,
        13 * 1024 + 5,
        300 * 1024,
        5 * 1024 * 1024 + 3,
    ];
    let mut inos = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let ino = fs.create(root, format!("f{i}"), RW).unwrap();
        let data = pattern(i as u8, size);
        let mut off = 0;
        while off < size {
            let end = (off + 7777).min(size);
            assert_eq!(
                fs.write(ino, off as u64, &data[off..end]).unwrap(),
                end - off
            );
            off = end;
        }
        assert_eq!(read_all(&mut fs, ino), data);
        inos.push(ino);
    }
    // Overwrite in the middle, then a sparse write far past the end.
    fs.write(inos[5], 4000, b"MIDDLE").unwrap();
    fs.write(inos[2], 2_000_000, b"far").unwrap();
    let st = fs.stat(inos[2]).unwrap();
    assert_eq!(st.size, 2_000_003);
    let mut hole = [1u8; 100];
    fs.read(inos[2], 10_000, &mut hole).unwrap();
    assert_eq!(hole, [0u8; 100], "a hole reads as zeros");

    // Directories, nested; EEXIST, ENOTEMPTY, ENOTDIR.
    let a = fs.mkdir(root, "a", DIR).unwrap();
    let b = fs.mkdir(a, "b", DIR).unwrap();
    let c = fs.mkdir(b, "c", DIR).unwrap();
    assert_eq!(fs.mkdir(root, "a", DIR).err(), Some(Errno::EEXIST));
    assert_eq!(fs.create(a, "b", RW).err(), Some(Errno::EEXIST));
    assert_eq!(fs.rmdir(root, "a").err(), Some(Errno::ENOTEMPTY));
    assert_eq!(fs.rmdir(root, "f1").err(), Some(Errno::ENOTDIR));
    assert_eq!(fs.unlink(root, "a").err(), Some(Errno::EISDIR));
    assert_eq!(fs.mkdir(inos[1], "x", DIR).err(), Some(Errno::ENOTDIR));
    assert_eq!(
        fs.create(root, "n".repeat(256), RW).err(),
        Some(Errno::ENAMETOOLONG)
    );
    assert_eq!(fs.stat(a).unwrap().nlink, 3);
    for i in 0..150 {
        fs.create(c, format!("entry-number-{i:03}-with-padding"), RW)
            .unwrap();
    }
    for i in (0..150).step_by(3) {
        fs.unlink(c, format!("entry-number-{i:03}-with-padding"))
            .unwrap();
    }

    // Symlinks, fast and slow.
    let fast = fs.symlink(a, "fast", "../f1", RW).unwrap();
    let long = "y".repeat(300);
    let slow = fs.symlink(a, "slow", &long, RW).unwrap();
    assert_eq!(fs.readlink(fast).unwrap(), b"../f1");
    assert_eq!(fs.readlink(slow).unwrap(), long.as_bytes());
    assert_eq!(fs.stat(fast).unwrap().kind, FileType::Symlink);

    // Hard links and link counts.
    fs.link(inos[3], b, "f3-again").unwrap();
    fs.link(inos[3], c, "f3-third").unwrap();
    assert_eq!(fs.stat(inos[3]).unwrap().nlink, 3);
    assert_eq!(fs.link(a, root, "dirlink").err(), Some(Errno::EPERM));
    fs.unlink(root, "f3").unwrap();
    assert_eq!(fs.stat(inos[3]).unwrap().nlink, 2);

    // Renames: same dir, across dirs, replacing a file, moving a directory.
    fs.rename(root, "f4", root, "f4-renamed").unwrap();
    fs.rename(root, "f4-renamed", b, "f4-moved").unwrap();
    fs.rename(root, "f0", b, "f4-moved").unwrap();
    assert_eq!(fs.lookup(b, "f4-moved").unwrap(), inos[0]);
    let d = fs.mkdir(root, "d", DIR).unwrap();
    fs.create(d, "inside", RW).unwrap();
    fs.rename(root, "d", c, "d-moved").unwrap();
    assert_eq!(fs.lookup(d, "..").unwrap(), c);
    assert_eq!(fs.stat(c).unwrap().nlink, 3);
    assert_eq!(fs.rename(root, "a", c, "loop").err(), Some(Errno::EINVAL));
    let empty = fs.mkdir(root, "empty", DIR).unwrap();
    fs.rename(c, "d-moved", root, "empty").unwrap();
    assert_eq!(fs.lookup(root, "empty").unwrap(), d);
    assert!(fs.stat(empty).is_err(), "the replaced directory is freed");
    assert_eq!(fs.lookup(d, "..").unwrap(), root);

    // Truncate: shrink across levels, grow sparse.
    fs.truncate(inos[6], 100 * 1024).unwrap();
    assert_eq!(read_all(&mut fs, inos[6]), pattern(6, 100 * 1024));
    fs.truncate(inos[6], 200 * 1024).unwrap();
    let back = read_all(&mut fs, inos[6]);
    assert_eq!(&back[..100 * 1024], &pattern(6, 100 * 1024)[..]);
    assert!(
        back[100 * 1024..].iter().all(|&x| x == 0),
        "growing exposes zeros only"
    );
    fs.truncate(inos[5], 5).unwrap();
    let old_big = fs.lookup_path("/old/big.bin").unwrap();
    fs.truncate(old_big, 1_234_567).unwrap();

    // Attributes.
    fs.set_mode(inos[1], 0o600).unwrap();
    fs.set_owner(inos[1], Some(7), Some(8)).unwrap();
    fs.set_times(inos[1], Some(1000), Some(2000)).unwrap();
    let st = fs.stat(inos[1]).unwrap();
    assert_eq!(
        (
            st.mode & 0o7777,
            st.uid,
            st.gid,
            st.atime,
            st.mtime,
            st.ctime
        ),
        (0o600, 7, 8, 1000, 2000, NOW)
    );

    // rmdir and unlink free everything they held.
    fs.unlink(a, "slow").unwrap();
    let free_before_rm = fs.statfs();
    let tmp = fs.mkdir(root, "tmpdir", DIR).unwrap();
    let t = fs.create(tmp, "t", RW).unwrap();
    fs.write(t, 0, &pattern(1, 70_000)).unwrap();
    fs.unlink(tmp, "t").unwrap();
    fs.rmdir(root, "tmpdir").unwrap();
    let after_rm = fs.statfs();
    assert_eq!(
        (after_rm.free_blocks, after_rm.free_inodes),
        (free_before_rm.free_blocks, free_before_rm.free_inodes)
    );

    let image = unmount(fs);
    assert_fsck_clean(&image);
    assert_eq!(debugfs_cat(&image, "/f5"), pattern(5, 5));
    assert_eq!(debugfs_cat(&image, "/a/b/f4-moved"), b"");
    let mut f6 = pattern(6, 100 * 1024);
    f6.resize(200 * 1024, 0);
    assert_eq!(debugfs_cat(&image, "/f6"), f6);
    assert_eq!(
        debugfs_cat(&image, "/old/big.bin"),
        &pattern(9, 3 << 20)[..1_234_567]
    );
    assert_eq!(
        debugfs_cat(&image, "/a/b/c/f3-third"),
        pattern(3, 12 * 1024)
    );
    let (stat, _) = debugfs(&image, "stat /f1", false);
    assert!(
        stat.contains("User:     7") && stat.contains("Group:     8"),
        "{stat}"
    );
    let (ls, _) = debugfs(&image, "ls -l /a/b/c/d-moved", false);
    assert!(
        ls.contains("No such file") || ls.is_empty() || !ls.contains("inside"),
        "{ls}"
    );
    let (ls, _) = debugfs(&image, "ls /empty", false);
    assert!(ls.contains("inside"), "{ls}");

    // And the image mounts again with the same contents.
    let mut fs = mount(image);
    let f6 = fs.lookup_path("/f6").unwrap();
    assert_eq!(fs.stat(f6).unwrap().size, 200 * 1024);
}

#[test]
fn mixed_operations_on_1k_blocks_leave_e2fsck_clean() {
    if have_tools("mixed_operations_on_1k_blocks_leave_e2fsck_clean") {
        mixed_operations(1024, &[]);
    }
}

#[test]
fn mixed_operations_on_4k_blocks_leave_e2fsck_clean() {
    if have_tools("mixed_operations_on_4k_blocks_leave_e2fsck_clean") {
        mixed_operations(4096, &[]);
    }
}

#[test]
fn mixed_operations_with_flex_bg_and_small_groups_leave_e2fsck_clean() {
    let name = "mixed_operations_with_flex_bg_and_small_groups_leave_e2fsck_clean";
    if have_tools(name) {
        mixed_operations(1024, &["-O", "flex_bg", "-g", "2048"]);
    }
}

#[test]
fn sparse_file_past_256_mib_uses_triple_indirect_blocks_and_frees_them() {
    let name = "sparse_file_past_256_mib_uses_triple_indirect_blocks_and_frees_them";
    if !have_tools(name) {
        return;
    }
    let mut fs = mount(mkfs(1024, 16 * 1024, None, &[]));
    let root = fs.root();
    let start = fs.statfs().free_blocks;
    let ino = fs.create(root, "huge", RW).unwrap();
    // With 1 KiB blocks: direct < 12 KiB, single < 268 KiB, double < ~64 MiB, triple beyond.
    let spots: [u64; 6] = [
        0,
        12 << 10,
        300 << 10,
        70 << 20,
        256 << 20,
        (300 << 20) + 4095,
    ];
    for (i, &off) in spots.iter().enumerate() {
        assert_eq!(fs.write(ino, off, &pattern(i as u8, 3000)).unwrap(), 3000);
    }
    for (i, &off) in spots.iter().enumerate() {
        let mut buf = vec![0u8; 3000];
        fs.read(ino, off, &mut buf).unwrap();
        assert_eq!(buf, pattern(i as u8, 3000), "data at {off}");
    }
    let st = fs.stat(ino).unwrap();
    assert_eq!(st.size, spots[5] + 3000);
    assert!(st.size > 256 << 20);
    let used = start - fs.statfs().free_blocks;
    assert_eq!(
        st.blocks,
        used * 2,
        "i_blocks counts data and indirect blocks"
    );
    fs.sync().unwrap();
    let image = fs.device().as_bytes().to_vec();
    assert_fsck_clean(&image);
    let (out, _) = debugfs(&image, "stat /huge", false);
    assert!(
        out.contains("TIND"),
        "debugfs sees a triple indirect block:\n{out}"
    );

    fs.truncate(ino, 200 << 20).unwrap();
    let mut buf = vec![0u8; 3000];
    fs.read(ino, 70 << 20, &mut buf).unwrap();
    assert_eq!(buf, pattern(3, 3000));
    let image = {
        fs.sync().unwrap();
        fs.device().as_bytes().to_vec()
    };
    assert_fsck_clean(&image);
    fs.truncate(ino, 0).unwrap();
    assert_eq!(fs.stat(ino).unwrap().blocks, 0);
    assert_eq!(fs.statfs().free_blocks, start);
    assert_fsck_clean(&unmount(fs));
}

#[test]
fn file_past_4_gib_on_4k_blocks_sets_large_file_and_stays_clean() {
    let name = "file_past_4_gib_on_4k_blocks_sets_large_file_and_stays_clean";
    if !have_tools(name) {
        return;
    }
    let mut fs = mount(mkfs(4096, 16 * 1024, None, &["-O", "^large_file"]));
    let root = fs.root();
    let ino = fs.create(root, "big", RW).unwrap();
    let off = 5u64 << 30;
    fs.write(ino, off, b"beyond four gigabytes").unwrap();
    let mut buf = [0u8; 21];
    fs.read(ino, off, &mut buf).unwrap();
    assert_eq!(&buf, b"beyond four gigabytes");
    assert_eq!(
        fs.write(ino, fs.max_file_size(), b"x").err(),
        Some(Errno::EFBIG)
    );
    let image = unmount(fs);
    assert_fsck_clean(&image);
    let (out, _) = debugfs(&image, "stats", false);
    assert!(out.contains("large_file"), "{out}");
}

#[test]
fn filling_the_disk_gives_enospc_and_leaves_it_consistent() {
    if !have_tools("filling_the_disk_gives_enospc_and_leaves_it_consistent") {
        return;
    }
    for block in [1024u32, 4096] {
        let mut fs = mount(mkfs(block, 1024, None, &["-N", "64"]));
        let root = fs.root();
        let start = fs.statfs();
        let big = fs.create(root, "big", RW).unwrap();
        let chunk = pattern(1, 50_000);
        let mut off = 0u64;
        loop {
            match fs.write(big, off, &chunk) {
                Ok(n) if n == chunk.len() => off += n as u64,
                Ok(n) => {
                    off += n as u64;
                    assert_eq!(fs.write(big, off, b"more").err(), Some(Errno::ENOSPC));
                    break;
                }
                Err(e) => {
                    assert_eq!(e, Errno::ENOSPC);
                    break;
                }
            }
        }
        assert_eq!(fs.statfs().free_blocks, 0);
        assert_eq!(fs.stat(big).unwrap().size, off);
        // Names still fit into existing directory blocks; new directories do not.
        assert_eq!(fs.mkdir(root, "nodir", DIR).err(), Some(Errno::ENOSPC));
        let mut made = 0;
        let err = loop {
            match fs.create(root, format!("empty-{made}"), RW) {
                Ok(_) => made += 1,
                Err(e) => break e,
            }
        };
        assert_eq!(err, Errno::ENOSPC, "after {made} files");
        let image = {
            fs.sync().unwrap();
            fs.device().as_bytes().to_vec()
        };
        assert_fsck_clean(&image);
        fs.unlink(root, "big").unwrap();
        for i in 0..made {
            fs.unlink(root, format!("empty-{i}")).unwrap();
        }
        let end = fs.statfs();
        assert_eq!(
            (end.free_blocks, end.free_inodes),
            (start.free_blocks, start.free_inodes)
        );
        assert_fsck_clean(&unmount(fs));
    }
}

#[test]
fn indexed_directory_is_read_linearly_and_loses_index_flag_when_changed() {
    if !have_tools("indexed_directory_is_read_linearly_and_loses_index_flag_when_changed") {
        return;
    }
    let src = TempDir::new("src");
    std::fs::create_dir(src.path().join("big")).unwrap();
    for i in 0..400 {
        std::fs::write(
            src.path().join(format!("big/name-{i:04}-padding-padding")),
            b"x",
        )
        .unwrap();
    }
    let image = mkfs(1024, 8 * 1024, Some(src.path()), &[]);
    // e2fsck -D builds htree indexes for large directories.
    let tmp = TempDir::new("htree");
    let path = tmp.path().join("img");
    std::fs::write(&path, &image).unwrap();
    let _ = std::process::Command::new(E2FSCK)
        .arg("-fyD")
        .arg(&path)
        .output()
        .unwrap();
    let image = std::fs::read(&path).unwrap();
    let (out, _) = debugfs(&image, "stat /big", false);
    assert!(
        out.contains("Flags: 0x1000"),
        "directory got an index:\n{out}"
    );

    let mut fs = mount(image);
    let big = fs.lookup_path("/big").unwrap();
    assert_eq!(fs.read_dir(big).unwrap().len(), 402);
    assert!(fs.lookup(big, "name-0399-padding-padding").is_ok());
    for i in 0..400 {
        if i % 2 == 0 {
            fs.unlink(big, format!("name-{i:04}-padding-padding"))
                .unwrap();
        }
    }
    for i in 0..100 {
        fs.create(big, format!("new-{i}"), RW).unwrap();
    }
    let image = unmount(fs);
    assert_fsck_clean(&image);
    let (out, _) = debugfs(&image, "stat /big", false);
    assert!(out.contains("Flags: 0x0"), "index flag cleared:\n{out}");
}

#[test]
fn rev0_image_accepts_writes_and_stays_clean() {
    if !have_tools("rev0_image_accepts_writes_and_stays_clean") {
        return;
    }
    let mut fs = mount(mkfs(1024, 4096, None, &["-r", "0"]));
    let root = fs.root();
    let d = fs.mkdir(root, "dir", DIR).unwrap();
    let f = fs.create(d, "file", RW).unwrap();
    fs.write(f, 0, &pattern(3, 40_000)).unwrap();
    fs.symlink(root, "link", "dir/file", RW).unwrap();
    fs.rename(d, "file", root, "moved").unwrap();
    assert_eq!(fs.write(f, 3 << 30, b"x").err(), Some(Errno::EFBIG));
    let image = unmount(fs);
    assert_fsck_clean(&image);
}
