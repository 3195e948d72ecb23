//! The text utilities compared with the host's: the same command lines on the same
//! input files, run by GNU coreutils, sed, diff and friends on the host and by dinos's
//! programs in one boot; standard output and exit status must be identical.
//!
//! Design decision: the expected output is never written by hand. Each case is a tiny
//! shell script (`c/N.sh`); the host runs it with `dash` in a folder holding the input
//! files, under `LC_ALL=C`. For the guest, the same folder is written into a copy of
//! the root image (as `/u`, with `debugfs`), together with a driver script that runs
//! every case with its output, errors and status redirected into files under `/o`.
//! After one boot, `/o` is read back out of the image with `debugfs rdump` and
//! compared case by case. Going through files rather than the console keeps the
//! outputs byte-exact (no terminal newline translation, binary output allowed).
//! Standard error is compared only for being empty or not: messages are worded
//! differently from GNU's, but an error must be reported when GNU reports one.

mod cases;

use crate::session::Session;
use crate::Result;
use cases::{inputs, ARCHIVE_CASES, CASES};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

type UtilTest = fn(&Path) -> Result<()>;

/// The test, wired into `cargo xtask test` by `test.rs`.
pub const UTIL_TESTS: &[(&str, UtilTest)] = &[(
    "util::utilities_match_the_host_tools_case_by_case",
    compare_with_host,
)];

/// The whole guest run (about three hundred and fifty small programs under emulation).
const RUN_TIMEOUT: Duration = Duration::from_secs(360);

/// What GNU tar reads from `archive`: its listing, then every member's contents.
fn read_archive(archive: &[u8]) -> Result<Vec<u8>> {
    let mut seen = Vec::new();
    for args in [&["-tf", "-"][..], &["-xOf", "-"][..]] {
        let mut child = Command::new("tar")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run tar: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let data = archive.to_vec();
        let feeder = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&data);
        });
        let out = child.wait_with_output().map_err(|e| format!("tar: {e}"))?;
        let _ = feeder.join();
        seen.extend_from_slice(&out.stdout);
        if !out.status.success() {
            seen.extend_from_slice(b"GNU tar failed: ");
            seen.extend_from_slice(&out.stderr);
        }
    }
    Ok(seen)
}

/// Run `dir/c/N.sh` with the host's tools: (stdout, stderr non-empty, status).
fn host_run(dir: &Path, script: &Path) -> Result<(Vec<u8>, bool, i32)> {
    let out = Command::new("dash")
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run dash: {e}"))?;
    Ok((
        out.stdout,
        !out.stderr.is_empty(),
        out.status.code().unwrap_or(128),
    ))
}

fn write(path: &Path, data: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))
}

/// A fresh folder holding the inputs and the case scripts.
fn stage(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    for (name, data) in inputs() {
        write(&dir.join(name), &data)?;
    }
    for (i, case) in all_cases().iter().enumerate() {
        write(
            &dir.join(format!("c/{i}.sh")),
            format!("{case}\n").as_bytes(),
        )?;
    }
    // An archive made by GNU tar, in the portable format, with fixed owners and times.
    let st = Command::new("tar")
        .args([
            "--format=ustar",
            "--mtime=@1700000000",
            "--owner=root",
            "--group=root",
        ])
        .args([
            "--sort=name",
            "--mode=go-w",
            "-cf",
            "host.tar",
            "a.txt",
            "sub",
            "nonl",
        ])
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !st.success() {
        return Err("tar could not make host.tar".into());
    }
    Ok(())
}

/// Every case: the ordinary ones, then the archive-making ones.
fn all_cases() -> Vec<&'static str> {
    CASES.iter().chain(ARCHIVE_CASES).copied().collect()
}

/// The guest's driver: every case, outputs and status into `/o`.
fn driver() -> String {
    let mut s = String::from("cd /u\n");
    for i in 0..all_cases().len() {
        s.push_str(&format!(
            "sh /u/c/{i}.sh > /o/{i}.out 2> /o/{i}.err < /dev/null\necho $? > /o/{i}.st\n"
        ));
    }
    s.push_str("echo all cases fin''ished\n");
    s
}

