//! The ELF loader: static, static-PIE and dynamic executables, `#!` scripts, and the
//! initial stack (argv, envp, auxv) of the System V x86-64 ABI.
//!
//! ELF headers are parsed here by hand (64-bit little-endian only, ~60 lines) rather than
//! with a crate, so that the loader reads only the header page of a large executable and
//! every bound is checked in one place that the tests drive with malformed files.

use crate::{Kernel, LinuxPlatform};
use alloc::vec;
use alloc::vec::Vec;
use meridian_abi::layout::{get_u16, get_u32, get_u64};
use meridian_abi::{CpuContext, Errno};
use meridian_core::fs::perm::{Cred, MAY_EXEC};
use meridian_core::fs::{FileType, NodeRef};
use meridian_core::mm::{Area, Backing, PAGE_BYTES, page_up};
use meridian_core::platform::Prot;

/// What /proc/self shows of the image.
#[derive(Clone, Debug, Default)]
pub struct ImageInfo {
    /// Canonical path of the executable.
    pub exe: Vec<u8>,
    /// argv.
    pub argv: Vec<Vec<u8>>,
    /// envp.
    pub envp: Vec<Vec<u8>>,
    /// Thread name (comm).
    pub comm: Vec<u8>,
}

/// Why a program could not be started; the CLI maps these to 127/126 like a shell, execve
/// to an errno ([`LoadError::errno`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// No such program (exit 127).
    NotFound(Vec<u8>),
    /// Not executable, a directory, or not a valid ELF for x86-64 (exit 126).
    NotExecutable(Vec<u8>, Refusal),
    /// Out of memory while mapping.
    NoMemory,
}

impl LoadError {
    /// The errno execve(2) returns for this failure.
    pub fn errno(&self) -> Errno {
        match self {
            LoadError::NotFound(_) => Errno::ENOENT,
            LoadError::NotExecutable(_, why) => why.errno(),
            LoadError::NoMemory => Errno::ENOMEM,
        }
    }
}

/// Why a file cannot be executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A directory (EACCES).
    Directory,
    /// Not a regular file (EACCES).
    NotRegular,
    /// No execute permission for the caller (EACCES).
    Permission,
    /// The file cannot be opened or read.
    Unreadable(meridian_core::Error),
    /// Not a format the loader runs (ENOEXEC), with the reason.
    Format(&'static str),
    /// Too many levels of `#!` interpreters (ELOOP).
    TooManyInterpreters,
}

impl Refusal {
    /// The errno of execve(2) for this refusal.
    pub fn errno(self) -> Errno {
        match self {
            Refusal::Directory | Refusal::NotRegular | Refusal::Permission => Errno::EACCES,
            Refusal::Unreadable(e) => crate::errno::errno_of(e),
            Refusal::Format(_) => Errno::ENOEXEC,
            Refusal::TooManyInterpreters => Errno::ELOOP,
        }
    }
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Refusal::Directory => f.write_str("is a directory"),
            Refusal::NotRegular => f.write_str("not a regular file"),
            Refusal::Permission => f.write_str("permission denied (not executable)"),
            Refusal::Unreadable(e) => write!(f, "cannot read it ({e:?})"),
            Refusal::Format(why) => f.write_str(why),
            Refusal::TooManyInterpreters => f.write_str("too many levels of #! interpreters"),
        }
    }
}

/// A program checked and ready to map ([`Kernel::plan_program`]).
pub struct LoadPlan {
    main: PlannedImage,
    interp: Option<PlannedImage>,
    /// Canonical path of the ELF file that runs (a script's interpreter): /proc/self/exe.
    pub path: Vec<u8>,
    /// argv, with a script's interpreter and its argument in front.
    pub argv: Vec<Vec<u8>>,
    /// envp.
    pub envp: Vec<Vec<u8>>,
}

/// One ELF file of a plan, opened and parsed.
struct PlannedImage {
    node: NodeRef,
    elf: ElfInfo,
    path: Vec<u8>,
}

