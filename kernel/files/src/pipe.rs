//! Pipes: a bounded byte queue between a writer and a reader (message passing,
//! chapter 2 section 3-2 "communication").
//!
//! A reader with nothing to read sleeps until a writer adds bytes or the last writer
//! closes (then it reads end-of-file). A writer with no room sleeps until a reader
//! drains some; if the last reader has gone, the write fails with EPIPE and the writer
//! gets SIGPIPE. Both sides wake each other through one wait queue; every wait also
//! ends when a signal arrives (EINTR). Signals are the process layer's: the ends carry
//! its [`Signals`] as a type parameter (see `signals`).
//!
//! The two ends are two [`FileObject`]s, [`PipeReader`] and [`PipeWriter`], over one
//! shared [`Pipe`]; releasing an end (its last close) is what the other side counts.
//! The bytes in flight live in a [`Ring`] of `PIPE_BUF` bytes, copied in and out a
//! slice at a time (at most two pieces when the data wraps), never byte by byte. When
//! the program's buffer is present, `read(2)` and `write(2)` copy straight between it
//! and the ring ([`ByteSink`], [`ByteSource`]): one copy each way, none through a
//! kernel buffer.

use crate::fileobj::{ByteSink, ByteSource, FileObject, Ioctl, IoctlReply, Readiness};
use crate::signals::{interruptible_take, interruptible_wait, Signals};
use abi::flags::S_IFIFO;
use abi::{Errno, Stat};
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::marker::PhantomData;
use hal::sync::SpinLock;
use task::WaitQueue;

/// Bytes a pipe holds.
pub const PIPE_BUF: usize = 4096;

/// A fixed circular buffer of `PIPE_BUF` bytes: `len` bytes starting at `head`.
struct Ring {
    /// A fixed-size array (not a slice), so the compiler knows every index below
    /// `PIPE_BUF` is in bounds and checks none.
    bytes: Box<[u8; PIPE_BUF]>,
    head: usize,
    len: usize,
}

impl Ring {
    fn new() -> Self {
        Ring {
            bytes: Box::new([0; PIPE_BUF]),
            head: 0,
            len: 0,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn room(&self) -> usize {
        PIPE_BUF - self.len
    }

    /// Append as much of `data` as fits; returns how much did.
    fn push(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.room());
        let tail = (self.head + self.len) % PIPE_BUF;
        let first = n.min(PIPE_BUF - tail);
        self.bytes[tail..tail + first].copy_from_slice(&data[..first]);
        if first < n {
            self.bytes[..n - first].copy_from_slice(&data[first..n]);
        }
        self.len += n;
        n
    }

    /// Append as much of the `len` bytes of `src` from `at` on as fits, copied
    /// straight in; `None` if the source failed before any byte (nothing is added).
    fn push_from(&mut self, src: &mut dyn ByteSource, at: usize, len: usize) -> Option<usize> {
        let n = (len - at).min(self.room());
        let tail = (self.head + self.len) % PIPE_BUF;
        let first = n.min(PIPE_BUF - tail);
        if !src.get_now(at, &mut self.bytes[tail..tail + first]) {
            return None;
        }
        let mut done = first;
        if first < n && src.get_now(at + first, &mut self.bytes[..n - first]) {
            done = n;
        }
        self.len += done;
        Some(done)
    }

    /// Take up to `want` bytes from the front into `sink`, copied straight out;
    /// `None` if the sink failed before any byte (nothing is taken).
    fn pop_to(&mut self, sink: &mut dyn ByteSink, want: usize) -> Option<usize> {
        let n = want.min(self.len);
        let first = n.min(PIPE_BUF - self.head);
        if !sink.put_now(0, &self.bytes[self.head..self.head + first]) {
            return None;
        }
        let mut done = first;
        if first < n && sink.put_now(first, &self.bytes[..n - first]) {
            done = n;
        }
        self.head = (self.head + done) % PIPE_BUF;
        self.len -= done;
        Some(done)
    }

    /// Take up to `out.len()` bytes from the front; returns how many.
    fn pop(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len);
        let first = n.min(PIPE_BUF - self.head);
        out[..first].copy_from_slice(&self.bytes[self.head..self.head + first]);
        if first < n {
            out[first..n].copy_from_slice(&self.bytes[..n - first]);
        }
        self.head = (self.head + n) % PIPE_BUF;
        self.len -= n;
        n
    }
}

