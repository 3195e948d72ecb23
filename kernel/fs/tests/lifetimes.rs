//! Inode lifetimes: names removed while the inode is still held (`pin`, an open file
//! or a working directory), and what may still be done with it. After every test the
//! image goes to `e2fsck -fn`, which must find it clean: a removed directory that
//! took a new name inside it, or an inode freed while still named, shows up there as
//! an "unattached" or "unconnected" inode.

mod common;

use common::*;
use fs::{Errno, NewOwner};

const RW: NewOwner = NewOwner {
    perm: 0o644,
    uid: 0,
    gid: 0,
};
const DIR: NewOwner = NewOwner {
    perm: 0o755,
    uid: 0,
    gid: 0,
};

#[test]
fn removed_directory_still_held_takes_no_new_names_and_is_freed_clean() {
    if !have_tools("removed_directory_still_held") {
        return;
    }
    let mut fs = mount(mkfs(1024, 2048, None, &[]));
    let root = fs.root();
    let d = fs.mkdir(root, "dd", DIR).unwrap();
    let file = fs.create(root, "file", RW).unwrap();
    fs.pin(d); // someone's working directory
    fs.rmdir(root, "dd").unwrap();
    // The directory lives on, empty and nameless: nothing may be made in it.
    assert_eq!(fs.create(d, "f", RW).err(), Some(Errno::ENOENT));
    assert_eq!(fs.mkdir(d, "sub", DIR).err(), Some(Errno::ENOENT));
    assert_eq!(fs.symlink(d, "l", "/x", RW).err(), Some(Errno::ENOENT));
    assert_eq!(fs.link(file, d, "hard").err(), Some(Errno::ENOENT));
    assert_eq!(
        fs.rename(root, "file", d, "moved").err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(fs.lookup(d, "..").err(), Some(Errno::ENOENT));
    assert_eq!(fs.read_dir_at(d, 0).err(), Some(Errno::ENOENT));
    assert_eq!(fs.stat(d).unwrap().nlink, 0);
    // Its inode number is not given to the next directory while it is held.
    let other = fs.mkdir(root, "other", DIR).unwrap();
    assert_ne!(other, d);
    assert_eq!(fs.lookup(root, "file").unwrap(), file);
    fs.unpin(d).unwrap();
    assert_fsck_clean(&unmount(fs));
}

#[test]
fn directory_replaced_by_rename_while_held_is_dead_and_freed_clean() {
    if !have_tools("directory_replaced_by_rename_while_held") {
        return;
    }
    let mut fs = mount(mkfs(1024, 2048, None, &[]));
    let root = fs.root();
    let a = fs.mkdir(root, "a", DIR).unwrap();
    let b = fs.mkdir(root, "b", DIR).unwrap();
    fs.create(a, "inside", RW).unwrap();
    fs.pin(b);
    fs.rename(root, "a", root, "b").unwrap();
    assert_eq!(fs.lookup(root, "b").unwrap(), a);
    assert_eq!(fs.create(b, "f", RW).err(), Some(Errno::ENOENT));
    assert_eq!(fs.stat(root).unwrap().nlink, 4); // ., .., lost+found/.., b/..
    fs.unpin(b).unwrap();
    assert_fsck_clean(&unmount(fs));
}

#[test]
fn renames_that_posix_refuses_change_nothing() {
    if !have_tools("renames_that_posix_refuses") {
        return;
    }
    let mut fs = mount(mkfs(1024, 2048, None, &[]));
    let root = fs.root();
    let a = fs.mkdir(root, "a", DIR).unwrap();
    let sub = fs.mkdir(a, "sub", DIR).unwrap();
    let full = fs.mkdir(root, "full", DIR).unwrap();
    fs.create(full, "x", RW).unwrap();
    fs.create(root, "f", RW).unwrap();
    // Into its own subtree, over a non-empty directory, a directory over a file and
    // the other way round.
    assert_eq!(fs.rename(root, "a", sub, "a2").err(), Some(Errno::EINVAL));
    assert_eq!(fs.rename(root, "a", a, "a2").err(), Some(Errno::EINVAL));
    assert_eq!(
        fs.rename(root, "a", root, "full").err(),
        Some(Errno::ENOTEMPTY)
    );
    assert_eq!(fs.rename(root, "a", root, "f").err(), Some(Errno::ENOTDIR));
    assert_eq!(fs.rename(root, "f", root, "a").err(), Some(Errno::EISDIR));
    // A directory moved down and back up keeps every link count right.
    fs.rename(root, "full", sub, "full").unwrap();
    fs.rename(sub, "full", root, "full2").unwrap();
    assert_eq!(fs.stat(sub).unwrap().nlink, 2);
    // An over-long name fails before anything is allocated.
    let long = vec![b'n'; 256];
    let free = fs.statfs().free_inodes;
    assert_eq!(fs.create(root, &long, RW).err(), Some(Errno::ENAMETOOLONG));
    assert_eq!(fs.mkdir(root, &long, DIR).err(), Some(Errno::ENAMETOOLONG));
    assert_eq!(fs.create(root, "f", RW).err(), Some(Errno::EEXIST));
    assert_eq!(fs.statfs().free_inodes, free);
    assert_fsck_clean(&unmount(fs));
}

#[test]
fn open_unlinked_file_truncated_and_written_is_freed_clean_at_last_release() {
    if !have_tools("open_unlinked_file_truncated") {
        return;
    }
    let mut fs = mount(mkfs(1024, 2048, None, &[]));
    let root = fs.root();
    let free = fs.statfs().free_blocks;
    let f = fs.create(root, "f", RW).unwrap();
    fs.write(f, 0, &pattern(1, 300 << 10)).unwrap();
    fs.pin(f);
    fs.pin(f); // two descriptors
    fs.unlink(root, "f").unwrap();
    fs.truncate(f, 5000).unwrap();
    fs.write(f, 100 << 10, b"more").unwrap();
    fs.unpin(f).unwrap();
    assert_eq!(fs.stat(f).unwrap().size, (100 << 10) + 4);
    fs.unpin(f).unwrap();
    assert_eq!(fs.statfs().free_blocks, free);
    assert_fsck_clean(&unmount(fs));
}

#[test]
fn names_that_fail_for_want_of_space_leave_no_inode_behind() {
    if !have_tools("names_that_fail_for_want_of_space") {
        return;
    }
    let mut fs = mount(mkfs(1024, 2048, None, &[]));
    let root = fs.root();
    let d = fs.mkdir(root, "d", DIR).unwrap();
    // Fill the disk, then the directory's blocks with long names.
    let big = fs.create(root, "big", RW).unwrap();
    let chunk = vec![7u8; 64 << 10];
    let mut off = 0;
    while let Ok(n) = fs.write(big, off, &chunk) {
        off += n as u64;
    }
    assert_eq!(fs.statfs().free_blocks, 0);
    let mut i = 0u32;
    let failed = loop {
        let free = fs.statfs().free_inodes;
        let name = format!("{i:0>250}");
        match fs.create(d, &name, RW) {
            Ok(_) => i += 1,
            Err(e) => break (e, free),
        }
    };
    // Each of these allocates an inode, then needs a block it cannot have.
    assert_eq!(failed.0, Errno::ENOSPC);
    assert!(failed.1 > 0, "inodes ran out, not blocks");
    assert_eq!(fs.statfs().free_inodes, failed.1);
    let free = fs.statfs().free_inodes;
    assert_eq!(fs.mkdir(root, "new", DIR).err(), Some(Errno::ENOSPC));
    assert_eq!(
        fs.symlink(root, "slow", [b'/'; 100], RW).err(),
        Some(Errno::ENOSPC)
    );
    assert_eq!(fs.statfs().free_inodes, free);
    assert_eq!(fs.statfs().free_blocks, 0);
    assert_fsck_clean(&unmount(fs));
}
