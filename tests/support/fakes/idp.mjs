// A local identity provider speaking Google's and Apple's OpenID Connect endpoints and Facebook
// Login's OAuth endpoints, under /google, /apple and /facebook:
//
//   GET  /{p}/authorize   checks client_id, response_type=code, redirect_uri, state, the S256 code
//                         challenge, the nonce (Google, Apple) and response_mode=form_post (Apple);
//                         then answers as the test told it (`fake.next(p, {...})`): back to the
//                         redirect URI with `code` and `state` (Apple: a page whose form posts them),
//                         or with `error=access_denied`.
//   POST /{p}/token       (Facebook: GET /facebook/token) client id + secret, the code (single use),
//                         the same redirect_uri, and PKCE: BASE64URL(SHA256(code_verifier)) must be
//                         the challenge. Google/Apple answer with an RS256 ID token.
//   GET  /{p}/jwks        the RSA public key generated at start (node:crypto), as a JWKS.
//   GET  /facebook/me     Graph `/me?fields=id,name,email`, with `appsecret_proof` =
//                         HMAC-SHA256(app secret, access token) checked.
//
// Switches per authorization (`fake.next(p, { ... })`): user ({ sub, email, email_verified, name }),
// deny, nonce (a wrong one), aud, iss, expired, badSignature (signed with another key), kid (one the
// JWKS does not hold), challenge (the code was issued for another PKCE challenge).
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

import { json, rid, serve } from './common.mjs';

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const PROVIDERS = ['google', 'facebook', 'apple'];

