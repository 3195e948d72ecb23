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
//! slice at a time (at most two pieces when the data wraps), never byte by byte.

use crate::fileobj::{FileObject, Readiness};
use crate::signals::{interruptible_wait, Signals};
use abi::flags::S_IFIFO;
use abi::{Errno, Stat};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec;
use core::marker::PhantomData;
use hal::sync::SpinLock;
use task::WaitQueue;

/// Bytes a pipe holds.
pub const PIPE_BUF: usize = 4096;

/// A fixed circular buffer of `PIPE_BUF` bytes: `len` bytes starting at `head`.
struct Ring {
    bytes: Box<[u8]>,
    head: usize,
    len: usize,
}

impl Ring {
    fn new() -> Self {
        Ring {
            bytes: vec![0; PIPE_BUF].into_boxed_slice(),
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
        loop {
            {
                let mut p = self.inner.lock();
                if !p.buf.is_empty() {
                    let n = p.buf.pop(buf);
                    drop(p);
                    self.wq.wake_all();
                    return Ok(n);
                }
                if p.writers == 0 {
                    return Ok(0);
                }
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            interruptible_wait::<S>(&self.wq, || {
                let p = self.inner.lock();
                !p.buf.is_empty() || p.writers == 0
            })?;
        }
    }

    /// Write all of `data` (sleeping while full); EPIPE if no reader is left.
    pub fn write<S: Signals>(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let mut done = 0;
        while done < data.len() {
            {
                let mut p = self.inner.lock();
                if p.readers == 0 {
                    drop(p);
                    S::raise(abi::signal::SIGPIPE);
                    return if done > 0 {
                        Ok(done)
                    } else {
                        Err(Errno::EPIPE)
                    };
                }
                done += p.buf.push(&data[done..]);
            }
            self.wq.wake_all();
            if done == data.len() {
                break;
            }
            if nonblock {
                return if done > 0 {
                    Ok(done)
                } else {
                    Err(Errno::EAGAIN)
                };
            }
            let r = interruptible_wait::<S>(&self.wq, || {
                let p = self.inner.lock();
                p.buf.room() > 0 || p.readers == 0
            });
            if let Err(e) = r {
                return if done > 0 { Ok(done) } else { Err(e) };
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
    fn release(&self) {
        self.pipe.close_reader();
    }
}

impl<S: Signals> FileObject for PipeWriter<S> {
    fn read(&self, _: &mut u64, _: &mut [u8], _: bool) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn write(&self, _: &mut u64, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        self.pipe.write::<S>(data, nonblock)
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
    fn release(&self) {
        self.pipe.close_writer();
    }
}

#[cfg(test)]
mod tests {
    use super::{Ring, PIPE_BUF};
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
}
