//! Console sessions against the shell `sh`, typed through the serial port.
//!
//! Chapter 2 section 2-1 (the command interpreter): each test boots dinos to the
//! shell prompt and types commands as a person would, checking what the console shows:
//! pipes, redirections, `$?`, quoting, scripts, control flow, errors, `Ctrl-C`, the
//! environment, globbing, background jobs and line editing.
//!
//! Design decision: the shell echoes what is typed, so an expected text must not be
//! part of the command line itself, or `expect` would match the echo. Commands are
//! written so that their output differs from their text: `echo pipe''ok` prints
//! `pipeok`, which the typed line does not contain. Every wait has a deadline.

use crate::session::Session;
use crate::Result;
use std::path::Path;
use std::time::Duration;

/// Generous: QEMU under software emulation on a loaded machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(90);
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// The prompt ends in this (`dinos:/path$ `).
const PROMPT: &str = "$ ";

type ShellTest = fn(&Path) -> Result<()>;

/// The shell tests, wired into `cargo xtask test` by `test.rs`.
pub const SHELL_TESTS: &[(&str, ShellTest)] = &[
    ("sh::pipe_connects_echo_to_cat", pipe_connects_echo_to_cat),
    ("sh::redirections_write_append_and_read", redirections),
    ("sh::stderr_redirection_and_dup", stderr_redirection),
    ("sh::exit_status_and_and_or", exit_status_and_and_or),
    (
        "sh::quoting_keeps_blanks_and_expands_in_double_quotes",
        quoting,
    ),
    ("sh::scripts_run_with_sh_from_files_and_pipes", scripts),
    ("sh::if_while_until_for", control_flow),
    ("sh::unknown_command_is_127_and_syntax_error_is_2", errors),
    (
        "sh::ctrl_c_interrupts_the_foreground_job",
        ctrl_c_interrupts_job,
    ),
    (
        "sh::variables_and_export_reach_children",
        variables_and_export,
    ),
    ("sh::glob_cd_and_background_jobs", glob_cd_background),
    (
        "sh::faulting_program_is_killed_and_the_shell_survives",
        faulting_program,
    ),
    ("sh::line_editing_history_and_completion", line_editing),
];

/// Boots the machine with the root file system and waits for the first prompt.
fn boot(kernel: &Path) -> Result<Session> {
    let mut s = Session::start(&crate::test::shell_machine(kernel))?;
    s.expect(PROMPT, BOOT_TIMEOUT)?;
    Ok(s)
}

/// Types `line` and Enter, waits for each of `want` in order, then for the prompt;
/// returns the text seen up to the prompt.
fn run(s: &mut Session, line: &str, want: &[&str]) -> Result<String> {
    s.send(&format!("{line}\n"))?;
    let mut seen = String::new();
    for w in want {
        seen.push_str(
            &s.expect(w, STEP_TIMEOUT)
                .map_err(|e| format!("after typing {line:?}: {e}"))?,
        );
    }
    seen.push_str(&s.expect(PROMPT, STEP_TIMEOUT)?);
    Ok(seen)
}

fn pipe_connects_echo_to_cat(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    run(&mut s, "echo pipe''ok | cat", &["pipeok"])?;
    run(&mut s, "echo three''stage | cat | cat", &["threestage"])?;
    Ok(())
}

fn redirections(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    run(&mut s, "echo first''line > /tmp/r.txt", &[])?;
    run(&mut s, "cat /tmp/r.txt", &["firstline"])?;
    run(&mut s, "echo second''line >> /tmp/r.txt", &[])?;
    run(&mut s, "cat < /tmp/r.txt", &["firstline", "secondline"])?;
    run(
        &mut s,
        "echo over''written > /tmp/r.txt; cat /tmp/r.txt",
        &["overwritten"],
    )?;
    let seen = run(&mut s, "cat /tmp/r.txt", &["overwritten"])?;
    if seen.contains("secondline") {
        return Err(format!("`>` did not truncate the file:\n{seen}"));
    }
    Ok(())
}

