-- Audit trail of every sign-in attempt, successful or not. Rows are never updated.
CREATE TABLE sign_in_events (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    -- NULL when the attempt did not match an account (unknown username, unregistered subject).
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- The name the attempt was made for, as given (or as the provider reported it).
    username    TEXT    NOT NULL DEFAULT '',
    method      TEXT    NOT NULL CHECK (method IN ('password', 'oidc', 'sign_out')),
    client_addr TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'refused')),
    reason      TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX sign_in_events_at ON sign_in_events (at);
CREATE INDEX sign_in_events_user ON sign_in_events (user_id, at);
