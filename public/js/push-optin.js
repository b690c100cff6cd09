// The Web Push opt-in (order page, account page): a button, shown only where the browser can
// receive push, that asks for permission when the shopper clicks it — never on page load — then
// subscribes with the shop's VAPID key (`data-push-key`) and posts the subscription with the form's
// CSRF token (and, on an order page, the order's token). Without JavaScript the form stays hidden.
(() => {
  'use strict';
  const supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  const en = document.documentElement.lang === 'en';
  const say = (form, text) => {
    const status = form.querySelector('[data-push-status]');
    if (status) status.textContent = text;
  };
  const key = (b64) => {
    const raw = atob(b64.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  for (const form of document.querySelectorAll('form[data-push-key]')) {
    if (!supported || Notification.permission === 'denied') continue;
    form.hidden = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button');
      button.disabled = true;
      try {
        if ((await Notification.requestPermission()) !== 'granted') {
          say(form, en ? 'Notifications are blocked in this browser.' : 'Trình duyệt đang chặn thông báo.');
          return;
        }
        const registration = await navigator.serviceWorker.register('/sw.js');
        await navigator.serviceWorker.ready;
        const subscription = (await registration.pushManager.getSubscription())
          || (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(form.dataset.pushKey) }));
        const json = subscription.toJSON();
        const body = new URLSearchParams(new FormData(form));
        body.set('endpoint', json.endpoint);
        body.set('p256dh', json.keys.p256dh);
        body.set('auth', json.keys.auth);
        const res = await fetch(form.action, { method: 'POST', body, credentials: 'same-origin' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        say(form, en ? 'Notifications are on.' : 'Đã bật thông báo.');
        button.hidden = true;
      } catch {
        say(form, en ? 'Notifications could not be turned on here.' : 'Không bật được thông báo trên trình duyệt này.');
      } finally {
        button.disabled = false;
      }
    });
  }
})();
