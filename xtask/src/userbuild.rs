//! Building the user programs and the root file system they live on.
//!
//! Programs are freestanding `#![no_std]` binaries built for the host target, like the
//! kernel (see `build.rs`): flags through `CARGO_ENCODED_RUSTFLAGS` with an explicit
//! `--target` and a target directory of their own (`target/user`), so host builds and
//! `cargo test` never see them. `user/bin/build.rs` adds the link arguments and the
//! linker script (`user/bin/user.ld`: the image at 0x400000, one page-aligned segment
//! each for text, read-only data and data).
//!
//! The root file system is an ext2 image made by `mke2fs -d` from a staging folder:
//! `bin/` holds every program, `etc/` and `tmp/` come from `user/rootfs`, and `dev/` is
//! an empty mount point; the accounts (`/etc/passwd`, `group`, `shadow`, the homes and
//! their owners) come from `accounts.rs`. The kernel gets it as QEMU's `-initrd` and runs `/bin/init`.

use crate::build::TARGET;
use crate::{root, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Flags for user programs: absolute addresses (no PIE), frame pointers for
/// backtraces. The red zone stays: the kernel never writes below a user stack pointer
/// except on signal delivery, which skips it.
const USER_RUSTFLAGS: &[&str] = &["-Crelocation-model=static", "-Cforce-frame-pointers=yes"];

/// Where user builds go.
pub fn user_target_dir() -> PathBuf {
    root().join("target").join("user")
}

/// The programs: one per file or folder under `user/bin/src/bin`.
pub fn program_names() -> Result<Vec<String>> {
    let dir = root().join("user/bin/src/bin");
    let mut names = Vec::new();
    for e in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if path.is_dir() && path.join("main.rs").is_file() {
            names.push(name);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Build every user program. Returns the folder holding the binaries.
pub fn build_user() -> Result<PathBuf> {
    crate::dyntest::build_libdemo()?; // hello-dyn links against it
    let status = Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "build",
            "--release",
            "-p",
            "userbin",
            "--bins",
            "--target",
            TARGET,
        ])
        .arg("--target-dir")
        .arg(user_target_dir())
        .env("CARGO_ENCODED_RUSTFLAGS", USER_RUSTFLAGS.join("\x1f"))
        .env_remove("RUSTFLAGS")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the user programs did not build (see the compiler output above)".into());
    }
    Ok(user_target_dir().join(TARGET).join("release"))
}

/// Copy a folder tree, leaving out `.keep` placeholders.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for e in fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let e = e.map_err(|e| format!("{}: {e}", from.display()))?;
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_tree(&src, &dst)?;
        } else if e.file_name() != ".keep" {
            fs::copy(&src, &dst).map_err(|e| format!("{}: {e}", src.display()))?;
        }
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Programs installed under a second name, which they look at (`argv[0]`) to know
/// what to do: (the name, the program).
const LINKS: &[(&str, &str)] = &[("chgrp", "chown"), ("whoami", "id"), ("groups", "id")];

/// Make `target/rootfs.img` (24 MiB ext2, 1 KiB blocks) holding the programs in `bins`
/// under `/bin` and the files of `user/rootfs`. Returns the image path.
pub fn make_rootfs(bins: &Path) -> Result<PathBuf> {
    let staging = root().join("target").join("rootfs");
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| format!("{}: {e}", staging.display()))?;
    }
    copy_tree(&root().join("user/rootfs"), &staging)?;
    for dir in ["bin", "etc", "tmp", "dev", "proc"] {
        let d = staging.join(dir);
        fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        set_mode(&d, 0o755)?;
    }
    set_mode(&staging.join("tmp"), 0o1777)?;
    for name in program_names()? {
        let src = bins.join(&name);
        if !src.is_file() {
            return Err(format!(
                "{} was not built: run the user build first",
                src.display()
            ));
        }
        let dst = staging.join("bin").join(&name);
        fs::copy(&src, &dst).map_err(|e| format!("{}: {e}", src.display()))?;
        let set_uid = crate::accounts::SET_UID_ROOT.contains(&name.as_str());
        set_mode(&dst, if set_uid { 0o4755 } else { 0o755 })?;
    }

    for (name, target) in LINKS {
        let link = staging.join("bin").join(name);
        fs::hard_link(staging.join("bin").join(target), &link)
            .map_err(|e| format!("{}: {e}", link.display()))?;
    }

    crate::shcompare::install(&staging)?;
    crate::linuxtest::stage(&staging)?;
    crate::dyntest::stage(&staging)?;
    crate::modbuild::stage(&staging)?;
    crate::accounts::stage(&staging)?;

    let image = root().join("target").join("rootfs.img");
    let _ = fs::remove_file(&image); // mke2fs asks before overwriting a file system
    let out = Command::new("/usr/sbin/mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-b", "1024", "-d"])
        .arg(&staging)
        .arg(&image)
        .arg("24M")
        .output()
        .map_err(|e| format!("cannot run /usr/sbin/mke2fs ({e}): install e2fsprogs"))?;
    if !out.status.success() {
        return Err(format!(
            "mke2fs failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    crate::accounts::apply(&image)?;
    Ok(image)
}
