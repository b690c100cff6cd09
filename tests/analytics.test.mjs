// Sales analytics against the built Worker: a generated history of a few thousand orders (every
// status, four providers, refunds, funnel events), rolled up by day, must reconcile exactly with
// the orders, order_lines, refunds and shop_events tables — every figure the dashboard shows,
// computed here independently with SQL over the source tables. Also the other read-only operator
// endpoint, review sentiment on demand (`POST /internal/sentiment`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DAY, daysBefore, historySql, vnDayStart, vnToday } from './support/history.mjs';
import { beforeAll, s, shop, useShop } from './support/setup.mjs';

/** Sales count on the day of payment for these statuses (refunds count on the day they succeed). */
const SOLD = `('paid', 'fulfilled', 'delivered', 'refunded', 'partially_refunded')`;
const ORDERS = 3000;
const DAYS = 60;

const today = vnToday().day;

useShop();
beforeAll(async () => {
  await shop.sqlAll(historySql({ count: ORDERS, days: DAYS }).join(';\n'));
});

/** What the source tables say for the days from..to (inclusive, Vietnam time). */
async function expected(from, to) {
  const start = vnDayStart(from);
  const end = vnDayStart(to) + DAY;
  const sold = `o.paid_at >= ${start} AND o.paid_at < ${end} AND o.status IN ${SOLD}`;
  const [[totals], [units], [refunded], providers, products, daily, [funnel]] = await shop.sqlAll(
    [
      `SELECT COALESCE(SUM(o.total), 0) AS revenue, COUNT(*) AS orders, COALESCE(SUM(o.discount), 0) AS discount FROM orders o WHERE ${sold}`,
      `SELECT COALESCE(SUM(l.quantity), 0) AS units FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE ${sold}`,
      `SELECT COALESCE(SUM(amount), 0) AS refunded FROM refunds WHERE status = 'succeeded' AND updated_at >= ${start} AND updated_at < ${end}`,
      `SELECT o.payment_provider AS provider, SUM(o.total) AS revenue, COUNT(*) AS orders FROM orders o WHERE ${sold}
         GROUP BY o.payment_provider ORDER BY revenue DESC, provider`,
      `SELECT l.product_id AS id, SUM(l.quantity) AS units, SUM(l.line_total - l.discount) AS revenue
         FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE ${sold}
         GROUP BY l.product_id ORDER BY revenue DESC, units DESC, l.product_id LIMIT 10`,
      `SELECT strftime('%Y-%m-%d', o.paid_at + 25200, 'unixepoch') AS day, SUM(o.total) AS revenue, COUNT(*) AS orders
         FROM orders o WHERE ${sold} GROUP BY day ORDER BY day`,
      `SELECT COALESCE(SUM(sessions), 0) AS sessions, COALESCE(SUM(views), 0) AS product_views, COALESCE(SUM(carts), 0) AS added_to_cart,
         COALESCE(SUM(checkouts), 0) AS checkout, COALESCE(SUM(paid), 0) AS paid FROM (
         SELECT day, COUNT(*) AS sessions, SUM(furthest >= 1) AS views, SUM(furthest >= 2) AS carts,
           SUM(furthest >= 3) AS checkouts, SUM(furthest >= 4) AS paid
         FROM (SELECT day, visitor, MAX(CASE kind WHEN 'product_viewed' THEN 1 WHEN 'added_to_cart' THEN 2
                 WHEN 'checkout_started' THEN 3 WHEN 'order_paid' THEN 4 ELSE 0 END) AS furthest
               FROM shop_events WHERE day BETWEEN '${from}' AND '${to}' GROUP BY day, visitor)
         GROUP BY day)`,
    ].join(';\n'),
  );
  return { totals: { ...totals, units: units.units, refunded: refunded.refunded }, providers, products, daily, funnel };
}

