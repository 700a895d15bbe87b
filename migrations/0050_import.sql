-- Moving in from PhotoPrism (and later Google Takeout): what an import carries over must survive
-- a rescan, and running the same import again must find what it made before.

-- 1 when the date (taken_at, taken_local, taken_offset) was set by hand, in PhotoPrism or here: a
-- rescan keeps it instead of the file's.
ALTER TABLE photos ADD COLUMN taken_by_hand INTEGER NOT NULL DEFAULT 0 CHECK (taken_by_hand IN (0, 1));
-- 1 when the place (latitude, longitude, altitude) was set by hand: a rescan keeps it.
ALTER TABLE photos ADD COLUMN place_by_hand INTEGER NOT NULL DEFAULT 0 CHECK (place_by_hand IN (0, 1));

-- Albums an import created, by the source's own id (PhotoPrism's album UID), so a second run adds
-- what is new to the same album instead of making another one. Deleting the album in Shoebox
-- deletes the row, and the next import makes it again.
CREATE TABLE imported_albums (
    source     TEXT    NOT NULL CHECK (source IN ('photoprism', 'takeout')),
    source_id  TEXT    NOT NULL,
    album_id   INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (source, source_id)
);

CREATE INDEX imported_albums_album ON imported_albums (album_id);
