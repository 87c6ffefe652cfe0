//! Giving the memory the node freed back to the system.
//!
//! glibc keeps what a program frees in its arenas for reuse and returns pages only from the
//! top of a heap. After documents rest, megabytes of free chunks sit between live ones and stay
//! resident until `malloc_trim` releases their pages. Other C libraries (musl) and systems
//! return memory themselves or have no such call.

/// Asks the allocator to return its free pages to the system. Returns whether it gave any.
/// It walks every arena under that arena's lock: call it when the node is idle.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn release_free_memory() -> bool {
    // SAFETY: `malloc_trim` takes no pointer and has no precondition; glibc holds each arena's
    // lock while it trims it, so other threads may allocate meanwhile.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Asks the allocator to return its free pages to the system (nothing to ask here).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn release_free_memory() -> bool {
    false
}
