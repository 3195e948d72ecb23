//! File descriptors: `dup`, `dup2` and `close`, and the open-file offset that duplicates
//! (and a forked child) share.

use crate::{ctx, ensure, expect_exit, fork_child, TestResult};
use alloc::format;
use alloc::string::String;
use ulib::abi::flags::{SEEK_CUR, SEEK_SET};
use ulib::{fs, sys, Errno};

const PATH: &str = "/tmp/ut_dup";
const OTHER: &str = "/tmp/ut_dup2";

/// Read `n` bytes from `fd` as text.
fn take(fd: i32, n: usize) -> Result<String, String> {
    let mut b = [0u8; 16];
    let got = ctx(sys::read(fd, &mut b[..n]), &format!("read fd {fd}"))?;
    Ok(String::from_utf8_lossy(&b[..got]).into_owned())
}

fn expect_text(fd: i32, n: usize, want: &str, what: &str) -> TestResult {
    let got = take(fd, n)?;
    ensure(got == want, || {
        format!("{what}: read {got:?}, expected {want:?}")
    })
}

fn open(path: &str) -> Result<i32, String> {
    ctx(
        sys::open(path, ulib::abi::flags::O_RDONLY, 0),
        &format!("open {path}"),
    )
    .map(|fd| fd as i32)
}

pub fn dup_dup2_close_share_the_offset() -> TestResult {
    ctx(fs::write(PATH, b"0123456789abcdefghij"), "create the file")?;
    ctx(fs::write(OTHER, b"XYZXYZ"), "create the second file")?;
    let r = dup_checks();
    let _ = fs::remove_file(PATH);
    let _ = fs::remove_file(OTHER);
    r
}

fn dup_checks() -> TestResult {
    let a = open(PATH)?;
    let b = ctx(sys::dup(a), "dup")? as i32;
    ensure(b != a, || "dup returned the same descriptor".into())?;
    expect_text(a, 3, "012", "the original")?;
    expect_text(b, 3, "345", "the duplicate (offset shared)")?;
    let off = ctx(sys::lseek(a, 0, SEEK_CUR), "lseek")?;
    ensure(off == 6, || {
        format!("offset of the original is {off}, expected 6")
    })?;
    let c = ctx(sys::dup2(a, 40), "dup2 to 40")?;
    ensure(c == 40, || format!("dup2(a, 40) returned {c}"))?;
    expect_text(40, 3, "678", "descriptor 40 from dup2")?;
    let same = sys::dup2(b, b);
    ensure(same == Ok(b as usize), || {
        format!("dup2(b, b) = {same:?}, expected Ok({b})")
    })?;
    ctx(sys::close(a), "close")?;
    let again = sys::close(a);
    ensure(again == Err(Errno::EBADF), || {
        format!("closing twice: {again:?}, expected EBADF")
    })?;
    let mut x = [0u8; 1];
    let closed = sys::read(a, &mut x);
    ensure(closed == Err(Errno::EBADF), || {
        format!("read of a closed descriptor: {closed:?}")
    })?;
    expect_text(b, 3, "9ab", "the duplicate after the original closed")?;
    let lowest = ctx(sys::dup(b), "dup after close")? as i32;
    ensure(lowest == a, || {
        format!("dup returned {lowest}, expected the lowest free descriptor {a}")
    })?;
    // dup2 onto an open descriptor closes what was there first.
    let d = open(OTHER)?;
    expect_text(d, 1, "X", "the second file")?;
    ctx(sys::dup2(b, d), "dup2 onto an open descriptor")?;
    expect_text(d, 3, "cde", "the replaced descriptor")?;
    for bad in [-1, 63, 1000] {
        let r = sys::dup(bad);
        ensure(r == Err(Errno::EBADF), || {
            format!("dup({bad}) = {r:?}, expected EBADF")
        })?;
    }
    for bad in [-1, 64, 1000] {
        let r = sys::dup2(b, bad);
        ensure(r == Err(Errno::EBADF), || {
            format!("dup2(b, {bad}) = {r:?}, expected EBADF")
        })?;
    }
    for fd in [b, 40, lowest, d] {
        ctx(sys::close(fd), &format!("close {fd}"))?;
    }
    Ok(())
}

pub fn fork_shares_descriptor_offsets() -> TestResult {
    ctx(fs::write(PATH, b"0123456789abcdefghij"), "create the file")?;
    let r = fork_offsets();
    let _ = fs::remove_file(PATH);
    r
}

