//! System-call numbers, grouped by the chapter's six categories.
//!
//! Numbers are grouped in decades by category so a reader of a trace can tell the kind
//! of call from its number. A number that is not assigned gets `ENOSYS`.

/// Does nothing and returns 0: the cost of the system-call path itself (benchmarks).
pub const NULL: usize = 0;

// Process control (chapter 2, 3-2).
pub const EXIT: usize = 1;
pub const FORK: usize = 2;
pub const EXEC: usize = 3;
pub const SPAWN: usize = 4;
pub const WAITPID: usize = 5;
pub const GETPID: usize = 6;
pub const GETPPID: usize = 7;
pub const KILL: usize = 8;
pub const SIGACTION: usize = 9;
pub const SIGPROCMASK: usize = 10;
pub const SIGRETURN: usize = 11;
pub const NANOSLEEP: usize = 12;
pub const YIELD: usize = 13;
pub const BRK: usize = 14;
pub const MMAP: usize = 15;
pub const MUNMAP: usize = 16;
pub const SETPGID: usize = 17;
pub const GETPGID: usize = 18;
pub const SETSID: usize = 19;

// File management.
pub const READ: usize = 20;
pub const WRITE: usize = 21;
pub const OPEN: usize = 22;
pub const CLOSE: usize = 23;
pub const LSEEK: usize = 24;
pub const DUP: usize = 25;
pub const DUP2: usize = 26;
pub const PIPE: usize = 27;
pub const STAT: usize = 28;
pub const FSTAT: usize = 29;
pub const LSTAT: usize = 30;
pub const GETDENTS: usize = 31;
pub const CHDIR: usize = 32;
pub const GETCWD: usize = 33;
pub const MKDIR: usize = 34;
pub const UNLINK: usize = 35;
pub const RMDIR: usize = 36;
pub const RENAME: usize = 37;
pub const LINK: usize = 38;
pub const SYMLINK: usize = 39;
pub const READLINK: usize = 40;
pub const FTRUNCATE: usize = 41;
pub const FSYNC: usize = 42;
pub const SYNC: usize = 43;
pub const PREAD: usize = 44;
pub const PWRITE: usize = 45;
pub const CHMOD: usize = 46;
pub const UTIMES: usize = 47;
pub const STATFS: usize = 48;
/// (The file decade is full: `truncate` by path sits just after it.)
pub const TRUNCATE: usize = 49;

// Device management.
pub const IOCTL: usize = 50;
pub const DEV_REQUEST: usize = 51;
pub const DEV_RELEASE: usize = 52;
pub const MOUNT: usize = 54;
pub const UMOUNT: usize = 55;
pub const MOUNTS: usize = 56;

// Information maintenance.
pub const CLOCK_GETTIME: usize = 60;
pub const UNAME: usize = 61;
pub const SYSINFO: usize = 62;
pub const PROCLIST: usize = 63;
pub const TIMES: usize = 64;
/// Read and set a process's resource limits (`prlimit(pid, resource, new, old)`;
/// `getrlimit` and `setrlimit` are this call with pid 0).
pub const PRLIMIT: usize = 65;
/// Resource usage of the caller or of its waited-for children ([`crate::Rusage`]).
pub const GETRUSAGE: usize = 66;
/// Read the kernel's core-file name pattern (`core_pattern`, default `core.%p`).
pub const GET_CORE_PATTERN: usize = 67;
/// Set it (privileged: `Capability::SysAdmin`).
pub const SET_CORE_PATTERN: usize = 68;

// Protection and system control.
pub const GETUID: usize = 70;
pub const GETGID: usize = 71;
pub const POWEROFF: usize = 72;
pub const REBOOT: usize = 73;
/// Write every file system's changes, then forget their cached blocks (privileged).
pub const DROP_CACHES: usize = 74;
/// Set the file-mode creation mask (`umask`); returns the old one.
pub const UMASK: usize = 75;

// File management, continued (the first file decade is full).
/// Make a file's data durable, and of its metadata what reading the data back needs.
pub const FDATASYNC: usize = 80;

// Memory, continued (process control's numbers 10-19 are all taken).
/// Change the rights of mapped pages (`mprotect`).
pub const MPROTECT: usize = 85;
/// Write a shared file mapping back to its file (`msync`).
pub const MSYNC: usize = 86;

// Process control, continued: the dynamic linker's calls (93-96, docs/linking.md).
/// Set the calling thread's thread pointer (the `%fs` base) to `addr`, a user address
/// (0 clears it): where a dynamic linker puts the thread's TLS blocks and control
/// block. New threads start with their creator's.
pub const SET_THREAD_POINTER: usize = 93;
/// The calling thread's thread pointer (0 if none was set): how ulib's thread start,
/// in a program a dynamic linker started, finds the control block whose layout it
/// copies for each new thread.
pub const THREAD_POINTER: usize = 94;

