//! The sandbox policy (DESIGN §7): one description of a sandbox — mounts, root filesystem,
//! environment, working directory, identity, limits, JIT, syscall log level — read from a
//! TOML file and/or command-line flags, checked before anything runs, and resolved into a
//! [`Policy`] from which the runner derives both the library OS's configuration and the host
//! filter's features.
//!
//! Every error names the file, the line and what to do; unknown keys are errors (a typo must
//! not silently widen or narrow a sandbox). Relative host paths in a file are relative to the
//! file's directory; on the command line, to the current directory.
//!
//! The schema is documented in `docs/policy.md`; `meridian policy explain` prints a resolved
//! policy.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Guest paths that belong to the library OS's synthetic filesystems.
const RESERVED_TARGETS: &[&str] = &["/proc", "/dev"];
/// Host system directories the default root mounts read-only (DESIGN §5).
const DEFAULT_ROOT_DIRS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
];
/// The guest's default PATH.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The keys of `[limits]`.
const LIMIT_KEYS: &[&str] = &[
    "memory",
    "processes",
    "open_files",
    "cpu_seconds",
    "file_size",
];
/// Largest policy file read.
const MAX_POLICY_BYTES: u64 = 1 << 20;

/// A policy error: where, what, and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}{}", hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
pub struct PolicyError {
    /// `file:line:column`, or the command-line flag.
    pub location: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

/// How much of the guest's system-call activity is reported on stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Nothing.
    Off,
    /// Each unsupported call or flag, once.
    #[default]
    Unsupported,
    /// Every call, with arguments and result.
    Trace,
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogLevel::Off => "off",
            LogLevel::Unsupported => "unsupported",
            LogLevel::Trace => "trace",
        })
    }
}

/// What a mount is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountKind {
    /// A host directory.
    Host {
        /// Canonical host path.
        source: PathBuf,
        /// Writes fail with EROFS.
        read_only: bool,
    },
    /// An in-memory filesystem, private to the sandbox.
    Tmpfs {
        /// Size limit in bytes (ENOSPC beyond it).
        size: Option<u64>,
        /// Most files and directories (ENOSPC beyond it).
        inodes: Option<u64>,
    },
    /// A read-only image from a tar file (plain or gzip).
    Image {
        /// Canonical host path of the tar file.
        source: PathBuf,
    },
    /// A writable in-memory layer over a read-only host directory or tar image.
    Overlay {
        /// Canonical host path of the lower layer (a directory or a tar file).
        source: PathBuf,
    },
}

/// One mount of a resolved policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Absolute guest path, normalised.
    pub target: String,
    /// What is mounted.
    pub kind: MountKind,
    /// Where it was given (`file:line` or `--mount`), for messages.
    pub origin: String,
}

/// Resource limits; `None` means the library OS's default (the shim's own type: the policy
/// hands them over as they are).
pub use meridian_shim::Limits;

/// A resolved policy: defaults, then the file, then the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The policy file, if one was given.
    pub file: Option<PathBuf>,
    /// Mounts in order (a later mount at the same target replaces an earlier one).
    pub mounts: Vec<Mount>,
    /// Tar image used as the root (with an in-memory overlay), instead of the default root.
    pub rootfs: Option<PathBuf>,
    /// Environment, `K=V`.
    pub env: Vec<String>,
    /// Working directory inside the sandbox.
    pub workdir: String,
    /// The guest's user and group ids.
    pub uid: u32,
    /// See `uid`.
    pub gid: u32,
    /// Host name the guest sees.
    pub hostname: String,
    /// System-call log level.
    pub log: LogLevel,
    /// Whether memory may be writable and executable at once (JIT compilers).
    pub jit: bool,
    /// Resource limits.
    pub limits: Limits,
}

