//! Flag values for `open`, `waitpid`, `mmap`, `lseek`, `ioctl` and file modes.
//! Values follow Linux where Linux has them.

// open
pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_ACCMODE: u32 = 3;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
/// Each write returns only when its data (and the metadata needed to read it back)
/// is on the disk, as if `fdatasync` followed it.
pub const O_DSYNC: u32 = 0o10000;
/// Each write returns only when the file's data and metadata are on the disk, as if
/// `fsync` followed it (Linux's value: its own bit plus `O_DSYNC`'s).
pub const O_SYNC: u32 = 0o4010000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_CLOEXEC: u32 = 0o2000000;

// lseek
pub const SEEK_SET: u32 = 0;
pub const SEEK_CUR: u32 = 1;
pub const SEEK_END: u32 = 2;

// waitpid
pub const WNOHANG: u32 = 1;
/// waitpid: also report children that stopped.
pub const WUNTRACED: u32 = 2;
/// waitpid: also report stopped children that were continued.
pub const WCONTINUED: u32 = 8;

// mmap
pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;
pub const MAP_SHARED: u32 = 1;
pub const MAP_PRIVATE: u32 = 2;
/// Map exactly at the address given, replacing what was there.
pub const MAP_FIXED: u32 = 0x10;
pub const MAP_ANONYMOUS: u32 = 0x20;
// futex operations
/// Sleep while the word still holds the value given (EAGAIN if it does not).
pub const FUTEX_WAIT: u32 = 0;
/// Wake up to the number given of the word's waiters; returns how many woke.
pub const FUTEX_WAKE: u32 = 1;
/// Wake one waiter of the word, then wait on it as `FUTEX_WAIT` does: a hand-over
/// between two processes in one call instead of two.
pub const FUTEX_WAKE_WAIT: u32 = 2;
/// `futex`'s timeout argument for "no timeout".
pub const FUTEX_FOREVER: u64 = u64::MAX;
/// Longest shared-memory segment name (without the leading `/`).
pub const SHM_NAME_MAX: usize = 255;
// msync
pub const MS_ASYNC: u32 = 1;
pub const MS_INVALIDATE: u32 = 2;
pub const MS_SYNC: u32 = 4;

// file modes (st_mode)
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;

// dirent type codes (d_type)
pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;

// clocks
pub const CLOCK_REALTIME: u32 = 0;
pub const CLOCK_MONOTONIC: u32 = 1;

// ioctl requests (terminal)
pub const TCGETMODE: u32 = 0x5401;
pub const TCSETMODE: u32 = 0x5402;
pub const TIOCGWINSZ: u32 = 0x5413;
pub const TIOCSPGRP: u32 = 0x5410;
pub const TIOCGPGRP: u32 = 0x540f;
/// Set the terminal's size (an `abi::WinSize`): the program that draws a
/// pseudo-terminal (a terminal emulator) says how big it is.
pub const TIOCSWINSZ: u32 = 0x5414;
/// Make this terminal the caller's controlling terminal (a session leader's, one
/// that has none; the terminal must not control another session).
pub const TIOCSCTTY: u32 = 0x540e;
/// A pseudo-terminal master's number `N` (`u32`): its slave is `/dev/pts/N`.
pub const TIOCGPTN: u32 = 0x8004_5430;
/// Lock (`u32` 1) or unlock (0) a pseudo-terminal's slave: a locked slave cannot be
/// opened (EIO). A new pseudo-terminal starts locked (`unlockpt`).
pub const TIOCSPTLCK: u32 = 0x4004_5431;
/// Terminal mode bits for TCGETMODE/TCSETMODE.
pub const TTY_ECHO: u32 = 1;
pub const TTY_CANON: u32 = 2;
pub const TTY_ISIG: u32 = 4;
/// Output processing: `\n` written to the terminal is sent as `\r\n` (termios'
/// `OPOST | ONLCR`). A pseudo-terminal honours it; the serial console always does it.
pub const TTY_OPOST: u32 = 8;

// ioctl requests (disk devices)
/// `u64` size of a block device in bytes.
pub const BLKGETSIZE64: u32 = 0x80081272;

