//! One fuzzed system call: pick a number from the whole table (and beyond it), build
//! its arguments from the [`World`], make the call through ulib's unchecked entry, and
//! remember what it produced (descriptors, children, mappings).
//!
//! Every number in `abi::nr` has a row here that knows which argument is a descriptor,
//! a path, an output buffer with its length, a pid or a signal, so the hostile values
//! land where they mean something; unassigned numbers and numbers past the table get
//! random words. Calls that end or cripple the caller (`exit`, `sigreturn` with
//! whatever is on the stack, `munmap` of huge ranges) are drawn rarely so that a chunk
//! mostly runs to its end, but every one of them is drawn.
//!
//! The port calls get message blocks whose sizes, descriptors and tokens are drawn
//! from the same world (a received block lives where the kernel may write it back),
//! names from a small shared set so that workers find each other's ports.
//!
//! `poweroff` and `reboot` take no arguments, so any call to them is a valid one: they
//! are made only when the fuzzer does not run as root (they must then fail with EPERM).

use crate::rows::{EXCLUDED, ROWS};
use crate::world::{World, NO_SUCH_PID, OWN_BUF, PAGE};
use ulib::abi::flags::*;
use ulib::abi::{self, nr, Pod, PollFd, PortMsg, SigAction, SpawnArgs, UserStr};

/// The raw entry. The only `unsafe` in the program.
#[allow(unsafe_code)]
pub fn raw(number: u64, a: [u64; 6]) -> u64 {
    // SAFETY: every pointer in `a` comes from `World`'s generators: either the kernel
    // must refuse it (null, unmapped, kernel half, non-canonical, read-only text), or
    // it points into memory no Rust object lives in (the scratch mapping, whose
    // writable part is followed by an unmapped page) or into the worker's own output
    // buffers with a length clamped to their size. Calls that take memory away
    // (munmap, brk) or replace the program (exec of sandbox paths, which are never
    // programs) may kill this process, which the parent expects and counts.
    unsafe { ulib::sys::syscall6(number as usize, a.map(|x| x as usize)) as u64 }
}

fn is_err(r: u64) -> bool {
    (r as i64) < 0 && (r as i64) >= -4095
}

/// The call numbers the table assigns, with how often each is drawn (out of the sum).
const CALLS: &[(usize, u32)] = &[
    (nr::NULL, 10),
    (nr::EXIT, 1),
    (nr::FORK, 8),
    (nr::EXEC, 10),
    (nr::SPAWN, 10),
    (nr::WAITPID, 20),
    (nr::GETPID, 5),
    (nr::GETPPID, 5),
    (nr::KILL, 30),
    (nr::SIGACTION, 25),
    (nr::SIGPROCMASK, 20),
    (nr::SIGRETURN, 1),
    (nr::NANOSLEEP, 10),
    (nr::YIELD, 10),
    (nr::BRK, 15),
    (nr::MMAP, 25),
    (nr::MUNMAP, 20),
    (nr::SETPGID, 15),
    (nr::GETPGID, 10),
    (nr::READ, 40),
    (nr::WRITE, 40),
    (nr::OPEN, 60),
    (nr::CLOSE, 30),
    (nr::LSEEK, 20),
    (nr::DUP, 15),
    (nr::DUP2, 15),
    (nr::PIPE, 15),
    (nr::STAT, 20),
    (nr::FSTAT, 20),
    (nr::LSTAT, 15),
    (nr::GETDENTS, 20),
    (nr::CHDIR, 15),
    (nr::GETCWD, 10),
    (nr::MKDIR, 40),
    (nr::UNLINK, 30),
    (nr::RMDIR, 25),
    (nr::RENAME, 30),
    (nr::LINK, 20),
    (nr::SYMLINK, 20),
    (nr::READLINK, 15),
    (nr::FTRUNCATE, 20),
    (nr::FSYNC, 8),
    (nr::SYNC, 2),
    (nr::PREAD, 20),
    (nr::PWRITE, 25),
    (nr::CHMOD, 15),
    (nr::UTIMES, 10),
    (nr::STATFS, 10),
    (nr::TRUNCATE, 15),
    (nr::IOCTL, 20),
    (nr::DEV_REQUEST, 8),
    (nr::DEV_RELEASE, 8),
    (nr::MOUNT, 12),
    (nr::UMOUNT, 12),
    (nr::MOUNTS, 8),
    (nr::CLOCK_GETTIME, 8),
    (nr::UNAME, 5),
    (nr::SYSINFO, 5),
    (nr::PROCLIST, 8),
    (nr::TIMES, 5),
    (nr::PRLIMIT, 6),
    (nr::GETRUSAGE, 5),
    (nr::GET_CORE_PATTERN, 3),
    (nr::GETUID, 3),
    (nr::GETGID, 3),
    (nr::POWEROFF, 1),
    (nr::REBOOT, 1),
    (nr::PORT_CREATE, 6),
    (nr::PORT_REGISTER, 3),
    (nr::PORT_LOOKUP, 4),
    (nr::PORT_SEND, 8),
    (nr::PORT_RECEIVE, 8),
    (nr::PORT_CALL, 5),
    (nr::PORT_REPLY, 4),
    (nr::POLL, 6),
    (nr::PORT_REPLY_RECEIVE, 4),
    (nr::PORT_CALL_SHORT, 4),
    (nr::PORT_REPLY_RECEIVE_SHORT, 4),
];

