//! Process control: spawn and fork without leaks, copy-on-write memory, exec with
//! arguments and environment, the loader refusing bad files, faults as signals.

use crate::{
    ctx, ensure, expect_exit, expect_signal, fork_child, no_leak, pipe, usage, TestResult,
};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::hint::black_box;
use ulib::abi::signal::SIGSEGV;
use ulib::fs::{self, OpenOptions};
use ulib::io::Read;
use ulib::process::{self, Command, ExitStatus};
use ulib::{sys, Errno};

pub fn spawn_1000_times_leaks_nothing() -> TestResult {
    no_leak(1000, || {
        let st = ctx(Command::new("/bin/true").status(), "spawn /bin/true")?;
        ensure(st.success(), || format!("/bin/true ended with {st}"))
    })
}

/// Fork 64 children that each block reading a pipe, check all are alive, then close
/// the pipe and reap them.
fn sixty_four_round() -> TestResult {
    let base = usage()?.procs;
    let (r, w) = pipe()?;
    let (rfd, wfd) = (r.as_raw_fd(), w.as_raw_fd());
    let mut pids = Vec::with_capacity(64);
    let mut forked = Ok(());
    for _ in 0..64 {
        match fork_child(|| {
            let _ = sys::close(wfd);
            let mut b = [0u8; 1];
            match sys::read(rfd, &mut b) {
                Ok(0) => 0,
                Ok(_) => 2,
                Err(_) => 3,
            }
        }) {
            Ok(pid) => pids.push(pid),
            Err(e) => {
                forked = Err(format!("fork number {}: {e}", pids.len() + 1));
                break;
            }
        }
    }
    let alive = usage()?.procs;
    drop(w); // every child sees end-of-file now
    let mut reaped = Ok(());
    for &pid in &pids {
        let r = expect_exit(pid, 0, "a child blocked on the pipe");
        if reaped.is_ok() {
            reaped = r;
        }
    }
    forked?;
    reaped?;
    ensure(alive == base + 64, || {
        format!(
            "with 64 children blocked, sysinfo counted {alive} processes, expected {} + 64",
            base
        )
    })
}

pub fn sixty_four_processes_alive_at_once() -> TestResult {
    no_leak(1, sixty_four_round)
}

pub fn fork_gives_the_child_a_private_copy() -> TestResult {
    let mut on_stack: u64 = 1;
    let mut on_heap = Box::new(1u64);
    let mut big = vec![1u8; 64 * 1024]; // several pages
    let (from_child, to_parent) = pipe()?;
    let (from_parent, to_child) = pipe()?;
    let (tp, fp) = (to_parent.as_raw_fd(), from_parent.as_raw_fd());
    let pid = fork_child(|| {
        *black_box(&mut on_stack) = 2;
        **black_box(&mut on_heap) = 2;
        black_box(&mut big[..]).fill(2);
        let mut b = [0u8; 1];
        if sys::write(tp, b"w").is_err() || sys::read(fp, &mut b) != Ok(1) {
            return 3;
        }
        // The parent has written 3 everywhere by now: none of it may show here.
        let ok = *black_box(&on_stack) == 2
            && **black_box(&on_heap) == 2
            && black_box(&big[..]).iter().all(|&x| x == 2);
        if ok {
            42
        } else {
            1
        }
    })?;
    let mut b = [0u8; 1];
    ctx(
        ulib::io::Fd(from_child.as_raw_fd()).read_exact(&mut b),
        "waiting for the child's writes",
    )?;
    let seen = (
        *black_box(&on_stack),
        **black_box(&on_heap),
        big.iter().all(|&x| x == 1),
    );
    ensure(seen == (1, 1, true), || {
        format!(
            "after the child wrote 2, the parent sees stack {} heap {} buffer unchanged {}",
            seen.0, seen.1, seen.2
        )
    })?;
    *black_box(&mut on_stack) = 3;
    **black_box(&mut on_heap) = 3;
    black_box(&mut big[..]).fill(3);
    ctx(
        ulib::io::write_all(to_child.as_raw_fd(), b"g"),
        "waking the child",
    )?;
    expect_exit(
        pid,
        42,
        "the child checking its own copy (1 = it saw the parent's writes)",
    )?;
    let seen = (
        *black_box(&on_stack),
        **black_box(&on_heap),
        big.iter().all(|&x| x == 3),
    );
    ensure(seen == (3, 3, true), || {
        format!(
            "the parent lost its own writes: stack {} heap {} buffer intact {}",
            seen.0, seen.1, seen.2
        )
    })
}

