//! Photo metadata from EXIF (kamadak-exif), IPTC-IIM and XMP, with the date-taken fallbacks: EXIF
//! original, digitized, modified; XMP; a date in the file name; the file's modification time. The
//! source used is recorded. Title and description: XMP, else IPTC, else the EXIF description.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use exif::{Exif, In, Tag, Value};

use super::catalog::{MAX_DESCRIPTION, MAX_TITLE, clean_text};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub taken: Option<Taken>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub lens: Option<String>,
    pub focal_length: Option<f64>,
    pub f_number: Option<f64>,
    pub exposure_time: Option<String>,
    pub iso: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub altitude: Option<f64>,
    /// EXIF orientation 1–8 (1 when absent or invalid).
    pub orientation: u8,
    pub title: String,
    pub description: String,
    /// Apple's ContentIdentifier (`apple.rs`): from a still's MakerNote, or a clip's QuickTime
    /// metadata. A Live Photo's still and clip carry the same one.
    pub content_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    ExifOriginal,
    ExifDigitized,
    ExifModified,
    Xmp,
    FileName,
    FileMtime,
    /// A video's QuickTime/MP4 creation date.
    Quicktime,
}

impl DateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DateSource::ExifOriginal => "exif_original",
            DateSource::ExifDigitized => "exif_digitized",
            DateSource::ExifModified => "exif_modified",
            DateSource::Xmp => "xmp",
            DateSource::FileName => "file_name",
            DateSource::FileMtime => "file_mtime",
            DateSource::Quicktime => "quicktime",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub local: NaiveDateTime,
    pub offset: Option<FixedOffset>,
    pub source: DateSource,
}

impl Taken {
    /// Unix seconds UTC; a time without offset counts as UTC.
    pub fn timestamp(&self) -> i64 {
        match self.offset {
            Some(o) => o.from_local_datetime(&self.local).single().map(|d| d.timestamp()).unwrap_or(0),
            None => self.local.and_utc().timestamp(),
        }
    }

    pub fn offset_text(&self) -> Option<String> {
        self.offset.map(|o| {
            let secs = o.local_minus_utc();
            let sign = if secs < 0 { '-' } else { '+' };
            let m = secs.abs() / 60;
            format!("{sign}{:02}:{:02}", m / 60, m % 60)
        })
    }

