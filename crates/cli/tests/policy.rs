//! The policy: a TOML file and/or flags, checked before anything runs, and what it sets in
//! the sandbox — mounts, environment, working directory, host name, log level, JIT and
//! resource limits. Limits are compared with the same program run natively under the same
//! rlimits (`prlimit`), so "the sandbox enforces it as Linux does" is what is checked.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);
const PYTHON: &str = "/usr/bin/python3";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `meridian run <options> -- <program...>`.
fn meridian_run(options: &[&str], program: &[&str]) -> Command {
    let mut cmd = Command::new(common::meridian_bin());
    cmd.arg("run").args(options).arg("--").args(program);
    cmd
}

/// stdout of `python3 -c script` run sandboxed with `options`; it must exit 0.
fn sandboxed_python(options: &[&str], script: &str) -> String {
    let out = common::run(meridian_run(options, &[PYTHON, "-c", script]), b"", TIMEOUT);
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    text(&out.stdout)
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

/// Native under `prlimit <limits>` and sandboxed with `--limit`s: same stdout and status.
fn limit_matches_native(prlimit: &[&str], limits: &[&str], script: &str) -> common::DualRun {
    let mut native = Command::new("prlimit");
    native.args(prlimit).args(["--", PYTHON, "-c", script]);
    let mut options = Vec::new();
    for l in limits {
        options.extend(["--limit", l]);
    }
    let sandbox = meridian_run(&options, &[PYTHON, "-c", script]);
    let run = common::native_vs_sandbox(native, sandbox, b"", TIMEOUT);
    if let Some(m) = run.mismatch() {
        panic!("--limit {limits:?} differs from native prlimit {prlimit:?}:\n{m}");
    }
    run
}

#[test]
fn open_files_limit_matches_native() {
    let run = limit_matches_native(
        &["--nofile=40:40"],
        &["open_files=40"],
        "import resource, os\n\
         print(resource.getrlimit(resource.RLIMIT_NOFILE))\n\
         fds = []\n\
         try:\n\
         \x20   while True: fds.append(os.open('/dev/null', os.O_RDONLY))\n\
         except OSError as e: print('stopped by', e.strerror, 'highest fd', max(fds))\n",
    );
    assert!(
        text(&run.native.stdout).contains("(40, 40)\nstopped by Too many open files highest fd 39"),
        "{}",
        text(&run.native.stdout)
    );
}

#[test]
fn memory_limit_matches_native() {
    let run = limit_matches_native(
        &["--as=268435456:268435456"],
        &["memory=256M"],
        "import resource\n\
         print(resource.getrlimit(resource.RLIMIT_AS))\n\
         small = bytearray(16 << 20)\n\
         print('16 MiB ok')\n\
         try:\n\
         \x20   big = bytearray(512 << 20)\n\
         \x20   print('512 MiB allocated')\n\
         except MemoryError: print('512 MiB: MemoryError')\n",
    );
    assert_eq!(
        text(&run.native.stdout),
        "(268435456, 268435456)\n16 MiB ok\n512 MiB: MemoryError\n"
    );
}

#[test]
fn cpu_limit_matches_native() {
    // SIGXCPU at the soft limit kills a program that does not handle it: 128 + 24.
    let run = limit_matches_native(
        &["--cpu=1:2"],
        &["cpu_seconds=1"],
        "import resource\n\
         print(resource.getrlimit(resource.RLIMIT_CPU), flush=True)\n\
         while True: pass\n",
    );
    const SIGXCPU: i32 = 24;
    assert_eq!(run.native.status, 128 + SIGXCPU);
}

#[test]
fn processes_limit_bounds_threads() {
    // Natively root is exempt from RLIMIT_NPROC, so this one is checked against Linux's
    // documented behaviour: clone fails with EAGAIN once the sandbox has `processes` tasks.
    let script = "import threading, time, resource\n\
         print(resource.getrlimit(resource.RLIMIT_NPROC))\n\
         ev = threading.Event(); started = []\n\
         try:\n\
         \x20   for i in range(10):\n\
         \x20       t = threading.Thread(target=ev.wait); t.start(); started.append(t)\n\
         except RuntimeError as e: print('stopped:', e)\n\
         print('started', len(started))\n\
         ev.set()\n\
         for t in started: t.join()\n";
    assert_eq!(
        sandboxed_python(&["--limit", "processes=4"], script),
        "(4, 4)\nstopped: can't start new thread\nstarted 3\n"
    );
}

/// Every rlimit, then descriptors opened until EMFILE.
const ALL_RLIMITS: &str = "import resource, os\n\
     for r in range(16): print(r, resource.getrlimit(r))\n\
     fds = []\n\
     try:\n\
     \x20   while True: fds.append(os.open('/dev/null', os.O_RDONLY))\n\
     except OSError as e: print('stopped by', e.strerror, 'highest fd', max(fds))\n";

/// The same program natively under `prlimit` and as `prlimit ... meridian run` (no policy
/// limits): same stdout and status. The guest starts with the rlimits Meridian inherited.
fn under_prlimit_matches_native(prlimit: &[&str], options: &[&str], script: &str) -> String {
    let mut native = Command::new("prlimit");
    native.args(prlimit).args(["--", PYTHON, "-c", script]);
    let mut sandbox = Command::new("prlimit");
    sandbox
        .args(prlimit)
        .arg("--")
        .arg(common::meridian_bin())
        .arg("run")
        .args(options)
        .args(["--", PYTHON, "-c", script]);
    let run = common::native_vs_sandbox(native, sandbox, b"", TIMEOUT);
    if let Some(m) = run.mismatch() {
        panic!("meridian run under prlimit {prlimit:?} differs from native:\n{m}");
    }
    text(&run.native.stdout)
}

/// Soft limits below their hard ones and hard ones below unlimited, one per resource the
/// library OS models or shows: each is what the guest gets, and 256 descriptors stop at 255.
#[test]
fn inherited_limits_match_native() {
    let out = under_prlimit_matches_native(
        &[
            "--nofile=256:512",
            "--stack=4194304:67108864",
            "--fsize=1073741824:2147483648",
            "--cpu=100:200",
            "--core=0:0",
            "--as=8589934592:unlimited",
            "--data=8589934592:17179869184",
            "--memlock=65536:131072",
            "--nproc=500:600",
            "--sigpending=1000:2000",
        ],
        &[],
        ALL_RLIMITS,
    );
    assert!(
        out.contains("7 (256, 512)\n") && out.contains("highest fd 255\n"),
        "{out}"
    );
}

/// The policy tightens what Meridian inherited and never loosens it: `open_files=1000`
/// under an inherited 256 leaves 256 (as `prlimit --nofile=1000` may not raise a hard limit
/// of 256); `open_files=100` gives 100, soft and hard; `memory` lowers the soft limit below
/// an inherited hard one.
#[test]
fn policy_limits_never_loosen_inherited_ones() {
    let script = "import resource\n\
         print(resource.getrlimit(resource.RLIMIT_NOFILE))\n\
         print(resource.getrlimit(resource.RLIMIT_AS))\n";
    let run = |prlimit: &[&str], limits: &[&str]| {
        let mut cmd = Command::new("prlimit");
        cmd.args(prlimit)
            .arg("--")
            .arg(common::meridian_bin())
            .arg("run");
        for l in limits {
            cmd.args(["--limit", l]);
        }
        cmd.args(["--", PYTHON, "-c", script]);
        let out = common::run(cmd, b"", TIMEOUT);
        assert_eq!(out.status, 0, "{}", text(&out.stderr));
        text(&out.stdout)
    };
    const GIB4: &str = "4294967296";
    let as_4g = format!("--as={GIB4}:unlimited");
    assert_eq!(
        run(&["--nofile=256:256", &as_4g], &["open_files=1000"]),
        format!("(256, 256)\n({GIB4}, -1)\n")
    );
    assert_eq!(
        run(
            &["--nofile=256:256", &as_4g],
            &["open_files=100", "memory=1G"]
        ),
        "(100, 100)\n(1073741824, 1073741824)\n"
    );
    assert_eq!(
        run(
            &["--nofile=200:300", &as_4g],
            &["open_files=250", "memory=8G"]
        ),
        format!("(200, 250)\n({GIB4}, 8589934592)\n")
    );
}

/// Meridian reserves 64 TiB for the guest range and 512 GiB for its kernel heap: under a
/// hard RLIMIT_AS of 1 GiB it cannot start, and says which limit it needs and what to do
/// (not, as before, something about address-space randomisation). Under a soft limit of
/// 1 GiB with an unlimited hard one it runs, and the guest gets the 1 GiB, as natively.
#[test]
fn address_space_limit_is_the_guests_or_explained() {
    let mut cmd = Command::new("prlimit");
    cmd.args(["--as=1073741824", "--"])
        .arg(common::meridian_bin())
        .args(["run", "--", "/bin/true"]);
    let out = common::run(cmd, b"", TIMEOUT);
    let err = text(&out.stderr);
    assert_eq!(out.status, 125, "{err}");
    assert!(
        err.contains("the address-space limit (RLIMIT_AS, `ulimit -v`) is 1073741824 bytes")
            && err.contains("raise the hard limit (`prlimit --as=SOFT:unlimited")
            && !err.contains("randomisation"),
        "{err}"
    );
    let out = under_prlimit_matches_native(
        &["--as=1073741824:unlimited"],
        &[],
        "import resource\n\
         print(resource.getrlimit(resource.RLIMIT_AS))\n\
         small = bytearray(16 << 20)\n\
         print('16 MiB ok')\n\
         try:\n\
         \x20   big = bytearray(2 << 30)\n\
         \x20   print('2 GiB allocated')\n\
         except MemoryError: print('2 GiB: MemoryError')\n",
    );
    assert_eq!(out, "(1073741824, -1)\n16 MiB ok\n2 GiB: MemoryError\n");
}

fn build_wx() -> PathBuf {
    let gcc = common::find_gcc();
    let dir = common::scratch_dir("policy/bin");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/policy/wx.c");
    let out = dir.join("wx");
    if !common::is_up_to_date(&out, &[&src]) {
        common::compile_c(&gcc, &src, &out, &["-O1", "-static"]).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

#[test]
fn writable_executable_memory_needs_the_jit_policy() {
    let dir = build_wx();
    let mount = format!("{}:/t:ro", dir.display());
    let native = common::run(Command::new(dir.join("wx")), b"", TIMEOUT);
    assert_eq!(native.status, 0);
    let jit = common::run(
        meridian_run(&["--mount", &mount, "--allow-jit"], &["/t/wx"]),
        b"",
        TIMEOUT,
    );
    assert_eq!(
        text(&jit.stdout),
        text(&native.stdout),
        "{}",
        text(&jit.stderr)
    );

    let default = common::run(meridian_run(&["--mount", &mount], &["/t/wx"]), b"", TIMEOUT);
    assert_eq!(default.status, 0, "{}", text(&default.stderr));
    assert_eq!(
        text(&default.stdout),
        "mmap rwx: EACCES\nmprotect rw -> rwx: EACCES\nmprotect rw -> rx: ok\nw^x code returned 42\n"
    );
    let stderr = text(&default.stderr);
    assert_eq!(
        stderr.matches("both writable and executable").count(),
        1,
        "reported once: {stderr}"
    );
}

#[test]
fn a_policy_file_sets_up_the_sandbox_and_flags_override_it() {
    let dir = common::scratch_dir("policy/file");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    write(&dir.join("data"), "hello.txt", "hello from the host\n");
    let policy = write(
        &dir,
        "sandbox.toml",
        r#"# A policy a person might write.
workdir = "/scratch"
hostname = "box"
log = "off"

[env]
GREETING = "from the policy"
LANG = "C"

[[mount]]
type = "host"
source = "data"          # relative to this file
target = "/data"
read_only = true

[[mount]]
type = "tmpfs"
target = "/scratch"

[limits]
open_files = 100
"#,
    );
    let policy = policy.to_str().unwrap();
    // Processes are not served yet (fork), so the workload is one python3 process.
    let script = "import os, socket, resource, errno\n\
                  print(os.environ['GREETING']); print(os.getcwd()); print(socket.gethostname())\n\
                  print(open('/data/hello.txt').read(), end='')\n\
                  print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n\
                  open('/scratch/f', 'w').write('x'); print(open('/scratch/f').read())\n\
                  try: open('/data/new', 'w')\n\
                  except OSError as e: print(errno.errorcode[e.errno])\n";
    assert_eq!(
        sandboxed_python(&["--policy", policy], script),
        "from the policy\n/scratch\nbox\nhello from the host\n100\nx\nEROFS\n"
    );
    assert!(!dir.join("data/new").exists());

    let out = common::run(
        meridian_run(
            &[
                "--policy",
                policy,
                "--env",
                "GREETING=from the command line",
                "--workdir",
                "/",
                "--limit",
                "open_files=50",
            ],
            &[
                PYTHON,
                "-c",
                "import os, resource; print(os.environ['GREETING']); print(os.getcwd()); \
                 print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])",
            ],
        ),
        b"",
        TIMEOUT,
    );
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "from the command line\n/\n50\n");
}

#[test]
fn bad_policies_are_refused_before_anything_runs() {
    let dir = common::scratch_dir("policy/bad");
    let marker = dir.join("ran");
    let _ = std::fs::remove_file(&marker);
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "typo.toml",
            "workdir = \"/\"\nwrokdir = \"/tmp\"\n",
            "typo.toml:2:1: unknown field `wrokdir`",
        ),
        (
            "missing.toml",
            "[[mount]]\ntype = \"host\"\nsource = \"no/such/dir\"\ntarget = \"/x\"\n",
            "missing.toml:3:10: host path \"no/such/dir\" does not exist",
        ),
        (
            "twice.toml",
            "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/a\"\n\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/a\"\n",
            "twice.toml:5:1: /a is mounted twice (first at",
        ),
        (
            "size.toml",
            "[limits]\nmemory = \"a lot\"\n",
            "size.toml:2:10: limits.memory is not a size",
        ),
        ("syntax.toml", "[limits\nmemory = 1\n", "syntax.toml:1:8"),
        (
            "proc.toml",
            "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/proc\"\n",
            "belongs to the sandbox's synthetic",
        ),
    ];
    // The program would leave a file on the host if it ran.
    let out_dir = format!("{}:/out", dir.join("out").display());
    for (name, contents, expected) in cases {
        let policy = write(&dir, name, contents);
        let out = common::run(
            meridian_run(
                &["--policy", policy.to_str().unwrap(), "--mount", &out_dir],
                &[PYTHON, "-c", "open('/out/ran', 'w'); print('ran')"],
            ),
            b"",
            TIMEOUT,
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status, 125, "{name}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{name}: expected {expected:?} in:\n{stderr}"
        );
        assert!(stderr.contains("\n  hint: "), "{name}: no hint in {stderr}");
        assert!(out.stdout.is_empty(), "{name}: the program ran");
    }
    assert!(!dir.join("out/ran").exists());
    let missing = common::run(
        meridian_run(&["--policy", "/nonexistent/meridian.toml"], &["/bin/true"]),
        b"",
        TIMEOUT,
    );
    assert_eq!(missing.status, 125);
    assert!(text(&missing.stderr).contains("cannot read the policy file"));
}

