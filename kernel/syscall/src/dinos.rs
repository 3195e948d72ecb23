//! The dinos personality: the native system-call ABI (`abi::nr` numbers, strings as
//! pointer and length, parameter blocks for spawn) as one declarative table.
//!
//! Each row names the call, the decoder of each argument (see [`crate::arg`]) and the
//! operation in [`crate::ops`] that does the work. The few calls whose encoding is
//! particular to this ABI (exec's argument lists, spawn's parameter block, ioctl's
//! request numbers) have their decoders here; the operations are shared with every
//! other personality.

use crate::arg::{Addr, Arg, Fd, FlagSet, Flags, Id, Kind, Mode, Named, PidArg, Regs, Signal};
use crate::ops::file::Dir;
use crate::ops::{
    comm, cpu, device, file, info, memory, module, net, port, process, protect, resource, thread,
    watch,
};
use crate::table::{calls, Ctx, SysResult, Table};
use crate::user::{PathArg, StrArg, UserPtr, UserSlice, UserSliceMut, U32, U64};
use abi::flags::*;
use abi::resource::{
    RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_MEMLOCK, RLIMIT_NOFILE,
    RLIMIT_NPROC, RLIMIT_STACK,
};
use abi::{nr, Errno, SpawnArgs, Stat};
use alloc::string::String;
use alloc::vec::Vec;
use files::{Ioctl, IoctlReply};

