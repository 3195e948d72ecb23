//! In-kernel tests of protection: credentials, the permission rule and `capable`.
//!
//! Until login exists every process is root, so no program can show that an ordinary
//! user is refused. These tests show it in the kernel instead: they build a VFS over
//! a tmpfs of their own (they run before the root file system is mounted), make files
//! and directories as root, and then ask the real VFS operations, compiled for the
//! machine, to do the same things with the credentials of user 1000. Each test checks
//! both halves: the user is refused with POSIX's errno, and root is not.

use alloc::boxed::Box;
use alloc::string::String;
use cred::{capable, Capability, Credentials, ROOT};
use vfs::{Errno, Vfs};

type TestResult = Result<(), String>;

const O_RDONLY: u32 = 0;
const O_WRONLY: u32 = 1;
const O_RDWR: u32 = 2;
const O_CREAT: u32 = 0o100;

macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(alloc::format!($($msg)*));
        }
    };
}

fn user() -> Credentials {
    Credentials::user(1000, 1000)
}

/// A VFS over a fresh tmpfs with `/` set to 0755, as root: `/secret` (0600, holding
/// "root only") and `/etc` (0755).
fn tree() -> Result<Vfs, String> {
    let e = |what: &str, err: Errno| alloc::format!("setting up, {what}: {err}");
    let mut v = Vfs::new(Box::new(vfs::TmpFs::new(Box::new(|| 0), 1 << 16)));
    let r = v.root();
    v.chmod(&ROOT, r, "/", 0o755).map_err(|x| e("chmod /", x))?;
    let o = v
        .open(&ROOT, r, "/secret", O_CREAT | O_WRONLY, 0o600)
        .map_err(|x| e("create /secret", x))?;
    v.write(o.node, 0, b"root only")
        .map_err(|x| e("write /secret", x))?;
    v.mkdir(&ROOT, r, "/etc", 0o755)
        .map_err(|x| e("mkdir /etc", x))?;
    Ok(v)
}

pub fn non_root_cannot_open_a_0600_file_of_roots() -> TestResult {
    let mut v = tree()?;
    let r = v.root();
    let st = v
        .stat(&ROOT, r, "/secret")
        .map_err(|e| alloc::format!("{e}"))?;
    check!(
        (st.uid, st.mode & 0o777) == (0, 0o600),
        "/secret is uid {} mode {:o}, not root's 0600",
        st.uid,
        st.mode & 0o777
    );
    for flags in [O_RDONLY, O_WRONLY, O_RDWR] {
        let got = v.open(&user(), r, "/secret", flags, 0);
        check!(
            got.err() == Some(Errno::EACCES),
            "user 1000 opening /secret with flags {flags}: {:?}, not EACCES",
            got
        );
        let got = v.open(&ROOT, r, "/secret", flags, 0);
        check!(
            got.is_ok(),
            "root opening /secret with flags {flags}: {:?}",
            got
        );
    }
    let o = v
        .open(&ROOT, r, "/secret", O_RDONLY, 0)
        .map_err(|e| alloc::format!("{e}"))?;
    let mut buf = [0u8; 16];
    let n = v
        .read(o.node, 0, &mut buf)
        .map_err(|e| alloc::format!("{e}"))?;
    check!(&buf[..n] == b"root only", "root read {:?}", &buf[..n]);
    Ok(())
}

pub fn non_root_cannot_create_in_a_0755_directory_of_roots() -> TestResult {
    let mut v = tree()?;
    let r = v.root();
    let u = user();
    let got = v.open(&u, r, "/etc/passwd", O_CREAT | O_WRONLY, 0o644);
    check!(
        got.err() == Some(Errno::EACCES),
        "user 1000 creating /etc/passwd: {:?}, not EACCES",
        got
    );
    let got = v.mkdir(&u, r, "/etc/d", 0o755);
    check!(
        got.err() == Some(Errno::EACCES),
        "user 1000 making /etc/d: {:?}, not EACCES",
        got
    );
    let left = v.resolve(&ROOT, r, "/etc/passwd", true);
    check!(
        left.err() == Some(Errno::ENOENT),
        "a refused create left /etc/passwd behind: {:?}",
        left
    );
    let got = v.open(&ROOT, r, "/etc/passwd", O_CREAT | O_WRONLY, 0o644);
    check!(got.is_ok(), "root creating /etc/passwd: {:?}", got);
    let got = v.mkdir(&ROOT, r, "/etc/d", 0o755);
    check!(got.is_ok(), "root making /etc/d: {:?}", got);
    let got = v.unlink(&u, r, "/etc/passwd");
    check!(
        got.err() == Some(Errno::EACCES),
        "user 1000 removing /etc/passwd: {:?}, not EACCES",
        got
    );
    Ok(())
}

