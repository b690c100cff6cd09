// Helpers for the cart, checkout, order, payment and /internal endpoints, one per endpoint in the
// style of zero2prod's TestApp, plus reading a variant's stock and the stock reconciliation the
// order tests assert after every race.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';

import { parseHtml } from './html.mjs';
import { catalog } from './seed.mjs';

/** A complete, valid checkout body (Vietnamese address and mobile number). */
export function checkoutBody(overrides = {}) {
  return {
    email: 'an.nguyen@example.vn',
    name: 'Nguyễn Văn An',
    phone: '0912 345 678',
    // Phường Hoàn Kiếm, Hà Nội: another region than the warehouse (Hồ Chí Minh City).
    address: { line1: '12 Lý Thường Kiệt', province_code: '01', ward_code: '00070', country: 'VN' },
    shipping_method: 'standard',
    payment_provider: 'sandbox',
    ...overrides,
  };
}

/** The checkout page's form fields (`address.line1`, …) for a checkout body, as a shopper fills them in. */
export function checkoutForm(body = checkoutBody()) {
  return {
    email: body.email,
    name: body.name,
    phone: body.phone,
    'address.line1': body.address.line1,
    'address.province_code': body.address.province_code ?? '',
    'address.ward_code': body.address.ward_code ?? '',
    'address.province': body.address.province ?? '',
    'address.postal_code': body.address.postal_code ?? '',
    'address.country': body.address.country,
    shipping_method: body.shipping_method,
    payment_provider: body.payment_provider,
  };
}

/** `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as the sandbox provider signs. */
export function signSandbox(secret, body, t = Math.floor(Date.now() / 1000)) {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export const newKey = () => randomBytes(16).toString('hex');

/** `token` with its last hex digit changed: a forgery one digit away from the real thing. */
export const flip = (token) => token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));

/**
 * The seeded rate table (migrations/0023_shipping_zones.sql) as [up to grams, fee] brackets per zone
 * and method, written out here as an independent statement of what the shop charges.
 */
export const RATES = {
  same_province: { standard: [[500, 20_000], [1000, 22_000], [2000, 25_000], [5000, 35_000], [Infinity, 50_000]], express: [[500, 35_000], [1000, 38_000], [2000, 45_000], [5000, 60_000]] },
  same_region: { standard: [[500, 25_000], [1000, 28_000], [2000, 32_000], [5000, 45_000], [Infinity, 65_000]], express: [[500, 45_000], [1000, 50_000], [2000, 60_000], [5000, 80_000]] },
  other_region: { standard: [[500, 30_000], [1000, 35_000], [2000, 42_000], [5000, 60_000], [Infinity, 90_000]], express: [[500, 60_000], [1000, 70_000], [2000, 85_000], [5000, 115_000]] },
  international: { standard: [[500, 250_000], [1000, 350_000], [2000, 500_000], [5000, 900_000]], express: [] },
};
export const FREE_STANDARD_FROM = 1_000_000;

/** The fee for a parcel of `grams` to `zone` by `method` (undefined: not offered); standard is free in Vietnam from the threshold. */
export function shippingFee(method, subtotal, grams, zone = 'other_region') {
  const bracket = RATES[zone][method].find(([max]) => grams <= max);
  if (!bracket) return undefined;
  return method === 'standard' && zone !== 'international' && subtotal >= FREE_STANDARD_FROM ? 0 : bracket[1];
}

/** The standard fee to the checkout body's address (Hà Nội, another region than the warehouse). */
export const standardFee = (subtotal, grams) => shippingFee('standard', subtotal, grams);

/** Resolves once `probe()` returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor(what, probe, { timeoutMs = 30_000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * JSON and HTML helpers bound to one running shop (see shop.mjs `startShop`).
 */
