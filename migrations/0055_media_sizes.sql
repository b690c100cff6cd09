-- Smaller copies of uploaded raster images (issue #16, "Images that fit the screen"): widths 320, 640
-- and 1280 (WebP, or JPEG where the browser cannot encode WebP) and the 1200×630 social crop (JPEG or
-- PNG), made in the admin's browser when an image is uploaded, checked by the Worker
-- (domain::image_size: type by content, size from the header, width as declared, the original's
-- shape) and stored in KV under their hash like the originals. Keyed by the original's URL, itself
-- its content's hash: a photo used by two products, or uploaded twice, has one set of sizes.
CREATE TABLE media_sizes (
  original TEXT NOT NULL,                                   -- /media/{hash}.{ext} of the original
  social   INTEGER NOT NULL DEFAULT 0 CHECK (social IN (0, 1)), -- 1: the 1200×630 social crop
  width    INTEGER NOT NULL,
  height   INTEGER NOT NULL,
  url      TEXT NOT NULL,                                   -- /media/{hash}.{ext} of the copy
  bytes    INTEGER NOT NULL,
  PRIMARY KEY (original, social, width)
);
