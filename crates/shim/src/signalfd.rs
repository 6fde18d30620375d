//! signalfd(2) and signalfd4(2): a descriptor that reads pending signals.
//!
//! The node ([`SignalFd`]) holds only the mask; what it reads is the pending set of the
//! thread that reads it and of that thread's process (signalfd(2): "the descriptor reads the
//! signals pending for the calling thread"), so reading, polling and blocking happen in the
//! reader's own [`Kernel`], never through the node: after a fork, parent and child read their
//! own signals through one shared descriptor, as on Linux. [`crate::fs_calls`] hands reads of
//! such a node to [`Kernel::read_signalfd`] and [`crate::poll`] asks
//! [`Kernel::signalfd_readiness`]. Depends on the ABI crate and the core.

use crate::errno::SysResult;
use crate::fs_calls::o;
use crate::{Kernel, LinuxPlatform, Thread};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};
use meridian_abi::Errno;
use meridian_abi::layout::Fields;
use meridian_abi::signal::{SigInfo, UNBLOCKABLE, si_code, sig};
use meridian_core::Error;
use meridian_core::file::OpenFile;
use meridian_core::fs::{FileType, Metadata, Node, NodeRef};
use meridian_core::platform::Readiness;

/// `sizeof(struct signalfd_siginfo)` (include/uapi/linux/signalfd.h).
pub const SIGNALFD_SIGINFO_BYTES: usize = 128;
/// `SFD_CLOEXEC` and `SFD_NONBLOCK` are `O_CLOEXEC` and `O_NONBLOCK`.
const SFD_FLAGS: u64 = o::CLOEXEC | o::NONBLOCK;

/// A signalfd: the set of signals it reads.
pub struct SignalFd {
    mask: AtomicU64,
}

impl SignalFd {
    /// The signals it reads (never SIGKILL or SIGSTOP).
    pub fn mask(&self) -> u64 {
        self.mask.load(Ordering::Acquire)
    }
}