describe('sales analytics', () => {
  it('needs the internal token and a sensible period', async () => {
    assert.equal((await s.api('GET', '/internal/analytics')).status, 404);
    const bad = await s.internal('GET', '/internal/analytics?from=2026-13-01');
    assert.equal(bad.status, 400, bad.text);
    assert.ok(bad.json.error.fields.from, bad.text);
    const backwards = await s.internal('GET', `/internal/analytics?from=${today}&to=${daysBefore(today, 3)}`);
    assert.equal(backwards.status, 400);
  });

  it('reconciles exactly with the orders after a roll-up, for this and the previous period', async () => {
    const roll = await s.internal('POST', '/internal/analytics/rollup?days=30');
    assert.equal(roll.status, 200, roll.text);
    assert.equal(roll.json.rolled_up_days, 60);
    // Rolling up again changes nothing (each day is recomputed whole).
    assert.equal((await s.internal('POST', '/internal/analytics/rollup?days=30')).status, 200);

    const res = await s.internal('GET', '/internal/analytics?days=30');
    assert.equal(res.status, 200, res.text);
    const d = res.json;
    const from = daysBefore(today, 29);
    assert.deepEqual(d.period, { from, to: today });
    assert.deepEqual(d.previous_period, { from: daysBefore(today, 59), to: daysBefore(today, 30) });

    const now = await expected(from, today);
    const before = await expected(daysBefore(today, 59), daysBefore(today, 30));
    assert.ok(now.totals.orders > 500 && before.totals.orders > 500, `a real history: ${now.totals.orders} and ${before.totals.orders} orders`);
    assert.ok(now.totals.refunded > 0);

    for (const [got, want] of [[d.totals, now.totals], [d.previous_totals, before.totals]]) {
      assert.equal(got.revenue, want.revenue);
      assert.equal(got.orders, want.orders);
      assert.equal(got.units, want.units);
      assert.equal(got.discount, want.discount);
      assert.equal(got.refunded, want.refunded);
      assert.equal(got.net_revenue, want.revenue - want.refunded);
      assert.equal(got.average_order_value, Math.floor((2 * want.revenue + want.orders) / (2 * want.orders)));
    }
    assert.deepEqual(d.providers, now.providers);
    assert.deepEqual(
      d.top_products.map(({ id, units, revenue }) => ({ id, units, revenue })),
      now.products,
    );
    // Every day of the period is listed, zero where nothing sold, and the days add up.
    assert.equal(d.daily.length, 30);
    const byDay = Object.fromEntries(now.daily.map((r) => [r.day, r]));
    for (const row of d.daily) {
      assert.equal(row.revenue, byDay[row.day]?.revenue ?? 0, row.day);
      assert.equal(row.orders, byDay[row.day]?.orders ?? 0, row.day);
    }
    assert.equal(d.daily.reduce((a, r) => a + r.revenue, 0), now.totals.revenue);
    assert.equal(d.daily.reduce((a, r) => a + r.previous_revenue, 0), before.totals.revenue);
    assert.deepEqual(d.funnel, now.funnel);
    assert.ok(d.funnel.sessions > d.funnel.product_views && d.funnel.product_views > d.funnel.paid);
    const steps = [d.funnel.sessions, d.funnel.product_views, d.funnel.added_to_cart, d.funnel.checkout, d.funnel.paid];
    assert.ok(steps.every((n, i) => i === 0 || n <= steps[i - 1]), `each step within the one before: ${steps}`);
    // Categories add up to the products they hold.
    const [catTotal] = await shop.sql(
      `SELECT SUM(l.line_total - l.discount) AS revenue FROM order_lines l JOIN orders o ON o.id = l.order_id
       WHERE o.paid_at >= ${vnDayStart(from)} AND o.paid_at < ${vnDayStart(today) + DAY} AND o.status IN ${SOLD}`,
    );
    const allCategories = await s.internal('GET', '/internal/analytics?days=30');
    assert.ok(allCategories.json.top_categories.reduce((a, c) => a + c.revenue, 0) <= catTotal.revenue);
  });

  it('moves with a new payment and a refund today, without a manual roll-up', async () => {
    const before = (await s.internal('GET', '/internal/analytics?days=1')).json.totals;
    const t = Math.floor(Date.now() / 1000) - 5;
    await shop.sqlAll(
      [
        `UPDATE orders SET status = 'paid', stock_state = 'committed', paid_at = ${t} WHERE id = 'gen-7'`,
        `INSERT INTO payments (id, order_id, provider, amount, currency, status, created_at, updated_at)
           SELECT 'pay-late-7', id, payment_provider, total, 'VND', 'succeeded', ${t}, ${t} FROM orders WHERE id = 'gen-7'`,
        `INSERT INTO refunds (id, order_id, payment_id, provider, amount, currency, provider_amount, provider_currency, status, idempotency_key, actor, created_at, updated_at)
           VALUES ('ref-today', 'gen-7', 'pay-late-7', 'sandbox', 12345, 'VND', 12345, 'VND', 'succeeded', 'idem-today', 'admin:test', ${t}, ${t})`,
      ].join(';\n'),
    );
    const [order] = await shop.sql(`SELECT total FROM orders WHERE id = 'gen-7'`);
    const after = (await s.internal('GET', '/internal/analytics?days=1')).json.totals;
    assert.equal(after.revenue, before.revenue + order.total);
    assert.equal(after.orders, before.orders + 1);
    assert.equal(after.refunded, before.refunded + 12345);
  });

  it('exports the daily figures as CSV', async () => {
    const res = await fetch(`${shop.url}/internal/analytics.csv?days=7`, { headers: s.internalAuth() });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/csv/);
    assert.match(res.headers.get('content-disposition'), /attachment; filename="vestify-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv"/);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 byte order mark for spreadsheet programs');
    const text = bytes.subarray(3).toString('utf8');
    assert.ok(text.startsWith('day,revenue_vnd,orders,previous_period_day,previous_period_revenue_vnd\r\n'), text.slice(0, 100));
    const rows = text.trim().split('\r\n').slice(1).map((l) => l.split(','));
    assert.equal(rows.length, 7);
    assert.equal(rows[6][0], today);
    const json = (await s.internal('GET', '/internal/analytics?days=7')).json;
    assert.deepEqual(rows.map((r) => Number(r[1])), json.daily.map((r) => r.revenue));
  });
});

