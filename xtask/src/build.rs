//! Building the kernel: the freestanding flags, and the symbol table written into the
//! image after linking.
//!
//! The only toolchain here is stable Rust for `x86_64-unknown-linux-gnu` (DESIGN.md 3).
//! The kernel is built for that target with the prebuilt `core`/`alloc`, in a target
//! directory of its own, with flags given through `CARGO_ENCODED_RUSTFLAGS` and an
//! explicit `--target`: cargo then applies them to the kernel's crates only, never to
//! build scripts or proc macros, so host builds and `cargo test` stay ordinary.

use crate::{root, Result};
use object::{Object, ObjectSection, ObjectSymbol};
use std::path::PathBuf;
use std::process::Command;

pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Flags for code that runs on the bare machine.
const KERNEL_RUSTFLAGS: &[&str] = &[
    "-Crelocation-model=static",
    "-Ccode-model=kernel",
    "-Cno-redzone=yes",
    "-Cforce-frame-pointers=yes",
    "--cfg=dinos_kernel",
];

/// Which kernel: the ordinary one, or the one with the lock-order checker compiled in
/// (`--cfg=dinos_lockcheck`, kernel/hal/src/lockcheck.rs; it costs every spinlock a
/// few instructions even when switched off, so the ordinary kernel leaves it out).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Normal,
    LockCheck,
}

/// Where kernel builds go (kept apart from host builds).
pub fn kernel_target_dir() -> PathBuf {
    root().join("target").join("kernel")
}

fn variant_target_dir(v: Variant) -> PathBuf {
    match v {
        Variant::Normal => kernel_target_dir(),
        // Its own directory: other flags would otherwise rebuild the ordinary kernel.
        Variant::LockCheck => root().join("target").join("kernel-lockcheck"),
    }
}

/// `cargo <args>` for the kernel: its target, flags and target directory.
pub fn kernel_cargo(args: &[&str]) -> Command {
    variant_cargo(args, Variant::Normal)
}

fn variant_cargo(args: &[&str], v: Variant) -> Command {
    let mut flags = KERNEL_RUSTFLAGS.to_vec();
    if v == Variant::LockCheck {
        flags.push("--cfg=dinos_lockcheck");
    }
    let mut c = Command::new(env!("CARGO"));
    c.current_dir(root())
        .args(args)
        .args(["--release", "-p", "kernel", "--target", TARGET])
        .arg("--target-dir")
        .arg(variant_target_dir(v))
        .env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"))
        .env_remove("RUSTFLAGS");
    c
}

/// Build the kernel ELF and write its symbol table into it. Returns the image path.
pub fn build_kernel() -> Result<PathBuf> {
    build_kernel_variant(Variant::Normal)
}

/// Build a kernel variant (see [`Variant`]).
pub fn build_kernel_variant(v: Variant) -> Result<PathBuf> {
    let status = variant_cargo(&["build"], v)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the kernel did not build (see the compiler output above)".into());
    }
    let elf = variant_target_dir(v)
        .join(TARGET)
        .join("release")
        .join("kernel");
    write_ksyms(&elf)?;
    Ok(elf)
}

/// Fill the `.ksyms` blob (see kernel/hal/src/symbols.rs) with the image's function
/// and named data symbols, demangled, sorted by address.
fn write_ksyms(elf: &std::path::Path) -> Result<()> {
    let mut data = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let (offset, capacity, syms) = {
        let file = object::File::parse(&*data).map_err(|e| format!("kernel ELF: {e}"))?;
        let section = file
            .section_by_name(".rodata")
            .ok_or("kernel ELF has no .rodata")?;
        let blob = file
            .symbols()
            .find(|s| s.name() == Ok("dinos_ksyms"))
            .ok_or("kernel ELF has no dinos_ksyms symbol")?;
        let (sec_off, _) = section.file_range().ok_or(".rodata has no file data")?;
        let offset = sec_off + (blob.address() - section.address());
        let capacity = blob.size().max(4) as usize;
        let mut syms: Vec<(u64, u32, String)> = file
            .symbols()
            // Functions (backtraces, the profiler) and named statics (the locks the
            // lock-order checker reports, the heap tracker's containers).
            .filter(|s| {
                s.address() != 0
                    && (s.kind() == object::SymbolKind::Text
                        || (s.kind() == object::SymbolKind::Data
                            && s.size() > 0
                            && !s.name().unwrap_or("").starts_with("anon.")))
            })
            .filter_map(|s| {
                let name = s.name().ok()?;
                let pretty = format!("{:#}", rustc_demangle::demangle(name));
                Some((s.address(), s.size() as u32, pretty))
            })
            .collect();
        syms.sort_by_key(|s| s.0);
        syms.dedup_by_key(|s| s.0);
        (offset as usize, capacity, syms)
    };
    let mut strtab = Vec::new();
    let mut entries = Vec::new();
    for (addr, size, name) in &syms {
        let name = &name.as_bytes()[..name.len().min(u16::MAX as usize)];
        entries.extend_from_slice(&addr.to_le_bytes());
        entries.extend_from_slice(&size.to_le_bytes());
        entries.extend_from_slice(&(strtab.len() as u32).to_le_bytes());
        strtab.extend_from_slice(&(name.len() as u16).to_le_bytes());
        strtab.extend_from_slice(name);
    }
    let strtab_off = 16 + entries.len();
    let used = strtab_off + strtab.len();
    if used > capacity {
        return Err(format!(
            "kernel symbols need {used} bytes but .ksyms holds {capacity}: \
             raise KSYMS_CAPACITY in kernel/hal/src/symbols.rs"
        ));
    }
    let mut blob = Vec::with_capacity(used);
    blob.extend_from_slice(b"KSYM");
    blob.extend_from_slice(&(syms.len() as u32).to_le_bytes());
    blob.extend_from_slice(&(strtab_off as u32).to_le_bytes());
    blob.extend_from_slice(&(used as u32).to_le_bytes());
    blob.extend_from_slice(&entries);
    blob.extend_from_slice(&strtab);
    data[offset..offset + blob.len()].copy_from_slice(&blob);
    std::fs::write(elf, data).map_err(|e| format!("{}: {e}", elf.display()))
}
