//! Deterministic, camera-like test pictures: the benchmark corpus and the test fixtures are made
//! with these, so nobody needs to ship sample photos. Each picture shows four coloured quadrants
//! (red top-left, green top-right, blue bottom-left, white bottom-right, as displayed) over a
//! textured background, stored rotated as its EXIF orientation says, so a viewer that applies the
//! orientation shows red at the top left.

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};

#[derive(Debug, Clone)]
pub struct Spec {
    /// Displayed size.
    pub width: u32,
    pub height: u32,
    pub orientation: u8,
    /// `2023:07:14 18:30:05`
    pub taken: Option<String>,
    /// `+02:00`
    pub offset: Option<String>,
    /// Latitude, longitude (negative for S and W), altitude in metres.
    pub gps: Option<(f64, f64, f64)>,
    pub make: String,
    pub model: String,
    pub quality: u8,
    pub seed: u64,
    /// IPTC-IIM Object Name (2:05) and Caption/Abstract (2:120), in an APP13 `Photoshop 3.0` block.
    pub iptc_title: Option<String>,
    pub iptc_description: Option<String>,
    /// XMP `dc:title` and `dc:description`, in an APP1 XMP packet.
    pub xmp_title: Option<String>,
    pub xmp_description: Option<String>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            width: 640,
            height: 480,
            orientation: 1,
            taken: None,
            offset: None,
            gps: None,
            make: "Shoebox".into(),
            model: "Synthetic One".into(),
            quality: 90,
            seed: 1,
            iptc_title: None,
            iptc_description: None,
            xmp_title: None,
            xmp_description: None,
        }
    }
}

pub const RED: [u8; 3] = [230, 20, 20];
pub const GREEN: [u8; 3] = [20, 200, 40];
pub const BLUE: [u8; 3] = [20, 40, 220];
pub const WHITE: [u8; 3] = [245, 245, 245];

/// Displayed pixels: the quadrants, with a gentle deterministic texture so JPEG work is realistic.
pub fn pixels(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity((width * height * 3) as usize);
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for y in 0..height {
        for x in 0..width {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state & 0x0F) as i16 - 8;
            let base = match (x * 2 < width, y * 2 < height) {
                (true, true) => RED,
                (false, true) => GREEN,
                (true, false) => BLUE,
                (false, false) => WHITE,
            };
            let wave = (((x / 7 + y / 5) % 16) as i16) - 8;
            for c in base {
                out.push((c as i16 + noise + wave).clamp(0, 255) as u8);
            }
        }
    }
    out
}

fn inverse(orientation: u8) -> u8 {
    match orientation {
        6 => 8,
        8 => 6,
        o => o,
    }
}

fn rational(v: f64, denom: u32) -> Rational {
    Rational { num: (v * denom as f64).round() as u32, denom }
}

fn dms(v: f64) -> Vec<Rational> {
    let v = v.abs();
    let d = v.floor();
    let m = ((v - d) * 60.0).floor();
    let s = (v - d - m / 60.0) * 3600.0;
    vec![rational(d, 1), rational(m, 1), rational(s, 1000)]
}

/// The EXIF block (from the TIFF header on) for `spec`.
pub fn exif(spec: &Spec) -> Vec<u8> {
    let ascii = |s: &str| Value::Ascii(vec![s.as_bytes().to_vec()]);
    let mut fields = vec![
        Field { tag: Tag::Make, ifd_num: In::PRIMARY, value: ascii(&spec.make) },
        Field { tag: Tag::Model, ifd_num: In::PRIMARY, value: ascii(&spec.model) },
        Field { tag: Tag::Orientation, ifd_num: In::PRIMARY, value: Value::Short(vec![u16::from(spec.orientation)]) },
        Field { tag: Tag::FNumber, ifd_num: In::PRIMARY, value: Value::Rational(vec![rational(2.8, 10)]) },
        Field {
            tag: Tag::ExposureTime,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![Rational { num: 1, denom: 250 }]),
        },
        Field { tag: Tag::PhotographicSensitivity, ifd_num: In::PRIMARY, value: Value::Short(vec![200]) },
        Field { tag: Tag::FocalLength, ifd_num: In::PRIMARY, value: Value::Rational(vec![rational(35.0, 10)]) },
    ];
    if let Some(t) = &spec.taken {
        fields.push(Field { tag: Tag::DateTimeOriginal, ifd_num: In::PRIMARY, value: ascii(t) });
        fields.push(Field { tag: Tag::DateTimeDigitized, ifd_num: In::PRIMARY, value: ascii(t) });
    }
    if let Some(o) = &spec.offset {
        fields.push(Field { tag: Tag::OffsetTimeOriginal, ifd_num: In::PRIMARY, value: ascii(o) });
    }
    if let Some((lat, lon, alt)) = spec.gps {
        fields.push(Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: ascii(if lat < 0.0 { "S" } else { "N" }),
        });
        fields.push(Field { tag: Tag::GPSLatitude, ifd_num: In::PRIMARY, value: Value::Rational(dms(lat)) });
        fields.push(Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: ascii(if lon < 0.0 { "W" } else { "E" }),
        });
        fields.push(Field { tag: Tag::GPSLongitude, ifd_num: In::PRIMARY, value: Value::Rational(dms(lon)) });
        fields.push(Field {
            tag: Tag::GPSAltitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Byte(vec![u8::from(alt < 0.0)]),
        });
        fields.push(Field {
            tag: Tag::GPSAltitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![rational(alt.abs(), 10)]),
        });
    }
    let mut w = Writer::new();
    for f in &fields {
        w.push_field(f);
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    w.write(&mut buf, false).expect("EXIF of fixed fields always writes");
    buf.into_inner()
}