/// The policy file's schema (see docs/policy.md).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSchema {
    workdir: Option<Spanned<String>>,
    rootfs: Option<Spanned<String>>,
    uid: Option<u32>,
    gid: Option<u32>,
    hostname: Option<Spanned<String>>,
    log: Option<LogLevel>,
    jit: Option<bool>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    mount: Vec<Spanned<MountSchema>>,
    #[serde(default)]
    limits: LimitsSchema,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum MountType {
    Host,
    Tmpfs,
    Image,
    Overlay,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MountSchema {
    #[serde(rename = "type")]
    kind: MountType,
    source: Option<Spanned<String>>,
    target: Spanned<String>,
    read_only: Option<bool>,
    size: Option<Spanned<Size>>,
    inodes: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LimitsSchema {
    memory: Option<Spanned<Size>>,
    processes: Option<u64>,
    open_files: Option<u64>,
    cpu_seconds: Option<u64>,
    file_size: Option<Spanned<Size>>,
}

/// A byte count: an integer, or a string like `"64M"` or `"1GiB"` (binary multiples).
#[derive(Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

/// Parse `"512"`, `"64K"`, `"64M"`, `"1G"`, `"2T"` (optionally followed by `B` or `iB`).
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (digits, shift) = match t.char_indices().last()? {
        (i, 'K' | 'k') => (&t[..i], 10),
        (i, 'M' | 'm') => (&t[..i], 20),
        (i, 'G' | 'g') => (&t[..i], 30),
        (i, 'T' | 't') => (&t[..i], 40),
        _ => (t, 0),
    };
    let n: u64 = digits.trim().parse().ok()?;
    n.checked_mul(1u64 << shift)
}

/// Where in a file a span starts, as `file:line:column`.
fn locate(file: &Path, text: &str, span: std::ops::Range<usize>) -> String {
    let before = text.get(..span.start.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{}:{line}:{col}", file.display())
}

/// How the pieces of a policy are given: a file (with its text, for line numbers) or flags.
struct Source<'a> {
    file: Option<(&'a Path, &'a str)>,
}

impl Source<'_> {
    fn at(&self, span: std::ops::Range<usize>, flag: &str) -> String {
        match self.file {
            Some((f, text)) => locate(f, text, span),
            None => flag.to_string(),
        }
    }
    fn base_dir(&self) -> PathBuf {
        match self.file {
            Some((f, _)) => f
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            None => PathBuf::from("."),
        }
    }
}

fn err(location: String, message: impl Into<String>, hint: Option<&str>) -> PolicyError {
    PolicyError {
        location,
        message: message.into(),
        hint: hint.map(str::to_string),
    }
}

