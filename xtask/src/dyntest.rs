//! Dynamically linked programs on dinos, tested against the host (docs/linking.md).
//!
//! [`stage`] puts into the root image what dynamic programs need: the host's glibc
//! dynamic loader and the libraries three Debian programs use (found with `ldd`, at
//! the paths `ldd` gives: `/lib64/ld-linux-x86-64.so.2`, `/lib/x86_64-linux-gnu/...`),
//! those programs themselves (`/usr/bin/ls`, `grep`, `sort` as `/linux/gnu/NAME`),
//! musl's dynamic loader (`/lib/ld-musl-x86_64.so.1`) and a musl program linked
//! against it (`/linux/tests/hello-musl-dyn`). The tests boot dinos and compare what
//! the programs print with what the *same binaries* print on the host for the same
//! input, and check that a missing or malformed interpreter is refused with a message
//! that names it, the kernel alive afterwards.
//!
//! Design decision: the libraries are the host's own files, copied, never rebuilt:
//! the point is that unmodified Linux binaries and their unmodified loader run, so
//! whatever system call they make that dinos lacks shows up here by name.

use crate::linuxtest::{compare, guest, host_program, staging};
use crate::session::Session;
use crate::Result;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

type DynTest = fn(&Path) -> Result<()>;

/// The tests, wired into `cargo xtask test` by `test.rs`.
pub const DYN_TESTS: &[(&str, DynTest)] = &[
    (
        "dyn::linux_dynamic_programs_print_what_they_print_on_linux",
        linux_dynamic,
    ),
    (
        "dyn::debian_ls_grep_sort_print_what_they_print_on_linux",
        debian_tools,
    ),
    (
        "dyn::a_missing_or_malformed_interpreter_is_refused_by_name",
        bad_interpreters,
    ),
    ("dyn::ldd_lists_what_the_host_ldd_lists", ldd_lists),
    (
        "dyn::pie_programs_and_their_loader_move_on_every_run",
        randomised,
    ),
    ("dyn::native_hello_dyn_runs_through_ld_dinos", native_hello),
    ("dyn::plugins_are_loaded_and_unloaded_at_run_time", plugins),
    (
        "dyn::ld_dinos_binds_tls_and_plt_lazily_or_now",
        tls_and_lazy,
    ),
    (
        "dyn::dlopen_maps_a_library_once_and_names_it_in_maps",
        dlopen_shared,
    ),
    (
        "dyn::native_dynamic_start_up_is_at_most_2_75x_static",
        start_up,
    ),
    (
        "dyn::each_native_thread_has_its_own_thread_local_variables",
        thread_tls,
    ),
];

/// The Debian programs run dynamically, from the host's `/usr/bin`.
const GNU_PROGRAMS: &[&str] = &["ls", "grep", "sort"];

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let st = cmd
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({st})"))
    }
}

/// The files `ldd` says `program` loads: (the path the loader opens, the real file).
fn needed_files(program: &Path) -> Result<Vec<(String, PathBuf)>> {
    let out = Command::new("ldd")
        .arg(program)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run ldd: {e}"))?;
    if !out.status.success() {
        return Err(format!("ldd {} failed", program.display()));
    }
    let mut files = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
        // "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file.
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            let real = fs::canonicalize(p).map_err(|e| format!("{p}: {e}"))?;
            files.push((p.to_string(), real));
        }
    }
    Ok(files)
}

