//! `meridian`: run an unmodified Linux program inside the Meridian library OS.
//!
//! Wires the Linux host platform to the shim: parses the command line into a boot spec
//! (mounts, environment, working directory), prepares the host (guest address range, host
//! volumes), boots the kernel, installs the seccomp filter and jumps to the program. Also
//! prints the syscall support table (`meridian syscalls`).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use meridian_platform_linux::LinuxPlatform;
use meridian_platform_linux::host::HostDir;
use meridian_shim::loader::LoadError;
use meridian_shim::setup::{BootError, BootSpec, LowerSpec, MountSpec};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

mod explain;
mod rootfs;

mod syscalls_doc;

use meridian::policy::{self, LogLevel, MountKind, Policy};

/// Exit status when Meridian itself fails before the program runs (like `env`/`docker`).
const EXIT_MERIDIAN_ERROR: i32 = 125;

#[derive(Parser)]
#[command(
    name = "meridian",
    version,
    about = "Run unmodified Linux programs inside the Meridian library OS sandbox.",
    long_about = "Run unmodified Linux x86-64 programs inside the Meridian library OS: every system call the program makes is served by Meridian in Rust, and the host kernel only sees a small allowlist fixed before the program starts.\n\nExamples:\n  meridian run -- /usr/bin/python3 -c 'print(1+1)'\n  meridian run --mount ./data:/data:ro --workdir /data -- busybox ls -la\n  meridian run --policy sandbox.toml --limit memory=1G -- ./tool\n  meridian policy explain --policy sandbox.toml\n  meridian run --trace -- /bin/true"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run PROGRAM inside a sandbox with the default policy plus the given options.
    ///
    /// By default the sandbox sees host /usr, /bin, /sbin, /lib and /lib64 read-only (or, with
    /// --rootfs, a tar image instead), an in-memory /tmp, /root (home) and /run, a synthetic
    /// /etc, /dev and /proc, and nothing else of the host unless mounted with --mount or a
    /// policy file (--policy, docs/policy.md). PROGRAM is looked up on the sandbox's PATH. The exit
    /// status is the program's; death by signal N exits 128+N; 127 means the program was not
    /// found, 126 that it could not be executed, 125 that Meridian itself failed.
    Run(RunArgs),
    /// Show what a sandbox would be given, and why.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print the syscall support table (Markdown), or check a file against it.
    Syscalls {
        /// Compare with this file instead of printing; exit 1 if it differs.
        #[arg(long, value_name = "FILE")]
        check: Option<PathBuf>,
    },
}

/// What a sandbox is made of (shared by `run` and `policy explain`).
#[derive(clap::Args)]
struct SandboxArgs {
    /// Read the sandbox's policy from this TOML file (see docs/policy.md); the options below
    /// add to it or override it.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Mount a host directory, read-write unless `:ro` is given (repeatable). A mount at the
    /// same target as one of the policy file's replaces it.
    #[arg(long = "mount", value_name = "HOST:GUEST[:ro|:rw]")]
    mounts: Vec<String>,
    /// Mount an empty in-memory filesystem, optionally limited in size (repeatable).
    #[arg(long = "tmpfs", value_name = "GUEST[:SIZE]")]
    tmpfs: Vec<String>,
    /// Use a tar image (plain or gzip) as the root filesystem, with an in-memory layer on
    /// top that takes the program's changes (the image file is never modified).
    #[arg(long, value_name = "IMAGE")]
    rootfs: Option<PathBuf>,
    /// Set an environment variable for the program (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    env: Vec<String>,
    /// Working directory inside the sandbox [default: /].
    #[arg(long, value_name = "DIR")]
    workdir: Option<String>,
    /// The program's user and group ids inside the sandbox [default: 0:0].
    #[arg(long, value_name = "UID[:GID]")]
    user: Option<String>,
    /// A resource limit (repeatable): memory=SIZE (each process's address space, and the
    /// in-memory files of the sandbox together: half of RAM when not set), processes=N,
    /// open_files=N, cpu_seconds=N, file_size=SIZE.
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    limits: Vec<String>,
    /// Allow memory that is writable and executable at once (JIT compilers such as Java's).
    #[arg(long)]
    allow_jit: bool,
    /// Which of the program's system calls to report on stderr [default: unsupported].
    #[arg(long, value_enum, value_name = "LEVEL")]
    log: Option<LogLevel>,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print the mounts, environment and working directory a `meridian run` with these options
    /// would give its program, the host system calls Meridian itself may then make (each with
    /// its reason and argument constraint), and the protections under them.
    Explain(SandboxArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    sandbox: SandboxArgs,
    /// Print one line per system call on stderr (name, arguments, result or errno); the
    /// same as `--log trace`.
    #[arg(long)]
    trace: bool,
    /// The program and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        value_name = "PROGRAM [ARGS]..."
    )]
    program: Vec<std::ffi::OsString>,
}

