// The cart follows the signed-in shopper: one cart per account reached from every device, a guest
// cart merged into it on sign-in (once, holds moved not doubled), forgotten by the device on
// sign-out; and promotions that depend on the account (signed-in only, uses per account, first
// order) decided at checkout — the first-order one inside the order's batch, so a race cannot win
// it twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { browser, newEmail, newShopper, PASSWORD } from './support/accounts.mjs';
import { parseHtml } from './support/html.mjs';
import { s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, checkoutForm, newKey, variantPool } from './support/shopping.mjs';

const pool = variantPool();

useShop({ timeoutMs: 300_000 });

/** Adds `quantity` of `variant` from its product page's form, as a browser does. */
async function add(b, variant, quantity = 1) {
  const res = await b.submit('/cart/items', { variant_id: String(variant.id), quantity: String(quantity) }, { page: `/p/${variant.slug}` });
  assert.equal(res.status, 303, res.text);
  assert.doesNotMatch(res.headers.get('location') ?? '', /notice=/, 'added without a refusal');
}

/** The cart page's lines as { sku: quantity }. */
async function lines(b) {
  const page = await b.get('/cart');
  assert.equal(page.status, 200);
  const out = {};
  for (const row of page.doc.findAll('tr[data-sku]')) {
    out[row.attr('data-sku')] = Number(row.find('input[name="quantity"]')?.attr('value'));
  }
  return out;
}

const accountCart = async (email) => (await shop.sql(`SELECT cart_id FROM customers WHERE email = '${email}'`))[0]?.cart_id ?? null;

/** Units of `variant` in live holds, per cart, and the variant's `reserved`. */
async function holds(variant) {
  const [rows, [v]] = await shop.sqlAll(`
    SELECT cart_id, SUM(quantity) AS n FROM holds WHERE variant_id = ${variant.id} AND state = 'held' GROUP BY cart_id ORDER BY cart_id;
    SELECT reserved FROM variants WHERE id = ${variant.id}`);
  return { byCart: Object.fromEntries(rows.map((r) => [r.cart_id, r.n])), reserved: v.reserved };
}

