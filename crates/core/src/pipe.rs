//! Pipes: a bounded byte buffer with a read end and a write end (pipe(7)), and the pipes of
//! named FIFOs (fifo(7)), whose ends are made by each open(2) of the FIFO.

use crate::error::{Error, Result};
use crate::fs::{FileType, Metadata, Node, NodeRef};
use crate::platform::Readiness;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

/// Capacity of a pipe (Linux's default, pipe(7) "Pipe capacity").
pub const PIPE_CAPACITY_BYTES: usize = 65536;
/// Writes of at most this many bytes are atomic (pipe(7) `PIPE_BUF`).
pub const PIPE_BUF_BYTES: usize = 4096;

static NEXT_PIPE_INO: AtomicU64 = AtomicU64::new(1);

struct PipeState {
    data: VecDeque<u8>,
    /// Writes (and writer closes) so far: input edges for the read end.
    writes: u64,
    /// Reads (and reader closes) so far: room edges for the write end.
    reads: u64,
    readers: usize,
    writers: usize,
    /// Opens for reading and for writing so far (a FIFO's blocked open waits for the other
    /// side's count to move, as Linux's `r_counter`/`w_counter`).
    read_opens: u64,
    write_opens: u64,
}

/// The shared buffer of one pipe.
pub struct Pipe {
    ino: u64,
    state: Mutex<PipeState>,
}

/// One end of a pipe, as a [`Node`] a descriptor can hold. A FIFO opened `O_RDWR` gives one
/// end that both reads and writes.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    reads: bool,
    write_end: bool,
    /// The FIFO's inode (its metadata is what fstat(2) shows), none for pipe(2).
    inode: Option<NodeRef>,
    /// The other side's open count when this end was opened.
    peer_opens_seen: u64,
}

impl Pipe {
    /// A new pipe; returns (read end, write end), each counted as open once.
    pub fn new_pair() -> (NodeRef, NodeRef) {
        let pipe = Arc::new(Pipe {
            ino: NEXT_PIPE_INO.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(PipeState {
                data: VecDeque::new(),
                writes: 0,
                reads: 0,
                readers: 1,
                writers: 1,
                read_opens: 1,
                write_opens: 1,
            }),
        });
        let r: NodeRef = Arc::new(PipeEnd {
            pipe: pipe.clone(),
            reads: true,
            write_end: false,
            inode: None,
            peer_opens_seen: 0,
        });
        let w: NodeRef = Arc::new(PipeEnd {
            pipe,
            reads: false,
            write_end: true,
            inode: None,
            peer_opens_seen: 0,
        });
        (r, w)
    }

    /// The pipe of a new FIFO, with no ends open.
    pub fn new_fifo() -> Arc<Pipe> {
        Arc::new(Pipe {
            ino: NEXT_PIPE_INO.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(PipeState {
                data: VecDeque::new(),
                writes: 0,
                reads: 0,
                readers: 0,
                writers: 0,
                read_opens: 0,
                write_opens: 0,
            }),
        })
    }

    /// Open an end of this FIFO pipe for FIFO `inode`, as fifo(7) says: a non-blocking
    /// write-only open without readers is `NoDevice`; anything else succeeds at once (the
    /// caller waits with [`PipeEnd::peer_arrived`] when a blocking open must).
    pub fn open_end(
        self: &Arc<Self>,
        inode: NodeRef,
        read: bool,
        write: bool,
        nonblock: bool,
    ) -> Result<NodeRef> {
        let mut st = self.state.lock();
        if write && !read && nonblock && st.readers == 0 {
            return Err(Error::NoDevice);
        }
        if st.readers == 0 && st.writers == 0 {
            // The last close of a FIFO discards what was left in it.
            st.data.clear();
        }
        let peer_opens_seen = if read && !write {
            st.write_opens
        } else {
            st.read_opens
        };
        if read {
            st.readers += 1;
            st.read_opens += 1;
            st.writes += 1;
        }
        if write {
            st.writers += 1;
            st.write_opens += 1;
            st.reads += 1;
        }
        Ok(Arc::new(PipeEnd {
            pipe: self.clone(),
            reads: read,
            write_end: write,
            inode: Some(inode),
            peer_opens_seen,
        }))
    }
}

impl PipeEnd {
    /// For a FIFO end opened without `O_NONBLOCK`: whether its open may return, i.e. the
    /// other side is open or was opened since (fifo(7): an open for reading waits for a
    /// writer and the other way round; `O_RDWR` never waits).
    pub fn peer_arrived(&self) -> bool {
        let st = self.pipe.state.lock();
        match (self.reads, self.write_end) {
            (true, false) => st.writers > 0 || st.write_opens != self.peer_opens_seen,
            (false, true) => st.readers > 0 || st.read_opens != self.peer_opens_seen,
            _ => true,
        }
    }

