//! Live and Motion Photos made at test time: the still by libheif's `heif-enc` (HEIC) or the
//! synthetic camera JPEG, the clip by ffmpeg, with the date an iPhone writes in both, so an upload
//! places them in the same folder as a phone's export does.

use shoebox::library::synth::{Spec, jpeg};

use super::photo_fixtures::heic_from_camera;
use super::video_fixtures::{VideoSpec, video};

fn still_spec(seed: u64) -> Spec {
    Spec {
        width: 320,
        height: 240,
        taken: Some("2024:05:06 12:20:30".into()),
        offset: Some("+02:00".into()),
        seed,
        ..Spec::default()
    }
}

/// The still of a Live Photo as an iPhone stores it: a HEIC.
pub fn live_still_heic(seed: u64) -> Vec<u8> {
    heic_from_camera(&still_spec(seed))
}

/// The still as a JPEG (an iPhone set to "Most Compatible", or an export).
pub fn live_still_jpeg(seed: u64) -> Vec<u8> {
    jpeg(&still_spec(seed))
}

/// The clip of a Live Photo: a QuickTime file of `codec` (`libx265` as iPhones record it,
/// `libx264` as older ones did) with the iPhone's QuickTime keys.
pub fn live_clip_mov(codec: &'static str) -> Vec<u8> {
    video(&VideoSpec {
        width: 320,
        height: 240,
        seconds: 2.0,
        codec,
        container: "mov",
        audio: false,
        tags: vec![
            ("com.apple.quicktime.creationdate", "2024-05-06T12:20:30+0200".into()),
            ("com.apple.quicktime.content.identifier", "4F2C3B1A-0000-4000-8000-000000000001".into()),
            ("com.apple.quicktime.make", "Apple".into()),
        ],
        ..VideoSpec::default()
    })
}
