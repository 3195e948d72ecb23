//! An open `/proc` file: text made from kernel state when a read starts at the
//! beginning, then served from that copy (Linux's `seq_file` in its simplest use).
//!
//! So `cat` of a file sees one consistent snapshot however small its reads, and a
//! reader that wants fresh figures seeks back to 0 (or opens again), as `top` does.
//! The text is made here, outside the VFS lock, so it may take the locks a process
//! holds while it works (its descriptor table, its address space).
//!
//! `/proc/kmsg` is the exception: its positions are positions in the kernel log
//! (bytes logged since boot), so a reader that keeps its descriptor open and reads
//! again gets only the lines logged since, which is how `dmesg -w` follows the log.

use abi::{Errno, Stat};
use alloc::vec::Vec;
use files::FileObject;
use fsys::NodeRef;
use task::Mutex;

use crate::names::{Node, PidFile, Setting, SysFile};

/// One open generated file.
pub struct ProcFile {
    node: NodeRef,
    what: Node,
    /// The text as made at the last read from position 0.
    text: Mutex<Option<Vec<u8>>>,
}

/// Make the text of `what`.
fn generate(what: Node) -> Result<Vec<u8>, Errno> {
    match what {
        Node::System(f) => crate::system::generate(f),
        Node::PidFile(pid, f) => match f {
            PidFile::Status => crate::pid::status(pid),
            PidFile::Stat => crate::pid::stat(pid),
            PidFile::Maps => crate::pid::maps(pid),
            PidFile::Cmdline => crate::pid::args(pid, false),
            PidFile::Environ => crate::pid::args(pid, true),
            PidFile::Cwd | PidFile::Exe => Err(Errno::EINVAL),
        },
        Node::Setting(Setting::CorePattern) => {
            let mut t = proc::coredump::core_pattern().into_bytes();
            t.push(b'\n');
            Ok(t)
        }
        Node::Setting(Setting::HeapTrack) => Ok(crate::heaptrack::report().into_bytes()),
        Node::Setting(Setting::WatchdogSpin) => Ok(alloc::format!(
            "reports {} threshold_ms {}\n",
            hal::watchdog::reports(),
            hal::watchdog::STUCK_NS / 1_000_000
        )
        .into_bytes()),
        Node::Setting(Setting::DiskReadDelay) => {
            Ok(alloc::format!("{}\n", drivers::virtio_blk::read_delay_ms()).into_bytes())
        }
        Node::NetUnix => Ok(crate::system::net_unix().into_bytes()),
        Node::TaskStat(pid, tid) => crate::pid::thread_stat(pid, tid),
        Node::Setting(Setting::Counters) => Ok(counters().into_bytes()),
        _ => Err(Errno::EISDIR),
    }
}

/// The open-file object for generated node `node` (what `files::open` calls).
pub fn open(node: NodeRef) -> Result<alloc::sync::Arc<dyn FileObject>, Errno> {
    let what = Node::from_ino(node.ino)?;
    if what == Node::System(SysFile::Kmsg) {
        return Ok(alloc::sync::Arc::new(KmsgFile { node }));
    }
    // Refuse now, not at the first read, what has no text.
    if !matches!(
        what,
        Node::System(_) | Node::PidFile(..) | Node::Setting(_) | Node::NetUnix | Node::TaskStat(..)
    ) {
        return Err(Errno::EISDIR);
    }
    Ok(alloc::sync::Arc::new(ProcFile {
        node,
        what,
        text: task::mutex(None),
    }))
}

fn copy_out(text: &[u8], off: u64, buf: &mut [u8]) -> usize {
    let start = (off as usize).min(text.len());
    let n = (text.len() - start).min(buf.len());
    buf[..n].copy_from_slice(&text[start..start + n]);
    n
}

impl ProcFile {
    fn read_from(&self, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut text = self.text.lock();
        let fresh = match text.take() {
            Some(t) if off != 0 => t,
            _ => generate(self.what)?,
        };
        let n = copy_out(&fresh, off, buf);
        *text = Some(fresh);
        Ok(n)
    }
}

