//! `/lib/ld-dinos.so`: the native dynamic linker (chapter 2 section 5: linking at load
//! time; docs/linking.md).
//!
//! The kernel's `exec` maps a dynamically linked program and this interpreter, and
//! starts here with the program's initial stack, whose auxiliary vector says where the
//! program is (`AT_PHDR`, `AT_ENTRY`, `AT_EXECFN`). The linker then
//! 1. reads the program's dynamic section from its file (the parts it needs, not the
//!    whole file: `dynload::Parts`): the libraries it needs
//!    (`DT_NEEDED`), where to look (`DT_RUNPATH`), its symbols and relocations;
//! 2. loads each library, breadth first, once: reserves its span of addresses with an
//!    anonymous mapping, maps each `PT_LOAD` segment from the file over it
//!    (`MAP_PRIVATE|MAP_FIXED`: text pages are the page cache's, shared with every
//!    process using the library; data pages are copied on write) and zeroes the
//!    `.bss`;
//! 3. gives each object with thread-local storage (`PT_TLS`) a module id and a block
//!    below the thread pointer;
//! 4. relocates every object, libraries and program: `RELATIVE` (base + addend),
//!    `GLOB_DAT` (the symbol's address), `64` (symbol + addend), `COPY`, and the TLS
//!    ones (`TPOFF64`: a variable's offset from the thread pointer; `DTPMOD64` and
//!    `DTPOFF64`: the module id and offset `__tls_get_addr` takes); a symbol is looked
//!    for in the program, then the libraries in load order. The PLT's `JUMP_SLOT`s are
//!    bound lazily, each at its first call through the resolver stub behind `GOT[2]`,
//!    unless `LD_BIND_NOW` is set (not empty) or the object was linked `-z now`;
//! 5. maps the first thread's TLS area (a copy of each template, then the control
//!    block `%fs` points at);
//! 6. jumps to the program's entry with the initial stack, as if the kernel had.
//!
//! A library that is nowhere or a symbol no object defines ends the program, exit
//! status 127, with a message naming it and who needed it: at start, or for a lazily
//! bound function at its first call.
//!
//! Design decisions: the linker is an ordinary native program linked at a fixed
//! address (0x7e00_0000_0000, `user/bin/build.rs`), so it needs no relocation of its
//! own (a Rust `static-pie` would have to relocate itself before touching any global,
//! which Rust does not promise to allow). Everything it reads (headers, symbols,
//! relocations) comes from the files, with every offset checked, in safe code; the
//! only `unsafe` is writing into the images it mapped and the final jump, through
//! `ulib::dl`. The machinery is `user/bin/src/dynload.rs`, which `dlopen` shares.
//! Symbols are looked up in each object's `DT_GNU_HASH` table (`dynload::GnuHash`).
//! The objects stay in this linker's heap for the resolver, which allocates nothing
//! (the heap beyond is the program's).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

#[path = "../dynload.rs"]
mod dynload;

ulib::entry!(main);

use alloc::format;
use ulib::abi::auxv::{AT_ENTRY, AT_EXECFN, AT_PHDR};

fn die(msg: &str) -> ! {
    ulib::eprintln!("ld-dinos: {msg}");
    ulib::process::exit(127)
}

fn main() -> i32 {
    let (Some(path), Some(entry), Some(phdr)) = (
        ulib::dl::auxv_str(AT_EXECFN),
        ulib::dl::auxv(AT_ENTRY),
        ulib::dl::auxv(AT_PHDR),
    ) else {
        die("no program to link (run as the interpreter a program names)");
    };
    let file = ulib::fs::File::open(&path).unwrap_or_else(|e| die(&format!("{path}: {e}")));
    let (_, mut program, phdr_vaddr) = dynload::parse(&path, &file)
        .unwrap_or_else(|| die(&format!("{path}: not a valid ELF program")));
    if entry == ulib_entry() {
        die("run as the interpreter a program names, not as a program");
    }
    // A position-independent program's base: where its program headers are, less
    // where it says they are.
    program.base = phdr_vaddr.map_or(0, |v| phdr.wrapping_sub(v));
    let bind_now = ulib::env::var("LD_BIND_NOW").is_some_and(|v| !v.is_empty());
    let objects = dynload::load_all(program, true, !bind_now).unwrap_or_else(|e| die(&e));
    let sp = ulib::dl::initial_sp();
    if bind_now {
        drop(objects);
    } else {
        dynload::bind_lazily(alloc::boxed::Box::leak(objects.into_boxed_slice()));
    }
    start(entry, sp)
}

/// Hand the process to the program.
#[allow(unsafe_code)]
fn start(entry: u64, sp: u64) -> ! {
    // SAFETY: `entry` is the program's entry (`AT_ENTRY`, from the kernel) and `sp`
    // the initial stack the kernel built for it; every object it needs is mapped and
    // relocated, and this linker uses nothing of its own afterwards.
    unsafe { ulib::dl::start_program(entry, sp) }
}

/// This linker's own entry (a program whose `AT_ENTRY` is it was not linked by it).
fn ulib_entry() -> u64 {
    extern "C" {
        fn _start();
    }
    _start as *const () as usize as u64
}
