//! Seeded random mutation of valid images: `parse_executable` must never panic, and
//! whatever it accepts must satisfy the promises the loader relies on.

mod common;

use common::Builder;
use elf::{parse_executable, ExecImage, Limits, USER_END};

/// xorshift64: tiny, deterministic, good enough to scramble headers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const INTERESTING: [u64; 10] = [
    0,
    1,
    0xfff,
    0x1000,
    0x40_0000,
    0x7fff_ffff_f000,
    USER_END,
    0xffff_8000_0000_0000,
    u64::MAX - 0xfff,
    u64::MAX,
];

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, header_len: usize) {
    for _ in 0..1 + rng.below(6) {
        match rng.below(5) {
            // Flip one bit somewhere in the headers.
            0 => {
                let at = rng.below(header_len.min(bytes.len()).max(1));
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            // Overwrite a random byte anywhere.
            1 => {
                if !bytes.is_empty() {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }
            }
            // Store an interesting 64-bit value on an 8-byte boundary of the headers.
            2 => {
                let at = rng.below(header_len / 8) * 8;
                let v = INTERESTING[rng.below(INTERESTING.len())];
                if at + 8 <= bytes.len() {
                    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
                }
            }
            // Store a small 16-bit value (counts and sizes) at an even header offset.
            3 => {
                let at = rng.below(header_len / 2) * 2;
                let v = rng.below(80) as u16;
                if at + 2 <= bytes.len() {
                    bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
                }
            }
            // Truncate.
            _ => {
                let len = rng.below(bytes.len() + 1);
                bytes.truncate(len);
            }
        }
    }
}

/// The promises an accepted image makes to the loader.
fn check_invariants(img: &ExecImage, file_len: usize) {
    assert!(!img.segments.is_empty());
    for s in &img.segments {
        assert!(s.filesz <= s.memsz);
        assert!(s.offset.checked_add(s.filesz).unwrap() <= file_len as u64);
        assert!(s.vaddr.checked_add(s.memsz).unwrap() <= USER_END);
        assert_eq!(s.vaddr % 4096, s.offset % 4096);
    }
    for pair in img.segments.windows(2) {
        assert!(pair[0].end() <= pair[1].vaddr);
    }
    assert!(img
        .segments
        .iter()
        .any(|s| s.flags.execute && s.vaddr <= img.entry && img.entry < s.end()));
    if let Some(tls) = img.tls {
        assert!(tls.filesz <= tls.memsz);
        assert!(tls.offset + tls.filesz <= file_len as u64);
    }
}

fn run(base: &Builder, seed: u64, rounds: usize) -> (usize, usize) {
    let original = base.build();
    let header_len = 64 + base.phdrs.len() * 56;
    let limits = Limits::default();
    let mut rng = Rng(seed);
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..rounds {
        let mut bytes = original.clone();
        mutate(&mut rng, &mut bytes, header_len);
        match parse_executable(&bytes, &limits) {
            Ok(img) => {
                check_invariants(&img, bytes.len());
                accepted += 1;
            }
            Err(e) => {
                assert!(!e.message().is_empty());
                rejected += 1;
            }
        }
    }
    (accepted, rejected)
}

#[test]
fn mutated_static_images_never_panic() {
    let (ok, err) = run(&Builder::static_exe(), 0x9e37_79b9_7f4a_7c15, 30_000);
    assert!(ok > 100 && err > 100, "ok {ok}, err {err}");
}

#[test]
fn mutated_pie_images_never_panic() {
    let (ok, err) = run(&Builder::pie(), 0x2545_f491_4f6c_dd1d, 30_000);
    assert!(ok > 100 && err > 100, "ok {ok}, err {err}");
}

#[test]
fn random_bytes_after_a_valid_magic_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let len = rng.below(600);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if len >= 8 {
            bytes[..8].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
        }
        let _ = parse_executable(&bytes, &Limits::default());
    }
}
