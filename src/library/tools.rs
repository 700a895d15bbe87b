//! External programs (ffmpeg, ffprobe, heif-dec), found once at start and run safely: no shell,
//! arguments as a list, file names that can never be read as options, a deadline after which the
//! process is killed, and bounded output. A hostile or broken file costs one failed call, never a
//! stuck worker or an unbounded buffer.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a call may take and how much it may print.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    /// Bytes of standard output kept; more fails the call (the caller asked for a bounded answer).
    pub max_stdout: usize,
}

impl Limits {
    pub const fn new(timeout: Duration, max_stdout: usize) -> Limits {
        Limits { timeout, max_stdout }
    }
}

/// The last bytes of standard error kept for the error message.
const STDERR_TAIL: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{tool} could not be started: {source}")]
    Spawn { tool: String, source: std::io::Error },
    #[error("{tool} took longer than {}s and was stopped", timeout.as_secs())]
    Timeout { tool: String, timeout: Duration },
    #[error("{tool} printed more than {limit} bytes and was stopped")]
    TooMuchOutput { tool: String, limit: usize },
    #[error("{tool} was stopped: the server is shutting down")]
    Stopped { tool: String },
    #[error("{tool} failed ({status}): {stderr}")]
    Failed { tool: String, status: String, stderr: String },
}

/// A finished call's output.
#[derive(Debug)]
pub struct Output {
    pub stdout: Vec<u8>,
    /// The end of standard error, lossily decoded.
    pub stderr: String,
}

/// A program found at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// How it is called in messages (`ffmpeg`).
    pub name: String,
    pub path: PathBuf,
}

impl Tool {
    /// `configured` is a path (used as is when it exists) or a bare name searched in PATH; the
    /// `alternatives` are bare names tried after it (heif-dec's older name is heif-convert).
    pub fn find(configured: &Path, alternatives: &[&str]) -> Option<Tool> {
        std::iter::once(configured.as_os_str())
            .chain(alternatives.iter().map(OsStr::new))
            .find_map(|c| resolve(Path::new(c)))
            .map(|path| Tool { name: path.file_name().unwrap_or_default().to_string_lossy().into_owned(), path })
    }

    /// A tool named `name` in the same folder as this one (ffprobe beside ffmpeg), else in PATH.
    pub fn sibling(&self, name: &str) -> Option<Tool> {
        let beside = self.path.parent().map(|d| d.join(name));
        beside
            .and_then(|p| resolve(&p))
            .or_else(|| resolve(Path::new(name)))
            .map(|path| Tool { name: name.to_string(), path })
    }

    /// Runs the tool with `args` and waits at most `limits.timeout`. Fails unless it exits with 0.
    pub fn run(&self, args: &[OsString], limits: Limits) -> Result<Output, ToolError> {
        self.run_with(args, limits, |_| {})
    }

    /// As [`Tool::run`], letting the caller adjust the command first (its environment, or
    /// `nice` for background work).
    pub fn run_with(
        &self,
        args: &[OsString],
        limits: Limits,
        adjust: impl FnOnce(&mut Command),
    ) -> Result<Output, ToolError> {
        self.run_inner(args, limits, adjust, None)
    }

    /// As [`Tool::run`], and stopped (its whole process group killed) as soon as `stop` is set:
    /// for long background work a shutdown must not wait for.
    pub fn run_stoppable(&self, args: &[OsString], limits: Limits, stop: &AtomicBool) -> Result<Output, ToolError> {
        self.run_inner(args, limits, |_| {}, Some(stop))
    }

