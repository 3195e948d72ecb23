//! Memory: the program break (`brk`), anonymous mappings (`mmap`, `munmap`), and
//! system calls on pages not yet there.
//!
//! ulib offers no `brk` or `munmap` (its allocator owns the break), so these go through
//! `ulib::sys::syscall6`, and the pages are touched through raw pointers: the only
//! `unsafe` of this program besides the bad-argument sweep. The break is moved only in a
//! forked child that allocates nothing until it puts the break back, so the allocator
//! never sees memory vanish under it.

use crate::{ctx, ensure, expect_exit, expect_signal, fork_child, no_leak, TestResult};
use alloc::format;
use ulib::abi::flags::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
use ulib::abi::nr;
use ulib::abi::signal::SIGSEGV;
use ulib::{sys, Errno};

const PAGE: usize = 4096;

/// `brk` or `munmap` with raw arguments.
#[allow(unsafe_code)]
fn raw(call: usize, a0: usize, a1: usize) -> sys::SysResult {
    // SAFETY: used only for `brk` and `munmap` on memory this module mapped or grew
    // itself, in which no Rust object lives (see the module header).
    Errno::decode(unsafe { sys::syscall6(call, [a0, a1, 0, 0, 0, 0]) })
}

#[allow(unsafe_code)]
fn poke(addr: usize, v: u8) {
    // SAFETY: `addr` is in a page this module mapped (or unmapped on purpose, in a
    // child that is expected to die of SIGSEGV); no Rust object lives there.
    unsafe { core::ptr::write_volatile(addr as *mut u8, v) }
}

#[allow(unsafe_code)]
fn peek(addr: usize) -> u8 {
    // SAFETY: as for `poke`.
    unsafe { core::ptr::read_volatile(addr as *const u8) }
}

/// Can the kernel read `addr` on our behalf? (EFAULT says the page is gone.)
fn kernel_can_read(addr: usize) -> sys::SysResult {
    let null = ulib::fs::File::open("/dev/null").map_err(|_| Errno::EIO)?;
    Errno::decode(write_raw(null.as_raw_fd(), addr, 16))
}

#[allow(unsafe_code)]
fn write_raw(fd: i32, addr: usize, len: usize) -> usize {
    // SAFETY: `write` only reads user memory, through the kernel's checked copy.
    unsafe { sys::syscall6(nr::WRITE, [fd as usize, addr, len, 0, 0, 0]) }
}

#[allow(unsafe_code)]
fn read_raw(fd: i32, addr: usize, len: usize) -> usize {
    // SAFETY: `read` writes only into the fresh mapping `addr` points into, through
    // the kernel's checked copy; no Rust object lives there.
    unsafe { sys::syscall6(nr::READ, [fd as usize, addr, len, 0, 0, 0]) }
}

/// A pipe write from, and a read into, memory the program has never touched (fresh
/// anonymous pages, not yet present): the kernel's one-copy path between the pipe's
/// ring and the buffer cannot fault pages in under the pipe's lock, so it must hand
/// over to the path that does, and lose or invent nothing on the way.
pub fn pipe_with_untouched_buffers() -> TestResult {
    let mut fds = [0i32; 2];
    ctx(sys::pipe(&mut fds), "pipe")?;
    let fresh = || {
        ctx(
            sys::mmap(
                0,
                2 * PAGE,
                PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS,
            ),
            "mmap of two fresh pages",
        )
    };
    // 100 bytes straddling two untouched (so zero) pages, then a marker.
    let src = fresh()?;
    let n = Errno::decode(write_raw(fds[1], src + PAGE - 50, 100));
    ensure(n == Ok(100), || {
        format!("write from untouched pages: {n:?}, expected Ok(100)")
    })?;
    ctx(sys::write(fds[1], b"end"), "write of a marker")?;
    // All 103 into other untouched pages, across their boundary.
    let dst = fresh()?;
    let n = Errno::decode(read_raw(fds[0], dst + PAGE - 3, 103));
    ensure(n == Ok(103), || {
        format!("read into untouched pages: {n:?}, expected Ok(103)")
    })?;
    let got: alloc::vec::Vec<u8> = (0..103).map(|i| peek(dst + PAGE - 3 + i)).collect();
    ensure(
        got[..100].iter().all(|&b| b == 0) && &got[100..] == b"end",
        || format!("the bytes read were {got:?}, expected 100 zeros and \"end\""),
    )?;
    let _ = (sys::close(fds[0]), sys::close(fds[1]));
    ctx(raw(nr::MUNMAP, src, 2 * PAGE), "munmap")?;
    ctx(raw(nr::MUNMAP, dst, 2 * PAGE), "munmap")?;
    Ok(())
}

