//! `meridian`: run an unmodified Linux program inside the Meridian library OS.
//!
//! Wires the Linux host platform to the shim: parses the command line into a boot spec
//! (mounts, environment, working directory), prepares the host (guest address range, host
//! volumes), boots the kernel, installs the seccomp filter and jumps to the program. Also
//! prints the syscall support table (`meridian syscalls`).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use meridian_platform_linux::LinuxPlatform;
use meridian_shim::loader::LoadError;
use meridian_shim::setup::{BootError, BootSpec, MountSpec};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

mod explain;
mod syscalls_doc;

/// Exit status when Meridian itself fails before the program runs (like `env`/`docker`).
const EXIT_MERIDIAN_ERROR: i32 = 125;

#[derive(Parser)]
#[command(
    name = "meridian",
    version,
    about = "Run unmodified Linux programs inside the Meridian library OS sandbox.",
    long_about = "Run unmodified Linux x86-64 programs inside the Meridian library OS: every system call the program makes is served by Meridian in Rust, and the host kernel only sees a small allowlist fixed before the program starts.\n\nExamples:\n  meridian run -- /usr/bin/python3 -c 'print(1+1)'\n  meridian run --mount ./data:/data:ro --workdir /data -- busybox ls -la\n  meridian run --trace -- /bin/true"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run PROGRAM inside a sandbox with the default policy plus the given options.
    ///
    /// The sandbox sees host /usr, /bin, /sbin, /lib and /lib64 read-only, an in-memory /tmp,
    /// /root (home) and /run, a synthetic /etc, /dev and /proc, and nothing else of the host
    /// unless mounted with --mount. PROGRAM is looked up on the sandbox's PATH. The exit
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
    /// Set an environment variable for the program (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    env: Vec<String>,
    /// Mount a host directory into the sandbox, read-write unless `:ro` is given (repeatable).
    #[arg(long = "mount", value_name = "HOST:GUEST[:ro]")]
    mounts: Vec<String>,
    /// Working directory inside the sandbox.
    #[arg(long, value_name = "DIR", default_value = "/")]
    workdir: String,
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
    /// Print one line per system call on stderr (name, arguments, result or errno).
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

struct Mount {
    host: PathBuf,
    guest: String,
    read_only: bool,
}

fn parse_mount(s: &str) -> Result<Mount> {
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
        bail!("--mount {s:?}: expected HOST:GUEST or HOST:GUEST:ro")
    };
    if !guest.starts_with('/') {
        bail!("--mount {s:?}: the guest path must be absolute");
    }
    let host = std::fs::canonicalize(host)
        .with_context(|| format!("--mount {s:?}: host path {host:?} does not exist"))?;
    if !host.is_dir() {
        bail!(
            "--mount {s:?}: {} is not a directory (only directories can be mounted)",
            host.display()
        );
    }
    if !read_only {
        eprintln!(
            "meridian: note: --mount {s}: read-write host volumes are not supported yet; mounting read-only"
        );
    }
    Ok(Mount {
        host,
        guest: guest.to_string(),
        read_only: true,
    })
}

fn etc_files() -> Vec<(Vec<u8>, Vec<u8>)> {
    [
        ("passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"),
        ("group", "root:x:0:\nnogroup:x:65534:\n"),
        ("hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
        ("resolv.conf", "# Meridian: no network in this sandbox\n"),
        ("nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n"),
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

/// The resolved sandbox: host volumes, the guest's mounts, environment and working directory.
struct Plan {
    volumes: Vec<PathBuf>,
    mounts: Vec<MountSpec>,
    env: Vec<Vec<u8>>,
    workdir: Vec<u8>,
}

/// Resolve the default policy plus `args` (checking mounts and environment entries).
fn plan(args: &SandboxArgs) -> Result<Plan> {
    let mut volumes: Vec<PathBuf> = Vec::new();
    let mut mounts: Vec<MountSpec> = Vec::new();
    // The default root of DESIGN §5: host system directories read-only; symlinked ones
    // (e.g. /bin -> usr/bin on merged-/usr systems) become the same symlinks.
    for dir in [
        "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
    ] {
        let p = std::path::Path::new(dir);
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(p)?;
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
                volumes.push(p.to_path_buf());
            }
            _ => {}
        }
    }
    for m in &args.mounts {
        let m = parse_mount(m)?;
        mounts.push(MountSpec::Host {
            guest: m.guest.into_bytes(),
            vol: volumes.len() as u32,
            read_only: m.read_only,
        });
        volumes.push(m.host);
    }
    let mut env: Vec<Vec<u8>> = vec![
        b"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_vec(),
        b"HOME=/root".to_vec(),
        b"USER=root".to_vec(),
    ];
    if let Ok(term) = std::env::var("TERM") {
        env.push(format!("TERM={term}").into_bytes());
    }
    for kv in &args.env {
        let Some((k, _)) = kv.split_once('=') else {
            bail!("--env {kv:?}: expected K=V")
        };
        env.retain(|e| !e.starts_with(format!("{k}=").as_bytes()));
        env.push(kv.as_bytes().to_vec());
    }
    Ok(Plan {
        volumes,
        mounts,
        env,
        workdir: args.workdir.clone().into_bytes(),
    })
}

fn run(args: RunArgs) -> Result<std::convert::Infallible> {
    let Plan {
        volumes,
        mounts,
        env,
        workdir,
    } = plan(&args.sandbox)?;
    let argv: Vec<Vec<u8>> = args.program.iter().map(|a| a.as_bytes().to_vec()).collect();
    let spec = BootSpec {
        mounts,
        etc: etc_files(),
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
    let platform: &'static LinuxPlatform = Box::leak(Box::new(LinuxPlatform::new(&volumes)?));
    let config = meridian_shim::Config {
        trace: args.trace,
        hwcap: meridian_platform_linux::host_hwcaps(),
        hostname: b"meridian".to_vec(),
        release,
        memory: meridian_platform_linux::host_memory(),
        ..meridian_shim::Config::default()
    };
    let (kernel, ctx) = match meridian_shim::setup::boot(platform, config, &spec) {
        Ok(k) => k,
        Err(e) => std::process::exit(report_boot_error(e)),
    };
    let kernel: &'static std::sync::Arc<meridian_shim::Kernel<LinuxPlatform>> =
        Box::leak(Box::new(kernel));
    let handler: &'static meridian_shim::Kernel<LinuxPlatform> = kernel.as_ref();
    platform.lock_down(handler, 1)?;
    platform.run(&ctx)
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
