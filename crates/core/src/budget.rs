//! The sandbox's memory budget: one count of bytes, shared by every process of the sandbox,
//! that in-memory file data is charged against.
//!
//! [`MemoryBudget`] is a limit and an atomic count. Every in-memory filesystem of a sandbox
//! (the default root with /tmp, /root and /run, `--tmpfs` mounts, the writable layers of
//! overlays) holds the same budget and charges each page of file data it keeps, on top of its
//! own `size=` limit; freeing data (unlink of the last link, truncate, hole punch) uncharges
//! it. A charge past the limit fails, which the filesystems report as `Error::NoSpace`
//! (ENOSPC), as a full tmpfs does. The budget is made while the kernel boots, so (D16) it
//! lives in the shared kernel heap and every process of the sandbox counts against one number.
//!
//! [`MemoryBudget::charge`] and [`MemoryBudget::uncharge`] are the whole interface: any other
//! kernel object whose memory a guest controls can be charged the same way.
//!
//! Depends on nothing but `core`.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

/// A charge did not fit in the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverBudget;

/// A limit in bytes and what is charged against it. See the module documentation.
#[derive(Debug)]
pub struct MemoryBudget {
    limit_bytes: u64,
    charged_bytes: AtomicU64,
}

/// A budget shared by the objects that charge it.
pub type BudgetRef = Arc<MemoryBudget>;

impl MemoryBudget {
    /// A new budget of `limit_bytes`, nothing charged.
    pub fn new(limit_bytes: u64) -> BudgetRef {
        Arc::new(MemoryBudget {
            limit_bytes,
            charged_bytes: AtomicU64::new(0),
        })
    }

    /// Charge `bytes`: all of them or, past the limit, none (`OverBudget`).
    pub fn charge(&self, bytes: u64) -> Result<(), OverBudget> {
        if bytes == 0 {
            return Ok(());
        }
        self.charged_bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&t| t <= self.limit_bytes)
            })
            .map(drop)
            .map_err(|_| OverBudget)
    }

    /// Give back `bytes` charged earlier (never below zero).
    pub fn uncharge(&self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let _ = self
            .charged_bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(bytes))
            });
    }

    /// The limit.
    pub fn limit_bytes(&self) -> u64 {
        self.limit_bytes
    }

    /// What is charged now.
    pub fn charged_bytes(&self) -> u64 {
        self.charged_bytes.load(Ordering::Acquire)
    }

    /// What may still be charged.
    pub fn available_bytes(&self) -> u64 {
        self.limit_bytes.saturating_sub(self.charged_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_up_to_the_limit_and_uncharges() {
        let b = MemoryBudget::new(10);
        assert_eq!(b.charge(6), Ok(()));
        assert_eq!(b.charge(5), Err(OverBudget));
        assert_eq!(b.charged_bytes(), 6);
        assert_eq!(b.charge(4), Ok(()));
        assert_eq!(b.available_bytes(), 0);
        b.uncharge(7);
        assert_eq!(b.charged_bytes(), 3);
        assert_eq!(b.charge(u64::MAX), Err(OverBudget));
        b.uncharge(100);
        assert_eq!(b.charged_bytes(), 0);
    }
}