// Communication: shared memory and futexes (110-119).
/// Open (or create) the named shared-memory segment `name`: a descriptor.
pub const SHM_OPEN: usize = 110;
/// Remove a segment's name; it lives on while open or mapped.
pub const SHM_UNLINK: usize = 111;
/// Wait on, or wake waiters of, a 32-bit word of memory (`FUTEX_WAIT`, `FUTEX_WAKE`).
pub const FUTEX: usize = 112;
// Process control, continued: CPU affinity (114-116; docs/smp.md "Affinity").
/// Let process `pid` (0: the caller) run only on the CPUs of a mask (bit N: CPU N).
pub const SCHED_SETAFFINITY: usize = 114;
/// The mask of CPUs process `pid` (0: the caller) may run on.
pub const SCHED_GETAFFINITY: usize = 115;
/// The CPU the caller runs on now.
pub const GETCPU: usize = 116;
// Communication, continued: the ports' fast path in registers (117-118; docs/ipc.md
// "The fast path").
/// A short call carried in registers: `port_call_short(fd | len << 32, w0, w1, w2, w3,
/// timeout_ns)` sends `len` (0-32) bytes, the four words' little-endian bytes, and waits
/// for the answer, whose words come back in `rsi, rdx, r10, r8` and its length in `rax`.
pub const PORT_CALL_SHORT: usize = 117;
/// The server's side: `port_reply_receive_short(fd | len << 32 | ms << 40, token, w0,
/// w1, w2, w3)` answers call `token` (0: none) with `len` bytes of the words, then waits
/// (`ms` milliseconds, 0 forever, `PORT_SHORT_NOWAIT` not at all) for the next
/// message of at most 32 bytes and no descriptors: its token in `rax`, its words in
/// `rsi, rdx, r10, r8`, its length and its sender's pid in `r9` (`len | pid << 32`).
pub const PORT_REPLY_RECEIVE_SHORT: usize = 118;
// Protection, continued: users and groups (120-139).
/// Set the user ids (`setuid`): all three for root, else the effective uid only.
pub const SETUID: usize = 120;
pub const SETGID: usize = 121;
/// The effective user id (`geteuid`).
pub const GETEUID: usize = 122;
pub const GETEGID: usize = 123;
/// Set the real, effective and saved user ids (`u32::MAX`: leave one).
pub const SETRESUID: usize = 124;
pub const SETRESGID: usize = 125;
/// Copy the supplementary groups out; returns how many there are.
pub const GETGROUPS: usize = 126;
/// Replace the supplementary groups (privileged).
pub const SETGROUPS: usize = 127;
/// Change a file's owner and group (`u32::MAX`: leave one).
pub const CHOWN: usize = 128;
pub const FCHOWN: usize = 129;
/// May the *real* user open this path so (`access`, `R_OK|W_OK|X_OK`, 0: exists)?
pub const ACCESS: usize = 130;
/// Set the permission bits of an open file.
pub const FCHMOD: usize = 131;
// Communication: message ports and poll (chapter 2, 3-2 "communication"; docs/ipc.md).
/// A new port: its receiving and sending ends (`port_create(fds, capacity, flags)`).
pub const PORT_CREATE: usize = 100;
/// Give a port's receiving end a name others can look up.
pub const PORT_REGISTER: usize = 101;
/// A new sending end of the port registered under a name.
pub const PORT_LOOKUP: usize = 102;
/// Queue a message ([`crate::PortMsg`]) on a port, waiting for room up to a timeout.
pub const PORT_SEND: usize = 103;
/// Take the next message from a port, waiting up to a timeout.
pub const PORT_RECEIVE: usize = 104;
/// Send a message and wait for its reply (a remote procedure call).
pub const PORT_CALL: usize = 105;
/// Answer a message received from a `port_call`.
pub const PORT_REPLY: usize = 106;
/// Name a port with a mode, perhaps replacing a name the caller owns
/// (`port_register_mode(fd, name, mode, flags)`, `PORT_REPLACE`; docs/ipc.md).
pub const PORT_REGISTER_MODE: usize = 109;
/// Set the flags of a mount (`mount_flags(target, flags)`: `MS_NOSUID`); root only.
pub const MOUNT_FLAGS: usize = 113;
/// Wait until one of several descriptors is ready ([`crate::PollFd`]).
pub const POLL: usize = 107;
/// A server's loop in one call: answer a call, then receive the next message.
pub const PORT_REPLY_RECEIVE: usize = 108;

