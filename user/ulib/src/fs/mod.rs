//! Files and directories (chapter 2, file management): open, read, write, seek, status,
//! directory listing, links, creation and removal.
//!
//! A [`File`] owns its descriptor and closes it when dropped. Directory listing reads
//! the kernel's packed `getdents` records (parsed by the pure [`parse_dirents`], tested
//! on the host) and, like `std`, leaves out `.` and `..`.

use crate::io::{Read, Write};
use crate::{sys, Errno, Result};
use abi::flags::*;
use abi::Stat;
use alloc::string::String;
use alloc::vec::Vec;

mod dir;
mod mount;

pub use dir::*;
pub use mount::*;

/// An open file; closed when dropped.
#[derive(Debug)]
pub struct File {
    fd: i32,
}

/// Where a seek is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekFrom {
    Start(u64),
    Current(i64),
    End(i64),
}

impl File {
    /// Open for reading.
    pub fn open(path: &str) -> Result<File> {
        OpenOptions::new().read(true).open(path)
    }

    /// Open for writing, creating or emptying it.
    pub fn create(path: &str) -> Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
    }

    /// Take ownership of a descriptor (it will be closed on drop).
    pub fn from_raw_fd(fd: i32) -> File {
        File { fd }
    }

    pub fn as_raw_fd(&self) -> i32 {
        self.fd
    }

    /// Give up ownership: the descriptor stays open.
    pub fn into_raw_fd(self) -> i32 {
        let fd = self.fd;
        core::mem::forget(self);
        fd
    }

    pub fn metadata(&self) -> Result<Metadata> {
        let mut st = Stat::default();
        sys::fstat(self.fd, &mut st)?;
        Ok(Metadata(st))
    }

    /// Move the offset: the new offset from the start.
    pub fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        let (off, whence) = match pos {
            SeekFrom::Start(n) => (n as i64, SEEK_SET),
            SeekFrom::Current(n) => (n, SEEK_CUR),
            SeekFrom::End(n) => (n, SEEK_END),
        };
        sys::lseek(self.fd, off, whence).map(|n| n as u64)
    }

    pub fn set_len(&self, len: u64) -> Result<()> {
        sys::ftruncate(self.fd, len).map(|_| ())
    }

    /// Put the file's data and metadata on the disk (`fsync`).
    pub fn sync_all(&self) -> Result<()> {
        sys::fsync(self.fd).map(|_| ())
    }

    /// Put the file's data on the disk, with the metadata reading it back needs
    /// (`fdatasync`).
    pub fn sync_data(&self) -> Result<()> {
        sys::fdatasync(self.fd).map(|_| ())
    }

    /// Read at `offset` without moving the file offset (`pread`).
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<usize> {
        sys::pread(self.fd, buf, offset)
    }

    /// Write at `offset` without moving the file offset (`pwrite`).
    pub fn write_at(&self, buf: &[u8], offset: u64) -> Result<usize> {
        sys::pwrite(self.fd, buf, offset)
    }

    /// A second descriptor for the same open file.
    pub fn try_clone(&self) -> Result<File> {
        sys::dup(self.fd).map(|fd| File { fd: fd as i32 })
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let _ = sys::close(self.fd);
    }
}

impl Read for File {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        sys::read(self.fd, buf)
    }
}

impl Write for File {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        sys::write(self.fd, buf)
    }
}