/// Fork a child that execs `program` with `args` and `envs`, its standard output into
/// a pipe: what it printed, and how it ended.
fn exec_capture(
    program: &str,
    args: &[&str],
    envs: &[&str],
) -> Result<(String, ExitStatus), String> {
    let (r, w) = pipe()?;
    let (rfd, wfd) = (r.as_raw_fd(), w.as_raw_fd());
    let pid = fork_child(|| {
        if sys::dup2(wfd, 1).is_err() {
            return 120;
        }
        let _ = sys::close(wfd);
        let _ = sys::close(rfd);
        let e = process::exec_with_env(program, args, envs);
        100 + e as i32
    })?;
    drop(w);
    let mut out = String::new();
    ctx(
        ulib::io::Fd(r.as_raw_fd()).read_to_string(&mut out),
        "reading the pipe",
    )?;
    let st = crate::wait_for(pid)?;
    Ok((out, st))
}

pub fn exec_passes_argv_and_envp() -> TestResult {
    let (out, st) = exec_capture("/bin/echo", &["echo", "hello,", "exec", "argv"], &["X=1"])?;
    ensure(st.success() && out == "hello, exec argv\n", || {
        format!("exec /bin/echo: printed {out:?}, {st}; expected \"hello, exec argv\\n\", status 0")
    })?;
    let (out, st) = exec_capture("/bin/env", &["env"], &["USERTESTS=envp-ok", "SECOND=2"])?;
    ensure(
        st.success() && out == "USERTESTS=envp-ok\nSECOND=2\n",
        || format!("exec /bin/env with 2 variables: printed {out:?}, {st}"),
    )
}

/// Write `bytes` to `path` with permission bits `mode`.
fn write_file(path: &str, bytes: &[u8], mode: u32) -> TestResult {
    let _ = fs::remove_file(path);
    let mut f = ctx(
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(path),
        &format!("create {path}"),
    )?;
    ctx(
        ulib::io::Write::write_all(&mut f, bytes),
        &format!("write {path}"),
    )
}

/// Both ways of starting `path` must fail with `want`: spawn in this process, exec in a
/// forked child (which reports the error as its exit status and must not die).
fn refused(path: &str, what: &str, want: Errno) -> TestResult {
    match Command::new(path).status() {
        Err(e) if e == want => {}
        Err(e) => return Err(format!("spawn of {what}: {e:?}, expected {want:?}")),
        Ok(st) => return Err(format!("spawn of {what} ran it ({st}), expected {want:?}")),
    }
    let pid = fork_child(|| process::exec(path, &[path]) as i32)?;
    let st = crate::wait_for(pid)?;
    ensure(st.code() == Some(want as i32), || {
        format!(
            "exec of {what}: child ended with {st}, expected exit status {} ({want:?})",
            want as i32
        )
    })
}

fn le16(b: &[u8], at: usize) -> usize {
    u16::from_le_bytes([b[at], b[at + 1]]) as usize
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// `/bin/true` with its first loadable segment claiming more file bytes than memory.
fn with_filesz_over_memsz(good: &[u8]) -> Option<Vec<u8>> {
    let mut b = good.to_vec();
    let (phoff, phentsize, phnum) = (le64(&b, 32) as usize, le16(&b, 54), le16(&b, 56));
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let p_type = u32::from_le_bytes([b[ph], b[ph + 1], b[ph + 2], b[ph + 3]]);
        let filesz = le64(&b, ph + 32);
        if p_type == 1 && filesz > 1 {
            b[ph + 40..ph + 48].copy_from_slice(&(filesz / 2).to_le_bytes());
            return Some(b);
        }
    }
    None
}

