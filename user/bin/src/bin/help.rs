//! `help`: every command in /bin with one line about it; `help concepts`: the map of
//! chapter 2, section by section, to the command that shows it and the files behind it
//! (the same map as docs/chapter2.md, which has a transcript of each).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use alloc::string::String;
use alloc::vec::Vec;

const USAGE: &str = "help [concepts]";

/// One line per program in /bin (keep in step with user/bin/src/bin).
const COMMANDS: &[(&str, &str)] = &[
    ("awk", "awk [-F SEP] [-v VAR=VALUE] [-f FILE | PROGRAM] [FILE...]: patterns, fields, printf"),
    ("basename", "basename NAME [SUFFIX]: the last component of a path"),
    ("bench", "bench [NAME...]: time system calls, pipes, fork, spawn and exec"),
    ("cat", "cat [FILE...]: print files, or standard input"),
    ("chgrp", "chgrp GROUP FILE...: change the group of files"),
    ("chmod", "chmod MODE FILE...: change permission bits (octal or u+x)"),
    ("chown", "chown OWNER[:GROUP] FILE...: give files to another user (root only)"),
    ("clear", "clear: clear the terminal screen"),
    ("clock", "clock: a wsd window showing the time (UTC), redrawn every second"),
    ("cmp", "cmp [-s] FILE1 [FILE2]: the first byte where two files differ"),
    ("cp", "cp [-rf] SOURCE... DEST: copy files and trees"),
    ("crash", "crash stack|null|abort|spin: fail on purpose (a signal; a core file with ulimit -c)"),
    ("cut", "cut -b|-c|-f LIST [-d DELIM] [-s] [FILE...]: select parts of lines"),
    ("date", "date [-I] [-d @SECONDS] [+FORMAT]: the date and time (UTC)"),
    ("df", "df: space used and free on each file system"),
    ("diff", "diff [-u|-U N] [-q] [-L LABEL] FILE1 FILE2: how two files differ, line by line"),
    ("dirname", "dirname NAME...: a path without its last component"),
    ("dmesg", "dmesg [-w] [-l LEVEL]: the kernel log with times and levels; -w follows it"),
    ("du", "du [-sk] [PATH...]: disk space used, in KiB"),
    ("echo", "echo [-n] [WORD...]: print words"),
    ("edit", "edit FILE: full-screen text editor (^S save, ^Q quit, ^F find)"),
    ("env", "env [-i] [NAME=VALUE...] [COMMAND...]: show or change the environment"),
    ("evtest", "evtest [-n COUNT] [DEVICE]: print an input device's events (/dev/event0)"),
    ("expr", "expr EXPRESSION: arithmetic, comparison, STRING : REGEX, length"),
    ("false", "false: fail (exit status 1)"),
    ("fbtest", "fbtest [mode W H | bench N]: draw a test picture on /dev/fb0 and check its bad paths"),
    ("find", "find [PATH...] [-name GLOB] [-type f|d|l]: walk directory trees"),
    ("free", "free [-b|-k|-m]: memory use"),
    ("fsbench", "fsbench [-m MIB] [-n FILES] [-c KIB] DIR: file-system benchmarks"),
    ("fsstress", "fsstress [-s SEED] [-n OPS] DIR | -f DIR | -w HOW FILE TEXT: file-system tests"),
    ("getty", "getty [TERMINAL]: open a terminal and run login on it (init --login)"),
    ("grep", "grep [-ivnrc] PATTERN [FILE...]: print lines matching a regular expression"),
    ("groups", "groups [USER]: the groups a user is in"),
    ("head", "head [-n N | -c N] [FILE...]: the first lines or bytes"),
    ("hello-dyn", "hello-dyn: a program linked dynamically against libdemo.so"),
    ("help", "help [concepts]: this list, or chapter 2's map to the commands"),
    ("hexdump", "hexdump [-C] [FILE...]: bytes in hexadecimal"),
    ("hog", "hog procs|threads|fds|pipes|mem|churn: try to starve the system; see the limits hold"),
    ("id", "id [-u|-g|-G] [-n] [USER]: user and group ids"),
    ("init", "init: the first process; starts the shell and reaps orphans"),
    ("kill", "kill [-SIGNAL] PID...: send a signal (kill -l lists them)"),
    ("ld-dinos", "ld-dinos: the native dynamic linker (as /lib/ld-dinos.so, run by exec)"),
    ("ldd", "ldd PROGRAM...: the shared libraries a program needs, and where they are"),
    ("ln", "ln [-sf] TARGET LINK: make a hard or symbolic link"),
    ("login", "login [USER]: ask for a name and password, start the user's shell"),
    ("ls", "ls [-alR] [PATH...]: list directories"),
    ("mkdir", "mkdir [-p] [-m MODE] DIR...: make directories"),
    ("more", "more [FILE...]: show text a screenful at a time"),
    ("mount", "mount [-t TYPE SOURCE TARGET]: list or mount file systems"),
    ("mv", "mv SOURCE... DEST: move or rename files"),
    ("nproc", "nproc: the number of CPUs online"),
    ("od", "od [-bcdosxv] [-A RADIX] [-t TYPE] [FILE...]: bytes in octal, hex or as characters"),
    ("paint", "paint [-s WxH]: a wsd window that draws where the pointer is pressed (touch demo)"),
    ("passwd", "passwd [USER]: change a password"),
    ("plugins", "plugins NAME...: load plugins at run time (dlopen, dlsym, dlclose)"),
    ("poweroff", "poweroff: turn the machine off"),
    ("printenv", "printenv [NAME...]: the environment, or some of its values"),
    ("prlimit", "prlimit [-p PID]: a process's resource limits; --core-pattern [PATTERN]"),
    ("prof", "prof [-k] [-u] [-o FILE] CMD...: sample CMD at 1 kHz, print its hottest functions"),
    ("ps", "ps [-K]: list processes (from /proc; -K: from the kernel's call)"),
    ("reboot", "reboot: restart the machine"),
    ("rm", "rm [-rf] PATH...: remove files and trees"),
    ("rmdir", "rmdir [-p] DIR...: remove empty directories"),
    ("sed", "sed [-n] [-e SCRIPT]... [FILE...]: the stream editor (s///, p, d, q, =, addresses)"),
    ("seq", "seq [-w] [-s SEP] [FIRST [INCR]] LAST: a sequence of numbers"),
    ("sh", "sh [SCRIPT]: the command interpreter"),
    ("sleep", "sleep SECONDS: wait"),
    ("sort", "sort [-bcnrsu] [-k KEY] [-t SEP] [-o FILE] [FILE...]: sort lines"),
    ("stat", "stat [-L] PATH...: everything stat says about a file"),
    ("su", "su [-] [USER] [-c COMMAND]: become another user (default root)"),
    ("sync", "sync: write cached blocks to the disks"),
    ("sysmon", "sysmon: a wsd window graphing CPU and memory use from /proc"),
    ("tail", "tail [-n [+]N | -c [+]N] [FILE...]: the last lines or bytes"),
    ("tar", "tar -c|-t|-x [-v] [-f ARCHIVE] [-C DIR] [FILE...]: ustar archives"),
    ("tee", "tee [-a] [FILE...]: copy standard input to files and standard output"),
    ("term", "term [-d]: a wsd window running sh (keys echoed, lines sent on Enter)"),
    ("time", "time [-p] COMMAND [ARG...]: how long a command takes"),
    ("top", "top [-b] [-n N] [-d SECONDS]: processes by CPU use, refreshed (q quits)"),
    ("touch", "touch [-acm] FILE...: create files or set their times to now"),
    ("tr", "tr [-cds] SET1 [SET2]: translate, delete or squeeze characters"),
    ("trace", "trace [-f] [-c] [-e CALLS] CMD... | -p PID: every system call, decoded"),
    ("tracee", "tracee calls|nulls N|fork|hot N|...: known calls and a hot spot (tests)"),
    ("true", "true: succeed (exit status 0)"),
    ("umount", "umount TARGET...: unmount file systems"),
    ("uname", "uname [-asnrvm]: the system's name and version"),
    ("uniq", "uniq [-cdiu] [INPUT [OUTPUT]]: collapse repeated adjacent lines"),
    ("uptime", "uptime: time since boot"),
    ("useradd", "useradd NAME: add a user account with a home directory (root only)"),
    ("usertests", "usertests [NAME...]: test the kernel from a program (xv6 style)"),
    ("wc", "wc [-lwc] [FILE...]: count lines, words and bytes"),
    ("which", "which [-a] NAME...: where a program is in PATH"),
    ("whoami", "whoami: the effective user's name"),
    ("wsd", "wsd [--bench FRAMES]: the window server: windows on /dev/fb0, moved with the pointer"),
    ("wsdtest", "wsdtest [die]: send wsd garbage, or open a window and die (tests)"),
    ("xargs", "xargs [-rt] [-n N] [-I REPL] [COMMAND...]: run a command with arguments from standard input"),
    ("yes", "yes [STRING...]: repeat a line until killed"),
    ("insmod", "insmod PATH [ARGS...]: load a kernel module (root only)"),
    ("rmmod", "rmmod NAME...: remove kernel modules (root only)"),
    ("lsmod", "lsmod: the loaded kernel modules, their size and use count"),
    ("uptime2", "uptime2 [-b N]: the system call uptime2.ko adds"),
    ("threads", "threads [-b ROUNDS] [N] [COUNT]: add numbers with N threads of one process"),
    // The network (docs/network.md).
    ("fetch", "fetch http://HOST[:PORT]/PATH: an HTTP GET, the body to standard output"),
    ("httpd", "httpd [-p PORT] [DIR]: serve files over HTTP/1.1 (port 80 needs root)"),
    ("ifconfig", "ifconfig: the network interfaces, their addresses and counters"),
    ("nc", "nc [-u] HOST PORT | nc [-u] -l [-p] PORT | nc -U [-l] PATH: standard input and output over TCP (UDP, AF_UNIX)"),
    ("netstat", "netstat [-c]: the kernel's socket table (-c: how many entries)"),
    ("ping", "ping [-c COUNT] HOST: ICMP echo requests and their round trips"),
    ("usock", "usock serve PATH | send PATH [FILE...] | probe PATH | pair: AF_UNIX sockets, descriptors and credentials"),
    ("taskset", "taskset -p [MASK] PID | taskset MASK CMD...: the CPUs a process may use"),
    ("whichcpu", "whichcpu [ROUNDS]: busy rounds; the CPUs they ran on (getcpu)"),
    ("ptytest", "ptytest [sh]: drive programs over a pseudo-terminal, print the transcript (tests)"),
];