/// Copy `real` to `guest_path` under `staging` (once).
fn install(staging: &Path, guest_path: &str, real: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dst = staging.join(guest_path.trim_start_matches('/'));
    if dst.exists() {
        return Ok(());
    }
    if let Some(dir) = dst.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::copy(real, &dst).map_err(|e| format!("{}: {e}", real.display()))?;
    fs::set_permissions(&dst, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", dst.display()))
}

/// Where `libdemo.so` is built (`user/bin/build.rs` links `hello-dyn` against it).
fn lib_dir() -> PathBuf {
    crate::userbuild::user_target_dir().join("lib")
}

/// Build `user/ld/libdemo.c` as `target/user/lib/libdemo.so`: position-independent,
/// no C library (the native programs have none), a SysV hash table beside GNU's.
pub fn build_libdemo() -> Result<()> {
    let dir = lib_dir();
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    run(
        Command::new("gcc")
            .args([
                "-shared",
                "-fPIC",
                "-O2",
                "-Wall",
                "-nostdlib",
                "-ffreestanding",
                "-fno-stack-protector",
                "-Wl,--hash-style=both",
                "-Wl,-soname,libdemo.so",
                "-o",
            ])
            .arg(dir.join("libdemo.so.new"))
            .arg(crate::root().join("user/ld/libdemo.c")),
        "gcc -shared libdemo.c",
    )?;
    // Replaced only when it changed: `hello-dyn`'s build script watches the file, and
    // a new date would relink every program.
    let (new, old) = (dir.join("libdemo.so.new"), dir.join("libdemo.so"));
    if fs::read(&new).ok() != fs::read(&old).ok() {
        fs::rename(&new, &old).map_err(|e| format!("{}: {e}", old.display()))?;
    } else {
        let _ = fs::remove_file(&new);
    }
    // The plugins `plugins` loads at run time; triple.so needs libdemo.so.
    fs::create_dir_all(dir.join("plugins")).map_err(|e| format!("{}: {e}", dir.display()))?;
    for name in PLUGINS {
        run(
            Command::new("gcc")
                .args([
                    "-shared",
                    "-fPIC",
                    "-O2",
                    "-Wall",
                    "-nostdlib",
                    "-ffreestanding",
                    "-fno-stack-protector",
                    "-o",
                ])
                .arg(dir.join(format!("plugins/{name}.so")))
                .arg(crate::root().join(format!("user/ld/plugins/{name}.c")))
                .arg(format!("-L{}", dir.display()))
                .arg("-ldemo"),
            &format!("gcc -shared {name}.c"),
        )?;
    }
    Ok(())
}

/// The plugins (`user/ld/plugins/NAME.c`, installed as `/lib/plugins/NAME.so`).
const PLUGINS: &[&str] = &["square", "triple"];

/// `bytes` with the first `from` (a NUL-terminated name in the dynamic string table,
/// which comes before any other string table) renamed `to`, of the same length.
fn renamed(bytes: &[u8], from: &str, to: &str) -> Result<Vec<u8>> {
    let needle = format!("{from}\0");
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .ok_or_else(|| format!("no {from} in the file"))?;
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to.as_bytes());
    Ok(out)
}

/// The native dynamic linker, its library, and programs that need what is not there.
fn stage_native(staging: &Path) -> Result<()> {
    let lib = staging.join("lib");
    fs::create_dir_all(lib.join("dyntest")).map_err(|e| format!("{}: {e}", lib.display()))?;
    install(
        staging,
        "/lib/ld-dinos.so",
        &staging.join("bin/ld-dinos"),
        0o755,
    )?;
    install(
        staging,
        "/lib/libdemo.so",
        &lib_dir().join("libdemo.so"),
        0o755,
    )?;
    for name in PLUGINS {
        let p = format!("plugins/{name}.so");
        install(staging, &format!("/lib/{p}"), &lib_dir().join(&p), 0o755)?;
    }
    let hello = fs::read(staging.join("bin/hello-dyn")).map_err(|e| format!("hello-dyn: {e}"))?;
    install_bytes(
        &lib.join("dyntest/hello-dyn-nolib"),
        &renamed(&hello, "libdemo.so", "libdemx.so")?,
    )?;
    install_bytes(
        &lib.join("dyntest/hello-dyn-nosym"),
        &renamed(&hello, "demo_mul", "demo_mux")?,
    )?;
    // A symbol the plain run never calls: lazy binding never looks for it.
    install_bytes(
        &lib.join("dyntest/hello-dyn-nounused"),
        &renamed(&hello, "demo_unused", "demo_unusex")?,
    )?;
    Ok(())
}

