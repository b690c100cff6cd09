-- Delivery of the outbox (docs/NOTIFICATIONS.md). A message is now one (event, channel, recipient):
-- the event's key (`dedupe_key`, e.g. `order_paid:<order id>`) is unique together with the channel
-- and the recipient, so a flow that runs twice, or two flows racing, write it once, and a second
-- channel or recipient of the same event is its own row. Each row carries its delivery state:
-- claimed by a conditional update (`status` pending → sending with a lease), retried with
-- exponential backoff (`attempts`, `next_attempt_at`, `last_error`), dead after 6 attempts,
-- `provider_id` the transport's message id once sent.
--
-- SQLite cannot drop the old single-column UNIQUE: the table is rebuilt. Rows written before
-- delivery existed are kept as `skipped` (never sent: their links have expired and their orders
-- moved on), so turning delivery on does not mail a backlog.
CREATE TABLE outbox_v2 (
  id              INTEGER PRIMARY KEY,
  dedupe_key      TEXT NOT NULL,
  kind            TEXT NOT NULL,
  channel         TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'push', 'zns')),
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
  UNIQUE (dedupe_key, channel, recipient)
);
INSERT INTO outbox_v2 (id, dedupe_key, kind, channel, recipient, locale, payload, status, created_at, sent_at)
  SELECT id, dedupe_key, kind, 'email',
         COALESCE(json_extract(payload, '$.email'), json_extract(payload, '$.to'), 'unknown:' || id),
         COALESCE(json_extract(payload, '$.locale'), 'vi'), payload, 'skipped', created_at, sent_at
  FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
-- The delivery pass's scan: due rows by time.
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
-- The operators' listing and the admin log by recipient.
CREATE INDEX outbox_by_recipient ON outbox(recipient, id);
