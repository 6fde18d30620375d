//! Sockets: AF_UNIX socket pairs served by the library OS (DESIGN §6), over the core's
//! [`meridian_core::unix`] pairs.
//!
//! socketpair(2) makes two connected endpoints; read/write and the send/recv family move
//! bytes or messages between them, with `SCM_RIGHTS` descriptor passing and `SO_PASSCRED`
//! credentials; shutdown, getsockopt/setsockopt, getsockname/getpeername act on them.
//! socket(2) makes no socket yet: named AF_UNIX sockets (bind/connect/listen/accept) and
//! other families return an errno, reported once.

use crate::errno::{SysError, SysResult};
use crate::fs_calls::o;
use crate::{Kernel, LinuxPlatform, Thread};
use alloc::sync::Arc;
use alloc::vec::Vec;
use meridian_abi::Errno;
use meridian_abi::layout::{Fields, get_u32, get_u64};
use meridian_abi::signal::{SigInfo, si_code, sig};
use meridian_core::Error;
use meridian_core::file::{FdEntry, OpenFile};
use meridian_core::unix::{BufKind, RecvFlags, SockType, Ucred, UnixPair, UnixSocket};

/// `AF_UNIX`.
const AF_UNIX: u64 = 1;
/// `SOCK_STREAM`, `SOCK_DGRAM`, `SOCK_RAW`, `SOCK_RDM`, `SOCK_SEQPACKET`.
const SOCK_STREAM: u64 = 1;
const SOCK_DGRAM: u64 = 2;
const SOCK_RAW: u64 = 3;
const SOCK_SEQPACKET: u64 = 5;
/// Types above this are EINVAL (`SOCK_MAX` in include/linux/net.h).
const SOCK_MAX: u64 = 10;
/// The type argument's flag bits (socket(2): `SOCK_NONBLOCK`, `SOCK_CLOEXEC`).
const SOCK_TYPE_MASK: u64 = 0xf;

/// send/recv flags (include/linux/socket.h).
mod msg {
    pub const OOB: u64 = 0x1;
    pub const PEEK: u64 = 0x2;
    pub const CTRUNC: u32 = 0x8;
    pub const TRUNC: u64 = 0x20;
    pub const DONTWAIT: u64 = 0x40;
    pub const WAITALL: u64 = 0x100;
    pub const ERRQUEUE: u64 = 0x2000;
    pub const NOSIGNAL: u64 = 0x4000;
    pub const CMSG_CLOEXEC: u64 = 0x4000_0000;
}

const SOL_SOCKET: u64 = 1;
const SCM_RIGHTS: u32 = 1;
const SCM_CREDENTIALS: u32 = 2;
/// Socket options (asm-generic/socket.h).
mod so {
    pub const TYPE: u64 = 3;
    pub const ERROR: u64 = 4;
    pub const SNDBUF: u64 = 7;
    pub const RCVBUF: u64 = 8;
    pub const PASSCRED: u64 = 16;
    pub const PEERCRED: u64 = 17;
    pub const SNDBUFFORCE: u64 = 32;
    pub const RCVBUFFORCE: u64 = 33;
    pub const ACCEPTCONN: u64 = 30;
    pub const PROTOCOL: u64 = 38;
    pub const DOMAIN: u64 = 39;
}

/// `struct cmsghdr`: `cmsg_len` (8 bytes), `cmsg_level`, `cmsg_type`, then the data.
const CMSG_HDR_BYTES: usize = 16;
/// `struct msghdr` on x86-64.
const MSGHDR_BYTES: usize = 56;
/// Largest control buffer read from a sender (`sock_sendmsg`'s `sysctl_optmem_max`).
const MAX_CONTROL_BYTES: usize = 20480;

fn cmsg_align(n: usize) -> usize {
    n.next_multiple_of(8)
}

/// The socket behind `f` for the I/O paths, which reach it only for sockets.
fn sock_io(f: &OpenFile) -> Result<&UnixSocket, Error> {
    f.node
        .as_any()
        .downcast_ref::<UnixSocket>()
        .ok_or(Error::NotSupported)
}

