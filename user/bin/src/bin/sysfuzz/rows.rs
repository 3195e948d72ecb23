//! The rows for the calls added to the table after the fuzzer was first written:
//! credentials, file modes and owners, memory protection, shared memory and futexes,
//! threads, the tracer and the profiler, kernel modules, sockets, and the dynamic
//! (module-registered) range. Chapter 2's protection promise again: each of these is
//! a way into the kernel, so each gets hostile arguments of the right *kind* (a socket
//! descriptor for a socket call, a shared-memory name for `shm_open`, an ELF-looking
//! image for `init_module`) as well as plain garbage.
//!
//! [`ROWS`] is the draw (number, weight, name); `cargo xtask` checks at build time that
//! every call in `abi::nr` is in it, in the first table (`calls.rs`), or in
//! [`EXCLUDED`] (`xtask/src/fuzztest.rs`, `check_table`), so the fuzzer grows with the
//! ABI.
//!
//! What is held back, and why (docs/reliability.md "What is never fuzzed"):
//! - `set_core_pattern` as root only gets pointers the kernel must refuse: a pattern
//!   it accepts would send every later core dump of the machine outside the sandbox.
//! - `delete_module` only names modules that do not exist: removing a real one (a
//!   driver) would break the machine the fuzzer runs on, not find a kernel bug.
//! - `init_module` gets random and truncated ELF images, never a real module.
//! - sockets bind, connect and send to loopback and the unspecified address only, so
//!   no packet leaves the machine; ports are a small range of our own.
//! - credentials change only in workers whose seed allows it ([`World::creds`]) and in
//!   children of fuzzed forks: a worker that drops root can no longer reach the root-only
//!   calls, so half the workers keep it.
//! - `tkill`, `trace_attach` and `prof_attach` name only the worker's own family or
//!   ids that cannot exist (as `kill` does).

use crate::calls::raw;
use crate::world::{World, NO_SUCH_PID, PAGE};
use ulib::abi::flags::*;
use ulib::abi::net::*;
use ulib::abi::nr;

/// Calls the fuzzer never makes at all, with the reason. Empty: every call is made,
/// some with restricted arguments (the module header says which and why).
pub const EXCLUDED: &[(usize, &str)] = &[];

/// The second part of the draw: (number, weight, name).
pub const ROWS: &[(usize, u32, &str)] = &[
    (nr::SETSID, 4, "setsid"),
    (nr::SET_CORE_PATTERN, 2, "set_core_pattern"),
    (nr::DROP_CACHES, 1, "drop_caches"),
    (nr::UMASK, 6, "umask"),
    (nr::FDATASYNC, 6, "fdatasync"),
    (nr::MPROTECT, 12, "mprotect"),
    (nr::MSYNC, 8, "msync"),
    (nr::SHM_OPEN, 12, "shm_open"),
    (nr::SHM_UNLINK, 6, "shm_unlink"),
    (nr::FUTEX, 12, "futex"),
    (nr::SETUID, 3, "setuid"),
    (nr::SETGID, 3, "setgid"),
    (nr::GETEUID, 3, "geteuid"),
    (nr::GETEGID, 3, "getegid"),
    (nr::SETRESUID, 3, "setresuid"),
    (nr::SETRESGID, 3, "setresgid"),
    (nr::GETGROUPS, 4, "getgroups"),
    (nr::SETGROUPS, 3, "setgroups"),
    (nr::CHOWN, 10, "chown"),
    (nr::FCHOWN, 8, "fchown"),
    (nr::ACCESS, 10, "access"),
    (nr::FCHMOD, 8, "fchmod"),
    (nr::PORT_REGISTER_MODE, 4, "port_register_mode"),
    (nr::MOUNT_FLAGS, 4, "mount_flags"),
    (nr::THREAD_SPAWN, 6, "thread_spawn"),
    (nr::THREAD_EXIT, 1, "thread_exit"),
    (nr::GETTID, 3, "gettid"),
    (nr::SET_THREAD_POINTER, 3, "set_thread_pointer"),
    (nr::THREAD_POINTER, 1, "thread_pointer"),
    (nr::TKILL, 6, "tkill"),
    (nr::TRACE_ATTACH, 4, "trace_attach"),
    (nr::TRACE_DETACH, 4, "trace_detach"),
    (nr::PROF_OPEN, 4, "prof_open"),
    (nr::PROF_ATTACH, 4, "prof_attach"),
    (nr::KSYM, 5, "ksym"),
    (nr::INIT_MODULE, 6, "init_module"),
    (nr::DELETE_MODULE, 3, "delete_module"),
    (nr::MODULES, 3, "modules"),
    (nr::SCHED_SETAFFINITY, 4, "sched_setaffinity"),
    (nr::SCHED_GETAFFINITY, 4, "sched_getaffinity"),
    (nr::GETCPU, 3, "getcpu"),
    (nr::SOCKETPAIR, 8, "socketpair"),
    (nr::SENDMSG, 10, "sendmsg"),
    (nr::RECVMSG, 10, "recvmsg"),
    (nr::PEERCRED, 4, "peercred"),
    (nr::SOCKET, 20, "socket"),
    (nr::BIND, 12, "bind"),
    (nr::LISTEN, 8, "listen"),
    (nr::ACCEPT, 8, "accept"),
    (nr::CONNECT, 12, "connect"),
    (nr::SENDTO, 14, "sendto"),
    (nr::RECVFROM, 14, "recvfrom"),
    (nr::SHUTDOWN, 6, "shutdown"),
    (nr::GETSOCKNAME, 5, "getsockname"),
    (nr::GETPEERNAME, 5, "getpeername"),
    (nr::SETSOCKOPT, 8, "setsockopt"),
    (nr::GETSOCKOPT, 6, "getsockopt"),
    (nr::NET_IFACES, 3, "net_ifaces"),
    (nr::NET_SOCKETS, 3, "net_sockets"),
];

