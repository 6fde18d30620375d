//! Building blocks of synthetic filesystems such as `/proc`: files whose content is
//! generated when they are opened ([`GeneratedFile`]), directories whose entries are computed
//! on each lookup ([`DynamicDir`]) and symbolic links whose target is computed when read
//! ([`DynamicSymlink`]). Fixed directories of such trees are tmpfs directories holding these
//! nodes ([`super::tmpfs::TmpFs::attach`]).
//!
//! The generators are closures the shim provides; this module knows nothing of processes.
//! Like procfs, the nodes report size 0, belong to root, cannot be changed with chmod or
//! utimes (`Error::Perm`) and carry the epoch as their times.
//!
//! Depends on `fs` (the [`Node`] trait) and `error` only.

use super::{DirEntry, FileType, Metadata, Node, NodeRef};
use crate::error::{Error, Result};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

/// Device number of synthetic nodes (an anonymous device, major 0, as Linux gives procfs).
pub const PROC_DEV: u64 = 22;
/// `st_blksize` of synthetic nodes (procfs reports the page size).
const BLOCK_SIZE_BYTES: u64 = 4096;
/// Permission bits of generated files (procfs's `S_IRUGO`).
const GENERATED_FILE_PERM: u32 = 0o444;
/// Permission bits of dynamic directories (`S_IRUGO | S_IXUGO`).
const DYNAMIC_DIR_PERM: u32 = 0o555;
/// Permission bits of dynamic symbolic links.
const DYNAMIC_SYMLINK_PERM: u32 = 0o777;

/// Produces the content of a generated file.
pub type Generator = Arc<dyn Fn() -> Result<Vec<u8>> + Send + Sync>;
/// Lists the entries of a dynamic directory.
pub type Lister = Arc<dyn Fn() -> Result<Vec<(Vec<u8>, NodeRef)>> + Send + Sync>;

/// Metadata shared by the synthetic nodes.
fn synthetic_metadata(ino: u64, file_type: FileType, perm: u32, nlink: u64) -> Metadata {
    Metadata {
        dev: PROC_DEV,
        ino,
        mode: file_type.mode_bits() | perm,
        nlink,
        blksize: BLOCK_SIZE_BYTES,
        ..Metadata::default()
    }
}

/// Copy from `data` at `pos` into `buf`.
fn read_slice(data: &[u8], pos: u64, buf: &mut [u8]) -> usize {
    let Ok(start) = usize::try_from(pos) else {
        return 0;
    };
    let Some(rest) = data.get(start..) else {
        return 0;
    };
    let len = rest.len().min(buf.len());
    if let (Some(dst), Some(src)) = (buf.get_mut(..len), rest.get(..len)) {
        dst.copy_from_slice(src);
        len
    } else {
        0
    }
}

/// A read-only regular file whose content a closure generates. See the module
/// documentation.
pub struct GeneratedFile {
    ino: u64,
    generate: Generator,
}

impl GeneratedFile {
    /// A file with inode number `ino` whose content is `generate()`.
    #[allow(clippy::new_ret_no_self, reason = "the VFS holds nodes as NodeRef")]
    pub fn new(ino: u64, generate: Generator) -> NodeRef {
        Arc::new(GeneratedFile { ino, generate })
    }
}

