-- Albums shared with other users. A member is a viewer (sees the album, downloads), a
-- contributor (also adds their own photos, which stay theirs) or an editor (also removes photos
-- and edits the title, description and cover). Private photos are never shown to members.
CREATE TABLE album_members (
    album_id INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT    NOT NULL CHECK (role IN ('viewer', 'contributor', 'editor')),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (album_id, user_id)
);

-- "Shared with me": a user's memberships.
CREATE INDEX album_members_user ON album_members (user_id, album_id);

-- Who put the photo in the album (the owner, or a contributor); NULL for rows from before
-- sharing, which only the owner could add.
ALTER TABLE album_photos ADD COLUMN added_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
