-- Revoking an account's sessions and media URLs, and never handing an old account's id to a new one.

-- Account ids are never reused: a deleted account's id stays retired, so nothing that still names
-- it (a stale session cookie, a media URL, a log line) can ever point at an account created later.
-- `users.id` is a plain rowid, which SQLite hands out again after the highest row is deleted; the
-- insert picks the next id above both tables instead.
CREATE TABLE retired_user_ids (
    id INTEGER PRIMARY KEY
);

CREATE TRIGGER users_retire_id AFTER DELETE ON users
BEGIN
    INSERT OR IGNORE INTO retired_user_ids (id) VALUES (OLD.id);
END;

-- Every signed-in session and every media token carries the generation it was issued under;
-- changing it ends them all at once (sign out everywhere, disable, password or role change). Zero
-- for accounts from before this column, so an upgrade signs nobody out; new accounts get a random one.
ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
