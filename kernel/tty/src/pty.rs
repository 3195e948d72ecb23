//! Pseudo-terminals: a terminal whose keyboard and screen are another program
//! (chapter 2, section 2-2: the terminal emulator of a graphical desktop gives the
//! shell, the editor and `top` a terminal through one of these).
//!
//! Each open of `/dev/ptmx` makes a new pair and returns its *master*; the *slave* is
//! the device `/dev/pts/N` (major 136, minor N, `TIOCGPTN` tells N), locked until the
//! master unlocks it (`TIOCSPTLCK`, glibc's `unlockpt`). What the master writes is
//! typed on the slave: it goes through the same line discipline as the console
//! ([`Ldisc`]: canonical mode, echo, Ctrl-C to the foreground process group, raw
//! mode); what programs write on the slave, and the echo, is what the master reads,
//! `\n` sent as `\r\n` while `TTY_OPOST` is on (termios' `ONLCR`).
//!
//! A session leader makes the slave its *controlling terminal* with `TIOCSCTTY`
//! (opening never does: dinos always behaves as if `O_NOCTTY` were given). Then, as
//! on the console: the session's foreground group is the terminal's (`TIOCSPGRP`, and
//! `spawn`'s foreground flag for the session's programs), a read from a process of
//! another group of the session is stopped by SIGTTIN, and `/dev/tty` opened in the
//! session is this slave. When the master's last descriptor closes, the terminal is
//! *hung up*: the controlling session's leader and its foreground group get SIGHUP
//! (and SIGCONT, so a stopped job sees it), a slave read that was waiting fails with
//! EIO, later reads return end-of-file and writes EIO (all as Linux), and
//! `/dev/pts/N` goes. When every slave descriptor is closed, the master's
//! reads fail with EIO once the output is drained (how a terminal emulator learns
//! that its shell exited), and `poll` says hang-up.

use crate::ldisc::Ldisc;
use abi::signal::{SIGCONT, SIGHUP};
use abi::Errno;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::marker::PhantomData;
use devices::CharDevice;
use files::{Ioctl, IoctlReply, Readiness, Signals};
use hal::sync::SpinLock;
use task::WaitQueue;

/// `/dev/ptmx` (5:2, as Linux numbers it).
pub const DEV_PTMX: u32 = 0x0502;
/// The slaves' major number (Linux's).
pub const PTS_MAJOR: u32 = 136;
/// How many pseudo-terminals may exist at once.
pub const MAX_PTYS: u32 = 32;
/// The most output bytes the master has not read yet before a slave writer waits.
const MAX_OUTPUT: usize = 16 * 1024;

struct State {
    ld: Ldisc,
    /// Output for the master: programs' writes and the echo.
    out: VecDeque<u8>,
    locked: bool,
    master_open: bool,
    /// Slave descriptors open (open files, counted at each open's last close).
    slaves: u32,
    /// Was the slave ever opened? (Before that a master's read waits; after the last
    /// slave closes it is EIO.)
    slave_opened: bool,
    /// The session whose controlling terminal this is (0: none).
    sid: u32,
    /// Who opened `/dev/ptmx`: only they (and root) may open the slave.
    owner: u32,
}

impl State {
    fn slave_gone(&self) -> bool {
        self.slave_opened && self.slaves == 0
    }
}

/// One pseudo-terminal, shared by its master, its slave node and the slave's opens.
pub struct Pty<S> {
    number: u32,
    st: SpinLock<State>,
    /// Slave readers and writers, and pollers of the slave.
    slave_q: WaitQueue,
    /// Master readers and writers, and pollers of the master.
    master_q: WaitQueue,
    signals: PhantomData<fn() -> S>,
}

/// Pseudo-terminal numbers in use (bit N: `/dev/pts/N`).
static NUMBERS: SpinLock<u64> = SpinLock::new(0);

/// What the console's `/dev/tty` and the process layer need of a controlling
/// pseudo-terminal, whatever its signals type.
trait Controlling: Send + Sync {
    fn foreground(&self) -> u32;
    fn set_foreground(&self, pgrp: u32);
    fn open_slave(self: Arc<Self>, cred: &cred::Credentials) -> Result<Arc<dyn CharDevice>, Errno>;
}

/// Sessions whose controlling terminal is a pseudo-terminal. A session that is not
/// here has the console (every session had it before pseudo-terminals).
static CONTROLLING: SpinLock<BTreeMap<u32, Weak<dyn Controlling>>> = SpinLock::new(BTreeMap::new());

