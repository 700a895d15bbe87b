//! Videos: their hash (streamed, never read whole), their metadata from ffprobe and a poster frame
//! from ffmpeg (see `poster`), made into every thumbnail size like a photo's pixels.

use std::ffi::OsString;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde::Deserialize;

use super::analyze::{Analysis, Media, MediaType, Outcome, Settings, SkipKind};
use super::metadata::{self, DateSource, Metadata, Taken};
use super::poster;
use super::sniff::Format;
use super::thumbs::{self, SizeSpec};
use super::tools::{Limits, Tool, ToolError, path_arg};

/// ffprobe reads headers only; a file it cannot answer for in this time is broken or hostile.
const PROBE_LIMITS: Limits = Limits::new(Duration::from_secs(60), 1 << 20);

/// BLAKE3 of a file read through a buffer: a 4 GB video costs 64 KiB of memory, not 4 GB.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let file = std::fs::File::open(path)?;
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(file)?;
    let size = hasher.count();
    Ok((hasher.finalize().to_hex().to_string(), size))
}

/// What ffprobe tells about a video, oriented as it is shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    /// Displayed size: a portrait phone video is stored landscape with a rotation of ±90°.
    pub width: u32,
    pub height: u32,
    pub duration_ms: Option<i64>,
    pub codec: String,
    /// The container as ffprobe names it (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `avi`).
    pub container: String,
    pub frame_rate: Option<f64>,
    pub has_audio: bool,
    pub audio_codec: Option<String>,
    pub taken: Option<Taken>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub altitude: Option<f64>,
    pub make: Option<String>,
    pub model: Option<String>,
    /// `com.apple.quicktime.content.identifier`: the Live Photo's still carries the same one.
    pub content_id: Option<String>,
}

#[derive(Deserialize)]
struct ProbeJson {
    #[serde(default)]
    streams: Vec<StreamJson>,
    format: Option<FormatJson>,
}

#[derive(Deserialize)]
struct StreamJson {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    duration: Option<String>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
    #[serde(default)]
    side_data_list: Vec<SideDataJson>,
    #[serde(default)]
    disposition: std::collections::HashMap<String, i64>,
}

#[derive(Deserialize)]
struct SideDataJson {
    rotation: Option<f64>,
}

#[derive(Deserialize)]
struct FormatJson {
    format_name: Option<String>,
    duration: Option<String>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
}

/// Why a video is not read; becomes the skipped file's reason.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("videos need ffmpeg and ffprobe: install ffmpeg (or set FFMPEG_BIN) and leave DISABLE_FFMPEG unset")]
    NoTools,
    #[error("not a playable video: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error(transparent)]
    TooLarge(thumbs::DecodeError),
}

impl VideoError {
    fn kind(&self) -> SkipKind {
        match self {
            VideoError::NoTools => SkipKind::Unsupported,
            VideoError::TooLarge(_) => SkipKind::TooLarge,
            VideoError::Corrupt(_) | VideoError::Tool(_) => SkipKind::Corrupt,
        }
    }
}

fn tools(settings: &Settings) -> Result<(&Tool, &Tool), VideoError> {
    match (&settings.tools.ffmpeg, &settings.tools.ffprobe) {
        (Some(ffmpeg), Some(ffprobe)) => Ok((ffmpeg, ffprobe)),
        _ => Err(VideoError::NoTools),
    }
}

/// Runs ffprobe on `path` and reads its answer.
pub fn probe(ffprobe: &Tool, path: &Path) -> Result<Probe, VideoError> {
    let args: Vec<OsString> = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
        .into_iter()
        .map(OsString::from)
        .chain([path_arg(path)])
        .collect();
    let out = ffprobe.run(&args, PROBE_LIMITS)?;
    parse_probe(&out.stdout)
}