/// Every allocation made while the library OS serves a trap comes from the shared kernel heap
/// (docs/decisions.md D16); all others from the system allocator.
#[global_allocator]
static ALLOCATOR: meridian_platform_linux::kheap::KernelHeapAlloc =
    meridian_platform_linux::kheap::KernelHeapAlloc;

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => match run(args) {
            Ok(never) => match never {},
            Err(e) => {
                eprintln!("meridian: {e:#}");
                EXIT_MERIDIAN_ERROR
            }
        },
        Command::Policy(PolicyCommand::Explain(args)) => match explain::print(&args) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("meridian: {e:#}");
                EXIT_MERIDIAN_ERROR
            }
        },
        Command::Syscalls { check } => syscalls_doc::command(check.as_deref()),
    };
    std::process::exit(code);
}

/// The synthetic /etc (DESIGN §5). A guest that runs as another user than root finds itself
/// in passwd and group as `user`, with its home in /tmp.
fn etc_files(uid: u32, gid: u32, hostname: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut passwd = String::from(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    );
    let mut group = String::from("root:x:0:\nnogroup:x:65534:\n");
    if uid != 0 && uid != 65534 {
        passwd.push_str(&format!("user:x:{uid}:{gid}:user:/tmp:/bin/sh\n"));
    }
    if gid != 0 && gid != 65534 {
        group.push_str(&format!("user:x:{gid}:\n"));
    }
    // The host name resolves, as Debian's installer writes it (`hostname -f` works).
    let hosts = format!(
        "127.0.0.1\tlocalhost\n127.0.1.1\t{hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    );
    [
        ("passwd", passwd.as_str()),
        ("group", group.as_str()),
        ("hosts", hosts.as_str()),
        ("resolv.conf", "# Meridian: no network in this sandbox\n"),
        (
            "nsswitch.conf",
            "passwd: files\ngroup: files\nhosts: files\n",
        ),
    ]
    .iter()
    .map(|(n, c)| (n.as_bytes().to_vec(), c.as_bytes().to_vec()))
    .collect()
}

fn host_release() -> Vec<u8> {
    std::fs::read("/proc/sys/kernel/osrelease")
        .map(|mut v| {
            v.retain(|&b| b != b'\n');
            v
        })
        .unwrap_or_else(|_| b"6.1.0".to_vec())
}

/// The policy of `args`: the defaults, then the policy file, then the flags.
fn resolve(args: &SandboxArgs) -> Result<Policy> {
    let mut p = policy::default_policy();
    if let Some(file) = &args.policy {
        p.load_file(file)?;
    }
    if let Some(r) = &args.rootfs {
        let r = std::fs::canonicalize(r)
            .with_context(|| format!("--rootfs {}: no such file", r.display()))?;
        if !r.is_file() {
            bail!(
                "--rootfs {}: not a regular file (an image is a tar file, plain or gzip)",
                r.display()
            );
        }
        p.rootfs = Some(r);
    }
    // A flag's mount replaces the file's at the same target; two flags at one target conflict.
    let mut flag_targets = std::collections::BTreeMap::new();
    let flag_mounts = args.mounts.iter().map(|m| policy::parse_mount_flag(m));
    let flag_tmpfs = args.tmpfs.iter().map(|t| policy::parse_tmpfs_flag(t));
    for m in flag_mounts.chain(flag_tmpfs) {
        let m = m?;
        if let Some(first) = flag_targets.insert(m.target.clone(), m.origin.clone()) {
            bail!(
                "{}: {} is already mounted by {first}
  hint: give each target one mount",
                m.origin,
                m.target
            );
        }
        p.add_mount(m);
    }
    for kv in &args.env {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--env {kv:?}: expected K=V")
        };
        p.set_env(k, v)
            .map_err(|e| anyhow::anyhow!("--env {kv:?}: {e}"))?;
    }
    if let Some(w) = &args.workdir {
        if !w.starts_with('/') {
            bail!("--workdir {w:?}: must be an absolute path inside the sandbox");
        }
        p.workdir = w.clone();
    }
    if let Some(u) = &args.user {
        let (uid, gid) = match u.split_once(':') {
            Some((a, b)) => (a.parse(), b.parse()),
            None => (u.parse(), u.parse()),
        };
        let (Ok(uid), Ok(gid)) = (uid, gid) else {
            bail!("--user {u:?}: expected numeric UID or UID:GID, e.g. --user 1000:1000")
        };
        (p.uid, p.gid) = (uid, gid);
    }
    p.set_user_defaults();
    for l in &args.limits {
        policy::apply_limit_flag(&mut p, l)?;
    }
    if args.allow_jit {
        p.jit = true;
    }
    if let Some(l) = args.log {
        p.log = l;
    }
    Ok(p)
}

