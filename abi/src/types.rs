//! Structures passed through memory. All are `#[repr(C)]` plain data with fixed sizes;
//! the kernel copies them in and out with `copy_from_user`/`copy_to_user` and converts
//! them with the `to_bytes`/`from_bytes` helpers (no pointer casts, no unsafe).

/// A string in user memory: pointer and length in bytes (UTF-8 expected, not required).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserStr {
    pub ptr: u64,
    pub len: u64,
}

/// Descriptors a spawned child gets: `fds[i]` is the parent's descriptor that becomes
/// the child's descriptor `i`, or [`crate::flags::SPAWN_FD_CLOSE`].
pub const SPAWN_FDS: usize = 3;

/// The parameter block of `spawn` (the chapter's "parameters in a block in memory"):
/// `spawn(&SpawnArgs)` creates a process running the program at `path`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpawnArgs {
    pub path: UserStr,
    /// Pointer to `argc` [`UserStr`]s.
    pub argv: u64,
    pub argc: u64,
    /// Pointer to `envc` [`UserStr`]s (`NAME=value`).
    pub envp: u64,
    pub envc: u64,
    pub fds: [i32; SPAWN_FDS],
    /// Process group for the child: 0 = the parent's, otherwise this group (the child's
    /// own pid if it equals `u32::MAX`).
    pub pgid: u32,
    /// [`SPAWN_FOREGROUND`]; any other bit is EINVAL.
    pub flags: u64,
}

/// `SpawnArgs::flags`: make the child's process group the terminal's foreground group
/// before the child runs (glibc's `POSIX_SPAWN_TCSETPGROUP`), so a job that reads the
/// terminal at once cannot beat its shell's `TIOCSPGRP` and be stopped by SIGTTIN.
/// Honoured only when the caller's group is the foreground group.
pub const SPAWN_FOREGROUND: u64 = 1;

/// `clock_gettime` result.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: i64,
}

/// `stat`/`fstat`/`lstat` result.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
}

/// `uname` result: NUL-padded fields.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utsname {
    pub sysname: [u8; 32],
    pub nodename: [u8; 32],
    pub release: [u8; 32],
    pub version: [u8; 64],
    pub machine: [u8; 32],
}

/// `sysinfo` result.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SysInfo {
    pub uptime_ns: u64,
    pub total_mem: u64,
    pub free_mem: u64,
    pub heap_total: u64,
    pub heap_used: u64,
    pub procs: u32,
    pub threads: u32,
    /// System calls made since boot, by every program.
    pub syscalls: u64,
    /// CPUs online.
    pub cpus: u32,
    /// Zero (keeps the record a whole number of 8-byte words).
    pub reserved: u32,
}

/// One entry of `proclist` (for `ps`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: u32,
    pub ppid: u32,
    pub pgid: u32,
    pub uid: u32,
    /// b'R' running/runnable, b'S' sleeping, b'Z' zombie, b'T' stopped.
    pub state: u32,
    pub threads: u32,
    /// The CPU its thread last ran on.
    pub cpu: u32,
    /// The system-call ABI it speaks: [`PERSONALITY_DINOS`] or [`PERSONALITY_LINUX`].
    pub personality: u32,
    pub user_ns: u64,
    pub sys_ns: u64,
    pub mem_bytes: u64,
    /// System calls the process has made.
    pub syscalls: u64,
    /// NUL-padded command name.
    pub name: [u8; 32],
}

/// [`ProcInfo::personality`] of a native program.
pub const PERSONALITY_DINOS: u32 = 0;
/// [`ProcInfo::personality`] of a Linux program (the Linux personality, docs/linux.md).
pub const PERSONALITY_LINUX: u32 = 1;

/// `times` result: CPU time of the caller and of its waited-for children.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tms {
    pub user_ns: u64,
    pub sys_ns: u64,
    pub child_user_ns: u64,
    pub child_sys_ns: u64,
}

/// `sigaction` argument: handler address, mask during the handler, flags.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigAction {
    /// `SIG_DFL`, `SIG_IGN` or the handler's address.
    pub handler: u64,
    pub mask: u64,
    pub flags: u64,
    /// Where the handler returns to: code that calls `sigreturn` (ulib provides it).
    pub restorer: u64,
}

/// `statfs` result: the file system holding a path.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatFs {
    pub block_size: u64,
    pub blocks: u64,
    pub free_blocks: u64,
    pub avail_blocks: u64,
    pub files: u64,
    pub free_files: u64,
    pub name_max: u64,
    /// NUL-padded file-system type ("ext2", "tmpfs", "devfs").
    pub fs_type: [u8; 16],
}

/// `utimes` value meaning "the current time".
pub const UTIME_NOW: u64 = u64::MAX;
/// `utimes` value meaning "leave unchanged".
pub const UTIME_OMIT: u64 = u64::MAX - 1;

/// `ioctl(TIOCGWINSZ)` result.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WinSize {
    pub rows: u16,
    pub cols: u16,
    pub xpixel: u16,
    pub ypixel: u16,
}

