// Vestify's service worker (served at /sw.js by src/views/pwa.rs, which fills in the marked slots; it is
// small on purpose: no framework). Docs: docs/PWA.md.
// - Precaches the offline pages, the CSS, the script and the logo for this build; a new build is a
//   new file (its digest is in it), so the browser installs it and `activate` removes older caches.
// - Page navigations: the network for up to 3 s; then the copy of that page this worker stored, if
//   any (only catalog pages: home, categories, products); then /offline (/en/offline in English).
// - Carts, checkout, accounts, admin, the API, payments and orders are never stored.
/*PUSH*/
'use strict';
const VERSION = /*VERSION*/;
const SHELL = `vestify-shell-${VERSION}`;
const PAGES = `vestify-pages-${VERSION}`;
const STATIC = `vestify-static-${VERSION}`;
const PRECACHE = /*PRECACHE*/;
const OFFLINE = { vi: '/offline', en: '/en/offline' };
// The only pages stored: home, category and product pages, and the offline pages.
const CATALOG = /^\/(en\/)?(c\/[^/]+|p\/[^/]+|offline)?$/;
const NETWORK_MS = 3000;
const MAX_PAGES = 30;
const MAX_STATIC = 80;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('vestify-') && ![SHELL, PAGES, STATIC].includes(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// The URL a page is stored under: tracking parameters never make a second copy.
function pageKey(url) {
  const clean = new URL(url.href);
  for (const name of [...clean.searchParams.keys()]) {
    if (/^(utm_|fbclid$|gclid$|ttclid$)/.test(name)) clean.searchParams.delete(name);
  }
  clean.hash = '';
  return clean.href;
}

// Drops the oldest entries beyond `max` (a cache lists its keys in the order they were stored).
async function trim(name, max) {
  const cache = await caches.open(name);
  const keys = await cache.keys();
  for (const request of keys.slice(0, Math.max(0, keys.length - max))) await cache.delete(request);
}

function storable(response) {
  return response.ok && response.type === 'basic' && !/no-store/.test(response.headers.get('cache-control') || '');
}

async function offline(url) {
  const path = url.pathname === '/en' || url.pathname.startsWith('/en/') ? OFFLINE.en : OFFLINE.vi;
  return (await caches.match(path, { cacheName: SHELL })) || Response.error();
}

async function navigate(event, url) {
  const network = fetch(event.request);
  if (!CATALOG.test(url.pathname)) return network.catch(() => offline(url));
  const key = pageKey(url);
  const stored = network.then((response) => {
    if (storable(response)) {
      const copy = response.clone();
      event.waitUntil(caches.open(PAGES).then((cache) => cache.put(key, copy)).then(() => trim(PAGES, MAX_PAGES)));
    }
    return response;
  });
  stored.catch(() => {});
  const late = new Promise((resolve) => setTimeout(resolve, NETWORK_MS, null));
  try {
    const first = await Promise.race([stored, late]);
    if (first) return first;
    // Slow network: the stored copy if there is one, else keep waiting for the network.
    return (await caches.match(key, { cacheName: PAGES })) || (await stored);
  } catch {
    return (await caches.match(key, { cacheName: PAGES })) || offline(url);
  }
}

// Fingerprinted files never change under one URL: the stored copy first.
async function asset(event) {
  const hit = await caches.match(event.request);
  if (hit) return hit;
  const response = await fetch(event.request);
  if (storable(response)) {
    const copy = response.clone();
    event.waitUntil(caches.open(STATIC).then((cache) => cache.put(event.request, copy)).then(() => trim(STATIC, MAX_STATIC)));
  }
  return response;
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (event.request.mode === 'navigate') event.respondWith(navigate(event, url));
  else if (url.pathname.startsWith('/static/')) event.respondWith(asset(event));
});
