-- Pairs: a Live Photo's clip beside its still, a RAW beside its JPEG (`files.role` `motion` and
-- `companion`, from 0070) are files of one photo, not photos of their own.
--
-- The container of a live photo's clip (`mov` for an iPhone's MOV, `mp4` for a Motion Photo's
-- embedded clip), kept beside `video_codec`: with it the stream route and the transcode queue
-- decide whether browsers play the clip as stored, as they do for a video's `format`.
ALTER TABLE photos ADD COLUMN motion_format TEXT;
