-- Wishlists and recently viewed products (issue 15, docs/WISHLIST.md).
--
-- An account's wishlist: one row per product. `price_at` is the product's price (its cheapest
-- active variant's) when it was added and `in_stock_at` whether anything was left to buy then, so
-- the /wishlist page can say what changed since. A guest's wishlist lives in a signed cookie with
-- the same three facts per item and joins this table when they sign in (no duplicates).
CREATE TABLE wishlist_items (
  customer_id  TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  product_id   INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  price_at     INTEGER NOT NULL,
  in_stock_at  INTEGER NOT NULL CHECK (in_stock_at IN (0, 1)),
  added_at     INTEGER NOT NULL,
  PRIMARY KEY (customer_id, product_id)
) WITHOUT ROWID;
CREATE INDEX wishlist_by_product ON wishlist_items(product_id);

-- An account's recently viewed products, synced from the browser's list (most recent first,
-- product ids joined by commas, at most 12).
CREATE TABLE recently_viewed (
  customer_id  TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
  product_ids  TEXT NOT NULL,
  updated_at   INTEGER NOT NULL
);
