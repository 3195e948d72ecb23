//! The root image's accounts: `/etc/passwd`, `/etc/group`, `/etc/shadow`, the homes,
//! and who owns what.
//!
//! Two users: `root` (password `root`, home `/root`) and `user` (password `user`,
//! uid and gid 1000, home `/home/user`, owned by it). The passwords are hashed here,
//! on the host, at build time, with the same `account` crate the programs use
//! (SHA-512 crypt, a fresh salt each build), so the image never holds a plain
//! password. `mke2fs -d` copies the staging folder with the host's owners, so the
//! owners and the modes that matter (`/etc/shadow` 0600 root, `/home/user` the
//! user's) are set afterwards in the image itself with `debugfs`, whoever runs the
//! build. The set-user-id programs (`su`, `passwd`) get mode 4755 in the staging
//! folder, which both the image and the updates of a kept disk copy.

use crate::Result;
use std::fs;
use std::path::Path;

/// An account of the image: name, password, uid = gid, home.
const USERS: &[(&str, &str, u32, &str, &str)] = &[
    ("root", "root", 0, "/root", "root"),
    ("user", "user", 1000, "/home/user", "An ordinary user"),
];

/// Programs that run as root whoever starts them (mode 4755): `su` and `passwd` read
/// and write `/etc/shadow`, which only root may.
pub const SET_UID_ROOT: &[&str] = &["su", "passwd"];

/// Days since 1970 written as the passwords' last change (any fixed day will do).
const LAST_CHANGE: u32 = 20000;

/// A fresh random salt: the standard library's randomly keyed hasher (seeded from
/// the host's random source) hashing a counter.
fn salt(n: u32) -> [u8; account::SALT_BYTES] {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = Vec::new();
    for half in 0..2u32 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(n * 2 + half);
        bytes.extend(h.finish().to_le_bytes());
    }
    account::salt_from_bytes(&bytes)
}

/// Write the account files and the homes into the staging folder.
pub fn stage(staging: &Path) -> Result<()> {
    let (mut passwd, mut group, mut shadow) = (String::new(), String::new(), String::new());
    for (i, &(name, password, id, home, gecos)) in USERS.iter().enumerate() {
        let p = account::Passwd {
            name: name.into(),
            uid: id,
            gid: id,
            gecos: gecos.into(),
            home: home.into(),
            shell: "/bin/sh".into(),
        };
        passwd += &(account::Record::to_line(&p) + "\n");
        let g = account::Group {
            name: name.into(),
            gid: id,
            members: Vec::new(),
        };
        group += &(account::Record::to_line(&g) + "\n");
        let s = account::Shadow {
            name: name.into(),
            hash: account::hash_password(password, &salt(i as u32)),
            rest: format!("{LAST_CHANGE}:0:99999:7:::"),
        };
        shadow += &(account::Record::to_line(&s) + "\n");
        let dir = staging.join(home.trim_start_matches('/'));
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // The device groups (kernel/devices: fb.rs VIDEO_GID, input.rs INPUT_GID): only
    // root (wsd) and their members may use the screen and read the keys.
    for (name, gid) in [("video", 44), ("input", 104)] {
        let g = account::Group {
            name: name.into(),
            gid,
            members: Vec::new(),
        };
        group += &(account::Record::to_line(&g) + "\n");
    }
    for (file, text) in [("passwd", passwd), ("group", group), ("shadow", shadow)] {
        let path = staging.join("etc").join(file);
        fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// The `debugfs` commands that give each file its owner and mode in the image.
pub fn ownership_script() -> String {
    let mut s = String::new();
    let mut set = |path: &str, uid: u32, mode: u32| {
        s += &format!("sif {path} uid {uid}\nsif {path} gid {uid}\nsif {path} mode 0{mode:o}\n");
    };
    set("/etc/shadow", 0, 0o100600);
    set("/root", 0, 0o040700);
    set("/home", 0, 0o040755);
    for &(_, _, id, home, _) in USERS.iter().filter(|u| u.2 != 0) {
        set(home, id, 0o040755);
    }
    s
}

/// Give the image's files their owners and modes (after `mke2fs -d`).
pub fn apply(image: &Path) -> Result<()> {
    crate::diskupdate::run_debugfs(image, &ownership_script())
}