/// The sandbox a policy describes, in the boot's terms: host volumes (opened by the
/// platform, in this order), the guest's mounts, environment and working directory.
struct Plan {
    volumes: Vec<HostDir>,
    mounts: Vec<MountSpec>,
    env: Vec<Vec<u8>>,
    workdir: Vec<u8>,
}

/// Turn a policy into a boot plan.
fn plan(p: &Policy) -> Result<Plan> {
    let mut volumes: Vec<HostDir> = Vec::new();
    let mut mounts: Vec<MountSpec> = match &p.rootfs {
        Some(image) => rootfs::mounts(image)?,
        None => Vec::new(),
    };
    // The default root of DESIGN §5: host system directories read-only; symlinked ones
    // (e.g. /bin -> usr/bin on merged-/usr systems) become the same symlinks.
    for dir in p.default_root_dirs() {
        let path = std::path::Path::new(dir);
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(path)?;
                mounts.push(MountSpec::Symlink {
                    guest: dir.as_bytes().to_vec(),
                    target: target.as_os_str().as_bytes().to_vec(),
                });
            }
            Ok(m) if m.is_dir() => {
                mounts.push(MountSpec::Host {
                    guest: dir.as_bytes().to_vec(),
                    vol: volumes.len() as u32,
                    read_only: true,
                });
                volumes.push(HostDir {
                    path: path.to_path_buf(),
                    writable: false,
                });
            }
            _ => {}
        }
    }
    for m in &p.mounts {
        let guest = m.target.as_bytes().to_vec();
        match &m.kind {
            MountKind::Host { source, read_only } => {
                mounts.push(MountSpec::Host {
                    guest,
                    vol: volumes.len() as u32,
                    read_only: *read_only,
                });
                volumes.push(HostDir {
                    path: source.clone(),
                    writable: !read_only,
                });
            }
            MountKind::Tmpfs { size, inodes } => mounts.push(MountSpec::Tmpfs {
                guest,
                size_bytes: *size,
                inodes: *inodes,
            }),
            MountKind::Image { source } => mounts.push(MountSpec::Image {
                guest,
                image: rootfs::load(source, &m.origin)?,
            }),
            MountKind::Overlay { source } => {
                let lower = if source.is_dir() {
                    volumes.push(HostDir {
                        path: source.clone(),
                        writable: false,
                    });
                    LowerSpec::Host {
                        vol: volumes.len() as u32 - 1,
                    }
                } else {
                    LowerSpec::Image(rootfs::load(source, &m.origin)?)
                };
                mounts.push(MountSpec::Overlay { guest, lower });
            }
        }
    }
    Ok(Plan {
        volumes,
        mounts,
        env: p.env.iter().map(|e| e.as_bytes().to_vec()).collect(),
        workdir: p.workdir.as_bytes().to_vec(),
    })
}

