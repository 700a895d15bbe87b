-- Which stored sessions (tower_sessions rows) belong to which user, so the account page can list
-- them and "sign out everywhere" can end them: the session store cannot be searched by content.
CREATE TABLE user_sessions (
    session_id  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- `password` or `oidc`.
    method      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE INDEX user_sessions_user ON user_sessions (user_id);
