-- Marketing consent (issue 14, docs/NOTIFICATIONS.md): one row per address and channel. Marketing
-- mail (alerts, the newsletter, campaigns, cart reminders) is sent only as this row allows;
-- transactional mail (orders, sign-in links) ignores it and always goes.
--
-- `status`: `pending` (signed up, confirmation link not yet followed — double opt-in),
-- `subscribed` (agreed to marketing messages), `unsubscribed` (a one-click or preferences-page
-- unsubscribe: nothing marketing is sent, alerts included, until they subscribe again).
-- `unsubscribed_via`: the kind of the mail whose link was used, for the counts.
CREATE TABLE marketing_consents (
  channel          TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'push', 'zns')),
  recipient        TEXT NOT NULL,
  locale           TEXT NOT NULL DEFAULT 'vi',
  status           TEXT NOT NULL CHECK (status IN ('pending', 'subscribed', 'unsubscribed')),
  source           TEXT NOT NULL DEFAULT 'newsletter',
  confirmed_at     INTEGER,
  unsubscribed_at  INTEGER,
  unsubscribed_via TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (channel, recipient)
);
CREATE INDEX marketing_consents_by_status ON marketing_consents(status, channel);
