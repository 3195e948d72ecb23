//! `fbtest`: draw a known picture on the framebuffer, `/dev/fb0`, and check the
//! device's bad paths (chapter 2, 2-2: the memory a desktop draws into).
//!
//! `fbtest` maps the display, fills it with a dark blue background, a red rectangle
//! at (100,100) 200x150 and a green one at (400,300) 100x100 drawn through the
//! mapping, a yellow one at (600,500) 80x60 drawn by a forked child through the
//! mapping it inherited (so fork and exit of a process holding device memory are
//! exercised), and a white row at y=700 written with `write` at an offset; then it
//! reads pixels back both ways. It also asks for refused things: a private mapping,
//! a mapping past the memory, a write past the end, modes that do not fit. It prints
//! one `fbtest: OK ...` line or `fbtest: FAIL ...` lines; the host test takes a
//! screendump and compares pixels.
//!
//! `fbtest mode W H` sets a mode and prints what the device took. `fbtest bench N`
//! fills the whole screen N times through the mapping and prints frames per second
//! (run under `cargo xtask run --icount` for figures that repeat).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::flags::*;
use ulib::abi::Errno;
use ulib::fb::Framebuffer;
use ulib::process::{fork, Fork};
use ulib::sys;

const BACKGROUND: u32 = 0x0010_2040;
const RED: u32 = 0x00ff_0000;
const GREEN: u32 = 0x0000_ff00;
const YELLOW: u32 = 0x00ff_ff00;
const WHITE: u32 = 0x00ff_ffff;

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => picture(),
        Some("mode") if args.len() == 3 => {
            let (Ok(w), Ok(h)) = (args[1].parse(), args[2].parse()) else {
                return ulib::cli::usage_error("fbtest [mode W H]");
            };
            let fd = match sys::open("/dev/fb0", O_RDWR, 0) {
                Ok(fd) => fd as i32,
                Err(e) => {
                    ulib::cli::error("/dev/fb0", e);
                    return 1;
                }
            };
            match ulib::fb::set_mode(fd, w, h) {
                Ok(m) => {
                    ulib::println!(
                        "fbtest: mode {}x{}x{} pitch {}",
                        m.width,
                        m.height,
                        m.bpp,
                        m.pitch
                    );
                    0
                }
                Err(e) => {
                    ulib::cli::error("FBIOSET_MODE", e);
                    1
                }
            }
        }
        Some("bench") if args.len() == 2 => match args[1].parse::<u32>() {
            Ok(n) if n > 0 => bench(n),
            _ => ulib::cli::usage_error("fbtest [mode W H | bench N]"),
        },
        _ => ulib::cli::usage_error("fbtest [mode W H | bench N]"),
    }
}

/// Fill the screen `n` times (a different colour each time) and time it.
fn bench(n: u32) -> i32 {
    let fb = match Framebuffer::open() {
        Ok(fb) => fb,
        Err(e) => {
            ulib::cli::error("/dev/fb0", e);
            return 1;
        }
    };
    let (w, h) = (fb.mode.width as usize, fb.mode.height as usize);
    let start = ulib::time::Instant::now();
    for i in 0..n {
        fb.fill(0, 0, w, h, i.wrapping_mul(0x0001_0307));
    }
    let ns = start.elapsed().as_nanos().max(1) as u64;
    ulib::println!(
        "fbtest: {n} full-screen fills of {w}x{h} in {ns} ns: {} frames/s, {} ns per frame",
        n as u64 * 1_000_000_000 / ns,
        ns / n as u64
    );
    0
}

fn picture() -> i32 {
    let fb = match Framebuffer::open() {
        Ok(fb) => fb,
        Err(e) => {
            ulib::println!("fbtest: FAIL open /dev/fb0: {e:?}");
            return 1;
        }
    };
    let mut fails = 0;
    let mut check = |ok: bool, what: &str| {
        if !ok {
            ulib::println!("fbtest: FAIL {what}");
            fails += 1;
        }
    };
    let m = fb.mode;
    check(
        m.bpp == 32 && m.pitch == m.width * 4,
        "mode is 32 bits per pixel",
    );
    let (w, h) = (m.width as usize, m.height as usize);
    fb.fill(0, 0, w, h, BACKGROUND);
    fb.fill(100, 100, 200, 150, RED);
    fb.fill(400, 300, 100, 100, GREEN);
    match fork() {
        Ok(Fork::Child) => {
            fb.fill(600, 500, 80, 60, YELLOW);
            ulib::process::exit(0);
        }
        Ok(Fork::Parent(_)) => {
            let r = ulib::process::wait();
            check(r.is_ok_and(|(_, st)| st.code() == Some(0)), "child exits 0");
        }
        Err(e) => check(false, &alloc::format!("fork: {e:?}")),
    }
    check(
        fb.get(640, 530) == YELLOW,
        "the child's pixels are seen by the parent",
    );
    // A row written through the file, at an offset.
    let row: Vec<u8> = (0..w).flat_map(|_| WHITE.to_le_bytes()).collect();
    let off = 700 * m.pitch as u64;
    let wrote = sys::pwrite(fb.fd(), &row, off);
    check(wrote == Ok(row.len()), "pwrite of a row");
    check(
        fb.get(5, 700) == WHITE,
        "a written row is seen through the mapping",
    );
    let mut back = [0u8; 8];
    let read = sys::pread(fb.fd(), &mut back, (150 * m.pitch + 150 * 4) as u64);
    check(read == Ok(8), "pread");
    check(
        back[..4] == RED.to_le_bytes(),
        "a mapped pixel is read back by pread",
    );
    // The bad paths: each an errno, none a crash.
    let len = m.pitch as usize * h;
    let private = sys::mmap_file(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fb.fd(), 0);
    check(
        private == Err(Errno::EINVAL),
        "a private mapping is refused",
    );
    let huge = sys::mmap_file(0, 1 << 30, PROT_READ, MAP_SHARED, fb.fd(), 0);
    check(
        huge == Err(Errno::EINVAL),
        "a mapping past the memory is refused",
    );
    let past = sys::pwrite(fb.fd(), &back, len as u64);
    check(past == Err(Errno::ENOSPC), "a write past the end is ENOSPC");
    let empty = sys::pwrite(fb.fd(), &[], u64::MAX / 2);
    check(
        empty == Ok(0),
        "an empty write far past the end writes nothing",
    );
    let far = sys::pread(fb.fd(), &mut back, u64::MAX / 2);
    check(far == Ok(0), "a read far past the end reads nothing");
    for (bw, bh) in [(0, 768), (1024, 0), (99999, 768), (1023, 768), (4096, 4096)] {
        let r = ulib::fb::set_mode(fb.fd(), bw, bh);
        check(
            r == Err(Errno::EINVAL),
            &alloc::format!("mode {bw}x{bh} refused"),
        );
    }
    check(
        ulib::fb::get_mode(fb.fd()) == Ok(m),
        "a refused mode changes nothing",
    );
    let mut junk = [0u8; 16];
    let tty = sys::ioctl(0, FBIOGET_MODE, &mut junk);
    check(
        tty == Err(Errno::EINVAL),
        "the terminal refuses a framebuffer request",
    );
    if fails == 0 {
        ulib::println!("fbtest: OK {}x{} pitch {}", m.width, m.height, m.pitch);
        0
    } else {
        1
    }
}
