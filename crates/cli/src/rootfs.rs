//! `--rootfs IMAGE`: a tar image (plain or gzip) with an in-memory overlay on top becomes the
//! sandbox's root instead of the default one. The image is read and checked here, before the
//! platform is set up, so a malformed image stops the run before anything starts.

use anyhow::{Context, Result};
use meridian_core::fs::image::{ImageLimits, SharedImage};
use meridian_shim::setup::{LowerSpec, MountSpec};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The mounts of a sandbox rooted at `image`: the image under a writable overlay at `/`, and
/// an in-memory /tmp (/dev and /proc are always mounted by the boot code).
pub fn mounts(image: &Path) -> Result<Vec<MountSpec>> {
    let (tree, _report) = meridian_image::load_file(image, ImageLimits::default())
        .with_context(|| format!("--rootfs {}", image.display()))?;
    let image = SharedImage::new(image.as_os_str().as_bytes(), tree);
    Ok(vec![
        MountSpec::Overlay {
            guest: b"/".to_vec(),
            lower: LowerSpec::Image(image),
        },
        MountSpec::Tmpfs {
            guest: b"/tmp".to_vec(),
        },
    ])
}
