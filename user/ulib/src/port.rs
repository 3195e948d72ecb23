//! Message ports (docs/ipc.md): a server's [`Port`] receives messages, a client's
//! [`Client`] sends them or calls (sends and waits for the answer).
//!
//! ```ignore
//! let (port, client) = port::create(0)?;        // or: port.register("echo")?;
//! // server                                     // client: port::lookup("echo")?
//! let mut buf = [0u8; 64];
//! let m = port.receive(&mut buf, &mut [], None)?;
//! port.reply(m.token, &buf[..m.len], &[])?;
//! ```
//!
//! A message is bytes (at most [`MSG_MAX`]) and descriptors (at most [`FDS_MAX`]);
//! the receiver gets new descriptors for the same open files, and the sender's pid,
//! user and group as the kernel saw them. Timeouts are `Option<Duration>`: `None`
//! waits as long as it takes, `Some(Duration::ZERO)` not at all (EAGAIN), anything
//! else until then (ETIMEDOUT). Both types close their descriptor when dropped.

use crate::sys;
use crate::time::Duration;
use crate::Result;
use abi::flags::{PORT_FDS_MAX, TIMEOUT_FOREVER};
use abi::PortMsg;

/// The most bytes and descriptors one message carries.
pub const MSG_MAX: usize = abi::flags::PORT_MSG_MAX;
pub const FDS_MAX: usize = PORT_FDS_MAX;

/// The kernel's timeout word for `t`.
pub fn timeout_ns(t: Option<Duration>) -> u64 {
    match t {
        None => TIMEOUT_FOREVER,
        Some(d) => d.as_nanos().min(u128::from(TIMEOUT_FOREVER - 1)) as u64,
    }
}

/// What arrived: `len` bytes in the caller's buffer, `nfds` descriptors in its slice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    pub len: usize,
    pub nfds: usize,
    /// Non-zero when the sender waits for an answer ([`Port::reply`]).
    pub token: u64,
    /// Who sent it, as the kernel filled it in.
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
}

impl From<PortMsg> for Received {
    fn from(m: PortMsg) -> Self {
        Received {
            len: m.len as usize,
            nfds: m.nfds as usize,
            token: m.token,
            pid: m.pid,
            uid: m.uid,
            gid: m.gid,
        }
    }
}

/// A port's receiving end.
#[derive(Debug)]
pub struct Port {
    fd: i32,
}

/// A port's sending end.
#[derive(Debug)]
pub struct Client {
    fd: i32,
}

/// A new port queueing up to `capacity` messages (0: the kernel's default), with
/// its first sending end.
pub fn create(capacity: u32) -> Result<(Port, Client)> {
    let mut fds = [0; 2];
    sys::port_create(&mut fds, capacity, 0)?;
    Ok((Port { fd: fds[0] }, Client { fd: fds[1] }))
}

/// A sending end of the port registered as `name`.
pub fn lookup(name: &str) -> Result<Client> {
    let fd = sys::port_lookup(name, 0)? as i32;
    Ok(Client { fd })
}

impl Port {
    /// Adopt a receiving end's descriptor (one inherited or passed).
    pub fn from_raw_fd(fd: i32) -> Port {
        Port { fd }
    }

    pub fn as_raw_fd(&self) -> i32 {
        self.fd
    }

    /// Another descriptor for the same receiving end (`dup`).
    pub fn try_clone(&self) -> Result<Port> {
        Ok(Port {
            fd: sys::dup(self.fd)? as i32,
        })
    }

    /// Give the port a name that [`lookup`] finds (until its last receiving end closes).
    pub fn register(&self, name: &str) -> Result<()> {
        sys::port_register(self.fd, name).map(|_| ())
    }

    /// Give the port a name with permission bits `mode` (a lookup needs `w` in the
    /// class that applies to the caller); `replace` takes over a name the caller owns.
    pub fn register_mode(&self, name: &str, mode: u32, replace: bool) -> Result<()> {
        let flags = if replace { abi::flags::PORT_REPLACE } else { 0 };
        sys::port_register_mode(self.fd, name, mode, flags).map(|_| ())
    }

    /// Take the next message: its bytes into `buf`, its descriptors into `fds`.
    /// EMSGSIZE (the message left queued) when either is too small.
    pub fn receive(
        &self,
        buf: &mut [u8],
        fds: &mut [i32],
        timeout: Option<Duration>,
    ) -> Result<Received> {
        let mut m = PortMsg::default();
        sys::port_receive(self.fd, buf, fds, timeout_ns(timeout), &mut m)?;
        Ok(m.into())
    }