#[test]
fn explain_prints_the_resolved_policy() {
    let dir = common::scratch_dir("policy/explain");
    let policy = write(
        &dir,
        "p.toml",
        "uid = 0\n\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/scratch\"\nsize = \"8M\"\n\n[limits]\ncpu_seconds = 5\n",
    );
    let mut cmd = Command::new(common::meridian_bin());
    cmd.args(["policy", "explain", "--policy", policy.to_str().unwrap()])
        .args(["--limit", "memory=1G", "--allow-jit"]);
    let out = common::run(cmd, b"", TIMEOUT);
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for want in [
        "Policy file: ",
        "/scratch     in memory, at most 8M  (",
        "p.toml:3:1)",
        "memory       1G",
        "cpu_seconds  5",
        "Writable+executable memory (JIT): allowed",
        "mmap               core          guest memory",
        "Answered ENOSYS by the filter, never executed: clone3",
    ] {
        assert!(s.contains(want), "missing {want:?} in:\n{s}");
    }
    // With JIT allowed, mmap carries no W^X constraint; without, it does.
    let mmap_line = s
        .lines()
        .find(|l| l.trim_start().starts_with("mmap "))
        .unwrap();
    assert!(!mmap_line.contains("lacks"), "{mmap_line}");
    let mut cmd = Command::new(common::meridian_bin());
    cmd.args(["policy", "explain"]);
    let default = text(&common::run(cmd, b"", TIMEOUT).stdout);
    let mmap_line = default
        .lines()
        .find(|l| l.trim_start().starts_with("mmap "))
        .unwrap();
    assert!(
        mmap_line.contains("lacks some of 0x6 unless jit"),
        "{mmap_line}"
    );
    let count = |s: &str| -> usize {
        let line = s
            .lines()
            .find(|l| l.starts_with("Host system calls Meridian itself may make ("))
            .unwrap();
        line.split(['(', ')']).nth(1).unwrap().parse().unwrap()
    };
    assert!(count(&default) <= 30, "{default}");
}

