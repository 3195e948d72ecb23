//! `wsdtest`: a hostile window-server client, for the tests (chapter 2, 2-2: a user
//! program must not take down the server every window depends on).
//!
//! It sends `wsd` garbage of every kind: a message that is not a call, calls with
//! junk bytes, a hello without descriptors, with descriptors that are not a segment
//! and a port, with a segment too small, with eight descriptors, a window far too
//! big; each must be refused (a non-zero status), and then a good hello must still
//! be accepted; then it tries to shrink the segment wsd now maps (refused: wsd seals
//! it). `wsdtest die` opens a window and exits without a word. It prints
//! `wsdtest: OK` or `wsdtest: FAIL ...` lines.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use gfx::proto::{Hello, Welcome};
use ulib::abi::flags::*;
use ulib::port;
use ulib::shm::{self, Segment};
use ulib::wsclient::Window;

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("die") {
        return match Window::open("doomed", 100, 80) {
            Ok(_w) => {
                ulib::println!("wsdtest: OK opened a window, exiting");
                0
            }
            Err(e) => {
                ulib::println!("wsdtest: FAIL open: {e:?}");
                1
            }
        };
    }
    let server = match port::lookup("wsd") {
        Ok(s) => s,
        Err(e) => {
            ulib::println!("wsdtest: FAIL lookup wsd: {e:?}");
            return 1;
        }
    };
    let t = Some(Duration::from_secs(5));
    let null = ulib::sys::open("/dev/null", O_RDWR, 0).unwrap_or(0) as i32;
    let small = Segment::create("/wsdtest-small", 16, 0o600);
    let good = Segment::create("/wsdtest-good", 50 * 40 * 4, 0o600);
    let _ = shm::unlink("/wsdtest-small");
    let _ = shm::unlink("/wsdtest-good");
    let (Ok(small), Ok(good)) = (small, good) else {
        ulib::println!("wsdtest: FAIL shm_create");
        return 1;
    };
    let (_events, events_tx) = match port::create(8) {
        Ok(p) => p,
        Err(e) => {
            ulib::println!("wsdtest: FAIL port_create: {e:?}");
            return 1;
        }
    };
    let hello = |w, h| {
        Hello {
            width: w,
            height: h,
            title: "bad".into(),
        }
        .encode()
    };
    let ev = events_tx.as_raw_fd();
    let mut fails = 0;
    // Not a call: dropped.
    let _ = server.send(b"\xff\xff garbage", &[null], t);
    let cases: [(&str, Vec<u8>, Vec<i32>); 8] = [
        ("junk bytes", b"\x01\x02\x03".to_vec(), alloc::vec![]),
        ("empty", alloc::vec![], alloc::vec![]),
        ("hello without descriptors", hello(50, 40), alloc::vec![]),
        (
            "hello with /dev/null twice",
            hello(50, 40),
            alloc::vec![null, null],
        ),
        (
            "segment too small",
            hello(50, 40),
            alloc::vec![small.fd(), ev],
        ),
        (
            "events not a port",
            hello(50, 40),
            alloc::vec![good.fd(), null],
        ),
        ("eight descriptors", hello(50, 40), alloc::vec![null; 8]),
        (
            "window too big",
            hello(100_000, 40),
            alloc::vec![good.fd(), ev],
        ),
    ];
    for (what, data, fds) in cases {
        let mut answer = [0u8; 8];
        match server.call(&data, &fds, &mut answer, &mut [], t) {
            Ok(r) => match Welcome::decode(&answer[..r.len]) {
                Some(w) if w.status != 0 => {}
                other => {
                    ulib::println!("wsdtest: FAIL {what}: accepted ({other:?})");
                    fails += 1;
                }
            },
            Err(e) => {
                ulib::println!("wsdtest: FAIL {what}: {e:?}");
                fails += 1;
            }
        }
    }
    // After all that, a good one.
    let mut answer = [0u8; 8];
    match server.call(&hello(50, 40), &[good.fd(), ev], &mut answer, &mut [], t) {
        Ok(r) if Welcome::decode(&answer[..r.len]).is_some_and(|w| w.status == 0) => {}
        other => {
            ulib::println!("wsdtest: FAIL the good hello after the bad: {other:?}");
            fails += 1;
        }
    }
    // The segment wsd maps is sealed: shrinking it now is refused, and wsd, which
    // reads it at every frame, lives on (the caller checks it is still there).
    match ulib::sys::ftruncate(good.fd(), 16) {
        Err(ulib::Errno::EPERM) => {
            ulib::println!("wsdtest: OK shrinking a mapped segment is EPERM")
        }
        other => {
            ulib::println!("wsdtest: FAIL ftruncate of the segment wsd maps: {other:?}");
            fails += 1;
        }
    }
    if good.size() != Ok(50 * 40 * 4) {
        ulib::println!(
            "wsdtest: FAIL the sealed segment's size changed: {:?}",
            good.size()
        );
        fails += 1;
    }
    // Growing stays allowed.
    if ulib::sys::ftruncate(good.fd(), 50 * 40 * 4 + 4096).is_err() {
        ulib::println!("wsdtest: FAIL growing a sealed segment");
        fails += 1;
    }
    if fails == 0 {
        ulib::println!("wsdtest: OK every bad message refused, the good one taken");
        0
    } else {
        1
    }
}
