//! Communication (chapter 2, 3-2): pipes, message passing through the kernel. Message
//! ports and shared memory are the communication issue's.

use crate::table::{Ctx, SysResult};
use crate::user::{FdPair, UserPtr};

pub fn pipe(cx: &mut Ctx, out: UserPtr<FdPair>) -> SysResult {
    let p = cx.process()?;
    // Check the destination first so a bad pointer leaks no descriptors.
    out.write(&FdPair(0, 0))?;
    let (r, w) = files::new_pipe::<proc::signal::ProcessSignals>()?;
    let mut t = p.files.lock();
    let rfd = t.insert(r, false)?;
    let wfd = match t.insert(w, false) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.close(rfd);
            return Err(e);
        }
    };
    drop(t);
    out.write(&FdPair(rfd, wfd))?;
    Ok(0)
}
