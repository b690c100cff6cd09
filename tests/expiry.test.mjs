// Time in the cart and order flow, on a shop with short holds and order lifetimes: holds go back on
// time, unpaid orders expire on time, a late payment revives an order or flags it for a refund, and
// the cart's alarm, the cron sweep and a late payment racing each other change stock exactly once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { s, shop, useShop } from './support/setup.mjs';
import { assertStockReconciles, variantPool, waitFor } from './support/shopping.mjs';

const HOLD_SECONDS = 3;
const ORDER_TTL_SECONDS = 4;
/** How late after its deadline an alarm may run and still be "on time" (a busy 2-core CI machine). */
const ON_TIME_SLACK_SECONDS = 5;

/** Variants handed out once each; `pool.override` records those whose on_hand a test set by SQL. */
const pool = variantPool();

useShop({ vars: { CART_HOLD_SECONDS: String(HOLD_SECONDS), ORDER_TTL_SECONDS: String(ORDER_TTL_SECONDS) } });

const unix = (iso) => Date.parse(iso) / 1000;

/** Polls the order API (read-only) until the order has `status`. */
function orderReaches(order, status, timeoutMs = 30_000) {
  return waitFor(`order ${order.number} to be ${status}`, async () => {
    const res = await s.getOrder(order.id, order.access_token);
    return res.json?.order?.status === status ? res.json.order : null;
  }, { timeoutMs });
}

/** Sleeps until `offsetMs` after the unix second `seconds` begins. */
async function sleepUntil(seconds, offsetMs = 20) {
  const ms = seconds * 1000 + offsetMs - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

describe('cart holds', () => {
  it('go back on sale when the hold runs out, and are taken again when the cart is viewed', async () => {
    const [a, b] = pool.take(2);
    const cart = await s.createCart();
    const before = await s.stockRows([a, b]);
    assert.equal((await s.addItem(cart, a.id, 2)).status, 201);
    const added = await s.addItem(cart, b.id, 1);
    assert.equal(added.status, 201, added.text);
    const deadline = unix(added.json.hold_expires_at);

    // The alarm releases both holds at the deadline: not before, and not much after.
    const holds = await waitFor('the holds to be released', async () => {
      const rows = await shop.sql(`SELECT variant_id, quantity, state, expires_at, updated_at FROM holds WHERE cart_id = '${cart.id}'`);
      return rows.length === 2 && rows.every((h) => h.state === 'released') ? rows : null;
    }, { timeoutMs: 40_000, intervalMs: 500 });
    for (const h of holds) {
      assert.equal(h.expires_at, deadline, 'the hold ran out when the cart said it would');
      assert.ok(h.updated_at >= deadline, `released at ${h.updated_at}, not before ${deadline}`);
      assert.ok(h.updated_at <= deadline + ON_TIME_SLACK_SECONDS, `released at ${h.updated_at}, on time for ${deadline}`);
    }
    assert.deepEqual(await s.stockRows([a, b]), before, 'reserved is back where it was');

    // The cart still has its lines, holding nothing (the alarm's own answer does not re-hold)...
    const idle = await s.runAlarm(cart.id);
    assert.equal(idle.status, 200, idle.text);
    assert.deepEqual(idle.json.lines.map((l) => [l.variant_id, l.quantity, l.held]), [[a.id, 2, 0], [b.id, 1, 0]]);
    assert.equal(idle.json.hold_expires_at, null);
    // ...and viewing it takes the stock again.
    const viewed = await s.getCart(cart);
    assert.equal(viewed.status, 200);
    assert.deepEqual(viewed.json.lines.map((l) => [l.variant_id, l.quantity, l.held]), [[a.id, 2, 2], [b.id, 1, 1]]);
    assert.deepEqual(viewed.json.notices, []);
    assert.ok(unix(viewed.json.hold_expires_at) > deadline);
    // New holds, taken after the old ones ran out (they run out again soon: only their rows are checked).
    const rows = await shop.sql(`SELECT variant_id, quantity FROM holds WHERE cart_id = '${cart.id}' AND created_at >= ${deadline} ORDER BY variant_id`);
    assert.deepEqual(rows, [{ variant_id: a.id, quantity: 2 }, { variant_id: b.id, quantity: 1 }]);
  });

  it('are released once when the sweep and the alarm race for them; a view then takes what is left', async () => {
    const [v] = pool.take(1);
    await shop.sql(`UPDATE variants SET on_hand = 3 WHERE id = ${v.id}`);
    pool.override(v.id, 3);
    const mine = await s.createCart();
    const added = await s.addItem(mine, v.id, 3);
    assert.equal(added.status, 201, added.text);
    await sleepUntil(unix(added.json.hold_expires_at));
    // The sweep and the alarm race for the same hold; the stock comes back once.
    const raced = await Promise.all([s.sweep(), s.sweep(), s.runAlarm(mine.id), s.runAlarm(mine.id)]);
    assert.deepEqual(raced.map((r) => r.status), [200, 200, 200, 200], raced.map((r) => r.text).join('\n'));
    assert.ok(raced[0].json.released_holds + raced[1].json.released_holds <= 1, 'the sweeps released it at most once');
    assert.deepEqual(await s.stockRows([v]), { [v.id]: { id: v.id, on_hand: 3, reserved: 0 } });
    // Someone else takes two of the three while the cart holds nothing.
    const other = await s.createCart();
    assert.equal((await s.addItem(other, v.id, 2)).status, 201);
    const viewed = await s.getCart(mine);
    assert.deepEqual(viewed.json.lines.map((l) => [l.variant_id, l.quantity, l.held]), [[v.id, 1, 1]]);
    assert.deepEqual(viewed.json.notices, [{ kind: 'reduced', variant_id: v.id, from: 3, to: 1 }]);
    const holds = await shop.sql(`SELECT quantity FROM holds WHERE cart_id = '${mine.id}' ORDER BY created_at, quantity DESC`);
    assert.deepEqual(holds.map((h) => h.quantity), [3, 1], 'the old hold of 3, then a new one of 1');
  });
});

describe('checking out a cart whose holds ran out', () => {
  it('takes them again, or answers 409 cart_changed with the reduced cart when stock is short', async () => {
    const [v, w] = pool.take(2);
    // Enough left for the whole line: the checkout re-takes the hold and goes through.
    const whole = await s.createCart();
    const added = await s.addItem(whole, w.id, 2);
    assert.equal(added.status, 201, added.text);
    await waitFor('the hold to run out', async () => (await s.runAlarm(whole.id)).json?.lines?.[0]?.held === 0, { timeoutMs: 30_000, intervalMs: 500 });
    const placed = await s.checkout(whole);
    assert.equal(placed.status, 201, placed.text);
    assert.deepEqual(placed.json.order.lines.map((l) => [l.variant_id, l.quantity]), [[w.id, 2]]);

    // Only one left of the three the cart wants.
    const short = await s.createCart();
    assert.equal((await s.addItem(short, v.id, 3)).status, 201);
    await waitFor('the hold to run out', async () => (await s.runAlarm(short.id)).json?.lines?.[0]?.held === 0, { timeoutMs: 30_000, intervalMs: 500 });
    await shop.sql(`UPDATE variants SET on_hand = 1 WHERE id = ${v.id}`);
    pool.override(v.id, 1);
    const refused = await s.checkout(short);
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.json.error.code, 'cart_changed');
    assert.deepEqual(refused.json.cart.notices, [{ kind: 'reduced', variant_id: v.id, from: 3, to: 1 }]);
    assert.deepEqual(refused.json.cart.lines.map((l) => [l.variant_id, l.quantity, l.held]), [[v.id, 1, 1]]);
    const [orders] = await shop.sqlAll(`SELECT id FROM orders WHERE cart_id = '${short.id}'`);
    assert.deepEqual(orders, [], 'no order for a cart the shopper has not seen');
    // Having seen it, the shopper checks out what is there.
    const accepted = await s.checkout(short);
    assert.equal(accepted.status, 201, accepted.text);
    assert.deepEqual(accepted.json.order.lines.map((l) => [l.variant_id, l.quantity]), [[v.id, 1]]);
  });
});

