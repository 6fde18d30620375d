//! `--trace`: one strace-like line per guest syscall on stderr.

use crate::table::{Arg, Outcome, TABLE};
use crate::{Kernel, LinuxPlatform, Thread};
use alloc::format;
use alloc::string::String;
use meridian_core::platform::HostFd;

impl<P: LinuxPlatform> Kernel<P> {
    /// Print the trace line of one call.
    pub fn trace_call(&self, t: &Thread, nr: u32, args: &[u64; 6], out: &Outcome) {
        let entry = TABLE.iter().find(|e| e.nr == nr);
        let name = entry.map_or_else(|| format!("syscall_{nr}"), |e| String::from(e.name));
        let mut shown = String::new();
        let kinds = entry.map_or(&[Arg::Hex, Arg::Hex, Arg::Hex][..], |e| e.args);
        for (i, (kind, v)) in kinds.iter().zip(args.iter()).enumerate() {
            if i > 0 {
                shown.push_str(", ");
            }
            shown.push_str(&match kind {
                Arg::Int => format!("{}", *v as i64),
                Arg::Len => format!("{v}"),
                Arg::Hex | Arg::Ptr => format!("{v:#x}"),
                Arg::Path => match self.read_cstr(*v, 256) {
                    Ok(s) => format!("{:?}", String::from_utf8_lossy(&s)),
                    Err(_) => format!("{v:#x}"),
                },
            });
        }
        let result = match out {
            Outcome::Return(Ok(v)) => format!("= {}", *v as i64),
            Outcome::Return(Err(e)) => format!("= -1 {}", e.0.name().unwrap_or("E?")),
            Outcome::ContextSet => String::from("= ?"),
            Outcome::Exit(_) => String::from("= ? (exit)"),
            Outcome::ForkChild { .. } => String::from("= 0 (child)"),
            Outcome::Gone => String::from("= 0 (in the vfork child's own process)"),
        };
        let line = format!("[{}] {name}({shown}) {result}\n", t.tid);
        let _ = self.p.host_write(HostFd(2), line.as_bytes(), None);
    }
}
