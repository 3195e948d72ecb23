//! Console sessions for the file-management and file-modification programs in `/bin`.
//!
//! Chapter 2 section 4 (system services: file management and modification): each test
//! boots dinos to the shell and works on files as a person would: creating, writing,
//! appending, renaming and deleting files and trees in `/tmp` (a tmpfs) and on `/` (the
//! ext2 RAM disk), copying and removing trees, links, permissions, searching with
//! `grep` and `find`, counting, dumping bytes, the mount table, and the full-screen
//! editor driven by keystrokes.
//!
//! Design decision (as in `shelltest.rs`): the shell echoes what is typed, so each
//! expected text is chosen so that it is not part of the command line that produces it
//! (`echo one''line` prints `oneline`; `grep -n` output starts with a line number).
//! Checks that something is *absent* look only at the output after the echoed line.

use crate::session::Session;
use crate::Result;
use std::path::Path;

use crate::session::SHELL_PROMPT as PROMPT;
use crate::session::SHELL_STEP_TIMEOUT as STEP_TIMEOUT;

type FsTest = fn(&Path) -> Result<()>;

/// The file-program tests, wired into `cargo xtask test` by `test.rs`.
pub const FS_TESTS: &[(&str, FsTest)] = &[
    (
        "fs::files_are_created_written_appended_renamed_and_deleted",
        files_lifecycle,
    ),
    ("fs::trees_are_made_copied_and_removed_recursively", trees),
    ("fs::symbolic_and_hard_links_show_in_stat", links_and_stat),
    (
        "fs::grep_numbers_ignores_case_inverts_counts_recurses",
        grep,
    ),
    ("fs::find_wc_head_and_tail", find_wc_head_tail),
    ("fs::df_du_mount_hexdump_and_sync", df_du_mount_hexdump),
    (
        "fs::chmod_shows_in_ls_and_makes_a_script_runnable",
        chmod_and_scripts,
    ),
    ("fs::edit_saves_what_was_typed", edit_saves),
    (
        "fs::more_pages_on_the_terminal_and_copies_to_a_pipe",
        more_pages,
    ),
    (
        "fs::removed_working_directory_and_busy_umount_from_the_shell",
        removed_cwd_and_busy_umount,
    ),
];

/// `run`, then fail if the output contains any of `absent`.
fn run_without(s: &mut Session, line: &str, want: &[&str], absent: &[&str]) -> Result<()> {
    let out = s.run_line(line, want)?;
    for a in absent {
        if out.contains(a) {
            return Err(format!(
                "{line:?} printed {a:?}, which it should not:\n{out}"
            ));
        }
    }
    Ok(())
}

fn files_lifecycle(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    // In /tmp (tmpfs).
    s.run_line("echo one''line > /tmp/f1", &[])?;
    s.run_line("echo two''line >> /tmp/f1", &[])?;
    s.run_line("cat /tmp/f1", &["oneline", "twoline"])?;
    s.run_line("mv /tmp/f1 /tmp/f2; cat /tmp/f2", &["oneline"])?;
    s.run_line("cat /tmp/f1", &["no such file or directory"])?;
    s.run_line("rm /tmp/f2; cat /tmp/f2", &["no such file or directory"])?;
    s.run_line("touch /tmp/empty; wc -c /tmp/empty", &["0 /tmp/empty"])?;
    s.run_line("rm /tmp; echo st''=$?", &["is a directory", "st=1"])?;
    s.run_line("rm -z; echo st''=$?", &["usage: rm", "st=2"])?;
    s.run_line("rm -f /tmp/nothing; echo st''=$?", &["st=0"])?;
    // On / (the ext2 RAM disk), and across file systems (rename gives EXDEV).
    s.run_line("mkdir /data; echo on''root > /data/r.txt", &[])?;
    s.run_line("cat /data/r.txt", &["onroot"])?;
    s.run_line("echo more''root >> /data/r.txt; sync", &[])?;
    s.run_line("mv /data/r.txt /tmp/r2.txt", &[])?;
    s.run_line("cat /tmp/r2.txt", &["onroot", "moreroot"])?;
    s.run_line("cat /data/r.txt", &["no such file or directory"])?;
    s.run_line(
        "mv /tmp/r2.txt /data/back.txt; cat /data/back.txt",
        &["onroot"],
    )?;
    s.run_line("rm /data/back.txt; rmdir /data; echo st''=$?", &["st=0"])?;
    s.run_line("ls /data", &["no such file or directory"])?;
    Ok(())
}

