//! Command substitution and here-documents: shell text whose output, or a text, must
//! become a file descriptor.
//!
//! Chapter 2 section 2-1 (the command interpreter) and 3-2 (process control):
//! `$(list)` runs `list` in a forked copy of the shell whose standard output is the
//! write end of a pipe; the shell reads the other end to end of file, waits for the
//! child (its status is `$?` of an assignment-only command), and the text, less its
//! trailing newlines, replaces the substitution. A here-document is the reverse: the
//! command's descriptor is the read end of a pipe holding the text.
//!
//! Design decision: a here-document that fits in the pipe's buffer (4 KiB) is written
//! by the shell before the command starts, with no extra process; a longer one is fed
//! by a forked writer, so neither side can block the other.

use alloc::string::String;
use alloc::vec::Vec;

use ulib::{sys, Errno};

use crate::shell::{Flow, Io, Shell};
use crate::shparse::List;

/// What a pipe holds without a reader (the kernel's `PIPE_BUF`).
const PIPE_CAPACITY: usize = 4096;

impl Shell {
    /// Runs `list` in a subshell and returns everything it wrote to its standard output.
    pub fn capture(&mut self, list: &List) -> Result<String, String> {
        let mut p = [0i32; 2];
        sys::pipe(&mut p).map_err(|e| alloc::format!("pipe: {}", e.message()))?;
        match sys::fork() {
            Ok(0) => {
                let _ = sys::close(p[0]);
                self.subshell = true;
                self.reset_traps_for_child();
                crate::term::default_signals();
                let io = Io::standard().with(1, p[1]);
                self.run_list(list, &io);
                let code = match self.flow {
                    Flow::Exit(code) => code,
                    _ => self.status,
                };
                sys::exit(code)
            }
            Ok(pid) => {
                let _ = sys::close(p[1]);
                let bytes = crate::sysfs::read_fd_to_end(p[0]).unwrap_or_default();
                let _ = sys::close(p[0]);
                let st = crate::jobs::wait_pid(pid as u32, 0);
                self.subst_status = Some(shcore::status::exit_code(st));
                Ok(String::from_utf8_lossy(&bytes).into_owned())
            }
            Err(e) => {
                let _ = sys::close(p[0]);
                let _ = sys::close(p[1]);
                Err(alloc::format!("fork: {}", e.message()))
            }
        }
    }

    /// A descriptor to read `text` from (the read end of a pipe).
    pub fn here_document(&mut self, text: &str) -> Result<i32, Errno> {
        let mut p = [0i32; 2];
        sys::pipe(&mut p)?;
        if text.len() <= PIPE_CAPACITY {
            let _ = ulib::io::write_all(p[1], text.as_bytes());
            let _ = sys::close(p[1]);
            return Ok(p[0]);
        }
        match sys::fork() {
            Ok(0) => {
                let _ = sys::close(p[0]);
                let _ = ulib::io::write_all(p[1], text.as_bytes());
                sys::exit(0)
            }
            Ok(pid) => {
                let _ = sys::close(p[1]);
                // The writer ends by itself once the reader has taken everything; it
                // is collected with the other background children.
                self.stray.push(pid as u32);
                Ok(p[0])
            }
            Err(e) => {
                let _ = sys::close(p[0]);
                let _ = sys::close(p[1]);
                Err(e)
            }
        }
    }

    /// Collects here-document writers that have finished.
    pub fn reap_stray(&mut self) {
        let flags = ulib::abi::flags::WNOHANG;
        let mut left = Vec::new();
        for pid in core::mem::take(&mut self.stray) {
            let mut st = 0u32;
            match sys::waitpid(i64::from(pid), Some(&mut st), flags) {
                Ok(p) if p as u32 == pid => {}
                Err(_) => {}
                _ => left.push(pid),
            }
        }
        self.stray = left;
    }
}
