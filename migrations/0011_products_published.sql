-- When a product first went on sale (issue 18, item 2). Staff may give variants and their first
-- prices only to a product that has never been on sale; once published, a product keeps this mark
-- whatever its status later becomes, so taking it back to draft does not reopen its pricing to
-- staff. The triggers set it on every path that makes a product active (the form, bulk publish,
-- the CSV import, the seed), so no write can forget it.
ALTER TABLE products ADD COLUMN published_at TEXT;

-- Products that are or were on sale: not drafts, or drafts with orders.
UPDATE products SET published_at = updated_at
 WHERE status <> 'draft'
    OR EXISTS (SELECT 1 FROM variants v JOIN order_lines l ON l.variant_id = v.id WHERE v.product_id = products.id);

CREATE TRIGGER products_published_insert AFTER INSERT ON products
  WHEN NEW.status = 'active' AND NEW.published_at IS NULL BEGIN
  UPDATE products SET published_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = NEW.id;
END;

CREATE TRIGGER products_published_update AFTER UPDATE OF status ON products
  WHEN NEW.status = 'active' AND NEW.published_at IS NULL BEGIN
  UPDATE products SET published_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = NEW.id;
END;

-- Nothing clears the mark: an update that tries is undone.
CREATE TRIGGER products_published_kept BEFORE UPDATE OF published_at ON products
  WHEN OLD.published_at IS NOT NULL AND (NEW.published_at IS NULL OR NEW.published_at <> OLD.published_at) BEGIN
  SELECT RAISE(ABORT, 'products.published_at is set once');
END;
