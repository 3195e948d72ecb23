//! The journal against the host's e2fsprogs: images made by `mke2fs -j` mount
//! read-write; what dinos logs, the host's e2fsck accepts and replays; and a power
//! cut at every point of a workload leaves a disk that dinos's replay and e2fsck's
//! replay both bring to the same state, which is exactly the state of the last sync
//! that returned or of the one under way (a transaction is all or nothing).
//!
//! The cut is a fake disk with a volatile write cache: a write reaches `stable` only
//! at the next flush; at the cut, `stable` plus a seeded random subset of the writes
//! since the last flush is what the machine finds (a disk may write its cache in any
//! order), and every request after the cut is dropped while reporting success.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::*;
use fs::{BlockDevice, Errno, Ext2, FileType, MemDisk, NewOwner};

const RW: NewOwner = NewOwner {
    perm: 0o644,
    uid: 0,
    gid: 0,
};
const DIR: NewOwner = NewOwner {
    perm: 0o755,
    uid: 0,
    gid: 0,
};

/// An ext3 image from the host's mke2fs (1 KiB blocks, a 1,024-block journal).
fn mkfs_ext3(size_kib: u64) -> Vec<u8> {
    mkfs(1024, size_kib, None, &["-j", "-J", "size=1"])
}

/// What the disk saw, and where power goes.
struct CutState {
    stable: Vec<u8>,
    /// Writes since the last flush: (byte offset, bytes).
    pending: Vec<(usize, Vec<u8>)>,
    requests: u64,
    /// Requests after this one are lost.
    cut_after: u64,
    seed: u64,
    /// The image after the cut, once it happened.
    after_cut: Option<Vec<u8>>,
}

impl CutState {
    fn cut_now(&mut self) {
        let mut img = self.stable.clone();
        let mut rng = Rng::new(self.seed);
        for (off, bytes) in &self.pending {
            if rng.chance(50) {
                img[*off..*off + bytes.len()].copy_from_slice(bytes);
            }
        }
        self.after_cut = Some(img);
    }
}

#[derive(Clone)]
struct CutDisk {
    live: Arc<Mutex<(MemDisk, CutState)>>,
}

impl CutDisk {
    fn new(image: Vec<u8>, cut_after: u64, seed: u64) -> CutDisk {
        CutDisk {
            live: Arc::new(Mutex::new((
                MemDisk::new(image.clone()),
                CutState {
                    stable: image,
                    pending: Vec::new(),
                    requests: 0,
                    cut_after,
                    seed,
                    after_cut: None,
                },
            ))),
        }
    }

    fn requests(&self) -> u64 {
        self.live.lock().unwrap().1.requests
    }

    /// The image a machine would find after the power cut (or now, if none yet).
    fn found_after_cut(&self) -> Vec<u8> {
        let mut g = self.live.lock().unwrap();
        if g.1.after_cut.is_none() {
            g.1.cut_now();
        }
        g.1.after_cut.clone().unwrap()
    }

    /// Counts one request; true when it is lost.
    fn request(&self) -> bool {
        let mut g = self.live.lock().unwrap();
        g.1.requests += 1;
        if g.1.requests > g.1.cut_after {
            if g.1.after_cut.is_none() {
                g.1.cut_now();
            }
            return true;
        }
        false
    }
}

impl BlockDevice for CutDisk {
    fn sector_size(&self) -> usize {
        self.live.lock().unwrap().0.sector_size()
    }
    fn sector_count(&self) -> u64 {
        self.live.lock().unwrap().0.sector_count()
    }
    fn read_sectors(&mut self, first: u64, buf: &mut [u8]) -> block::Result<()> {
        self.live.lock().unwrap().0.read_sectors(first, buf)
    }
    fn write_sectors(&mut self, first: u64, buf: &[u8]) -> block::Result<()> {
        let lost = self.request();
        let mut g = self.live.lock().unwrap();
        g.0.write_sectors(first, buf)?;
        if !lost {
            let off = first as usize * g.0.sector_size();
            g.1.pending.push((off, buf.to_vec()));
        }
        Ok(())
    }
    fn flush(&mut self) -> block::Result<()> {
        let lost = self.request();
        if !lost {
            let mut g = self.live.lock().unwrap();
            let pending = std::mem::take(&mut g.1.pending);
            for (off, bytes) in pending {
                g.1.stable[off..off + bytes.len()].copy_from_slice(&bytes);
            }
        }
        Ok(())
    }
}

