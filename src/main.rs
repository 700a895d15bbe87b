//! The `shoebox` binary; everything lives in the library crate.

/// mimalloc keeps per-thread fragmentation low, which keeps the index workers' peak memory
/// bounded (glibc's per-thread arenas held ~40 MB more with two workers on 24 MP photos).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc gives freed memory back to the system only after `purge_delay` (1 s by default). An
/// index frees a decoded photo (18 MB for a 24 MP JPEG at half scale) several times a second, so
/// with the default the process kept 40–60 MB of freed, unreturned pages at its peak (two workers,
/// 24 MP photos: 142–185 MB instead of 97–108 MB). mimalloc reads its options from the environment
/// only when the process loads, and setting them from code needs `unsafe`, so the binary starts
/// itself once more with the option set. An explicit `MIMALLOC_PURGE_DELAY` is left alone.
const PURGE_DELAY: (&str, &str) = ("MIMALLOC_PURGE_DELAY", "0");

fn main() -> std::process::ExitCode {
    #[cfg(unix)]
    if std::env::var_os(PURGE_DELAY.0).is_none() {
        use std::os::unix::process::CommandExt;
        if let Ok(exe) = std::env::current_exe() {
            let mut args = std::env::args_os();
            let mut cmd = std::process::Command::new(exe);
            if let Some(arg0) = args.next() {
                cmd.arg0(arg0);
            }
            // `exec` returns only when it failed; then run as we are.
            let _ = cmd.args(args).env(PURGE_DELAY.0, PURGE_DELAY.1).exec();
        }
    }
    shoebox::cli::main()
}