/// How to open a file, `std`'s builder.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    create_new: bool,
    mode: u32,
    extra: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenOptions {
    pub fn new() -> OpenOptions {
        OpenOptions {
            read: false,
            write: false,
            append: false,
            truncate: false,
            create: false,
            create_new: false,
            mode: 0o666,
            extra: 0,
        }
    }
    pub fn read(&mut self, on: bool) -> &mut Self {
        self.read = on;
        self
    }
    pub fn write(&mut self, on: bool) -> &mut Self {
        self.write = on;
        self
    }
    pub fn append(&mut self, on: bool) -> &mut Self {
        self.append = on;
        self
    }
    pub fn truncate(&mut self, on: bool) -> &mut Self {
        self.truncate = on;
        self
    }
    pub fn create(&mut self, on: bool) -> &mut Self {
        self.create = on;
        self
    }
    /// Create, failing with EEXIST if it exists.
    pub fn create_new(&mut self, on: bool) -> &mut Self {
        self.create_new = on;
        self
    }
    /// Permission bits for a created file (default 0o666).
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = mode;
        self
    }
    /// Extra `O_*` flags (e.g. `O_NONBLOCK`, `O_CLOEXEC`, `O_DIRECTORY`).
    pub fn custom_flags(&mut self, flags: u32) -> &mut Self {
        self.extra = flags;
        self
    }

    /// The `open` flags these options mean.
    pub fn flags(&self) -> u32 {
        let writing = self.write || self.append;
        let mut f = match (self.read, writing) {
            (_, false) => O_RDONLY,
            (false, true) => O_WRONLY,
            (true, true) => O_RDWR,
        };
        if self.append {
            f |= O_APPEND;
        }
        if self.truncate {
            f |= O_TRUNC;
        }
        if self.create_new {
            f |= O_CREAT | O_EXCL;
        } else if self.create {
            f |= O_CREAT;
        }
        f | self.extra
    }

    pub fn open(&self, path: &str) -> Result<File> {
        sys::open(path, self.flags(), self.mode).map(|fd| File { fd: fd as i32 })
    }
}

/// What `stat` says about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata(pub Stat);

impl Metadata {
    pub fn is_dir(&self) -> bool {
        self.0.mode & S_IFMT == S_IFDIR
    }
    pub fn is_file(&self) -> bool {
        self.0.mode & S_IFMT == S_IFREG
    }
    pub fn is_symlink(&self) -> bool {
        self.0.mode & S_IFMT == S_IFLNK
    }
    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.0.size
    }
    pub fn is_empty(&self) -> bool {
        self.0.size == 0
    }
    /// The whole `st_mode`: type bits and permission bits.
    pub fn mode(&self) -> u32 {
        self.0.mode
    }
    /// Permission bits only.
    pub fn permissions(&self) -> u32 {
        self.0.mode & 0o7777
    }
    /// Last modification, seconds since 1970 (UTC).
    pub fn mtime(&self) -> i64 {
        self.0.mtime
    }
    pub fn atime(&self) -> i64 {
        self.0.atime
    }
    pub fn ctime(&self) -> i64 {
        self.0.ctime
    }
    pub fn nlink(&self) -> u32 {
        self.0.nlink
    }
    pub fn uid(&self) -> u32 {
        self.0.uid
    }
    pub fn gid(&self) -> u32 {
        self.0.gid
    }
    pub fn ino(&self) -> u64 {
        self.0.ino
    }
    pub fn dev(&self) -> u64 {
        self.0.dev
    }
    pub fn rdev(&self) -> u64 {
        self.0.rdev
    }
    pub fn blocks(&self) -> u64 {
        self.0.blocks
    }
    /// The mode as `ls -l` prints it, e.g. `drwxr-xr-x`.
    pub fn mode_string(&self) -> String {
        mode_string(self.0.mode)
    }
}

