-- An album's sort order, chosen by whoever may edit it (or carried over from PhotoPrism's album
-- `Order` by `shoebox import photoprism`): newest or oldest taken first, or most recently added
-- to the album first. Every order is a keyset walk of an index of album_photos.
ALTER TABLE albums ADD COLUMN sort_order TEXT NOT NULL DEFAULT 'newest'
    CHECK (sort_order IN ('newest', 'oldest', 'added'));

-- `oldest` walks album_photos_order backwards; `added` needs its own index.
CREATE INDEX album_photos_added ON album_photos (album_id, added_at DESC, photo_id DESC);
