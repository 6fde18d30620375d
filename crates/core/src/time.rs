//! Time values of the North API.

/// A point or span of time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Nanos(pub u64);

impl Nanos {
    /// Seconds part.
    pub fn secs(self) -> u64 {
        self.0 / 1_000_000_000
    }
    /// Sub-second nanoseconds.
    pub fn subsec_nanos(self) -> u64 {
        self.0 % 1_000_000_000
    }
    /// From seconds and nanoseconds, saturating.
    pub fn from_parts(secs: u64, nanos: u64) -> Self {
        Nanos(secs.saturating_mul(1_000_000_000).saturating_add(nanos))
    }
}

/// The clocks a platform provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockKind {
    /// Wall-clock time since the Unix epoch.
    Realtime,
    /// Monotonic time since an arbitrary point.
    Monotonic,
    /// CPU time consumed by the process.
    ProcessCpu,
    /// CPU time consumed by the calling thread.
    ThreadCpu,
    /// Monotonic time including suspend.
    Boottime,
}