// Process control, continued: threads (132-139; docs/abi.md "Threads").
/// A new thread of the calling process: `thread_spawn(entry, stack, arg, word)` starts
/// it at `entry` with `rsp = stack`, `rdi = arg`; the tid is written at `word` (if not
/// 0) before it runs, and at its exit 0 is written there and the word's futex woken
/// (a join waits for that). Returns the tid.
pub const THREAD_SPAWN: usize = 132;
/// End the calling thread only (`exit` ends the whole process).
pub const THREAD_EXIT: usize = 133;
/// The calling thread's id (the pid for a process's first thread).
pub const GETTID: usize = 134;
/// Send a signal to one thread: `tkill(tid, sig)`.
pub const TKILL: usize = 135;

// Information maintenance: watching programs, the tracer and the profiler (140-149,
// docs/observability.md).
/// Send a record of every system call of process `pid` (0: the caller) to the write
/// end of a pipe: `trace_attach(pid, fd, flags)`, `TRACE_FOLLOW` for its children too.
pub const TRACE_ATTACH: usize = 140;
/// Stop tracing process `pid` (0: the caller).
pub const TRACE_DETACH: usize = 141;
/// A new profile (a descriptor; reading it gives the samples): `prof_open(flags)`.
pub const PROF_OPEN: usize = 142;
/// Sample process `pid` (0: the caller) into the profile open as `fd`.
pub const PROF_ATTACH: usize = 143;
/// The kernel function at an address: its name copied out, its length returned.
pub const KSYM: usize = 144;

// Loadable kernel modules (145-149, docs/modules.md).
/// Link and start a kernel module: `init_module(image, len, args, args_len, msg,
/// msg_len)`; root only; on refusal the reason is written into `msg`.
pub const INIT_MODULE: usize = 145;
/// Stop and remove a module: `delete_module(name, name_len, msg, msg_len)`; root only.
pub const DELETE_MODULE: usize = 146;
/// The loaded modules, one line each (`name size refcount users`), copied into a
/// buffer: `modules(buf, len)` returns the listing's whole length.
pub const MODULES: usize = 147;
// Communication over a network (docs/network.md): sockets, 160-179.
/// `socket(domain, type, protocol)`: a new socket descriptor.
pub const SOCKET: usize = 160;
/// `bind(fd, *sockaddr_in)`.
pub const BIND: usize = 161;
/// `listen(fd, backlog)`.
pub const LISTEN: usize = 162;
/// `accept(fd, *sockaddr_in or 0, flags)`: the next connection, a new descriptor.
pub const ACCEPT: usize = 163;
/// `connect(fd, *sockaddr_in)`.
pub const CONNECT: usize = 164;
/// `sendto(fd, buf, len, flags, *sockaddr_in or 0)`.
pub const SENDTO: usize = 165;
/// `recvfrom(fd, buf, len, flags, *sockaddr_in or 0)`.
pub const RECVFROM: usize = 166;
/// `shutdown(fd, how)`.
pub const SHUTDOWN: usize = 167;
/// `getsockname(fd, *sockaddr_in)`.
pub const GETSOCKNAME: usize = 168;
/// `getpeername(fd, *sockaddr_in)`.
pub const GETPEERNAME: usize = 169;
/// `setsockopt(fd, level, name, value)`: the value by register.
pub const SETSOCKOPT: usize = 170;
/// `getsockopt(fd, level, name)`: the value returned.
pub const GETSOCKOPT: usize = 171;
/// `net_ifaces(*ifinfo, n)`: the interfaces, how many there are.
pub const NET_IFACES: usize = 172;
/// `net_sockets(*sockinfo, n)`: the kernel's socket table, how many there are.
pub const NET_SOCKETS: usize = 173;
/// `socketpair(domain, type, protocol, *[i32; 2])`: two connected AF_UNIX sockets.
pub const SOCKETPAIR: usize = 174;
/// `sendmsg(fd, *msghdr, flags)`: Linux's `struct msghdr` (iovecs, SCM_RIGHTS,
/// SCM_CREDENTIALS).
pub const SENDMSG: usize = 175;
/// `recvmsg(fd, *msghdr, flags)`: as Linux's; `msg_controllen` and `msg_flags` written back.
pub const RECVMSG: usize = 176;
/// `peercred(fd, *ucred)`: `SO_PEERCRED` of an AF_UNIX socket (pid, uid, gid).
pub const PEERCRED: usize = 177;

/// The highest call number plus one (size of the kernel's table).
pub const COUNT: usize = 192;

/// Call numbers given out while the kernel runs: a call a module registers
/// (`syscall::registry::register_call`) takes one of these, so it can never collide
/// with a built-in call (all below [`COUNT`]) or one added to the table later.
pub const DYNAMIC_FIRST: usize = 0x100;
/// How many such numbers there are.
pub const DYNAMIC_COUNT: usize = 32;