struct Inner {
    buf: Ring,
    readers: usize,
    writers: usize,
}

pub struct Pipe {
    inner: SpinLock<Inner>,
    wq: WaitQueue,
}

impl Pipe {
    /// A pipe with one reader and one writer end open.
    pub fn new() -> Self {
        Pipe {
            inner: SpinLock::new(Inner {
                buf: Ring::new(),
                readers: 1,
                writers: 1,
            }),
            wq: WaitQueue::new(),
        }
    }

    pub(crate) fn close_reader(&self) {
        self.inner.lock().readers -= 1;
        self.wq.wake_all();
    }
    pub(crate) fn close_writer(&self) {
        self.inner.lock().writers -= 1;
        self.wq.wake_all();
    }

    /// Read up to `buf.len()` bytes; 0 means end of file.
    pub fn read<S: Signals>(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.read_with::<S>(nonblock, |ring| Ok(ring.pop(buf)))
    }

    /// Read straight into `sink` (one copy, from the ring to the program).
    pub fn read_to<S: Signals>(
        &self,
        sink: &mut dyn ByteSink,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        let want = sink.len();
        if want == 0 {
            return Ok(0);
        }
        self.read_with::<S>(nonblock, |ring| {
            ring.pop_to(sink, want).ok_or(Errno::EFAULT)
        })
    }

    /// The reader's loop: wait until there are bytes (or no writer is left: end of
    /// file, 0), then `take` some from the ring. The check and the taking are one
    /// try under one lock.
    fn read_with<S: Signals>(
        &self,
        nonblock: bool,
        mut take: impl FnMut(&mut Ring) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        let mut attempt = || {
            let mut p = self.inner.lock();
            if !p.buf.is_empty() {
                Some(take(&mut p.buf))
            } else if p.writers == 0 {
                Some(Ok(0)) // end of file
            } else {
                None
            }
        };
        let n = if nonblock {
            attempt().ok_or(Errno::EAGAIN)??
        } else {
            interruptible_take::<S, _>(&self.wq, attempt)??
        };
        if n > 0 {
            self.wq.wake_all(); // a writer may wait for room
        }
        Ok(n)
    }

    /// Write all of `data` (sleeping while full); EPIPE if no reader is left.
    pub fn write<S: Signals>(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.write_with::<S>(data.len(), nonblock, true, |ring, done| {
            Ok(ring.push(&data[done..]))
        })
    }

    /// Write all of `src`, copied straight into the ring.
    pub fn write_from<S: Signals>(
        &self,
        src: &mut dyn ByteSource,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        let len = src.len();
        self.write_with::<S>(len, nonblock, true, |ring, done| {
            ring.push_from(src, done, len).ok_or(Errno::EFAULT)
        })
    }

    /// The writer's loop: `put` the bytes from `done` on into the ring while there is
    /// room, sleeping while it is full, until all `len` are in. A write that stops
    /// after some bytes (a signal, O_NONBLOCK, no reader, a bad source) reports them.
    /// With no reader left the writer gets SIGPIPE if `sigpipe`, and EPIPE.
    fn write_with<S: Signals>(
        &self,
        len: usize,
        nonblock: bool,
        sigpipe: bool,
        mut put: impl FnMut(&mut Ring, usize) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        let partial = |done: usize, e: Errno| if done > 0 { Ok(done) } else { Err(e) };
        let mut done = 0;
        while done < len {
            {
                let mut p = self.inner.lock();
                if p.readers == 0 {
                    drop(p);
                    if sigpipe {
                        S::raise(abi::signal::SIGPIPE);
                    }
                    return partial(done, Errno::EPIPE);
                }
                match put(&mut p.buf, done) {
                    Ok(n) => done += n,
                    Err(e) => return partial(done, e),
                }
            }
            if done == len {
                // All in: the reader this woke is what should run next (on one CPU it
                // runs at once, `wake_all_and_yield`). A quiet writer (a tracee's
                // records) only wakes: its tracer need not run at every record.
                if sigpipe {
                    self.wq.wake_all_and_yield();
                } else {
                    self.wq.wake_all();
                }
                break;
            }
            self.wq.wake_all();
            if nonblock {
                return partial(done, Errno::EAGAIN);
            }
            let r = interruptible_wait::<S>(&self.wq, || {
                let p = self.inner.lock();
                p.buf.room() > 0 || p.readers == 0
            });
            if let Err(e) = r {
                return partial(done, e);
            }
        }
        Ok(done)
    }

