// Reviews through the running Worker (issue 22, docs/REVIEWS.md): the verified-buyer rule, one review
// per delivered line, moderation states, helpful-vote limits, the cached product page refreshed on
// publish, and JSON-LD only with reviews. The rules themselves are host-tested in
// src/domain/reviews.rs and src/app/reviews.rs; these check the wiring.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, describe, test } from 'node:test';

import { PASSWORD, browser, newShopper } from './support/accounts.mjs';
import { adminsByRole, PASSWORDS } from './support/admins.mjs';
import { navigateBy, openPage, useBrowser } from './support/browser.mjs';
import { startStreamFake } from './support/fakes/stream.mjs';
import { png } from './support/images.mjs';
import { assertSchema } from './support/openapi.mjs';
import { beforeAll, s, shop, useShop } from './support/setup.mjs';
import { checkoutBody, variantPool } from './support/shopping.mjs';
import { sqlText } from './support/shop.mjs';

const LIFTED = ['login', 'signup', 'password_reset', 'checkout', 'token', 'token_refresh', 'reviews'].map((a) => `${a}=100000/60`).join(' ');
/** The fake Cloudflare Stream the shop's review videos go to (tests/support/fakes/stream.mjs). */
let stream;
beforeAll(async () => { stream = await startStreamFake(); });
after(() => stream?.stop());
useShop(() => ({ vars: { RATE_LIMITS: `${LIFTED} review_votes=4/3600`, ...stream.vars } }));
beforeAll(() => stream.connect(shop.url));
useBrowser();

const pool = variantPool();
/** Products without demo reviews (the seed leaves some without), fetched once. */
let unreviewed = [];
beforeAll(async () => {
  unreviewed = (await shop.sql("SELECT id, slug FROM products WHERE status = 'active' AND id NOT IN (SELECT product_id FROM reviews) ORDER BY id"));
});

/** Products a test has already reviewed: each test takes a product of its own. */
const taken = new Set();

/** A variant of a product without (demo or earlier tests') reviews. */
function freshVariant() {
  const ids = new Set(unreviewed.filter((p) => !taken.has(p.id)).map((p) => p.id));
  const [v] = pool.take(1, (v) => ids.has(v.product_id));
  taken.add(v.product_id);
  return v;
}

/** Places an order of `variant` and marks it (with `customerId`, when given) as delivered; returns the order. */
async function deliveredOrder(variant, { customerId = null, delivered = true } = {}) {
  const { order } = await s.placeOrder([[variant, 1]], checkoutBody());
  const set = [delivered ? "status = 'delivered', fulfillment_status = 'delivered'" : null, customerId ? `customer_id = ${sqlText(customerId)}` : null].filter(Boolean);
  if (set.length) await shop.sql(`UPDATE orders SET ${set.join(', ')} WHERE id = ${sqlText(order.id)}`);
  return order;
}

/** The signed review link's token (domain::reviews::review_token). */
function reviewToken(orderId, lineNo, expires = Math.floor(Date.now() / 1000) + 3600) {
  const sig = createHmac('sha256', shop.secrets.shop).update(`review:${orderId}:${lineNo}:${expires}`).digest('hex');
  return `${orderId}.${lineNo}.${expires}.${sig}`;
}

const postReview = (slug, body, headers = {}) => s.api('POST', `/api/v1/products/${slug}/reviews`, { body, headers });
const slugOf = (variant) => unreviewed.find((p) => p.id === variant.product_id).slug;

function jsonLd(doc) {
  return doc.findAll('script[type="application/ld+json"]').map((el) => JSON.parse(el.text));
}

