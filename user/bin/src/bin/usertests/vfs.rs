//! The file tree's lifetimes: a working directory that is removed, and a file system
//! that is unmounted while something still uses it.
//!
//! A working directory is held like an open file: removing it leaves an empty,
//! nameless directory (creating in it is ENOENT, `getcwd` is ENOENT, `..` is ENOENT)
//! whose inode number is not handed out again until the last process leaves it; and
//! `umount` is EBUSY while any open file or working directory is on the mount.

use crate::{ctx, ensure, expect_exit, fork_child, TestResult};
use alloc::format;
use alloc::string::String;
use ulib::abi::flags::{O_CREAT, O_RDONLY, O_WRONLY};
use ulib::abi::{Stat, StatFs};
use ulib::{sys, Errno};

fn stat(path: &str) -> ulib::Result<Stat> {
    let mut st = Stat::default();
    sys::stat(path, &mut st).map(|_| st)
}

fn free_inodes(path: &str) -> Result<u64, String> {
    let mut s = StatFs::default();
    ctx(sys::statfs(path, &mut s), "statfs")?;
    Ok(s.free_files)
}

fn expect_err<T: core::fmt::Debug>(r: ulib::Result<T>, want: Errno, what: &str) -> TestResult {
    ensure(matches!(&r, Err(e) if *e == want), || {
        format!("{what}: got {r:?}, expected {want:?}")
    })
}

/// The calling process's directory back to `/` whatever happens in `body`.
fn in_dir(body: impl FnOnce() -> TestResult) -> TestResult {
    let r = body();
    let back = sys::chdir("/");
    r?;
    ctx(back, "chdir back to /")?;
    Ok(())
}

/// `mkdir D; cd D; rmdir D; mkdir OTHER; touch f` on the file system under `base`.
fn removed_cwd_on(base: &str) -> TestResult {
    let dd = format!("{base}/ut_dd");
    let other = format!("{base}/ut_other");
    let fsroot = if base.is_empty() { "/" } else { base };
    let free = free_inodes(fsroot)?;
    ctx(sys::mkdir(&dd, 0o755), "mkdir")?;
    let r = in_dir(|| {
        ctx(sys::chdir(&dd), "chdir")?;
        let ino = ctx(stat("."), "stat .")?.ino;
        ctx(sys::rmdir(&dd), "rmdir of the working directory")?;
        ctx(sys::mkdir(&other, 0o755), "mkdir another")?;
        let st = ctx(stat("."), "stat . after rmdir")?;
        ensure(st.ino == ino && st.nlink == 0, || {
            format!("the removed directory: ino {} nlink {}", st.ino, st.nlink)
        })?;
        ensure(ctx(stat(&other), "stat other")?.ino != ino, || {
            format!("inode {ino} was reused while it is a working directory")
        })?;
        expect_err(
            sys::open("f", O_CREAT | O_WRONLY, 0o644),
            Errno::ENOENT,
            "create",
        )?;
        expect_err(sys::mkdir("sub", 0o755), Errno::ENOENT, "mkdir inside")?;
        expect_err(
            sys::stat("..", &mut Stat::default()),
            Errno::ENOENT,
            "stat ..",
        )?;
        expect_err(sys::chdir(".."), Errno::ENOENT, "chdir ..")?;
        expect_err(sys::getcwd(&mut [0u8; 256]), Errno::ENOENT, "getcwd")?;
        ensure(!ulib::fs::exists(&format!("{other}/f")), || {
            format!("the file was made in {other}")
        })?;
        // A child inherits the removed directory, and holds it while it runs.
        let pid = fork_child(|| match sys::open("g", O_CREAT | O_WRONLY, 0o644) {
            Err(Errno::ENOENT) => 0,
            _ => 1,
        })?;
        expect_exit(
            pid,
            0,
            "a child creating in the inherited removed directory",
        )?;
        let fd = ctx(sys::open(".", O_RDONLY, 0), "open .")? as i32;
        let dents = sys::getdents(fd, &mut [0u8; 512]);
        let _ = sys::close(fd);
        expect_err(dents, Errno::ENOENT, "getdents of the removed directory")
    });
    let _ = sys::rmdir(&dd);
    let _ = sys::rmdir(&other);
    r?;
    // Everyone left it: its inode is free again.
    let now = free_inodes(fsroot)?;
    ensure(now == free, || {
        format!("{fsroot}: {free} free inodes before, {now} after")
    })
}

