//! The page allocator of the shared heap: spans of whole pages for large blocks and for the
//! size classes' chunks. Free spans are kept on one doubly linked list (first fit; a larger
//! span gives its tail) and are merged with free neighbours when freed, so that large blocks
//! freed in one order and small ones carved from them do not fragment the region into pieces
//! no large request fits (the 8-process test exhausted a 1 GiB region before merging was
//! added). A span freed next to the never-used top of the region lowers the top instead.
//!
//! Neighbours are found through boundary tags: one `u32` per page, in the region after the
//! header, holding a free span's length in pages at its first and at its last page and 0
//! everywhere else (pages of used spans included). So the page before a freed span has a
//! non-zero tag exactly when it ends a free span, and the page after it when it starts one.
//! All of this state is inside the region and changed only under the page lock.

use super::PAGE_BYTES;

/// What a free span holds in its first bytes.
#[repr(C)]
struct SpanLink {
    next: usize,
    prev: usize,
    pages: usize,
}

/// The page allocator's state (in the heap's header, behind the page lock).
#[derive(Debug)]
#[repr(C)]
pub(super) struct Pages {
    /// First page that may be handed out.
    start: usize,
    /// Pages from here to `end` were never handed out (or were given back at the top).
    bump: usize,
    end: usize,
    /// Address of the boundary tags, one `u32` per page from `start` to `end`.
    tags: usize,
    /// First free span, 0 if none.
    spans: usize,
}

/// Bytes of boundary tags a region of `bytes` needs, rounded to pages.
pub(super) const fn tag_bytes(bytes: usize) -> usize {
    (bytes / PAGE_BYTES * core::mem::size_of::<u32>()).next_multiple_of(PAGE_BYTES)
}

impl Pages {
    /// Pages `start..end` (page-aligned), tags at `tags` (zeroed, `tag_bytes` long).
    pub(super) fn new(start: usize, end: usize, tags: usize) -> Pages {
        Pages {
            start,
            bump: start,
            end,
            tags,
            spans: 0,
        }
    }

    /// The top of what was ever handed out.
    pub(super) fn bump(&self) -> usize {
        self.bump
    }

    fn tag(&self, page: usize) -> *mut u32 {
        (self.tags + (page - self.start) / PAGE_BYTES * core::mem::size_of::<u32>()) as *mut u32
    }

    /// Marks `span..span + pages` as a free span in the tags.
    ///
    /// # Safety
    /// The page lock is held and the span lies in `start..bump`.
    unsafe fn set_tags(&mut self, span: usize, pages: usize, value: u32) {
        // SAFETY: both pages are in `start..end`, so their tags are inside the tag array,
        // which is ours under the page lock.
        unsafe {
            self.tag(span).write(value);
            self.tag(span + (pages - 1) * PAGE_BYTES).write(value);
        }
    }

    /// # Safety
    /// The page lock is held and `span` is on the free list.
    unsafe fn unlink(&mut self, span: usize) {
        let link = span as *mut SpanLink;
        // SAFETY: free spans start with a SpanLink and their neighbours on the list are free
        // spans too; all in the region, under the page lock.
        unsafe {
            let (next, prev) = ((*link).next, (*link).prev);
            if prev == 0 {
                self.spans = next;
            } else {
                (*(prev as *mut SpanLink)).next = next;
            }
            if next != 0 {
                (*(next as *mut SpanLink)).prev = prev;
            }
        }
    }

    /// # Safety
    /// The page lock is held and `span..span + pages` is free, in `start..bump`, not listed.
    unsafe fn push(&mut self, span: usize, pages: usize) {
        // SAFETY: the span is ours to write (caller), and the current head is a free span.
        unsafe {
            (span as *mut SpanLink).write(SpanLink {
                next: self.spans,
                prev: 0,
                pages,
            });
            if self.spans != 0 {
                (*(self.spans as *mut SpanLink)).prev = span;
            }
            self.set_tags(span, pages, pages as u32);
        }
        self.spans = span;
    }

    /// A span of `pages` pages, or None when the region has no room.
    ///
    /// # Safety
    /// The page lock is held.
    pub(super) unsafe fn take(&mut self, pages: usize) -> Option<usize> {
        let mut span = self.spans;
        while span != 0 {
            let link = span as *mut SpanLink;
            // SAFETY: listed spans are free and start with a SpanLink (push).
            let (next, have) = unsafe { ((*link).next, (*link).pages) };
            if have >= pages {
                // SAFETY: `span` is listed and ours under the lock; the allocated part's tags
                // are cleared (its inner pages were 0 already), the rest is re-listed.
                unsafe {
                    self.unlink(span);
                    self.set_tags(span, have, 0);
                    if have > pages {
                        self.push(span, have - pages);
                    }
                }
                return Some(span + (have - pages) * PAGE_BYTES);
            }
            span = next;
        }
        let bytes = pages.checked_mul(PAGE_BYTES)?;
        if self.end - self.bump < bytes {
            return None;
        }
        let span = self.bump;
        self.bump += bytes;
        Some(span)
    }

    /// Gives back a span, merging it with free neighbours.
    ///
    /// # Safety
    /// The page lock is held, and `span` came from [`take`](Self::take)`(pages)` and is not
    /// used again.
    pub(super) unsafe fn give(&mut self, mut span: usize, mut pages: usize) {
        if span > self.start {
            // SAFETY: the page before is in `start..bump`; its tag is non-zero only at the
            // last page of a free span, whose length it holds.
            let before = unsafe { self.tag(span - PAGE_BYTES).read() } as usize;
            if before != 0 {
                let left = span - before * PAGE_BYTES;
                // SAFETY: `left` is a listed free span (the tag invariant).
                unsafe {
                    self.unlink(left);
                    self.set_tags(left, before, 0);
                }
                span = left;
                pages += before;
            }
        }
        let after = span + pages * PAGE_BYTES;
        if after < self.bump {
            // SAFETY: `after` is in `start..bump`; its tag is non-zero only at the first page
            // of a free span.
            let next = unsafe { self.tag(after).read() } as usize;
            if next != 0 {
                // SAFETY: `after` is a listed free span.
                unsafe {
                    self.unlink(after);
                    self.set_tags(after, next, 0);
                }
                pages += next;
            }
        }
        if span + pages * PAGE_BYTES == self.bump {
            self.bump = span;
            return;
        }
        // SAFETY: the merged span is free, ours, in `start..bump` and not listed.
        unsafe { self.push(span, pages) };
    }
}
