//! Archives built here with the `tar` crate's writer (and some broken by hand) are loaded
//! and built into an in-memory filesystem.

use super::*;
use meridian_core::fs::tmpfs::TmpFs;
use meridian_core::fs::{FileType, NodeRef};
use std::io::Write;
use std::sync::Arc;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(mtime);
    h.set_uid(1000);
    h.set_gid(1000);
    h
}

/// A `docker export`-style archive: `./` names, a directory after its contents, an implied
/// directory, a GNU long name, a PAX name and time, symbolic and hard links, a device.
fn sample() -> io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    b.append_data(
        &mut header(tar::EntryType::Directory, 0o755, 0, 10),
        "./",
        io::empty(),
    )?;
    let data = b"NAME=\"Meridian test\"\n";
    b.append_data(
        &mut header(tar::EntryType::Regular, 0o644, data.len() as u64, 20),
        "./etc/os-release",
        &data[..],
    )?;
    b.append_data(
        &mut header(tar::EntryType::Directory, 0o750, 0, 30),
        "./etc/",
        io::empty(),
    )?;
    let tool = b"#!/bin/sh\necho hi\n";
    b.append_data(
        &mut header(tar::EntryType::Regular, 0o4755, tool.len() as u64, 40),
        "./usr/local/bin/tool",
        &tool[..],
    )?;
    let mut link = header(tar::EntryType::Link, 0o4755, 0, 40);
    b.append_link(
        &mut link,
        "./usr/local/bin/tool-again",
        "./usr/local/bin/tool",
    )?;
    let mut sym = header(tar::EntryType::Symlink, 0o777, 0, 50);
    b.append_link(&mut sym, "./bin", "usr/local/bin")?;
    let long = format!("./deep/{}/file", "d".repeat(150));
    b.append_data(
        &mut header(tar::EntryType::Regular, 0o600, 4, 60),
        &long,
        &b"long"[..],
    )?;
    let pax_name = format!("./pax/{}", "p".repeat(120));
    b.append_pax_extensions([
        ("path", pax_name.as_bytes()),
        ("mtime", &b"1700000000.25"[..]),
    ])?;
    b.append_data(
        &mut header(tar::EntryType::Regular, 0o644, 3, 70),
        "./pax/short",
        &b"pax"[..],
    )?;
    b.append_data(
        &mut header(tar::EntryType::Char, 0o600, 0, 0),
        "./dev/null",
        io::empty(),
    )?;
    b.append_data(
        &mut header(tar::EntryType::Fifo, 0o600, 0, 80),
        "./run/fifo",
        io::empty(),
    )?;
    b.into_inner()
}

fn gzip(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data)?;
    enc.finish()
}

fn build(tree: ImageTree) -> Result<NodeRef, meridian_core::Error> {
    let fs = TmpFs::new(5, Arc::new(|| Nanos(999)));
    tree.build(&fs)
}

fn walk(root: &NodeRef, path: &str) -> Result<NodeRef, meridian_core::Error> {
    let mut node = root.clone();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        node = node.lookup(part.as_bytes())?;
    }
    Ok(node)
}