fn trees(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("mkdir -p /tmp/t/a/b; echo dee''p > /tmp/t/a/b/f", &[])?;
    s.run_line("echo top''file > /tmp/t/g", &[])?;
    s.run_line("cp /tmp/t/g /tmp/g.copy; cat /tmp/g.copy", &["topfile"])?;
    s.run_line(
        "cp /tmp/t /tmp/u; echo st''=$?",
        &["-r not specified", "st=1"],
    )?;
    s.run_line("cp -r /tmp/t /tmp/u; echo st''=$?", &["st=0"])?;
    s.run_line("cat /tmp/u/a/b/f /tmp/u/g", &["deep", "topfile"])?;
    // A tree copied onto the ext2 root and back.
    s.run_line("cp -r /tmp/t /tree; cat /tree/a/b/f", &["deep"])?;
    s.run_line("mkdir /tmp/into; cp /tmp/t/g /tree/a/b/f /tmp/into", &[])?;
    s.run_line("ls /tmp/into", &["f\r\ng"])?;
    s.run_line("rm -r /tmp/t /tmp/u /tree; echo st''=$?", &["st=0"])?;
    s.run_line("ls /tree /tmp/u", &["no such file", "no such file"])?;
    s.run_line("rmdir /tmp/into; echo st''=$?", &["not empty", "st=1"])?;
    s.run_line("mkdir /tmp/m1; rmdir /tmp/m1; echo st''=$?", &["st=0"])?;
    s.run_line("mkdir /tmp/m1/x/y", &["no such file"])?;
    Ok(())
}

fn links_and_stat(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("echo tar''get > /tmp/target", &[])?;
    s.run_line("ln -s /tmp/target /tmp/sym; cat /tmp/sym", &["target"])?;
    s.run_line(
        "stat /tmp/sym",
        &[
            "-> /tmp/target",
            "symbolic link",
            "Access: (0777/lrwxrwxrwx)",
            "Modify: ",
        ],
    )?;
    s.run_line("ls -l /tmp/sym", &["lrwxrwxrwx"])?;
    s.run_line("ln /tmp/target /tmp/hard", &[])?;
    s.run_line(
        "stat /tmp/hard",
        &["Size: 7", "regular file", "Links: 2", "Change: "],
    )?;
    s.run_line("rm /tmp/target; cat /tmp/hard", &["target"])?;
    s.run_line("cat /tmp/sym", &["no such file"])?;
    s.run_line("stat -L /tmp/sym; echo st''=$?", &["st=1"])?;
    s.run_line("mkdir /tmp/d; stat /tmp/d", &["directory"])?;
    Ok(())
}

fn grep(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    for line in ["alpha one", "Beta two", "gamma three", "beta four"] {
        s.run_line(&format!("echo '{line}' >> /tmp/g.txt"), &[])?;
    }
    run_without(
        &mut s,
        "grep -n eta /tmp/g.txt",
        &["2:Beta two", "4:beta four"],
        &["1:", "3:"],
    )?;
    s.run_line("grep -i -n BETA /tmp/g.txt", &["2:Beta two", "4:beta four"])?;
    s.run_line("grep BETA /tmp/g.txt; echo st''=$?", &["st=1"])?;
    run_without(
        &mut s,
        "grep -vn eta /tmp/g.txt",
        &["1:alpha one", "3:gamma three"],
        &["Beta two"],
    )?;
    s.run_line("grep -c eta /tmp/g.txt", &["\n2\r\n"])?;
    s.run_line("grep -n '^gam.*e$' /tmp/g.txt", &["3:gamma three"])?;
    s.run_line("grep -n 'b[e]t[^x]' /tmp/g.txt", &["4:beta four"])?;
    s.run_line("grep -n 'a\\.' /tmp/g.txt; echo st''=$?", &["st=1"])?;
    s.run_line("cat /tmp/g.txt | grep -n amm", &["3:gamma three"])?;
    s.run_line("mkdir -p /tmp/gr/sub; echo nee''dle > /tmp/gr/sub/f", &[])?;
    s.run_line("grep -r needle /tmp/gr", &["/tmp/gr/sub/f:needle"])?;
    s.run_line(
        "grep '[abc' /tmp/g.txt; echo st''=$?",
        &["unmatched", "st=2"],
    )?;
    Ok(())
}