/// The dinos system-call table, indexed by number (`abi::nr`).
pub static TABLE: Table = {
    let mut t: Table = [const { None }; nr::COUNT];
    calls! { t;
        nr::NULL => "null": info::null();
        // Process control.
        nr::EXIT => "exit" -> Never: process::exit(i32);
        nr::FORK => "fork": process::fork();
        nr::EXEC => "exec": process::exec(PathArg, StrList, StrList);
        nr::SPAWN => "spawn": process::spawn(SpawnBlock);
        nr::WAITPID => "waitpid": process::waitpid(PidArg, UserPtr<U32>, Flags<WaitFlags>);
        nr::GETPID => "getpid": process::getpid();
        nr::GETPPID => "getppid": process::getppid();
        nr::KILL => "kill": process::kill(PidArg, Signal);
        nr::SIGACTION => "sigaction":
            process::sigaction(Signal, UserPtr<abi::SigAction>, UserPtr<abi::SigAction>);
        nr::SIGPROCMASK => "sigprocmask": process::sigprocmask(Flags<SigHow>, u64, UserPtr<U64>);
        nr::SIGRETURN => "sigreturn": process::sigreturn();
        nr::NANOSLEEP => "nanosleep": process::nanosleep(u64);
        nr::YIELD => "yield": process::yield_now();
        nr::BRK => "brk" -> Hex: memory::brk(Addr);
        nr::MMAP => "mmap" -> Hex: memory::mmap(Addr, u64, Flags<Prot>, Flags<MapFlags>, u64, u64);
        nr::MUNMAP => "munmap": memory::munmap(Addr, u64);
        nr::MPROTECT => "mprotect": memory::mprotect(Addr, u64, Flags<Prot>);
        nr::MSYNC => "msync": memory::msync(Addr, u64, Flags<MsyncFlags>);
        nr::SETPGID => "setpgid": process::setpgid(u64, u64);
        nr::GETPGID => "getpgid": process::getpgid(u64);
        nr::SETSID => "setsid": process::setsid();
        // File management.
        nr::READ => "read": file::read(Fd, UserSliceMut);
        nr::WRITE => "write": file::write(Fd, UserSlice);
        nr::OPEN => "open" -> Fd: file::open(Cwd, PathArg, Flags<OpenFlags>, Mode);
        nr::CLOSE => "close": file::close(Fd);
        nr::LSEEK => "lseek": file::lseek(Fd, i64, Flags<Whence>);
        nr::DUP => "dup" -> Fd: file::dup(Fd);
        nr::DUP2 => "dup2" -> Fd: file::dup2(Fd, Fd);
        nr::STAT => "stat": file::stat(Cwd, PathArg, UserPtr<Stat>);
        nr::FSTAT => "fstat": file::fstat(Fd, UserPtr<Stat>);
        nr::LSTAT => "lstat": file::lstat(Cwd, PathArg, UserPtr<Stat>);
        nr::GETDENTS => "getdents": file::getdents(Fd, UserSliceMut);
        nr::CHDIR => "chdir": file::chdir(Cwd, PathArg);
        nr::GETCWD => "getcwd": file::getcwd(UserSliceMut);
        nr::PREAD => "pread": file::pread(Fd, UserSliceMut, u64);
        nr::PWRITE => "pwrite": file::pwrite(Fd, UserSlice, u64);
        nr::SYNC => "sync": file::sync();
        nr::FSYNC => "fsync": file::fsync(Fd);
        nr::FDATASYNC => "fdatasync": file::fdatasync(Fd);
        nr::MKDIR => "mkdir": file::mkdir(Cwd, PathArg, Mode);
        nr::UNLINK => "unlink": file::unlink(Cwd, PathArg);
        nr::RMDIR => "rmdir": file::rmdir(Cwd, PathArg);
        nr::RENAME => "rename": file::rename(Cwd, PathArg, PathArg);
        nr::LINK => "link": file::link(Cwd, PathArg, PathArg);
        nr::SYMLINK => "symlink": file::symlink(StrArg, Cwd, PathArg);
        nr::READLINK => "readlink": file::readlink(Cwd, PathArg, UserSliceMut);
        nr::FTRUNCATE => "ftruncate": file::ftruncate(Fd, u64);
        nr::CHMOD => "chmod": file::chmod(Cwd, PathArg, Mode);
        nr::TRUNCATE => "truncate": file::truncate(Cwd, PathArg, u64);
        nr::UTIMES => "utimes": file::utimes(Cwd, PathArg, u64, u64);
        nr::STATFS => "statfs": file::statfs(Cwd, PathArg, UserPtr<abi::StatFs>);
        // Device management.
        nr::IOCTL => "ioctl": ioctl(Fd, Flags<IoctlRequest>, Addr);
        nr::DEV_REQUEST => "dev_request": device::dev_request(Fd, Flags<DevFlags>);
        nr::DEV_RELEASE => "dev_release": device::dev_release(Fd);
        nr::MOUNT => "mount": device::mount(StrArg, StrArg, StrArg);
        nr::UMOUNT => "umount": device::umount(StrArg);
        nr::MOUNT_FLAGS => "mount_flags": device::mount_flags(StrArg, Flags<MountFlags>);
        nr::MOUNTS => "mounts": info::mounts(UserSliceMut);
        // Communication.
        nr::PIPE => "pipe": comm::pipe(UserPtr<crate::user::FdPair>);
        nr::SHM_OPEN => "shm_open" -> Fd: comm::shm_open(StrArg, Flags<OpenFlags>, Mode);
        nr::SHM_UNLINK => "shm_unlink": comm::shm_unlink(StrArg);
        nr::FUTEX => "futex": comm::futex(Addr, Flags<FutexOp>, u32, u64);
        // Process control: CPU affinity.
        nr::SCHED_SETAFFINITY => "sched_setaffinity": cpu::sched_setaffinity(u64, u64);
        nr::SCHED_GETAFFINITY => "sched_getaffinity" -> Hex: cpu::sched_getaffinity(u64);
        nr::GETCPU => "getcpu": cpu::getcpu();
        // Process control: threads.
        nr::THREAD_SPAWN => "thread_spawn": thread::thread_spawn(Addr, Addr, u64, Addr);
        nr::THREAD_EXIT => "thread_exit" -> Never: thread::thread_exit(i32);
        nr::GETTID => "gettid": thread::gettid();
        nr::SET_THREAD_POINTER => "set_thread_pointer": thread::set_thread_pointer(Addr);
        nr::THREAD_POINTER => "thread_pointer": thread::thread_pointer();
        nr::TKILL => "tkill": thread::tkill(u64, Signal);
        // Communication: message ports and poll (docs/ipc.md).
        nr::PORT_CREATE => "port_create":
            port::port_create(UserPtr<crate::user::FdPair>, u32, Flags<PortFlags>);
        nr::PORT_REGISTER => "port_register": port::port_register(Fd, StrArg);
        nr::PORT_LOOKUP => "port_lookup" -> Fd: port::port_lookup(StrArg, Flags<PortFlags>);
        nr::PORT_REGISTER_MODE => "port_register_mode":
            port::port_register_mode(Fd, StrArg, Mode, Flags<PortRegFlags>);
        nr::PORT_SEND => "port_send": port::port_send(Fd, UserPtr<abi::PortMsg>, Timeout);
        nr::PORT_RECEIVE => "port_receive": port::port_receive(Fd, UserPtr<abi::PortMsg>, Timeout);
        nr::PORT_CALL => "port_call":
            port::port_call(Fd, UserPtr<abi::PortMsg>, UserPtr<abi::PortMsg>, Timeout);
        nr::PORT_REPLY => "port_reply": port::port_reply(Fd, u64, UserPtr<abi::PortMsg>);
        nr::POLL => "poll": port::poll(UserPtr<abi::PollFd>, usize, Timeout);
        nr::PORT_REPLY_RECEIVE => "port_reply_receive":
            port::port_reply_receive(Fd, u64, UserPtr<abi::PortMsg>, UserPtr<abi::PortMsg>, Timeout);
        nr::PORT_CALL_SHORT => "port_call_short":
            port::port_call_short(Addr, u64, u64, u64, u64, Timeout);
        nr::PORT_REPLY_RECEIVE_SHORT => "port_reply_receive_short":
            port::port_reply_receive_short(Addr, u64, u64, u64, u64, u64);
        // Communication over a network (docs/network.md).
        nr::SOCKET => "socket" -> Fd: net::socket(u32, u32, u32);
        nr::BIND => "bind": net::bind(Fd, UserPtr<abi::net::SockAddrIn>);
        nr::LISTEN => "listen": net::listen(Fd, u32);
        nr::ACCEPT => "accept" -> Fd: net::accept(Fd, UserPtr<abi::net::SockAddrIn>, u32);
        nr::CONNECT => "connect": net::connect(Fd, UserPtr<abi::net::SockAddrIn>);
        nr::SENDTO => "sendto": net::sendto(Fd, UserSlice, u32, UserPtr<abi::net::SockAddrIn>);
        nr::RECVFROM => "recvfrom": net::recvfrom(Fd, UserSliceMut, u32, UserPtr<abi::net::SockAddrIn>);
        nr::SHUTDOWN => "shutdown": net::shutdown(Fd, u32);
        nr::GETSOCKNAME => "getsockname": net::getsockname(Fd, UserPtr<abi::net::SockAddrIn>);
        nr::GETPEERNAME => "getpeername": net::getpeername(Fd, UserPtr<abi::net::SockAddrIn>);
        nr::SETSOCKOPT => "setsockopt": net::setsockopt(Fd, u32, u32, u64);
        nr::GETSOCKOPT => "getsockopt": net::getsockopt(Fd, u32, u32);
        nr::NET_IFACES => "net_ifaces": net::net_ifaces(UserPtr<abi::net::IfInfo>, usize);
        nr::NET_SOCKETS => "net_sockets": net::net_sockets(UserPtr<abi::net::SockInfo>, usize);
        nr::SOCKETPAIR => "socketpair": net::socketpair(u32, u32, u32, Addr);
        nr::SENDMSG => "sendmsg": net::sendmsg(Fd, Addr, u32);
        nr::RECVMSG => "recvmsg": net::recvmsg(Fd, Addr, u32);
        nr::PEERCRED => "peercred": net::peercred(Fd, Addr);
        // Information maintenance.
        nr::CLOCK_GETTIME => "clock_gettime": info::clock_gettime(Flags<Clocks>, UserPtr<abi::Timespec>);
        nr::UNAME => "uname": info::uname(UserPtr<abi::Utsname>);
        nr::SYSINFO => "sysinfo": info::sysinfo(UserPtr<abi::SysInfo>);
        nr::PROCLIST => "proclist": info::proclist(UserPtr<abi::ProcInfo>, usize);
        nr::TIMES => "times": info::times(UserPtr<abi::Tms>);
        // Information: limits and accounting (docs/observability.md).
        nr::PRLIMIT => "prlimit":
            resource::prlimit(PidArg, Flags<Rlimits>, UserPtr<abi::Rlimit>, UserPtr<abi::Rlimit>);
        nr::GETRUSAGE => "getrusage": resource::getrusage(PidArg, UserPtr<abi::Rusage>);
        nr::GET_CORE_PATTERN => "get_core_pattern": resource::get_core_pattern(UserSliceMut);
        nr::SET_CORE_PATTERN => "set_core_pattern": resource::set_core_pattern(StrArg);
        // Information maintenance: the tracer and the profiler (docs/observability.md).
        nr::TRACE_ATTACH => "trace_attach": watch::trace_attach(u64, Fd, Flags<TraceFlags>);
        nr::TRACE_DETACH => "trace_detach": watch::trace_detach(u64);
        nr::PROF_OPEN => "prof_open" -> Fd: watch::prof_open(Flags<ProfFlags>);
        nr::PROF_ATTACH => "prof_attach": watch::prof_attach(Fd, u64);
        nr::KSYM => "ksym": watch::ksym(Addr, UserSliceMut);
        // Loadable kernel modules (docs/modules.md).
        nr::INIT_MODULE => "init_module": module::init_module(UserSlice, StrArg, UserSliceMut);
        nr::DELETE_MODULE => "delete_module": module::delete_module(StrArg, UserSliceMut);
        nr::MODULES => "modules": module::modules(UserSliceMut);
        // Protection.
        nr::GETUID => "getuid": protect::getuid();
        nr::GETGID => "getgid": protect::getgid();
        nr::POWEROFF => "poweroff": protect::poweroff();
        nr::REBOOT => "reboot": protect::reboot();
        nr::DROP_CACHES => "drop_caches": protect::drop_caches();
        nr::UMASK => "umask": protect::umask(Mode);
        // Protection: users and groups.
        nr::SETUID => "setuid": protect::setuid(Id);
        nr::SETGID => "setgid": protect::setgid(Id);
        nr::GETEUID => "geteuid": protect::geteuid();
        nr::GETEGID => "getegid": protect::getegid();
        nr::SETRESUID => "setresuid": protect::setresuid(Id, Id, Id);
        nr::SETRESGID => "setresgid": protect::setresgid(Id, Id, Id);
        nr::GETGROUPS => "getgroups": protect::getgroups(UserSliceMut);
        nr::SETGROUPS => "setgroups": protect::setgroups(UserSlice);
        nr::CHOWN => "chown": file::chown(Cwd, PathArg, Id, Id);
        nr::FCHOWN => "fchown": file::fchown(Fd, Id, Id);
        nr::ACCESS => "access": file::access(Cwd, PathArg, Flags<AccessMode>);
        nr::FCHMOD => "fchmod": file::fchmod(Fd, Mode);
    }
    t
};