describe('writing a review', () => {
  test('a guest through the signed link reviews a delivered line once; bad fields are 422; others are refused with a reason', async () => {
    const v = freshVariant();
    const slug = slugOf(v);
    const order = await deliveredOrder(v);
    const token = reviewToken(order.id, 1);

    const noCredential = await postReview(slug, { rating: 5, body: 'Đẹp' });
    assert.equal(noCredential.status, 401, noCredential.text);
    const forged = await postReview(slug, { rating: 5, body: 'Đẹp', review_token: token.replace(/.$/, (c) => (c === '0' ? '1' : '0')) });
    assert.equal(forged.status, 401);

    const bad = await postReview(slug, { rating: 6, body: '', review_token: token });
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual(Object.keys(bad.json.error.fields).sort(), ['body', 'rating']);
    const tooLong = await postReview(slug, { rating: 4, body: 'a'.repeat(2001), review_token: token });
    assert.equal(tooLong.status, 422);

    const created = await postReview(slug, { rating: 4, title: '<b>Ổn</b>', body: 'Vải mát <script>alert(1)</script>', fit: 'large', review_token: token });
    assert.equal(created.status, 201, created.text);
    assertSchema('ReviewCreated', created.json);
    assert.equal(created.json.review.status, 'published');

    const again = await postReview(slug, { rating: 5, body: 'Lần hai', review_token: token });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.json.error.code, 'already_reviewed');

    // The link names one line of one product: another product is not theirs to review.
    const other = unreviewed.find((p) => p.id !== v.product_id);
    const notBuyer = await postReview(other.slug, { rating: 5, body: 'x', review_token: token });
    assert.equal(notBuyer.status, 403);
    assert.equal(notBuyer.json.error.code, 'not_a_verified_buyer');

    const list = await s.api('GET', `/api/v1/products/${slug}/reviews`);
    assert.equal(list.status, 200, list.text);
    assertSchema('ReviewPage', list.json);
    assert.equal(list.json.summary.count, 1);
    assert.equal(list.json.summary.distribution['4'], 1);
    assert.equal(list.json.reviews[0].body, 'Vải mát <script>alert(1)</script>');
    assert.deepEqual(list.json.reviews[0].variant, { size: v.size, color: v.color });

    // On the product page the text is text, never markup.
    const page = await s.getPage(`/p/${slug}`);
    assert.match(page.text, /Vải mát &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.doesNotMatch(page.text, /<script>alert/);
  });

  test('a signed-in buyer needs a delivered order of the product, and flagged text waits for a moderator', async () => {
    const { email } = await newShopper(shop, 'reviewer');
    const tokenRes = await s.api('POST', '/api/v1/auth/token', { body: { email, password: PASSWORD } });
    assert.equal(tokenRes.status, 200, tokenRes.text);
    const bearer = { authorization: `Bearer ${tokenRes.json.access_token}` };
    const customerId = (await shop.sql(`SELECT id FROM customers WHERE email = ${sqlText(email)}`))[0].id;

    const v = freshVariant();
    const slug = slugOf(v);
    const notBought = await postReview(slug, { rating: 5, body: 'x' }, bearer);
    assert.equal(notBought.status, 403);
    assert.equal(notBought.json.error.code, 'not_a_verified_buyer');

    const order = await deliveredOrder(v, { customerId, delivered: false });
    const early = await postReview(slug, { rating: 5, body: 'x' }, bearer);
    assert.equal(early.status, 403);
    assert.equal(early.json.error.code, 'not_delivered');

    await shop.sql(`UPDATE orders SET status = 'delivered', fulfillment_status = 'delivered' WHERE id = ${sqlText(order.id)}`);
    const held = await postReview(slug, { rating: 2, body: 'Mua sỉ liên hệ 0912 345 678' }, bearer);
    assert.equal(held.status, 201, held.text);
    assert.equal(held.json.review.status, 'pending');
    assert.deepEqual(held.json.review.flags, ['phone']);
    const list = await s.api('GET', `/api/v1/products/${slug}/reviews`);
    assert.equal(list.json.summary.count, 0, 'held text is not shown');
    assert.equal(list.json.reviews.length, 0);
    heldReview = { id: held.json.review.id, slug };
  });
});

test('a signed-in buyer finds a delivered line on the account page and reviews it through the HTML form as themselves', async () => {
  const { b, email } = await newShopper(shop, 'account-reviewer');
  const customerId = (await shop.sql(`SELECT id FROM customers WHERE email = ${sqlText(email)}`))[0].id;
  const v = freshVariant();
  const slug = slugOf(v);
  const order = await deliveredOrder(v, { customerId, delivered: false });
  const before = await b.get('/account');
  assert.equal(before.doc.find('.account-reviews'), null, 'nothing to review before delivery');
  await shop.sql(`UPDATE orders SET status = 'delivered', fulfillment_status = 'delivered' WHERE id = ${sqlText(order.id)}`);
  const account = await b.get('/account');
  const link = account.doc.find(`.account-reviews li[data-order="${order.id}"] a`);
  assert.ok(link, 'the delivered line is listed');
  const href = link.attr('href');
  assert.match(href, /^\/reviews\/write\?t=/);
  const form = await b.get(href);
  assert.equal(form.status, 200);
  const token = new URLSearchParams(href.split('?')[1]).get('t');
  const sent = await b.submit('/reviews/write', { t: token, rating: '4', title: '', body: 'Viết từ trang tài khoản, mặc vừa.', fit: 'true_to_size' }, { page: href });
  assert.equal(sent.status, 201, sent.text.slice(0, 300));
  const [row] = await shop.sql(`SELECT customer_id, status FROM reviews WHERE order_id = ${sqlText(order.id)}`);
  assert.deepEqual(row, { customer_id: customerId, status: 'published' });
  assert.equal((await b.get('/account')).doc.find(`.account-reviews li[data-order="${order.id}"]`), null, 'reviewed: no longer listed');
  assert.match((await s.getPage(`/p/${slug}`)).text, /Viết từ trang tài khoản/);
});

