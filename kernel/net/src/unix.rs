//! AF_UNIX stream sockets: message passing between processes on the same computer
//! through the socket interface (chapter 2, 3-2 "communication"; the connection
//! model as for TCP, with descriptors and credentials carried with the bytes, as
//! the kernel's message ports do).
//!
//! No protocol runs here: a connection is two byte queues ([`Pipe`]), one per
//! direction, shared by the two ends. A listener is found by its *name*: a socket
//! node in the file system (the system-call layer makes the node and gives its
//! device and inode as the [`Key`]) or a name in the abstract namespace (a leading
//! NUL, nothing in the file system). `connect` makes the two queues and a new socket
//! for the server's side and puts it on the listener's queue; `accept` takes it.
//!
//! Ancillary data rides in the stream at the offset of the first byte it was sent
//! with: a read stops before the next offset that carries some, so descriptors
//! (SCM_RIGHTS) and credentials (SCM_CREDENTIALS) arrive with their own bytes. The
//! descriptors are open files in flight (`Arc<OpenFile>`, as in a port message); so
//! that no cycle of sockets in flight can keep itself alive after every descriptor
//! is closed, a socket may be passed only if nothing is in flight in its own queues,
//! and never over its own connection, and a port's receiving end not at all
//! ([`can_pass`]).
//!
//! Closing: the reader of a queue whose writer is gone reads the rest, then end of
//! file; a writer whose reader is gone gets EPIPE (and SIGPIPE); closing with unread
//! bytes resets the peer (its next read is ECONNRESET), as on Linux.

use abi::net::*;
use abi::Errno;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicU64, Ordering};
use files::{FileObject, Ioctl, IoctlReply, OpenFile, Readiness, Signals};
use hal::sync::SpinLock;
pub use ipc::Sender as Cred;
use task::WaitQueue;

/// Bytes a direction of a connection holds before a writer waits.
pub const UNIX_BUF: usize = 64 * 1024;
/// Ancillary messages in flight in one direction before a sender waits.
const MAX_ANC: usize = 64;
/// The most AF_UNIX sockets at once.
pub const MAX_UNIX: usize = 256;

static EVENTS: AtomicU64 = AtomicU64::new(0);
static WAITERS: WaitQueue = WaitQueue::new();
static COUNT: AtomicU64 = AtomicU64::new(0);

/// Something changed: waiters try again.
fn bump() {
    EVENTS.fetch_add(1, Ordering::SeqCst);
    WAITERS.wake_all();
}

/// What a listener is found by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// A socket node in the file system: its device and inode.
    Node(u64, u64),
    /// A name in the abstract namespace (without its leading NUL).
    Abstract(Vec<u8>),
}

/// A socket's name as `getsockname` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name {
    Path(Vec<u8>),
    Abstract(Vec<u8>),
}

static NAMES: SpinLock<BTreeMap<Key, Weak<Core>>> = SpinLock::new(BTreeMap::new());

mod list;
pub use list::{list, UnixInfo};

/// Descriptors and credentials sent with a message.
#[derive(Default)]
pub struct Anc {
    at: u64,
    pub files: Vec<Arc<OpenFile>>,
    pub cred: Option<Cred>,
}

/// One direction of a connection.
#[derive(Default)]
struct Pipe {
    bytes: VecDeque<u8>,
    anc: VecDeque<Anc>,
    /// Stream offset of `bytes[0]`.
    head: u64,
    writer_gone: bool,
    reader_gone: bool,
    /// The writer closed with bytes of ours unread: ECONNRESET once.
    reset: bool,
}

type PipeRef = Arc<SpinLock<Pipe>>;

struct Conn {
    rx: PipeRef,
    tx: PipeRef,
    peer: Cred,
    peer_name: Option<Name>,
}

enum Kind {
    Fresh,
    Listen {
        backlog: usize,
        queue: VecDeque<Arc<Core>>,
    },
    Conn(Conn),
    Closed,
}

