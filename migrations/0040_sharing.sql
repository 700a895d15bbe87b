-- Share links: an album (or a selection of photos, kept as a hidden album) opened by anyone who
-- holds the link, with no account. Only a hash of the token is stored, so a copy of the database
-- opens no album; the token is shown once, when the link is made.

-- 1 for the album behind a selection link: it is the sharer's, but not listed among their albums.
ALTER TABLE albums ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));

CREATE TABLE share_links (
    id            INTEGER PRIMARY KEY,
    album_id      INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    -- BLAKE3 of the token, hex.
    token_hash    TEXT    NOT NULL UNIQUE,
    -- argon2id; NULL when the link has no password.
    password_hash TEXT,
    -- Bumped whenever the password changes: every unlock (a signed cookie naming the epoch) made
    -- under the old password ends at once.
    epoch         INTEGER NOT NULL DEFAULT 0,
    -- Unix seconds; NULL only when the sharer asked for a link that never expires.
    expires_at    INTEGER,
    max_views     INTEGER CHECK (max_views IS NULL OR max_views >= 1),
    view_count    INTEGER NOT NULL DEFAULT 0,
    last_view_at  INTEGER,
    can_download  INTEGER NOT NULL DEFAULT 1 CHECK (can_download IN (0, 1)),
    show_metadata INTEGER NOT NULL DEFAULT 0 CHECK (show_metadata IN (0, 1)),
    -- Visitors may add photos: they go to the owner's library and into the album.
    can_upload    INTEGER NOT NULL DEFAULT 0 CHECK (can_upload IN (0, 1)),
    comment       TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    -- Unix seconds; a revoked link serves nothing and is kept so the owner sees what it was.
    revoked_at    INTEGER
);

CREATE INDEX share_links_album ON share_links (album_id, id);

-- The link a visitor uploaded a photo through: the photo is the album owner's, and this says it
-- came from outside. Kept (as NULL) if the link row is ever deleted with its album.
ALTER TABLE photos ADD COLUMN contributed_link_id INTEGER REFERENCES share_links (id) ON DELETE SET NULL;
