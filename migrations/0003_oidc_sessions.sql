-- Sessions signed in through single sign-on, by provider identity, so a back-channel logout
-- from the provider can end them. `session_id` is the id in the session store (tower_sessions).
CREATE TABLE oidc_sessions (
    session_id  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    -- The provider's session id (`sid` claim), when it sends one.
    sid         TEXT,
    created_at  INTEGER NOT NULL
);

CREATE INDEX oidc_sessions_subject ON oidc_sessions (issuer, subject);
CREATE INDEX oidc_sessions_sid ON oidc_sessions (issuer, sid) WHERE sid IS NOT NULL;