/// The thread name of a program: the last component of `path`, at most 15 bytes
/// (`TASK_COMM_LEN` less the NUL).
pub fn comm_of(path: &[u8]) -> Vec<u8> {
    const TASK_COMM_BYTES: usize = 15;
    path.rsplit(|&b| b == b'/')
        .next()
        .unwrap_or_default()
        .iter()
        .copied()
        .take(TASK_COMM_BYTES)
        .collect()
}

const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_PHDR: u32 = 6;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const EM_X86_64: u16 = 62;
const PHDR_SIZE: usize = 56;
/// Where a position-independent main program goes (2/3 of the guest range, like Linux's
/// ELF_ET_DYN_BASE).
const ET_DYN_BASE: u64 = 0x2aaa_aaaa_a000;
/// Stack size reserved for the main thread.
const STACK_BYTES: u64 = 8 << 20;
/// Most files one exec examines: up to five `#!` scripts and the ELF file they lead to
/// (fs/exec.c `exec_binprm`: ELOOP past depth 5).
const MAX_SCRIPT_DEPTH: usize = 6;

/// A parsed program header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phdr {
    /// Type.
    pub kind: u32,
    /// Flags (PF_X=1, PF_W=2, PF_R=4).
    pub flags: u32,
    /// File offset.
    pub offset: u64,
    /// Virtual address.
    pub vaddr: u64,
    /// Bytes in the file.
    pub filesz: u64,
    /// Bytes in memory.
    pub memsz: u64,
}

/// A parsed ELF header with its program headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfInfo {
    /// ET_EXEC or ET_DYN.
    pub kind: u16,
    /// Entry point (unrelocated).
    pub entry: u64,
    /// Offset of the program headers.
    pub phoff: u64,
    /// Program headers.
    pub phdrs: Vec<Phdr>,
}

/// Parse an ELF header from the first bytes of a file.
pub fn parse_elf(head: &[u8]) -> Result<ElfInfo, &'static str> {
    if head.len() < 64 || head.get(..4) != Some(b"\x7fELF") {
        return Err("not an ELF file");
    }
    if head.get(4) != Some(&2) || head.get(5) != Some(&1) {
        return Err("not a 64-bit little-endian ELF file");
    }
    let kind = get_u16(head, 16);
    if kind != ET_EXEC && kind != ET_DYN {
        return Err("not an executable ELF file");
    }
    if get_u16(head, 18) != EM_X86_64 {
        return Err("not an x86-64 program");
    }
    let entry = get_u64(head, 24);
    let phoff = get_u64(head, 32);
    let phentsize = get_u16(head, 54) as usize;
    let phnum = get_u16(head, 56) as usize;
    if phentsize != PHDR_SIZE || phnum == 0 || phnum > 128 {
        return Err("bad program header table");
    }
    let start = usize::try_from(phoff).map_err(|_| "bad program header table")?;
    let end = start
        .checked_add(phnum * PHDR_SIZE)
        .ok_or("bad program header table")?;
    let table = head
        .get(start..end)
        .ok_or("program header table out of range")?;
    let phdrs: Vec<Phdr> = table
        .chunks_exact(PHDR_SIZE)
        .map(|p| Phdr {
            kind: get_u32(p, 0),
            flags: get_u32(p, 4),
            offset: get_u64(p, 8),
            vaddr: get_u64(p, 16),
            filesz: get_u64(p, 32),
            memsz: get_u64(p, 40),
        })
        .collect();
    for p in phdrs.iter().filter(|p| p.kind == PT_LOAD) {
        if p.filesz > p.memsz
            || p.vaddr % PAGE_BYTES != p.offset % PAGE_BYTES
            || p.vaddr.checked_add(p.memsz).is_none()
        {
            return Err("bad loadable segment");
        }
    }
    if !phdrs.iter().any(|p| p.kind == PT_LOAD) {
        return Err("no loadable segment");
    }
    Ok(ElfInfo {
        kind,
        entry,
        phoff,
        phdrs,
    })
}

fn prot_of(flags: u32) -> Prot {
    Prot {
        read: flags & 4 != 0,
        write: flags & 2 != 0,
        exec: flags & 1 != 0,
    }
}

struct Loaded {
    base: u64,
    entry: u64,
    phdr: u64,
    phnum: u64,
    end: u64,
}

