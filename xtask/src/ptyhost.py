#!/usr/bin/env python3
"""The host's half of `gui::pty_...`: user/bin/src/bin/ptytest.rs's three sessions
run against Linux's pseudo-terminals, printing the same transcript format, so that
dinos's line discipline, job control and hang-up are compared with Linux's, not with
expectations written by hand. Keep the two in step."""

import fcntl
import os
import select
import signal
import struct
import sys
import termios
import time


def escape(b):
    return "".join(
        chr(c) if 0x20 <= c < 0x7F and c != 0x5C else "\\x%02x" % c for c in b
    )


def out(s):
    os.write(1, s.encode())


def collect(master, until):
    got = b""
    for _ in range(200):
        if until and until in got:
            break
        r, _, _ = select.select([master], [], [], 0.1)
        if not r:
            continue
        try:
            d = os.read(master, 512)
        except OSError as e:
            print("< " + escape(got))
            print("= read " + {5: "EIO"}.get(e.errno, str(e.errno)))
            return b""
        if not d:
            break
        got += d
    print("< " + escape(got))
    return got


def type_in(master, text):
    print("> " + escape(text))
    os.write(master, text)


def report(pid, flags):
    _, st = os.waitpid(pid, flags)
    if os.WIFSTOPPED(st):
        print("= stopped %d" % os.WSTOPSIG(st))
    elif os.WIFSIGNALED(st):
        print("= signal %d" % os.WTERMSIG(st))
    else:
        print("= exit %d" % os.WEXITSTATUS(st))


def become_session(master, slave):
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in range(3):
        os.dup2(slave, fd)
    os.close(slave)
    os.close(master)


def read0(n=256):
    while True:
        try:
            return os.read(0, n)
        except InterruptedError:
            continue


def reader():
    while True:
        try:
            b = read0()
        except OSError:
            os._exit(3)
        out("[%d:%s]\n" % (len(b), escape(b)))
        if b == b"w\n":
            rows, cols, _, _ = struct.unpack(
                "HHHH", fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8)
            )
            out("size %dx%d\n" % (rows, cols))
        if b == b"r\n":
            cooked = termios.tcgetattr(0)
            raw = list(cooked)
            raw[1] &= ~termios.OPOST
            raw[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG)
            raw[6] = list(raw[6])
            raw[6][termios.VMIN] = 1
            raw[6][termios.VTIME] = 0
            termios.tcsetattr(0, termios.TCSANOW, raw)
            out("raw\n")
            got = b""
            while len(got) < 3:
                k = read0(3 - len(got))
                if not k:
                    break
                got += k
            out("[%d:%s]\n" % (len(got), escape(got)))
            termios.tcsetattr(0, termios.TCSANOW, cooked)
            out("cooked\n")


def job_leader():
    """Session A's leader: runs reader() as a foreground job in its own group, as a
    shell does (Ctrl-Z stops only a group that is not orphaned), and reports on the
    terminal what becomes of it."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        os.read(r, 1)
        reader()
    os.setpgid(pid, pid)
    os.tcsetpgrp(0, pid)
    os.write(w, b"g")
    while True:
        _, st = os.waitpid(pid, os.WUNTRACED)
        if os.WIFSTOPPED(st):
            out("job: stopped %d\n" % os.WSTOPSIG(st))
            os.kill(pid, signal.SIGCONT)
        elif os.WIFSIGNALED(st):
            out("job: signal %d\n" % os.WTERMSIG(st))
            os._exit(0)
        else:
            out("job: exit %d\n" % os.WEXITSTATUS(st))
            os._exit(0)


def fork_session(child):
    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:
        try:
            become_session(master, slave)
            child()
        finally:
            os._exit(98)
    os.close(slave)
    return master, pid


def session_a():
    print("== session A: line discipline, size, raw mode, Ctrl-Z, Ctrl-C")
    m, pid = fork_session(job_leader)
    for text in [b"hello\n", b"ab\x7fc\n", b"xyz\x15q\n", b"par\x04", b"\x04"]:
        type_in(m, text)
        collect(m, b"]\r\n")
    fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    type_in(m, b"w\n")
    collect(m, b"100\r\n")
    type_in(m, b"r\n")
    collect(m, b"raw\n")
    type_in(m, b"a\x03\x7f")
    collect(m, b"cooked\r\n")
    type_in(m, b"\x1a")
    collect(m, b"stopped 20\r\n")
    type_in(m, b"again\n")
    collect(m, b"]\r\n")
    type_in(m, b"\x03")
    collect(m, b"")
    report(pid, 0)
    os.close(m)


def job_control():
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        try:
            os.read(0, 8)
        finally:
            os._exit(7)
    _, st = os.waitpid(pid, os.WUNTRACED)
    if os.WIFSTOPPED(st):
        out("bg read: stopped %d\n" % os.WSTOPSIG(st))
    else:
        out("bg read: not stopped\n")
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    out("ready\n")
    try:
        read0(8)
    except OSError:
        pass
    os._exit(5)


def hangup_survivor():
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    out("ready\n")

    def cls(f):
        try:
            return 0 if f() in (0, b"") else 2
        except OSError as e:
            return 1 if e.errno == 5 else 3

    first = cls(lambda: read0(8))
    second = cls(lambda: read0(8))
    w = cls(lambda: os.write(1, b"x"))
    os._exit(16 * first + 4 * second + w)


def wait_asleep(pid):
    """Wait (at most 5 s) until the child sleeps (its read is waiting), so that the
    hang-up finds it there: a read that has not started yet would see end-of-file
    instead of EIO, and the transcript would depend on timing."""
    for _ in range(500):
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "S":
                return
        time.sleep(0.01)


def session(name, child):
    print("== session " + name)
    m, pid = fork_session(child)
    collect(m, b"ready\r\n")
    wait_asleep(pid)
    print("= close master")
    os.close(m)
    report(pid, 0)


def main():
    # A background job's read must stop it: the defaults, whatever the caller set.
    for s in (signal.SIGTTIN, signal.SIGTSTP, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
    session_a()
    session("B: a background read, then the hang-up", job_control)
    session("C: end of file and EIO after the hang-up", hangup_survivor)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
