//! Bounded fuzzing of every parser that reads untrusted bytes: file type sniffing, EXIF, XMP and
//! IPTC, date and offset text, upload names, and the JWT headers and claims of logout tokens.
//! Each runs `FUZZ_CASES` random inputs (default 5000, about ten seconds; set it higher for a long run: see
//! docs/security.md) and some mutations of a real camera JPEG; a panic or a broken rule fails.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shoebox::library::metadata;
use shoebox::library::sniff::{self, Format, Sniffed};
use shoebox::library::upload::safe_name;

use crate::helpers::camera_jpeg;

fn config() -> Config {
    let cases = std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(5000);
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// Random bytes, and a real JPEG with bytes overwritten or cut: the interesting inputs are
/// mostly well-formed.
fn untrusted_bytes() -> impl Strategy<Value = Vec<u8>> {
    let jpeg = camera_jpeg(7);
    let mutated = (0..jpeg.len(), proptest::collection::vec((0..jpeg.len(), any::<u8>()), 1..16)).prop_map(
        move |(cut, edits)| {
            let mut bytes = jpeg.clone();
            for (at, b) in edits {
                bytes[at] = b;
            }
            bytes.truncate(cut.max(4));
            bytes
        },
    );
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..4096), mutated]
}

#[test]
fn type_sniffing_never_panics_and_calls_jpeg_only_what_starts_like_one() {
    TestRunner::new(config())
        .run(&untrusted_bytes(), |bytes| {
            if let Sniffed::Supported(Format::Jpeg) = sniff::sniff(&bytes) {
                prop_assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn exif_xmp_and_iptc_readers_never_panic_on_damaged_files() {
    TestRunner::new(config())
        .run(&untrusted_bytes(), |bytes| {
            let _ = metadata::parse_exif_container(&bytes);
            let _ = metadata::parse_exif_raw(&bytes);
            let _ = metadata::find_iptc_jpeg(&bytes);
            if let Some(xmp) = metadata::find_xmp(&bytes) {
                prop_assert!(xmp.len() <= bytes.len());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn date_offset_and_file_name_date_parsers_never_panic() {
    TestRunner::new(config())
        .run(&any::<String>(), |text| {
            let _ = metadata::parse_exif_date(&text);
            let _ = metadata::parse_offset(&text);
            let _ = metadata::date_in_name(&text);
            Ok(())
        })
        .unwrap();
}

#[test]
fn upload_names_become_one_safe_file_name_that_fits_the_file_system() {
    let formats = prop_oneof![Just(Format::Jpeg), Just(Format::Png), Just(Format::Webp), Just(Format::Gif)];
    TestRunner::new(config())
        .run(&(any::<String>(), formats), |(given, format)| {
            let name = safe_name(&given, format);
            prop_assert!(!name.contains('/') && !name.contains('\\'), "{name:?}");
            prop_assert!(!name.chars().any(char::is_control), "{name:?}");
            prop_assert!(!name.starts_with('.'), "{name:?} would be hidden");
            prop_assert!(name.len() <= 255, "{} bytes", name.len());
            let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
            let fits = format.extensions().contains(&ext.as_str());
            prop_assert!(fits, "{name:?} for {format:?}");
            Ok(())
        })
        .unwrap();
}

#[test]
fn logout_token_headers_and_claims_are_read_without_panicking() {
    use shoebox::oidc::jwt;
    let algs = jwt::allowed_algorithms(&[]);
    let part = proptest::collection::vec(any::<u8>(), 0..300).prop_map(|b| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    });
    let token =
        prop_oneof![any::<String>(), (part.clone(), part.clone(), part).prop_map(|(h, c, s)| format!("{h}.{c}.{s}")),];
    TestRunner::new(config())
        .run(&token, |token| {
            let _ = jwt::checked_header(&token, &algs);
            let _ = jwt::unverified_claims(&token);
            Ok(())
        })
        .unwrap();
}
