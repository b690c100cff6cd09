-- Catalog: categories (a tree), products, variants (size × colour), images, collections, and the
-- full-text index that search uses. Money is integer minor units (VND has none).

-- Option values shared by every product: a vest shop has exactly two axes, size and colour.
CREATE TABLE sizes (
  code        TEXT PRIMARY KEY,                 -- 'S', 'M', 'XL', 'FREE'
  sort_order  INTEGER NOT NULL
);

CREATE TABLE colors (
  code        TEXT PRIMARY KEY,                 -- 'black', 'navy' (used in URLs and SKUs)
  name_vi     TEXT NOT NULL,
  name_en     TEXT NOT NULL,
  hex         TEXT NOT NULL CHECK (hex GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
  sort_order  INTEGER NOT NULL
);

CREATE TABLE categories (
  id              INTEGER PRIMARY KEY,
  parent_id       INTEGER REFERENCES categories(id) ON DELETE RESTRICT,
  slug            TEXT NOT NULL UNIQUE,
  -- Materialised path of slugs ('/outdoor/puffer/'): a subtree is one indexed prefix match.
  path            TEXT NOT NULL UNIQUE,
  name_vi         TEXT NOT NULL,
  name_en         TEXT NOT NULL,
  description_vi  TEXT NOT NULL DEFAULT '',
  description_en  TEXT NOT NULL DEFAULT '',
  image_path      TEXT,                          -- a path under public/
  sort_order      INTEGER NOT NULL DEFAULT 0,
  featured        INTEGER NOT NULL DEFAULT 0 CHECK (featured IN (0, 1)),
  created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX categories_by_parent ON categories(parent_id, sort_order);

CREATE TABLE products (
  id                  INTEGER PRIMARY KEY,
  slug                TEXT NOT NULL UNIQUE,
  category_id         INTEGER NOT NULL REFERENCES categories(id) ON DELETE RESTRICT,
  name_vi             TEXT NOT NULL,
  name_en             TEXT NOT NULL,
  description_vi      TEXT NOT NULL DEFAULT '',
  description_en      TEXT NOT NULL DEFAULT '',
  material_vi         TEXT NOT NULL DEFAULT '',
  material_en         TEXT NOT NULL DEFAULT '',
  care_vi             TEXT NOT NULL DEFAULT '',
  care_en             TEXT NOT NULL DEFAULT '',
  brand               TEXT NOT NULL DEFAULT 'Vestify',
  status              TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
  seo_title_vi        TEXT NOT NULL DEFAULT '',
  seo_title_en        TEXT NOT NULL DEFAULT '',
  seo_description_vi  TEXT NOT NULL DEFAULT '',
  seo_description_en  TEXT NOT NULL DEFAULT '',
  -- Units sold, kept by the order flow; drives the best-selling sort.
  sold_count          INTEGER NOT NULL DEFAULT 0 CHECK (sold_count >= 0),
  created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX products_by_category ON products(category_id, status);
CREATE INDEX products_by_status_created ON products(status, created_at DESC);
CREATE INDEX products_by_status_sold ON products(status, sold_count DESC);

CREATE TABLE product_tags (
  product_id  INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  tag         TEXT NOT NULL,
  PRIMARY KEY (product_id, tag)
);

CREATE TABLE variants (
  id                INTEGER PRIMARY KEY,
  product_id        INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  sku               TEXT NOT NULL UNIQUE,
  size              TEXT NOT NULL REFERENCES sizes(code),
  color             TEXT NOT NULL REFERENCES colors(code),
  price             INTEGER NOT NULL CHECK (price >= 0),
  compare_at_price  INTEGER CHECK (compare_at_price IS NULL OR compare_at_price > price),
  currency          TEXT NOT NULL DEFAULT 'VND',
  -- Stock truth. `reserved` is held by carts and unpaid orders; it only changes through conditional
  -- updates (`... WHERE on_hand - reserved >= ?`), and this CHECK is the last line against overselling.
  on_hand           INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
  reserved          INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand),
  weight_grams      INTEGER NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
  barcode           TEXT UNIQUE,
  status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  position          INTEGER NOT NULL DEFAULT 0,
  created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  UNIQUE (product_id, size, color)
);
CREATE INDEX variants_by_product ON variants(product_id, status, price);
CREATE INDEX variants_by_size ON variants(size, product_id);
CREATE INDEX variants_by_color ON variants(color, product_id);

CREATE TABLE product_images (
  id          INTEGER PRIMARY KEY,
  product_id  INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  variant_id  INTEGER REFERENCES variants(id) ON DELETE SET NULL,
  color       TEXT REFERENCES colors(code),     -- the colour it shows, so the gallery follows the picker
  url         TEXT NOT NULL,                    -- a path under public/ or an absolute URL
  alt_vi      TEXT NOT NULL DEFAULT '',
  alt_en      TEXT NOT NULL DEFAULT '',
  width       INTEGER NOT NULL DEFAULT 800,
  height      INTEGER NOT NULL DEFAULT 800,
  position    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX product_images_by_product ON product_images(product_id, position);

CREATE TABLE collections (
  id              INTEGER PRIMARY KEY,
  slug            TEXT NOT NULL UNIQUE,
  name_vi         TEXT NOT NULL,
  name_en         TEXT NOT NULL,
  description_vi  TEXT NOT NULL DEFAULT '',
  description_en  TEXT NOT NULL DEFAULT '',
  sort_order      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE collection_products (
  collection_id  INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  product_id     INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  position       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (collection_id, product_id)
);
CREATE INDEX collection_products_by_product ON collection_products(product_id);

-- Search: one FTS5 row per product (rowid = product id), both languages in each column.
-- unicode61 with remove_diacritics 2 folds case and the Vietnamese tone marks (á, ệ, ỏ, …) on both the
-- indexed text and the query. 'đ' is a letter of its own in Unicode (it does not decompose), so the
-- triggers below fold it to 'd' before indexing, and the Worker folds queries the same way.
CREATE VIRTUAL TABLE product_fts USING fts5(
  name, tags, body, variants,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);

CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
  INSERT INTO product_fts(rowid, name, tags, body, variants) VALUES (
    NEW.id,
    replace(replace(NEW.name_vi || ' ' || NEW.name_en, 'đ', 'd'), 'Đ', 'D'),
    '',
    replace(replace(NEW.brand || ' ' || NEW.description_vi || ' ' || NEW.description_en || ' ' ||
      NEW.material_vi || ' ' || NEW.material_en, 'đ', 'd'), 'Đ', 'D'),
    ''
  );
END;

CREATE TRIGGER products_fts_update AFTER UPDATE OF name_vi, name_en, brand, description_vi, description_en,
  material_vi, material_en ON products BEGIN
  UPDATE product_fts SET
    name = replace(replace(NEW.name_vi || ' ' || NEW.name_en, 'đ', 'd'), 'Đ', 'D'),
    body = replace(replace(NEW.brand || ' ' || NEW.description_vi || ' ' || NEW.description_en || ' ' ||
      NEW.material_vi || ' ' || NEW.material_en, 'đ', 'd'), 'Đ', 'D')
  WHERE rowid = NEW.id;
END;

CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
  DELETE FROM product_fts WHERE rowid = OLD.id;
END;

CREATE TRIGGER product_tags_fts_insert AFTER INSERT ON product_tags BEGIN
  UPDATE product_fts SET tags = replace(replace(
    (SELECT group_concat(tag, ' ') FROM product_tags WHERE product_id = NEW.product_id), 'đ', 'd'), 'Đ', 'D')
  WHERE rowid = NEW.product_id;
END;

CREATE TRIGGER product_tags_fts_delete AFTER DELETE ON product_tags BEGIN
  UPDATE product_fts SET tags = replace(replace(coalesce(
    (SELECT group_concat(tag, ' ') FROM product_tags WHERE product_id = OLD.product_id), ''), 'đ', 'd'), 'Đ', 'D')
  WHERE rowid = OLD.product_id;
END;

-- The variants column holds every SKU and the names of the product's colours ("đỏ", "red").
CREATE TRIGGER variants_fts_insert AFTER INSERT ON variants BEGIN
  UPDATE product_fts SET variants = replace(replace(coalesce(
    (SELECT group_concat(sku, ' ') FROM variants WHERE product_id = NEW.product_id) || ' ' ||
    (SELECT group_concat(DISTINCT c.name_vi || ' ' || c.name_en) FROM variants v JOIN colors c ON c.code = v.color
      WHERE v.product_id = NEW.product_id), ''), 'đ', 'd'), 'Đ', 'D')
  WHERE rowid = NEW.product_id;
END;

CREATE TRIGGER variants_fts_update AFTER UPDATE OF sku, color ON variants BEGIN
  UPDATE product_fts SET variants = replace(replace(coalesce(
    (SELECT group_concat(sku, ' ') FROM variants WHERE product_id = NEW.product_id) || ' ' ||
    (SELECT group_concat(DISTINCT c.name_vi || ' ' || c.name_en) FROM variants v JOIN colors c ON c.code = v.color
      WHERE v.product_id = NEW.product_id), ''), 'đ', 'd'), 'Đ', 'D')
  WHERE rowid = NEW.product_id;
END;

CREATE TRIGGER variants_fts_delete AFTER DELETE ON variants BEGIN
  UPDATE product_fts SET variants = replace(replace(coalesce(
    (SELECT group_concat(sku, ' ') FROM variants WHERE product_id = OLD.product_id) || ' ' ||
    (SELECT group_concat(DISTINCT c.name_vi || ' ' || c.name_en) FROM variants v JOIN colors c ON c.code = v.color
      WHERE v.product_id = OLD.product_id), ''), 'đ', 'd'), 'Đ', 'D')
  WHERE rowid = OLD.product_id;
END;