/// Put the Linux dynamic loaders, libraries and programs under `staging` (called by
/// `make_rootfs` after `linuxtest::stage`, whose `/linux/tests` it adds to).
pub fn stage(staging: &Path) -> Result<()> {
    stage_native(staging)?;
    for name in GNU_PROGRAMS {
        let program = Path::new("/usr/bin").join(name);
        for (guest_path, real) in needed_files(&program)? {
            install(staging, &guest_path, &real, 0o755)?;
        }
        install(staging, &format!("/linux/gnu/{name}"), &program, 0o755)?;
    }
    // musl's loader is its C library: one file, named by the programs musl-gcc links.
    let musl = fs::canonicalize("/lib/ld-musl-x86_64.so.1")
        .map_err(|e| format!("/lib/ld-musl-x86_64.so.1: {e}: install musl (musl-tools)"))?;
    install(staging, "/lib/ld-musl-x86_64.so.1", &musl, 0o755)?;
    let src = crate::root().join("user/linux-tests/hello.c");
    run(
        Command::new("musl-gcc")
            .args(["-O2", "-Wall", "-o"])
            .arg(staging.join("linux/tests/hello-musl-dyn"))
            .arg(&src),
        "musl-gcc (dynamic) hello.c",
    )?;
    // Interpreters that must be refused: a truncated copy of musl's loader, one that
    // is not ELF, a program whose interpreter does not exist.
    let bad = staging.join("linux/bad");
    fs::create_dir_all(&bad).map_err(|e| format!("{}: {e}", bad.display()))?;
    let loader = fs::read(&musl).map_err(|e| format!("{}: {e}", musl.display()))?;
    fs::write(bad.join("ld-trunc.so"), &loader[..100]).map_err(|e| e.to_string())?;
    fs::write(bad.join("ld-text.so"), "#!/bin/sh\necho not a loader\n")
        .map_err(|e| e.to_string())?;
    let hello = fs::read(staging.join("linux/tests/hello-musl-dyn")).map_err(|e| e.to_string())?;
    // A glibc program that needs a library no one has (its DT_NEEDED renamed).
    let mut lost =
        fs::read(staging.join("linux/tests/hello-dynamic")).map_err(|e| e.to_string())?;
    let at = lost
        .windows(10)
        .position(|w| w == b"libc.so.6\0")
        .ok_or("hello-dynamic does not name libc.so.6")?;
    lost[at + 3] = b'q';
    install_bytes(&bad.join("needs-libq"), &lost)?;
    for (name, interp) in [
        ("no-interp", "/lib/ld-nowhere.so.1"),
        ("trunc-interp", "/linux/bad/ld-trunc.so"),
        ("text-interp", "/linux/bad/ld-text.so"),
        ("self-interp", "/linux/bad/self-interp"),
    ] {
        let program = with_interpreter(&hello, interp)?;
        install_bytes(&bad.join(name), &program)?;
    }
    Ok(())
}

fn install_bytes(dst: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::write(dst, bytes).map_err(|e| format!("{}: {e}", dst.display()))?;
    fs::set_permissions(dst, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", dst.display()))
}

/// `program` (an ELF executable with a `PT_INTERP`) with its interpreter path
/// replaced by `interp`, written over the old one (which must be long enough).
fn with_interpreter(program: &[u8], interp: &str) -> Result<Vec<u8>> {
    let u64_at = |o: usize| u64::from_le_bytes(program[o..o + 8].try_into().unwrap());
    let u16_at = |o: usize| u16::from_le_bytes([program[o], program[o + 1]]) as usize;
    let (phoff, phentsize, phnum) = (u64_at(32) as usize, u16_at(54), u16_at(56));
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if program[ph..ph + 4] == 3u32.to_le_bytes() {
            let (off, size) = (u64_at(ph + 8) as usize, u64_at(ph + 32) as usize);
            if interp.len() + 1 > size {
                return Err(format!("interpreter path {interp} longer than the slot"));
            }
            let mut out = program.to_vec();
            out[off..off + size].fill(0);
            out[off..off + interp.len()].copy_from_slice(interp.as_bytes());
            // The segment's size is the new path's (with its NUL).
            out[ph + 32..ph + 40].copy_from_slice(&(interp.len() as u64 + 1).to_le_bytes());
            out[ph + 40..ph + 48].copy_from_slice(&(interp.len() as u64 + 1).to_le_bytes());
            return Ok(out);
        }
    }
    Err("the program has no PT_INTERP".into())
}

fn boot(kernel: &Path) -> Result<Session> {
    Session::boot_shell(&crate::test::shell_machine(kernel))
}