fn controlling(sid: u32) -> Option<Arc<dyn Controlling>> {
    CONTROLLING.lock().get(&sid).and_then(Weak::upgrade)
}

/// The foreground process group of session `sid`'s controlling terminal.
pub fn foreground_of(sid: u32) -> u32 {
    match controlling(sid) {
        Some(t) => t.foreground(),
        None => crate::foreground(),
    }
}

/// Make `pgrp` the foreground group of session `sid`'s controlling terminal.
pub fn set_foreground_of(sid: u32, pgrp: u32) {
    match controlling(sid) {
        Some(t) => t.set_foreground(pgrp),
        None => crate::set_foreground(pgrp),
    }
}

/// `/dev/tty` opened by a process of session `sid`: its pseudo-terminal's slave, or
/// `None` for the console.
pub(crate) fn open_controlling(
    sid: u32,
    cred: &cred::Credentials,
) -> Option<Result<Arc<dyn CharDevice>, Errno>> {
    controlling(sid).map(|t| t.open_slave(cred))
}

/// Register `/dev/ptmx`.
pub fn register<S: Signals>() -> Result<(), Errno> {
    let ptmx: Arc<dyn CharDevice> = Arc::new(Ptmx::<S>(PhantomData));
    devices::register_chrdev(DEV_PTMX >> 8, DEV_PTMX & 0xff, "ptmx", 0o666, ptmx)
}

/// `/dev/ptmx`: every open is a new pseudo-terminal's master.
struct Ptmx<S>(PhantomData<fn() -> S>);

impl<S: Signals> CharDevice for Ptmx<S> {
    fn read(&self, _: u64, _: &mut [u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EIO)
    }

    fn write(&self, _: u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EIO)
    }

    fn open_instance(
        &self,
        _: u32,
        cred: &cred::Credentials,
    ) -> Option<Result<Arc<dyn CharDevice>, Errno>> {
        Some(Pty::<S>::new(cred.euid).map(|p| Arc::new(Master(p)) as Arc<dyn CharDevice>))
    }
}

impl<S: Signals> Pty<S> {
    /// A new pair owned by `owner`, its slave node `/dev/pts/N` made (locked).
    fn new(owner: u32) -> Result<Arc<Pty<S>>, Errno> {
        let number = {
            let mut used = NUMBERS.lock();
            let n = (!*used).trailing_zeros();
            if n >= MAX_PTYS {
                return Err(Errno::ENOSPC);
            }
            *used |= 1 << n;
            n
        };
        let ld = Ldisc::new(false);
        let pty = Arc::new(Pty {
            number,
            st: SpinLock::new(State {
                ld,
                out: VecDeque::new(),
                locked: true,
                master_open: true,
                slaves: 0,
                slave_opened: false,
                sid: 0,
                owner,
            }),
            slave_q: WaitQueue::new(),
            master_q: WaitQueue::new(),
            signals: PhantomData,
        });
        let node: Arc<dyn CharDevice> = Arc::new(SlaveNode(pty.clone()));
        let name = format!("pts/{number}");
        if let Err(e) = devices::register_chrdev(PTS_MAJOR, number, &name, 0o620, node) {
            *NUMBERS.lock() &= !(1 << number);
            return Err(e);
        }
        Ok(pty)
    }

    fn wake_both(&self) {
        self.slave_q.wake_all();
        self.master_q.wake_all();
    }