fn stderr_redirection(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    // The error goes to the file, not the console.
    let seen = run(&mut s, "cat /nonexistent 2> /tmp/e.txt", &[])?;
    if seen.matches("/nonexistent").count() > 1 {
        return Err(format!("2> did not catch the error:\n{seen}"));
    }
    run(&mut s, "cat /tmp/e.txt", &["/nonexistent"])?;
    // 2>&1 after >: both streams in the file.
    run(&mut s, "cat /missing > /tmp/e2.txt 2>&1", &[])?;
    run(&mut s, "cat /tmp/e2.txt", &["/missing"])?;
    // and through a pipe.
    run(&mut s, "cat /gone 2>&1 | cat > /tmp/e3.txt", &[])?;
    run(&mut s, "cat /tmp/e3.txt", &["/gone"])?;
    Ok(())
}

fn exit_status_and_and_or(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    run(&mut s, "false; echo st''=$?", &["st=1"])?;
    run(&mut s, "true; echo st''=$?", &["st=0"])?;
    run(&mut s, "true && echo y''es || echo n''o", &["yes"])?;
    run(&mut s, "false && echo y''es || echo n''o", &["no"])?;
    run(&mut s, "! false && echo neg''ated", &["negated"])?;
    run(&mut s, "echo pid''=$$", &["pid="])?;
    Ok(())
}

fn quoting(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    run(
        &mut s,
        "X=val; echo 'a  b' \"c $X\" a\\ b",
        &["a  b c val a b"],
    )?;
    run(&mut s, "echo 'no $X he''re' # comment", &["no $X here"])?;
    run(&mut s, "echo ${X}ue", &["value"])?;
    Ok(())
}

fn scripts(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    run(&mut s, "echo 'echo scr\"\"ipt $1 $#' > /tmp/s.sh", &[])?;
    run(&mut s, "echo 'exit 3' >> /tmp/s.sh", &[])?;
    run(
        &mut s,
        "sh /tmp/s.sh one; echo st''=$?",
        &["script one 1", "st=3"],
    )?;
    // Running a `#!` file by name needs its execute bit, and there is no chmod yet
    // (no chmod system call): that case waits for the protection work.
    // Commands from a pipe: no prompts, same language.
    run(&mut s, "echo 'echo pi\"\"ped' | sh", &["piped"])?;
    run(&mut s, "sh -c 'echo dash''c $0' name", &["dashc name"])?;
    Ok(())
}

fn control_flow(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    run(
        &mut s,
        "if true; then echo i''f-yes; else echo i''f-no; fi",
        &["if-yes"],
    )?;
    run(
        &mut s,
        "if false; then echo x; elif true; then echo el''if; fi",
        &["elif"],
    )?;
    run(
        &mut s,
        "for i in 1 2 3; do echo n$i; done",
        &["n1", "n2", "n3"],
    )?;
    run(&mut s, "while true; do echo lo''op; break; done", &["loop"])?;
    run(
        &mut s,
        "until true; do echo x; done; echo un''til-done",
        &["until-done"],
    )?;
    run(&mut s, "{ echo gr''oup; echo ed; } | cat", &["group", "ed"])?;
    // An unfinished `if` prompts for more.
    s.send("if true\n")?;
    s.expect("> ", STEP_TIMEOUT)?;
    s.send("then echo multi''line\n")?;
    s.expect("> ", STEP_TIMEOUT)?;
    run(&mut s, "fi", &["multiline"])?;
    Ok(())
}

fn errors(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    run(&mut s, "frobnicate", &["sh: frobnicate: command not found"])?;
    run(&mut s, "echo st''=$?", &["st=127"])?;
    run(
        &mut s,
        "fi",
        &["sh: syntax error near unexpected token 'fi'"],
    )?;
    run(&mut s, "echo st''=$?", &["st=2"])?;
    run(
        &mut s,
        "cd /nope",
        &["sh: cd: /nope: no such file or directory"],
    )?;
    run(&mut s, "/tmp", &["sh: /tmp: is a directory"])?;
    Ok(())
}