impl Node for SignalFd {
    fn metadata(&self) -> meridian_core::error::Result<Metadata> {
        Ok(Metadata {
            mode: 0o600,
            nlink: 1,
            ..Metadata::default()
        })
    }
    fn file_type(&self) -> FileType {
        FileType::CharDevice
    }
    /// Reads are the reader's kernel's ([`Kernel::read_signalfd`]); this is never reached.
    fn read_at(&self, _pos: u64, _buf: &mut [u8]) -> meridian_core::error::Result<usize> {
        Err(Error::Invalid)
    }
    fn open(self: Arc<Self>, _write: bool) -> meridian_core::error::Result<NodeRef> {
        Ok(self)
    }
    fn readiness(&self) -> Readiness {
        Readiness::default()
    }
    fn seekable(&self) -> bool {
        false
    }
    fn anon_name(&self) -> Option<Vec<u8>> {
        Some(b"anon_inode:[signalfd]".to_vec())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Whether `info` has the `_sigchld` layout (`siginfo_layout`, kernel/signal.c: a SIGCHLD
/// with a kernel code).
fn is_child(info: &SigInfo) -> bool {
    info.signo == sig::SIGCHLD && info.code > si_code::SI_USER && info.code < si_code::SI_KERNEL
}

/// Whether `info` has the `_sigfault` layout (a fault signal with a kernel code).
fn is_fault(info: &SigInfo) -> bool {
    matches!(
        info.signo,
        sig::SIGSEGV | sig::SIGBUS | sig::SIGILL | sig::SIGFPE | sig::SIGTRAP
    ) && info.code > si_code::SI_USER
        && info.code < si_code::SI_KERNEL
}

/// `struct signalfd_siginfo` for `info`, filled field by field as `signalfd_copyinfo`
/// (fs/signalfd.c) does for each siginfo layout.
pub fn encode(info: &SigInfo) -> [u8; SIGNALFD_SIGINFO_BYTES] {
    let mut b = [0u8; SIGNALFD_SIGINFO_BYTES];
    let raw = &info.fields;
    let word = |at: usize| meridian_abi::layout::get_u32(raw, at);
    let quad = |at: usize| meridian_abi::layout::get_u64(raw, at);
    let mut w = Fields(&mut b);
    w.u32(0, info.signo);
    w.u32(4, info.errno as u32);
    w.u32(8, info.code as u32);
    if is_fault(info) {
        // ssi_addr
        w.u64(72, quad(0));
    } else if is_child(info) {
        // ssi_pid, ssi_uid, ssi_status (utime/stime: no accounting, 0)
        w.u32(12, word(0));
        w.u32(16, word(4));
        w.u32(40, word(8));
    } else {
        // `_kill` and `_rt`: ssi_pid, ssi_uid, ssi_int and ssi_ptr (zero for kill).
        w.u32(12, word(0));
        w.u32(16, word(4));
        w.u32(44, word(8));
        w.u64(48, quad(8));
    }
    b
}

impl<P: LinuxPlatform> Kernel<P> {
    /// signalfd4(2) (and signalfd(2), with no flags).
    pub fn sys_signalfd4(&self, fd: u64, mask: u64, sizemask: u64, flags: u64) -> SysResult {
        if flags & !SFD_FLAGS != 0 || sizemask != 8 {
            return Err(Errno::EINVAL.into());
        }
        // SIGKILL and SIGSTOP are silently left out (signalfd(2)).
        let set = self.read_u64(mask)? & !UNBLOCKABLE;
        if fd as i32 != -1 {
            let f = self.file(fd)?;
            let Some(s) = f.node.as_any().downcast_ref::<SignalFd>() else {
                return Err(Errno::EINVAL.into());
            };
            s.mask.store(set, Ordering::Release);
            self.notify();
            return Ok(u64::from(fd as u32));
        }
        let node: NodeRef = Arc::new(SignalFd {
            mask: AtomicU64::new(set),
        });
        self.install(
            OpenFile::new(node, Vec::new(), true, false, (flags & o::NONBLOCK) as u32),
            flags & o::CLOEXEC != 0,
        )
    }

    /// read(2) of a signalfd: as many whole `signalfd_siginfo` records as fit and are
    /// pending, each signal consumed as if delivered; blocks (unless `nonblock`) until one
    /// is pending. EINVAL for a buffer smaller than one record.
    pub fn read_signalfd(
        &self,
        t: &Thread,
        s: &SignalFd,
        buf: &mut [u8],
        nonblock: bool,
    ) -> Result<usize, Error> {
        let room = buf.len() / SIGNALFD_SIGINFO_BYTES;
        if room == 0 {
            return Err(Error::Invalid);
        }
        self.block_on(t, nonblock, None, || {
            let mut n = 0;
            for rec in buf.chunks_exact_mut(SIGNALFD_SIGINFO_BYTES).take(room) {
                match self.take_signal(t, s.mask()) {
                    Some(info) => {
                        rec.copy_from_slice(&encode(&info));
                        n += 1;
                    }
                    None => break,
                }
            }
            if n == 0 {
                return Err(Error::WouldBlock);
            }
            Ok(n * SIGNALFD_SIGINFO_BYTES)
        })
    }

    /// poll readiness of a signalfd for thread `t`: readable while a signal of its mask is
    /// pending for `t` or its process.
    pub fn signalfd_readiness(&self, t: &Thread, s: &SignalFd) -> Readiness {
        self.take_incoming(t);
        let pending = t.pending.bits() | self.signals.pending.bits();
        Readiness {
            readable: pending & s.mask() != 0,
            ..Readiness::default()
        }
    }
}

/// The signalfd behind `f`, if it is one.
pub fn signalfd_of(f: &OpenFile) -> Option<&SignalFd> {
    f.node.as_any().downcast_ref::<SignalFd>()
}
