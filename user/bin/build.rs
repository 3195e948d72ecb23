//! Link every program freestanding, at 0x400000, with ulib's start code as the entry.
//! These arguments apply to this package's binaries only; host checks never link them.
//!
//! Two programs link differently (docs/linking.md): `ld-dinos`, the native dynamic
//! linker, is static too but placed at 0x7e00_0000_0000 (its own linker script, made
//! here from `user.ld`), far from the programs it loads; `hello-dyn` is linked
//! dynamically against `libdemo.so` (built by the xtask into `target/user/lib`, or
//! `DINOS_USER_LIB_DIR`), with `/lib/ld-dinos.so` as its interpreter and the
//! linker's default script, which makes the `PT_INTERP` and `PT_DYNAMIC` segments.
use std::path::PathBuf;

/// Where the interpreter of dynamically linked native programs is.
const INTERPRETER: &str = "/lib/ld-dinos.so";
/// Where the dynamic linker is placed.
const LD_BASE: &str = "0x7e0000000000";

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=user.ld");
    // A new program is a new `[[bin]]` entry: the list below is made again then.
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-env-changed=DINOS_USER_LIB_DIR");
    let common = [
        "-nostartfiles",
        "-nostdlib",
        "-Wl,--no-pie",
        "-Wl,--build-id=none",
    ];
    let script = std::fs::read_to_string(format!("{dir}/user.ld")).unwrap();
    let ld_script = out.join("ld-dinos.ld");
    std::fs::write(&ld_script, script.replacen("0x400000", LD_BASE, 1)).unwrap();
    let lib_dir = std::env::var("DINOS_USER_LIB_DIR")
        .unwrap_or_else(|_| format!("{dir}/../../target/user/lib"));
    for name in bins(&dir) {
        let mut args: Vec<String> = common.iter().map(|s| s.to_string()).collect();
        match name.as_str() {
            "hello-dyn" => {
                println!("cargo:rerun-if-changed={lib_dir}/libdemo.so");
                args.extend([
                    format!("-Wl,--dynamic-linker={INTERPRETER}"),
                    "-Wl,--no-as-needed".into(),
                    // rustc asks for `-z now`; the PLT is bound on first call instead
                    // (lazy binding; LD_BIND_NOW=1 binds it at start).
                    "-Wl,-z,lazy".into(),
                    // libdemo's `__tls_get_addr` is the dynamic linker's own, in no
                    // library the link sees.
                    "-Wl,--allow-shlib-undefined".into(),
                    format!("-L{lib_dir}"),
                    "-ldemo".into(),
                ]);
            }
            "ld-dinos" => args.extend([
                "-static".into(),
                "-Wl,--gc-sections".into(),
                format!("-Wl,-T,{}", ld_script.display()),
            ]),
            _ => args.extend([
                "-static".into(),
                "-Wl,--gc-sections".into(),
                format!("-Wl,-T,{dir}/user.ld"),
            ]),
        }
        for a in args {
            println!("cargo:rustc-link-arg-bin={name}={a}");
        }
    }
}

/// The programs: one per file or folder under `src/bin` (as `userbuild.rs` finds them).
fn bins(dir: &str) -> Vec<String> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(format!("{dir}/src/bin"))
        .unwrap()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().join("main.rs").is_file() {
            names.push(name);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            names.push(stem.to_string());
        }
    }
    names
}
