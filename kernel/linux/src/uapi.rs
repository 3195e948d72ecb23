//! Linux's user-space ABI on x86-64, as its UAPI headers define it: the constants and
//! the layouts of the structures that cross the boundary (chapter 2 section 6: what
//! makes a program "a Linux program" besides its call numbers).
//!
//! This is the one place where Linux values meet dinos values. dinos chose Linux's
//! numbering for errno, open flags and signal numbers, so those translate as the
//! identity, but they are still translated here (and tested against the headers'
//! values), so a future change on either side has one place to break. Structures are
//! written as bytes in Linux's exact layout (`struct stat` is 144 bytes, a
//! `dirent64` record is 19 bytes plus the name, rounded to 8).

use abi::Errno;
use alloc::vec::Vec;

// ---- errno: dinos uses Linux's numbers ------------------------------------------------

/// The Linux errno for a kernel error (identity: `abi::Errno` has Linux's values).
pub fn errno(e: Errno) -> i64 {
    e as i64
}

// ---- open(2), fcntl(2), *at -----------------------------------------------------------

pub const O_ACCMODE: u32 = 0o3;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_NOCTTY: u32 = 0o400;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DSYNC: u32 = 0o10000;
pub const O_ASYNC: u32 = 0o20000;
pub const O_DIRECT: u32 = 0o40000;
pub const O_LARGEFILE: u32 = 0o100000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_NOATIME: u32 = 0o1000000;
pub const O_CLOEXEC: u32 = 0o2000000;
pub const O_SYNC: u32 = 0o4010000;
pub const O_PATH: u32 = 0o10000000;

