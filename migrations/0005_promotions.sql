-- Promotions: coupon codes and automatic promotions, their codes, and every use of them by an order.
-- The rules (what a promotion gives, to which lines, under which conditions) are decided by the
-- pure engine in src/domain/promotions; the rule is stored as its JSON. Usage changes only through
-- conditional writes in the order batches (src/app/promotions.rs): claimed when the order is
-- created, given back exactly once when an unpaid order expires or is cancelled.

CREATE TABLE promotions (
  id                  INTEGER PRIMARY KEY,
  name_vi             TEXT NOT NULL,
  name_en             TEXT NOT NULL,
  automatic           INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)),  -- 0: needs a code
  status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  -- JSON: {"benefit": …, "target": …, "exclusions": …, "conditions": …} (domain::promotions).
  rule                TEXT NOT NULL CHECK (json_valid(rule)),
  priority            INTEGER NOT NULL DEFAULT 0,
  combinable          INTEGER NOT NULL DEFAULT 0 CHECK (combinable IN (0, 1)),
  starts_at           INTEGER,                  -- unix seconds; entered in Vietnam time
  ends_at             INTEGER,                  -- exclusive
  usage_limit         INTEGER CHECK (usage_limit IS NULL OR usage_limit >= 0),
  per_customer_limit  INTEGER CHECK (per_customer_limit IS NULL OR per_customer_limit >= 1),
  used_count          INTEGER NOT NULL DEFAULT 0 CHECK (used_count >= 0),
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at)
);
CREATE INDEX promotions_live ON promotions(automatic, status, starts_at, ends_at);

CREATE TABLE promotion_codes (
  code          TEXT PRIMARY KEY CHECK (code = upper(code)),
  promotion_id  INTEGER NOT NULL REFERENCES promotions(id) ON DELETE CASCADE,
  max_uses      INTEGER CHECK (max_uses IS NULL OR max_uses >= 0),   -- 1 for bulk single-use codes
  used          INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
  batch         TEXT,                                               -- bulk generation it came from
  created_at    INTEGER NOT NULL
);
CREATE INDEX promotion_codes_by_promotion ON promotion_codes(promotion_id, batch);

-- One row per promotion an order used: the snapshot of what it gave (and why) and the usage claim.
-- `state` moves claimed → released once (expiry or cancellation of the unpaid order), and back to
-- claimed if a late payment revives the order.
CREATE TABLE promotion_redemptions (
  order_id          TEXT NOT NULL REFERENCES orders(id),
  promotion_id      INTEGER NOT NULL REFERENCES promotions(id),
  code              TEXT,
  class             TEXT NOT NULL CHECK (class IN ('product', 'order', 'shipping')),
  name_vi           TEXT NOT NULL,
  name_en           TEXT NOT NULL,
  benefit           TEXT NOT NULL,               -- JSON: the rule that gave it
  amount            INTEGER NOT NULL CHECK (amount >= 0),
  customer_email    TEXT NOT NULL,
  customer_phone    TEXT NOT NULL,
  customer_account  TEXT,
  state             TEXT NOT NULL DEFAULT 'claimed' CHECK (state IN ('claimed', 'released')),
  created_at        INTEGER NOT NULL,
  released_at       INTEGER,
  PRIMARY KEY (order_id, promotion_id)
);
CREATE INDEX promotion_redemptions_by_promotion ON promotion_redemptions(promotion_id, state);
CREATE INDEX promotion_redemptions_by_email ON promotion_redemptions(customer_email, promotion_id, state);
CREATE INDEX promotion_redemptions_by_phone ON promotion_redemptions(customer_phone, promotion_id, state);

-- Each line's share of the order's discounts, so a refund can be made per line.
ALTER TABLE order_lines ADD COLUMN discount INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0);
-- JSON [{"promotion_id": 1, "amount": 25000}, …]
ALTER TABLE order_lines ADD COLUMN discounts TEXT NOT NULL DEFAULT '[]';