    /// The requests both ends answer: mode, size, foreground group.
    fn common_ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        let mut st = self.st.lock();
        Ok(match req {
            Ioctl::GetTermMode => IoctlReply::U32(st.ld.mode),
            Ioctl::SetTermMode(m) => {
                st.ld.set_mode(m);
                drop(st);
                self.wake_both();
                IoctlReply::None
            }
            Ioctl::GetWinSize => IoctlReply::WinSize(st.ld.winsize),
            Ioctl::SetWinSize(w) => {
                st.ld.winsize = w;
                IoctlReply::None
            }
            Ioctl::GetForeground => IoctlReply::U32(st.ld.fg_pgrp),
            Ioctl::SetForeground(pg) => {
                st.ld.fg_pgrp = pg;
                IoctlReply::None
            }
            _ => return Err(Errno::ENOTTY),
        })
    }

    /// Type `data` on the slave (a master's write): as many bytes as the line
    /// discipline has room for, waiting for room unless `nonblock`.
    fn type_in(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let mut n = 0;
        let mut echo = Vec::new();
        while n < data.len() {
            let mut st = self.st.lock();
            if st.slave_gone() {
                return if n > 0 { Ok(n) } else { Err(Errno::EIO) };
            }
            if !st.ld.has_room() {
                drop(st);
                if n > 0 {
                    break;
                }
                if nonblock {
                    return Err(Errno::EAGAIN);
                }
                files::signals::interruptible_wait::<S>(&self.master_q, || {
                    let st = self.st.lock();
                    st.ld.has_room() || st.slave_gone()
                })?;
                continue;
            }
            echo.clear();
            let taken = st.ld.take_byte(data[n], &mut echo);
            let echoed = !echo.is_empty();
            if echoed {
                let State { ld, out, .. } = &mut *st;
                ld.output(&echo, out);
            }
            drop(st);
            n += 1;
            if let Some((pgrp, sig)) = taken.signal {
                S::signal_group(pgrp, sig);
            }
            if taken.wake {
                self.slave_q.wake_all();
            }
            if echoed {
                self.master_q.wake_all();
            }
        }
        Ok(n)
    }

    /// Read what the programs wrote (a master's read).
    fn take_output(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            {
                let mut st = self.st.lock();
                if !st.out.is_empty() {
                    let n = buf.len().min(st.out.len());
                    for (b, c) in buf.iter_mut().zip(st.out.drain(..n)) {
                        *b = c;
                    }
                    drop(st);
                    self.slave_q.wake_all();
                    return Ok(n);
                }
                if st.slave_gone() {
                    return Err(Errno::EIO);
                }
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            files::signals::interruptible_wait::<S>(&self.master_q, || {
                let st = self.st.lock();
                !st.out.is_empty() || st.slave_gone()
            })?;
        }
    }

    /// The master's last close: hang the terminal up.
    fn hang_up(&self) {
        let (sid, fg) = {
            let mut st = self.st.lock();
            st.master_open = false;
            let sid = core::mem::take(&mut st.sid);
            (sid, st.ld.fg_pgrp)
        };
        if sid != 0 {
            let mut c = CONTROLLING.lock();
            let here = c.get(&sid).and_then(Weak::upgrade);
            if here.is_none_or(|t| self.is_this(&t)) {
                c.remove(&sid);
            }
        }
        let _ = devices::unregister_chrdev(PTS_MAJOR, self.number);
        *NUMBERS.lock() &= !(1 << self.number);
        if sid != 0 {
            if fg != 0 {
                S::signal_group(fg, SIGHUP);
                S::signal_group(fg, SIGCONT);
            }
            if fg != sid {
                S::signal_group(sid, SIGHUP);
                S::signal_group(sid, SIGCONT);
            }
        }
        self.wake_both();
    }

    fn is_this(&self, t: &Arc<dyn Controlling>) -> bool {
        core::ptr::addr_eq(Arc::as_ptr(t), self as *const Self)
    }
}

impl<S: Signals> Controlling for Pty<S> {
    fn foreground(&self) -> u32 {
        self.st.lock().ld.fg_pgrp
    }

    fn set_foreground(&self, pgrp: u32) {
        self.st.lock().ld.fg_pgrp = pgrp;
    }

    fn open_slave(self: Arc<Self>, cred: &cred::Credentials) -> Result<Arc<dyn CharDevice>, Errno> {
        {
            let mut st = self.st.lock();
            if st.locked || !st.master_open {
                return Err(Errno::EIO);
            }
            if cred.euid != st.owner && cred.euid != 0 {
                return Err(Errno::EACCES);
            }
            st.slaves += 1;
            st.slave_opened = true;
        }
        Ok(Arc::new(Slave(self)))
    }
}

/// The master end, one per `/dev/ptmx` open.
struct Master<S>(Arc<Pty<S>>);

impl<S: Signals> CharDevice for Master<S> {
    fn read(&self, _: u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.0.take_output(buf, nonblock)
    }

    fn write(&self, _: u64, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.0.type_in(data, nonblock)
    }

    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        match req {
            Ioctl::GetPtyNumber => Ok(IoctlReply::U32(self.0.number)),
            Ioctl::SetPtyLock(on) => {
                self.0.st.lock().locked = on;
                Ok(IoctlReply::None)
            }
            Ioctl::BytesReady => Ok(IoctlReply::U32(self.0.st.lock().out.len() as u32)),
            r => self.0.common_ioctl(r),
        }
    }

    fn poll(&self) -> Readiness {
        let st = self.0.st.lock();
        Readiness {
            readable: !st.out.is_empty() || st.slave_gone(),
            writable: st.ld.has_room() || st.slave_gone(),
            hangup: st.slave_gone(),
        }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.master_q)
    }

    fn number(&self, _: u32) -> u32 {
        DEV_PTMX
    }

    fn release(&self) {
        self.0.hang_up();
    }
}

