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

/// What an MP4 or QuickTime file's movie header declares: the clip's length (`moov/mvhd`) and
/// its first video track's stored size (`moov/trak/tkhd`), read from a few boxes without ffprobe,
/// so the poster frame can be grabbed while ffprobe still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub duration_ms: i64,
    pub size: (u32, u32),
}

/// None for other containers or anything unexpected (the caller then waits for ffprobe).
pub fn read_header(path: &Path) -> Option<Header> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let top = boxes(&mut file, 0, len)?;
    let &(_, moov_start, moov_end) = top.iter().find(|b| &b.0 == b"moov")?;
    let moov = boxes(&mut file, moov_start, moov_end)?;
    let &(_, mvhd, _) = moov.iter().find(|b| &b.0 == b"mvhd")?;
    let head = read_at::<32>(&mut file, mvhd)?;
    let be32 = |b: &[u8], i: usize| u64::from(u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]));
    // Version 0: 32-bit creation and modification times and length; version 1: 64-bit ones.
    let (timescale, duration) = match head[0] {
        0 => (be32(&head, 12), be32(&head, 16)),
        1 => (be32(&head, 20), (be32(&head, 24) << 32) | be32(&head, 28)),
        _ => return None,
    };
    // All ones: "unknown length" (a fragmented or live file).
    if timescale == 0 || duration == u64::from(u32::MAX) || duration == u64::MAX {
        return None;
    }
    let duration_ms = i64::try_from(u128::from(duration) * 1000 / u128::from(timescale)).ok()?;
    // The first track with a picture: audio tracks declare 0×0. Width and height are 16.16
    // fixed point at the end of `tkhd` (84 bytes in version 0, 96 in version 1).
    let size = moov.iter().filter(|b| &b.0 == b"trak").find_map(|&(_, start, end)| {
        let &(_, tkhd, tkhd_end) = boxes(&mut file, start, end)?.iter().find(|b| &b.0 == b"tkhd")?;
        let at = tkhd + if read_at::<1>(&mut file, tkhd)?[0] == 1 { 88 } else { 76 };
        if at + 8 > tkhd_end {
            return None;
        }
        let wh = read_at::<8>(&mut file, at)?;
        let (w, h) = ((be32(&wh, 0) >> 16) as u32, (be32(&wh, 4) >> 16) as u32);
        (w > 0 && h > 0).then_some((w, h))
    })?;
    Some(Header { duration_ms, size })
}

fn read_at<const N: usize>(file: &mut std::fs::File, at: u64) -> Option<[u8; N]> {
    let mut buf = [0u8; N];
    file.seek(SeekFrom::Start(at)).ok()?;
    file.read_exact(&mut buf).ok()?;
    Some(buf)
}

/// The boxes between `start` and `end` of the file: (type, body start, end).
fn boxes(file: &mut std::fs::File, start: u64, end: u64) -> Option<Vec<([u8; 4], u64, u64)>> {
    let mut found = Vec::new();
    let mut at = start;
    // A real file has a handful of boxes at each level; more is garbage not worth walking.
    while at + 8 <= end && found.len() < 64 {
        let head = read_at::<8>(file, at)?;
        let size32 = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        let (body, size) = match size32 {
            // The box runs to the end of its parent.
            0 => (at + 8, end - at),
            // A 64-bit size follows the type (a large `mdat`).
            1 => (at + 16, u64::from_be_bytes(read_at::<8>(file, at + 8)?)),
            n => (at + 8, n),
        };
        let box_end = at.checked_add(size)?;
        if size < body - at || box_end > end {
            return None;
        }
        found.push((head[4..8].try_into().ok()?, body, box_end));
        at = box_end;
    }
    Some(found)
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

/// A grab started before ffprobe answered, at the point the file's header gave, with its part of
/// the decode budget.
pub struct Early<'scope> {
    at: f64,
    grab: std::thread::ScopedJoinHandle<'scope, Result<Rgb, VideoError>>,
    stop: &'scope AtomicBool,
    permit: Permit<'scope>,
}

impl Early<'_> {
    fn abandon(self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Starts grabbing the poster frame for `sizes` on a thread of `scope` when the file's header
/// tells where it is (MP4 and QuickTime files) and the decode budget has room for its frame now;
/// otherwise the grab waits for ffprobe, and its turn, as before. `stop` ends it.
pub fn start_early<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    path: &'scope Path,
    sizes: &'scope [SizeSpec],
    settings: &'scope Settings,
    stop: &'scope AtomicBool,
) -> Option<Early<'scope>> {
    let ffmpeg = settings.tools.ffmpeg.as_ref()?;
    settings.tools.ffprobe.as_ref()?;
    let header = read_header(path)?;
    let permit = settings.decode_budget.try_acquire(decode_cost(header.size))?;
    let at = poster_at(Some(header.duration_ms));
    let grab = Grab { at, sizes, max_pixels: settings.max_pixels, max_bytes: EARLY_MAX_BYTES };
    Some(Early { at, grab: scope.spawn(move || grab.run(ffmpeg, path, stop)), stop, permit })
}