impl Node for GeneratedFile {
    fn metadata(&self) -> Result<Metadata> {
        Ok(synthetic_metadata(
            self.ino,
            FileType::Regular,
            GENERATED_FILE_PERM,
            1,
        ))
    }

    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    /// Without a descriptor (no snapshot), each read generates afresh.
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        Ok(read_slice(&(self.generate)()?, pos, buf))
    }

    fn write_at(&self, _pos: u64, _data: &[u8]) -> Result<usize> {
        Err(Error::Access)
    }

    fn truncate(&self, _len: u64) -> Result<()> {
        Err(Error::Access)
    }

    /// Snapshots the content, so that reads at any position see one consistent text (as
    /// procfs's `seq_file` does for a reader going from start to end).
    fn open(self: Arc<Self>, write: bool) -> Result<NodeRef> {
        // Mode 0444: opening for writing fails the permission check (EACCES).
        if write {
            return Err(Error::Access);
        }
        let data = (self.generate)()?;
        Ok(Arc::new(Snapshot {
            ino: self.ino,
            data,
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An opened [`GeneratedFile`]: the content generated at open time.
struct Snapshot {
    ino: u64,
    data: Vec<u8>,
}

impl Node for Snapshot {
    fn metadata(&self) -> Result<Metadata> {
        Ok(synthetic_metadata(
            self.ino,
            FileType::Regular,
            GENERATED_FILE_PERM,
            1,
        ))
    }

    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        Ok(read_slice(&self.data, pos, buf))
    }

    fn write_at(&self, _pos: u64, _data: &[u8]) -> Result<usize> {
        Err(Error::BadFd)
    }

    fn open(self: Arc<Self>, _write: bool) -> Result<NodeRef> {
        Ok(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A read-only directory whose entries a closure computes on every lookup and listing.
pub struct DynamicDir {
    ino: u64,
    list: Lister,
}

impl DynamicDir {
    /// A directory with inode number `ino` whose entries are `list()`.
    #[allow(clippy::new_ret_no_self, reason = "the VFS holds nodes as NodeRef")]
    pub fn new(ino: u64, list: Lister) -> NodeRef {
        Arc::new(DynamicDir { ino, list })
    }
}

impl Node for DynamicDir {
    fn metadata(&self) -> Result<Metadata> {
        let entries = (self.list)()?;
        let subdirs = entries
            .iter()
            .filter(|(_, node)| node.file_type() == FileType::Directory)
            .count();
        let nlink = u64::try_from(subdirs)
            .map_err(|_| Error::Overflow)?
            .saturating_add(2);
        Ok(synthetic_metadata(
            self.ino,
            FileType::Directory,
            DYNAMIC_DIR_PERM,
            nlink,
        ))
    }

    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn lookup(&self, name: &[u8]) -> Result<NodeRef> {
        (self.list)()?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, node)| node)
            .ok_or(Error::NotFound)
    }

    /// Entries whose metadata cannot be read any more (a process that just exited) are left
    /// out.
    fn read_dir(&self) -> Result<Vec<DirEntry>> {
        Ok((self.list)()?
            .into_iter()
            .filter_map(|(name, node)| {
                let ino = node.metadata().ok()?.ino;
                Some(DirEntry {
                    name,
                    ino,
                    file_type: node.file_type(),
                })
            })
            .collect())
    }

    fn create(&self, _name: &[u8], _file_type: FileType, _mode: u32) -> Result<NodeRef> {
        Err(Error::Perm)
    }

    fn symlink(&self, _name: &[u8], _target: &[u8]) -> Result<()> {
        Err(Error::Perm)
    }

    fn link(&self, _name: &[u8], _node: &NodeRef) -> Result<()> {
        Err(Error::Perm)
    }

    fn unlink(&self, _name: &[u8], _directory: bool) -> Result<()> {
        Err(Error::Perm)
    }

    fn rename(&self, _name: &[u8], _new_dir: &NodeRef, _new_name: &[u8]) -> Result<()> {
        Err(Error::Perm)
    }

    fn read_at(&self, _pos: u64, _buf: &mut [u8]) -> Result<usize> {
        Err(Error::IsDir)
    }

    fn write_at(&self, _pos: u64, _data: &[u8]) -> Result<usize> {
        Err(Error::IsDir)
    }

    fn open(self: Arc<Self>, write: bool) -> Result<NodeRef> {
        if write {
            return Err(Error::IsDir);
        }
        Ok(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Finds what a magic link stands for.
pub type Jump = Arc<dyn Fn() -> Result<super::vfs::Resolved> + Send + Sync>;

/// A symbolic link whose target a closure computes each time it is read (`/proc/self`).
/// A `/proc` magic link (`/proc/self/fd/N`, `cwd`, `root`, `exe`) is one with a `jump`:
/// readlink(2) shows the text, and resolution goes straight to the object `jump` finds
/// (proc(5)), so that a file without a name (unlinked, or made with `O_TMPFILE`) can still
/// be reached through it.
pub struct DynamicSymlink {
    ino: u64,
    target: Generator,
    jump: Option<Jump>,
}

impl DynamicSymlink {
    /// A link with inode number `ino` whose target is `target()`.
    #[allow(clippy::new_ret_no_self, reason = "the VFS holds nodes as NodeRef")]
    pub fn new(ino: u64, target: Generator) -> NodeRef {
        Arc::new(DynamicSymlink {
            ino,
            target,
            jump: None,
        })
    }

    /// A magic link with inode number `ino`: reads as `text()`, resolves to `jump()`.
    pub fn magic(ino: u64, text: Generator, jump: Jump) -> NodeRef {
        Arc::new(DynamicSymlink {
            ino,
            target: text,
            jump: Some(jump),
        })
    }
}

impl Node for DynamicSymlink {
    fn metadata(&self) -> Result<Metadata> {
        Ok(synthetic_metadata(
            self.ino,
            FileType::Symlink,
            DYNAMIC_SYMLINK_PERM,
            1,
        ))
    }

    fn file_type(&self) -> FileType {
        FileType::Symlink
    }

    fn read_link(&self) -> Result<Vec<u8>> {
        (self.target)()
    }

    fn follow_magic(&self) -> Option<Result<super::vfs::Resolved>> {
        self.jump.as_ref().map(|jump| jump())
    }

    fn open(self: Arc<Self>, _write: bool) -> Result<NodeRef> {
        Ok(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use core::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn generated_file_snapshots_on_open() -> Result<()> {
        let counter = Arc::new(AtomicU64::new(0));
        let c = counter.clone();
        let file = GeneratedFile::new(
            5,
            Arc::new(move || {
                Ok(alloc::format!("count {}\n", c.fetch_add(1, Ordering::Relaxed)).into_bytes())
            }),
        );
        let m = file.metadata()?;
        assert_eq!(
            (m.dev, m.ino, m.mode, m.size, m.nlink),
            (PROC_DEV, 5, 0o100444, 0, 1)
        );
        let opened = file.clone().open(false)?;
        let mut buf = [0u8; 6];
        assert_eq!(opened.read_at(0, &mut buf)?, 6);
        assert_eq!(&buf, b"count ");
        // Later reads of the same descriptor see the same text.
        let mut rest = [0u8; 16];
        assert_eq!(opened.read_at(6, &mut rest)?, 2);
        assert_eq!(rest.get(..2), Some(&b"0\n"[..]));
        assert_eq!(opened.read_at(100, &mut rest)?, 0);
        assert_eq!(opened.read_at(u64::MAX, &mut rest)?, 0);
        assert_eq!(opened.metadata()?.size, 0);
        // A new open generates again.
        let again = file.clone().open(false)?;
        let mut all = [0u8; 8];
        again.read_at(0, &mut all)?;
        assert_eq!(&all, b"count 1\n");
        assert_eq!(file.clone().open(true).err(), Some(Error::Access));
        assert_eq!(file.write_at(0, b"x").err(), Some(Error::Access));
        assert_eq!(file.set_mode(0o777).err(), Some(Error::Perm));
        Ok(())
    }

    #[test]
    fn generator_errors_propagate() {
        let file = GeneratedFile::new(1, Arc::new(|| Err(Error::NotFound)));
        assert_eq!(file.open(false).err(), Some(Error::NotFound));
    }

    #[test]
    fn dynamic_dir_lists_and_looks_up() -> Result<()> {
        let state = Arc::new(AtomicU64::new(1));
        let s = state.clone();
        let dir = DynamicDir::new(
            3,
            Arc::new(move || {
                let mut out: Vec<(Vec<u8>, NodeRef)> = Vec::new();
                for i in 0..s.load(Ordering::Relaxed) {
                    let name = alloc::format!("{i}").into_bytes();
                    out.push((name, DynamicDir::new(100 + i, Arc::new(|| Ok(Vec::new())))));
                }
                out.push((
                    b"self".to_vec(),
                    DynamicSymlink::new(50, Arc::new(|| Ok(b"0".to_vec()))),
                ));
                Ok(out)
            }),
        );
        let m = dir.metadata()?;
        assert_eq!((m.mode, m.nlink), (0o040555, 3));
        let names: Vec<Vec<u8>> = dir.read_dir()?.into_iter().map(|e| e.name).collect();
        assert_eq!(names, vec![b"0".to_vec(), b"self".to_vec()]);
        state.store(2, Ordering::Relaxed);
        assert_eq!(dir.lookup(b"1")?.metadata()?.ino, 101);
        assert_eq!(dir.lookup(b"self")?.read_link()?, b"0");
        assert_eq!(dir.lookup(b"7").err(), Some(Error::NotFound));
        let entries = dir.read_dir()?;
        assert_eq!(
            entries.get(1).map(|e| (e.ino, e.file_type)),
            Some((101, FileType::Directory))
        );
        assert_eq!(
            entries.get(2).map(|e| (e.ino, e.file_type)),
            Some((50, FileType::Symlink))
        );
        assert_eq!(
            dir.create(b"x", FileType::Regular, 0o644).err(),
            Some(Error::Perm)
        );
        assert_eq!(dir.unlink(b"0", true).err(), Some(Error::Perm));
        Ok(())
    }

    #[test]
    fn dynamic_symlink() -> Result<()> {
        let link = DynamicSymlink::new(9, Arc::new(|| Ok(b"/proc/1".to_vec())));
        assert_eq!(link.read_link()?, b"/proc/1");
        assert_eq!(link.metadata()?.mode, 0o120777);
        assert_eq!(link.file_type(), FileType::Symlink);
        Ok(())
    }
}