/// Normalise an absolute guest path (`..` is refused: it would hide where a mount goes): no `.` components, no repeated or trailing `/`.
fn guest_path(p: &str) -> Result<String, &'static str> {
    if !p.starts_with('/') {
        return Err("must be an absolute path inside the sandbox");
    }
    if p.bytes().any(|b| b == 0) {
        return Err("contains a NUL byte");
    }
    let mut out = String::new();
    for c in p.split('/').filter(|c| !c.is_empty() && *c != ".") {
        if c == ".." {
            return Err("must not contain `..` components");
        }
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// A host path that must exist, made absolute and canonical.
fn host_path(base: &Path, p: &str) -> std::io::Result<PathBuf> {
    std::fs::canonicalize(base.join(p))
}

fn size_value(s: &Size) -> Option<u64> {
    match s {
        Size::Bytes(n) => Some(*n),
        Size::Text(t) => parse_size(t),
    }
}

/// The sandbox's defaults (DESIGN §5): what `meridian run PROGRAM` gets.
pub fn default_policy() -> Policy {
    let mut env = vec![
        format!("PATH={DEFAULT_PATH}"),
        "HOME=/root".to_string(),
        "USER=root".to_string(),
    ];
    if let Ok(term) = std::env::var("TERM") {
        env.push(format!("TERM={term}"));
    }
    Policy {
        file: None,
        mounts: Vec::new(),
        rootfs: None,
        env,
        workdir: "/".to_string(),
        uid: 0,
        gid: 0,
        hostname: "meridian".to_string(),
        log: LogLevel::Unsupported,
        jit: false,
        limits: Limits::default(),
    }
}

impl Policy {
    /// Read and check a policy file on top of `self`.
    pub fn load_file(&mut self, path: &Path) -> Result<(), PolicyError> {
        let here = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| {
            err(
                here.clone(),
                format!("cannot read the policy file: {e}"),
                Some("check the path given to --policy"),
            )
        })?;
        if meta.len() > MAX_POLICY_BYTES {
            return Err(err(
                here,
                format!("the policy file is {} bytes; at most 1 MiB", meta.len()),
                None,
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            err(
                here.clone(),
                format!("cannot read the policy file: {e}"),
                Some("a policy is a UTF-8 TOML file"),
            )
        })?;
        self.apply_toml(path, &text)?;
        self.file = Some(path.to_path_buf());
        Ok(())
    }

    /// Apply policy text (the contents of `path`) on top of `self`.
    pub fn apply_toml(&mut self, path: &Path, text: &str) -> Result<(), PolicyError> {
        let schema: FileSchema = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map_or_else(|| path.display().to_string(), |s| locate(path, text, s));
            let message = e.message().to_string();
            let misplaced = LIMIT_KEYS
                .iter()
                .find(|k| message.starts_with(&format!("unknown field `{k}`")));
            let hint = match misplaced {
                Some(k) => format!("`{k}` is a limit: put it under [limits]"),
                None => "see docs/policy.md for the keys a policy may have".to_string(),
            };
            PolicyError {
                location: at,
                message,
                hint: Some(hint),
            }
        })?;
        let src = Source {
            file: Some((path, text)),
        };
        self.apply(&src, schema)
    }

    fn apply(&mut self, src: &Source<'_>, f: FileSchema) -> Result<(), PolicyError> {
        let base = src.base_dir();
        if let Some(w) = &f.workdir {
            self.workdir = guest_path(w.get_ref())
                .map_err(|m| err(src.at(w.span(), "--workdir"), format!("workdir {m}"), None))?;
        }
        if let Some(r) = &f.rootfs {
            self.rootfs =
                Some(image_file(&base, r.get_ref()).map_err(|(m, h)| {
                    err(src.at(r.span(), "--rootfs"), format!("rootfs: {m}"), h)
                })?);
        }
        if let Some(u) = f.uid {
            self.uid = u;
        }
        if let Some(g) = f.gid {
            self.gid = g;
        }
        if let Some(h) = &f.hostname {
            let name = h.get_ref();
            if name.is_empty() || name.len() > 64 || name.bytes().any(|b| b == 0 || b == b'/') {
                return Err(err(
                    src.at(h.span(), "--hostname"),
                    format!("hostname {name:?} is not a valid host name"),
                    Some("1 to 64 characters, no `/`"),
                ));
            }
            self.hostname = name.clone();
        }
        if let Some(l) = f.log {
            self.log = l;
        }
        if let Some(j) = f.jit {
            self.jit = j;
        }
        for (k, v) in &f.env {
            self.set_env(k, v)
                .map_err(|m| err(src.at(0..0, "--env"), m, None))?;
        }
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for m in &f.mount {
            let mount = mount_of(src, &base, m)?;
            if let Some(first) = seen.get(&mount.target) {
                return Err(err(
                    mount.origin.clone(),
                    format!("{} is mounted twice (first at {first})", mount.target),
                    Some("remove one of the mounts or choose another target"),
                ));
            }
            seen.insert(mount.target.clone(), mount.origin.clone());
            self.add_mount(mount);
        }
        let l = &f.limits;
        let size_limit =
            |s: &Option<Spanned<Size>>, key: &str| -> Result<Option<u64>, PolicyError> {
                match s {
                    None => Ok(None),
                    Some(v) => size_value(v.get_ref())
                        .filter(|&n| n > 0)
                        .map(Some)
                        .ok_or_else(|| {
                            err(
                                src.at(v.span(), "--limit"),
                                format!("limits.{key} is not a size"),
                                Some("a number of bytes, or a string like \"512M\" or \"2G\""),
                            )
                        }),
                }
            };
        if let Some(m) = size_limit(&l.memory, "memory")? {
            self.limits.memory = Some(m);
        }
        if let Some(m) = size_limit(&l.file_size, "file_size")? {
            self.limits.file_size = Some(m);
        }
        for (value, slot) in [
            (l.processes, &mut self.limits.processes),
            (l.open_files, &mut self.limits.open_files),
            (l.cpu_seconds, &mut self.limits.cpu_seconds),
        ] {
            if let Some(v) = value {
                *slot = Some(v);
            }
        }
        self.check_limits(src)
    }

    fn check_limits(&self, src: &Source<'_>) -> Result<(), PolicyError> {
        let at = || src.at(0..0, "--limit");
        if self.limits.processes == Some(0) {
            return Err(err(at(), "limits.processes must be at least 1", None));
        }
        if let Some(n) = self.limits.open_files
            && !(3..=1 << 20).contains(&n)
        {
            return Err(err(
                at(),
                format!("limits.open_files = {n}: must be between 3 (stdio) and 1048576"),
                None,
            ));
        }
        if self.limits.cpu_seconds == Some(0) {
            return Err(err(at(), "limits.cpu_seconds must be at least 1", None));
        }
        if let Some(m) = self.limits.memory
            && m < 16 << 20
        {
            return Err(err(
                at(),
                format!("limits.memory = {m} bytes: at least 16M is needed to load a program"),
                None,
            ));
        }
        Ok(())
    }

    /// For a guest that is not root: `HOME=/tmp` and `USER=user` (as the synthetic passwd
    /// says) where the environment still has root's defaults.
    pub fn set_user_defaults(&mut self) {
        if self.uid == 0 {
            return;
        }
        for (k, root_default, user_default) in [("HOME", "/root", "/tmp"), ("USER", "root", "user")]
        {
            if self.env.iter().any(|e| *e == format!("{k}={root_default}")) {
                let _ = self.set_env(k, user_default);
            }
        }
    }

    /// Set `K=V` in the environment, replacing an earlier `K`.
    pub fn set_env(&mut self, k: &str, v: &str) -> Result<(), String> {
        if k.is_empty() || k.contains('=') || k.contains('\0') || v.contains('\0') {
            return Err(format!(
                "environment variable {k:?}: a name must be non-empty without `=` or NUL"
            ));
        }
        let prefix = format!("{k}=");
        self.env.retain(|e| !e.starts_with(&prefix));
        self.env.push(format!("{k}={v}"));
        Ok(())
    }

    /// Add a mount; one at the same target replaces the earlier one (the command line
    /// overrides the file).
    pub fn add_mount(&mut self, m: Mount) {
        self.mounts.retain(|o| o.target != m.target);
        self.mounts.push(m);
    }

    /// Whether any host directory is mounted (the filter's `host-volumes` feature).
    pub fn uses_host_volumes(&self) -> bool {
        self.rootfs.is_none()
            || self.mounts.iter().any(|m| {
                matches!(m.kind, MountKind::Host { .. })
                    || matches!(&m.kind, MountKind::Overlay { source } if source.is_dir())
            })
    }

    /// The default root's host directories (none with a root image).
    pub fn default_root_dirs(&self) -> &'static [&'static str] {
        if self.rootfs.is_some() {
            &[]
        } else {
            DEFAULT_ROOT_DIRS
        }
    }
}

