//! Corrupt images: a seeded generator damages the superblock, group
//! descriptors, inode table, directory blocks and bitmaps (and builds directory
//! loops); the driver then mounts, walks, reads and writes each image. Every
//! call may fail, but none may panic, hang or allocate without bound: each case
//! runs on its own thread under a deadline.

mod common;

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use fs::{BlockDevice, Ext2, FileType, MemDisk, NewOwner};

const OWN: NewOwner = NewOwner {
    perm: 0o644,
    uid: 0,
    gid: 0,
};
const CASE_DEADLINE: Duration = Duration::from_secs(30);

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

/// A small tree with every kind of inode and every block-map level (1 KiB blocks).
fn base_image(block: u32) -> Vec<u8> {
    let src = TempDir::new("corrupt-src");
    let p = src.path();
    std::fs::create_dir_all(p.join("a/b/c")).unwrap();
    std::fs::write(p.join("a/small"), b"small").unwrap();
    std::fs::write(p.join("a/b/mid"), pattern(1, 40_000)).unwrap();
    std::fs::write(p.join("big"), pattern(2, 600_000)).unwrap();
    std::fs::write(p.join("a/b/c/deep"), pattern(3, 5000)).unwrap();
    std::os::unix::fs::symlink("a/small", p.join("fast")).unwrap();
    std::os::unix::fs::symlink("z".repeat(200), p.join("slow")).unwrap();
    std::fs::hard_link(p.join("a/small"), p.join("a/b/small-link")).unwrap();
    for i in 0..60 {
        std::fs::write(p.join(format!("a/b/c/n{i:02}")), [i as u8]).unwrap();
    }
    mkfs(block, 2048, Some(p), &[])
}

/// Block numbers of the blocks of `path` in `image`, as debugfs lists them.
fn blocks_of(image: &[u8], path: &str) -> Vec<u64> {
    let (out, _) = debugfs(image, &format!("blocks {path}"), false);
    out.split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

/// Byte ranges worth damaging, by kind.
struct Regions {
    superblock: (usize, usize),
    gdt: (usize, usize),
    bitmaps: Vec<(usize, usize)>,
    inode_table: (usize, usize),
    dirs: Vec<(usize, usize)>,
}

fn regions(image: &[u8], block: u32) -> Regions {
    let bs = block as usize;
    let gdt_blk = if bs == 1024 { 2 } else { 1 };
    let g = gdt_blk * bs;
    let blk = |b: u32| (b as usize * bs, bs);
    let mut dirs = Vec::new();
    for d in ["/", "/a", "/a/b", "/a/b/c"] {
        dirs.extend(blocks_of(image, d).into_iter().map(|b| blk(b as u32)));
    }
    Regions {
        superblock: (1024, 256),
        gdt: (g, 64),
        bitmaps: vec![blk(le32(image, g)), blk(le32(image, g + 4))],
        inode_table: (le32(image, g + 8) as usize * bs, 16 * 256),
        dirs,
    }
}

/// Damages `image` in one seeded way.
fn corrupt(image: &mut [u8], r: &Regions, rng: &mut Rng) -> String {
    let kind = rng.below(7);
    let (start, len) = match kind {
        0 => r.superblock,
        1 => r.gdt,
        2 => r.bitmaps[rng.below(2) as usize],
        3 | 4 => r.inode_table,
        5 | 6 => r.dirs[rng.below(r.dirs.len() as u64) as usize],
        _ => unreachable!(),
    };
    let hits = 1 + rng.below(6);
    for _ in 0..hits {
        let off = start + rng.below(len as u64) as usize;
        let off = if rng.chance(50) { off & !3 } else { off };
        let n = match rng.below(3) {
            0 => 1,
            1 => 4,
            _ => 16,
        };
        for i in off..(off + n).min(start + len).min(image.len()) {
            // Small values hit "plausible but wrong"; random ones hit "absurd".
            image[i] = if rng.chance(50) {
                rng.below(4) as u8
            } else {
                rng.next() as u8
            };
        }
    }
    format!("kind {kind}, {hits} hits")
}

/// Walks the tree from the root (bounded), reading everything, then writes.
fn exercise(fs: &mut Ext2<impl BlockDevice>) {
    let mut seen = HashSet::new();
    let mut stack = vec![(fs.root(), 0u32)];
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while let Some((dir, depth)) = stack.pop() {
        if !seen.insert(dir) || depth > 20 || seen.len() > 5000 {
            continue;
        }
        dirs.push(dir);
        let Ok(entries) = fs.read_dir(dir) else {
            continue;
        };
        for e in entries.into_iter().take(2000) {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            let _ = fs.lookup(dir, &e.name);
            match fs.stat(e.ino).map(|s| s.kind) {
                Ok(FileType::Directory) => stack.push((e.ino, depth + 1)),
                Ok(FileType::Regular) => {
                    files.push((dir, e.name.clone(), e.ino));
                    let mut off = 0u64;
                    while off < 2 << 20 {
                        match fs.read(e.ino, off, &mut buf) {
                            Ok(n) if n > 0 => off += n as u64,
                            _ => break,
                        }
                    }
                }
                Ok(FileType::Symlink) => {
                    let _ = fs.readlink(e.ino);
                }
                _ => {}
            }
        }
    }
    let _ = fs.statfs();
    for (i, &d) in dirs.iter().enumerate().take(6) {
        if let Ok(f) = fs.create(d, format!("new{i}"), OWN) {
            let _ = fs.write(f, 5000, &pattern(i as u8, 20_000));
        }
        let _ = fs.mkdir(d, format!("newdir{i}"), OWN);
        let _ = fs.symlink(d, format!("sl{i}"), "q".repeat(100), OWN);
        let _ = fs.rename(d, format!("newdir{i}"), fs.root(), format!("moved{i}"));
        if let Some(&sub) = dirs.get(i + 1) {
            let _ = fs.rename(fs.root(), "a", sub, "a-inside");
        }
    }
    for (i, (d, name, ino)) in files.iter().enumerate().take(20) {
        match i % 4 {
            0 => {
                let _ = fs.write(*ino, 100, b"overwrite");
            }
            1 => {
                let _ = fs.truncate(*ino, 3);
            }
            2 => {
                let _ = fs.unlink(*d, name);
            }
            _ => {
                let _ = fs.link(*ino, fs.root(), format!("l{i}"));
            }
        }
    }
    for &d in dirs.iter().skip(1).take(4) {
        let _ = fs.rmdir(fs.root(), "a");
        let _ = fs.read_dir(d);
    }
    let _ = fs.sync();
}

/// Runs one image; true when it mounted.
fn run_case(image: Vec<u8>) -> bool {
    let Ok(mut fs) = Ext2::mount(MemDisk::new(image), Box::new(|| NOW)) else {
        return false;
    };
    exercise(&mut fs);
    if let Ok(dev) = fs.unmount() {
        if let Ok(mut fs) = Ext2::mount(dev, Box::new(|| NOW)) {
            exercise(&mut fs);
        }
    }
    true
}

/// Runs one case on a thread (true when it mounted); fails the test on panic
/// or deadline.
fn guarded(label: &str, image: Vec<u8>) -> bool {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(run_case(image));
    });
    match rx.recv_timeout(CASE_DEADLINE) {
        Ok(mounted) => {
            handle.join().unwrap();
            mounted
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{label}: the driver panicked"),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{label}: no answer within {CASE_DEADLINE:?}")
        }
    }
}