describe('the cart follows the signed-in shopper', () => {
  it('is the same cart on every device the shopper signs in on', async () => {
    const [v, w] = pool.take(2);
    const { email, b: phone } = await newShopper(shop, 'cart');
    await add(phone, v, 2);
    const cartId = await accountCart(email);
    assert.match(cartId ?? '', /^[0-9a-f]{32}$/, 'the first cart of a signed-in shopper becomes the account cart');

    const laptop = browser(shop);
    assert.equal((await laptop.logIn(email)).status, 303);
    assert.deepEqual(await lines(laptop), { [v.sku]: 2 }, 'the laptop sees what the phone added');
    await add(laptop, w, 1);
    assert.deepEqual(await lines(phone), { [v.sku]: 2, [w.sku]: 1 }, 'and the phone what the laptop added');
    assert.equal(await accountCart(email), cartId);

    // Signing out forgets the cart on that device only; signing back in brings it back.
    assert.equal((await laptop.logOut()).status, 303);
    assert.deepEqual(await lines(laptop), {}, 'a signed-out device shows no cart');
    assert.deepEqual(await lines(phone), { [v.sku]: 2, [w.sku]: 1 });
    assert.equal((await laptop.logIn(email)).status, 303);
    assert.deepEqual(await lines(laptop), { [v.sku]: 2, [w.sku]: 1 });
  });

  it('merges a guest cart on sign-in once, moving its holds instead of doubling them', async () => {
    const [v, w] = pool.take(2);
    const { email, b: first } = await newShopper(shop, 'cart');
    await add(first, v, 1);
    assert.equal((await first.logOut()).status, 303);

    const guest = browser(shop);
    await add(guest, v, 2);
    await add(guest, w, 3);
    const guestCookie = guest.cookie;
    const guestCart = /vestify_cart=([0-9a-f]{32})\./.exec(guestCookie)?.[1];
    assert.ok(guestCart, 'the guest has a cart cookie');
    const before = await holds(v);
    assert.equal(before.byCart[guestCart], 2);

    assert.equal((await guest.logIn(email)).status, 303);
    const account = await accountCart(email);
    assert.notEqual(account, guestCart);
    assert.deepEqual(await lines(guest), { [v.sku]: 3, [w.sku]: 3 }, 'quantities of the same variant add up');
    const afterV = await holds(v);
    assert.deepEqual(afterV.byCart, { [account]: 3 }, 'the account cart holds everything; the guest cart nothing');
    assert.equal(afterV.reserved, before.reserved, "the guest's units moved; none are reserved twice");
    assert.deepEqual((await holds(w)).byCart, { [account]: 3 });

    // The same guest cookie signing in again (a replayed or doubled sign-in) merges nothing more.
    const replay = browser(shop);
    replay.cookie = guestCookie;
    assert.equal((await replay.logIn(email)).status, 303);
    assert.deepEqual(await lines(replay), { [v.sku]: 3, [w.sku]: 3 });
    assert.deepEqual((await holds(v)).byCart, { [account]: 3 });
  });

  it('never merges a cart that belongs to another account', async () => {
    const [v] = pool.take(1);
    const a = await newShopper(shop, 'cart');
    await add(a.b, v, 1);
    const aCart = await accountCart(a.email);
    const leftover = a.b.cookie.replace(/(?:^|; )vestify_session=[^;]*/, '');
    const b = await newShopper(shop, 'cart');
    assert.equal((await b.b.logOut()).status, 303);
    const shared = browser(shop);
    shared.cookie = leftover; // A's cart cookie left on a shared device without A's session
    assert.equal((await shared.logIn(b.email)).status, 303);
    assert.deepEqual(await lines(shared), {}, "B does not get A's cart");
    assert.notEqual(await accountCart(b.email), aCart);
    assert.deepEqual((await holds(v)).byCart, { [aCart]: 1 }, "A's cart is untouched");
  });
});

describe('a checkout after the session expired', () => {
  /** A signed-in shopper with one item, their checkout page shown, then idle past the timeout. */
  async function expiredAtCheckout(tag) {
    const { email, b } = await newShopper(shop, tag);
    await add(b, pool.take(1)[0], 1);
    const csrf = await b.token('/checkout', '/checkout');
    const [c] = await shop.sql(`SELECT id FROM customers WHERE email = '${email}'`);
    await shop.sql(`UPDATE sessions SET last_seen_at = last_seen_at - ${7 * 86400 + 5} WHERE subject_id = '${c.id}'`);
    const fields = { ...checkoutForm(checkoutBody({ email, name: 'Nguyễn Thị Bình' })), idempotency_key: newKey() };
    return { b, email, id: c.id, csrf, fields };
  }
  const ordersOf = (email) => shop.sql(`SELECT customer_id FROM orders WHERE email = '${email}'`);

  it('asks instead of silently placing a guest order, keeping what was typed, and signs in back to the checkout', async () => {
    const { b, email, id, csrf, fields } = await expiredAtCheckout('expired');
    const asked = await b.submit('/checkout', fields, { csrf });
    assert.equal(asked.status, 409, asked.text.slice(0, 500));
    assert.match(asked.text, /Phiên đăng nhập của bạn đã hết hạn/);
    assert.deepEqual(await ordersOf(email), [], 'no order placed');
    const doc = parseHtml(asked.text);
    const signIn = doc.findAll('.session-ended a').map((a) => a.attr('href'));
    assert.deepEqual(signIn, ['/account/login?notice=session_expired&return=%2Fcheckout']);
    assert.equal(doc.find('form.checkout-form input[name="email"]').attr('value'), email, 'what was typed is kept');
    assert.equal(doc.find('form.checkout-form input[name="as_guest"]').attr('value'), '1');
    assert.match(doc.find('button.place-order').text, /Đặt hàng với tư cách khách/);
    // The sign-in page says why, and leads back to the checkout; the order is then the account's.
    const login = await b.get(signIn[0]);
    assert.match(login.text, /Phiên đăng nhập của bạn đã hết hạn/);
    const back = await b.submit('/account/login?return=%2Fcheckout', { email, password: PASSWORD }, { page: signIn[0] });
    assert.equal(back.status, 303);
    assert.equal(back.headers.get('location'), '/checkout');
    const placed = await b.submit('/checkout', { ...fields, idempotency_key: newKey() }, { page: '/checkout' });
    assert.equal(placed.status, 303, placed.text.slice(0, 500));
    assert.deepEqual(await ordersOf(email), [{ customer_id: id }]);
  });

  it('places a guest order only when the shopper chooses to, and then forgets the ended session', async () => {
    const { b, email, csrf, fields } = await expiredAtCheckout('guest');
    const en = await b.get('/en/checkout');
    assert.match(en.text, /Your session has expired/, 'the page says so before anything is typed');
    assert.equal((await b.submit('/checkout', fields, { csrf })).status, 409);
    const placed = await b.submit('/checkout', { ...fields, as_guest: '1' }, { csrf });
    assert.equal(placed.status, 303, placed.text.slice(0, 500));
    assert.deepEqual(await ordersOf(email), [{ customer_id: null }]);
    assert.ok(placed.headers.getSetCookie().some((c) => /^vestify_session=;/.test(c)), 'the stale session cookie goes');
  });
});

