//! Input and output on file descriptors: the `Read`/`Write` traits, the three standard
//! streams, and terminal requests.
//!
//! Standard output is buffered in the process and written at each newline, when the
//! buffer fills, before `fork`/`exec`/`spawn` and at exit, so a line printed in pieces
//! reaches the console in one `write`. Standard error is never buffered. Standard input
//! is read without a buffer in the process: [`Stdin::read_line`] takes one byte per
//! `read`, so a child started afterwards finds the rest of the input where it was (the
//! way a shell reading a script must behave).

use crate::{sys, Errno, Result};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use spinning_top::Spinlock;

pub const STDIN: i32 = 0;
pub const STDOUT: i32 = 1;
pub const STDERR: i32 = 2;

/// A source of bytes.
pub trait Read {
    /// Read up to `buf.len()` bytes: how many, 0 at end of file.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize>;

    /// Read everything to the end, appending to `out`: how many bytes were added.
    fn read_to_end(&mut self, out: &mut Vec<u8>) -> Result<usize> {
        let start = out.len();
        let mut chunk = [0u8; 4096];
        loop {
            match self.read(&mut chunk) {
                Ok(0) => return Ok(out.len() - start),
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Read everything as text (invalid UTF-8 is replaced), appending to `out`.
    fn read_to_string(&mut self, out: &mut String) -> Result<usize> {
        let mut bytes = Vec::new();
        let n = self.read_to_end(&mut bytes)?;
        out.push_str(&String::from_utf8_lossy(&bytes));
        Ok(n)
    }

    /// Fill `buf` completely, or fail (`EIO` if the end comes first).
    fn read_exact(&mut self, mut buf: &mut [u8]) -> Result<()> {
        while !buf.is_empty() {
            match self.read(buf) {
                Ok(0) => return Err(Errno::EIO),
                Ok(n) => buf = &mut buf[n..],
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// A sink for bytes.
pub trait Write {
    /// Write some of `buf`: how many bytes were taken.
    fn write(&mut self, buf: &[u8]) -> Result<usize>;

    /// Push out anything buffered.
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    /// Write all of `buf`, retrying short writes and interrupted calls.
    fn write_all(&mut self, mut buf: &[u8]) -> Result<()> {
        while !buf.is_empty() {
            match self.write(buf) {
                Ok(0) => return Err(Errno::EIO),
                Ok(n) => buf = &buf[n..],
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Formatted output, for `write!` and `writeln!`.
    fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> Result<()> {
        struct Adapter<'a, W: ?Sized> {
            inner: &'a mut W,
            error: Option<Errno>,
        }
        impl<W: Write + ?Sized> fmt::Write for Adapter<'_, W> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.inner.write_all(s.as_bytes()).map_err(|e| {
                    self.error = Some(e);
                    fmt::Error
                })
            }
        }
        let mut a = Adapter {
            inner: self,
            error: None,
        };
        match fmt::write(&mut a, args) {
            Ok(()) => Ok(()),
            Err(_) => Err(a.error.unwrap_or(Errno::EIO)),
        }
    }
}

/// Write all of `buf` to a descriptor.
pub fn write_all(fd: i32, buf: &[u8]) -> Result<()> {
    Fd(fd).write_all(buf)
}

/// Whether descriptor `fd` is open.
pub fn is_open(fd: i32) -> bool {
    sys::fstat(fd, &mut abi::Stat::default()).is_ok()
}

/// A borrowed descriptor as a reader and writer (it is not closed when dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fd(pub i32);

impl Read for Fd {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        sys::read(self.0, buf)
    }
}

impl Write for Fd {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        sys::write(self.0, buf)
    }
}

// ---- standard output: line buffered -----------------------------------------------------

const STDOUT_CAPACITY: usize = 4096;

static STDOUT_BUF: Spinlock<Vec<u8>> = Spinlock::new(Vec::new());

fn flush_buffer(buf: &mut Vec<u8>) -> Result<()> {
    let r = write_all(STDOUT, buf);
    buf.clear();
    r
}

/// Write buffered standard output now (exit, fork, exec and spawn do this).
pub fn flush_stdout() {
    if let Some(mut b) = STDOUT_BUF.try_lock() {
        let _ = flush_buffer(&mut b);
    }
}

/// Standard output (buffered up to each newline).
#[derive(Debug, Clone, Copy)]
pub struct Stdout;

pub fn stdout() -> Stdout {
    Stdout
}

impl Write for Stdout {
    fn write(&mut self, data: &[u8]) -> Result<usize> {
        let mut buf = STDOUT_BUF.lock();
        buf.extend_from_slice(data);
        if buf.len() >= STDOUT_CAPACITY || data.contains(&b'\n') {
            flush_buffer(&mut buf)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> Result<()> {
        flush_buffer(&mut STDOUT_BUF.lock())
    }
}

/// Standard error (unbuffered).
#[derive(Debug, Clone, Copy)]
pub struct Stderr;

pub fn stderr() -> Stderr {
    Stderr
}

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        sys::write(STDERR, buf)
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments<'_>) {
    let _ = Stdout.write_fmt(args);
}

#[doc(hidden)]
pub fn _eprint(args: fmt::Arguments<'_>) {
    // Formatted straight onto the descriptor: no allocation (the panic path uses it).
    let _ = Stderr.write_fmt(args);
}

// ---- standard input ---------------------------------------------------------------------

/// Standard input (no buffer in the process; see the module header).
#[derive(Debug, Clone, Copy)]
pub struct Stdin;

pub fn stdin() -> Stdin {
    Stdin
}

impl Read for Stdin {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        sys::read(STDIN, buf)
    }
}

impl Stdin {
    /// Append one line, with its `\n`, to `line`: bytes read, 0 at end of input.
    pub fn read_line(&mut self, line: &mut String) -> Result<usize> {
        read_line_from(self, line)
    }
}

/// Read one line from any reader a byte at a time (an interrupted read is reported if
/// nothing was read yet, so a shell sees Ctrl-C).
pub fn read_line_from<R: Read + ?Sized>(r: &mut R, line: &mut String) -> Result<usize> {
    let mut bytes = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match r.read(&mut b) {
            Ok(0) => break,
            Ok(_) => {
                bytes.push(b[0]);
                if b[0] == b'\n' {
                    break;
                }
            }
            Err(Errno::EINTR) if !bytes.is_empty() => continue,
            Err(e) => return Err(e),
        }
    }
    line.push_str(&String::from_utf8_lossy(&bytes));
    Ok(bytes.len())
}

/// A reader with a buffer, for reading files line by line.
pub struct BufReader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
}

impl<R: Read> BufReader<R> {
    pub fn new(inner: R) -> BufReader<R> {
        BufReader {
            inner,
            buf: Vec::new(),
            pos: 0,
        }
    }

