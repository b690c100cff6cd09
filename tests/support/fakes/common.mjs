// What every provider fake shares: a local HTTP server with a tiny router, raw bodies, HTML pages
// without inline script or style, and a log of every request it received (so tests can assert what
// the shop sent, e.g. idempotency keys).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

export const rid = (n = 12) => randomBytes(n).toString('hex');

/** Starts a server; `routes` is [[method, RegExp, async (req, ctx) => {status, headers?, body}]]. */
export async function serve(name, routes) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    const url = new URL(req.url, 'http://fake.local');
    const entry = { method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body: raw, bytes };
    requests.push(entry);
    for (const [method, pattern, handler] of routes) {
      const m = req.method === method && pattern.exec(url.pathname);
      if (!m) continue;
      try {
        const out = await handler(entry, m);
        res.writeHead(out.status ?? 200, out.headers ?? { 'content-type': 'application/json' });
        res.end(typeof out.body === 'string' || Buffer.isBuffer(out.body) ? out.body : JSON.stringify(out.body ?? {}));
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`${name} fake failed: ${error.stack}`);
      }
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `${name} fake: no route for ${req.method} ${url.pathname}` }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    stop: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

export const json = (body, status = 200) => ({ status, body });
export const redirect = (location) => ({ status: 303, headers: { location }, body: '' });

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** A hosted payment page: the amount and one form button per action ([label, path]). */
export function page(title, lines, actions, links = []) {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body>
<h1>${esc(title)}</h1>${lines.map((l) => `<p>${esc(l)}</p>`).join('')}
${actions.map(([label, path]) => `<form method="post" action="${esc(path)}"><button type="submit">${esc(label)}</button></form>`).join('')}
${links.map(([label, href]) => `<p><a href="${esc(href)}">${esc(label)}</a></p>`).join('')}
</body></html>`;
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body };
}

/** POSTs to the shop and returns { status, text, json }. */
export async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, text, json: parsed };
}

/** `yymmdd` of now in Vietnam (GMT+7). */
export function vnDate(ms = Date.now()) {
  const d = new Date(ms + 7 * 3600 * 1000);
  return `${String(d.getUTCFullYear()).slice(2)}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}
