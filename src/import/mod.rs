//! Moving in from other photo apps: `shoebox import photoprism` carries PhotoPrism's curation over
//! to the photos the index found in the same originals folder; `shoebox import takeout` stores a
//! Google Photos Takeout like uploads, with what its JSON files know. Library-level code: no HTTP.

pub mod photoprism;
pub mod takeout;
