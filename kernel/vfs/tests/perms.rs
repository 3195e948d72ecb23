//! Permission checks: a non-root credential is refused what the mode bits
//! refuse it, with POSIX's errno, and root is not.

mod common;

use abi::flags::*;
use abi::Errno;
use common::*;
use vfs::{Credentials, Vfs, ROOT};

const ALICE: u32 = 1000;
const BOB: u32 = 1001;
const STAFF: u32 = 50;

fn alice() -> Credentials {
    Credentials::user(ALICE, 100)
}

fn bob() -> Credentials {
    let mut c = Credentials::user(BOB, 101);
    c.groups.push(STAFF);
    c
}

/// As root: / (0755), /secret (0600), /pub (0644), /rootdir (0755) holding f, /closed
/// (0700) holding f, /tmp (1777), /home (0777) holding alice's file a (0644).
fn tree() -> Vfs {
    let mut v = tmp_vfs(1 << 20);
    let r = v.root();
    v.chmod(&ROOT, r, "/", 0o755).unwrap(); // a tmpfs root starts as 1777
    put(&mut v, r, "/secret", b"root only");
    v.chmod(&ROOT, r, "/secret", 0o600).unwrap();
    put(&mut v, r, "/pub", b"everyone");
    v.mkdir(&ROOT, r, "/rootdir", 0o755).unwrap();
    put(&mut v, r, "/rootdir/f", b"f");
    v.mkdir(&ROOT, r, "/closed", 0o700).unwrap();
    put(&mut v, r, "/closed/f", b"f");
    v.mkdir(&ROOT, r, "/tmp", 0o1777).unwrap();
    v.mkdir(&ROOT, r, "/home", 0o777).unwrap();
    let a = v
        .open(&alice(), r, "/home/a", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    v.write(a.node, 0, b"alice's").unwrap();
    v
}

#[test]
fn a_user_cannot_open_a_0600_file_of_roots_and_root_can() {
    let mut v = tree();
    let r = v.root();
    for flags in [O_RDONLY, O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC] {
        assert_eq!(
            v.open(&alice(), r, "/secret", flags, 0).err(),
            Some(Errno::EACCES),
            "flags {flags:#o}"
        );
        v.open(&ROOT, r, "/secret", flags & !O_TRUNC, 0).unwrap();
    }
    // Read allowed by the bits, write not; O_TRUNC is a write.
    v.open(&alice(), r, "/pub", O_RDONLY, 0).unwrap();
    for flags in [O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC] {
        assert_eq!(
            v.open(&alice(), r, "/pub", flags, 0).err(),
            Some(Errno::EACCES)
        );
    }
    assert_eq!(
        get(&mut v, r, "/pub").unwrap(),
        b"everyone",
        "not truncated"
    );
    // O_CREAT of an existing file is an open of it.
    assert_eq!(
        v.open(&alice(), r, "/secret", O_CREAT | O_RDONLY, 0o644)
            .err(),
        Some(Errno::EACCES)
    );
    // The owner may; a file the call creates opens whatever its mode.
    v.open(&alice(), r, "/home/a", O_RDWR, 0).unwrap();
    v.open(&alice(), r, "/home/new", O_CREAT | O_RDWR, 0o000)
        .unwrap();
}

#[test]
fn a_user_cannot_create_in_a_0755_directory_of_roots_and_root_can() {
    let mut v = tree();
    let r = v.root();
    let a = alice();
    let refused = Some(Errno::EACCES);
    assert_eq!(
        v.open(&a, r, "/rootdir/x", O_CREAT | O_WRONLY, 0o644).err(),
        refused
    );
    assert_eq!(v.mkdir(&a, r, "/rootdir/d", 0o755).err(), refused);
    assert_eq!(v.symlink(&a, r, "/pub", "/rootdir/l").err(), refused);
    assert_eq!(v.link(&a, r, "/pub", "/rootdir/h").err(), refused);
    assert_eq!(v.unlink(&a, r, "/rootdir/f").err(), refused);
    assert_eq!(v.rename(&a, r, "/rootdir/f", "/home/f").err(), refused);
    assert_eq!(v.rename(&a, r, "/home/a", "/rootdir/a").err(), refused);
    assert_eq!(v.rmdir(&a, r, "/rootdir").err(), refused, "/ is 0755");
    // A name already there is EEXIST before any permission question.
    assert_eq!(
        v.mkdir(&a, r, "/rootdir/f", 0o755).err(),
        Some(Errno::EEXIST)
    );
    assert_eq!(
        v.stat(&ROOT, r, "/rootdir/f").unwrap().size,
        1,
        "nothing changed"
    );
    // Root may do every one of them.
    v.open(&ROOT, r, "/rootdir/x", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    v.mkdir(&ROOT, r, "/rootdir/d", 0o755).unwrap();
    v.symlink(&ROOT, r, "/pub", "/rootdir/l").unwrap();
    v.link(&ROOT, r, "/pub", "/rootdir/h").unwrap();
    v.unlink(&ROOT, r, "/rootdir/f").unwrap();
    v.rename(&ROOT, r, "/rootdir/x", "/home/x").unwrap();
    v.rmdir(&ROOT, r, "/rootdir/d").unwrap();
    // New names are the creator's: effective uid and gid.
    let st = v.stat(&ROOT, r, "/home/a").unwrap();
    assert_eq!((st.uid, st.gid, st.mode & 0o777), (ALICE, 100, 0o644));
    let st = v.lstat(&ROOT, r, "/rootdir/l").unwrap();
    assert_eq!((st.uid, st.gid), (0, 0));
}

#[test]
fn every_directory_on_a_path_must_grant_search() {
    let mut v = tree();
    let r = v.root();
    let a = alice();
    let refused = Some(Errno::EACCES);
    assert_eq!(v.resolve(&a, r, "/closed/f", true).err(), refused);
    assert_eq!(v.stat(&a, r, "/closed/f").err(), refused);
    assert_eq!(v.open(&a, r, "/closed/f", O_RDONLY, 0).err(), refused);
    assert_eq!(v.resolve_dir(&a, r, "/closed").err(), refused, "chdir");
    // Through `..` and through a symlink the same rule holds.
    assert_eq!(v.stat(&a, r, "/closed/../pub").err(), refused);
    v.symlink(&ROOT, r, "/closed/f", "/tmp/tolink").unwrap();
    assert_eq!(v.stat(&a, r, "/tmp/tolink").err(), refused);
    assert!(
        v.lstat(&a, r, "/tmp/tolink").is_ok(),
        "the link itself is visible"
    );
    // The directory itself may be stat'ed.
    assert!(v.stat(&a, r, "/closed").is_ok());
    // The group class: a directory of group STAFF, searchable by the group only.
    let mut root_staff = Credentials::root();
    root_staff.egid = STAFF;
    v.mkdir(&root_staff, r, "/staff", 0o710).unwrap();
    put(&mut v, r, "/staff/f", b"f");
    assert_eq!(v.stat(&ROOT, r, "/staff").unwrap().gid, STAFF);
    assert!(v.stat(&bob(), r, "/staff/f").is_ok(), "bob is in STAFF");
    assert_eq!(v.stat(&a, r, "/staff/f").err(), refused, "alice is not");
    assert!(v.stat(&ROOT, r, "/closed/f").is_ok());
    // Mode 0 directories stop everyone but root.
    v.chmod(&ROOT, r, "/closed", 0).unwrap();
    assert_eq!(get(&mut v, r, "/closed/f").unwrap(), b"f");
}

#[test]
fn a_sticky_directory_protects_other_users_files() {
    let mut v = tree();
    let r = v.root();
    v.open(&alice(), r, "/tmp/mine", O_CREAT | O_WRONLY, 0o666)
        .unwrap();
    assert_eq!(v.unlink(&bob(), r, "/tmp/mine").err(), Some(Errno::EPERM));
    assert_eq!(
        v.rename(&bob(), r, "/tmp/mine", "/tmp/his").err(),
        Some(Errno::EPERM)
    );
    v.open(&bob(), r, "/tmp/his", O_CREAT | O_WRONLY, 0o666)
        .unwrap();
    assert_eq!(
        v.rename(&alice(), r, "/tmp/mine", "/tmp/his").err(),
        Some(Errno::EPERM),
        "replacing bob's file removes it"
    );
    v.rename(&bob(), r, "/tmp/his", "/tmp/his2").unwrap();
    v.unlink(&alice(), r, "/tmp/mine").unwrap();
    v.unlink(&ROOT, r, "/tmp/his2").unwrap();
    // Without the sticky bit, write permission on the directory is enough.
    v.open(&alice(), r, "/home/b", O_CREAT | O_WRONLY, 0o600)
        .unwrap();
    v.unlink(&bob(), r, "/home/b").unwrap();
}

#[test]
fn only_the_owner_changes_mode_and_sets_times() {
    let mut v = tree();
    let r = v.root();
    assert_eq!(
        v.chmod(&bob(), r, "/home/a", 0o666).err(),
        Some(Errno::EPERM)
    );
    assert_eq!(
        v.chmod(&alice(), r, "/pub", 0o666).err(),
        Some(Errno::EPERM)
    );
    v.chmod(&alice(), r, "/home/a", 0o600).unwrap();
    assert_eq!(v.stat(&ROOT, r, "/home/a").unwrap().mode & 0o7777, 0o600);
    v.chmod(&ROOT, r, "/home/a", 0o646).unwrap();
    // Set-group-id is dropped for an owner outside the file's group.
    v.chmod(&ROOT, r, "/home/a", 0o644).unwrap();
    let mut other_group = alice();
    other_group.egid = 7;
    v.chmod(&other_group, r, "/home/a", 0o2644).unwrap();
    assert_eq!(v.stat(&ROOT, r, "/home/a").unwrap().mode & 0o7777, 0o644);
    v.chmod(&alice(), r, "/home/a", 0o2646).unwrap();
    assert_eq!(v.stat(&ROOT, r, "/home/a").unwrap().mode & 0o7777, 0o2646);
    // Explicit times: owner only. "Now": owner or anyone who may write.
    assert_eq!(
        v.set_times(&bob(), r, "/home/a", Some(5), Some(5), true)
            .err(),
        Some(Errno::EPERM)
    );
    v.set_times(&bob(), r, "/home/a", Some(9), Some(9), false)
        .unwrap();
    v.set_times(&alice(), r, "/home/a", Some(5), Some(6), true)
        .unwrap();
    assert_eq!(v.stat(&ROOT, r, "/home/a").unwrap().mtime, 6);
    assert_eq!(
        v.set_times(&bob(), r, "/pub", Some(9), Some(9), false)
            .err(),
        Some(Errno::EACCES)
    );
    v.set_times(&ROOT, r, "/home/a", Some(1), Some(2), true)
        .unwrap();
}

#[test]
fn truncate_needs_write_and_mount_needs_the_capability() {
    let mut v = tree();
    let r = v.root();
    assert_eq!(
        v.truncate(&alice(), r, "/pub", 0).err(),
        Some(Errno::EACCES)
    );
    assert_eq!(
        v.truncate(&bob(), r, "/home/a", 0).err(),
        Some(Errno::EACCES)
    );
    v.truncate(&alice(), r, "/home/a", 1).unwrap();
    v.truncate(&ROOT, r, "/pub", 2).unwrap();
    assert_eq!(get(&mut v, r, "/pub").unwrap(), b"ev");
    let tmpfs = || Box::new(vfs::TmpFs::new(clock(), 1 << 16));
    assert_eq!(
        v.mount(&alice(), "/home", tmpfs()).err(),
        Some(Errno::EPERM)
    );
    let home = v.resolve(&ROOT, r, "/home", true).unwrap();
    assert!(!v.is_mount_root(home), "nothing was mounted");
    v.mount(&ROOT, "/home", tmpfs()).unwrap();
    assert_eq!(v.umount(&alice(), "/home").err(), Some(Errno::EPERM));
    v.umount(&ROOT, "/home").unwrap();
    // Device nodes need their own capability.
    assert_eq!(
        v.mknod(&alice(), r, "/home/null", S_IFCHR | 0o666, 0x103)
            .err(),
        Some(Errno::EPERM)
    );
}

#[test]
fn only_root_gives_a_file_away_and_the_owner_changes_its_group_to_its_own() {
    let mut v = tree();
    let r = v.root();
    let a = alice();
    assert_eq!(
        v.chown(&a, r, "/home/a", Some(BOB), None, true).err(),
        Some(Errno::EPERM)
    );
    assert_eq!(
        v.chown(&a, r, "/pub", None, Some(100), true).err(),
        Some(Errno::EPERM),
        "not the owner"
    );
    assert_eq!(
        v.chown(&a, r, "/home/a", None, Some(STAFF), true).err(),
        Some(Errno::EPERM),
        "not a member"
    );
    v.chown(&a, r, "/home/a", Some(ALICE), Some(100), true)
        .unwrap();
    v.chown(&ROOT, r, "/home/a", Some(BOB), Some(STAFF), true)
        .unwrap();
    let st = v.stat(&ROOT, r, "/home/a").unwrap();
    assert_eq!((st.uid, st.gid), (BOB, STAFF));
    // Bob now owns it: he may chmod it, alice may not.
    v.chmod(&bob(), r, "/home/a", 0o600).unwrap();
    assert_eq!(v.chmod(&a, r, "/home/a", 0o666).err(), Some(Errno::EPERM));
}

#[test]
fn chown_clears_set_id_bits_and_access_judges_the_real_ids() {
    let mut v = tree();
    let r = v.root();
    v.chmod(&ROOT, r, "/pub", 0o6755).unwrap();
    v.chown(&ROOT, r, "/pub", Some(ALICE), None, true).unwrap();
    let st = v.stat(&ROOT, r, "/pub").unwrap();
    assert_eq!(st.mode & 0o7777, 0o755, "set-id bits dropped");
    // A set-user-id-root program run by alice: its effective uid reads /secret,
    // access() on behalf of alice says no.
    let setuid = alice().after_exec(0, 0, S_IFREG | 0o4755);
    let want = vfs::Access::READ;
    v.open(&setuid, r, "/secret", O_RDONLY, 0).unwrap();
    assert_eq!(
        v.access(&setuid, r, "/secret", want).err(),
        Some(Errno::EACCES)
    );
    v.access(&setuid, r, "/pub", want).unwrap();
    assert_eq!(
        v.access(&ROOT, r, "/missing", want).err(),
        Some(Errno::ENOENT)
    );
}
