//! Apple's ContentIdentifier: the UUID an iPhone writes into both halves of a Live Photo (the
//! still's MakerNote, the clip's QuickTime metadata), so they pair whatever they are named.

/// How Apple's MakerNote starts. The IFD follows a 2-byte version and a TIFF byte-order mark
/// (`MM` or `II`), at byte 14; the offsets inside it count from the start of the MakerNote, not
/// from the TIFF header of the EXIF around it (as ExifTool's Apple table reads it).
const SIGNATURE: &[u8] = b"Apple iOS\0";
const BYTE_ORDER_AT: usize = 12;
const IFD_AT: usize = 14;
/// The MakerNote tag of the ContentIdentifier (ExifTool: Apple 0x0011).
const CONTENT_IDENTIFIER: u16 = 0x0011;
/// TIFF field types the identifier may be stored as: ASCII, or UNDEFINED bytes.
const ASCII: u16 = 2;
const UNDEFINED: u16 = 7;
const ENTRY_LEN: usize = 12;
/// A UUID is 36 characters; anything much longer is not an identifier Apple wrote.
const MAX_LEN: usize = 64;

/// The ContentIdentifier in an EXIF MakerNote, if it is Apple's and holds one. Every read is
/// bounds-checked: a truncated or hostile MakerNote gives None, never a panic or a large read.
pub fn maker_note_content_id(note: &[u8]) -> Option<String> {
    if !note.starts_with(SIGNATURE) {
        return None;
    }
    let big_endian = match note.get(BYTE_ORDER_AT..IFD_AT)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = note.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = note.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    };
    let count = usize::from(u16_at(IFD_AT)?);
    for i in 0..count {
        let entry = IFD_AT + 2 + i * ENTRY_LEN;
        if entry + ENTRY_LEN > note.len() {
            return None;
        }
        if u16_at(entry)? != CONTENT_IDENTIFIER {
            continue;
        }
        if !matches!(u16_at(entry + 2)?, ASCII | UNDEFINED) {
            return None;
        }
        let len = usize::try_from(u32_at(entry + 4)?).ok()?;
        if len > MAX_LEN + 1 {
            return None;
        }
        // Values of up to four bytes sit in the entry itself; longer ones at an offset.
        let at = if len <= 4 { entry + 8 } else { usize::try_from(u32_at(entry + 8)?).ok()? };
        let value = note.get(at..at.checked_add(len)?)?;
        return content_identifier(std::str::from_utf8(value).ok()?);
    }
    None
}

/// The identifier as stored for pairing: trimmed (NUL padding included) and upper case, since
/// Apple writes the same UUID in upper case on both sides but other tools may not. None for an
/// empty or implausible value (too long, control characters, spaces inside).
pub fn content_identifier(text: &str) -> Option<String> {
    let t = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    let plausible = !t.is_empty() && t.len() <= MAX_LEN && t.bytes().all(|b| b.is_ascii_graphic());
    plausible.then(|| t.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4F2C3B1A-0000-4000-8000-00000000ABCD";

    /// An Apple MakerNote as an iPhone lays it out: signature, version, byte order, an IFD of
    /// `entries` (tag, type, count, value or offset), then the values too long for an entry.
    fn maker_note(big_endian: bool, entries: &[(u16, u16, &[u8])]) -> Vec<u8> {
        let u16b = |v: u16| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        let u32b = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&[0, 1]);
        out.extend_from_slice(if big_endian { b"MM" } else { b"II" });
        out.extend_from_slice(&u16b(entries.len() as u16));
        let mut data_at = out.len() + entries.len() * ENTRY_LEN + 4;
        let mut data = Vec::new();
        for (tag, kind, value) in entries {
            out.extend_from_slice(&u16b(*tag));
            out.extend_from_slice(&u16b(*kind));
            out.extend_from_slice(&u32b(value.len() as u32));
            if value.len() <= 4 {
                let mut inline = value.to_vec();
                inline.resize(4, 0);
                out.extend_from_slice(&inline);
            } else {
                out.extend_from_slice(&u32b(data_at as u32));
                data.extend_from_slice(value);
                data_at += value.len();
            }
        }
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&data);
        out
    }

    fn with_id(big_endian: bool) -> Vec<u8> {
        let id = format!("{ID}\0");
        maker_note(big_endian, &[(0x0001, 9, &[0, 0, 0, 14]), (0x0008, 2, b"ab\0"), (0x0011, 2, id.as_bytes())])
    }

    #[test]
    fn the_content_identifier_is_read_from_a_big_endian_apple_maker_note() {
        assert_eq!(maker_note_content_id(&with_id(true)).as_deref(), Some(ID));
    }

    #[test]
    fn the_content_identifier_is_read_from_a_little_endian_apple_maker_note() {
        assert_eq!(maker_note_content_id(&with_id(false)).as_deref(), Some(ID));
    }

    #[test]
    fn a_lower_case_identifier_is_stored_in_upper_case() {
        let note = maker_note(true, &[(0x0011, 2, b"abcdef01-2345\0")]);
        assert_eq!(maker_note_content_id(&note).as_deref(), Some("ABCDEF01-2345"));
    }

    #[test]
    fn a_maker_note_without_the_tag_or_of_another_maker_has_no_identifier() {
        assert_eq!(maker_note_content_id(&maker_note(true, &[(0x0008, 2, b"ab\0")])), None);
        let mut other = with_id(true);
        other[..5].copy_from_slice(b"Nikon");
        assert_eq!(maker_note_content_id(&other), None);
        let mut no_order = with_id(true);
        no_order[BYTE_ORDER_AT..IFD_AT].copy_from_slice(b"XX");
        assert_eq!(maker_note_content_id(&no_order), None);
    }

    #[test]
    fn a_truncated_maker_note_gives_no_identifier_at_any_length() {
        let whole = with_id(false);
        for len in 0..whole.len() {
            assert_eq!(maker_note_content_id(&whole[..len]), None, "cut at {len}");
        }
    }

    #[test]
    fn a_hostile_maker_note_gives_no_identifier() {
        // An offset far past the end, a length that wraps, an entry count larger than the data.
        let mut far = with_id(true);
        let entry = IFD_AT + 2 + 2 * ENTRY_LEN;
        far[entry + 8..entry + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(maker_note_content_id(&far), None);
        let mut huge = with_id(true);
        huge[entry + 4..entry + 8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(maker_note_content_id(&huge), None);
        let mut many = with_id(true);
        many[IFD_AT..IFD_AT + 2].copy_from_slice(&u16::MAX.to_be_bytes());
        many.truncate(IFD_AT + 2 + ENTRY_LEN);
        assert_eq!(maker_note_content_id(&many), None);
        // Not text, or not an identifier.
        assert_eq!(maker_note_content_id(&maker_note(true, &[(0x0011, 2, &[0xFF, 0xFE, 0xFD, 0xFC, 0xFB])])), None);
        assert_eq!(maker_note_content_id(&maker_note(true, &[(0x0011, 2, b"two words here\0")])), None);
        assert_eq!(maker_note_content_id(&maker_note(true, &[(0x0011, 3, &[1, 2, 3, 4, 5, 6])])), None);
    }

    #[test]
    fn identifiers_are_trimmed_and_implausible_ones_refused() {
        assert_eq!(content_identifier(" abc-1\0\0").as_deref(), Some("ABC-1"));
        assert_eq!(content_identifier("\0\0"), None);
        assert_eq!(content_identifier(&"A".repeat(65)), None);
        assert_eq!(content_identifier("a\u{7}b"), None);
    }
}
