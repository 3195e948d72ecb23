//! Page fills done with the VFS let go (`fill.rs`): a page-cache miss on ext2 is
//! planned under the VFS, read from the shared disk with nothing held, and put in the
//! cache after; a change to the file in between throws the fill away, and blocks the
//! block cache holds (newer than the disk) are never read from the disk.

mod common;

use std::sync::{Arc, Mutex};

use abi::flags::*;
use common::*;
use vfs::{Fill, NodeRef, RawDisk, ReadStop, Vfs, ROOT};

/// One disk, shared by the file system (as its device) and the fills (as a raw disk),
/// as the kernel shares its virtio disk.
#[derive(Clone)]
struct Shared(Arc<Mutex<fs::MemDisk>>, Arc<Mutex<u64>>);

impl fs::BlockDevice for Shared {
    fn sector_size(&self) -> usize {
        self.0.lock().unwrap().sector_size()
    }
    fn sector_count(&self) -> u64 {
        self.0.lock().unwrap().sector_count()
    }
    fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> block::Result<()> {
        self.0.lock().unwrap().read_sectors(first, buf)
    }
    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> block::Result<()> {
        self.0.lock().unwrap().write_sectors(first, buf)
    }
}

impl RawDisk for Shared {
    fn read_sectors(&self, first: u64, buf: &mut [u8]) -> vfs::Result<()> {
        *self.1.lock().unwrap() += buf.len() as u64;
        fs::BlockDevice::read_sectors(&mut *self.0.lock().unwrap(), first, buf)
            .map_err(|_| abi::Errno::EIO)
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 4096) as u8).collect()
}

/// `/big` (64 KiB + 100 bytes of a pattern) on an ext2 root whose misses are fills.
fn system() -> Option<(Vfs, NodeRef, Shared)> {
    if !have_mke2fs("vfs fill") {
        return None;
    }
    let image = ext2_image(|src| std::fs::write(src.join("big"), pattern(65636)).unwrap());
    let disk = Shared(
        Arc::new(Mutex::new(fs::MemDisk::new(image))),
        Arc::default(),
    );
    let fs = fs::Ext2::mount(disk.clone(), Box::new(|| NOW as u32)).expect("mount");
    let mut v = Vfs::new(Box::new(fs));
    v.set_mount_disk(1, Arc::new(disk.clone())).unwrap();
    let r = v.root();
    let node = v.open(&ROOT, r, "/big", O_RDWR, 0).unwrap().node;
    Some((v, node, disk))
}

/// Read all of `node` as the kernel does: each fill done "outside" (between calls).
fn read_all(v: &mut Vfs, node: NodeRef, fills: &mut usize) -> Vec<u8> {
    let mut out = vec![0u8; 70_000];
    let mut done = 0;
    loop {
        let (n, stop) = {
            let mut pieces: Vec<(vfs::PageId, usize, usize, usize)> = Vec::new();
            let r = v
                .read_cached(node, done as u64, out.len() - done, &mut |p, o, n, at| {
                    pieces.push((p, o, n, at));
                    true
                })
                .unwrap();
            for (p, o, n, at) in pieces {
                v.page_store()
                    .read(p, o, &mut out[done + at..done + at + n]);
            }
            r
        };
        done += n;
        match stop {
            ReadStop::Done => break,
            ReadStop::Piece(_) => unreachable!("every piece is copied"),
            ReadStop::Fill(mut f) => {
                *fills += 1;
                let io = f.read();
                v.finish_fill(f, io).unwrap();
            }
        }
    }
    out.truncate(done);
    out
}

/// The first fill `read_cached` gives for `node` at `off`.
fn fill_at(v: &mut Vfs, node: NodeRef, off: u64) -> Fill {
    match v.read_cached(node, off, 1, &mut |_, _, _, _| true).unwrap() {
        (0, ReadStop::Fill(f)) => f,
        (n, _) => panic!("no fill at {off} ({n} bytes copied)"),
    }
}

#[test]
fn misses_are_filled_from_the_disk_and_hits_are_not() {
    let Some((mut v, node, disk)) = system() else {
        return;
    };
    let mut fills = 0;
    assert_eq!(read_all(&mut v, node, &mut fills), pattern(65636));
    assert_eq!(
        fills, 17,
        "one fill per page of 4 KiB, the short last one too"
    );
    let read = *disk.1.lock().unwrap();
    assert!(
        read >= 65636,
        "the fills read the data from the disk ({read} bytes)"
    );
    assert_eq!(v.fills_in_flight(), 0);
    let mut again = 0;
    assert_eq!(read_all(&mut v, node, &mut again), pattern(65636));
    assert_eq!(again, 0, "cached pages need no fill");
    assert_eq!(*disk.1.lock().unwrap(), read, "nor the disk");
}

#[test]
fn a_write_during_the_fill_makes_it_stale() {
    let Some((mut v, node, _disk)) = system() else {
        return;
    };
    let mut f = fill_at(&mut v, node, 0);
    let io = f.read(); // the disk's old bytes
    assert_eq!(v.write(node, 10, b"NEW"), Ok(3));
    v.finish_fill(f, io).unwrap();
    let mut fills = 0;
    let data = read_all(&mut v, node, &mut fills);
    assert_eq!(&data[10..13], b"NEW", "the stale fill was thrown away");
    assert_eq!(fills, 17, "and page 0 filled again");
    // A truncate in between: the fill must not bring back the cut pages.
    v.drop_caches(&ROOT).unwrap();
    let mut f = fill_at(&mut v, node, 65536);
    let io = f.read();
    v.truncate_node(node, 65536).unwrap();
    v.finish_fill(f, io).unwrap();
    assert_eq!(read_all(&mut v, node, &mut fills).len(), 65536);
    assert_eq!(v.fills_in_flight(), 0);
}

#[test]
fn blocks_newer_in_the_block_cache_are_not_read_from_the_disk() {
    let Some((mut v, node, _disk)) = system() else {
        return;
    };
    // Written through to ext2's block cache (no page of the file is cached yet);
    // the disk still has the old bytes until a sync.
    assert_eq!(v.write(node, 8192, &[0xAB; 4096]), Ok(4096));
    let mut fills = 0;
    let data = read_all(&mut v, node, &mut fills);
    assert_eq!(&data[8192..12288], &[0xAB; 4096][..]);
    assert_eq!(data[..8192], pattern(65636)[..8192]);
    assert_eq!(fills, 16, "page 2 came from memory alone");
}

#[test]
fn two_fills_of_one_page_insert_it_once() {
    let Some((mut v, node, _disk)) = system() else {
        return;
    };
    let mut a = fill_at(&mut v, node, 4096);
    let mut b = fill_at(&mut v, node, 4096);
    assert!(a.disk_bytes() == 4096 && b.disk_bytes() == 4096);
    let (ia, ib) = (a.read(), b.read());
    v.finish_fill(a, ia).unwrap();
    let pages = v.page_cache_stats().pages;
    v.finish_fill(b, ib).unwrap();
    assert_eq!(
        v.page_cache_stats().pages,
        pages,
        "the second was not inserted"
    );
    assert_eq!(v.fills_in_flight(), 0);
}