fn debugfs(image: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(crate::deps::tool("debugfs"))
        .args(args)
        .arg(image)
        .output()
        .map_err(|e| format!("cannot run debugfs: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "debugfs {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Put the staged folder into `image` as `/u`, with an empty `/o` for the outputs.
fn install(image: &Path, staged: &Path, work: &Path) -> Result<()> {
    let mut cmds = String::from("mkdir /u\nmkdir /u/c\nmkdir /u/sub\nmkdir /o\n");
    cmds.push_str(&format!(
        "write {} /u/host.tar\n",
        staged.join("host.tar").display()
    ));
    for (name, _) in inputs() {
        cmds.push_str(&format!(
            "write {} /u/{name}\n",
            staged.join(name).display()
        ));
    }
    for i in 0..all_cases().len() {
        cmds.push_str(&format!(
            "write {} /u/c/{i}.sh\n",
            staged.join(format!("c/{i}.sh")).display()
        ));
    }
    let drv = work.join("run.sh");
    write(&drv, driver().as_bytes())?;
    cmds.push_str(&format!("write {} /u/run.sh\n", drv.display()));
    // The cases write into /u (tee's outputs): world-writable like /tmp.
    cmds.push_str("set_inode_field /u mode 041777\nset_inode_field /o mode 041777\n");
    let cmdfile = work.join("debugfs.cmds");
    write(&cmdfile, cmds.as_bytes())?;
    debugfs(
        image,
        &["-w", "-f", cmdfile.to_str().ok_or("path not UTF-8")?],
    )?;
    Ok(())
}

fn read_or_empty(p: &Path) -> Vec<u8> {
    fs::read(p).unwrap_or_default()
}

fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.is_empty() {
        "    (nothing)\n".into()
    } else {
        s.lines().map(|l| format!("    |{l}\n")).collect()
    }
}

fn compare_with_host(kernel: &Path) -> Result<()> {
    let work: PathBuf = crate::root().join("target").join("utiltest");
    let staged = work.join("host");
    stage(&staged)?;
    let disk = crate::test::scratch_disk("util")?;
    install(&disk, &staged, &work)?;
    // In order in one folder, as in the guest (a few cases write files).
    let mut expected = Vec::new();
    for i in 0..all_cases().len() {
        expected.push(host_run(&staged, &staged.join(format!("c/{i}.sh")))?);
    }
    {
        let mut s = Session::boot_shell(&crate::test::disk_machine(kernel, &disk))?;
        s.send("sh /u/run.sh\n")?;
        s.expect("all cases finished", RUN_TIMEOUT)?;
        s.expect(crate::session::SHELL_PROMPT, Duration::from_secs(20))?;
        s.send("poweroff\n")?;
        s.wait_exit(Duration::from_secs(30))?;
    }
    let got = work.join("guest");
    if got.exists() {
        fs::remove_dir_all(&got).map_err(|e| format!("{}: {e}", got.display()))?;
    }
    fs::create_dir_all(&got).map_err(|e| format!("{}: {e}", got.display()))?;
    debugfs(&disk, &["-R", &format!("rdump /o {}", got.display())])?;
    let _ = fs::remove_file(&disk);

    let mut report = String::new();
    let mut failed = 0;
    let cases = all_cases();
    for (i, case) in cases.iter().enumerate() {
        let (mut want_out, want_err, want_st) = expected[i].clone();
        let o = got.join("o");
        let mut out = read_or_empty(&o.join(format!("{i}.out")));
        if i >= CASES.len() {
            want_out = read_archive(&want_out)?;
            out = read_archive(&out)?;
        }
        let err = !read_or_empty(&o.join(format!("{i}.err"))).is_empty();
        let st_text = String::from_utf8_lossy(&read_or_empty(&o.join(format!("{i}.st"))))
            .trim()
            .to_string();
        let st: i32 = st_text.parse().unwrap_or(-1);
        if out != want_out || st != want_st || err != want_err {
            failed += 1;
            report.push_str(&format!(
                "case {i}: {case}\n  host: status {want_st}, {}\n{}  dinos: status {st_text}, {}\n{}",
                if want_err { "errors reported" } else { "no errors" },
                show(&want_out),
                if err { "errors reported" } else { "no errors" },
                show(&out),
            ));
        }
    }
    println!(
        "util: {} cases, {} differ from the host",
        cases.len(),
        failed
    );
    if failed > 0 {
        return Err(format!(
            "{failed} of {} cases differ:\n{report}",
            cases.len()
        ));
    }
    Ok(())
}
