-- The `stock.low` webhook event (docs/WEBHOOKS.md): a variant's available units (on hand − reserved)
-- fall to its low-stock threshold or below — the admin stock list's "low" rule, sold out included —
-- from above it. Stock moves in many flows (a cart's hold, an order, an admin adjustment, an
-- import, a return), each by one conditional update; a trigger on that update writes the event's
-- outbox rows in the same statement, so no flow can forget it and a repeated flow that changes
-- nothing writes nothing. One row per subscribed active endpoint; the key names the variant and
-- the second it crossed, so a later crossing (after a restock) is its own event.
CREATE TRIGGER variants_stock_low_webhook AFTER UPDATE OF on_hand, reserved ON variants
WHEN NEW.status = 'active'
  AND NEW.on_hand - NEW.reserved <= NEW.low_stock_threshold
  AND OLD.on_hand - OLD.reserved > OLD.low_stock_threshold
BEGIN
  INSERT INTO outbox (dedupe_key, kind, channel, recipient, locale, payload, next_attempt_at, created_at)
  SELECT 'stock.low:' || NEW.id || ':' || CAST(strftime('%s', 'now') AS INTEGER), 'stock.low', 'webhook', e.id, 'en',
         json_object('created_at', CAST(strftime('%s', 'now') AS INTEGER), 'data', json_object(
           'variant_id', NEW.id, 'product_id', NEW.product_id, 'sku', NEW.sku,
           'available', MAX(NEW.on_hand - NEW.reserved, 0), 'threshold', NEW.low_stock_threshold)),
         0, CAST(strftime('%s', 'now') AS INTEGER)
  FROM webhook_endpoints e
  WHERE e.active = 1 AND instr(' ' || e.events || ' ', ' stock.low ') > 0
  ON CONFLICT (dedupe_key, channel, recipient) DO NOTHING;
END;