/// Chapter 2 in its order: (section, the command that shows it, where it is made).
const CONCEPTS: &[(&str, &str, &str)] = &[
    (
        "1 OS services",
        "help",
        "user/bin/src/bin/ (each service below)",
    ),
    (
        "2-1 command interpreter",
        "which rm; echo a b | wc -w; sleep 1 &",
        "user/bin/src/bin/sh/, user/shparse, user/shcore",
    ),
    (
        "2-2 GUI, touch screen",
        "(not yet: a serial console only)",
        "-",
    ),
    (
        "3 system calls",
        "trace -e write echo hello",
        "kernel/syscall/src/dinos.rs, table.rs, trace.rs",
    ),
    (
        "3-1 API, parameters",
        "trace -f -e spawn sh -c 'ls / >/dev/null'",
        "user/ulib/src/sys/mod.rs, abi/src/types.rs, kernel/proc/src/exec.rs",
    ),
    (
        "3-2 process control",
        "crash stack; sleep 30 & kill $!",
        "kernel/proc/src/lifecycle.rs, signal.rs",
    ),
    (
        "3-2 file management",
        "trace -f -e open,unlink sh -c 'echo hi >/tmp/f; rm /tmp/f'",
        "kernel/syscall/src/ops/file.rs, kernel/fsys, vfs, fs",
    ),
    (
        "3-2 device management",
        "ls -l /dev; head -c 8 /dev/zero | od -b",
        "kernel/devices, kernel/drivers, kernel/proc/src/claim.rs",
    ),
    (
        "3-2 information maintenance",
        "uptime; free; ps; prof tracee hot 200",
        "kernel/syscall/src/ops/info.rs, kernel/proc/src/watch.rs",
    ),
    (
        "3-2 communication",
        "pingpong pipe 200; pingpong port 200; prodcons",
        "kernel/files/src/pipe.rs, shm.rs, kernel/ipc",
    ),
    (
        "3-2 protection",
        "id; su user -c 'cat /etc/shadow'",
        "kernel/cred, kernel/vfs/src/perm.rs",
    ),
    ("4 system services", "ls /bin", "user/bin/src/bin/"),
    (
        "5 linkers and loaders",
        "trace -e exec,brk echo loaded",
        "kernel/elf, kernel/proc/src/exec.rs, user/bin/user.ld",
    ),
    (
        "6 OS-specific applications",
        "uname -a; /linux/bin/uname -a",
        "kernel/proc/src/personality.rs, kernel/linux/src/",
    ),
    (
        "7 OS structure",
        "insmod /lib/modules/hello.ko; cat /dev/hello; lsmod; rmmod hello",
        "docs/architecture.md, kernel/module, modules/ (docs/modules.md)",
    ),
    (
        "7-1/7-2 monolithic, layered",
        "(host) cargo tree -p kernel",
        "Cargo.toml, xtask/src/layers.rs",
    ),
    (
        "7-3 microkernels",
        "pingpong port 200",
        "kernel/ipc, user/ulib/src/port.rs",
    ),
    (
        "7-4 modules",
        "(in-kernel test: a call registered at run time)",
        "kernel/syscall/src/registry.rs",
    ),
];

