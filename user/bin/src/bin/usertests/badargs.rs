//! Protection: every system call handed bad pointers (null, kernel half, unmapped, a
//! range running into unmapped memory or off the top of user space), bad descriptors
//! (-1, 63, 1000), absurd lengths (`usize::MAX`, `1 << 40`) and out-of-range numbers
//! must answer with an error (EFAULT, EBADF, EINVAL, ENAMETOOLONG, ...), never crash the
//! kernel or kill the caller. Afterwards the caller must still be alive and a normal call
//! must work.
//!
//! The sweep runs in a forked child, which reports each case through a pipe before
//! making it (`> name`) and each wrong answer (`! ...`), so that if the child is killed
//! the parent can name the call that killed it. The calls that exercise the kernel's
//! address arithmetic at its limits (`brk`, `mmap`, `munmap`, `kill`, `waitpid`,
//! `pwrite`, `ftruncate` with values near `u64::MAX`) come last.
//!
//! Raw system calls need `unsafe`: every pointer passed is either one the kernel must
//! refuse, or points into `scratch`, an anonymous mapping that only the kernel writes
//! and in which no Rust object lives.

use crate::{ctx, ensure, fork_child, pipe, TestResult};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::flags::*;
use ulib::abi::signal::{SIGUSR1, SIG_BLOCK};
use ulib::abi::{nr, Pod, SpawnArgs, UserStr};
use ulib::io::Read;
use ulib::{sys, Errno};

const PAGE: usize = 4096;
const KERNEL: usize = 0xffff_8000_0000_0000;
const UNMAPPED: usize = 0x1000;
const NEAR_TOP: usize = 0x7fff_ffff_fffe; // 2 bytes below the end of user space
const BAD_FDS: [i32; 3] = [-1, 63, 1000];
const HUGE: [usize; 2] = [usize::MAX, 1 << 40];

use Errno::*;

#[allow(unsafe_code)]
fn call(number: usize, a: [usize; 6]) -> sys::SysResult {
    // SAFETY: see the module header: every pointer in `a` is invalid on purpose or
    // points into `scratch`, which holds no Rust object; the kernel validates them all.
    Errno::decode(unsafe { sys::syscall6(number, a) })
}

/// The sweep's state: where it reports, and the valid objects calls are aimed at.
struct Sweep {
    report: i32,
    /// Two mapped pages, followed by an unmapped one.
    scratch: usize,
    wrong: usize,
}

impl Sweep {
    fn say(&self, line: &str) {
        let _ = ulib::io::write_all(self.report, line.as_bytes());
    }

    /// Make call `number` (named `name`) with `a`; its error must be one of `want`.
    fn expect(&mut self, name: &str, number: usize, a: [usize; 6], want: &[Errno]) {
        self.say(&format!(
            "> {name}({:#x}, {:#x}, {:#x}, {:#x})\n",
            a[0], a[1], a[2], a[3]
        ));
        let r = call(number, a);
        if !matches!(r, Err(e) if want.contains(&e)) {
            self.fail(name, a, &format!("{r:?}, expected one of {want:?}"));
        }
    }

    /// As [`Sweep::expect`], but the call must succeed with `Ok(value)`.
    fn expect_ok(&mut self, name: &str, number: usize, a: [usize; 6], value: usize) {
        self.say(&format!(
            "> {name}({:#x}, {:#x}, {:#x})\n",
            a[0], a[1], a[2]
        ));
        let r = call(number, a);
        if r != Ok(value) {
            self.fail(name, a, &format!("{r:?}, expected Ok({value:#x})"));
        }
    }

    fn fail(&mut self, name: &str, a: [usize; 6], what: &str) {
        self.wrong += 1;
        self.say(&format!(
            "! {name}({:#x}, {:#x}, {:#x}, {:#x}) = {what}\n",
            a[0], a[1], a[2], a[3]
        ));
    }
}

fn open(path: &str, flags: u32) -> Option<usize> {
    sys::open(path, flags, 0o644).ok()
}