describe('unpaid orders', () => {
  it('expire on time: status, history, outbox message and stock all move once', async () => {
    const [v] = pool.take(1);
    const before = await s.stockRows([v]);
    const { order } = await s.placeOrder([[v.id, 2]]);
    assert.equal(order.status, 'pending_payment');

    const expired = await orderReaches(order, 'expired');
    const deadline = unix(order.expires_at);
    assert.deepEqual(expired.events.map((e) => [e.from, e.to]), [[null, 'pending_payment'], ['pending_payment', 'expired']]);
    const at = unix(expired.events[1].at);
    assert.ok(at >= deadline && at <= deadline + ON_TIME_SLACK_SECONDS, `expired at ${at}, on time for ${deadline}`);
    assert.ok(['alarm', 'sweep'].includes(expired.events[1].actor), expired.events[1].actor);
    assert.deepEqual(expired.payments.map((p) => p.status), ['pending'], 'the payment is left as it was');

    const [outbox, holds, row] = await shop.sqlAll(`
      SELECT kind, dedupe_key, json_extract(payload, '$.status') AS status FROM outbox WHERE json_extract(payload, '$.order_id') = '${order.id}' ORDER BY id;
      SELECT state FROM holds WHERE order_id = '${order.id}';
      SELECT status, stock_state FROM orders WHERE id = '${order.id}'`);
    assert.deepEqual(outbox, [
      { kind: 'order_placed', dedupe_key: `order_placed:${order.id}`, status: 'pending_payment' },
      { kind: 'order_expired', dedupe_key: `order_expired:${order.id}`, status: 'expired' },
    ]);
    assert.deepEqual(holds, [{ state: 'released' }]);
    assert.deepEqual(row, [{ status: 'expired', stock_state: 'released' }]);
    assert.deepEqual(await s.stockRows([v]), before, 'its units are back on sale');
  });
});

