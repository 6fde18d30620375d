//! close_range(2): close, or mark close-on-exec, every descriptor in a range.

use crate::errno::SysResult;
use crate::{Kernel, LinuxPlatform};
use meridian_abi::Errno;

/// Give the caller a private descriptor table first (include/uapi/linux/close_range.h). Fd
/// tables are never shared between processes here (clone with CLONE_FILES for a process is
/// refused), so for a single-threaded caller it changes nothing; the threads of a process
/// share one table and cannot be given one each (reported once).
const CLOSE_RANGE_UNSHARE: u64 = 1 << 1;
/// Mark the range close-on-exec instead of closing it.
const CLOSE_RANGE_CLOEXEC: u64 = 1 << 2;

impl<P: LinuxPlatform> Kernel<P> {
    /// close_range(2): `first..=last` (unsigned int, as the kernel reads them); descriptors
    /// not open are skipped, `last` may be past the table.
    pub fn sys_close_range(&self, first: u64, last: u64, flags: u64) -> SysResult {
        let (first, last) = (first as u32, last as u32);
        if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
            return Err(Errno::EINVAL.into());
        }
        if flags & CLOSE_RANGE_UNSHARE != 0 && self.threads.lock().len() > 1 {
            self.report_once(
                0x7_0001,
                format_args!(
                    "close_range(CLOSE_RANGE_UNSHARE) in a multi-threaded process acts on the table all its threads share"
                ),
            );
        }
        let mut fds = self.fds.lock();
        let open: alloc::vec::Vec<u32> = fds
            .iter()
            .map(|(fd, _)| fd)
            .filter(|fd| (first..=last).contains(fd))
            .collect();
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            for fd in open {
                if let Ok(e) = fds.get_mut(fd) {
                    e.cloexec = true;
                }
            }
            return Ok(0);
        }
        let closed: alloc::vec::Vec<_> = open
            .into_iter()
            .filter_map(|fd| fds.remove(fd).ok())
            .collect();
        drop(fds);
        for e in closed {
            // As close(2): the process's record locks on each file go.
            self.drop_process_locks(&e.file);
        }
        self.notify();
        Ok(0)
    }
}
