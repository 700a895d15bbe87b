-- Albums shared with a single sign-on group (the provider's `groups` claim, e.g. Authelia's
-- `family`). Each user's groups are stored at every single sign-on and replaced whole, so
-- membership follows the provider: someone removed from a group loses its albums at their next
-- sign-in, and at once when the provider's back-channel logout clears them.
CREATE TABLE user_groups (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    PRIMARY KEY (user_id, name)
);

CREATE INDEX user_groups_name ON user_groups (name, user_id);

CREATE TABLE album_groups (
    album_id   INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    group_name TEXT    NOT NULL CHECK (length(group_name) BETWEEN 1 AND 200),
    role       TEXT    NOT NULL CHECK (role IN ('viewer', 'contributor', 'editor')),
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (album_id, group_name)
);

CREATE INDEX album_groups_name ON album_groups (group_name, album_id);
