-- Sharing (issue 16): shares of a product page counted per day and channel (the share links go
-- through /share/{channel}/{slug}, which adds one here), shown on the admin's analytics; and each
-- product's optional links to the same product on the marketplaces (Shopee, TikTok Shop).

CREATE TABLE product_shares (
  day         TEXT NOT NULL,              -- YYYY-MM-DD in Vietnam time
  product_id  INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  channel     TEXT NOT NULL CHECK (channel IN ('facebook', 'messenger', 'zalo', 'x', 'pinterest', 'copy', 'native')),
  shares      INTEGER NOT NULL CHECK (shares > 0),
  PRIMARY KEY (day, product_id, channel)
);

CREATE TABLE product_marketplace_links (
  product_id   INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  marketplace  TEXT NOT NULL CHECK (marketplace IN ('shopee', 'tiktok')),
  url          TEXT NOT NULL,
  PRIMARY KEY (product_id, marketplace)
);
