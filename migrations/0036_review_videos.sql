-- A review's video through Cloudflare Stream (issue 22, docs/REVIEWS.md): at most one per review.
-- The bytes never pass through the Worker: it asks Stream for a direct creator upload and the
-- browser sends the file there. Stream's webhook (or the cron's reconciliation) moves `state`:
--   'awaiting_upload' (link handed out) → 'processing' → 'ready' (encoded, waits for a moderator)
--                                                     → 'error' (`err_code`: Stream's code, or
--                                                       'expired' / 'missing' from the cron)
--   'ready' → 'approved' (made public at Stream, shown) or 'rejected' (deleted at Stream).
-- Stream never moves a video backwards (a repeated or late webhook changes nothing); a new upload
-- may replace a video only while it is 'awaiting_upload' or 'error'.
CREATE TABLE review_videos (
  uid                TEXT PRIMARY KEY,                 -- Stream's video id
  review_id          TEXT NOT NULL UNIQUE REFERENCES reviews(id),
  state              TEXT NOT NULL CHECK (state IN ('awaiting_upload', 'processing', 'ready', 'error', 'approved', 'rejected')),
  err_code           TEXT NOT NULL DEFAULT '',
  duration           INTEGER,                           -- seconds (rounded), once Stream knows
  stream_modified    TEXT NOT NULL DEFAULT '',          -- the video's `modified` as last seen
  upload_expires_at  INTEGER NOT NULL,                  -- the direct upload link's expiry
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX review_videos_by_state ON review_videos(state, updated_at);
