-- Real payment gateways (Stripe, PayPal, MoMo, ZaloPay): what each payment attempt sent to and
-- heard from its provider, and refunds. Every notification is still recorded in payment_events
-- under the provider's own event/transaction id, so a redelivery changes nothing.

-- A payment row is one attempt to pay an order with one provider. The shop's amount stays in
-- `amount`/`currency` (VND); what the provider is asked to charge may differ (PayPal has no VND, so
-- it is charged in USD at a configured rate): both are kept.
ALTER TABLE payments ADD COLUMN provider_amount INTEGER;        -- minor units of provider_currency
ALTER TABLE payments ADD COLUMN provider_currency TEXT;
ALTER TABLE payments ADD COLUMN fx_rate TEXT;                   -- VND per unit of provider_currency, as configured
ALTER TABLE payments ADD COLUMN redirect_url TEXT;              -- the provider's hosted page for this attempt
ALTER TABLE payments ADD COLUMN charge_id TEXT;                 -- what a refund names: PaymentIntent, capture, transId, zp_trans_id
ALTER TABLE payments ADD COLUMN failure_code TEXT;              -- the provider's code for a decline
ALTER TABLE payments ADD COLUMN last_notification TEXT;         -- raw body of the latest notification, for support
CREATE UNIQUE INDEX payments_by_external ON payments(provider, external_id) WHERE external_id IS NOT NULL;

-- Refunds by amount (VND), so a later per-line discount allocation changes nothing here. The
-- insert is conditional on the refundable amount (paid − pending − succeeded refunds), so two
-- concurrent requests cannot refund more than was paid; `idempotency_key` makes a retry return the
-- same refund.
CREATE TABLE refunds (
  id                 TEXT PRIMARY KEY,
  order_id           TEXT NOT NULL REFERENCES orders(id),
  payment_id         TEXT NOT NULL REFERENCES payments(id),
  provider           TEXT NOT NULL,
  amount             INTEGER NOT NULL CHECK (amount > 0),
  currency           TEXT NOT NULL,
  provider_amount    INTEGER NOT NULL CHECK (provider_amount > 0),
  provider_currency  TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  idempotency_key    TEXT NOT NULL UNIQUE,
  reason             TEXT NOT NULL DEFAULT '',
  external_id        TEXT,
  failure            TEXT,
  actor              TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX refunds_by_order ON refunds(order_id, created_at);

ALTER TABLE orders ADD COLUMN refunded_total INTEGER NOT NULL DEFAULT 0 CHECK (refunded_total >= 0);
