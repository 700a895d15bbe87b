//! The `shoebox` binary run on a test app's storage, the way an administrator runs it beside the
//! server (same database, same originals).

use std::path::Path;
use std::process::{Command, Output};

use super::TestApp;

pub const SHOEBOX_BIN: &str = env!("CARGO_BIN_EXE_shoebox");

/// `shoebox ARGS…` on `app`'s storage; its output, whatever the exit status.
pub fn run_shoebox(app: &TestApp, args: &[&str]) -> Output {
    run_shoebox_in(app.storage.path(), args)
}

pub fn run_shoebox_in(storage: &Path, args: &[&str]) -> Output {
    Command::new(SHOEBOX_BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SHOEBOX_STORAGE_PATH", storage)
        .env("SHOEBOX_LOG_LEVEL", "warn")
        .current_dir(storage)
        .args(args)
        .output()
        .unwrap()
}

/// `shoebox ARGS…`, which must succeed; its standard output.
pub fn shoebox_ok(app: &TestApp, args: &[&str]) -> String {
    let out = run_shoebox(app, args);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "shoebox {args:?}: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    stdout.into_owned()
}
