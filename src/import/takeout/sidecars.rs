//! The JSON Google Takeout writes beside each photo, and its names: `<name>.json`,
//! `<name>.supplemental-metadata.json`, either cut to 46 characters before `.json`, a `(1)` of
//! the media name moved before `.json`, and `-edited` copies sharing the original's JSON.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MediaJson {
    pub description: String,
    pub photo_taken_time: Option<Timestamp>,
    pub geo_data: Option<Geo>,
    pub favorited: bool,
    pub archived: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Timestamp {
    /// Unix seconds, written as a string.
    pub timestamp: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Geo {
    pub latitude: f64,
    pub longitude: f64,
    pub altitude: f64,
}

impl MediaJson {
    pub fn taken(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let secs: i64 = self.photo_taken_time.as_ref()?.timestamp.trim().parse().ok()?;
        chrono::DateTime::from_timestamp(secs, 0)
    }

    /// Google writes 0, 0 for "no place".
    pub fn place(&self) -> Option<&Geo> {
        self.geo_data.as_ref().filter(|g| g.latitude != 0.0 || g.longitude != 0.0)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AlbumJson {
    pub title: String,
    pub description: String,
}

#[derive(Debug)]
pub enum Json {
    Media(MediaJson),
    /// An album folder's `metadata.json`.
    Album(AlbumJson),
    /// Anything else Takeout writes (print orders, shared-album comments …): not used.
    Other,
}

/// Reads one JSON file found at `name` (its file name).
pub fn parse(file_name: &str, text: &str) -> Result<Json, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("broken JSON: {e}"))?;
    let has = |k: &str| value.get(k).is_some();
    if has("photoTakenTime") || has("creationTime") && has("geoData") {
        serde_json::from_value(value).map(Json::Media).map_err(|e| format!("unexpected value: {e}"))
    } else if file_name == "metadata.json" && has("title") {
        serde_json::from_value(value).map(Json::Album).map_err(|e| format!("unexpected value: {e}"))
    } else {
        Ok(Json::Other)
    }
}

/// Takeout cuts a JSON file's name to this many characters before `.json` (and a `(n)`).
const NAME_LIMIT: usize = 46;
const SUPPLEMENTAL: &str = ".supplemental-metadata";

fn cut(s: &str, chars: usize) -> &str {
    match s.char_indices().nth(chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A media name taken apart: the name its JSON is named after, and a `(n)` counter Takeout added
/// to tell apart files of the same name (it goes before `.json` in the JSON's name).
fn base_and_counter(media: &str) -> (String, String) {
    let (stem, ext) = match media.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (media, String::new()),
    };
    let (stem, counter) = match stem.strip_suffix(')').and_then(|s| s.rsplit_once('(')) {
        Some((s, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => (s, format!("({n})")),
        _ => (stem, String::new()),
    };
    // An edited copy has no JSON of its own: it shares the original's.
    let stem = stem.strip_suffix("-edited").unwrap_or(stem);
    (format!("{stem}{ext}"), counter)
}

/// The names the JSON of media file `media` may have, most likely first.
pub fn json_names(media: &str) -> Vec<String> {
    let (base, counter) = base_and_counter(media);
    let without_ext = base.rsplit_once('.').map_or(base.as_str(), |(s, _)| s).to_string();
    let mut names = Vec::new();
    for b in [format!("{base}{SUPPLEMENTAL}"), base.clone(), without_ext] {
        for candidate in [format!("{}{counter}.json", cut(&b, NAME_LIMIT)), format!("{b}{counter}.json")] {
            if !names.contains(&candidate) {
                names.push(candidate);
            }
        }
    }
    names
}

/// Whether a JSON named `json` belongs to `media` though none of [`json_names`] is its name:
/// `supplemental-metadata` cut anywhere (`.supplemental-me.json`, `.suppl.json`).
pub fn is_cut_json_of(json: &str, media: &str) -> bool {
    let (base, counter) = base_and_counter(media);
    let Some(stem) = json.strip_suffix(".json").and_then(|s| s.strip_suffix(counter.as_str())) else {
        return false;
    };
    let full = format!("{base}{SUPPLEMENTAL}");
    stem.len() > base.len() && full.starts_with(stem)
}
