// Request ids (docs/OPERATIONS.md): every response names its request in `x-request-id`; error pages
// and JSON errors show the same id, so a shopper or an app can quote it; a page served from the edge
// cache never carries one visitor's id. And the internal health endpoint (the Worker's own wasm memory).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { catalog } from './support/seed.mjs';
import { shop, useShop } from './support/setup.mjs';

const c = catalog();
useShop();

const idOf = (res) => res.headers.get('x-request-id') ?? '';

describe('request ids', () => {
  it('names every response with an id of its own', async () => {
    const paths = ['/healthz', '/', `/p/${c.active[0].slug}`, '/api/v1/categories', '/nope', '/api/v1/nope'];
    const seen = new Set();
    for (const path of paths) {
      const res = await shop.get(path);
      assert.match(idOf(res), /^[0-9A-Za-z-]{8,64}$/, path);
      seen.add(idOf(res));
    }
    assert.equal(seen.size, paths.length, 'one id per request');
  });

  it('shows the id on an error page, labelled in the visitor\'s language', async () => {
    for (const [path, label] of [['/nope', 'Mã yêu cầu'], ['/en/nope', 'Request id']]) {
      const res = await shop.get(path);
      assert.equal(res.status, 404, path);
      assert.ok(res.text.includes(`${label}: <code>${idOf(res)}</code>`), `${path} shows its id`);
    }
  });

  it('puts the id inside the JSON error envelope', async () => {
    const missing = await shop.getJson('/api/v1/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.request_id, idOf(missing));
    const post = await shop.request('/api/v1/products', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(JSON.parse(post.text).error.request_id, idOf(post));
  });

  it('never bakes an id into a page served from the edge cache', async () => {
    const path = `/p/${c.active[0].slug}`;
    await shop.get(path);
    const hit = await shop.get(path);
    assert.equal(hit.status, 200);
    assert.equal(hit.headers.get('x-edge-cache'), 'hit');
    assert.ok(!hit.text.includes(idOf(hit)), 'the page does not hold this request\'s id');
    assert.ok(!/request-id|Mã yêu cầu|Request id/.test(hit.text), 'nor any request id');
  });
});

describe('the internal health endpoint', () => {
  it("reports the Worker's own wasm memory to the internal token only", async () => {
    assert.equal((await shop.get('/internal/health')).status, 404, 'unknown without the token, as every internal path');
    assert.equal((await shop.get('/internal/health', { authorization: 'Bearer wrong' })).status, 404);
    const res = await shop.getJson('/internal/health', { authorization: `Bearer ${shop.secrets.internal}` });
    assert.equal(res.status, 200);
    const { wasm_memory_pages: pages, wasm_memory_bytes: bytes } = res.json;
    assert.ok(Number.isInteger(pages) && pages > 0, `pages: ${pages}`);
    assert.equal(bytes, pages * 65_536);
    assert.ok(bytes < 128 * 2 ** 20, 'within the 128 MB an isolate has');
  });
});
