//! The process's allocator: mimalloc, asked for plain blocks whenever its
//! size classes give the alignment Rust asks for anyway.
//!
//! The `mimalloc` crate's adapter passes every allocation through
//! `mi_malloc_aligned`. mimalloc 3 serves that from its fast path only when
//! a block of the class is free and happens to sit at the alignment; the
//! first block of each new page, and every block over 1 KiB, goes to an
//! over-allocating path at several times the cost, in a larger size class
//! (mimalloc_rust pull request 170 proposes this same dispatch). Rust's
//! alignments are at most 16 for nearly every type, and mimalloc's classes
//! are multiples of 8 (of 16 past 64 bytes) from a 16-aligned page start:
//! a block of a multiple of the alignment is aligned by construction.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::{c_int, c_long, c_void};

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

/// mimalloc's `MI_MAX_ALIGN_SIZE`: the most a plain block is aligned to.
const PLAIN_ALIGN: usize = 16;

/// mimalloc as the global allocator.
pub struct MiMalloc;

/// Whether a plain block of `size` bytes is aligned to `align`.
fn plain(size: usize, align: usize) -> bool {
    align <= PLAIN_ALIGN && size % align == 0
}

// SAFETY: every block comes from mimalloc, which frees and reallocates any
// block it made whichever entry point made it; the aligned entry points
// take every case the plain ones are not known to align.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(layout.size(), layout.align()) {
            mi_malloc(layout.size()).cast()
        } else {
            mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(layout.size(), layout.align()) {
            mi_zalloc(layout.size()).cast()
        } else {
            mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain(new_size, layout.align()) {
            mi_realloc(ptr.cast(), new_size).cast()
        } else {
            mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
        }
    }
}

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (milliseconds a
/// freed page waits before it is handed back to the kernel; -1: never).
/// libmimalloc-sys binds `mi_option_set` only in its `extended` feature,
/// and names no constant for this option.
const MI_OPTION_PURGE_DELAY: c_int = 15;

extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    #[cfg(test)]
    fn mi_option_get(option: c_int) -> c_long;
}

/// Keeps memory freed from now on in the process instead of handing it back
/// to the kernel after a second (mimalloc's default). For the emulator: it
/// frees some kilobytes on every request and takes them again on the next
/// ones, and each hand-back cost a page fault and a zeroed 2 MiB huge page
/// to take it back (zeroing pages was 12% of its CPU samples with a million
/// users stored; page faults over 900,000 SignUps fell from 3,871 to 869,
/// BENCHMARKS.md). Its memory is the users it stores; what requests use in
/// passing is small.
pub fn keep_freed_memory() {
    // SAFETY: sets one of mimalloc's global options; any value is valid
    // for it and it may be changed at any time.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes around every class boundary up to a few pages, and large ones.
    fn sizes() -> impl Iterator<Item = usize> {
        (1..=1100).chain([4095, 4096, 4097, 65_536, 65_544, 1 << 20, (1 << 22) + 8])
    }

    #[test]
    fn every_block_has_its_alignment_and_keeps_its_bytes() {
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 4096] {
            for size in sizes() {
                let layout = Layout::from_size_align(size, align).expect("layout");
                // SAFETY: sizes are non-zero; each block is written within
                // its size and freed once, with its layout.
                unsafe {
                    let block = MiMalloc.alloc(layout);
                    assert!(!block.is_null());
                    assert_eq!(block as usize % align, 0, "alloc {size} align {align}");
                    block.write_bytes(0xA5, size);
                    let grown = MiMalloc.realloc(block, layout, size * 2 + 8);
                    assert_eq!(grown as usize % align, 0, "realloc {size} align {align}");
                    assert!((0..size).all(|i| *grown.add(i) == 0xA5));
                    let grown_layout =
                        Layout::from_size_align(size * 2 + 8, align).expect("layout");
                    MiMalloc.dealloc(grown, grown_layout);
                    let zeroed = MiMalloc.alloc_zeroed(layout);
                    assert_eq!(zeroed as usize % align, 0, "zalloc {size} align {align}");
                    assert!((0..size).all(|i| *zeroed.add(i) == 0));
                    MiMalloc.dealloc(zeroed, layout);
                }
            }
        }
    }

    #[test]
    fn plain_blocks_are_only_asked_for_alignments_their_classes_give() {
        assert!(plain(24, 8));
        assert!(plain(48, 16));
        assert!(!plain(24, 16), "a 24-byte class block is only 8-aligned");
        assert!(!plain(64, 32));
        assert!(plain(1, 1));
    }

    #[test]
    fn the_option_set_is_the_purge_delay() {
        // SAFETY: reads a global option.
        let before = unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) };
        // The purge delay's default (mimalloc's options.c): another number
        // means the option at this index is not the one this module sets.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(before, 1000);
        }
        keep_freed_memory();
        // SAFETY: as above.
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, -1);
    }
}
