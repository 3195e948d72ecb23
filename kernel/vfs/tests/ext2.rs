//! The whole stack on a real image: ext2 (made by mke2fs -d) at `/`, tmpfs at
//! `/tmp`, devfs at `/dev`, as the kernel will set it up.

mod common;

use abi::flags::*;
use abi::Errno;
use common::*;
use vfs::{Credentials, NodeKind, TmpFs, Vfs, ROOT};

fn system() -> Option<Vfs> {
    if !have_mke2fs("vfs ext2") {
        return None;
    }
    let image = ext2_image(|src| {
        std::fs::create_dir_all(src.join("bin")).unwrap();
        std::fs::create_dir_all(src.join("etc")).unwrap();
        std::fs::create_dir_all(src.join("tmp")).unwrap();
        std::fs::create_dir_all(src.join("dev")).unwrap();
        std::fs::write(src.join("etc/motd"), b"welcome to dinos\n").unwrap();
        std::fs::write(src.join("bin/sh"), vec![0x7f; 5000]).unwrap();
        std::os::unix::fs::symlink("../etc/motd", src.join("bin/motd")).unwrap();
        std::os::unix::fs::symlink("/etc", src.join("etclink")).unwrap();
    });
    let mut v = ext2_vfs(image);
    v.mount(&ROOT, "/tmp", Box::new(TmpFs::new(clock(), 1 << 20)))
        .unwrap();
    v.mount(&ROOT, "/dev", Box::new(devfs())).unwrap();
    Some(v)
}

#[test]
fn ext2_root_with_tmpfs_and_devfs_mounted() {
    let Some(mut v) = system() else { return };
    let r = v.root();
    assert_eq!(get(&mut v, r, "/etc/motd").unwrap(), b"welcome to dinos\n");
    assert_eq!(get(&mut v, r, "/bin/motd").unwrap(), b"welcome to dinos\n");
    assert_eq!(
        get(&mut v, r, "/etclink/motd").unwrap(),
        b"welcome to dinos\n"
    );
    assert_eq!(get(&mut v, r, "/bin/sh").unwrap().len(), 5000);
    assert_eq!(
        list(&mut v, r, "/", 64).unwrap(),
        ["bin", "dev", "etc", "etclink", "lost+found", "tmp"]
    );
    // devfs always has the pseudo-terminals' directory (`/dev/pts`).
    assert_eq!(
        list(&mut v, r, "/dev", 64).unwrap(),
        ["null", "pts", "zero"]
    );
    let names: Vec<_> = v
        .mounts()
        .into_iter()
        .map(|m| (m.path, m.fs_type))
        .collect();
    assert_eq!(
        names,
        [
            (b"/".to_vec(), "ext2".to_string()),
            (b"/tmp".to_vec(), "tmpfs".to_string()),
            (b"/dev".to_vec(), "devfs".to_string())
        ]
    );
    assert_eq!(
        v.open(&ROOT, r, "/dev/null", O_WRONLY, 0).unwrap().kind,
        NodeKind::CharDevice(0x103)
    );
    let st = v.stat(&ROOT, r, "/bin/sh").unwrap();
    assert_eq!((st.mode & S_IFMT, st.size, st.dev), (S_IFREG, 5000, 1));
}