/** The review the signed-in buyer's test left waiting for a moderator. */
let heldReview = null;
/** The signed-in admin browsers of the moderation test (`adminsByRole`). */
let admins = null;

describe('moderation', () => {
  test('support staff approve held text, reply, hide it later; each decision is audited and shows on the cached page', async () => {
    assert.ok(heldReview, 'the held review of the test before');
    const { id, slug } = heldReview;
    admins = await adminsByRole(shop);
    const queue = await admins.support.get('/admin/reviews');
    assert.equal(queue.status, 200);
    assert.ok(queue.doc.find(`li[data-review="${id}"]`), 'the held review is in the queue');
    // Shoppers and signed-out visitors never reach it.
    const anonymous = await shop.request('/admin/reviews');
    assert.equal(anonymous.status, 303);

    const before = await s.getPage(`/p/${slug}`);
    assert.equal(before.doc.find('#reviews')?.attr('data-count'), '0');

    const rejectEmpty = await admins.support.submit(`/admin/reviews/${id}/reject`, { reason: '', status: 'waiting' }, { page: '/admin/reviews' });
    assert.equal(rejectEmpty.status, 422);
    const approved = await admins.support.submit(`/admin/reviews/${id}/approve`, { status: 'waiting' }, { page: '/admin/reviews' });
    assert.equal(approved.status, 303, approved.text.slice(0, 300));
    const shown = await s.getPage(`/p/${slug}`);
    assert.equal(shown.doc.find('#reviews')?.attr('data-count'), '1', 'the cached page was refreshed');
    assert.ok(shown.doc.find(`#review-${id}`));

    const replied = await admins.support.submit(`/admin/reviews/${id}/reply`, { reply: 'Cảm ơn bạn đã góp ý!', status: 'published' }, { page: '/admin/reviews?status=published' });
    assert.equal(replied.status, 303);
    assert.match((await s.getPage(`/p/${slug}`)).text, /Cảm ơn bạn đã góp ý!/);

    const hidden = await admins.support.submit(`/admin/reviews/${id}/hide`, { status: 'published' }, { page: '/admin/reviews?status=published' });
    assert.equal(hidden.status, 303);
    assert.equal((await s.getPage(`/p/${slug}`)).doc.find('#reviews')?.attr('data-count'), '0');

    const audit = await shop.sql(`SELECT action, actor_email FROM audit_log WHERE entity = 'review' AND entity_id = ${sqlText(id)} ORDER BY id`);
    assert.deepEqual(audit.map((a) => a.action), ['review.approve', 'review.reply', 'review.hide']);
    assert.ok(audit.every((a) => a.actor_email === admins.emails.support));
  });
});