/// Linux open flags to dinos open flags. The bits that mean something to dinos are
/// the same bits; those that only tune behaviour dinos has anyway (O_LARGEFILE: files
/// are 64-bit; O_NOCTTY: no controlling-terminal acquisition; O_NOATIME, O_DIRECT,
/// O_ASYNC) are dropped. O_PATH opens read-only (enough for `fchdir` and `*at`).
pub fn open_flags(f: u32) -> u32 {
    let keep = O_ACCMODE
        | O_CREAT
        | O_EXCL
        | O_TRUNC
        | O_APPEND
        | O_NONBLOCK
        | O_SYNC
        | O_DSYNC
        | O_DIRECTORY
        | O_NOFOLLOW
        | O_CLOEXEC;
    if f & O_PATH != 0 {
        return f & (O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    f & keep
}

pub const AT_FDCWD: i32 = -100;
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_REMOVEDIR: u32 = 0x200;
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
pub const AT_EACCESS: u32 = 0x200;
pub const AT_EMPTY_PATH: u32 = 0x1000;

pub const F_DUPFD: u32 = 0;
pub const F_GETFD: u32 = 1;
pub const F_SETFD: u32 = 2;
pub const F_GETFL: u32 = 3;
pub const F_SETFL: u32 = 4;
pub const F_GETLK: u32 = 5;
pub const F_SETLK: u32 = 6;
pub const F_SETLKW: u32 = 7;
pub const F_DUPFD_CLOEXEC: u32 = 1030;
pub const FD_CLOEXEC: u64 = 1;

// ---- ioctl(2) on terminals ------------------------------------------------------------

pub const TCGETS: u32 = 0x5401;
pub const TCSETS: u32 = 0x5402;
pub const TCSETSW: u32 = 0x5403;
pub const TCSETSF: u32 = 0x5404;
pub const TIOCSCTTY: u32 = 0x540e;
pub const TIOCGPGRP: u32 = 0x540f;
pub const TIOCSPGRP: u32 = 0x5410;
pub const TIOCGWINSZ: u32 = 0x5413;
pub const TIOCSWINSZ: u32 = 0x5414;
pub const TIOCGPTN: u32 = 0x8004_5430;
pub const TIOCSPTLCK: u32 = 0x4004_5431;
pub const FIONREAD: u32 = 0x541b;
pub const FIONBIO: u32 = 0x5421;

/// `struct termios` (the kernel's, 36 bytes: no speed fields): c_iflag, c_oflag,
/// c_cflag, c_lflag (u32 each), c_line (u8), c_cc[19].
pub const TERMIOS_SIZE: usize = 36;
pub const NCCS: usize = 19;
// c_lflag bits.
pub const ISIG: u32 = 0o1;
pub const ICANON: u32 = 0o2;
pub const ECHO: u32 = 0o10;
pub const ECHOE: u32 = 0o20;
pub const ECHOK: u32 = 0o40;
pub const ECHOCTL: u32 = 0o1000;
pub const ECHOKE: u32 = 0o4000;
pub const IEXTEN: u32 = 0o100000;
// c_iflag, c_oflag, c_cflag bits a cooked terminal has.
pub const ICRNL: u32 = 0o400;
pub const IXON: u32 = 0o2000;
pub const OPOST: u32 = 0o1;
pub const ONLCR: u32 = 0o4;
pub const B38400: u32 = 0o17;
pub const CS8: u32 = 0o60;
pub const CREAD: u32 = 0o200;
pub const HUPCL: u32 = 0o2000;

/// A termios for the dinos terminal in mode `mode` (`abi::flags::TTY_*`): Linux's
/// defaults for a serial console, with ECHO, ICANON and ISIG as the mode says.
pub fn termios_of_mode(mode: u32) -> [u8; TERMIOS_SIZE] {
    use abi::flags::{TTY_CANON, TTY_ECHO, TTY_ISIG, TTY_OPOST};
    let mut lflag = IEXTEN | ECHOE | ECHOK | ECHOCTL | ECHOKE;
    if mode & TTY_ECHO != 0 {
        lflag |= ECHO;
    }
    if mode & TTY_CANON != 0 {
        lflag |= ICANON;
    }
    if mode & TTY_ISIG != 0 {
        lflag |= ISIG;
    }
    let mut t = [0u8; TERMIOS_SIZE];
    t[0..4].copy_from_slice(&(ICRNL | IXON).to_le_bytes());
    let oflag = if mode & TTY_OPOST != 0 {
        OPOST | ONLCR
    } else {
        0
    };
    t[4..8].copy_from_slice(&oflag.to_le_bytes());
    t[8..12].copy_from_slice(&(B38400 | CS8 | CREAD | HUPCL).to_le_bytes());
    t[12..16].copy_from_slice(&lflag.to_le_bytes());
    // c_line 0; c_cc: VINTR ^C, VQUIT ^\, VERASE DEL, VKILL ^U, VEOF ^D, VTIME 0,
    // VMIN 1, ..., as Linux sets them.
    let cc: [u8; NCCS] = [
        3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
    ];
    t[17..17 + NCCS].copy_from_slice(&cc);
    t
}

/// The dinos terminal mode a Linux termios asks for.
pub fn mode_of_termios(t: &[u8]) -> u32 {
    use abi::flags::{TTY_CANON, TTY_ECHO, TTY_ISIG, TTY_OPOST};
    let lflag = u32::from_le_bytes([t[12], t[13], t[14], t[15]]);
    let mut m = 0;
    if lflag & ECHO != 0 {
        m |= TTY_ECHO;
    }
    if lflag & ICANON != 0 {
        m |= TTY_CANON;
    }
    if lflag & ISIG != 0 {
        m |= TTY_ISIG;
    }
    let oflag = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
    if oflag & OPOST != 0 && oflag & ONLCR != 0 {
        m |= TTY_OPOST;
    }
    m
}

// ---- signals --------------------------------------------------------------------------

/// Linux has 64 signals (1..=31 classic, 32..=64 real-time); dinos has the classic ones
/// with the same numbers.
pub const NSIG_LINUX: u32 = 64;
pub const SA_SIGINFO: u64 = 4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SA_RESTORER: u64 = 0x0400_0000;

/// A Linux signal number as a dinos one (identity for 1..NSIG); `None` for a real-time
/// signal dinos does not have.
pub fn signal(sig: u32) -> Option<u32> {
    (sig < abi::signal::NSIG).then_some(sig)
}

/// A Linux `sigset_t` (bit `n-1` is signal `n`) as a dinos mask (bit `n` is signal n).
pub fn sigset_to_dinos(set: u64) -> u64 {
    (set << 1) & ((1u64 << abi::signal::NSIG) - 1)
}

/// A dinos signal mask as a Linux `sigset_t`.
pub fn sigset_to_linux(mask: u64) -> u64 {
    mask >> 1
}

/// `struct sigaction` as the kernel takes it (`rt_sigaction`): handler, flags,
/// restorer, mask (32 bytes).
pub const KSIGACTION_SIZE: usize = 32;

// ---- mmap(2) --------------------------------------------------------------------------

pub const MAP_SHARED: u32 = 0x01;
pub const MAP_PRIVATE: u32 = 0x02;
pub const MAP_FIXED: u32 = 0x10;
pub const MAP_ANONYMOUS: u32 = 0x20;
pub const MAP_GROWSDOWN: u32 = 0x100;
pub const MAP_DENYWRITE: u32 = 0x800;
pub const MAP_EXECUTABLE: u32 = 0x1000;
pub const MAP_NORESERVE: u32 = 0x4000;
pub const MAP_POPULATE: u32 = 0x8000;
pub const MAP_STACK: u32 = 0x20000;
pub const MAP_FIXED_NOREPLACE: u32 = 0x100000;

/// Linux mmap flags to dinos flags: the four dinos knows keep their bits; the hints
/// that change nothing here (NORESERVE, POPULATE, STACK, GROWSDOWN, DENYWRITE,
/// EXECUTABLE) are dropped. FIXED_NOREPLACE is refused by the caller.
pub fn map_flags(f: u32) -> u32 {
    f & (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS)
}

// ---- process control --------------------------------------------------------------------

pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FS: u64 = 0x200;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
pub const CLONE_VFORK: u64 = 0x4000;
pub const CLONE_THREAD: u64 = 0x10000;
pub const CLONE_SYSVSEM: u64 = 0x40000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_DETACHED: u64 = 0x400000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;
/// The low byte of clone's flags: the signal the parent gets when the child ends.
pub const CSIGNAL: u64 = 0xff;

pub const ARCH_SET_GS: u64 = 0x1001;
pub const ARCH_SET_FS: u64 = 0x1002;
pub const ARCH_GET_FS: u64 = 0x1003;
pub const ARCH_GET_GS: u64 = 0x1004;

pub const PR_SET_NAME: u64 = 15;
pub const PR_GET_NAME: u64 = 16;

pub const P_ALL: u32 = 0;
pub const P_PID: u32 = 1;
pub const P_PGID: u32 = 2;
pub const WEXITED: u32 = 4;
pub const WNOWAIT: u32 = 0x0100_0000;

pub const RLIMIT_NOFILE: u32 = 7;
pub const RLIMIT_STACK: u32 = 3;
pub const RLIM_INFINITY: u64 = u64::MAX;

// ---- structures -------------------------------------------------------------------------

/// Little-endian bytes in a Linux structure's layout, field after field.
#[derive(Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    pub fn with_capacity(n: usize) -> Bytes {
        Bytes(Vec::with_capacity(n))
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.u64(v as u64)
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
    pub fn zeros(&mut self, n: usize) -> &mut Self {
        self.0.resize(self.0.len() + n, 0);
        self
    }
}

/// `struct stat` of x86-64 Linux (144 bytes).
pub const STAT_SIZE: usize = 144;

pub fn stat(s: &abi::Stat) -> StatBytes {
    // On the stack, not in a `Bytes` vector: `stat` is a call programs make often.
    let mut b = [0u8; STAT_SIZE];
    let mut put = |at: usize, v: u64| b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    put(0, s.dev);
    put(8, s.ino);
    put(16, s.nlink as u64);
    put(24, s.mode as u64 | (s.uid as u64) << 32);
    put(32, s.gid as u64); // and __pad0
    put(40, s.rdev);
    put(48, s.size);
    put(56, s.blksize);
    put(64, s.blocks);
    put(72, s.atime as u64);
    put(88, s.mtime as u64);
    put(104, s.ctime as u64);
    // The nanoseconds (80, 96, 112) and __unused[3] (120..144) stay zero.
    StatBytes(b)
}

/// A `struct stat` as Linux x86-64 lays it out.
pub struct StatBytes(pub [u8; STAT_SIZE]);

/// `struct statx` (256 bytes), all of `STATX_BASIC_STATS` filled.
pub const STATX_SIZE: usize = 256;
pub const STATX_BASIC_STATS: u32 = 0x7ff;

pub fn statx(s: &abi::Stat) -> Bytes {
    let mut b = Bytes::with_capacity(STATX_SIZE);
    let ts = |b: &mut Bytes, t: i64| {
        b.i64(t).u32(0).u32(0);
    };
    b.u32(STATX_BASIC_STATS) // stx_mask
        .u32(s.blksize as u32)
        .u64(0) // stx_attributes
        .u32(s.nlink)
        .u32(s.uid)
        .u32(s.gid)
        .u16(s.mode as u16)
        .u16(0)
        .u64(s.ino)
        .u64(s.size)
        .u64(s.blocks)
        .u64(0); // stx_attributes_mask
    ts(&mut b, s.atime);
    ts(&mut b, s.ctime); // btime: ext2 has none; ctime is the closest
    ts(&mut b, s.ctime);
    ts(&mut b, s.mtime);
    b.u32((s.rdev >> 8) as u32 & 0xfff)
        .u32(s.rdev as u32 & 0xff)
        .u32((s.dev >> 8) as u32 & 0xfff)
        .u32(s.dev as u32 & 0xff);
    let n = b.0.len();
    b.zeros(STATX_SIZE - n);
    b
}

/// One `struct linux_dirent64` record: ino, off (the position after it), reclen,
/// type, the name and its NUL, padded to 8.
pub fn dirent64(out: &mut Vec<u8>, ino: u64, off: u64, kind: u8, name: &[u8]) -> usize {
    let len = (19 + name.len() + 1).next_multiple_of(8);
    out.extend_from_slice(&ino.to_le_bytes());
    out.extend_from_slice(&off.to_le_bytes());
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.push(kind);
    out.extend_from_slice(name);
    out.resize(out.len() + len - 19 - name.len(), 0);
    len
}

/// Bytes a `dirent64` record for a name of `n` bytes takes.
pub fn dirent64_len(n: usize) -> usize {
    (19 + n + 1).next_multiple_of(8)
}

/// `struct utsname`: six fields of 65 bytes.
pub const UTS_FIELD: usize = 65;

/// `struct statfs` (120 bytes).
pub fn statfs(s: &abi::StatFs) -> Bytes {
    let magic: u64 = match s.fs_type.split(|&c| c == 0).next().unwrap_or(&[]) {
        b"ext2" => 0xef53,
        b"tmpfs" => 0x0102_1994,
        b"devfs" => 0x1373,
        _ => 0,
    };
    let mut b = Bytes::with_capacity(120);
    b.u64(magic)
        .u64(s.block_size)
        .u64(s.blocks)
        .u64(s.free_blocks)
        .u64(s.avail_blocks)
        .u64(s.files)
        .u64(s.free_files)
        .u64(0) // f_fsid
        .u64(s.name_max)
        .u64(s.block_size) // f_frsize
        .u64(0) // f_flags
        .zeros(32); // f_spare[4]
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values from the Linux UAPI headers (asm-generic/fcntl.h, asm/signal.h,
    // asm-generic/errno-base.h, asm/stat.h), checked here so that a change on the
    // dinos side cannot silently change what Linux programs see.
    #[test]
    fn constants_match_the_linux_headers() {
        assert_eq!(O_CREAT, 0x40);
        assert_eq!(O_CLOEXEC, 0x80000);
        assert_eq!(O_DIRECTORY, 0x10000);
        assert_eq!(O_LARGEFILE, 0x8000);
        assert_eq!(abi::flags::O_CREAT, O_CREAT);
        assert_eq!(abi::flags::O_TRUNC, O_TRUNC);
        assert_eq!(abi::flags::O_APPEND, O_APPEND);
        assert_eq!(abi::flags::O_NONBLOCK, O_NONBLOCK);
        assert_eq!(abi::flags::O_NOFOLLOW, O_NOFOLLOW);
        assert_eq!(abi::flags::O_CLOEXEC, O_CLOEXEC);
        assert_eq!(errno(Errno::ENOENT), 2);
        assert_eq!(errno(Errno::EFAULT), 14);
        assert_eq!(errno(Errno::ENOSYS), 38);
        assert_eq!(errno(Errno::ENOTEMPTY), 39);
        assert_eq!(abi::signal::SIGCHLD, 17);
        assert_eq!(abi::signal::SIGTSTP, 20);
        assert_eq!(abi::flags::S_IFDIR, 0o040000);
    }

    #[test]
    fn open_flags_drop_only_hints() {
        assert_eq!(open_flags(O_LARGEFILE | O_NOCTTY | 1), 1);
        assert_eq!(
            open_flags(O_CREAT | O_TRUNC | 1 | O_CLOEXEC),
            O_CREAT | O_TRUNC | 1 | O_CLOEXEC
        );
        assert_eq!(open_flags(O_PATH | O_DIRECTORY | 2), O_DIRECTORY);
    }

    #[test]
    fn sigset_bit_n_minus_one_is_signal_n() {
        let linux = 1u64 << (abi::signal::SIGINT - 1);
        assert_eq!(sigset_to_dinos(linux), 1 << abi::signal::SIGINT);
        assert_eq!(sigset_to_linux(1 << abi::signal::SIGCHLD), 1 << 16);
        // Real-time signals have no dinos bit.
        assert_eq!(sigset_to_dinos(1 << 40), 0);
    }

    #[test]
    fn stat_fields_at_linux_offsets() {
        let s = abi::Stat {
            dev: 1,
            ino: 2,
            mode: 3,
            nlink: 4,
            uid: 5,
            gid: 6,
            rdev: 7,
            size: 8,
            blksize: 9,
            blocks: 10,
            atime: 11,
            mtime: 12,
            ctime: 13,
        };
        let b = stat(&s).0;
        let q = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
        let d = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        assert_eq!((q(0), q(8), q(16)), (1, 2, 4));
        assert_eq!((d(24), d(28), d(32), d(36)), (3, 5, 6, 0));
        assert_eq!((q(40), q(48), q(56), q(64)), (7, 8, 9, 10));
        assert_eq!(
            (q(72), q(80), q(88), q(96), q(104), q(112)),
            (11, 0, 12, 0, 13, 0)
        );
        assert!(b[120..].iter().all(|&x| x == 0));
    }

    #[test]
    fn struct_sizes_are_linux_sizes() {
        let s = abi::Stat::default();
        assert_eq!(stat(&s).0.len(), STAT_SIZE);
        assert_eq!(statx(&s).0.len(), STATX_SIZE);
        assert_eq!(statfs(&abi::StatFs::default()).0.len(), 120);
        let mut v = Vec::new();
        assert_eq!(dirent64(&mut v, 1, 2, 4, b"a"), 24);
        assert_eq!(v.len(), 24);
        assert_eq!(dirent64_len(5), 32);
        assert_eq!(dirent64_len(4), 24);
    }

    #[test]
    fn termios_round_trips_the_mode() {
        use abi::flags::{TTY_CANON, TTY_ECHO, TTY_ISIG};
        for m in [
            0,
            TTY_ECHO,
            TTY_CANON | TTY_ISIG,
            TTY_ECHO | TTY_CANON | TTY_ISIG,
        ] {
            assert_eq!(mode_of_termios(&termios_of_mode(m)), m);
        }
    }
}
