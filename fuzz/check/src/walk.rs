//! Path resolution (`kernel/vfs` walk.rs) over tmpfs, on fuzzed paths and links.
//!
//! Chapter 2's file-management calls all name files by path, so every program's
//! strings go through the walk: `.`, `..` across mounts, symbolic links spliced into
//! the rest of the path (at most 40), search permission on each directory, length
//! limits. The input builds a small tree (`/a/b/c`, `/a/f`, a tmpfs on `/mnt`, a
//! directory `/locked` user 1000 may not search), adds symbolic links with fuzzed
//! targets, then runs fuzzed calls with fuzzed paths from several working
//! directories as root and as user 1000. Every call may fail; none may panic or
//! loop. And what succeeds must be coherent: a directory resolved is found again by
//! its own `path_of`, and `stat` of a path names the node `resolve` gives.

use abi::flags::{O_CREAT, O_RDWR, O_WRONLY};
use vfs::{Credentials, NodeKind, NodeRef, TmpFs, Vfs, ROOT};

use crate::input::Input;
use crate::Oracle;

const NOW: i64 = 1_700_000_000;

fn tmpfs() -> Box<TmpFs> {
    Box::new(TmpFs::new(Box::new(|| NOW), 1 << 20))
}

fn user() -> Credentials {
    Credentials {
        ruid: 1000,
        euid: 1000,
        suid: 1000,
        rgid: 1000,
        egid: 1000,
        sgid: 1000,
        ..ROOT.clone()
    }
}

/// Path pieces the fuzzer splices together with its own bytes.
const PIECES: [&[u8]; 12] = [
    b"/", b"..", b".", b"a", b"b", b"c", b"f", b"mnt", b"l0", b"l1", b"locked", b"//",
];

fn path(input: &mut Input) -> Vec<u8> {
    let mut p = Vec::new();
    for _ in 0..input.below(12) {
        match input.u8() % 16 {
            0..=11 => p.extend_from_slice(PIECES[input.below(PIECES.len())]),
            12 => p.push(b'/'),
            13 => p.extend(std::iter::repeat_n(b'x', input.u16() as usize % 5000)),
            _ => p.extend_from_slice(input.bytes(8)),
        }
        if input.u8().is_multiple_of(2) {
            p.push(b'/');
        }
    }
    p
}

/// Runs one input.
pub fn check(data: &[u8], _oracle: Oracle) {
    let mut input = Input::new(data);
    let mut v = Vfs::new(tmpfs());
    let r = v.root();
    for d in ["/a", "/a/b", "/a/b/c", "/mnt", "/locked"] {
        v.mkdir(&ROOT, r, d, 0o755).unwrap();
    }
    v.chmod(&ROOT, r, "/locked", 0o700).unwrap();
    let f = v.open(&ROOT, r, "/a/f", O_WRONLY | O_CREAT, 0o644).unwrap();
    v.write(f.node, 0, b"hello").unwrap();
    v.mount(&ROOT, "/mnt", tmpfs()).unwrap();
    v.mkdir(&ROOT, r, "/mnt/m", 0o777).unwrap();
    v.mkdir(&ROOT, r, "/locked/in", 0o777).unwrap();
    for name in ["/l0", "/a/l1", "/mnt/m/l0", "/a/b/l1"] {
        let target = path(&mut input);
        let _ = v.symlink(&ROOT, r, &target, name);
    }
    let cwds: Vec<NodeRef> = ["/", "/a/b", "/mnt/m", "/a/b/c"]
        .iter()
        .map(|p| v.resolve(&ROOT, r, p, true).unwrap())
        .collect();
    let users = [ROOT.clone(), user()];
    for _ in 0..64 {
        if input.is_empty() {
            break;
        }
        let cred = &users[input.below(2)];
        let cwd = cwds[input.below(cwds.len())];
        let op = input.u8() % 10;
        let p = path(&mut input);
        match op {
            0 | 1 => {
                let follow = op == 0;
                if let Ok(n) = v.resolve(cred, cwd, &p, follow) {
                    let st = if follow {
                        v.stat(cred, cwd, &p)
                    } else {
                        v.lstat(cred, cwd, &p)
                    };
                    if let Ok(st) = st {
                        assert_eq!(st.ino, n.ino, "stat and resolve disagree on {p:?}");
                    }
                    if v.kind(n) == Ok(NodeKind::Directory) {
                        coherent(&mut v, n, &p);
                    }
                }
            }
            2 => {
                if let Ok(n) = v.resolve_dir(cred, cwd, &p) {
                    coherent(&mut v, n, &p);
                }
            }
            3 => {
                let _ = v.readlink(cred, cwd, &p);
            }
            4 => {
                let _ = v.mkdir(cred, cwd, &p, 0o755);
            }
            5 => {
                let _ = v.unlink(cred, cwd, &p);
            }
            6 => {
                let _ = v.rmdir(cred, cwd, &p);
            }
            7 => {
                let q = path(&mut input);
                let _ = v.rename(cred, cwd, &p, &q);
            }
            8 => {
                let q = path(&mut input);
                let _ = v.symlink(cred, cwd, &q, &p);
            }
            _ => {
                if let Ok(o) = v.open(cred, cwd, &p, O_RDWR | O_CREAT, 0o644) {
                    let _ = v.write(o.node, 0, b"x");
                }
            }
        }
    }
}

/// A directory the walk reached must be found again by its own absolute path.
fn coherent(v: &mut Vfs, n: NodeRef, from: &[u8]) {
    let Ok(abs) = v.path_of(n) else {
        return; // removed while held, or renamed away: ENOENT is the answer
    };
    assert!(abs.starts_with(b"/"), "path_of gave {abs:?}");
    let root = v.root();
    assert_eq!(
        v.resolve(&ROOT, root, &abs, true),
        Ok(n),
        "{from:?} reached a directory whose path_of {abs:?} leads elsewhere"
    );
}
