//! What a file system is and where it hangs (chapter 2, file management): `statfs`,
//! `mount` and `umount`, the mount table read from `/proc/mounts`, and `sync`.

use crate::{sys, Result};
use alloc::string::String;
use alloc::vec::Vec;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
