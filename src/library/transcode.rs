//! The background transcode queue: videos a browser cannot play as stored are made into H.264/AAC
//! MP4 (`+faststart`, so playing starts before the whole file arrives) once, one at a time, at
//! the lowest CPU priority, and cached under STORAGE_PATH beside their thumbnails. Indexing only
//! adds rows; it never waits for a transcode. A shutdown does not wait for one either: ffmpeg is
//! killed with its process group, its half-written output removed and the video queued again.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::SqlitePool;

use super::cache::ThumbCache;
use super::tools::{Limits, MediaTools, Tool, ToolError, path_arg};
use crate::db::{retry_busy, write_tx};

/// What browsers play as stored: H.264, VP9 or AV1 in MP4, and VP8, VP9 or AV1 in WebM (Chrome,
/// Firefox and Safari alike). QuickTime files with H.264 (older iPhones, most cameras) play too:
/// browsers read them with their MP4 parser. Everything else — HEVC (Chrome and Firefox cannot),
/// MPEG-4 Part 2, Matroska, AVI, 3GP — is transcoded.
pub fn browser_plays(format: &str, codec: Option<&str>) -> bool {
    matches!(
        (format, codec.unwrap_or("")),
        ("mp4", "h264" | "vp9" | "av1") | ("webm", "vp8" | "vp9" | "av1") | ("mov", "h264")
    )
}

/// A video's rendition as the stream route and the viewer see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Playable {
    /// The original plays in browsers.
    AsStored,
    /// The transcode is cached.
    Transcoded,
    /// Waiting in the queue, or being made now.
    Preparing,
    /// ffmpeg could not make it; the original is all there is.
    Failed,
}

impl Playable {
    /// From the photo's format and codec and its `transcodes.status`, if any.
    pub fn of(format: &str, codec: Option<&str>, status: Option<&str>) -> Playable {
        match status {
            Some("done") => Playable::Transcoded,
            Some("failed") => Playable::Failed,
            _ if browser_plays(format, codec) => Playable::AsStored,
            _ => Playable::Preparing,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Playable::AsStored | Playable::Transcoded => "ready",
            Playable::Preparing => "preparing",
            Playable::Failed => "failed",
        }
    }
}

/// Queues every video, and every live photo's clip, that needs a transcode and has no row yet.
/// Returns how many were queued.
pub async fn enqueue_needed(db: &SqlitePool) -> sqlx::Result<usize> {
    let candidates: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT DISTINCT p.hash, coalesce(p.motion_format, p.format), p.video_codec FROM photos p \
         WHERE (p.media_type = 'video' OR (p.media_type = 'live' AND p.video_codec IS NOT NULL)) \
         AND p.missing = 0 AND NOT EXISTS (SELECT 1 FROM transcodes t WHERE t.hash = p.hash)",
    )
    .fetch_all(db)
    .await?;
    let needed: Vec<String> = candidates
        .into_iter()
        .filter(|(_, format, codec)| !browser_plays(format, codec.as_deref()))
        .map(|(hash, _, _)| hash)
        .collect();
    if needed.is_empty() {
        return Ok(0);
    }
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        for hash in &needed {
            sqlx::query("INSERT INTO transcodes (hash, queued_at) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING")
                .bind(hash)
                .bind(crate::db::now())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    })
    .await?;
    Ok(needed.len())
}

/// Work a stopped server left half done is queued again.
pub async fn requeue_interrupted(db: &SqlitePool) -> sqlx::Result<u64> {
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let n = sqlx::query("UPDATE transcodes SET status = 'pending' WHERE status = 'running'")
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    })
    .await
}

/// What ffmpeg reads for one transcode: a video file, a live photo's clip file, or the clip
/// inside a Motion Photo (its offset and length in the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    pub path: PathBuf,
    pub slice: Option<(u64, u64)>,
}

#[derive(sqlx::FromRow)]
struct Next {
    hash: String,
    path: Option<String>,
    motion_path: Option<String>,
    motion_offset: Option<i64>,
    motion_length: Option<i64>,
}