/// Relative paths start at the working directory (dinos has no `*at` calls).
pub struct Cwd;

impl Arg for Cwd {
    type Value = Dir;
    const KIND: Kind = Kind::Implicit;
    #[inline(always)]
    fn take(_: &mut Regs) -> Result<Dir, Errno> {
        Ok(Dir::Cwd)
    }
}

/// A timeout in nanoseconds (0: do not wait; `u64::MAX`: forever).
pub struct Timeout;

impl Arg for Timeout {
    type Value = u64;
    const KIND: Kind = Kind::Uint;
    #[inline(always)]
    fn take(r: &mut Regs) -> Result<u64, Errno> {
        Ok(r.take())
    }
}

/// argv / envp: a pointer to `count` [`abi::UserStr`]s.
pub struct StrList;

impl Arg for StrList {
    type Value = Vec<String>;
    const KIND: Kind = Kind::StrList;
    fn take(r: &mut Regs) -> Result<Vec<String>, Errno> {
        let ptr = r.take();
        crate::user::read_str_list(ptr, r.take(), process::ARG_MAX)
    }
}

/// spawn's parameter block (`abi::SpawnArgs`), with its strings copied in.
pub struct SpawnBlock;

impl Arg for SpawnBlock {
    type Value = process::Spawn;
    const KIND: Kind = Kind::Struct("struct spawn_args");
    fn take(r: &mut Regs) -> Result<process::Spawn, Errno> {
        let s: SpawnArgs = UserPtr::<SpawnArgs>::new(r.take()).read()?;
        let path = crate::user::read_str(s.path.ptr, s.path.len)?;
        let argv = crate::user::read_str_list(s.argv, s.argc, process::ARG_MAX)?;
        let envp = crate::user::read_str_list(s.envp, s.envc, process::ARG_MAX)?;
        let pgid = match s.pgid {
            0 => None,
            u32::MAX => Some(0), // a new group named after the child
            g => Some(g),
        };
        if s.flags & !abi::SPAWN_FOREGROUND != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(process::Spawn {
            path,
            argv,
            envp,
            fds: s.fds.to_vec(),
            pgid,
            foreground: s.flags & abi::SPAWN_FOREGROUND != 0,
        })
    }
}