    /// Bytes waiting.
    pub fn len(&self) -> usize {
        self.inner.lock().buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for Pipe {
    fn default() -> Self {
        Self::new()
    }
}

/// The read end of a pipe, sleeping as signals `S` allow.
pub struct PipeReader<S> {
    pipe: Arc<Pipe>,
    signals: PhantomData<fn() -> S>,
}

/// The write end of a pipe.
pub struct PipeWriter<S> {
    pipe: Arc<Pipe>,
    signals: PhantomData<fn() -> S>,
}

/// The two ends of a new pipe, whose sleeps and SIGPIPE go through `S`.
pub fn ends<S: Signals>() -> (PipeReader<S>, PipeWriter<S>) {
    let pipe = Arc::new(Pipe::new());
    let reader = PipeReader {
        pipe: pipe.clone(),
        signals: PhantomData,
    };
    let writer = PipeWriter {
        pipe,
        signals: PhantomData,
    };
    (reader, writer)
}

fn pipe_stat() -> Result<Stat, Errno> {
    Ok(Stat {
        mode: S_IFIFO | 0o600,
        nlink: 1,
        blksize: PIPE_BUF as u64,
        ..Default::default()
    })
}

impl<S: Signals> FileObject for PipeReader<S> {
    fn read(&self, _: &mut u64, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        self.pipe.read::<S>(buf, nonblock)
    }
    fn read_stream(&self, sink: &mut dyn ByteSink, nonblock: bool) -> Option<Result<usize, Errno>> {
        Some(self.pipe.read_to::<S>(sink, nonblock))
    }
    fn write(&self, _: &mut u64, _: &[u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        pipe_stat()
    }
    fn poll(&self) -> Readiness {
        let p = self.pipe.inner.lock();
        Readiness {
            readable: !p.buf.is_empty() || p.writers == 0,
            writable: false,
            hangup: p.writers == 0,
        }
    }
    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.wq)
    }
    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        match req {
            Ioctl::BytesReady => Ok(IoctlReply::U32(self.pipe.len() as u32)),
            _ => Err(Errno::ENOTTY),
        }
    }
    fn release(&self) {
        self.pipe.close_reader();
    }
}

impl<S: Signals> PipeWriter<S> {
    /// Write all of `data` (sleeping while full) without SIGPIPE: EPIPE alone when
    /// no reader is left. How a traced process writes its records into its tracer's
    /// pipe: it must not die because its tracer did.
    pub fn write_quiet(&self, data: &[u8]) -> Result<usize, Errno> {
        self.pipe
            .write_with::<S>(data.len(), false, false, |ring, done| {
                Ok(ring.push(&data[done..]))
            })
    }
}

impl<S: Signals + 'static> FileObject for PipeWriter<S> {
    fn read(&self, _: &mut u64, _: &mut [u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn write(&self, _: &mut u64, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.pipe.write::<S>(data, nonblock)
    }
    /// FIONREAD on either end counts the bytes in the pipe, as in Linux.
    fn ioctl(&self, req: Ioctl) -> Result<IoctlReply, Errno> {
        match req {
            Ioctl::BytesReady => Ok(IoctlReply::U32(self.pipe.len() as u32)),
            _ => Err(Errno::ENOTTY),
        }
    }
    fn write_stream(
        &self,
        src: &mut dyn ByteSource,
        nonblock: bool,
    ) -> Option<Result<usize, Errno>> {
        Some(self.pipe.write_from::<S>(src, nonblock))
    }
    fn stat(&self) -> Result<Stat, Errno> {
        pipe_stat()
    }
    fn poll(&self) -> Readiness {
        let p = self.pipe.inner.lock();
        Readiness {
            readable: false,
            writable: p.buf.room() > 0 || p.readers == 0,
            hangup: p.readers == 0,
        }
    }
    fn poll_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.wq)
    }
    fn as_any(&self) -> Option<&dyn core::any::Any> {
        Some(self) // the tracer's sink writes with `write_quiet`
    }
    fn release(&self) {
        self.pipe.close_writer();
    }
}