pub fn malformed_executable_is_enoexec() -> TestResult {
    let good = ctx(fs::read("/bin/true"), "read /bin/true")?;
    ensure(good.len() > 64 && good.starts_with(b"\x7fELF"), || {
        "/bin/true is not an ELF file".into()
    })?;
    // The same bytes, unmodified, must run: the failures below are then the loader's.
    write_file("/tmp/ut_good", &good, 0o755)?;
    let st = ctx(
        Command::new("/tmp/ut_good").status(),
        "spawn a copy of /bin/true",
    )?;
    ensure(st.success(), || {
        format!("a copy of /bin/true ended with {st}")
    })?;
    let _ = fs::remove_file("/tmp/ut_good");

    let mut wrong_machine = good.clone();
    wrong_machine[18..20].copy_from_slice(&40u16.to_le_bytes()); // EM_ARM
    let bad_sizes = with_filesz_over_memsz(&good).ok_or("no PT_LOAD segment in /bin/true")?;
    let mut random = vec![0u8; 4096];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for b in random.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    random[0] = 0; // never the ELF magic by chance
    let cases: [(&str, &str, &[u8]); 4] = [
        (
            "/tmp/ut_truncated",
            "a truncated ELF (first 40 bytes)",
            &good[..40],
        ),
        (
            "/tmp/ut_machine",
            "an ELF for another machine (e_machine = ARM)",
            &wrong_machine,
        ),
        (
            "/tmp/ut_sizes",
            "an ELF with p_filesz > p_memsz",
            &bad_sizes,
        ),
        ("/tmp/ut_random", "4096 random bytes", &random),
    ];
    let mut result = Ok(());
    for (path, what, bytes) in cases {
        write_file(path, bytes, 0o755)?;
        let r = refused(path, what, Errno::ENOEXEC);
        let _ = fs::remove_file(path);
        if result.is_ok() {
            result = r;
        }
    }
    result
}

pub fn exec_of_a_non_executable_is_eacces() -> TestResult {
    refused("/tmp", "a directory", Errno::EACCES)?;
    refused("/dev/null", "a device", Errno::EACCES)?;
    let good = ctx(fs::read("/bin/true"), "read /bin/true")?;
    write_file("/tmp/ut_noexec", &good, 0o644)?;
    let r = refused(
        "/tmp/ut_noexec",
        "a regular file with mode 0644 (no x bit)",
        Errno::EACCES,
    );
    let _ = fs::remove_file("/tmp/ut_noexec");
    r
}

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let pad = black_box([depth; 32]);
    if depth == u64::MAX {
        return pad[0];
    }
    recurse(depth + 1).wrapping_add(pad[(depth % 32) as usize])
}

pub fn faulting_child_is_killed_by_sigsegv() -> TestResult {
    let pid = fork_child(|| recurse(0) as i32)?;
    expect_signal(pid, SIGSEGV, "a child recursing without end")?;
    // And this process is untouched: it can still start programs.
    let st = ctx(Command::new("/bin/true").status(), "spawn after the fault")?;
    ensure(st.success(), || format!("/bin/true after the fault: {st}"))
}

/// An executable larger than the kernel can hold while loading it is refused with
/// ENOMEM (or E2BIG-like ENOEXEC past the image limit), and the kernel carries on: the
/// loader's buffer is allocated fallibly. The file is sparse, so the disk barely notices.
pub fn huge_executable_is_refused_not_fatal() -> TestResult {
    let path = "/ut_huge";
    write_file(path, b"\x7fELF", 0o755)?;
    let f = ctx(
        OpenOptions::new().write(true).open(path),
        "open the huge file",
    )?;
    ctx(f.set_len(60 << 20), "make it 60 MiB")?;
    drop(f);
    let r = Command::new(path).status();
    let _ = fs::remove_file(path);
    match r {
        Err(Errno::ENOMEM) | Err(Errno::ENOEXEC) => {}
        other => return Err(format!("spawn of a 60 MiB executable gave {other:?}")),
    }
    // The kernel is fine: a normal program still runs.
    let st = ctx(Command::new("/bin/true").status(), "spawn /bin/true")?;
    ensure(st.success(), || format!("/bin/true ended with {st}"))
}