pub fn non_root_cannot_call_a_privileged_operation() -> TestResult {
    let u = user();
    for what in [
        Capability::Mount,
        Capability::PowerOff,
        Capability::Kill,
        Capability::FileOverride,
        Capability::Fowner,
        Capability::Mknod,
    ] {
        check!(!capable(&u, what), "user 1000 is capable of {what:?}");
        check!(capable(&ROOT, what), "root is not capable of {what:?}");
    }
    // The VFS operation behind mount(2).
    let mut v = tree()?;
    let tmpfs = || Box::new(vfs::TmpFs::new(Box::new(|| 0), 1 << 12));
    let got = v.mount(&u, "/etc", tmpfs());
    check!(
        got.err() == Some(Errno::EPERM),
        "user 1000 mounting on /etc: {:?}, not EPERM",
        got
    );
    let got = v.mount(&ROOT, "/etc", tmpfs());
    check!(got.is_ok(), "root mounting on /etc: {:?}", got);
    let got = v.umount(&u, "/etc");
    check!(
        got.as_ref().err() == Some(&Errno::EPERM),
        "user 1000 unmounting /etc: not EPERM"
    );
    check!(v.umount(&ROOT, "/etc").is_ok(), "root cannot unmount /etc");
    // And the kernel's mount, the one the system call runs: refused before it
    // looks at anything; root gets past it.
    let nowhere = "/no-such-dir-ktest";
    let root = fsys::root();
    let got = fsys::mount(&u, root, nowhere, "tmpfs", "");
    check!(
        got == Err(Errno::EPERM),
        "user 1000 through fsys::mount: {:?}, not EPERM",
        got
    );
    let got = fsys::mount(&ROOT, root, nowhere, "tmpfs", "");
    // Root passes the capability check and fails later: on the missing target, or
    // (the ktest machine registers no file-system types) on the unknown type.
    check!(
        matches!(got, Err(Errno::ENOENT) | Err(Errno::ENODEV)),
        "root through fsys::mount: {:?}, not ENOENT or ENODEV",
        got
    );
    Ok(())
}

/// The search (x) bit of every directory on the way is checked: a 0700 directory of
/// root's cannot be walked through (open, stat, chdir all resolve this way), nor its
/// listing read, by user 1000; a 0711 one can be walked through but not listed.
pub fn non_root_cannot_search_a_0700_directory_of_roots() -> TestResult {
    let mut v = tree()?;
    let r = v.root();
    let e = |what: &str, err: Errno| alloc::format!("setting up, {what}: {err}");
    v.mkdir(&ROOT, r, "/private", 0o700)
        .map_err(|x| e("mkdir /private", x))?;
    v.open(&ROOT, r, "/private/note", O_CREAT | O_WRONLY, 0o644)
        .map_err(|x| e("create /private/note", x))?;
    let u = user();
    let got = v.resolve(&u, r, "/private/note", true);
    check!(
        got.err() == Some(Errno::EACCES),
        "user 1000 resolving /private/note through a 0700 dir: {:?}, not EACCES",
        got
    );
    let got = v.stat(&u, r, "/private/note");
    check!(
        got.err() == Some(Errno::EACCES),
        "user 1000 stat of /private/note: {:?}, not EACCES",
        got.map(|s| s.mode)
    );
    let got = v.open(&u, r, "/private", O_RDONLY, 0);
    check!(
        got.err() == Some(Errno::EACCES),
        "user 1000 opening the 0700 directory to list it: not EACCES"
    );
    check!(
        v.resolve(&ROOT, r, "/private/note", true).is_ok(),
        "root cannot resolve /private/note"
    );
    v.chmod(&ROOT, r, "/private", 0o711)
        .map_err(|x| e("chmod /private 0711", x))?;
    check!(
        v.resolve(&u, r, "/private/note", true).is_ok(),
        "user 1000 cannot walk through a 0711 directory"
    );
    let got = v.open(&u, r, "/private", O_RDONLY, 0);
    check!(
        got.err() == Some(Errno::EACCES),
        "user 1000 listing a 0711 directory (no r bit): not EACCES"
    );
    Ok(())
}
