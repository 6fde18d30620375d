//! AF_UNIX socket pairs (unix(7), socketpair(2)): two connected endpoints, each with a
//! receive queue.
//!
//! [`UnixPair::new_pair`] makes the two [`UnixSocket`] nodes a descriptor holds. A stream
//! socket's queue is a byte stream (segments glued on read); datagram and seqpacket queues
//! keep message boundaries. Each queued message may carry open files (`SCM_RIGHTS`) and the
//! sender's credentials. Flow control follows Linux's af_unix.c: a sender may queue while the
//! bytes it has in flight (charged with a per-message overhead, as `skb->truesize`) are below
//! its send buffer; what is queued counts against the sender until the receiver consumes it.
//!
//! Both endpoints' state lives behind one lock (the pair's), so a send or close sees and
//! changes both sides at once, as `unix_state_lock` on both sockets does. Files leaving a
//! queue are dropped after the lock is released: dropping an open file may release another
//! socket.

use crate::error::{Error, Result};
use crate::file::OpenFile;
use crate::fs::{FileType, Metadata, Node, NodeRef};
use crate::platform::Readiness;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

/// Default send and receive buffer (Linux's `net.core.wmem_default`/`rmem_default`).
pub const DEFAULT_BUF_BYTES: usize = 212_992;
/// Largest buffer setsockopt may ask for before doubling (Linux's default
/// `net.core.wmem_max`/`rmem_max`).
pub const MAX_BUF_BYTES: usize = 212_992;
/// Smallest send buffer (`SOCK_MIN_SNDBUF` in include/net/sock.h on x86-64).
pub const MIN_SNDBUF_BYTES: usize = 4608;
/// Smallest receive buffer (`SOCK_MIN_RCVBUF`).
pub const MIN_RCVBUF_BYTES: usize = 2304;
/// A datagram may be at most the send buffer less this (af_unix.c `unix_dgram_sendmsg`).
const DGRAM_HEADROOM_BYTES: usize = 32;
/// Most descriptors one message may carry (`SCM_MAX_FD`).
pub const SCM_MAX_FD: usize = 253;

static NEXT_SOCKET_INO: AtomicU64 = AtomicU64::new(1);

/// The socket type (socket(2) `SOCK_STREAM`, `SOCK_DGRAM`, `SOCK_SEQPACKET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockType {
    /// Byte stream.
    Stream,
    /// Datagrams (boundaries kept, connectionless semantics on close).
    Dgram,
    /// Datagrams over a connection (boundaries kept, EOF on close).
    SeqPacket,
}

/// Process credentials as `SO_PEERCRED`/`SCM_CREDENTIALS` carry them (`struct ucred`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ucred {
    /// Process id.
    pub pid: u32,
    /// Effective user id.
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
}

/// One queued segment (stream) or message.
struct Message {
    data: Vec<u8>,
    /// Bytes of a stream segment already read.
    consumed: usize,
    rights: Vec<Arc<OpenFile>>,
    cred: Option<Ucred>,
    /// What it costs its sender's buffer.
    charge: usize,
}

impl Message {
    fn left(&self) -> &[u8] {
        self.data.get(self.consumed..).unwrap_or_default()
    }
}

/// One endpoint's state.
struct Side {
    queue: VecDeque<Message>,
    /// Bytes this side has sent that wait in the peer's queue (`sk_wmem_alloc`).
    in_flight: usize,
    /// Open (not yet released).
    open: bool,
    /// `RCV_SHUTDOWN`: nothing more arrives.
    rcv_shut: bool,
    /// `SEND_SHUTDOWN`: nothing more may be sent.
    snd_shut: bool,
    /// A pending error (`sk_err`), reported once.
    err: Option<Error>,
    sndbuf: usize,
    rcvbuf: usize,
    /// `SO_PASSCRED`.
    passcred: bool,
    /// A datagram socket still has its peer (a send that finds it gone disconnects).
    connected: bool,
    /// Who made the pair (`SO_PEERCRED` of the other side).
    creator: Ucred,
}

impl Side {
    fn new(creator: Ucred) -> Side {
        Side {
            queue: VecDeque::new(),
            in_flight: 0,
            open: true,
            rcv_shut: false,
            snd_shut: false,
            err: None,
            sndbuf: DEFAULT_BUF_BYTES,
            rcvbuf: DEFAULT_BUF_BYTES,
            passcred: false,
            connected: true,
            creator,
        }
    }
}