describe('review sentiment on demand', () => {
  it('scores a text with its aspects, behind the internal token', async () => {
    const text = 'Áo đẹp nhưng vải mỏng, giao hàng chậm quá 😡';
    assert.equal((await s.api('POST', '/internal/sentiment', { body: { text } })).status, 404);
    const res = await s.internal('POST', '/internal/sentiment', { text });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.label, 'negative');
    assert.ok(res.json.score < 0 && res.json.score >= -1, res.text);
    assert.deepEqual(res.json.aspects, [{ aspect: 'material', label: 'negative' }, { aspect: 'delivery', label: 'negative' }]);
    const praise = await s.internal('POST', '/internal/sentiment', { text: 'Fits perfectly, fast shipping, love it!' });
    assert.equal(praise.json.label, 'positive', praise.text);
  });

  it('refuses a missing, empty or overlong text with 422', async () => {
    for (const body of [{}, { text: '' }, { text: '   ' }, { text: 7 }, { text: 'đ'.repeat(5001) }]) {
      const res = await s.internal('POST', '/internal/sentiment', body);
      assert.equal(res.status, 422, `${JSON.stringify(body).slice(0, 40)}: ${res.text}`);
      assert.ok(res.json.error.fields.text, res.text);
    }
    assert.equal((await s.internal('POST', '/internal/sentiment', { text: 'đ'.repeat(5000) })).status, 200);
  });
});
