//! Read-only filesystem images for Meridian: a tar archive, plain or gzip-compressed
//! (detected by its magic bytes), read into a validated [`ImageTree`] that the library OS
//! builds into its in-memory filesystem at boot.
//!
//! The archives this is for are root filesystems exported from containers (`docker export`,
//! `tar -C rootfs -c .`): `./`-prefixed names, GNU long names and links, PAX headers (long
//! names, sub-second mtimes, large ids), symbolic and hard links, directories after their
//! contents or only implied by file paths. Device nodes are skipped (the sandbox's /dev is
//! its own); anything else that cannot be represented is an error.
//!
//! Everything is checked before anything runs: a malformed archive (garbage, truncated, a
//! bad header checksum, corrupt gzip data, names with `..` or absolute names, hard links to
//! nothing) and one over the [`ImageLimits`] give an [`ImageError`] naming the image file and
//! the problem. The archive is read as a stream and the decompressed input is bounded too, so
//! a small compressed file cannot unpack into unbounded memory.
//!
//! Depends on `meridian-core` (the image tree), `tar` and `flate2` (pure-Rust backend).

use meridian_core::fs::image::{Attrs, EntryKind, ImageLimits, ImageTree, TreeError};
use meridian_core::time::Nanos;
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

/// The first two bytes of a gzip member (RFC 1952, section 2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Archive bytes allowed beyond the file-data limit, for headers, names and padding.
const ARCHIVE_OVERHEAD_BYTES: u64 = 256 << 20;
/// File data is read in pieces of this size, each counted against the limit first.
const READ_CHUNK_BYTES: usize = 64 * 1024;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Why an image could not be loaded. Each message names the image file.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file could not be opened or read.
    #[error("image {image}: cannot read it: {cause}")]
    Read {
        /// The image file.
        image: String,
        /// What the host said.
        cause: io::Error,
    },
    /// The path is not a regular file.
    #[error("image {image}: not a regular file (expected a tar archive, plain or gzip)")]
    NotAFile {
        /// The image file.
        image: String,
    },
    /// The first header is not a tar header.
    #[error(
        "image {image}: not a tar archive ({detail}); expected a tar file, plain or gzip-compressed"
    )]
    NotTar {
        /// The image file.
        image: String,
        /// What the reader found.
        detail: String,
    },
    /// The archive breaks off or holds a broken header or corrupt compressed data.
    #[error("image {image}: malformed {format} archive after {entries} entries: {detail}")]
    Malformed {
        /// The image file.
        image: String,
        /// `tar` or `gzip-compressed tar`.
        format: &'static str,
        /// Entries read before the problem.
        entries: usize,
        /// What the reader found.
        detail: String,
    },
    /// One entry cannot be part of a filesystem.
    #[error("image {image}: entry {entry:?}: {problem}")]
    Entry {
        /// The image file.
        image: String,
        /// The entry's name as stored.
        entry: String,
        /// What is wrong with it.
        problem: TreeError,
    },
    /// The image is over a limit.
    #[error("image {image}: too large: {problem} (the limit protects the sandbox's memory)")]
    TooLarge {
        /// The image file.
        image: String,
        /// Which limit.
        problem: String,
    },
    /// No entries at all.
    #[error("image {image}: the archive holds no entries")]
    Empty {
        /// The image file.
        image: String,
    },
}

/// What a loaded image holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Entries read from the archive.
    pub entries: usize,
    /// Bytes of file data.
    pub data_bytes: u64,
    /// Device nodes skipped.
    pub skipped_devices: usize,
    /// Whether the archive was gzip-compressed.
    pub gzip: bool,
}

