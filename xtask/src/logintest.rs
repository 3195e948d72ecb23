//! Users, login and permissions, tested from the console (`users::...`).
//!
//! The machine boots with `login` on the kernel command line (what `cargo xtask run
//! --login` does), so init runs getty and login instead of a root shell. One session
//! logs in as `user` (after a wrong password, which is refused), checks each thing
//! an ordinary user may not do, and then, after `su` with root's password, that root
//! may (a raw disk among them: refused to the user by `Capability::RawDevice`, EPERM,
//! not by its mode bits). Between them: a set-user-id copy of `id`, `useradd`, `passwd` and `su` to the
//! new account. Power off comes last, and `e2fsck -fn` must then find the disk clean.

use crate::session::Session;
use crate::test::{disk_machine, fsck, scratch_disk};
use crate::Result;
use std::path::Path;
use std::time::Duration;

/// Generous: software emulation on a loaded 2-core machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(90);
/// A step may hash a password (SHA-512 crypt, 5,000 rounds) under emulation.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

type LoginTest = fn(&Path) -> Result<()>;

pub const LOGIN_TESTS: &[(&str, LoginTest)] = &[(
    "users::a_user_is_refused_what_root_may_do_and_the_disk_stays_clean",
    user_and_root,
)];

/// Wait for `prompt`, then type `answer` and Enter.
fn answer(s: &mut Session, prompt: &str, answer: &str) -> Result<()> {
    s.expect(prompt, STEP_TIMEOUT)
        .map_err(|e| format!("waiting for {prompt:?}: {e}"))?;
    s.send(&format!("{answer}\n"))
}

/// At a shell: run `cmd`; its output (up to the next prompt) must contain `want`.
fn run(s: &mut Session, cmd: &str, want: &str) -> Result<()> {
    s.send(&format!("{cmd}\n"))?;
    s.expect(cmd, STEP_TIMEOUT)?; // the echo: what follows is the output
    let out = s
        .expect("$ ", STEP_TIMEOUT)
        .map_err(|e| format!("after {cmd:?}: {e}"))?;
    if out.contains(want) {
        Ok(())
    } else {
        Err(format!(
            "`{cmd}` did not print {want:?}; it printed:\n{out}"
        ))
    }
}

/// `su [USER]` with `password`: the new shell's prompt must come.
fn su(s: &mut Session, user: &str, password: &str) -> Result<()> {
    s.send(&format!("su {user}\n"))?;
    answer(s, "Password: ", password)?;
    s.expect("$ ", STEP_TIMEOUT).map(drop)
}