/// The bad pointers, with `len`-byte accesses in mind: the last two run off the end of
/// mapped memory part way through.
fn bad_ptrs(s: &Sweep) -> [usize; 5] {
    [0, KERNEL, UNMAPPED, s.scratch + 2 * PAGE - 2, NEAR_TOP]
}

fn descriptors(s: &mut Sweep) {
    let scratch = s.scratch;
    for fd in BAD_FDS {
        let f = fd as usize; // -1 travels as all ones, as from a C program
        s.expect("read", nr::READ, [f, scratch, 16, 0, 0, 0], &[EBADF]);
        s.expect("write", nr::WRITE, [f, scratch, 16, 0, 0, 0], &[EBADF]);
        s.expect("close", nr::CLOSE, [f, 0, 0, 0, 0, 0], &[EBADF]);
        s.expect(
            "lseek",
            nr::LSEEK,
            [f, 0, SEEK_SET as usize, 0, 0, 0],
            &[EBADF],
        );
        s.expect("dup", nr::DUP, [f, 0, 0, 0, 0, 0], &[EBADF]);
        s.expect("dup2", nr::DUP2, [f, 50, 0, 0, 0, 0], &[EBADF]);
        s.expect("fstat", nr::FSTAT, [f, scratch, 0, 0, 0, 0], &[EBADF]);
        s.expect(
            "getdents",
            nr::GETDENTS,
            [f, scratch, 4096, 0, 0, 0],
            &[EBADF],
        );
        s.expect("pread", nr::PREAD, [f, scratch, 16, 0, 0, 0], &[EBADF]);
        s.expect("pwrite", nr::PWRITE, [f, scratch, 16, 0, 0, 0], &[EBADF]);
        s.expect("ftruncate", nr::FTRUNCATE, [f, 0, 0, 0, 0, 0], &[EBADF]);
        s.expect("fsync", nr::FSYNC, [f, 0, 0, 0, 0, 0], &[EBADF]);
        s.expect("fdatasync", nr::FDATASYNC, [f, 0, 0, 0, 0, 0], &[EBADF]);
        s.expect(
            "ioctl",
            nr::IOCTL,
            [f, TIOCGWINSZ as usize, scratch, 0, 0, 0],
            &[EBADF],
        );
    }
}

/// Objects the pointer cases aim at.
struct Targets {
    file: usize,
    dir: usize,
    null: usize,
    tmp: usize,
    link: Option<&'static str>,
}

const PATH: &str = "/bin/true";
const TMP: &str = "/tmp/ut_badargs";
const LINK: &str = "/tmp/ut_badargs_link";