struct State {
    kind: Kind,
    name: Option<Name>,
    key: Option<Key>,
    shut_rd: bool,
    shut_wr: bool,
    passcred: bool,
    rcvtimeo_ms: u64,
    sndtimeo_ms: u64,
}

/// A socket, without its signal type (what the name table and queues hold).
pub struct Core {
    /// Its number in the listing (`/proc/net/unix`'s inode column).
    id: u64,
    st: SpinLock<State>,
    /// Who made it: what the peer's SO_PEERCRED says.
    cred: Cred,
}

impl Core {
    fn new(cred: Cred, kind: Kind) -> Result<Arc<Core>, Errno> {
        if COUNT.fetch_add(1, Ordering::SeqCst) as usize >= MAX_UNIX {
            COUNT.fetch_sub(1, Ordering::SeqCst);
            return Err(Errno::ENFILE);
        }
        let core = Arc::new(Core {
            id: list::NEXT_ID.fetch_add(1, Ordering::Relaxed),
            st: SpinLock::new(State {
                kind,
                name: None,
                key: None,
                shut_rd: false,
                shut_wr: false,
                passcred: false,
                rcvtimeo_ms: 0,
                sndtimeo_ms: 0,
            }),
            cred,
        });
        list::ALL.lock().insert(core.id, Arc::downgrade(&core));
        Ok(core)
    }

    /// The socket is closed: the peer sees end of file (or a reset), the name goes.
    fn close(&self) {
        let (kind, key) = {
            let mut st = self.st.lock();
            if matches!(st.kind, Kind::Closed) {
                return;
            }
            (
                core::mem::replace(&mut st.kind, Kind::Closed),
                st.key.take(),
            )
        };
        if let Some(k) = key {
            let mut names = NAMES.lock();
            if names
                .get(&k)
                .is_some_and(|w| core::ptr::eq(w.as_ptr(), self) || w.strong_count() == 0)
            {
                names.remove(&k);
            }
        }
        let mut dropped = Vec::new();
        match kind {
            Kind::Listen { queue, .. } => {
                for c in queue {
                    c.close();
                }
            }
            Kind::Conn(c) => {
                let unread = {
                    let mut rx = c.rx.lock();
                    rx.reader_gone = true;
                    let unread = !rx.bytes.is_empty();
                    rx.bytes.clear();
                    dropped.extend(rx.anc.drain(..));
                    unread
                };
                let mut tx = c.tx.lock();
                tx.writer_gone = true;
                tx.reset |= unread;
            }
            _ => {}
        }
        // The descriptors in flight to us are closed here, with no lock held.
        drop(dropped);
        bump();
    }

    fn conn_pipes(&self) -> Option<(PipeRef, PipeRef)> {
        match &self.st.lock().kind {
            Kind::Conn(c) => Some((c.rx.clone(), c.tx.clone())),
            _ => None,
        }
    }
}

