//! Host tests of the linker: objects assembled by the host's `as` (GNU binutils) from
//! small sources whose every relocation is known, linked at a module address, and
//! the patched bytes read back.

use crate::link::{link, Linked, Plan, Region};
use crate::object::Object;
use abi::Errno;
use std::process::Command;
use std::string::{String, ToString};
use std::vec::Vec;

const BASE: u64 = 0xffff_ffff_c000_0000;
const KAPI_LOG: u64 = 0xffff_ffff_8010_1000;

fn assemble(name: &str, src: &str) -> Vec<u8> {
    static N: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(std::format!(
        "dinos-module-test-{}-{name}-{n}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (s, o) = (dir.join("t.s"), dir.join("t.o"));
    std::fs::write(&s, src).unwrap();
    let st = Command::new("as")
        .arg("--64")
        .arg("-o")
        .arg(&o)
        .arg(&s)
        .status()
        .expect("GNU as (binutils) is needed");
    assert!(st.success(), "as failed on {src}");
    let b = std::fs::read(&o).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    b
}

fn exports(name: &str) -> Option<u64> {
    (name == "kapi_log").then_some(KAPI_LOG)
}

fn link_at(b: &[u8], base: u64) -> Result<(Plan, Linked), crate::LoadError> {
    let obj = Object::parse(b)?;
    let plan = Plan::new(&obj)?;
    let l = link(&obj, &plan, base, &exports)?;
    Ok((plan, l))
}

const GOOD: &str = "
    .text
    .globl entry
entry:
    call kapi_log@PLT
    lea msg(%rip), %rax
    movq kapi_log@GOTPCREL(%rip), %rax
    movq $msg, %rax
    ret
    .section .rodata
    .globl msg
msg: .asciz \"hi\"
    .data
    .globl ptr
ptr: .quad msg + 1
    .long entry - .
    .bss
    .globl buf
buf: .zero 64
";

fn i32_at(l: &Linked, va: u64) -> i64 {
    let b = l.bytes_at(va, 4).unwrap();
    i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64
}

#[test]
fn relocations_of_each_kind_point_where_they_should() {
    let (plan, l) = link_at(&assemble("good", GOOD), BASE).unwrap();
    let entry = l.globals["entry"];
    let msg = l.globals["msg"];
    let ptr = l.globals["ptr"];
    assert_eq!(entry, BASE, "text comes first");
    // call rel32 (PLT32): the target is the export.
    assert_eq!(l.bytes_at(entry, 1).unwrap(), [0xe8]);
    assert_eq!((entry as i64 + 5 + i32_at(&l, entry + 1)) as u64, KAPI_LOG);
    // lea msg(%rip) (PC32).
    assert_eq!((entry as i64 + 12 + i32_at(&l, entry + 8)) as u64, msg);
    // movq kapi_log@GOTPCREL(%rip) (REX_GOTPCRELX): a GOT slot holding the export.
    let slot = (entry as i64 + 19 + i32_at(&l, entry + 15)) as u64;
    assert_eq!(l.word_at(slot), Some(KAPI_LOG));
    assert!(slot >= BASE + plan.got.start as u64 && slot < BASE + plan.got.end as u64);
    // movq $msg (32S): sign-extended, so it is the full address.
    assert_eq!(i32_at(&l, entry + 22) as u64, msg);
    // .quad msg + 1 (64) and .long entry - . (PC32 in data).
    assert_eq!(l.word_at(ptr), Some(msg + 1));
    assert_eq!((ptr as i64 + 8 + i32_at(&l, ptr + 8)) as u64, entry);
    // The regions, each on its own pages, with their rights.
    assert_eq!(plan.region_at(0), Region::Text);
    assert_eq!(plan.region_at((msg - BASE) as usize), Region::RoData);
    assert_eq!(plan.region_at(plan.got.start), Region::RoData);
    assert_eq!(plan.region_at((ptr - BASE) as usize), Region::Data);
    let buf = l.globals["buf"];
    assert_eq!(plan.region_at((buf - BASE) as usize), Region::Data);
    assert!(
        l.bytes_at(buf, 64).unwrap().iter().all(|&b| b == 0),
        ".bss is zeroed"
    );
    assert_eq!(plan.size % 4096, 0);
    assert_eq!(l.image.len(), plan.size);
}

fn error_of(src: &str, base: u64) -> (Errno, String) {
    match link_at(&assemble("bad", src), base) {
        Ok(_) => panic!("linked: {src}"),
        Err(e) => (e.errno, e.msg),
    }
}

#[test]
fn an_undefined_symbol_is_refused_by_name() {
    let (e, msg) = error_of(".text\ncall kapi_nothing@PLT\n", BASE);
    assert_eq!(e, Errno::ENOENT);
    assert!(msg.contains("undefined symbol kapi_nothing"), "{msg}");
}

#[test]
fn a_relocation_type_the_linker_does_not_apply_is_refused() {
    let (e, msg) = error_of(
        ".text\nnop\n.reloc 0, R_X86_64_TPOFF64, kapi_log\n.quad 0\n",
        BASE,
    );
    assert_eq!(e, Errno::ENOEXEC);
    assert!(msg.contains("has type 18"), "{msg}");
}

#[test]
fn an_address_that_does_not_fit_32_bits_is_refused() {
    // Linked far from the kernel, the 32S reference to its own data cannot be encoded.
    let (_, msg) = error_of(
        ".text\nmovq $d, %rax\n.data\nd: .quad 0\n",
        0x0000_1000_0000_0000,
    );
    assert!(msg.contains("does not fit in 32 bits"), "{msg}");
}

#[test]
fn truncated_overlapping_and_out_of_range_files_are_refused() {
    let good = assemble("good", GOOD);
    for n in [0, 10, 63, good.len() / 2, good.len() - 1] {
        let e = Object::parse(&good[..n])
            .err()
            .expect("a truncated file parsed");
        assert!(e.msg.contains("truncated"), "{n} bytes: {}", e.msg);
    }
    let obj = Object::parse(&good).unwrap();
    let shoff = u64::from_le_bytes(good[40..48].try_into().unwrap()) as usize;
    let with_bytes: Vec<usize> = (0..obj.sections.len())
        .filter(|&i| obj.sections[i].has_file_bytes())
        .collect();
    let (a, b) = (with_bytes[1], with_bytes[2]);
    let mut bad = good.clone();
    let off = obj.sections[a].offset as u64;
    bad[shoff + b * 64 + 24..shoff + b * 64 + 32].copy_from_slice(&off.to_le_bytes());
    let msg = Object::parse(&bad).err().unwrap().msg;
    assert!(msg.contains("overlap"), "{msg}");
    let mut bad = good.clone();
    bad[shoff + a * 64 + 24..shoff + a * 64 + 32].copy_from_slice(&u64::MAX.to_le_bytes());
    let msg = Object::parse(&bad).err().unwrap().msg;
    assert!(msg.contains("runs past the end"), "{msg}");
    // The section-name table emptied and moved far away: refused, not a panic.
    let shstrndx = u16::from_le_bytes([good[62], good[63]]) as usize;
    let h = shoff + shstrndx * 64;
    let mut bad = good.clone();
    bad[h + 24..h + 32].copy_from_slice(&(1u64 << 40).to_le_bytes());
    bad[h + 32..h + 40].copy_from_slice(&0u64.to_le_bytes());
    let msg = Object::parse(&bad).err().unwrap().msg;
    assert!(msg.contains("outside the file"), "{msg}");
}

#[test]
fn a_relocation_outside_its_section_is_refused() {
    let good = assemble("good", GOOD);
    let obj = Object::parse(&good).unwrap();
    // Move the first relocation of .text past the section's end.
    let rela = obj
        .sections
        .iter()
        .find(|s| s.name == ".rela.text")
        .unwrap()
        .offset;
    let mut bad = good.clone();
    bad[rela..rela + 8].copy_from_slice(&0x1000u64.to_le_bytes());
    let msg = link_at(&bad, BASE).err().unwrap().msg;
    assert!(msg.contains("outside the section"), "{msg}");
}

#[test]
fn not_a_relocatable_x86_64_object_is_refused() {
    let mut good = assemble("good", GOOD);
    good[16] = 2; // ET_EXEC
    assert!(Object::parse(&good).err().unwrap().msg.contains("ET_REL"));
    let msg =
        Object::parse(b"#!/bin/sh\necho this is not an object file, but long enough to be read\n")
            .err()
            .unwrap()
            .msg;
    assert!(msg.contains("not a 64-bit"), "{msg}");
    let _ = "".to_string();
}

#[test]
fn random_corruptions_are_refused_or_linked_never_a_panic() {
    let good = assemble("good", GOOD);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let shoff = u64::from_le_bytes(good[40..48].try_into().unwrap()) as usize;
    let (mut refused, mut linked) = (0, 0);
    for _ in 0..5000 {
        let mut b = good.clone();
        for _ in 0..1 + next() % 4 {
            let r = next();
            // Half the hits on the section headers, where a byte matters most.
            let at = match r % 2 {
                0 => shoff + (r >> 8) as usize % (good.len() - shoff),
                _ => (r >> 8) as usize % good.len(),
            };
            b[at] = (next() & 0xff) as u8;
        }
        if next() % 8 == 0 {
            b.truncate((next() as usize) % b.len());
        }
        match link_at(&b, BASE) {
            Ok(_) => linked += 1,
            Err(_) => refused += 1,
        }
    }
    assert!(
        refused > 1000 && linked > 100,
        "{refused} refused, {linked} linked"
    );
}
