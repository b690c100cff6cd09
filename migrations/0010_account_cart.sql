-- A cart belongs to at most one account; the cart view looks its owner up by cart id.
CREATE UNIQUE INDEX customers_by_cart ON customers(cart_id) WHERE cart_id IS NOT NULL;

-- Checkout counts a buyer's earlier orders and promotion uses by email, phone or account
-- (app::promotions::customer_batch and the claim gate): each side of the OR needs an index, or
-- every checkout scans the orders table.
CREATE INDEX orders_by_phone ON orders(phone);
CREATE INDEX promotion_redemptions_by_account ON promotion_redemptions(customer_account, promotion_id, state);

-- The daily roll-up sums the refunds that succeeded on a day.
CREATE INDEX refunds_by_day ON refunds(updated_at) WHERE status = 'succeeded';