/// The oldest waiting video and its clip, marked `running`; a clip of None means its files are
/// gone (the row was dropped).
async fn take_next(db: &SqlitePool, originals: &Path) -> sqlx::Result<Option<(String, Option<Clip>)>> {
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let next: Option<Next> = sqlx::query_as(
            "SELECT t.hash, (SELECT f.path FROM photos p JOIN files f ON f.photo_id = p.id AND f.status = 'indexed' \
             AND f.role = 'primary' WHERE p.hash = t.hash ORDER BY f.id LIMIT 1) AS path, \
             (SELECT m.path FROM photos p JOIN files m ON m.photo_id = p.id AND m.status = 'indexed' \
             AND m.role = 'motion' WHERE p.hash = t.hash ORDER BY m.id LIMIT 1) AS motion_path, \
             (SELECT p.motion_offset FROM photos p WHERE p.hash = t.hash AND p.motion_offset IS NOT NULL LIMIT 1) \
             AS motion_offset, (SELECT p.motion_length FROM photos p WHERE p.hash = t.hash \
             AND p.motion_offset IS NOT NULL LIMIT 1) AS motion_length \
             FROM transcodes t WHERE t.status = 'pending' ORDER BY t.queued_at, t.hash LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(next) = next else { return Ok(None) };
        let clip = match (next.motion_path, next.path, next.motion_offset, next.motion_length) {
            (Some(motion), _, _, _) => Some(Clip { path: originals.join(motion), slice: None }),
            (None, Some(still), Some(offset), Some(len)) => {
                Some(Clip { path: originals.join(still), slice: Some((offset as u64, len as u64)) })
            }
            (None, Some(video), _, _) => Some(Clip { path: originals.join(video), slice: None }),
            (None, None, _, _) => None,
        };
        if clip.is_none() {
            // Its files are gone: nothing to transcode; a new index queues it again if it returns.
            sqlx::query("DELETE FROM transcodes WHERE hash = ?").bind(&next.hash).execute(&mut *tx).await?;
        } else {
            sqlx::query("UPDATE transcodes SET status = 'running' WHERE hash = ?")
                .bind(&next.hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some((next.hash, clip)))
    })
    .await
}

async fn finish(db: &SqlitePool, hash: &str, error: Option<&str>) -> sqlx::Result<()> {
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        sqlx::query("UPDATE transcodes SET status = ?, error = ?, finished_at = ? WHERE hash = ?")
            .bind(if error.is_some() { "failed" } else { "done" })
            .bind(error)
            .bind(crate::db::now())
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    })
    .await
}

/// The videos waiting for a transcode (or being made), oldest first, with a file name each: for
/// the admin Library page.
pub async fn waiting(db: &SqlitePool) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT t.status, coalesce((SELECT f.path FROM photos p JOIN files f ON f.photo_id = p.id \
         AND f.role = 'primary' WHERE p.hash = t.hash ORDER BY f.id LIMIT 1), t.hash) FROM transcodes t \
         WHERE t.status IN ('pending', 'running') ORDER BY t.status DESC, t.queued_at, t.hash LIMIT 200",
    )
    .fetch_all(db)
    .await
}

/// A video whose transcode was stopped by a shutdown waits again, as if never started.
async fn requeue(db: &SqlitePool, hash: &str) -> sqlx::Result<()> {
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        sqlx::query("UPDATE transcodes SET status = 'pending' WHERE hash = ? AND status = 'running'")
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    })
    .await
}

/// The running queue: [`Transcoder::stop`] ends it at shutdown.
pub struct Transcoder {
    stop: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

/// How long a shutdown waits for the queue to record a stopped transcode; killing ffmpeg itself
/// takes a few milliseconds.
const STOP_WAIT: Duration = Duration::from_secs(10);

impl Transcoder {
    /// Starts the queue ([`run_queue`]).
    pub fn spawn(
        db: SqlitePool,
        originals: PathBuf,
        cache: ThumbCache,
        tools: Arc<MediaTools>,
        wake: Arc<tokio::sync::Notify>,
    ) -> Transcoder {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(run_queue(db, originals, cache, tools, wake.clone(), stop.clone()));
        Transcoder { stop, wake, task }
    }

    /// Stops the queue: a running ffmpeg is killed (with its process group), its half-written
    /// output removed and its video queued again for the next start. Returns once that is done.
    pub async fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let mut task = self.task;
        if tokio::time::timeout(STOP_WAIT, &mut task).await.is_err() {
            // The database did not answer in time; the next start queues the video again anyway.
            tracing::warn!("the transcode queue did not stop in time: abandoned");
            task.abort();
        }
    }
}