/// `/dev/pts/N` as registered: each open gets its own [`Slave`], counted.
struct SlaveNode<S>(Arc<Pty<S>>);

impl<S: Signals> CharDevice for SlaveNode<S> {
    fn read(&self, _: u64, _: &mut [u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EIO)
    }

    fn write(&self, _: u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EIO)
    }

    fn open_instance(
        &self,
        _: u32,
        cred: &cred::Credentials,
    ) -> Option<Result<Arc<dyn CharDevice>, Errno>> {
        Some(self.0.clone().open_slave(cred))
    }
}

/// One open of the slave: the terminal programs run on.
struct Slave<S>(Arc<Pty<S>>);

impl<S: Signals> Slave<S> {
    /// TIOCSCTTY: the caller must lead its session, and the terminal control no
    /// other session.
    fn make_controlling(&self) -> Result<IoctlReply, Errno> {
        let (pid, pgid, sid) = S::caller_ids();
        if pid == 0 || pid != sid {
            return Err(Errno::EPERM);
        }
        {
            let mut st = self.0.st.lock();
            if st.sid != 0 && st.sid != sid {
                return Err(Errno::EPERM);
            }
            st.sid = sid;
            st.ld.fg_pgrp = pgid;
        }
        let me: Arc<dyn Controlling> = self.0.clone();
        CONTROLLING.lock().insert(sid, Arc::downgrade(&me));
        Ok(IoctlReply::None)
    }
}

impl<S: Signals> CharDevice for Slave<S> {
    fn read(&self, _: u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        let (ctl_sid, fg) = {
            let st = self.0.st.lock();
            (st.sid, st.ld.fg_pgrp)
        };
        // Job control for the session this terminal controls.
        if ctl_sid != 0 && fg != 0 && S::caller_ids().2 == ctl_sid {
            S::may_read_terminal(fg)?;
        }
        if buf.is_empty() {
            return Ok(0);
        }
        // As Linux: a read that finds the terminal hung up is end-of-file; one that
        // was waiting when the master closed fails with EIO.
        let mut waited = false;
        loop {
            {
                let mut st = self.0.st.lock();
                if let Some(n) = st.ld.read(buf) {
                    drop(st);
                    self.0.master_q.wake_all();
                    return Ok(n);
                }
                if !st.master_open {
                    return if waited { Err(Errno::EIO) } else { Ok(0) };
                }
            }
            waited = true;
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            files::signals::interruptible_wait::<S>(&self.0.slave_q, || {
                let st = self.0.st.lock();
                st.ld.has_input() || !st.master_open
            })?;
        }
    }

    fn write(&self, _: u64, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let mut n = 0;
        while n < data.len() {
            let mut st = self.0.st.lock();
            if !st.master_open {
                return if n > 0 { Ok(n) } else { Err(Errno::EIO) };
            }
            let room = MAX_OUTPUT.saturating_sub(st.out.len());
            if room == 0 {
                drop(st);
                if n > 0 {
                    break;
                }
                if nonblock {
                    return Err(Errno::EAGAIN);
                }
                files::signals::interruptible_wait::<S>(&self.0.slave_q, || {
                    let st = self.0.st.lock();
                    st.out.len() < MAX_OUTPUT || !st.master_open
                })?;
                continue;
            }
            let chunk = &data[n..data.len().min(n + room)];
            let State { ld, out, .. } = &mut *st;
            ld.output(chunk, out);
            drop(st);
            n += chunk.len();
            self.0.master_q.wake_all();
        }
        Ok(n)
    }

    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        match req {
            Ioctl::SetControlling => self.make_controlling(),
            Ioctl::BytesReady => Ok(IoctlReply::U32(self.0.st.lock().ld.bytes_ready() as u32)),
            r => self.0.common_ioctl(r),
        }
    }

    fn poll(&self) -> Readiness {
        let st = self.0.st.lock();
        Readiness {
            readable: st.ld.has_input() || !st.master_open,
            writable: st.out.len() < MAX_OUTPUT || !st.master_open,
            hangup: !st.master_open,
        }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.slave_q)
    }

    fn number(&self, _: u32) -> u32 {
        devices::dev_number(PTS_MAJOR, self.0.number)
    }

    fn release(&self) {
        self.0.st.lock().slaves -= 1;
        self.0.master_q.wake_all();
    }
}