/// The draw of `--ports`: the port calls, poll, and what makes peers come and go.
const PORT_CALLS: &[(usize, u32)] = &[
    (nr::PORT_CREATE, 20),
    (nr::PORT_REGISTER, 10),
    (nr::PORT_LOOKUP, 15),
    (nr::PORT_SEND, 40),
    (nr::PORT_RECEIVE, 40),
    (nr::PORT_CALL, 25),
    (nr::PORT_REPLY, 20),
    (nr::POLL, 15),
    (nr::PORT_REPLY_RECEIVE, 20),
    (nr::PORT_CALL_SHORT, 25),
    (nr::PORT_REPLY_RECEIVE_SHORT, 25),
    (nr::CLOSE, 15),
    (nr::DUP, 5),
    (nr::PIPE, 5),
    (nr::FORK, 8),
    (nr::KILL, 10),
    (nr::WAITPID, 5),
    (nr::EXIT, 2),
];

/// Where port message blocks go: a sent one in the input area, a received one (the
/// kernel writes it back) at the end of the worker's own stack buffer, poll's array at
/// the start of its heap buffer.
const MSG_AT: usize = STRUCT_AT;
const MSG_FDS_AT: usize = STRUCT_AT + 64;
const RECV_AT: usize = OWN_BUF - PortMsg::SIZE;
/// Port names the workers share (so that they find each other's ports).
const PORT_NAMES: &[&[u8]] = &[b"fz0", b"fz1", b"fz2", b"", b"fz3/x"];

/// A name for the verbose log.
pub fn name(number: u64) -> &'static str {
    const NAMES: &[(usize, &str)] = &[
        (nr::NULL, "null"),
        (nr::EXIT, "exit"),
        (nr::FORK, "fork"),
        (nr::EXEC, "exec"),
        (nr::SPAWN, "spawn"),
        (nr::WAITPID, "waitpid"),
        (nr::GETPID, "getpid"),
        (nr::GETPPID, "getppid"),
        (nr::KILL, "kill"),
        (nr::SIGACTION, "sigaction"),
        (nr::SIGPROCMASK, "sigprocmask"),
        (nr::SIGRETURN, "sigreturn"),
        (nr::NANOSLEEP, "nanosleep"),
        (nr::YIELD, "yield"),
        (nr::BRK, "brk"),
        (nr::MMAP, "mmap"),
        (nr::MUNMAP, "munmap"),
        (nr::SETPGID, "setpgid"),
        (nr::GETPGID, "getpgid"),
        (nr::READ, "read"),
        (nr::WRITE, "write"),
        (nr::OPEN, "open"),
        (nr::CLOSE, "close"),
        (nr::LSEEK, "lseek"),
        (nr::DUP, "dup"),
        (nr::DUP2, "dup2"),
        (nr::PIPE, "pipe"),
        (nr::STAT, "stat"),
        (nr::FSTAT, "fstat"),
        (nr::LSTAT, "lstat"),
        (nr::GETDENTS, "getdents"),
        (nr::CHDIR, "chdir"),
        (nr::GETCWD, "getcwd"),
        (nr::MKDIR, "mkdir"),
        (nr::UNLINK, "unlink"),
        (nr::RMDIR, "rmdir"),
        (nr::RENAME, "rename"),
        (nr::LINK, "link"),
        (nr::SYMLINK, "symlink"),
        (nr::READLINK, "readlink"),
        (nr::FTRUNCATE, "ftruncate"),
        (nr::FSYNC, "fsync"),
        (nr::SYNC, "sync"),
        (nr::PREAD, "pread"),
        (nr::PWRITE, "pwrite"),
        (nr::CHMOD, "chmod"),
        (nr::UTIMES, "utimes"),
        (nr::STATFS, "statfs"),
        (nr::TRUNCATE, "truncate"),
        (nr::IOCTL, "ioctl"),
        (nr::DEV_REQUEST, "dev_request"),
        (nr::DEV_RELEASE, "dev_release"),
        (nr::MOUNT, "mount"),
        (nr::UMOUNT, "umount"),
        (nr::MOUNTS, "mounts"),
        (nr::CLOCK_GETTIME, "clock_gettime"),
        (nr::UNAME, "uname"),
        (nr::SYSINFO, "sysinfo"),
        (nr::PROCLIST, "proclist"),
        (nr::TIMES, "times"),
        (nr::PRLIMIT, "prlimit"),
        (nr::GETRUSAGE, "getrusage"),
        (nr::GET_CORE_PATTERN, "get_core_pattern"),
        (nr::GETUID, "getuid"),
        (nr::GETGID, "getgid"),
        (nr::POWEROFF, "poweroff"),
        (nr::REBOOT, "reboot"),
        (nr::PORT_CREATE, "port_create"),
        (nr::PORT_REGISTER, "port_register"),
        (nr::PORT_LOOKUP, "port_lookup"),
        (nr::PORT_SEND, "port_send"),
        (nr::PORT_RECEIVE, "port_receive"),
        (nr::PORT_CALL, "port_call"),
        (nr::PORT_REPLY, "port_reply"),
        (nr::POLL, "poll"),
        (nr::PORT_REPLY_RECEIVE, "port_reply_receive"),
        (nr::PORT_CALL_SHORT, "port_call_short"),
        (nr::PORT_REPLY_RECEIVE_SHORT, "port_reply_receive_short"),
    ];
    NAMES
        .iter()
        .copied()
        .chain(ROWS.iter().map(|&(n, _, s)| (n, s)))
        .find(|(n, _)| *n as u64 == number)
        .map_or("?", |(_, s)| s)
}

