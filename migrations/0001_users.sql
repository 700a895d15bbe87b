-- People who can sign in. Timestamps are Unix seconds (UTC).
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    -- Unique regardless of case: "Alice" and "alice" are the same person.
    username        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    display_name    TEXT    NOT NULL DEFAULT '',
    email           TEXT,
    email_verified  INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    role            TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user', 'viewer')),
    -- argon2id PHC string; NULL for accounts that only sign in through single sign-on.
    password_hash   TEXT,
    auth_provider   TEXT    NOT NULL DEFAULT 'local' CHECK (auth_provider IN ('local', 'oidc')),
    -- Issuer and subject of the linked single sign-on identity. An empty issuer with a subject
    -- is a pre-linked account: the first sign-in from any issuer with that subject claims it.
    auth_issuer     TEXT    NOT NULL DEFAULT '',
    auth_subject    TEXT,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_sign_in_at INTEGER
);

-- A subject identifies one person per issuer.
CREATE UNIQUE INDEX users_auth_identity ON users (auth_issuer, auth_subject) WHERE auth_subject IS NOT NULL;