impl<P: LinuxPlatform> Kernel<P> {
    fn read_head(&self, node: &NodeRef) -> Result<Vec<u8>, meridian_core::Error> {
        let mut head = vec![0u8; 4096];
        let n = meridian_core::fs::read_full(node.as_ref(), 0, &mut head)?;
        head.truncate(n);
        Ok(head)
    }

    /// Find `prog` as a shell would: a name without `/` is searched on `PATH`.
    pub fn find_program(
        &self,
        prog: &[u8],
        path_var: &[u8],
    ) -> Result<(NodeRef, Vec<u8>), LoadError> {
        let cwd = self.cwd.lock().clone();
        if prog.contains(&b'/') {
            let r = self
                .vfs
                .resolve(&cwd, prog, true)
                .map_err(|_| LoadError::NotFound(prog.to_vec()))?;
            return Ok((r.node, r.path));
        }
        for dir in path_var.split(|&b| b == b':') {
            let mut p = if dir.is_empty() {
                b".".to_vec()
            } else {
                dir.to_vec()
            };
            p.push(b'/');
            p.extend_from_slice(prog);
            if let Ok(r) = self.vfs.resolve(&cwd, &p, true)
                && r.node.file_type() == FileType::Regular
            {
                return Ok((r.node, r.path));
            }
        }
        Err(LoadError::NotFound(prog.to_vec()))
    }

    /// Load `path` with `argv`/`envp` into the (empty) address space; returns the initial
    /// registers of the main thread. The first program of a sandbox starts here.
    pub fn load_program(
        &self,
        node: NodeRef,
        path: Vec<u8>,
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
    ) -> Result<CpuContext, LoadError> {
        let execfn = path.clone();
        let plan = self.plan_program(node, path, execfn.clone(), argv, envp, None)?;
        let comm = comm_of(&plan.path);
        self.commit_plan(plan, &execfn, comm)
    }

    /// Check everything about a program that can fail before its image replaces the
    /// current one (execve(2)'s point of no return): follow `#!` lines, check that each file
    /// is a regular file the caller may execute (`cred`; `None`: any execute bit), parse the
    /// ELF headers and find and parse the ELF interpreter. Nothing is mapped yet. `name` is
    /// the name the program was asked for, which a script's interpreter is given (Linux
    /// passes `bprm->interp`, the name as given, not a resolved path).
    pub fn plan_program(
        &self,
        node: NodeRef,
        path: Vec<u8>,
        name: Vec<u8>,
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
        cred: Option<&Cred>,
    ) -> Result<LoadPlan, LoadError> {
        let (mut node, mut path, mut name, mut argv) = (node, path, name, argv);
        // fs/binfmt_script.c lets an interpreter be a script itself, up to a depth
        // (fs/exec.c `search_binary_handler`: ELOOP past it).
        for _ in 0..MAX_SCRIPT_DEPTH {
            let (opened, head) = self.open_executable(&node, &path, cred)?;
            if head.starts_with(b"#!") {
                let bad = |why: Refusal| LoadError::NotExecutable(path.clone(), why);
                let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
                let line = head.get(2..line_end).unwrap_or_default();
                let mut parts = line
                    .trim_ascii_start()
                    .splitn(2, |&b| b == b' ' || b == b'\t')
                    .filter(|s| !s.is_empty());
                let interp = parts
                    .next()
                    .ok_or_else(|| bad(Refusal::Format("empty #! line")))?
                    .to_vec();
                let arg = parts
                    .next()
                    .map(|a| a.trim_ascii().to_vec())
                    .filter(|a| !a.is_empty());
                let mut new_argv = vec![interp.clone()];
                new_argv.extend(arg);
                new_argv.push(name);
                new_argv.extend(argv.into_iter().skip(1));
                let (n, p) = self
                    .find_program(&interp, b"")
                    .map_err(|_| LoadError::NotFound(interp.clone()))?;
                node = n;
                path = p;
                name = interp;
                argv = new_argv;
                continue;
            }
            let elf = parse_elf(&head)
                .map_err(|why| LoadError::NotExecutable(path.clone(), Refusal::Format(why)))?;
            self.check_fits(&elf)?;
            let interp = self.plan_interpreter(&elf, &head, &path, cred)?;
            return Ok(LoadPlan {
                main: PlannedImage {
                    node: opened,
                    elf,
                    path: path.clone(),
                },
                interp,
                path,
                argv,
                envp,
            });
        }
        Err(LoadError::NotExecutable(path, Refusal::TooManyInterpreters))
    }