/// dinos ioctl: the request number says what the argument pointer points at.
fn ioctl(cx: &mut Ctx, fd: Fd, request: u32, arg: u64) -> SysResult {
    // A set-request's value is read before the request is made; if the pointer is
    // bad, an object that takes no requests still answers ENOTTY (as a real
    // terminal driver would, which reads the value only once it knows the request):
    // asking it `Unknown` changes nothing and tells which.
    let value = |cx: &mut Ctx| match UserPtr::<U32>::new(arg).read() {
        Ok(v) => Ok(v.0),
        Err(fault) => match device::ioctl(cx, fd, Ioctl::Unknown) {
            Err(Errno::ENOTTY) => Err(Errno::ENOTTY),
            _ => Err(fault),
        },
    };
    let req = match request {
        TCGETMODE => Ioctl::GetTermMode,
        TCSETMODE => Ioctl::SetTermMode(value(cx)?),
        TIOCGWINSZ => Ioctl::GetWinSize,
        TIOCSPGRP => Ioctl::SetForeground(value(cx)?),
        TIOCGPGRP => Ioctl::GetForeground,
        SHMIOADDSEALS => Ioctl::AddSeals(value(cx)?),
        SHMIOGETSEALS => Ioctl::GetSeals,
        TIOCSCTTY => Ioctl::SetControlling,
        TIOCGPTN => Ioctl::GetPtyNumber,
        TIOCSPTLCK => Ioctl::SetPtyLock(value(cx)? != 0),
        TIOCSWINSZ => match UserPtr::<abi::WinSize>::new(arg).read() {
            Ok(w) => Ioctl::SetWinSize(w),
            Err(fault) => match device::ioctl(cx, fd, Ioctl::Unknown) {
                Err(Errno::ENOTTY) => return Err(Errno::ENOTTY),
                _ => return Err(fault),
            },
        },
        BLKGETSIZE64 => Ioctl::GetDiskSize,
        FBIOGET_MODE => Ioctl::GetFbMode,
        INPIOGABSMAX => Ioctl::GetAbsMax,
        FBIOSET_MODE => match UserPtr::<abi::FbMode>::new(arg).read() {
            Ok(m) => Ioctl::SetFbMode(m),
            Err(fault) => match device::ioctl(cx, fd, Ioctl::Unknown) {
                Err(Errno::ENOTTY) => return Err(Errno::ENOTTY),
                _ => return Err(fault),
            },
        },
        _ => Ioctl::Unknown,
    };
    match device::ioctl(cx, fd, req)? {
        IoctlReply::None => {}
        IoctlReply::U32(v) => UserPtr::<U32>::new(arg).write(&U32(v))?,
        IoctlReply::U64(v) => UserPtr::<U64>::new(arg).write(&U64(v))?,
        IoctlReply::WinSize(w) => UserPtr::<abi::WinSize>::new(arg).write(&w)?,
        IoctlReply::FbMode(m) => UserPtr::<abi::FbMode>::new(arg).write(&m)?,
    }
    Ok(0)
}

