//! The file-system-type registry: names to factories, registered and removed at run
//! time, and `mount` through it (ENODEV for a type nobody registered).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use abi::flags::*;
use abi::Errno;
use common::*;
use vfs::{FileSystem, FsFactory, FsTypes, TmpFs};

fn tmpfs_factory() -> FsFactory {
    Arc::new(|_: &str| Ok(Box::new(TmpFs::new(clock(), 1 << 20)) as Box<dyn FileSystem>))
}

#[test]
fn unknown_type_is_enodev() {
    let t = FsTypes::new();
    assert_eq!(t.build("ext9", "").err(), Some(Errno::ENODEV));
    assert!(t.factory("tmpfs").is_err());
    assert!(t.names().is_empty());
}

#[test]
fn registered_type_builds_with_the_source_it_is_given() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let (s, c) = (seen.clone(), calls.clone());
    let mut t = FsTypes::new();
    t.register(
        "memfs",
        Arc::new(move |src: &str| {
            s.lock().unwrap().push(src.to_string());
            c.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(TmpFs::new(clock(), 1 << 20)) as Box<dyn FileSystem>)
        }),
    )
    .unwrap();
    let fs = t.build("memfs", "/dev/ram1").unwrap();
    assert_eq!(fs.name(), "tmpfs");
    t.build("memfs", "").unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(*seen.lock().unwrap(), ["/dev/ram1", ""]);
    assert!(t.contains("memfs"));
    assert_eq!(t.names(), ["memfs"]);
}

#[test]
fn factory_errors_reach_the_caller() {
    let mut t = FsTypes::new();
    t.register("broken", Arc::new(|_: &str| Err(Errno::EINVAL)))
        .unwrap();
    assert_eq!(t.build("broken", "/dev/x").err(), Some(Errno::EINVAL));
}

#[test]
fn duplicate_and_bad_names_are_refused() {
    let mut t = FsTypes::new();
    t.register("tmpfs", tmpfs_factory()).unwrap();
    assert_eq!(t.register("tmpfs", tmpfs_factory()), Err(Errno::EEXIST));
    for bad in ["", "a b", "a/b", "x\n"] {
        assert_eq!(
            t.register(bad, tmpfs_factory()),
            Err(Errno::EINVAL),
            "{bad:?}"
        );
    }
    assert_eq!(t.names(), ["tmpfs"]);
}

#[test]
fn unregistered_type_is_gone_and_can_come_back() {
    let mut t = FsTypes::new();
    t.register("ext2", tmpfs_factory()).unwrap();
    t.register("tmpfs", tmpfs_factory()).unwrap();
    assert_eq!(t.names(), ["ext2", "tmpfs"]);
    t.unregister("ext2").unwrap();
    assert_eq!(t.build("ext2", "/dev/disk0").err(), Some(Errno::ENODEV));
    assert_eq!(t.unregister("ext2"), Err(Errno::ENOENT));
    assert!(t.build("tmpfs", "").is_ok(), "the other type was disturbed");
    t.register("ext2", tmpfs_factory()).unwrap();
    assert!(t.build("ext2", "").is_ok());
}

#[test]
fn a_built_file_system_mounts_and_outlives_its_type() {
    let mut t = FsTypes::new();
    t.register("memfs", tmpfs_factory()).unwrap();
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    v.mkdir(&vfs::ROOT, r, "/mnt", 0o755).unwrap();
    let fs = t.build("memfs", "").unwrap();
    v.mount(&vfs::ROOT, "/mnt", fs).unwrap();
    // Removing the type does not touch mounts already made.
    t.unregister("memfs").unwrap();
    put(&mut v, r, "/mnt/f", b"kept");
    let o = v.open(&vfs::ROOT, r, "/mnt/f", O_RDONLY, 0).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(v.read(o.node, 0, &mut buf), Ok(4));
    assert_eq!(&buf[..4], b"kept");
    assert!(v
        .mounts()
        .iter()
        .any(|m| m.path == b"/mnt" && m.fs_type == "tmpfs"));
    v.umount(&vfs::ROOT, "/mnt").unwrap();
    assert_eq!(t.build("memfs", "").err(), Some(Errno::ENODEV));
}
