//! The Linux system-call table: one row per call, indexed by Linux's x86-64 numbers
//! (`arch/x86/entry/syscalls/syscall_64.tbl`), each naming its decoders (so `trace`
//! shows `linux:openat(AT_FDCWD, "/etc", O_RDONLY|O_DIRECTORY, 0) = 3`) and its handler.
//! Handlers come from this crate's family files or straight from `syscall::ops` when
//! the two ABIs agree on everything (read, write, lseek, close, dup, ...).

use crate::args::*;
use crate::{file, info, memory, net, process, signal, xattr};
use syscall::arg::{Addr, Fd, Flags, Id, Mode, PidArg, Signal};
use syscall::ops::{file as f, memory as m, process as p, protect};
use syscall::table::Entry;
use syscall::user::{CPath, CStr, UserSliceMut};

/// Linux numbers below this have a slot (the highest used is faccessat2, 439).
pub const TABLE_LEN: usize = 448;

macro_rules! rows {
    ($t:ident; $( $nr:literal => $name:literal $(-> $ret:ident)? : $($h:ident)::+ ( $($ty:ty),* $(,)? ); )* ) => {
        $( $t[$nr] = Some(syscall::entry!($name $(-> $ret)? : $($h)::+ ( $($ty),* ))); )*
    };
}