#[test]
fn log_off_silences_unsupported_reports() {
    // inotify is not supported: reported once by default, silent with log = "off".
    let script = "import ctypes; l = ctypes.CDLL(None); print(l.inotify_init() < 0)";
    let loud = common::run(meridian_run(&[], &[PYTHON, "-c", script]), b"", TIMEOUT);
    let quiet = common::run(
        meridian_run(&["--log", "off"], &[PYTHON, "-c", script]),
        b"",
        TIMEOUT,
    );
    assert_eq!(text(&loud.stdout), "True\n", "{}", text(&loud.stderr));
    assert_eq!(text(&quiet.stdout), "True\n");
    assert!(
        text(&loud.stderr).contains("meridian: "),
        "{}",
        text(&loud.stderr)
    );
    assert_eq!(text(&quiet.stderr), "");
}

/// A tar file holding `x/hello.txt`, made with python's tarfile.
fn make_tar(path: &Path) {
    let script = format!(
        "import tarfile, io\n\
         with tarfile.open({:?}, 'w') as t:\n\
         \x20   data = b'hello from the image\\n'\n\
         \x20   i = tarfile.TarInfo('x/hello.txt'); i.size = len(data); i.mode = 0o644\n\
         \x20   t.addfile(i, io.BytesIO(data))\n",
        path.to_str().unwrap()
    );
    let mut python = Command::new(PYTHON);
    python.args(["-c", &script]);
    let out = common::run(python, b"", TIMEOUT);
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
}