struct PairState {
    sides: [Side; 2],
    /// Every change so far (edges for edge-triggered epoll).
    changes: u64,
}

impl PairState {
    /// (this side, the other side).
    fn split(&mut self, me: usize) -> (&mut Side, &mut Side) {
        let [a, b] = &mut self.sides;
        if me == 0 { (a, b) } else { (b, a) }
    }
    fn side(&self, me: usize) -> &Side {
        let [a, b] = &self.sides;
        if me == 0 { a } else { b }
    }
}

/// The shared state of a connected pair.
pub struct UnixPair {
    kind: SockType,
    ino: u64,
    state: Mutex<PairState>,
}

/// One endpoint of a pair, as a [`Node`] a descriptor holds.
pub struct UnixSocket {
    pair: Arc<UnixPair>,
    me: usize,
}

/// What a receive took from the queue.
#[derive(Default)]
pub struct Received {
    /// The bytes copied (at most what was asked for).
    pub data: Vec<u8>,
    /// The whole message's length (datagrams; for a stream, `data.len()`).
    pub full_len: usize,
    /// Files passed with it.
    pub rights: Vec<Arc<OpenFile>>,
    /// The sender's credentials, when the receiver asked for them (`SO_PASSCRED`).
    pub cred: Option<Ucred>,
}

/// How a receive behaves (recv(2) flags the core acts on).
#[derive(Clone, Copy, Debug, Default)]
pub struct RecvFlags {
    /// `MSG_PEEK`: leave the data queued.
    pub peek: bool,
    /// The caller will not wait (`O_NONBLOCK` or `MSG_DONTWAIT`).
    pub nonblock: bool,
}

/// Socket options the shim reads and sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufKind {
    /// `SO_SNDBUF`.
    Send,
    /// `SO_RCVBUF`.
    Receive,
}

impl UnixPair {
    /// A new connected pair made by `creator`; returns its two endpoints.
    pub fn new_pair(kind: SockType, creator: Ucred) -> (NodeRef, NodeRef) {
        let pair = Arc::new(UnixPair {
            kind,
            ino: NEXT_SOCKET_INO.fetch_add(2, Ordering::Relaxed),
            state: Mutex::new(PairState {
                sides: [Side::new(creator), Side::new(creator)],
                changes: 0,
            }),
        });
        let a: NodeRef = Arc::new(UnixSocket {
            pair: pair.clone(),
            me: 0,
        });
        let b: NodeRef = Arc::new(UnixSocket { pair, me: 1 });
        (a, b)
    }
}

/// What queuing `len` bytes costs the sender: Linux's `skb->truesize`, the data area with
/// its `skb_shared_info` rounded up to a kmalloc size (whole pages past 8 KiB) plus the
/// `sk_buff` itself. A 1-byte message costs 768 bytes, so 278 fit the default buffer, as on
/// Linux.
fn charge_of(len: usize) -> usize {
    const SHARED_INFO_BYTES: usize = 320;
    const SKB_BYTES: usize = 256;
    const KMALLOC_MAX_BYTES: usize = 8192;
    let area = len.saturating_add(SHARED_INFO_BYTES);
    let rounded = if area <= KMALLOC_MAX_BYTES {
        area.next_power_of_two().max(512)
    } else {
        area.next_multiple_of(4096)
    };
    rounded + SKB_BYTES
}

impl UnixSocket {
    /// The socket type.
    pub fn kind(&self) -> SockType {
        self.pair.kind
    }