    fn run_inner(
        &self,
        args: &[OsString],
        limits: Limits,
        adjust: impl FnOnce(&mut Command),
        stop: Option<&AtomicBool>,
    ) -> Result<Output, ToolError> {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(&self.path);
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // Its own process group, so stopping it stops whatever it started too (and with them the
        // pipes the readers below wait on).
        cmd.process_group(0);
        adjust(&mut cmd);
        let mut child = cmd.spawn().map_err(|source| ToolError::Spawn { tool: self.name.clone(), source })?;

        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let max = limits.max_stdout;
        let out_reader = std::thread::spawn(move || read_bounded(stdout, max));
        let err_reader = std::thread::spawn(move || read_tail(stderr, STDERR_TAIL));

        let deadline = Instant::now() + limits.timeout;
        let mut pause = Duration::from_millis(2);
        let mut stopped = false;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() >= deadline => break None,
                Ok(None) if stop.is_some_and(|s| s.load(Ordering::SeqCst)) => {
                    stopped = true;
                    break None;
                }
                Ok(None) => {
                    // An output reader that hit its bound ends early: stop the tool at once.
                    if out_reader.is_finished() {
                        kill_group(&mut child);
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(_) => break None,
            }
        };
        if status.is_none() {
            kill_group(&mut child);
            let _ = child.wait();
        }
        let (stdout, overflow) = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        if stopped {
            return Err(ToolError::Stopped { tool: self.name.clone() });
        }
        if overflow {
            return Err(ToolError::TooMuchOutput { tool: self.name.clone(), limit: max });
        }
        let Some(status) = status else {
            return Err(ToolError::Timeout { tool: self.name.clone(), timeout: limits.timeout });
        };
        if !status.success() {
            let status = status.code().map_or_else(|| "killed by a signal".to_string(), |c| format!("exit code {c}"));
            return Err(ToolError::Failed { tool: self.name.clone(), status, stderr: last_line(&stderr) });
        }
        Ok(Output { stdout, stderr })
    }
}

/// The media tools this server found at start, with the settings that go with them.
#[derive(Debug, Clone, Default)]
pub struct MediaTools {
    /// Videos: poster frames and transcoding. None when missing or DISABLE_FFMPEG.
    pub ffmpeg: Option<Tool>,
    /// Videos: metadata. Found beside ffmpeg (or in PATH); None when ffmpeg is off.
    pub ffprobe: Option<Tool>,
    /// HEIC and AVIF: libheif's `heif-dec` (or its older name `heif-convert`).
    pub heif_dec: Option<Tool>,
    /// DISABLE_HEIFCONVERT is set (so a HEIC is skipped as turned off, not as missing a tool).
    pub heif_off: bool,
    /// RAW files are indexed (DISABLE_RAW not set).
    pub raw: bool,
    pub encoder: String,
    /// Longest side of a transcoded video.
    pub video_size: u32,
    /// Mbit/s.
    pub video_bitrate: u32,
}

impl MediaTools {
    /// Looks for each tool the configuration asks for. Missing tools are not an error: files that
    /// need one are recorded as skipped with the reason naming it.
    pub fn find(config: &crate::config::MediaConfig) -> MediaTools {
        let ffmpeg = config.ffmpeg_bin.as_deref().and_then(|p| Tool::find(p, &[]));
        let ffprobe = ffmpeg.as_ref().and_then(|f| f.sibling("ffprobe"));
        // The default name also finds the older heif-convert; a name or path the administrator
        // chose is used alone, so a wrong one shows as missing rather than quietly replaced.
        let heif_dec = config.heif_convert_bin.as_deref().and_then(|p| {
            let default = p == Path::new("heif-dec") || p == Path::new("heif-convert");
            Tool::find(p, if default { &["heif-dec", "heif-convert"] } else { &[] })
        });
        MediaTools {
            ffmpeg,
            ffprobe,
            heif_dec,
            heif_off: config.heif_convert_bin.is_none(),
            raw: config.raw_enabled,
            encoder: config.ffmpeg_encoder.codec().to_string(),
            video_size: config.ffmpeg_size,
            video_bitrate: config.ffmpeg_bitrate,
        }
    }

    /// One line per tool for the start-up log and the admin Library page: found where, or why not.
    pub fn report(&self, config: &crate::config::MediaConfig) -> Vec<(&'static str, String)> {
        let state = |tool: &Option<Tool>, configured: Option<&Path>, disable: &str| match (tool, configured) {
            (Some(t), _) => format!("found at {}", t.path.display()),
            (None, None) => format!("off ({disable}=true)"),
            (None, Some(p)) => format!("not found ({}): install it or set its *_BIN option", p.display()),
        };
        vec![
            ("ffmpeg", state(&self.ffmpeg, config.ffmpeg_bin.as_deref(), "DISABLE_FFMPEG")),
            (
                "ffprobe",
                state(&self.ffprobe, config.ffmpeg_bin.as_deref().map(|_| Path::new("ffprobe")), "DISABLE_FFMPEG"),
            ),
            ("heif-dec", state(&self.heif_dec, config.heif_convert_bin.as_deref(), "DISABLE_HEIFCONVERT")),
            ("raw", if self.raw { "embedded previews".to_string() } else { "off (DISABLE_RAW=true)".to_string() }),
        ]
    }
}

