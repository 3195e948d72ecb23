//! Protection of the communication objects (chapter 2, 3-2 "protection" applied to
//! "communication"): port names and shared-memory segments carry an owner and a mode,
//! and a process of an ordinary user is refused what the mode does not give it.
//!
//! Each test sets the objects up as root, then forks a child that becomes user 1000
//! (group 1000: the `user` account) with `setgid` and `setuid`, a real non-root
//! process, and checks what it may and may not do; the child reports the first check
//! that failed as its exit status (the `STEPS` table of each test names them). Root's
//! side (it may do what the user may not) is checked in the parent.

use crate::{ctx, ensure, expect_exit, fork_child, TestResult};
use alloc::format;
use alloc::string::String;
use ulib::abi::flags::{MAP_SHARED, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, PROT_READ, PROT_WRITE};
use ulib::abi::Stat;
use ulib::port::{self, Port};
use ulib::{process, sys, Errno};

const USER: u32 = 1000;

/// Become user 1000 in this (forked) process: group first, while still root.
fn become_user() -> bool {
    sys::setgid(USER).is_ok() && sys::setuid(USER).is_ok() && sys::geteuid() == Ok(USER as usize)
}

/// Run `checks` in a child that is user 1000: its exit status is 0, or the number of
/// the first check that failed (100: it could not become the user).
fn as_user(checks: impl FnOnce() -> Result<(), i32>) -> Result<u32, String> {
    fork_child(move || {
        if !become_user() {
            return 100;
        }
        match checks() {
            Ok(()) => 0,
            Err(step) => step,
        }
    })
}

/// `Err(step)` unless `cond`.
fn step(cond: bool, n: i32) -> Result<(), i32> {
    if cond {
        Ok(())
    } else {
        Err(n)
    }
}

fn new_port() -> Result<(Port, port::Client), String> {
    ctx(port::create(0), "port_create")
}

/// What the child's exit status means.
const PORT_STEPS: &str = "1: lookup of a 0600 name of root's was not EACCES; \
    2: lookup of a name registered with the default mode (0644) was not EACCES; \
    3: lookup of a 0602 name failed, or a send to it; \
    4: registering over root's name was not EEXIST; \
    5: replacing root's name was not EPERM; \
    6: registering a free name failed; \
    7: replacing its own name failed; \
    8: the replaced name did not lead to the new port; \
    9: registering the inherited port failed";

pub fn port_names_have_owners_and_modes() -> TestResult {
    let base = format!("ipcperm.{}", process::id());
    let (private, _pc) = new_port()?;
    let private_name = format!("{base}.private");
    ctx(
        private.register_mode(&private_name, 0o600, false),
        "register 0600",
    )?;
    let (public, _uc) = new_port()?;
    let public_name = format!("{base}.public");
    ctx(
        public.register_mode(&public_name, 0o602, false),
        "register 0602",
    )?;
    let (plain, _dc) = new_port()?;
    let plain_name = format!("{base}.plain");
    ctx(plain.register(&plain_name), "register")?;
    // Bad modes and flags are refused before anything is looked at.
    let (spare, _sc) = new_port()?;
    let e = spare.register_mode(&format!("{base}.bad"), 0o4600, false);
    ensure(e == Err(Errno::EINVAL), || format!("mode 04600: {e:?}"))?;
    let e = sys::port_register_mode(spare.as_raw_fd(), &format!("{base}.bad"), 0o600, 2);
    ensure(e == Err(Errno::EINVAL), || format!("unknown flag: {e:?}"))?;
    // The user's own names: one registered on a port the parent keeps (inherited by
    // the child), so that it outlives the child.
    let (kept, _kc) = new_port()?;
    let kept_name = format!("{base}.users");
    let own_name = format!("{base}.own");
    let (pn, un, dn, kn, on) = (
        private_name.clone(),
        public_name.clone(),
        plain_name.clone(),
        kept_name.clone(),
        own_name.clone(),
    );
    let kept_fd = kept.as_raw_fd();
    let pid = as_user(move || {
        step(port::lookup(&pn).err() == Some(Errno::EACCES), 1)?;
        step(port::lookup(&dn).err() == Some(Errno::EACCES), 2)?;
        let c = port::lookup(&un).map_err(|_| 3)?;
        step(c.send(b"from user", &[], None).is_ok(), 3)?;
        let (mine, _m) = port::create(0).map_err(|_| 6)?;
        step(
            mine.register_mode(&pn, 0o666, false) == Err(Errno::EEXIST),
            4,
        )?;
        step(mine.register_mode(&pn, 0o666, true) == Err(Errno::EPERM), 5)?;
        step(mine.register_mode(&on, 0o600, false).is_ok(), 6)?;
        let (again, _a) = port::create(0).map_err(|_| 7)?;
        step(again.register_mode(&on, 0o600, true).is_ok(), 7)?;
        let c = port::lookup(&on).map_err(|_| 8)?;
        step(c.send(b"again", &[], None).is_ok(), 8)?;
        let mut b = [0u8; 8];
        let got = again.receive(&mut b, &mut [], Some(ulib::time::Duration::ZERO));
        step(got.map(|m| m.len) == Ok(5), 8)?;
        step(
            Port::from_raw_fd(kept_fd)
                .register_mode(&kn, 0o600, false)
                .is_ok(),
            9,
        )
    })?;
    expect_exit(pid, 0, PORT_STEPS)?;
    // The user's message arrived, stamped with the user's id.
    let mut b = [0u8; 16];
    let m = ctx(
        public.receive(&mut b, &mut [], None),
        "receive the user's message",
    )?;
    ensure(&b[..m.len] == b"from user" && m.uid == USER, || {
        format!("got {:?} from uid {}", &b[..m.len], m.uid)
    })?;
    // Root may look up a 0600 name of another user (FileOverride) and take it over
    // (Fowner); the user's own name went with its process.
    ctx(
        port::lookup(&private_name),
        "root's lookup of its 0600 name",
    )?;
    ctx(
        port::lookup(&kept_name),
        "root's lookup of the user's 0600 name",
    )?;
    let e = port::lookup(&own_name).map(|_| ());
    ensure(e == Err(Errno::ENOENT), || {
        format!("the name of a port whose process exited: {e:?}")
    })?;
    let (taker, _t) = new_port()?;
    let e = taker.register_mode(&kept_name, 0o666, false);
    ensure(e == Err(Errno::EEXIST), || {
        format!("root registering over a taken name without PORT_REPLACE: {e:?}")
    })?;
    ctx(
        taker.register_mode(&kept_name, 0o666, true),
        "root replacing the user's name",
    )?;
    // `kept` lost its name: with no sender left it now reads as broken.
    drop(_kc);
    let e = kept.receive(&mut b, &mut [], Some(ulib::time::Duration::ZERO));
    ensure(e.err() == Some(Errno::EPIPE), || {
        format!("a port whose name was taken over, no sender: {e:?}")
    })
}