fn sock_of(f: &OpenFile) -> Result<&UnixSocket, SysError> {
    f.node
        .as_any()
        .downcast_ref::<UnixSocket>()
        .ok_or(SysError(Errno::ENOTSOCK))
}

/// A decoded `struct msghdr`.
struct MsgHdr {
    name: u64,
    namelen: u32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
}

impl MsgHdr {
    fn decode(b: &[u8]) -> MsgHdr {
        MsgHdr {
            name: get_u64(b, 0),
            namelen: get_u32(b, 8),
            iov: get_u64(b, 16),
            iovlen: get_u64(b, 24),
            control: get_u64(b, 32),
            controllen: get_u64(b, 40),
        }
    }
}

/// What a receive hands the caller.
struct Got {
    data: Vec<u8>,
    /// The return value: bytes copied, or a datagram's full length with `MSG_TRUNC`.
    ret: usize,
    truncated: bool,
    rights: Vec<Arc<OpenFile>>,
    cred: Option<Ucred>,
}

impl<P: LinuxPlatform> Kernel<P> {
    /// The calling process's credentials as a socket carries them (the effective ids,
    /// socket(7) `SO_PEERCRED`).
    fn ucred(&self) -> Ucred {
        let c = self.creds.lock();
        Ucred {
            pid: self.pid,
            uid: c.uid.get(1).copied().unwrap_or(0),
            gid: c.gid.get(1).copied().unwrap_or(0),
        }
    }

    /// socket(2): no socket is made yet.
    pub fn sys_socket(&self, domain: u64, kind: u64, _protocol: u64) -> SysResult {
        let (what, errno) = if domain == AF_UNIX {
            (
                "named AF_UNIX sockets (socket/bind/connect)",
                Errno::EAFNOSUPPORT,
            )
        } else {
            (
                "socket families other than AF_UNIX pairs",
                Errno::EAFNOSUPPORT,
            )
        };
        self.report_once(
            0x5_3000 + (domain & 0xff),
            format_args!(
                "socket({domain}, {kind:#x}): {what} are not supported: returning {}",
                errno.name().unwrap_or("?")
            ),
        );
        Err(errno.into())
    }

    /// socketpair(2).
    pub fn sys_socketpair(&self, domain: u64, kind: u64, protocol: u64, sv: u64) -> SysResult {
        let base = kind & SOCK_TYPE_MASK;
        let flags = kind & !SOCK_TYPE_MASK;
        if flags & !(o::NONBLOCK | o::CLOEXEC) != 0 || base > SOCK_MAX {
            return Err(Errno::EINVAL.into());
        }
        if domain != AF_UNIX {
            // net/socket.c: a family without socketpair (AF_INET) is EOPNOTSUPP, an
            // unknown family EAFNOSUPPORT.
            const AF_INET: u64 = 2;
            const AF_INET6: u64 = 10;
            return Err(if domain == AF_INET || domain == AF_INET6 {
                Errno::EOPNOTSUPP
            } else {
                Errno::EAFNOSUPPORT
            }
            .into());
        }
        if protocol != 0 && protocol != AF_UNIX {
            return Err(Errno::EPROTONOSUPPORT.into());
        }
        // af_unix.c unix_create: SOCK_RAW is taken as SOCK_DGRAM.
        let sock_type = match base {
            SOCK_STREAM => SockType::Stream,
            SOCK_DGRAM | SOCK_RAW => SockType::Dgram,
            SOCK_SEQPACKET => SockType::SeqPacket,
            _ => return Err(Errno::ESOCKTNOSUPPORT.into()),
        };
        let (a, b) = UnixPair::new_pair(sock_type, self.ucred());
        let status = (flags & o::NONBLOCK) as u32 | o::RDWR as u32;
        let cloexec = flags & o::CLOEXEC != 0;
        let fa = OpenFile::new(a, Vec::new(), true, true, status);
        let fb = OpenFile::new(b, Vec::new(), true, true, status);
        let (x, y) = {
            let mut fds = self.fds.lock();
            let x = fds.insert(FdEntry { file: fa, cloexec }, 0)?;
            match fds.insert(FdEntry { file: fb, cloexec }, 0) {
                Ok(y) => (x, y),
                Err(e) => {
                    let _ = fds.remove(x);
                    return Err(e.into());
                }
            }
        };
        let mut buf = [0u8; 8];
        let mut w = Fields(&mut buf);
        w.u32(0, x);
        w.u32(4, y);
        if let Err(e) = self.write_mem(sv, &buf) {
            let mut fds = self.fds.lock();
            let _ = fds.remove(x);
            let _ = fds.remove(y);
            return Err(e);
        }
        Ok(0)
    }