fn kill_group(child: &mut std::process::Child) {
    let _ = child.kill();
    if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// A file name as an argument that no tool can take for an option: an absolute path is used as is,
/// a relative one gets a leading `./`.
pub fn path_arg(path: &Path) -> OsString {
    if path.is_absolute() { path.as_os_str().to_owned() } else { Path::new(".").join(path).into_os_string() }
}

fn resolve(candidate: &Path) -> Option<PathBuf> {
    let executable = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if candidate.components().count() > 1 {
        return executable(candidate).then(|| candidate.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(candidate)).find(|p| executable(p))
}

/// Up to `max` bytes; `true` when there was more (reading stops there).
fn read_bounded(mut from: impl Read, max: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let read = (&mut from).take(max as u64 + 1).read_to_end(&mut kept);
    if read.is_err() {
        return (kept, false);
    }
    let overflow = kept.len() > max;
    kept.truncate(max);
    (kept, overflow)
}

/// Everything read, keeping only the last `max` bytes.
fn read_tail(mut from: impl Read, max: usize) -> String {
    let mut tail: Vec<u8> = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 2 * max {
            tail.drain(..tail.len() - max);
        }
    }
    if tail.len() > max {
        tail.drain(..tail.len() - max);
    }
    String::from_utf8_lossy(&tail).into_owned()
}

/// The last non-empty line of a tool's error output: where tools say what went wrong.
fn last_line(stderr: &str) -> String {
    let line = stderr.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("no message");
    line.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh() -> Tool {
        Tool::find(Path::new("sh"), &[]).expect("sh is in PATH")
    }

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn a_tool_that_runs_too_long_is_stopped_at_its_deadline() {
        let started = Instant::now();
        let e = sh().run(&args(&["-c", "sleep 30"]), Limits::new(Duration::from_millis(300), 1024)).unwrap_err();
        assert!(matches!(e, ToolError::Timeout { .. }), "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_tool_asked_to_stop_is_killed_with_everything_it_started() {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let setter = stop.clone();
        let asker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            setter.store(true, Ordering::SeqCst);
        });
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild.pid");
        // The shell starts a grandchild (as `nice` starts ffmpeg) and waits for it.
        let script = format!("sleep 60 & echo $! > {}; wait", pid_file.display());
        let e = sh().run_stoppable(&args(&["-c", &script]), Limits::new(Duration::from_secs(60), 1024), &stop);
        asker.join().unwrap();
        assert!(matches!(e, Err(ToolError::Stopped { .. })), "{e:?}");
        let grandchild: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
        // Killed with its group: gone, or a zombie waiting for init to reap it (a signal takes a
        // moment to land, hence the few looks).
        let alive = || {
            let state = std::fs::read_to_string(format!("/proc/{grandchild}/stat")).unwrap_or_default();
            !state.is_empty() && !state.contains(") Z ")
        };
        let mut looks = 0;
        while alive() && looks < 100 {
            std::thread::sleep(Duration::from_millis(50));
            looks += 1;
        }
        assert!(!alive(), "the grandchild still runs");
    }

    #[test]
    fn a_tool_that_prints_too_much_is_stopped_and_refused() {
        let e = sh().run(&args(&["-c", "yes"]), Limits::new(Duration::from_secs(20), 10_000)).unwrap_err();
        assert!(matches!(e, ToolError::TooMuchOutput { limit: 10_000, .. }), "{e}");
    }

    #[test]
    fn a_failing_tool_reports_its_last_error_line() {
        let e = sh()
            .run(
                &args(&["-c", "echo first >&2; echo 'the real reason' >&2; exit 3"]),
                Limits::new(Duration::from_secs(20), 1024),
            )
            .unwrap_err();
        assert_eq!(e.to_string(), "sh failed (exit code 3): the real reason");
    }

    #[test]
    fn output_is_returned_whole_within_the_bound() {
        let out = sh().run(&args(&["-c", "printf hello"]), Limits::new(Duration::from_secs(20), 5)).unwrap();
        assert_eq!(out.stdout, b"hello");
    }

    #[test]
    fn file_names_never_look_like_options() {
        assert_eq!(path_arg(Path::new("-i.jpg")), OsString::from("./-i.jpg"));
        assert_eq!(path_arg(Path::new("/x/-y.mov")), OsString::from("/x/-y.mov"));
    }

    #[test]
    fn a_missing_tool_is_not_found() {
        assert!(Tool::find(Path::new("shoebox-no-such-tool"), &["neither-this-one"]).is_none());
        assert_eq!(Tool::find(Path::new("shoebox-no-such-tool"), &["sh"]).unwrap().name, "sh");
    }
}
