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

use crate::fileobj::{FileObject, Readiness};
use crate::signals::{interruptible_wait, Signals};
use abi::flags::S_IFIFO;
use abi::{Errno, Stat};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::marker::PhantomData;
use hal::sync::SpinLock;
use task::WaitQueue;

/// Bytes a pipe holds.
pub const PIPE_BUF: usize = 4096;

struct Inner {
    buf: VecDeque<u8>,
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
                buf: VecDeque::with_capacity(PIPE_BUF),
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
                    let n = buf.len().min(p.buf.len());
                    for (i, b) in p.buf.drain(..n).enumerate() {
                        buf[i] = b;
                    }
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
                let room = PIPE_BUF - p.buf.len();
                let n = room.min(data.len() - done);
                p.buf.extend(&data[done..done + n]);
                done += n;
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
                p.buf.len() < PIPE_BUF || p.readers == 0
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
            writable: p.buf.len() < PIPE_BUF || p.readers == 0,
            hangup: p.readers == 0,
        }
    }
    fn release(&self) {
        self.pipe.close_writer();
    }
}
