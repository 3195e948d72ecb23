//! `cargo xtask core`: bring a core file out of the disk image and open it in host
//! gdb with the program that dumped it (chapter 2's debugging section: a core dump is
//! read by a debugger, after the fact, on another machine if need be).
//!
//! `cargo xtask core [--disk PATH] [--copy-out HOSTPATH] [--no-gdb] PID|GUESTPATH`:
//! a bare PID means `/core.PID` (the default `core_pattern`, for a program run in `/`);
//! a path names the file. The file is copied out with `debugfs` (the image is read,
//! never changed), the program is found from the core's own `NT_PRPSINFO` note (its
//! `pr_fname`, the program's name), and gdb starts on the unstripped build of that
//! program in `target/user/.../release/`, which has the symbols the disk's copy has
//! too. The tests (`coretest.rs`) use the same functions with `gdb --batch`.

use crate::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

const USAGE: &str = "cargo xtask core [--disk PATH] [--copy-out HOSTPATH] [--no-gdb] PID|GUESTPATH";

/// Copy `guest` (a path on the ext2 image `disk`) to `host`, reading the image only.
pub fn copy_out(disk: &Path, guest: &str, host: &Path) -> Result<()> {
    let _ = std::fs::remove_file(host);
    let out = Command::new(crate::deps::tool("debugfs"))
        .arg("-R")
        .arg(format!("dump {guest} {}", host.display()))
        .arg(disk)
        .output()
        .map_err(|e| format!("cannot run debugfs: {e}"))?;
    if !host.is_file() {
        return Err(format!(
            "{guest} is not on {}: debugfs said {}",
            disk.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The program name a core file's `NT_PRPSINFO` note gives (`pr_fname`).
pub fn program_name(core: &[u8]) -> Result<String> {
    let bad = || "not an x86_64 ELF core file".to_string();
    if core.get(..4) != Some(b"\x7fELF") || u16_at(core, 16) != Some(4) {
        return Err(bad());
    }
    let phoff = u64_at(core, 32).ok_or_else(bad)? as usize;
    let phnum = u16_at(core, 56).ok_or_else(bad)? as usize;
    for i in 0..phnum {
        let ph = phoff + i * 56;
        if u32_at(core, ph) != Some(4) {
            continue; // not PT_NOTE
        }
        let off = u64_at(core, ph + 8).ok_or_else(bad)? as usize;
        let size = u64_at(core, ph + 32).ok_or_else(bad)? as usize;
        let mut at = off;
        while at + 12 <= off + size {
            let namesz = u32_at(core, at).ok_or_else(bad)? as usize;
            let descsz = u32_at(core, at + 4).ok_or_else(bad)? as usize;
            let kind = u32_at(core, at + 8).ok_or_else(bad)?;
            let desc = at + 12 + namesz.next_multiple_of(4);
            if kind == 3 {
                let f = core.get(desc + 40..desc + 56).ok_or_else(bad)?;
                let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
                return Ok(String::from_utf8_lossy(&f[..end]).into_owned());
            }
            at = desc + descsz.next_multiple_of(4);
        }
    }
    Err("the core file has no NT_PRPSINFO note".into())
}

/// The unstripped build of user program `name`.
pub fn program_binary(name: &str) -> Result<PathBuf> {
    let p = crate::userbuild::user_target_dir()
        .join(crate::build::TARGET)
        .join("release")
        .join(name);
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!(
            "no build of `{name}` at {} (run `cargo xtask build` first)",
            p.display()
        ))
    }
}

/// `gdb --batch` on `program` and `core` with `commands` (`-ex` each); its output.
pub fn gdb_batch(program: &Path, core: &Path, commands: &[&str]) -> Result<String> {
    let mut c = Command::new("gdb");
    c.args(["--batch", "-nx"]);
    for cmd in commands {
        c.arg("-ex").arg(cmd);
    }
    let out = c
        .arg(program)
        .arg(core)
        .output()
        .map_err(|e| format!("cannot run gdb: {e}"))?;
    Ok(format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// `cargo xtask core ...`
pub fn core_cmd(args: &[String]) -> Result<u8> {
    let mut disk = crate::qemu::default_disk();
    let mut host: Option<PathBuf> = None;
    let mut gdb = true;
    let mut what: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--disk" => disk = PathBuf::from(it.next().ok_or(USAGE)?),
            "--copy-out" => host = Some(PathBuf::from(it.next().ok_or(USAGE)?)),
            "--no-gdb" => gdb = false,
            s if what.is_none() && !s.starts_with('-') => what = Some(s.to_string()),
            _ => return Err(format!("usage: {USAGE}")),
        }
    }
    let what = what.ok_or(format!("usage: {USAGE}"))?;
    crate::deps::ensure()?;
    let guest = if what.chars().all(|c| c.is_ascii_digit()) {
        format!("/core.{what}")
    } else {
        what
    };
    let name = guest.rsplit('/').next().unwrap_or("core");
    let host = host.unwrap_or_else(|| crate::root().join("target").join(name));
    copy_out(&disk, &guest, &host)?;
    let bytes = std::fs::read(&host).map_err(|e| format!("{}: {e}", host.display()))?;
    let prog = program_binary(&program_name(&bytes)?)?;
    eprintln!(
        "xtask: {guest} copied to {}; program {}",
        host.display(),
        prog.display()
    );
    if !gdb {
        return Ok(0);
    }
    let status = Command::new("gdb")
        .arg(&prog)
        .arg(&host)
        .status()
        .map_err(|e| format!("cannot run gdb: {e}"))?;
    Ok(if status.success() { 0 } else { 1 })
}