#[test]
fn image_and_overlay_mounts_from_a_policy() {
    let dir = common::scratch_dir("policy/layers");
    let seed = dir.join("seed");
    let _ = std::fs::remove_dir_all(&seed);
    std::fs::create_dir_all(&seed).unwrap();
    write(&seed, "a.txt", "lower a\n");
    write(&seed, "b.txt", "lower b\n");
    make_tar(&dir.join("data.tar"));
    let image_before = std::fs::read(dir.join("data.tar")).unwrap();
    let policy = write(
        &dir,
        "layers.toml",
        "[[mount]]\ntype = \"image\"\nsource = \"data.tar\"\ntarget = \"/img\"\n\n\
         [[mount]]\ntype = \"overlay\"\nsource = \"seed\"\ntarget = \"/seed\"\n",
    );
    let script = "import os, errno\n\
        print(open('/img/x/hello.txt').read(), end='')\n\
        try: open('/img/new', 'w')\n\
        except OSError as e: print('image write:', errno.errorcode[e.errno])\n\
        open('/seed/a.txt', 'w').write('upper a\\n')\n\
        os.unlink('/seed/b.txt')\n\
        open('/seed/c.txt', 'w').write('new c\\n')\n\
        print(sorted(os.listdir('/seed')))\n\
        print(open('/seed/a.txt').read(), end='')\n";
    assert_eq!(
        sandboxed_python(&["--policy", policy.to_str().unwrap()], script),
        "hello from the image\nimage write: EROFS\n['a.txt', 'c.txt']\nupper a\n"
    );
    // The lower layers are untouched.
    assert_eq!(
        std::fs::read_to_string(seed.join("a.txt")).unwrap(),
        "lower a\n"
    );
    assert!(seed.join("b.txt").exists());
    assert!(!seed.join("c.txt").exists());
    assert_eq!(std::fs::read(dir.join("data.tar")).unwrap(), image_before);
}

