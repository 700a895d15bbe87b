-- The photo library. A photo is one picture (one content hash) in one owner's library; the files
-- are where its bytes live under ORIGINALS_PATH. Identical files of one owner are one photo with
-- several files; a moved file keeps its photo because the hash finds it again.
CREATE TABLE photos (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- BLAKE3 of the file's bytes, lower-case hex; thumbnails are cached under it.
    hash          TEXT    NOT NULL,
    format        TEXT    NOT NULL CHECK (format IN ('jpeg', 'png', 'webp', 'gif')),
    -- Pixel size as displayed (orientation applied).
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    orientation   INTEGER NOT NULL DEFAULT 1 CHECK (orientation BETWEEN 1 AND 8),
    -- When the photo was taken, Unix seconds UTC. Without a known offset the local time is
    -- stored as if it were UTC and taken_offset is NULL.
    taken_at      INTEGER NOT NULL,
    -- Local wall-clock time as the camera recorded it, `YYYY-MM-DDTHH:MM:SS`.
    taken_local   TEXT    NOT NULL,
    -- `+02:00`, or NULL when unknown.
    taken_offset  TEXT,
    taken_source  TEXT    NOT NULL CHECK (taken_source IN
                      ('exif_original', 'exif_digitized', 'exif_modified', 'xmp', 'file_name', 'file_mtime')),
    camera_make   TEXT,
    camera_model  TEXT,
    lens          TEXT,
    focal_length  REAL,
    f_number      REAL,
    exposure_time TEXT,
    iso           INTEGER,
    latitude      REAL,
    longitude     REAL,
    altitude      REAL,
    title         TEXT    NOT NULL DEFAULT '',
    description   TEXT    NOT NULL DEFAULT '',
    -- ThumbHash of the picture (a ~25 byte preview), for instant grids.
    placeholder   BLOB,
    -- 1 when every file of the photo is missing; the photo (and later its albums) is kept.
    missing       INTEGER NOT NULL DEFAULT 0 CHECK (missing IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (owner_id, hash)
);

-- Keyset pagination of one owner's photos, newest first.
CREATE INDEX photos_owner_taken ON photos (owner_id, missing, taken_at DESC, id DESC);
CREATE INDEX photos_hash ON photos (hash);

-- Every file seen under ORIGINALS_PATH: indexed (belongs to a photo), skipped (with the reason)
-- or missing (seen before, gone now). Unchanged files are recognised by (path, size, mtime).
CREATE TABLE files (
    id            INTEGER PRIMARY KEY,
    -- Relative to ORIGINALS_PATH, `/`-separated.
    path          TEXT    NOT NULL UNIQUE,
    size          INTEGER NOT NULL,
    -- Modification time in nanoseconds since the Unix epoch.
    mtime_ns      INTEGER NOT NULL,
    hash          TEXT,
    photo_id      INTEGER REFERENCES photos (id) ON DELETE SET NULL,
    status        TEXT    NOT NULL CHECK (status IN ('indexed', 'skipped', 'missing')),
    -- For skipped files: why (not an image, corrupt, too many pixels, …).
    reason        TEXT    NOT NULL DEFAULT '',
    indexed_at    INTEGER NOT NULL,
    missing_since INTEGER
);

CREATE INDEX files_photo ON files (photo_id);
CREATE INDEX files_hash ON files (hash);

-- In-place folders (relative to ORIGINALS_PATH) shown to chosen users besides their owner.
-- Albums shared with users or links join the same access check.
CREATE TABLE folder_grants (
    folder     TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (folder, user_id)
);

CREATE INDEX folder_grants_user ON folder_grants (user_id);
