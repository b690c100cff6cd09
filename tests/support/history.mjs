// A generated order history, written straight into a shop's local D1 with SQL: `count` orders over
// the `days` Vietnam days ending today, in every status, with 1–3 lines each on real variants, the
// payment each paid order had, some refunds, and shop events for the funnel. Deterministic for a
// given count and day (pseudo-random by modular arithmetic), so a failing run can be repeated.
// Used by the analytics reconciliation test and the dashboard benchmark.

export const DAY = 86_400;
const VN = 7 * 3600;

/** Today's date in Vietnam (YYYY-MM-DD) and the unix second it started. */
export function vnToday(nowSeconds = Math.floor(Date.now() / 1000)) {
  const start = Math.floor((nowSeconds + VN) / DAY) * DAY - VN;
  return { day: new Date((start + VN) * 1000).toISOString().slice(0, 10), start };
}

/** The unix second a Vietnam day (YYYY-MM-DD) starts. */
export function vnDayStart(day) {
  return Date.parse(`${day}T00:00:00Z`) / 1000 - VN;
}

/** The Vietnam day `n` days before `day`. */
export function daysBefore(day, n) {
  return new Date(Date.parse(`${day}T00:00:00Z`) - n * DAY * 1000).toISOString().slice(0, 10);
}

/**
 * SQL statements (run them in order, e.g. with shop.sqlAll joined by ';') that create the history.
 * Orders are numbered `GEN-…` so they never collide with real ones.
 */
export function historySql({ count, days, now = Math.floor(Date.now() / 1000), prefix = 'gen' }) {
  const { start: todayStart } = vnToday(now);
  const first = todayStart - (days - 1) * DAY;
  const span = Math.max(1, now - first);
  // Status by i % 10: mostly paid-ish, some unpaid outcomes.
  const status = `CASE i % 10 WHEN 0 THEN 'expired' WHEN 1 THEN 'cancelled' WHEN 2 THEN 'refunded' WHEN 3 THEN 'partially_refunded'
    WHEN 4 THEN 'fulfilled' WHEN 5 THEN 'delivered' WHEN 6 THEN 'needs_refund' WHEN 7 THEN 'pending_payment' ELSE 'paid' END`;
  const paid = `i % 10 NOT IN (0, 1, 7)`;
  const provider = `CASE i % 5 WHEN 0 THEN 'stripe' WHEN 1 THEN 'momo' WHEN 2 THEN 'zalopay' WHEN 3 THEN 'paypal' ELSE 'sandbox' END`;
  const created = `${first} + (i * 7919) % ${span}`;
  const seq = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})`;
  return [
    // Orders with placeholder totals; lines first need the order rows (foreign key).
    `${seq} INSERT INTO orders (id, number, access_token_hash, cart_id, idempotency_key, status, stock_state, locale, email, name, phone,
       address_line1, address_ward, address_district, address_province, address_country, shipping_method, payment_provider,
       subtotal, shipping_fee, discount, total, expires_at, paid_at, created_at, updated_at)
     SELECT '${prefix}-' || i, 'GEN-' || i, 'x', 'cart-${prefix}', '${prefix}-key-' || i, ${status},
       CASE WHEN ${paid} THEN 'committed' WHEN i % 10 = 7 THEN 'reserved' ELSE 'released' END,
       CASE i % 3 WHEN 0 THEN 'en' ELSE 'vi' END, 'buyer' || (i % 700) || '@example.vn', 'Khách ' || i, '090' || (1000000 + i % 8999999),
       'Số ' || i, 'Phường 1', 'Quận 1', 'TP. Hồ Chí Minh', 'VN', CASE i % 4 WHEN 0 THEN 'express' ELSE 'standard' END, ${provider},
       0, CASE i % 4 WHEN 0 THEN 60000 WHEN 1 THEN 0 ELSE 30000 END, (i % 6) * 10000, 0,
       ${created} + 900, CASE WHEN ${paid} THEN ${created} + 60 + i % 600 END, ${created}, ${created} + 60
     FROM n`,
    `${seq}, l(no) AS (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3),
       v AS (SELECT id, product_id, sku, size, color, price, ROW_NUMBER() OVER (ORDER BY id) - 1 AS rn FROM variants),
       c(n) AS (SELECT COUNT(*) FROM variants)
     INSERT INTO order_lines (order_id, line_no, variant_id, product_id, sku, name_vi, name_en, size, color, unit_price, quantity, line_total, discount)
     SELECT '${prefix}-' || i, no, v.id, v.product_id, v.sku, 'Gile', 'Vest', v.size, v.color, v.price, 1 + (i + no) % 3, v.price * (1 + (i + no) % 3),
       CASE WHEN no = 1 THEN (i % 6) * 10000 ELSE 0 END
     FROM n JOIN l ON no <= 1 + i % 3 JOIN c JOIN v ON v.rn = (i * 31 + no * 7) % c.n`,
    `UPDATE orders SET subtotal = (SELECT SUM(line_total) FROM order_lines WHERE order_id = orders.id),
       total = (SELECT SUM(line_total) FROM order_lines WHERE order_id = orders.id) + shipping_fee - discount
     WHERE id LIKE '${prefix}-%'`,
    `INSERT INTO payments (id, order_id, provider, amount, currency, status, external_id, created_at, updated_at)
     SELECT 'pay-' || id, id, payment_provider, total, 'VND', 'succeeded', 'ext-' || id, paid_at, paid_at FROM orders
     WHERE id LIKE '${prefix}-%' AND paid_at IS NOT NULL`,
    // Refunds: the whole order for 'refunded', a third for 'partially_refunded', a few days later.
    `INSERT INTO refunds (id, order_id, payment_id, provider, amount, currency, provider_amount, provider_currency, status, idempotency_key, actor, created_at, updated_at)
     SELECT 'ref-' || id, id, 'pay-' || id, payment_provider,
       CASE status WHEN 'refunded' THEN total ELSE total / 3 END, 'VND', CASE status WHEN 'refunded' THEN total ELSE total / 3 END, 'VND',
       'succeeded', 'idem-' || id, 'admin:gen', MIN(paid_at + 2 * ${DAY}, ${now}), MIN(paid_at + 2 * ${DAY}, ${now})
     FROM orders WHERE id LIKE '${prefix}-%' AND status IN ('refunded', 'partially_refunded') AND total >= 3`,
    `UPDATE orders SET refunded_total = (SELECT SUM(amount) FROM refunds WHERE refunds.order_id = orders.id AND status = 'succeeded')
     WHERE id LIKE '${prefix}-%' AND status IN ('refunded', 'partially_refunded') AND total >= 3`,
    // Funnel events: visitors per day, each going some steps down the funnel.
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count * 4}), k(step, kind) AS (
       SELECT 0, 'page_viewed' UNION ALL SELECT 1, 'product_viewed' UNION ALL SELECT 2, 'added_to_cart'
       UNION ALL SELECT 3, 'checkout_started' UNION ALL SELECT 4, 'order_paid')
     INSERT INTO shop_events (kind, day, at, visitor, product_id)
     SELECT kind, strftime('%Y-%m-%d', ${first} + (i * 104729) % ${span} + ${VN}, 'unixepoch'), ${first} + (i * 104729) % ${span},
       '${prefix}v' || (i % ${Math.max(1, Math.floor(count * 1.5))}), NULL
     FROM n JOIN k ON step <= (i * 13) % 5 AND step <= CASE WHEN i % 3 = 0 THEN 4 ELSE 2 END`,
  ];
}