    /// Send `data` with `rights` (taken only when something is queued) and the sender's
    /// `cred`. A stream queues what fits and returns that count (the caller loops for the
    /// rest); a datagram is queued whole or not at all. `Err(WouldBlock)` when the send
    /// buffer is full. Errors follow af_unix.c's `unix_stream_sendmsg`/`unix_dgram_sendmsg`.
    pub fn send(&self, data: &[u8], rights: &mut Vec<Arc<OpenFile>>, cred: Ucred) -> Result<usize> {
        let kind = self.pair.kind;
        let mut st = self.pair.state.lock();
        let (me, peer) = st.split(self.me);
        if rights.len() > SCM_MAX_FD {
            return Err(Error::Invalid);
        }
        match kind {
            SockType::Stream => {
                if me.snd_shut || !peer.open || peer.rcv_shut {
                    return Err(Error::BrokenPipe);
                }
                if data.is_empty() {
                    return Ok(0);
                }
            }
            SockType::SeqPacket | SockType::Dgram => {
                if kind == SockType::SeqPacket
                    && let Some(e) = me.err.take()
                {
                    return Err(e);
                }
                if data.len() > me.sndbuf.saturating_sub(DGRAM_HEADROOM_BYTES) {
                    return Err(Error::MessageTooBig);
                }
                if me.snd_shut {
                    return Err(Error::BrokenPipe);
                }
                if kind == SockType::Dgram && !me.connected {
                    return Err(Error::NotConnected);
                }
                if !peer.open {
                    if kind == SockType::SeqPacket {
                        return Err(Error::BrokenPipe);
                    }
                    // The first send to a closed datagram peer disconnects
                    // (`unix_dgram_sendmsg`: ECONNREFUSED, then ENOTCONN).
                    me.connected = false;
                    return Err(Error::ConnectionRefused);
                }
                if peer.rcv_shut {
                    return Err(Error::BrokenPipe);
                }
            }
        }
        if me.in_flight >= me.sndbuf {
            return Err(Error::WouldBlock);
        }
        // A stream sends at most half its buffer per segment (`unix_stream_sendmsg`).
        let take = match kind {
            SockType::Stream => data.len().min((me.sndbuf >> 1).saturating_sub(64).max(1)),
            _ => data.len(),
        };
        let charge = charge_of(take);
        me.in_flight += charge;
        let cred = (me.passcred || peer.passcred).then_some(cred);
        peer.queue.push_back(Message {
            data: data.get(..take).unwrap_or_default().to_vec(),
            consumed: 0,
            rights: core::mem::take(rights),
            cred,
            charge,
        });
        st.changes += 1;
        Ok(take)
    }

    /// Receive at most `len` bytes. `Err(WouldBlock)` when nothing is queued and more may
    /// come; an empty result is end of file. A stream stops after a segment that carried
    /// files, so they arrive with their own bytes (`unix_stream_read_generic`).
    pub fn recv(&self, len: usize, flags: RecvFlags) -> Result<Received> {
        let kind = self.pair.kind;
        let mut guard = self.pair.state.lock();
        let st = &mut *guard;
        let (me, peer) = st.split(self.me);
        let mut out = Received::default();
        if kind != SockType::Stream {
            // `__skb_try_recv_datagram` reports a pending error before looking at the queue.
            if let Some(e) = me.err.take() {
                return Err(e);
            }
            let Some(msg) = me.queue.front() else {
                // af_unix.c: EOF on a shut-down seqpacket socket; a datagram socket
                // waits unless non-blocking (`__skb_wait_for_more_packets`).
                return if me.rcv_shut && (kind == SockType::SeqPacket || !flags.nonblock) {
                    Ok(out)
                } else {
                    Err(Error::WouldBlock)
                };
            };
            out.full_len = msg.data.len();
            out.data = msg
                .data
                .get(..len.min(msg.data.len()))
                .unwrap_or_default()
                .to_vec();
            out.cred = msg.cred.filter(|_| me.passcred);
            if flags.peek {
                out.rights = msg.rights.clone();
            } else if let Some(msg) = me.queue.pop_front() {
                peer.in_flight = peer.in_flight.saturating_sub(msg.charge);
                out.rights = msg.rights;
                st.changes += 1;
            }
            return Ok(out);
        }
        if me.queue.is_empty() {
            // POSIX 1003.1g order, as af_unix.c: a pending error, then end of file.
            if let Some(e) = me.err.take() {
                return Err(e);
            }
            return if me.rcv_shut {
                Ok(out)
            } else {
                Err(Error::WouldBlock)
            };
        }
        let mut index = 0;
        while out.data.len() < len {
            let Some(msg) = me.queue.get_mut(index) else {
                break;
            };
            let room = len - out.data.len();
            let left = msg.left();
            let n = room.min(left.len());
            out.data
                .extend_from_slice(left.get(..n).unwrap_or_default());
            if me.passcred && out.cred.is_none() {
                out.cred = msg.cred;
            }
            let has_rights = !msg.rights.is_empty();
            if flags.peek {
                out.rights.extend(msg.rights.iter().cloned());
                index += 1;
            } else {
                out.rights.append(&mut msg.rights);
                msg.consumed += n;
                if msg.left().is_empty() {
                    if let Some(done) = me.queue.pop_front() {
                        peer.in_flight = peer.in_flight.saturating_sub(done.charge);
                    }
                } else {
                    break;
                }
            }
            if has_rights {
                break;
            }
        }
        out.full_len = out.data.len();
        if !flags.peek {
            st.changes += 1;
        }
        Ok(out)
    }