fn read_all(node: &NodeRef) -> Vec<u8> {
    let size = node.metadata().map(|m| m.size).unwrap_or(0);
    let mut buf = vec![0u8; usize::try_from(size).unwrap_or(0)];
    let n = node.read_at(0, &mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

fn load_bytes(bytes: &[u8]) -> Result<(ImageTree, LoadReport), ImageError> {
    load("test.tar", bytes, ImageLimits::default())
}

#[test]
fn a_container_style_archive_loads_with_its_metadata() -> TestResult {
    let (tree, report) = load_bytes(&sample()?)?;
    assert_eq!(report.skipped_devices, 1);
    assert!(!report.gzip);
    assert!(tree.has_top_level(b"etc"));
    let root = build(tree).map_err(|e| format!("{e:?}"))?;
    let e = |e: meridian_core::Error| format!("{e:?}");
    let os = walk(&root, "etc/os-release").map_err(e)?;
    assert_eq!(read_all(&os), b"NAME=\"Meridian test\"\n");
    let etc = walk(&root, "etc").map_err(e)?.metadata().map_err(e)?;
    assert_eq!((etc.mode, etc.mtime), (0o040750, Nanos(30 * NANOS_PER_SEC)));
    let root_meta = root.metadata().map_err(e)?;
    assert_eq!(root_meta.mtime, Nanos(10 * NANOS_PER_SEC));
    let tool = walk(&root, "usr/local/bin/tool").map_err(e)?;
    let again = walk(&root, "usr/local/bin/tool-again").map_err(e)?;
    let m = tool.metadata().map_err(e)?;
    assert_eq!((m.mode, m.nlink), (0o104755, 2));
    assert_eq!(again.metadata().map_err(e)?.ino, m.ino);
    assert_eq!(
        walk(&root, "bin").map_err(e)?.read_link().map_err(e)?,
        b"usr/local/bin"
    );
    // The implied /usr is a plain 0755 directory.
    assert_eq!(
        walk(&root, "usr").map_err(e)?.metadata().map_err(e)?.mode,
        0o040755
    );
    let long = walk(&root, &format!("deep/{}/file", "d".repeat(150))).map_err(e)?;
    assert_eq!(read_all(&long), b"long");
    let pax = walk(&root, &format!("pax/{}", "p".repeat(120))).map_err(e)?;
    assert_eq!(read_all(&pax), b"pax");
    assert_eq!(
        pax.metadata().map_err(e)?.mtime,
        Nanos(1_700_000_000 * NANOS_PER_SEC + 250_000_000)
    );
    assert_eq!(
        walk(&root, "run/fifo").map_err(e)?.file_type(),
        FileType::Fifo
    );
    assert_eq!(
        walk(&root, "dev/null").err(),
        Some(meridian_core::Error::NotFound)
    );
    Ok(())
}

#[test]
fn gzip_is_detected_by_its_magic() -> TestResult {
    let (tree, report) = load_bytes(&gzip(&sample()?)?)?;
    assert!(report.gzip);
    assert_eq!(report.entries, 10);
    let root = build(tree).map_err(|e| format!("{e:?}"))?;
    let os = walk(&root, "etc/os-release").map_err(|e| format!("{e:?}"))?;
    assert_eq!(read_all(&os), b"NAME=\"Meridian test\"\n");
    Ok(())
}

fn error_text(bytes: &[u8]) -> String {
    match load_bytes(bytes) {
        Ok(_) => "loaded".to_string(),
        Err(e) => e.to_string(),
    }
}

/// An archive of one regular file whose stored name is exactly `name` (bypassing the
/// writer's own checks, as a hostile archive would).
fn raw_named(name: &[u8]) -> io::Result<Vec<u8>> {
    let mut h = header(tar::EntryType::Regular, 0o644, 1, 0);
    let field = &mut h.as_old_mut().name;
    field.fill(0);
    field
        .get_mut(..name.len())
        .ok_or_else(|| io::Error::other("name too long"))?
        .copy_from_slice(name);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.push(b'x');
    out.resize(512 * 2, 0);
    out.resize(512 * 4, 0);
    Ok(out)
}

#[test]
fn malformed_archives_are_refused_with_a_reason() -> TestResult {
    let good = sample()?;
    // Truncated in the middle of a file's data.
    let text = error_text(good.get(..512 * 2 + 10).ok_or("short")?);
    assert!(
        text.contains("test.tar") && text.contains("truncated"),
        "{text}"
    );
    // Garbage.
    let text = error_text(
        b"this is not an archive at all, just some text\n"
            .repeat(30)
            .as_slice(),
    );
    assert!(text.contains("not a tar archive"), "{text}");
    // A flipped byte in the second header.
    let mut bad = good.clone();
    let second = 512;
    if let Some(b) = bad.get_mut(second + 100) {
        *b ^= 0x01;
    }
    let text = error_text(&bad);
    assert!(text.contains("checksum"), "{text}");
    // Path traversal and absolute names.
    let text = error_text(&raw_named(b"../escape")?);
    assert!(
        text.contains("\"../escape\"") && text.contains("traversal"),
        "{text}"
    );
    let text = error_text(&raw_named(b"./a/../../escape")?);
    assert!(text.contains("traversal"), "{text}");
    let text = error_text(&raw_named(b"/etc/passwd")?);
    assert!(text.contains("absolute"), "{text}");
    // Corrupt gzip data.
    let mut gz = gzip(&good)?;
    let mid = gz.len() / 2;
    for b in gz.get_mut(mid..mid + 16).into_iter().flatten() {
        *b ^= 0xa5;
    }
    let text = error_text(&gz);
    assert!(text.contains("gzip"), "{text}");
    // Empty input, an archive of only end blocks.
    assert!(error_text(b"").contains("no entries"));
    assert!(error_text(&[0u8; 1024]).contains("no entries"));
    Ok(())
}

#[test]
fn hard_links_to_nothing_and_limits() -> TestResult {
    let mut b = tar::Builder::new(Vec::new());
    let mut link = header(tar::EntryType::Link, 0o644, 0, 0);
    b.append_link(&mut link, "a", "missing")?;
    let text = error_text(&b.into_inner()?);
    assert!(text.contains("\"missing\""), "{text}");

    let small = ImageLimits {
        max_data_bytes: 1000,
        ..ImageLimits::default()
    };
    let mut b = tar::Builder::new(Vec::new());
    let big = vec![7u8; 4000];
    b.append_data(
        &mut header(tar::EntryType::Regular, 0o644, big.len() as u64, 0),
        "big",
        &big[..],
    )?;
    let archive = b.into_inner()?;
    let text = match load("big.tar", archive.as_slice(), small) {
        Ok(_) => "loaded".to_string(),
        Err(e) => e.to_string(),
    };
    assert!(
        text.contains("too large") && text.contains("1000"),
        "{text}"
    );
    // A header that claims far more data than the file holds is refused on the limit
    // before anything is read.
    let mut h = header(tar::EntryType::Regular, 0o644, 1 << 40, 0);
    h.set_path("huge")?;
    h.set_cksum();
    let mut lying = h.as_bytes().to_vec();
    lying.resize(512 * 8, 1);
    let text = match load("lying.tar", lying.as_slice(), small) {
        Ok(_) => "loaded".to_string(),
        Err(e) => e.to_string(),
    };
    assert!(
        text.contains("too large") || text.contains("truncated"),
        "{text}"
    );
    Ok(())
}

#[test]
fn pax_times() {
    assert_eq!(parse_pax_time(b"12"), Some(Nanos(12 * NANOS_PER_SEC)));
    assert_eq!(
        parse_pax_time(b"1.000000001"),
        Some(Nanos(NANOS_PER_SEC + 1))
    );
    assert_eq!(parse_pax_time(b"-5.5"), Some(Nanos(0)));
    assert_eq!(parse_pax_time(b"x"), None);
    assert_eq!(parse_pax_time(b"1.x"), None);
}
