//! Putting files on an existing ext2 disk image from the host, without touching the
//! rest of it: how `cargo xtask run` keeps a user's files while the programs change.
//!
//! The persistent disk (`target/disk.img`) is made once from the root image. After
//! that, each run writes the freshly built system directories ([`SYSTEM_DIRS`]: the
//! programs in `/bin`, the shared data in `/usr`, the Linux programs in `/linux`, the
//! kernel modules in `/lib/modules`) over
//! the ones on the disk, and leaves everything else (`/root`, `/home`, `/tmp`, what a
//! user made anywhere) alone. `--copy-in HOST:GUEST` writes a host file or directory
//! the same way. The writing is `debugfs -w` from e2fsprogs (a script of `mkdir`,
//! `rm`, `write`, `symlink` and `sif` for the mode), run while QEMU is not, so the guest never sees a disk change under it; the
//! test below checks the result with `e2fsck -fn`.

use crate::Result;
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// The directories of the root image that belong to the system, rewritten each run.
pub const SYSTEM_DIRS: &[&str] = &["bin", "usr", "linux", "lib"];

/// Write the system directories of the `staging` tree (what the root image was made
/// from) onto `disk`. Returns how many files were written.
pub fn update_system(disk: &Path, staging: &Path) -> Result<usize> {
    let mut script = String::new();
    let mut files = 0;
    for dir in SYSTEM_DIRS {
        let host = staging.join(dir);
        if host.is_dir() {
            files += add_tree(disk, &mut script, &host, &format!("/{dir}"))?;
        }
    }
    run_debugfs(disk, &script)?;
    Ok(files)
}

/// `--copy-in HOST:GUEST`: write the host file or directory `spec`'s HOST as GUEST.
pub fn copy_in(disk: &Path, spec: &str) -> Result<usize> {
    let (host, guest) = spec
        .split_once(':')
        .filter(|(h, g)| !h.is_empty() && g.starts_with('/'))
        .ok_or_else(|| format!("--copy-in takes HOSTPATH:/GUESTPATH, not {spec:?}"))?;
    let host = Path::new(host);
    let mut script = String::new();
    // The parents of GUEST, made if missing (a `mkdir` of an existing one only warns).
    let mut at = String::new();
    let parts: Vec<&str> = guest.trim_end_matches('/').split('/').skip(1).collect();
    for p in &parts[..parts.len().saturating_sub(1)] {
        at.push('/');
        at.push_str(p);
        mkdir(disk, &mut script, &at)?;
    }
    let files = if host.is_dir() {
        add_tree(disk, &mut script, host, guest.trim_end_matches('/'))?
    } else if host.is_file() {
        add_file(&mut script, host, guest)?;
        1
    } else {
        return Err(format!(
            "--copy-in: {} is not a file or directory",
            host.display()
        ));
    };
    run_debugfs(disk, &script)?;
    Ok(files)
}

/// A `mkdir` line for `guest` if the disk does not have it yet. (debugfs's `mkdir` of
/// a name that exists allocates the new directory before it finds out, and leaves it
/// unconnected: e2fsck then complains, so it is never asked to.)
fn mkdir(disk: &Path, script: &mut String, guest: &str) -> Result<()> {
    let out = Command::new(crate::deps::tool("debugfs"))
        .args(["-R", &format!("stat {}", quote(guest)?)])
        .arg(disk)
        .output()
        .map_err(|e| format!("cannot run debugfs: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("Type: directory") {
        return Ok(());
    }
    if text.contains("Type: ") {
        return Err(format!("{guest} on the disk is not a directory"));
    }
    let _ = writeln!(script, "mkdir {}", quote(guest)?);
    Ok(())
}

/// Script lines that make `guest` a copy of the host directory `host`.
fn add_tree(disk: &Path, script: &mut String, host: &Path, guest: &str) -> Result<usize> {
    mkdir(disk, script, guest)?;
    let mut entries: Vec<_> = std::fs::read_dir(host)
        .map_err(|e| format!("{}: {e}", host.display()))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| format!("{}: {e}", host.display()))?;
    entries.sort_by_key(|e| e.file_name());
    let mut files = 0;
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let to = format!("{guest}/{name}");
        let is_link = e.file_type().is_ok_and(|t| t.is_symlink());
        if is_link {
            // A symbolic link stays one (busybox's applets are links to it).
            let target =
                std::fs::read_link(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let _ = writeln!(script, "rm {to}");
            let _ = writeln!(script, "symlink {to} {}", target.display());
            files += 1;
        } else if path.is_dir() {
            files += add_tree(disk, script, &path, &to)?;
        } else if path.is_file() {
            add_file(script, &path, &to)?;
            files += 1;
        }
    }
    Ok(files)
}

