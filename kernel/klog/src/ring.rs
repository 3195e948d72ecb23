//! A byte ring that holds the most recent complete lines.
//!
//! Writes append at the head; when there is not room, whole lines are dropped from the
//! tail until there is. A line longer than the ring keeps only its last bytes.

/// A ring of `N` bytes of text lines.
pub struct LogRing<const N: usize> {
    buf: [u8; N],
    /// Index of the oldest byte.
    start: usize,
    /// Bytes stored.
    len: usize,
    total: u64,
}

impl<const N: usize> LogRing<N> {
    pub const fn new() -> Self {
        LogRing {
            buf: [0; N],
            start: 0,
            len: 0,
            total: 0,
        }
    }

    fn byte(&self, i: usize) -> u8 {
        self.buf[(self.start + i) % N]
    }

    /// Drop the oldest line (through its newline, or everything if there is none).
    fn drop_oldest_line(&mut self) {
        let mut n = 0;
        while n < self.len {
            n += 1;
            if self.byte(n - 1) == b'\n' {
                break;
            }
        }
        self.start = (self.start + n) % N;
        self.len -= n;
    }

    /// Append `data` (normally one line ending in `\n`).
    pub fn push(&mut self, data: &[u8]) {
        self.total += data.len() as u64;
        let data = &data[data.len().saturating_sub(N)..];
        while N - self.len < data.len() {
            self.drop_oldest_line();
        }
        for &b in data {
            let at = (self.start + self.len) % N;
            self.buf[at] = b;
            self.len += 1;
        }
    }

    /// The stored bytes, oldest first, as the two halves of the ring.
    pub fn as_slices(&self) -> (&[u8], &[u8]) {
        let end = self.start + self.len;
        if end <= N {
            (&self.buf[self.start..end], &[])
        } else {
            (&self.buf[self.start..], &self.buf[..end - N])
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes ever pushed.
    pub fn total_written(&self) -> u64 {
        self.total
    }

    /// Copy bytes from position `pos` of the whole log (bytes pushed since the start,
    /// the unit of [`LogRing::total_written`]) into `out`, for a reader that follows
    /// the log (`dmesg -w`, `/proc/kmsg`). Returns the position of the first byte
    /// copied and how many were: a position whose bytes were already dropped starts
    /// at the oldest byte kept (the reader has missed some lines, never half of one),
    /// and a position at or past the end copies nothing.
    pub fn read_at(&self, pos: u64, out: &mut [u8]) -> (u64, usize) {
        let oldest = self.total - self.len as u64;
        let from = pos.max(oldest);
        if from >= self.total {
            return (self.total.min(pos), 0);
        }
        let skip = (from - oldest) as usize;
        let n = (self.len - skip).min(out.len());
        for (i, o) in out[..n].iter_mut().enumerate() {
            *o = self.byte(skip + i);
        }
        (from, n)
    }
}

impl<const N: usize> Default for LogRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::LogRing;
    use std::vec::Vec;

    fn contents<const N: usize>(r: &LogRing<N>) -> Vec<u8> {
        let (a, b) = r.as_slices();
        [a, b].concat()
    }

    #[test]
    fn keeps_lines_in_order_while_there_is_room() {
        let mut r = LogRing::<64>::new();
        r.push(b"one\n");
        r.push(b"two\n");
        assert_eq!(contents(&r), b"one\ntwo\n");
        assert_eq!(r.total_written(), 8);
    }

    #[test]
    fn full_ring_drops_whole_oldest_lines() {
        let mut r = LogRing::<16>::new();
        r.push(b"aaaaa\n"); // 6
        r.push(b"bbbbb\n"); // 12
        r.push(b"ccccc\n"); // needs 18 > 16: "aaaaa\n" goes
        assert_eq!(contents(&r), b"bbbbb\nccccc\n");
    }

    #[test]
    fn wraps_around_the_end_of_the_buffer() {
        let mut r = LogRing::<10>::new();
        for i in 0..20u8 {
            r.push(&[b'a' + i % 26, b'\n']);
        }
        let c = contents(&r);
        assert_eq!(c.len(), 10);
        assert!(c.ends_with(b"t\n"));
        assert!(c.chunks(2).all(|l| l[1] == b'\n'));
    }

    #[test]
    fn a_reader_by_position_sees_new_bytes_and_skips_dropped_lines() {
        let mut r = LogRing::<16>::new();
        r.push(b"aaaaa\n");
        let mut out = [0u8; 32];
        assert_eq!(r.read_at(0, &mut out), (0, 6));
        assert_eq!(r.read_at(6, &mut out), (6, 0), "nothing new yet");
        r.push(b"bbbbb\n");
        r.push(b"ccccc\n"); // "aaaaa\n" is dropped: positions 0..6 are gone
        let (from, n) = r.read_at(3, &mut out);
        assert_eq!((from, n), (6, 12));
        assert_eq!(&out[..n], b"bbbbb\nccccc\n");
        let (from, n) = r.read_at(14, &mut out[..2]);
        assert_eq!((from, &out[..n]), (14, &b"cc"[..]));
    }

    #[test]
    fn line_longer_than_ring_keeps_its_tail() {
        let mut r = LogRing::<8>::new();
        r.push(b"0123456789abc\n");
        assert_eq!(contents(&r), b"6789abc\n");
        assert_eq!(r.len(), 8);
    }
}