#[test]
fn a_rootfs_policy_without_host_mounts_has_no_path_based_host_calls() {
    let dir = common::scratch_dir("policy/rootfs-filter");
    make_tar(&dir.join("root.tar"));
    let policy = write(&dir, "root.toml", "rootfs = \"root.tar\"\n");
    let mut cmd = Command::new(common::meridian_bin());
    cmd.args(["policy", "explain", "--policy", policy.to_str().unwrap()]);
    let out = common::run(cmd, b"", TIMEOUT);
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("tar image "), "{s}");
    for call in ["openat2 ", "getdents64 ", "readlinkat ", "pread64 "] {
        assert!(
            !s.lines().any(|l| l.trim_start().starts_with(call)),
            "{call} with no host volume:\n{s}"
        );
    }
}

#[test]
fn file_size_limit_matches_native() {
    // python ignores SIGXFSZ, so the limit shows as a short write, then EFBIG.
    let script = "import os, sys, errno, resource\n\
        print(resource.getrlimit(resource.RLIMIT_FSIZE))\n\
        p = os.path.join(sys.argv[1], 'meridian-fsize-test')\n\
        fd = os.open(p, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o644)\n\
        print('first write', os.write(fd, b'x' * 1500))\n\
        try: os.write(fd, b'y')\n\
        except OSError as e: print('second write', errno.errorcode[e.errno])\n\
        try: os.ftruncate(fd, 5000)\n\
        except OSError as e: print('ftruncate', errno.errorcode[e.errno])\n\
        os.close(fd); print('size', os.stat(p).st_size); os.unlink(p)\n";
    let mut native = Command::new("prlimit");
    native.args(["--fsize=1000:1000", "--", PYTHON, "-c", script, "/dev/shm"]);
    let sandbox = meridian_run(
        &["--limit", "file_size=1000"],
        &[PYTHON, "-c", script, "/tmp"],
    );
    let run = common::native_vs_sandbox(native, sandbox, b"", TIMEOUT);
    if let Some(m) = run.mismatch() {
        panic!("file_size differs from native:\n{m}");
    }
    assert_eq!(
        text(&run.native.stdout),
        "(1000, 1000)\nfirst write 1000\nsecond write EFBIG\nftruncate EFBIG\nsize 1000\n"
    );
}

