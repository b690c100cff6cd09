-- Web Push subscriptions (docs/NOTIFICATIONS.md): a browser that opted in on an order page (owner
-- `order:<order id>`) or on the account page (`customer:<customer id>`) gets that order's, or that
-- customer's orders', status messages by push. One row per (endpoint, owner): one browser may follow
-- several orders. The keys belong to the endpoint (the browser's subscription); a push service's
-- 404/410 deletes every row of the endpoint.
CREATE TABLE push_subscriptions (
  id          INTEGER PRIMARY KEY,
  endpoint    TEXT NOT NULL,
  p256dh      TEXT NOT NULL,                    -- base64url, the browser's P-256 public key (65 bytes)
  auth        TEXT NOT NULL,                    -- base64url, the 16-byte authentication secret
  owner       TEXT NOT NULL,                    -- 'order:<id>' or 'customer:<id>'
  locale      TEXT NOT NULL DEFAULT 'vi',
  created_at  INTEGER NOT NULL,
  UNIQUE (endpoint, owner)
);
CREATE INDEX push_subscriptions_by_owner ON push_subscriptions(owner);