/// Runs ffprobe on the MP4 clip inside a Motion Photo, `offset` bytes into `path`. Reading the
/// header needs only the clip's own boxes, so ffprobe is told where it starts and what it is.
pub fn probe_embedded(ffprobe: &Tool, path: &Path, offset: u64) -> Result<Probe, VideoError> {
    let offset = offset.to_string();
    let args: Vec<OsString> = ["-v", "error", "-f", "mov", "-skip_initial_bytes", offset.as_str()]
        .into_iter()
        .chain(["-print_format", "json", "-show_format", "-show_streams"])
        .map(OsString::from)
        .chain([path_arg(path)])
        .collect();
    let out = ffprobe.run(&args, PROBE_LIMITS)?;
    parse_probe(&out.stdout)
}

/// A Motion Photo's analysis with its clip: a live photo with the clip's length and codec. A
/// clip ffprobe cannot read (or no ffprobe) leaves the still a plain image.
pub fn with_embedded_clip(mut a: Analysis, path: &Path, clip: (u64, u64), settings: &Settings) -> Analysis {
    let Some(ffprobe) = settings.tools.ffprobe.as_ref() else { return a };
    match probe_embedded(ffprobe, path, clip.0) {
        Ok(probe) => {
            a.media = Media {
                media_type: MediaType::Live,
                duration_ms: probe.duration_ms,
                video_codec: Some(probe.codec).filter(|c| !c.is_empty()),
                frame_rate: probe.frame_rate,
                motion: Some(clip),
            };
        }
        Err(e) => tracing::info!(path = %path.display(), error = %e, "the Motion Photo's clip cannot be read"),
    }
    a
}

/// Reads ffprobe's JSON (`-show_format -show_streams`).
pub fn parse_probe(json: &[u8]) -> Result<Probe, VideoError> {
    let parsed: ProbeJson =
        serde_json::from_slice(json).map_err(|e| VideoError::Corrupt(format!("ffprobe's answer: {e}")))?;
    let video = parsed
        .streams
        .iter()
        // A cover picture inside an MP4 is a "video" stream too.
        .find(|s| s.codec_type.as_deref() == Some("video") && s.disposition.get("attached_pic") != Some(&1))
        .ok_or_else(|| VideoError::Corrupt("it has no video stream".into()))?;
    let audio = parsed.streams.iter().find(|s| s.codec_type.as_deref() == Some("audio"));
    let (w, h) = match (video.width, video.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
        _ => return Err(VideoError::Corrupt("its video stream has no size".into())),
    };
    let rotation = video
        .side_data_list
        .iter()
        .find_map(|s| s.rotation)
        .or_else(|| video.tags.get("rotate").and_then(|r| r.trim().parse().ok()))
        .unwrap_or(0.0);
    let quarter_turn = (rotation.round() as i64).rem_euclid(180) == 90;
    let (width, height) = if quarter_turn { (h, w) } else { (w, h) };
    let format = parsed.format.as_ref();
    let seconds = format
        .and_then(|f| f.duration.as_deref())
        .or(video.duration.as_deref())
        .and_then(|d| d.trim().parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d >= 0.0);
    let frame_rate = [&video.avg_frame_rate, &video.r_frame_rate]
        .into_iter()
        .find_map(|r| r.as_deref().and_then(parse_rate))
        .map(|r| (r * 1000.0).round() / 1000.0);
    let empty = std::collections::HashMap::new();
    let tags = format.map_or(&empty, |f| &f.tags);
    // Tags are matched without case: Matroska writes CREATION_TIME, MP4 creation_time.
    let tag = |name: &str| {
        tags.iter()
            .chain(video.tags.iter())
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let taken = tag("com.apple.quicktime.creationdate")
        .and_then(|d| parse_local_date(&d))
        .or_else(|| tag("creation_time").and_then(|d| parse_utc_date(&d)));
    let location = tag("com.apple.quicktime.location.ISO6709")
        .or_else(|| tag("location"))
        .or_else(|| tag("location-eng"))
        .and_then(|l| parse_iso6709(&l));
    let make = tag("com.apple.quicktime.make").or_else(|| tag("com.android.manufacturer")).or_else(|| tag("make"));
    let model = tag("com.apple.quicktime.model").or_else(|| tag("com.android.model")).or_else(|| tag("model"));
    Ok(Probe {
        width,
        height,
        duration_ms: seconds.map(|s| (s * 1000.0).round() as i64),
        codec: video.codec_name.clone().unwrap_or_default(),
        container: format.and_then(|f| f.format_name.clone()).unwrap_or_default(),
        frame_rate,
        has_audio: audio.is_some(),
        audio_codec: audio.and_then(|a| a.codec_name.clone()),
        taken,
        latitude: location.map(|l| l.0),
        longitude: location.map(|l| l.1),
        altitude: location.and_then(|l| l.2),
        make,
        model,
        content_id: tag("com.apple.quicktime.content.identifier").and_then(|t| super::apple::content_identifier(&t)),
    })
}

/// `30000/1001` or `25`; `0/0` (unknown) is None.
fn parse_rate(rate: &str) -> Option<f64> {
    let r = match rate.split_once('/') {
        Some((n, d)) => n.trim().parse::<f64>().ok()? / d.trim().parse::<f64>().ok()?,
        None => rate.trim().parse().ok()?,
    };
    (r.is_finite() && r > 0.0).then_some(r)
}

/// QuickTime's creation date with its offset: `2024-05-06T12:20:30+0200` (also `+02:00`, and
/// with fractions of a second).
fn parse_local_date(s: &str) -> Option<Taken> {
    let s = s.trim();
    let (local, rest) = (s.get(..19)?, s.get(19..).unwrap_or(""));
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S").ok()?;
    let rest = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = metadata::parse_offset(rest);
    sensible(local).then_some(Taken { local, offset, source: DateSource::Quicktime })
}

/// `creation_time`, which is UTC (`2024-05-06T10:20:30.000000Z`): kept with a zero offset, since
/// where it was taken is not known.
fn parse_utc_date(s: &str) -> Option<Taken> {
    let t = DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc).naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(s.trim().get(..19).unwrap_or(""), "%Y-%m-%d %H:%M:%S"))
        .ok()?;
    sensible(t).then_some(Taken { local: t, offset: FixedOffset::east_opt(0), source: DateSource::Quicktime })
}