/// Script lines that replace `guest` by the host file `host`, keeping its mode.
fn add_file(script: &mut String, host: &Path, guest: &str) -> Result<()> {
    let mode = std::fs::metadata(host)
        .map_err(|e| format!("{}: {e}", host.display()))?
        .permissions()
        .mode()
        & 0o7777;
    let g = quote(guest)?;
    let h = quote(&host.display().to_string())?;
    let _ = writeln!(script, "rm {g}");
    let _ = writeln!(script, "write {h} {g}");
    let _ = writeln!(script, "sif {g} mode 0{:o}", 0o100000 | mode);
    Ok(())
}

/// A path as one debugfs argument (quoted; a path with a quote or newline is refused).
fn quote(p: &str) -> Result<String> {
    if p.contains('"') || p.contains('\n') {
        return Err(format!(
            "cannot put {p:?} on the disk: quotes and newlines are not supported"
        ));
    }
    Ok(format!("\"{p}\""))
}

pub fn run_debugfs(disk: &Path, script: &str) -> Result<()> {
    let file = disk.with_extension("debugfs");
    std::fs::write(&file, script).map_err(|e| format!("{}: {e}", file.display()))?;
    let out = Command::new(crate::deps::tool("debugfs"))
        .arg("-w")
        .arg("-f")
        .arg(&file)
        .arg(disk)
        .output()
        .map_err(|e| format!("cannot run debugfs: {e}"))?;
    let _ = std::fs::remove_file(&file);
    // debugfs reports a failed command on stderr and goes on (an `rm` of a file that
    // is not there yet is expected); a full disk shows as a failed `write`.
    let err = String::from_utf8_lossy(&out.stderr);
    let real: Vec<&str> = err
        .lines()
        .filter(|l| {
            !l.contains("File not found by ext2_lookup")
                && !l.contains("Ext2 directory already exists")
        })
        .filter(|l| !l.starts_with("debugfs ") && !l.trim().is_empty())
        .collect();
    if !out.status.success() || !real.is_empty() {
        return Err(format!(
            "debugfs on {} failed:\n{}",
            disk.display(),
            real.join("\n")
        ));
    }
    Ok(())
}

/// The host check: a disk with a user's file gets new programs and keeps the file, and
/// e2fsck finds it clean.
pub fn updates_keep_user_files() -> Result<()> {
    let image = crate::root().join("target").join("rootfs.img");
    let staging = crate::root().join("target").join("rootfs");
    if !image.is_file() || !staging.join("bin").is_dir() {
        return Err("no root image built (run `cargo xtask build`)".into());
    }
    let dir = crate::root().join("target").join("diskupdate-test");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let disk = dir.join("disk.img");
    std::fs::copy(&image, &disk).map_err(|e| format!("{e}"))?;
    // A user's file, and a program that the update must replace.
    let note = dir.join("note.txt");
    std::fs::write(&note, "kept across updates\n").map_err(|e| format!("{e}"))?;
    copy_in(&disk, &format!("{}:/root/notes/note.txt", note.display()))?;
    let old = dir.join("old-true");
    std::fs::write(&old, "not the real program").map_err(|e| format!("{e}"))?;
    copy_in(&disk, &format!("{}:/bin/true", old.display()))?;
    let written = update_system(&disk, &staging)?;
    if written == 0 {
        return Err("the update wrote no files".into());
    }
    crate::test::fsck(&disk)?;
    let cat = |path: &str| -> Result<Vec<u8>> {
        let out = Command::new(crate::deps::tool("debugfs"))
            .args(["-R", &format!("cat {path}")])
            .arg(&disk)
            .output()
            .map_err(|e| format!("cannot run debugfs: {e}"))?;
        Ok(out.stdout)
    };
    let want = std::fs::read(staging.join("bin/true")).map_err(|e| format!("{e}"))?;
    if cat("/bin/true")? != want {
        return Err("/bin/true on the disk is not the freshly built one".into());
    }
    if cat("/root/notes/note.txt")? != b"kept across updates\n" {
        return Err("the user's /root/notes/note.txt did not survive the update".into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
