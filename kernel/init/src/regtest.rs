//! In-kernel tests of the registries (chapter 2 section 7, "extensible"): a character
//! device and a file-system type added and removed while the kernel runs, the way a
//! loadable module will do it, seen through the same paths programs use (`/dev`,
//! `open`, `read`, `mount`).
//!
//! The ktest machine has no disk, so these tests first give the kernel a tree of its
//! own: a tmpfs as `/` with `/tmp` and `/dev` ([`fsys::mount_tmpfs_root`]).

use crate::ktest::TestResult;
use abi::flags::*;
use abi::Errno;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicUsize, Ordering};
use devices::{dev_number, register_chrdev, unregister_chrdev, CharDevice};

use vfs::ROOT;

macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(alloc::format!($($msg)*));
        }
    };
}

/// A root file system to test in: the one mounted, or a tmpfs made now.
fn tree() -> Result<fsys::NodeRef, String> {
    if fsys::with(|v| Ok(v.root())).is_err() {
        fsys::mount_tmpfs_root(&devices::registered())?;
    }
    Ok(fsys::root())
}

fn stat(path: &str) -> Result<abi::Stat, Errno> {
    let root = fsys::root();
    fsys::with(|v| v.stat(&ROOT, root, path))
}

fn open(path: &str, flags: u32) -> Result<Arc<files::OpenFile>, Errno> {
    files::open(&ROOT, fsys::root(), path, flags, 0o644)
}

const TEXT: &[u8] = b"hello from a device registered at run time\n";
const MAJOR: u32 = 240; // Linux's "local/experimental use" range
const MINOR: u32 = 7;

/// Reads [`TEXT`] from the file offset, like a small read-only file.
struct Greeter;

