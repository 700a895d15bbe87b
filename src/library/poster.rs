//! A video's poster frame: where in the clip it is taken, and ffmpeg grabbing that one frame
//! already shrunk to what the thumbnails asked for, as RGB on a pipe.

use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::analyze::Settings;
use super::budget::Permit;
use super::thumbs::{self, Rgb, SizeSpec};
use super::tools::{Limits, Tool, ToolError, path_arg};
use super::video::{Probe, VideoError};

/// Seeking and decoding one frame of a 4K HEVC file takes a few seconds on a small machine.
const POSTER_TIMEOUT: Duration = Duration::from_secs(120);

/// Where the poster frame is taken: one second in, or a tenth of a short clip (its first frame
/// is often black or blurred).
pub fn poster_at(duration_ms: Option<i64>) -> f64 {
    match duration_ms {
        Some(ms) if ms >= 10_000 => 1.0,
        Some(ms) => ms as f64 / 10_000.0,
        None => 0.0,
    }
}

/// Two seek points pick the same frame when they are closer than a frame of a 50 fps clip (the
/// header's length and ffprobe's may differ by a rounding).
pub fn same_point(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.02
}

/// The length an MP4 or QuickTime file declares in its movie header (`moov/mvhd`), read from a
/// few boxes without ffprobe, so the poster frame can be grabbed while ffprobe still runs. None
/// for other containers or anything unexpected (the caller then waits for ffprobe).
pub fn header_duration_ms(path: &Path) -> Option<i64> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let moov = find_box(&mut file, 0, len, b"moov")?;
    let mvhd = find_box(&mut file, moov.0, moov.1, b"mvhd")?;
    file.seek(SeekFrom::Start(mvhd.0)).ok()?;
    let mut head = [0u8; 32];
    file.read_exact(&mut head).ok()?;
    let be32 = |i: usize| u64::from(u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]));
    // Version 0: 32-bit creation and modification times and length; version 1: 64-bit ones.
    let (timescale, duration) = match head[0] {
        0 => (be32(12), be32(16)),
        1 => (be32(20), (be32(24) << 32) | be32(28)),
        _ => return None,
    };
    // All ones: "unknown length" (a fragmented or live file).
    if timescale == 0 || duration == u64::from(u32::MAX) || duration == u64::MAX {
        return None;
    }
    i64::try_from(u128::from(duration) * 1000 / u128::from(timescale)).ok()
}

/// The body (start, end) of the first box of `kind` between `start` and `end` of the file.
fn find_box(file: &mut std::fs::File, start: u64, end: u64, kind: &[u8; 4]) -> Option<(u64, u64)> {
    let mut at = start;
    // A real file has a handful of boxes at each level; more is garbage not worth walking.
    for _ in 0..64 {
        if at + 8 > end {
            return None;
        }
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut head = [0u8; 16];
        file.read_exact(&mut head[..8]).ok()?;
        let size32 = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let (body, size) = match size32 {
            // The box runs to the end of its parent.
            0 => (at + 8, end - at),
            // A 64-bit size follows the type (a large `mdat`).
            1 => {
                file.read_exact(&mut head[8..16]).ok()?;
                (at + 16, u64::from_be_bytes(head[8..16].try_into().ok()?))
            }
            n => (at + 8, n),
        };
        let box_end = at.checked_add(size)?;
        if size < body - at || box_end > end {
            return None;
        }
        if &head[4..8] == kind {
            return Some((body, box_end));
        }
        at = box_end;
    }
    None
}

