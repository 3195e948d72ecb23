//! `getty [TERMINAL]`: make a terminal ready for someone to log in, then run `login`
//! on it (chapter 2 section 4: a system service init keeps running).
//!
//! It starts a new session (so the login shell and its jobs are a session of their
//! own), opens the terminal (default `/dev/console`) as descriptors 0, 1 and 2, makes
//! its process group the terminal's foreground group (Ctrl-C reaches the shell, not
//! init), prints a banner and replaces itself with `/bin/login`. When the user logs
//! out, the shell exits and init starts a new `getty`.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

ulib::entry!(main);

use ulib::{fs, io, sys};

fn main() -> i32 {
    let tty = ulib::env::args()
        .nth(1)
        .unwrap_or_else(|| alloc::string::String::from("/dev/console"));
    let _ = sys::setsid();
    let f = match fs::OpenOptions::new().read(true).write(true).open(&tty) {
        Ok(f) => f,
        Err(e) => {
            ulib::eprintln!("getty: {tty}: {e}");
            return 1;
        }
    };
    let fd = f.into_raw_fd();
    for n in 0..3 {
        if fd != n {
            let _ = sys::dup2(fd, n);
        }
    }
    if fd > 2 {
        let _ = sys::close(fd);
    }
    let _ = io::set_foreground_group(0, ulib::process::id());
    let name = ulib::info::uname().map(|u| u.nodename).unwrap_or_default();
    ulib::println!();
    ulib::println!("dinos {name} ({tty})");
    ulib::println!();
    let e = ulib::process::exec("/bin/login", &["login"]);
    ulib::eprintln!("getty: /bin/login: {e}");
    1
}