/// What a call did to the process making it.
pub enum After {
    Continue,
    /// This process is the child of a fuzzed `fork` (the caller re-seeds it).
    ForkedChild,
}

fn pick_number(w: &mut World) -> u64 {
    match w.rng.below(40) {
        0 => return w.rng.below(nr::COUNT as u64), // assigned or not
        2 if w.rng.one_in(2) => {
            // The dynamic range: calls a module may have registered.
            return (nr::DYNAMIC_FIRST as u64) + w.rng.below(nr::DYNAMIC_COUNT as u64 + 1);
        }
        1 => {
            return w
                .rng
                .pick(&[80, 81, 255, 1000, 1 << 32, u64::MAX, 0x8000_0000_0000_0000])
        }
        _ => {}
    }
    let table = if w.ports && !w.rng.one_in(4) {
        PORT_CALLS
    } else {
        CALLS
    };
    let more = if table.as_ptr() == CALLS.as_ptr() {
        ROWS
    } else {
        &[]
    };
    let all = table
        .iter()
        .copied()
        .chain(more.iter().map(|&(n, weight, _)| (n, weight)));
    let total: u64 = all.clone().map(|(_, n)| u64::from(n)).sum();
    let mut r = w.rng.below(total);
    for (n, weight) in all {
        if r < u64::from(weight) {
            return n as u64;
        }
        r -= u64::from(weight);
    }
    nr::NULL as u64
}

/// Where structures and short strings are built in the input area.
const STRUCT_AT: usize = 3072;
const STR_AT: usize = 3200;
const LIST_AT: usize = 3456;

