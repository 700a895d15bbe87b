//! PhotoPrism's YAML files as PhotoPrism writes them: the `yaml` tags of its Go structs
//! (`internal/entity/photo.go`, `details.go`, `album.go`, `photo_album.go`), marshalled by
//! gopkg.in/yaml.v2. Fields Shoebox does not use are listed too, so that only fields PhotoPrism
//! never wrote are reported as unknown.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A photo sidecar: `sidecar/<original path without extension>.yml`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Sidecar {
    #[serde(rename = "UID")]
    pub uid: String,
    pub taken_at: Option<String>,
    pub taken_at_local: Option<String>,
    pub taken_src: String,
    pub time_zone: String,
    pub title: String,
    pub title_src: String,
    pub description: String,
    /// Newer PhotoPrism versions keep the caption apart from the description.
    pub caption: String,
    pub favorite: bool,
    pub private: bool,
    pub place_src: String,
    pub lat: f64,
    pub lng: f64,
    pub altitude: f64,
    pub deleted_at: Option<String>,
    pub details: Option<Details>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Details {
    pub keywords: String,
    pub keywords_src: String,
    pub notes: String,
}

const SIDECAR_FIELDS: &[&str] = &[
    "DocumentID",
    "TakenAt",
    "TakenAtLocal",
    "TakenSrc",
    "UID",
    "Type",
    "TypeSrc",
    "Title",
    "TitleSrc",
    "Description",
    "DescriptionSrc",
    "Caption",
    "CaptionSrc",
    "OriginalName",
    "Stack",
    "Favorite",
    "Private",
    "Scan",
    "Panorama",
    "TimeZone",
    "PlaceSrc",
    "CellAccuracy",
    "Altitude",
    "Lat",
    "Lng",
    "Year",
    "Month",
    "Day",
    "ISO",
    "Exposure",
    "FNumber",
    "FocalLength",
    "Quality",
    "Faces",
    "Duration",
    "CameraSerial",
    "Details",
    "CreatedBy",
    "CreatedAt",
    "UpdatedAt",
    "EditedAt",
    "PublishedAt",
    "DeletedAt",
];

const DETAILS_FIELDS: &[&str] = &[
    "Keywords",
    "KeywordsSrc",
    "Notes",
    "NotesSrc",
    "Subject",
    "SubjectSrc",
    "Artist",
    "ArtistSrc",
    "Copyright",
    "CopyrightSrc",
    "License",
    "LicenseSrc",
    "Software",
    "SoftwareSrc",
];

/// An album backup: `backup/albums/<type>/<uid>.yml` (older versions: `albums/<type>/<uid>.yml`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AlbumBackup {
    #[serde(rename = "UID")]
    pub uid: String,
    pub slug: String,
    #[serde(rename = "Type")]
    pub kind: String,
    pub title: String,
    pub caption: String,
    pub description: String,
    pub notes: String,
    /// PhotoPrism's sort order for the album (`pkg/sortby`: `oldest`, `newest`, `added`, …).
    pub order: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
    /// The cover: the SHA-1 of its file, as PhotoPrism names files.
    pub thumb: String,
    /// `manual` when someone chose the cover; otherwise PhotoPrism picked it.
    pub thumb_src: String,
    pub photos: Vec<AlbumPhoto>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AlbumPhoto {
    #[serde(rename = "UID")]
    pub uid: String,
    /// Taken out of the album in PhotoPrism (it keeps the row).
    pub hidden: bool,
    pub created_at: Option<String>,
}

const ALBUM_FIELDS: &[&str] = &[
    "UID",
    "ParentUID",
    "Slug",
    "Path",
    "Type",
    "Title",
    "Location",
    "Category",
    "Caption",
    "Description",
    "Notes",
    "Filter",
    "Order",
    "Template",
    "State",
    "Country",
    "Year",
    "Month",
    "Day",
    "Favorite",
    "Private",
    "Thumb",
    "ThumbSrc",
    "CreatedBy",
    "CreatedAt",
    "UpdatedAt",
    "PublishedAt",
    "DeletedAt",
    "Photos",
];

const ALBUM_PHOTO_FIELDS: &[&str] = &["UID", "Order", "Hidden", "Missing", "CreatedAt", "UpdatedAt"];

/// A file read: what Shoebox uses, and the fields PhotoPrism never writes (reported, ignored).
#[derive(Debug)]
pub struct Parsed<T> {
    pub value: T,
    pub unknown: Vec<String>,
}

pub fn sidecar(text: &str) -> Result<Parsed<Sidecar>, String> {
    parse(text, |doc, unknown| {
        unknown_keys(doc, "", SIDECAR_FIELDS, unknown);
        if let Some(details) = doc.get("Details") {
            unknown_keys(details, "Details.", DETAILS_FIELDS, unknown);
        }
    })
}

pub fn album(text: &str) -> Result<Parsed<AlbumBackup>, String> {
    parse(text, |doc, unknown| {
        unknown_keys(doc, "", ALBUM_FIELDS, unknown);
        if let Some(serde_norway::Value::Sequence(photos)) = doc.get("Photos") {
            for p in photos {
                unknown_keys(p, "Photos[].", ALBUM_PHOTO_FIELDS, unknown);
            }
        }
    })
}

fn parse<T: DeserializeOwned>(
    text: &str,
    check: impl Fn(&serde_norway::Value, &mut Vec<String>),
) -> Result<Parsed<T>, String> {
    let doc: serde_norway::Value = serde_norway::from_str(text).map_err(|e| format!("broken YAML: {e}"))?;
    if !doc.is_mapping() {
        return Err("not a PhotoPrism YAML file: expected `Field: value` lines at the top level".into());
    }
    let mut unknown = Vec::new();
    check(&doc, &mut unknown);
    unknown.dedup();
    let value = serde_norway::from_str(text).map_err(|e| format!("unexpected value: {e}"))?;
    Ok(Parsed { value, unknown })
}

fn unknown_keys(doc: &serde_norway::Value, prefix: &str, known: &[&str], out: &mut Vec<String>) {
    if let serde_norway::Value::Mapping(map) = doc {
        for key in map.keys() {
            let name = key.as_str().map(str::to_string).unwrap_or_else(|| format!("{key:?}"));
            if !known.contains(&name.as_str()) {
                out.push(format!("{prefix}{name}"));
            }
        }
    }
}

/// A time as yaml.v2 writes Go's `time.Time` (RFC 3339); Go's zero time counts as none.
pub fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(text?.trim()).ok()?.with_timezone(&Utc);
    (t.year() > 1).then_some(t)
}

/// PhotoPrism's `TakenAtLocal`: the wall-clock time, written with a `Z` it does not mean.
pub fn local_time(text: Option<&str>) -> Option<NaiveDateTime> {
    time(text).map(|t| t.naive_utc())
}
