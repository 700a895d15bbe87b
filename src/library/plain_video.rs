//! A video without its metadata, for share links that hide metadata: the playable rendition (the
//! original, or its H.264 transcode) remuxed without the container's tags (dates, GPS such as
//! QuickTime's `©xyz`, camera, titles), without data tracks (an iPhone's timed location) and
//! without chapters. Pictures and sound are copied, not encoded again, so it costs about a file
//! copy; it is made on the first request and cached beside the thumbnails. A Motion Photo's clip
//! (an MP4 inside the still) is copied out of the still first, as for its transcode: an MP4's
//! sample offsets count from its own start, so ffmpeg cannot read it in place; remuxing it (rather
//! than serving the byte range) is what takes its `mvhd`/`udta` metadata away.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::cache::ThumbCache;
use super::tools::{Limits, MediaTools, Tool, path_arg};
use super::transcode::{Clip, copy_slice};

/// The container a plain video is written in, chosen by what its source plays as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// MP4 and QuickTime sources, and every transcode.
    Mp4,
    WebM,
}

impl Container {
    /// The container for a source stored in `format` (`mp4`, `mov`, `webm`): None for formats
    /// no browser plays, which are served through their transcode instead.
    pub fn for_format(format: &str) -> Option<Container> {
        match format {
            "mp4" | "mov" | "m4v" => Some(Container::Mp4),
            "webm" => Some(Container::WebM),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::WebM => "webm",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Container::Mp4 => "video/mp4",
            Container::WebM => "video/webm",
        }
    }

    /// The sound codec used when the source's cannot be copied into this container (a camera's
    /// PCM in MP4).
    fn audio_encoder(self) -> &'static str {
        match self {
            Container::Mp4 => "aac",
            Container::WebM => "libopus",
        }
    }
}

/// A remux reads and writes the file once; even a long film on a slow disk is done well within
/// this, and a stuck ffmpeg is stopped.
const REMUX_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Makes each temporary name unique, so two first requests for one video at once never write
/// the same file.
static NEXT_PART: AtomicU64 = AtomicU64::new(0);

/// The cached plain rendition of `source` (the video, or the live photo's clip, of the item with
/// content `hash`), made now when it is not cached yet. Blocking: call it off the async threads.
pub fn plain_video(
    tools: &MediaTools,
    cache: &ThumbCache,
    hash: &str,
    source: &Clip,
    container: Container,
) -> anyhow::Result<PathBuf> {
    let done = cache.plain_video_path(hash, container.extension());
    if done.is_file() {
        return Ok(done);
    }
    let ffmpeg = tools.ffmpeg.as_ref().ok_or_else(|| anyhow::anyhow!("ffmpeg is not available"))?;
    let part =
        done.with_extension(format!("{}-{}.part", std::process::id(), NEXT_PART.fetch_add(1, Ordering::Relaxed)));
    if let Some(dir) = part.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let copied = part.with_extension("clip");
    let input = match source.slice {
        Some((offset, len)) => match copy_slice(&source.path, offset, len, &copied) {
            Ok(()) => copied.clone(),
            Err(e) => {
                let _ = std::fs::remove_file(&copied);
                return Err(e);
            }
        },
        None => source.path.clone(),
    };
    // Copying the sound fails only where the container cannot hold its codec: then it is encoded.
    let mut result = remux(ffmpeg, &input, &part, container, "copy");
    if result.is_err() {
        result = remux(ffmpeg, &input, &part, container, container.audio_encoder());
    }
    if source.slice.is_some() {
        let _ = std::fs::remove_file(&copied);
    }
    if let Err(e) = result {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    std::fs::rename(&part, &done)?;
    Ok(done)
}

fn remux(ffmpeg: &Tool, source: &Path, output: &Path, container: Container, audio: &str) -> anyhow::Result<()> {
    let mut args: Vec<OsString> = vec!["-v".into(), "error".into(), "-nostdin".into(), "-y".into(), "-i".into()];
    args.push(path_arg(source));
    // Only the first picture and sound tracks: data tracks (timed GPS), subtitles and
    // attachments stay behind. `-map_metadata -1` drops the container's tags, `:s` each
    // track's (their dates); the rotation is side data of the picture track and is kept.
    // `bitexact` keeps ffmpeg from writing its own version tags.
    for a in [
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-map_metadata",
        "-1",
        "-map_metadata:s",
        "-1",
        "-map_chapters",
        "-1",
        "-c:v",
        "copy",
        "-c:a",
        audio,
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-flags:a",
        "+bitexact",
    ] {
        args.push(a.into());
    }
    match container {
        Container::Mp4 => args.extend(["-movflags", "+faststart", "-f", "mp4"].map(OsString::from)),
        Container::WebM => args.extend(["-f", "webm"].map(OsString::from)),
    }
    args.push(path_arg(output));
    ffmpeg.run(&args, Limits::new(REMUX_TIMEOUT, 64 * 1024))?;
    Ok(())
}