/// Cases per block size: 400, or `FS_CORRUPT_CASES` for a longer hunt.
fn cases() -> usize {
    std::env::var("FS_CORRUPT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

fn random_corruption(block: u32, seed: u64, cases: usize) {
    let base = base_image(block);
    let r = regions(&base, block);
    // The undamaged image must work fully, or the test proves nothing.
    let mut fs = mount(base.clone());
    exercise(&mut fs);
    assert_fsck_clean(&unmount(fs));
    let mut rng = Rng::new(seed);
    let mut mounted = 0;
    for case in 0..cases {
        let mut image = base.clone();
        let what = corrupt(&mut image, &r, &mut rng);
        let label = format!("block {block}, seed {seed}, case {case} ({what})");
        mounted += guarded(&label, image) as usize;
    }
    eprintln!("{cases} corrupt images with {block}-byte blocks, {mounted} mounted");
    assert!(
        mounted > cases / 4,
        "most damage must get past mount to test anything"
    );
}

#[test]
fn corrupt_1k_images_never_panic_or_hang() {
    if have_tools("corrupt_1k_images_never_panic_or_hang") {
        random_corruption(1024, 11, cases());
    }
}

#[test]
fn corrupt_4k_images_never_panic_or_hang() {
    if have_tools("corrupt_4k_images_never_panic_or_hang") {
        random_corruption(4096, 12, cases());
    }
}

#[test]
fn directory_loops_cannot_hang_a_walk_or_rename() {
    if !have_tools("directory_loops_cannot_hang_a_walk_or_rename") {
        return;
    }
    let base = base_image(1024);
    // A name deep in the tree for an ancestor, and a `..` that points at itself.
    let (_, looped) = debugfs(&base, "link /a /a/b/c/up", true);
    let (_, looped) = debugfs(&looped, "link / /a/b/root-again", true);
    guarded("hard-linked ancestors", looped.clone());
    let mut fs = mount(looped);
    let c = fs.lookup_path("/a/b/c/up/b/c/up/b/c").unwrap();
    assert_eq!(
        fs.rename(fs.root(), "a", c, "x").err(),
        Some(fs::Errno::EINVAL)
    );
    drop(fs);

    let c_ino = {
        let mut fs = mount(base.clone());
        fs.lookup_path("/a/b/c").unwrap()
    };
    let (_, selfdot) = debugfs(
        &base,
        &format!("set_inode_field <{c_ino}> links_count 2"),
        true,
    );
    // Point c's `..` at c itself by editing its first directory block.
    let blk = blocks_of(&selfdot, "/a/b/c")[0] as usize * 1024;
    let mut selfdot = selfdot;
    selfdot[blk + 12..blk + 16].copy_from_slice(&c_ino.to_le_bytes());
    guarded("`..` pointing at itself", selfdot.clone());
    let mut fs = mount(selfdot);
    let root = fs.root();
    let c = fs.lookup_path("/a/b/c").unwrap();
    let r = fs.rename(root, "big", c, "moved-file");
    assert!(r.is_ok(), "{r:?}");
    let _ = fs.mkdir(root, "m", OWN);
    assert!(
        fs.rename(root, "m", c, "m").is_err(),
        "moving a directory below a `..` loop fails"
    );
}