/// Processes the queue until `stop` is set: one transcode at a time; `wake` is notified when an
/// index or upload may have added videos (or to stop), and the queue is looked at every minute
/// anyway.
pub async fn run_queue(
    db: SqlitePool,
    originals: PathBuf,
    cache: ThumbCache,
    tools: Arc<MediaTools>,
    wake: Arc<tokio::sync::Notify>,
    stop: Arc<AtomicBool>,
) {
    if tools.ffmpeg.is_none() {
        return;
    }
    if let Err(e) = requeue_interrupted(&db).await {
        tracing::warn!(error = %e, "cannot queue interrupted transcodes again");
    }
    while !stop.load(Ordering::SeqCst) {
        if let Err(e) = enqueue_needed(&db).await {
            tracing::warn!(error = %e, "cannot queue videos for transcoding");
        }
        match take_next(&db, &originals).await {
            Ok(Some((_, None))) => continue,
            Ok(Some((hash, Some(clip)))) => {
                let (tools, cache, job_hash, job_stop) = (tools.clone(), cache.clone(), hash.clone(), stop.clone());
                let outcome =
                    tokio::task::spawn_blocking(move || transcode(&tools, &clip, &cache, &job_hash, &job_stop)).await;
                if matches!(&outcome, Ok(Err(e)) if stopped(e)) {
                    match requeue(&db, &hash).await {
                        Ok(()) => tracing::info!(hash, "a transcode was stopped by the shutdown: queued again"),
                        Err(e) => tracing::warn!(error = %e, "cannot queue a stopped transcode again"),
                    }
                    break;
                }
                let error = match outcome {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(format!("{e:#}")),
                    Err(e) => Some(e.to_string()),
                };
                match &error {
                    None => tracing::info!(hash, "video transcoded"),
                    Some(e) => tracing::warn!(hash, error = e, "a video could not be transcoded"),
                }
                if let Err(e) = finish(&db, &hash, error.as_deref()).await {
                    tracing::warn!(error = %e, "cannot record a finished transcode");
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the transcode queue"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(60), wake.notified()).await;
    }
}

/// Whether a transcode failed because the shutdown stopped ffmpeg.
fn stopped(e: &anyhow::Error) -> bool {
    e.chain().any(|c| matches!(c.downcast_ref::<ToolError>(), Some(ToolError::Stopped { .. })))
}

/// A long film at the lowest priority on a small machine may take hours; a stuck ffmpeg is
/// stopped after this.
const TRANSCODE_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

/// Transcodes `clip` into the cache, written under a temporary name and renamed when complete.
/// A hardware encoder that fails is retried with libx264. Setting `stop` kills ffmpeg; the
/// temporary file is removed whenever no finished rendition comes out. A clip inside a Motion
/// Photo is copied out first: an MP4's sample offsets count from its own start, so ffmpeg cannot
/// read it in place.
pub fn transcode(
    tools: &MediaTools,
    clip: &Clip,
    cache: &ThumbCache,
    hash: &str,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let ffmpeg = tools.ffmpeg.as_ref().ok_or_else(|| anyhow::anyhow!("ffmpeg is not available"))?;
    let (part, done) = (cache.transcode_part_path(hash), cache.transcode_path(hash));
    if let Some(dir) = part.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let copied = part.with_extension("clip.mp4");
    let input = match clip.slice {
        Some((offset, len)) => {
            copy_slice(&clip.path, offset, len, &copied)?;
            copied.clone()
        }
        None => clip.path.clone(),
    };
    let mut result = run_ffmpeg(ffmpeg, &tools.encoder, tools, &input, &part, stop);
    if result.is_err() && tools.encoder != "libx264" && !stop.load(Ordering::SeqCst) {
        tracing::warn!(encoder = tools.encoder, "the configured encoder failed: trying libx264");
        result = run_ffmpeg(ffmpeg, "libx264", tools, &input, &part, stop);
    }
    if clip.slice.is_some() {
        let _ = std::fs::remove_file(&copied);
    }
    if let Err(e) = result {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    std::fs::rename(&part, &done)?;
    Ok(())
}

/// Copies `len` bytes at `offset` of `from` into a new file `to`.
pub(super) fn copy_slice(from: &Path, offset: u64, len: u64, to: &Path) -> anyhow::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(from)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut out = std::fs::File::create(to)?;
    let copied = std::io::copy(&mut file.take(len), &mut out)?;
    anyhow::ensure!(copied == len, "the clip inside {} is cut short", from.display());
    Ok(())
}

fn run_ffmpeg(
    ffmpeg: &Tool,
    encoder: &str,
    tools: &MediaTools,
    input: &Path,
    output: &Path,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let size = tools.video_size.max(16);
    // Fit the longer side in FFMPEG_SIZE, never upscale, keep even sides (H.264 needs them).
    let scale =
        format!("scale=w='if(gte(iw,ih),min(iw,{size}),-2)':h='if(gte(iw,ih),-2,min(ih,{size}))',format=yuv420p");
    let bitrate = format!("{}M", tools.video_bitrate.max(1));
    let mut args: Vec<OsString> = vec!["-v".into(), "error".into(), "-nostdin".into(), "-y".into(), "-i".into()];
    args.push(path_arg(input));
    for a in [
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-vf",
        &scale,
        "-c:v",
        encoder,
        "-b:v",
        &bitrate,
        "-maxrate",
        &bitrate,
        "-bufsize",
        &bitrate,
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
    ] {
        args.push(a.into());
    }
    if encoder == "libx264" {
        args.extend(["-preset", "veryfast", "-profile:v", "high"].map(OsString::from));
    }
    args.push(path_arg(output));
    let limits = Limits::new(TRANSCODE_TIMEOUT, 64 * 1024);
    // Lowest priority: photos being indexed and pages being served go first.
    match Tool::find(Path::new("nice"), &[]) {
        Some(nice) => {
            let mut with_nice: Vec<OsString> = vec!["-n".into(), "19".into(), ffmpeg.path.clone().into_os_string()];
            with_nice.extend(args);
            nice.run_stoppable(&with_nice, limits, stop)?;
        }
        None => {
            ffmpeg.run_stoppable(&args, limits, stop)?;
        }
    }
    Ok(())
}