fn pointers(s: &mut Sweep, t: &Targets) {
    let (path, plen) = (PATH.as_ptr() as usize, PATH.len());
    let (tmp, tlen) = (TMP.as_ptr() as usize, TMP.len());
    let scratch = s.scratch;
    let tty = ulib::io::is_terminal(1);
    for p in bad_ptrs(s) {
        let n = 64;
        s.expect("read", nr::READ, [t.file, p, n, 0, 0, 0], &[EFAULT]);
        s.expect("write", nr::WRITE, [t.null, p, n, 0, 0, 0], &[EFAULT]);
        s.expect("pread", nr::PREAD, [t.file, p, n, 0, 0, 0], &[EFAULT]);
        s.expect("pwrite", nr::PWRITE, [t.tmp, p, n, 0, 0, 0], &[EFAULT]);
        s.expect(
            "open",
            nr::OPEN,
            [p, 9, O_RDONLY as usize, 0, 0, 0],
            &[EFAULT],
        );
        s.expect("stat path", nr::STAT, [p, 9, scratch, 0, 0, 0], &[EFAULT]);
        s.expect("stat buf", nr::STAT, [path, plen, p, 0, 0, 0], &[EFAULT]);
        s.expect("lstat path", nr::LSTAT, [p, 9, scratch, 0, 0, 0], &[EFAULT]);
        s.expect("lstat buf", nr::LSTAT, [path, plen, p, 0, 0, 0], &[EFAULT]);
        s.expect("fstat", nr::FSTAT, [t.file, p, 0, 0, 0, 0], &[EFAULT]);
        s.expect("getdents", nr::GETDENTS, [t.dir, p, n, 0, 0, 0], &[EFAULT]);
        s.expect("chdir", nr::CHDIR, [p, 9, 0, 0, 0, 0], &[EFAULT]);
        s.expect("getcwd", nr::GETCWD, [p, n, 0, 0, 0, 0], &[EFAULT]);
        s.expect("mkdir", nr::MKDIR, [p, 9, 0o755, 0, 0, 0], &[EFAULT]);
        s.expect("unlink", nr::UNLINK, [p, 9, 0, 0, 0, 0], &[EFAULT]);
        s.expect("rmdir", nr::RMDIR, [p, 9, 0, 0, 0, 0], &[EFAULT]);
        s.expect("rename old", nr::RENAME, [p, 9, tmp, tlen, 0, 0], &[EFAULT]);
        s.expect("rename new", nr::RENAME, [tmp, tlen, p, 9, 0, 0], &[EFAULT]);
        s.expect("link old", nr::LINK, [p, 9, tmp, tlen, 0, 0], &[EFAULT]);
        s.expect("link new", nr::LINK, [tmp, tlen, p, 9, 0, 0], &[EFAULT]);
        s.expect(
            "symlink target",
            nr::SYMLINK,
            [p, 9, tmp, tlen, 0, 0],
            &[EFAULT],
        );
        s.expect(
            "symlink path",
            nr::SYMLINK,
            [tmp, tlen, p, 9, 0, 0],
            &[EFAULT],
        );
        s.expect(
            "readlink path",
            nr::READLINK,
            [p, 9, scratch, n, 0, 0],
            &[EFAULT],
        );
        if let Some(link) = t.link {
            let l = [link.as_ptr() as usize, link.len(), p, n, 0, 0];
            s.expect("readlink buf", nr::READLINK, l, &[EFAULT]);
        }
        s.expect("pipe", nr::PIPE, [p, 0, 0, 0, 0, 0], &[EFAULT]);
        s.expect("spawn", nr::SPAWN, [p, 0, 0, 0, 0, 0], &[EFAULT]);
        s.expect("exec path", nr::EXEC, [p, 9, 0, 0, 0, 0], &[EFAULT]);
        s.expect("exec argv", nr::EXEC, [path, plen, p, 1, 0, 0], &[EFAULT]);
        s.expect("exec envp", nr::EXEC, [path, plen, 0, 0, p, 1], &[EFAULT]);
        s.expect(
            "clock_gettime",
            nr::CLOCK_GETTIME,
            [CLOCK_MONOTONIC as usize, p, 0, 0, 0, 0],
            &[EFAULT],
        );
        s.expect("uname", nr::UNAME, [p, 0, 0, 0, 0, 0], &[EFAULT]);
        s.expect("sysinfo", nr::SYSINFO, [p, 0, 0, 0, 0, 0], &[EFAULT]);
        s.expect("times", nr::TIMES, [p, 0, 0, 0, 0, 0], &[EFAULT]);
        s.expect("proclist", nr::PROCLIST, [p, 4, 0, 0, 0, 0], &[EFAULT]);
        if tty {
            for req in [TIOCGWINSZ, TCGETMODE, TCSETMODE, TIOCGPGRP, TIOCSPGRP] {
                s.expect("ioctl", nr::IOCTL, [1, req as usize, p, 0, 0, 0], &[EFAULT]);
            }
        }
        // Optional pointers: 0 means "none", so only the non-null bad ones apply.
        if p != 0 {
            let u = SIGUSR1 as usize;
            s.expect(
                "sigaction new",
                nr::SIGACTION,
                [u, p, 0, 0, 0, 0],
                &[EFAULT],
            );
            s.expect(
                "sigaction old",
                nr::SIGACTION,
                [u, 0, p, 0, 0, 0],
                &[EFAULT],
            );
            s.expect(
                "sigprocmask old",
                nr::SIGPROCMASK,
                [SIG_BLOCK as usize, 0, p, 0, 0, 0],
                &[EFAULT],
            );
            // waitpid's status pointer, with a child that has ended.
            if let Ok(pid) = fork_child(|| 0) {
                s.expect(
                    "waitpid status",
                    nr::WAITPID,
                    [pid as usize, p, 0, 0, 0, 0],
                    &[EFAULT],
                );
                let _ = sys::waitpid(pid as i64, None, 0);
            }
        }
    }
    // The parameter block of spawn, pointing at bad places.
    let strs = [UserStr {
        ptr: path as u64,
        len: plen as u64,
    }];
    let good = SpawnArgs {
        path: strs[0],
        argv: strs.as_ptr() as u64,
        argc: 1,
        envp: 0,
        envc: 0,
        fds: [0, 1, 2],
        pgid: 0,
        flags: 0,
    };
    let mut cases: Vec<(&str, SpawnArgs, &[Errno])> = Vec::new();
    for p in bad_ptrs(s) {
        cases.push((
            "spawn block path",
            SpawnArgs {
                path: UserStr {
                    ptr: p as u64,
                    len: 9,
                },
                ..good
            },
            &[EFAULT],
        ));
        cases.push((
            "spawn block argv",
            SpawnArgs {
                argv: p as u64,
                ..good
            },
            &[EFAULT],
        ));
        cases.push((
            "spawn block envp",
            SpawnArgs {
                envp: p as u64,
                envc: 1,
                ..good
            },
            &[EFAULT],
        ));
    }
    for h in HUGE {
        let path_len = SpawnArgs {
            path: UserStr {
                ptr: path as u64,
                len: h as u64,
            },
            ..good
        };
        cases.push((
            "spawn block path length",
            path_len,
            &[ENAMETOOLONG, EFAULT, EINVAL],
        ));
        cases.push((
            "spawn block argc",
            SpawnArgs {
                argc: h as u64,
                ..good
            },
            &[E2BIG, EFAULT, EINVAL],
        ));
        cases.push((
            "spawn block envc",
            SpawnArgs {
                envp: good.argv,
                envc: h as u64,
                ..good
            },
            &[E2BIG, EFAULT, EINVAL],
        ));
    }
    cases.push((
        "spawn block fds",
        SpawnArgs {
            fds: [63, 1, 2],
            ..good
        },
        &[EBADF],
    ));
    let mut block = [0u8; <SpawnArgs as Pod>::SIZE];
    for (name, args, want) in cases {
        args.to_bytes(&mut block);
        s.expect(
            name,
            nr::SPAWN,
            [block.as_ptr() as usize, 0, 0, 0, 0, 0],
            want,
        );
    }
}

