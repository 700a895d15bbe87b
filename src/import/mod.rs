//! Moving in from other photo apps: `shoebox import photoprism` carries PhotoPrism's curation over
//! to the photos the index found in the same originals folder. Library-level code: no HTTP here.

pub mod photoprism;