    /// Send `data` (and `rights`) on socket file `f`: a stream sends all of it unless
    /// non-blocking or interrupted; a datagram goes whole. EPIPE on a stream raises
    /// SIGPIPE unless `MSG_NOSIGNAL` (af_unix.c `unix_stream_sendmsg`; the datagram types
    /// never signal).
    pub(crate) fn sock_send(
        &self,
        t: &Thread,
        f: &OpenFile,
        data: &[u8],
        mut rights: Vec<Arc<OpenFile>>,
        flags: u64,
    ) -> Result<usize, Error> {
        let s = sock_io(f)?;
        if flags & msg::OOB != 0 {
            return Err(Error::NotSupported);
        }
        let nonblock = u64::from(f.status()) & o::NONBLOCK != 0 || flags & msg::DONTWAIT != 0;
        let cred = self.ucred();
        let mut done = 0usize;
        loop {
            let rest = data.get(done..).unwrap_or_default();
            match self.block_on(t, nonblock, None, || s.send(rest, &mut rights, cred)) {
                Ok(n) => {
                    done += n;
                    self.notify();
                    if done >= data.len() || s.kind() != SockType::Stream {
                        return Ok(done);
                    }
                }
                Err(Error::WouldBlock | Error::Interrupted) if done > 0 => return Ok(done),
                Err(Error::BrokenPipe) if done > 0 => return Ok(done),
                Err(Error::BrokenPipe) => {
                    if s.kind() == SockType::Stream && flags & msg::NOSIGNAL == 0 {
                        // `send_sig(SIGPIPE, current, 0)`: SI_USER from the process itself.
                        let info = SigInfo::sender(sig::SIGPIPE, si_code::SI_USER, self.pid, 0);
                        let _ = self.send_signal(t, crate::signal::Target::Thread(t), info);
                    }
                    return Err(Error::BrokenPipe);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Receive up to `len` bytes from socket file `f` with recv(2) `flags`.
    fn sock_recv(&self, t: &Thread, f: &OpenFile, len: usize, flags: u64) -> Result<Got, Error> {
        let s = sock_io(f)?;
        if flags & msg::OOB != 0 {
            return Err(Error::Invalid);
        }
        if flags & msg::ERRQUEUE != 0 {
            // Nothing ever reaches an AF_UNIX socket's error queue.
            return Err(Error::WouldBlock);
        }
        let nonblock = u64::from(f.status()) & o::NONBLOCK != 0 || flags & msg::DONTWAIT != 0;
        let rf = RecvFlags {
            peek: flags & msg::PEEK != 0,
            nonblock,
        };
        let first = self.block_on(t, nonblock, None, || s.recv(len, rf))?;
        let mut got = Got {
            ret: first.data.len(),
            truncated: first.full_len > first.data.len(),
            data: first.data,
            rights: first.rights,
            cred: first.cred,
        };
        if s.kind() != SockType::Stream {
            if flags & msg::TRUNC != 0 {
                got.ret = first.full_len;
            }
        } else if flags & msg::WAITALL != 0 && !rf.peek {
            // MSG_WAITALL: a stream waits for the whole request unless end of file, an
            // error, a signal or passed files end it first (recv(2)).
            while got.data.len() < len && got.rights.is_empty() && !got.data.is_empty() {
                let more =
                    match self.block_on(t, nonblock, None, || s.recv(len - got.data.len(), rf)) {
                        Ok(m) => m,
                        Err(_) => break,
                    };
                if more.data.is_empty() {
                    break;
                }
                got.data.extend_from_slice(&more.data);
                got.rights = more.rights;
            }
            got.ret = got.data.len();
        }
        if !rf.peek {
            self.notify();
        }
        Ok(got)
    }

    /// read(2)/readv(2) on a socket: recv with no flags, passed files discarded.
    pub(crate) fn sock_read(
        &self,
        t: &Thread,
        f: &OpenFile,
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        let got = self.sock_recv(t, f, buf.len(), 0)?;
        let n = got.data.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), got.data.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }

    /// sendto(2) / send(2).
    pub fn sys_sendto(
        &self,
        t: &Thread,
        fd: u64,
        buf: u64,
        len: u64,
        flags: u64,
        addr: u64,
        addrlen: u64,
    ) -> SysResult {
        let f = self.file(fd)?;
        let s = sock_of(&f)?;
        self.check_destination(s, addr != 0 && addrlen != 0)?;
        let data = self.read_mem(buf, (len as usize).min(crate::mem::MAX_IO_CHUNK_BYTES))?;
        Ok(self.sock_send(t, &f, &data, Vec::new(), flags)? as u64)
    }

    /// A destination address on a connected pair: a stream refuses it (EISCONN), a
    /// seqpacket socket ignores it, a datagram socket would send to a named socket, which
    /// does not exist in the library OS yet.
    fn check_destination(&self, s: &UnixSocket, named: bool) -> Result<(), SysError> {
        if !named {
            return Ok(());
        }
        match s.kind() {
            SockType::Stream => Err(Errno::EISCONN.into()),
            SockType::SeqPacket => Ok(()),
            SockType::Dgram => {
                self.report_once(
                    0x5_3100,
                    format_args!(
                        "sendto/sendmsg with an address: named AF_UNIX sockets are not supported: returning EOPNOTSUPP"
                    ),
                );
                Err(Errno::EOPNOTSUPP.into())
            }
        }
    }

    /// recvfrom(2) / recv(2). The peer of a socket pair has no address: `*addrlen` is 0.
    pub fn sys_recvfrom(
        &self,
        t: &Thread,
        fd: u64,
        buf: u64,
        len: u64,
        flags: u64,
        addr: u64,
        addrlen: u64,
    ) -> SysResult {
        let f = self.file(fd)?;
        let len = (len as usize).min(crate::mem::MAX_IO_CHUNK_BYTES);
        let got = self.sock_recv(t, &f, len, flags)?;
        self.write_mem(buf, &got.data)?;
        if addr != 0 && addrlen != 0 {
            self.write_u32(addrlen, 0)?;
        }
        Ok(got.ret as u64)
    }

    /// Read the files named by an `SCM_RIGHTS` control buffer (cmsg(3)).
    fn read_rights(&self, control: u64, len: u64) -> Result<Vec<Arc<OpenFile>>, SysError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        if len as usize > MAX_CONTROL_BYTES {
            return Err(Errno::ENOBUFS.into());
        }
        let buf = self.read_mem(control, len as usize)?;
        let mut rights = Vec::new();
        let mut off = 0usize;
        // __scm_send: each header must fit, with a length that fits the buffer.
        while off + CMSG_HDR_BYTES <= buf.len() {
            let clen = get_u64(&buf, off) as usize;
            if clen < CMSG_HDR_BYTES || clen > buf.len() - off {
                return Err(Errno::EINVAL.into());
            }
            let (level, kind) = (get_u32(&buf, off + 8), get_u32(&buf, off + 12));
            if u64::from(level) != SOL_SOCKET {
                return Err(Errno::EINVAL.into());
            }
            let body = buf
                .get(off + CMSG_HDR_BYTES..off + clen)
                .unwrap_or_default();
            match kind {
                SCM_RIGHTS => {
                    let fds = self.fds.lock();
                    for c in body.chunks_exact(4) {
                        let fd = get_u32(c, 0);
                        rights.push(
                            fds.get(fd)
                                .map_err(|_| SysError(Errno::EBADF))?
                                .file
                                .clone(),
                        );
                    }
                    if rights.len() > meridian_core::unix::SCM_MAX_FD {
                        return Err(Errno::EINVAL.into());
                    }
                }
                SCM_CREDENTIALS => self.check_credentials(body)?,
                _ => return Err(Errno::EINVAL.into()),
            }
            off += cmsg_align(clen);
        }
        Ok(rights)
    }

    /// `SCM_CREDENTIALS` sent explicitly must be the sender's own (unix(7): an
    /// unprivileged process may give only its own pid and ids). The receiver sees the
    /// sender's credentials in any case, so they need not be kept.
    fn check_credentials(&self, body: &[u8]) -> Result<(), SysError> {
        if body.len() < 12 {
            return Err(Errno::EINVAL.into());
        }
        let (pid, uid, gid) = (get_u32(body, 0), get_u32(body, 4), get_u32(body, 8));
        let root = {
            let c = self.creds.lock();
            let root = c.uid.get(1) == Some(&0);
            let ids = |v: &[u32; 4], x: u32| v.iter().take(3).any(|&i| i == x);
            if !root && (pid != self.pid || !ids(&c.uid, uid) || !ids(&c.gid, gid)) {
                return Err(Errno::EPERM.into());
            }
            root
        };
        // net/core/scm.c __scm_send: a privileged sender may name another process, which
        // must exist.
        if root && pid != self.pid && self.sandbox.get(pid).is_none() {
            return Err(Errno::ESRCH.into());
        }
        Ok(())
    }

    /// sendmsg(2).
    pub fn sys_sendmsg(&self, t: &Thread, fd: u64, msg_ptr: u64, flags: u64) -> SysResult {
        let f = self.file(fd)?;
        let s = sock_of(&f)?;
        let m = MsgHdr::decode(&self.read_mem(msg_ptr, MSGHDR_BYTES)?);
        self.check_destination(s, m.name != 0 && m.namelen != 0)?;
        let segs = self.read_iovec(m.iov, m.iovlen)?;
        if crate::mem::iov_total(&segs) > crate::fs_calls::MAX_WRITEV_BYTES as u64 {
            return Err(Errno::EMSGSIZE.into());
        }
        let data = self.gather(&segs, crate::fs_calls::MAX_WRITEV_BYTES)?;
        let rights = self.read_rights(m.control, m.controllen)?;
        Ok(self.sock_send(t, &f, &data, rights, flags)? as u64)
    }

    /// recvmsg(2): data into the iovecs; `SCM_CREDENTIALS` (with `SO_PASSCRED`) and
    /// `SCM_RIGHTS` (the files installed as new descriptors) into the control buffer.
    pub fn sys_recvmsg(&self, t: &Thread, fd: u64, msg_ptr: u64, flags: u64) -> SysResult {
        let f = self.file(fd)?;
        let raw = self.read_mem(msg_ptr, MSGHDR_BYTES)?;
        let m = MsgHdr::decode(&raw);
        let segs = self.read_iovec(m.iov, m.iovlen)?;
        let len = (crate::mem::iov_total(&segs) as usize).min(crate::mem::MAX_IO_CHUNK_BYTES);
        let got = self.sock_recv(t, &f, len, flags)?;
        self.scatter(&segs, &got.data)?;
        let mut out_flags = if got.truncated { msg::TRUNC as u32 } else { 0 };
        let (control, ctrunc) = self.build_control(&got, m.controllen as usize, flags)?;
        if ctrunc {
            out_flags |= msg::CTRUNC;
        }
        if !control.is_empty() {
            self.write_mem(m.control, &control)?;
        }
        let mut hdr = raw;
        let mut w = Fields(&mut hdr);
        if m.name != 0 {
            w.u32(8, 0);
        }
        w.u64(40, control.len() as u64);
        w.u32(48, out_flags);
        self.write_mem(msg_ptr, &hdr)?;
        Ok(got.ret as u64)
    }

    /// The control messages for a receive into a `room`-byte buffer, and whether some
    /// did not fit (`MSG_CTRUNC`). Passed files that get no descriptor are closed
    /// (net/core/scm.c `scm_detach_fds`).
    fn build_control(
        &self,
        got: &Got,
        room: usize,
        flags: u64,
    ) -> Result<(Vec<u8>, bool), SysError> {
        let mut out = Vec::new();
        let mut ctrunc = false;
        if let Some(c) = got.cred {
            // put_cmsg: a message that does not fit whole is left out.
            if room >= CMSG_HDR_BYTES + 12 {
                let mut h = [0u8; CMSG_HDR_BYTES + 16];
                let mut w = Fields(&mut h);
                w.u64(0, (CMSG_HDR_BYTES + 12) as u64);
                w.u32(8, SOL_SOCKET as u32);
                w.u32(12, SCM_CREDENTIALS);
                w.u32(16, c.pid);
                w.u32(20, c.uid);
                w.u32(24, c.gid);
                let used = cmsg_align(CMSG_HDR_BYTES + 12).min(room);
                out.extend_from_slice(h.get(..used).unwrap_or_default());
            } else {
                ctrunc = true;
            }
        }
        if got.rights.is_empty() {
            return Ok((out, ctrunc));
        }
        let left = room.saturating_sub(out.len());
        let fit = left.saturating_sub(CMSG_HDR_BYTES) / 4;
        let cloexec = flags & msg::CMSG_CLOEXEC != 0;
        let mut fds = Vec::new();
        {
            let mut table = self.fds.lock();
            for file in got.rights.iter().take(fit) {
                match table.insert(
                    FdEntry {
                        file: file.clone(),
                        cloexec,
                    },
                    0,
                ) {
                    Ok(fd) => fds.push(fd),
                    Err(_) => break,
                }
            }
        }
        if fds.len() < got.rights.len() {
            ctrunc = true;
        }
        if !fds.is_empty() {
            let clen = CMSG_HDR_BYTES + 4 * fds.len();
            let mut h = alloc::vec![0u8; cmsg_align(clen)];
            let mut w = Fields(&mut h);
            w.u64(0, clen as u64);
            w.u32(8, SOL_SOCKET as u32);
            w.u32(12, SCM_RIGHTS);
            for (i, fd) in fds.iter().enumerate() {
                w.u32(CMSG_HDR_BYTES + 4 * i, *fd);
            }
            h.truncate(cmsg_align(clen).min(left));
            out.extend_from_slice(&h);
        }
        Ok((out, ctrunc))
    }

    /// shutdown(2).
    pub fn sys_shutdown(&self, fd: u64, how: u64) -> SysResult {
        let f = self.file(fd)?;
        let s = sock_of(&f)?;
        let (read, write) = match how {
            0 => (true, false),
            1 => (false, true),
            2 => (true, true),
            _ => return Err(Errno::EINVAL.into()),
        };
        s.shutdown(read, write);
        self.notify();
        Ok(0)
    }

    /// getsockopt(2) at `SOL_SOCKET`.
    pub fn sys_getsockopt(&self, fd: u64, level: u64, name: u64, val: u64, len: u64) -> SysResult {
        let f = self.file(fd)?;
        let s = sock_of(&f)?;
        let room = get_u32(&self.read_mem(len, 4)?, 0) as i32;
        if room < 0 {
            return Err(Errno::EINVAL.into());
        }
        if level != SOL_SOCKET {
            return Err(Errno::EOPNOTSUPP.into());
        }
        let int = |v: u32| v.to_le_bytes().to_vec();
        let value = match name {
            so::TYPE => int(match s.kind() {
                SockType::Stream => SOCK_STREAM as u32,
                SockType::Dgram => SOCK_DGRAM as u32,
                SockType::SeqPacket => SOCK_SEQPACKET as u32,
            }),
            so::ERROR => int(s
                .take_error()
                .map_or(0, |e| u32::from(crate::errno::errno_of(e).0))),
            so::SNDBUF => int(s.buffer(BufKind::Send) as u32),
            so::RCVBUF => int(s.buffer(BufKind::Receive) as u32),
            so::PASSCRED => int(u32::from(s.passcred())),
            so::ACCEPTCONN => int(0),
            so::PROTOCOL => int(0),
            so::DOMAIN => int(AF_UNIX as u32),
            so::PEERCRED => {
                let c = s.peer_cred();
                let mut b = [0u8; 12];
                let mut w = Fields(&mut b);
                w.u32(0, c.pid);
                w.u32(4, c.uid);
                w.u32(8, c.gid);
                b.to_vec()
            }
            _ => {
                self.report_once(
                    0x5_3200 + name,
                    format_args!(
                        "getsockopt(SOL_SOCKET, {name}) is not supported: returning ENOPROTOOPT"
                    ),
                );
                return Err(Errno::ENOPROTOOPT.into());
            }
        };
        let n = value.len().min(room as usize);
        self.write_mem(val, value.get(..n).unwrap_or_default())?;
        self.write_u32(len, n as u32)?;
        Ok(0)
    }

    /// setsockopt(2) at `SOL_SOCKET`: the buffer sizes and `SO_PASSCRED`.
    pub fn sys_setsockopt(&self, fd: u64, level: u64, name: u64, val: u64, len: u64) -> SysResult {
        let f = self.file(fd)?;
        let s = sock_of(&f)?;
        if level != SOL_SOCKET {
            return Err(Errno::EOPNOTSUPP.into());
        }
        if (len as i32) < 4 {
            return Err(Errno::EINVAL.into());
        }
        let v = get_u32(&self.read_mem(val, 4)?, 0);
        match name {
            so::SNDBUF | so::SNDBUFFORCE => s.set_buffer(BufKind::Send, v as usize),
            so::RCVBUF | so::RCVBUFFORCE => s.set_buffer(BufKind::Receive, v as usize),
            so::PASSCRED => s.set_passcred(v != 0),
            _ => {
                self.report_once(
                    0x5_3300 + name,
                    format_args!(
                        "setsockopt(SOL_SOCKET, {name}) is not supported: returning ENOPROTOOPT"
                    ),
                );
                return Err(Errno::ENOPROTOOPT.into());
            }
        }
        self.notify();
        Ok(0)
    }

    /// getsockname(2) / getpeername(2): a socket pair's sockets are unnamed, so the address
    /// is the family alone (unix(7) "unnamed"). A datagram socket that lost its peer has no
    /// peer name (ENOTCONN).
    pub fn sys_getname(&self, fd: u64, addr: u64, len: u64, peer: bool) -> SysResult {
        let f = self.file(fd)?;
        let s = sock_of(&f)?;
        if peer && !s.connected() {
            return Err(Errno::ENOTCONN.into());
        }
        let room = get_u32(&self.read_mem(len, 4)?, 0) as i32;
        if room < 0 {
            return Err(Errno::EINVAL.into());
        }
        let family = (AF_UNIX as u16).to_le_bytes();
        let n = (room as usize).min(family.len());
        self.write_mem(addr, family.get(..n).unwrap_or_default())?;
        self.write_u32(len, family.len() as u32)?;
        Ok(0)
    }

    /// bind/connect/listen/accept on a socket pair's socket: naming and connecting
    /// sockets is not supported yet. What Linux answers without a name is kept: listen on
    /// an unbound socket is EINVAL, accept on one not listening EINVAL (EOPNOTSUPP for
    /// datagrams).
    pub fn sys_unnamed_only(&self, fd: u64, call: &str) -> SysResult {
        let f = self.file(fd)?;
        let s = sock_of(&f)?;
        match call {
            "listen" | "accept" => Err(if s.kind() == SockType::Dgram {
                Errno::EOPNOTSUPP
            } else {
                Errno::EINVAL
            }
            .into()),
            _ => {
                self.report_once(
                    0x5_3400 + call.len() as u64,
                    format_args!(
                        "{call}: named AF_UNIX sockets are not supported: returning EOPNOTSUPP"
                    ),
                );
                Err(Errno::EOPNOTSUPP.into())
            }
        }
    }
}
