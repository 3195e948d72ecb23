//! Message ports and poll, tested from inside dinos (`cargo xtask test port`).
//!
//! Four kinds of check, each one boot:
//!
//! 1. `usertests port_ poll`: the behaviour a program sees (user/bin/src/bin/usertests/
//!    ports.rs): calls answered, messages in order, descriptors passed, credentials
//!    filled by the kernel, a full queue's EAGAIN, timeouts, a killed server's
//!    ECONNRESET and a dead receiver's EPIPE (with the queued descriptors released),
//!    names, poll and select over pipes and ports with EINTR, and free frames, the
//!    process count and the kernel heap back exactly after twenty rounds of traffic.
//! 2. `pingpong port` and `pingpong pipe`: the round-trip program's report.
//! 3. `sysfuzz --ports`: rounds of fuzzed port traffic (random sizes, descriptors and
//!    tokens, peers killed by their siblings), after each of which the kernel must be
//!    alive, frames and heap back and the disk clean (the checks of `fuzztest`).
//! 4. `usertests ipcperm_`: a child that became user 1000 is refused port names
//!    (lookup, taking a name over) and shared-memory segments by their modes, and
//!    root is not.

use crate::progtest::run_program;
use crate::Result;
use std::path::Path;
use std::time::Duration;

type PortTest = fn(&Path) -> Result<()>;

pub const PORT_TESTS: &[(&str, PortTest)] = &[
    ("port::usertests_port_behaviour", usertests_ports),
    ("port::pingpong_reports_port_and_pipe_round_trips", pingpong),
    (
        "port::fuzzed_port_messages_leave_the_kernel_alive_and_memory_back",
        fuzzed_ports,
    ),
    (
        "port::names_and_segments_refuse_a_non_root_user_what_their_mode_denies",
        usertests_ipcperm,
    ),
];

/// The port tests of usertests (keep in step with `TESTS` in its main.rs).
const USERTESTS: &[&str] = &[
    "port_calls_are_answered_and_sends_arrive_in_order",
    "port_descriptors_travel_and_credentials_are_the_kernels",
    "port_full_queue_is_eagain_and_a_big_message_waits",
    "port_timeouts_end_waits_with_etimedout",
    "port_dead_server_is_econnreset_and_dead_receiver_epipe",
    "port_names_are_found_and_go_with_their_port",
    "port_poll_and_select_wake_for_pipes_and_ports",
    "port_traffic_leaks_nothing",
    "port_short_calls_are_answered_and_mix_with_the_general_path",
    "port_short_calls_refuse_bad_arguments_and_a_dead_server_is_econnreset",
    "port_short_traffic_leaks_nothing",
];

/// The protection tests of usertests' IPC objects (user/bin/src/bin/usertests/ipcperm.rs):
/// a child that became user 1000 is refused port names and segments by their modes.
const IPCPERM_TESTS: &[&str] = &[
    "ipcperm_names_of_ports_have_owners_and_modes",
    "ipcperm_shm_segments_are_guarded_by_their_mode",
];

const TIMEOUT: Duration = Duration::from_secs(300);

fn usertests_ports(kernel: &Path) -> Result<()> {
    usertests_group(kernel, "port_", USERTESTS)
}

fn usertests_ipcperm(kernel: &Path) -> Result<()> {
    usertests_group(kernel, "ipcperm_", IPCPERM_TESTS)
}

/// Run `usertests FILTER` and require each of `tests` to pass, and nothing else to run.
fn usertests_group(kernel: &Path, filter: &str, tests: &[&str]) -> Result<()> {
    let m = crate::test::shell_machine(kernel);
    let out = run_program(&m, &format!("usertests {filter}"), " passed, ", TIMEOUT)?;
    let mut problems = Vec::new();
    for name in tests {
        let ok = format!("usertests: {name} ... ok");
        if !out.lines().any(|l| l.trim_end() == ok) {
            problems.push(
                out.lines()
                    .find(|l| l.starts_with(&format!("usertests: {name} ... ")))
                    .map(|l| l.trim_end().to_string())
                    .unwrap_or_else(|| format!("usertests: {name}: no result line")),
            );
        }
    }
    let summary = format!("usertests: {} passed, 0 failed", tests.len());
    if !out.lines().any(|l| l.trim_end() == summary) {
        problems.push(format!("no line {summary:?}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n\nthe console:\n{out}", problems.join("\n")))
    }
}

/// `pingpong MODE N` prints `MODE: N round trips, X ns each` and exits 0; a bad
/// mode is a usage error.
fn pingpong(kernel: &Path) -> Result<()> {
    let m = crate::test::shell_machine(kernel);
    let cmd = "pingpong port 500; echo status $?; pingpong pipe 500; echo status $?; \
               pingpong tcp 1; echo status $?; echo done''done";
    let out = run_program(&m, cmd, "donedone", TIMEOUT)?;
    let figure = |mode: &str| -> Result<u64> {
        let prefix = format!("{mode}: 500 round trips, ");
        out.lines()
            .find_map(|l| l.trim_end().strip_prefix(&prefix))
            .and_then(|r| r.strip_suffix(" ns each"))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("no {prefix:?}... line in:\n{out}"))
    };
    let port = figure("port")?;
    let pipe = figure("pipe")?;
    println!("    port round trip {port} ns, pipe round trip {pipe} ns (wall clock, no -icount)");
    let statuses: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("status "))
        .collect();
    if statuses != ["0", "0", "2"] {
        return Err(format!(
            "exit statuses {statuses:?}, expected 0, 0, 2:\n{out}"
        ));
    }
    Ok(())
}

fn fuzzed_ports(kernel: &Path) -> Result<()> {
    let mut seeds = (1..=3).map(|i| 0x9047_0000 + i);
    let made = crate::fuzztest::rounds(
        kernel,
        "portfuzz",
        " --ports",
        &mut seeds,
        5_000,
        crate::fuzztest::Memory::Require,
        None,
    )?;
    println!("    {made} calls made by the port fuzz processes in 3 rounds of 5,000 planned");
    Ok(())
}
