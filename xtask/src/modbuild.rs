//! Building the loadable kernel modules (`modules/*`, one crate each) into relocatable
//! objects, `/lib/modules/NAME.ko` on the root file system (docs/modules.md).
//!
//! rustc has no "one relocatable object" crate type, so each module is built as a
//! `staticlib` (`cargo rustc --crate-type staticlib`) with the kernel's code flags
//! (`-Ccode-model=kernel -Crelocation-model=static -Cno-redzone=yes`) and
//! `--cfg=dinos_module` (which gives `kapi` its panic handler and allocator). The
//! release profile's LTO and single codegen unit merge the module, `kapi` and the
//! parts of `core`/`alloc` it uses into one object in the archive, named after the
//! crate; everything else in the archive is `compiler_builtins`, whose `memcpy` and
//! friends the kernel exports instead. That one object, with `ld -r --strip-debug`,
//! is the `.ko`: its calls into the kernel are undefined symbols for the in-kernel
//! linker to resolve.

use crate::build::TARGET;
use crate::{root, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const MODULE_RUSTFLAGS: &[&str] = &[
    "-Crelocation-model=static",
    "-Ccode-model=kernel",
    "-Cno-redzone=yes",
    "-Cforce-frame-pointers=yes",
    "--cfg=dinos_module",
];

/// The modules: every folder of `modules/` but `kapi`, as (module name, package).
/// A module's package is `mod-NAME` and its library `NAME`.
pub fn module_names() -> Result<Vec<String>> {
    let dir = root().join("modules");
    let mut names = Vec::new();
    for e in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name != "kapi" && e.path().join("Cargo.toml").is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn target_dir() -> PathBuf {
    root().join("target").join("modules")
}

fn run(c: &mut Command, what: &str) -> Result<Vec<u8>> {
    let out = c.output().map_err(|e| format!("cannot run {what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed:\n{}",
            crate::session::tail(&String::from_utf8_lossy(&out.stderr), 40)
        ));
    }
    Ok(out.stdout)
}

/// Build module `name`; returns the path of its `.ko`.
pub fn build_module(name: &str) -> Result<PathBuf> {
    let status = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["rustc", "--release", "-p", &format!("mod-{name}")])
        .args(["--target", TARGET, "--crate-type", "staticlib"])
        .arg("--target-dir")
        .arg(target_dir())
        .env("CARGO_ENCODED_RUSTFLAGS", MODULE_RUSTFLAGS.join("\x1f"))
        .env_remove("RUSTFLAGS")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "module {name} did not build (see the compiler output above)"
        ));
    }
    let out = target_dir().join(TARGET).join("release");
    let lib = out.join(format!("lib{name}.a"));
    let members = run(Command::new("ar").arg("t").arg(&lib), "ar t")?;
    let prefix = format!("{name}-");
    let member = String::from_utf8_lossy(&members)
        .lines()
        .find(|m| m.starts_with(&prefix) && m.ends_with(".o"))
        .map(str::to_string)
        .ok_or_else(|| format!("{}: no object {prefix}*.o in it", lib.display()))?;
    let obj = run(Command::new("ar").arg("p").arg(&lib).arg(&member), "ar p")?;
    let o = out.join(format!("{name}.o"));
    fs::write(&o, obj).map_err(|e| format!("{}: {e}", o.display()))?;
    let ko = out.join(format!("{name}.ko"));
    run(
        Command::new("ld")
            .args(["-r", "--strip-debug", "-o"])
            .arg(&ko)
            .arg(&o),
        "ld -r",
    )?;
    Ok(ko)
}

/// Build every module and put it in `staging/lib/modules`, with the hostile variants
/// the tests load (`modtest::stage_hostile`).
pub fn stage(staging: &Path) -> Result<()> {
    let dir = staging.join("lib").join("modules");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for name in module_names()? {
        let ko = build_module(&name)?;
        let dst = dir.join(format!("{name}.ko"));
        fs::copy(&ko, &dst).map_err(|e| format!("{}: {e}", ko.display()))?;
    }
    crate::modtest::stage_hostile(staging, &dir.join("hello.ko"))
}
