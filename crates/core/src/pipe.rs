//! Pipes: a bounded byte buffer with a read end and a write end (pipe(7)).

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
}

/// The shared buffer of one pipe.
pub struct Pipe {
    ino: u64,
    state: Mutex<PipeState>,
}

/// One end of a pipe, as a [`Node`] a descriptor can hold.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    write_end: bool,
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
            }),
        });
        let r: NodeRef = Arc::new(PipeEnd {
            pipe: pipe.clone(),
            write_end: false,
        });
        let w: NodeRef = Arc::new(PipeEnd {
            pipe,
            write_end: true,
        });
        (r, w)
    }
}

impl PipeEnd {
    /// Bytes waiting to be read (FIONREAD).
    pub fn available(&self) -> usize {
        self.pipe.state.lock().data.len()
    }
}

impl Node for PipeEnd {
    fn metadata(&self) -> Result<Metadata> {
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
        if self.write_end {
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
        } else {
            st.readers = st.readers.saturating_sub(1);
            st.reads += 1;
        }
    }
    fn readiness(&self) -> Readiness {
        let st = self.pipe.state.lock();
        if self.write_end {
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
        if self.write_end { st.reads } else { st.writes }
    }
    fn seekable(&self) -> bool {
        false
    }
    fn anon_name(&self) -> Option<Vec<u8>> {
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