export function shopping(shop) {
  async function api(method, path, { body, headers = {} } = {}) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers['content-type'] ??= 'application/json';
    }
    const res = await shop.request(path, init);
    let json = null;
    try { json = JSON.parse(res.text); } catch { /* left null: the test says what it expected */ }
    return { ...res, json };
  }

  const cartHeaders = (cart) => ({ 'x-cart-token': cart.token });

  const s = {
    api,
    /** POST /api/v1/carts → { id, token, … } (asserts 201). */
    async createCart() {
      const res = await api('POST', '/api/v1/carts');
      if (res.status !== 201) throw new Error(`create cart: ${res.status} ${res.text}`);
      return res.json;
    },
    getCart: (cart) => api('GET', `/api/v1/carts/${cart.id}`, { headers: cartHeaders(cart) }),
    addItem: (cart, variant_id, quantity = 1) => api('POST', `/api/v1/carts/${cart.id}/items`, { body: { variant_id, quantity }, headers: cartHeaders(cart) }),
    setItem: (cart, lineId, quantity) => api('PATCH', `/api/v1/carts/${cart.id}/items/${lineId}`, { body: { quantity }, headers: cartHeaders(cart) }),
    removeItem: (cart, lineId) => api('DELETE', `/api/v1/carts/${cart.id}/items/${lineId}`, { headers: cartHeaders(cart) }),
    /**
     * A new cart holding `lines` ([[variant or variant id, quantity], …]), each add asserted 201;
     * returns { cart, view } (`view`: the cart as the last add answered it).
     */
    async cartWith(lines) {
      const cart = await s.createCart();
      let view = null;
      for (const [variant, quantity] of lines) {
        const res = await s.addItem(cart, variant?.id ?? variant, quantity);
        assert.equal(res.status, 201, res.text);
        view = res.json;
      }
      return { cart, view };
    },
    /** POST /api/v1/carts/{id}/coupons: enters `code` in the cart. */
    applyCode: (cart, code) => api('POST', `/api/v1/carts/${cart.id}/coupons`, { body: { code }, headers: cartHeaders(cart) }),
    /** DELETE /api/v1/carts/{id}/coupons/{code}. */
    removeCode: (cart, code) => api('DELETE', `/api/v1/carts/${cart.id}/coupons/${code}`, { headers: cartHeaders(cart) }),
    /** POST /api/v1/carts/{id}/shipping-quote `{province_code, ward_code, country}`. */
    shippingQuote: (cart, place) => api('POST', `/api/v1/carts/${cart.id}/shipping-quote`, { body: place, headers: cartHeaders(cart) }),
    checkout: (cart, body = checkoutBody(), key = newKey()) =>
      api('POST', `/api/v1/carts/${cart.id}/checkout`, { body, headers: { ...cartHeaders(cart), ...(key ? { 'idempotency-key': key } : {}) } }),
    getOrder: (orderId, token) => api('GET', `/api/v1/orders/${orderId}`, { headers: token ? { 'x-order-token': token } : {} }),
    /** Creates a cart, adds `lines` (as `cartWith`) and checks out; returns { cart, order, payment, res }. */
    async placeOrder(lines, body = checkoutBody()) {
      const { cart } = await s.cartWith(lines);
      const res = await s.checkout(cart, body);
      if (res.status !== 201) throw new Error(`checkout: ${res.status} ${res.text}`);
      return { cart, order: res.json.order, payment: res.json.payment, res };
    },
    /** The body of a sandbox notification for an order's (first) payment. */
    notification(order, { status = 'succeeded', eventId = newKey(), amount = order.payments[0].amount, payment = order.payments[0] } = {}) {
      return JSON.stringify({ event_id: eventId, payment_id: payment.id, order_id: order.id, amount, currency: 'VND', status });
    },
    /** POST /webhooks/sandbox with a valid signature (unless `signature` is given). */
    webhook(body, { signature = signSandbox(shop.secrets.sandboxWebhook, body) } = {}) {
      return api('POST', '/webhooks/sandbox', { body, headers: signature === null ? {} : { 'sandbox-signature': signature } });
    },
    pay: (order, options = {}) => s.webhook(s.notification(order, options)),

    // --- /internal/* (the owner's and the cron's endpoints) -------------------------------------

    /** The Authorization header of /internal/*: the shop's internal bearer token. */
    internalAuth: () => ({ authorization: `Bearer ${shop.secrets.internal}` }),
    /** A call to /internal/* with the internal token (and `headers`); `body`, when given, is sent as JSON. */
    internal: (method, path, body, headers = {}) => api(method, path, { body, headers: { ...s.internalAuth(), ...headers } }),
    /** POST /internal/carts/{id}/alarm: runs the cart's alarm work now. */
    runAlarm: (cartId) => s.internal('POST', `/internal/carts/${cartId}/alarm`),
    /** POST /internal/sweep: runs the cron sweep now. */
    sweep: () => s.internal('POST', '/internal/sweep'),

    // --- stock ---------------------------------------------------------------------------------

    /** Stock of `variants` (objects with an `id`): `{ [id]: { on_hand, reserved } }`. */
    async stock(variants) {
      const rows = await s.stockRows(variants);
      return Object.fromEntries(Object.values(rows).map(({ id, on_hand, reserved }) => [id, { on_hand, reserved }]));
    },
    /** The same as `stock`, each value the whole row: `{ [id]: { id, on_hand, reserved } }`. */
    async stockRows(variants) {
      const rows = await shop.sql(`SELECT id, on_hand, reserved FROM variants WHERE id IN (${variants.map((v) => v.id).join(', ')}) ORDER BY id`);
      return Object.fromEntries(rows.map((r) => [r.id, r]));
    },

    // --- HTML ----------------------------------------------------------------------------------

    /**
     * What a browser holds after loading one of the shop's forms: the CSRF token rendered into the
     * form and the Cookie header including the binding cookie the page set (a guest's
     * `vestify_csrf`; a signed-in shopper's token is bound to their session cookie instead).
     * `page` is any page with a POST form; the default is a product page's add-to-cart form.
     */
    async formToken(cookie, page = `/p/${catalog().active[0].slug}`) {
      const res = await shop.request(page, { headers: cookie ? { cookie } : {} });
      const token = parseHtml(res.text).find('form[method="post"] input[name="csrf"]')?.attr('value');
      if (!token) throw new Error(`no CSRF token on ${page}: ${res.status}`);
      return { token, cookie: mergeCookies(cookie, cookiesOf(res).header) };
    },
    /**
     * A browser-like form POST from the shop's own pages; `cookie` is the Cookie header. The CSRF
     * token comes from a page as a browser would get it (`formToken`), unless `fields.csrf` is given
     * (`null` sends none).
     */
    async postForm(path, fields, { cookie, headers = {}, tokenPage } = {}) {
      let body = { ...fields };
      let sent = cookie;
      if (!('csrf' in fields)) {
        const held = await s.formToken(cookie, tokenPage);
        body.csrf = held.token;
        sent = held.cookie;
      } else if (fields.csrf === null) {
        delete body.csrf;
      }
      return shop.request(path, {
        method: 'POST',
        body: new URLSearchParams(body).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: shop.url,
          'sec-fetch-site': 'same-origin',
          ...(sent ? { cookie: sent } : {}),
          ...headers,
        },
      });
    },
    async getPage(path, cookie) {
      const res = await shop.request(path, { headers: cookie ? { cookie } : {} });
      return { ...res, doc: parseHtml(res.text) };
    },
  };
  return s;
}

