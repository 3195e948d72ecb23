//! The graphical side (chapter 2, 2-2), tested through what a person would see: each
//! test boots with the framebuffer and the virtio tablet and keyboard (see
//! `shot.rs`), makes a program draw, and compares QEMU's screendump with what the
//! program was told to draw.
//!
//! Expected pixels are the program's own definition of its picture (fbtest.rs draws
//! rectangles of known colours at known places); the screendump is QEMU's, so a
//! mapping that missed the device, a wrong pitch or a mode not set shows as
//! pixels that differ.

use crate::shot::Desktop;
use crate::Result;
use std::path::Path;

type GuiTest = fn(&Path) -> Result<()>;

pub const GUI_TESTS: &[(&str, GuiTest)] = &[
    (
        "gui::pixels_a_program_writes_to_fb0_appear_in_the_screendump",
        fb_pixels,
    ),
    (
        "gui::a_touch_stroke_in_paint_draws_its_path_and_a_title_drag_moves_the_window",
        paint_stroke_and_move,
    ),
    (
        "gui::text_typed_into_term_runs_in_the_interactive_sh_on_a_pty_and_the_window_shows_it",
        term_typing,
    ),
    (
        "gui::the_clock_window_shows_the_time_and_ticks",
        clock_ticks,
    ),
    ("gui::sysmon_graphs_a_busy_cpu_from_proc", sysmon_busy),
    (
        "gui::garbage_and_dying_clients_spare_wsd_and_killing_wsd_spares_the_kernel",
        hostile_clients,
    ),
    (
        "gui::edit_in_term_draws_the_screen_editcore_computes_at_the_pty_size",
        edit_in_term,
    ),
    (
        "gui::pty_line_discipline_job_control_and_hangup_match_linux",
        crate::ptytest::matches_linux,
    ),
    (
        "gui::pty_runs_the_interactive_sh_with_jobs_and_refuses_bad_requests",
        crate::ptytest::shell_and_bad_paths,
    ),
];

/// wsd's colours and geometry (user/bin/src/bin/wsd.rs): the desktop, a focused
/// title bar, the bar's height, and where window N (from 1) has its contents.
const DESKTOP: u32 = 0x336699;
const TITLE_FOCUSED: u32 = 0x4c7bd9;
const TITLE: u32 = 20;
fn slot(n: u32) -> (u32, u32) {
    (60 + 40 * ((n - 1) % 8), 60 + 40 * ((n - 1) % 8))
}
/// paint's canvas and ink (user/bin/src/bin/paint.rs), and its window's size.
const CANVAS: u32 = 0xffffff;
const INK: u32 = 0x000000;
const PAINT: (u32, u32) = (400, 300);

