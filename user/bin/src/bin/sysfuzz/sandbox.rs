//! The sandbox directories every fuzzed path lives in, made before a run and removed
//! after it: `/fuzz` on the ext2 root and `/tmp/fuzz` on tmpfs; and the fuzzers'
//! shared-memory names, unlinked after it.
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
    // The shared-memory segments the workers named live on until unlinked.
    for name in crate::rows::SHM_NAMES {
        if let Ok(name) = core::str::from_utf8(name) {
            match ulib::sys::shm_unlink(name) {
                Ok(_) | Err(ulib::Errno::ENOENT) | Err(ulib::Errno::EINVAL) => {}
                Err(e) => {
                    ulib::println!("sysfuzz: cannot unlink shared memory {name:?}: {e}");
                    left += 1;
                }
            }
        }
    }
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

/// What the fuzzer must never change outside its sandboxes: the names in `/` and
/// `/tmp` with their inode, mode and owner, and `/` and `/tmp` themselves. Taken
/// before a run and compared after it ([`changes_outside`]): an escape from the
/// sandbox (a relative path resolved from the wrong directory, say) is a finding.
pub fn outside() -> Vec<(String, u64, u32, u32, u32)> {
    let mut seen = Vec::new();
    for dir in ["/", "/tmp"] {
        let mut names: Vec<String> = match fs::read_dir(dir) {
            Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
            Err(_) => Vec::new(),
        };
        names.push(String::from(dir));
        for p in names {
            if SANDBOXES.contains(&p.as_str()) {
                continue;
            }
            let st = fs::symlink_metadata(&p).map(|m| m.0).unwrap_or_default();
            seen.push((p, st.ino, st.mode, st.uid, st.gid));
        }
    }
    seen.sort();
    seen
}

/// How many entries of [`outside`] differ between `before` and now (a line for each).
pub fn changes_outside(before: &[(String, u64, u32, u32, u32)]) -> usize {
    let now = outside();
    let mut changed = 0;
    for e in before.iter().filter(|e| !now.contains(e)) {
        ulib::println!("sysfuzz: changed or gone outside the sandbox: {e:?}");
        changed += 1;
    }
    for e in now.iter().filter(|e| !before.contains(e)) {
        ulib::println!("sysfuzz: new outside the sandbox: {e:?}");
        changed += 1;
    }
    changed
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