fn ctrl_c_interrupts_job(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    s.send("sleep 100\n")?;
    s.expect("sleep 100", STEP_TIMEOUT)?;
    // Give the shell time to start `sleep` and hand it the terminal.
    std::thread::sleep(Duration::from_secs(2));
    s.send("\x03")?;
    s.expect(PROMPT, Duration::from_secs(5))
        .map_err(|e| format!("Ctrl-C did not end `sleep 100`: {e}"))?;
    run(&mut s, "echo st''=$?", &["st=130"])?;
    // The shell itself survived and still runs commands.
    run(&mut s, "echo ali''ve", &["alive"])?;
    Ok(())
}

fn variables_and_export(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    run(&mut s, "V1=lo''cal; export V2=ex''ported", &[])?;
    let seen = run(&mut s, "env", &["V2=exported"])?;
    if seen.contains("V1=local") {
        return Err(format!("an unexported variable reached the child:\n{seen}"));
    }
    run(&mut s, "V3=on''ce env", &["V3=once"])?;
    let seen = run(&mut s, "env", &["V2=exported"])?;
    if seen.contains("V3=once") {
        return Err(format!("`V=x cmd` leaked into the shell:\n{seen}"));
    }
    run(&mut s, "echo v1''=$V1", &["v1=local"])?;
    run(&mut s, "unset V1; echo v1''=[$V1]", &["v1=[]"])?;
    Ok(())
}

fn glob_cd_background(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    run(&mut s, "echo /bin/ec*", &["/bin/echo"])?;
    run(&mut s, "echo /bin/c?t", &["/bin/cat"])?;
    run(&mut s, "echo '/bin/*' /nomatch*", &["/bin/* /nomatch*"])?;
    s.send("cd /tmp\n")?;
    s.expect("dinos:/tmp$ ", STEP_TIMEOUT)?;
    run(&mut s, "cd; echo back''home", &["backhome"])?;
    run(&mut s, "sleep 5 &", &["[1] "])?;
    run(&mut s, "jobs", &["Running"])?;
    run(&mut s, "wait; echo wa''ited", &["waited"])?;
    Ok(())
}

fn line_editing(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    // Backspace (DEL and Ctrl-H) and insertion after a left arrow.
    run(&mut s, "echo xy\x7fz", &["xz"])?;
    run(&mut s, "echo ac\x1b[Db", &["abc"])?;
    run(&mut s, "cho bc\x1b[He\x1b[F\x1b[Dd", &["bdc"])?;
    // Ctrl-C abandons the line; $? is 130.
    s.send("echo never''seen\x03")?;
    s.expect("^C", STEP_TIMEOUT)?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    let seen = run(&mut s, "echo st''=$?", &["st=130"])?;
    if seen.contains("neverseen") {
        return Err(format!("an abandoned line ran:\n{seen}"));
    }
    // Ctrl-U kills the line.
    run(&mut s, "frobnicate\x15echo ki''lled", &["killed"])?;
    // History: the up arrow brings back the last line.
    run(&mut s, "echo hi''st", &["hist"])?;
    run(&mut s, "\x1b[A", &["hist"])?;
    // Tab completes a command name.
    run(&mut s, "ech\tta''b", &["tab"])?;
    Ok(())
}

/// A program that overruns its stack gets SIGSEGV with a one-line report; the shell
/// shows the status and carries on.
fn faulting_program(kernel: &Path) -> Result<()> {
    let mut s = boot(kernel)?;
    s.send("crash stack\n")?;
    s.expect("SIGSEGV", STEP_TIMEOUT)?;
    s.expect("rip 0x", STEP_TIMEOUT)?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    run(&mut s, "echo st''atus $?", &["status 139"])?;
    run(&mut s, "echo still''alive", &["stillalive"])?;
    Ok(())
}