    /// shutdown(2): `read` is `SHUT_RD`, `write` is `SHUT_WR`. A connected type tells the
    /// peer (`unix_shutdown`: our `SHUT_WR` is the peer's `RCV_SHUTDOWN`).
    pub fn shutdown(&self, read: bool, write: bool) {
        let kind = self.pair.kind;
        let mut st = self.pair.state.lock();
        let (me, peer) = st.split(self.me);
        me.rcv_shut |= read;
        me.snd_shut |= write;
        if kind != SockType::Dgram && peer.open {
            peer.snd_shut |= read;
            peer.rcv_shut |= write;
        }
        st.changes += 1;
    }

    /// The pending error (`SO_ERROR`), cleared by reading it.
    pub fn take_error(&self) -> Option<Error> {
        self.pair.state.lock().split(self.me).0.err.take()
    }

    /// The peer's credentials (`SO_PEERCRED`): whoever made the pair.
    pub fn peer_cred(&self) -> Ucred {
        let st = self.pair.state.lock();
        st.side(1 - self.me.min(1)).creator
    }

    /// Whether the socket still has a peer (a datagram socket loses it on a failed send).
    pub fn connected(&self) -> bool {
        self.pair.state.lock().side(self.me).connected
    }

    /// A buffer size as getsockopt reports it.
    pub fn buffer(&self, which: BufKind) -> usize {
        let st = self.pair.state.lock();
        let s = st.side(self.me);
        match which {
            BufKind::Send => s.sndbuf,
            BufKind::Receive => s.rcvbuf,
        }
    }

    /// setsockopt `SO_SNDBUF`/`SO_RCVBUF`: Linux keeps twice the value asked for (for its
    /// bookkeeping overhead, socket(7)), within the minimum and the maximum.
    pub fn set_buffer(&self, which: BufKind, asked: usize) {
        let mut st = self.pair.state.lock();
        let (me, _) = st.split(self.me);
        let doubled = asked.min(MAX_BUF_BYTES).saturating_mul(2);
        match which {
            BufKind::Send => me.sndbuf = doubled.max(MIN_SNDBUF_BYTES),
            BufKind::Receive => me.rcvbuf = doubled.max(MIN_RCVBUF_BYTES),
        }
        st.changes += 1;
    }

    /// `SO_PASSCRED`.
    pub fn passcred(&self) -> bool {
        self.pair.state.lock().side(self.me).passcred
    }

    /// Set `SO_PASSCRED`.
    pub fn set_passcred(&self, on: bool) {
        self.pair.state.lock().split(self.me).0.passcred = on;
    }

    /// Bytes waiting to be read (FIONREAD/SIOCINQ): a stream's unread bytes, a datagram
    /// socket's next message length.
    pub fn available(&self) -> usize {
        let st = self.pair.state.lock();
        let me = st.side(self.me);
        match self.pair.kind {
            SockType::Stream => me.queue.iter().map(|m| m.left().len()).sum(),
            _ => me.queue.front().map_or(0, |m| m.data.len()),
        }
    }

    /// `POLLRDHUP`: the peer will send nothing more (or we shut down reading).
    pub fn read_hangup(&self) -> bool {
        self.pair.state.lock().side(self.me).rcv_shut
    }
}

