-- Bank transfers (VietQR): every transaction the bank feed (SePay, Casso…) posts to /webhooks/bank,
-- keyed by the feed's own transaction id, so a redelivery — even two at the same moment — is
-- stored and applied once. A transfer that pays an order exactly is `applied` (the order is paid
-- through the same gated statements as every provider's notice); an under- or over-payment, or a
-- content naming no order, waits for a manager as `review` ("chờ đối soát") until matched to an
-- order or set aside (`resolved`, with who and when; the audit log keeps the change).
CREATE TABLE bank_transactions (
  id                TEXT PRIMARY KEY,           -- the feed's transaction id
  gateway           TEXT NOT NULL,              -- the bank's name as the feed gives it
  account_number    TEXT NOT NULL,
  amount            INTEGER NOT NULL,           -- whole đồng, money in
  content           TEXT NOT NULL,              -- the transfer's content ("nội dung")
  reference_code    TEXT,
  transaction_date  TEXT,                       -- as the feed wrote it (bank time)
  raw               TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('received', 'applied', 'review', 'resolved')),
  reason            TEXT,                       -- why it waits: underpaid, overpaid, unknown_memo, ambiguous, not_awaiting_transfer
  order_id          TEXT REFERENCES orders(id), -- the order it paid, named, or was matched to
  outcome           TEXT,                       -- what applying it did (paid, revived, needs_refund…)
  received_at       INTEGER NOT NULL,
  resolved_at       INTEGER,
  resolved_by       TEXT
);
CREATE INDEX bank_transactions_by_status ON bank_transactions(status, received_at);
CREATE INDEX bank_transactions_by_order ON bank_transactions(order_id);
