//! Shared memory, futexes and semaphores, tested from the shell: each test boots dinos
//! and runs `prodcons` (user/bin/src/bin/prodcons.rs), the bounded buffer over a
//! shared segment, or one of its self-tests, which do the checking inside the guest
//! and print one `prodcons: OK ...` or `prodcons: FAIL ...` line.
//!
//! Design decision: the checks that need a program's view (a write seen through
//! another process's mapping, free frames before and after, a futex's return value)
//! live in the program, where they are plain code; this side boots, types the
//! command and insists on the OK line, so a crash or a hang fails as loudly as a
//! failed check.

use crate::session::Session;
use crate::Result;
use std::path::Path;

type ShmTest = fn(&Path) -> Result<()>;

/// The tests, wired into `cargo xtask test` by `test.rs`.
pub const SHM_TESTS: &[(&str, ShmTest)] = &[
    (
        "shm::a_segment_shared_by_two_processes_sees_the_others_writes",
        |k| selftest(k, "share"),
    ),
    (
        "shm::unlink_and_the_last_unmap_and_close_give_every_frame_back",
        |k| selftest(k, "frames"),
    ),
    (
        "shm::a_killed_waiter_leaves_no_futex_waiter_and_the_survivor_goes_on",
        |k| selftest(k, "kill"),
    ),
    (
        "shm::futex_wait_times_out_refuses_a_changed_value_and_is_woken",
        |k| selftest(k, "futex"),
    ),
    (
        "shm::segment_names_exclusive_create_reopen_and_unlink",
        |k| selftest(k, "names"),
    ),
    (
        "shm::prodcons_with_several_producers_and_consumers_delivers_each_item_once",
        prodcons,
    ),
];

/// Type `line` at the shell and insist on `prodcons: OK` in what it printed.
fn expect_ok(s: &mut Session, line: &str) -> Result<()> {
    let out = s.run_line(line, &["prodcons: "])?;
    if out.contains("prodcons: OK") {
        Ok(())
    } else {
        Err(format!("`{line}` printed:\n{out}"))
    }
}

fn selftest(kernel: &Path, name: &str) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    expect_ok(&mut s, &format!("prodcons --selftest {name}"))
}

fn prodcons(kernel: &Path) -> Result<()> {
    let mut s = Session::boot_shell(&crate::test::shell_machine(kernel))?;
    expect_ok(&mut s, "prodcons")?;
    // More processes than slots, one slot, many items; then the ping-pong.
    expect_ok(&mut s, "prodcons -p 4 -c 3 -n 3000 -s 2")?;
    expect_ok(&mut s, "prodcons -p 1 -c 5 -n 500 -s 1")?;
    expect_ok(&mut s, "prodcons --pingpong 500")?;
    // A bad option is a usage error, status 2.
    s.run_line("prodcons -x; echo st''=$?", &["usage: prodcons", "st=2"])?;
    Ok(())
}
