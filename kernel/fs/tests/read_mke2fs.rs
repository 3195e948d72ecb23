//! Reading images made by the host's mke2fs: every file, directory and link of
//! the source tree must come back with the same contents and metadata.

mod common;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use common::*;
use fs::{BlockDevice, Errno, Ext2, FileType, MemDisk, MountError, MountOptions};

const SLOW_TARGET_LEN: usize = 200;

/// A source tree exercising every block-map level and every kind of name.
pub fn build_tree(root: &Path) {
    let w = |p: &str, data: &[u8]| std::fs::write(root.join(p), data).unwrap();
    w("empty.txt", b"");
    w("small.txt", b"hello, ext2\n");
    w("direct.bin", &pattern(1, 11 * 1024));
    w("single.bin", &pattern(2, 200 * 1024 + 17));
    w("double.bin", &pattern(3, 5 * 1024 * 1024 + 5));
    let mut f = File::create(root.join("sparse.bin")).unwrap();
    for (off, seed) in [(0u64, 4u8), (1 << 20, 5), (39 << 20, 6)] {
        f.seek(SeekFrom::Start(off)).unwrap();
        f.write_all(&pattern(seed, 4096)).unwrap();
    }
    f.set_len(40 << 20).unwrap();
    drop(f);
    std::os::unix::fs::symlink("small.txt", root.join("fast-link")).unwrap();
    let long = "x/".repeat(SLOW_TARGET_LEN / 2);
    std::os::unix::fs::symlink(&long, root.join("slow-link")).unwrap();
    std::fs::hard_link(root.join("small.txt"), root.join("small-hardlink.txt")).unwrap();
    std::fs::create_dir_all(root.join("a/b/c/d")).unwrap();
    w("a/b/c/d/deep.txt", b"deep");
    std::fs::hard_link(root.join("direct.bin"), root.join("a/b/direct-again.bin")).unwrap();
    std::fs::create_dir(root.join("many")).unwrap();
    for i in 0..300 {
        w(
            &format!("many/file-with-a-longish-name-{i:04}"),
            format!("{i}").as_bytes(),
        );
    }
    w("private.txt", b"secret");
    std::fs::set_permissions(
        root.join("private.txt"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    std::fs::set_permissions(root.join("a/b"), std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// Reads a whole file through the driver in odd-sized pieces.
pub fn read_all(fs: &mut Ext2<impl BlockDevice>, ino: u32) -> Vec<u8> {
    let size = fs.stat(ino).unwrap().size as usize;
    let mut out = vec![0u8; size];
    let mut off = 0;
    while off < size {
        let end = (off + 70_001).min(size);
        let n = fs.read(ino, off as u64, &mut out[off..end]).unwrap();
        assert!(n > 0);
        off += n;
    }
    let mut past = [0u8; 8];
    assert_eq!(fs.read(ino, size as u64, &mut past).unwrap(), 0);
    out
}

/// Compares the host directory `host` with directory inode `dir`, recursively.
fn compare(fs: &mut Ext2<impl BlockDevice>, host: &Path, dir: u32) {
    let entries = fs.read_dir(dir).unwrap();
    let names: BTreeSet<String> = entries
        .iter()
        .map(|e| String::from_utf8(e.name.clone()).unwrap())
        .filter(|n| n != "." && n != ".." && n != "lost+found")
        .collect();
    let want: BTreeSet<String> = std::fs::read_dir(host)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, want, "names in {}", host.display());
    let mut subdirs = 0;
    for e in entries.iter().filter(|e| e.name != b"." && e.name != b"..") {
        let name = String::from_utf8(e.name.clone()).unwrap();
        let st = fs.stat(e.ino).unwrap();
        assert_eq!(st.kind, e.kind, "dirent type of {name}");
        if name == "lost+found" {
            subdirs += 1;
            continue;
        }
        let hp = host.join(&name);
        let md = std::fs::symlink_metadata(&hp).unwrap();
        assert_eq!(st.mode as u32, md.mode(), "mode of {name}");
        assert_eq!(st.uid, md.uid());
        assert_eq!(st.gid, md.gid());
        assert_eq!(st.mtime as i64, md.mtime(), "mtime of {name}");
        if md.is_dir() {
            subdirs += 1;
            assert_eq!(st.kind, FileType::Directory);
            compare(fs, &hp, e.ino);
        } else if md.file_type().is_symlink() {
            assert_eq!(st.kind, FileType::Symlink);
            let target = std::fs::read_link(&hp).unwrap();
            assert_eq!(
                fs.readlink(e.ino).unwrap(),
                target.as_os_str().as_encoded_bytes()
            );
            assert_eq!(st.size, md.size());
        } else {
            assert_eq!(st.kind, FileType::Regular);
            assert_eq!(st.size, md.size(), "size of {name}");
            assert_eq!(st.nlink as u64, md.nlink(), "links of {name}");
            assert_eq!(
                read_all(fs, e.ino),
                std::fs::read(&hp).unwrap(),
                "contents of {name}"
            );
        }
    }
    assert_eq!(
        fs.stat(dir).unwrap().nlink as usize,
        2 + subdirs,
        "link count of {}",
        host.display()
    );
}

fn stat_path(fs: &mut Ext2<impl BlockDevice>, path: &str) -> fs::Stat {
    let ino = fs.lookup_path(path).unwrap();
    fs.stat(ino).unwrap()
}

fn read_back(block: u32, extra: &[&str]) {
    let src = TempDir::new("src");
    build_tree(src.path());
    let image = mkfs(block, 64 * 1024, Some(src.path()), extra);
    let opts = MountOptions {
        read_only: true,
        ..MountOptions::default()
    };
    let mut fs = Ext2::mount_with(MemDisk::new_read_only(image), Box::new(|| NOW), opts).unwrap();
    let root = fs.root();
    compare(&mut fs, src.path(), root);

    // Spot checks on what `compare` cannot see from the host side.
    let small = fs.lookup_path("/small.txt").unwrap();
    assert_eq!(fs.lookup_path("/small-hardlink.txt").unwrap(), small);
    assert_eq!(
        fs.lookup_path("a/b/direct-again.bin").unwrap(),
        fs.lookup_path("direct.bin").unwrap()
    );
    let sparse = stat_path(&mut fs, "/sparse.bin");
    assert!(
        sparse.blocks * 512 < 1 << 20,
        "sparse file stores only its data: {} sectors",
        sparse.blocks
    );
    let double = stat_path(&mut fs, "/double.bin");
    let bs = block as u64;
    assert!(
        double.blocks * 512 > double.size.div_ceil(bs) * bs,
        "i_blocks counts indirect blocks"
    );
    let slow = fs.lookup_path("/slow-link").unwrap();
    assert_eq!(fs.readlink(slow).unwrap().len(), SLOW_TARGET_LEN);
    assert!(
        fs.stat(slow).unwrap().blocks > 0,
        "a long target takes a block"
    );
    assert_eq!(stat_path(&mut fs, "/fast-link").blocks, 0);
    assert_eq!(fs.lookup_path("/a/missing").err(), Some(Errno::ENOENT));
    assert_eq!(fs.lookup_path("/small.txt/x").err(), Some(Errno::ENOTDIR));
    assert_eq!(fs.write(small, 0, b"x").err(), Some(Errno::EROFS));
    let st = fs.statfs();
    assert_eq!(st.block_size, block);
    assert!(st.free_blocks > 0 && st.free_inodes > 0 && st.free_blocks < st.blocks);
}

#[test]
fn mke2fs_image_with_1k_blocks_reads_back_identically() {
    if have_tools("mke2fs_image_with_1k_blocks_reads_back_identically") {
        read_back(1024, &[]);
    }
}

#[test]
fn mke2fs_image_with_4k_blocks_reads_back_identically() {
    if have_tools("mke2fs_image_with_4k_blocks_reads_back_identically") {
        read_back(4096, &[]);
    }
}

#[test]
fn mke2fs_image_with_128_byte_inodes_reads_back_identically() {
    if have_tools("mke2fs_image_with_128_byte_inodes_reads_back_identically") {
        read_back(1024, &["-I", "128"]);
    }
}

#[test]
fn revision_0_image_without_filetype_mounts_and_reads() {
    if !have_tools("revision_0_image_without_filetype_mounts_and_reads") {
        return;
    }
    let image = mkfs(1024, 4096, None, &["-r", "0"]);
    let mut fs = mount(image);
    let names: Vec<Vec<u8>> = fs
        .read_dir(fs.root())
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert!(names.contains(&b"lost+found".to_vec()));
    let lf = fs.lookup(fs.root(), "lost+found").unwrap();
    assert_eq!(fs.stat(lf).unwrap().kind, FileType::Directory);
}

#[test]
fn journal_image_mounts_read_write_with_its_journal() {
    if !have_tools("journal_image_mounts_read_write_with_its_journal") {
        return;
    }
    let image = mkfs(1024, 8192, None, &["-O", "has_journal"]);
    let mut fs = mount(image);
    assert_eq!(fs.read_only_reason(), None);
    assert!(fs.journal_stats().is_some());
    fs.mkdir(fs.root(), "x", fs::NewOwner::root(0o755)).unwrap();
}

#[test]
fn ext4_image_is_refused_naming_the_feature() {
    if !have_tools("ext4_image_is_refused_naming_the_feature") {
        return;
    }
    let image = mkfs(4096, 8192, None, &["-T", "default", "-O", "extent"]);
    let err = Ext2::mount(MemDisk::new(image), Box::new(|| NOW)).err();
    assert_eq!(err, Some(MountError::Unsupported("extent")));
    let err = Ext2::mount(MemDisk::new(vec![0u8; 8192]), Box::new(|| NOW)).err();
    assert_eq!(err, Some(MountError::BadMagic));
}