/// The table.
pub static TABLE: [Option<Entry>; TABLE_LEN] = {
    let mut t: [Option<Entry>; TABLE_LEN] = [const { None }; TABLE_LEN];
    rows! { t;
        // File management.
        0 => "read": f::read(Fd, UserSliceMut);
        1 => "write": f::write(Fd, syscall::user::UserSlice);
        2 => "open" -> Fd: file::open(Cwd, CPath, Flags<OpenFlags>, Mode);
        3 => "close": f::close(Fd);
        4 => "stat": file::stat(Cwd, CPathStack, Ptr<Stat>);
        5 => "fstat": file::fstat(Fd, Ptr<Stat>);
        6 => "lstat": file::lstat(Cwd, CPathStack, Ptr<Stat>);
        7 => "poll": file::poll(Ptr<PollFds>, u64, i32);
        8 => "lseek": f::lseek(Fd, i64, Flags<Whence>);
        16 => "ioctl": file::ioctl(Fd, Flags<IoctlReq>, Addr);
        17 => "pread64": f::pread(Fd, UserSliceMut, u64);
        18 => "pwrite64": f::pwrite(Fd, syscall::user::UserSlice, u64);
        19 => "readv": file::readv(Fd, Ptr<Iovec>, u64);
        20 => "writev": file::writev(Fd, Ptr<Iovec>, u64);
        21 => "access": file::faccessat(Cwd, CPath, Flags<AccessMode>);
        22 => "pipe": file::pipe(Ptr<IntPtr>);
        23 => "select": file::select(i32, Ptr<FdSet>, Ptr<FdSet>, Ptr<FdSet>, Ptr<Timeval>);
        32 => "dup" -> Fd: f::dup(Fd);
        33 => "dup2" -> Fd: f::dup2(Fd, Fd);
        40 => "sendfile": file::sendfile(Fd, Fd, Ptr<LongPtr>, u64);
        // Communication over a network (docs/network.md).
        41 => "socket" -> Fd: net::socket(u32, u32, u32);
        42 => "connect": net::connect(Fd, Ptr<SockAddr>, u32);
        43 => "accept" -> Fd: net::accept(Fd, Ptr<SockAddr>, Ptr<SockLen>);
        44 => "sendto": net::sendto(Fd, syscall::user::UserSlice, u32, Ptr<SockAddr>, u32);
        45 => "recvfrom": net::recvfrom(Fd, UserSliceMut, u32, Ptr<SockAddr>, Ptr<SockLen>);
        46 => "sendmsg": net::sendmsg(Fd, Addr, u32);
        47 => "recvmsg": net::recvmsg(Fd, Addr, u32);
        48 => "shutdown": net::shutdown(Fd, u32);
        49 => "bind": net::bind(Fd, Ptr<SockAddr>, u32);
        50 => "listen": net::listen(Fd, u32);
        51 => "getsockname": net::getsockname(Fd, Ptr<SockAddr>, Ptr<SockLen>);
        52 => "getpeername": net::getpeername(Fd, Ptr<SockAddr>, Ptr<SockLen>);
        53 => "socketpair": net::socketpair(u32, u32, u32, Addr);
        54 => "setsockopt": net::setsockopt(Fd, u32, u32, Ptr<OptVal>, u32);
        55 => "getsockopt": net::getsockopt(Fd, u32, u32, Ptr<OptVal>, Ptr<SockLen>);
        288 => "accept4" -> Fd: net::accept4(Fd, Ptr<SockAddr>, Ptr<SockLen>, u32);
        72 => "fcntl": file::fcntl(Fd, Flags<FcntlCmd>, u64);
        74 => "fsync": f::fsync(Fd);
        75 => "fdatasync": f::fdatasync(Fd);
        76 => "truncate": f::truncate(Cwd, CPath, u64);
        77 => "ftruncate": f::ftruncate(Fd, u64);
        79 => "getcwd": file::getcwd(UserSliceMut);
        80 => "chdir": f::chdir(Cwd, CPath);
        81 => "fchdir": file::fchdir(Fd);
        82 => "rename": file::rename(Cwd, CPath, CPath);
        83 => "mkdir": file::mkdirat(Cwd, CPath, Mode);
        84 => "rmdir": file::rmdir(Cwd, CPath);
        85 => "creat" -> Fd: file::creat(Cwd, CPath, Mode);
        86 => "link": file::link(Cwd, CPath, CPath);
        87 => "unlink": file::unlink(Cwd, CPath);
        88 => "symlink": file::symlinkat(CStr, Cwd, CPath);
        89 => "readlink": file::readlinkat(Cwd, CPath, UserSliceMut);
        90 => "chmod": file::fchmodat(Cwd, CPath, Mode);
        91 => "fchmod": f::fchmod(Fd, Mode);
        92 => "chown": file::chown(Cwd, CPath, Id, Id);
        93 => "fchown": f::fchown(Fd, Id, Id);
        94 => "lchown": file::lchown(Cwd, CPath, Id, Id);
        137 => "statfs": file::statfs(Cwd, CPath, Ptr<StatFs>);
        188 => "setxattr": xattr::setxattr(CPath, CStr, u64, u64, u32);
        189 => "lsetxattr": xattr::lsetxattr(CPath, CStr, u64, u64, u32);
        190 => "fsetxattr": xattr::fsetxattr(Fd, CStr, u64, u64, u32);
        191 => "getxattr": xattr::getxattr(CPath, CStr, u64, u64);
        192 => "lgetxattr": xattr::lgetxattr(CPath, CStr, u64, u64);
        193 => "fgetxattr": xattr::fgetxattr(Fd, CStr, u64, u64);
        194 => "listxattr": xattr::listxattr(CPath, u64, u64);
        195 => "llistxattr": xattr::llistxattr(CPath, u64, u64);
        196 => "flistxattr": xattr::flistxattr(Fd, u64, u64);
        197 => "removexattr": xattr::removexattr(CPath, CStr);
        198 => "lremovexattr": xattr::lremovexattr(CPath, CStr);
        199 => "fremovexattr": xattr::fremovexattr(Fd, CStr);
        138 => "fstatfs": file::fstatfs(Fd, Ptr<StatFs>);
        162 => "sync": f::sync();
        217 => "getdents64": file::getdents64(Fd, UserSliceMut);
        257 => "openat" -> Fd: file::open(DirFd, CPath, Flags<OpenFlags>, Mode);
        258 => "mkdirat": file::mkdirat(DirFd, CPath, Mode);
        260 => "fchownat": file::fchownat(DirFd, CStr, Id, Id, Flags<AtFlags>);
        262 => "newfstatat": file::newfstatat(DirFd, CStrStack, Ptr<Stat>, Flags<AtFlags>);
        263 => "unlinkat": file::unlinkat(DirFd, CPath, Flags<AtFlags>);
        264 => "renameat": file::renameat(DirFd, CPath, DirFd, CPath);
        265 => "linkat": file::linkat(DirFd, CPath, DirFd, CPath, Flags<AtFlags>);
        266 => "symlinkat": file::symlinkat(CStr, DirFd, CPath);
        267 => "readlinkat": file::readlinkat(DirFd, CPath, UserSliceMut);
        268 => "fchmodat": file::fchmodat(DirFd, CPath, Mode);
        269 => "faccessat": file::faccessat(DirFd, CPath, Flags<AccessMode>);
        270 => "pselect6": file::pselect6(i32, Ptr<FdSet>, Ptr<FdSet>, Ptr<FdSet>, Ptr<Timespec>, Addr);
        271 => "ppoll": file::ppoll(Ptr<PollFds>, u64, Ptr<Timespec>, Ptr<SigSet>);
        280 => "utimensat": file::utimensat(DirFd, Addr, Ptr<Timespec>, Flags<AtFlags>);
        292 => "dup3" -> Fd: file::dup3(Fd, Fd, Flags<OpenFlags>);
        293 => "pipe2": file::pipe2(Ptr<IntPtr>, Flags<OpenFlags>);
        316 => "renameat2": file::renameat2(DirFd, CPath, DirFd, CPath, u32);
        332 => "statx": file::statx(DirFd, CStr, Flags<AtFlags>, u32, Ptr<Statx>);
        439 => "faccessat2": file::faccessat2(DirFd, CPath, Flags<AccessMode>, Flags<AtFlags>);
        // Memory.
        9 => "mmap" -> Hex: memory::mmap(Addr, u64, Flags<Prot>, Flags<MapFlags>, u64, u64);
        10 => "mprotect": m::mprotect(Addr, u64, Flags<Prot>);
        11 => "munmap": m::munmap(Addr, u64);
        12 => "brk" -> Hex: m::brk(Addr);
        26 => "msync": m::msync(Addr, u64, u32);
        28 => "madvise": memory::madvise(Addr, u64, u32);
        // Signals.
        13 => "rt_sigaction": signal::rt_sigaction(Signal, Ptr<SigAction>, Ptr<SigAction>, u64);
        14 => "rt_sigprocmask": signal::rt_sigprocmask(Flags<SigHow>, Ptr<SigSet>, Ptr<SigSet>, u64);
        15 => "rt_sigreturn" -> Never: signal::rt_sigreturn();
        34 => "pause": signal::pause();
        36 => "getitimer": signal::getitimer(u32, Ptr<ItimerVal>);
        37 => "alarm": signal::alarm(u32);
        38 => "setitimer": signal::setitimer(u32, Ptr<ItimerVal>, Ptr<ItimerVal>);
        62 => "kill": signal::kill(PidArg, Signal);
        127 => "rt_sigpending": signal::rt_sigpending(Ptr<SigSet>, u64);
        131 => "sigaltstack": signal::sigaltstack(Ptr<Stack>, Ptr<Stack>);
        130 => "rt_sigsuspend": signal::rt_sigsuspend(Ptr<SigSet>, u64);
        200 => "tkill": signal::tkill(i64, Signal);
        234 => "tgkill": signal::tgkill(i64, i64, Signal);
        // Process control.
        24 => "sched_yield": p::yield_now();
        39 => "getpid": p::getpid();
        56 => "clone": process::clone(Flags<CloneFlags>, Addr, Addr, Addr, Addr);
        57 => "fork": process::fork();
        58 => "vfork": process::fork();
        59 => "execve": process::execve(CPath, ArgvPtr, ArgvPtr);
        60 => "exit" -> Never: process::exit(i32);
        61 => "wait4": process::wait4(PidArg, Ptr<IntPtr>, Flags<WaitFlags>, Ptr<Rusage>);
        95 => "umask": protect::umask(Mode);
        97 => "getrlimit": process::getrlimit(u32, Ptr<Rlimit>);
        102 => "getuid": protect::getuid();
        104 => "getgid": protect::getgid();
        105 => "setuid": protect::setuid(Id);
        106 => "setgid": protect::setgid(Id);
        107 => "geteuid": protect::geteuid();
        108 => "getegid": protect::getegid();
        109 => "setpgid": p::setpgid(u64, u64);
        110 => "getppid": p::getppid();
        111 => "getpgrp": process::getpgrp();
        112 => "setsid": p::setsid();
        113 => "setreuid": process::setreuid(Id, Id);
        114 => "setregid": process::setregid(Id, Id);
        115 => "getgroups": process::getgroups(i32, Addr);
        116 => "setgroups": process::setgroups(u64, Addr);
        117 => "setresuid": protect::setresuid(Id, Id, Id);
        118 => "getresuid": process::getresuid(Ptr<IntPtr>, Ptr<IntPtr>, Ptr<IntPtr>);
        119 => "setresgid": protect::setresgid(Id, Id, Id);
        120 => "getresgid": process::getresgid(Ptr<IntPtr>, Ptr<IntPtr>, Ptr<IntPtr>);
        121 => "getpgid": p::getpgid(u64);
        124 => "getsid": process::getsid(u64);
        157 => "prctl": process::prctl(u64, Addr);
        158 => "arch_prctl": process::arch_prctl(Flags<ArchCode>, Addr);
        160 => "setrlimit": process::setrlimit(u32, Ptr<Rlimit>);
        186 => "gettid": process::gettid();
        202 => "futex": process::futex(Addr, u32, u32, Ptr<Timespec>, Addr, u32);
        203 => "sched_setaffinity": process::sched_setaffinity(u32, u64, Addr);
        204 => "sched_getaffinity": process::sched_getaffinity(u32, u64, Addr);
        309 => "getcpu": process::getcpu(Addr, Addr, Addr);
        218 => "set_tid_address": process::set_tid_address(Addr);
        231 => "exit_group" -> Never: process::exit_group(i32);
        247 => "waitid": process::waitid(u32, u64, Ptr<SigInfo>, Flags<WaitFlags>);
        273 => "set_robust_list": process::set_robust_list(Addr, u64);
        274 => "get_robust_list": process::get_robust_list(u64, Addr, Addr);
        334 => "rseq": process::not_supported(Addr, u32);
        302 => "prlimit64": process::prlimit64(u32, u32, Ptr<Rlimit>, Ptr<Rlimit>);
        // Information maintenance.
        35 => "nanosleep": info::nanosleep(Ptr<Timespec>, Ptr<Timespec>);
        63 => "uname": info::uname(Ptr<Utsname>);
        96 => "gettimeofday": info::gettimeofday(Ptr<Timeval>, Addr);
        98 => "getrusage": info::getrusage(i32, Ptr<Rusage>);
        99 => "sysinfo": info::sysinfo(Ptr<SysInfo>);
        100 => "times": info::times(Ptr<Tms>);
        201 => "time": info::time(Addr);
        228 => "clock_gettime": info::clock_gettime(u32, Ptr<Timespec>);
        229 => "clock_getres": info::clock_getres(u32, Ptr<Timespec>);
        230 => "clock_nanosleep": info::clock_nanosleep(u32, u32, Ptr<Timespec>, Ptr<Timespec>);
        318 => "getrandom": info::getrandom(Addr, u64, u32);
    }
    t
};