describe('the product page', () => {
  test('the cached page shows a review as soon as it is published, with JSON-LD only then, and its card gets stars', async () => {
    const v = freshVariant();
    const slug = slugOf(v);
    const order = await deliveredOrder(v);
    const before = await s.getPage(`/p/${slug}`);
    assert.equal(before.status, 200);
    // Cached: the second read is a hit of the same page.
    await s.getPage(`/p/${slug}`);
    const product = jsonLd(before.doc).find((d) => d['@type'] === 'ProductGroup');
    assert.equal(product.aggregateRating, undefined, 'no rating markup without a review');
    assert.equal(product.review, undefined);
    assert.equal(before.doc.find('#reviews')?.attr('data-count'), '0');

    const created = await postReview(slug, { rating: 5, title: 'Tuyệt', body: 'Mặc rất vừa, vải đẹp.', review_token: reviewToken(order.id, 1) });
    assert.equal(created.status, 201, created.text);

    const after = await s.getPage(`/p/${slug}`);
    assert.equal(after.doc.find('#reviews')?.attr('data-count'), '1');
    assert.match(after.text, /Mặc rất vừa, vải đẹp\./);
    const ld = jsonLd(after.doc).find((d) => d['@type'] === 'ProductGroup');
    assert.deepEqual(ld.aggregateRating, { '@type': 'AggregateRating', ratingValue: 5, reviewCount: 1, bestRating: 5, worstRating: 1 });
    assert.equal(ld.review.length, 1);
    assert.equal(ld.review[0].reviewBody, 'Mặc rất vừa, vải đẹp.');

    // The search page's card shows the stars; listing pages carry no rating markup.
    const search = await s.getPage(`/search?q=${encodeURIComponent(slug.split('-')[0])}`);
    const card = search.doc.find(`article.card[data-product="${slug}"]`);
    if (card) assert.ok(card.find('.card-rating .stars'), 'stars on the card');
    for (const doc of jsonLd(search.doc)) assert.equal(JSON.stringify(doc).includes('aggregateRating'), false);
  });

  test('demo reviews show with filters and paging, and a helpful vote counts once per visitor within the limit', async () => {
    const [top] = await shop.sql('SELECT p.slug, r.count FROM product_ratings r JOIN products p ON p.id = r.product_id ORDER BY r.count DESC, p.id LIMIT 1');
    const list = await s.api('GET', `/api/v1/products/${top.slug}/reviews?sort=helpful`);
    assert.equal(list.status, 200);
    assert.equal(list.json.summary.count, top.count);
    const fives = await s.api('GET', `/api/v1/products/${top.slug}/reviews?stars=5`);
    assert.ok(fives.json.reviews.every((r) => r.rating === 5));
    assert.equal(fives.json.total, list.json.summary.distribution['5']);
    const badStars = await s.api('GET', `/api/v1/products/${top.slug}/reviews?stars=7`);
    assert.equal(badStars.status, 400);

    const page = await s.getPage(`/p/${top.slug}?stars=5`);
    assert.ok(page.doc.findAll('article.review').every((r) => r.attr('data-rating') === '5'));

    const id = list.json.reviews[0].id;
    const first = await s.api('POST', `/api/v1/reviews/${id}/helpful`);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.counted, true);
    const second = await s.api('POST', `/api/v1/reviews/${id}/helpful`);
    assert.deepEqual(second.json, { counted: false, helpful: first.json.helpful });
    const reported = await s.api('POST', `/api/v1/reviews/${id}/report`, { body: { reason: 'spam' } });
    assert.equal(reported.status, 202);
    // The limit (4 an hour per client here) counts votes and reports: the next ones wait.
    await s.api('POST', `/api/v1/reviews/${id}/helpful`);
    const limited = await s.api('POST', `/api/v1/reviews/${id}/helpful`);
    assert.equal(limited.status, 429, limited.text);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    const unknown = await s.api('POST', '/api/v1/reviews/nope/helpful');
    assert.equal(unknown.status, 429, 'still limited');
  });
});