/// A framebuffer's mode, `ioctl(FBIOGET_MODE)` / `ioctl(FBIOSET_MODE)` on `/dev/fb0`:
/// pixels are 32-bit `0x00RRGGBB`, row `y` starts `y * pitch` bytes into the mapping.
/// A set-request gives `width`, `height` and `bpp` (only 32); `pitch` is the driver's.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FbMode {
    pub width: u32,
    pub height: u32,
    pub bpp: u32,
    pub pitch: u32,
}

/// Directory entries from `getdents` are packed records: `u64 ino`, `u16 reclen`,
/// `u8 type` (`DT_*`), `u8 namelen`, then the name bytes, padded to 8 bytes.
pub const DIRENT_HEADER: usize = 12;

/// Fixed-layout conversion to and from bytes for the structures above. The byte form
/// is the fields in order, little-endian, with no padding; every structure here is laid
/// out so that this is also exactly its `repr(C)` layout (a test checks it).
pub trait Pod: Sized + Copy {
    const SIZE: usize = core::mem::size_of::<Self>();
    fn to_bytes(&self, out: &mut [u8]);
    fn from_bytes(b: &[u8]) -> Self;
}

macro_rules! pod_fields {
    ($t:ty { $($f:ident : $ft:tt),* $(,)? }) => {
        impl Pod for $t {
            fn to_bytes(&self, out: &mut [u8]) {
                let mut at = 0;
                $(
                    let v = self.$f;
                    pod_fields!(@put out, at, v, $ft);
                )*
                let _ = at;
            }
            fn from_bytes(b: &[u8]) -> Self {
                let mut at = 0;
                $(
                    let $f: $ft = pod_fields!(@get b, at, $ft);
                )*
                let _ = at;
                Self { $($f),* }
            }
        }
    };
    (@put $out:ident, $at:ident, $v:ident, [u8; $n:expr]) => {
        $out[$at..$at + $n].copy_from_slice(&$v);
        $at += $n;
    };
    (@put $out:ident, $at:ident, $v:ident, [i32; $n:expr]) => {
        for x in $v { $out[$at..$at + 4].copy_from_slice(&x.to_le_bytes()); $at += 4; }
    };
    (@put $out:ident, $at:ident, $v:ident, UserStr) => {
        $v.to_bytes(&mut $out[$at..$at + 16]);
        $at += 16;
    };
    (@put $out:ident, $at:ident, $v:ident, $ft:tt) => {
        let s = core::mem::size_of::<$ft>();
        $out[$at..$at + s].copy_from_slice(&$v.to_le_bytes());
        $at += s;
    };
    (@get $b:ident, $at:ident, [u8; $n:expr]) => {{
        let mut a = [0u8; $n];
        a.copy_from_slice(&$b[$at..$at + $n]);
        $at += $n;
        a
    }};
    (@get $b:ident, $at:ident, [i32; $n:expr]) => {{
        let mut a = [0i32; $n];
        for x in a.iter_mut() {
            *x = i32::from_le_bytes($b[$at..$at + 4].try_into().unwrap());
            $at += 4;
        }
        a
    }};
    (@get $b:ident, $at:ident, UserStr) => {{
        let v = UserStr::from_bytes(&$b[$at..$at + 16]);
        $at += 16;
        v
    }};
    (@get $b:ident, $at:ident, $ft:tt) => {{
        let s = core::mem::size_of::<$ft>();
        let v = <$ft>::from_le_bytes($b[$at..$at + s].try_into().unwrap());
        $at += s;
        v
    }};
}

pub(crate) use pod_fields;

pod_fields!(UserStr { ptr: u64, len: u64 });
pod_fields!(FbMode {
    width: u32,
    height: u32,
    bpp: u32,
    pitch: u32
});
pod_fields!(SpawnArgs {
    path: UserStr,
    argv: u64,
    argc: u64,
    envp: u64,
    envc: u64,
    fds: [i32; 3],
    pgid: u32,
    flags: u64
});
pod_fields!(Timespec {
    sec: i64,
    nsec: i64
});
pod_fields!(Stat {
    dev: u64,
    ino: u64,
    mode: u32,
    nlink: u32,
    uid: u32,
    gid: u32,
    rdev: u64,
    size: u64,
    blksize: u64,
    blocks: u64,
    atime: i64,
    mtime: i64,
    ctime: i64
});
pod_fields!(Utsname {
    sysname: [u8; 32],
    nodename: [u8; 32],
    release: [u8; 32],
    version: [u8; 64],
    machine: [u8; 32]
});
pod_fields!(SysInfo {
    uptime_ns: u64,
    total_mem: u64,
    free_mem: u64,
    heap_total: u64,
    heap_used: u64,
    procs: u32,
    threads: u32,
    syscalls: u64,
    cpus: u32,
    reserved: u32
});
pod_fields!(ProcInfo {
    pid: u32,
    ppid: u32,
    pgid: u32,
    uid: u32,
    state: u32,
    threads: u32,
    cpu: u32,
    personality: u32,
    user_ns: u64,
    sys_ns: u64,
    mem_bytes: u64,
    syscalls: u64,
    name: [u8; 32]
});
pod_fields!(Tms {
    user_ns: u64,
    sys_ns: u64,
    child_user_ns: u64,
    child_sys_ns: u64
});
pod_fields!(SigAction {
    handler: u64,
    mask: u64,
    flags: u64,
    restorer: u64
});
pod_fields!(StatFs {
    block_size: u64,
    blocks: u64,
    free_blocks: u64,
    avail_blocks: u64,
    files: u64,
    free_files: u64,
    name_max: u64,
    fs_type: [u8; 16]
});
pod_fields!(WinSize {
    rows: u16,
    cols: u16,
    xpixel: u16,
    ypixel: u16
});