#[test]
fn a_non_root_guest_gets_its_identity_and_permission_checks() {
    let script = "import os, pwd, errno\n\
        print(os.getuid(), os.getgid(), os.geteuid())\n\
        print(os.environ['HOME'], os.environ['USER'], pwd.getpwuid(os.getuid()).pw_name)\n\
        try: open('/root/x', 'w')\n\
        except OSError as e: print('/root:', errno.errorcode[e.errno])\n\
        open(os.path.join(os.environ['HOME'], 'mine'), 'w').write('ok')\n\
        st = os.stat(os.path.join(os.environ['HOME'], 'mine')); print(st.st_uid, st.st_gid)\n\
        try: os.setuid(0)\n\
        except OSError as e: print('setuid(0):', errno.errorcode[e.errno])\n";
    assert_eq!(
        sandboxed_python(&["--user", "1000:100"], script),
        "1000 100 1000\n/tmp user user\n/root: EACCES\n1000 100\nsetuid(0): EPERM\n"
    );
}

const BUSYBOX: &str = "/bin/busybox";
const MIB: u64 = 1 << 20;

/// stdout and status of `busybox sh -c script` run sandboxed with `options`.
fn sandboxed_sh(options: &[&str], script: &str) -> common::Outcome {
    common::run(
        meridian_run(options, &[BUSYBOX, "sh", "-c", script]),
        b"",
        TIMEOUT,
    )
}

#[test]
fn memory_limit_bounds_the_in_memory_directories() {
    // /tmp, /root, /run and / itself are one in-memory filesystem, /dev (with /dev/shm)
    // another, both charged to the 64 MiB: dd stops with ENOSPC just under 64 MiB (the
    // synthetic /etc and the inodes hold the rest), and once the file is removed the same
    // space can be written again.
    let script = "df -k /tmp | tail -1\n\
        for d in /tmp /root /run '' /dev/shm; do\n\
        \x20 dd if=/dev/zero of=$d/big bs=1M count=100 2>/dev/null; s=$?\n\
        \x20 echo \"${d:-/} $s $(wc -c < $d/big)\"\n\
        \x20 rm $d/big && dd if=/dev/zero of=$d/again bs=1M count=32 2>/dev/null && echo again $?\n\
        \x20 rm $d/again\n\
        done\n\
        dd if=/dev/zero of=/tmp/x bs=1M count=40 2>/dev/null\n\
        dd if=/dev/zero of=/run/y bs=1M count=40 2>&1 | head -1\n";
    let out = sandboxed_sh(&["--limit", "memory=64M"], script);
    let stdout = text(&out.stdout);
    assert_eq!(out.status, 0, "{stdout}{}", text(&out.stderr));
    let mut lines = stdout.lines();
    let df: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(df.get(1), Some(&"65536"), "df -k /tmp: {stdout}");
    for dir in ["/tmp", "/root", "/run", "/", "/dev/shm"] {
        let line = lines.next().unwrap_or("");
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.get(..2), Some(&[dir, "1"][..]), "{stdout}");
        let size: u64 = fields.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
        assert!(
            (63 * MIB..64 * MIB).contains(&size),
            "{dir}: {size} bytes written under a 64 MiB limit\n{stdout}"
        );
        assert_eq!(lines.next(), Some("again 0"), "{stdout}");
    }
    // One budget for all processes: a second dd gets what the first left.
    assert_eq!(
        lines.next(),
        Some("dd: error writing '/run/y': No space left on device"),
        "{stdout}"
    );
}

