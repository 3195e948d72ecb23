//! The shell's file-system questions answered with system calls, and file reading.
//!
//! Chapter 2 section 2-1 (the command interpreter) meets 3-2 (file management):
//! finding `rm` in `/bin`, expanding `*.txt` and completing a file name all come down
//! to `stat` (what is this path) and `getdents` (what names are in this directory).
//!
//! Design decision: this is the only place `sh` reads directories; it implements
//! `shcore::fsview::FsView`, so the search, glob and completion logic it feeds is the
//! host-tested code in `shcore`.

use alloc::string::String;
use alloc::vec::Vec;

use shcore::fsview::{Entry, FsView, Probe};
use ulib::abi::flags::{
    DT_DIR, DT_LNK, DT_UNKNOWN, O_DIRECTORY, O_RDONLY, S_IFDIR, S_IFMT, S_IFREG,
};
use ulib::abi::{Stat, DIRENT_HEADER};
use ulib::{sys, Errno};

/// The real file system.
pub struct SysFs;

impl FsView for SysFs {
    fn probe(&self, path: &str) -> Probe {
        let mut st = Stat::default();
        if sys::stat(path, &mut st).is_err() {
            return Probe::Missing;
        }
        match st.mode & S_IFMT {
            S_IFDIR => Probe::Dir,
            S_IFREG => Probe::File {
                executable: st.mode & 0o111 != 0,
            },
            _ => Probe::Other,
        }
    }

    fn list(&self, dir: &str) -> Option<Vec<Entry>> {
        read_dir(dir).ok()
    }
}

/// The names in `dir`, without `.` and `..`.
pub fn read_dir(dir: &str) -> Result<Vec<Entry>, Errno> {
    let fd = sys::open(dir, O_RDONLY | O_DIRECTORY, 0)? as i32;
    let mut out = Vec::new();
    let mut buf = alloc::vec![0u8; 4096];
    let result = loop {
        let n = match sys::getdents(fd, &mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n.min(buf.len()),
            Err(e) => break Err(e),
        };
        let mut at = 0;
        while at + DIRENT_HEADER <= n {
            let reclen = usize::from(u16::from_le_bytes([buf[at + 8], buf[at + 9]]));
            let kind = buf[at + 10];
            let namelen = usize::from(buf[at + 11]);
            let start = at + DIRENT_HEADER;
            if reclen == 0 || start + namelen > n {
                break;
            }
            let name = String::from_utf8_lossy(&buf[start..start + namelen]).into_owned();
            if name != "." && name != ".." {
                out.push(Entry {
                    name,
                    is_dir: match kind {
                        DT_DIR => Some(true),
                        DT_UNKNOWN | DT_LNK => None,
                        _ => Some(false),
                    },
                });
            }
            at += reclen;
        }
    };
    let _ = sys::close(fd);
    result.map(|_| out)
}

/// The whole contents of the file at `path`.
pub fn read_file(path: &str) -> Result<Vec<u8>, Errno> {
    let fd = sys::open(path, O_RDONLY, 0)? as i32;
    let r = read_fd_to_end(fd);
    let _ = sys::close(fd);
    r
}

/// Everything readable from `fd` until end of file.
pub fn read_fd_to_end(fd: i32) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match sys::read(fd, &mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The first bytes of the file at `path` (for `#!` lines).
pub fn read_head(path: &str, len: usize) -> Result<Vec<u8>, Errno> {
    let fd = sys::open(path, O_RDONLY, 0)? as i32;
    let mut buf = alloc::vec![0u8; len];
    let r = sys::read(fd, &mut buf);
    let _ = sys::close(fd);
    buf.truncate(r?);
    Ok(buf)
}