/// Cameras without a clock write 1904-01-01 (QuickTime's zero) or 1970-01-01.
fn sensible(t: NaiveDateTime) -> bool {
    t.and_utc().timestamp() > 86_400
}

/// ISO 6709 as phones write it: `+52.5200+013.4050+034.000/` (latitude, longitude, altitude).
pub fn parse_iso6709(s: &str) -> Option<(f64, f64, Option<f64>)> {
    let s = s.trim().trim_end_matches('/');
    let mut parts = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c == '+' || c == '-' {
            if let Some(st) = start {
                parts.push(&s[st..i]);
            }
            start = Some(i);
        }
    }
    parts.push(&s[start?..]);
    let number = |p: &str| p.parse::<f64>().ok().filter(|v| v.is_finite());
    let lat = number(parts.first()?)?;
    let lon = number(parts.get(1)?)?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    Some((lat, lon, parts.get(2).and_then(|a| number(a))))
}

/// Analyses a video: hash, ffprobe, poster frame into the index sizes (unless cached).
///
/// The three run side by side: hashing reads the file on a thread, ffprobe and ffmpeg are other
/// processes (and starting each costs more than a 1080p frame), so on two cores a clip takes about
/// as long as its slowest part instead of their sum. ffmpeg starts before ffprobe has answered
/// when the file's own header tells the clip's length (see [`poster::read_header`]); it is
/// stopped if the thumbnails turn out to be cached or the video is refused.
pub fn analyze(path: &Path, format: Format, name: &str, mtime: Option<DateTime<Utc>>, settings: &Settings) -> Outcome {
    let sizes = thumbs::index_sizes();
    let early_stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let hashing = s.spawn(|| hash_file(path));
        let early = poster::start_early(s, path, &sizes, settings, &early_stop);
        let probed = tools(settings).and_then(|(_, ffprobe)| probe(ffprobe, path));
        let hashed = hashing.join().unwrap_or_else(|_| Err(std::io::Error::other("the hashing thread panicked")));
        let outcome = match hashed {
            Err(e) => Outcome::Skipped { hash: None, kind: SkipKind::Corrupt, reason: format!("cannot read it: {e}") },
            Ok((hash, size)) => match thumbnails(path, settings, &hash, probed, early) {
                Ok((probe, placeholder)) => {
                    Outcome::Photo(Box::new(analysis((&hash, size), format, name, mtime, probe, placeholder)))
                }
                Err(e) => Outcome::Skipped { hash: Some(hash), kind: e.kind(), reason: e.to_string() },
            },
        };
        // A grab nobody took is not waited for.
        early_stop.store(true, Ordering::SeqCst);
        outcome
    })
}