#[cfg(test)]
mod tests {
    use super::{ByteSink, ByteSource, Ring, PIPE_BUF};
    use alloc::collections::VecDeque;
    use alloc::vec::Vec;

    /// Pushes and pops of many sizes, wrapping around the end many times, give back
    /// exactly the bytes a simple queue would.
    #[test]
    fn ring_keeps_bytes_in_order_across_the_wrap() {
        let mut ring = Ring::new();
        let mut model = VecDeque::new();
        let mut next = 0u8;
        for step in 0..2000usize {
            let want = (step * 37) % (PIPE_BUF + 100);
            if step % 3 == 0 {
                let mut out = alloc::vec![0; want];
                let n = ring.pop(&mut out);
                let expect: Vec<u8> = model.drain(..n.min(model.len())).collect();
                assert_eq!(n, expect.len().min(want));
                assert_eq!(&out[..n], &expect[..]);
            } else {
                let data: Vec<u8> = (0..want)
                    .map(|_| {
                        next = next.wrapping_add(1);
                        next
                    })
                    .collect();
                let n = ring.push(&data);
                assert_eq!(n, want.min(PIPE_BUF - model.len()));
                model.extend(&data[..n]);
            }
            assert_eq!(ring.len(), model.len());
            assert_eq!(ring.room(), PIPE_BUF - model.len());
        }
    }

    /// A program buffer of which only the first `ok` bytes are there.
    struct Partial {
        bytes: Vec<u8>,
        ok: usize,
    }

    impl ByteSink for Partial {
        fn len(&self) -> usize {
            self.bytes.len()
        }
        fn put_now(&mut self, at: usize, data: &[u8]) -> bool {
            if at + data.len() > self.ok {
                return false;
            }
            self.bytes[at..at + data.len()].copy_from_slice(data);
            true
        }
    }

    impl ByteSource for Partial {
        fn len(&self) -> usize {
            self.bytes.len()
        }
        fn get_now(&mut self, at: usize, out: &mut [u8]) -> bool {
            if at + out.len() > self.ok {
                return false;
            }
            out.copy_from_slice(&self.bytes[at..at + out.len()]);
            true
        }
    }

    /// The one-copy paths take or add only what the program's buffer really gave:
    /// a buffer missing from the start moves nothing; one missing after the ring's
    /// wrap moves the piece before it and leaves the rest in the ring.
    #[test]
    fn direct_copies_move_only_what_the_buffer_took() {
        let mut ring = Ring::new();
        let mut filler = alloc::vec![0u8; PIPE_BUF - 10];
        assert_eq!(ring.push(&filler), PIPE_BUF - 10);
        assert_eq!(ring.pop(&mut filler), PIPE_BUF - 10); // head is now 10 from the end
        let mut bad = Partial {
            bytes: (0..40).collect(),
            ok: 0,
        };
        assert_eq!(ring.push_from(&mut bad, 0, 40), None);
        assert_eq!(ring.len(), 0);
        let mut src = Partial {
            bytes: (0..40).collect(),
            ok: 40,
        };
        assert_eq!(ring.push_from(&mut src, 0, 40), Some(40)); // wraps after 10
        let mut none = Partial {
            bytes: alloc::vec![0; 40],
            ok: 0,
        };
        assert_eq!(ring.pop_to(&mut none, 40), None);
        assert_eq!(ring.len(), 40);
        // The first piece (10 bytes, up to the wrap) fits; the second does not.
        let mut part = Partial {
            bytes: alloc::vec![0; 40],
            ok: 20,
        };
        assert_eq!(ring.pop_to(&mut part, 40), Some(10));
        assert_eq!(&part.bytes[..10], &(0..10).collect::<Vec<u8>>()[..]);
        let mut rest = alloc::vec![0u8; 40];
        assert_eq!(ring.pop(&mut rest), 30);
        assert_eq!(&rest[..30], &(10..40).collect::<Vec<u8>>()[..]);
    }
}
