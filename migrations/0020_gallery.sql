-- The gallery: a photo's state (favourite, archived, in the trash), albums, uploaded files and
-- photos deleted from Shoebox that the index must not bring back.

ALTER TABLE photos ADD COLUMN favorite INTEGER NOT NULL DEFAULT 0 CHECK (favorite IN (0, 1));
-- Unix seconds; archived photos leave the timeline and are shown on the archive page.
ALTER TABLE photos ADD COLUMN archived_at INTEGER;
-- Unix seconds; trashed photos are shown only in the trash and purged TRASH_DAYS later.
ALTER TABLE photos ADD COLUMN trashed_at INTEGER;
-- 1 once the owner changed title or description: a rescan keeps them instead of the file's.
ALTER TABLE photos ADD COLUMN edited INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1));

-- 1 for files written by an upload (Shoebox owns them and deletes them when the trash is
-- emptied); 0 for files indexed in place, which Shoebox never deletes.
ALTER TABLE files ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1));

-- Every list is a keyset walk of one of these partial indexes, newest first. The query repeats
-- the index's WHERE terms literally so SQLite can use it.
DROP INDEX photos_owner_taken;
CREATE INDEX photos_timeline ON photos (owner_id, taken_at DESC, id DESC)
    WHERE missing = 0 AND archived_at IS NULL AND trashed_at IS NULL;
CREATE INDEX photos_archive ON photos (owner_id, taken_at DESC, id DESC)
    WHERE missing = 0 AND archived_at IS NOT NULL AND trashed_at IS NULL;
CREATE INDEX photos_favorites ON photos (owner_id, taken_at DESC, id DESC)
    WHERE missing = 0 AND favorite = 1 AND trashed_at IS NULL;
CREATE INDEX photos_trash ON photos (owner_id, taken_at DESC, id DESC)
    WHERE trashed_at IS NOT NULL;
-- The purge finds expired trash without a scan.
CREATE INDEX photos_trashed_at ON photos (trashed_at) WHERE trashed_at IS NOT NULL;

CREATE TABLE albums (
    id             INTEGER PRIMARY KEY,
    owner_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title          TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description    TEXT    NOT NULL DEFAULT '',
    -- Always a member (checked when set; cleared when the photo leaves the album).
    cover_photo_id INTEGER REFERENCES photos (id) ON DELETE SET NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE INDEX albums_owner ON albums (owner_id, updated_at DESC, id DESC);

CREATE TABLE album_photos (
    album_id INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    -- A copy of photos.taken_at (kept by the trigger below) so an album page is a keyset walk.
    taken_at INTEGER NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (album_id, photo_id)
);

CREATE INDEX album_photos_order ON album_photos (album_id, taken_at DESC, photo_id DESC);
CREATE INDEX album_photos_photo ON album_photos (photo_id);

CREATE TRIGGER album_photos_follow_taken_at AFTER UPDATE OF taken_at ON photos
BEGIN
    UPDATE album_photos SET taken_at = NEW.taken_at WHERE photo_id = NEW.id;
END;

CREATE TRIGGER album_cover_leaves_with_its_photo AFTER DELETE ON album_photos
BEGIN
    UPDATE albums SET cover_photo_id = NULL WHERE id = OLD.album_id AND cover_photo_id = OLD.photo_id;
END;

-- Photos deleted from Shoebox (trash emptied or purged). Their files indexed in place stay on
-- disk, so the index skips this content for this owner instead of bringing it back; uploading
-- the same picture again removes the row.
CREATE TABLE deleted_photos (
    owner_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT    NOT NULL,
    deleted_at INTEGER NOT NULL,
    PRIMARY KEY (owner_id, hash)
);