describe('a signed-in checkout', () => {
  it('is pre-filled from the profile and the address book, applies the saved address chosen, and saves a new one when asked', async () => {
    const { email, b } = await newShopper(shop, 'prefill');
    assert.equal((await b.submit('/account/profile', { name: 'Lê Thị Dung', phone: '84912000111' }, { page: '/account' })).status, 303);
    const book = [
      { name: 'Lê Thị Dung', phone: '0912000111', 'address.line1': '1 Lê Lợi', 'address.province_code': '79', 'address.ward_code': '25747', 'address.country': 'VN' },
      { name: 'Lê Văn Em', phone: '0987000222', 'address.line1': '9 Tràng Tiền', 'address.province_code': '01', 'address.ward_code': '00070', 'address.country': 'VN' },
    ];
    for (const a of book) assert.equal((await b.submit('/account/addresses', a, { page: '/account' })).status, 303);
    const [c] = await shop.sql(`SELECT id FROM customers WHERE email = '${email}'`);
    const ids = Object.fromEntries((await shop.sql(`SELECT id, line1 FROM addresses WHERE customer_id = '${c.id}'`)).map((r) => [r.line1, r.id]));
    // The first address saved is the default until the shopper makes the second one the default.
    assert.equal((await b.submit(`/account/addresses/${ids['9 Tràng Tiền']}/default`, {}, { page: '/account' })).status, 303);
    await add(b, pool.take(1)[0], 1);

    const page = await b.get('/checkout');
    assert.equal(page.status, 200);
    const value = (name) => page.doc.find(`form.checkout-form input[name="${name}"]`)?.attr('value');
    assert.deepEqual(['email', 'name', 'phone', 'address.line1'].map(value), [email, 'Lê Thị Dung', '0912 000 111', '9 Tràng Tiền']);
    const choices = page.doc.findAll('input[name="saved_address"]').map((r) => [r.attr('value'), r.attr('checked') !== null && r.attr('checked') !== undefined]);
    assert.deepEqual(choices, [[ids['9 Tràng Tiền'], true], [ids['1 Lê Lợi'], false], ['new', false]]);

    // The other saved address, chosen without script: the fields still say the default one; the choice wins.
    const fields = { ...checkoutForm(checkoutBody({ email: '', name: 'Lê Thị Dung', phone: '0912 000 111' })), idempotency_key: newKey() };
    const chosen = await b.submit('/checkout', { ...fields, 'address.line1': '9 Tràng Tiền', saved_address: ids['1 Lê Lợi'] }, { page: '/checkout' });
    assert.equal(chosen.status, 303, chosen.text.slice(0, 500));
    const [first] = await shop.sql(`SELECT address_line1, address_province, customer_id FROM orders WHERE customer_id = '${c.id}'`);
    assert.deepEqual(first, { address_line1: '1 Lê Lợi', address_province: 'Thành phố Hồ Chí Minh', customer_id: c.id });

    // A new address, saved to the book once the order is placed.
    await add(b, pool.take(1)[0], 1);
    const typed = { ...fields, idempotency_key: newKey(), saved_address: 'new', save_address: '1', 'address.line1': '25 Hàng Bạc', 'address.province_code': '01', 'address.ward_code': '00070' };
    assert.equal((await b.submit('/checkout', typed, { page: '/checkout' })).status, 303);
    const saved = await shop.sql(`SELECT line1, phone, province_code, ward_code FROM addresses WHERE customer_id = '${c.id}' ORDER BY created_at DESC, rowid DESC`);
    assert.deepEqual(saved[0], { line1: '25 Hàng Bạc', phone: '+84912000111', province_code: '01', ward_code: '00070' });
    assert.equal(saved.length, 3);
  });
});