/// The APP13 segment body for IPTC-IIM text: `Photoshop 3.0\0`, then one `8BIM` resource 0x0404
/// (empty name) holding the datasets, declared UTF-8 (1:90 is ESC % G).
pub fn iptc(title: Option<&str>, description: Option<&str>) -> Vec<u8> {
    let mut record = Vec::new();
    let mut dataset = |record_nr: u8, number: u8, value: &[u8]| {
        record.extend_from_slice(&[0x1C, record_nr, number]);
        record.extend_from_slice(&(value.len() as u16).to_be_bytes());
        record.extend_from_slice(value);
    };
    dataset(1, 90, b"\x1b%G");
    dataset(2, 0, &[0, 4]);
    if let Some(t) = title {
        dataset(2, 5, t.as_bytes());
    }
    if let Some(d) = description {
        dataset(2, 120, d.as_bytes());
    }
    let mut out = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
    out.extend_from_slice(&(record.len() as u32).to_be_bytes());
    out.extend_from_slice(&record);
    if record.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// The APP1 segment body for an XMP packet with `dc:title` and `dc:description`.
pub fn xmp(title: Option<&str>, description: Option<&str>) -> Vec<u8> {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let alt = |name: &str, text: Option<&str>| {
        text.map(|t| {
            format!(r#"<{name}><rdf:Alt><rdf:li xml:lang="x-default">{}</rdf:li></rdf:Alt></{name}>"#, escape(t))
        })
        .unwrap_or_default()
    };
    let packet = format!(
        r#"<?xpacket begin="{bom}" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">{}{}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#,
        alt("dc:title", title),
        alt("dc:description", description),
        bom = '\u{feff}',
    );
    let mut out = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    out.extend_from_slice(packet.as_bytes());
    out
}

/// A JPEG as a camera writes it: stored in sensor orientation with the EXIF orientation tag, plus
/// the IPTC and XMP blocks the spec asks for.
pub fn jpeg(spec: &Spec) -> Vec<u8> {
    let displayed = pixels(spec.width, spec.height, spec.seed);
    let (sw, sh, stored) = super::thumbs::orient(&displayed, spec.width, spec.height, inverse(spec.orientation));
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, spec.quality);
    enc.add_exif_metadata(&exif(spec)).expect("EXIF fits in one segment");
    if spec.xmp_title.is_some() || spec.xmp_description.is_some() {
        let body = xmp(spec.xmp_title.as_deref(), spec.xmp_description.as_deref());
        enc.add_app_segment(1, body).expect("XMP fits in one segment");
    }
    if spec.iptc_title.is_some() || spec.iptc_description.is_some() {
        let body = iptc(spec.iptc_title.as_deref(), spec.iptc_description.as_deref());
        enc.add_app_segment(13, body).expect("IPTC fits in one segment");
    }
    enc.encode(&stored, sw as u16, sh as u16, jpeg_encoder::ColorType::Rgb).expect("valid size");
    out
}

/// A PNG of the same picture (no metadata).
pub fn png(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let px = pixels(width, height, seed);
    let img = image::RgbImage::from_raw(width, height, px).expect("buffer matches size");
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("PNG encodes");
    out.into_inner()
}