/// A tar file that must exist.
fn image_file(base: &Path, p: &str) -> Result<PathBuf, (String, Option<&'static str>)> {
    let path = host_path(base, p).map_err(|e| {
        (
            format!("{p:?}: {e}"),
            Some("give the path of a tar file (relative paths are relative to the policy file)"),
        )
    })?;
    if !path.is_file() {
        return Err((
            format!("{} is not a regular file", path.display()),
            Some("an image is a tar file, plain or gzip-compressed"),
        ));
    }
    Ok(path)
}

fn mount_of(src: &Source<'_>, base: &Path, m: &Spanned<MountSchema>) -> Result<Mount, PolicyError> {
    let origin = src.at(m.span(), "--mount");
    let s = m.get_ref();
    let t = &s.target;
    let target = guest_path(t.get_ref()).map_err(|msg| {
        err(
            src.at(t.span(), "--mount"),
            format!("mount target {:?} {msg}", t.get_ref()),
            None,
        )
    })?;
    if target == "/" {
        return Err(err(
            src.at(t.span(), "--mount"),
            "a mount cannot replace the root",
            Some("use `rootfs = \"image.tar\"` for a different root"),
        ));
    }
    if RESERVED_TARGETS
        .iter()
        .any(|r| target == *r || target.starts_with(&format!("{r}/")))
    {
        return Err(err(
            src.at(t.span(), "--mount"),
            format!("{target} belongs to the sandbox's synthetic /proc or /dev"),
            Some("mount somewhere else"),
        ));
    }
    let need_source = |what: &str| -> Result<&Spanned<String>, PolicyError> {
        s.source.as_ref().ok_or_else(|| {
            err(
                origin.clone(),
                format!("a {what} mount needs `source`"),
                Some("source = \"path/on/the/host\""),
            )
        })
    };
    let only = |ok: bool, key: &str, kinds: &str| -> Result<(), PolicyError> {
        if ok {
            Ok(())
        } else {
            Err(err(
                origin.clone(),
                format!("`{key}` applies only to {kinds} mounts"),
                None,
            ))
        }
    };
    only(
        s.read_only.is_none() || s.kind == MountType::Host,
        "read_only",
        "host",
    )?;
    only(
        (s.size.is_none() && s.inodes.is_none()) || s.kind == MountType::Tmpfs,
        "size/inodes",
        "tmpfs",
    )?;
    if s.kind == MountType::Tmpfs && s.source.is_some() {
        return Err(err(
            origin,
            "a tmpfs mount has no `source`",
            Some("remove `source`, or use type = \"host\""),
        ));
    }
    let kind = match s.kind {
        MountType::Host => {
            let so = need_source("host")?;
            let path = host_path(base, so.get_ref()).map_err(|e| {
                err(
                    src.at(so.span(), "--mount"),
                    format!("host path {:?} does not exist: {e}", so.get_ref()),
                    Some("create it first, or fix the path (relative to the policy file)"),
                )
            })?;
            if !path.is_dir() {
                return Err(err(
                    src.at(so.span(), "--mount"),
                    format!("{} is not a directory", path.display()),
                    Some("only directories can be mounted; mount the directory holding the file"),
                ));
            }
            MountKind::Host {
                source: path,
                read_only: s.read_only.unwrap_or(false),
            }
        }
        MountType::Tmpfs => {
            let size = match &s.size {
                None => None,
                Some(v) => Some(size_value(v.get_ref()).filter(|&n| n > 0).ok_or_else(|| {
                    err(
                        src.at(v.span(), "--mount"),
                        "size is not a size",
                        Some("a number of bytes, or a string like \"64M\""),
                    )
                })?),
            };
            MountKind::Tmpfs {
                size,
                inodes: s.inodes,
            }
        }
        MountType::Image => {
            let so = need_source("image")?;
            MountKind::Image {
                source: image_file(base, so.get_ref())
                    .map_err(|(msg, h)| err(src.at(so.span(), "--mount"), msg, h))?,
            }
        }
        MountType::Overlay => {
            let so = need_source("overlay")?;
            let path = host_path(base, so.get_ref()).map_err(|e| {
                err(
                    src.at(so.span(), "--mount"),
                    format!("overlay lower {:?} does not exist: {e}", so.get_ref()),
                    Some("a host directory or a tar file"),
                )
            })?;
            MountKind::Overlay { source: path }
        }
    };
    Ok(Mount {
        target,
        kind,
        origin,
    })
}