pub fn removed_working_directory_is_empty_and_unlinked() -> TestResult {
    removed_cwd_on("")?; // ext2, the root
    removed_cwd_on("/tmp") // tmpfs
}

const MNT: &str = "/tmp/ut_mnt";

/// Wait until a child has written its byte on `r`.
fn wait_ready(r: i32) -> TestResult {
    let mut b = [0u8; 1];
    ensure(ctx(sys::read(r, &mut b), "read the pipe")? == 1, || {
        "the child died before it was ready".into()
    })
}

fn busy_checks() -> TestResult {
    // An open file on the mount.
    let fd = ctx(
        sys::open(&format!("{MNT}/out"), O_CREAT | O_WRONLY, 0o644),
        "create on the mount",
    )? as i32;
    expect_err(sys::umount(MNT), Errno::EBUSY, "umount with a file open")?;
    // The descriptor in a child only (`sleep 5 > /m/out &`).
    let mut go = [0i32; 2];
    let mut ready = [0i32; 2];
    ctx(sys::pipe(&mut go), "pipe")?;
    ctx(sys::pipe(&mut ready), "pipe")?;
    let pid = fork_child(|| {
        let _ = sys::close(go[1]);
        let _ = sys::write(ready[1], b"r");
        let mut b = [0u8; 1];
        let _ = sys::read(go[0], &mut b);
        i32::from(sys::write(fd, b"from the child\n").is_err())
    })?;
    let _ = sys::close(go[0]);
    let _ = sys::close(ready[1]);
    let _ = sys::close(fd);
    wait_ready(ready[0])?;
    let _ = sys::close(ready[0]);
    let busy = sys::umount(MNT);
    let _ = sys::write(go[1], b"g");
    let _ = sys::close(go[1]);
    expect_exit(pid, 0, "the child writing to the mount")?;
    expect_err(busy, Errno::EBUSY, "umount while a child has a file open")?;
    let data = ctx(ulib::fs::read(&format!("{MNT}/out")), "read back")?;
    ensure(data == b"from the child\n", || {
        format!("the file holds {data:?}")
    })?;
    // A working directory on the mount, here and in a child that inherits it.
    in_dir(|| {
        ctx(sys::chdir(MNT), "chdir to the mount")?;
        expect_err(sys::umount(MNT), Errno::EBUSY, "umount from inside")?;
        let mut ready = [0i32; 2];
        let mut go = [0i32; 2];
        ctx(sys::pipe(&mut ready), "pipe")?;
        ctx(sys::pipe(&mut go), "pipe")?;
        let pid = fork_child(|| {
            let _ = sys::close(go[1]);
            let _ = sys::write(ready[1], b"r");
            let mut b = [0u8; 1];
            let _ = sys::read(go[0], &mut b);
            0
        })?;
        let _ = sys::close(go[0]);
        let _ = sys::close(ready[1]);
        wait_ready(ready[0])?;
        let _ = sys::close(ready[0]);
        ctx(sys::chdir("/"), "chdir away")?;
        let busy = sys::umount(MNT);
        let _ = sys::write(go[1], b"g");
        let _ = sys::close(go[1]);
        expect_exit(pid, 0, "the child in the mount")?;
        expect_err(busy, Errno::EBUSY, "umount while a child is inside")
    })
}

pub fn umount_is_ebusy_while_a_file_or_directory_is_in_use() -> TestResult {
    let _ = sys::mkdir(MNT, 0o755);
    ctx(sys::mount(MNT, "tmpfs", ""), "mount a tmpfs")?;
    let r = busy_checks();
    let gone = sys::umount(MNT);
    let _ = sys::rmdir(MNT);
    r?;
    ctx(gone, "umount once nothing uses it")?;
    Ok(())
}