impl Node for UnixSocket {
    fn metadata(&self) -> Result<Metadata> {
        Ok(Metadata {
            ino: self.pair.ino + self.me as u64,
            // sock_alloc: `S_IFSOCK | S_IRWXUGO`.
            mode: FileType::Socket.mode_bits() | 0o777,
            nlink: 1,
            blksize: 4096,
            ..Metadata::default()
        })
    }
    fn file_type(&self) -> FileType {
        FileType::Socket
    }
    fn read_at(&self, _pos: u64, buf: &mut [u8]) -> Result<usize> {
        let got = self.recv(buf.len(), RecvFlags::default())?;
        let n = got.data.len();
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(&got.data);
        }
        Ok(n)
    }
    fn write_at(&self, _pos: u64, data: &[u8]) -> Result<usize> {
        self.send(data, &mut Vec::new(), Ucred::default())
    }
    fn open(self: Arc<Self>, _write: bool) -> Result<NodeRef> {
        Ok(self)
    }
    fn release(&self) {
        let kind = self.pair.kind;
        let dropped: VecDeque<Message> = {
            let mut st = self.pair.state.lock();
            let (me, peer) = st.split(self.me);
            me.open = false;
            let queue = core::mem::take(&mut me.queue);
            for m in &queue {
                peer.in_flight = peer.in_flight.saturating_sub(m.charge);
            }
            if kind != SockType::Dgram {
                // unix_release_sock: the peer can neither send nor receive more, and
                // learns that data it sent was never read.
                peer.rcv_shut = true;
                peer.snd_shut = true;
                if !queue.is_empty() {
                    peer.err = Some(Error::ConnectionReset);
                }
            }
            st.changes += 1;
            queue
        };
        // Files in flight are closed here, outside the pair's lock.
        drop(dropped);
    }
    fn readiness(&self) -> Readiness {
        let st = self.pair.state.lock();
        let me = st.side(self.me);
        Readiness {
            readable: !me.queue.is_empty() || me.rcv_shut,
            // unix_writable: a quarter of the send buffer or less in flight.
            writable: me.in_flight.saturating_mul(4) <= me.sndbuf,
            hangup: me.rcv_shut && me.snd_shut,
            error: me.err.is_some(),
        }
    }
    fn change_count(&self) -> u64 {
        self.pair.state.lock().changes
    }
    fn seekable(&self) -> bool {
        false
    }
    fn anon_name(&self) -> Option<Vec<u8>> {
        Some(format!("socket:[{}]", self.pair.ino + self.me as u64).into_bytes())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(kind: SockType) -> (NodeRef, NodeRef) {
        UnixPair::new_pair(kind, Ucred::default())
    }
    fn sock(n: &NodeRef) -> &UnixSocket {
        n.as_any()
            .downcast_ref::<UnixSocket>()
            .unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn stream_glues_and_eof_after_close() {
        let (a, b) = pair(SockType::Stream);
        assert_eq!(a.write_at(0, b"ab"), Ok(2));
        assert_eq!(a.write_at(0, b"cd"), Ok(2));
        let mut buf = [0u8; 8];
        assert_eq!(b.read_at(0, &mut buf), Ok(4));
        assert_eq!(&buf[..4], b"abcd");
        assert_eq!(b.read_at(0, &mut buf), Err(Error::WouldBlock));
        a.release();
        assert_eq!(b.read_at(0, &mut buf), Ok(0));
        assert_eq!(b.write_at(0, b"x"), Err(Error::BrokenPipe));
        assert!(b.readiness().hangup);
    }

    #[test]
    fn close_with_unread_data_resets_peer() {
        let (a, b) = pair(SockType::Stream);
        assert_eq!(b.write_at(0, b"abc"), Ok(3));
        a.release();
        let mut buf = [0u8; 8];
        assert!(b.readiness().error);
        assert_eq!(b.read_at(0, &mut buf), Err(Error::ConnectionReset));
        assert_eq!(b.read_at(0, &mut buf), Ok(0));
    }

    #[test]
    fn datagrams_keep_boundaries_and_truncate() {
        let (a, b) = pair(SockType::Dgram);
        assert_eq!(a.write_at(0, b"one"), Ok(3));
        assert_eq!(a.write_at(0, b"two-two"), Ok(7));
        let s = sock(&b);
        let peeked = s.recv(
            2,
            RecvFlags {
                peek: true,
                nonblock: false,
            },
        );
        assert_eq!(
            peeked.map(|r| (r.data, r.full_len)).ok(),
            Some((b"on".to_vec(), 3))
        );
        let mut buf = [0u8; 5];
        assert_eq!(b.read_at(0, &mut buf), Ok(3));
        assert_eq!(b.read_at(0, &mut buf), Ok(5));
        assert_eq!(b.read_at(0, &mut buf), Err(Error::WouldBlock));
        b.release();
        assert_eq!(a.write_at(0, b"x"), Err(Error::ConnectionRefused));
        assert_eq!(a.write_at(0, b"x"), Err(Error::NotConnected));
    }

    #[test]
    fn full_buffer_blocks_and_shutdown_propagates() {
        let (a, b) = pair(SockType::SeqPacket);
        let mut n = 0;
        while a.write_at(0, b"x").is_ok() {
            n += 1;
        }
        assert_eq!(n, 278);
        assert_eq!(a.write_at(0, b"x"), Err(Error::WouldBlock));
        sock(&a).shutdown(false, true);
        assert!(sock(&b).read_hangup());
        assert_eq!(a.write_at(0, b"x"), Err(Error::BrokenPipe));
        let big = alloc::vec![0u8; DEFAULT_BUF_BYTES];
        assert_eq!(b.write_at(0, &big), Err(Error::MessageTooBig));
    }
}