/// Parse `--mount HOST:GUEST[:ro|:rw]` (read-write unless `:ro`).
pub fn parse_mount_flag(s: &str) -> Result<Mount, PolicyError> {
    let at = format!("--mount {s}");
    let mut parts: Vec<&str> = s.split(':').collect();
    let read_only = match parts.last() {
        Some(&"ro") if parts.len() == 3 => {
            parts.pop();
            true
        }
        Some(&"rw") if parts.len() == 3 => {
            parts.pop();
            false
        }
        _ => false,
    };
    let [host, guest] = parts.as_slice() else {
        return Err(err(
            at,
            "expected HOST:GUEST, HOST:GUEST:ro or HOST:GUEST:rw",
            Some("host paths containing `:` need a policy file"),
        ));
    };
    let text = format!(
        "[[mount]]\ntype = \"host\"\nsource = {}\ntarget = {}\nread_only = {read_only}\n",
        toml_string(host),
        toml_string(guest)
    );
    let schema: FileSchema =
        toml::from_str(&text).map_err(|e| err(at.clone(), e.message(), None))?;
    let src = Source { file: None };
    let m = schema
        .mount
        .first()
        .ok_or_else(|| err(at.clone(), "no mount", None))?;
    let mut mount = mount_of(&src, Path::new("."), m).map_err(|mut e| {
        e.location = at.clone();
        e
    })?;
    mount.origin = at;
    Ok(mount)
}