impl FileObject for ProcFile {
    fn read(&self, pos: &mut u64, buf: &mut [u8], _nonblock: bool) -> Result<usize, Errno> {
        let n = self.read_from(*pos, buf)?;
        *pos += n as u64;
        Ok(n)
    }

    /// A setting takes the whole text of one write (`echo PATTERN > core_pattern`; a
    /// trailing newline is dropped), as Linux's sysctl files do; other files have no
    /// write (the open refused it already: EROFS).
    fn write(&self, pos: &mut u64, data: &[u8], _nonblock: bool) -> Result<usize, Errno> {
        let Node::Setting(setting) = self.what else {
            return Err(Errno::EBADF);
        };
        let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        let cred = proc::process::current().ok_or(Errno::EPERM)?.cred();
        match setting {
            Setting::CorePattern => proc::coredump::set_core_pattern(&cred, text)?,
            Setting::HeapTrack => crate::heaptrack::set(&cred, text)?,
            Setting::WatchdogSpin => watchdog_spin(&cred, text)?,
            Setting::Counters => return Err(Errno::EPERM),
            Setting::DiskReadDelay => {
                if !cred::capable(&cred, cred::Capability::SysAdmin) {
                    return Err(Errno::EPERM);
                }
                let ms = text.trim().parse().map_err(|_| Errno::EINVAL)?;
                if !drivers::virtio_blk::set_read_delay_ms(ms) {
                    return Err(Errno::EINVAL);
                }
            }
        }
        *self.text.lock() = None;
        *pos += data.len() as u64;
        Ok(data.len())
    }

    fn has_position(&self) -> bool {
        true
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.read_from(off, buf)
    }

    fn size(&self) -> Result<u64, Errno> {
        Ok(0)
    }

    fn stat(&self) -> Result<Stat, Errno> {
        fsys::stat(self.node)
    }
}

/// `/proc/kmsg`: the kernel log, read by log position.
pub struct KmsgFile {
    node: NodeRef,
}

impl FileObject for KmsgFile {
    fn read(&self, pos: &mut u64, buf: &mut [u8], _nonblock: bool) -> Result<usize, Errno> {
        let (from, n) = klog::read_at(*pos, buf);
        *pos = from + n as u64;
        Ok(n)
    }

    fn write(&self, _pos: &mut u64, _data: &[u8], _nonblock: bool) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }

    fn has_position(&self) -> bool {
        true
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        Ok(klog::read_at(off, buf).1)
    }

    fn size(&self) -> Result<u64, Errno> {
        Ok(klog::total_written())
    }

    fn stat(&self) -> Result<Stat, Errno> {
        fsys::stat(self.node)
    }
}

/// `/proc/sys/kernel/counters`: `procs P threads T open_files F max_files M
/// oom_kills K` (the leak check's counters: `cargo xtask soak`, `limits::`).
fn counters() -> alloc::string::String {
    let all = proc::process::all();
    let threads: usize = all.iter().map(|p| p.sig.lock().threads.len()).sum();
    let (open, max) = files::open_files();
    alloc::format!(
        "procs {} threads {threads} open_files {open} max_files {max} oom_kills {}\n",
        all.len(),
        proc::oom::kills()
    )
}

/// `echo N > /proc/sys/kernel/watchdog_spin`: stall this CPU for N seconds (1 to 30)
/// with interrupts off, so that the watchdog reports it (`Capability::SysAdmin`).
fn watchdog_spin(cred: &cred::Credentials, text: &str) -> Result<(), Errno> {
    if !cred::capable(cred, cred::Capability::SysAdmin) {
        return Err(Errno::EPERM);
    }
    let secs: u64 = text.trim().parse().map_err(|_| Errno::EINVAL)?;
    if secs == 0 || secs * 1000 > hal::watchdog::SPIN_MAX_MS {
        return Err(Errno::EINVAL);
    }
    let cpu = hal::watchdog::spin(secs * 1000);
    log::info!("watchdog_spin: CPU {cpu} spun {secs} s with interrupts off");
    Ok(())
}
