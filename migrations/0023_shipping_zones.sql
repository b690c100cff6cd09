-- Issue 19, sections 3 and 4: addresses by province and ward codes, shipping by zone and weight,
-- and the account's default address.

-- A product's default weight (grams) for variants that have none of their own (variants.weight_grams
-- = 0); 0 here too means the shop's fallback (domain::shipping::FALLBACK_WEIGHT_GRAMS).
ALTER TABLE products ADD COLUMN weight_grams INTEGER NOT NULL DEFAULT 0 CHECK (weight_grams >= 0);

-- The rate table managers edit: one row per zone, method and weight bracket. A parcel takes the
-- smallest bracket that holds it (`up_to_grams` NULL: any weight); a method with no row for the
-- zone and weight is not offered there (express only where the shop offers it).
CREATE TABLE shipping_rates (
  id           INTEGER PRIMARY KEY,
  zone         TEXT NOT NULL CHECK (zone IN ('same_province', 'same_region', 'other_region', 'international')),
  method       TEXT NOT NULL CHECK (method IN ('standard', 'express')),
  up_to_grams  INTEGER CHECK (up_to_grams IS NULL OR up_to_grams > 0),
  fee          INTEGER NOT NULL CHECK (fee >= 0),
  eta_min      INTEGER NOT NULL CHECK (eta_min >= 0),
  eta_max      INTEGER NOT NULL CHECK (eta_max >= eta_min),
  updated_at   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX shipping_rates_bracket ON shipping_rates (zone, method, coalesce(up_to_grams, -1));

INSERT INTO shipping_rates (zone, method, up_to_grams, fee, eta_min, eta_max) VALUES
  ('same_province', 'standard', 500, 20000, 1, 2),
  ('same_province', 'standard', 1000, 22000, 1, 2),
  ('same_province', 'standard', 2000, 25000, 1, 2),
  ('same_province', 'standard', 5000, 35000, 1, 2),
  ('same_province', 'standard', NULL, 50000, 2, 3),
  ('same_province', 'express', 500, 35000, 0, 1),
  ('same_province', 'express', 1000, 38000, 0, 1),
  ('same_province', 'express', 2000, 45000, 0, 1),
  ('same_province', 'express', 5000, 60000, 1, 1),
  ('same_region', 'standard', 500, 25000, 2, 3),
  ('same_region', 'standard', 1000, 28000, 2, 3),
  ('same_region', 'standard', 2000, 32000, 2, 3),
  ('same_region', 'standard', 5000, 45000, 2, 4),
  ('same_region', 'standard', NULL, 65000, 3, 5),
  ('same_region', 'express', 500, 45000, 1, 2),
  ('same_region', 'express', 1000, 50000, 1, 2),
  ('same_region', 'express', 2000, 60000, 1, 2),
  ('same_region', 'express', 5000, 80000, 1, 2),
  ('other_region', 'standard', 500, 30000, 3, 5),
  ('other_region', 'standard', 1000, 35000, 3, 5),
  ('other_region', 'standard', 2000, 42000, 3, 5),
  ('other_region', 'standard', 5000, 60000, 4, 6),
  ('other_region', 'standard', NULL, 90000, 5, 7),
  ('other_region', 'express', 500, 60000, 2, 3),
  ('other_region', 'express', 1000, 70000, 2, 3),
  ('other_region', 'express', 2000, 85000, 2, 3),
  ('other_region', 'express', 5000, 115000, 2, 4),
  ('international', 'standard', 500, 250000, 7, 14),
  ('international', 'standard', 1000, 350000, 7, 14),
  ('international', 'standard', 2000, 500000, 7, 14),
  ('international', 'standard', 5000, 900000, 10, 20);

-- The order's place as chosen (codes) next to the names it already keeps (address_ward,
-- address_province: a snapshot, so renaming a ward later does not change past orders), and the
-- zone and delivery window its fee was priced for. Orders placed before keep NULL codes and show
-- their free-text province and district as they were.
ALTER TABLE orders ADD COLUMN address_province_code TEXT;
ALTER TABLE orders ADD COLUMN address_ward_code TEXT;
ALTER TABLE orders ADD COLUMN address_postal_code TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN shipping_zone TEXT;
ALTER TABLE orders ADD COLUMN shipping_eta_min INTEGER;
ALTER TABLE orders ADD COLUMN shipping_eta_max INTEGER;

-- Saved addresses by code (NULL for the ones saved before, shown as they were), and the default
-- one: at most one per customer.
ALTER TABLE addresses ADD COLUMN province_code TEXT;
ALTER TABLE addresses ADD COLUMN ward_code TEXT;
ALTER TABLE addresses ADD COLUMN postal_code TEXT NOT NULL DEFAULT '';
ALTER TABLE addresses ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1));
CREATE UNIQUE INDEX addresses_one_default ON addresses (customer_id) WHERE is_default = 1;