/// Parse `--tmpfs GUEST[:SIZE]`.
pub fn parse_tmpfs_flag(s: &str) -> Result<Mount, PolicyError> {
    let at = format!("--tmpfs {s}");
    let (guest, size) = match s.split_once(':') {
        Some((g, sz)) => (
            g,
            Some(parse_size(sz).filter(|&n| n > 0).ok_or_else(|| {
                err(
                    at.clone(),
                    format!("{sz:?} is not a size"),
                    Some("e.g. 64M"),
                )
            })?),
        ),
        None => (s, None),
    };
    let target = guest_path(guest).map_err(|m| err(at.clone(), format!("target {m}"), None))?;
    if target == "/" || RESERVED_TARGETS.contains(&target.as_str()) {
        return Err(err(at, format!("cannot mount over {target}"), None));
    }
    Ok(Mount {
        target,
        kind: MountKind::Tmpfs { size, inodes: None },
        origin: at,
    })
}

/// Parse `--limit NAME=VALUE` onto `limits`.
pub fn apply_limit_flag(policy: &mut Policy, s: &str) -> Result<(), PolicyError> {
    let at = format!("--limit {s}");
    let Some((k, v)) = s.split_once('=') else {
        return Err(err(
            at,
            "expected NAME=VALUE",
            Some("e.g. --limit memory=1G, --limit open_files=256"),
        ));
    };
    let value = if matches!(k, "memory" | "file_size") {
        format!("{k} = {}", toml_string(v))
    } else {
        format!("{k} = {v}")
    };
    let text = format!("[limits]\n{value}\n");
    let schema: FileSchema = toml::from_str(&text).map_err(|e| {
        err(
            at.clone(),
            e.message().to_string(),
            Some("limits: memory, processes, open_files, cpu_seconds, file_size"),
        )
    })?;
    let src = Source { file: None };
    policy.apply(&src, schema).map_err(|mut e| {
        e.location = at;
        e
    })
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests;