/// Shared-memory names the workers share (so that one maps what another made); the
/// sandbox's removal unlinks them (a named segment outlives its processes).
pub const SHM_NAMES: &[&[u8]] = &[b"fzshm0", b"fzshm1", b"/fzshm2", b"", b"fz/shm"];
/// Module names that are never loaded.
const NO_MODULES: &[&[u8]] = &[b"fzmod", b"", b"nosuch_module", b"fz\0mod"];
/// The fuzzers' own ports (loopback only).
const PORTS: &[u16] = &[47_000, 47_001, 47_002, 0];
/// Where the row builds its structures in the input area (clear of calls.rs's).
const ADDR_AT: usize = 3840;
const IMAGE_AT: usize = 0;
const IMAGE_MAX: usize = 3072;

/// A thread started by a fuzzed `thread_spawn`: a few calls of its own, then it ends
/// (or, given a hostile stack, dies of SIGSEGV with its process).
extern "C" fn fuzz_thread(arg: u64) -> ! {
    raw(nr::GETTID as u64, [0; 6]);
    raw(nr::YIELD as u64, [0; 6]);
    if arg & 1 != 0 {
        raw(nr::NANOSLEEP as u64, [arg & 0xf_ffff, 0, 0, 0, 0, 0]);
    }
    loop {
        raw(nr::THREAD_EXIT as u64, [arg >> 8, 0, 0, 0, 0, 0]);
    }
}