#[test]
fn memory_charged_by_files_comes_back_when_they_are_deleted() {
    // 8 x 32 MiB written and deleted in turn under a 64 MiB limit (python3: the errno is
    // checked by name); a file past the limit gets a short write, then ENOSPC.
    let script = "import os, errno\n\
        def fill(path, mib):\n\
        \x20   fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)\n\
        \x20   chunk, done = b'x' * (1 << 20), 0\n\
        \x20   try:\n\
        \x20       for _ in range(mib): done += os.write(fd, chunk)\n\
        \x20       return 'ok'\n\
        \x20   except OSError as e: return errno.errorcode[e.errno]\n\
        \x20   finally:\n\
        \x20       os.close(fd)\n\
        \x20       print(done >> 20, end=' ')\n\
        for i in range(8):\n\
        \x20   print(fill('/run/f%d' % i, 32)); os.unlink('/run/f%d' % i)\n\
        print(fill('/root/big', 100))\n\
        os.unlink('/root/big')\n\
        print(fill('/tmp/f', 32))\n";
    let out = sandboxed_python(&["--limit", "memory=64M"], script);
    assert_eq!(
        out,
        format!("{}63 ENOSPC\n32 ok\n", "32 ok\n".repeat(8)),
        "{out}"
    );
}

#[test]
fn in_memory_directories_default_to_half_of_ram() {
    // Without a memory limit the in-memory filesystems together are sized as one Linux
    // tmpfs mount is by default: half of RAM (the host's MemTotal).
    let meminfo = std::fs::read_to_string("/proc/meminfo").expect("/proc/meminfo");
    let total_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("MemTotal");
    let half = total_kib * 1024 / 2 / 4096 * 4096;
    let script = "import os\n\
        for d in ('/tmp', '/root', '/run', '/'):\n\
        \x20   st = os.statvfs(d); print(st.f_blocks * st.f_frsize)\n";
    assert_eq!(sandboxed_python(&[], script), format!("{half}\n").repeat(4));
    // A --tmpfs mount's own size stays its size; the memory limit bounds one without.
    let script = "import os\n\
        for d in ('/small', '/big', '/tmp'):\n\
        \x20   st = os.statvfs(d); print(d, st.f_blocks * st.f_frsize >> 20)\n";
    assert_eq!(
        sandboxed_python(
            &[
                "--tmpfs",
                "/small:8M",
                "--tmpfs",
                "/big",
                "--limit",
                "memory=256M"
            ],
            script
        ),
        "/small 8\n/big 256\n/tmp 256\n"
    );
}

#[test]
fn empty_files_are_charged_to_the_memory_limit() {
    // Each inode costs kernel memory however little data it holds: under 32 MiB, at most
    // 32768 empty files (1 KiB each) fit, then ENOSPC; deleting them gives the room back.
    let script = "import os, errno\n\
        n, err = 0, 'none'\n\
        try:\n\
        \x20   while n < 100000:\n\
        \x20       os.close(os.open('/tmp/%d' % n, os.O_CREAT | os.O_WRONLY, 0o644)); n += 1\n\
        except OSError as e: err = errno.errorcode[e.errno]\n\
        print(err, 30000 < n < 32768)\n\
        for i in range(n): os.unlink('/tmp/%d' % i)\n\
        open('/tmp/x', 'w').write('room again'); print(open('/tmp/x').read())\n";
    assert_eq!(
        sandboxed_python(&["--limit", "memory=32M"], script),
        "ENOSPC True\nroom again\n"
    );
}
