-- Campaigns (issue 14, docs/NOTIFICATIONS.md): a manager composes a subject and a body in
-- Vietnamese and English (limited markdown, rendered escaped through the email layout), picks a
-- segment — every newsletter subscriber, the buyers of a category (paid orders), the shoppers
-- waiting for a product's alerts — previews it and schedules it. The cron's pass queues it into
-- the outbox in batches (kind `campaign`, event key `campaign:<id>`: the outbox's unique (event,
-- channel, recipient) key makes two passes at once queue a recipient once), only to addresses
-- whose marketing consent is `subscribed`. The counts are read from the outbox rows themselves.
--
-- `segment_ref`: the category (`category_buyers`) or the product (`product_alerts`).
-- `status`: draft → scheduled (with `send_at`) → sending (recipients being queued) → sent (all
-- queued; `finished_at`); a draft or scheduled campaign may be cancelled.
CREATE TABLE campaigns (
  id           INTEGER PRIMARY KEY,
  subject_vi   TEXT NOT NULL,
  subject_en   TEXT NOT NULL,
  body_vi      TEXT NOT NULL,
  body_en      TEXT NOT NULL,
  segment      TEXT NOT NULL CHECK (segment IN ('subscribers', 'category_buyers', 'product_alerts')),
  segment_ref  INTEGER,
  status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')),
  send_at      INTEGER,
  started_at   INTEGER,
  finished_at  INTEGER,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
-- The cron's scan: campaigns due.
CREATE INDEX campaigns_due ON campaigns(status, send_at);
-- The counts read the outbox by `dedupe_key`, the first column of its unique key's index.
