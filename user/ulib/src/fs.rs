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

/// What `statfs` says about the file system holding a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsStats(pub abi::StatFs);

impl FsStats {
    /// The type name, e.g. `ext2`, `tmpfs`.
    pub fn fs_type(&self) -> &str {
        let t = &self.0.fs_type;
        let n = t.iter().position(|&b| b == 0).unwrap_or(t.len());
        core::str::from_utf8(&t[..n]).unwrap_or("?")
    }
    pub fn block_size(&self) -> u64 {
        self.0.block_size
    }
    /// Size in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.0.blocks.saturating_mul(self.0.block_size)
    }
    /// Bytes in use.
    pub fn used_bytes(&self) -> u64 {
        self.0
            .blocks
            .saturating_sub(self.0.free_blocks)
            .saturating_mul(self.0.block_size)
    }
    /// Bytes an ordinary user may still allocate.
    pub fn avail_bytes(&self) -> u64 {
        self.0.avail_blocks.saturating_mul(self.0.block_size)
    }
}

/// Status of the file system holding `path` (`statfs`).
pub fn statfs(path: &str) -> Result<FsStats> {
    let mut st = abi::StatFs::default();
    sys::statfs(path, &mut st)?;
    Ok(FsStats(st))
}

/// Mount a file system of type `fstype` from `source` on the directory `target`.
pub fn mount(source: &str, target: &str, fstype: &str) -> Result<()> {
    sys::mount(target, fstype, source).map(|_| ())
}

/// Unmount the file system mounted on `target`.
pub fn umount(target: &str) -> Result<()> {
    sys::umount(target).map(|_| ())
}

/// One line of the mount table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub source: String,
    pub target: String,
    pub fs_type: String,
    pub read_only: bool,
    /// Mounted `nosuid`: set-id bits ignored.
    pub nosuid: bool,
}

/// Parse the `mounts` text: lines `SOURCE TARGET FSTYPE rw|ro[,nosuid]`; malformed
/// lines skipped.
pub fn parse_mounts(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (source, target, fs_type) = (w.next()?, w.next()?, w.next()?);
            Some(Mount {
                source: source.into(),
                target: target.into(),
                fs_type: fs_type.into(),
                read_only: false,
                nosuid: false,
            })
            .map(|mut m| {
                let opts = w.next().unwrap_or("rw");
                m.read_only = opts.split(',').next() == Some("ro");
                m.nosuid = opts.split(',').any(|o| o == "nosuid");
                m
            })
        })
        .collect()
}

/// The mounted file systems, in the kernel's order.
pub fn mounts() -> Result<Vec<Mount>> {
    let mut buf = alloc::vec![0u8; 4096];
    loop {
        let n = sys::mounts(&mut buf)?;
        if n < buf.len() || buf.len() >= 1 << 20 {
            let text = String::from_utf8_lossy(&buf[..n.min(buf.len())]);
            return Ok(parse_mounts(&text));
        }
        let bigger = buf.len() * 2;
        buf.resize(bigger, 0);
    }
}

/// Write every modified block of every file system to its device (`sync`).
pub fn sync() -> Result<()> {
    sys::sync().map(|_| ())
}

/// One raw directory record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDirent {
    pub ino: u64,
    /// `DT_*`.
    pub kind: u8,
    pub name: String,
}

/// Parse a `getdents` buffer: `u64 ino, u16 reclen, u8 type, u8 namelen, name`, each
/// record padded to 8 bytes. Stops at the first malformed record.
pub fn parse_dirents(buf: &[u8]) -> Vec<RawDirent> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + abi::DIRENT_HEADER <= buf.len() {
        let h = &buf[at..at + abi::DIRENT_HEADER];
        let ino = u64::from_le_bytes(h[0..8].try_into().unwrap_or([0; 8]));
        let reclen = u16::from_le_bytes([h[8], h[9]]) as usize;
        let kind = h[10];
        let namelen = h[11] as usize;
        let name_end = at + abi::DIRENT_HEADER + namelen;
        if reclen < abi::DIRENT_HEADER + namelen || at + reclen > buf.len() {
            break;
        }
        let name = String::from_utf8_lossy(&buf[at + abi::DIRENT_HEADER..name_end]).into_owned();
        out.push(RawDirent { ino, kind, name });
        at += reclen;
    }
    out
}

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    dir: String,
    raw: RawDirent,
}

