-- The background transcode queue: one row per video content (hash) that browsers cannot play as
-- stored (HEVC, MKV, AVI, …). Keyed by hash like the thumbnail cache, so copies of one video
-- (another user's, a moved file) are transcoded once. `running` rows left by a stopped server
-- are queued again at the next start; `failed` keeps ffmpeg's reason for the admin page.
CREATE TABLE transcodes (
    hash TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    error TEXT,
    queued_at INTEGER NOT NULL,
    finished_at INTEGER
);

CREATE INDEX transcodes_waiting ON transcodes (status, queued_at);