impl World<'_> {
    fn put(&mut self, at: usize, bytes: &[u8]) -> u64 {
        self.input[at..at + bytes.len()].copy_from_slice(bytes);
        (self.input.as_ptr() as usize + at) as u64
    }

    /// A `SigAction` in the input area (or a hostile pointer).
    fn sigaction_ptr(&mut self) -> u64 {
        match self.rng.below(6) {
            0 => return 0,
            1 => return self.bad_ptr(),
            _ => {}
        }
        let handler = match self.rng.below(8) {
            0 | 1 => abi::signal::SIG_DFL,
            2 => abi::signal::SIG_IGN,
            3..=5 => self.handler,
            6 => self.bad_ptr(),
            _ => self.text as u64 + 1,
        };
        let restorer = match self.rng.below(6) {
            0 => 0,
            1 => self.bad_ptr(),
            _ => self.restorer,
        };
        let mask = self.rng.flags() & !(1 << abi::signal::SIGUSR2);
        let sa = SigAction {
            handler,
            mask,
            flags: self.rng.flags(),
            restorer,
        };
        let mut b = [0u8; SigAction::SIZE];
        sa.to_bytes(&mut b);
        self.put(STRUCT_AT, &b)
    }

    /// A list of `UserStr` for argv/envp; returns (pointer, count).
    fn str_list(&mut self) -> (u64, u64) {
        match self.rng.below(6) {
            0 => return (0, self.rng.below(3)),
            1 => return (self.bad_ptr(), self.rng.below(4)),
            2 => return (self.zero_straddle(), 1 + self.rng.below(40)),
            _ => {}
        }
        let count = self.rng.below(5);
        let word = self.put(STR_AT + 128, b"arg=value");
        for i in 0..count as usize {
            let s = match self.rng.below(4) {
                0 => UserStr {
                    ptr: self.bad_ptr(),
                    len: self.rng.int(),
                },
                _ => UserStr {
                    ptr: word,
                    len: self.rng.below(10),
                },
            };
            let mut b = [0u8; UserStr::SIZE];
            s.to_bytes(&mut b);
            self.put(LIST_AT + i * UserStr::SIZE, &b);
        }
        let ptr = (self.input.as_ptr() as usize + LIST_AT) as u64;
        let count = if self.rng.one_in(8) {
            self.rng.int()
        } else {
            count
        };
        (ptr, count)
    }

    /// A short string argument from a list (file-system types, mount sources).
    pub fn word(&mut self, at: usize, words: &[&[u8]]) -> (u64, u64) {
        if self.rng.one_in(8) {
            return (self.bad_ptr(), self.rng.below(16));
        }
        let w = self.rng.pick(words);
        (self.put(STR_AT + at, w), w.len() as u64)
    }

    /// Output pointer and a length within its room.
    pub fn out_len(&mut self) -> (u64, u64) {
        let (p, room) = self.out();
        (p, self.len(room))
    }

    /// Output pointer able to take `size` bytes if it points at our own memory.
    fn out_fixed(&mut self) -> u64 {
        self.out().0
    }

    fn own_bytes(&self, ptr: u64) -> Option<&[u8]> {
        if ptr == self.stack_buf.as_ptr() as u64 {
            Some(&self.stack_buf[..])
        } else if ptr == self.heap_buf.as_ptr() as u64 {
            Some(&self.heap_buf[..])
        } else {
            None
        }
    }

    /// A file offset or size.
    fn offset(&mut self) -> u64 {
        match self.rng.below(4) {
            0 => self.rng.below(100_000),
            1 => self.rng.below(16),
            _ => self.rng.int(),
        }
    }

    /// A timeout for the port calls and poll: mostly short, sometimes forever (the
    /// watchdog's signal ends those waits).
    fn timeout(&mut self) -> u64 {
        let any = self.rng.int();
        self.rng
            .pick(&[0, 0, 0, 1_000_000, 20_000_000, u64::MAX, 1 << 63, any])
    }

    /// A port name (pointer, length).
    fn port_name(&mut self) -> (u64, u64) {
        self.word(96, PORT_NAMES)
    }

    /// A port message block (or a hostile pointer). `receive`: the block says where a
    /// message may go, and lives where the kernel may write it back.
    fn port_msg(&mut self, receive: bool) -> u64 {
        if self.rng.one_in(8) {
            return self.bad_ptr();
        }
        let (buf, len) = if receive {
            self.out_len()
        } else {
            let (p, room) = self.data();
            (p, self.len(room))
        };
        let nfds = self
            .rng
            .pick(&[0, 0, 0, 1, 1, 2, 8, 9, u64::from(u32::MAX)]);
        let fds = if receive {
            self.out_fixed()
        } else if self.rng.one_in(8) {
            self.bad_ptr()
        } else {
            let mut b = [0u8; 32];
            for c in b.chunks_exact_mut(4) {
                c.copy_from_slice(&(self.fd() as i32).to_le_bytes());
            }
            self.put(MSG_FDS_AT, &b)
        };
        let m = PortMsg {
            buf,
            len: len.min(u64::from(u32::MAX)) as u32,
            nfds: nfds as u32,
            fds,
            token: self.rng.int(),
            pid: 0,
            uid: 0,
            gid: 0,
            flags: if self.rng.one_in(16) { 1 } else { 0 },
        };
        let mut b = [0u8; PortMsg::SIZE];
        m.to_bytes(&mut b);
        if receive {
            self.stack_buf[RECV_AT..].copy_from_slice(&b);
            self.stack_buf[RECV_AT..].as_ptr() as u64
        } else {
            self.put(MSG_AT, &b)
        }
    }

    /// Poll's array of `n` entries (at most 8 written) in the heap buffer.
    fn poll_fds(&mut self, n: usize) -> u64 {
        for i in 0..n.min(8) {
            let p = PollFd {
                fd: self.fd() as i32,
                events: self.rng.pick(&[POLLIN, POLLOUT, POLLIN | POLLOUT, 0xffff]),
                revents: 0,
            };
            p.to_bytes(&mut self.heap_buf[i * PollFd::SIZE..]);
        }
        self.heap_buf.as_ptr() as u64
    }

    /// Make one call. Returns what it did to this process.
    pub fn step(&mut self) -> After {
        let number = pick_number(self);
        if number < 256 && self.exclude[number as usize / 128] & (1u128 << (number % 128)) != 0 {
            return After::Continue;
        }
        if EXCLUDED.iter().any(|e| e.0 as u64 == number) {
            return After::Continue; // not even as a random number
        }
        let mut a = [0u64; 6];
        for x in a.iter_mut() {
            *x = self.rng.int();
        }
        let mut out_ptr = 0u64;
        match number as usize {
            nr::EXIT => {
                // A worker's chunk should usually run to its end; a fork's child
                // ends by exit as often as not.
                if self.depth == 0 && !self.rng.one_in(8) {
                    return After::Continue;
                }
                a[0] = self.rng.below(256);
            }
            nr::FORK if self.depth >= 2 || self.children.is_full() || self.budget < 20 => {
                return After::Continue;
            }
            nr::FORK => {}
            nr::EXEC => {
                (a[0], a[1]) = self.path(0);
                (a[2], a[3]) = self.str_list();
                (a[4], a[5]) = self.str_list();
            }
            nr::SPAWN => {
                if self.rng.one_in(4) {
                    a[0] = self.bad_ptr();
                } else {
                    let (p, l) = self.path(0);
                    let (argv, argc) = self.str_list();
                    let sa = SpawnArgs {
                        path: UserStr { ptr: p, len: l },
                        argv,
                        argc,
                        envp: 0,
                        envc: 0,
                        fds: [
                            self.fd() as i32,
                            self.fd() as i32,
                            self.rng.pick(&[-1, 0, 1, 2, 1000]),
                        ],
                        pgid: self.rng.pick(&[0, u32::MAX, self.group, 0x7fff_1234]),
                        flags: self.rng.pick(&[0, 1, u64::MAX]),
                    };
                    let mut b = [0u8; SpawnArgs::SIZE];
                    sa.to_bytes(&mut b);
                    a[0] = self.put(STRUCT_AT, &b);
                }
            }
            nr::WAITPID => {
                a[0] = if self.rng.one_in(3) {
                    u64::MAX // -1: any child of this process
                } else {
                    self.pid()
                };
                a[1] = if self.rng.one_in(3) {
                    0
                } else {
                    self.out_fixed()
                };
                a[2] = if self.rng.one_in(3) {
                    self.rng.flags()
                } else {
                    u64::from(WNOHANG)
                };
            }
            nr::KILL => {
                a[0] = self.pid();
                a[1] = self.sig();
            }
            nr::SIGACTION => {
                a[0] = self.sig();
                a[1] = self.sigaction_ptr();
                a[2] = if self.rng.one_in(2) {
                    0
                } else {
                    self.out_fixed()
                };
                if a[0] == u64::from(abi::signal::SIGUSR2) {
                    a[1] = 0; // the watchdog's wake-up signal keeps its handler
                }
            }
            nr::SIGPROCMASK => {
                a[0] = self.rng.pick(&[0, 1, 2, 3, u64::MAX]);
                a[1] = self.rng.flags() | (self.rng.next() & self.rng.next());
                a[1] &= !(1 << abi::signal::SIGUSR2);
                a[2] = if self.rng.one_in(2) {
                    0
                } else {
                    self.out_fixed()
                };
            }
            nr::NANOSLEEP => {
                a[0] = match self.rng.below(12) {
                    0 => u64::MAX, // until the watchdog's signal
                    1 => 1 << 63,
                    2..=5 => 0,
                    _ => self.rng.below(2_000_000),
                };
            }
            nr::BRK => {
                let cur = raw(nr::BRK as u64, [0; 6]);
                a[0] = match self.rng.below(8) {
                    0 => 0,
                    1 => cur.wrapping_add(self.rng.below(1 << 20)),
                    2 => cur.wrapping_sub(self.rng.below(1 << 16)),
                    3 => cur.wrapping_add(PAGE as u64),
                    4 => self.bad_ptr(),
                    5 => cur.wrapping_add(1 << 40),
                    _ => self.rng.int(),
                };
            }
            nr::MMAP => {
                a[0] = match self.rng.below(5) {
                    0 => self.scratch as u64,
                    1 => self.bad_ptr(),
                    2 => self.rng.int(),
                    _ => 0,
                };
                a[1] = match self.rng.below(6) {
                    0 => self.rng.boundary(),
                    1 => self.rng.below(1 << 20),
                    _ => PAGE as u64 * (1 + self.rng.below(8)),
                };
                a[2] = self.rng.below(8);
                a[3] = if self.rng.one_in(4) {
                    self.rng.flags()
                } else if self.rng.one_in(4) {
                    // A file or shared-memory segment, shared or not.
                    a[4] = self.fd();
                    a[5] = self.rng.pick(&[0, PAGE as u64, 1, 1 << 40]);
                    u64::from(self.rng.pick(&[MAP_SHARED, MAP_PRIVATE]))
                } else {
                    u64::from(MAP_ANONYMOUS | MAP_PRIVATE)
                };
                if self.maps.is_full() {
                    let (p, l) = self.maps.as_slice()[0];
                    raw(nr::MUNMAP as u64, [p as u64, l as u64, 0, 0, 0, 0]);
                    self.maps.remove((p, l));
                }
            }
            nr::MUNMAP => {
                let own = self.maps.as_slice();
                if !own.is_empty() && self.rng.below(4) != 0 {
                    let (p, l) = self.rng.pick(own);
                    a[0] = p as u64 + PAGE as u64 * self.rng.below(2);
                    a[1] = if self.rng.one_in(8) {
                        self.rng.int()
                    } else {
                        l as u64
                    };
                    self.maps.remove((p, l));
                } else {
                    a[0] = match self.rng.below(4) {
                        0 => (self.scratch + 2 * PAGE) as u64, // the hole: nothing to do
                        1 => self.bad_ptr(),
                        2 => 0,
                        _ => self.rng.int(),
                    };
                    a[1] = self.rng.int();
                }
            }
            nr::SETPGID => {
                a[0] = self.rng.pick(&[0, u64::from(self.me)]);
                if self.rng.one_in(2) {
                    a[0] = self.pid();
                }
                a[1] = self.rng.pick(&[
                    u64::from(self.group),
                    NO_SUCH_PID + 7,
                    u64::from(u32::MAX),
                    1 << 32,
                ]);
            }
            nr::GETPGID => a[0] = self.pid(),
            nr::READ | nr::GETDENTS => {
                a[0] = self.fd();
                (a[1], a[2]) = self.out_len();
            }
            nr::WRITE => {
                a[0] = self.fd();
                (a[1], _) = self.data();
                a[2] = self.len(u64::MAX);
            }
            nr::PREAD => {
                a[0] = self.fd();
                (a[1], a[2]) = self.out_len();
                a[3] = self.offset();
            }
            nr::PWRITE => {
                a[0] = self.fd();
                (a[1], _) = self.data();
                a[2] = self.len(u64::MAX);
                a[3] = self.offset();
            }
            nr::OPEN => {
                (a[0], a[1]) = self.path(0);
                a[2] = match self.rng.below(4) {
                    0 => self.rng.flags(),
                    1 => u64::from(O_RDONLY | O_DIRECTORY),
                    _ => {
                        let mut f = self.rng.below(3);
                        for bit in [O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NONBLOCK, O_NOFOLLOW] {
                            if self.rng.one_in(3) {
                                f |= u64::from(bit);
                            }
                        }
                        f
                    }
                };
                a[3] = self.rng.pick(&[0o644, 0o777, 0, 0o7777, u64::MAX]);
            }
            nr::CLOSE | nr::FSYNC | nr::DUP | nr::DEV_RELEASE => a[0] = self.fd(),
            nr::DUP2 => {
                a[0] = self.fd();
                a[1] = if self.rng.one_in(2) {
                    self.fd()
                } else {
                    let n = self.rng.below(70);
                    self.safe_fd(n)
                };
            }
            nr::LSEEK => {
                a[0] = self.fd();
                a[1] = self.offset();
                a[2] = self.rng.pick(&[0, 1, 2, 3, u64::MAX]);
            }
            nr::PIPE => out_ptr = self.out_fixed(),
            nr::STAT | nr::LSTAT | nr::STATFS => {
                (a[0], a[1]) = self.path(0);
                a[2] = self.out_fixed();
            }
            nr::FSTAT => {
                a[0] = self.fd();
                a[1] = self.out_fixed();
            }
            nr::CHDIR | nr::UNLINK | nr::RMDIR | nr::UMOUNT => (a[0], a[1]) = self.path(0),
            nr::GETCWD | nr::MOUNTS => (a[0], a[1]) = self.out_len(),
            nr::MKDIR | nr::CHMOD => {
                (a[0], a[1]) = self.path(0);
                let any = self.rng.int();
                a[2] = self.rng.pick(&[0o755, 0o700, 0, 0o7777, 0o644, any]);
            }
            nr::RENAME | nr::LINK | nr::SYMLINK => {
                (a[0], a[1]) = self.path(0);
                (a[2], a[3]) = self.path(1);
            }
            nr::READLINK => {
                (a[0], a[1]) = self.path(0);
                (a[2], a[3]) = self.out_len();
            }
            nr::FTRUNCATE => {
                a[0] = self.fd();
                a[1] = self.offset();
            }
            nr::TRUNCATE => {
                (a[0], a[1]) = self.path(0);
                a[2] = self.offset();
            }
            nr::UTIMES => {
                (a[0], a[1]) = self.path(0);
                let (x, y) = (self.rng.int(), self.rng.int());
                a[2] = self.rng.pick(&[0, u64::MAX, u64::MAX - 1, 1 << 40, x]);
                a[3] = self.rng.pick(&[0, u64::MAX, u64::MAX - 1, 1 << 33, y]);
            }
            nr::IOCTL => {
                a[0] = self.fd();
                let any = self.rng.int();
                a[1] = self.rng.pick(&[
                    u64::from(TCGETMODE),
                    u64::from(TCSETMODE),
                    u64::from(TIOCGWINSZ),
                    u64::from(TIOCSPGRP),
                    u64::from(TIOCGPGRP),
                    u64::from(BLKGETSIZE64),
                    any,
                ]);
                a[2] = self.out_fixed();
            }
            nr::DEV_REQUEST => {
                a[0] = self.fd();
                a[1] = if self.rng.one_in(4) {
                    self.rng.flags()
                } else {
                    u64::from(DEV_NONBLOCK)
                };
            }
            nr::MOUNT => {
                (a[0], a[1]) = self.path(0);
                // Never devfs (it would put the disks inside the sandbox) and never a
                // real disk as the source.
                (a[2], a[3]) = self.word(
                    0,
                    &[b"tmpfs", b"tmpfs", b"ext2", b"", b"procfs", b"tmpfs\0"],
                );
                (a[4], a[5]) = self.word(64, &[b"", b"none", b"/dev/nosuch", b"/dev/", b"/fuzz/a"]);
            }
            nr::CLOCK_GETTIME => {
                a[0] = self.rng.pick(&[0, 1, 2, u64::MAX]);
                a[1] = self.out_fixed();
            }
            nr::UNAME | nr::SYSINFO | nr::TIMES => a[0] = self.out_fixed(),
            // Limits are only read (a new limit only from a pointer the kernel must
            // refuse): a fuzzed RLIMIT_CORE or RLIMIT_CPU would change what the
            // fuzzer's own processes leave behind, not what the kernel survives.
            nr::PRLIMIT => {
                a[0] = self.rng.pick(&[0, 1, NO_SUCH_PID, u64::MAX]);
                a[1] = self.rng.pick(&[0, 3, 4, 7, 9, 15, 16, u64::MAX]);
                a[2] = self.bad_ptr();
                a[3] = self.out_fixed();
            }
            nr::GETRUSAGE => {
                a[0] = self.rng.pick(&[0, u64::MAX, 1, 2]);
                a[1] = self.out_fixed();
            }
            nr::GET_CORE_PATTERN => (a[0], a[1]) = self.out_len(),
            nr::PROCLIST => {
                let (p, room) = self.out();
                a[0] = p;
                a[1] = self.len(room / 72);
            }
            nr::PORT_CREATE => {
                out_ptr = self.out_fixed();
                a[1] = self.rng.pick(&[0, 1, 2, 16, 256, 257, u64::MAX]);
                let any = self.rng.flags();
                a[2] = self
                    .rng
                    .pick(&[0, 0, u64::from(O_NONBLOCK), u64::from(O_CLOEXEC), any]);
            }
            nr::PORT_REGISTER => {
                a[0] = self.fd();
                (a[1], a[2]) = self.port_name();
            }
            nr::PORT_LOOKUP => {
                (a[0], a[1]) = self.port_name();
                a[2] = self.rng.pick(&[0, 0, u64::from(O_NONBLOCK), 1 << 40]);
            }
            nr::PORT_SEND | nr::PORT_RECEIVE => {
                a[0] = self.fd();
                a[1] = self.port_msg(number as usize == nr::PORT_RECEIVE);
                a[2] = self.timeout();
            }
            nr::PORT_CALL => {
                a[0] = self.fd();
                a[1] = self.port_msg(false);
                a[2] = self.port_msg(true);
                a[3] = self.timeout();
            }
            nr::PORT_REPLY => {
                a[0] = self.fd();
                let any = self.rng.int();
                a[1] = self.rng.pick(&[self.token, self.token, 0, 1, any]);
                a[2] = self.port_msg(false);
            }
            nr::PORT_REPLY_RECEIVE => {
                a[0] = self.fd();
                let any = self.rng.int();
                a[1] = self.rng.pick(&[self.token, self.token, 0, any]);
                a[2] = self.port_msg(false);
                a[3] = self.port_msg(true);
                a[4] = self.timeout();
            }
            nr::PORT_CALL_SHORT | nr::PORT_REPLY_RECEIVE_SHORT => {
                // The first word: a descriptor and a length (0-32 valid, then hostile).
                let len = self.rng.pick(&[0, 1, 8, 32, 32, 33, 255, 0xffff_ffff]);
                a[0] = (self.fd() & 0xffff_ffff) | (len << 32);
                if self.rng.one_in(10) {
                    a[0] = self.rng.int(); // descriptor and length both garbage
                }
                let words = [self.rng.int(), self.rng.int(), self.rng.int(), 0];
                if number as usize == nr::PORT_CALL_SHORT {
                    a[1..5].copy_from_slice(&words);
                    a[5] = self.timeout();
                } else {
                    // Bits 40-63: the wait in ms (0 forever: rarely; 0xff_ffff none).
                    let ms = self.rng.pick(&[1, 20, 0xff_ffff, 0xff_ffff, 0]);
                    a[0] = (a[0] & 0xff_ffff_ffff) | (ms << 40);
                    let any = self.rng.int();
                    a[1] = self.rng.pick(&[self.token, self.token, 0, 1, any]);
                    a[2..6].copy_from_slice(&words);
                }
            }
            nr::POLL => {
                let n = self.rng.pick(&[0, 1, 2, 3, 8, 8, 65]);
                a[0] = if self.rng.one_in(8) {
                    self.bad_ptr()
                } else {
                    self.poll_fds(n)
                };
                a[1] = n as u64;
                a[2] = self.timeout();
            }
            nr::POWEROFF | nr::REBOOT if self.root => return After::Continue,
            // The later rows (rows.rs) fill in their arguments; a row may decline.
            n if ROWS.iter().any(|r| r.0 == n) && self.more_args(n, &mut a).is_none() => {
                return After::Continue;
            }
            _ => {} // null, getpid, sigreturn, yield, getuid, unassigned: random words
        }
        if number == nr::PIPE as u64 || number == nr::PORT_CREATE as u64 {
            a[0] = out_ptr;
        }
        if number == nr::KILL as u64 {
            if !self.may_signal(a[0]) {
                return After::Continue; // a generator slip: never signal a stranger
            }
            // Killing or stopping itself or its own group ends the chunk: rarely.
            let own =
                a[0] == 0 || a[0] == u64::from(self.me) || a[0] == (-i64::from(self.group)) as u64;
            if own && (a[1] == 9 || a[1] == 19) && !self.rng.one_in(4) {
                a[1] = 0;
            }
        }
        if self.verbose {
            crate::say_call(self.me, number, &a);
        }
        let r = raw(number, a);
        self.account(number, &a, r)
    }

    /// Remember what call `number` with arguments `a` produced.
    fn account(&mut self, number: u64, a: &[u64; 6], r: u64) -> After {
        if is_err(r) {
            return After::Continue;
        }
        let seed = self.rng.next();
        match number as usize {
            nr::FORK if r == 0 => return After::ForkedChild,
            nr::FORK => self.children.push(r as u32, seed),
            nr::SPAWN => self.children.push(r as u32, seed),
            nr::WAITPID if r != 0 => self.children.remove(r as u32),
            nr::OPEN
            | nr::DUP
            | nr::DUP2
            | nr::PORT_LOOKUP
            | nr::SOCKET
            | nr::ACCEPT
            | nr::SHM_OPEN
            | nr::PROF_OPEN => self.fds.push(r as i32, seed),
            nr::THREAD_SPAWN => self.last_tid = r,
            nr::CLOSE => self.fds.remove(a[0] as i32),
            nr::PORT_RECEIVE | nr::PORT_REPLY_RECEIVE
                if a[1] == self.stack_buf[RECV_AT..].as_ptr() as u64
                    || a[3] == self.stack_buf[RECV_AT..].as_ptr() as u64 =>
            {
                self.token = PortMsg::from_bytes(&self.stack_buf[RECV_AT..]).token;
            }
            nr::PORT_REPLY_RECEIVE_SHORT => self.token = r,
            nr::PIPE | nr::PORT_CREATE => {
                if let Some(b) = self.own_bytes(a[0]) {
                    let rd = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    let wr = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
                    self.fds.push(rd, seed);
                    self.fds.push(wr, seed >> 8);
                }
            }
            nr::MMAP => {
                let len = (a[1] as usize).div_ceil(PAGE) * PAGE;
                self.maps.push((r as usize, len), seed);
            }
            _ => {}
        }
        After::Continue
    }
}
