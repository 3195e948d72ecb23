//! Decoders for the Linux encoding of arguments: a directory descriptor where
//! `AT_FDCWD` means the working directory, pointers to Linux structures (shown by
//! their C name in a trace), and the few enumerations and flag sets the tracer
//! names. Strings are C strings (`syscall::user::CPath`), one register each.

use abi::Errno;
use core::marker::PhantomData;
use syscall::arg::{Arg, FlagSet, Kind, Named, Regs};
use syscall::ops::file::Dir;

/// The directory a relative path of an `*at` call starts from.
pub struct DirFd;

impl Arg for DirFd {
    type Value = Dir;
    const KIND: Kind = Kind::Fd;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<Dir, Errno> {
        let fd = r.take() as i32;
        Ok(if fd == crate::uapi::AT_FDCWD {
            Dir::Cwd
        } else {
            Dir::Fd(syscall::arg::Fd(fd))
        })
    }
}

/// Where a relative path starts when the call has no directory argument: the native
/// table's decoder (it reads no register).
pub use syscall::dinos::Cwd;

/// A C argument vector (`char *const argv[]`) left in user memory for the handler
/// to read when it is ready (the tracer still shows it as a list).
pub struct ArgvPtr;

impl Arg for ArgvPtr {
    type Value = u64;
    const KIND: Kind = Kind::CStrList;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<u64, Errno> {
        Ok(r.take())
    }
}

/// A pointer to a Linux structure named by `S` (the handler copies it).
pub struct Ptr<S: StructName>(PhantomData<S>);

/// The C name of a structure, for the tracer.
pub trait StructName {
    const NAME: &'static str;
}

impl<S: StructName> Arg for Ptr<S> {
    type Value = u64;
    const KIND: Kind = Kind::Struct(S::NAME);
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<u64, Errno> {
        Ok(r.take())
    }
}

macro_rules! structs {
    ($($t:ident => $name:literal),* $(,)?) => {
        $(
            #[doc = concat!("`", $name, "`.")]
            pub struct $t;
            impl StructName for $t {
                const NAME: &'static str = $name;
            }
        )*
    };
}

structs!(
    Stat => "struct stat",
    Statx => "struct statx",
    StatFs => "struct statfs",
    Timespec => "struct timespec",
    Timeval => "struct timeval",
    Iovec => "struct iovec[]",
    PollFds => "struct pollfd[]",
    SigAction => "struct sigaction",
    SigSet => "sigset_t",
    Utsname => "struct utsname",
    SysInfo => "struct sysinfo",
    Tms => "struct tms",
    Rusage => "struct rusage",
    Rlimit => "struct rlimit",
    SigInfo => "siginfo_t",
    IntPtr => "int *",
    LongPtr => "long *",
    FdSet => "fd_set",
    Stack => "stack_t",
    ItimerVal => "struct itimerval",
    SockAddr => "struct sockaddr",
    SockLen => "socklen_t *",
    OptVal => "void * (option)",
);

macro_rules! names {
    ($($c:ident),* $(,)?) => { &[$(($crate::uapi::$c as u64, stringify!($c))),*] };
}

macro_rules! named {
    ($($t:ident => $kind:expr;)*) => {
        $(
            #[doc = concat!("Names for the tracer: ", stringify!($t), ".")]
            pub struct $t;
            impl Named for $t {
                const KIND: Kind = $kind;
            }
        )*
    };
}

