-- App passwords: how WebDAV clients (PhotoSync, rclone, Finder, Windows, davfs2) sign in,
-- also for single sign-on accounts, which have no Shoebox password. Each is shown once and
-- stored as the SHA-256 of its secret: the secret is 160 random bits, so a slow hash would add
-- nothing but a cost on every WebDAV request.
CREATE TABLE app_passwords (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    -- Unix seconds; NULL never expires.
    expires_at   INTEGER
);

CREATE INDEX app_passwords_user ON app_passwords (user_id);

-- The audit trail learns the WebDAV sign-in ('app_password'); SQLite cannot change a CHECK in
-- place, so the table is rebuilt with its rows.
CREATE TABLE sign_in_events_new (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    username    TEXT    NOT NULL DEFAULT '',
    method      TEXT    NOT NULL CHECK (method IN ('password', 'oidc', 'sign_out', 'app_password')),
    client_addr TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'refused')),
    reason      TEXT    NOT NULL DEFAULT ''
);
INSERT INTO sign_in_events_new SELECT id, at, user_id, username, method, client_addr, outcome, reason FROM sign_in_events;
DROP TABLE sign_in_events;
ALTER TABLE sign_in_events_new RENAME TO sign_in_events;
CREATE INDEX sign_in_events_at ON sign_in_events (at);
CREATE INDEX sign_in_events_user ON sign_in_events (user_id, at);

-- WebDAV dead properties (PROPPATCH): clients such as Finder and Windows store their own
-- properties on files. `path` is relative to ORIGINALS_PATH, so every root sees the same ones.
CREATE TABLE webdav_props (
    path      TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name      TEXT NOT NULL,
    prefix    TEXT,
    xml       BLOB,
    PRIMARY KEY (path, namespace, name)
);
