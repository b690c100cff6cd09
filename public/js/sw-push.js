// The service worker's Web Push part, imported by /sw.js (importScripts). A push carries the
// shop's JSON notification `{title, body, url, tag}` (src/app/push.rs), already decrypted by the
// browser; a click opens (or focuses) the page it links to. Nothing here runs on page load.
/* eslint-env serviceworker */
self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : '' };
  }
  const title = data.title || 'Vestify';
  const options = {
    body: data.body || '',
    icon: '/img/favicon.svg',
    badge: '/img/favicon.svg',
    // One notification per order: a newer status replaces the older one.
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
    data: { url: data.url || '/' },
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || '/', self.location.origin);
  // Only the shop's own pages open from a notification.
  if (target.origin !== self.location.origin) return;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of windows) {
      if (client.url === target.href && 'focus' in client) return client.focus();
    }
    return self.clients.openWindow(target.href);
  })());
});
