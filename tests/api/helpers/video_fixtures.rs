//! Videos made at test time by the real ffmpeg: every fixture is a file a phone or camera could
//! have written, encoded by the encoder that writes such files.

use std::path::Path;
use std::process::Command;

/// What a fixture video carries.
#[derive(Debug, Clone)]
pub struct VideoSpec {
    /// Stored size (before any rotation).
    pub width: u32,
    pub height: u32,
    pub seconds: f64,
    pub rate: u32,
    /// `libx264`, `libx265`, `libvpx-vp9`, `mpeg4`.
    pub codec: &'static str,
    /// File extension, which picks the container: mp4, mov, webm, mkv, avi, 3gp, m4v.
    pub container: &'static str,
    /// Display rotation as ffmpeg's `rotate` tag takes it (a portrait iPhone video: -90, which
    /// ffprobe reports as rotation -90).
    pub rotate: Option<i32>,
    /// Extra `-metadata key=value` pairs on the container (QuickTime keys need `mov`).
    pub tags: Vec<(&'static str, String)>,
    pub audio: bool,
}

impl Default for VideoSpec {
    fn default() -> VideoSpec {
        VideoSpec {
            width: 320,
            height: 240,
            seconds: 2.0,
            rate: 25,
            codec: "libx264",
            container: "mp4",
            rotate: None,
            tags: Vec::new(),
            audio: true,
        }
    }
}

/// The picture every fixture shows: its top half blue, its bottom half red (as stored), so a
/// poster frame's pixels tell whether it was turned.
const PICTURE: &str = "drawbox=x=0:y=ih/2:w=iw:h=ih/2:color=red:t=fill";

/// Encodes `spec` with ffmpeg and returns the file's bytes.
pub fn video(spec: &VideoSpec) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("clip.{}", spec.container));
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i"]);
    cmd.arg(format!("color=c=blue:s={}x{}:r={}:d={}", spec.width, spec.height, spec.rate, spec.seconds));
    if spec.audio {
        cmd.args(["-f", "lavfi", "-i"]).arg(format!("sine=frequency=440:duration={}", spec.seconds));
    }
    cmd.args(["-vf", PICTURE, "-pix_fmt", "yuv420p", "-c:v", spec.codec]);
    match spec.codec {
        "libx265" => {
            cmd.args(["-x265-params", "log-level=error", "-tag:v", "hvc1"]);
        }
        "libx264" => {
            cmd.args(["-preset", "ultrafast"]);
        }
        "libvpx-vp9" => {
            cmd.args(["-deadline", "realtime", "-cpu-used", "8"]);
        }
        "libaom-av1" => {
            cmd.args(["-cpu-used", "8", "-row-mt", "1"]);
        }
        _ => {}
    }
    if spec.audio {
        let audio = match spec.container {
            "webm" | "mkv" => "libopus",
            "avi" => "mp3",
            _ => "aac",
        };
        cmd.args(["-c:a", audio]);
        if spec.container == "3gp" {
            cmd.args(["-ar", "16000", "-ac", "1"]);
        }
    }
    let encoded = dir.path().join(format!("encoded.{}", spec.container));
    cmd.arg(&encoded);
    let status = cmd.status().expect("ffmpeg runs (scripts/test installs it)");
    assert!(status.success(), "ffmpeg could not make {spec:?}");
    // ffmpeg 5 writes a stream's rotation only when it copies the stream, so the tags go on in a
    // second pass, as a phone's muxer writes them.
    let mut tag = Command::new("ffmpeg");
    tag.args(["-v", "error", "-nostdin", "-y", "-i"]).arg(&encoded).args(["-c", "copy", "-map", "0"]);
    if let Some(r) = spec.rotate {
        tag.arg("-metadata:s:v:0").arg(format!("rotate={r}"));
    }
    for (k, v) in &spec.tags {
        tag.arg("-metadata").arg(format!("{k}={v}"));
    }
    if spec.container == "mov" {
        // Writes the com.apple.quicktime.* keys as an iPhone does (in the `keys` atom).
        tag.args(["-movflags", "use_metadata_tags"]);
    }
    let status = tag.arg(&out).status().expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg could not tag {spec:?}");
    std::fs::read(&out).unwrap()
}

/// An H.264/AAC MP4, as every browser plays.
pub fn h264_mp4() -> Vec<u8> {
    video(&VideoSpec::default())
}

/// An iPhone-like HEVC MOV recorded upright: stored 320×180 with a rotation, a QuickTime creation
/// date with its offset (12:20:30 at +02:00), GPS in ISO 6709 and the camera.
pub fn iphone_hevc_mov() -> Vec<u8> {
    video(&VideoSpec {
        width: 320,
        height: 180,
        codec: "libx265",
        container: "mov",
        rotate: Some(-90),
        tags: vec![
            ("creation_time", "2024-05-06T10:20:30Z".into()),
            ("com.apple.quicktime.creationdate", "2024-05-06T12:20:30+0200".into()),
            ("com.apple.quicktime.location.ISO6709", "+52.5200+013.4050+034.000/".into()),
            ("com.apple.quicktime.make", "Apple".into()),
            ("com.apple.quicktime.model", "iPhone 15 Pro".into()),
        ],
        ..VideoSpec::default()
    })
}

/// ffprobe's view of the container's and tracks' tags and the picture's rotation, as JSON.
pub fn probe_tags(bytes: &[u8]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("probe.bin");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format_tags:stream_tags:stream_side_data=rotation", "-of", "json"])
        .arg(&file)
        .output()
        .expect("ffprobe runs");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What ffprobe says of `bytes`: the first video stream's codec name and the container's names.
pub fn probe_codec(bytes: &[u8]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("probe.bin");
    std::fs::write(&file, bytes).unwrap();
    probe_file(&file)
}

fn probe_file(file: &Path) -> (String, String) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name:format=format_name"])
        .args(["-of", "default=noprint_wrappers=1:nokey=1"])
        .arg(file)
        .output()
        .expect("ffprobe runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut lines = text.lines();
    (lines.next().unwrap_or("").to_string(), lines.next().unwrap_or("").to_string())
}

/// The displayed width and height of the first video stream of `bytes`, as ffprobe reads them.
pub fn probe_size(bytes: &[u8]) -> (u32, u32) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("probe.bin");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height"])
        .args(["-of", "csv=p=0"])
        .arg(&file)
        .output()
        .expect("ffprobe runs");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (w, h) = text.split_once(',').unwrap_or_else(|| panic!("ffprobe said {text:?}"));
    (w.parse().unwrap(), h.parse().unwrap())
}
