//! File mappings (`mmap` of a file, `mprotect`, `msync`): a shared mapping and `read`
//! see one copy of the file; a private mapping's writes stay in the process; a fork
//! keeps shared pages shared and private ones private; a page past the end of the
//! file is SIGBUS; rights taken away by `mprotect` fault; and every refusal is the
//! errno POSIX gives.

use crate::{ctx, ensure, expect_exit, expect_signal, fork_child, no_leak, TestResult};
use alloc::format;
use alloc::vec::Vec;
use ulib::abi::flags::*;
use ulib::abi::signal::{SIGBUS, SIGSEGV};
use ulib::fs::{File, OpenOptions};
use ulib::{sys, Errno};

const PAGE: usize = 4096;
/// On the ext2 root, so the pages come from the disk's file system.
const PATH: &str = "/usertests-mapping";

#[allow(unsafe_code)]
fn poke(addr: usize, v: u8) {
    // SAFETY: `addr` is in a page this module mapped (or, in a child expected to die
    // of a signal, one it may not touch); no Rust object lives there.
    unsafe { core::ptr::write_volatile(addr as *mut u8, v) }
}

#[allow(unsafe_code)]
fn peek(addr: usize) -> u8 {
    // SAFETY: as for `poke`.
    unsafe { core::ptr::read_volatile(addr as *const u8) }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// A fresh file of `len` bytes of [`pattern`], open for reading and writing.
fn fresh(len: usize) -> Result<File, alloc::string::String> {
    let f = ctx(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(PATH),
        "create the mapped file",
    )?;
    ctx(f.write_at(&pattern(len), 0), "fill the mapped file")?;
    Ok(f)
}

fn map(f: &File, len: usize, prot: u32, flags: u32) -> Result<usize, alloc::string::String> {
    ctx(
        sys::mmap_file(0, len, prot, flags, f.as_raw_fd(), 0),
        "mmap the file",
    )
}

fn read_byte(f: &File, off: u64) -> Result<u8, alloc::string::String> {
    let mut b = [0u8; 1];
    ctx(f.read_at(&mut b, off), "pread")?;
    Ok(b[0])
}

fn shared_round() -> TestResult {
    let f = fresh(2 * PAGE)?;
    let a = map(&f, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED)?;
    let want = pattern(2 * PAGE);
    ensure((0..2 * PAGE).all(|i| peek(a + i) == want[i]), || {
        "the mapping does not show the file's bytes".into()
    })?;
    poke(a + 5000, 0xee);
    let got = read_byte(&f, 5000)?;
    ensure(got == 0xee, || {
        format!("pread after a write through the mapping: {got:#x}, expected 0xee")
    })?;
    ctx(f.write_at(b"W", 100), "pwrite")?;
    ensure(peek(a + 100) == b'W', || {
        "the mapping missed a write()".into()
    })?;
    // A child's write through the shared mapping reaches the parent.
    let pid = fork_child(|| {
        poke(a + 7, 0x77);
        0
    })?;
    expect_exit(pid, 0, "the child writing the shared mapping")?;
    ensure(peek(a + 7) == 0x77, || {
        "a child's shared write is not seen".into()
    })?;
    ctx(sys::msync(a, 2 * PAGE, MS_SYNC), "msync")?;
    ctx(sys::munmap(a, 2 * PAGE), "munmap")?;
    // Gone from memory, kept in the file.
    let got = read_byte(&f, 7)?;
    ensure(got == 0x77, || {
        format!("after munmap the file has {got:#x} at 7")
    })?;
    Ok(())
}

pub fn shared_file_mapping_is_the_file() -> TestResult {
    no_leak(1, shared_round)
}

fn private_round() -> TestResult {
    let f = fresh(PAGE)?;
    let a = map(&f, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE)?;
    poke(a + 10, 0xaa);
    let got = read_byte(&f, 10)?;
    ensure(got == pattern(PAGE)[10], || {
        format!("a private write reached the file ({got:#x})")
    })?;
    let pid = fork_child(|| {
        poke(a + 11, 0xbb);
        i32::from(peek(a + 10) != 0xaa)
    })?;
    expect_exit(pid, 0, "the child sees its parent's private page")?;
    ensure(peek(a + 11) == pattern(PAGE)[11], || {
        "a child's private write reached the parent".into()
    })?;
    ctx(sys::munmap(a, PAGE), "munmap")?;
    Ok(())
}

pub fn private_file_mapping_keeps_writes() -> TestResult {
    no_leak(1, private_round)
}

pub fn truncated_mapping_is_sigbus() -> TestResult {
    let f = fresh(2 * PAGE)?;
    let a = map(&f, 2 * PAGE, PROT_READ, MAP_SHARED)?;
    ctx(f.set_len(100), "ftruncate to 100 bytes")?;
    // The rest of the last page reads as zeros (POSIX), the page after is gone.
    ensure(
        peek(a + 99) == pattern(100)[99] && peek(a + 200) == 0,
        || "the page holding the end of the file is wrong".into(),
    )?;
    let pid = fork_child(|| i32::from(peek(a + PAGE + 1)))?;
    expect_signal(pid, SIGBUS, "a child reading past the end of the file")?;
    ctx(sys::munmap(a, 2 * PAGE), "munmap")?;
    Ok(())
}

/// Truncating a file takes its pages past the new end out of every mapping, even
/// pages already touched (resident) and private copies: a later touch is SIGBUS in
/// the parent, in a child's own mapping and in the mapping it inherited, and the page
/// before the end keeps its bytes.
pub fn truncated_file_is_sigbus_in_every_mapping() -> TestResult {
    use ulib::io::{Read, Write};
    let f = fresh(3 * PAGE)?;
    let a = map(&f, 3 * PAGE, PROT_READ, MAP_SHARED)?;
    let want = pattern(3 * PAGE);
    ensure(peek(a + 2 * PAGE + 5) == want[2 * PAGE + 5], || {
        "the shared mapping's last page is wrong".into()
    })?;
    let (mut ready_r, mut ready_w) = crate::pipe()?;
    let (mut go_r, mut go_w) = crate::pipe()?;
    let fd = f.as_raw_fd();
    let pid = fork_child(|| {
        // A private mapping of its own, its last page copied (written) before the cut.
        let Ok(b) = sys::mmap_file(0, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) else {
            return 2;
        };
        poke(b + 2 * PAGE, 0x55);
        let _ = ready_w.write_all(b"r");
        let mut x = [0u8; 1];
        let _ = go_r.read(&mut x);
        if peek(b + 1) != pattern(2)[1] {
            return 3;
        }
        i32::from(peek(b + 2 * PAGE))
    })?;
    drop((ready_w, go_r));
    let mut x = [0u8; 1];
    ctx(ready_r.read(&mut x), "wait for the child's mapping")?;
    ctx(f.set_len(PAGE as u64), "ftruncate to one page")?;
    ctx(go_w.write_all(b"g"), "let the child touch")?;
    expect_signal(
        pid,
        SIGBUS,
        "a child touching its private copy past the end",
    )?;
    let pid = fork_child(move || i32::from(peek(a + 2 * PAGE)))?;
    expect_signal(pid, SIGBUS, "a child touching a resident page past the end")?;
    ensure(peek(a + 7) == want[7], || {
        "the page before the end lost its bytes".into()
    })?;
    // A truncate by path (open with O_TRUNC) does the same.
    drop(ctx(
        OpenOptions::new().write(true).truncate(true).open(PATH),
        "open O_TRUNC",
    )?);
    let pid = fork_child(move || i32::from(peek(a)))?;
    expect_signal(
        pid,
        SIGBUS,
        "a child touching a page of a file emptied by O_TRUNC",
    )?;
    ctx(sys::munmap(a, 3 * PAGE), "munmap")?;
    Ok(())
}

pub fn mprotect_takes_and_gives_rights() -> TestResult {
    let a = ctx(
        sys::mmap(
            0,
            2 * PAGE,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
        ),
        "mmap",
    )?;
    poke(a, 1);
    poke(a + PAGE, 2);
    ctx(sys::mprotect(a, PAGE, PROT_READ), "mprotect read-only")?;
    let pid = fork_child(|| {
        poke(a, 9);
        0
    })?;
    expect_signal(pid, SIGSEGV, "a child writing a page made read-only")?;
    poke(a + PAGE, 3); // the other page kept its rights
    ctx(
        sys::mprotect(a, PAGE, PROT_READ | PROT_WRITE),
        "mprotect read-write",
    )?;
    poke(a, 4);
    ensure(peek(a) == 4 && peek(a + PAGE) == 3, || {
        "writes after mprotect were lost".into()
    })?;
    let r = sys::mprotect(a + 8 * PAGE, PAGE, PROT_READ);
    ensure(r == Err(Errno::ENOMEM), || {
        format!("mprotect of unmapped memory: {r:?}, expected ENOMEM")
    })?;
    ctx(sys::munmap(a, 2 * PAGE), "munmap")?;
    Ok(())
}

pub fn file_mapping_refusals() -> TestResult {
    drop(fresh(PAGE)?);
    let ro = ctx(File::open(PATH), "open read-only")?;
    let r = sys::mmap_file(
        0,
        PAGE,
        PROT_READ | PROT_WRITE,
        MAP_SHARED,
        ro.as_raw_fd(),
        0,
    );
    ensure(r == Err(Errno::EACCES), || {
        format!("shared writable mapping of a read-only descriptor: {r:?}")
    })?;
    let a = ctx(
        sys::mmap_file(0, PAGE, PROT_READ, MAP_SHARED, ro.as_raw_fd(), 0),
        "shared read-only mapping",
    )?;
    let r = sys::mprotect(a, PAGE, PROT_READ | PROT_WRITE);
    ensure(r == Err(Errno::EACCES), || {
        format!("mprotect to writable of it: {r:?}")
    })?;
    ctx(sys::munmap(a, PAGE), "munmap")?;
    let wo = ctx(OpenOptions::new().write(true).open(PATH), "open write-only")?;
    let r = sys::mmap_file(0, PAGE, PROT_READ, MAP_PRIVATE, wo.as_raw_fd(), 0);
    ensure(r == Err(Errno::EACCES), || {
        format!("mapping a write-only descriptor: {r:?}")
    })?;
    let r = sys::mmap_file(0, PAGE, PROT_READ, MAP_PRIVATE, ro.as_raw_fd(), 100);
    ensure(r == Err(Errno::EINVAL), || {
        format!("an offset off a page boundary: {r:?}")
    })?;
    let (rd, _wr) = crate::pipe()?;
    let r = sys::mmap_file(0, PAGE, PROT_READ, MAP_PRIVATE, rd.as_raw_fd(), 0);
    ensure(r == Err(Errno::ENODEV), || format!("mapping a pipe: {r:?}"))?;
    let r = sys::mmap_file(0, PAGE, PROT_READ, MAP_PRIVATE, 999, 0);
    ensure(r == Err(Errno::EBADF), || {
        format!("mapping a closed descriptor: {r:?}")
    })?;
    ctx(ulib::fs::remove_file(PATH), "remove the mapped file")?;
    Ok(())
}

/// A shared segment made smaller (`ftruncate`) takes the pages past its new end away
/// from every process that maps them, touched or not: a later touch is SIGBUS (as on
/// Linux), the pages before the end stay shared.
pub fn shrunk_segment_is_sigbus_in_every_mapping() -> TestResult {
    use ulib::io::{Read, Write};
    use ulib::shm::{self, Segment};
    let name = format!("/usertests.shrink.{}", ulib::process::id());
    let seg = ctx(Segment::create(&name, 3 * PAGE, 0o600), "shm create")?;
    let _ = shm::unlink(&name); // gone with the last descriptor and mapping
    let mine = ctx(seg.map(), "map")?;
    let a = mine.addr();
    poke(a, 7);
    poke(a + 2 * PAGE, 9);
    let (mut ready_r, mut ready_w) = crate::pipe()?;
    let (mut go_r, mut go_w) = crate::pipe()?;
    let pid = fork_child(|| {
        // A second mapping of its own, its last page touched (resident) before the
        // shrink, besides the one inherited from the parent.
        let Ok(own) = seg.map() else { return 2 };
        let b = own.addr();
        if peek(b + 2 * PAGE) != 9 {
            return 3;
        }
        let _ = ready_w.write_all(b"r");
        let mut x = [0u8; 1];
        let _ = go_r.read(&mut x);
        if peek(b) != 7 || peek(a) != 7 {
            return 4;
        }
        i32::from(peek(b + 2 * PAGE))
    })?;
    drop((ready_w, go_r));
    let mut x = [0u8; 1];
    ctx(ready_r.read(&mut x), "wait for the child's mapping")?;
    ctx(
        sys::ftruncate(seg.fd(), PAGE as u64),
        "ftruncate to one page",
    )?;
    ctx(go_w.write_all(b"g"), "let the child touch")?;
    expect_signal(pid, SIGBUS, "a child touching a page past the shrunk end")?;
    let pid = fork_child(move || i32::from(peek(a + PAGE)))?;
    expect_signal(
        pid,
        SIGBUS,
        "a child touching the inherited mapping past the end",
    )?;
    ensure(peek(a) == 7, || {
        "the page before the end lost its byte".into()
    })
}
