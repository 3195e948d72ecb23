//! A driver for counting instructions per file-system operation on the host (not a
//! check: `#[ignore]`d). Each phase is its own function so a profiler can attribute
//! to it, e.g.
//! `valgrind --tool=callgrind --toggle-collect='op_profile::phase_*' <test binary> --ignored`
//! then `callgrind_annotate --inclusive=yes`; divide by the operation count. The
//! sequence is what the VFS asks of ext2 for fsbench's `create_small`, `ls_l` and
//! `delete_small` rows (1,000 files of 100 bytes in one directory of a 128 MiB image
//! with 1 KiB blocks and 256-byte inodes, as the root disk is built).

mod common;

use common::*;
use fs::{Ext2, MemDisk, NewOwner};

const RW: NewOwner = NewOwner {
    perm: 0o644,
    uid: 0,
    gid: 0,
};

fn name(i: u32) -> String {
    format!("f{i:05}")
}

#[inline(never)]
fn phase_create(fs: &mut Ext2<MemDisk>, dir: u32, n: u32) {
    let data = [7u8; 100];
    for i in 0..n {
        let nm = name(i);
        assert!(fs.lookup(dir, &nm).is_err());
        let _ = fs.stat(dir).unwrap();
        let ino = fs.create(dir, &nm, RW).unwrap();
        fs.pin(ino);
        let _ = fs.stat(ino).unwrap();
        fs.write(ino, 0, &data).unwrap();
        fs.unpin(ino).unwrap();
    }
}

#[inline(never)]
fn phase_ls(fs: &mut Ext2<MemDisk>, dir: u32) -> usize {
    let mut pos = 0;
    let mut n = 0;
    while let Some((e, next)) = fs.read_dir_at(dir, pos).unwrap() {
        let _ = fs.stat(e.ino).unwrap();
        pos = next;
        n += 1;
    }
    n
}

#[inline(never)]
fn phase_delete(fs: &mut Ext2<MemDisk>, dir: u32, n: u32) {
    for i in 0..n {
        let nm = name(i);
        let _ = fs.stat(dir).unwrap();
        let ino = fs.lookup(dir, &nm).unwrap();
        let _ = fs.stat(ino).unwrap();
        fs.unlink(dir, &nm).unwrap();
    }
}

#[test]
#[ignore]
fn op_profile() {
    if !have_tools("op_profile") {
        return;
    }
    let n: u32 = std::env::var("OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut fs = mount(mkfs(1024, 128 * 1024, None, &["-I", "256"]));
    let root = fs.root();
    let dir = fs.mkdir(root, "b", RW).unwrap();
    phase_create(&mut fs, dir, n);
    assert_eq!(phase_ls(&mut fs, dir), n as usize + 2);
    phase_delete(&mut fs, dir, n);
    assert_fsck_clean(&unmount(fs));
}
