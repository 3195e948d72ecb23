//! What one fuzzing process knows and the hostile arguments it draws from it.
//!
//! A [`World`] is a worker's state: its generator, the memory its pointers aim at, the
//! descriptors, children and mappings its calls have produced, and the processes it
//! may signal. The argument generators mix valid values (an open descriptor, a buffer
//! it owns, a path in the sandbox, its own child) with hostile ones (closed and absurd
//! descriptors, null, unmapped, kernel-half and non-canonical pointers, buffers whose
//! second page is unmapped, huge lengths, boundary integers, random flag bits).
//!
//! The design decision is what is *never* generated, because the fuzzer must not
//! destroy the system it runs on: a path outside the sandbox (every path is built here
//! from a small alphabet that has no `..`, after a sandbox prefix or relative to a
//! working directory inside the sandbox; a path or link target is never read from
//! memory the fuzzer did not fill itself), a signal to a process outside the fuzzer's
//! own family (never -1, 1, the parent sysfuzz or an arbitrary pid: only itself, its
//! group, its children, its sibling workers or pids that cannot exist), and a kernel
//! output aimed at memory the program still uses (outputs into its own stack and heap
//! buffers are clamped to their sizes; unbounded lengths only go with the scratch
//! mapping, which ends in an unmapped page).
//!
//! Memory layout of the scratch mapping (six pages): 0-1 outputs; 2 a hole; 3 an input
//! page that stays all zeros, so a pointer ending in hole 4 straddles into unmapped
//! memory with harmless content; 5 a guard that keeps later mappings off the hole.

use crate::rng::Rng;

pub const PAGE: usize = 4096;
/// Bytes of each of the worker's own buffers (stack and heap).
pub const OWN_BUF: usize = 512;
const KERNEL_HALF: u64 = 0xffff_8000_0000_0000;
const NONCANONICAL: u64 = 0x0000_8000_0000_0000;
const USER_TOP: u64 = 0x0000_7fff_ffff_f000;
/// Pids from here up are never handed out during a run (pids count up from 1).
pub const NO_SUCH_PID: u64 = 0x7fff_0000;
/// The protected descriptor of verbose mode (the console); never given to a call.
pub const VERBOSE_FD: i32 = 60;

/// A small fixed-capacity list (workers must not allocate: `brk` may take the heap).
pub struct List<T: Copy + Default, const N: usize> {
    items: [T; N],
    len: usize,
}

impl<T: Copy + Default + PartialEq, const N: usize> List<T, N> {
    pub fn new() -> Self {
        List {
            items: [T::default(); N],
            len: 0,
        }
    }
    pub fn as_slice(&self) -> &[T] {
        &self.items[..self.len]
    }
    pub fn is_full(&self) -> bool {
        self.len == N
    }
    /// Add `v`; when full, replace a slot chosen by `r`.
    pub fn push(&mut self, v: T, r: u64) {
        if self.len < N {
            self.items[self.len] = v;
            self.len += 1;
        } else {
            self.items[(r % N as u64) as usize] = v;
        }
    }
    pub fn remove(&mut self, v: T) {
        if let Some(i) = self.as_slice().iter().position(|&x| x == v) {
            self.items[i] = self.items[self.len - 1];
            self.len -= 1;
        }
    }
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

/// The path alphabet: short names that collide often, one that is exactly the longest
/// allowed (255 bytes), one too long, `.`, an embedded NUL, invalid UTF-8, an empty
/// component (a doubled slash) and a multi-byte character. Never `..`.
const LONG255: [u8; 255] = [b'L'; 255];
const LONG300: [u8; 300] = [b'M'; 300];
const COMPONENTS: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b"d",
    b"m",
    b"f0",
    b"f1",
    b"a",
    b"b",
    b"m",
    b".",
    &LONG255,
    &LONG300,
    b"x\0y",
    b"\xff\xfe",
    b"",
    "\u{e9}t\u{e9}".as_bytes(),
];

/// Where the sandboxes are: one on the ext2 root, one on tmpfs.
pub const SANDBOXES: [&str; 2] = ["/fuzz", "/tmp/fuzz"];
const PREFIXES: &[&[u8]] = &[
    b"/fuzz/",
    b"/tmp/fuzz/",
    b"",
    b"./",
    b"/fuzz//",
    b"/tmp/fuzz/./",
];

