//! The page cache as the VFS uses it: reads served from pages, writes reaching both
//! the file system and cached pages, truncation, freed inodes, mapped pages written
//! back, and eviction that never takes a page someone holds.

mod common;

use abi::flags::*;
use abi::Errno;
use common::*;
use vfs::{HeapPages, PAGE_SIZE, ROOT};

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn a_second_read_is_served_from_the_cache() {
    let mut v = tmp_vfs(1 << 24);
    let root = v.root();
    let data = pattern(3 * PAGE_SIZE + 100, 7);
    put(&mut v, root, "/f", &data);
    assert_eq!(get(&mut v, root, "/f").unwrap(), data);
    let first = v.page_cache_stats();
    assert_eq!(first.pages, 4, "one page per 4 KiB, the last one partial");
    assert_eq!(get(&mut v, root, "/f").unwrap(), data);
    let second = v.page_cache_stats();
    assert_eq!(second.misses, first.misses, "nothing filled again");
    assert!(second.hits >= first.hits + 4);
}

#[test]
fn writes_reach_cached_pages_and_reads_at_odd_offsets_agree() {
    let mut v = tmp_vfs(1 << 24);
    let root = v.root();
    let mut model = pattern(5 * PAGE_SIZE, 1);
    let n = put(&mut v, root, "/f", &model);
    get(&mut v, root, "/f").unwrap(); // every page cached
    for (off, len, seed) in [
        (10usize, 5000usize, 9u8),
        (4095, 2, 3),
        (5 * PAGE_SIZE - 1, 300, 4),
    ] {
        let d = pattern(len, seed);
        assert_eq!(v.write(n, off as u64, &d), Ok(len));
        if model.len() < off + len {
            model.resize(off + len, 0);
        }
        model[off..off + len].copy_from_slice(&d);
    }
    assert_eq!(get(&mut v, root, "/f").unwrap(), model);
    let mut buf = vec![0u8; 777];
    assert_eq!(v.read(n, 4000, &mut buf), Ok(777));
    assert_eq!(&buf[..], &model[4000..4777]);
}

#[test]
fn truncate_forgets_pages_and_zeroes_the_tail() {
    let mut v = tmp_vfs(1 << 24);
    let root = v.root();
    let data = pattern(3 * PAGE_SIZE, 5);
    let n = put(&mut v, root, "/f", &data);
    get(&mut v, root, "/f").unwrap();
    v.truncate_node(n, 100).unwrap();
    assert_eq!(v.page_cache_stats().pages, 1);
    v.truncate_node(n, 2 * PAGE_SIZE as u64).unwrap();
    let back = get(&mut v, root, "/f").unwrap();
    assert_eq!(&back[..100], &data[..100]);
    assert!(
        back[100..].iter().all(|&b| b == 0),
        "grown again: zeros, not old bytes"
    );
    // O_TRUNC goes the same way.
    v.open(&ROOT, root, "/f", O_WRONLY | O_TRUNC, 0).unwrap();
    assert_eq!(get(&mut v, root, "/f").unwrap(), b"");
}

#[test]
fn a_freed_inode_takes_its_pages_along() {
    let mut v = tmp_vfs(1 << 24);
    let root = v.root();
    let old = put(&mut v, root, "/a", &pattern(PAGE_SIZE, 1));
    get(&mut v, root, "/a").unwrap();
    v.unlink(&ROOT, root, "/a").unwrap();
    assert_eq!(v.page_cache_stats().pages, 0);
    // An open (held) file keeps its pages until the last hold goes.
    let held = put(&mut v, root, "/b", &pattern(PAGE_SIZE, 2));
    v.pin(held).unwrap();
    get(&mut v, root, "/b").unwrap();
    v.unlink(&ROOT, root, "/b").unwrap();
    let mut buf = vec![0u8; 8];
    assert_eq!(v.read(held, 0, &mut buf), Ok(8));
    assert_eq!(v.page_cache_stats().pages, 1);
    v.unpin(held).unwrap();
    assert_eq!(v.page_cache_stats().pages, 0);
    // Replaced by rename: the old target's pages go.
    put(&mut v, root, "/c", &pattern(PAGE_SIZE, 3));
    get(&mut v, root, "/c").unwrap();
    put(&mut v, root, "/d", b"new");
    v.rename(&ROOT, root, "/d", "/c").unwrap();
    assert_eq!(get(&mut v, root, "/c").unwrap(), b"new");
    let _ = old;
}