describe('video reviews through Cloudflare Stream', () => {
  /** A published review of a fresh product by a guest link; its id, slug and token. */
  async function guestReview() {
    // Any product will do (its own order line is reviewed): the products without reviews are few.
    const [v] = pool.take(1, () => true);
    const [{ slug }] = await shop.sql(`SELECT slug FROM products WHERE id = ${v.product_id}`);
    const order = await deliveredOrder(v);
    const token = reviewToken(order.id, 1);
    const created = await postReview(slug, { rating: 5, body: 'Có video mặc thử.', review_token: token });
    assert.equal(created.status, 201, created.text);
    return { id: created.json.review.id, slug, token, order };
  }
  const askUpload = (id, body, headers = {}) => s.api('POST', `/api/v1/reviews/${id}/video-upload`, { body, headers });
  const videoState = async (id) => (await shop.sql(`SELECT state, err_code FROM review_videos WHERE review_id = ${sqlText(id)}`))[0];
  /** Uploads bytes to the link as the browser does (multipart, field `file`). */
  async function upload(url) {
    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(2048, 1)], { type: 'video/mp4' }), 'clip.mp4');
    return fetch(url, { method: 'POST', body: form });
  }

  test('the author gets a direct upload of 90 s for 30 minutes with signed URLs naming the review; others are refused', async () => {
    const { id, token, order } = await guestReview();
    const other = await guestReview();
    assert.equal((await askUpload(id, {})).status, 401, 'no credential');
    const stranger = await askUpload(id, { review_token: other.token });
    assert.equal(stranger.status, 403, stranger.text);
    assert.equal(stranger.json.error.code, 'not_author');
    assert.equal((await askUpload('0'.repeat(32), { review_token: token })).status, 404);
    const asked = Math.floor(Date.now() / 1000);
    const link = await askUpload(id, { review_token: token });
    assert.equal(link.status, 201, link.text);
    assertSchema('ReviewVideoUpload', link.json);
    const sent = stream.uploads.find((u) => u.uid === link.json.video_id);
    assert.ok(sent, 'the Worker asked Stream');
    assert.equal(sent.body.maxDurationSeconds, 90);
    assert.equal(sent.body.requireSignedURLs, true);
    assert.ok(Math.abs(Date.parse(sent.body.expiry) / 1000 - (asked + 1800)) < 60, sent.body.expiry);
    assert.deepEqual(sent.body.allowedOrigins, [new URL(shop.url).host]);
    assert.equal(sent.body.creator, `review:${id}`);
    assert.equal(sent.body.meta.review_id, id);
    assert.equal(link.json.upload_url, `${stream.url}/upload/${link.json.video_id}`);
    assert.equal((await videoState(id)).state, 'awaiting_upload');
    assert.ok(order.id);
    // Uploaded and encoded: a second link is refused.
    assert.equal((await upload(link.json.upload_url)).status, 200);
    assert.equal((await stream.emit(link.json.video_id, 'ready')).status, 200);
    const again = await askUpload(id, { review_token: token });
    assert.equal(again.status, 409, again.text);
  });

  test('the webhook is applied once when signed, and a forged, unsigned or stale one is 401 with no effect', async () => {
    const { id, token, slug } = await guestReview();
    const link = await askUpload(id, { review_token: token });
    const uid = link.json.video_id;
    await upload(link.json.upload_url);
    const forged = await stream.emit(uid, 'ready', { secret: 'not-the-secret' });
    assert.equal(forged.status, 401, forged.text);
    assert.equal((await stream.emit(uid, 'ready', { header: null })).status, 401, 'unsigned');
    assert.equal((await stream.emit(uid, 'ready', { time: Math.floor(Date.now() / 1000) - 600 })).status, 401, 'stale');
    assert.equal((await videoState(id)).state, 'awaiting_upload', 'no effect');
    const first = await stream.emit(uid, 'ready');
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.applied, 'ready');
    const twice = await stream.emit(uid, 'ready');
    assert.equal(twice.json.applied, 'unchanged');
    const late = await stream.emit(uid, 'inprogress');
    assert.equal(late.json.applied, 'unchanged', 'never backwards');
    assert.equal((await videoState(id)).state, 'ready');
    // Before approval nobody plays it by its id; the product page does not show it.
    assert.equal((await fetch(`${stream.url}/${uid}/manifest/video.m3u8`)).status, 401);
    const page = await s.getPage(`/p/${slug}`);
    assert.equal(page.doc.find(`#review-${id} .review-video`), null);
  });

  test('moderators play a waiting video with a signed token; approval makes it public on the cached page, rejection deletes it at Stream', async () => {
    const a = await guestReview();
    const b = await guestReview();
    const uids = {};
    for (const r of [a, b]) {
      const link = await askUpload(r.id, { review_token: r.token });
      uids[r.id] = link.json.video_id;
      await upload(link.json.upload_url);
      await stream.emit(link.json.video_id, 'ready');
    }
    admins ??= await adminsByRole(shop);
    const queue = await admins.support.get('/admin/reviews');
    const item = queue.doc.find(`li[data-review="${a.id}"] .review-video-admin`);
    assert.ok(item, 'the waiting video is in the queue');
    const player = item.find('iframe').attr('src');
    const signed = player.slice(stream.url.length + 1).split('/')[0];
    assert.notEqual(signed, uids[a.id], 'a token, not the id');
    assert.equal((await fetch(`${stream.url}/${signed}/manifest/video.m3u8`)).status, 200, 'the signed token plays (RS256 under the signing key)');
    assert.equal((await fetch(`${stream.url}/${signed}/thumbnails/thumbnail.jpg`)).headers.get('content-type'), 'image/jpeg');

    const before = await s.getPage(`/p/${a.slug}`);
    assert.equal(before.doc.find(`#review-${a.id} .review-video`), null);
    const approved = await admins.support.submit(`/admin/reviews/${a.id}/approve`, { status: 'waiting' }, { page: '/admin/reviews' });
    assert.equal(approved.status, 303, approved.text.slice(0, 300));
    assert.equal((await videoState(a.id)).state, 'approved');
    assert.equal(stream.videos.get(uids[a.id]).requireSignedURLs, false, 'public at Stream');
    const shown = await s.getPage(`/p/${a.slug}`);
    const video = shown.doc.find(`#review-${a.id} .review-video iframe`);
    assert.ok(video, 'the cached page was refreshed with the video');
    assert.ok(video.attr('src').startsWith(`${stream.url}/${uids[a.id]}/iframe?`), video.attr('src'));
    assert.match(video.attr('src'), /poster=/);
    assert.equal((await fetch(`${stream.url}/${uids[a.id]}/manifest/video.m3u8`)).status, 200, 'public: plays by its id');
    const listed = await s.api('GET', `/api/v1/products/${a.slug}/reviews?media=1`);
    assert.equal(listed.json.reviews[0].video.id, uids[a.id]);
    assertSchema('ReviewPage', listed.json);

    const rejected = await admins.support.submit(`/admin/reviews/${b.id}/reject`, { reason: 'Video không liên quan', status: 'waiting' }, { page: '/admin/reviews' });
    assert.equal(rejected.status, 303);
    assert.equal((await videoState(b.id)).state, 'rejected');
    assert.ok(stream.deleted.includes(uids[b.id]), 'deleted at Stream');
    const audit = await shop.sql(`SELECT action FROM audit_log WHERE entity = 'review' AND entity_id IN (${sqlText(a.id)}, ${sqlText(b.id)}) ORDER BY id`);
    assert.deepEqual(audit.map((r) => r.action), ['review.video_approve', 'review.approve', 'review.video_reject', 'review.reject']);
  });

  test('the cron reconciles a video whose webhook never came, and marks a link never used as expired', async () => {
    const a = await guestReview();
    const b = await guestReview();
    const la = await askUpload(a.id, { review_token: a.token });
    const lb = await askUpload(b.id, { review_token: b.token });
    await upload(la.json.upload_url);
    stream.finish(la.json.video_id, 'ready');
    // Both asked for long ago (past the wait and b's link's expiry).
    await shop.sql(`UPDATE review_videos SET updated_at = updated_at - 7200, upload_expires_at = upload_expires_at - 7200 WHERE review_id IN (${sqlText(a.id)}, ${sqlText(b.id)})`);
    const swept = await s.sweep();
    assert.equal(swept.status, 200, swept.text);
    assert.ok(swept.json.review_videos.moved >= 1 && swept.json.review_videos.expired >= 1, JSON.stringify(swept.json));
    assert.equal((await videoState(a.id)).state, 'ready');
    assert.deepEqual(await videoState(b.id), { state: 'error', err_code: 'expired' });
    assert.ok(lb.json.video_id);
  });
});

