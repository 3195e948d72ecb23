//! `cargo xtask shot OUT.png`: see the screen without a display (chapter 2, 2-2).
//!
//! The machine boots headless with a framebuffer (`bochs-display`) and a virtio
//! tablet and keyboard; QEMU is driven through its QMP socket: `send-key` types on
//! the keyboard, `input-send-event` moves the tablet (absolute coordinates, 0..32767
//! across the screen, as a touch screen reports them) and presses its button, and
//! `screendump` writes the screen as a PPM file, which is converted to PNG. The tests
//! (`guitest.rs`) use the same [`Qmp`] and [`Screen`].

use crate::qemu::{Display, Machine};
use crate::session::Session;
use crate::Result;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The tablet's coordinate range (QEMU's `INPUT_EVENT_ABS_MAX` + 1).
pub const ABS_RANGE: u64 = 32768;

/// A QMP connection.
pub struct Qmp {
    w: UnixStream,
    r: BufReader<UnixStream>,
}

impl Qmp {
    /// Connect to `sock` (waiting for QEMU to create it) and leave capability
    /// negotiation.
    pub fn connect(sock: &Path) -> Result<Qmp> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let w = loop {
            match UnixStream::connect(sock) {
                Ok(s) => break s,
                Err(e) if Instant::now() >= deadline => {
                    return Err(format!("cannot reach QMP at {}: {e}", sock.display()))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        w.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let r = BufReader::new(w.try_clone().map_err(|e| e.to_string())?);
        let mut q = Qmp { w, r };
        let greeting = q.line()?;
        if !greeting.contains("\"QMP\"") {
            return Err(format!("not a QMP greeting: {greeting}"));
        }
        q.execute(r#"{"execute":"qmp_capabilities"}"#)?;
        Ok(q)
    }

    fn line(&mut self) -> Result<String> {
        let mut l = String::new();
        match self.r.read_line(&mut l) {
            Ok(0) => Err("QMP closed".into()),
            Ok(_) => Ok(l),
            Err(e) => Err(format!("QMP read: {e}")),
        }
    }

    /// Send one command (a JSON object) and wait for its answer, skipping events.
    pub fn execute(&mut self, cmd: &str) -> Result<String> {
        self.w
            .write_all(cmd.as_bytes())
            .and_then(|_| self.w.write_all(b"\n"))
            .map_err(|e| format!("QMP write: {e}"))?;
        loop {
            let l = self.line()?;
            if l.contains("\"return\"") {
                return Ok(l);
            }
            if l.contains("\"error\"") {
                return Err(format!("QMP {cmd}: {l}"));
            }
        }
    }

    /// Press and release `keys` together (QEMU qcodes, e.g. `["shift", "a"]`).
    pub fn send_key(&mut self, keys: &[&str]) -> Result<()> {
        let list: Vec<String> = keys
            .iter()
            .map(|k| format!(r#"{{"type":"qcode","data":"{k}"}}"#))
            .collect();
        self.execute(&format!(
            r#"{{"execute":"send-key","arguments":{{"keys":[{}]}}}}"#,
            list.join(",")
        ))
        .map(drop)
    }

    /// Type `text` (letters, digits, space, newline and common punctuation).
    pub fn type_text(&mut self, text: &str) -> Result<()> {
        for c in text.chars() {
            let (shift, code) = qcode(c).ok_or(format!("cannot type {c:?}"))?;
            if shift {
                self.send_key(&["shift", &code])?;
            } else {
                self.send_key(&[&code])?;
            }
        }
        Ok(())
    }

    fn events(&mut self, events: &[String]) -> Result<()> {
        self.execute(&format!(
            r#"{{"execute":"input-send-event","arguments":{{"events":[{}]}}}}"#,
            events.join(",")
        ))
        .map(drop)
    }

    /// Move the tablet to pixel `(x, y)` of a `w` x `h` screen.
    pub fn move_to(&mut self, x: u32, y: u32, w: u32, h: u32) -> Result<()> {
        let (ax, ay) = (to_abs(x, w), to_abs(y, h));
        self.events(&[
            format!(r#"{{"type":"abs","data":{{"axis":"x","value":{ax}}}}}"#),
            format!(r#"{{"type":"abs","data":{{"axis":"y","value":{ay}}}}}"#),
        ])
    }

    /// Press (`down`) or release the tablet's button (a finger on the screen).
    pub fn button(&mut self, down: bool) -> Result<()> {
        self.events(&[format!(
            r#"{{"type":"btn","data":{{"down":{down},"button":"left"}}}}"#
        )])
    }

    /// Touch at `(x, y)`: move, press, release.
    pub fn click(&mut self, x: u32, y: u32, w: u32, h: u32) -> Result<()> {
        self.move_to(x, y, w, h)?;
        self.button(true)?;
        self.button(false)
    }

    /// A stroke: press at `from`, move in `steps` straight steps to `to`, release.
    pub fn drag(
        &mut self,
        from: (u32, u32),
        to: (u32, u32),
        steps: u32,
        w: u32,
        h: u32,
    ) -> Result<()> {
        self.move_to(from.0, from.1, w, h)?;
        self.button(true)?;
        for i in 1..=steps {
            let x = from.0 as i64 + (to.0 as i64 - from.0 as i64) * i as i64 / steps as i64;
            let y = from.1 as i64 + (to.1 as i64 - from.1 as i64) * i as i64 / steps as i64;
            self.move_to(x as u32, y as u32, w, h)?;
            std::thread::sleep(Duration::from_millis(20));
        }
        self.button(false)
    }

    /// The screen now.
    pub fn screendump(&mut self, dir: &Path) -> Result<Screen> {
        let ppm = dir.join(format!("screen-{}.ppm", std::process::id()));
        self.execute(&format!(
            r#"{{"execute":"screendump","arguments":{{"filename":"{}"}}}}"#,
            ppm.display()
        ))?;
        let bytes = std::fs::read(&ppm).map_err(|e| format!("{}: {e}", ppm.display()))?;
        let _ = std::fs::remove_file(&ppm);
        Screen::from_ppm(&bytes)
    }
}

/// The tablet value for pixel `p` of `size`: the guest's `value * size / 32768` gives
/// `p` back.
pub fn to_abs(p: u32, size: u32) -> u64 {
    ((2 * p as u64 + 1) * ABS_RANGE / (2 * size.max(1) as u64)).min(ABS_RANGE - 1)
}

/// QEMU's name for the key that types `c`, and whether shift is needed.
fn qcode(c: char) -> Option<(bool, String)> {
    let plain = |s: &str| Some((false, s.to_string()));
    let shifted = |s: &str| Some((true, s.to_string()));
    match c {
        'a'..='z' | '0'..='9' => plain(&c.to_string()),
        'A'..='Z' => shifted(&c.to_ascii_lowercase().to_string()),
        ' ' => plain("spc"),
        '\n' => plain("ret"),
        '\t' => plain("tab"),
        '-' => plain("minus"),
        '=' => plain("equal"),
        '.' => plain("dot"),
        ',' => plain("comma"),
        '/' => plain("slash"),
        ';' => plain("semicolon"),
        '\'' => plain("apostrophe"),
        '_' => shifted("minus"),
        '|' => shifted("backslash"),
        '>' => shifted("dot"),
        '<' => shifted("comma"),
        '&' => shifted("7"),
        '$' => shifted("4"),
        '"' => shifted("apostrophe"),
        ':' => shifted("semicolon"),
        _ => None,
    }
}

/// A screen image, 0x00RRGGBB per pixel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screen {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u32>,
}

impl Screen {
    /// Parse a binary PPM (P6, maxval 255), as QEMU's screendump writes it.
    pub fn from_ppm(b: &[u8]) -> Result<Screen> {
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while at < b.len() && b[at].is_ascii_whitespace() {
                at += 1;
            }
            if at < b.len() && b[at] == b'#' {
                while at < b.len() && b[at] != b'\n' {
                    at += 1;
                }
                continue;
            }
            let start = at;
            while at < b.len() && !b[at].is_ascii_whitespace() {
                at += 1;
            }
            if start == at {
                return Err("PPM header cut short".into());
            }
            fields.push(String::from_utf8_lossy(&b[start..at]).into_owned());
        }
        at += 1; // the one whitespace byte before the raster
        let num = |i: usize| {
            fields[i]
                .parse::<u32>()
                .map_err(|_| format!("PPM: bad {}", fields[i]))
        };
        if fields[0] != "P6" || num(3)? != 255 {
            return Err(format!("not a P6/255 PPM: {fields:?}"));
        }
        let (width, height) = (num(1)?, num(2)?);
        let n = width as usize * height as usize;
        let raster = b.get(at..at + 3 * n).ok_or("PPM raster cut short")?;
        let pixels = raster
            .chunks_exact(3)
            .map(|p| (p[0] as u32) << 16 | (p[1] as u32) << 8 | p[2] as u32)
            .collect();
        Ok(Screen {
            width,
            height,
            pixels,
        })
    }

    pub fn at(&self, x: u32, y: u32) -> u32 {
        self.pixels[(y * self.width + x) as usize]
    }

    /// How many pixels of the rectangle are `rgb`.
    pub fn count(&self, x: u32, y: u32, w: u32, h: u32, rgb: u32) -> usize {
        (y..(y + h).min(self.height))
            .flat_map(|yy| (x..(x + w).min(self.width)).map(move |xx| (xx, yy)))
            .filter(|&(xx, yy)| self.at(xx, yy) == rgb)
            .count()
    }

    /// Write as a PNG (8-bit RGB).
    pub fn save_png(&self, path: &Path) -> Result<()> {
        let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(f), self.width, self.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        let data: Vec<u8> = self
            .pixels
            .iter()
            .flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8])
            .collect();
        w.write_image_data(&data).map_err(|e| e.to_string())
    }
}

/// A machine with the display, headless, and a QMP socket in `target/`.
pub fn display_machine(mut m: Machine) -> (Machine, PathBuf) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let sock = crate::root()
        .join("target")
        .join(format!("qmp-{}-{n}.sock", std::process::id()));
    let _ = std::fs::remove_file(&sock);
    m.display = Some(Display::Headless);
    m.qmp = Some(sock.clone());
    (m, sock)
}

/// A booted machine with the display: its console and its QMP connection.
pub struct Desktop {
    pub console: Session,
    pub qmp: Qmp,
    sock: PathBuf,
}

impl Desktop {
    /// Boot `m` (with the display added) to the shell prompt.
    pub fn boot(m: Machine) -> Result<Desktop> {
        let (m, sock) = display_machine(m);
        let console = Session::boot_shell(&m)?;
        let qmp = Qmp::connect(&sock)?;
        Ok(Desktop { console, qmp, sock })
    }

    pub fn screen(&mut self) -> Result<Screen> {
        self.qmp.screendump(&crate::root().join("target"))
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.sock);
    }
}

fn point(s: &str) -> Result<(u32, u32)> {
    let (x, y) = s.split_once(',').ok_or(format!("{s}: want X,Y"))?;
    Ok((
        x.trim().parse().map_err(|_| format!("{s}: want X,Y"))?,
        y.trim().parse().map_err(|_| format!("{s}: want X,Y"))?,
    ))
}

/// `cargo xtask shot OUT.png [--run CMD] [--keys TEXT] [--click X,Y] [--drag X,Y:X,Y]
/// [--wait SECONDS]`: the steps in the order given, then a second, then the screen.
pub fn shot_cmd(args: &[String]) -> Result<u8> {
    crate::deps::ensure()?;
    let mut out = None;
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--run" | "--keys" | "--click" | "--drag" | "--wait" => {
                let v = it.next().ok_or(format!("{a} needs a value"))?;
                if a == "--wait" && v.parse::<f64>().is_err() {
                    return Err("--wait takes seconds".into());
                }
                steps.push((a.clone(), v.clone()));
            }
            o if o.starts_with("--") => return Err(format!("unknown option `{o}`")),
            o => out = Some(PathBuf::from(o)),
        }
    }
    let out =
        out.ok_or("usage: cargo xtask shot OUT.png [--run CMD] [--keys TEXT] [--click X,Y]")?;
    let (kernel, image) = crate::qemu::build_system()?;
    let mut m = Machine::new(&kernel);
    m.initrd = Some(image);
    m.no_reboot = true;
    let mut d = Desktop::boot(m)?;
    let (w, h) = {
        let s = d.screen()?;
        (s.width, s.height)
    };
    for (what, v) in &steps {
        match what.as_str() {
            "--run" => d.console.send(&format!("{v}\n"))?,
            "--wait" => std::thread::sleep(Duration::from_secs_f64(v.parse().unwrap_or(1.0))),
            "--keys" => d.qmp.type_text(v)?,
            "--click" => {
                let (x, y) = point(v)?;
                d.qmp.click(x, y, w, h)?
            }
            _ => {
                let (a, b) = v.split_once(':').ok_or("--drag takes X,Y:X,Y")?;
                d.qmp.drag(point(a)?, point(b)?, 16, w, h)?
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(1));
    let s = d.screen()?;
    s.save_png(&out)?;
    println!("{}: {}x{}", out.display(), s.width, s.height);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tablet_values_map_back_to_the_pixel() {
        for size in [768u32, 1024, 1080] {
            for p in [0, 1, 100, size / 2, size - 1] {
                let v = to_abs(p, size);
                assert!(v < ABS_RANGE);
                assert_eq!((v * size as u64 / ABS_RANGE) as u32, p, "{p} of {size}");
            }
        }
    }

    #[test]
    fn ppm_is_parsed_with_comments() {
        let mut b = b"P6\n# made by hand\n2 1\n255\n".to_vec();
        b.extend_from_slice(&[1, 2, 3, 255, 0, 128]);
        let s = Screen::from_ppm(&b).unwrap();
        assert_eq!((s.width, s.height), (2, 1));
        assert_eq!(s.pixels, vec![0x010203, 0xff0080]);
        assert!(Screen::from_ppm(b"P6\n2 1\n255\n\x01").is_err());
        assert!(Screen::from_ppm(b"P3\n1 1\n255\n000").is_err());
    }

    #[test]
    fn keys_have_qcodes() {
        assert_eq!(qcode('a'), Some((false, "a".into())));
        assert_eq!(qcode('Q'), Some((true, "q".into())));
        assert_eq!(qcode('\n'), Some((false, "ret".into())));
        assert_eq!(qcode('\u{e9}'), None);
    }
}