/// A message as the port calls describe it: a parameter block in the caller's memory
/// (`port_send`, `port_receive`, `port_call`, `port_reply`; docs/ipc.md).
///
/// Sending, `buf`/`len` are the bytes (at most [`crate::flags::PORT_MSG_MAX`]) and
/// `fds`/`nfds` the descriptors to pass (at most [`crate::flags::PORT_FDS_MAX`]); the
/// other fields are ignored. Receiving, `buf`/`len` and `fds`/`nfds` say where the
/// message may go and how much room there is; the kernel writes back the message's
/// length, the descriptors the receiver got (new numbers in its own table), the
/// sender's identity, and `token`, non-zero when the sender waits in `port_call` for
/// the answer that `port_reply(fd, token, ...)` gives.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortMsg {
    pub buf: u64,
    pub len: u32,
    pub nfds: u32,
    /// Pointer to `nfds` descriptors (`i32`).
    pub fds: u64,
    pub token: u64,
    /// The sender's process id and effective user and group ids, filled by the kernel.
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
    /// Reserved: 0.
    pub flags: u32,
}

/// One descriptor poll watches: Linux's `struct pollfd`. `events` is what the caller
/// waits for (`POLLIN`, `POLLOUT`); the kernel writes `revents`, which may also hold
/// `POLLERR`, `POLLHUP` and `POLLNVAL`. A negative `fd` is skipped.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollFd {
    pub fd: i32,
    pub events: u16,
    pub revents: u16,
}

pod_fields!(PortMsg {
    buf: u64,
    len: u32,
    nfds: u32,
    fds: u64,
    token: u64,
    pid: u32,
    uid: u32,
    gid: u32,
    flags: u32
});
pod_fields!(PollFd {
    fd: i32,
    events: u16,
    revents: u16
});

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Pod + PartialEq + core::fmt::Debug>(v: T) {
        let mut buf = [0u8; 256];
        v.to_bytes(&mut buf[..T::SIZE]);
        assert_eq!(T::from_bytes(&buf[..T::SIZE]), v);
    }

    #[test]
    fn structures_round_trip_through_bytes() {
        round_trip(SpawnArgs {
            path: UserStr { ptr: 1, len: 2 },
            argv: 3,
            argc: 4,
            envp: 5,
            envc: 6,
            fds: [0, -1, 2],
            pgid: 7,
            flags: 0,
        });
        round_trip(Stat {
            size: 9,
            mode: 0o100644,
            mtime: -3,
            ..Default::default()
        });
        round_trip(Timespec { sec: 1, nsec: 2 });
        round_trip(SigAction {
            handler: 1,
            mask: 2,
            flags: 3,
            restorer: 4,
        });
    }

    fn packed_size<T: Pod>() -> usize {
        // to_bytes must fill exactly SIZE bytes: write into a larger buffer of 0xAA and
        // find the last byte it wrote by writing twice with different fills.
        let v = T::from_bytes(&[0x55u8; 256]);
        let mut buf = [0xAAu8; 256];
        v.to_bytes(&mut buf);
        let mut buf2 = [0x11u8; 256];
        v.to_bytes(&mut buf2);
        (0..256)
            .rev()
            .find(|&i| buf[i] == buf2[i])
            .map_or(0, |i| i + 1)
    }

    #[test]
    fn byte_form_has_no_padding_so_it_equals_the_c_layout() {
        assert_eq!(packed_size::<SpawnArgs>(), SpawnArgs::SIZE);
        assert_eq!(packed_size::<Stat>(), Stat::SIZE);
        assert_eq!(packed_size::<ProcInfo>(), ProcInfo::SIZE);
        assert_eq!(packed_size::<Utsname>(), Utsname::SIZE);
        assert_eq!(packed_size::<SysInfo>(), SysInfo::SIZE);
        assert_eq!(packed_size::<Tms>(), Tms::SIZE);
        assert_eq!(packed_size::<SigAction>(), SigAction::SIZE);
        assert_eq!(packed_size::<WinSize>(), WinSize::SIZE);
        assert_eq!(packed_size::<StatFs>(), StatFs::SIZE);
        assert_eq!(packed_size::<PortMsg>(), PortMsg::SIZE);
        assert_eq!(packed_size::<PollFd>(), PollFd::SIZE);
        assert_eq!(packed_size::<FbMode>(), FbMode::SIZE);
    }
}
