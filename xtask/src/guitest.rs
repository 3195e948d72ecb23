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

pub const GUI_TESTS: &[(&str, GuiTest)] = &[(
    "gui::pixels_a_program_writes_to_fb0_appear_in_the_screendump",
    fb_pixels,
)];

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
    Ok(())
}