fn concepts() {
    ulib::println!("Chapter 2 in dinos (docs/chapter2.md has a transcript of each):");
    for (section, command, files) in CONCEPTS {
        ulib::println!("{section}\n    try:   {command}\n    files: {files}");
    }
}

fn main() -> i32 {
    let args: Vec<String> = ulib::env::args().skip(1).collect();
    match ulib::cli::parse(&args, "") {
        Ok(p) if p.operands.is_empty() => {}
        Ok(p) if p.operands == ["concepts"] => {
            concepts();
            return 0;
        }
        Ok(_) => return ulib::cli::usage_error(USAGE),
        Err(c) => return ulib::cli::bad_option(c, USAGE),
    }
    ulib::println!("Commands in /bin:");
    for (name, line) in COMMANDS {
        ulib::println!("  {name:<9} {line}");
    }
    // Programs added to /bin without a line here still get listed.
    if let Ok(dir) = ulib::fs::read_dir("/bin") {
        let mut extra: Vec<String> = dir
            .filter_map(|e| e.ok())
            .map(|e| String::from(e.file_name()))
            .filter(|n| !COMMANDS.iter().any(|(c, _)| c == n))
            .collect();
        extra.sort();
        for name in extra {
            ulib::println!("  {name}");
        }
    }
    0
}