impl Drop for Core {
    /// The last reference went (a socket on a listener's queue, a socket in flight
    /// that was never received): closed if it was not, and no longer counted.
    fn drop(&mut self) {
        self.close();
        list::ALL.lock().remove(&self.id);
        COUNT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Two connected sockets' states (`socketpair`, or `connect` and the accepted side).
fn pair(a: &Cred, b: &Cred) -> (Conn, Conn) {
    let ab: PipeRef = Arc::new(SpinLock::new(Pipe::default()));
    let ba: PipeRef = Arc::new(SpinLock::new(Pipe::default()));
    (
        Conn {
            rx: ba.clone(),
            tx: ab.clone(),
            peer: *b,
            peer_name: None,
        },
        Conn {
            rx: ab,
            tx: ba,
            peer: *a,
            peer_name: None,
        },
    )
}

/// Two connected sockets (`socketpair`).
pub type Pair<S> = (Arc<UnixSocket<S>>, Arc<UnixSocket<S>>);

/// An AF_UNIX socket as an open file; `S` is the process layer's signal check.
pub struct UnixSocket<S: Signals> {
    pub core: Arc<Core>,
    _s: PhantomData<fn() -> S>,
}

/// Run `op` until it answers (`Ok(None)`: it would wait), as `file::blocking` does for
/// the IP sockets: at once if `nonblock`, else sleeping until something changed, a
/// signal (EINTR) or `timeout_ms` (EAGAIN).
fn blocking<S: Signals, T>(
    nonblock: bool,
    timeout_ms: u64,
    mut op: impl FnMut() -> Result<Option<T>, Errno>,
) -> Result<T, Errno> {
    let deadline =
        (timeout_ms != 0).then(|| hal::apic::nanos_since_boot() + timeout_ms * 1_000_000);
    loop {
        let seen = EVENTS.load(Ordering::SeqCst);
        if let Some(v) = op()? {
            return Ok(v);
        }
        crate::file::wait_for_change::<S>(&EVENTS, &WAITERS, seen, nonblock, deadline)?;
    }
}

impl<S: Signals> UnixSocket<S> {
    fn wrap(core: Arc<Core>) -> Arc<UnixSocket<S>> {
        Arc::new(UnixSocket {
            core,
            _s: PhantomData,
        })
    }

    /// `socket(AF_UNIX, SOCK_STREAM, 0)`.
    pub fn new(cred: Cred) -> Result<Arc<UnixSocket<S>>, Errno> {
        Ok(Self::wrap(Core::new(cred, Kind::Fresh)?))
    }

    /// `socketpair(AF_UNIX, SOCK_STREAM, 0)`: two sockets connected to each other.
    pub fn pair(cred: Cred) -> Result<Pair<S>, Errno> {
        let a = Core::new(cred, Kind::Fresh)?;
        let b = Core::new(cred, Kind::Fresh).inspect_err(|_| a.close())?;
        let (ca, cb) = pair(&cred, &cred);
        a.st.lock().kind = Kind::Conn(ca);
        b.st.lock().kind = Kind::Conn(cb);
        Ok((Self::wrap(a), Self::wrap(b)))
    }

    /// The AF_UNIX socket behind an open file, if it is one.
    pub fn of(f: &OpenFile) -> Option<&UnixSocket<S>> {
        f.as_any().and_then(|a| a.downcast_ref::<UnixSocket<S>>())
    }

    /// `bind`: give the socket `name`, found by `key`. EADDRINUSE if another socket
    /// has the key; EINVAL if this one is bound already.
    pub fn bind(&self, key: Key, name: Name) -> Result<(), Errno> {
        let mut st = self.core.st.lock();
        if st.key.is_some() || !matches!(st.kind, Kind::Fresh) {
            return Err(Errno::EINVAL);
        }
        let mut names = NAMES.lock();
        if names.get(&key).is_some_and(|w| w.strong_count() > 0) {
            return Err(Errno::EADDRINUSE);
        }
        names.insert(key.clone(), Arc::downgrade(&self.core));
        st.key = Some(key);
        st.name = Some(name);
        Ok(())
    }

    pub fn is_bound(&self) -> bool {
        self.core.st.lock().key.is_some()
    }

    pub fn listen(&self, backlog: usize) -> Result<(), Errno> {
        let mut st = self.core.st.lock();
        if st.key.is_none() {
            return Err(Errno::EINVAL);
        }
        let backlog = backlog.clamp(1, crate::table::MAX_BACKLOG);
        match &mut st.kind {
            Kind::Fresh => {
                st.kind = Kind::Listen {
                    backlog,
                    queue: VecDeque::new(),
                }
            }
            Kind::Listen { backlog: b, .. } => *b = backlog,
            _ => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    /// `connect` to the listener `key` names, as `cred` (the caller). ECONNREFUSED
    /// when nothing listens there; waits (or EAGAIN) while its queue is full.
    pub fn connect(&self, key: &Key, cred: Cred, nonblock: bool) -> Result<(), Errno> {
        match self.core.st.lock().kind {
            Kind::Fresh => {}
            Kind::Conn(_) => return Err(Errno::EISCONN),
            _ => return Err(Errno::EINVAL),
        }
        let listener = NAMES
            .lock()
            .get(key)
            .and_then(|w| w.upgrade())
            .ok_or(Errno::ECONNREFUSED)?;
        if Arc::ptr_eq(&listener, &self.core) {
            return Err(Errno::ECONNREFUSED);
        }
        let my_name = self.core.st.lock().name.clone();
        // mine: the peer is the listener's creator; theirs (the server's side): the caller.
        let (mine, mut theirs) = pair(&cred, &listener.cred);
        theirs.peer_name = my_name;
        let mut theirs = Some(theirs);
        let peer_name = blocking::<S, _>(nonblock, 0, || {
            let mut st = listener.st.lock();
            let name = st.name.clone();
            match &mut st.kind {
                Kind::Listen { backlog, queue } if queue.len() < *backlog => {
                    let server = Core::new(listener.cred, Kind::Fresh)?;
                    {
                        let mut s = server.st.lock();
                        s.kind = Kind::Conn(theirs.take().ok_or(Errno::EINVAL)?);
                        s.name = name.clone();
                    }
                    queue.push_back(server);
                    Ok(Some(name))
                }
                Kind::Listen { .. } => Ok(None),
                _ => Err(Errno::ECONNREFUSED),
            }
        })?;
        self.core.st.lock().kind = Kind::Conn(Conn { peer_name, ..mine });
        bump();
        Ok(())
    }

    /// `accept`: the next connection on the queue.
    pub fn accept(&self, nonblock: bool) -> Result<Arc<UnixSocket<S>>, Errno> {
        let core = blocking::<S, _>(nonblock, 0, || match &mut self.core.st.lock().kind {
            Kind::Listen { queue, .. } => Ok(queue.pop_front()),
            _ => Err(Errno::EINVAL),
        })?;
        bump();
        Ok(Self::wrap(core))
    }

    /// Write `data`, the first byte carrying `anc`; returns the bytes taken (part of
    /// `data` when the queue fills up after some went). EPIPE (and SIGPIPE unless
    /// `nosignal`) when the reader is gone.
    pub fn send(
        &self,
        data: &[u8],
        anc: Option<Anc>,
        nonblock: bool,
        nosignal: bool,
    ) -> Result<usize, Errno> {
        let timeout = self.core.st.lock().sndtimeo_ms;
        let mut anc = anc;
        let mut sent = 0;
        let r = blocking::<S, _>(nonblock, timeout, || {
            let tx = {
                let st = self.core.st.lock();
                if st.shut_wr {
                    return Err(Errno::EPIPE);
                }
                match &st.kind {
                    Kind::Conn(c) => c.tx.clone(),
                    _ => return Err(Errno::ENOTCONN),
                }
            };
            let mut p = tx.lock();
            if p.reader_gone {
                return Err(Errno::EPIPE);
            }
            if data.is_empty() {
                return Ok(Some(0));
            }
            let room = UNIX_BUF - p.bytes.len();
            if room == 0 || (anc.is_some() && p.anc.len() >= MAX_ANC) {
                return Ok(None);
            }
            if let Some(mut a) = anc.take() {
                a.at = p.head + p.bytes.len() as u64;
                p.anc.push_back(a);
            }
            let n = room.min(data.len() - sent);
            p.bytes.extend(&data[sent..sent + n]);
            sent += n;
            drop(p);
            bump();
            // A blocking write waits for room for the rest, as a pipe's does.
            Ok((sent == data.len() || nonblock).then_some(sent))
        });
        match r {
            Err(Errno::EPIPE) if sent == 0 => {
                if !nosignal {
                    S::raise(abi::signal::SIGPIPE);
                }
                Err(Errno::EPIPE)
            }
            Err(_) if sent > 0 => Ok(sent),
            r => r,
        }
    }

    /// Read at most `buf.len()` bytes, stopping before bytes that carry other
    /// ancillary data; the ancillary data of the first byte comes too. 0: end of file.
    pub fn recv(
        &self,
        buf: &mut [u8],
        peek: bool,
        nonblock: bool,
    ) -> Result<(usize, Option<Anc>), Errno> {
        let timeout = self.core.st.lock().rcvtimeo_ms;
        blocking::<S, _>(nonblock, timeout, || {
            let rx = {
                let st = self.core.st.lock();
                if st.shut_rd {
                    return Ok(Some((0, None)));
                }
                match &st.kind {
                    Kind::Conn(c) => c.rx.clone(),
                    Kind::Closed => return Ok(Some((0, None))),
                    // Linux's answer for a stream socket not connected.
                    _ => return Err(Errno::EINVAL),
                }
            };
            let mut p = rx.lock();
            if p.bytes.is_empty() {
                // The bytes the peer sent before it went come first, as on Linux.
                if p.reset && !peek {
                    p.reset = false;
                    return Err(Errno::ECONNRESET);
                }
                return Ok(p.writer_gone.then_some((0, None)));
            }
            let head = p.head;
            let mut limit = p.bytes.len();
            let mut skip = 0;
            if let Some(a) = p.anc.front() {
                if a.at == head {
                    skip = 1;
                }
            }
            if let Some(a) = p.anc.get(skip) {
                limit = limit.min((a.at - head) as usize);
            }
            let n = buf.len().min(limit);
            for (d, s) in buf.iter_mut().zip(p.bytes.iter()).take(n) {
                *d = *s;
            }
            if peek || n == 0 {
                return Ok(Some((n, None)));
            }
            p.bytes.drain(..n);
            p.head += n as u64;
            let anc = if skip == 1 { p.anc.pop_front() } else { None };
            drop(p);
            bump();
            Ok(Some((n, anc)))
        })
    }

    pub fn shutdown(&self, how: u32) -> Result<(), Errno> {
        let (rd, wr) = match how {
            SHUT_RD => (true, false),
            SHUT_WR => (false, true),
            SHUT_RDWR => (true, true),
            _ => return Err(Errno::EINVAL),
        };
        let mut st = self.core.st.lock();
        let Kind::Conn(c) = &st.kind else {
            return Err(Errno::ENOTCONN);
        };
        if wr {
            c.tx.lock().writer_gone = true;
        }
        if rd {
            c.rx.lock().reader_gone = true;
        }
        st.shut_rd |= rd;
        st.shut_wr |= wr;
        drop(st);
        bump();
        Ok(())
    }

    pub fn sockname(&self) -> Option<Name> {
        self.core.st.lock().name.clone()
    }

    pub fn peername(&self) -> Result<Option<Name>, Errno> {
        match &self.core.st.lock().kind {
            Kind::Conn(c) => Ok(c.peer_name.clone()),
            _ => Err(Errno::ENOTCONN),
        }
    }

    /// SO_PEERCRED: who the peer was when the connection was made.
    pub fn peercred(&self) -> Result<Cred, Errno> {
        match &self.core.st.lock().kind {
            Kind::Conn(c) => Ok(c.peer),
            _ => Err(Errno::ENOTCONN),
        }
    }

    pub fn passcred(&self) -> bool {
        self.core.st.lock().passcred
    }

    pub fn setsockopt(&self, level: u32, name: u32, value: u64) -> Result<(), Errno> {
        let mut st = self.core.st.lock();
        match (level, name) {
            (SOL_SOCKET, SO_PASSCRED) => st.passcred = value != 0,
            (SOL_SOCKET, SO_RCVTIMEO) => st.rcvtimeo_ms = value,
            (SOL_SOCKET, SO_SNDTIMEO) => st.sndtimeo_ms = value,
            (SOL_SOCKET, SO_REUSEADDR | SO_KEEPALIVE | SO_SNDBUF | SO_RCVBUF) => {}
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    pub fn getsockopt(&self, level: u32, name: u32) -> Result<u64, Errno> {
        let st = self.core.st.lock();
        Ok(match (level, name) {
            (SOL_SOCKET, SO_TYPE) => SOCK_STREAM as u64,
            (SOL_SOCKET, SO_ERROR) => 0,
            (SOL_SOCKET, SO_PASSCRED) => st.passcred as u64,
            (SOL_SOCKET, SO_RCVTIMEO) => st.rcvtimeo_ms,
            (SOL_SOCKET, SO_SNDTIMEO) => st.sndtimeo_ms,
            (SOL_SOCKET, SO_SNDBUF | SO_RCVBUF) => UNIX_BUF as u64,
            (SOL_SOCKET, SO_REUSEADDR | SO_KEEPALIVE) => 0,
            _ => return Err(Errno::ENOPROTOOPT),
        })
    }
}

/// May the open file `f` be sent over `via`'s connection (SCM_RIGHTS)? Anything but
/// an AF_UNIX socket or a port's receiving end may. A socket may not travel over its
/// own connection, nor while descriptors are in flight in its own queues: then every
/// socket in flight has empty queues, so no socket in flight holds another, and no
/// cycle of them can outlive the descriptors (Linux collects such cycles instead;
/// dinos refuses them). A port's receiving end travels nowhere, as in a port
/// message (`ipc::port`): else a socket's queue could hold the receiving end of the
/// port whose queue holds that socket, a cycle no close would end. With receiving
/// ends never in flight, a port's queue lives only while a process holds its
/// receiving end, so no cycle runs through a port, whichever of them carries
/// sockets or ports' sending ends.
pub fn can_pass<S: Signals>(via: &UnixSocket<S>, f: &OpenFile) -> bool {
    if ipc::port::ReceiveEnd::of(f).is_some() {
        return false;
    }
    let Some(u) = UnixSocket::<S>::of(f) else {
        return true;
    };
    if Arc::ptr_eq(&u.core, &via.core) {
        return false;
    }
    let Some((rx, tx)) = u.core.conn_pipes() else {
        return true;
    };
    if let Some((vrx, vtx)) = via.core.conn_pipes() {
        if Arc::ptr_eq(&rx, &vtx) || Arc::ptr_eq(&tx, &vrx) {
            return false;
        }
    }
    let empty = |p: &PipeRef| p.lock().anc.iter().all(|a| a.files.is_empty());
    empty(&rx) && empty(&tx)
}

/// How many AF_UNIX sockets exist.
pub fn count() -> usize {
    COUNT.load(Ordering::SeqCst) as usize
}

impl<S: Signals> FileObject for UnixSocket<S> {
    fn read(&self, _pos: &mut u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        // Descriptors sent with these bytes are closed: a plain read has no room.
        self.recv(buf, false, nonblock).map(|(n, _)| n)
    }

    fn write(&self, _pos: &mut u64, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.send(data, None, nonblock, false)
    }

    fn stat(&self) -> Result<abi::Stat, Errno> {
        Ok(abi::Stat {
            mode: 0o140000 | 0o777,
            nlink: 1,
            blksize: UNIX_BUF as u64,
            ..Default::default()
        })
    }

    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        match req {
            Ioctl::BytesReady => {
                let n = self
                    .core
                    .conn_pipes()
                    .map_or(0, |(rx, _)| rx.lock().bytes.len());
                Ok(IoctlReply::U32(n as u32))
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn poll(&self) -> Readiness {
        let st = self.core.st.lock();
        match &st.kind {
            Kind::Listen { queue, .. } => Readiness {
                readable: !queue.is_empty(),
                ..Default::default()
            },
            Kind::Conn(c) => {
                let rx = c.rx.lock();
                let tx = c.tx.lock();
                Readiness {
                    readable: !rx.bytes.is_empty() || rx.writer_gone || rx.reset || st.shut_rd,
                    writable: tx.reader_gone || st.shut_wr || tx.bytes.len() < UNIX_BUF,
                    hangup: rx.writer_gone && tx.reader_gone,
                }
            }
            Kind::Fresh => Readiness::default(),
            Kind::Closed => Readiness {
                hangup: true,
                ..Default::default()
            },
        }
    }

    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&WAITERS)
    }

    fn as_any(&self) -> Option<&dyn core::any::Any> {
        Some(self)
    }

    fn release(&self) {
        self.core.close();
    }
}
