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

/// The prompt ends in this (`dinos:/path$ `).
use crate::session::SHELL_PROMPT as PROMPT;
/// Generous: QEMU under software emulation on a loaded machine.
use crate::session::SHELL_STEP_TIMEOUT as STEP_TIMEOUT;

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
        "sh::expansion_and_script_errors_leave_the_interactive_shell_running",
        interactive_errors,
    ),
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
        "sh::job_control_ctrl_z_jobs_bg_fg_and_a_background_read",
        job_control,
    ),
    (
        "sh::faulting_program_is_killed_and_the_shell_survives",
        faulting_program,
    ),
    ("sh::line_editing_history_and_completion", line_editing),
    (
        "sh::a_line_longer_than_the_terminal_buffer_arrives_whole",
        long_line,
    ),
    (
        "trace::calls_are_shown_with_quoted_paths_named_flags_and_errno_names",
        tracer,
    ),
    ("smp::four_cpus_come_up_and_the_shell_works", four_cpus),
    ("smp::nosmp_keeps_one_cpu_of_four", nosmp),
    (
        "smp::a_panic_on_one_cpu_stops_the_others_and_names_it",
        panic_elsewhere,
    ),
];

/// `--smp 4`, and a kernel thread that panics once it runs on a CPU other than CPU 0:
/// the report names that CPU and says the others are stopped, and QEMU ends with the
/// failure status, as for a panic on one CPU.
fn panic_elsewhere(kernel: &Path) -> Result<()> {
    let mut m = crate::test::shell_machine(kernel);
    m.smp = 4;
    m.append = "ktest=panic-elsewhere".into();
    let mut s = Session::start(&m)?;
    s.expect("KERNEL PANIC on CPU ", crate::session::SHELL_BOOT_TIMEOUT)?;
    s.expect("(the others are stopped), in thread ", STEP_TIMEOUT)?;
    s.expect("deliberate panic on another CPU", STEP_TIMEOUT)?;
    let out = s.output();
    let at = out.find("KERNEL PANIC on CPU ").unwrap_or(0) + "KERNEL PANIC on CPU ".len();
    let cpu = out[at..].chars().next().unwrap_or('?');
    if !matches!(cpu, '1'..='3') {
        return Err(format!("the panic names CPU {cpu}, expected one of 1-3"));
    }
    let status = s.wait_exit(STEP_TIMEOUT)?;
    if status != Some(crate::qemu::STATUS_PANIC) {
        return Err(format!("QEMU status {status:?}, expected the panic status"));
    }
    Ok(())
}

/// `--smp 4` (MTTCG): the boot CPU finds four CPUs in the MADT, each of the other three
/// reports up in order, and the shell then works as on one CPU (a pipeline, a fault).
/// `--smp 4` with `nosmp` on the kernel command line: the firmware's four CPUs are
/// found, one is used (as Linux's `nosmp`), and the shell sees one.
fn nosmp(kernel: &Path) -> Result<()> {
    let mut m = crate::test::shell_machine(kernel);
    m.smp = 4;
    m.append = "nosmp".into();
    let mut s = Session::start(&m)?;
    s.expect("nosmp: 1 of 4 CPUs used", STEP_TIMEOUT)?;
    s.expect(PROMPT, crate::session::SHELL_BOOT_TIMEOUT)?;
    if s.output().contains(" up (APIC id ") {
        return Err("nosmp, yet another CPU was started".into());
    }
    s.run_line("nproc", &["1\r\n"])?;
    Ok(())
}