impl DirEntry {
    pub fn file_name(&self) -> &str {
        &self.raw.name
    }
    /// The directory's path joined with the name.
    pub fn path(&self) -> String {
        join(&self.dir, &self.raw.name)
    }
    pub fn ino(&self) -> u64 {
        self.raw.ino
    }
    /// The `DT_*` type the directory records.
    pub fn file_type(&self) -> u8 {
        self.raw.kind
    }
    /// Status of the entry itself (`lstat`).
    pub fn metadata(&self) -> Result<Metadata> {
        symlink_metadata(&self.path())
    }
}

/// `dir/name`, without doubling a slash.
pub fn join(dir: &str, name: &str) -> String {
    let mut p = String::from(dir);
    if !p.ends_with('/') && !p.is_empty() {
        p.push('/');
    }
    p.push_str(name);
    p
}

/// Iterator over a directory's entries (without `.` and `..`).
pub struct ReadDir {
    dir: String,
    file: File,
    pending: alloc::collections::VecDeque<RawDirent>,
    done: bool,
}

/// List the directory `path`.
pub fn read_dir(path: &str) -> Result<ReadDir> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(O_DIRECTORY)
        .open(path)?;
    Ok(ReadDir {
        dir: String::from(path),
        file,
        pending: Default::default(),
        done: false,
    })
}

impl Iterator for ReadDir {
    type Item = Result<DirEntry>;
    fn next(&mut self) -> Option<Result<DirEntry>> {
        loop {
            if let Some(raw) = self.pending.pop_front() {
                if raw.name == "." || raw.name == ".." {
                    continue;
                }
                return Some(Ok(DirEntry {
                    dir: self.dir.clone(),
                    raw,
                }));
            }
            if self.done {
                return None;
            }
            let mut buf = [0u8; 2048];
            match sys::getdents(self.file.as_raw_fd(), &mut buf) {
                Ok(0) => self.done = true,
                Ok(n) => {
                    let recs = parse_dirents(&buf[..n.min(buf.len())]);
                    if recs.is_empty() {
                        self.done = true; // malformed: stop rather than loop
                    }
                    self.pending.extend(recs);
                }
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ino: u64, kind: u8, name: &str) -> Vec<u8> {
        let len = (abi::DIRENT_HEADER + name.len()).div_ceil(8) * 8;
        let mut r = Vec::new();
        r.extend_from_slice(&ino.to_le_bytes());
        r.extend_from_slice(&(len as u16).to_le_bytes());
        r.push(kind);
        r.push(name.len() as u8);
        r.extend_from_slice(name.as_bytes());
        r.resize(len, 0);
        r
    }

    #[test]
    fn dirent_records_are_parsed_with_their_padding() {
        let mut buf = record(2, DT_DIR, ".");
        buf.extend(record(11, DT_REG, "hello.txt"));
        buf.extend(record(12, DT_LNK, "a-rather-long-name"));
        let names: Vec<_> = parse_dirents(&buf)
            .into_iter()
            .map(|d| (d.ino, d.kind, d.name))
            .collect();
        assert_eq!(
            names,
            [
                (2, DT_DIR, ".".into()),
                (11, DT_REG, "hello.txt".into()),
                (12, DT_LNK, "a-rather-long-name".into())
            ]
        );
    }

    #[test]
    fn a_truncated_record_ends_the_parse() {
        let mut buf = record(5, DT_REG, "ok");
        buf.extend(record(6, DT_REG, "cut-short"));
        buf.truncate(buf.len() - 4);
        assert_eq!(parse_dirents(&buf).len(), 1);
    }

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

    #[test]
    fn mount_lines_are_parsed() {
        let m =
            parse_mounts("/dev/disk0 / ext2 rw\nnone /tmp tmpfs ro\nbad\nx /m tmpfs rw,nosuid\n");
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].target.as_str(), m[0].read_only), ("/", false));
        assert_eq!((m[1].fs_type.as_str(), m[1].read_only), ("tmpfs", true));
        assert!(!m[0].nosuid && !m[1].nosuid);
        assert!(m[2].nosuid && !m[2].read_only);
    }

    #[test]
    fn join_adds_one_slash() {
        assert_eq!(join("/", "bin"), "/bin");
        assert_eq!(join("/etc", "rc"), "/etc/rc");
        assert_eq!(join("a/", "b"), "a/b");
    }
}