describe('promotions that depend on the account', () => {
  async function promotion(fields) {
    const res = await s.internal('POST', '/internal/promotions', { name_vi: 'Ưu đãi thành viên', name_en: 'Members', ...fields });
    assert.equal(res.status, 201, res.text);
    return res.json;
  }
  const code = (stem) => `${stem}${newKey().slice(0, 6).toUpperCase()}`;
  const form = (email) => checkoutForm(checkoutBody({ email, name: 'Nguyễn Thị Bình' }));
  /** Adds a variant and enters `coupon` in the cart; returns the coupon form's response. */
  async function enter(b, coupon) {
    await add(b, pool.take(1)[0], 1);
    return b.submit('/cart/coupons', { code: coupon }, { page: '/cart' });
  }
  /** …then submits the checkout form; returns the response. */
  async function checkoutWith(b, coupon, email) {
    const applied = await enter(b, coupon);
    assert.equal(applied.status, 303, applied.text);
    return b.submit('/checkout', { ...form(email), idempotency_key: newKey() }, { page: '/checkout' });
  }
  const redemptions = (id) => shop.sql(`SELECT r.customer_account, o.customer_id FROM promotion_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.promotion_id = ${id} AND r.state = 'claimed'`);

  it('gives a signed-in-only code to signed-in shoppers, counting uses per account', async () => {
    const c = code('MEMBER');
    const promo = await promotion({ benefit: { type: 'percent_off', percent: 10 }, codes: [c], eligibility: { type: 'signed_in' }, per_customer_limit: 1 });

    const refused = await enter(browser(shop), c);
    assert.equal(refused.status, 422, 'a guest cannot use it');
    assert.match(refused.text, new RegExp(`Mã ${c} chỉ dành cho khách đã đăng nhập`));

    const { email, b } = await newShopper(shop, 'cart');
    const first = await checkoutWith(b, c, email);
    assert.equal(first.status, 303, first.text.replace(/[\s\S]*<main/, '').slice(0, 3000));
    const [row] = await redemptions(promo.id);
    assert.ok(row.customer_account, 'the use is recorded against the account');
    assert.equal(row.customer_account, row.customer_id, 'and the order belongs to the account');

    // Another email and phone, same account: the per-account limit still counts.
    const again = await checkoutWith(b, c, newEmail('other'));
    assert.equal(again.status, 409, again.text);
    assert.match(again.text, new RegExp(`Bạn đã dùng hết lượt của mã ${c}`));
    assert.equal((await redemptions(promo.id)).length, 1);
  });

  it('lets only one of two racing first orders of one shopper use a first-order code', async () => {
    const c = code('FIRST');
    const promo = await promotion({ benefit: { type: 'amount_off', amount: 50000 }, codes: [c], first_order_only: true, combinable: true });
    const email = newEmail('race');
    const carts = [];
    for (let i = 0; i < 4; i += 1) {
      const { cart } = await s.cartWith([[pool.take(1)[0], 1]]);
      assert.equal((await s.applyCode(cart, c)).status, 200);
      carts.push(cart);
    }
    const body = { email, name: 'Trần Văn Cường', phone: '0987 654 321', address: { line1: '1 Lê Lợi', province_code: '79', ward_code: '26743', country: 'VN' }, shipping_method: 'standard', payment_provider: 'sandbox' };
    const results = await Promise.all(carts.map((cart) => s.checkout(cart, body)));
    const placed = results.filter((r) => r.status === 201);
    assert.equal(placed.length, 1, results.map((r) => `${r.status} ${r.text.slice(0, 200)}`).join('\n'));
    for (const r of results.filter((x) => x.status !== 201)) {
      assert.equal(r.status, 422, r.text);
      assert.equal(r.json.error.rejected[0].rejection.reason, 'first_order_only');
    }
    const [row] = await shop.sql(`SELECT used_count FROM promotions WHERE id = ${promo.id}`);
    assert.equal(row.used_count, 1);
  });
});