impl CharDevice for Greeter {
    fn read(&self, off: u64, buf: &mut [u8], _: bool) -> Result<usize, Errno> {
        let from = (off as usize).min(TEXT.len());
        let n = (TEXT.len() - from).min(buf.len());
        buf[..n].copy_from_slice(&TEXT[from..from + n]);
        Ok(n)
    }
    fn write(&self, _: u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn seekable(&self) -> bool {
        true
    }
}

pub fn chrdev_registered_at_run_time_is_opened_through_dev_then_removed() -> TestResult {
    tree()?;
    let rdev = dev_number(MAJOR, MINOR);
    check!(
        stat("/dev/ktestdev") == Err(Errno::ENOENT),
        "/dev/ktestdev exists before registration"
    );
    register_chrdev(MAJOR, MINOR, "ktestdev", 0o640, Arc::new(Greeter))
        .map_err(|e| alloc::format!("register_chrdev: {e}"))?;
    // The registry made the node.
    let st = stat("/dev/ktestdev").map_err(|e| alloc::format!("stat after register: {e}"))?;
    check!(
        st.mode == S_IFCHR | 0o640 && st.rdev == rdev as u64,
        "node has mode {:o} rdev {:#x}, wanted {:o} {rdev:#x}",
        st.mode,
        st.rdev,
        S_IFCHR | 0o640
    );
    // A number or a name already taken is refused.
    check!(
        register_chrdev(MAJOR, MINOR, "other", 0o600, Arc::new(Greeter)) == Err(Errno::EBUSY),
        "a second device on {MAJOR}:{MINOR} was not EBUSY"
    );
    check!(
        register_chrdev(MAJOR, MINOR + 1, "ktestdev", 0o600, Arc::new(Greeter))
            == Err(Errno::EEXIST),
        "a second device named ktestdev was not EEXIST"
    );
    // Open and read it like a file: two reads, then end of file.
    let f = open("/dev/ktestdev", O_RDONLY).map_err(|e| alloc::format!("open: {e}"))?;
    let mut buf = [0u8; 64];
    let a = f
        .read(&mut buf[..10])
        .map_err(|e| alloc::format!("read: {e}"))?;
    let b = f
        .read(&mut buf[10..])
        .map_err(|e| alloc::format!("read: {e}"))?;
    check!(
        &buf[..a + b] == TEXT,
        "read {:?}",
        String::from_utf8_lossy(&buf[..a + b])
    );
    check!(f.read(&mut buf) == Ok(0), "no end of file after the text");
    check!(
        f.device_number() == Some(rdev) && f.stat().map(|s| s.rdev) == Ok(rdev as u64),
        "the open file does not report device {rdev:#x}"
    );
    check!(
        f.ioctl(files::Ioctl::GetTermMode) == Err(Errno::ENOTTY),
        "a device with no requests did not answer ENOTTY"
    );
    check!(
        f.mmap(0, 4096).is_err_and(|e| e == Errno::ENODEV),
        "mmap of a device was not ENODEV"
    );
    // Removal takes the node away: a new open fails.
    unregister_chrdev(MAJOR, MINOR).map_err(|e| alloc::format!("unregister: {e}"))?;
    check!(
        stat("/dev/ktestdev") == Err(Errno::ENOENT),
        "/dev/ktestdev is still there after removal"
    );
    check!(
        open("/dev/ktestdev", O_RDONLY).err() == Some(Errno::ENOENT),
        "open after removal was not ENOENT"
    );
    check!(
        unregister_chrdev(MAJOR, MINOR) == Err(Errno::ENXIO),
        "removing it twice was not ENXIO"
    );
    // A descriptor opened before the removal keeps the device until it is closed.
    check!(
        f.seek(0, SEEK_SET) == Ok(0) && f.read(&mut buf) == Ok(TEXT.len()),
        "the file opened before removal no longer reads"
    );
    drop(f);
    // A node naming a number nobody has registered opens to ENXIO.
    let root = fsys::root();
    fsys::with(|v| v.mknod(&ROOT, root, "/dev/ktestdev", S_IFCHR | 0o600, rdev))
        .map_err(|e| alloc::format!("mknod: {e}"))?;
    let r = open("/dev/ktestdev", O_RDONLY).err();
    fsys::with(|v| v.unlink(&ROOT, root, "/dev/ktestdev"))
        .map_err(|e| alloc::format!("unlink: {e}"))?;
    check!(
        r == Some(Errno::ENXIO),
        "open of an unregistered number gave {r:?}, not ENXIO"
    );
    Ok(())
}

/// How many file systems the test type's factory has built, and the last source.
static BUILT: AtomicUsize = AtomicUsize::new(0);
static LAST_SOURCE: task::Mutex<String> = task::mutex(String::new());

fn ktestfs(source: &str) -> vfs::Result<Box<dyn vfs::FileSystem>> {
    BUILT.fetch_add(1, Ordering::SeqCst);
    *LAST_SOURCE.lock() = String::from(source);
    Ok(Box::new(vfs::TmpFs::new(Box::new(|| 0), 64 << 10)))
}

pub fn fs_type_registered_at_run_time_mounts_then_is_removed() -> TestResult {
    let root = tree()?;
    match fsys::with(|v| v.mkdir(&ROOT, root, "/ktmnt", 0o755)) {
        Ok(_) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(alloc::format!("mkdir /ktmnt: {e}")),
    }
    check!(
        fsys::mount(&ROOT, root, "/ktmnt", "ktestfs", "src0") == Err(Errno::ENODEV),
        "mounting an unregistered type was not ENODEV"
    );
    let built = BUILT.load(Ordering::SeqCst);
    fsys::register_fs_type("ktestfs", Arc::new(ktestfs))
        .map_err(|e| alloc::format!("register: {e}"))?;
    check!(
        fsys::register_fs_type("ktestfs", Arc::new(ktestfs)) == Err(Errno::EEXIST),
        "registering ktestfs twice was not EEXIST"
    );
    check!(
        fsys::fs_types().iter().any(|t| t == "ktestfs"),
        "ktestfs is not listed: {:?}",
        fsys::fs_types()
    );
    fsys::mount(&ROOT, root, "/ktmnt", "ktestfs", "src0")
        .map_err(|e| alloc::format!("mount: {e}"))?;
    check!(
        BUILT.load(Ordering::SeqCst) == built + 1 && *LAST_SOURCE.lock() == "src0",
        "the factory was not called once with the source"
    );
    let table = fsys::mount_table_text().map_err(|e| alloc::format!("mounts: {e}"))?;
    check!(
        table.contains("src0 /ktmnt tmpfs rw"),
        "mount table: {table:?}"
    );
    // The new file system works, and a file on it keeps it mounted.
    let f = open("/ktmnt/f", O_CREAT | O_RDWR).map_err(|e| alloc::format!("create: {e}"))?;
    check!(
        f.write(b"abc") == Ok(3),
        "write on the new file system failed"
    );
    check!(
        fsys::umount(&ROOT, root, "/ktmnt") == Err(Errno::EBUSY),
        "umount with a file open was not EBUSY"
    );
    drop(f);
    check!(
        fsys::unregister_fs_type("ktestfs") == Err(Errno::EBUSY),
        "removing a type still mounted was not EBUSY"
    );
    fsys::umount(&ROOT, root, "/ktmnt").map_err(|e| alloc::format!("umount: {e}"))?;
    check!(
        stat("/ktmnt/f") == Err(Errno::ENOENT),
        "/ktmnt/f is still visible after umount"
    );
    fsys::unregister_fs_type("ktestfs").map_err(|e| alloc::format!("unregister: {e}"))?;
    check!(
        fsys::mount(&ROOT, root, "/ktmnt", "ktestfs", "src1") == Err(Errno::ENODEV),
        "mount after removal was not ENODEV"
    );
    check!(
        BUILT.load(Ordering::SeqCst) == built + 1,
        "the factory ran after removal"
    );
    check!(
        fsys::unregister_fs_type("ktestfs") == Err(Errno::ENOENT),
        "removing it twice was not ENOENT"
    );
    fsys::with(|v| v.rmdir(&ROOT, root, "/ktmnt")).map_err(|e| alloc::format!("rmdir: {e}"))?;
    Ok(())
}