/// glibc's and musl's `hello`, dynamically linked, against the host's run.
fn linux_dynamic(kernel: &Path) -> Result<()> {
    let tests = staging().join("linux/tests");
    let mut s = boot(kernel)?;
    for name in ["hello-dynamic", "hello-musl-dyn"] {
        let want = host_program(&tests.join(name), &["x", "y z"], &[("LT_A", "1")])?;
        let got = guest(
            &mut s,
            &format!("LT_A=1 /linux/tests/{name} x 'y z'; echo status $?"),
        )?;
        compare(name, &want, &got)?;
    }
    s.run_line("echo al''ive", &["alive"])?;
    Ok(())
}

/// What the Debian programs print for the same input files, here and on the host.
const GNU_CASES: &[&str] = &[
    "ls",
    "ls -a sub",
    "ls -l words table",
    "ls -1 -r",
    "grep -n apple words",
    "grep -c fig words",
    "grep -r -i pattern sub",
    "grep -E '^(ap|fi)' words",
    "sort words",
    "sort -r -u words",
    "sort -t: -k3 -n table",
];

fn debian_tools(kernel: &Path) -> Result<()> {
    let data = staging().join("linux/data");
    let mut s = boot(kernel)?;
    s.run_line("cd /linux/data", &[])?;
    let mut failures = Vec::new();
    for case in GNU_CASES {
        let (prog, args) = case.split_once(' ').unwrap_or((case, ""));
        // The same binary, arguments and directory on both sides, no locale, the
        // output into a file (not a terminal), then its exit status.
        let line = |path: &str, out: &str| {
            format!("{path} {args} > {out} 2>&1; echo status $? >> {out}; cat {out}; rm {out}")
        };
        let host_out = std::env::temp_dir().join(format!("dinos-dyn-{}", std::process::id()));
        let out = Command::new("/bin/sh")
            .args([
                "-c",
                &line(&format!("/usr/bin/{prog}"), &host_out.display().to_string()),
            ])
            .current_dir(&data)
            .env_clear()
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {prog} on the host: {e}"))?;
        let want = String::from_utf8_lossy(&out.stdout).into_owned();
        let got = guest(&mut s, &line(&format!("/linux/gnu/{prog}"), "/tmp/dyn.out"))?;
        if let Err(e) = compare(case, &want, &got) {
            failures.push(e);
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

fn bad_interpreters(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    for (prog, message) in [
        ("no-interp", "interpreter /lib/ld-nowhere.so.1: not found"),
        (
            "trunc-interp",
            "interpreter /linux/bad/ld-trunc.so: not a valid ELF",
        ),
        (
            "text-interp",
            "interpreter /linux/bad/ld-text.so: not a valid ELF",
        ),
        (
            "self-interp",
            "interpreter /linux/bad/self-interp: names an interpreter",
        ),
    ] {
        let out = s.run_line(
            &format!("/linux/bad/{prog}; echo st''=$?"),
            &[message, "st="],
        )?;
        if out.contains("hello from") {
            return Err(format!("{prog} ran:\n{out}"));
        }
    }
    s.run_line(
        "/linux/tests/hello-musl-dyn",
        &["hello from a static musl program"],
    )?;
    Ok(())
}

/// The host `ldd`'s lines without load addresses and the vDSO (which dinos has not).
fn host_ldd(path: &Path) -> Result<String> {
    let out = Command::new("ldd")
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run ldd: {e}"))?;
    let mut s = String::new();
    for l in String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
    {
        if l.contains("linux-vdso") {
            continue;
        }
        let l = match l.find(" (0x") {
            Some(i) => &l[..i],
            None => l,
        };
        s.push_str(l);
        s.push('\n');
    }
    s.push_str(&format!("status {}\n", out.status.code().unwrap_or(-1)));
    Ok(s)
}

fn ldd_lists(kernel: &Path) -> Result<()> {
    let st = staging();
    let mut s = boot(kernel)?;
    for (host, guest_path) in [
        (PathBuf::from("/usr/bin/ls"), "/linux/gnu/ls"),
        (PathBuf::from("/usr/bin/grep"), "/linux/gnu/grep"),
        (
            st.join("linux/tests/hello-dynamic"),
            "/linux/tests/hello-dynamic",
        ),
        (st.join("linux/bad/needs-libq"), "/linux/bad/needs-libq"),
        (st.join("linux/tests/hello"), "/linux/tests/hello"),
    ] {
        let want = host_ldd(&host)?;
        let got = guest(&mut s, &format!("ldd {guest_path} 2>&1; echo status $?"))?;
        compare(&format!("ldd {guest_path}"), &want, &got)?;
    }
    // The loader itself names the library it cannot find.
    let out = s.run_line("/linux/bad/needs-libq; echo st''=$?", &["st="])?;
    if !out.contains("libq.so.6: cannot open shared object file") {
        return Err(format!("the missing library was not named:\n{out}"));
    }
    Ok(())
}

/// The lowest address of a dynamic `grep`'s own image (in the PIE window) and of its
/// loader's (in the interpreter window), from `/proc/self/maps` as `grep` reads it.
fn bases(s: &mut Session) -> Result<(String, String)> {
    let out = guest(s, "/linux/gnu/grep -e ^5555 -e ^7f00 /proc/self/maps")?;
    let first = |prefix: &str| {
        out.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split('-').next())
            .map(String::from)
            .ok_or_else(|| format!("no mapping at {prefix}... in\n{out}"))
    };
    Ok((first("5555")?, first("7f00")?))
}

fn randomised(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let (prog1, ld1) = bases(&mut s)?;
    let (prog2, ld2) = bases(&mut s)?;
    if prog1 == prog2 || ld1 == ld2 {
        return Err(format!(
            "the same bases twice: program {prog1} {prog2}, loader {ld1} {ld2}"
        ));
    }
    let p = u64::from_str_radix(&prog1, 16).map_err(|e| format!("{prog1}: {e}"))?;
    let l = u64::from_str_radix(&ld1, 16).map_err(|e| format!("{ld1}: {e}"))?;
    if !(0x5555_0000_0000..0x5556_0000_0000).contains(&p)
        || !(0x7f00_0000_0000..0x7f01_0000_0000).contains(&l)
    {
        return Err(format!("bases outside their windows: {p:#x} {l:#x}"));
    }
    Ok(())
}

fn native_hello(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let got = guest(&mut s, "hello-dyn; echo status $?")?;
    let want = "hello from a dynamically linked dinos program
demo_add(2, 3) = 5
demo_mul(6, 7) = 42
demo_apply(add, 40, 2) = 42, demo_apply(mul, 4, 5) = 20
names: one two three
library calls counted: 4
thread-local: demo_tls(1) = 1044, demo_tls(10) = 2064
status 0
";
    compare("hello-dyn", want, &got)?;
    let got = guest(&mut s, "ldd /bin/hello-dyn; echo status $?")?;
    compare(
        "ldd hello-dyn",
        "\tlibdemo.so => /lib/libdemo.so\n\t/lib/ld-dinos.so\nstatus 0\n",
        &got,
    )?;
    let got = guest(&mut s, "/lib/dyntest/hello-dyn-nolib; echo status $?")?;
    compare(
        "a missing library",
        "ld-dinos: /lib/dyntest/hello-dyn-nolib: cannot find library libdemx.so (needed by /lib/dyntest/hello-dyn-nolib)\nstatus 127\n",
        &got,
    )?;
    let got = guest(
        &mut s,
        "LD_BIND_NOW=1 /lib/dyntest/hello-dyn-nosym; echo status $?",
    )?;
    compare(
        "a missing symbol",
        "ld-dinos: /lib/dyntest/hello-dyn-nosym: symbol demo_mux not found (needed by /lib/dyntest/hello-dyn-nosym)\nstatus 127\n",
        &got,
    )?;
    let got = guest(&mut s, "/lib/ld-dinos.so; echo status $?")?;
    compare(
        "the linker run by itself",
        "ld-dinos: run as the interpreter a program names, not as a program\nstatus 127\n",
        &got,
    )?;
    Ok(())
}

fn plugins(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let got = guest(&mut s, "plugins square triple; echo status $?")?;
    compare(
        "plugins square triple",
        "square: squares a number: plugin_run(7) = 49\ntriple: triples a number with libdemo's demo_mul: plugin_run(7) = 21\nstatus 0\n",
        &got,
    )?;
    let got = guest(
        &mut s,
        "plugins triple nothere /lib/libdemo.so square; echo status $?",
    )?;
    compare(
        "a missing plugin and a library that is no plugin",
        "triple: triples a number with libdemo's demo_mul: plugin_run(7) = 21\nplugins: /lib/plugins/nothere.so: no such library\nplugins: /lib/libdemo.so: no plugin_run or plugin_name symbol\nsquare: squares a number: plugin_run(7) = 49\nstatus 1\n",
        &got,
    )?;
    // Loading and unloading gives every frame back: after a warm-up, 30 more rounds
    // leave the free memory where it was.
    let rounds = "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do plugins square triple > /dev/null; done";
    guest(&mut s, rounds)?;
    let before = crate::linuxtest::free_bytes(&mut s)?;
    guest(&mut s, rounds)?;
    let after = crate::linuxtest::free_bytes(&mut s)?;
    if before != after {
        return Err(format!(
            "free memory {before} -> {after} after 30 rounds of plugins"
        ));
    }
    Ok(())
}

/// What `hello-dyn` prints before its first call of `demo_mul` (made with
/// `demo_add`'s, before either result is printed).
const HELLO_DYN_HEAD: &str = "hello from a dynamically linked dinos program\n";

/// The whole of a plain `hello-dyn` run (the thread-local line as the same
/// `libdemo.so` gives it under the host's glibc loader, from a C `main` calling
/// `demo_tls(1)`, `demo_tls(10)`).
const HELLO_DYN_ALL: &str = "hello from a dynamically linked dinos program
demo_add(2, 3) = 5
demo_mul(6, 7) = 42
demo_apply(add, 40, 2) = 42, demo_apply(mul, 4, 5) = 20
names: one two three
library calls counted: 4
thread-local: demo_tls(1) = 1044, demo_tls(10) = 2064
";

/// Thread-local variables of both models, lazy binding (a missing function is only
/// looked for when called) against `LD_BIND_NOW` (every slot at start).
fn tls_and_lazy(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let nosym = "ld-dinos: /lib/dyntest/hello-dyn-nosym: symbol demo_mux not found (needed by /lib/dyntest/hello-dyn-nosym)\n";
    let got = guest(&mut s, "/lib/dyntest/hello-dyn-nosym; echo status $?")?;
    compare(
        "lazy: runs until it calls the missing demo_mux",
        &format!("{HELLO_DYN_HEAD}{nosym}status 127\n"),
        &got,
    )?;
    let got = guest(&mut s, "/lib/dyntest/hello-dyn-nounused; echo status $?")?;
    compare(
        "lazy: a missing symbol never called",
        &format!("{HELLO_DYN_ALL}status 0\n"),
        &got,
    )?;
    let unused = "ld-dinos: /lib/dyntest/hello-dyn-nounused: symbol demo_unusex not found (needed by /lib/dyntest/hello-dyn-nounused)\n";
    let got = guest(
        &mut s,
        "/lib/dyntest/hello-dyn-nounused unused; echo status $?",
    )?;
    compare(
        "lazy: the missing symbol called at the end",
        &format!("{HELLO_DYN_ALL}{unused}status 127\n"),
        &got,
    )?;
    let got = guest(
        &mut s,
        "LD_BIND_NOW=1 /lib/dyntest/hello-dyn-nounused; echo status $?",
    )?;
    compare(
        "LD_BIND_NOW: every symbol at start",
        &format!("{unused}status 127\n"),
        &got,
    )?;
    for env in ["", "LD_BIND_NOW=1 "] {
        let got = guest(&mut s, &format!("{env}hello-dyn unused; echo status $?"))?;
        compare(
            &format!("{env}hello-dyn unused"),
            &format!("{HELLO_DYN_ALL}demo_unused(41) = 42\nstatus 0\n"),
            &got,
        )?;
    }
    s.run_line("echo al''ive", &["alive"])?;
    Ok(())
}

/// `dlopen` maps a library once however often it is opened or needed, unmaps it at
/// the last `dlclose`; `/proc/PID/maps` names each mapped file.
fn dlopen_shared(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let got = guest(
        &mut s,
        "plugins -k triple triple /lib/libdemo.so square; echo status $?",
    )?;
    let (t, d, q) = (
        "/lib/plugins/triple.so x1",
        "/lib/libdemo.so x1",
        "/lib/plugins/square.so x1",
    );
    compare(
        "plugins -k",
        &format!(
            "open triple: {t}, {d}
open triple: {t}, {d}
open /lib/libdemo.so: {t}, {d}
open square: {t}, {d}, {q}
close triple (plugin_run(7) = 21): {t}, {d}, {q}
close triple (plugin_run(7) = 21): {d}, {q}
close /lib/libdemo.so: {q}
close square (plugin_run(7) = 49): nothing mapped
status 0
"
        ),
        &got,
    )?;
    // The native program's own view: the linker and its library, by path.
    let got = guest(&mut s, "hello-dyn maps | grep -c ' /lib/'")?;
    let maps = guest(&mut s, "hello-dyn maps")?;
    for want in ["r-xp /lib/libdemo.so", "r-xp /lib/ld-dinos.so"] {
        if !maps.contains(want) {
            return Err(format!("no {want:?} in hello-dyn's maps:\n{maps}"));
        }
    }
    if got.trim() == "0" || maps.contains("[file]") {
        return Err(format!("file mappings without names:\n{maps}"));
    }
    // A Linux program's: glibc's loader maps libc by its path.
    let out = guest(&mut s, "/linux/gnu/grep -c libc.so.6 /proc/self/maps")?;
    if out.trim().parse::<u32>().map_or(true, |n| n == 0) {
        return Err(format!("grep's maps do not name libc.so.6: {out}"));
    }
    Ok(())
}

/// The guest instructions of a warm run of `program` (`time -v`'s `real_ns` under
/// `-icount`: the third of three runs, the page cache holding every file).
fn warm_ns(s: &mut Session, program: &str) -> Result<u64> {
    let mut last = 0;
    for _ in 0..3 {
        // (`time` passes a leading `NAME=value` on to the program's environment.)
        let line = match program.split_once(' ') {
            Some((env, prog)) => format!("{env} time -v {prog} > /dev/null"),
            None => format!("time -v {program} > /dev/null"),
        };
        let out = s.run_line(&line, &["syscalls"])?;
        last = out
            .lines()
            .find_map(|l| l.trim().strip_prefix("real_ns "))
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| format!("no real_ns for {program} in:\n{out}"))?;
    }
    Ok(last)
}

/// Start-up of static and dynamic programs (docs/linking.md "What it costs"): the
/// figures are printed (`hello-dyn` lazily bound and with `LD_BIND_NOW=1`); the native
/// dynamic one must stay within 3x the static one.
fn start_up(kernel: &Path) -> Result<()> {
    let mut m = crate::test::shell_machine(kernel);
    m.icount = true;
    let mut s = Session::boot_shell(&m)?;
    let mut figures = Vec::new();
    for program in [
        "/bin/echo",
        "/bin/hello-dyn",
        "LD_BIND_NOW=1 /bin/hello-dyn",
        "/linux/tests/hello",
        "/linux/tests/hello-musl-dyn",
    ] {
        figures.push((program, warm_ns(&mut s, program)?));
    }
    let line: Vec<String> = figures.iter().map(|(p, n)| format!("{p} {n}")).collect();
    println!("    start-up instructions: {}", line.join(", "));
    let (echo, dynamic) = (figures[0].1, figures[1].1);
    // 2.57x on main after session 11 (docs/linking.md "What it costs"); the issue's
    // target is 2x, this bound only guards against regressions.
    if 4 * dynamic > 11 * echo {
        return Err(format!("hello-dyn takes {dynamic}, echo {echo}"));
    }
    Ok(())
}

/// `hello-dyn threads`: libdemo's `__thread` variables (general- and initial-exec
/// models, `.tdata` and `.tbss`) on two new threads start from their initial values
/// and do not touch the first thread's. The expected line is what the host's glibc
/// gives for a C `main` linked against the same `libdemo.so` doing the same calls on
/// two `pthread`s (with one `%fs` for all threads it would be 3066, 4086, 5088).
fn thread_tls(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    let threads = "threads: demo_tls(1) = 1044, demo_tls(10) = 1062, here demo_tls(1) = 3066\n";
    for env in ["", "LD_BIND_NOW=1 "] {
        let got = guest(&mut s, &format!("{env}hello-dyn threads; echo status $?"))?;
        compare(
            &format!("{env}hello-dyn threads"),
            &format!("{HELLO_DYN_ALL}{threads}status 0\n"),
            &got,
        )?;
    }
    // Many threads one after the other: each area is freed at its join (the static
    // `threads`, with no thread-local storage, is `thread::`'s).
    let got = guest(
        &mut s,
        "hello-dyn threads threads threads > /dev/null; echo status $?",
    )?;
    compare("hello-dyn threads x3", "status 0\n", &got)?;
    Ok(())
}
