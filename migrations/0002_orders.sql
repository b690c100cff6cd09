-- Carts' stock holds, orders and their history, payments and their notifications, the outbox.
-- Every effect that can be retried (an alarm, a sweep, a webhook, a double-submitted checkout) is
-- keyed so that running it twice changes nothing the second time.

-- A hold is stock a cart has taken. `state` moves held → released | converted exactly once; each move
-- is a conditional UPDATE in the same transaction as the change to variants.reserved.
CREATE TABLE holds (
  id          TEXT PRIMARY KEY,
  cart_id     TEXT NOT NULL,
  variant_id  INTEGER NOT NULL REFERENCES variants(id),
  quantity    INTEGER NOT NULL CHECK (quantity > 0),
  state       TEXT NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'released', 'converted')),
  order_id    TEXT,
  expires_at  INTEGER NOT NULL,             -- unix seconds; the sweep releases overdue holds
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX holds_by_cart ON holds(cart_id, state);
CREATE INDEX holds_by_expiry ON holds(state, expires_at);
CREATE INDEX holds_by_variant ON holds(variant_id, state);

CREATE TABLE counters (
  name   TEXT PRIMARY KEY,
  value  INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('order_number', 100) ON CONFLICT DO NOTHING;

CREATE TABLE orders (
  id                 TEXT PRIMARY KEY,          -- 128 random bits, hex
  number             TEXT NOT NULL UNIQUE,      -- VS-000123
  access_token_hash  TEXT NOT NULL,             -- SHA-256 of the guest access token
  cart_id            TEXT NOT NULL,
  idempotency_key    TEXT NOT NULL UNIQUE,      -- cart id + client key: one order per submission
  status             TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'fulfilled', 'delivered',
                       'expired', 'cancelled', 'refunded', 'partially_refunded', 'needs_refund')),
  -- Where the order's units are: reserved (held for it), committed (sold), released (back on sale).
  stock_state        TEXT NOT NULL CHECK (stock_state IN ('reserved', 'committed', 'released')),
  locale             TEXT NOT NULL DEFAULT 'vi',
  email              TEXT NOT NULL,
  name               TEXT NOT NULL,
  phone              TEXT NOT NULL,
  address_line1      TEXT NOT NULL,
  address_ward       TEXT NOT NULL,
  address_district   TEXT NOT NULL,
  address_province   TEXT NOT NULL,
  address_country    TEXT NOT NULL,
  shipping_method    TEXT NOT NULL,
  note               TEXT NOT NULL DEFAULT '',
  payment_provider   TEXT NOT NULL,
  currency           TEXT NOT NULL DEFAULT 'VND',
  subtotal           INTEGER NOT NULL CHECK (subtotal >= 0),
  shipping_fee       INTEGER NOT NULL CHECK (shipping_fee >= 0),
  discount           INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0),
  total              INTEGER NOT NULL CHECK (total >= 0),
  expires_at         INTEGER NOT NULL,          -- unix seconds
  paid_at            INTEGER,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX orders_by_status_expiry ON orders(status, expires_at);
CREATE INDEX orders_by_email ON orders(email, created_at);

CREATE TABLE order_lines (
  order_id    TEXT NOT NULL REFERENCES orders(id),
  line_no     INTEGER NOT NULL,
  variant_id  INTEGER NOT NULL REFERENCES variants(id),
  product_id  INTEGER NOT NULL,
  sku         TEXT NOT NULL,
  name_vi     TEXT NOT NULL,
  name_en     TEXT NOT NULL,
  size        TEXT NOT NULL,
  color       TEXT NOT NULL,
  image_url   TEXT,
  unit_price  INTEGER NOT NULL CHECK (unit_price >= 0),
  quantity    INTEGER NOT NULL CHECK (quantity > 0),
  line_total  INTEGER NOT NULL CHECK (line_total >= 0),
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_by_variant ON order_lines(variant_id);

-- Every status change, append-only.
CREATE TABLE order_events (
  id           INTEGER PRIMARY KEY,
  order_id     TEXT NOT NULL REFERENCES orders(id),
  at           INTEGER NOT NULL,
  from_status  TEXT,
  to_status    TEXT NOT NULL,
  actor        TEXT NOT NULL,                   -- 'shopper', 'alarm', 'sweep', 'payment:sandbox', 'admin:…'
  reason       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_events_by_order ON order_events(order_id, id);

CREATE TABLE payments (
  id           TEXT PRIMARY KEY,
  order_id     TEXT NOT NULL REFERENCES orders(id),
  provider     TEXT NOT NULL,
  amount       INTEGER NOT NULL,
  currency     TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
  external_id  TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX payments_by_order ON payments(order_id);

-- Notifications received from payment providers; the unique event id makes redelivery a no-op.
CREATE TABLE payment_events (
  provider     TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  payment_id   TEXT NOT NULL,
  kind         TEXT NOT NULL,
  payload      TEXT NOT NULL,
  received_at  INTEGER NOT NULL,
  PRIMARY KEY (provider, event_id)
);

-- Messages to send (order confirmation, expiry notice…); a later worker delivers them.
CREATE TABLE outbox (
  id          INTEGER PRIMARY KEY,
  dedupe_key  TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL,
  payload     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  sent_at     INTEGER
);