#[test]
fn writing_on_ext2_and_moving_between_file_systems() {
    let Some(mut v) = system() else { return };
    let r = v.root();
    // Made by root, writable by everyone: user 1000 adds names below.
    v.mkdir(&ROOT, r, "/home", 0o777).unwrap();
    let user = Credentials::user(1000, 1000);
    let home = v.resolve_dir(&ROOT, r, "/home").unwrap();
    put(&mut v, home, "notes", b"ext2 data");
    v.link(&ROOT, home, "notes", "/etc/notes-link").unwrap();
    assert_eq!(v.stat(&ROOT, r, "/home/notes").unwrap().nlink, 2);
    v.symlink(&user, home, "/tmp/scratch", "/home/s").unwrap();
    // Create through a symlink that points into tmpfs.
    let o = v.open(&user, home, "s", O_CREAT | O_WRONLY, 0o600).unwrap();
    assert!(o.created);
    assert_eq!(o.node.mount, 2);
    let st = v.stat_node(o.node).unwrap();
    assert_eq!((st.uid, st.gid), (1000, 1000), "owned by the creator");
    assert_eq!(v.lstat(&ROOT, r, "/home/s").unwrap().uid, 1000);
    v.write(o.node, 0, b"in ram").unwrap();
    assert_eq!(get(&mut v, r, "/tmp/scratch").unwrap(), b"in ram");
    assert_eq!(
        v.rename(&ROOT, r, "/tmp/scratch", "/home/scratch"),
        Err(Errno::EXDEV)
    );
    assert_eq!(
        v.rename(&ROOT, r, "/home/notes", "/tmp/notes"),
        Err(Errno::EXDEV)
    );
    assert_eq!(
        v.link(&ROOT, r, "/home/notes", "/tmp/notes"),
        Err(Errno::EXDEV)
    );
    v.rename(&ROOT, r, "/home/notes", "/etc/notes").unwrap();
    assert_eq!(get(&mut v, r, "/etc/notes-link").unwrap(), b"ext2 data");
    // `..` from tmpfs back into ext2, and path_of across the boundary.
    v.mkdir(&ROOT, r, "/tmp/work", 0o755).unwrap();
    let work = v.resolve_dir(&ROOT, r, "/tmp/work").unwrap();
    assert_eq!(v.path_of(work).unwrap(), b"/tmp/work");
    assert_eq!(
        v.resolve(&ROOT, work, "../../etc", true),
        v.resolve(&ROOT, r, "/etc", true)
    );
    assert_eq!(get(&mut v, work, "../../etc/notes").unwrap(), b"ext2 data");
    assert_eq!(v.path_of(home).unwrap(), b"/home");
    assert_eq!(v.rmdir(&ROOT, r, "/tmp"), Err(Errno::EBUSY));
    assert_eq!(v.rmdir(&ROOT, r, "/etc"), Err(Errno::ENOTEMPTY));
    v.truncate(&ROOT, r, "/etc/notes", 4).unwrap();
    assert_eq!(get(&mut v, r, "/etc/notes-link").unwrap(), b"ext2");
    assert_eq!(v.readlink(&ROOT, r, "/bin/motd").unwrap(), b"../etc/motd");
    let s = v.statfs(1).unwrap();
    assert!(s.free_blocks > 0 && s.free_blocks < s.blocks);
    assert_eq!(s.name_max, 255);
    v.sync_all().unwrap();
    let tmp = v.umount(&ROOT, "/tmp").unwrap();
    assert_eq!(tmp.name(), "tmpfs");
    assert_eq!(list(&mut v, r, "/tmp", 128).unwrap(), Vec::<String>::new());
}

#[test]
fn read_only_ext2_refuses_changes() {
    if !have_mke2fs("vfs ext2 read-only") {
        return;
    }
    let image = ext2_image(|src| std::fs::write(src.join("f"), b"x").unwrap());
    let opts = fs::MountOptions {
        read_only: true,
        ..Default::default()
    };
    let fs = fs::Ext2::mount_with(fs::MemDisk::new(image), Box::new(|| 0), opts).unwrap();
    let mut v = Vfs::new(Box::new(fs));
    let r = v.root();
    assert!(v.mounts()[0].read_only);
    assert_eq!(
        v.open(&ROOT, r, "/f", O_WRONLY, 0).err(),
        Some(Errno::EROFS)
    );
    assert_eq!(
        v.open(&ROOT, r, "/f", O_RDONLY, 0).unwrap().kind,
        NodeKind::Regular
    );
    assert_eq!(v.mkdir(&ROOT, r, "/d", 0o755), Err(Errno::EROFS));
    assert_eq!(v.unlink(&ROOT, r, "/f"), Err(Errno::EROFS));
    assert_eq!(
        v.mkdir(&ROOT, r, "/f", 0o755),
        Err(Errno::EEXIST),
        "EEXIST first"
    );
}
