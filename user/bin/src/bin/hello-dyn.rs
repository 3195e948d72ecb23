//! `hello-dyn`: a native program linked dynamically against `libdemo.so`
//! (user/ld/libdemo.c), so its start goes through `/lib/ld-dinos.so`, the native
//! dynamic linker (chapter 2 section 5; docs/linking.md). What it prints shows each
//! kind of relocation the linker applied: calls through the program's PLT
//! (`JUMP_SLOT`), the library's string table (`RELATIVE`), its global counter
//! (`GLOB_DAT`) and its table of function pointers (`64`), and its thread-local
//! variables (`TPOFF64`, `DTPMOD64`/`DTPOFF64` through `__tls_get_addr`).
//!
//! `hello-dyn unused` also calls `demo_unused`, which the plain run never calls (so
//! under lazy binding a copy naming a missing symbol there runs to the end);
//! `hello-dyn maps` prints the rights and file of each mapping of a shared object
//! (`.so`) in `/proc/self/maps`; `hello-dyn threads` calls `demo_tls` in two new
//! threads, one after the other, and in this one again: each thread has its own copy
//! of the library's thread-local variables, starting from their initial values.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

extern "C" {
    fn demo_add(a: i64, b: i64) -> i64;
    fn demo_mul(a: i64, b: i64) -> i64;
    fn demo_apply(op: i64, a: i64, b: i64) -> i64;
    fn demo_count() -> i64;
    fn demo_name(n: i64, buf: *mut u8, len: i64) -> i64;
    fn demo_tls(add: i64) -> i64;
    fn demo_unused(x: i64) -> i64;
}

/// The library's name for `n`, through a buffer it fills.
#[allow(unsafe_code)]
fn name(n: i64) -> alloc::string::String {
    let mut buf = [0u8; 16];
    // SAFETY: libdemo's `demo_name` writes at most `len` bytes into `buf` and returns
    // how many (or -1); it keeps no pointer.
    let len = unsafe { demo_name(n, buf.as_mut_ptr(), buf.len() as i64) };
    let len = usize::try_from(len).unwrap_or(0).min(buf.len());
    alloc::string::String::from_utf8_lossy(&buf[..len]).into_owned()
}

#[allow(unsafe_code)]
fn main() -> i32 {
    ulib::println!("hello from a dynamically linked dinos program");
    // SAFETY (each call below): libdemo's functions take and return integers only.
    let (sum, product) = unsafe { (demo_add(2, 3), demo_mul(6, 7)) };
    ulib::println!("demo_add(2, 3) = {sum}");
    ulib::println!("demo_mul(6, 7) = {product}");
    let (applied, multiplied) = unsafe { (demo_apply(0, 40, 2), demo_apply(1, 4, 5)) };
    ulib::println!("demo_apply(add, 40, 2) = {applied}, demo_apply(mul, 4, 5) = {multiplied}");
    ulib::println!("names: {} {} {}", name(1), name(2), name(3));
    ulib::println!("library calls counted: {}", unsafe { demo_count() });
    let (one, ten) = unsafe { (demo_tls(1), demo_tls(10)) };
    ulib::println!("thread-local: demo_tls(1) = {one}, demo_tls(10) = {ten}");
    for arg in ulib::env::args().skip(1) {
        match arg.as_str() {
            "unused" => ulib::println!("demo_unused(41) = {}", unsafe { demo_unused(41) }),
            "maps" => maps(),
            "threads" => threads(),
            _ => {}
        }
    }
    0
}

/// `demo_tls(add)` on a new thread (joined before it returns): its result there.
fn on_thread(add: i64) -> i64 {
    let got = alloc::sync::Arc::new(core::sync::atomic::AtomicI64::new(-1));
    let put = got.clone();
    #[allow(unsafe_code)]
    let job = move || {
        // SAFETY: libdemo's `demo_tls` takes and returns an integer.
        put.store(
            unsafe { demo_tls(add) },
            core::sync::atomic::Ordering::SeqCst,
        );
    };
    match ulib::thread::spawn(job) {
        Ok(t) => t.join(),
        Err(e) => ulib::eprintln!("hello-dyn: cannot start a thread: {e}"),
    }
    got.load(core::sync::atomic::Ordering::SeqCst)
}

/// Thread-local variables on three threads: each its own.
#[allow(unsafe_code)]
fn threads() {
    let (first, second) = (on_thread(1), on_thread(10));
    // SAFETY: as in `main`.
    let here = unsafe { demo_tls(1) };
    ulib::println!(
        "threads: demo_tls(1) = {first}, demo_tls(10) = {second}, here demo_tls(1) = {here}"
    );
}

/// The mappings of shared objects, from `/proc/self/maps`: rights and path.
fn maps() {
    let text = ulib::fs::read("/proc/self/maps").unwrap_or_default();
    for line in alloc::string::String::from_utf8_lossy(&text).lines() {
        let fields: alloc::vec::Vec<&str> = line.split_whitespace().collect();
        if let (Some(rights), Some(path)) = (fields.get(1), fields.get(5)) {
            if path.ends_with(".so") {
                ulib::println!("{rights} {path}");
            }
        }
    }
}