macro_rules! names {
    ($($c:ident),* $(,)?) => { &[$(($c as u64, stringify!($c))),*] };
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
        value_mask: O_ACCMODE as u64,
        values: names!(O_RDONLY, O_WRONLY, O_RDWR),
        bits: names!(
            O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK, O_SYNC, O_DSYNC, O_DIRECTORY,
            O_NOFOLLOW, O_CLOEXEC
        ),
    });
    WaitFlags => Kind::Flags(&FlagSet { value_mask: 0, values: &[], bits: names!(WNOHANG, WUNTRACED, WCONTINUED) });
    Prot => Kind::Flags(&FlagSet {
        value_mask: 0,
        values: &[(0, "PROT_NONE")],
        bits: names!(PROT_READ, PROT_WRITE, PROT_EXEC),
    });
    MapFlags => Kind::Flags(&FlagSet {
        value_mask: 0,
        values: &[],
        bits: names!(MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS),
    });
    MsyncFlags => Kind::Flags(&FlagSet { value_mask: 0, values: &[], bits: names!(MS_ASYNC, MS_INVALIDATE, MS_SYNC) });
    PortFlags => Kind::Flags(&FlagSet { value_mask: 0, values: &[], bits: names!(O_NONBLOCK, O_CLOEXEC) });
    MountFlags => Kind::Flags(&FlagSet { value_mask: 0, values: &[], bits: names!(MS_NOSUID) });
    PortRegFlags => Kind::Flags(&FlagSet { value_mask: 0, values: &[], bits: names!(PORT_REPLACE) });
    DevFlags => Kind::Flags(&FlagSet { value_mask: 0, values: &[], bits: names!(DEV_NONBLOCK) });
    Whence => Kind::Enum(names!(SEEK_SET, SEEK_CUR, SEEK_END));
    TraceFlags => Kind::Flags(&FlagSet { value_mask: 0, values: &[], bits: names!(TRACE_FOLLOW) });
    ProfFlags => Kind::Flags(&FlagSet { value_mask: 0, values: &[], bits: names!(PROF_USER, PROF_KERNEL, PROF_FOLLOW) });
    FutexOp => Kind::Enum(names!(FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAKE_WAIT));
    AccessMode => Kind::Flags(&FlagSet { value_mask: 0, values: &[(0, "F_OK")], bits: names!(R_OK, W_OK, X_OK) });
    Clocks => Kind::Enum(names!(CLOCK_REALTIME, CLOCK_MONOTONIC));
    Rlimits => Kind::Enum(names!(
        RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_NPROC,
        RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS
    ));
    IoctlRequest => Kind::Enum(names!(TCGETMODE, TCSETMODE, TIOCGWINSZ, TIOCSPGRP, TIOCGPGRP, BLKGETSIZE64));
    SigHow => Kind::Enum(&[
        (abi::signal::SIG_BLOCK as u64, "SIG_BLOCK"),
        (abi::signal::SIG_UNBLOCK as u64, "SIG_UNBLOCK"),
        (abi::signal::SIG_SETMASK as u64, "SIG_SETMASK"),
    ]);
}