/// The ordinary user's and root's checks, in one login session.
/// Starts at the first `login:` prompt.
fn session(s: &mut Session) -> Result<()> {
    s.send("user\n")?;
    answer(s, "Password: ", "wrong")?;
    s.expect("Login incorrect", STEP_TIMEOUT)?;
    answer(s, "login: ", "user")?;
    answer(s, "Password: ", "user")?;
    s.expect("$ ", STEP_TIMEOUT)?;
    run(s, "id", "uid=1000(user) gid=1000(user) groups=1000(user)")?;
    run(
        s,
        "echo $HOME $USER $LOGNAME $SHELL",
        "/home/user user user /bin/sh",
    )?;
    // What an ordinary user may not do.
    run(s, "cat /etc/shadow", "permission denied")?;
    run(s, "touch /root/x", "permission denied")?;
    run(s, "kill 1", "not permitted")?;
    run(s, "poweroff", "not permitted")?;
    run(
        s,
        "mkdir /tmp/m; mount -t tmpfs none /tmp/m",
        "not permitted",
    )?;
    run(
        s,
        "echo mine > /tmp/mine; chown root /tmp/mine",
        "not permitted",
    )?;
    run(s, "chgrp root /tmp/mine", "not permitted")?;
    // `ls -l` names owners and groups from /etc/passwd and /etc/group.
    run(s, "ls -l /tmp/mine", "-rw-r--r-- 1 user user 5 ")?;
    run(s, "ls -l /etc/shadow", "-rw------- 1 root root ")?;
    // A raw disk is refused by the RawDevice capability (EPERM), though its mode
    // bits (0666) would let anyone read it.
    run(s, "ls -l /dev/disk0", "crw-rw-rw-")?;
    run(s, "head -c 16 /dev/disk0", "not permitted")?;
    s.send("su\n")?;
    answer(s, "Password: ", "bad")?;
    s.expect("Authentication failure", STEP_TIMEOUT)?;
    s.expect("$ ", STEP_TIMEOUT)?;
    // Root makes a file in the sticky /tmp and a set-user-id copy of id.
    su(s, "", "root")?;
    run(s, "id", "uid=0(root) gid=0(root)")?;
    run(s, "echo r > /tmp/rootfile; echo made", "made")?;
    run(
        s,
        "cp /bin/id /tmp/sid && chmod 4755 /tmp/sid && echo made",
        "made",
    )?;
    // The same program on a nosuid mount runs with the caller's ids.
    run(
        s,
        "mkdir /tmp/n && mount -t tmpfs -o nosuid none /tmp/n && cp /tmp/sid /tmp/n/sid && chmod 4755 /tmp/n/sid && mount",
        "none on /tmp/n type tmpfs (rw,nosuid)",
    )?;
    run(s, "useradd alice", "uid 1001, home /home/alice")?;
    s.send("passwd alice\n")?;
    answer(s, "New password: ", "wonder")?;
    answer(s, "Retype new password: ", "wonder")?;
    s.expect("password updated", STEP_TIMEOUT)?;
    s.expect("$ ", STEP_TIMEOUT)?;
    run(s, "exit", "")?;
    run(s, "id -un", "user")?;
    // Someone else's file in a sticky directory, and a set-user-id program.
    run(s, "rm /tmp/rootfile", "not permitted")?;
    run(s, "chmod 666 /tmp/rootfile", "not permitted")?;
    run(s, "chown user /tmp/rootfile", "not permitted")?;
    run(s, "/tmp/sid", "uid=1000(user) gid=1000(user) euid=0(root)")?;
    run(
        s,
        "/tmp/n/sid",
        "uid=1000(user) gid=1000(user) groups=1000(user)",
    )?;
    run(s, "mount -o remount,suid /tmp/n", "not permitted")?;
    su(s, "alice", "wonder")?;
    run(s, "id", "uid=1001(alice) gid=1001(alice)")?;
    run(s, "cat /tmp/mine", "mine")?;
    run(s, "exit", "")?;
    // Root may do each of those.
    su(s, "", "root")?;
    run(s, "cat /etc/shadow", "user:$6$")?;
    run(s, "touch /root/x && echo done", "done")?;
    run(s, "head -c 1024 /dev/disk0 | wc -c", "1024")?;
    run(s, "kill -CONT 1 && echo done", "done")?;
    run(
        s,
        "mount -t tmpfs none /tmp/m && umount /tmp/m && echo done",
        "done",
    )?;
    run(
        s,
        "chmod 666 /tmp/rootfile && chown user /tmp/rootfile && rm /tmp/rootfile && echo done",
        "done",
    )?;
    run(
        s,
        "chown root:root /tmp/mine && stat /tmp/mine",
        "Uid: 0     Gid: 0",
    )?;
    run(s, "ls -l /tmp/mine", "-rw-r--r-- 1 root root 5 ")?;
    s.send("poweroff\n")?;
    let st = s.wait_exit(STEP_TIMEOUT)?;
    if crate::qemu::exit_code(st) != 0 {
        return Err(format!("poweroff as root ended QEMU with status {st:?}"));
    }
    Ok(())
}

fn user_and_root(kernel: &Path) -> Result<()> {
    let disk = scratch_disk("users")?;
    let ran = {
        let mut m = disk_machine(kernel, &disk);
        m.append = "login".into();
        let mut s = Session::start(&m)?;
        s.expect("login: ", BOOT_TIMEOUT)?;
        session(&mut s).map_err(|e| {
            let said = crate::session::tail(&s.output(), 30);
            format!("{e}\n(the console said:\n{said})")
        })
    };
    match (ran, fsck(&disk)) {
        (Ok(()), Ok(())) => {
            let _ = std::fs::remove_file(&disk);
            Ok(())
        }
        (Err(e), Ok(())) => Err(format!("{e}\n(e2fsck found the disk clean)")),
        (Ok(()), Err(f)) => Err(f),
        (Err(e), Err(f)) => Err(format!("{e}\n{f}")),
    }
}
