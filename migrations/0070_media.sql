-- Phone media: HEIC/AVIF, RAW, videos, Live and Motion Photos.
--
-- `photos.format` and `photos.taken_source` lose their fixed CHECK lists: the set of formats is
-- Rust's `sniff::Format` now, and it grows (so do the date sources). Rebuilding the table is not
-- possible here: migrations run inside a transaction with foreign keys on, where dropping
-- `photos` would run every ON DELETE action of the tables that point at it. Removing a CHECK
-- does not change how rows are stored, so it is done as SQLite documents for such changes
-- ("Making Other Kinds Of Table Schema Changes"): the table's CREATE statement is edited in
-- place, `writable_schema = RESET` makes this connection read the schema again, and the ALTER
-- TABLE statements after it change the schema cookie, so every other connection reads it again.
PRAGMA writable_schema = ON;

UPDATE sqlite_schema
SET sql = replace(
        replace(sql, 'NOT NULL CHECK (format IN (''jpeg'', ''png'', ''webp'', ''gif''))', 'NOT NULL'),
        'NOT NULL CHECK (taken_source IN
                      (''exif_original'', ''exif_digitized'', ''exif_modified'', ''xmp'', ''file_name'', ''file_mtime''))',
        'NOT NULL')
WHERE type = 'table' AND name = 'photos';

PRAGMA writable_schema = RESET;

-- What the item is, as PhotoPrism names it: a still `image`, a `raw` shown through its embedded
-- preview, a `video`, or a `live` photo (a still with a motion clip: an Apple Live Photo's MOV
-- beside it, or a Google/Samsung Motion Photo's MP4 inside it).
ALTER TABLE photos ADD COLUMN media_type TEXT NOT NULL DEFAULT 'image'
    CHECK (media_type IN ('image', 'raw', 'video', 'live'));
-- Milliseconds: a video's length, or a live photo's clip.
ALTER TABLE photos ADD COLUMN duration_ms INTEGER;
-- A video's (or live clip's) codec as ffprobe names it (h264, hevc, vp9, av1, …) and frame rate.
ALTER TABLE photos ADD COLUMN video_codec TEXT;
ALTER TABLE photos ADD COLUMN frame_rate REAL;
-- A Motion Photo's clip inside the primary file: its byte offset and length.
ALTER TABLE photos ADD COLUMN motion_offset INTEGER;
ALTER TABLE photos ADD COLUMN motion_length INTEGER;

-- How a file belongs to its photo: `primary` (the photo is made from it; identical copies are
-- all primary), `motion` (a Live Photo's clip beside it, same base name or ContentIdentifier),
-- `companion` (another rendition of the same shot: the RAW beside its JPEG).
ALTER TABLE files ADD COLUMN role TEXT NOT NULL DEFAULT 'primary'
    CHECK (role IN ('primary', 'motion', 'companion'));