impl World<'_> {
    /// An IPv4 socket address (or a hostile pointer), loopback or unspecified only.
    fn sockaddr(&mut self) -> u64 {
        if self.rng.one_in(6) {
            return self.bad_ptr();
        }
        let addr = self
            .rng
            .pick(&[[127, 0, 0, 1], [0, 0, 0, 0], [127, 1, 2, 3]]);
        let port = self.rng.pick(PORTS);
        let mut sa = SockAddrIn::new(addr, port);
        if self.rng.one_in(8) {
            sa.family = self.rng.pick(&[0, 1, 10, 0xffff]);
        }
        let mut b = [0u8; 16];
        b[0..2].copy_from_slice(&sa.family.to_le_bytes());
        b[2..4].copy_from_slice(&sa.port_be.to_le_bytes());
        b[4..8].copy_from_slice(&sa.addr);
        self.input[ADDR_AT..ADDR_AT + 16].copy_from_slice(&b);
        (self.input.as_ptr() as usize + ADDR_AT) as u64
    }

    /// A user or group id: root, a user, nobody, "leave it", or anything.
    fn id(&mut self) -> u64 {
        let any = self.rng.int();
        self.rng
            .pick(&[0, 1000, 1000, 65534, u64::from(u32::MAX), any])
    }

    /// A module image: random bytes, most of them behind an ELF header that is right
    /// as far as it goes (then truncated or garbage), at a length up to the room.
    fn module_image(&mut self) -> (u64, u64) {
        match self.rng.below(8) {
            0 => return (self.bad_ptr(), self.rng.below(4096)),
            1 => return (self.zero_straddle(), 64 + self.rng.below(4096)),
            _ => {}
        }
        let len = self
            .rng
            .pick(&[0, 4, 16, 63, 64, 65, 200, 1024, IMAGE_MAX as u64]);
        for i in 0..len as usize {
            self.input[IMAGE_AT + i] = self.rng.next() as u8;
        }
        if !self.rng.one_in(4) {
            // ELF64, little-endian, version 1, relocatable, x86-64.
            let header: [u8; 20] = [
                0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x3e, 0,
            ];
            let n = header.len().min(len as usize);
            self.input[IMAGE_AT..IMAGE_AT + n].copy_from_slice(&header[..n]);
        }
        let ptr = (self.input.as_ptr() as usize + IMAGE_AT) as u64;
        let claimed = if self.rng.one_in(8) {
            self.rng.pick(&[u64::MAX, 1 << 32, len + 4096])
        } else {
            len
        };
        (ptr, claimed)
    }

    /// A thread or process id for `tkill`, `trace_attach`, `prof_attach`: the
    /// family, 0 (the caller) or ids that cannot exist.
    fn family_id(&mut self) -> u64 {
        match self.rng.below(6) {
            0 => 0,
            1 => u64::from(self.me),
            2 if !self.children.as_slice().is_empty() => {
                u64::from(self.rng.pick(self.children.as_slice()))
            }
            3 if self.last_tid != 0 => self.last_tid,
            _ => NO_SUCH_PID + self.rng.below(1 << 20),
        }
    }

    /// Fill in the arguments of a call of [`ROWS`]; `None` if the call is not to be
    /// made this time.
    pub fn more_args(&mut self, number: usize, a: &mut [u64; 6]) -> Option<()> {
        match number {
            nr::SET_CORE_PATTERN if self.root => {
                (a[0], a[1]) = (self.bad_ptr(), self.rng.below(64));
            }
            nr::SET_CORE_PATTERN => (a[0], a[1]) = self.path(0),
            nr::UMASK => a[0] = self.rng.pick(&[0o022, 0, 0o777, 0o7777, u64::MAX]),
            nr::FDATASYNC | nr::PROF_ATTACH | nr::GETSOCKNAME | nr::GETPEERNAME => {
                a[0] = self.fd();
                match number {
                    nr::PROF_ATTACH => a[1] = self.family_id(),
                    nr::GETSOCKNAME | nr::GETPEERNAME => a[1] = self.out().0,
                    _ => {}
                }
            }
            nr::MPROTECT | nr::MSYNC => {
                let own = self.maps.as_slice();
                if !own.is_empty() && !self.rng.one_in(4) {
                    let (p, l) = self.rng.pick(own);
                    a[0] = p as u64 + PAGE as u64 * self.rng.below(2);
                    a[1] = if self.rng.one_in(8) {
                        self.rng.int()
                    } else {
                        l as u64
                    };
                } else {
                    a[0] = self.bad_ptr();
                    a[1] = self.rng.below(1 << 20);
                }
                a[2] = if number == nr::MPROTECT {
                    self.rng.below(8)
                } else {
                    let any = self.rng.flags();
                    self.rng.pick(&[
                        u64::from(MS_SYNC),
                        u64::from(MS_ASYNC),
                        u64::from(MS_SYNC | MS_ASYNC),
                        any,
                    ])
                };
            }
            nr::SHM_OPEN => {
                (a[0], a[1]) = self.word(32, SHM_NAMES);
                let any = self.rng.flags();
                a[2] = self.rng.pick(&[
                    u64::from(O_RDWR | O_CREAT),
                    u64::from(O_RDWR | O_CREAT | O_EXCL),
                    u64::from(O_RDONLY),
                    u64::from(O_RDWR | O_TRUNC),
                    any,
                ]);
                a[3] = self.rng.pick(&[0o600, 0o666, 0, u64::MAX]);
            }
            nr::SHM_UNLINK => (a[0], a[1]) = self.word(32, SHM_NAMES),
            nr::FUTEX => {
                a[0] = match self.rng.below(6) {
                    0 => self.bad_ptr(),
                    1 => self.scratch as u64 + 1, // misaligned
                    _ => self.scratch as u64 + 4 * self.rng.below(4),
                };
                let any = self.rng.flags();
                a[1] = self.rng.pick(&[
                    u64::from(FUTEX_WAIT),
                    u64::from(FUTEX_WAKE),
                    u64::from(FUTEX_WAKE_WAIT),
                    any,
                ]);
                // The scratch words are 0 unless a call wrote them: 0 mostly waits.
                a[2] = self.rng.pick(&[0, 0, 1, u64::from(u32::MAX)]);
                a[3] = self.rng.pick(&[0, 1_000_000, 20_000_000, FUTEX_FOREVER]);
            }
            nr::SETUID | nr::SETGID | nr::SETRESUID | nr::SETRESGID | nr::SETGROUPS
                if !self.creds =>
            {
                return None
            }
            nr::SETUID | nr::SETGID => a[0] = self.id(),
            nr::SETRESUID | nr::SETRESGID => {
                for x in a.iter_mut().take(3) {
                    *x = self.id();
                }
            }
            nr::SETGROUPS => {
                let n = self.rng.pick(&[0, 1, 2, 16, 65, 1000]);
                for i in 0..(n as usize).min(64) {
                    let g = self.id() as u32;
                    self.input[IMAGE_AT + 4 * i..IMAGE_AT + 4 * i + 4]
                        .copy_from_slice(&g.to_le_bytes());
                }
                let (p, room) = if self.rng.one_in(6) {
                    (self.bad_ptr(), u64::MAX)
                } else {
                    ((self.input.as_ptr() as usize + IMAGE_AT) as u64, 256)
                };
                a[0] = p;
                a[1] = (n * 4).min(room) + u64::from(self.rng.one_in(8)); // odd sometimes
            }
            nr::GETGROUPS | nr::MODULES | nr::NET_IFACES | nr::NET_SOCKETS => {
                let (p, room) = self.out();
                a[0] = p;
                a[1] = match number {
                    nr::NET_IFACES | nr::NET_SOCKETS => self.len(room / 64),
                    _ => self.len(room),
                };
            }
            nr::CHOWN => {
                (a[0], a[1]) = self.path(0);
                a[2] = self.id();
                a[3] = self.id();
            }
            nr::FCHOWN => {
                a[0] = self.fd();
                a[1] = self.id();
                a[2] = self.id();
            }
            nr::ACCESS => {
                (a[0], a[1]) = self.path(0);
                let any = self.rng.flags();
                a[2] = self
                    .rng
                    .pick(&[0, 1, u64::from(R_OK), u64::from(W_OK), 7, any]);
            }
            nr::FCHMOD => {
                a[0] = self.fd();
                let any = self.rng.int();
                a[1] = self.rng.pick(&[0o644, 0o4755, 0, 0o7777, any]);
            }
            nr::PORT_REGISTER_MODE => {
                a[0] = self.fd();
                (a[1], a[2]) = self.word(96, &[&b"fz0"[..], b"fz1", b"", b"fz3/x"]);
                a[3] = self.rng.pick(&[0o600, 0o666, 0, u64::MAX]);
                let any = self.rng.flags();
                a[4] = self.rng.pick(&[0, u64::from(PORT_REPLACE), any]);
            }
            nr::MOUNT_FLAGS => {
                (a[0], a[1]) = self.path(0);
                let any = self.rng.flags();
                a[2] = self.rng.pick(&[0, u64::from(MS_NOSUID), any]);
            }
            nr::THREAD_SPAWN => {
                a[0] = if self.rng.one_in(10) {
                    self.bad_ptr()
                } else {
                    fuzz_thread as *const () as u64
                };
                a[1] = match self.rng.below(10) {
                    0 => self.bad_ptr(),
                    1 => 0,
                    _ => {
                        // A fresh stack of its own (left to the process's end).
                        let m = raw(
                            nr::MMAP as u64,
                            [
                                0,
                                4 * PAGE as u64,
                                3,
                                u64::from(MAP_ANONYMOUS | MAP_PRIVATE),
                                0,
                                0,
                            ],
                        );
                        if (m as i64) < 0 {
                            return None;
                        }
                        m + 4 * PAGE as u64 - 8
                    }
                };
                a[2] = self.rng.next() & 0xffff_ff03;
                a[3] = match self.rng.below(4) {
                    0 => 0,
                    1 => self.bad_ptr(),
                    _ => self.scratch as u64 + 64,
                };
            }
            nr::THREAD_EXIT if !self.rng.one_in(8) => return None,
            nr::THREAD_EXIT => a[0] = self.rng.below(256),
            nr::TKILL => {
                a[0] = self.family_id();
                a[1] = self.sig();
                if a[0] == 0 || a[0] == u64::from(self.me) {
                    // As for kill: ending itself is rare.
                    if (a[1] == 9 || a[1] == 19) && !self.rng.one_in(4) {
                        a[1] = 0;
                    }
                }
            }
            nr::TRACE_ATTACH => {
                a[0] = self.family_id();
                a[1] = self.fd();
                let any = self.rng.flags();
                a[2] = self.rng.pick(&[0, u64::from(TRACE_FOLLOW), any]);
            }
            nr::TRACE_DETACH => a[0] = self.family_id(),
            nr::PROF_OPEN => {
                let any = self.rng.flags();
                a[0] = self.rng.pick(&[
                    u64::from(PROF_USER),
                    u64::from(PROF_KERNEL | PROF_FOLLOW),
                    0,
                    any,
                ]);
            }
            nr::KSYM => {
                a[0] = match self.rng.below(4) {
                    0 => 0xffff_ffff_8000_0000 + self.rng.below(1 << 24),
                    1 => self.text as u64,
                    _ => self.rng.int(),
                };
                (a[1], a[2]) = self.out_len();
            }
            nr::INIT_MODULE => {
                (a[0], a[1]) = self.module_image();
                (a[2], a[3]) = self.word(160, &[&b""[..], b"x=1", b"a b c", b"\xff="]);
                (a[4], a[5]) = self.out_len();
            }
            nr::DELETE_MODULE => {
                (a[0], a[1]) = self.word(160, NO_MODULES);
                (a[2], a[3]) = self.out_len();
            }
            nr::SOCKET => {
                let any = self.rng.int();
                a[0] = self.rng.pick(&[
                    u64::from(AF_INET),
                    u64::from(AF_INET),
                    u64::from(AF_UNIX),
                    10,
                    any,
                ]);
                let ty = self.rng.pick(&[SOCK_STREAM, SOCK_DGRAM, 3, 0]);
                let nb = if self.rng.one_in(2) { SOCK_NONBLOCK } else { 0 };
                a[1] = if self.rng.one_in(8) {
                    self.rng.int()
                } else {
                    u64::from(ty | nb)
                };
                a[2] = self.rng.pick(&[
                    u64::from(IPPROTO_IP),
                    u64::from(IPPROTO_TCP),
                    u64::from(IPPROTO_UDP),
                    u64::from(IPPROTO_ICMP),
                    255,
                ]);
            }
            nr::BIND | nr::CONNECT => {
                a[0] = self.fd();
                a[1] = self.sockaddr();
            }
            nr::LISTEN => {
                a[0] = self.fd();
                a[1] = self.rng.pick(&[0, 1, 5, 128, u64::from(u32::MAX)]);
            }
            nr::ACCEPT => {
                a[0] = self.fd();
                a[1] = if self.rng.one_in(2) { 0 } else { self.out().0 };
                a[2] = self
                    .rng
                    .pick(&[u64::from(SOCK_NONBLOCK), 0, u64::from(u32::MAX)]);
            }
            nr::SENDTO | nr::RECVFROM => {
                a[0] = self.fd();
                (a[1], a[2]) = if number == nr::SENDTO {
                    let (p, room) = self.data();
                    (p, self.len(room))
                } else {
                    self.out_len()
                };
                a[3] = self.rng.pick(&[
                    0,
                    u64::from(MSG_DONTWAIT),
                    u64::from(MSG_PEEK | MSG_DONTWAIT),
                    u64::from(u32::MAX),
                ]);
                a[4] = match self.rng.below(3) {
                    0 => 0,
                    _ if number == nr::SENDTO => self.sockaddr(),
                    _ => self.out().0,
                };
            }
            nr::SHUTDOWN => {
                a[0] = self.fd();
                a[1] = self.rng.pick(&[
                    u64::from(SHUT_RD),
                    u64::from(SHUT_WR),
                    u64::from(SHUT_RDWR),
                    3,
                    u64::MAX,
                ]);
            }
            nr::SETSOCKOPT | nr::GETSOCKOPT => {
                a[0] = self.fd();
                a[1] = self.rng.pick(&[
                    u64::from(SOL_SOCKET),
                    u64::from(IPPROTO_TCP),
                    u64::from(IPPROTO_IP),
                    u64::MAX,
                ]);
                let any = self.rng.int();
                a[2] = self.rng.pick(&[
                    u64::from(SO_REUSEADDR),
                    u64::from(SO_RCVTIMEO),
                    u64::from(SO_SNDBUF),
                    u64::from(SO_RCVBUF),
                    u64::from(SO_ERROR),
                    u64::from(TCP_NODELAY),
                    any,
                ]);
                a[3] = self.rng.pick(&[0, 1, 1 << 20, 1 << 40, u64::MAX]);
            }
            nr::SCHED_SETAFFINITY | nr::SCHED_GETAFFINITY => {
                // Its own family only: pinning init or the shell is not the fuzzer's
                // business. The mask: every CPU, one, none, or garbage.
                a[0] = self.rng.pick(&[0, u64::from(self.me), NO_SUCH_PID]);
                if number == nr::SCHED_SETAFFINITY {
                    let any = self.rng.int();
                    a[1] = self.rng.pick(&[u64::MAX, 1, 2, 0, any]);
                } else {
                    a[1] = self.out().0;
                }
            }
            nr::GETCPU => {
                a[0] = self.out().0;
                a[1] = if self.rng.one_in(2) { 0 } else { self.out().0 };
            }
            nr::SOCKETPAIR => {
                let any = self.rng.int();
                a[0] = self
                    .rng
                    .pick(&[u64::from(AF_UNIX), u64::from(AF_UNIX), 2, any]);
                let ty = self.rng.pick(&[SOCK_STREAM, SOCK_DGRAM, 0]);
                a[1] = u64::from(ty | if self.rng.one_in(2) { SOCK_NONBLOCK } else { 0 });
                a[2] = self.rng.pick(&[0, 0, 1, any]);
                a[3] = self.out().0;
            }
            nr::SENDMSG | nr::RECVMSG => {
                // A Linux `struct msghdr` of hostile words (pointers the kernel must
                // check, lengths that lie), or a bad pointer.
                a[0] = self.fd();
                a[1] = self.data().0;
                a[2] = self.rng.pick(&[
                    0,
                    u64::from(MSG_DONTWAIT),
                    u64::from(MSG_PEEK | MSG_DONTWAIT),
                    u64::from(u32::MAX),
                ]);
            }
            nr::PEERCRED => {
                a[0] = self.fd();
                a[1] = self.out().0;
            }
            // setsid, drop_caches, geteuid, getegid, gettid: no arguments that matter.
            _ => {}
        }
        Some(())
    }
}