fn lengths(s: &mut Sweep, t: &Targets) {
    let (path, scratch) = (PATH.as_ptr() as usize, s.scratch);
    let too_long = &[ENAMETOOLONG, EFAULT, EINVAL];
    let bad_range = &[EFAULT, EINVAL];
    // A buffer claimed to run to the end of the address space (it wraps around) must be
    // refused as a whole, even when the data would fit in the part that is mapped: the
    // 16-byte file and the small root directory below.
    let max = usize::MAX;
    s.expect("read", nr::READ, [t.file, scratch, max, 0, 0, 0], bad_range);
    s.expect(
        "pread",
        nr::PREAD,
        [t.file, scratch, max, 0, 0, 0],
        bad_range,
    );
    s.expect(
        "pread 16-byte file",
        nr::PREAD,
        [t.tmp, scratch, max, 0, 0, 0],
        bad_range,
    );
    s.expect(
        "getdents",
        nr::GETDENTS,
        [t.dir, scratch, max, 0, 0, 0],
        bad_range,
    );
    s.expect("munmap", nr::MUNMAP, [scratch, max, 0, 0, 0, 0], &[EINVAL]);
    // A thread pointer outside user space (the kernel half, off the top).
    for bad in [KERNEL, usize::MAX, 0x8000_0000_0000] {
        s.expect(
            "set_thread_pointer",
            nr::SET_THREAD_POINTER,
            [bad, 0, 0, 0, 0, 0],
            &[EINVAL],
        );
    }
    for h in HUGE {
        // Data taken from an 8 KiB buffer claimed to be enormous: the source runs into
        // unmapped memory.
        s.expect("write", nr::WRITE, [t.null, scratch, h, 0, 0, 0], bad_range);
        s.expect(
            "pwrite",
            nr::PWRITE,
            [t.tmp, scratch, h, 0, 0, 0],
            bad_range,
        );
        let open = [path, h, O_RDONLY as usize, 0, 0, 0];
        s.expect("open", nr::OPEN, open, too_long);
        s.expect("stat", nr::STAT, [path, h, scratch, 0, 0, 0], too_long);
        s.expect("chdir", nr::CHDIR, [path, h, 0, 0, 0, 0], too_long);
        s.expect("mkdir", nr::MKDIR, [path, h, 0o755, 0, 0, 0], too_long);
        s.expect("unlink", nr::UNLINK, [path, h, 0, 0, 0, 0], too_long);
        s.expect("exec path", nr::EXEC, [path, h, 0, 0, 0, 0], too_long);
        let argc = [path, PATH.len(), scratch, h, 0, 0];
        s.expect("exec argc", nr::EXEC, argc, &[E2BIG, EFAULT, EINVAL]);
        let envc = [path, PATH.len(), 0, 0, scratch, h];
        s.expect("exec envc", nr::EXEC, envc, &[E2BIG, EFAULT, EINVAL]);
        let rw = (PROT_READ | PROT_WRITE) as usize;
        let anon = (MAP_PRIVATE | MAP_ANONYMOUS) as usize;
        let mmap = [0, h.saturating_add(PAGE), rw, anon, 0, 0];
        s.expect("mmap", nr::MMAP, mmap, &[EINVAL, ENOMEM]);
    }
    let rw = (PROT_READ | PROT_WRITE) as usize;
    let anon = (MAP_PRIVATE | MAP_ANONYMOUS) as usize;
    s.expect("mmap", nr::MMAP, [0, 0, rw, anon, 0, 0], &[EINVAL]);
    s.expect(
        "munmap",
        nr::MUNMAP,
        [scratch + 1, PAGE, 0, 0, 0, 0],
        &[EINVAL],
    );
    // Numbers out of range.
    let me = sys::getpid().unwrap_or(0);
    s.expect("kill", nr::KILL, [me, 1000, 0, 0, 0, 0], &[EINVAL]);
    for sig in [0, 32, 1000] {
        s.expect(
            "sigaction",
            nr::SIGACTION,
            [sig, 0, scratch, 0, 0, 0],
            &[EINVAL],
        );
    }
    s.expect(
        "sigprocmask",
        nr::SIGPROCMASK,
        [99, 0, 0, 0, 0, 0],
        &[EINVAL],
    );
    s.expect(
        "clock_gettime",
        nr::CLOCK_GETTIME,
        [99, scratch, 0, 0, 0, 0],
        &[EINVAL],
    );
    s.expect(
        "lseek",
        nr::LSEEK,
        [t.file, usize::MAX, SEEK_SET as usize, 0, 0, 0],
        &[EINVAL],
    );
    s.expect("lseek", nr::LSEEK, [t.file, 0, 99, 0, 0, 0], &[EINVAL]);
    s.expect(
        "ioctl",
        nr::IOCTL,
        [t.file, TIOCGWINSZ as usize, scratch, 0, 0, 0],
        &[ENOTTY],
    );
    // A set-request with a bad pointer to a file, which takes no requests at all:
    // ENOTTY, whatever the pointer (the terminal reports the pointer: see above).
    for p in [KERNEL, UNMAPPED] {
        for req in [TCSETMODE, TIOCSPGRP] {
            s.expect(
                "ioctl",
                nr::IOCTL,
                [t.file, req as usize, p, 0, 0, 0],
                &[ENOTTY],
            );
        }
    }
    if ulib::io::is_terminal(1) {
        s.expect("ioctl", nr::IOCTL, [1, 0xdead, scratch, 0, 0, 0], &[EINVAL]);
    }
    for number in [53, 79, nr::COUNT, 1000, usize::MAX] {
        s.expect("unknown call", number, [0; 6], &[ENOSYS]);
    }
}