#[test]
fn a_reused_inode_number_never_shows_the_old_file() {
    if !have_mke2fs("a_reused_inode_number_never_shows_the_old_file") {
        return;
    }
    let mut v = ext2_vfs(ext2_image(|_| {}));
    let root = v.root();
    let old = put(&mut v, root, "/a", &pattern(2 * PAGE_SIZE, 1));
    get(&mut v, root, "/a").unwrap();
    v.unlink(&ROOT, root, "/a").unwrap();
    let fresh = put(&mut v, root, "/b", b"fresh");
    assert_eq!(
        fresh.ino, old.ino,
        "ext2 hands out the lowest free inode again"
    );
    assert_eq!(get(&mut v, root, "/b").unwrap(), b"fresh");
}

#[test]
fn a_page_written_through_a_mapping_is_written_back() {
    let mut v = tmp_vfs(1 << 24);
    let root = v.root();
    let n = put(&mut v, root, "/f", &pattern(PAGE_SIZE + 10, 0));
    let page = v.map_page(n, 1).unwrap();
    v.page_store().write(page, 0, b"MAPPED");
    v.page_dirtied(n, 1);
    assert_eq!(v.page_cache_stats().dirty, 1);
    // Still mapped: written back, but dirty still (the program may write again).
    v.sync_node(n).unwrap();
    assert_eq!(v.page_cache_stats().dirty, 1);
    v.release_page(page); // unmapped
    v.sync_node(n).unwrap();
    assert_eq!(v.page_cache_stats().dirty, 0);
    // What the file system holds, with the cache dropped: the bytes, and only up to
    // the end of the file (the rest of the page is not file).
    assert!(v.drop_caches(&ROOT).unwrap() >= 1);
    let back = get(&mut v, root, "/f").unwrap();
    assert_eq!(back.len(), PAGE_SIZE + 10);
    assert_eq!(&back[PAGE_SIZE..PAGE_SIZE + 6], b"MAPPED");
    assert_eq!(v.map_page(n, 2), Err(Errno::ENXIO), "wholly past the end");
}

#[test]
fn eviction_keeps_within_capacity_and_spares_held_pages() {
    let mut v = tmp_vfs(1 << 24);
    v.set_page_store(Box::new(HeapPages::new()), 16).unwrap();
    let root = v.root();
    let data = pattern(100 * PAGE_SIZE, 3);
    let n = put(&mut v, root, "/big", &data);
    let held = v.map_page(n, 0).unwrap();
    v.page_store().write(held, 0, &data[..8]); // same bytes
    assert_eq!(get(&mut v, root, "/big").unwrap(), data);
    let st = v.page_cache_stats();
    assert!(st.pages <= 16, "{st:?}");
    assert!(st.evicted > 0);
    // The held page is still the cache's page 0.
    let again = v.map_page(n, 0).unwrap();
    assert_eq!(again, held);
    v.release_page(again);
    v.release_page(held);
    assert_eq!(
        v.set_page_store(Box::new(HeapPages::new()), 16),
        Err(Errno::EBUSY)
    );
}

#[test]
fn memory_short_means_clean_pages_go_first() {
    let mut v = tmp_vfs(1 << 24);
    let mut store = HeapPages::new();
    store.limit = Some(8);
    v.set_page_store(Box::new(store), 1000).unwrap();
    let root = v.root();
    let data = pattern(40 * PAGE_SIZE, 8);
    put(&mut v, root, "/f", &data);
    assert_eq!(get(&mut v, root, "/f").unwrap(), data);
    assert!(v.page_cache_stats().pages <= 8);
}