fn four_cpus(kernel: &Path) -> Result<()> {
    let mut m = crate::test::shell_machine(kernel);
    m.smp = 4;
    let mut s = Session::start(&m)?;
    s.expect("init: 4 CPUs", STEP_TIMEOUT)?;
    for cpu in 1..=3 {
        s.expect(&format!("cpu {cpu} up (APIC id {cpu})"), STEP_TIMEOUT)?;
    }
    s.expect(PROMPT, crate::session::SHELL_BOOT_TIMEOUT)?;
    if s.output().contains("did not start") {
        return Err("a CPU did not start".into());
    }
    s.run_line("echo four''cpus | cat | cat", &["fourcpus"])?;
    s.run_line("nproc", &["4\r\n"])?;
    // The spinning child was last seen on some CPU of the four (ps's CPU column).
    s.run_line("yes > /dev/null & sleep 1; ps; kill %1", &[" yes"])?;
    let listing = s.output();
    let line = listing
        .lines()
        .rev()
        .find(|l| l.trim_end().ends_with(" yes"))
        .ok_or("ps did not list yes")?;
    let cpu: u32 = line
        .split_whitespace()
        .nth(5)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no CPU column in ps's line {line:?}"))?;
    if cpu > 3 {
        return Err(format!("ps says yes last ran on CPU {cpu} of 4"));
    }
    s.send("crash stack\n")?;
    s.expect("SIGSEGV", STEP_TIMEOUT)?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    s.run_line("echo st''ill $?", &["still 139"])?;
    Ok(())
}