/// A read refused for its buffer must leave the data where it was: the next good read
/// of the pipe still gets it.
fn refused_read_consumes_nothing(s: &mut Sweep) {
    let mut fds = [0i32; 2];
    if sys::pipe(&mut fds).is_err() || sys::write(fds[1], b"abc") != Ok(3) {
        s.fail("pipe", [0; 6], "could not make a pipe holding 3 bytes");
        return;
    }
    let _ = sys::close(fds[1]); // a lost byte then reads as end of file, not a hang
    let r = fds[0] as usize;
    for p in [KERNEL, UNMAPPED] {
        s.expect("read pipe", nr::READ, [r, p, 3, 0, 0, 0], &[EFAULT]);
    }
    let mut b = [0u8; 3];
    let got = sys::read(fds[0], &mut b);
    if got != Ok(3) || &b != b"abc" {
        let what = format!(
            "after two refused reads, read gave {got:?} {:?}: the refused reads consumed the data",
            &b[..got.unwrap_or(0).min(3)]
        );
        s.fail("read pipe", [r, s.scratch, 3, 0, 0, 0], &what);
    }
    let _ = sys::close(fds[0]);
}

/// Values at the edges of the kernel's address arithmetic.
fn limits(s: &mut Sweep, t: &Targets) {
    let Ok(brk) = call(nr::BRK, [0; 6]) else {
        s.fail("brk", [0; 6], "brk(0) failed");
        return;
    };
    for v in [KERNEL, usize::MAX, usize::MAX - PAGE + 2] {
        // Refused: the break stays where it was.
        s.expect_ok("brk", nr::BRK, [v, 0, 0, 0, 0, 0], brk);
    }
    let rw = (PROT_READ | PROT_WRITE) as usize;
    let anon = (MAP_PRIVATE | MAP_ANONYMOUS) as usize;
    for hint in [KERNEL, usize::MAX, usize::MAX - PAGE + 2] {
        let a = [hint, PAGE, rw, anon, 0, 0];
        s.say(&format!("> mmap({hint:#x}, {PAGE:#x})\n"));
        match call(nr::MMAP, a) {
            Ok(at) if at < KERNEL && at % PAGE == 0 => {
                let _ = call(nr::MUNMAP, [at, PAGE, 0, 0, 0, 0]);
            }
            Err(ENOMEM | EINVAL) => {}
            other => s.fail(
                "mmap",
                a,
                &format!("{other:?}, expected a user address, ENOMEM or EINVAL"),
            ),
        }
    }
    for (start, len) in [
        (UNMAPPED, usize::MAX - UNMAPPED),
        (UNMAPPED, usize::MAX - UNMAPPED - 5),
        (KERNEL, PAGE),
    ] {
        s.expect("munmap", nr::MUNMAP, [start, len, 0, 0, 0, 0], &[EINVAL]);
    }
    s.expect(
        "kill",
        nr::KILL,
        [i64::MIN as usize, 0, 0, 0, 0, 0],
        &[ESRCH, EINVAL],
    );
    // waitpid only looks at a group number when there are children to compare.
    let mut fds = [0i32; 2];
    if sys::pipe(&mut fds).is_ok() {
        let (r, w) = (fds[0], fds[1]);
        if let Ok(pid) = fork_child(|| {
            let _ = sys::close(w);
            let _ = sys::read(r, &mut [0u8; 1]);
            0
        }) {
            let a = [i64::MIN as usize, 0, WNOHANG as usize, 0, 0, 0];
            s.expect("waitpid", nr::WAITPID, a, &[ECHILD, ESRCH, EINVAL]);
            let _ = sys::close(w);
            let _ = sys::waitpid(pid as i64, None, 0);
        }
        let _ = sys::close(r);
        let _ = sys::close(w);
    }
    s.expect(
        "pwrite",
        nr::PWRITE,
        [t.tmp, s.scratch, 16, usize::MAX, 0, 0],
        &[EINVAL, EFBIG, ENOSPC],
    );
    s.expect(
        "pwrite",
        nr::PWRITE,
        [t.tmp, s.scratch, 16, usize::MAX - 8, 0, 0],
        &[EINVAL, EFBIG, ENOSPC],
    );
    s.expect(
        "ftruncate",
        nr::FTRUNCATE,
        [t.tmp, usize::MAX, 0, 0, 0, 0],
        &[EINVAL, EFBIG, ENOSPC],
    );
}

