//! The sandbox directories every fuzzed path lives in, made before a run and removed
//! after it: `/fuzz` on the ext2 root and `/tmp/fuzz` on tmpfs.
//!
//! Removal is best effort but thorough, because what a fuzzer leaves is arbitrary: it
//! first unmounts every file system mounted inside a sandbox or on it (`/fuzz/.` is a
//! fine mount point), deepest first, read from
//! the kernel's mount table, then walks each tree without following symbolic links,
//! making each directory writable before emptying it (a fuzzed `chmod` may have taken
//! the permission away), and removes everything. What it could not remove is counted
//! and reported, never silently ignored: a leftover is a finding.

use crate::world::SANDBOXES;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::fs;

/// Make the sandbox directories (after removing what an earlier run left; if some of
/// it cannot be removed, the run goes on in it).
pub fn create() -> Result<(), String> {
    let _ = remove();
    for d in SANDBOXES {
        match fs::create_dir(d) {
            Ok(()) | Err(ulib::Errno::EEXIST) => {}
            Err(e) => return Err(alloc::format!("cannot create {d}: {e}")),
        }
    }
    Ok(())
}

/// Remove the sandboxes; returns how many names could not be removed.
pub fn remove() -> usize {
    unmount_all();
    let mut left = 0;
    for d in SANDBOXES {
        if fs::symlink_metadata(d).is_ok() {
            left += remove_tree(d, 0);
        }
    }
    left
}

/// Unmount whatever is mounted inside a sandbox, deepest first.
fn unmount_all() {
    for _round in 0..4 {
        let mut buf = [0u8; 4096];
        let n = match ulib::sys::mounts(&mut buf) {
            Ok(n) => n.min(buf.len()),
            Err(_) => return,
        };
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        // Lines are `SOURCE TARGET TYPE rw|ro`.
        let mut targets: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split(' ').nth(1))
            .filter(|t| {
                SANDBOXES.iter().any(|s| {
                    t.strip_prefix(s)
                        .is_some_and(|r| r.is_empty() || r.starts_with('/'))
                })
            })
            .collect();
        if targets.is_empty() {
            return;
        }
        targets.sort_by_key(|t| core::cmp::Reverse(t.len()));
        for t in targets {
            let _ = ulib::sys::umount(t);
        }
    }
}

/// Remove `path` and everything below it; returns the number of names left behind.
fn remove_tree(path: &str, depth: usize) -> usize {
    let Ok(md) = fs::symlink_metadata(path) else {
        return 0; // already gone
    };
    if !md.is_dir() || md.is_symlink() {
        return left_behind(path, fs::remove_file(path));
    }
    let _ = fs::set_permissions(path, 0o755);
    let mut left = 0;
    if depth < 64 {
        let names: Vec<String> = match fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
            Err(_) => Vec::new(),
        };
        for p in names {
            left += remove_tree(&p, depth + 1);
        }
    }
    left + left_behind(path, fs::remove_dir(path))
}

/// 1 (and a line saying what and why) if `r` failed.
fn left_behind(path: &str, r: ulib::Result<()>) -> usize {
    match r {
        Ok(()) => 0,
        Err(e) => {
            ulib::println!("sysfuzz: cannot remove {:?}: {e}", path);
            1
        }
    }
}