/// The system-call tracer (`trace` on the kernel command line) decodes each call from
/// the table's rows. The typed lines do not contain the expected texts (no quotes, no
/// flag names), so the echo cannot match them.
fn tracer(kernel: &Path) -> Result<()> {
    let mut m = crate::test::shell_machine(kernel);
    m.append = "trace".into();
    let mut s = Session::boot_shell(&m)?;
    // A path, the access mode by name, and the error by name and message.
    s.run_line(
        "cat /tmp/nope",
        &[r#"open("/tmp/nope", O_RDONLY, 0666) = -1 ENOENT (no such file or directory)"#],
    )?;
    // Several flags, an octal mode, a new descriptor; a buffer shown quoted.
    s.run_line(
        "echo tr''aced > /tmp/tr.txt",
        &[
            r#"open("/tmp/tr.txt", O_WRONLY|O_CREAT|O_TRUNC, 0666) = "#,
            r#"write(1, "traced\n", 7) = 7"#,
        ],
    )?;
    // A buffer the call fills is shown after it, with what it got.
    s.run_line("cat /tmp/tr.txt", &[r#"read(3, "traced\n", "#])?;
    // A signal by name, a process that does not exist.
    s.run_line(
        "kill -9 4242",
        &["kill(4242, SIGKILL) = -1 ESRCH (no such process)"],
    )?;
    Ok(())
}

/// 5,000 characters in one burst are more than the terminal's 4 KiB buffers hold:
/// typed ahead during boot, while a program runs (the terminal in canonical mode, nobody reading)
/// and at the prompt (while the shell reads byte by byte). Nothing may be
/// lost: the console throttles instead of dropping, and a full canonical line is
/// handed over in pieces rather than cut (it used to be cut at 4,096 bytes).
fn long_line(kernel: &Path) -> Result<()> {
    let word = "x".repeat(5000);
    // Typed while the machine boots, before the shell exists: the UART holds a byte,
    // QEMU the rest, the console buffers 4 KiB and throttles, and the terminal takes
    // it all once it is connected. (A character of this line was once lost here under
    // load: the receive interrupt already on its way when the buffer filled read one
    // byte too many. See docs/reliability.md.)
    let mut s = Session::start(&crate::test::shell_machine(kernel))?;
    s.send(&format!("echo {word}www | wc -c\n"))?;
    let ctx = |e: String| format!("the line typed ahead during boot: {e}");
    s.expect("5004", crate::session::SHELL_BOOT_TIMEOUT + STEP_TIMEOUT)
        .map_err(ctx)?;
    s.expect(PROMPT, STEP_TIMEOUT).map_err(ctx)?;
    s.send(&format!("sleep 1\necho {word}z | wc -c\n"))?;
    let ctx = |e: String| format!("the line typed ahead during `sleep 1`: {e}");
    s.expect("5002", STEP_TIMEOUT * 3).map_err(ctx)?;
    s.expect(PROMPT, STEP_TIMEOUT).map_err(ctx)?;
    s.run_line(&format!("echo {word}yy | wc -c"), &["5003"])?;
    s.run_line("echo still''here", &["stillhere"])?;
    Ok(())
}

fn pipe_connects_echo_to_cat(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("echo pipe''ok | cat", &["pipeok"])?;
    s.run_line("echo three''stage | cat | cat", &["threestage"])?;
    Ok(())
}

fn redirections(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("echo first''line > /tmp/r.txt", &[])?;
    s.run_line("cat /tmp/r.txt", &["firstline"])?;
    s.run_line("echo second''line >> /tmp/r.txt", &[])?;
    s.run_line("cat < /tmp/r.txt", &["firstline", "secondline"])?;
    s.run_line(
        "echo over''written > /tmp/r.txt; cat /tmp/r.txt",
        &["overwritten"],
    )?;
    let seen = s.run_line("cat /tmp/r.txt", &["overwritten"])?;
    if seen.contains("secondline") {
        return Err(format!("`>` did not truncate the file:\n{seen}"));
    }
    Ok(())
}

fn stderr_redirection(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    // The error goes to the file, not the console.
    let seen = s.run_line("cat /nonexistent 2> /tmp/e.txt", &[])?;
    if seen.contains("/nonexistent") {
        return Err(format!("2> did not catch the error:\n{seen}"));
    }
    s.run_line("cat /tmp/e.txt", &["/nonexistent"])?;
    // 2>&1 after >: both streams in the file.
    s.run_line("cat /missing > /tmp/e2.txt 2>&1", &[])?;
    s.run_line("cat /tmp/e2.txt", &["/missing"])?;
    // and through a pipe.
    s.run_line("cat /gone 2>&1 | cat > /tmp/e3.txt", &[])?;
    s.run_line("cat /tmp/e3.txt", &["/gone"])?;
    Ok(())
}

fn exit_status_and_and_or(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("false; echo st''=$?", &["st=1"])?;
    s.run_line("true; echo st''=$?", &["st=0"])?;
    s.run_line("true && echo y''es || echo n''o", &["yes"])?;
    s.run_line("false && echo y''es || echo n''o", &["no"])?;
    s.run_line("! false && echo neg''ated", &["negated"])?;
    s.run_line("echo pid''=$$", &["pid="])?;
    Ok(())
}

fn quoting(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("X=val; echo 'a  b' \"c $X\" a\\ b", &["a  b c val a b"])?;
    s.run_line("echo 'no $X he''re' # comment", &["no $X here"])?;
    s.run_line("echo ${X}ue", &["value"])?;
    Ok(())
}

fn scripts(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("echo 'echo scr\"\"ipt $1 $#' > /tmp/s.sh", &[])?;
    s.run_line("echo 'exit 3' >> /tmp/s.sh", &[])?;
    s.run_line("sh /tmp/s.sh one; echo st''=$?", &["script one 1", "st=3"])?;
    // Running a `#!` file by name needs its execute bit, and there is no chmod yet
    // (no chmod system call): that case waits for the protection work.
    // Commands from a pipe: no prompts, same language.
    s.run_line("echo 'echo pi\"\"ped' | sh", &["piped"])?;
    s.run_line("sh -c 'echo dash''c $0' name", &["dashc name"])?;
    Ok(())
}

fn control_flow(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line(
        "if true; then echo i''f-yes; else echo i''f-no; fi",
        &["if-yes"],
    )?;
    s.run_line(
        "if false; then echo x; elif true; then echo el''if; fi",
        &["elif"],
    )?;
    s.run_line("for i in 1 2 3; do echo n$i; done", &["n1", "n2", "n3"])?;
    s.run_line("while true; do echo lo''op; break; done", &["loop"])?;
    s.run_line(
        "until true; do echo x; done; echo un''til-done",
        &["until-done"],
    )?;
    s.run_line("{ echo gr''oup; echo ed; } | cat", &["group", "ed"])?;
    // An unfinished `if` prompts for more.
    s.send("if true\n")?;
    s.expect("> ", STEP_TIMEOUT)?;
    s.send("then echo multi''line\n")?;
    s.expect("> ", STEP_TIMEOUT)?;
    s.run_line("fi", &["multiline"])?;
    Ok(())
}

fn errors(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("frobnicate", &["sh: frobnicate: command not found"])?;
    s.run_line("echo st''=$?", &["st=127"])?;
    s.run_line("fi", &["sh: syntax error near unexpected token 'fi'"])?;
    s.run_line("echo st''=$?", &["st=2"])?;
    s.run_line("cd /nope", &["sh: cd: /nope: no such file or directory"])?;
    s.run_line("/tmp", &["sh: /tmp: is a directory"])?;
    Ok(())
}

/// The issue's first line, typed; then errors that end a script (a failed `${x:?}`,
/// a division by zero, `set -e`, a syntax error in a script run with `sh`) only end
/// the command at the prompt. A here-document typed at the prompt asks for its lines.
fn interactive_errors(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line(
        "i=0; while [ $i -lt 5 ]; do i=$((i+1)); done; echo i''s $i",
        &["is 5"],
    )?;
    s.run_line(
        "echo pro''duct $((3*4)) $(echo sub''st)",
        &["product 12 subst"],
    )?;
    s.run_line("echo ${nothing:?is not set}", &["nothing: is not set"])?;
    s.run_line("echo $((1/0))", &["division by zero"])?;
    s.run_line("echo st''=$?", &["st=2"])?;
    s.run_line(
        "printf 'if then\\n' > /tmp/bad.sh; sh /tmp/bad.sh",
        &["/tmp/bad.sh: 1: syntax error"],
    )?;
    s.run_line("echo st''=$?", &["st=2"])?;
    s.send("cat <<END\n")?;
    s.expect("> ", STEP_TIMEOUT)?;
    s.send("here $((40+2))\n")?;
    s.expect("> ", STEP_TIMEOUT)?;
    s.run_line("END", &["here 42"])?;
    s.run_line("echo sur''vived", &["survived"])?;
    Ok(())
}

fn ctrl_c_interrupts_job(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.send("sleep 100\n")?;
    s.expect("sleep 100", STEP_TIMEOUT)?;
    // Give the shell time to start `sleep` and hand it the terminal.
    std::thread::sleep(Duration::from_secs(2));
    s.send("\x03")?;
    s.expect(PROMPT, Duration::from_secs(5))
        .map_err(|e| format!("Ctrl-C did not end `sleep 100`: {e}"))?;
    s.run_line("echo st''=$?", &["st=130"])?;
    // The shell itself survived and still runs commands.
    s.run_line("echo ali''ve", &["alive"])?;
    Ok(())
}

fn variables_and_export(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("V1=lo''cal; export V2=ex''ported", &[])?;
    let seen = s.run_line("env", &["V2=exported"])?;
    if seen.contains("V1=local") {
        return Err(format!("an unexported variable reached the child:\n{seen}"));
    }
    s.run_line("V3=on''ce env", &["V3=once"])?;
    let seen = s.run_line("env", &["V2=exported"])?;
    if seen.contains("V3=once") {
        return Err(format!("`V=x cmd` leaked into the shell:\n{seen}"));
    }
    s.run_line("echo v1''=$V1", &["v1=local"])?;
    s.run_line("unset V1; echo v1''=[$V1]", &["v1=[]"])?;
    Ok(())
}

fn glob_cd_background(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.run_line("echo /bin/ec*", &["/bin/echo"])?;
    s.run_line("echo /bin/c?t", &["/bin/cat"])?;
    s.run_line("echo '/bin/*' /nomatch*", &["/bin/* /nomatch*"])?;
    s.send("cd /tmp\n")?;
    s.expect("dinos:/tmp$ ", STEP_TIMEOUT)?;
    s.run_line("cd; echo back''home", &["backhome"])?;
    s.run_line("sleep 5 &", &["[1] "])?;
    s.run_line("jobs", &["Running"])?;
    s.run_line("wait; echo wa''ited", &["waited"])?;
    Ok(())
}

/// Job control: `Ctrl-Z` stops the foreground job and the shell reports it; `jobs`
/// lists it stopped, `bg` continues it in the background, `fg` brings it back and
/// `Ctrl-C` ends it. A background job that reads the terminal is stopped by SIGTTIN;
/// `kill %1` ends it (SIGTERM, then SIGCONT so that the stopped job acts on it).
fn job_control(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.send("sleep 30\n")?;
    s.expect("sleep 30", STEP_TIMEOUT)?;
    // Give the shell time to start `sleep` and hand it the terminal.
    std::thread::sleep(Duration::from_secs(2));
    s.send("\x1a")?;
    s.expect("^Z", Duration::from_secs(5))
        .map_err(|e| format!("Ctrl-Z was not echoed: {e}"))?;
    s.expect(
        "[1]+ Stopped                 sleep 30",
        Duration::from_secs(5),
    )
    .map_err(|e| format!("Ctrl-Z did not stop `sleep 30`: {e}"))?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    s.run_line("echo st''=$?", &["st=148"])?;
    s.run_line("jobs", &["[1]+ Stopped"])?;
    s.run_line("ps", &[" T "])?;
    // One warning before exiting with a stopped job; the shell stays.
    s.run_line("exit", &["There are stopped jobs."])?;
    s.run_line("bg", &["[1]+ sleep 30 &"])?;
    s.run_line("jobs", &["[1]+ Running                 sleep 30 &"])?;
    s.send("fg %1\n")?;
    s.expect("fg %1", STEP_TIMEOUT)?;
    s.expect("sleep 30", STEP_TIMEOUT)?;
    std::thread::sleep(Duration::from_secs(2));
    s.send("\x03")?;
    s.expect(PROMPT, Duration::from_secs(5))
        .map_err(|e| format!("Ctrl-C did not end `sleep 30` after fg: {e}"))?;
    let seen = s.run_line("jobs; echo no''more", &["nomore"])?;
    if seen.contains("sleep 30") {
        return Err(format!("the ended job is still listed:\n{seen}"));
    }
    // A background job reading the terminal stops with SIGTTIN.
    s.run_line("cat &", &["[1] "])?;
    std::thread::sleep(Duration::from_secs(2));
    s.run_line("jobs", &["[1]+ Stopped (tty input)     cat"])?;
    s.run_line("kill %1; sleep 1; jobs", &["Terminated"])?;
    // `%N` alone is `fg %N`.
    s.send("sleep 20\n")?;
    s.expect("sleep 20", STEP_TIMEOUT)?;
    std::thread::sleep(Duration::from_secs(2));
    s.send("\x1a")?;
    s.expect("Stopped", Duration::from_secs(5))?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    s.send("%1\n")?;
    s.expect("sleep 20", STEP_TIMEOUT)?;
    std::thread::sleep(Duration::from_secs(2));
    s.send("\x03")?;
    s.expect(PROMPT, Duration::from_secs(5))?;
    s.run_line("echo ali''ve", &["alive"])?;
    Ok(())
}

fn line_editing(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    // Backspace (DEL and Ctrl-H) and insertion after a left arrow.
    s.run_line("echo xy\x7fz", &["xz"])?;
    s.run_line("echo ac\x1b[Db", &["abc"])?;
    s.run_line("cho bc\x1b[He\x1b[F\x1b[Dd", &["bdc"])?;
    // Ctrl-C abandons the line; $? is 130.
    s.send("echo never''seen\x03")?;
    s.expect("^C", STEP_TIMEOUT)?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    let seen = s.run_line("echo st''=$?", &["st=130"])?;
    if seen.contains("neverseen") {
        return Err(format!("an abandoned line ran:\n{seen}"));
    }
    // Ctrl-U kills the line.
    s.run_line("frobnicate\x15echo ki''lled", &["killed"])?;
    // History: the up arrow brings back the last line.
    s.run_line("echo hi''st", &["hist"])?;
    s.run_line("\x1b[A", &["hist"])?;
    // Tab completes a command name.
    s.run_line("ech\tta''b", &["tab"])?;
    Ok(())
}

/// A program that overruns its stack gets SIGSEGV with a one-line report; the shell
/// shows the status and carries on.
fn faulting_program(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    s.send("crash stack\n")?;
    s.expect("SIGSEGV", STEP_TIMEOUT)?;
    s.expect("rip 0x", STEP_TIMEOUT)?;
    s.expect(PROMPT, STEP_TIMEOUT)?;
    s.run_line("echo st''atus $?", &["status 139"])?;
    s.run_line("echo still''alive", &["stillalive"])?;
    Ok(())
}