    pub fn local_text(&self) -> String {
        self.local.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

/// Reads the EXIF block (starting at the TIFF header), tolerating slightly broken IFDs.
pub fn parse_exif_raw(raw: &[u8]) -> Option<Exif> {
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    match reader.read_raw(raw.to_vec()) {
        Ok(e) => Some(e),
        Err(e) => e.distill_partial_result(|_| {}).ok(),
    }
}

/// EXIF from a PNG or WebP container.
pub fn parse_exif_container(bytes: &[u8]) -> Option<Exif> {
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    let mut cursor = std::io::Cursor::new(bytes);
    match reader.read_from_container(&mut cursor) {
        Ok(e) => Some(e),
        Err(e) => e.distill_partial_result(|_| {}).ok(),
    }
}

/// The raw XMP packet inside any container (it is plain XML between fixed markers).
pub fn find_xmp(bytes: &[u8]) -> Option<&[u8]> {
    let start = find(bytes, b"<x:xmpmeta")?;
    let end = find(&bytes[start..], b"</x:xmpmeta>")? + start + b"</x:xmpmeta>".len();
    Some(&bytes[start..end])
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Title and description from IPTC-IIM, as photo agencies, Lightroom and Photo Mechanic write them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Iptc {
    /// 2:05 Object Name.
    pub title: Option<String>,
    /// 2:120 Caption/Abstract.
    pub description: Option<String>,
}

/// The IPTC-IIM record of a JPEG: APP13 segments (before the image data) that start with
/// `Photoshop 3.0\0` carry Photoshop image resources, split over several segments when large;
/// resource 0x0404 is the IPTC record.
pub fn find_iptc_jpeg(bytes: &[u8]) -> Option<Iptc> {
    let mut resources = Vec::new();
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF {
        let marker = bytes[i + 1];
        match marker {
            // Fill byte before a marker.
            0xFF => i += 1,
            // Start of scan or end of image: no metadata segments follow.
            0xDA | 0xD9 => break,
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
                let Some(body) = bytes.get(i + 4..i + 2 + len.max(2)) else { break };
                if marker == 0xED
                    && let Some(rest) = body.strip_prefix(b"Photoshop 3.0\0")
                {
                    resources.extend_from_slice(rest);
                }
                i += 2 + len.max(2);
            }
        }
    }
    photoshop_resource(&resources, 0x0404).map(parse_iim)
}

/// One resource of a run of Photoshop image resources: `8BIM`, its id, a name (a Pascal string
/// padded to an even length), the size of the data, the data (padded to an even length).
fn photoshop_resource(mut data: &[u8], wanted: u16) -> Option<&[u8]> {
    while data.len() >= 12 && data.starts_with(b"8BIM") {
        let id = u16::from_be_bytes([data[4], data[5]]);
        let at = 6 + ((1 + usize::from(data[6]) + 1) & !1);
        let size = u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?) as usize;
        let content = data.get(at + 4..at + 4 + size)?;
        if id == wanted {
            return Some(content);
        }
        data = data.get(at + 4 + ((size + 1) & !1)..).unwrap_or_default();
    }
    None
}

/// IPTC-IIM datasets: tag marker 0x1C, record, dataset, a 2-byte length (or, with its top bit
/// set, the number of bytes of a longer length that follows), the value.
fn parse_iim(mut data: &[u8]) -> Iptc {
    let (mut title, mut description) = (None, None);
    while data.len() >= 5 && data[0] == 0x1C {
        let (record, dataset) = (data[1], data[2]);
        let mut len = usize::from(u16::from_be_bytes([data[3], data[4]]));
        let mut start = 5;
        if len & 0x8000 != 0 {
            let count = len & 0x7FFF;
            if count > std::mem::size_of::<usize>() {
                break;
            }
            let Some(long) = data.get(5..5 + count) else { break };
            len = long.iter().fold(0, |n, b| n << 8 | usize::from(*b));
            start += count;
        }
        let Some(value) = data.get(start..start.saturating_add(len)) else { break };
        match (record, dataset) {
            (2, 5) if title.is_none() => title = iim_text(value),
            (2, 120) if description.is_none() => description = iim_text(value),
            _ => {}
        }
        data = &data[start + len..];
    }
    Iptc { title, description }
}

/// IIM text is UTF-8 or Latin-1, and in practice the character set dataset (1:90) is often
/// missing or wrong either way; Latin-1 text with accents is almost never valid UTF-8, so the
/// bytes decide.
fn iim_text(value: &[u8]) -> Option<String> {
    let s = match std::str::from_utf8(value) {
        Ok(s) => s.to_string(),
        Err(_) => value.iter().map(|b| char::from(*b)).collect(),
    };
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0').to_string();
    (!s.is_empty()).then_some(s)
}

pub fn extract(
    exif: Option<&Exif>,
    iptc: Option<&Iptc>,
    xmp: Option<&[u8]>,
    file_name: &str,
    mtime: Option<DateTime<Utc>>,
) -> Metadata {
    let mut m = Metadata { orientation: 1, ..Default::default() };
    if let Some(e) = exif {
        m.camera_make = text(e, Tag::Make);
        m.camera_model = text(e, Tag::Model);
        m.lens = text(e, Tag::LensModel);
        m.focal_length = rational(e, Tag::FocalLength, 0);
        m.f_number = rational(e, Tag::FNumber, 0);
        m.exposure_time = exposure(e);
        m.iso = e.get_field(Tag::PhotographicSensitivity, In::PRIMARY).and_then(|f| f.value.get_uint(0)).map(i64::from);
        m.orientation = e
            .get_field(Tag::Orientation, In::PRIMARY)
            .and_then(|f| f.value.get_uint(0))
            .filter(|o| (1..=8).contains(o))
            .map(|o| o as u8)
            .unwrap_or(1);
        m.latitude = gps_coord(e, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S');
        m.longitude = gps_coord(e, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W');
        m.altitude = rational(e, Tag::GPSAltitude, 0).map(|a| {
            let below = e.get_field(Tag::GPSAltitudeRef, In::PRIMARY).and_then(|f| f.value.get_uint(0)) == Some(1);
            if below { -a } else { a }
        });
        if m.latitude.is_some_and(|l| !(-90.0..=90.0).contains(&l))
            || m.longitude.is_some_and(|l| !(-180.0..=180.0).contains(&l))
        {
            m.latitude = None;
            m.longitude = None;
        }
        if let Some(d) = text(e, Tag::ImageDescription) {
            m.description = d;
        }
        m.content_id = e.get_field(Tag::MakerNote, In::PRIMARY).and_then(|f| match &f.value {
            Value::Undefined(note, _) => super::apple::maker_note_content_id(note),
            _ => None,
        });
        for (tag, offset_tag, source) in [
            (Tag::DateTimeOriginal, Tag::OffsetTimeOriginal, DateSource::ExifOriginal),
            (Tag::DateTimeDigitized, Tag::OffsetTimeDigitized, DateSource::ExifDigitized),
            (Tag::DateTime, Tag::OffsetTime, DateSource::ExifModified),
        ] {
            if m.taken.is_some() {
                break;
            }
            if let Some(local) = text(e, tag).and_then(|t| parse_exif_date(&t)) {
                let offset = text(e, offset_tag).and_then(|t| parse_offset(&t));
                m.taken = Some(Taken { local, offset, source });
            }
        }
    }
    if let Some(i) = iptc {
        if let Some(t) = &i.title {
            m.title = t.clone();
        }
        if let Some(d) = &i.description {
            m.description = d.clone();
        }
    }
    if let Some(x) = xmp.and_then(|x| std::str::from_utf8(x).ok()) {
        if let Some(t) = xmp_text(x, "dc:title") {
            m.title = t;
        }
        if let Some(d) = xmp_text(x, "dc:description") {
            m.description = d;
        }
        if m.taken.is_none() {
            for name in ["exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate"] {
                if let Some(t) = xmp_value(x, name).and_then(|v| parse_iso_date(&v)) {
                    m.taken = Some(t);
                    break;
                }
            }
        }
    }
    // The same rules as an edit through the API: a file may carry megabytes of text.
    m.title = clean_text(&m.title, MAX_TITLE);
    m.description = clean_text(&m.description, MAX_DESCRIPTION);
    if m.taken.is_none() {
        m.taken = date_in_name(file_name).map(|local| Taken { local, offset: None, source: DateSource::FileName });
    }
    if m.taken.is_none() {
        m.taken = mtime.map(|t| Taken {
            local: t.naive_utc(),
            offset: Some(FixedOffset::east_opt(0).expect("zero offset")),
            source: DateSource::FileMtime,
        });
    }
    m
}

fn text(e: &Exif, tag: Tag) -> Option<String> {
    let f = e.get_field(tag, In::PRIMARY)?;
    let s = match &f.value {
        Value::Ascii(parts) => {
            parts.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect::<Vec<_>>().join(" ")
        }
        _ => return None,
    };
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0').to_string();
    (!s.is_empty()).then_some(s)
}

fn rational(e: &Exif, tag: Tag, index: usize) -> Option<f64> {
    match &e.get_field(tag, In::PRIMARY)?.value {
        Value::Rational(v) => v.get(index).filter(|r| r.denom != 0).map(|r| r.to_f64()),
        Value::SRational(v) => v.get(index).filter(|r| r.denom != 0).map(|r| r.to_f64()),
        _ => None,
    }
}

fn exposure(e: &Exif) -> Option<String> {
    match &e.get_field(Tag::ExposureTime, In::PRIMARY)?.value {
        Value::Rational(v) => {
            let r = v.first().filter(|r| r.denom != 0 && r.num != 0)?;
            let secs = r.to_f64();
            Some(if secs >= 1.0 {
                format!("{}", (secs * 10.0).round() / 10.0)
            } else {
                format!("1/{}", (1.0 / secs).round() as u64)
            })
        }
        _ => None,
    }
}

fn gps_coord(e: &Exif, tag: Tag, ref_tag: Tag, negative: u8) -> Option<f64> {
    let (d, m, s) = (rational(e, tag, 0)?, rational(e, tag, 1).unwrap_or(0.0), rational(e, tag, 2).unwrap_or(0.0));
    let v = d + m / 60.0 + s / 3600.0;
    let neg = match &e.get_field(ref_tag, In::PRIMARY)?.value {
        Value::Ascii(parts) => {
            parts.first().and_then(|p| p.first()).is_some_and(|c| c.to_ascii_uppercase() == negative)
        }
        _ => false,
    };
    Some(if neg { -v } else { v })
}

/// `2023:07:14 18:30:05` (also with `-` date separators); all-zero dates are "unknown".
pub fn parse_exif_date(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let t = NaiveDateTime::parse_from_str(s.get(..19)?, "%Y:%m:%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s.get(..19).unwrap_or(""), "%Y-%m-%d %H:%M:%S"))
        .ok()?;
    (t.and_utc().timestamp() > 0).then_some(t)
}

/// `+02:00`, `-0530`, `Z`.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    if s == "Z" {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != 4 {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// XMP dates: `2023-07-14T18:30:05+02:00`, without seconds, without offset, or a date only.
fn parse_iso_date(s: &str) -> Option<Taken> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(Taken { local: d.naive_local(), offset: Some(*d.offset()), source: DateSource::Xmp });
    }
    for (len, fmt) in [(19, "%Y-%m-%dT%H:%M:%S"), (16, "%Y-%m-%dT%H:%M")] {
        if let Some(local) = s.get(..len).and_then(|p| NaiveDateTime::parse_from_str(p, fmt).ok()) {
            let offset = s.get(len..).map(|r| r.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit()));
            let offset = offset.and_then(parse_offset);
            return Some(Taken { local, offset, source: DateSource::Xmp });
        }
    }
    let d = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    Some(Taken { local: d.and_hms_opt(0, 0, 0)?, offset: None, source: DateSource::Xmp })
}

/// The text of an XMP property written as an element (`<dc:title><rdf:Alt><rdf:li …>text</rdf:li>`
/// or `<xmp:CreateDate>text</xmp:CreateDate>`).
fn xmp_text(x: &str, name: &str) -> Option<String> {
    let open = format!("<{name}");
    let start = x.find(&open)? + open.len();
    let close = format!("</{name}>");
    let body = &x[start..start + x[start..].find(&close)?];
    let body = &body[body.find('>')? + 1..];
    let inner = match body.find("<rdf:li") {
        Some(li) => {
            let after = &body[li..];
            let content = &after[after.find('>')? + 1..];
            &content[..content.find("</rdf:li>")?]
        }
        None => body,
    };
    let t = unescape(inner.trim());
    (!t.is_empty()).then_some(t)
}

/// A property as an attribute (`xmp:CreateDate="…"`) or as an element.
fn xmp_value(x: &str, name: &str) -> Option<String> {
    let attr = format!("{name}=\"");
    if let Some(i) = x.find(&attr) {
        let rest = &x[i + attr.len()..];
        return Some(unescape(&rest[..rest.find('"')?]));
    }
    xmp_text(x, name)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// Dates as phones and cameras put them in names: `IMG_20230714_183005.jpg`, `2023-07-14 18.30.05.jpg`,
/// `PXL_20230714_183005123.jpg`, `Screenshot 2023-07-14 at 18.30.05.png`, or only the date.
pub fn date_in_name(name: &str) -> Option<NaiveDateTime> {
    let digits: Vec<(usize, u8)> = name.bytes().enumerate().filter(|(_, b)| b.is_ascii_digit()).collect();
    let bytes = name.as_bytes();
    // Try each position where a run of digits starts.
    for start in 0..digits.len() {
        let (pos, _) = digits[start];
        if pos > 0 && bytes[pos - 1].is_ascii_digit() {
            continue;
        }
        // Collect up to 14 digits allowing single separators between groups.
        let mut got = String::new();
        let mut last = pos;
        for &(p, b) in &digits[start..] {
            let allowed_gap = if got.len() == 8 { 4 } else { 1 };
            if p != last && p - last - 1 > allowed_gap {
                break;
            }
            if p > last + 1 && !bytes[last + 1..p].iter().all(|c| b" -_.:Tat".contains(c)) {
                break;
            }
            got.push(b as char);
            last = p;
            if got.len() == 14 {
                break;
            }
        }
        if got.len() < 8 {
            continue;
        }
        let (y, mo, d) = (got[0..4].parse().ok()?, got[4..6].parse().ok()?, got[6..8].parse().ok()?);
        if !(1900..=2100).contains(&y) {
            continue;
        }
        let Some(date) = NaiveDate::from_ymd_opt(y, mo, d) else { continue };
        if got.len() >= 14 {
            let (h, mi, s) = (got[8..10].parse().ok()?, got[10..12].parse().ok()?, got[12..14].parse().ok()?);
            if let Some(t) = date.and_hms_opt(h, mi, s) {
                return Some(t);
            }
        }
        return date.and_hms_opt(0, 0, 0);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_file_names() {
        let t = |s: &str| date_in_name(s).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string());
        assert_eq!(t("IMG_20230714_183005.jpg").as_deref(), Some("2023-07-14 18:30:05"));
        assert_eq!(t("2023-07-14 18.30.05.jpg").as_deref(), Some("2023-07-14 18:30:05"));
        assert_eq!(t("PXL_20230714_183005123.jpg").as_deref(), Some("2023-07-14 18:30:05"));
        assert_eq!(t("holiday 2019-02-03.png").as_deref(), Some("2019-02-03 00:00:00"));
        assert_eq!(t("DSC01234.JPG"), None);
        assert_eq!(t("IMG_99999999.jpg"), None);
    }

    #[test]
    fn iptc_text_is_read_from_app13_as_utf8_or_latin1() {
        use crate::library::synth::{self, Spec};
        let spec =
            Spec { iptc_title: Some("Zürich".into()), iptc_description: Some("Lake".into()), ..Default::default() };
        let found = find_iptc_jpeg(&synth::jpeg(&spec)).unwrap();
        assert_eq!((found.title.as_deref(), found.description.as_deref()), (Some("Zürich"), Some("Lake")));
        // Latin-1, no character set dataset, an odd-length resource name, a long-form length.
        let mut record = vec![0x1C, 2, 5, 0, 6];
        record.extend_from_slice(b"Z\xfcrich");
        record.extend_from_slice(&[0x1C, 2, 120, 0x80, 2, 0, 4]);
        record.extend_from_slice(b"Lake");
        let mut resources = b"8BIM\x04\x0c\x01a\0\0\0\x01x\0".to_vec();
        resources.extend_from_slice(b"8BIM\x04\x04\x01a");
        resources.extend_from_slice(&(record.len() as u32).to_be_bytes());
        resources.extend_from_slice(&record);
        let found = parse_iim(photoshop_resource(&resources, 0x0404).unwrap());
        assert_eq!((found.title.as_deref(), found.description.as_deref()), (Some("Zürich"), Some("Lake")));
        assert_eq!(find_iptc_jpeg(&synth::jpeg(&Spec::default())), None);
    }

    #[test]
    fn offsets_and_xmp_dates() {
        assert_eq!(parse_offset("+02:00").unwrap().local_minus_utc(), 7200);
        assert_eq!(parse_offset("-05:30").unwrap().local_minus_utc(), -19800);
        assert_eq!(parse_offset("junk"), None);
        let x = r#"<x:xmpmeta><rdf:Description xmp:CreateDate="2021-05-06T07:08:09+01:00"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Lake &amp; hills</rdf:li></rdf:Alt></dc:title></rdf:Description></x:xmpmeta>"#;
        let m = extract(None, None, Some(x.as_bytes()), "a.jpg", None);
        assert_eq!(m.title, "Lake & hills");
        let t = m.taken.unwrap();
        assert_eq!(t.source, DateSource::Xmp);
        assert_eq!(t.offset_text().as_deref(), Some("+01:00"));
        assert_eq!(t.local_text(), "2021-05-06T07:08:09");
    }
}