    /// Bytes waiting to be read (FIONREAD).
    pub fn available(&self) -> usize {
        self.pipe.state.lock().data.len()
    }
}

impl Node for PipeEnd {
    fn metadata(&self) -> Result<Metadata> {
        if let Some(inode) = &self.inode {
            return inode.metadata();
        }
        Ok(Metadata {
            ino: self.pipe.ino,
            mode: FileType::Fifo.mode_bits() | 0o600,
            nlink: 1,
            blksize: PIPE_BUF_BYTES as u64,
            ..Metadata::default()
        })
    }
    fn file_type(&self) -> FileType {
        FileType::Fifo
    }
    fn read_at(&self, _pos: u64, buf: &mut [u8]) -> Result<usize> {
        if !self.reads {
            return Err(Error::BadFd);
        }
        let mut st = self.pipe.state.lock();
        if st.data.is_empty() {
            return if st.writers == 0 || buf.is_empty() {
                Ok(0)
            } else {
                Err(Error::WouldBlock)
            };
        }
        let n = buf.len().min(st.data.len());
        for (dst, src) in buf.iter_mut().zip(st.data.drain(..n)) {
            *dst = src;
        }
        st.reads += 1;
        Ok(n)
    }
    fn write_at(&self, _pos: u64, data: &[u8]) -> Result<usize> {
        if !self.write_end {
            return Err(Error::BadFd);
        }
        let mut st = self.pipe.state.lock();
        if st.readers == 0 {
            return Err(Error::BrokenPipe);
        }
        let room = PIPE_CAPACITY_BYTES.saturating_sub(st.data.len());
        // Small writes are all-or-nothing (PIPE_BUF atomicity); large ones may be partial.
        if room == 0 || (data.len() <= PIPE_BUF_BYTES && room < data.len()) {
            return Err(Error::WouldBlock);
        }
        let n = data.len().min(room);
        st.data.extend(data.iter().take(n));
        st.writes += 1;
        Ok(n)
    }
    fn open(self: Arc<Self>, _write: bool) -> Result<NodeRef> {
        Ok(self)
    }
    fn release(&self) {
        let mut st = self.pipe.state.lock();
        if self.write_end {
            st.writers = st.writers.saturating_sub(1);
            st.writes += 1;
        }
        if self.reads {
            st.readers = st.readers.saturating_sub(1);
            st.reads += 1;
        }
    }
    fn readiness(&self) -> Readiness {
        let st = self.pipe.state.lock();
        if self.reads && self.write_end {
            Readiness {
                readable: !st.data.is_empty(),
                writable: st.data.len() + PIPE_BUF_BYTES <= PIPE_CAPACITY_BYTES,
                hangup: false,
                error: false,
            }
        } else if self.write_end {
            Readiness {
                readable: false,
                // Linux's pipe_poll: room gives POLLOUT even without readers (then with POLLERR).
                writable: st.data.len() + PIPE_BUF_BYTES <= PIPE_CAPACITY_BYTES,
                hangup: false,
                error: st.readers == 0,
            }
        } else {
            Readiness {
                readable: !st.data.is_empty(),
                writable: false,
                hangup: st.writers == 0,
                error: false,
            }
        }
    }
    fn change_count(&self) -> u64 {
        let st = self.pipe.state.lock();
        match (self.reads, self.write_end) {
            (true, true) => st.reads.wrapping_add(st.writes),
            (false, true) => st.reads,
            _ => st.writes,
        }
    }
    fn seekable(&self) -> bool {
        false
    }
    fn anon_name(&self) -> Option<Vec<u8>> {
        if self.inode.is_some() {
            return None;
        }
        Some(format!("pipe:[{}]", self.pipe.ino).into_bytes())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_flows_and_eof_after_writer_release() {
        let (r, w) = Pipe::new_pair();
        let mut buf = [0u8; 8];
        assert_eq!(r.read_at(0, &mut buf), Err(Error::WouldBlock));
        assert_eq!(w.write_at(0, b"hello"), Ok(5));
        assert!(r.readiness().readable);
        assert_eq!(r.read_at(0, &mut buf[..3]), Ok(3));
        assert_eq!(&buf[..3], b"hel");
        w.release();
        assert_eq!(r.read_at(0, &mut buf), Ok(2));
        assert_eq!(r.read_at(0, &mut buf), Ok(0));
        assert!(r.readiness().hangup);
    }

    #[test]
    fn full_pipe_blocks_and_closed_reader_breaks() {
        let (r, w) = Pipe::new_pair();
        let big = alloc::vec![7u8; PIPE_CAPACITY_BYTES + 10];
        assert_eq!(w.write_at(0, &big), Ok(PIPE_CAPACITY_BYTES));
        assert_eq!(w.write_at(0, b"x"), Err(Error::WouldBlock));
        r.release();
        assert_eq!(w.write_at(0, b"x"), Err(Error::BrokenPipe));
    }
}
