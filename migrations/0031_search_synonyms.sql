-- Issue 20, items 4 and 6: search words.
-- 1. Synonym groups that managers edit in the admin: each row one group, its entries as written
--    (lowercase, with their marks) joined by ", " (domain::search::SynonymGroup::text).
-- 2. The search index's vocabulary (fts5vocab), read to forgive one wrong letter in a long word.
-- 3. An accent-keeping index beside product_fts (which folds marks away): a word typed with its
--    marks must be found with them — "cưới" (wedding) is not "cuối" (end, weekend).

CREATE TABLE search_synonyms (
  id INTEGER PRIMARY KEY,
  words TEXT NOT NULL UNIQUE CHECK (length(words) BETWEEN 3 AND 1000),
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Vest, gile, gilê, gilet and ghi lê are one thing to a Vietnamese shopper; waistcoat to a British
-- one. "Áo phao" is a puffer; a down ("lông vũ") vest is one too.
INSERT INTO search_synonyms (words) VALUES
  ('vest, gile, gilê, gilet, ghi lê, waistcoat'),
  ('puffer, phao, down, lông vũ'),
  ('cưới, wedding'),
  ('len, wool');

CREATE VIRTUAL TABLE product_fts_vocab USING fts5vocab(product_fts, 'row');

-- One row per product (rowid = product id): its names, tags, text and colour names with their marks.
CREATE VIRTUAL TABLE product_fts_marked USING fts5(
  name, tags, body, colors,
  tokenize = 'unicode61 remove_diacritics 0',
  prefix = '2 3'
);

INSERT INTO product_fts_marked (rowid, name, tags, body, colors)
SELECT p.id, p.name_vi || ' ' || p.name_en,
  coalesce((SELECT group_concat(tag, ' ') FROM product_tags WHERE product_id = p.id), ''),
  p.brand || ' ' || p.description_vi || ' ' || p.description_en || ' ' || p.material_vi || ' ' || p.material_en,
  coalesce((SELECT group_concat(DISTINCT c.name_vi || ' ' || c.name_en) FROM variants v JOIN colors c ON c.code = v.color WHERE v.product_id = p.id), '')
FROM products p;

CREATE TRIGGER products_fts_marked_insert AFTER INSERT ON products BEGIN
  INSERT INTO product_fts_marked (rowid, name, tags, body, colors) VALUES (
    NEW.id, NEW.name_vi || ' ' || NEW.name_en, '',
    NEW.brand || ' ' || NEW.description_vi || ' ' || NEW.description_en || ' ' || NEW.material_vi || ' ' || NEW.material_en, '');
END;

CREATE TRIGGER products_fts_marked_update AFTER UPDATE OF name_vi, name_en, brand, description_vi, description_en,
  material_vi, material_en ON products BEGIN
  UPDATE product_fts_marked SET
    name = NEW.name_vi || ' ' || NEW.name_en,
    body = NEW.brand || ' ' || NEW.description_vi || ' ' || NEW.description_en || ' ' || NEW.material_vi || ' ' || NEW.material_en
  WHERE rowid = NEW.id;
END;

CREATE TRIGGER products_fts_marked_delete AFTER DELETE ON products BEGIN
  DELETE FROM product_fts_marked WHERE rowid = OLD.id;
END;

CREATE TRIGGER product_tags_fts_marked_insert AFTER INSERT ON product_tags BEGIN
  UPDATE product_fts_marked SET tags = (SELECT group_concat(tag, ' ') FROM product_tags WHERE product_id = NEW.product_id)
  WHERE rowid = NEW.product_id;
END;

CREATE TRIGGER product_tags_fts_marked_delete AFTER DELETE ON product_tags BEGIN
  UPDATE product_fts_marked SET tags = coalesce((SELECT group_concat(tag, ' ') FROM product_tags WHERE product_id = OLD.product_id), '')
  WHERE rowid = OLD.product_id;
END;

CREATE TRIGGER variants_fts_marked_insert AFTER INSERT ON variants BEGIN
  UPDATE product_fts_marked SET colors = coalesce((SELECT group_concat(DISTINCT c.name_vi || ' ' || c.name_en)
    FROM variants v JOIN colors c ON c.code = v.color WHERE v.product_id = NEW.product_id), '')
  WHERE rowid = NEW.product_id;
END;

CREATE TRIGGER variants_fts_marked_update AFTER UPDATE OF color ON variants BEGIN
  UPDATE product_fts_marked SET colors = coalesce((SELECT group_concat(DISTINCT c.name_vi || ' ' || c.name_en)
    FROM variants v JOIN colors c ON c.code = v.color WHERE v.product_id = NEW.product_id), '')
  WHERE rowid = NEW.product_id;
END;

CREATE TRIGGER variants_fts_marked_delete AFTER DELETE ON variants BEGIN
  UPDATE product_fts_marked SET colors = coalesce((SELECT group_concat(DISTINCT c.name_vi || ' ' || c.name_en)
    FROM variants v JOIN colors c ON c.code = v.color WHERE v.product_id = OLD.product_id), '')
  WHERE rowid = OLD.product_id;
END;