/// Every name under the root with its kind and contents (directories: empty).
type Tree = BTreeMap<String, (FileType, Vec<u8>)>;

fn tree<D: BlockDevice>(fs: &mut Ext2<D>) -> Tree {
    let mut out = Tree::new();
    let mut todo = vec![(fs.root(), String::new())];
    while let Some((dir, path)) = todo.pop() {
        for e in fs.read_dir(dir).unwrap() {
            let name = String::from_utf8_lossy(&e.name).into_owned();
            if name == "." || name == ".." || name == "lost+found" {
                continue;
            }
            let p = format!("{path}/{name}");
            let st = fs.stat(e.ino).unwrap();
            let mut data = vec![0u8; st.size as usize];
            if st.kind == FileType::Regular {
                let n = fs.read(e.ino, 0, &mut data).unwrap();
                data.truncate(n);
            } else {
                data.clear();
            }
            if st.kind == FileType::Directory {
                todo.push((e.ino, p.clone()));
            }
            out.insert(p, (st.kind, data));
        }
    }
    out
}

/// The workload: creates, writes (data blocks and indirect blocks), appends,
/// renames, unlinks, truncates, directories, with a sync after every step.
/// Returns the tree after each sync and the device's request count when it returned.
fn workload<D: BlockDevice>(fs: &mut Ext2<D>, requests: &dyn Fn() -> u64) -> Vec<(Tree, u64)> {
    let root = fs.root();
    let mut rng = Rng::new(7);
    let mut synced = vec![(tree(fs), requests())];
    let d = fs.mkdir(root, "d", DIR).unwrap();
    let mut names: Vec<(u32, String)> = Vec::new();
    for step in 0..24u32 {
        match step % 6 {
            0 | 1 => {
                let dir = if rng.chance(50) { root } else { d };
                let name = format!("f{step}");
                let ino = fs.create(dir, &name, RW).unwrap();
                let len = 200 + rng.below(20_000) as usize;
                fs.write(ino, 0, &pattern(step as u8, len)).unwrap();
                names.push((dir, name));
            }
            2 => {
                if let Some((dir, name)) = names.first().cloned() {
                    let ino = fs.lookup(dir, &name).unwrap();
                    let size = fs.stat(ino).unwrap().size;
                    fs.write(ino, size, &pattern(99, 3000)).unwrap();
                }
            }
            3 => {
                if let Some((dir, name)) = names.pop() {
                    let new = format!("r{step}");
                    let to = if dir == root { d } else { root };
                    fs.rename(dir, &name, to, &new).unwrap();
                    names.insert(0, (to, new));
                }
            }
            4 => {
                if names.len() > 2 {
                    let (dir, name) = names.remove(1);
                    fs.unlink(dir, &name).unwrap();
                }
            }
            _ => {
                if let Some((dir, name)) = names.last().cloned() {
                    let ino = fs.lookup(dir, &name).unwrap();
                    // To a block boundary: cutting into a block rewrites committed
                    // bytes in place, which ordered mode does not make atomic.
                    fs.truncate(ino, 1024).unwrap();
                }
                let sub = format!("s{step}");
                fs.mkdir(d, &sub, DIR).unwrap();
            }
        }
        fs.sync().unwrap();
        synced.push((tree(fs), requests()));
    }
    synced
}

