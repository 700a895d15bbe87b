-- Partners: a user shares their whole library, read-only, with another user (Immich's partner
-- sharing). The partner sees the owner's photos that are neither private, archived nor in the
-- trash; `in_timeline` is the partner's own choice to mix them into their timeline.
CREATE TABLE partners (
    owner_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    partner_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    in_timeline INTEGER NOT NULL DEFAULT 0 CHECK (in_timeline IN (0, 1)),
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (owner_id, partner_id),
    CHECK (owner_id != partner_id)
);

-- Whose libraries a user sees (every access check asks by partner).
CREATE INDEX partners_partner ON partners (partner_id, owner_id);
