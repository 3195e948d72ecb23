//! `tar`: the POSIX ustar archive format (IEEE 1003.1-1988): each member is a 512-byte
//! header (name, octal mode, ids, size and time, a checksum, a type, `ustar\0` `00`)
//! followed by its data padded to 512 bytes; two zero blocks end the archive. Names
//! longer than 100 bytes are split at a `/` into the 155-byte prefix and the name.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

pub const BLOCK: usize = 512;

/// What a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    /// Another type (hard link, device, FIFO...): listed, not extracted.
    Other(u8),
}

/// One member's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub mtime: i64,
    pub kind: Kind,
    pub link: String,
    pub uname: String,
    pub gname: String,
}

/// Why a header could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TarError {
    NameTooLong(String),
    BadChecksum,
    BadNumber,
    Truncated,
}

impl core::fmt::Display for TarError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TarError::NameTooLong(n) => write!(f, "{n}: file name is too long for ustar"),
            TarError::BadChecksum => {
                f.write_str("this does not look like a tar archive (bad checksum)")
            }
            TarError::BadNumber => f.write_str("bad number in a header"),
            TarError::Truncated => f.write_str("unexpected end of archive"),
        }
    }
}

fn put_str(h: &mut [u8], at: usize, len: usize, s: &[u8]) {
    h[at..at + s.len().min(len)].copy_from_slice(&s[..s.len().min(len)]);
}

/// An octal number in a field of `len` bytes: `len - 1` digits and a NUL.
fn put_octal(h: &mut [u8], at: usize, len: usize, v: u64) {
    let s = alloc::format!("{v:0w$o}", w = len - 1);
    put_str(h, at, len, s.as_bytes());
}

fn get_str(h: &[u8], at: usize, len: usize) -> String {
    let f = &h[at..at + len];
    let end = f.iter().position(|&b| b == 0).unwrap_or(len);
    String::from_utf8_lossy(&f[..end]).into_owned()
}

fn get_octal(h: &[u8], at: usize, len: usize) -> Result<u64, TarError> {
    let mut v: u64 = 0;
    let mut seen = false;
    for &b in &h[at..at + len] {
        match b {
            b'0'..=b'7' => {
                v = v.checked_mul(8).ok_or(TarError::BadNumber)? + (b - b'0') as u64;
                seen = true;
            }
            b' ' if !seen => {}
            0 | b' ' => break,
            _ => return Err(TarError::BadNumber),
        }
    }
    Ok(v)
}

fn checksum(h: &[u8]) -> u64 {
    h.iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                b' ' as u64
            } else {
                b as u64
            }
        })
        .sum()
}

impl Header {
    /// The 512-byte header block.
    pub fn encode(&self) -> Result<[u8; BLOCK], TarError> {
        let mut h = [0u8; BLOCK];
        let name = self.name.as_bytes();
        if name.len() <= 100 {
            put_str(&mut h, 0, 100, name);
        } else {
            // Split at a `/` so the prefix fits 155 bytes and the rest 100.
            let split = name
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'/' && i <= 155 && name.len() - i - 1 <= 100 && i > 0)
                .map(|(i, _)| i)
                .next()
                .ok_or_else(|| TarError::NameTooLong(self.name.clone()))?;
            put_str(&mut h, 345, 155, &name[..split]);
            put_str(&mut h, 0, 100, &name[split + 1..]);
        }
        put_octal(&mut h, 100, 8, (self.mode & 0o7777) as u64);
        put_octal(&mut h, 108, 8, self.uid as u64);
        put_octal(&mut h, 116, 8, self.gid as u64);
        put_octal(&mut h, 124, 12, self.size);
        put_octal(&mut h, 136, 12, self.mtime.max(0) as u64);
        h[156] = match self.kind {
            Kind::File => b'0',
            Kind::Dir => b'5',
            Kind::Symlink => b'2',
            Kind::Other(t) => t,
        };
        put_str(&mut h, 157, 100, self.link.as_bytes());
        put_str(&mut h, 257, 6, b"ustar\0");
        put_str(&mut h, 263, 2, b"00");
        put_str(&mut h, 265, 32, self.uname.as_bytes());
        put_str(&mut h, 297, 32, self.gname.as_bytes());
        put_octal(&mut h, 329, 8, 0);
        put_octal(&mut h, 337, 8, 0);
        let sum = checksum(&h);
        let s = alloc::format!("{sum:06o}\0 ");
        put_str(&mut h, 148, 8, s.as_bytes());
        Ok(h)
    }

    /// Read a header block; `None` for a zero block (the end).
    pub fn decode(h: &[u8]) -> Result<Option<Header>, TarError> {
        if h.len() < BLOCK {
            return Err(TarError::Truncated);
        }
        if h[..BLOCK].iter().all(|&b| b == 0) {
            return Ok(None);
        }
        if get_octal(h, 148, 8)? != checksum(&h[..BLOCK]) {
            return Err(TarError::BadChecksum);
        }
        let mut name = get_str(h, 0, 100);
        let prefix = get_str(h, 345, 155);
        if &h[257..262] == b"ustar" && !prefix.is_empty() {
            name = alloc::format!("{prefix}/{name}");
        }
        let kind = match h[156] {
            b'0' | 0 | b'7' => Kind::File,
            b'5' => Kind::Dir,
            b'2' => Kind::Symlink,
            t => Kind::Other(t),
        };
        Ok(Some(Header {
            name,
            mode: get_octal(h, 100, 8)? as u32,
            uid: get_octal(h, 108, 8)? as u32,
            gid: get_octal(h, 116, 8)? as u32,
            size: get_octal(h, 124, 12)?,
            mtime: get_octal(h, 136, 12)? as i64,
            kind,
            link: get_str(h, 157, 100),
            uname: get_str(h, 265, 32),
            gname: get_str(h, 297, 32),
        }))
    }
}