    /// Answer the call whose message came with `token`.
    pub fn reply(&self, token: u64, data: &[u8], fds: &[i32]) -> Result<()> {
        sys::port_reply(self.fd, token, data, fds).map(|_| ())
    }

    /// Answer call `token`, then take the next message (a server's loop in one
    /// system call). If the answer fails (EPIPE: the caller gave up) nothing is
    /// received.
    pub fn reply_receive(
        &self,
        token: u64,
        data: &[u8],
        fds: &[i32],
        buf: &mut [u8],
        buf_fds: &mut [i32],
        timeout: Option<Duration>,
    ) -> Result<Received> {
        let mut m = PortMsg::default();
        sys::port_reply_receive(
            self.fd,
            token,
            (data, fds),
            (buf, buf_fds),
            timeout_ns(timeout),
            &mut m,
        )?;
        Ok(m.into())
    }

    /// The fast path's server loop step (docs/ipc.md "The fast path"): answer call
    /// `token` (0: none) with `answer`, then wait for the next message of at most
    /// [`SHORT_MAX`] bytes and no descriptors, carried in registers. The timeout is
    /// counted in whole milliseconds.
    pub fn reply_receive_short(
        &self,
        token: u64,
        answer: &Short,
        timeout: Option<Duration>,
    ) -> Result<ShortReceived> {
        sys::port_reply_receive_short(self.fd, token, answer, timeout_ns(timeout))
    }
}

/// A short message: up to [`SHORT_MAX`] bytes as four words (see `sys::Short`).
pub use sys::{Short, ShortReceived};
/// The most bytes a short message carries.
pub const SHORT_MAX: usize = abi::flags::PORT_SHORT_MAX;

impl Short {
    /// A short message of `bytes` (at most [`SHORT_MAX`]; more are cut off).
    pub fn from_bytes(bytes: &[u8]) -> Short {
        let mut b = [0u8; SHORT_MAX];
        let n = bytes.len().min(SHORT_MAX);
        b[..n].copy_from_slice(&bytes[..n]);
        let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        Short {
            words: [w(0), w(1), w(2), w(3)],
            len: n as u32,
        }
    }

    /// The message's bytes.
    pub fn bytes(&self) -> ([u8; SHORT_MAX], usize) {
        let mut b = [0u8; SHORT_MAX];
        for (i, w) in self.words.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        (b, (self.len as usize).min(SHORT_MAX))
    }
}

impl Client {
    /// Adopt a sending end's descriptor (one inherited or passed).
    pub fn from_raw_fd(fd: i32) -> Client {
        Client { fd }
    }

    pub fn as_raw_fd(&self) -> i32 {
        self.fd
    }

    /// Another descriptor for the same sending end (`dup`).
    pub fn try_clone(&self) -> Result<Client> {
        Ok(Client {
            fd: sys::dup(self.fd)? as i32,
        })
    }

    /// Queue `data` and `fds` (EPIPE when nobody receives any more).
    pub fn send(&self, data: &[u8], fds: &[i32], timeout: Option<Duration>) -> Result<()> {
        sys::port_send(self.fd, data, fds, timeout_ns(timeout)).map(|_| ())
    }

    /// Send `data` and `fds`, and wait for the answer (into `reply` and `reply_fds`).
    /// ECONNRESET when the server's end closed before answering.
    pub fn call(
        &self,
        data: &[u8],
        fds: &[i32],
        reply: &mut [u8],
        reply_fds: &mut [i32],
        timeout: Option<Duration>,
    ) -> Result<Received> {
        let mut m = PortMsg::default();
        sys::port_call(
            self.fd,
            data,
            fds,
            reply,
            reply_fds,
            timeout_ns(timeout),
            &mut m,
        )?;
        Ok(m.into())
    }

    /// A call of at most [`SHORT_MAX`] bytes whose answer is as short, both carried in
    /// registers: when the server waits in [`Port::reply_receive_short`], the message
    /// goes straight to it (docs/ipc.md "The fast path").
    pub fn call_short(&self, msg: &Short, timeout: Option<Duration>) -> Result<Short> {
        sys::port_call_short(self.fd, msg, timeout_ns(timeout))
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        let _ = sys::close(self.fd);
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = sys::close(self.fd);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_map_to_the_kernel_words() {
        assert_eq!(timeout_ns(None), u64::MAX);
        assert_eq!(timeout_ns(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ns(Some(Duration::from_millis(5))), 5_000_000);
        assert_eq!(timeout_ns(Some(Duration::MAX)), u64::MAX - 1);
    }
}
