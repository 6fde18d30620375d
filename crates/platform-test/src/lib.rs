//! The in-memory test platform that will drive the core and shim in unit tests (DESIGN §1).
//!
//! Not written yet: the core's and shim's unit tests currently use small fakes of their own
//! (e.g. the fake host volume in `meridian-core`'s hostfs tests). TODO(issue 2): a `Platform`
//! over a byte-array guest memory so that syscall handlers can be unit-tested and fuzzed.