fn run(args: RunArgs) -> Result<std::convert::Infallible> {
    // First: the platform raises some of its own and sets others.
    let inherited = meridian_platform_linux::limits::inherited().to_vec();
    let mut policy = resolve(&args.sandbox)?;
    if args.trace {
        policy.log = LogLevel::Trace;
    }
    let Plan {
        volumes,
        mounts,
        env,
        workdir,
    } = plan(&policy)?;
    let argv: Vec<Vec<u8>> = args.program.iter().map(|a| a.as_bytes().to_vec()).collect();
    let spec = BootSpec {
        mounts,
        etc: etc_files(policy.uid, policy.gid, &policy.hostname),
        program: argv.first().cloned().unwrap_or_default(),
        argv,
        envp: env,
        workdir,
        cpuinfo: std::fs::read("/proc/cpuinfo").unwrap_or_default(),
        meminfo: std::fs::read("/proc/meminfo").unwrap_or_default(),
    };
    // Read before the platform hardens the process: Landlock then refuses host paths outside
    // the volumes.
    let release = host_release();
    let guest_tasks = guest_tasks(&policy, &inherited);
    let platform =
        LinuxPlatform::new(&volumes, guest_tasks, policy.limits.memory)?.allow_jit(policy.jit);
    let platform: &'static LinuxPlatform = Box::leak(Box::new(platform));
    let config = meridian_shim::Config {
        trace: policy.log == LogLevel::Trace,
        quiet: policy.log == LogLevel::Off,
        hwcap: meridian_platform_linux::host_hwcaps(),
        hostname: policy.hostname.clone().into_bytes(),
        release,
        memory: meridian_platform_linux::host_memory(),
        limits: policy.limits,
        inherited_rlimits: inherited,
        uid: policy.uid,
        gid: policy.gid,
    };
    // The kernel is built in the shared kernel heap: its objects are the sandbox's, shared
    // by every process a fork makes.
    let booted = meridian_platform_linux::kheap::kernel_mode(|| {
        meridian_shim::setup::boot(platform, config, &spec)
            .map(|(kernel, ctx)| (&*Box::leak(Box::new(kernel)), ctx))
    });
    let (kernel, ctx): (
        &'static std::sync::Arc<meridian_shim::Kernel<LinuxPlatform>>,
        _,
    ) = match booted {
        Ok(k) => k,
        Err(e) => std::process::exit(report_boot_error(e)),
    };
    let handler: &'static meridian_shim::Kernel<LinuxPlatform> = kernel.as_ref();
    meridian_platform_linux::harden::limit_resources(
        &meridian_platform_linux::harden::HostLimits {
            cpu_seconds: policy.limits.cpu_seconds,
            file_size: policy.limits.file_size,
            open_files: policy.limits.open_files,
        },
    )?;
    platform.lock_down(handler, 1)?;
    platform.run(&ctx)
}

/// How many tasks the guest may have at once: the policy's process limit (the library OS's
/// default when it sets none), within the guest's hard RLIMIT_NPROC.
fn guest_tasks(policy: &Policy, inherited: &[(u64, u64)]) -> u64 {
    const RLIMIT_NPROC: u32 = 6;
    let rlimits = meridian_shim::task_calls::rlimits_for(&policy.limits, inherited);
    let hard = rlimits.get(&RLIMIT_NPROC).map_or(u64::MAX, |l| l.1);
    policy
        .limits
        .processes
        .unwrap_or(meridian_shim::process::DEFAULT_MAX_PROCESSES)
        .min(hard)
}

fn report_boot_error(e: BootError) -> i32 {
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match e {
        BootError::Load(LoadError::NotFound(p)) => {
            eprintln!(
                "meridian: {}: not found in the sandbox (is it on the sandbox's PATH, or its directory mounted?)",
                s(&p)
            );
            127
        }
        BootError::Load(LoadError::NotExecutable(p, why)) => {
            eprintln!("meridian: {}: cannot execute: {why}", s(&p));
            126
        }
        BootError::Load(LoadError::NoMemory) => {
            eprintln!("meridian: out of memory while loading the program");
            126
        }
        BootError::Workdir(p) => {
            eprintln!(
                "meridian: --workdir {}: no such directory in the sandbox",
                s(&p)
            );
            EXIT_MERIDIAN_ERROR
        }
        BootError::Filesystem(p, err) => {
            eprintln!(
                "meridian: building the sandbox filesystem at {}: {err:?}",
                s(&p)
            );
            EXIT_MERIDIAN_ERROR
        }
    }
}
