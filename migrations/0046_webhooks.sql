-- Webhooks for apps and integrations (issue 21; docs/WEBHOOKS.md). A manager registers an endpoint:
-- its URL (https to a public host, checked against server-side request forgery), the events it
-- subscribes to (space-separated codes: order.created order.paid order.shipped order.cancelled
-- refund.created product.updated stock.low) and a signing secret shown once. The Worker must sign
-- every delivery with that secret, so it cannot be kept as a hash: `secret` is sealed with
-- AES-256-GCM under a key derived from SHOP_SECRET (`v1.<nonce>.<ciphertext>`), so a copy of the
-- database alone does not give it away. Disabling keeps the row (and its log); deleting removes it.
CREATE TABLE webhook_endpoints (
  id          INTEGER PRIMARY KEY,
  url         TEXT NOT NULL,
  events      TEXT NOT NULL,
  secret      TEXT NOT NULL,
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_by  TEXT NOT NULL,                      -- the admin's id
  created_at  INTEGER NOT NULL,
  disabled_at INTEGER
);

-- Deliveries are outbox rows on a fourth channel, `webhook`, whose recipient is the endpoint's id:
-- written in the same batch as the change that causes them, one per (event, endpoint) by the
-- outbox's unique key, delivered by the same passes with the same retries. `response_code` is the
-- receiver's last HTTP status (the admin's delivery log).
--
-- SQLite cannot change a CHECK in place: the table is rebuilt as 0024 did (create, copy, drop,
-- rename, indexes again).
CREATE TABLE outbox_v3 (
  id              INTEGER PRIMARY KEY,
  dedupe_key      TEXT NOT NULL,
  kind            TEXT NOT NULL,
  channel         TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'push', 'zns', 'webhook')),
  recipient       TEXT NOT NULL,
  locale          TEXT NOT NULL DEFAULT 'vi',
  payload         TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'dead', 'skipped')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  lease_until     INTEGER,
  claim           TEXT,
  provider_id     TEXT,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  sent_at         INTEGER,
  response_code   INTEGER,
  UNIQUE (dedupe_key, channel, recipient)
);
INSERT INTO outbox_v3 (id, dedupe_key, kind, channel, recipient, locale, payload, status, attempts, next_attempt_at, lease_until, claim, provider_id, last_error, created_at, sent_at)
  SELECT id, dedupe_key, kind, channel, recipient, locale, payload, status, attempts, next_attempt_at, lease_until, claim, provider_id, last_error, created_at, sent_at
  FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v3 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_by_recipient ON outbox(recipient, id);