/// Take screendumps until `ok` holds for one (or fail after 30 s with `what`).
fn wait_screen(
    d: &mut Desktop,
    what: &str,
    ok: impl Fn(&crate::shot::Screen) -> bool,
) -> Result<crate::shot::Screen> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let s = d.screen()?;
        if ok(&s) {
            return Ok(s);
        }
        if std::time::Instant::now() > deadline {
            let png = crate::root().join("target").join("gui-failed.png");
            let _ = s.save_png(&png);
            return Err(format!(
                "{what}: not on the screen after 30 s (see {})",
                png.display()
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

fn start_wsd(d: &mut Desktop) -> Result<()> {
    d.console.send("wsd &\n")?;
    d.console.expect(
        "wsd: 1024x768, tablet yes, keyboard yes",
        crate::session::SHELL_STEP_TIMEOUT,
    )?;
    wait_screen(d, "the empty desktop", |s| s.at(500, 400) == DESKTOP)?;
    Ok(())
}

fn paint_stroke_and_move(kernel: &Path) -> Result<()> {
    let mut d = desktop(kernel)?;
    start_wsd(&mut d)?;
    d.console.send("paint &\n")?;
    let (x, y) = slot(1);
    let (pw, ph) = PAINT;
    wait_screen(&mut d, "paint's window", |s| {
        s.at(x + pw / 2, y + ph / 2) == CANVAS && s.at(x + pw - 10, y - TITLE / 2) == TITLE_FOCUSED
    })?;
    // A stroke across the canvas, in screen pixels.
    let (a, b) = ((x + 40, y + 120), (x + 340, y + 260));
    let along = |t: u32| (a.0 + (b.0 - a.0) * t / 10, a.1 + (b.1 - a.1) * t / 10);
    let s = d.screen()?;
    if (0..10).any(|t| s.at(along(t).0, along(t).1) != CANVAS) {
        return Err("the canvas is not blank before the stroke".into());
    }
    d.qmp.drag(a, b, 24, s.width, s.height)?;
    // The cursor sits on the end point: look at the path short of it.
    let s = wait_screen(&mut d, "the stroke", |s| {
        (0..10).all(|t| s.at(along(t).0, along(t).1) == INK)
    })?;
    let off = (x + 300, y + 60);
    if s.at(off.0, off.1) != CANVAS {
        return Err(format!(
            "a pixel off the stroke changed: {:06x}",
            s.at(off.0, off.1)
        ));
    }
    // Drag the title bar by (+300, +280): the window, stroke and all, moves.
    let (mx, my) = (300, 280);
    d.qmp.drag(
        (x + 100, y - TITLE / 2),
        (x + 100 + mx, y - TITLE / 2 + my),
        16,
        s.width,
        s.height,
    )?;
    wait_screen(&mut d, "the moved window", |s| {
        s.at(x + mx + pw / 2, y + my + 40) == CANVAS
            && s.at(x + mx + 200, y + my - TITLE / 2) == TITLE_FOCUSED
            && s.at(x + pw / 2, y + 40) == DESKTOP
            && (0..8).all(|t| s.at(along(t).0 + mx, along(t).1 + my) == INK)
    })?;
    Ok(())
}

/// term's colours (user/bin/src/bin/term.rs).
const TERM_FG: u32 = 0xc0c0c0;
const TERM_BG: u32 = 0x000000;

fn term_typing(kernel: &Path) -> Result<()> {
    let mut d = desktop(kernel)?;
    start_wsd(&mut d)?;
    d.console.send("term &\n")?;
    let (x, y) = slot(1);
    // What the window must show, drawn by the same grid and font code on the host.
    let expect = |typed: &str| {
        let mut g = gfx::term::Grid::new(80, 24);
        g.feed(typed.as_bytes());
        let (w, h) = g.size();
        let mut s = gfx::Surface::new(w, h, TERM_BG);
        g.render(&mut s, TERM_FG, TERM_BG, true);
        s
    };
    let matches = |want: &gfx::Surface, s: &crate::shot::Screen| {
        (0..want.height).all(|r| {
            (0..want.width)
                .all(|c| want.pixels[r * want.width + c] == s.at(x + c as u32, y + r as u32))
        })
    };
    // sh runs interactively on term's pseudo-terminal: its prompt, its line editor.
    let start = expect("dinos:/$ ");
    wait_screen(&mut d, "sh's prompt in term", |s| matches(&start, s))?;
    d.qmp.type_text("echo hello, world\n")?;
    let after = expect("dinos:/$ echo hello, world\nhello, world\ndinos:/$ ");
    wait_screen(&mut d, "the typed command and its output in term", |s| {
        matches(&after, s)
    })?;
    // A second command, with a pipe, and a backspace typed into it.
    d.qmp.type_text("echo abcx")?;
    d.qmp.send_key(&["backspace"])?;
    d.qmp.type_text(" | wc -c\n")?;
    let both =
        expect("dinos:/$ echo hello, world\nhello, world\ndinos:/$ echo abc | wc -c\n4\ndinos:/$ ");
    wait_screen(&mut d, "the second command's output", |s| matches(&both, s))?;
    Ok(())
}

/// `edit` in term, on its pseudo-terminal: the editor asks the terminal's size
/// (24x80, which term set with TIOCSWINSZ), switches to raw mode and paints the whole
/// screen with cursor moves, erases and a reverse-video status line (`ESC[7m`, which
/// the grid shows as plain text). The window must equal the host's rendering of what
/// edit draws for the same state, computed by the same `editcore` at 24x80 and fed
/// through the same bytes edit writes (user/bin/src/bin/edit.rs `draw`).
fn edit_in_term(kernel: &Path) -> Result<()> {
    let mut d = desktop(kernel)?;
    start_wsd(&mut d)?;
    d.console.send("term &\n")?;
    let (x, y) = slot(1);
    let render = |bytes: &[u8]| {
        let mut g = gfx::term::Grid::new(80, 24);
        g.feed(bytes);
        let (w, h) = g.size();
        let mut s = gfx::Surface::new(w, h, TERM_BG);
        g.render(&mut s, TERM_FG, TERM_BG, true);
        s
    };
    let matches = |want: &gfx::Surface, s: &crate::shot::Screen| {
        (0..want.height).all(|r| {
            (0..want.width)
                .all(|c| want.pixels[r * want.width + c] == s.at(x + c as u32, y + r as u32))
        })
    };
    let prompt = render(b"dinos:/$ ");
    wait_screen(&mut d, "sh's prompt in term", |s| matches(&prompt, s))?;
    d.qmp.type_text("edit /tmp/new.txt\n")?;
    // What edit draws (its `draw`), for an editor in the state the keys leave it.
    let draw = |ed: &editcore::Editor| {
        let mut out = String::from("\x1b[2J\x1b[?25l");
        for (i, line) in ed.screen_lines().iter().enumerate() {
            out += &format!("\x1b[{};1H{line}\x1b[K", i + 1);
        }
        out += &format!("\x1b[24;1H\x1b[7m{}\x1b[0m", ed.status_line());
        let (r, c) = ed.cursor_on_screen();
        out += &format!("\x1b[{};{}H\x1b[?25h", r + 1, c + 1);
        render(out.as_bytes())
    };
    let mut ed = editcore::Editor::new("/tmp/new.txt", "", 24, 80);
    ed.set_message("new file  (^S save  ^Q quit  ^F find)");
    wait_screen(&mut d, "edit's empty screen", |s| matches(&draw(&ed), s))?;
    // Enter reaches edit as `\n` (term sends `\r`, the line discipline maps it).
    d.qmp.type_text("hello\npty")?;
    let mut keys = editcore::KeyDecoder::new();
    for k in keys.feed_all(b"hello\npty") {
        ed.handle(k);
    }
    wait_screen(&mut d, "the text typed into edit", |s| {
        matches(&draw(&ed), s)
    })?;
    // Quit (^Q twice: the text is not saved): edit clears the screen and puts the
    // terminal back, and the shell's prompt is on the top row.
    d.qmp.send_key(&["ctrl", "q"])?;
    d.qmp.send_key(&["ctrl", "q"])?;
    let after = render(b"\x1b[2J\x1b[Hdinos:/$ ");
    wait_screen(&mut d, "the prompt after edit", |s| matches(&after, s))?;
    Ok(())
}

/// clock's colours and size (user/bin/src/bin/clock.rs): 8 characters of the font at
/// 4 times its size, 8 pixels around.
const CLOCK_FACE: u32 = 0x101010;
const CLOCK_DIGITS: u32 = 0x40e040;
const CLOCK: (u32, u32) = (8 * 8 * 4 + 16, 8 * 4 + 16);

fn clock_ticks(kernel: &Path) -> Result<()> {
    let mut d = desktop(kernel)?;
    start_wsd(&mut d)?;
    d.console.send("clock &\n")?;
    let (x, y) = slot(1);
    let (w, h) = CLOCK;
    let region = |s: &crate::shot::Screen| -> Vec<u32> {
        (y..y + h)
            .flat_map(|r| (x..x + w).map(move |c| (c, r)))
            .map(|(c, r)| s.at(c, r))
            .collect()
    };
    let first = wait_screen(&mut d, "the clock", |s| {
        s.at(x + 2, y + 2) == CLOCK_FACE && s.count(x, y, w, h, CLOCK_DIGITS) > 200
    })?;
    // The face must be the host's rendering of HH:MM:SS within two minutes of the
    // host's clock (QEMU's RTC starts at the host's UTC time).
    let shown = region(&first);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let found = (now - 120..now + 120).any(|t| {
        let text = format!("{:02}:{:02}:{:02}", t / 3600 % 24, t / 60 % 60, t % 60);
        let mut face = gfx::Surface::new(w as usize, h as usize, CLOCK_FACE);
        face.text(8, 8, &text, 4, CLOCK_DIGITS);
        face.pixels == shown
    });
    if !found {
        return Err("the clock's face is not the rendering of any HH:MM:SS".into());
    }
    wait_screen(&mut d, "the clock's next second", |s| region(s) != shown)?;
    Ok(())
}

/// sysmon's geometry and CPU colour (user/bin/src/bin/sysmon.rs).
const SYSMON_CPU: u32 = 0x40e040;
const SYSMON_LEFT: u32 = 8;
const SYSMON_COLUMNS: u32 = 256;
const SYSMON_CPU_TOP: u32 = 20;
const SYSMON_GRAPH_H: u32 = 50;

fn sysmon_busy(kernel: &Path) -> Result<()> {
    let mut d = desktop(kernel)?;
    start_wsd(&mut d)?;
    d.console.send("sysmon &\n")?;
    let (x, y) = slot(1);
    // The newest column of the CPU graph, and how much of it is lit.
    let newest = |s: &crate::shot::Screen| {
        let cx = x + SYSMON_LEFT + SYSMON_COLUMNS - 1;
        s.count(cx, y + SYSMON_CPU_TOP, 1, SYSMON_GRAPH_H, SYSMON_CPU)
    };
    wait_screen(&mut d, "sysmon's graphs (an idle CPU)", |s| {
        s.at(x + 2, y + 2) == 0x202020 && newest(s) < SYSMON_GRAPH_H as usize / 2
    })?;
    d.console.send("yes > /dev/null &\n")?;
    wait_screen(&mut d, "a busy CPU in sysmon's graph", |s| {
        newest(s) > SYSMON_GRAPH_H as usize * 3 / 4
    })?;
    d.console.run_line("kill %3; echo killed", &["killed"])?;
    wait_screen(&mut d, "an idle CPU again", |s| {
        newest(s) < SYSMON_GRAPH_H as usize / 2
    })?;
    Ok(())
}

/// wsd's pid, from `ps`.
fn wsd_pid(d: &mut Desktop) -> Result<u32> {
    let ps = d.console.run_line("ps", &["CMD"])?;
    ps.lines()
        .find(|l| l.trim_end().ends_with(" wsd"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .ok_or(format!("no wsd in ps:\n{ps}"))
}

/// How many descriptors process `pid` has open (`FDUsed` in /proc/PID/status).
fn fds_used(d: &mut Desktop, pid: u32) -> Result<u32> {
    let out = d
        .console
        .run_line(&format!("grep FDUsed /proc/{pid}/status"), &["FDUsed:"])?;
    out.lines()
        .find_map(|l| l.strip_prefix("FDUsed:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or(format!("no FDUsed figure in:\n{out}"))
}

fn hostile_clients(kernel: &Path) -> Result<()> {
    let mut d = desktop(kernel)?;
    start_wsd(&mut d)?;
    let pid = wsd_pid(&mut d)?;
    let before = fds_used(&mut d, pid)?;
    let out = d
        .console
        .run_line("wsdtest", &["wsdtest: OK every bad message"])?;
    if out.contains("FAIL") || !out.contains("wsdtest: OK shrinking a mapped segment is EPERM") {
        return Err(format!("wsdtest printed:\n{out}"));
    }
    d.console.run_line("wsdtest die", &["wsdtest: OK"])?;
    // Every descriptor the garbage and the dead clients brought is closed again.
    let mut now = fds_used(&mut d, pid)?;
    for _ in 0..20 {
        if now == before {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
        now = fds_used(&mut d, pid)?;
    }
    if now != before {
        return Err(format!(
            "wsd had {before} descriptors open, {now} after the hostile clients"
        ));
    }
    // Windows 1 (wsdtest's good one) and 2 went with their clients; paint is 3.
    d.console.send("paint &\n")?;
    let (x, y) = slot(3);
    let (w1, w2) = (slot(1), slot(2));
    wait_screen(&mut d, "paint after the hostile clients", |s| {
        s.at(x + 200, y + 150) == CANVAS
            && s.at(w1.0 + 20, w1.1 + 20) == DESKTOP
            && s.at(w2.0 + 5, w2.1 + 5) == DESKTOP
    })?;
    // Kill the server: paint sees it gone and exits, the kernel goes on.
    d.console.run_line("kill -9 %1", &[])?;
    d.console
        .run_line("sleep 1; jobs; echo after=$?", &["after=0"])?;
    let out = d.console.run_line("fbtest", &["fbtest: "])?;
    if !out.contains("fbtest: OK") {
        return Err(format!("after wsd was killed, fbtest printed:\n{out}"));
    }
    d.console
        .run_line("wsd & sleep 1; kill -9 %+; echo again", &["again"])?;
    Ok(())
}

fn desktop(kernel: &Path) -> Result<Desktop> {
    Desktop::boot(crate::test::shell_machine(kernel))
}

fn fb_pixels(kernel: &Path) -> Result<()> {
    let mut d = desktop(kernel)?;
    let out = d.console.run_line("fbtest", &["fbtest: "])?;
    if !out.contains("fbtest: OK 1024x768 pitch 4096") {
        return Err(format!("fbtest printed:\n{out}"));
    }
    let s = d.screen()?;
    if (s.width, s.height) != (1024, 768) {
        return Err(format!("screen is {}x{}, not 1024x768", s.width, s.height));
    }
    // (what, x, y, w, h, colour): every pixel of each must be the colour.
    let want = [
        ("red rectangle", 100, 100, 200, 150, 0xff0000),
        ("green rectangle", 400, 300, 100, 100, 0x00ff00),
        (
            "the forked child's yellow rectangle",
            600,
            500,
            80,
            60,
            0xffff00,
        ),
        ("the row written with pwrite", 0, 700, 1024, 1, 0xffffff),
        ("background above", 0, 0, 1024, 100, 0x102040),
        ("background left of red", 0, 100, 100, 150, 0x102040),
    ];
    for (what, x, y, w, h, rgb) in want {
        let n = s.count(x, y, w, h, rgb);
        if n != (w * h) as usize {
            return Err(format!(
                "{what}: {n} of {} pixels are {rgb:06x} (one is {:06x})",
                w * h,
                s.at(x + w / 2, y + h / 2)
            ));
        }
    }
    // The mode ioctl really changes the screen, and back.
    d.console.run_line(
        "fbtest mode 800 600",
        &["fbtest: mode 800x600x32 pitch 3200"],
    )?;
    let s = d.screen()?;
    if (s.width, s.height) != (800, 600) {
        return Err(format!(
            "after mode 800 600 the screen is {}x{}",
            s.width, s.height
        ));
    }
    d.console.run_line(
        "fbtest mode 1024 768",
        &["fbtest: mode 1024x768x32 pitch 4096"],
    )?;
    let s = d.screen()?;
    if (s.width, s.height) != (1024, 768) {
        return Err(format!("mode 1024 768 gave {}x{}", s.width, s.height));
    }
    d.console
        .run_line("fbtest mode 5000 10; echo st=$?", &["st=1"])?;
    // The screen and the keys are root's and their groups' (video, input): an
    // ordinary user can neither map the framebuffer nor read the keyboard.
    let ls = d.console.run_line("ls -l /dev/fb0 /dev/event0", &[])?;
    for want in ["crw-rw---- 1 root video", "crw-rw---- 1 root input"] {
        if !ls.contains(want) {
            return Err(format!(
                "ls -l /dev/fb0 /dev/event0 does not say {want:?}:\n{ls}"
            ));
        }
    }
    let out = d.console.run_line(
        "su user -c 'fbtest; echo st=$?; evtest -n 1 /dev/event0; echo st=$?'",
        &["st=", "st="],
    )?;
    let refused = out.matches("permission denied").count() + out.matches("EACCES").count();
    if refused != 2 || out.contains("fbtest: OK") || out.contains("st=0") {
        return Err(format!(
            "a normal user reached /dev/fb0 or /dev/event0:\n{out}"
        ));
    }
    Ok(())
}

/// `cargo xtask bench gui`: key press to the character on the screen, under `-icount
/// shift=0` (guest nanoseconds are guest instructions). `wsd --latency` times each
/// key from the event reaching wsd to the end of the first frame composed after term
/// presented: wsd's event to term, term's write to the pseudo-terminal's master,
/// sh's line editor reading the byte and echoing it, term reading the echo, drawing
/// its grid and presenting, and wsd's composite and copy to the screen.
pub fn bench_latency(kernel: &Path, image: &Path) -> Result<()> {
    let mut m = crate::qemu::Machine::new(kernel);
    m.initrd = Some(image.to_path_buf());
    m.no_reboot = true;
    m.icount = true;
    let mut d = Desktop::boot(m)?;
    d.console.send("wsd --latency &\n")?;
    d.console
        .expect("wsd: 1024x768", std::time::Duration::from_secs(60))?;
    d.console.send("term &\n")?;
    std::thread::sleep(std::time::Duration::from_secs(5));
    let keys = "abcdefghijklmnop";
    let mut ns = Vec::new();
    for c in keys.chars() {
        d.qmp.type_text(&c.to_string())?;
        let line = d
            .console
            .expect(" ns", std::time::Duration::from_secs(30))?;
        let n: u64 = line
            .rsplit("key to screen ")
            .next()
            .and_then(|t| t.trim_end_matches(" ns").trim().parse().ok())
            .ok_or(format!("no latency in {line:?}"))?;
        ns.push(n);
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    ns.sort_unstable();
    println!(
        "gui: key to screen through wsd, term, the pseudo-terminal and sh, under -icount shift=0, {}",
        crate::bench::qemu_version()
    );
    println!("| keys | min | median | max (guest instructions) |");
    println!("|---|---|---|---|");
    println!(
        "| {} | {} | {} | {} |",
        ns.len(),
        ns[0],
        ns[ns.len() / 2],
        ns[ns.len() - 1]
    );
    Ok(())
}