    /// Open `node` for execution: a regular file with execute permission; returns the
    /// opened node and its first page.
    fn open_executable(
        &self,
        node: &NodeRef,
        path: &[u8],
        cred: Option<&Cred>,
    ) -> Result<(NodeRef, Vec<u8>), LoadError> {
        let bad = |why: Refusal| LoadError::NotExecutable(path.to_vec(), why);
        // execve(2): EACCES for a directory or any other non-regular file.
        match node.file_type() {
            FileType::Regular => {}
            FileType::Directory => return Err(bad(Refusal::Directory)),
            _ => return Err(bad(Refusal::NotRegular)),
        }
        let m = node.metadata().map_err(|e| bad(Refusal::Unreadable(e)))?;
        let allowed = match cred {
            Some(c) => c.permits(&m, MAY_EXEC),
            None => m.mode & 0o111 != 0,
        };
        if !allowed {
            return Err(bad(Refusal::Permission));
        }
        let opened = node
            .clone()
            .open(false)
            .map_err(|e| bad(Refusal::Unreadable(e)))?;
        let head = self
            .read_head(&opened)
            .map_err(|e| bad(Refusal::Unreadable(e)))?;
        Ok((opened, head))
    }

    /// A fixed-address (ET_EXEC) program must fit in the guest range: refused here rather
    /// than after an exec's point of no return.
    fn check_fits(&self, elf: &ElfInfo) -> Result<(), LoadError> {
        if elf.kind != ET_EXEC {
            return Ok(());
        }
        let range = self.p.guest_range();
        let fits = elf.phdrs.iter().filter(|p| p.kind == PT_LOAD).all(|p| {
            page_up(p.vaddr + p.memsz)
                .is_some_and(|end| p.vaddr & !(PAGE_BYTES - 1) >= range.start && end <= range.end)
        });
        if fits {
            Ok(())
        } else {
            Err(LoadError::NoMemory)
        }
    }

    /// Find, open and parse the ELF interpreter (`PT_INTERP`) of `elf`, if it has one.
    fn plan_interpreter(
        &self,
        elf: &ElfInfo,
        head: &[u8],
        path: &[u8],
        cred: Option<&Cred>,
    ) -> Result<Option<PlannedImage>, LoadError> {
        let Some(p) = elf.phdrs.iter().find(|p| p.kind == PT_INTERP) else {
            return Ok(None);
        };
        let bad_interp =
            || LoadError::NotExecutable(path.to_vec(), Refusal::Format("bad PT_INTERP"));
        let s = usize::try_from(p.offset).map_err(|_| bad_interp())?;
        let e = usize::try_from(p.filesz)
            .ok()
            .and_then(|n| s.checked_add(n))
            .ok_or_else(bad_interp)?;
        let raw = head.get(s..e).ok_or_else(bad_interp)?;
        let name: Vec<u8> = raw.iter().copied().take_while(|&b| b != 0).collect();
        let r = self
            .vfs
            .resolve(b"/", &name, true)
            .map_err(|_| LoadError::NotFound(name.clone()))?;
        let (inode, ihead) = self.open_executable(&r.node, &r.path, cred)?;
        let ielf = parse_elf(&ihead)
            .map_err(|why| LoadError::NotExecutable(name.clone(), Refusal::Format(why)))?;
        Ok(Some(PlannedImage {
            node: inode,
            elf: ielf,
            path: r.path,
        }))
    }

