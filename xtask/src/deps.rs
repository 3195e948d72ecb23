//! Host tools the xtask needs, installed on first use.
//!
//! On a fresh Debian machine `cargo xtask run` and `cargo xtask test` must just work: a
//! missing tool is installed with `apt-get` when we are root, and otherwise the exact
//! command to run is printed before anything else happens.

use crate::Result;
use std::process::Command;

/// (program, Debian package)
const TOOLS: &[(&str, &str)] = &[
    ("qemu-system-x86_64", "qemu-system-x86"),
    ("mke2fs", "e2fsprogs"),
    ("e2fsck", "e2fsprogs"),
    ("debugfs", "e2fsprogs"),
    // The reference implementations the shell and the utilities are compared with
    // (shcompare.rs, utiltest.rs).
    ("dash", "dash"),
    ("sort", "coreutils"),
    ("cmp", "diffutils"),
    ("diff", "diffutils"),
    ("sed", "sed"),
    ("tar", "tar"),
    ("mawk", "mawk"),
    ("time", "time"),
    // Reads the core files dinos writes (coretest.rs, `cargo xtask core`).
    ("gdb", "gdb"),
    // The Linux personality's programs (linuxtest.rs): Debian's static busybox and
    // the musl toolchain the C test programs are built with.
    ("busybox", "busybox-static"),
    ("musl-gcc", "musl-tools"),
    // The network tests (nettest.rs): the host's HTTP client and a static server.
    ("curl", "curl"),
    ("python3", "python3"),
];

fn have(program: &str) -> bool {
    let in_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    in_path
        || ["/usr/sbin", "/sbin"]
            .iter()
            .any(|d| std::path::Path::new(d).join(program).is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Make sure every host tool is present, installing what is missing.
pub fn ensure() -> Result<()> {
    let mut missing: Vec<&str> = TOOLS
        .iter()
        .filter(|(p, _)| !have(p))
        .map(|(_, pkg)| *pkg)
        .collect();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    install(&missing)
}

/// Debian's Linux kernel (`linux-image-amd64`) for `bench --vs-linux`: the newest
/// `/boot/vmlinuz-*`, installing the package first when there is none. Only the
/// bench asks for it, so `cargo xtask test` does not need it.
pub fn linux_kernel() -> Result<std::path::PathBuf> {
    let newest = || {
        let mut v: Vec<std::path::PathBuf> = std::fs::read_dir("/boot")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
            })
            .collect();
        v.sort();
        v.pop()
    };
    if let Some(k) = newest() {
        return Ok(k);
    }
    install(&["linux-image-amd64"])?;
    newest().ok_or_else(|| "linux-image-amd64 is installed but /boot has no vmlinuz-*".into())
}

fn install(missing: &[&str]) -> Result<()> {
    let cmd = format!("apt-get update && apt-get install -y {}", missing.join(" "));
    if !is_root() {
        return Err(format!(
            "missing host packages: {}. Install them with:\n\n    sudo sh -c '{cmd}'\n",
            missing.join(", ")
        ));
    }
    eprintln!(
        "xtask: installing {} (first run on this machine)",
        missing.join(", ")
    );
    let ok = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !ok(&["update", "-q"]) {
        eprintln!("xtask: apt-get update failed; trying the install anyway");
    }
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(missing.iter());
    if !ok(&install) {
        return Err(format!(
            "`{cmd}` failed; run it by hand and look at its errors"
        ));
    }
    Ok(())
}

/// Full path of a tool (sbin directories are not always in PATH).
pub fn tool(program: &str) -> String {
    for d in ["/usr/sbin", "/sbin"] {
        let p = std::path::Path::new(d).join(program);
        if p.is_file() {
            return p.display().to_string();
        }
    }
    program.to_string()
}