/// The child's whole sweep; returns how many answers were wrong.
fn sweep(report: i32) -> i32 {
    let rw = PROT_READ | PROT_WRITE;
    let Ok(scratch) = sys::mmap(0, 3 * PAGE, rw, MAP_PRIVATE | MAP_ANONYMOUS) else {
        return 100;
    };
    if call(nr::MUNMAP, [scratch + 2 * PAGE, PAGE, 0, 0, 0, 0]).is_err() {
        return 101;
    }
    let mut s = Sweep {
        report,
        scratch,
        wrong: 0,
    };
    let (Some(file), Some(dir), Some(null), Some(tmp)) = (
        open(PATH, O_RDONLY),
        sys::open("/", O_RDONLY | O_DIRECTORY, 0).ok(),
        open("/dev/null", O_RDWR),
        open(TMP, O_RDWR | O_CREAT),
    ) else {
        return 102;
    };
    // A working directory longer than the 2 bytes before the unmapped page, so that
    // getcwd into the crossing pointer must fail.
    if sys::chdir("/tmp").is_err() || sys::write(tmp as i32, b"sixteen bytes ok") != Ok(16) {
        return 103;
    }
    let _ = sys::unlink(LINK);
    let link = sys::symlink("/bin/true", LINK).ok().map(|_| LINK);
    let t = Targets {
        file,
        dir,
        null,
        tmp,
        link,
    };
    let lowest_free = sys::dup(0).ok();
    if let Some(fd) = lowest_free {
        let _ = sys::close(fd as i32);
    }
    descriptors(&mut s);
    pointers(&mut s, &t);
    lengths(&mut s, &t);
    refused_read_consumes_nothing(&mut s);
    // No call above may have left a descriptor behind (pipe, open, spawn failing).
    let now = sys::dup(0).ok();
    if now != lowest_free {
        s.fail(
            "dup",
            [0; 6],
            &format!(
                "lowest free descriptor {now:?}, was {lowest_free:?}: a failed call leaked one"
            ),
        );
    }
    if let Some(fd) = now {
        let _ = sys::close(fd as i32);
    }
    limits(&mut s, &t);
    // Still alive, and ordinary calls still work.
    s.say("> getpid and a normal write\n");
    if sys::getpid() != Ok(ulib::process::id() as usize)
        || sys::write(t.null as i32, b"alive").is_err()
    {
        s.fail(
            "getpid/write",
            [0; 6],
            "a normal call failed after the sweep",
        );
    }
    let _ = sys::unlink(TMP);
    let _ = sys::unlink(LINK);
    s.wrong.min(99) as i32
}

pub fn bad_arguments_are_refused() -> TestResult {
    let (r, w) = pipe()?;
    let (rfd, wfd) = (r.as_raw_fd(), w.as_raw_fd());
    let pid = fork_child(|| {
        let _ = sys::close(rfd);
        sweep(wfd)
    })?;
    drop(w);
    let mut text = String::new();
    ctx(
        ulib::io::Fd(r.as_raw_fd()).read_to_string(&mut text),
        "reading the sweep's report",
    )?;
    let st = crate::wait_for(pid)?;
    let calls = text.lines().filter(|l| l.starts_with("> ")).count();
    let wrong: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("! ")).collect();
    if let Some(sig) = st.signal() {
        let last = text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("> "))
            .unwrap_or("(none)");
        return Err(format!(
            "the process making bad calls was killed by {} during {last}; earlier wrong answers: {}",
            ulib::abi::signal::name(sig),
            wrong.join("; ")
        ));
    }
    ensure(
        st.code() == Some(wrong.len() as i32) && wrong.is_empty(),
        || {
            format!(
                "{} of {calls} calls answered wrongly ({st}): {}",
                wrong.len(),
                wrong.join("; ")
            )
        },
    )
}