/// `data` padded with zeros to a whole number of blocks.
pub fn padded(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    v.resize(data.len().div_ceil(BLOCK) * BLOCK, 0);
    v
}

/// The end of an archive: two zero blocks.
pub fn trailer() -> Vec<u8> {
    vec![0u8; 2 * BLOCK]
}

/// The members of an archive, each with its data.
pub fn members(archive: &[u8]) -> Result<Vec<(Header, &[u8])>, TarError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + BLOCK <= archive.len() {
        let Some(h) = Header::decode(&archive[at..at + BLOCK])? else {
            return Ok(out);
        };
        at += BLOCK;
        let size = if matches!(h.kind, Kind::File) {
            h.size as usize
        } else {
            0
        };
        if at + size > archive.len() {
            return Err(TarError::Truncated);
        }
        let data = &archive[at..at + size];
        at += size.div_ceil(BLOCK) * BLOCK;
        out.push((h, data));
    }
    if at == archive.len() && !out.is_empty() || archive.is_empty() {
        return Ok(out); // no end blocks: tolerated, as GNU tar does (with a warning)
    }
    Err(TarError::Truncated)
}

/// GNU tar's `-tv` line: mode, owner/group, size, date and time, name.
pub fn long_listing(h: &Header, mode: &str, date: &str) -> String {
    let user = if h.uname.is_empty() {
        alloc::format!("{}", h.uid)
    } else {
        h.uname.clone()
    };
    let group = if h.gname.is_empty() {
        alloc::format!("{}", h.gid)
    } else {
        h.gname.clone()
    };
    let size = alloc::format!("{}", h.size);
    // "owner/group" and the size take at least 19 columns together, the size
    // right-aligned, with at least one space between.
    let owner = alloc::format!("{user}/{group}");
    let width = (owner.len() + 1 + size.len()).max(19);
    let pad = width - owner.len();
    let mut line = alloc::format!("{mode} {owner}{size:>pad$} {date} {}", h.name);
    if h.kind == Kind::Symlink {
        line.push_str(" -> ");
        line.push_str(&h.link);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, size: u64) -> Header {
        Header {
            name: String::from(name),
            mode: 0o644,
            uid: 0,
            gid: 0,
            size,
            mtime: 1_700_000_000,
            kind: Kind::File,
            link: String::new(),
            uname: String::from("root"),
            gname: String::from("root"),
        }
    }

    #[test]
    fn headers_round_trip_with_a_valid_checksum() {
        let h = file("dir/a.txt", 5);
        let b = h.encode().unwrap();
        assert_eq!(&b[257..265], b"ustar\x0000");
        assert_eq!(&b[124..136], b"00000000005\0");
        assert_eq!(Header::decode(&b).unwrap(), Some(h));
        let mut bad = b;
        bad[0] ^= 1;
        assert_eq!(Header::decode(&bad), Err(TarError::BadChecksum));
        assert_eq!(Header::decode(&[0u8; 512]), Ok(None));
    }

    #[test]
    fn long_names_use_the_prefix() {
        let long = alloc::format!("{}/{}", "d".repeat(120), "f".repeat(90));
        let h = file(&long, 0);
        let b = h.encode().unwrap();
        assert_eq!(Header::decode(&b).unwrap().unwrap().name, long);
        assert!(file(&"x".repeat(300), 0).encode().is_err());
    }

    #[test]
    fn an_archive_lists_its_members() {
        let mut a = Vec::new();
        a.extend_from_slice(&file("a", 3).encode().unwrap());
        a.extend_from_slice(&padded(b"abc"));
        a.extend_from_slice(&file("b", 0).encode().unwrap());
        a.extend_from_slice(&trailer());
        let m = members(&a).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].0.name.as_str(), m[0].1), ("a", &b"abc"[..]));
        assert_eq!(members(&a[..600]), Err(TarError::Truncated));
        let h = file("a", 3);
        assert_eq!(
            long_listing(&h, "-rw-r--r--", "2023-11-14 22:13"),
            "-rw-r--r-- root/root         3 2023-11-14 22:13 a"
        );
    }
}