/// Job control: a child that stops itself with SIGSTOP is reported by `waitpid` with
/// `WUNTRACED` (once), shows as 'T' in the process list, is continued by SIGCONT
/// (reported with `WCONTINUED`), and then exits normally; SIGTSTP stops it too, and
/// SIGKILL ends a stopped process.
pub fn stopped_child_is_reported_continued_and_killed() -> TestResult {
    use ulib::abi::flags::{WCONTINUED, WNOHANG, WUNTRACED};
    use ulib::abi::signal::{SIGCONT, SIGKILL, SIGSTOP, SIGTSTP};
    let wait = |pid: u32, flags: u32| -> Result<ExitStatus, String> {
        let mut st = 0u32;
        match sys::waitpid(i64::from(pid), Some(&mut st), flags) {
            Ok(p) if p == pid as usize => Ok(ExitStatus(st)),
            other => Err(format!("waitpid({pid}, {flags:#x}): {other:?}")),
        }
    };
    // The child stops a second time only when told to (a byte on the pipe): the
    // parent must collect the "continued" report first. Without that, on several CPUs
    // the child could stop again before the parent's `waitpid(WCONTINUED)`, and, as on
    // Linux, a new stop replaces the unreported "continued": that wait would never end.
    let (go_r, go_w) = pipe()?;
    let go = go_r.as_raw_fd();
    let pid = fork_child(|| {
        let me = process::id();
        let _ = sys::kill(i64::from(me), SIGSTOP);
        let mut b = [0u8; 1];
        if sys::read(go, &mut b) != Ok(1) {
            return 3;
        }
        let _ = sys::kill(i64::from(me), SIGTSTP);
        7
    })?;
    let st = wait(pid, WUNTRACED)?;
    ensure(st.stopped_by() == Some(SIGSTOP), || {
        format!("first report {:#x}, not stopped by SIGSTOP", st.0)
    })?;
    let state = ulib::info::processes()
        .ok()
        .and_then(|l| l.into_iter().find(|p| p.pid == pid))
        .map(|p| p.state);
    ensure(state == Some('T'), || {
        format!("a stopped child shows as {state:?}, not 'T'")
    })?;
    ensure(
        sys::waitpid(i64::from(pid), None, WUNTRACED | WNOHANG) == Ok(0),
        || String::from("the stop was reported twice"),
    )?;
    ctx(sys::kill(i64::from(pid), SIGCONT).map(|_| ()), "SIGCONT")?;
    let st = wait(pid, WCONTINUED)?;
    ensure(st.continued(), || {
        format!("after SIGCONT: {:#x}, not continued", st.0)
    })?;
    ctx(
        ulib::io::write_all(go_w.as_raw_fd(), b"g"),
        "telling the child to stop again",
    )?;
    let st = wait(pid, WUNTRACED)?;
    ensure(st.stopped_by() == Some(SIGTSTP), || {
        format!("second report {:#x}, not stopped by SIGTSTP", st.0)
    })?;
    ctx(sys::kill(i64::from(pid), SIGCONT).map(|_| ()), "SIGCONT")?;
    let st = wait(pid, 0)?;
    ensure(st.code() == Some(7), || {
        format!("the continued child ended {:#x}, not exit 7", st.0)
    })?;

    // A stopped process still dies of SIGKILL.
    let pid = fork_child(|| {
        let _ = sys::kill(i64::from(process::id()), SIGSTOP);
        0
    })?;
    wait(pid, WUNTRACED)?;
    ctx(sys::kill(i64::from(pid), SIGKILL).map(|_| ()), "SIGKILL")?;
    let st = wait(pid, 0)?;
    ensure(st.signal() == Some(SIGKILL), || {
        format!("a killed stopped child ended {:#x}", st.0)
    })
}

/// A running program's file cannot be opened for writing (not even to truncate it),
/// and a file open for writing cannot be run: ETXTBSY both ways, as on Linux; each
/// works again once the other side is gone.
pub fn writing_a_running_program_is_etxtbsy() -> TestResult {
    let bytes = ctx(fs::read("/bin/sleep"), "read /bin/sleep")?;
    let path = "/tmp/ut_txtbsy";
    write_file(path, &bytes, 0o755)?;
    let mut child = ctx(
        Command::new(path).arg("5").spawn(),
        "spawn a copy of /bin/sleep",
    )?;
    let write = OpenOptions::new().write(true).open(path).map(drop);
    let trunc = OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .map(drop);
    let size = fs::metadata(path).map(|m| m.len());
    let _ = child.kill();
    let _ = child.wait();
    ensure(write == Err(Errno::ETXTBSY), || {
        format!("open for writing of a running program: {write:?}, expected ETXTBSY")
    })?;
    ensure(trunc == Err(Errno::ETXTBSY), || {
        format!("open O_TRUNC of a running program: {trunc:?}, expected ETXTBSY")
    })?;
    ensure(size == Ok(bytes.len() as u64), || {
        format!("the running program's file is now {size:?} bytes long")
    })?;
    let f = ctx(
        OpenOptions::new().write(true).open(path),
        "open for writing once the program ended",
    )?;
    let r = refused(path, "a program open for writing", Errno::ETXTBSY);
    drop(f);
    r?;
    let st = ctx(
        Command::new(path).arg("0").status(),
        "run it after the close",
    )?;
    ensure(st.success(), || {
        format!("after the close it ended with {st}")
    })?;
    ctx(fs::remove_file(path), "remove the copy")
}
