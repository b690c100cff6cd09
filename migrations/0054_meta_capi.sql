-- Meta's Conversions API (docs/TRACKING.md). `orders.ad_consent`: the buyer's advertising consent
-- as their cookie said at checkout (1 granted). `capi_events`: one server-side Purchase per paid
-- order with that consent — the primary key makes every flow that pays an order write it once —
-- delivered by a pass with a lease and retries like the outbox's.
ALTER TABLE orders ADD COLUMN ad_consent INTEGER NOT NULL DEFAULT 0 CHECK (ad_consent IN (0, 1));

CREATE TABLE capi_events (
  order_id        TEXT PRIMARY KEY REFERENCES orders(id),
  event_id        TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  claim           TEXT,
  lease_until     INTEGER,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  sent_at         INTEGER
);
CREATE INDEX capi_events_due ON capi_events (status, next_attempt_at);
