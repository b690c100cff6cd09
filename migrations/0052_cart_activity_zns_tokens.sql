-- Abandoned-cart reminders (issue 14, docs/NOTIFICATIONS.md). A cart lives in its Durable Object;
-- D1 sees a cart only through this row, written in the same batch as the cart's render (the
-- cart's every view and change already read its owner there) and only for a cart that belongs to
-- a signed-in account (`customers.cart_id`): guests' carts write nothing.
--
-- `items`: units in the cart at its last activity; `active_at`: that activity; `since`: when the
-- current episode began (the cart went from empty, or an order was placed from it, to holding
-- items); `reminded_at`: the episode's reminder, if sent — one reminder per episode.
-- The cron's pass mails, once, a cart with items, idle an hour, no order from it since the
-- episode began, whose owner's email agreed to marketing mail.
CREATE TABLE cart_activity (
  cart_id      TEXT PRIMARY KEY,
  customer_id  TEXT NOT NULL,
  items        INTEGER NOT NULL,
  since        INTEGER NOT NULL,
  active_at    INTEGER NOT NULL,
  reminded_at  INTEGER
);
CREATE INDEX cart_activity_due ON cart_activity(active_at) WHERE items > 0 AND reminded_at IS NULL;
CREATE INDEX cart_activity_by_customer ON cart_activity(customer_id);
-- "No order from this cart since": orders by their cart.
CREATE INDEX orders_by_cart ON orders(cart_id, created_at);

-- Zalo ZNS: the Official Account's access token and its refresh token (docs/NOTIFICATIONS.md).
-- Zalo's access tokens last about a day and each refresh token works once, so the newest pair is
-- kept here (one row) and replaced only under the refresh token it was made from: two passes
-- refreshing at once store one pair, and the other uses it.
CREATE TABLE zns_tokens (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  access_token   TEXT NOT NULL,
  refresh_token  TEXT NOT NULL,
  expires_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
