//! Waiting for several descriptors at once: [`poll`] (the system call) and [`select`]
//! built on it, with POSIX's read and write sets as [`FdSet`] bitmaps.
//!
//! Pipes, ports, the terminal and files all answer: a file is always ready, a pipe's
//! read end when it holds bytes or its writers are gone, a port's receiving end when a
//! message waits. A wait ends when one becomes ready, when the timeout passes (result
//! 0) or when a signal arrives (EINTR).

use crate::port::timeout_ns;
use crate::sys;
use crate::time::Duration;
use crate::Result;
pub use abi::flags::{POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT};
pub use abi::PollFd;

/// Wait until one of `fds` is ready (`None`: as long as it takes): how many are,
/// each with its `revents` set.
pub fn poll(fds: &mut [PollFd], timeout: Option<Duration>) -> Result<usize> {
    sys::poll(fds, timeout_ns(timeout))
}

/// A set of descriptors (below [`FdSet::SIZE`]), as `select` takes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FdSet(u64);

impl FdSet {
    /// Descriptors a set can hold (a process has at most 64).
    pub const SIZE: i32 = 64;

    pub const fn new() -> FdSet {
        FdSet(0)
    }

    pub fn insert(&mut self, fd: i32) {
        if (0..Self::SIZE).contains(&fd) {
            self.0 |= 1 << fd;
        }
    }

    pub fn remove(&mut self, fd: i32) {
        if (0..Self::SIZE).contains(&fd) {
            self.0 &= !(1 << fd);
        }
    }

    pub fn contains(&self, fd: i32) -> bool {
        (0..Self::SIZE).contains(&fd) && self.0 & (1 << fd) != 0
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The descriptors in the set, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = i32> + '_ {
        (0..Self::SIZE).filter(|&fd| self.contains(fd))
    }
}

/// The poll request for `select`'s sets: one entry per descriptor in either.
fn requests(read: &FdSet, write: &FdSet) -> alloc::vec::Vec<PollFd> {
    let both = FdSet(read.0 | write.0);
    both.iter()
        .map(|fd| PollFd {
            fd,
            events: if read.contains(fd) { POLLIN } else { 0 }
                | if write.contains(fd) { POLLOUT } else { 0 },
            revents: 0,
        })
        .collect()
}

/// Keep in each set only its descriptors that poll found ready; how many bits stay
/// (a hang-up or an error counts as ready for what was asked, as in POSIX).
fn results(fds: &[PollFd], read: &mut FdSet, write: &mut FdSet) -> usize {
    let (mut r, mut w) = (FdSet::new(), FdSet::new());
    for p in fds {
        let trouble = p.revents & (POLLHUP | POLLERR | POLLNVAL) != 0;
        if p.events & POLLIN != 0 && (p.revents & POLLIN != 0 || trouble) {
            r.insert(p.fd);
        }
        if p.events & POLLOUT != 0 && (p.revents & POLLOUT != 0 || trouble) {
            w.insert(p.fd);
        }
    }
    *read = r;
    *write = w;
    (r.0.count_ones() + w.0.count_ones()) as usize
}

/// POSIX `select` without the exception set: wait until a descriptor of `read` can be
/// read or one of `write` written; the sets are cut down to those, and the result is
/// how many bits remain (0: the time ran out).
pub fn select(read: &mut FdSet, write: &mut FdSet, timeout: Option<Duration>) -> Result<usize> {
    let mut fds = requests(read, write);
    poll(&mut fds, timeout)?;
    Ok(results(&fds, read, write))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_sets_become_poll_requests_and_back() {
        let (mut r, mut w) = (FdSet::new(), FdSet::new());
        r.insert(0);
        r.insert(5);
        w.insert(5);
        w.insert(63);
        w.insert(64); // out of range: ignored
        let mut fds = requests(&r, &w);
        assert_eq!(
            fds.iter()
                .map(|p| (p.fd, p.events))
                .collect::<alloc::vec::Vec<_>>(),
            [(0, POLLIN), (5, POLLIN | POLLOUT), (63, POLLOUT)]
        );
        fds[0].revents = 0;
        fds[1].revents = POLLOUT;
        fds[2].revents = POLLHUP;
        assert_eq!(results(&fds, &mut r, &mut w), 2);
        assert!(r.is_empty());
        assert_eq!(w.iter().collect::<alloc::vec::Vec<_>>(), [5, 63]);
    }
}
