-- Shoppers' alerts (issue 14, docs/NOTIFICATIONS.md): "báo khi có hàng" on a sold-out variant and
-- price drops. One row per (kind, variant, channel, recipient): `channel` is how the alert reaches
-- the shopper (email now; push or phone added by their own channel, `recipient` then being the
-- push endpoint or the phone) — the same channels as the outbox's.
--
-- Back in stock: a restock (a stock-ledger row that adds units) notifies, in the same batch, the
-- oldest waiting rows — at most 3 × the units added — marking them with the restock's ledger
-- request id (`wave`) and writing one outbox row each. A later signup for the same variant after
-- its alert reopens the row (a fresh `created_at`, so it queues behind the others).
-- Price drop: `price_at` is the variant's price when the shopper subscribed (the baseline); a price
-- change at least 5 % below it notifies, then the baseline becomes the new price.
CREATE TABLE alert_subscriptions (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('back_in_stock', 'price_drop')),
  channel     TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'push', 'zns')),
  recipient   TEXT NOT NULL,
  locale      TEXT NOT NULL DEFAULT 'vi',
  variant_id  INTEGER NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
  price_at    INTEGER,
  wave        TEXT,
  notified_at INTEGER,
  created_at  INTEGER NOT NULL,
  UNIQUE (kind, variant_id, channel, recipient)
);
-- A wave's scan: a variant's waiting rows, oldest first.
CREATE INDEX alerts_waiting ON alert_subscriptions(variant_id, kind, notified_at, created_at, id);
CREATE INDEX alerts_by_wave ON alert_subscriptions(wave) WHERE wave IS NOT NULL;
