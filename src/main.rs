//! The `shoebox` binary; everything lives in the library crate.

/// mimalloc returns freed memory to the system promptly and keeps per-thread fragmentation low,
/// which keeps the index workers' peak memory bounded (glibc's per-thread arenas held ~40 MB more
/// with two workers on 24 MP photos).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    shoebox::cli::main()
}