/// Load the image file at `path`.
pub fn load_file(path: &Path, limits: ImageLimits) -> Result<(ImageTree, LoadReport), ImageError> {
    let image = path.display().to_string();
    let read_err = |cause| ImageError::Read {
        image: image.clone(),
        cause,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    if !file.metadata().map_err(read_err)?.is_file() {
        return Err(ImageError::NotAFile { image });
    }
    load(&image, file, limits)
}

/// Load an image from `reader`; `image` names it in errors.
pub fn load<R: Read>(
    image: &str,
    reader: R,
    limits: ImageLimits,
) -> Result<(ImageTree, LoadReport), ImageError> {
    let mut input = BufReader::new(reader);
    let head = input.fill_buf().map_err(|cause| ImageError::Read {
        image: image.to_string(),
        cause,
    })?;
    let gzip = head.starts_with(&GZIP_MAGIC);
    if head.is_empty() {
        return Err(ImageError::Empty {
            image: image.to_string(),
        });
    }
    let cap = limits.max_data_bytes.saturating_add(ARCHIVE_OVERHEAD_BYTES);
    let over = Rc::new(Cell::new(false));
    let result = if gzip {
        let bounded = Bounded::new(flate2::read::MultiGzDecoder::new(input), cap, &over);
        read_tar(image, bounded, limits, "gzip-compressed tar")
    } else {
        read_tar(image, Bounded::new(input, cap, &over), limits, "tar")
    };
    if over.get() {
        return Err(ImageError::TooLarge {
            image: image.to_string(),
            problem: format!("the archive unpacks to more than {cap} bytes"),
        });
    }
    let (tree, mut report) = result?;
    report.gzip = gzip;
    Ok((tree, report))
}

/// A reader that fails once more than `left` bytes were read, and says so in `over`.
struct Bounded<R> {
    inner: R,
    left: u64,
    over: Rc<Cell<bool>>,
}

impl<R> Bounded<R> {
    fn new(inner: R, cap: u64, over: &Rc<Cell<bool>>) -> Bounded<R> {
        Bounded {
            inner,
            left: cap,
            over: over.clone(),
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => {
                self.over.set(true);
                Err(io::Error::other("the archive is larger than the limit"))
            }
        }
    }
}

/// The pieces of one entry that the tree needs.
struct Parsed {
    name: Vec<u8>,
    attrs: Attrs,
}

fn read_tar<R: Read>(
    image: &str,
    reader: R,
    limits: ImageLimits,
    format: &'static str,
) -> Result<(ImageTree, LoadReport), ImageError> {
    let mut tree = ImageTree::new(limits);
    let mut report = LoadReport::default();
    let mut archive = tar::Archive::new(reader);
    let broken = |entries: usize, e: io::Error| {
        let detail = describe(&e);
        if entries == 0 {
            ImageError::NotTar {
                image: image.to_string(),
                detail: detail.replace("truncated", "shorter than a tar header"),
            }
        } else {
            ImageError::Malformed {
                image: image.to_string(),
                format,
                entries,
                detail,
            }
        }
    };
    let entries = archive.entries().map_err(|e| broken(0, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| broken(report.entries, e))?;
        let parsed = parse(&mut entry).map_err(|e| broken(report.entries, e))?;
        let entry_err = |problem: TreeError| match problem {
            TreeError::TooLarge(_) | TreeError::TooManyEntries(_) => ImageError::TooLarge {
                image: image.to_string(),
                problem: problem.to_string(),
            },
            problem => ImageError::Entry {
                image: image.to_string(),
                entry: String::from_utf8_lossy(&parsed.name).into_owned(),
                problem,
            },
        };
        let link_target = || -> Result<Vec<u8>, ImageError> {
            Ok(entry
                .link_name_bytes()
                .map(|t| t.into_owned())
                .unwrap_or_default())
        };
        use tar::EntryType as T;
        match entry.header().entry_type() {
            T::Regular | T::Continuous | T::GNUSparse => {
                let data = read_data(&mut entry, &mut tree).map_err(|e| match e {
                    DataError::Io(e) => broken(report.entries, e),
                    DataError::Tree(e) => entry_err(e),
                })?;
                tree.insert(&parsed.name, EntryKind::File(data), parsed.attrs)
                    .map_err(entry_err)?;
            }
            T::Directory => tree
                .insert(&parsed.name, EntryKind::Dir, parsed.attrs)
                .map_err(entry_err)?,
            T::Symlink => tree
                .insert(
                    &parsed.name,
                    EntryKind::Symlink(link_target()?),
                    parsed.attrs,
                )
                .map_err(entry_err)?,
            T::Link => tree
                .insert_hard_link(&parsed.name, &link_target()?)
                .map_err(entry_err)?,
            T::Fifo => tree
                .insert(&parsed.name, EntryKind::Fifo, parsed.attrs)
                .map_err(entry_err)?,
            T::Char | T::Block => report.skipped_devices += 1,
            // Extension headers are consumed by the reader; a stray one changes nothing.
            T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => {}
            other => {
                return Err(ImageError::Entry {
                    image: image.to_string(),
                    entry: String::from_utf8_lossy(&parsed.name).into_owned(),
                    problem: TreeError::Unsupported(other.as_byte()),
                });
            }
        }
        report.entries += 1;
    }
    if report.entries == 0 {
        return Err(ImageError::Empty {
            image: image.to_string(),
        });
    }
    report.data_bytes = tree.stats().data_bytes;
    Ok((tree, report))
}

/// The name and attributes of `entry`, PAX records taking precedence over the header.
fn parse<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Parsed> {
    let name = entry.path_bytes().into_owned();
    let header = entry.header();
    let perm = header.mode()? & 0o7777;
    let mut uid = u32::try_from(header.uid()?).unwrap_or(u32::MAX);
    let mut gid = u32::try_from(header.gid()?).unwrap_or(u32::MAX);
    let mut mtime = Nanos(header.mtime()?.saturating_mul(NANOS_PER_SEC));
    if let Some(extensions) = entry.pax_extensions()? {
        for ext in extensions {
            let ext = ext?;
            let value = ext.value_bytes();
            match ext.key_bytes() {
                b"mtime" => mtime = parse_pax_time(value).unwrap_or(mtime),
                b"uid" => uid = parse_u32(value).unwrap_or(uid),
                b"gid" => gid = parse_u32(value).unwrap_or(gid),
                _ => {}
            }
        }
    }
    Ok(Parsed {
        name,
        attrs: Attrs {
            perm,
            uid,
            gid,
            mtime,
        },
    })
}

fn parse_u32(value: &[u8]) -> Option<u32> {
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// A PAX time: decimal seconds with an optional fraction (pax(1), "mtime"). Times before
/// the epoch become the epoch.
fn parse_pax_time(value: &[u8]) -> Option<Nanos> {
    let text = std::str::from_utf8(value).ok()?;
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    if secs.starts_with('-') {
        return Some(Nanos(0));
    }
    let secs: u64 = secs.parse().ok()?;
    let mut nanos = 0u64;
    let mut scale = NANOS_PER_SEC / 10;
    for digit in frac.bytes().take(9) {
        if !digit.is_ascii_digit() {
            return None;
        }
        nanos += u64::from(digit - b'0') * scale;
        scale /= 10;
    }
    Some(Nanos(
        secs.saturating_mul(NANOS_PER_SEC).saturating_add(nanos),
    ))
}

enum DataError {
    Io(io::Error),
    Tree(TreeError),
}

/// Read a file's data, counting it against the tree's limit before holding it.
fn read_data<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    tree: &mut ImageTree,
) -> Result<Vec<u8>, DataError> {
    let mut data = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK_BYTES];
    loop {
        let n = match entry.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(DataError::Io(e)),
        };
        tree.reserve_data(n as u64).map_err(DataError::Tree)?;
        data.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    Ok(data)
}

/// A reader error as a person should read it.
fn describe(e: &io::Error) -> String {
    let text = e.to_string();
    if e.kind() == io::ErrorKind::UnexpectedEof
        || text.contains("EOF")
        || text.contains("entire block")
    {
        return format!("truncated ({text})");
    }
    if text.contains("checksum") {
        format!("bad header checksum ({text})")
    } else {
        text
    }
}

#[cfg(test)]
mod tests;
