-- A private photo is its owner's alone: it is never shown through a share link, to album
-- members, sign-on groups or partners, unless its owner shares that photo explicitly (PhotoPrism's
-- "private" flag, which `shoebox import photoprism` carries over).
ALTER TABLE photos ADD COLUMN private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1));