pub struct World<'a> {
    pub rng: Rng,
    pub scratch: usize,
    /// The worker's own stack and heap buffers (only the kernel writes them).
    pub stack_buf: &'a mut [u8; OWN_BUF],
    pub heap_buf: &'a mut [u8; OWN_BUF],
    /// Input area on the stack: paths and structures are built here, never overwritten
    /// by the kernel (it is not handed out as an output).
    pub input: &'a mut [u8; 4096],
    pub text: usize,
    pub fds: List<i32, 16>,
    pub children: List<u32, 8>,
    pub siblings: List<u32, 16>,
    pub maps: List<(usize, usize), 8>,
    pub me: u32,
    pub group: u32,
    pub parent: u32,
    pub depth: u32,
    /// Calls left for this process.
    pub budget: u64,
    pub root: bool,
    pub verbose: bool,
    /// Call numbers never to make (bit n % 128 of word n / 128 = call n; `-x`).
    pub exclude: [u128; 2],
    /// `--ports`: draw mostly the port calls.
    pub ports: bool,
    /// The token of the last call message received (for a `port_reply`).
    pub token: u64,
    pub restorer: u64,
    pub handler: u64,
    /// May this process change its credentials (set for half the workers and for
    /// every fuzzed fork's child)?
    pub creds: bool,
    /// The last thread a fuzzed `thread_spawn` started (0: none).
    pub last_tid: u64,
}

