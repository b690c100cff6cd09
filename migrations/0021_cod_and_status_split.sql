-- Cash on delivery (issue 19 §1) and the order's payment and fulfilment statuses as fields of
-- their own (issue 19 §6), as Shopify keeps them.
--
-- `status` stays the order's headline (what happened last) and gains two values: `confirmed` (a
-- cash-on-delivery order: accepted without payment, its stock sold) and `returned` (a parcel that
-- came back, "hoàn hàng"). SQLite cannot change a CHECK in place, so the column is rebuilt without
-- rebuilding the table (other migrations add columns to it): a new column with the new CHECK takes
-- the values, the old one is dropped (its own CHECK goes with it), the new one takes its name.
ALTER TABLE orders ADD COLUMN status_next TEXT NOT NULL DEFAULT 'pending_payment'
  CHECK (status_next IN ('pending_payment', 'confirmed', 'paid', 'fulfilled', 'delivered', 'returned',
                         'expired', 'cancelled', 'refunded', 'partially_refunded', 'needs_refund'));
UPDATE orders SET status_next = status;
DROP INDEX orders_by_status_expiry;
ALTER TABLE orders DROP COLUMN status;
ALTER TABLE orders RENAME COLUMN status_next TO status;
CREATE INDEX orders_by_status_expiry ON orders(status, expires_at);

-- Where the money stands: `pending` (an online payment awaited), `cod_pending` (cash to collect on
-- delivery), `paid`, `partially_refunded`, `refunded`, `voided` (never paid: expired, cancelled
-- unpaid, a COD parcel returned).
ALTER TABLE orders ADD COLUMN payment_status TEXT NOT NULL DEFAULT 'pending'
  CHECK (payment_status IN ('pending', 'cod_pending', 'paid', 'partially_refunded', 'refunded', 'voided'));
-- Where the parcel stands.
ALTER TABLE orders ADD COLUMN fulfillment_status TEXT NOT NULL DEFAULT 'unfulfilled'
  CHECK (fulfillment_status IN ('unfulfilled', 'shipped', 'delivered', 'returned'));
-- The client address a COD order came from, as SHA-256 hex (the open-COD limit per client).
ALTER TABLE orders ADD COLUMN client_hash TEXT;
-- Cash collected for a COD order: the amount the carrier reports and its fee (from its statement).
ALTER TABLE orders ADD COLUMN cod_collected INTEGER;
ALTER TABLE orders ADD COLUMN cod_fee INTEGER;

UPDATE orders SET payment_status = CASE
    WHEN status IN ('paid', 'fulfilled', 'delivered', 'needs_refund') THEN 'paid'
    WHEN status IN ('refunded', 'partially_refunded') THEN status
    WHEN status IN ('expired', 'cancelled') THEN 'voided'
    ELSE 'pending' END;
UPDATE orders SET fulfillment_status = CASE
    WHEN status = 'fulfilled' THEN 'shipped'
    WHEN status = 'delivered' THEN 'delivered'
    WHEN EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = orders.id AND e.to_status = 'delivered') THEN 'delivered'
    WHEN EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = orders.id AND e.to_status = 'fulfilled') THEN 'shipped'
    ELSE 'unfulfilled' END;

CREATE INDEX orders_by_payment_status ON orders(payment_status, created_at);
CREATE INDEX orders_by_fulfillment_status ON orders(fulfillment_status, created_at);
-- Open COD orders per phone and per client (the abuse guard counts them at checkout).
CREATE INDEX orders_open_cod_by_client ON orders(client_hash) WHERE payment_status = 'cod_pending';
