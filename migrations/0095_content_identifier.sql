-- Live Photos pair by Apple's ContentIdentifier as well as by name (`src/library/pairs.rs`).
--
-- The identifier an iPhone writes into both halves of a Live Photo (the still's Apple MakerNote,
-- the clip's QuickTime key `com.apple.quicktime.content.identifier`), upper case. It lives on the
-- file, not the photo: a clip that joins a still loses its own photo row, and the still's copies
-- are files of one photo. NULL for files without one, and for files indexed before this
-- migration until `index --rescan` reads them again.
ALTER TABLE files ADD COLUMN content_id TEXT;

-- A still and a clip with the same identifier pair wherever they are: one look-up in this index.
CREATE INDEX files_content_id ON files (content_id) WHERE content_id IS NOT NULL;

-- Base names pair whatever their case (`Img_1.heic` beside `IMG_1.MOV`): the files of a folder
-- with one base name are one range of this index, however large the folder.
CREATE INDEX files_path_lower ON files (lower(path));