    /// Map a planned program into the (empty) address space and build its initial stack;
    /// `execfn` is the name it was started by (`AT_EXECFN`), `comm` its thread name.
    pub fn commit_plan(
        &self,
        plan: LoadPlan,
        execfn: &[u8],
        comm: Vec<u8>,
    ) -> Result<CpuContext, LoadError> {
        let LoadPlan {
            main,
            interp,
            path,
            argv,
            envp,
        } = plan;
        let main = self.map_image(&main.node, &main.elf, &main.path, ET_DYN_BASE)?;
        let interp = match interp {
            Some(i) => Some(self.map_image(&i.node, &i.elf, &i.path, 0)?),
            None => None,
        };
        {
            let mut mm = self.mm.lock();
            mm.brk_start = main.end;
            mm.brk = main.end;
        }
        let rsp = self.build_stack(&main, interp.as_ref(), execfn, &argv, &envp)?;
        *self.image.lock() = ImageInfo {
            exe: path,
            argv,
            envp,
            comm,
        };
        self.publish_view();
        let entry = interp.as_ref().map_or(main.entry, |i| i.entry);
        Ok(CpuContext {
            rip: entry,
            rsp,
            segs: 0x002b_0000_0000_0033,
            ..CpuContext::default()
        })
    }

    fn map_image(
        &self,
        node: &NodeRef,
        elf: &ElfInfo,
        path: &[u8],
        base_hint: u64,
    ) -> Result<Loaded, LoadError> {
        let loads: Vec<&Phdr> = elf.phdrs.iter().filter(|p| p.kind == PT_LOAD).collect();
        let lo = loads
            .iter()
            .map(|p| p.vaddr & !(PAGE_BYTES - 1))
            .min()
            .unwrap_or(0);
        let hi = loads
            .iter()
            .filter_map(|p| page_up(p.vaddr + p.memsz))
            .max()
            .unwrap_or(0);
        let span = hi.checked_sub(lo).ok_or(LoadError::NoMemory)?;
        let mut mm = self.mm.lock();
        let base = if elf.kind == ET_EXEC {
            if !mm.in_range(lo, hi) || !mm.is_free(lo, hi) {
                return Err(LoadError::NoMemory);
            }
            0
        } else {
            mm.find_free(span, base_hint)
                .map_err(|_| LoadError::NoMemory)?
                .wrapping_sub(lo)
        };
        let ino = node.metadata().map(|m| m.ino).unwrap_or(0);
        let host = node.host_fd();
        for p in &loads {
            let prot = prot_of(p.flags);
            // `base` is the distance from the lowest segment to where it is placed, taken
            // modulo 2^64 (a segment may lie above its place): addresses add it the same way.
            // parse_elf checked that vaddr + memsz does not overflow.
            let start = base.wrapping_add(p.vaddr & !(PAGE_BYTES - 1));
            let file_end = base.wrapping_add(p.vaddr + p.filesz);
            let mem_end =
                page_up(base.wrapping_add(p.vaddr + p.memsz)).ok_or(LoadError::NoMemory)?;
            let off = p.offset & !(PAGE_BYTES - 1);
            let file_pages_end = page_up(file_end).ok_or(LoadError::NoMemory)?;
            if p.filesz > 0 {
                let len = file_pages_end - start;
                // Writable (and not executable: W^X) until the .bss tail below is zeroed;
                // `prot` is applied after.
                let staging = Prot {
                    write: true,
                    exec: false,
                    ..prot
                };
                match host {
                    Some(fd) => self
                        .p
                        .map_host_file(start, len, staging, fd, off, false)
                        .map_err(|_| LoadError::NoMemory)?,
                    None => self
                        .map_file_copy(start, len, staging, node, off)
                        .map_err(|_| LoadError::NoMemory)?,
                }
                // Zero the tail of the last file page that belongs to .bss.
                let tail = file_pages_end - file_end;
                if tail > 0 && p.memsz > p.filesz {
                    self.p
                        .write_guest(file_end, &vec![0u8; tail as usize])
                        .map_err(|_| LoadError::NoMemory)?;
                }
                self.p
                    .protect(start, len, prot)
                    .map_err(|_| LoadError::NoMemory)?;
                mm.insert(
                    start,
                    Area {
                        end: file_pages_end,
                        prot,
                        shared: false,
                        backing: Backing::File {
                            path: path.to_vec(),
                            offset: off,
                            ino,
                            shared: 0,
                            host: host.is_some(),
                        },
                    },
                );
            }
            if mem_end > file_pages_end {
                self.p
                    .map_anonymous(file_pages_end, mem_end - file_pages_end, prot, false)
                    .map_err(|_| LoadError::NoMemory)?;
                mm.insert(
                    file_pages_end,
                    Area {
                        end: mem_end,
                        prot,
                        shared: false,
                        backing: Backing::Anonymous,
                    },
                );
            }
        }
        let phdr = match elf.phdrs.iter().find(|p| p.kind == PT_PHDR) {
            Some(p) => base.wrapping_add(p.vaddr),
            None => loads
                .iter()
                .find(|p| p.offset <= elf.phoff && elf.phoff < p.offset + p.filesz)
                .map_or(0, |p| base.wrapping_add(p.vaddr + (elf.phoff - p.offset))),
        };
        Ok(Loaded {
            base,
            entry: base.wrapping_add(elf.entry),
            phdr,
            phnum: elf.phdrs.len() as u64,
            end: base.wrapping_add(hi),
        })
    }