/** A Cookie header with `extra`'s cookies added to (or replacing those of the same name in) `base`. */
export function mergeCookies(base, extra) {
  const jar = new Map();
  for (const part of [base, extra].filter(Boolean).join('; ').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (!name) continue;
    const value = rest.join('=');
    if (value === '') jar.delete(name);
    else jar.set(name, value);
  }
  return [...jar].map(([n, v]) => `${n}=${v}`).join('; ');
}

/** `name=value` pairs of a response's Set-Cookie headers, as a Cookie header; and the raw headers. */
export function cookiesOf(res) {
  const raw = res.headers.getSetCookie();
  return { raw, header: raw.map((c) => c.split(';')[0]).join('; ') };
}

/**
 * Hands out seeded variants that are on sale (active, of an active product), each once, so the
 * tests of one file never share a variant's stock; each variant's seeded `on_hand`; and the starting
 * stock the reconciliation expects (`baseline`), which follows the `on_hand` a test set by SQL
 * (`override`).
 */
export function variantPool({ minOnHand = 12 } = {}) {
  const c = catalog();
  const onSale = c.active
    .flatMap((p) => c.variantsOf(p).map((v) => ({ ...v, slug: p.slug })))
    .filter((v) => v.on_hand >= minOnHand)
    .sort((a, b) => a.id - b.id);
  const taken = new Set();
  const overrides = new Map();
  const seedOnHand = (id) => c.variants.find((v) => v.id === id).on_hand;
  return {
    /** `n` variants not handed out before, optionally only those `where(variant)` accepts. */
    take(n = 1, where = () => true) {
      const picked = onSale.filter((v) => !taken.has(v.id) && where(v)).slice(0, n);
      if (picked.length < n) throw new Error('variant pool exhausted');
      for (const v of picked) taken.add(v.id);
      return picked;
    },
    seedOnHand,
    /** Records that a test set variant `id`'s on_hand to `onHand` by SQL. */
    override: (id, onHand) => overrides.set(id, onHand),
    /** A variant's starting stock for `assertStockReconciles`: as seeded, unless a test overrode it. */
    baseline: (id) => overrides.get(id) ?? seedOnHand(id),
    /** Seeded variants that are not on sale (inactive, or of a product that is not active). */
    notOnSale: () => c.variants.filter((v) => v.status !== 'active' || c.productById(v.product_id).status !== 'active'),
  };
}

