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

/// How a Motion Photo's XMP points at its clip.
#[derive(Debug, Clone, Copy)]
pub enum MotionXmp {
    /// Google's first format: `GCamera:MicroVideoOffset`, bytes from the end of the file.
    MicroVideo,
    /// The Container directory Google and Samsung write now: a `MotionPhoto` item with its length.
    Container,
    /// A MicroVideoOffset that points into the JPEG, not at the clip.
    Lying,
}

/// A Motion Photo as a phone writes it: a JPEG from ffmpeg with an XMP APP1 segment saying where
/// the clip is, then the MP4 from ffmpeg appended. Returns the file and the clip.
pub fn motion_photo_jpeg(xmp: MotionXmp, codec: &'static str) -> (Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let still = dir.path().join("still.jpg");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "color=c=green:s=320x240", "-frames:v", "1"])
        .arg(&still)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    let jpeg = std::fs::read(&still).unwrap();
    let clip = video(&VideoSpec { width: 320, height: 240, codec, audio: false, ..VideoSpec::default() });
    let description = match xmp {
        MotionXmp::MicroVideo => format!(
            r#"<rdf:Description rdf:about="" xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset="{}" GCamera:MicroVideoPresentationTimestampUs="0"/>"#,
            clip.len()
        ),
        MotionXmp::Lying => format!(
            r#"<rdf:Description rdf:about="" xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MicroVideo="1" GCamera:MicroVideoOffset="{}"/>"#,
            clip.len() + 100
        ),
        MotionXmp::Container => format!(
            r#"<rdf:Description rdf:about="" xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" xmlns:Container="http://ns.google.com/photos/1.0/container/" xmlns:Item="http://ns.google.com/photos/1.0/container/item/" GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1"><Container:Directory><rdf:Seq><rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li><rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="{}" Item:Padding="0"/></rdf:li></rdf:Seq></Container:Directory></rdf:Description>"#,
            clip.len()
        ),
    };
    let packet = format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{description}</rdf:RDF></x:xmpmeta>"#
    );
    let mut segment = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    segment.extend_from_slice(packet.as_bytes());
    let mut file = jpeg[..2].to_vec();
    file.extend_from_slice(&[0xFF, 0xE1]);
    file.extend_from_slice(&u16::try_from(segment.len() + 2).unwrap().to_be_bytes());
    file.extend_from_slice(&segment);
    file.extend_from_slice(&jpeg[2..]);
    file.extend_from_slice(&clip);
    (file, clip)
}