test('the review block and the documented paths are answered where the routes table says', async () => {
  const res = await s.api('DELETE', `/api/v1/products/${unreviewed[0].slug}/reviews`);
  assert.equal(res.status, 405);
  const missing = await s.api('GET', '/api/v1/products/no-such-vest/reviews');
  assert.equal(missing.status, 404);
});

test('browser: a delivered order is reviewed with a photo and a video through its link, approved in the admin, and shows with stars on the product page and its card', async () => {
  const v = freshVariant();
  const slug = slugOf(v);
  const [product] = await shop.sql(`SELECT name_vi FROM products WHERE slug = ${sqlText(slug)}`);
  const order = await deliveredOrder(v);
  const shopper = await openPage();
  const { page } = shopper;
  await page.goto(`${shop.url}/reviews/write?t=${reviewToken(order.id, 1)}`);
  await page.check('input[name="rating"][value="5"]');
  await page.fill('input[name="title"]', 'Ảnh thật của mình');
  await page.fill('textarea[name="body"]', 'Áo ấm, mặc vừa, màu y như ảnh.');
  await page.check('input[name="fit"][value="true_to_size"]');
  await page.setInputFiles('input[name="photo"]', { name: 'ao.png', mimeType: 'image/png', buffer: png(64, 48) });
  const sent = await navigateBy(page, () => page.click('form.review-form button[type="submit"]'));
  assert.equal(sent.status(), 201);
  assert.equal(await page.locator('.review-thanks .status').getAttribute('data-published'), 'true');
  // The video goes from the browser straight to (the fake) Stream, with a progress bar.
  const box = page.locator('[data-video-upload]');
  await box.locator('input[type=file]').setInputFiles({ name: 'mac-thu.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(64 * 1024, 7) });
  await box.locator('button').click();
  await page.waitForSelector('[data-video-upload][data-uploaded]:not([data-uploaded=""])');
  assert.equal(await box.locator('progress').evaluate((el) => el.value), 100);
  const videoId = await box.getAttribute('data-uploaded');
  assert.equal(stream.videos.get(videoId)?.state, 'queued', 'Stream received the file');
  assert.equal((await stream.emit(videoId, 'ready')).status, 200);
  const [row] = await shop.sql(`SELECT r.id, ph.url, ph.status FROM reviews r JOIN review_photos ph ON ph.review_id = r.id WHERE r.order_id = ${sqlText(order.id)}`);
  assert.equal(row.status, 'pending');
  assert.match(row.url, /^\/media\/[0-9a-f]{64}\.png$/);

  // Published text, photo waiting: the page shows the review without the photo yet.
  await page.goto(`${shop.url}/p/${slug}`);
  assert.equal(await page.locator(`#review-${row.id} .review-photos img`).count(), 0);

  admins ??= await adminsByRole(shop);
  const staff = await openPage();
  await staff.page.goto(`${shop.url}/admin/login`);
  await staff.page.fill('input[name="email"]', admins.emails.support);
  await staff.page.fill('input[name="password"]', PASSWORDS.support);
  await navigateBy(staff.page, () => staff.page.click('form[action="/admin/login"] button[type="submit"]'));
  await staff.page.goto(`${shop.url}/admin/reviews`);
  const item = staff.page.locator(`li[data-review="${row.id}"]`);
  assert.equal(await item.locator('.review-photos img').count(), 1, 'the waiting photo is in the queue');
  await navigateBy(staff.page, () => item.locator('form.approve button').click());
  assert.match(staff.page.url(), /done=approve/);

  await page.goto(`${shop.url}/p/${slug}`);
  const review = page.locator(`#review-${row.id}`);
  assert.equal(await review.locator('.review-photos img').count(), 1, 'the approved photo shows');
  assert.equal(await review.locator(`.review-video iframe[src^="${stream.url}/${videoId}/iframe"]`).count(), 1, 'the approved video plays from Stream');
  assert.equal(await review.locator('.stars .star.full').count(), 5);
  assert.equal(await page.locator('.review-summary .stars').count(), 1);
  await page.goto(`${shop.url}/search?q=${encodeURIComponent(product.name_vi)}`);
  const card = page.locator(`article.card[data-product="${slug}"]`);
  assert.equal(await card.count(), 1, 'the product is found');
  assert.equal(await card.locator('.card-rating .count').innerText(), '(1)');
  shopper.assertClean();
  // The admin pages are not checked for console lines here (their sign-in page logs a missing
  // favicon); tests/admin-browser.test.mjs checks them for CSP violations.
  await shopper.close();
  await staff.close();
});

describe('questions and answers', () => {
  test('a signed-in shopper asks within the limits; the question shows once moderated, with the shop\'s answer and a verified buyer\'s', async () => {
    // Any product will do: its questions are this test's own.
    const [v] = pool.take(1, () => true);
    const [{ slug }] = await shop.sql(`SELECT slug FROM products WHERE id = ${v.product_id}`);
    const ask = (body, headers = {}) => s.api('POST', `/api/v1/products/${slug}/questions`, { body, headers });
    const { b: asker, email } = await newShopper(shop, 'asker');
    const tokenRes = await s.api('POST', '/api/v1/auth/token', { body: { email, password: PASSWORD } });
    const bearer = { authorization: `Bearer ${tokenRes.json.access_token}` };

    assert.equal((await ask({ body: 'Áo này giặt máy được không ạ?' })).status, 401);
    const short = await ask({ body: 'Size?' }, bearer);
    assert.equal(short.status, 422, short.text);
    assert.ok(short.json.error.fields.body, short.text);
    const asked = await ask({ body: 'Áo này <b>giặt máy</b> được không ạ?' }, bearer);
    assert.equal(asked.status, 201, asked.text);
    assertSchema('QuestionCreated', asked.json);
    assert.equal(asked.json.question.status, 'pending');
    const qid = asked.json.question.id;
    // Five questions an hour per customer: the sixth waits.
    for (let i = 1; i <= 4; i++) assert.equal((await ask({ body: `Câu hỏi số ${i} về sản phẩm này?` }, bearer)).status, 201);
    const limited = await ask({ body: 'Thêm một câu hỏi nữa ạ?' }, bearer);
    assert.equal(limited.status, 429, limited.text);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);

    // Waiting for a moderator: neither listed nor on the (cached) page.
    const waiting = await s.api('GET', `/api/v1/products/${slug}/questions`);
    assert.equal(waiting.status, 200, waiting.text);
    assert.equal(waiting.json.questions.some((q) => q.id === qid), false);
    assert.equal((await s.getPage(`/p/${slug}`)).doc.find(`#question-${qid}`), null);

    // The shop answers from the queue, which publishes the question with its answer.
    admins ??= await adminsByRole(shop);
    const queue = await admins.support.get('/admin/reviews/questions');
    assert.equal(queue.status, 200);
    assert.ok(queue.doc.find(`li[data-question="${qid}"]`), 'the question is in the Q&A queue');
    const empty = await admins.support.submit(`/admin/reviews/questions/${qid}/answer`, { answer: '', status: 'waiting' }, { page: '/admin/reviews/questions' });
    assert.equal(empty.status, 422);
    const answered = await admins.support.submit(`/admin/reviews/questions/${qid}/answer`, { answer: 'Được ạ, giặt chế độ nhẹ.', status: 'waiting' }, { page: '/admin/reviews/questions' });
    assert.equal(answered.status, 303, answered.text.slice(0, 300));
    const listed = await s.api('GET', `/api/v1/products/${slug}/questions`);
    assertSchema('QuestionPage', listed.json);
    const q = listed.json.questions.find((x) => x.id === qid);
    assert.equal(q.body, 'Áo này <b>giặt máy</b> được không ạ?', 'kept as typed');
    assert.deepEqual(q.answers.map((a) => [a.by, a.body]), [['shop', 'Được ạ, giặt chế độ nhẹ.']]);
    const page = await s.getPage(`/p/${slug}`);
    assert.ok(page.doc.find(`#question-${qid}`), 'the cached page was refreshed');
    assert.match(page.text, /Áo này &lt;b&gt;giặt máy&lt;\/b&gt; được không ạ\?/);

    // Answering: a shopper without a delivered order of the product is refused with the reason;
    // a verified buyer's answer waits for a moderator, then shows.
    const stranger = await asker.submit(`/reviews/questions/${qid}/answers`, { body: 'Được mà', return: `/p/${slug}` }, { page: `/p/${slug}` });
    assert.equal(stranger.status, 403, stranger.text.slice(0, 300));
    assert.match(stranger.text, /Chỉ khách đã mua và nhận sản phẩm này/);
    const { b: buyer, email: buyerEmail } = await newShopper(shop, 'qa-buyer');
    const [{ id: buyerId }] = await shop.sql(`SELECT id FROM customers WHERE email = ${sqlText(buyerEmail)}`);
    await deliveredOrder(v, { customerId: buyerId });
    const sent = await buyer.submit(`/reviews/questions/${qid}/answers`, { body: 'Mình giặt máy ba tháng vẫn đẹp.', return: `/p/${slug}` }, { page: `/p/${slug}` });
    assert.equal(sent.status, 303, sent.text.slice(0, 300));
    assert.equal(sent.headers.get('location'), `/p/${slug}?qa=answered#question-${qid}`);
    const [{ id: answerId }] = await shop.sql(`SELECT id FROM product_answers WHERE question_id = ${sqlText(qid)} AND by = 'buyer'`);
    assert.equal((await s.api('GET', `/api/v1/products/${slug}/questions`)).json.questions.find((x) => x.id === qid).answers.length, 1, 'the buyer\'s answer waits');
    const approved = await admins.support.submit(`/admin/reviews/answers/${answerId}/approve`, { status: 'waiting' }, { page: '/admin/reviews/questions' });
    assert.equal(approved.status, 303);
    const both = (await s.api('GET', `/api/v1/products/${slug}/questions`)).json.questions.find((x) => x.id === qid);
    assert.deepEqual(both.answers.map((a) => a.by), ['shop', 'buyer']);
    assert.match((await s.getPage(`/p/${slug}`)).text, /Mình giặt máy ba tháng vẫn đẹp\./);

    // A signed-out visitor's question goes to sign-in first.
    const signedOut = await browser(shop).submit('/reviews/questions', { slug, body: 'Áo này có màu đen không ạ?', return: `/p/${slug}` }, { page: `/p/${slug}` });
    assert.equal(signedOut.status, 303);
    assert.equal(signedOut.headers.get('location'), `/account/login?return=${encodeURIComponent(`/p/${slug}`)}`);
    const audit = await shop.sql(`SELECT action FROM audit_log WHERE entity_id IN (${sqlText(qid)}, ${sqlText(answerId)}) ORDER BY id`);
    assert.deepEqual(audit.map((a) => a.action), ['question.approve', 'question.answer', 'answer.approve']);
  });
});

test('support staff read review sentiment per month and the aspects complained about, for the shop and one product', async () => {
  admins ??= await adminsByRole(shop);
  const shopWide = await admins.support.get('/admin/reviews/sentiment');
  assert.equal(shopWide.status, 200, shopWide.text.slice(0, 300));
  assert.ok(shopWide.doc.find('svg.chart-sentiment'), 'the monthly chart');
  assert.ok(shopWide.doc.find('svg.chart-bar'), 'the aspects chart');
  const row = shopWide.doc.find('table.sentiment-products tr[data-product]');
  assert.ok(row, 'the demo reviews\' products are listed');
  const one = await admins.support.get(`/admin/reviews/sentiment?product=${row.attr('data-product')}`);
  assert.equal(one.status, 200);
  assert.ok(one.doc.find('table.sentiment-months tr[data-month]'));
  assert.equal((await admins.support.get('/admin/reviews/sentiment?product=abc')).status, 404);
});