    fn fill(&mut self) -> Result<bool> {
        if self.pos < self.buf.len() {
            return Ok(true);
        }
        self.buf.resize(4096, 0);
        self.pos = 0;
        let n = loop {
            match self.inner.read(&mut self.buf) {
                Err(Errno::EINTR) => continue,
                other => break other,
            }
        };
        let n = n.inspect_err(|_| self.buf.clear())?;
        self.buf.truncate(n);
        Ok(n > 0)
    }

    /// Append one line (with its `\n`) to `line`: bytes read, 0 at end.
    pub fn read_line(&mut self, line: &mut String) -> Result<usize> {
        let mut bytes = Vec::new();
        while self.fill()? {
            let rest = &self.buf[self.pos..];
            match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    bytes.extend_from_slice(&rest[..=i]);
                    self.pos += i + 1;
                    break;
                }
                None => {
                    bytes.extend_from_slice(rest);
                    self.pos = self.buf.len();
                }
            }
        }
        line.push_str(&String::from_utf8_lossy(&bytes));
        Ok(bytes.len())
    }

    /// The lines, without their `\n`.
    pub fn lines(self) -> Lines<R> {
        Lines { reader: self }
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for BufReader<R> {
    fn read(&mut self, out: &mut [u8]) -> Result<usize> {
        if !self.fill()? {
            return Ok(0);
        }
        let rest = &self.buf[self.pos..];
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// Iterator over a reader's lines.
pub struct Lines<R> {
    reader: BufReader<R>,
}

impl<R: Read> Iterator for Lines<R> {
    type Item = Result<String>;
    fn next(&mut self) -> Option<Result<String>> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) => {
                if line.ends_with('\n') {
                    line.pop();
                }
                Some(Ok(line))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

// ---- terminals ----------------------------------------------------------------------------

fn ioctl_u32(fd: i32, request: u32, value: u32) -> Result<u32> {
    let mut b = value.to_le_bytes();
    sys::ioctl(fd, request, &mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// Whether `fd` is a terminal (it answers the terminal-mode request).
pub fn is_terminal(fd: i32) -> bool {
    terminal_mode(fd).is_ok()
}

/// The terminal's mode bits (`TTY_ECHO`, `TTY_CANON`, `TTY_ISIG`).
pub fn terminal_mode(fd: i32) -> Result<u32> {
    ioctl_u32(fd, abi::flags::TCGETMODE, 0)
}

pub fn set_terminal_mode(fd: i32, mode: u32) -> Result<()> {
    ioctl_u32(fd, abi::flags::TCSETMODE, mode).map(|_| ())
}

/// The terminal's size in rows and columns.
pub fn window_size(fd: i32) -> Result<abi::WinSize> {
    use abi::Pod;
    let mut b = [0u8; <abi::WinSize as Pod>::SIZE];
    sys::ioctl(fd, abi::flags::TIOCGWINSZ, &mut b)?;
    Ok(abi::WinSize::from_bytes(&b))
}

/// The terminal's foreground process group.
pub fn foreground_group(fd: i32) -> Result<u32> {
    ioctl_u32(fd, abi::flags::TIOCGPGRP, 0)
}

/// Make `pgid` the terminal's foreground process group.
pub fn set_foreground_group(fd: i32, pgid: u32) -> Result<()> {
    ioctl_u32(fd, abi::flags::TIOCSPGRP, pgid).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Bytes<'a>(&'a [u8]);
    impl Read for Bytes<'_> {
        fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
            let n = self.0.len().min(buf.len()).min(3); // short reads on purpose
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn lines_are_split_at_newlines_and_the_last_may_lack_one() {
        let r = BufReader::new(Bytes(b"one\ntwo\n\nlast"));
        let lines: Vec<String> = r.lines().map(|l| l.unwrap()).collect();
        assert_eq!(lines, ["one", "two", "", "last"]);
    }

    #[test]
    fn read_line_from_stops_after_the_newline() {
        let mut r = Bytes(b"ab\ncd");
        let mut s = String::new();
        assert_eq!(read_line_from(&mut r, &mut s).unwrap(), 3);
        assert_eq!(s, "ab\n");
        assert_eq!(r.0, b"cd");
    }

    #[test]
    fn read_to_end_collects_short_reads() {
        let mut v = Vec::new();
        assert_eq!(Bytes(b"0123456789").read_to_end(&mut v).unwrap(), 10);
        assert_eq!(v, b"0123456789");
    }
}