/// ffmpeg's filter making the frame's pixels square (as players show them), then shrinking it,
/// with the same Lanczos filter the thumbnails use, to the smallest size from which none of
/// `sizes` is upscaled (see `thumbs::needed_source_for`): a 4K frame reaches Shoebox as
/// 1920×1080 for the index sizes, a quarter of the bytes, and the resize runs in ffmpeg while
/// it still holds the frame.
fn shrink_filter(sizes: &[SizeSpec]) -> String {
    // ffmpeg's expressions: iw*sar is the displayed width, ih the height.
    let scale_for = |s: &SizeSpec| {
        if s.tile {
            format!("{}/min(iw*sar,ih)", s.width)
        } else {
            format!("min({}/(iw*sar),{}/ih)", s.width, s.height)
        }
    };
    let largest = sizes.iter().map(scale_for).reduce(|a, b| format!("max({a},{b})")).unwrap_or_else(|| "1".into());
    let s = format!("min(1,{largest})");
    format!("scale=w='max(1,round(iw*sar*{s}))':h='max(1,round(ih*{s}))':flags=lanczos,setsar=1")
}

/// The poster frame's size as ffmpeg will hand it over for `sizes`, from the displayed size.
pub fn shrunk_size(sizes: &[SizeSpec], displayed: (u32, u32)) -> (u32, u32) {
    thumbs::needed_source_for(sizes, displayed.0, displayed.1)
}

/// One grab: the frame at `at` seconds, rotated as the video is shown and shrunk for `sizes`.
#[derive(Clone, Copy)]
struct Grab<'a> {
    at: f64,
    sizes: &'a [SizeSpec],
    /// ffmpeg refuses to decode a frame with more pixels (MAX_PIXELS), so a grab started before
    /// ffprobe answered cannot decode a huge frame either.
    max_pixels: u64,
    /// Bytes of PPM accepted; more stops ffmpeg and fails the grab.
    max_bytes: usize,
}

impl Grab<'_> {
    /// Runs ffmpeg; `stop` ends it early (its answer is no longer wanted).
    fn run(&self, ffmpeg: &Tool, path: &Path, stop: &AtomicBool) -> Result<Rgb, VideoError> {
        let mut args: Vec<OsString> = ["-v", "error", "-nostdin", "-max_pixels", &self.max_pixels.to_string()]
            .into_iter()
            .chain(["-ss", &format!("{:.3}", self.at), "-i"])
            .map(OsString::from)
            .collect();
        args.push(path_arg(path));
        // PPM on a pipe: no temporary file, and the header says the size.
        args.extend(["-map", "0:v:0", "-frames:v", "1", "-vf"].map(OsString::from));
        args.push(shrink_filter(self.sizes).into());
        args.extend(["-f", "image2pipe", "-c:v", "ppm", "-"].map(OsString::from));
        let out = ffmpeg.run_stoppable(&args, Limits::new(POSTER_TIMEOUT, self.max_bytes), stop)?;
        parse_ppm(out.stdout)
    }
}

/// What a grab started before ffprobe answered may print: a 4096×2730 frame, far more than any
/// index-time frame of a sensible shape needs (1920×1200 at most up to 3.8:1), far less than
/// MAX_PIXELS would allow. A frame larger than this is grabbed again once its size is known.
const EARLY_MAX_BYTES: usize = 32 << 20;

/// A grab started before ffprobe answered, at the point the file's header gave.
pub struct Early<'scope> {
    at: f64,
    grab: std::thread::ScopedJoinHandle<'scope, Result<Rgb, VideoError>>,
    stop: &'scope AtomicBool,
}

impl Early<'_> {
    fn abandon(self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Starts grabbing the poster frame for `sizes` on a thread of `scope` when the file's header
/// tells where it is (MP4 and QuickTime files); `stop` ends it.
pub fn start_early<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    path: &'scope Path,
    sizes: &'scope [SizeSpec],
    settings: &'scope Settings,
    stop: &'scope AtomicBool,
) -> Option<Early<'scope>> {
    let ffmpeg = settings.tools.ffmpeg.as_ref()?;
    settings.tools.ffprobe.as_ref()?;
    let at = poster_at(Some(header_duration_ms(path)?));
    let grab = Grab { at, sizes, max_pixels: settings.max_pixels, max_bytes: EARLY_MAX_BYTES };
    Some(Early { at, grab: scope.spawn(move || grab.run(ffmpeg, path, stop)), stop })
}

