//! Tar images for the sandbox: `--rootfs IMAGE` / `rootfs = "…"` (an image with an in-memory
//! overlay on top becomes the root instead of the default one) and `image`/`overlay` mounts.
//! Images are read and checked here, before the platform is set up, so a malformed image
//! stops the run before anything starts.

use anyhow::{Context, Result};
use meridian_core::fs::image::{ImageLimits, SharedImage};
use meridian_shim::setup::{LowerSpec, MountSpec};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Read and check the tar image at `path` (`what` names it in errors).
pub fn load(path: &Path, what: &str) -> Result<SharedImage> {
    let (tree, _report) = meridian_image::load_file(path, ImageLimits::default())
        .with_context(|| format!("{what} {}", path.display()))?;
    Ok(SharedImage::new(path.as_os_str().as_bytes(), tree))
}

/// The mounts of a sandbox rooted at `image`: the image under a writable overlay at `/`, and
/// an in-memory /tmp (/dev and /proc are always mounted by the boot code).
pub fn mounts(image: &Path) -> Result<Vec<MountSpec>> {
    Ok(vec![
        MountSpec::Overlay {
            guest: b"/".to_vec(),
            lower: LowerSpec::Image(load(image, "--rootfs")?),
        },
        MountSpec::Tmpfs {
            guest: b"/tmp".to_vec(),
            size_bytes: None,
            inodes: None,
        },
    ])
}
