-- The admin panel's data: the stock ledger, low-stock thresholds, fulfilment details, captured shop
-- events and their daily roll-ups.

-- Every change of on-hand stock made by people (received, damaged, correction, return, import) is a
-- ledger row written in the same batch as the conditional UPDATE it records; `request_id` makes a
-- resubmitted form or a retried import row a no-op.
CREATE TABLE stock_ledger (
  id             INTEGER PRIMARY KEY,
  variant_id     INTEGER NOT NULL REFERENCES variants(id),
  delta          INTEGER NOT NULL CHECK (delta <> 0),
  reason         TEXT NOT NULL CHECK (reason IN ('received', 'damaged', 'correction', 'return', 'import')),
  note           TEXT NOT NULL DEFAULT '',
  on_hand_after  INTEGER NOT NULL CHECK (on_hand_after >= 0),
  actor          TEXT NOT NULL,
  request_id     TEXT NOT NULL UNIQUE,
  created_at     INTEGER NOT NULL
);
CREATE INDEX stock_ledger_by_variant ON stock_ledger(variant_id, id);

-- A variant is low on stock when what can still be sold (on_hand − reserved) is at or below this.
ALTER TABLE variants ADD COLUMN low_stock_threshold INTEGER NOT NULL DEFAULT 3 CHECK (low_stock_threshold >= 0);

-- Fulfilment: carrier and tracking number once shipped.
ALTER TABLE orders ADD COLUMN carrier TEXT;
ALTER TABLE orders ADD COLUMN tracking_number TEXT;
CREATE INDEX orders_by_paid_at ON orders(paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX orders_by_created ON orders(created_at);

-- Shop events as they happen (written after the response, in `waitUntil`). `visitor` is a daily
-- keyed hash of the client (no cookie, not reversible, different every day), enough to count the
-- funnel's distinct visitors per day.
CREATE TABLE shop_events (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('page_viewed', 'product_viewed', 'added_to_cart', 'checkout_started', 'order_paid', 'refunded')),
  day         TEXT NOT NULL,              -- YYYY-MM-DD in Vietnam time
  at          INTEGER NOT NULL,
  visitor     TEXT NOT NULL,
  product_id  INTEGER,
  order_id    TEXT,
  amount      INTEGER
);
CREATE INDEX shop_events_by_day ON shop_events(day, kind, visitor);

-- Daily roll-ups, rebuilt per day from the orders table (sales) and shop_events (funnel) by the
-- scheduled job: a day is always recomputed whole, so running it twice changes nothing.
CREATE TABLE daily_sales (
  day       TEXT PRIMARY KEY,
  revenue   INTEGER NOT NULL,              -- totals of orders paid that day (VND)
  orders    INTEGER NOT NULL,
  units     INTEGER NOT NULL,
  discount  INTEGER NOT NULL,
  refunded  INTEGER NOT NULL               -- refunds that succeeded that day
);

CREATE TABLE daily_provider_sales (
  day       TEXT NOT NULL,
  provider  TEXT NOT NULL,
  revenue   INTEGER NOT NULL,
  orders    INTEGER NOT NULL,
  PRIMARY KEY (day, provider)
);

CREATE TABLE daily_product_sales (
  day         TEXT NOT NULL,
  product_id  INTEGER NOT NULL,
  units       INTEGER NOT NULL,
  revenue     INTEGER NOT NULL,            -- line totals less the line's share of discounts
  PRIMARY KEY (day, product_id)
);

CREATE TABLE daily_funnel (
  day            TEXT PRIMARY KEY,
  sessions       INTEGER NOT NULL,
  product_views  INTEGER NOT NULL,
  added_to_cart  INTEGER NOT NULL,
  checkout       INTEGER NOT NULL,
  paid           INTEGER NOT NULL
);