// ioctl requests (framebuffer: `/dev/fb0`), with an `abi::FbMode` argument
pub const FBIOGET_MODE: u32 = 0x4600;
pub const FBIOSET_MODE: u32 = 0x4601;
// ioctl requests (shared-memory segments)
/// Add seals (`u32` bits) to a segment: they can never be taken off again.
pub const SHMIOADDSEALS: u32 = 0x4620;
/// A segment's seals (`u32`).
pub const SHMIOGETSEALS: u32 = 0x4621;
/// Seal: the segment can no longer be made smaller (`ftruncate` is EPERM), so a
/// process that maps it can never touch a page that went (Linux's memfd
/// `F_SEAL_SHRINK`, the same bit).
pub const SHM_SEAL_SHRINK: u32 = 2;
// ioctl requests (input: `/dev/eventN`)
/// `u32`: an absolute pointer's largest X (low 16 bits) and Y (high 16 bits).
pub const INPIOGABSMAX: u32 = 0x4580;

// dev_request flags
/// Fail with EBUSY instead of waiting when the device is held by another process.
pub const DEV_NONBLOCK: u32 = 1;

// mount flags
pub const MS_RDONLY: u32 = 1;
/// Set-user-id and set-group-id bits of the mount's files are ignored by `exec`
/// (`mount_flags`, `mount -o nosuid`; Linux's value).
pub const MS_NOSUID: u32 = 2;

// access modes (`access`); 0 (`F_OK`) asks only whether the path exists
pub const F_OK: u32 = 0;
pub const X_OK: u32 = 1;
pub const W_OK: u32 = 2;
pub const R_OK: u32 = 4;

/// An id argument of `setres*id` and `chown` that leaves the id unchanged (`-1`).
pub const ID_UNCHANGED: u32 = u32::MAX;
/// Most supplementary groups a process may have (`NGROUPS_MAX`).
pub const NGROUPS_MAX: usize = 32;

/// Descriptor-inheritance value in [`crate::SpawnArgs::fds`]: the child's descriptor is
/// closed.
pub const SPAWN_FD_CLOSE: i32 = -1;

// ---- message ports and poll (docs/ipc.md) ---------------------------------------------

/// The most bytes one port message carries.
pub const PORT_MSG_MAX: usize = 4096;
/// The most descriptors one port message carries.
pub const PORT_FDS_MAX: usize = 8;
/// Messages a port queues when `port_create` is given capacity 0.
pub const PORT_QUEUE_DEFAULT: u32 = 16;
/// The most messages a port may queue.
pub const PORT_QUEUE_MAX: u32 = 256;
/// The longest port name.
pub const PORT_NAME_MAX: usize = 64;
/// `port_register_mode` flag: take over a name that is registered already (its owner
/// or root only).
pub const PORT_REPLACE: u32 = 1;
/// The most bytes a short message (`port_call_short`, `port_reply_receive_short`)
/// carries: four 64-bit registers.
pub const PORT_SHORT_MAX: usize = 32;
/// `port_reply_receive_short`'s timeout field (bits 40-63 of its first word, in
/// milliseconds; 0 waits forever) meaning "do not wait".
pub const PORT_SHORT_NOWAIT: u64 = 0xff_ffff;
/// A timeout meaning "wait as long as it takes" (port calls, poll); 0 means "do not wait".
pub const TIMEOUT_FOREVER: u64 = u64::MAX;

/// poll events: data to read (or end of file) / room to write.
pub const POLLIN: u16 = 0x1;
pub const POLLOUT: u16 = 0x4;
/// poll results only: an error, the other side gone, the descriptor not open.
pub const POLLERR: u16 = 0x8;
pub const POLLHUP: u16 = 0x10;
pub const POLLNVAL: u16 = 0x20;
/// The most descriptors one poll call watches.
pub const POLL_MAX: usize = 64;

// trace_attach, prof_open (docs/observability.md)
/// Trace (or profile) the process's children too, as they are made.
pub const TRACE_FOLLOW: u32 = 1;
/// prof_open: sample the user program counter and stack.
pub const PROF_USER: u32 = 1;
/// prof_open: sample the kernel program counter and stack (when the sample lands in
/// the kernel).
pub const PROF_KERNEL: u32 = 2;
/// prof_open: follow the children.
pub const PROF_FOLLOW: u32 = 4;
/// Words of stack a profile sample keeps per side (user, kernel).
pub const PROF_DEPTH: usize = 16;