const SHM_STEPS: &str = "1: O_RDWR of a 0600 segment of root's was not EACCES; \
    2: O_RDONLY of it was not EACCES; \
    3: O_RDWR of a 0644 segment was not EACCES; \
    4: O_RDONLY of it failed, or mapping it for reading, or its byte was wrong; \
    5: mapping the read-only descriptor writable was not EACCES; \
    6: O_RDWR of a 0666 segment failed, or writing through its mapping; \
    7: shm_unlink of root's segment was not EACCES; \
    8: creating its own 0600 segment failed";

pub fn shm_segments_are_guarded_by_their_mode() -> TestResult {
    let base = format!("/ipcperm.{}", process::id());
    let names = [
        format!("{base}.a"),
        format!("{base}.b"),
        format!("{base}.c"),
        format!("{base}.d"),
    ];
    let r = shm_checks(&names);
    for n in &names {
        let _ = sys::shm_unlink(n);
    }
    r
}

fn create(name: &str, mode: u32) -> Result<i32, String> {
    let fd = ctx(sys::shm_open(name, O_RDWR | O_CREAT | O_EXCL, mode), name)? as i32;
    ctx(sys::ftruncate(fd, 4096), "ftruncate")?;
    ctx(sys::pwrite(fd, b"R", 0), "pwrite")?;
    Ok(fd)
}

fn shm_checks(names: &[String; 4]) -> TestResult {
    let old = ctx(sys::umask(0), "umask")? as u32;
    let made = (|| -> Result<[i32; 3], String> {
        Ok([
            create(&names[0], 0o600)?,
            create(&names[1], 0o644)?,
            create(&names[2], 0o666)?,
        ])
    })();
    let _ = sys::umask(old);
    let fds = made?;
    let n = names.clone();
    let pid = as_user(move || {
        let open = |name: &str, flags| sys::shm_open(name, flags, 0).map(|fd| fd as i32);
        step(open(&n[0], O_RDWR) == Err(Errno::EACCES), 1)?;
        step(open(&n[0], O_RDONLY) == Err(Errno::EACCES), 2)?;
        step(open(&n[1], O_RDWR) == Err(Errno::EACCES), 3)?;
        let ro = open(&n[1], O_RDONLY).map_err(|_| 4)?;
        let at = sys::mmap_file(0, 4096, PROT_READ, MAP_SHARED, ro, 0).map_err(|_| 4)?;
        let mut b = [0u8; 1];
        step(sys::pread(ro, &mut b, 0) == Ok(1) && b == *b"R", 4)?;
        let _ = sys::munmap(at, 4096);
        let rw = sys::mmap_file(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
        step(rw == Err(Errno::EACCES), 5)?;
        let c = open(&n[2], O_RDWR).map_err(|_| 6)?;
        step(sys::pwrite(c, b"U", 1) == Ok(1), 6)?;
        step(sys::shm_unlink(&n[0]) == Err(Errno::EACCES), 7)?;
        step(
            sys::shm_open(&n[3], O_RDWR | O_CREAT | O_EXCL, 0o600).is_ok(),
            8,
        )
    })?;
    expect_exit(pid, 0, SHM_STEPS)?;
    // The user's byte is in root's segment; root opens the user's 0600 segment,
    // which the user owns, and may remove it.
    let mut b = [0u8; 2];
    ctx(sys::pread(fds[2], &mut b, 0), "pread")?;
    ensure(&b == b"RU", || format!("segment c holds {b:?}"))?;
    let d = ctx(
        sys::shm_open(&names[3], O_RDWR, 0),
        "root opening the user's segment",
    )?;
    let mut st = Stat::default();
    ctx(sys::fstat(d as i32, &mut st), "fstat")?;
    ensure(st.uid == USER && st.mode & 0o777 == 0o600, || {
        format!("the user's segment: uid {} mode {:o}", st.uid, st.mode)
    })?;
    ctx(
        sys::shm_unlink(&names[3]),
        "root removing the user's segment",
    )?;
    for fd in fds.into_iter().chain([d as i32]) {
        let _ = sys::close(fd);
    }
    Ok(())
}