/// Host e2fsck with `-fy` on a copy (replays the journal), then `-fn`: (image after,
/// clean, output).
fn host_replay(image: &[u8]) -> (Vec<u8>, bool, String) {
    let tmp = TempDir::new("replay");
    let img = tmp.path().join("img");
    std::fs::write(&img, image).unwrap();
    let fix = Command::new(E2FSCK).arg("-fy").arg(&img).output().unwrap();
    let check = Command::new(E2FSCK).arg("-fn").arg(&img).output().unwrap();
    let text = format!(
        "{}{}{}",
        String::from_utf8_lossy(&fix.stdout),
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    (std::fs::read(&img).unwrap(), check.status.success(), text)
}

fn mount_mem(image: Vec<u8>) -> Ext2<MemDisk> {
    Ext2::mount(MemDisk::new(image), Box::new(|| NOW)).expect("mount")
}

#[test]
fn mke2fs_j_image_mounts_read_write_and_e2fsck_accepts_what_dinos_writes() {
    if !have_tools("mke2fs_j_image_mounts_read_write") {
        return;
    }
    let mut fs = mount_mem(mkfs_ext3(8192));
    assert_eq!(fs.read_only_reason(), None);
    let seen = workload(&mut fs, &|| 0);
    let s = fs.journal_stats().unwrap();
    assert!(s.commits >= 20, "{s:?}");
    // Synced but not checkpointed: the journal is live, needs_recovery is set, and
    // the places already hold every block (checkpoint follows each commit).
    let live = fs.device().as_bytes().to_vec();
    let (out, _) = debugfs(&live, "logdump", false);
    assert!(out.contains("Found expected sequence"), "logdump:\n{out}");
    let (after, clean, text) = host_replay(&live);
    assert!(clean, "e2fsck after replaying dinos's journal:\n{text}");
    assert!(text.contains("recovering journal"), "{text}");
    assert_eq!(tree(&mut mount_mem(after)), seen.last().unwrap().0);
    // A clean checkpoint: e2fsck -fn needs nothing.
    fs.checkpoint().unwrap();
    let img = fs.device().as_bytes().to_vec();
    let (ok, text) = fsck(&img);
    assert!(ok, "e2fsck -fn after checkpoint:\n{text}");
    let (dump, _) = debugfs(&img, "stats", false);
    assert!(!dump.contains("needs_recovery"), "{dump}");
    assert_eq!(tree(&mut mount_mem(img)), seen.last().unwrap().0);
}

#[test]
fn a_power_cut_anywhere_replays_to_the_last_sync_or_the_next_as_e2fsck_does() {
    if !have_tools("a_power_cut_anywhere") {
        return;
    }
    let base = mkfs_ext3(8192);
    // A run with no cut tells how many requests the workload makes.
    let probe = CutDisk::new(base.clone(), u64::MAX, 0);
    let mut fs = Ext2::mount(probe.clone(), Box::new(|| NOW)).unwrap();
    let p2 = probe.clone();
    let seen = workload(&mut fs, &move || p2.requests());
    let total = probe.requests();
    let commits = fs.journal_stats().unwrap().commits;
    assert!(total > 100, "{total} requests");
    let mut rng = Rng::new(42);
    let mut replayed_something = 0;
    for round in 0..40u64 {
        let cut = 1 + rng.below(total);
        let disk = CutDisk::new(base.clone(), cut, round);
        let mut fs = Ext2::mount(disk.clone(), Box::new(|| NOW)).unwrap();
        let d2 = disk.clone();
        workload(&mut fs, &move || d2.requests());
        assert_eq!(
            fs.journal_stats().unwrap().commits,
            commits,
            "no commit but sync's"
        );
        let found = disk.found_after_cut();
        // The last sync that returned before the cut, and the one under way.
        let done = seen.iter().rposition(|(_, r)| *r <= cut).unwrap();
        let allowed: Vec<&Tree> = seen[done..(done + 2).min(seen.len())]
            .iter()
            .map(|(t, _)| t)
            .collect();
        // dinos's replay.
        let mut mine = mount_mem(found.clone());
        if let Some(s) = mine.journal_stats() {
            replayed_something += (s.replayed_transactions > 0) as u32;
        }
        let my_tree = tree(&mut mine);
        assert!(
            allowed.contains(&&my_tree),
            "cut after request {cut} of {total}: dinos replayed to a state that is no sync's"
        );
        mine.checkpoint().unwrap();
        let (ok, text) = fsck(mine.device().as_bytes());
        assert!(ok, "cut {cut}: e2fsck -fn after dinos's replay:\n{text}");
        // e2fsck's replay of the same image gives the same files.
        let (host, ok, text) = host_replay(&found);
        assert!(ok, "cut {cut}: e2fsck after its own replay:\n{text}");
        assert_eq!(
            tree(&mut mount_mem(host)),
            my_tree,
            "cut {cut}: replays differ"
        );
    }
    assert!(
        replayed_something > 5,
        "only {replayed_something} cuts needed a replay"
    );
}

#[test]
fn a_block_that_was_metadata_and_is_file_data_now_is_revoked() {
    if !have_tools("revoke") {
        return;
    }
    let disk = CutDisk::new(mkfs_ext3(8192), u64::MAX, 0);
    let mut fs = Ext2::mount(disk.clone(), Box::new(|| NOW)).unwrap();
    let root = fs.root();
    // A directory with many entries gets directory blocks (metadata, logged) ...
    let d = fs.mkdir(root, "big", DIR).unwrap();
    for i in 0..120 {
        fs.create(d, format!("name-{i:03}-padding-padding"), RW)
            .unwrap();
    }
    fs.sync().unwrap();
    for i in 0..120 {
        fs.unlink(d, format!("name-{i:03}-padding-padding"))
            .unwrap();
    }
    fs.rmdir(root, "big").unwrap();
    fs.sync().unwrap();
    // ... which, freed, become a file's data.
    let f = fs.create(root, "data", RW).unwrap();
    let body = pattern(5, 60_000);
    fs.write(f, 0, &body).unwrap();
    fs.sync().unwrap();
    let s = fs.journal_stats().unwrap();
    assert!(s.revoked_blocks > 0, "{s:?}");
    // Replaying the whole log (dinos's and e2fsck's) keeps the file's contents.
    let img = disk.found_after_cut();
    let mut mine = mount_mem(img.clone());
    assert!(mine.journal_stats().unwrap().replayed_transactions >= 3);
    let mut got = vec![0u8; body.len()];
    let ino = mine.lookup(root, "data").unwrap();
    let n = mine.read(ino, 0, &mut got).unwrap();
    assert_eq!((n, got == body), (body.len(), true));
    let (host, ok, text) = host_replay(&img);
    assert!(ok, "{text}");
    assert_eq!(debugfs_cat(&host, "/data"), body);
}

#[test]
fn the_log_wraps_and_every_transaction_still_replays() {
    if !have_tools("wrap") {
        return;
    }
    let disk = CutDisk::new(mkfs_ext3(8192), u64::MAX, 0);
    let mut fs = Ext2::mount(disk.clone(), Box::new(|| NOW)).unwrap();
    let root = fs.root();
    // Small transactions (a descriptor, a handful of blocks, a commit) fill the
    // 1,024-block log several times over.
    for i in 0..400u32 {
        let ino = fs.create(root, format!("w{i}"), RW).unwrap();
        fs.write(ino, 0, format!("{i}").as_bytes()).unwrap();
        if i % 3 == 0 && i > 30 {
            fs.unlink(root, format!("w{}", i - 30)).unwrap();
        }
        fs.sync().unwrap();
    }
    let s = fs.journal_stats().unwrap();
    assert!(s.restarts >= 2, "{s:?}");
    let want = tree(&mut fs);
    fs.sync().unwrap();
    let img = disk.found_after_cut();
    assert_eq!(tree(&mut mount_mem(img.clone())), want);
    let (host, ok, text) = host_replay(&img);
    assert!(ok, "{text}");
    assert_eq!(tree(&mut mount_mem(host)), want);
}

/// Sets bits in the journal superblock's incompat word (the journal inode's first
/// block on an image from mkfs_ext3: found with debugfs).
fn set_journal_incompat(image: &mut [u8], bits: u32) {
    let (out, _) = debugfs(image, "bmap <8> 0", false);
    let blk: usize = out.trim().parse().expect("bmap");
    let off = blk * 1024 + 0x28;
    let v = u32::from_be_bytes(image[off..off + 4].try_into().unwrap()) | bits;
    image[off..off + 4].copy_from_slice(&v.to_be_bytes());
}

#[test]
fn journal_features_not_implemented_mount_read_only_naming_them() {
    if !have_tools("journal_features") {
        return;
    }
    for (bit, name) in [
        (0x10, "journal checksums (v3)"),
        (0x8, "journal checksums (v2)"),
        (0x4, "journal_async_commit"),
        (0x400, "an unknown journal feature"),
    ] {
        let mut img = mkfs_ext3(8192);
        set_journal_incompat(&mut img, bit);
        let mut fs = mount_mem(img);
        assert_eq!(fs.read_only_reason(), Some(name));
        assert_eq!(fs.create(fs.root(), "x", RW).err(), Some(Errno::EROFS));
    }
}

#[test]
fn a_corrupt_log_is_eio_or_ignored_never_a_panic() {
    if !have_tools("corrupt_log") {
        return;
    }
    let disk = CutDisk::new(mkfs_ext3(8192), u64::MAX, 0);
    let mut fs = Ext2::mount(disk.clone(), Box::new(|| NOW)).unwrap();
    for i in 0..30 {
        let root = fs.root();
        let ino = fs.create(root, format!("c{i}"), RW).unwrap();
        fs.write(ino, 0, b"x").unwrap();
        fs.sync().unwrap();
    }
    let img = disk.found_after_cut();
    let (out, _) = debugfs(&img, "bmap <8> 0", false);
    let j0: usize = out.trim().parse().unwrap();
    let mut rng = Rng::new(3);
    for _ in 0..200 {
        let mut bad = img.clone();
        // Scribble on a log block (descriptors, tags, revoke counts, commits).
        let blk = j0 + 1 + rng.below(60) as usize;
        for _ in 0..1 + rng.below(8) {
            let at = blk * 1024 + rng.below(1024) as usize;
            bad[at] = rng.next() as u8;
        }
        if let Ok(mut fs) = Ext2::mount(MemDisk::new(bad), Box::new(|| NOW)) {
            let _ = tree_or_errors(&mut fs);
        }
    }
}

/// Walks the tree, stopping at the first error (a corrupt image may give EIO).
fn tree_or_errors<D: BlockDevice>(fs: &mut Ext2<D>) -> Result<usize, Errno> {
    let mut n = 0;
    let mut todo = vec![fs.root()];
    while let Some(dir) = todo.pop() {
        for e in fs.read_dir(dir)? {
            n += 1;
            if n > 10_000 {
                return Ok(n);
            }
            if e.name != b"." && e.name != b".." && fs.stat(e.ino)?.kind == FileType::Directory {
                todo.push(e.ino);
            }
        }
    }
    Ok(n)
}

/// Many operations and no sync over a small cache: eviction must not write metadata
/// in place, and the commits it asks for come between operations, so a cut at any
/// request leaves the tree as it was after some whole operation.
#[test]
fn commits_under_cache_pressure_fall_between_operations() {
    if !have_tools("pressure") {
        return;
    }
    let base = mkfs_ext3(8192);
    let opts = fs::MountOptions {
        read_only: false,
        cache_blocks: 16,
    };
    let run = |disk: CutDisk| -> (Vec<Tree>, fs::JournalStats) {
        let mut fs = Ext2::mount_with(disk, Box::new(|| NOW), opts).unwrap();
        let root = fs.root();
        let mut trees = vec![tree(&mut fs)];
        let mut dirs = Vec::new();
        for i in 0..3 {
            dirs.push(fs.mkdir(root, format!("p{i}"), DIR).unwrap());
            trees.push(tree(&mut fs));
        }
        let mut rng = Rng::new(11);
        let mut names: Vec<(u32, String)> = Vec::new();
        for i in 0..100u32 {
            let d = dirs[(i % 3) as usize];
            let ino = fs.create(d, format!("n{i}"), RW).unwrap();
            // The write is an operation of its own: a commit may fall between.
            trees.push(tree(&mut fs));
            let len = 500 + rng.below(3000) as usize;
            fs.write(ino, 0, &pattern(i as u8, len)).unwrap();
            names.push((d, format!("n{i}")));
            trees.push(tree(&mut fs));
            if i % 5 == 4 {
                let (from, name) = names.remove(rng.below(names.len() as u64) as usize);
                let to = dirs[((i + 1) % 3) as usize];
                fs.rename(from, &name, to, format!("m{i}")).unwrap();
                names.push((to, format!("m{i}")));
                trees.push(tree(&mut fs));
            }
            if i % 7 == 6 {
                let (from, name) = names.remove(rng.below(names.len() as u64) as usize);
                fs.unlink(from, &name).unwrap();
                trees.push(tree(&mut fs));
            }
        }
        fs.sync().unwrap();
        let s = fs.journal_stats().unwrap();
        (trees, s)
    };
    let probe = CutDisk::new(base.clone(), u64::MAX, 0);
    let (trees, stats) = run(probe.clone());
    let total = probe.requests();
    assert!(stats.commits > 3, "eviction asked for no commit: {stats:?}");
    let mut rng = Rng::new(5);
    for round in 0..8u64 {
        let cut = 1 + rng.below(total);
        let disk = CutDisk::new(base.clone(), cut, round);
        run(disk.clone());
        let found = disk.found_after_cut();
        let mut mine = mount_mem(found.clone());
        let t = tree(&mut mine);
        if !trees.contains(&t) {
            let diff = |a: &Tree, b: &Tree| -> Vec<String> {
                let mut v: Vec<String> = a
                    .iter()
                    .filter(|(k, x)| b.get(*k) != Some(x))
                    .map(|(k, x)| format!("{k}:{}", x.1.len()))
                    .collect();
                v.extend(
                    b.keys()
                        .filter(|k| !a.contains_key(*k))
                        .map(|k| format!("-{k}")),
                );
                v
            };
            let best = trees
                .iter()
                .enumerate()
                .min_by_key(|(_, x)| diff(&t, x).len())
                .unwrap();
            eprintln!(
                "closest: op {} of {}, diff {:?}",
                best.0,
                trees.len(),
                diff(&t, best.1)
            );
        }
        assert!(
            trees.contains(&t),
            "cut {cut} of {total}: the tree is not the one after any whole operation"
        );
        mine.checkpoint().unwrap();
        let (ok, text) = fsck(mine.device().as_bytes());
        assert!(ok, "cut {cut}: {text}");
        let (host, ok, text) = host_replay(&found);
        assert!(ok, "cut {cut}: {text}");
        assert_eq!(tree(&mut mount_mem(host)), t);
    }
}

/// Blocks freed by a removal wait for its commit before reuse; on a full disk the
/// next operation commits first, so removing a file makes room at once.
#[test]
fn a_full_journaled_disk_has_room_again_right_after_a_removal() {
    if !have_tools("full_disk") {
        return;
    }
    let mut fs = mount_mem(mkfs_ext3(4096));
    let root = fs.root();
    let big = fs.create(root, "big", RW).unwrap();
    let chunk = pattern(1, 64 * 1024);
    let mut off = 0u64;
    loop {
        match fs.write(big, off, &chunk) {
            Ok(n) if n == chunk.len() => off += n as u64,
            Ok(n) => {
                off += n as u64;
                break;
            }
            Err(Errno::ENOSPC) => break,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(off > 1_000_000, "wrote only {off} bytes");
    fs.unlink(root, "big").unwrap();
    let again = fs.create(root, "again", RW).unwrap();
    let n = fs.write(again, 0, &pattern(2, 1_000_000)).unwrap();
    assert_eq!(n, 1_000_000);
    fs.checkpoint().unwrap();
    assert_fsck_clean(fs.device().as_bytes());
}