fn fork_offsets() -> TestResult {
    let fd = open(PATH)?;
    expect_text(fd, 2, "01", "before fork")?;
    let pid = fork_child(|| {
        if take(fd, 3).as_deref() != Ok("234") {
            return 1; // the child does not continue at the parent's offset
        }
        if sys::lseek(fd, 10, SEEK_SET) != Ok(10) {
            return 2;
        }
        // Closing its copy must not close the parent's.
        if sys::close(fd).is_err() {
            return 3;
        }
        0
    })?;
    expect_exit(pid, 0, "the child (1: offset not inherited)")?;
    let off = ctx(sys::lseek(fd, 0, SEEK_CUR), "lseek in the parent")?;
    ensure(off == 10, || {
        format!("after the child read and seeked to 10, the parent's offset is {off}")
    })?;
    expect_text(fd, 2, "ab", "the parent after the child's seek")?;
    ctx(sys::close(fd), "close")?;
    Ok(())
}

/// Device management: a device requested for exclusive use is refused to a second
/// process (EBUSY when it asks not to wait) until the holder releases it; ioctl and
/// stat describe devices.
pub fn device_request_is_exclusive_until_released() -> TestResult {
    let fd = open("/dev/zero")?;
    ctx(sys::dev_request(fd, true), "dev_request /dev/zero")?;
    // The child inherits the descriptor but not the hold.
    let child = fork_child(|| match sys::dev_request(fd, true) {
        Err(ulib::Errno::EBUSY) => 0,
        Ok(_) => 1,
        Err(_) => 2,
    })?;
    expect_exit(
        child,
        0,
        "a second process requesting a held device gets EBUSY",
    )?;
    ctx(sys::dev_release(fd), "dev_release")?;
    let child = fork_child(|| match sys::dev_request(fd, true) {
        Ok(_) => 0,
        Err(_) => 1,
    })?;
    expect_exit(child, 0, "after release another process gets the device")?;
    // Releasing what one does not hold is refused.
    ensure(sys::dev_release(fd) == Err(ulib::Errno::EPERM), || {
        String::from("releasing an unheld device was accepted")
    })?;
    let mut st = ulib::abi::Stat::default();
    ctx(sys::fstat(fd, &mut st), "fstat /dev/zero")?;
    ensure(
        st.mode & ulib::abi::flags::S_IFMT == ulib::abi::flags::S_IFCHR,
        || format!("/dev/zero mode {:o} is not a character device", st.mode),
    )?;
    let _ = sys::close(fd);
    // A terminal request on a non-terminal is ENOTTY.
    let null = open("/dev/null")?;
    let mut ws = [0u8; 8];
    ensure(
        sys::ioctl(null, ulib::abi::flags::TIOCGWINSZ, &mut ws) == Err(ulib::Errno::ENOTTY),
        || String::from("TIOCGWINSZ on /dev/null was not ENOTTY"),
    )?;
    let _ = sys::close(null);
    Ok(())
}

/// `umask`: a file and a directory created under mask 027 lose those permission bits
/// (0666 -> 0640, 0777 -> 0750); the call returns the old mask; a forked child has the
/// same mask.
pub fn umask_masks_created_files_and_is_inherited() -> TestResult {
    const FILE: &str = "/tmp/ut_umask";
    const DIR: &str = "/tmp/ut_umask_dir";
    let old = ctx(sys::umask(0o027), "umask 027")? as u32;
    let _ = sys::unlink(FILE);
    let _ = sys::rmdir(DIR);
    let fd = ctx(
        sys::open(
            FILE,
            ulib::abi::flags::O_WRONLY | ulib::abi::flags::O_CREAT,
            0o666,
        ),
        "create a file",
    )? as i32;
    let mut st = ulib::abi::Stat::default();
    ctx(sys::fstat(fd, &mut st), "fstat")?;
    let _ = sys::close(fd);
    ensure(st.mode & 0o777 == 0o640, || {
        format!(
            "a file created 0666 under umask 027 has mode {:o}",
            st.mode & 0o777
        )
    })?;
    ctx(sys::mkdir(DIR, 0o777), "mkdir")?;
    ctx(sys::stat(DIR, &mut st), "stat the directory")?;
    ensure(st.mode & 0o777 == 0o750, || {
        format!(
            "a directory made 0777 under umask 027 has mode {:o}",
            st.mode & 0o777
        )
    })?;
    let child = fork_child(|| match sys::umask(0o027) {
        Ok(0o027) => 0,
        _ => 1,
    })?;
    expect_exit(child, 0, "a forked child inherits the umask")?;
    let _ = sys::unlink(FILE);
    let _ = sys::rmdir(DIR);
    let was = ctx(sys::umask(old), "umask back")?;
    ensure(was == 0o027, || {
        format!("umask returned {was:o}, expected 27")
    })
}