/// Decoded frame plus the resizes beside it.
fn poster_cost(frame: (u32, u32)) -> u64 {
    u64::from(frame.0) * u64::from(frame.1) * 3 * 2
}

/// The poster frame for `sizes`, with its part of the decode budget (held until its thumbnails
/// are made). The grab started early is used when it sought where ffprobe's length says;
/// otherwise it is stopped and the frame grabbed now. A seek past the end of a clip falls back
/// to its first frame.
pub fn poster<'a>(
    ffmpeg: &Tool,
    path: &Path,
    probe: &Probe,
    sizes: &[SizeSpec],
    settings: &'a Settings,
    early: Option<Early<'_>>,
) -> Result<(Rgb, Permit<'a>), VideoError> {
    if let Err(e) = thumbs::check_pixels(probe.width, probe.height, settings.max_pixels) {
        early.map(Early::abandon);
        return Err(VideoError::TooLarge(e));
    }
    let frame = shrunk_size(sizes, (probe.width, probe.height));
    // A frame may come larger than ffprobe's size says when its pixels are not square: twice the
    // bytes leaves room for a stretched anamorphic frame, and no more.
    let max_bytes = (poster_cost(frame) + 64) as usize;
    let at = poster_at(probe.duration_ms);
    let grab = Grab { at, sizes, max_pixels: settings.max_pixels, max_bytes };
    let never = AtomicBool::new(false);
    let permit = settings.decode_budget.acquire(poster_cost(frame));
    let first = match early {
        Some(e) if same_point(e.at, at) => match e.grab.join() {
            Ok(Ok(rgb)) if rgb.pixels.len() <= max_bytes => Ok(rgb),
            Ok(Ok(_)) => Err(VideoError::Corrupt("ffmpeg gave a larger frame than the video declares".into())),
            Ok(Err(VideoError::Tool(ToolError::TooMuchOutput { .. }))) => grab.run(ffmpeg, path, &never),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(VideoError::Corrupt("the poster frame's thread panicked".into())),
        },
        other => {
            other.map(Early::abandon);
            grab.run(ffmpeg, path, &never)
        }
    };
    let rgb = match first {
        Err(VideoError::Corrupt(_)) => Grab { at: 0.0, ..grab }.run(ffmpeg, path, &never)?,
        other => other?,
    };
    Ok((rgb, permit))
}