/// The poster's placeholder, with the thumbnails written to the cache unless it has them all.
fn thumbnails(
    path: &Path,
    settings: &Settings,
    hash: &str,
    probed: Result<Probe, VideoError>,
    early: Option<poster::Early<'_>>,
) -> Result<(Probe, Vec<u8>), VideoError> {
    let (ffmpeg, _) = tools(settings)?;
    let probe = probed?;
    let sizes = thumbs::index_sizes();
    let placeholder = match (settings.cache.has_all(hash, &sizes), settings.cache.read_placeholder(hash)) {
        (true, Some(p)) => p,
        _ => {
            let (rgb, permit) = poster::poster(ffmpeg, path, &probe, &sizes, settings, early)?;
            let (made, placeholder) = render_on_two_threads(rgb, &sizes, settings.jpeg_quality)
                .map_err(|e| VideoError::Corrupt(format!("cannot make thumbnails: {e:#}")))?;
            drop(permit);
            let write = |r: std::io::Result<()>| r.map_err(|e| VideoError::Corrupt(format!("writing the cache: {e}")));
            for t in made {
                write(settings.cache.write_thumbnail(hash, t.spec, &t.jpeg))?;
            }
            write(settings.cache.write_placeholder(hash, &placeholder))?;
            placeholder
        }
    };
    Ok((probe, placeholder))
}

/// The index sizes from the poster frame, the largest on a thread of its own: encoding it costs
/// about as much as making all the smaller ones (each from the one before), so a clip's sizes
/// take half the time when a core is free, and no longer when none is. ffmpeg hands the frame
/// over at the largest size's own dimensions, so that one is encoded straight from the frame
/// (no copy); the smaller ones are made from a copy of it. The placeholder comes from the
/// smaller ones, as `thumbs::render` makes it from the smallest fit size.
fn render_on_two_threads(
    rgb: thumbs::Rgb,
    sizes: &[SizeSpec],
    quality: u8,
) -> anyhow::Result<(Vec<thumbs::Thumb>, Vec<u8>)> {
    let largest = sizes.iter().copied().filter(|s| !s.tile).max_by_key(|s| u64::from(s.width) * u64::from(s.height));
    let (w, h) = (rgb.width, rgb.height);
    let Some(largest) = largest.filter(|l| sizes.len() > 2 && thumbs::target(*l, w, h) == (w, h)) else {
        return thumbs::render(rgb, 1, sizes, quality, None);
    };
    let rest: Vec<SizeSpec> = sizes.iter().copied().filter(|s| *s != largest).collect();
    let copy = thumbs::Rgb { width: w, height: h, pixels: rgb.pixels.clone() };
    std::thread::scope(|s| {
        let big = s.spawn(|| thumbs::encode(&rgb.pixels, w, h, quality, None));
        let (mut made, placeholder) = thumbs::render(copy, 1, &rest, quality, None)?;
        let jpeg = big.join().map_err(|_| anyhow::anyhow!("the thread making {} panicked", largest.name))??;
        made.push(thumbs::Thumb { spec: largest, width: w, height: h, jpeg });
        Ok((made, placeholder))
    })
}