fn find_wc_head_tail(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line(
        "mkdir -p /tmp/fd/a; touch /tmp/fd/x.txt /tmp/fd/a/y.txt",
        &[],
    )?;
    s.run_line("touch /tmp/fd/a/z.rs; ln -s x.txt /tmp/fd/l", &[])?;
    run_without(
        &mut s,
        "find /tmp/fd -name '*.txt'",
        &["/tmp/fd/a/y.txt\r\n", "/tmp/fd/x.txt\r\n"],
        &["z.rs"],
    )?;
    s.run_line("find /tmp/fd -type d", &["/tmp/fd\r\n", "/tmp/fd/a\r\n"])?;
    s.run_line("find /tmp/fd -type l -print", &["/tmp/fd/l\r\n"])?;
    s.run_line("cd /tmp/fd; find . -name 'z*'", &["./a/z.rs"])?;
    s.run_line(
        "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo L$i; done > /tmp/n.txt",
        &[],
    )?;
    s.run_line("wc /tmp/n.txt", &["12 12 39 /tmp/n.txt"])?;
    s.run_line("wc -l /tmp/n.txt", &["12 /tmp/n.txt"])?;
    s.run_line("wc -w < /tmp/n.txt", &["12\r\n"])?;
    run_without(&mut s, "head -n 2 /tmp/n.txt", &["L1\r\nL2\r\n"], &["L3"])?;
    run_without(
        &mut s,
        "tail -n 2 /tmp/n.txt",
        &["L11\r\nL12\r\n"],
        &["L10"],
    )?;
    run_without(
        &mut s,
        "cat /tmp/n.txt | tail -n 3",
        &["L10\r\nL11\r\nL12\r\n"],
        &["L9"],
    )?;
    run_without(&mut s, "head /tmp/n.txt", &["L10\r\n"], &["L11"])?;
    s.run_line("head -n x /tmp/n.txt; echo st''=$?", &["st=1"])?;
    Ok(())
}

fn df_du_mount_hexdump(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("df", &["Mounted on", "ext2", " /\r\n"])?;
    s.run_line("df | grep -c tmp", &["\n1\r\n"])?;
    s.run_line("mount", &["on / type ext2 (rw)"])?;
    s.run_line("mkdir -p /tmp/dd/s; echo x > /tmp/dd/s/f", &[])?;
    s.run_line("du /tmp/dd", &["\t/tmp/dd/s\r\n", "\t/tmp/dd\r\n"])?;
    run_without(&mut s, "du -s /tmp/dd", &["\t/tmp/dd\r\n"], &["dd/s"])?;
    s.run_line("echo hello > /tmp/h", &[])?;
    s.run_line(
        "hexdump -C /tmp/h",
        &["00000000  68 65 6c 6c 6f 0a", "|hello.|", "00000006"],
    )?;
    s.run_line("hexdump /tmp/h", &["0000000 6568 6c6c 0a6f", "0000006"])?;
    s.run_line("sync; echo st''=$?", &["st=0"])?;
    // A second tmpfs, mounted and unmounted from the shell.
    s.run_line("mkdir /tmp/mnt; mount -t tmpfs none /tmp/mnt", &[])?;
    s.run_line("mount", &["none on /tmp/mnt type tmpfs"])?;
    s.run_line("echo in''mnt > /tmp/mnt/f; cat /tmp/mnt/f", &["inmnt"])?;
    s.run_line("df", &["/tmp/mnt\r\n"])?;
    s.run_line("umount /tmp/mnt; cat /tmp/mnt/f", &["no such file"])?;
    Ok(())
}

fn chmod_and_scripts(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("echo '#!/bin/sh' > /tmp/s.sh", &[])?;
    s.run_line("echo \"echo run''by''name \\$1\" >> /tmp/s.sh", &[])?;
    s.run_line("chmod 600 /tmp/s.sh; ls -l /tmp/s.sh", &["-rw------- "])?;
    s.run_line("chmod 755 /tmp/s.sh; ls -l /tmp/s.sh", &["-rwxr-xr-x "])?;
    s.run_line("/tmp/s.sh arg''1", &["runbyname arg1"])?;
    s.run_line("cd /tmp; ./s.sh", &["runbyname"])?;
    s.run_line("chmod go-rx /tmp/s.sh; ls -l /tmp/s.sh", &["-rwx------ "])?;
    s.run_line("chmod a+r,u-w /tmp/s.sh; ls -l /tmp/s.sh", &["-r-xr--r-- "])?;
    s.run_line("mkdir -m 700 /tmp/priv; ls -l /tmp", &["drwx------ "])?;
    s.run_line("chmod 9 /tmp/s.sh; echo st''=$?", &["invalid mode", "st=2"])?;
    s.run_line(
        "chmod 644 /nonexistent; echo st''=$?",
        &["no such file", "st=1"],
    )?;
    Ok(())
}