/// A binary PPM (`P6 w h 255` then RGB bytes), as ffmpeg writes it.
pub fn parse_ppm(mut bytes: Vec<u8>) -> Result<Rgb, VideoError> {
    let corrupt = || VideoError::Corrupt("ffmpeg gave no frame".into());
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 4 {
        while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        let start = pos;
        while bytes.get(pos).is_some_and(|b| !b.is_ascii_whitespace()) {
            pos += 1;
        }
        if start == pos {
            return Err(corrupt());
        }
        fields.push(std::str::from_utf8(&bytes[start..pos]).map_err(|_| corrupt())?.to_string());
    }
    let (w, h): (u32, u32) = match (fields[1].parse(), fields[2].parse()) {
        (Ok(w), Ok(h)) => (w, h),
        _ => return Err(corrupt()),
    };
    if fields[0] != "P6" || fields[3] != "255" || w == 0 || h == 0 {
        return Err(corrupt());
    }
    let len = (w as usize) * (h as usize) * 3;
    let start = pos + 1;
    if bytes.len() < start + len {
        return Err(corrupt());
    }
    bytes.drain(..start);
    bytes.truncate(len);
    Ok(Rgb { width: w, height: h, pixels: bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ppm_frame_is_read_to_its_pixels() {
        let mut ppm = b"P6\n2 1\n255\n".to_vec();
        ppm.extend([1, 2, 3, 4, 5, 6, 7]);
        let rgb = parse_ppm(ppm).unwrap();
        assert_eq!((rgb.width, rgb.height, rgb.pixels), (2, 1, vec![1, 2, 3, 4, 5, 6]));
        assert!(parse_ppm(b"P6\n2 1\n255\n\x01".to_vec()).is_err());
    }

    /// A box: 32-bit size, type, body.
    fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend(kind);
        b.extend(body);
        b
    }

    fn header_duration_of(bytes: &[u8]) -> Option<i64> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, bytes).unwrap();
        header_duration_ms(&path)
    }

    #[test]
    fn the_length_is_read_from_the_movie_header_behind_a_64_bit_mdat_in_either_version() {
        // Version 0: 90,000 ticks a second, 10.5 s.
        let mut mvhd0 = vec![0u8; 4 + 8];
        mvhd0.extend(90_000u32.to_be_bytes());
        mvhd0.extend(945_000u32.to_be_bytes());
        mvhd0.extend([0u8; 80]);
        // A 64-bit mdat in front of the moov, as a camera writes a large file.
        let mut mdat = 1u32.to_be_bytes().to_vec();
        mdat.extend(b"mdat");
        mdat.extend(20u64.to_be_bytes());
        mdat.extend([0u8; 4]);
        let mut file = mp4_box(b"ftyp", b"isom\0\0\0\0");
        file.extend(&mdat);
        file.extend(mp4_box(b"moov", &[mp4_box(b"free", &[0; 3]), mp4_box(b"mvhd", &mvhd0)].concat()));
        assert_eq!(header_duration_of(&file), Some(10_500));
        // Version 1: 64-bit times and length, 600 ticks a second, 3.2 s.
        let mut mvhd1 = vec![1u8, 0, 0, 0];
        mvhd1.extend([0u8; 16]);
        mvhd1.extend(600u32.to_be_bytes());
        mvhd1.extend(1_920u64.to_be_bytes());
        mvhd1.extend([0u8; 80]);
        let file = [mp4_box(b"ftyp", b"qt  "), mp4_box(b"moov", &mp4_box(b"mvhd", &mvhd1))].concat();
        assert_eq!(header_duration_of(&file), Some(3_200));
    }

    #[test]
    fn files_without_a_readable_movie_header_have_no_header_length() {
        assert_eq!(header_duration_of(b"\x1a\x45\xdf\xa3 matroska"), None);
        // A moov box claiming more bytes than the file has.
        let mut lying = 4000u32.to_be_bytes().to_vec();
        lying.extend(b"moov");
        lying.extend([0u8; 40]);
        assert_eq!(header_duration_of(&lying), None);
        // A zero timescale.
        let mvhd = [0u8; 100];
        assert_eq!(header_duration_of(&mp4_box(b"moov", &mp4_box(b"mvhd", &mvhd))), None);
    }

    #[test]
    fn a_4k_frame_is_handed_over_at_the_size_the_largest_index_size_needs() {
        let sizes = thumbs::index_sizes();
        assert_eq!(shrunk_size(&sizes, (3840, 2160)), (1920, 1080));
        assert_eq!(shrunk_size(&sizes, (2160, 3840)), (675, 1200));
        // Never upscaled.
        assert_eq!(shrunk_size(&sizes, (640, 480)), (640, 480));
        assert_eq!(shrunk_size(&sizes, (1920, 1080)), (1920, 1080));
    }

    #[test]
    fn the_shrink_filter_takes_the_largest_scale_any_size_needs_and_never_enlarges() {
        let f = shrink_filter(&[thumbs::size("tile_500").unwrap(), thumbs::size("fit_720").unwrap()]);
        let s = "min(1,max(500/min(iw*sar,ih),min(720/(iw*sar),720/ih)))";
        assert_eq!(f, format!("scale=w='max(1,round(iw*sar*{s}))':h='max(1,round(ih*{s}))':flags=lanczos,setsar=1"));
    }
}
