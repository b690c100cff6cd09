-- Product reviews by verified buyers (issue 22): one per delivered order line, their moderation,
-- the shop's public reply, helpful votes and abuse reports, and each product's rating aggregate.
--
-- `status`: 'published' (shown), 'pending' (held for a moderator: flagged text), 'rejected' (never
-- shown; `moderation_note` says why), 'hidden' (was published, taken down later).
-- `flags`: why the text was held, comma-separated codes from domain::reviews::Flag ('link', 'phone',
-- 'profanity'), '' when clean.
-- `sentiment`: the sentiment label ('positive', 'neutral', 'negative') once a scorer fills it; NULL
-- until then. Nothing here reads it: it never decides whether a review is shown.
CREATE TABLE reviews (
  id               TEXT PRIMARY KEY,                  -- 128 random bits, hex
  product_id       INTEGER NOT NULL REFERENCES products(id),
  order_id         TEXT NOT NULL,                     -- the order line reviewed (checked by app::reviews);
                                                      -- the demo seed's reviews use 'demo-…' ids of no order
  line_no          INTEGER NOT NULL,
  customer_id      TEXT,                              -- NULL for a guest through the signed link
  author_name      TEXT NOT NULL,                     -- shown as given name + initial ("An N.")
  locale           TEXT NOT NULL DEFAULT 'vi',
  rating           INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
  title            TEXT NOT NULL DEFAULT '',
  body             TEXT NOT NULL,
  fit              TEXT CHECK (fit IN ('small', 'true_to_size', 'large')),
  size             TEXT NOT NULL,                     -- the variant bought, from the order line
  color            TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'published', 'rejected', 'hidden')),
  flags            TEXT NOT NULL DEFAULT '',
  moderation_note  TEXT NOT NULL DEFAULT '',
  reply            TEXT,                              -- the shop's public reply
  reply_at         INTEGER,
  helpful          INTEGER NOT NULL DEFAULT 0 CHECK (helpful >= 0),
  reports          INTEGER NOT NULL DEFAULT 0 CHECK (reports >= 0),
  sentiment        TEXT CHECK (sentiment IN ('positive', 'neutral', 'negative')),
  created_at       INTEGER NOT NULL,
  published_at     INTEGER,
  updated_at       INTEGER NOT NULL,
  UNIQUE (order_id, line_no)
);
CREATE INDEX reviews_by_product ON reviews(product_id, status, created_at);
CREATE INDEX reviews_by_status ON reviews(status, created_at);

-- One "helpful" vote per (review, visitor); the visitor is the account or a hashed client key.
CREATE TABLE review_votes (
  review_id   TEXT NOT NULL REFERENCES reviews(id),
  voter_key   TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (review_id, voter_key)
);

-- Abuse reports, one per (review, visitor).
CREATE TABLE review_reports (
  review_id     TEXT NOT NULL REFERENCES reviews(id),
  reporter_key  TEXT NOT NULL,
  reason        TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (review_id, reporter_key)
);

-- Published reviews per product: rebuilt whole from `reviews` in the batch that publishes, hides
-- or rejects one, so a repeated action leaves the same figures.
CREATE TABLE product_ratings (
  product_id  INTEGER PRIMARY KEY REFERENCES products(id),
  count       INTEGER NOT NULL DEFAULT 0,
  total       INTEGER NOT NULL DEFAULT 0,              -- sum of the ratings
  r1          INTEGER NOT NULL DEFAULT 0,
  r2          INTEGER NOT NULL DEFAULT 0,
  r3          INTEGER NOT NULL DEFAULT 0,
  r4          INTEGER NOT NULL DEFAULT 0,
  r5          INTEGER NOT NULL DEFAULT 0
);

-- A review's photos (up to 5), stored content-hashed like catalog media (`/media/{sha256}.{ext}`).
-- Every photo waits for a moderator: 'pending' → 'approved' (shown) or 'rejected'.
CREATE TABLE review_photos (
  review_id   TEXT NOT NULL REFERENCES reviews(id),
  position    INTEGER NOT NULL CHECK (position BETWEEN 1 AND 5),
  url         TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (review_id, position)
);