/// What the index records of a video.
fn analysis(
    (hash, size): (&str, u64),
    format: Format,
    name: &str,
    mtime: Option<DateTime<Utc>>,
    probe: Probe,
    placeholder: Vec<u8>,
) -> Analysis {
    // The name and the file's time stand in for a date the video does not record.
    let mut meta: Metadata = metadata::extract(None, None, None, name, mtime);
    if probe.taken.is_some() {
        meta.taken = probe.taken;
    }
    meta.camera_make = probe.make.clone();
    meta.camera_model = probe.model.clone();
    meta.latitude = probe.latitude;
    meta.longitude = probe.longitude;
    meta.altitude = probe.altitude;
    meta.content_id = probe.content_id.clone();
    Analysis {
        hash: hash.to_string(),
        size,
        format,
        width: probe.width,
        height: probe.height,
        meta,
        placeholder,
        media: Media {
            media_type: MediaType::Video,
            duration_ms: probe.duration_ms,
            video_codec: Some(probe.codec.clone()).filter(|c| !c.is_empty()),
            frame_rate: probe.frame_rate,
            motion: None,
        },
    }
}

/// One size on request (the large ones, or after the cache was cleared), from a new poster frame.
pub fn make_one(original: &Path, hash: &str, spec: SizeSpec, settings: &Settings) -> anyhow::Result<Vec<u8>> {
    let (ffmpeg, ffprobe) = tools(settings)?;
    let probe = probe(ffprobe, original)?;
    let (rgb, permit) = poster::poster(ffmpeg, original, &probe, &[spec], settings, None)?;
    let (made, _) = thumbs::render(rgb, 1, &[spec], settings.jpeg_quality, None)?;
    drop(permit);
    let jpeg = made.into_iter().next().map(|t| t.jpeg).ok_or_else(|| anyhow::anyhow!("no thumbnail made"))?;
    settings.cache.write_thumbnail(hash, spec, &jpeg)?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso6709_locations_read_with_and_without_altitude() {
        assert_eq!(parse_iso6709("+52.5200+013.4050+034.000/"), Some((52.52, 13.405, Some(34.0))));
        assert_eq!(parse_iso6709("-33.8688+151.2093/"), Some((-33.8688, 151.2093, None)));
        assert_eq!(parse_iso6709("+95.0+013.0/"), None);
        assert_eq!(parse_iso6709("garbage"), None);
    }

    #[test]
    fn quicktime_dates_keep_their_offset() {
        let t = parse_local_date("2024-05-06T12:20:30+0200").unwrap();
        assert_eq!(t.local_text(), "2024-05-06T12:20:30");
        assert_eq!(t.offset_text().as_deref(), Some("+02:00"));
        let u = parse_utc_date("2024-05-06T10:20:30.000000Z").unwrap();
        assert_eq!(u.timestamp(), t.timestamp());
        assert!(parse_utc_date("1904-01-01T00:00:00.000000Z").is_none());
    }

    #[test]
    fn a_portrait_phone_video_is_shown_upright() {
        let json = br#"{"streams":[{"codec_type":"video","codec_name":"hevc","width":1920,"height":1080,
            "avg_frame_rate":"30000/1001","side_data_list":[{"rotation":-90}]}],
            "format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"3.500000","tags":{}}}"#;
        let p = parse_probe(json).unwrap();
        assert_eq!((p.width, p.height), (1080, 1920));
        assert_eq!(p.duration_ms, Some(3500));
        assert_eq!(p.frame_rate, Some(29.97));
    }

    #[test]
    fn a_live_photo_clip_gives_its_content_identifier_from_the_format_tags() {
        let json = br#"{"streams":[{"codec_type":"video","codec_name":"h264","width":320,"height":240}],
            "format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","tags":
            {"com.apple.quicktime.content.identifier":"4f2c3b1a-0000-4000-8000-000000000001"}}}"#;
        let p = parse_probe(json).unwrap();
        assert_eq!(p.content_id.as_deref(), Some("4F2C3B1A-0000-4000-8000-000000000001"));
        let plain = br#"{"streams":[{"codec_type":"video","codec_name":"h264","width":320,"height":240}]}"#;
        assert_eq!(parse_probe(plain).unwrap().content_id, None);
    }
}
