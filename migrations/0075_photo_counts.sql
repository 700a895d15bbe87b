-- Counts the timeline's facets need, kept current by triggers on photos: the date scrubber
-- (photos per month in each list) and the camera choices of the search form. Counting them
-- from photos at every page view read the whole library (linear: ~200 ms at 100,000 photos);
-- these tables hold one row per owner and month (or camera) and state, a few hundred rows.
-- Rows whose count falls to 0 stay and are skipped by the queries.

-- Photos per owner, month taken (YYYY-MM of taken_local) and the flags the lists filter on.
CREATE TABLE photo_month_counts (
    owner_id  INTEGER NOT NULL,
    month     TEXT    NOT NULL,
    missing   INTEGER NOT NULL,
    archived  INTEGER NOT NULL,
    trashed   INTEGER NOT NULL,
    favorite  INTEGER NOT NULL,
    photos    INTEGER NOT NULL,
    PRIMARY KEY (owner_id, month, missing, archived, trashed, favorite)
) WITHOUT ROWID;

-- Photos per owner and camera among those the search form offers: present and not in the trash.
CREATE TABLE photo_camera_counts (
    owner_id  INTEGER NOT NULL,
    make      TEXT    NOT NULL,
    model     TEXT    NOT NULL,
    photos    INTEGER NOT NULL,
    PRIMARY KEY (owner_id, make, model)
) WITHOUT ROWID;

INSERT INTO photo_month_counts (owner_id, month, missing, archived, trashed, favorite, photos)
SELECT owner_id, substr(taken_local, 1, 7), missing, archived_at IS NOT NULL, trashed_at IS NOT NULL, favorite, count(*)
FROM photos GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO photo_camera_counts (owner_id, make, model, photos)
SELECT owner_id, coalesce(camera_make, ''), camera_model, count(*) FROM photos
WHERE trashed_at IS NULL AND missing = 0 AND camera_model IS NOT NULL AND camera_model != ''
GROUP BY 1, 2, 3;

CREATE TRIGGER photo_counts_insert AFTER INSERT ON photos BEGIN
    INSERT INTO photo_month_counts (owner_id, month, missing, archived, trashed, favorite, photos)
    VALUES (NEW.owner_id, substr(NEW.taken_local, 1, 7), NEW.missing, NEW.archived_at IS NOT NULL,
            NEW.trashed_at IS NOT NULL, NEW.favorite, 1)
    ON CONFLICT DO UPDATE SET photos = photos + 1;
    INSERT INTO photo_camera_counts (owner_id, make, model, photos)
    SELECT NEW.owner_id, coalesce(NEW.camera_make, ''), NEW.camera_model, 1
    WHERE NEW.trashed_at IS NULL AND NEW.missing = 0 AND NEW.camera_model IS NOT NULL AND NEW.camera_model != ''
    ON CONFLICT DO UPDATE SET photos = photos + 1;
END;

CREATE TRIGGER photo_counts_delete AFTER DELETE ON photos BEGIN
    UPDATE photo_month_counts SET photos = photos - 1
    WHERE owner_id = OLD.owner_id AND month = substr(OLD.taken_local, 1, 7) AND missing = OLD.missing
      AND archived = (OLD.archived_at IS NOT NULL) AND trashed = (OLD.trashed_at IS NOT NULL) AND favorite = OLD.favorite;
    UPDATE photo_camera_counts SET photos = photos - 1
    WHERE owner_id = OLD.owner_id AND make = coalesce(OLD.camera_make, '') AND model = OLD.camera_model
      AND OLD.trashed_at IS NULL AND OLD.missing = 0 AND OLD.camera_model != '';
END;

-- Only when a counted column changes: a title or description edit touches no count.
CREATE TRIGGER photo_counts_update
AFTER UPDATE OF owner_id, taken_local, missing, archived_at, trashed_at, favorite, camera_make, camera_model ON photos
BEGIN
    UPDATE photo_month_counts SET photos = photos - 1
    WHERE owner_id = OLD.owner_id AND month = substr(OLD.taken_local, 1, 7) AND missing = OLD.missing
      AND archived = (OLD.archived_at IS NOT NULL) AND trashed = (OLD.trashed_at IS NOT NULL) AND favorite = OLD.favorite;
    UPDATE photo_camera_counts SET photos = photos - 1
    WHERE owner_id = OLD.owner_id AND make = coalesce(OLD.camera_make, '') AND model = OLD.camera_model
      AND OLD.trashed_at IS NULL AND OLD.missing = 0 AND OLD.camera_model != '';
    INSERT INTO photo_month_counts (owner_id, month, missing, archived, trashed, favorite, photos)
    VALUES (NEW.owner_id, substr(NEW.taken_local, 1, 7), NEW.missing, NEW.archived_at IS NOT NULL,
            NEW.trashed_at IS NOT NULL, NEW.favorite, 1)
    ON CONFLICT DO UPDATE SET photos = photos + 1;
    INSERT INTO photo_camera_counts (owner_id, make, model, photos)
    SELECT NEW.owner_id, coalesce(NEW.camera_make, ''), NEW.camera_model, 1
    WHERE NEW.trashed_at IS NULL AND NEW.missing = 0 AND NEW.camera_model IS NOT NULL AND NEW.camera_model != ''
    ON CONFLICT DO UPDATE SET photos = photos + 1;
END;