describe('a payment after expiry', () => {
  it('revives the order as paid when its stock is still there, taking the units once', async () => {
    const [v] = pool.take(1);
    const { order } = await s.placeOrder([[v.id, 2]]);
    await orderReaches(order, 'expired');
    const before = await s.stockRows([v]);
    const res = await s.pay(order);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.applied, 'Revived');
    const paid = (await s.getOrder(order.id, order.access_token)).json.order;
    assert.equal(paid.status, 'paid');
    assert.deepEqual(paid.events.map((e) => [e.from, e.to]), [[null, 'pending_payment'], ['pending_payment', 'expired'], ['expired', 'paid']]);
    assert.deepEqual(paid.payments.map((p) => p.status), ['succeeded']);
    assert.notEqual(paid.paid_at, null);
    const after = await s.stockRows([v]);
    assert.equal(after[v.id].on_hand, before[v.id].on_hand - 2, 'sold once');
    assert.equal(after[v.id].reserved, before[v.id].reserved, 'nothing left reserved for it');
    // Redelivered: nothing more happens.
    assert.equal((await s.pay(order)).json.applied, 'Unchanged');
    assert.deepEqual(await s.stockRows([v]), after);
  });

  it('flags the order for a refund when its stock is gone, leaving stock alone', async () => {
    const [v] = pool.take(1);
    const { order } = await s.placeOrder([[v.id, 2]]);
    await orderReaches(order, 'expired');
    // Meanwhile the shop sold all but one of them elsewhere.
    await shop.sql(`UPDATE variants SET on_hand = 1 WHERE id = ${v.id}`);
    pool.override(v.id, 1);
    const before = await s.stockRows([v]);
    assert.deepEqual(before[v.id], { id: v.id, on_hand: 1, reserved: 0 });
    const res = await s.pay(order);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.applied, 'NeedsRefund');
    const flagged = (await s.getOrder(order.id, order.access_token)).json.order;
    assert.equal(flagged.status, 'needs_refund');
    assert.deepEqual(flagged.events.map((e) => [e.from, e.to]), [[null, 'pending_payment'], ['pending_payment', 'expired'], ['expired', 'needs_refund']]);
    assert.deepEqual(flagged.payments.map((p) => p.status), ['succeeded'], 'the money is on record for the refund');
    assert.deepEqual(await s.stockRows([v]), before, 'stock unchanged');
    const [outbox] = await shop.sqlAll(`SELECT kind FROM outbox WHERE json_extract(payload, '$.order_id') = '${order.id}' ORDER BY id`);
    assert.deepEqual(outbox.map((o) => o.kind), ['order_placed', 'order_expired', 'order_needs_refund']);
  });
});

describe('the alarm, the sweep and a late payment racing at expiry', () => {
  it('release or sell each order\'s stock exactly once', async () => {
    const variants = pool.take(4);
    const before = await s.stockRows(variants);
    // Two orders will be paid as they expire, two left to expire; each on its own variant.
    const placed = await Promise.all(variants.map(async (v, i) => ({ ...(await s.placeOrder([[v.id, i + 1]])), variant: v, quantity: i + 1, pays: i % 2 === 0 })));
    const lastDeadline = Math.max(...placed.map((p) => unix(p.order.expires_at)));
    await sleepUntil(lastDeadline);
    const results = await Promise.all(placed.flatMap((p) => [
      s.runAlarm(p.cart.id),
      s.runAlarm(p.cart.id),
      s.sweep(),
      ...(p.pays ? [s.pay(p.order)] : []),
    ]));
    assert.deepEqual(results.filter((r) => r.status !== 200).map((r) => r.text), [], 'every call succeeds');

    const after = await s.stockRows(variants);
    for (const p of placed) {
      const o = (await s.getOrder(p.order.id, p.order.access_token)).json.order;
      const moves = o.events.map((e) => `${e.from}>${e.to}`);
      const v = p.variant.id;
      if (p.pays) {
        // Paid before the expiry got to it, or expired and then revived: sold once either way.
        assert.equal(o.status, 'paid', moves.join(' '));
        assert.ok(
          ['null>pending_payment pending_payment>paid', 'null>pending_payment pending_payment>expired expired>paid'].includes(moves.join(' ')),
          moves.join(' '),
        );
        assert.equal(after[v].on_hand, before[v].on_hand - p.quantity, 'on_hand decreased once');
      } else {
        assert.equal(o.status, 'expired');
        assert.deepEqual(moves, ['null>pending_payment', 'pending_payment>expired'], 'expired once');
        assert.equal(after[v].on_hand, before[v].on_hand);
      }
      assert.equal(after[v].reserved, before[v].reserved, 'released once: never below what it was');
    }
    await assertStockReconciles(assert, shop, pool.baseline);
  });
});

describe('stock reconciliation', () => {
  it('explains every variant\'s reserved and on_hand by holds and orders, over the whole database', async () => {
    const { orders } = await assertStockReconciles(assert, shop, pool.baseline);
    assert.ok(orders.length >= 7, 'the orders of this file are all there');
  });
});
