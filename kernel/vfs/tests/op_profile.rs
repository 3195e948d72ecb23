//! A driver for counting instructions per call through the VFS on the host (not a
//! check: `#[ignore]`d), for fsbench's `create_small`, `ls_l`, `delete_small` and
//! `create_tmpfs` rows: 1,000 files of 100 bytes in one directory, created with
//! open(`O_CREAT`) + write + close, listed with read_dir + lstat, unlinked. Each
//! phase is its own function, so
//! `valgrind --tool=callgrind --toggle-collect='*phase_*' <test binary> --ignored`
//! and `callgrind_annotate --inclusive=yes` give its cost (divide by 1,000).

mod common;

use std::process::Command;

use abi::flags::*;
use common::*;
use vfs::{NodeRef, Vfs, ROOT};

const N: u32 = 1000;

#[inline(never)]
fn phase_create(v: &mut Vfs, dir: &str) {
    let cwd = v.root();
    for i in 0..N {
        let o = v
            .open(
                &ROOT,
                cwd,
                format!("{dir}/f{i:05}"),
                O_WRONLY | O_CREAT | O_TRUNC,
                0o644,
            )
            .unwrap();
        v.pin(o.node).unwrap();
        assert_eq!(v.write(o.node, 0, &[7u8; 100]), Ok(100));
        v.unpin(o.node).unwrap();
    }
}

#[inline(never)]
fn phase_ls(v: &mut Vfs, dir: &str) -> usize {
    let cwd = v.root();
    let d: NodeRef = v
        .open(&ROOT, cwd, dir, O_RDONLY | O_DIRECTORY, 0)
        .unwrap()
        .node;
    let (mut pos, mut n) = (0, 0);
    while let Some((e, next)) = v.read_dir_at(d, pos).unwrap() {
        let name = String::from_utf8(e.name).unwrap();
        v.lstat(&ROOT, cwd, format!("{dir}/{name}")).unwrap();
        pos = next;
        n += 1;
    }
    n
}

#[inline(never)]
fn phase_delete(v: &mut Vfs, dir: &str) {
    let cwd = v.root();
    for i in 0..N {
        v.unlink(&ROOT, cwd, format!("{dir}/f{i:05}")).unwrap();
    }
}

fn run(v: &mut Vfs, dir: &str) {
    let cwd = v.root();
    v.mkdir(&ROOT, cwd, dir, 0o755).unwrap();
    phase_create(v, dir);
    assert!(phase_ls(v, dir) >= N as usize);
    phase_delete(v, dir);
}

#[test]
#[ignore]
fn op_profile_ext2_and_tmpfs() {
    let tmp = TempDir::new("prof");
    let img = tmp.path().join("img");
    let out = Command::new(MKE2FS)
        .args(["-q", "-F", "-t", "ext2", "-b", "1024", "-I", "256"])
        .arg(&img)
        .arg("128M")
        .output()
        .unwrap();
    assert!(out.status.success());
    // PROFILE_FS=tmpfs profiles tmpfs alone; anything else, ext2 alone.
    if std::env::var("PROFILE_FS").as_deref() == Ok("tmpfs") {
        let mut t = tmp_vfs(64 << 20);
        run(&mut t, "/t");
    } else {
        let mut v = ext2_vfs(std::fs::read(&img).unwrap());
        run(&mut v, "/b");
    }
}