named! {
    OpenFlags => Kind::Flags(&FlagSet {
        value_mask: crate::uapi::O_ACCMODE as u64,
        values: &[(0, "O_RDONLY"), (1, "O_WRONLY"), (2, "O_RDWR")],
        bits: names!(
            O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_SYNC, O_DSYNC,
            O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_LARGEFILE, O_PATH, O_NOATIME
        ),
    });
    AtFlags => Kind::Flags(&FlagSet {
        value_mask: 0,
        values: &[],
        bits: names!(AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH),
    });
    FcntlCmd => Kind::Enum(names!(F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_DUPFD_CLOEXEC));
    IoctlReq => Kind::Enum(names!(TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCGWINSZ, TIOCSWINSZ, FIONREAD, FIONBIO));
    MapFlags => Kind::Flags(&FlagSet {
        value_mask: 0,
        values: &[],
        bits: names!(MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_NORESERVE, MAP_POPULATE, MAP_STACK, MAP_FIXED_NOREPLACE),
    });
    CloneFlags => Kind::Flags(&FlagSet {
        value_mask: crate::uapi::CSIGNAL,
        values: &[(17, "SIGCHLD"), (0, "0")],
        bits: names!(CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_VFORK, CLONE_THREAD, CLONE_SYSVSEM, CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_DETACHED),
    });
    ArchCode => Kind::Enum(names!(ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS));
}

/// Protection bits, as the native table names them.
pub type Prot = syscall::dinos::Prot;
/// `SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK` (the same values).
pub type SigHow = syscall::dinos::SigHow;
/// `SEEK_*` (the same values).
pub type Whence = syscall::dinos::Whence;
/// `R_OK|W_OK|X_OK` (the same values).
pub type AccessMode = syscall::dinos::AccessMode;
/// `WNOHANG|WUNTRACED|WCONTINUED` (the same values).
pub type WaitFlags = syscall::dinos::WaitFlags;

/// Bytes a path may have to be read onto the kernel stack ([`StackPath`]).
const SHORT_PATH: usize = 64;

/// A C string argument for calls that only look a path up (the `stat` family): when
/// the string and its NUL fit in [`SHORT_PATH`] bytes of its page, as nearly every
/// path does, it stays on the kernel stack, with no heap allocation and free (a
/// tenth of a `stat`); a longer one is read as `CStr` reads it. Its UTF-8 check is
/// made once, where the handler takes the text ([`StackPath::as_str`]).
pub enum StackPath {
    Short { buf: [u8; SHORT_PATH], len: usize },
    Long(alloc::string::String),
}

impl StackPath {
    /// The path's text; EINVAL when it is not UTF-8 (as `CStr` says).
    pub fn as_str(&self) -> Result<&str, Errno> {
        match self {
            StackPath::Short { buf, len } => {
                core::str::from_utf8(&buf[..*len]).map_err(|_| Errno::EINVAL)
            }
            StackPath::Long(s) => Ok(s),
        }
    }
}

/// Decoder: a NUL-terminated string (one register), possibly empty, as a
/// [`StackPath`].
pub struct CStrStack;

impl Arg for CStrStack {
    type Value = StackPath;
    const KIND: Kind = Kind::CPath;
    fn take(r: &mut Regs) -> Result<StackPath, Errno> {
        let addr = r.take();
        let mut buf = [0u8; SHORT_PATH];
        // Up to the end of the string's page at most: the next page may not be there.
        let n = ((4096 - (addr & 4095)) as usize).min(SHORT_PATH);
        proc::uaccess::read_into(addr, &mut buf[..n])?;
        match buf[..n].iter().position(|&b| b == 0) {
            Some(len) if len <= syscall::user::STR_MAX => Ok(StackPath::Short { buf, len }),
            _ => syscall::user::read_cstr(addr, syscall::user::STR_MAX).map(StackPath::Long),
        }
    }
}

/// [`CStrStack`] for a path that must not be empty (ENOENT), as `CPath`.
pub struct CPathStack;

impl Arg for CPathStack {
    type Value = StackPath;
    const KIND: Kind = Kind::CPath;
    fn take(r: &mut Regs) -> Result<StackPath, Errno> {
        let p = CStrStack::take(r)?;
        match &p {
            StackPath::Short { len: 0, .. } => Err(Errno::ENOENT),
            StackPath::Long(s) if s.is_empty() => Err(Errno::ENOENT),
            _ => Ok(p),
        }
    }
}
