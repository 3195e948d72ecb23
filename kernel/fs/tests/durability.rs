//! Durability: what `sync` (and so fsync, O_SYNC and the sync call, which are built
//! on it) promises when the disk misbehaves. A fake disk over an image in memory
//! records every request and can be told to fail its writes or its cache flushes;
//! `sync` must write every dirty block and *then* flush, say EIO when either failed,
//! and leave what it could not write dirty, so a later sync that succeeds puts the
//! disk in exactly the state a sync with no failure would have.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use fs::{BlockDevice, Errno, Ext2, MemDisk, NewOwner};

const RW: NewOwner = NewOwner {
    perm: 0o644,
    uid: 0,
    gid: 0,
};

/// One request the device was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    Write,
    Flush,
}

/// What the test sets and reads while the file system owns the disk.
#[derive(Default)]
struct Control {
    fail_writes: bool,
    fail_flushes: bool,
    log: Vec<Request>,
}

/// A disk whose writes and flushes fail on request. The image only counts as durable
/// once flushed: `stable` is the image as of the last flush that succeeded, which is
/// what a machine that lost power would find on the disk.
struct FlakyDisk {
    disk: MemDisk,
    stable: Arc<Mutex<Vec<u8>>>,
    control: Arc<Mutex<Control>>,
}

impl BlockDevice for FlakyDisk {
    fn sector_size(&self) -> usize {
        self.disk.sector_size()
    }
    fn sector_count(&self) -> u64 {
        self.disk.sector_count()
    }
    fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> block::Result<()> {
        self.disk.read_sectors(first, buf)
    }
    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> block::Result<()> {
        let mut c = self.control.lock().unwrap();
        c.log.push(Request::Write);
        if c.fail_writes {
            return Err(block::Error::Io);
        }
        self.disk.write_sectors(first, buf)
    }
    fn flush(&mut self) -> block::Result<()> {
        let mut c = self.control.lock().unwrap();
        c.log.push(Request::Flush);
        if c.fail_flushes {
            return Err(block::Error::Io);
        }
        *self.stable.lock().unwrap() = self.disk.as_bytes().to_vec();
        Ok(())
    }
}

/// A file system on a fresh 4 MiB image over a [`FlakyDisk`], with the handles to
/// steer the disk and to see its stable contents.
struct Rig {
    fs: Ext2<FlakyDisk>,
    control: Arc<Mutex<Control>>,
    stable: Arc<Mutex<Vec<u8>>>,
}

fn flaky_fs() -> Rig {
    let image = mkfs(1024, 4096, None, &[]);
    let control = Arc::new(Mutex::new(Control::default()));
    let stable = Arc::new(Mutex::new(image.clone()));
    let disk = FlakyDisk {
        disk: MemDisk::new(image),
        stable: stable.clone(),
        control: control.clone(),
    };
    let fs = Ext2::mount(disk, Box::new(|| NOW)).expect("mount");
    Rig {
        fs,
        control,
        stable,
    }
}

/// Create `/name` holding `data` (in the cache only).
fn write_file(fs: &mut Ext2<FlakyDisk>, name: &str, data: &[u8]) {
    let root = fs.root();
    let ino = fs.create(root, name, RW).unwrap();
    assert_eq!(fs.write(ino, 0, data).unwrap(), data.len());
}

#[test]
fn sync_writes_every_dirty_block_before_one_flush() {
    if !have_tools("sync_writes_every_dirty_block_before_one_flush") {
        return;
    }
    let Rig {
        mut fs,
        control,
        stable,
    } = flaky_fs();
    let data = pattern(1, 20_000);
    write_file(&mut fs, "f", &data);
    assert!(
        debugfs_cat(&stable.lock().unwrap(), "/f").is_empty(),
        "the file reached stable storage before any sync"
    );
    control.lock().unwrap().log.clear();
    fs.sync().unwrap();
    let log = control.lock().unwrap().log.clone();
    assert!(
        log.len() >= 2 && log[..log.len() - 1].iter().all(|r| *r == Request::Write),
        "sync must write, then flush once: {log:?}"
    );
    assert_eq!(log.last(), Some(&Request::Flush));
    let image = stable.lock().unwrap().clone();
    assert_eq!(debugfs_cat(&image, "/f"), data);
    assert_fsck_clean(&image);
}

#[test]
fn a_failing_flush_is_eio_and_a_later_sync_makes_the_data_durable() {
    if !have_tools("a_failing_flush_is_eio_and_a_later_sync_makes_the_data_durable") {
        return;
    }
    let Rig {
        mut fs,
        control,
        stable,
    } = flaky_fs();
    let data = pattern(2, 5000);
    write_file(&mut fs, "f", &data);
    control.lock().unwrap().fail_flushes = true;
    assert_eq!(fs.sync(), Err(Errno::EIO));
    assert!(
        debugfs_cat(&stable.lock().unwrap(), "/f").is_empty(),
        "nothing may count as durable after a failed flush"
    );
    // Every sync flushes, even with nothing left to write: blocks written before a
    // failed flush (or by eviction) are only durable after a flush that succeeds.
    control.lock().unwrap().fail_flushes = false;
    fs.sync().unwrap();
    let image = stable.lock().unwrap().clone();
    assert_eq!(debugfs_cat(&image, "/f"), data);
    assert_fsck_clean(&image);
}

#[test]
fn a_failing_write_is_eio_sends_no_flush_and_keeps_the_blocks_dirty() {
    if !have_tools("a_failing_write_is_eio_sends_no_flush_and_keeps_the_blocks_dirty") {
        return;
    }
    let Rig {
        mut fs,
        control,
        stable,
    } = flaky_fs();
    let data = pattern(3, 70_000);
    write_file(&mut fs, "f", &data);
    {
        let mut c = control.lock().unwrap();
        c.fail_writes = true;
        c.log.clear();
    }
    assert_eq!(fs.sync(), Err(Errno::EIO));
    assert!(
        !control.lock().unwrap().log.contains(&Request::Flush),
        "a sync whose write failed must not flush as if it had succeeded"
    );
    // The disk recovers: the next sync writes everything the failed one did not.
    control.lock().unwrap().fail_writes = false;
    fs.sync().unwrap();
    let image = stable.lock().unwrap().clone();
    assert_eq!(debugfs_cat(&image, "/f"), data);
    assert_fsck_clean(&image);
    let mut back = vec![0u8; data.len()];
    let ino = fs.lookup(fs.root(), "f").unwrap();
    assert_eq!(fs.read(ino, 0, &mut back).unwrap(), data.len());
    assert_eq!(back, data);
}