describe('the wishlist follows the shopper (docs/WISHLIST.md)', () => {
  /** Variants of `n` products no other test here took, one per product. */
  const products = (n) => {
    const picked = [];
    for (let i = 0; i < n; i += 1) picked.push(...pool.take(1, (v) => !picked.some((p) => p.slug === v.slug)));
    return picked;
  };
  const heart = (b, slug, path = '/wishlist/add') => b.submit(path, { product: slug }, { csrf: null });
  const ids = async (b) => {
    const res = await b.get('/wishlist/ids.json');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
    return JSON.parse(res.text).products.sort();
  };
  const listed = async (b) => (await b.get('/wishlist')).doc.findAll('article.wish-item').map((a) => a.attr('data-product')).sort();

  it('keeps a guest\'s hearts in a signed cookie, leaves cached pages neutral, and merges them into the account on sign-in once', async () => {
    const [mine, theirs, both] = products(3);
    const { email, b: account } = await newShopper(shop, 'wish');
    assert.equal((await heart(account, theirs.slug)).status, 303);
    assert.equal((await heart(account, both.slug)).status, 303);

    const guest = browser(shop);
    const page = await guest.get(`/p/${mine.slug}`);
    assert.equal(page.doc.find(`article.product form.heart[data-wishlist="${mine.slug}"] button`)?.attr('aria-pressed'), 'false');
    const added = await heart(guest, mine.slug);
    assert.deepEqual([added.status, added.headers.get('location')], [303, '/wishlist?done=added']);
    assert.match(guest.cookie, /vestify_wishlist=[^;]+~[0-9a-f]{64}/);
    assert.match(guest.cookie, /vestify_wishlist_n=1/);
    assert.equal((await heart(guest, both.slug)).status, 303);
    assert.equal((await heart(guest, both.slug)).status, 303, 'a second heart changes nothing');
    assert.deepEqual(await ids(guest), [mine.slug, both.slug].sort());
    const again = await guest.get(`/p/${mine.slug}`);
    assert.equal(again.doc.find(`article.product form.heart[data-wishlist="${mine.slug}"] button`)?.attr('aria-pressed'), 'false', 'the cached page is the same for everyone');

    // Another site's form is refused; a forged cookie reads as an empty list; unknown products are 404.
    assert.equal((await heart(guest, theirs.slug)).status, 303);
    assert.equal((await guest.submit('/wishlist/remove', { product: theirs.slug }, { csrf: null, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } })).status, 403);
    assert.equal((await heart(guest, 'no-such-product')).status, 404);
    assert.equal((await guest.submit('/wishlist/remove', { product: theirs.slug }, { csrf: null })).status, 303);
    const forged = browser(shop);
    forged.cookie = guest.cookie.replace(/vestify_wishlist=([^;~]+)/, (_, list) => `vestify_wishlist=${list}.1-1-1`);
    assert.deepEqual(await ids(forged), []);

    // The page: noindex, the products, a read-only share link that a stranger can open.
    const wishlist = await guest.get('/wishlist');
    assert.match(wishlist.text, /<meta name="robots" content="noindex/);
    assert.deepEqual(await listed(guest), [mine.slug, both.slug].sort());
    const share = new URL(wishlist.doc.find('input.share-link').attr('value'));
    const stranger = await browser(shop).get(share.pathname);
    assert.equal(stranger.status, 200);
    assert.deepEqual(stranger.doc.findAll('article.card').map((a) => a.attr('data-product')).sort(), [mine.slug, both.slug].sort());
    assert.equal((await browser(shop).get(share.pathname.replace(/.$/, (ch) => (ch === '0' ? '1' : '0')))).status, 404);

    // Signing in merges the guest's list without duplicates and clears its cookie.
    const kept = guest.cookie;
    assert.equal((await guest.logIn(email)).status, 303);
    assert.doesNotMatch(guest.cookie, /vestify_wishlist=[^;]+~/);
    assert.match(guest.cookie, /vestify_wishlist_n=3/);
    assert.deepEqual(await listed(guest), [mine.slug, theirs.slug, both.slug].sort());
    assert.deepEqual(await ids(account), [mine.slug, theirs.slug, both.slug].sort(), 'every device of the account sees it');
    const replay = browser(shop);
    replay.cookie = kept;
    assert.equal((await replay.logIn(email)).status, 303);
    const [{ n }] = await shop.sql(`SELECT COUNT(*) AS n FROM wishlist_items w JOIN customers c ON c.id = w.customer_id WHERE c.email = '${email}'`);
    assert.equal(n, 3, 'a second sign-in with the same cookie adds nothing');

    // The account's price watches: one price-drop alert per product for the account's email.
    const [{ watches }] = await shop.sql(`SELECT COUNT(*) AS watches FROM alert_subscriptions WHERE kind = 'price_drop' AND recipient = '${email}'`);
    assert.equal(watches, 3);
    assert.equal((await heart(account, mine.slug, '/wishlist/remove')).status, 303);
    assert.deepEqual(await listed(account), [theirs.slug, both.slug].sort());
  });

  it('shows recently viewed products in the browser\'s order, without the page\'s own, and keeps the list with the account', async () => {
    const [a, b2, c2] = products(3);
    const id = async (slug) => (await shop.sql(`SELECT id FROM products WHERE slug = '${slug}'`))[0].id;
    const [ia, ib, ic] = [await id(a.slug), await id(b2.slug), await id(c2.slug)];
    const recent = async (b, list, exclude = '') => {
      const res = await b.submit('/recently-viewed', { ids: list.join(','), exclude: String(exclude) }, { csrf: null });
      assert.equal(res.status, 200, res.text.slice(0, 300));
      return JSON.parse(res.text);
    };
    const guest = browser(shop);
    const shown = await recent(guest, [ic, ia, ib], ia);
    assert.deepEqual(shown.ids, [ic, ia, ib]);
    assert.deepEqual([...shown.html.matchAll(/data-product="([^"]+)"/g)].map((m) => m[1]), [c2.slug, b2.slug]);
    const { email, b: phone } = await newShopper(shop, 'recent');
    await recent(phone, [ib]);
    const laptop = browser(shop);
    await laptop.logIn(email);
    assert.deepEqual((await recent(laptop, [ia])).ids, [ia, ib], 'this device\'s views first, then the account\'s');
    assert.equal((await guest.submit('/recently-viewed', { ids: '1' }, { csrf: null, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } })).status, 403);
  });
});