/// Waits for the editor's screen to show `text` (it repaints after every key).
fn screen(s: &mut Session, text: &str) -> Result<()> {
    s.expect(text, STEP_TIMEOUT)
        .map(|_| ())
        .map_err(|e| format!("the editor did not show {text:?}: {e}"))
}

fn edit_saves(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.send("edit /tmp/ed.txt\n")?;
    // Keys typed before the editor is in raw mode would go through the line discipline.
    screen(&mut s, "new file")?;
    s.send("first\rsecond")?;
    screen(&mut s, "2:7 ")?;
    // Up, End, then insert; Home on line 2, Delete the `s`, type `S`.
    s.send("\x1b[A\x1b[F!\x1b[B\x1b[H\x1b[3~S")?;
    screen(&mut s, "2:2 ")?;
    s.send("\x1b[F\r\tthird\x7f\x7fRD")?;
    screen(&mut s, "[modified]")?;
    s.send("\x13")?; // Ctrl-S
    screen(&mut s, "wrote 21 bytes")?;
    s.send("\x11")?; // Ctrl-Q
    s.expect(PROMPT, STEP_TIMEOUT)?;
    s.run_line("cat /tmp/ed.txt", &["first!\r\nSecond\r\n\tthiRD\r\n"])?;
    // Again: search, edit, refuse to quit while modified, then quit without saving.
    s.send("edit /tmp/ed.txt\n")?;
    screen(&mut s, "1:1 ")?;
    s.send("\x06thi\r")?; // Ctrl-F
    screen(&mut s, "3:2 ")?;
    s.send("X\x11")?;
    screen(&mut s, "again")?;
    s.send("\x11")?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    run_without(&mut s, "cat /tmp/ed.txt", &["RD\r\n"], &["Xthi"])?;
    // And save a change made after a search, with PgDn/PgUp on the way.
    s.send("edit /tmp/ed.txt\n")?;
    screen(&mut s, "1:1 ")?;
    s.send("\x1b[6~\x1b[5~\x06Sec\rnew \x13")?;
    screen(&mut s, "wrote 25 bytes")?;
    s.send("\x11")?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    s.run_line("cat /tmp/ed.txt", &["first!\r\nnew Second\r\n"])?;
    Ok(())
}

fn more_pages(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    let numbers: Vec<String> = (1..=30).map(|i| i.to_string()).collect();
    let fill = format!(
        "for i in {}; do echo M$i; done > /tmp/m.txt",
        numbers.join(" ")
    );
    s.run_line(&fill, &[])?;
    s.send("more /tmp/m.txt\n")?;
    let page = s.expect("--More--", STEP_TIMEOUT)?;
    if !page.contains("M23\r\n") || page.contains("M24") {
        return Err(format!("the first page is not lines 1-23:\n{page}"));
    }
    s.send("\n")?; // Enter: one more line
    let line = s.expect("--More--", STEP_TIMEOUT)?;
    if !line.contains("M24") || line.contains("M25") {
        return Err(format!("Enter did not show exactly one line:\n{line}"));
    }
    s.send(" ")?; // space: the rest (less than a page)
    s.expect("M30", STEP_TIMEOUT)?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    s.send("more /tmp/m.txt\n")?;
    s.expect("--More--", STEP_TIMEOUT)?;
    s.send("q")?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    s.run_line("echo after''quit", &["afterquit"])?;
    run_without(&mut s, "more /tmp/m.txt | cat", &["M30\r\n"], &["--More--"])?;
    Ok(())
}

/// The fuzzer's two findings typed at the shell: `touch` in a removed working
/// directory must not create the file in a new directory that reused its inode, and
/// `umount` must refuse while a background job writes to the mount.
fn removed_cwd_and_busy_umount(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("mkdir /dd; cd /dd; rmdir /dd; mkdir /other", &[])?;
    s.run_line("touch f", &["touch: f: no such file or directory"])?;
    run_without(
        &mut s,
        "ls",
        &["ls: .: no such file or directory"],
        &["i/o error"],
    )?;
    s.run_line("cd ..", &["no such file or directory"])?;
    s.run_line(
        "cd /; cat /other/f",
        &["cat: /other/f: no such file or directory"],
    )?;
    s.run_line("rmdir /other; echo rm''ok", &["rmok"])?;
    s.run_line("mkdir /tmp/m; mount -t tmpfs none /tmp/m", &[])?;
    s.run_line("sleep 3 > /tmp/m/out &", &["[1] "])?;
    s.run_line("umount /tmp/m", &["device or resource busy"])?;
    s.run_line("wait; umount /tmp/m; echo st''=$?", &["st=0"])?;
    Ok(())
}