    fn build_stack(
        &self,
        main: &Loaded,
        interp: Option<&Loaded>,
        path: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
    ) -> Result<u64, LoadError> {
        const AT_NULL: u64 = 0;
        const AT_PHDR: u64 = 3;
        const AT_PHENT: u64 = 4;
        const AT_PHNUM: u64 = 5;
        const AT_PAGESZ: u64 = 6;
        const AT_BASE: u64 = 7;
        const AT_FLAGS: u64 = 8;
        const AT_ENTRY: u64 = 9;
        const AT_UID: u64 = 11;
        const AT_EUID: u64 = 12;
        const AT_GID: u64 = 13;
        const AT_EGID: u64 = 14;
        const AT_PLATFORM: u64 = 15;
        const AT_HWCAP: u64 = 16;
        const AT_CLKTCK: u64 = 17;
        const AT_SECURE: u64 = 23;
        const AT_RANDOM: u64 = 25;
        const AT_HWCAP2: u64 = 26;
        const AT_EXECFN: u64 = 31;
        let top = {
            let mut mm = self.mm.lock();
            let hi = self.p.guest_range().end - PAGE_BYTES;
            let start = mm
                .find_free(STACK_BYTES, hi - STACK_BYTES)
                .map_err(|_| LoadError::NoMemory)?;
            self.p
                .map_anonymous(start, STACK_BYTES, Prot::RW, false)
                .map_err(|_| LoadError::NoMemory)?;
            mm.insert(
                start,
                Area {
                    end: start + STACK_BYTES,
                    prot: Prot::RW,
                    shared: false,
                    backing: Backing::Stack,
                },
            );
            start + STACK_BYTES
        };
        // Strings at the top: execfn, then envp and argv strings, platform, random bytes.
        let mut sp = top - 8;
        let push_bytes = |data: &[u8], sp: &mut u64| -> Result<u64, LoadError> {
            *sp -= data.len() as u64;
            self.p
                .write_guest(*sp, data)
                .map_err(|_| LoadError::NoMemory)?;
            Ok(*sp)
        };
        let cstr = |s: &[u8]| {
            let mut v = s.to_vec();
            v.push(0);
            v
        };
        let execfn = push_bytes(&cstr(path), &mut sp)?;
        let mut env_ptrs = Vec::new();
        for e in envp.iter().rev() {
            env_ptrs.push(push_bytes(&cstr(e), &mut sp)?);
        }
        env_ptrs.reverse();
        let mut arg_ptrs = Vec::new();
        for a in argv.iter().rev() {
            arg_ptrs.push(push_bytes(&cstr(a), &mut sp)?);
        }
        arg_ptrs.reverse();
        let platform = push_bytes(b"x86_64\0", &mut sp)?;
        let mut random = [0u8; 16];
        self.p.fill_random(&mut random);
        let random_at = push_bytes(&random, &mut sp)?;
        // Real and effective ids (the first two of `Creds`' arrays).
        let (uid, gid) = {
            let c = self.creds.lock();
            (c.uid, c.gid)
        };
        let mut auxv: Vec<(u64, u64)> = vec![
            (AT_PHDR, main.phdr),
            (AT_PHENT, PHDR_SIZE as u64),
            (AT_PHNUM, main.phnum),
            (AT_PAGESZ, PAGE_BYTES),
            (AT_BASE, interp.map_or(0, |i| i.base)),
            (AT_FLAGS, 0),
            (AT_ENTRY, main.entry),
            (AT_UID, u64::from(uid[0])),
            (AT_EUID, u64::from(uid[1])),
            (AT_GID, u64::from(gid[0])),
            (AT_EGID, u64::from(gid[1])),
            (AT_SECURE, 0),
            (AT_RANDOM, random_at),
            (AT_HWCAP, self.config.hwcap.0),
            (AT_HWCAP2, self.config.hwcap.1),
            (AT_CLKTCK, 100),
            (AT_PLATFORM, platform),
            (AT_EXECFN, execfn),
        ];
        // No AT_SYSINFO_EHDR: the host vDSO sits beside the library OS's own image, and its
        // address would tell guest code where to find the library OS (SECURITY.md).
        auxv.push((AT_NULL, 0));
        let words = 1 + arg_ptrs.len() + 1 + env_ptrs.len() + 1 + auxv.len() * 2;
        sp &= !15;
        if words % 2 == 1 {
            sp -= 8;
        }
        sp -= (words * 8) as u64;
        let mut block: Vec<u8> = Vec::with_capacity(words * 8);
        let mut put = |v: u64| block.extend_from_slice(&v.to_le_bytes());
        put(argv.len() as u64);
        arg_ptrs.iter().for_each(|&p| put(p));
        put(0);
        env_ptrs.iter().for_each(|&p| put(p));
        put(0);
        for (k, v) in auxv {
            put(k);
            put(v);
        }
        self.p
            .write_guest(sp, &block)
            .map_err(|_| LoadError::NoMemory)?;
        Ok(sp)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn header(kind: u16, machine: u16, phnum: u16) -> Vec<u8> {
        let mut h = vec![0u8; 64 + 56 * phnum as usize];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[16..18].copy_from_slice(&kind.to_le_bytes());
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h[32..40].copy_from_slice(&64u64.to_le_bytes());
        h[54..56].copy_from_slice(&56u16.to_le_bytes());
        h[56..58].copy_from_slice(&phnum.to_le_bytes());
        h
    }

    #[test]
    fn malformed_headers_are_refused_with_reasons() {
        assert_eq!(parse_elf(b"#!/bin/sh\n"), Err("not an ELF file"));
        assert_eq!(
            parse_elf(&header(ET_EXEC, 40, 1)),
            Err("not an x86-64 program")
        );
        assert_eq!(
            parse_elf(&header(1, EM_X86_64, 1)),
            Err("not an executable ELF file")
        );
        assert_eq!(
            parse_elf(&header(ET_EXEC, EM_X86_64, 0)),
            Err("bad program header table")
        );
        let mut h = header(ET_EXEC, EM_X86_64, 1);
        h[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(parse_elf(&h).is_err());
        assert_eq!(
            parse_elf(&header(ET_EXEC, EM_X86_64, 1)),
            Err("no loadable segment")
        );
    }

    #[test]
    fn a_minimal_executable_parses() {
        let mut h = header(ET_EXEC, EM_X86_64, 1);
        h[24..32].copy_from_slice(&0x401000u64.to_le_bytes());
        let p = &mut h[64..120];
        p[0..4].copy_from_slice(&PT_LOAD.to_le_bytes());
        p[4..8].copy_from_slice(&5u32.to_le_bytes());
        p[16..24].copy_from_slice(&0x400000u64.to_le_bytes());
        p[32..40].copy_from_slice(&0x100u64.to_le_bytes());
        p[40..48].copy_from_slice(&0x200u64.to_le_bytes());
        let e = parse_elf(&h).unwrap();
        assert_eq!(e.entry, 0x401000);
        assert_eq!(e.phdrs[0].memsz, 0x200);
        let mut bad = h.clone();
        bad[64 + 32..64 + 40].copy_from_slice(&0x300u64.to_le_bytes());
        assert_eq!(parse_elf(&bad), Err("bad loadable segment"));
    }
}