/// The child's part of the `brk` test: 0, or the number of the check that failed.
fn brk_child() -> i32 {
    let Ok(start) = raw(nr::BRK, 0, 0) else {
        return 10;
    };
    if raw(nr::BRK, 0x1000, 0) != Ok(start) {
        return 11; // below the heap: refused, the break unchanged
    }
    let top = start + 3 * PAGE + 100;
    if raw(nr::BRK, top, 0) != Ok(top) {
        return 12;
    }
    for a in (start..top).step_by(97) {
        poke(a, (a % 251) as u8);
    }
    if (start..top).step_by(97).any(|a| peek(a) != (a % 251) as u8) {
        return 13;
    }
    let keep = start + PAGE;
    if raw(nr::BRK, keep, 0) != Ok(keep) {
        return 14;
    }
    let gone = keep.next_multiple_of(PAGE) + 8;
    if kernel_can_read(gone) != Err(Errno::EFAULT) {
        return 15; // the released page is still there
    }
    if peek(start) != (start % 251) as u8 {
        return 16; // the kept part lost its contents
    }
    if raw(nr::BRK, top, 0) != Ok(top) || peek(gone) != 0 {
        return 17; // grown again: fresh pages are zero
    }
    if raw(nr::BRK, start, 0) != Ok(start) {
        return 18;
    }
    0
}

pub fn brk_grows_writes_and_shrinks() -> TestResult {
    no_leak(2, || {
        let pid = fork_child(brk_child)?;
        expect_exit(
            pid,
            0,
            "the brk child (status = the check that failed, see memory.rs)",
        )
    })
}

fn mmap_round() -> TestResult {
    let len = 3 * PAGE;
    let a = ctx(
        sys::mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS),
        "mmap 3 pages",
    )?;
    ensure(a % PAGE == 0, || {
        format!("mmap returned {a:#x}, not page-aligned")
    })?;
    ensure((a..a + len).step_by(512).all(|x| peek(x) == 0), || {
        "fresh mmap memory is not zero".into()
    })?;
    for p in 0..3 {
        poke(a + p * PAGE + 5, 0xa0 + p as u8);
    }
    ctx(raw(nr::MUNMAP, a + PAGE, PAGE), "munmap of the middle page")?;
    let pid = fork_child(|| {
        poke(a + PAGE + 5, 1);
        0
    })?;
    expect_signal(pid, SIGSEGV, "a child writing to the unmapped middle page")?;
    let pid = fork_child(|| i32::from(peek(a + PAGE + 5)))?;
    expect_signal(pid, SIGSEGV, "a child reading the unmapped middle page")?;
    ensure(
        peek(a + 5) == 0xa0 && peek(a + 2 * PAGE + 5) == 0xa2,
        || "the pages around the unmapped one lost their contents".into(),
    )?;
    let r = kernel_can_read(a + PAGE);
    ensure(r == Err(Errno::EFAULT), || {
        format!("write() from the unmapped page: {r:?}, expected EFAULT")
    })?;
    ctx(
        raw(nr::MUNMAP, a, len),
        "munmap of all 3 pages (hole included)",
    )?;

    let ro = ctx(
        sys::mmap(0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS),
        "mmap read-only",
    )?;
    ensure(peek(ro + 9) == 0, || {
        "read-only mapping does not read as zero".into()
    })?;
    let pid = fork_child(|| {
        poke(ro + 9, 1);
        0
    })?;
    expect_signal(pid, SIGSEGV, "a child writing to a read-only mapping")?;
    ctx(raw(nr::MUNMAP, ro, PAGE), "munmap read-only")?;
    Ok(())
}

pub fn mmap_munmap_and_unmapped_touch() -> TestResult {
    no_leak(1, mmap_round)
}