export function signJwt(header, claims, privateKey) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), privateKey))}`;
}

export async function startIdpFake() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const kid = `key-${rid(4)}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const clients = Object.fromEntries(PROVIDERS.map((p) => [p, { id: `${p}-client-${rid(4)}`, secret: `${p}-secret-${rid(8)}` }]));
  const codes = new Map();
  const tokens = new Map();
  const upcoming = new Map();
  const fake = { clients, codes, jwksFetches: 0, issued: [] };
  let seq = 0;

  /** What the next authorization of provider `p` does (consumed by it). */
  fake.next = (p, options) => { upcoming.set(p, options); };
  fake.newUser = (p, extra = {}) => {
    seq += 1;
    return { sub: `${p}-${process.pid}-${Date.now()}-${seq}`, email: `${p}.${process.pid}.${Date.now()}.${seq}@example.vn`, email_verified: true, name: `Người dùng ${p} ${seq}`, ...extra };
  };

  const oauthError = (p, status, error, description) => (p === 'facebook'
    ? json({ error: { message: description, type: 'OAuthException', code: 100 } }, status)
    : json({ error, error_description: description }, status));

  const authorize = (p) => (req) => {
    const q = Object.fromEntries(req.query);
    const problems = [];
    if (q.client_id !== clients[p].id) problems.push('client_id');
    if (q.response_type !== 'code') problems.push('response_type');
    if (!q.redirect_uri) problems.push('redirect_uri');
    if (!q.state) problems.push('state');
    if (q.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge ?? '')) problems.push('code_challenge');
    if (p !== 'facebook' && !q.nonce) problems.push('nonce');
    if (p === 'apple' && q.response_mode !== 'form_post') problems.push('response_mode');
    if (problems.length) return { status: 400, headers: { 'content-type': 'text/plain' }, body: `bad authorization request: ${problems.join(', ')}` };
    const options = upcoming.get(p) ?? {};
    upcoming.delete(p);
    const answer = options.deny
      ? { error: options.deny, state: q.state }
      : (() => {
        const code = `code-${rid()}`;
        const user = options.user ?? fake.newUser(p);
        codes.set(code, { p, redirectUri: q.redirect_uri, challenge: options.challenge ?? q.code_challenge, nonce: q.nonce, user, options, used: false });
        return { code, state: q.state, ...(p === 'apple' && user.name ? { user: JSON.stringify({ name: { firstName: user.name, lastName: '' }, email: user.email }) } : {}) };
      })();
    fake.lastAnswer = answer;
    if (p === 'apple') {
      // Apple posts the answer back from its own site (response_mode=form_post).
      const fields = Object.entries(answer).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
      const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in with Apple (local fake)</title></head><body><form method="post" action="${esc(q.redirect_uri)}">${fields}<button type="submit">Continue</button></form></body></html>`;
      return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body };
    }
    const back = new URL(q.redirect_uri);
    for (const [k, v] of Object.entries(answer)) back.searchParams.set(k, v);
    return { status: 302, headers: { location: back.toString() }, body: '' };
  };

  const token = (p) => (req) => {
    const params = Object.fromEntries(p === 'facebook' ? req.query : new URLSearchParams(req.body));
    if (p !== 'facebook' && params.grant_type !== 'authorization_code') return oauthError(p, 400, 'unsupported_grant_type', 'grant_type');
    if (params.client_id !== clients[p].id || params.client_secret !== clients[p].secret) return oauthError(p, 401, 'invalid_client', 'Client authentication failed');
    const entry = codes.get(params.code);
    if (!entry || entry.p !== p || entry.used) return oauthError(p, 400, 'invalid_grant', 'Unknown or used code');
    entry.used = true;
    if (entry.redirectUri !== params.redirect_uri) return oauthError(p, 400, 'invalid_grant', 'redirect_uri does not match');
    const challenge = b64url(createHash('sha256').update(params.code_verifier ?? '').digest());
    if (challenge !== entry.challenge) return oauthError(p, 400, 'invalid_grant', 'Invalid code verifier');
    const accessToken = `at-${rid()}`;
    tokens.set(accessToken, entry.user);
    if (p === 'facebook') return json({ access_token: accessToken, token_type: 'bearer', expires_in: 5183944 });
    const { user, options } = entry;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: options.iss ?? `${server.url}/${p}`,
      aud: options.aud ?? clients[p].id,
      sub: user.sub,
      iat: options.expired ? now - 7200 : now,
      exp: options.expired ? now - 3600 : now + 3600,
      nonce: options.nonce ?? entry.nonce,
      email: user.email,
      // Apple sends the flag as a string.
      email_verified: p === 'apple' ? String(user.email_verified) : user.email_verified,
      ...(p === 'google' ? { name: user.name } : {}),
    };
    const idToken = signJwt({ alg: 'RS256', kid: options.kid ?? kid, typ: 'JWT' }, claims, options.badSignature ? rogue : privateKey);
    fake.issued.push({ p, claims });
    return json({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600, id_token: idToken });
  };

  const routes = [];
  for (const p of PROVIDERS) {
    routes.push(['GET', new RegExp(`^/${p}/authorize$`), authorize(p)]);
    routes.push([p === 'facebook' ? 'GET' : 'POST', new RegExp(`^/${p}/token$`), token(p)]);
    if (p !== 'facebook') routes.push(['GET', new RegExp(`^/${p}/jwks$`), () => { fake.jwksFetches += 1; return json({ keys: [jwk] }); }]);
  }
  routes.push(['GET', /^\/facebook\/me$/, (req) => {
    const q = Object.fromEntries(req.query);
    const user = tokens.get(q.access_token);
    if (!user) return oauthError('facebook', 401, 'invalid_token', 'Invalid OAuth access token');
    const proof = createHmac('sha256', clients.facebook.secret).update(q.access_token).digest('hex');
    if (q.appsecret_proof !== proof) return oauthError('facebook', 400, 'invalid_request', 'Invalid appsecret_proof provided in the API argument');
    const fields = (q.fields ?? 'id').split(',');
    return json(Object.fromEntries([['id', user.sub], ['name', user.name], ['email', user.email]].filter(([k, v]) => fields.includes(k) && v !== undefined)));
  }]);

  const server = await serve('idp', routes);
  fake.url = server.url;
  fake.requests = server.requests;
  fake.stop = server.stop;
  fake.issuer = (p) => `${server.url}/${p}`;
  const base = (p) => `${server.url}/${p}`;
  fake.vars = {
    GOOGLE_CLIENT_ID: clients.google.id, GOOGLE_CLIENT_SECRET: clients.google.secret,
    GOOGLE_AUTHORIZE_URL: `${base('google')}/authorize`, GOOGLE_TOKEN_URL: `${base('google')}/token`,
    GOOGLE_JWKS_URL: `${base('google')}/jwks`, GOOGLE_ISSUER: base('google'),
    FACEBOOK_CLIENT_ID: clients.facebook.id, FACEBOOK_CLIENT_SECRET: clients.facebook.secret,
    FACEBOOK_AUTHORIZE_URL: `${base('facebook')}/authorize`, FACEBOOK_TOKEN_URL: `${base('facebook')}/token`,
    FACEBOOK_GRAPH_URL: base('facebook'),
    APPLE_CLIENT_ID: clients.apple.id, APPLE_CLIENT_SECRET: clients.apple.secret,
    APPLE_AUTHORIZE_URL: `${base('apple')}/authorize`, APPLE_TOKEN_URL: `${base('apple')}/token`,
    APPLE_JWKS_URL: `${base('apple')}/jwks`, APPLE_ISSUER: base('apple'),
  };
  return fake;
}
