-- Bundles (issue 15, "Mua kèm giảm 10%"): a bundle is an automatic promotion whose benefit is
-- `bundle_price` or `bundle_percent` (domain::promotions), so the engine prices it, checkout claims
-- it and the order keeps it (promotion_redemptions, order_lines.discounts) like any promotion. This
-- table lists each bundle's products in the order the manager picked them, so a product page finds
-- the bundles it belongs to without reading every rule (app::bundles). Written in the same batch
-- as the promotion's rule.
CREATE TABLE bundle_products (
  promotion_id  INTEGER NOT NULL REFERENCES promotions(id) ON DELETE CASCADE,
  product_id    INTEGER NOT NULL REFERENCES products(id),
  position      INTEGER NOT NULL CHECK (position >= 0),
  PRIMARY KEY (promotion_id, product_id)
) WITHOUT ROWID;
CREATE INDEX bundle_products_product ON bundle_products(product_id);