/** Statuses in which an order's units are sold (stock committed): paid, or confirmed cash on delivery. */
export const PAID_STATUSES = ['paid', 'confirmed', 'fulfilled', 'delivered', 'partially_refunded'];

/**
 * Every variant's stock next to what should explain it: units in live holds, in unpaid orders, and
 * sold by paid orders; and every order's status next to where it says its stock is.
 */
export async function stockLedger(shop) {
  const paid = PAID_STATUSES.map((x) => `'${x}'`).join(', ');
  const [variants, orders] = await shop.sqlAll(`
    SELECT v.id, v.on_hand, v.reserved,
      COALESCE((SELECT SUM(h.quantity) FROM holds h WHERE h.variant_id = v.id AND h.state = 'held'), 0) AS held,
      COALESCE((SELECT SUM(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id
                WHERE l.variant_id = v.id AND o.status = 'pending_payment'), 0) AS pending,
      COALESCE((SELECT SUM(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id
                WHERE l.variant_id = v.id AND o.status IN (${paid})), 0) AS sold
    FROM variants v ORDER BY v.id;
    SELECT id, status, stock_state FROM orders ORDER BY id`);
  return { variants, orders };
}

/**
 * Asserts the whole database's stock is explained: for every variant, `reserved` is exactly its live
 * holds plus its unpaid orders' units, and `on_hand` is its starting stock (`baseline(variant)`)
 * less the units of paid orders; every order's stock_state matches its status.
 */
export async function assertStockReconciles(assert, shop, baseline) {
  const { variants, orders } = await stockLedger(shop);
  const wrong = variants.filter((v) => v.reserved !== v.held + v.pending || v.on_hand !== baseline(v.id) - v.sold || v.on_hand - v.reserved < 0);
  assert.deepEqual(
    wrong.map((v) => ({ ...v, expected_reserved: v.held + v.pending, expected_on_hand: baseline(v.id) - v.sold })),
    [],
    'every variant reconciles',
  );
  const expectedStock = { pending_payment: 'reserved', paid: 'committed', confirmed: 'committed', expired: 'released', needs_refund: 'released', returned: 'released' };
  assert.deepEqual(orders.filter((o) => o.stock_state !== (expectedStock[o.status] ?? o.stock_state)), [], 'every order says where its stock is');
  return { variants, orders };
}

/**
 * A running bundle of `productIds` with `percent` off each complete set, written as the admin's
 * form writes it (`app::bundles`: an automatic promotion plus its `bundle_products`); its id.
 */
export async function createBundle(shop, productIds, percent = 10, { name_vi = 'Mua kèm giảm 10%', name_en = '10% off together' } = {}) {
  const ids = productIds.join(',');
  const rule = JSON.stringify({ benefit: { type: 'bundle_percent', products: productIds, percent }, target: { type: 'products', ids: productIds } });
  const rows = await shop.sqlAll(`
    INSERT INTO promotions (name_vi, name_en, automatic, status, rule, priority, combinable, created_at, updated_at) VALUES ('${name_vi}', '${name_en}', 1, 'active', '${rule}', 0, 1, 0, 0);
    ${productIds.map((p, i) => `INSERT INTO bundle_products (promotion_id, product_id, position) SELECT MAX(id), ${p}, ${i} FROM promotions;`).join('\n')}
    SELECT MAX(id) AS id FROM promotions WHERE json_extract(rule, '$.benefit.products') = json('[${ids}]');`);
  return rows[rows.length - 1][0].id;
}