impl World<'_> {
    /// A descriptor: usually one this process opened, sometimes a standard one or
    /// one that cannot be valid.
    pub fn fd(&mut self) -> u64 {
        let r = self.rng.below(10);
        let fd: i64 = if r < 6 && !self.fds.as_slice().is_empty() {
            i64::from(self.rng.pick(self.fds.as_slice()))
        } else if r < 8 {
            self.rng.below(24) as i64 // including ones a call returned unseen
        } else {
            self.rng.pick(&[
                -1,
                63,
                64,
                1000,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
                1 << 33,
            ])
        };
        self.safe_fd(fd as u64)
    }

    /// Keep the verbose console descriptor out of every call.
    pub fn safe_fd(&self, fd: u64) -> u64 {
        if self.verbose && fd as i32 == VERBOSE_FD {
            VERBOSE_FD as u64 + 1
        } else {
            fd
        }
    }

    /// A pointer the kernel will write `size` bytes to (or a hostile one): returns the
    /// pointer and the largest length that keeps the write inside what it points at
    /// (`usize::MAX` for pointers the kernel must refuse or that end in a hole).
    pub fn out(&mut self) -> (u64, u64) {
        let s = self.scratch as u64;
        let p = PAGE as u64;
        match self.rng.below(16) {
            0..=3 => (s + self.rng.below(p), u64::MAX),
            4 => (s + 2 * p - 1 - self.rng.below(64), u64::MAX), // straddles into hole 2
            5 | 6 => (self.stack_buf.as_ptr() as u64, OWN_BUF as u64),
            7 | 8 => (self.heap_buf.as_ptr() as u64, OWN_BUF as u64),
            9 => (self.text as u64, u64::MAX), // read-only: EFAULT
            _ => (self.bad_ptr(), u64::MAX),
        }
    }

    /// A pointer the kernel can only refuse.
    pub fn bad_ptr(&mut self) -> u64 {
        let s = self.scratch as u64;
        let p = PAGE as u64;
        match self.rng.below(9) {
            0 => 0,
            1 => self.rng.below(0x10000),
            2 => KERNEL_HALF + self.rng.below(1 << 30) * 8,
            3 => NONCANONICAL + self.rng.below(1 << 20),
            4 => 0xffff_ffff_ffff_f000 + self.rng.below(p),
            5 => s + 2 * p + self.rng.below(p), // hole 2
            6 => USER_TOP + self.rng.below(p),
            7 => self.rng.next() | KERNEL_HALF,
            _ => 0x7fff_ffff_ffff_ffff - self.rng.below(64),
        }
    }

    /// A pointer the kernel reads from (contents do not matter: data for `write`).
    pub fn data(&mut self) -> (u64, u64) {
        match self.rng.below(8) {
            0 => (self.input.as_ptr() as u64, self.input.len() as u64),
            1 => (self.text as u64, 4096),
            2 => (self.zero_straddle(), u64::MAX),
            _ => self.out(),
        }
    }

    /// A pointer into the all-zero page 3 whose range runs into hole 4.
    pub fn zero_straddle(&mut self) -> u64 {
        (self.scratch + 4 * PAGE) as u64 - 1 - self.rng.below(300)
    }

    /// A length for a buffer that may hold at most `room` bytes.
    pub fn len(&mut self, room: u64) -> u64 {
        let l = match self.rng.below(8) {
            0 => 0,
            1 => 1,
            2 => self.rng.below(64),
            3 => self.rng.pick(&[4095, 4096, 4097, 8192, 65536]),
            4 => self
                .rng
                .pick(&[u64::MAX, 1 << 40, 1 << 63, 0x7fff_ffff, 0xffff_ffff]),
            _ => self.rng.below(600),
        };
        l.min(room)
    }

    /// A path in the sandbox, written into input slot `slot` (0 or 1), or a pointer
    /// the kernel must refuse. Returns (pointer, length).
    pub fn path(&mut self, slot: usize) -> (u64, u64) {
        match self.rng.below(20) {
            0 => return (self.bad_ptr(), self.rng.below(16)),
            1 => return (self.zero_straddle(), 64 + self.rng.below(64)),
            2 => {
                // Longer than the kernel's 4096-byte string limit (ENAMETOOLONG): a
                // length it would honour could run past the input area.
                let (p, _) = self.path(slot);
                return (p, self.rng.pick(&[u64::MAX, 1 << 32, 4097, 100_000]));
            }
            _ => {}
        }
        let base = slot * 1536;
        let mut n = 0usize;
        let area = &mut self.input[base..base + 1536];
        let prefix = self.rng.pick(PREFIXES);
        let mut put = |bytes: &[u8], n: &mut usize| {
            let k = bytes.len().min(1400 - *n);
            area[*n..*n + k].copy_from_slice(&bytes[..k]);
            *n += k;
        };
        put(prefix, &mut n);
        let count = 1 + self.rng.below(3);
        for i in 0..count {
            if i > 0 {
                put(b"/", &mut n);
            }
            let mut c = self.rng.pick(COMPONENTS);
            // A relative path whose first component is empty would begin with the
            // separator: `"" + "/" + "m"` is `/m`, outside the sandbox.
            while n == 0 && c.is_empty() {
                c = self.rng.pick(COMPONENTS);
            }
            put(c, &mut n);
        }
        if self.rng.one_in(8) {
            put(b"/", &mut n);
        }
        // What follows the path is padding, so a length a little too long still
        // names something inside the sandbox.
        let end = n;
        area[end..end + 128].fill(b'q');
        let len = if self.rng.one_in(16) {
            end as u64 + self.rng.below(128)
        } else {
            end as u64
        };
        ((self.input.as_ptr() as usize + base) as u64, len)
    }

    /// A pid to signal, wait for or regroup: only this process's own family, or pids
    /// that cannot exist. Never -1, 1, the parent sysfuzz or any other process.
    pub fn pid(&mut self) -> u64 {
        let r = self.rng.below(12);
        let v: i64 = match r {
            0 | 1 if !self.children.as_slice().is_empty() => {
                i64::from(self.rng.pick(self.children.as_slice()))
            }
            2 | 3 if !self.siblings.as_slice().is_empty() => {
                i64::from(self.rng.pick(self.siblings.as_slice()))
            }
            4 => 0,
            5 => i64::from(self.me),
            6 => -i64::from(self.group),
            7 if !self.siblings.as_slice().is_empty() => {
                -i64::from(self.rng.pick(self.siblings.as_slice()))
            }
            8 => (NO_SUCH_PID + self.rng.below(1 << 20)) as i64,
            9 => -((NO_SUCH_PID + self.rng.below(1 << 20)) as i64),
            10 => i64::from(i32::MIN),
            _ => i64::from(self.me),
        };
        v as u64
    }

    /// Whether `pid` is one [`World::pid`] may produce (the final word before a
    /// signal goes out: a guard against a slip in the generators).
    pub fn may_signal(&self, pid: u64) -> bool {
        let p = pid as i64;
        let fam = |x: i64| {
            x == i64::from(self.me)
                || self.children.as_slice().iter().any(|&c| i64::from(c) == x)
                || self.siblings.as_slice().iter().any(|&c| i64::from(c) == x)
        };
        p == 0
            || fam(p)
            || p == -i64::from(self.group)
            || (p < -1 && fam(-p))
            || p.unsigned_abs() >= NO_SUCH_PID
    }

    /// A signal number: mostly real ones, sometimes 0 (check only) or out of range.
    pub fn sig(&mut self) -> u64 {
        match self.rng.below(10) {
            0 => 0,
            1 => self.rng.pick(&[32, 33, 64, 255, u64::MAX, 1 << 32]),
            2 => self.rng.pick(&[9, 19, 18]), // SIGKILL, SIGSTOP, SIGCONT
            _ => 1 + self.rng.below(31),
        }
    }
}
