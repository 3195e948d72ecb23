//! System information (chapter 2, information maintenance): the system's name, memory
//! and uptime, the process table, and CPU time, each as a typed value.

use crate::{sys, Result};
use abi::{ProcInfo, SysInfo, Tms, Utsname};
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

/// A NUL-padded byte field as text.
pub fn field(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// `uname`'s answer as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uname {
    pub sysname: String,
    pub nodename: String,
    pub release: String,
    pub version: String,
    pub machine: String,
}

pub fn uname() -> Result<Uname> {
    let mut u = Utsname {
        sysname: [0; 32],
        nodename: [0; 32],
        release: [0; 32],
        version: [0; 64],
        machine: [0; 32],
    };
    sys::uname(&mut u)?;
    Ok(Uname {
        sysname: field(&u.sysname),
        nodename: field(&u.nodename),
        release: field(&u.release),
        version: field(&u.version),
        machine: field(&u.machine),
    })
}

/// Memory, uptime and process counts.
pub fn sysinfo() -> Result<SysInfo> {
    let mut s = SysInfo::default();
    sys::sysinfo(&mut s)?;
    Ok(s)
}

/// Time since boot.
pub fn uptime() -> Result<Duration> {
    Ok(Duration::from_nanos(sysinfo()?.uptime_ns))
}

/// One process, for `ps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub ppid: u32,
    pub pgid: u32,
    pub uid: u32,
    /// 'R', 'S', 'Z' or 'T'.
    pub state: char,
    pub threads: u32,
    /// The CPU it last ran on.
    pub cpu: u32,
    pub user_time: Duration,
    pub sys_time: Duration,
    pub mem_bytes: u64,
    /// System calls it has made.
    pub syscalls: u64,
    pub name: String,
    /// A Linux program (run by the Linux personality), not a native one.
    pub linux: bool,
}

impl From<&ProcInfo> for Process {
    fn from(p: &ProcInfo) -> Process {
        Process {
            pid: p.pid,
            ppid: p.ppid,
            pgid: p.pgid,
            uid: p.uid,
            state: char::from_u32(p.state).unwrap_or('?'),
            threads: p.threads,
            cpu: p.cpu,
            user_time: Duration::from_nanos(p.user_ns),
            sys_time: Duration::from_nanos(p.sys_ns),
            mem_bytes: p.mem_bytes,
            syscalls: p.syscalls,
            name: field(&p.name),
            linux: p.personality == abi::PERSONALITY_LINUX,
        }
    }
}

/// Every process, by pid.
pub fn processes() -> Result<Vec<Process>> {
    let empty = ProcInfo {
        pid: 0,
        ppid: 0,
        pgid: 0,
        uid: 0,
        state: 0,
        threads: 0,
        cpu: 0,
        personality: 0,
        user_ns: 0,
        sys_ns: 0,
        mem_bytes: 0,
        syscalls: 0,
        name: [0; 32],
    };
    let mut cap = 64;
    loop {
        let mut buf = alloc::vec![empty; cap];
        let n = sys::proclist(&mut buf)?;
        if n < cap || cap >= 65536 {
            let mut v: Vec<Process> = buf[..n.min(cap)].iter().map(Process::from).collect();
            v.sort_by_key(|p| p.pid);
            return Ok(v);
        }
        cap *= 4;
    }
}

/// CPU time of this process and of its waited-for children.
pub fn times() -> Result<Tms> {
    let mut t = Tms::default();
    sys::times(&mut t)?;
    Ok(t)
}

pub fn getuid() -> u32 {
    sys::getuid().unwrap_or(0) as u32
}

pub fn getgid() -> u32 {
    sys::getgid().unwrap_or(0) as u32
}

pub fn geteuid() -> u32 {
    sys::geteuid().unwrap_or(0) as u32
}

pub fn getegid() -> u32 {
    sys::getegid().unwrap_or(0) as u32
}

/// The supplementary groups.
pub fn getgroups() -> Vec<u32> {
    let mut v = alloc::vec![0u32; abi::flags::NGROUPS_MAX];
    let n = sys::getgroups(&mut v).unwrap_or(0);
    v.truncate(n);
    v
}

/// Flush the file system and power off; returns the error if refused.
pub fn poweroff() -> crate::Errno {
    crate::io::flush_stdout();
    let _ = sys::sync();
    sys::poweroff().err().unwrap_or(crate::Errno::EIO)
}

/// Flush the file system and restart; returns the error if refused.
pub fn reboot() -> crate::Errno {
    crate::io::flush_stdout();
    let _ = sys::sync();
    sys::reboot().err().unwrap_or(crate::Errno::EIO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_padded_fields_become_text() {
        assert_eq!(field(b"dinos\0\0\0"), "dinos");
        assert_eq!(field(b"full"), "full");
    }
}