/// `ls -l`'s ten-character mode, e.g. `-rw-r--r--`, `drwxrwxrwt`, `lrwxrwxrwx`.
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & S_IFMT {
        S_IFDIR => 'd',
        S_IFLNK => 'l',
        S_IFCHR => 'c',
        S_IFBLK => 'b',
        S_IFIFO => 'p',
        S_IFSOCK => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    let specials = [(0o4000, 's', 'S'), (0o2000, 's', 'S'), (0o1000, 't', 'T')];
    for (i, (bit, lower, upper)) in specials.iter().enumerate() {
        let shift = 6 - 3 * i as u32;
        let rwx = (mode >> shift) & 7;
        s.push(if rwx & 4 != 0 { 'r' } else { '-' });
        s.push(if rwx & 2 != 0 { 'w' } else { '-' });
        s.push(match (rwx & 1 != 0, mode & bit != 0) {
            (true, true) => *lower,
            (false, true) => *upper,
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// Status of the file `path` names, following symbolic links.
pub fn metadata(path: &str) -> Result<Metadata> {
    let mut st = Stat::default();
    sys::stat(path, &mut st)?;
    Ok(Metadata(st))
}

/// Status of `path` itself (a symbolic link is not followed).
pub fn symlink_metadata(path: &str) -> Result<Metadata> {
    let mut st = Stat::default();
    sys::lstat(path, &mut st)?;
    Ok(Metadata(st))
}

/// Whether something exists at `path`.
pub fn exists(path: &str) -> bool {
    symlink_metadata(path).is_ok()
}

/// The whole file.
pub fn read(path: &str) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    File::open(path)?.read_to_end(&mut v)?;
    Ok(v)
}

/// The whole file as text (invalid UTF-8 replaced).
pub fn read_to_string(path: &str) -> Result<String> {
    let mut s = String::new();
    File::open(path)?.read_to_string(&mut s)?;
    Ok(s)
}

/// Create or replace `path` with `contents`.
pub fn write(path: &str, contents: &[u8]) -> Result<()> {
    File::create(path)?.write_all(contents)
}

pub fn create_dir(path: &str) -> Result<()> {
    sys::mkdir(path, 0o777).map(|_| ())
}

/// Create a directory and any missing parents.
pub fn create_dir_all(path: &str) -> Result<()> {
    if path.is_empty() || path == "/" {
        return Ok(());
    }
    match create_dir(path) {
        Ok(()) => Ok(()),
        Err(Errno::EEXIST) if metadata(path).map(|m| m.is_dir()).unwrap_or(false) => Ok(()),
        Err(Errno::ENOENT) => {
            let parent = path.trim_end_matches('/').rsplit_once('/').map(|(p, _)| p);
            match parent {
                Some(p) if !p.is_empty() => create_dir_all(p)?,
                _ => return Err(Errno::ENOENT),
            }
            match create_dir(path) {
                Err(Errno::EEXIST) => Ok(()),
                r => r,
            }
        }
        Err(e) => Err(e),
    }
}

pub fn remove_file(path: &str) -> Result<()> {
    sys::unlink(path).map(|_| ())
}

pub fn remove_dir(path: &str) -> Result<()> {
    sys::rmdir(path).map(|_| ())
}

pub fn rename(from: &str, to: &str) -> Result<()> {
    sys::rename(from, to).map(|_| ())
}

/// Make `link` a second name for `original`.
pub fn hard_link(original: &str, link: &str) -> Result<()> {
    sys::link(original, link).map(|_| ())
}

/// Make `link` a symbolic link to `target`.
pub fn symlink(target: &str, link: &str) -> Result<()> {
    sys::symlink(target, link).map(|_| ())
}

/// The target a symbolic link names.
pub fn read_link(path: &str) -> Result<String> {
    let mut buf = alloc::vec![0u8; 4096];
    let n = sys::readlink(path, &mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..n.min(buf.len())]).into_owned())
}

/// Set the permission bits of `path` (`chmod`; only the low 12 bits count).
pub fn set_permissions(path: &str, mode: u32) -> Result<()> {
    sys::chmod(path, mode & 0o7777).map(|_| ())
}

/// [`set_permissions`] under its Unix name.
pub fn chmod(path: &str, mode: u32) -> Result<()> {
    set_permissions(path, mode)
}

/// A time for [`set_times`]: seconds since 1970, now, or unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileTime {
    At(u64),
    Now,
    Omit,
}

impl FileTime {
    fn raw(self) -> u64 {
        match self {
            FileTime::At(s) => s.min(abi::UTIME_OMIT - 1),
            FileTime::Now => abi::UTIME_NOW,
            FileTime::Omit => abi::UTIME_OMIT,
        }
    }
}

/// Set the access and modification times of `path` (`utimes`).
pub fn set_times(path: &str, accessed: FileTime, modified: FileTime) -> Result<()> {
    sys::utimes(path, accessed.raw(), modified.raw()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_strings_match_ls() {
        assert_eq!(mode_string(S_IFDIR | 0o755), "drwxr-xr-x");
        assert_eq!(mode_string(S_IFREG | 0o644), "-rw-r--r--");
        assert_eq!(mode_string(S_IFDIR | 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(S_IFLNK | 0o777), "lrwxrwxrwx");
        assert_eq!(mode_string(S_IFREG | 0o4644), "-rwSr--r--");
        assert_eq!(mode_string(S_IFCHR | 0o666), "crw-rw-rw-");
    }

    #[test]
    fn open_options_map_to_flags() {
        assert_eq!(OpenOptions::new().read(true).flags(), O_RDONLY);
        assert_eq!(
            OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .flags(),
            O_WRONLY | O_CREAT | O_TRUNC
        );
        assert_eq!(OpenOptions::new().append(true).flags(), O_WRONLY | O_APPEND);
        assert_eq!(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .flags(),
            O_RDWR | O_CREAT | O_EXCL
        );
    }
}