/// What grabbing a frame of `size` costs: the frame twice at full size. ffmpeg decodes it at
/// full size (several frames in flight, in its own process), and Shoebox holds the shrunk copy and
/// its resizes; counting the full frame keeps two 4K decodes from running side by side.
fn decode_cost(size: (u32, u32)) -> u64 {
    u64::from(size.0) * u64::from(size.1) * 3 * 2
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
    early: Option<Early<'a>>,
) -> Result<(Rgb, Permit<'a>), VideoError> {
    if let Err(e) = thumbs::check_pixels(probe.width, probe.height, settings.max_pixels) {
        if let Some(e) = early {
            e.abandon();
        }
        return Err(VideoError::TooLarge(e));
    }
    let frame = shrunk_size(sizes, (probe.width, probe.height));
    // A frame may come larger than ffprobe's size says when its pixels are not square: twice the
    // bytes leaves room for a stretched anamorphic frame, and no more.
    let max_bytes = (u64::from(frame.0) * u64::from(frame.1) * 3 * 2 + 64) as usize;
    let at = poster_at(probe.duration_ms);
    let grab = Grab { at, sizes, max_pixels: settings.max_pixels, max_bytes };
    let never = AtomicBool::new(false);
    let (first, permit) = match early {
        Some(e) if same_point(e.at, at) => {
            let joined = match e.grab.join() {
                Ok(Ok(rgb)) if rgb.pixels.len() <= max_bytes => Ok(rgb),
                Ok(Ok(_)) => Err(VideoError::Corrupt("ffmpeg gave a larger frame than the video declares".into())),
                Ok(Err(VideoError::Tool(ToolError::TooMuchOutput { .. }))) => grab.run(ffmpeg, path, &never),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(VideoError::Corrupt("the poster frame's thread panicked".into())),
            };
            (joined, e.permit)
        }
        other => {
            if let Some(e) = other {
                e.stop.store(true, Ordering::SeqCst);
                drop(e.permit);
            }
            let permit = settings.decode_budget.acquire(decode_cost((probe.width, probe.height)));
            (grab.run(ffmpeg, path, &never), permit)
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

    fn header_of(bytes: &[u8]) -> Option<Header> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, bytes).unwrap();
        read_header(&path)
    }

    /// A track whose `tkhd` (version 0 or 1) declares `w`×`h`.
    fn trak(version: u8, w: u32, h: u32) -> Vec<u8> {
        let mut tkhd = vec![version, 0, 0, 0];
        tkhd.extend(vec![0u8; if version == 1 { 84 } else { 72 }]);
        tkhd.extend((w << 16).to_be_bytes());
        tkhd.extend((h << 16).to_be_bytes());
        mp4_box(b"trak", &mp4_box(b"tkhd", &tkhd))
    }

    #[test]
    fn the_length_and_size_are_read_from_the_movie_header_behind_a_64_bit_mdat_in_either_version() {
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
        // The sound's track (0×0) comes first.
        let moov = [mp4_box(b"free", &[0; 3]), mp4_box(b"mvhd", &mvhd0), trak(0, 0, 0), trak(0, 3840, 2160)].concat();
        file.extend(mp4_box(b"moov", &moov));
        assert_eq!(header_of(&file), Some(Header { duration_ms: 10_500, size: (3840, 2160) }));
        // Version 1: 64-bit times and length, 600 ticks a second, 3.2 s.
        let mut mvhd1 = vec![1u8, 0, 0, 0];
        mvhd1.extend([0u8; 16]);
        mvhd1.extend(600u32.to_be_bytes());
        mvhd1.extend(1_920u64.to_be_bytes());
        mvhd1.extend([0u8; 80]);
        let moov = [mp4_box(b"mvhd", &mvhd1), trak(1, 1920, 1080)].concat();
        let file = [mp4_box(b"ftyp", b"qt  "), mp4_box(b"moov", &moov)].concat();
        assert_eq!(header_of(&file), Some(Header { duration_ms: 3_200, size: (1920, 1080) }));
    }

    #[test]
    fn files_without_a_readable_movie_header_have_no_header_length() {
        assert_eq!(header_of(b"\x1a\x45\xdf\xa3 matroska"), None);
        // A moov box claiming more bytes than the file has.
        let mut lying = 4000u32.to_be_bytes().to_vec();
        lying.extend(b"moov");
        lying.extend([0u8; 40]);
        assert_eq!(header_of(&lying), None);
        // A zero timescale.
        let moov = [mp4_box(b"mvhd", &[0u8; 100]), trak(0, 640, 480)].concat();
        assert_eq!(header_of(&mp4_box(b"moov", &moov)), None);
        // No track with a picture.
        let mut mvhd = vec![0u8; 12];
        mvhd.extend(1000u32.to_be_bytes());
        mvhd.extend(5000u32.to_be_bytes());
        mvhd.extend([0u8; 80]);
        let moov = [mp4_box(b"mvhd", &mvhd), trak(0, 0, 0)].concat();
        assert_eq!(header_of(&mp4_box(b"moov", &moov)), None);
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
