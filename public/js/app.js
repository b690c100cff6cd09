// Progressive enhancement only: every page works without this file.

// Work a shopper does not need before they first touch the page (the gallery's lightbox, the service
// worker, recently viewed, push alert options) waits until the page has loaded, then runs in idle
// time one piece per task, so that no long task blocks the main thread while the page comes in
// (docs/BENCHMARKS.md, "Lighthouse"). A first tap, click, key press or focus before that runs what is
// left at once, before the page's own handlers see the event, so every control works as before.
const afterLoad = (() => {
  'use strict';
  const queue = [];
  const inputs = ['pointerdown', 'keydown', 'click', 'focusin'];
  let done = false;
  // A piece that throws is reported as an uncaught error would be; the others still run.
  const run = (job) => {
    try { job(); } catch (error) { setTimeout(() => { throw error; }); }
  };
  const drain = () => {
    done = true;
    for (const type of inputs) window.removeEventListener(type, drain, true);
    while (queue.length) run(queue.shift());
  };
  const idle = window.requestIdleCallback ? (f) => window.requestIdleCallback(f, { timeout: 1000 }) : (f) => setTimeout(f, 1);
  const next = () => {
    if (done) return;
    if (queue.length) run(queue.shift());
    if (queue.length) idle(next);
    else drain();
  };
  for (const type of inputs) window.addEventListener(type, drain, { capture: true, passive: true });
  if (document.readyState === 'complete') idle(next);
  else window.addEventListener('load', () => idle(next), { once: true });
  return (job) => (done ? run(job) : queue.push(job));
})();

(() => {
  'use strict';
  // Only listings have these forms; other pages skip the session storage read (a synchronous trip to
  // the browser on a page's first use).
  const forms = document.querySelectorAll('form[data-autosubmit]');
  if (!forms.length) return;
  const KEY = 'vestify:filters';
  const wide = window.matchMedia('(min-width: 900px)');
  let kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(KEY));
    sessionStorage.removeItem(KEY);
  } catch { /* storage blocked: nothing to restore */ }

  for (const form of forms) {
    const panel = form.querySelector('details[data-filter-panel]');
    const apply = form.querySelector('button[data-apply]');
    const back = kept && kept.path === location.pathname;
    // A sidebar on wide screens; on a phone a sheet the shopper opens (and the products come first).
    if (panel && wide.matches) panel.open = true;
    // The sidebar's automatic submits stay where the shopper is; the phone's Apply goes to #results.
    const action = form.getAttribute('action');
    const toResults = () => form.setAttribute('action', wide.matches ? action.split('#')[0] : action);
    toResults();
    wide.addEventListener('change', toResults);
    // After an automatic submit, put focus back on the control that caused it.
    if (back && wide.matches) {
      const control = [...form.elements].find((el) => el.name === kept.name && (el.type !== 'checkbox' || el.value === kept.value));
      if (control) control.focus();
    }
    // Empty fields (no price typed) stay out of the URL; without this the server redirects past them.
    form.addEventListener('formdata', (event) => {
      for (const [name, value] of [...event.formData]) {
        if (value === '') event.formData.delete(name);
      }
    });
    // The sheet's Apply button counts what it leads to, from the listing's own count (no reload).
    let asked = 0;
    const recount = async () => {
      if (!apply || !form.dataset.countUrl) return;
      const params = new URLSearchParams(new FormData(form));
      params.delete('sort');
      const mine = ++asked;
      try {
        const res = await fetch(`${form.dataset.countUrl}?${params}`, { credentials: 'omit' });
        if (!res.ok || mine !== asked) return;
        const { total } = await res.json();
        if (mine !== asked || typeof total !== 'number') return;
        apply.textContent = total === 1 ? form.dataset.applyOne : form.dataset.applyMany.replace('{n}', String(total));
        apply.dataset.count = String(total);
      } catch { /* offline: Apply still submits; only its figure is stale */ }
    };
    let typing = 0;
    form.addEventListener('input', (event) => {
      if (wide.matches || event.target.type !== 'number') return;
      clearTimeout(typing);
      typing = setTimeout(recount, 400);
    });
    // On a wide screen filters apply as soon as a choice changes; on a phone only the sort does (it
    // sits outside the sheet), a tick updates the count and Apply navigates once.
    form.addEventListener('change', (event) => {
      const el = event.target;
      if (!wide.matches && el.tagName !== 'SELECT') {
        recount();
        return;
      }
      if (!el.matches('input[type=checkbox], select')) return;
      try {
        sessionStorage.setItem(KEY, JSON.stringify({ path: location.pathname, name: el.name, value: el.value }));
      } catch { /* fine: only focus is lost */ }
      form.requestSubmit();
    });
    // Escape closes the sheet, back on its summary.
    form.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || wide.matches || !panel?.open) return;
      panel.open = false;
      panel.querySelector('summary').focus();
    });
  }
})();

// Cached pages carry no personal data, so the header's item count comes from a plain cookie that
// the cart sets (`vestify_cart_count`; the cart itself is behind an HttpOnly cookie).
(() => {
  'use strict';
  const match = document.cookie.match(/(?:^|;\s*)vestify_cart_count=(\d+)/);
  const count = match ? Number(match[1]) : 0;
  for (const el of document.querySelectorAll('[data-cart-count]')) {
    el.textContent = count > 0 ? String(count) : '';
  }
})();

// Copy buttons (the bank-transfer details on an order page): shown only where copying works; the
// text beside each stays selectable without them.
if (navigator.clipboard) {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = document.documentElement.lang === 'en' ? 'Copied' : 'Đã chép';
        setTimeout(() => { button.textContent = label; }, 2000);
      } catch {
        // Copying was refused (permissions): the text is still there to select.
      }
    });
  }
}

// Checkout, signed in: choosing a saved address fills the address fields with it ("a new address"
// empties them); its ward is put in the ward list as the only choice until the province changes.
// Without this the server still uses the chosen address, whatever the fields say.
(() => {
  'use strict';
  const fields = ['line1', 'ward', 'district', 'province', 'country', 'province_code', 'postal_code'];
  for (const radio of document.querySelectorAll('input[name=saved_address]')) {
    radio.addEventListener('change', () => {
      const form = radio.form;
      if (!form || !radio.checked) return;
      const fresh = radio.value === 'new';
      for (const f of fields) {
        const el = form.elements.namedItem(`address.${f}`);
        if (!el) continue;
        el.value = fresh ? (f === 'country' ? 'VN' : '') : (radio.dataset[f.replace(/_(\w)/g, (_, c) => c.toUpperCase())] ?? '');
      }
      const ward = form.elements.namedItem('address.ward_code');
      if (ward && ward.tagName === 'SELECT') {
        const code = fresh ? '' : (radio.dataset.wardCode ?? '');
        if (code && ![...ward.options].some((o) => o.value === code)) ward.add(new Option(radio.dataset.ward ?? code, code));
        ward.value = code;
        ward.dispatchEvent(new Event('change', { bubbles: true }));
      }
      const save = form.elements.namedItem('save_address');
      if (save) save.closest('.save-address').hidden = !fresh;
    });
  }
})();

// Address forms (checkout, the account's address book): the province's wards fetched when it is
// chosen and filtered as you type, and the Vietnamese or the foreign fields by country. Without this
// script the forms' "Update" button lists them by reloading. `changed` is told of every change of
// place.
function placePicker(form, changed = () => {}) {
  const en = form.dataset.locale === 'en';
  const country = form.querySelector('select[name="address.country"]');
  const province = form.querySelector('select[name="address.province_code"]');
  const ward = form.querySelector('select[name="address.ward_code"]');
  const filter = form.querySelector('input.ward-filter');
  const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
  const loadWards = async () => {
    if (!ward || !province) return;
    const code = province.value;
    ward.replaceChildren(new Option(code ? (en ? '— Choose a ward or commune —' : '— Chọn phường/xã —') : (en ? '— Choose the province first —' : '— Chọn tỉnh/thành phố trước —'), ''));
    if (filter) { filter.value = ''; filter.hidden = true; }
    if (!code) return;
    try {
      const res = await fetch(`${form.dataset.wardsUrl}${encodeURIComponent(code)}/wards`);
      if (!res.ok || province.value !== code) return;
      const { wards } = await res.json();
      for (const w of wards) ward.add(new Option(w.name, w.code));
      if (filter) filter.hidden = false;
    } catch { /* the Update button still lists them */ }
  };
  if (filter && ward) {
    filter.hidden = ward.options.length <= 1;
    filter.addEventListener('input', () => {
      const q = fold(filter.value.trim());
      let first = null;
      for (const o of ward.options) {
        if (!o.value) continue;
        const show = !q || fold(o.text).includes(q);
        o.hidden = !show;
        o.disabled = !show;
        if (show && !first) first = o;
      }
      // Typing narrows the list; the first match is chosen so Enter or Tab keeps it.
      if (first && (ward.selectedOptions[0]?.hidden || !ward.value)) {
        ward.value = first.value;
        changed();
      }
    });
  }
  country?.addEventListener('change', () => {
    const vn = country.value === 'VN';
    for (const el of form.querySelectorAll('.vn-place')) el.hidden = !vn;
    for (const el of form.querySelectorAll('.abroad-place')) el.hidden = vn;
    changed();
  });
  province?.addEventListener('change', async () => {
    await loadWards();
    changed();
  });
  ward?.addEventListener('change', () => changed());
  // With the script the lists follow at once: the Update button is not needed.
  for (const el of form.querySelectorAll('.refresh-place')) el.hidden = true;
  return { country, province, ward };
}

for (const form of document.querySelectorAll('form[data-places]')) placePicker(form);

// Checkout: the shipping fee and total for the place and method chosen, at once (a quote from the
// cart's shipping-quote endpoint). Without this script the "Update" button does the same by
// reloading; either way the total shown is sent back (expected_total) and is the one charged.
(() => {
  'use strict';
  const form = document.querySelector('form[data-checkout]');
  if (!form) return;
  const en = form.dataset.locale === 'en';
  const methods = form.querySelector('#f-shipping-methods');
  const expected = form.querySelector('input[name=expected_total]');
  const summary = document.querySelector('aside.summary');
  const money = (n) => {
    const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, en ? ',' : '.');
    return (n < 0 ? '-' : '') + (en ? `₫${digits}` : `${digits} ₫`);
  };
  const free = en ? 'Free' : 'Miễn phí';
  const names = { standard: en ? 'Standard' : 'Tiêu chuẩn', express: en ? 'Express' : 'Hoả tốc' };
  const eta = ([a, b]) => {
    if (a === 0 && b === 0) return en ? 'same day' : 'giao trong ngày';
    const span = a === b ? `${a}` : `${a}–${b}`;
    return en ? `${span} ${span === '1' ? 'day' : 'days'}` : `${span} ngày`;
  };

  // The summary follows the checked method (its fee and total are on the radio).
  const showChosen = () => {
    const radio = form.querySelector('input[name=shipping_method]:checked');
    const ship = summary?.querySelector('[data-shipping]');
    const total = summary?.querySelector('[data-total]');
    if (!radio || !ship || !total) return;
    ship.textContent = radio.dataset.shippingText;
    ship.dataset.shipping = radio.dataset.shipping;
    total.textContent = radio.dataset.totalText;
    total.dataset.total = radio.dataset.total;
    if (expected) expected.value = radio.dataset.total;
  };
  form.addEventListener('change', (e) => {
    if (e.target.name === 'shipping_method') showChosen();
  });

  // Cash on delivery only for Vietnamese addresses: hidden (and not sent) abroad; if it was the
  // method chosen, the first other one is chosen instead.
  const codFor = (country) => {
    const vn = (country || 'VN') === 'VN';
    for (const label of form.querySelectorAll('label[data-vn-only]')) {
      label.hidden = !vn;
      const input = label.querySelector('input');
      input.disabled = !vn;
      if (!vn && input.checked) {
        input.checked = false;
        const other = form.querySelector('input[name=payment_provider]:not(:disabled)');
        if (other) other.checked = true;
      }
    }
  };

  // A quote for the place chosen: the methods offered there, with their fees and totals.
  let asked = 0;
  let place = null;
  const quote = async () => {
    const url = form.dataset.quoteUrl;
    if (!url || !methods || !place) return;
    const body = { country: place.country?.value || 'VN', province_code: place.province?.value || '', ward_code: place.ward?.value || '' };
    if (body.country === 'VN' && !body.province_code) return;
    const mine = ++asked;
    let res;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-cart-token': form.dataset.cartToken || '' }, body: JSON.stringify(body) });
    } catch { return; /* offline: the Update button still works */ }
    if (!res.ok || mine !== asked) return;
    const { methods: offered } = await res.json();
    const current = form.querySelector('input[name=shipping_method]:checked')?.value;
    const keep = offered.some((m) => m.code === current) ? current : offered[0]?.code;
    for (const old of methods.querySelectorAll('label.choice, p.notice')) old.remove();
    let after = methods.querySelector('legend');
    if (offered.length === 0) {
      const p = document.createElement('p');
      p.className = 'notice';
      p.textContent = en ? 'No shipping method reaches this address for this parcel.' : 'Chưa có cách giao hàng nào tới địa chỉ này cho kiện hàng này.';
      after.after(p);
    }
    offered.forEach((m, i) => {
      const label = document.createElement('label');
      label.className = 'choice';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'shipping_method';
      input.value = m.code;
      if (i === 0) input.id = 'f-shipping-method';
      input.checked = m.code === keep;
      const shipping = m.fee - m.discount;
      input.dataset.shipping = String(shipping);
      input.dataset.total = String(m.total);
      input.dataset.shippingText = shipping === 0 ? free : money(shipping);
      input.dataset.totalText = money(m.total);
      const window = document.createElement('span');
      window.className = 'eta';
      window.textContent = eta(m.eta_days);
      label.append(input, ` ${names[m.code] || m.code} — ${m.fee === 0 ? free : money(m.fee)} · `, window);
      after.after(label);
      after = label;
    });
    showChosen();
  };
  place = placePicker(form, () => {
    codFor(place?.country?.value);
    quote();
  });
})();

// Live stock: a product page stays cached, so its stock lines may be up to a second or a cache
// entry old; the counts now come from the uncached `/api/v1/availability` for the variant ids the
// page carries. Without this script the page is still right about what is sold out (its cache key
// follows that), only "only n left" may lag.
(() => {
  'use strict';
  const root = document.querySelector('[data-live-stock]');
  if (!root) return;
  const els = [...document.querySelectorAll('[data-variant-id][data-live]')];
  const ids = [...new Set(els.map((el) => el.dataset.variantId))];
  if (ids.length === 0) return;
  const words = root.dataset;
  const lowMax = Number(words.stockLowMax);
  const level = (n) => (n <= 0 ? 'out' : n <= lowMax ? 'low' : 'in');
  const sentence = (n) => ({ out: words.stockOut, low: words.stockLow.replace('{n}', String(n)), in: words.stockIn })[level(n)];
  fetch(`/api/v1/availability?variants=${ids.join(',')}`, { credentials: 'omit', cache: 'no-store' })
    .then((res) => (res.ok ? res.json() : null))
    .then((body) => {
      if (!body || !body.variants) return;
      for (const el of els) {
        const n = body.variants[el.dataset.variantId];
        if (typeof n !== 'number') continue;
        if (el.dataset.live === 'badge') {
          const badge = el.querySelector('[data-stock]');
          if (!badge) continue;
          badge.dataset.stock = level(n);
          badge.className = `stock ${level(n) === 'in' ? 'ok' : level(n)}`;
          badge.textContent = sentence(n);
        } else if (el.dataset.live === 'size') {
          el.dataset.stock = level(n);
          const note = el.querySelector('.size-note');
          if (note) note.textContent = sentence(n);
        } else if (el.dataset.live === 'buy') {
          const button = el.querySelector('button[type=submit]');
          const qty = el.querySelector('input[name=quantity]');
          if (qty) {
            qty.disabled = n <= 0;
            qty.max = String(Math.min(Math.max(n, 1), Number(qty.dataset.maxPerLine || 10)));
          }
          if (button) {
            button.disabled = n <= 0;
            button.textContent = n > 0 ? words.stockAdd : words.stockOut;
          }
        }
      }
      root.dataset.liveStockFilled = '';
    })
    .catch(() => { /* offline or refused: the page's own figures stay */ });
})();

// The product page's share bar (src/views/share.rs): the phone's share sheet and "copy link", each
// counted through the same /share/{channel}/{slug} path as the network links (which need no script).
(() => {
  'use strict';
  const bar = document.querySelector('[data-share]');
  if (!bar) return;
  const status = bar.querySelector('.share-status');
  const say = (text) => { status.textContent = text; };
  // Counted on our side before the path's redirect, which is not followed.
  const count = (path) => fetch(path, { credentials: 'same-origin', redirect: 'manual', keepalive: true }).catch(() => {});
  const copy = (url) => (navigator.clipboard ? navigator.clipboard.writeText(url).then(() => true, () => false) : Promise.resolve(false));
  const share = async (url, path) => {
    try {
      await navigator.share({ title: bar.dataset.shareTitle, url });
      count(path);
    } catch { /* cancelled (AbortError) or refused: nothing was shared, nothing is counted */ }
  };
  const copyButton = bar.querySelector('[data-share-channel="copy"]');
  const nativeButton = bar.querySelector('[data-share-channel="native"]');
  if (navigator.clipboard) copyButton.hidden = false;
  if (navigator.share) nativeButton.hidden = false;
  copyButton.addEventListener('click', async () => {
    const ok = await copy(bar.dataset.copyUrl);
    say(ok ? bar.dataset.copied : bar.dataset.copyFailed);
    if (ok) count(copyButton.dataset.count);
  });
  nativeButton.addEventListener('click', () => share(bar.dataset.shareUrl, nativeButton.dataset.count));
  // Zalo has no share link without its own script: on a phone the share sheet offers the Zalo app;
  // elsewhere the link is copied as Zalo's web chat opens (through the counted link) to paste it in.
  const zalo = bar.querySelector('[data-share-channel="zalo"]');
  zalo?.addEventListener('click', (event) => {
    if (navigator.share && matchMedia('(pointer: coarse)').matches) {
      event.preventDefault();
      share(bar.dataset.zaloUrl, zalo.getAttribute('href'));
      return;
    }
    copy(bar.dataset.zaloUrl).then((ok) => ok && say(bar.dataset.zaloHint));
  });
})();

// The installable app (src/views/pwa.rs, docs/PWA.md): the service worker keeps visited catalog pages
// for offline use; from a shopper's second visit on, Chrome's install offer becomes a small bar they
// can take or dismiss for good (the first visit is left alone).
// The worker is registered and the visit counted once the page has loaded (afterLoad); the install
// offer may come before that, and counts the visit itself then.
(() => {
  'use strict';
  if (!('serviceWorker' in navigator)) return;
  const VISITS = 'vestify:visits';
  const DISMISSED = 'vestify:install-dismissed';
  // Whether the bar may show: a second visit or later, never dismissed (null: not counted yet).
  let offer = null;
  const visit = () => {
    if (offer !== null) return offer;
    offer = false;
    try {
      let visits = Number(localStorage.getItem(VISITS) || 0);
      // A visit is a browser session, not a page view.
      if (!sessionStorage.getItem(VISITS)) {
        visits += 1;
        localStorage.setItem(VISITS, String(visits));
        sessionStorage.setItem(VISITS, '1');
      }
      offer = visits >= 2 && !localStorage.getItem(DISMISSED);
    } catch { /* storage blocked: no hint */ }
    return offer;
  };
  // Two pieces: each may wait on the browser (registering, opening the storage).
  afterLoad(() => navigator.serviceWorker.register('/sw.js').catch(() => { /* unsupported here (http, private mode): pages work without it */ }));
  afterLoad(visit);
  window.addEventListener('beforeinstallprompt', (event) => {
    if (!visit()) return;
    event.preventDefault();
    const en = document.documentElement.lang === 'en';
    const bar = document.createElement('aside');
    bar.className = 'install-hint';
    bar.setAttribute('aria-label', en ? 'Install the app' : 'Cài ứng dụng');
    const text = document.createElement('p');
    text.textContent = en ? 'Add Vestify to your home screen: faster, and viewed products open offline.' : 'Thêm Vestify vào màn hình chính: mở nhanh hơn, xem lại sản phẩm cả khi mất mạng.';
    const install = document.createElement('button');
    install.type = 'button';
    install.textContent = en ? 'Install' : 'Cài đặt';
    const later = document.createElement('button');
    later.type = 'button';
    later.className = 'secondary';
    later.textContent = en ? 'Not now' : 'Để sau';
    const close = () => {
      bar.remove();
      try { localStorage.setItem(DISMISSED, '1'); } catch { /* the hint may come back next visit */ }
    };
    install.addEventListener('click', async () => {
      bar.remove();
      await event.prompt();
      const { outcome } = await event.userChoice;
      if (outcome !== 'accepted') close();
    });
    later.addEventListener('click', close);
    bar.append(text, install, later);
    document.body.append(bar);
  });
})();

// A review's video (issue 22): the shop asks Cloudflare Stream for a one-time upload link, then the
// file goes straight from the browser to Stream (never through the shop), with a progress bar.
(() => {
  'use strict';
  for (const box of document.querySelectorAll('[data-video-upload]')) {
    const input = box.querySelector('input[type=file]');
    const button = box.querySelector('button');
    const bar = box.querySelector('progress');
    const status = box.querySelector('[role=status]');
    const say = (key) => { status.textContent = box.dataset[key] || ''; };
    button.hidden = false;
    button.addEventListener('click', async () => {
      const file = input.files && input.files[0];
      if (!file || !file.type.startsWith('video/')) { say('msgPick'); return; }
      if (file.size > 200 * 1024 * 1024) { say('msgLarge'); return; }
      button.disabled = true;
      say('msgAsking');
      let link;
      try {
        const res = await fetch(box.dataset.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ review_token: box.dataset.token }),
        });
        link = await res.json();
        if (!res.ok) throw new Error(link?.error?.message || String(res.status));
      } catch (error) {
        status.textContent = `${box.dataset.msgFailed} ${error.message}`;
        button.disabled = false;
        return;
      }
      const form = new FormData();
      form.append('file', file);
      const xhr = new XMLHttpRequest();
      bar.hidden = false;
      bar.value = 0;
      xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100); });
      xhr.addEventListener('load', () => {
        const ok = xhr.status >= 200 && xhr.status < 300;
        if (ok) bar.value = 100;
        say(ok ? 'msgDone' : 'msgFailed');
        box.dataset.uploaded = ok ? link.video_id : '';
        button.disabled = ok;
      });
      xhr.addEventListener('error', () => { say('msgFailed'); button.disabled = false; });
      say('msgUploading');
      xhr.open('POST', link.upload_url);
      xhr.send(form);
    });
  }
})();

// Wishlist hearts (src/views/wishlist.rs, docs/WISHLIST.md): cached pages render every heart empty;
// the visitor's wishlisted products come from the uncached /wishlist/ids.json (asked only when the
// `vestify_wishlist_n` cookie says the list has some) and a heart toggles in place. Without this
// script a heart is a form that adds the product and shows the wishlist.
(() => {
  'use strict';
  const wished = new Set();
  const hearts = (root = document) => root.querySelectorAll('form.heart[data-wishlist]');
  // The header's heart counts the list (empty when it has nothing).
  const counters = document.querySelectorAll('[data-wishlist-count]');
  const show = (root) => {
    for (const el of counters) el.textContent = wished.size > 0 ? String(wished.size) : '';
    for (const form of hearts(root)) {
      const on = wished.has(form.dataset.wishlist);
      const button = form.querySelector('button');
      if (!button) continue;
      button.setAttribute('aria-pressed', String(on));
      button.setAttribute('aria-label', on ? form.dataset.remove : form.dataset.add);
    }
  };
  const count = document.cookie.match(/(?:^|;\s*)vestify_wishlist_n=(\d+)/);
  let loading = null;
  const ready = () => {
    loading ??= count && Number(count[1]) > 0
      ? fetch('/wishlist/ids.json', { headers: { accept: 'application/json' } })
        .then((res) => (res.ok ? res.json() : { products: [] }))
        .then((body) => { for (const slug of body.products || []) wished.add(slug); show(document); })
        .catch(() => { /* the hearts stay empty; the forms still work */ })
      : Promise.resolve();
    return loading;
  };
  if (hearts().length || counters.length) ready();
  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches('form.heart[data-wishlist]')) return;
    event.preventDefault();
    await ready();
    const slug = form.dataset.wishlist;
    const on = wished.has(slug);
    const action = on ? form.action.replace(/\/add$/, '/remove') : form.action;
    const button = form.querySelector('button');
    if (button) button.disabled = true;
    try {
      const res = await fetch(action, { method: 'POST', headers: { accept: 'application/json' }, body: new URLSearchParams({ product: slug }) });
      if (!res.ok) throw new Error(String(res.status));
      if (on) wished.delete(slug); else wished.add(slug);
      show(document);
    } catch {
      // The page the server answers explains it (a full list, a product no longer sold).
      if (!on) form.submit();
    } finally {
      if (button) button.disabled = false;
    }
  });
  // Hearts put in the page later (the recently viewed block) are filled too.
  document.addEventListener('vestify:cards', (event) => { ready().then(() => show(event.target)); });
})();

// Recently viewed (docs/WISHLIST.md): the browser keeps up to 12 product ids, most recent first; a
// product page adds its own, and the page's slot (product and cart pages) is filled with cards from
// POST /recently-viewed, which also joins the list with the signed-in shopper's account. Without
// JavaScript the block is simply not shown. Done after load (afterLoad): the block is at the page's foot.
afterLoad(() => {
  'use strict';
  const KEY = 'vestify:recent';
  const CAP = 12;
  let list = [];
  try { list = JSON.parse(localStorage.getItem(KEY)) || []; } catch { list = []; }
  list = list.filter((id) => Number.isSafeInteger(id) && id > 0);
  const save = () => { try { localStorage.setItem(KEY, JSON.stringify(list.slice(0, CAP))); } catch { /* storage blocked */ } };
  const current = Number(document.querySelector('article.product form.heart[data-product-id]')?.dataset.productId);
  if (Number.isSafeInteger(current) && current > 0) {
    list = [current, ...list.filter((id) => id !== current)].slice(0, CAP);
    save();
  }
  const slot = document.querySelector('[data-recent]');
  if (!slot) return;
  const exclude = slot.dataset.exclude || '';
  const others = list.filter((id) => String(id) !== exclude);
  let synced = false;
  try { synced = sessionStorage.getItem(`${KEY}:synced`) === '1'; } catch { /* ask each time */ }
  // Nothing to show and already joined with the account this session: no request.
  if (!others.length && synced) return;
  fetch(slot.dataset.recent, { method: 'POST', headers: { accept: 'application/json' }, body: new URLSearchParams({ ids: list.join(','), exclude }) })
    .then((res) => (res.ok ? res.json() : null))
    .then((body) => {
      if (!body) return;
      try { sessionStorage.setItem(`${KEY}:synced`, '1'); } catch { /* fine */ }
      if (Array.isArray(body.ids)) { list = body.ids.slice(0, CAP); save(); }
      if (body.html) {
        slot.innerHTML = body.html;
        slot.dispatchEvent(new CustomEvent('vestify:cards', { bubbles: true }));
      }
    })
    .catch(() => { /* the block is optional */ });
});

// Bundles (issue 15): the product page's "add all" offer shows the set's price for the variants
// picked. The server priced the first picks; this repeats the engine's rule for one set (percent
// rounded down to the đồng, or the bundle price when it is lower) as the pickers change.
(() => {
  const money = (n, locale) => (locale === 'en' ? `₫${n.toLocaleString('en-US')}` : `${n.toLocaleString('de-DE')} ₫`);
  for (const offer of document.querySelectorAll('section.bundle-offer')) {
    const before = offer.querySelector('[data-bundle-before]');
    const after = offer.querySelector('[data-bundle-after]');
    if (!after) continue;
    offer.addEventListener('change', () => {
      const set = [...offer.querySelectorAll('select[name="variant_ids"]')].reduce((sum, s) => sum + Number(s.selectedOptions[0]?.dataset.price || 0), 0);
      const { bundlePercent: percent, bundlePrice: price, locale } = offer.dataset;
      const off = percent ? Math.floor((set * Number(percent)) / 100) : Math.max(set - Number(price || set), 0);
      after.dataset.bundleAfter = String(set - off);
      after.textContent = money(set - off, locale);
      if (before) {
        before.dataset.bundleBefore = String(set);
        before.textContent = money(set, locale);
      }
    });
  }
})();

// Tags with consent (src/views/consent.rs, docs/TRACKING.md): Google Consent Mode v2 starts with
// everything denied; the banner (hidden in the cached page) shows when this browser has no choice in
// the `vestify_consent` cookie. Google Tag Manager loads only after analytics or advertising is
// granted, the Meta Pixel only after advertising, each with this script's CSP nonce; the page's
// e-commerce events (`#tag-events`) and add-to-cart go to the data layer and the Pixel after that.
(() => {
  'use strict';
  const banner = document.getElementById('consent');
  if (!banner) return;
  const nonce = (document.currentScript && document.currentScript.nonce) || '';
  const dataLayer = (window.dataLayer = window.dataLayer || []);
  function gtag() { dataLayer.push(arguments); }
  gtag('consent', 'default', { ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', analytics_storage: 'denied', personalization_storage: 'denied' });

  const read = () => {
    const m = document.cookie.match(/(?:^|;\s*)vestify_consent=a([01])\.d([01])\.p([01])(?:;|$)/);
    return m && { analytics: m[1] === '1', advertising: m[2] === '1', personalisation: m[3] === '1' };
  };
  const write = (c) => {
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = `vestify_consent=a${+c.analytics}.d${+c.advertising}.p${+c.personalisation}; Path=/; Max-Age=15552000; SameSite=Lax${secure}`;
  };
  const addScript = (src) => {
    const s = document.createElement('script');
    s.async = true;
    s.src = src;
    s.nonce = nonce;
    document.head.append(s);
  };

  let data = { events: [] };
  try { data = JSON.parse(document.getElementById('tag-events')?.textContent || '{"events":[]}'); } catch { /* no events */ }
  const pixelCall = (e) => {
    const ec = e.ecommerce || {};
    const name = { view_item: 'ViewContent', add_to_cart: 'AddToCart', begin_checkout: 'InitiateCheckout', purchase: 'Purchase' }[e.event];
    if (!name || !window.fbq) return;
    const items = ec.items || [];
    const params = { value: ec.value, currency: ec.currency, content_type: 'product', content_ids: items.map((i) => i.item_id), num_items: items.reduce((n, i) => n + (i.quantity || 1), 0) };
    window.fbq('track', name, params, ec.event_id ? { eventID: ec.event_id } : undefined);
  };
  let gtm = false;
  let pixel = false;
  let granted = null;
  const send = (e) => {
    if (!granted) return;
    if (gtm) {
      dataLayer.push({ ecommerce: null });
      dataLayer.push(e);
    }
    if (pixel) pixelCall(e);
  };
  const pageEvents = () => {
    for (const e of data.events) {
      // A purchase is counted once per browser, not on each reload of the order page.
      const once = e.event === 'purchase' && `vestify:purchase:${e.ecommerce.transaction_id}`;
      try {
        if (once && localStorage.getItem(once)) continue;
        if (once) localStorage.setItem(once, '1');
      } catch { /* the providers deduplicate by transaction and event id */ }
      send(e);
    }
  };
  const apply = (c) => {
    const g = (yes) => (yes ? 'granted' : 'denied');
    gtag('consent', 'update', { analytics_storage: g(c.analytics), ad_storage: g(c.advertising), ad_user_data: g(c.advertising), ad_personalization: g(c.personalisation), personalization_storage: g(c.personalisation) });
    const first = !granted;
    granted = c.analytics || c.advertising ? c : null;
    if (window.fbq) window.fbq('consent', c.advertising ? 'grant' : 'revoke');
    if (!granted) return;
    if (!gtm && banner.dataset.gtm) {
      gtm = true;
      dataLayer.push({ 'gtm.start': Date.now(), event: 'gtm.js' });
      addScript(`${banner.dataset.gtmBase}/gtm.js?id=${encodeURIComponent(banner.dataset.gtm)}`);
    }
    if (!pixel && c.advertising && banner.dataset.pixel) {
      pixel = true;
      const fbq = (window.fbq = function () { fbq.callMethod ? fbq.callMethod.apply(fbq, arguments) : fbq.queue.push(arguments); });
      if (!window._fbq) window._fbq = fbq;
      Object.assign(fbq, { push: fbq, loaded: true, version: '2.0', queue: [] });
      addScript(`${banner.dataset.pixelBase}/en_US/fbevents.js`);
      fbq('init', banner.dataset.pixel);
      fbq('track', 'PageView');
    }
    if (first) pageEvents();
  };

  const form = document.getElementById('consent-choices');
  const customise = banner.querySelector('[data-consent="customise"]');
  const opener = document.querySelector('[data-consent-open]');
  let returnTo = null;
  const show = (from) => {
    returnTo = from || null;
    const c = read() || {};
    for (const box of form.querySelectorAll('input[type=checkbox]')) box.checked = Boolean(c[box.name]);
    banner.hidden = false;
    if (from) banner.querySelector('#consent-title').focus();
  };
  const choose = (c) => {
    write(c);
    banner.hidden = true;
    form.hidden = true;
    customise.setAttribute('aria-expanded', 'false');
    apply(c);
    if (returnTo) returnTo.focus();
  };
  banner.addEventListener('click', (event) => {
    const which = event.target.closest('[data-consent]')?.dataset.consent;
    if (which === 'accept') choose({ analytics: true, advertising: true, personalisation: true });
    if (which === 'reject') choose({ analytics: false, advertising: false, personalisation: false });
    if (which === 'customise') {
      form.hidden = !form.hidden;
      customise.setAttribute('aria-expanded', String(!form.hidden));
      if (!form.hidden) form.querySelector('input').focus();
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const on = (name) => form.elements[name].checked;
    choose({ analytics: on('analytics'), advertising: on('advertising'), personalisation: on('personalisation') });
  });
  if (opener) {
    opener.hidden = false;
    opener.addEventListener('click', () => show(opener));
  }

  // Add to cart (the product page's form): the viewed variant's item with the quantity chosen.
  document.addEventListener('submit', (event) => {
    const buy = event.target.closest('form.add-to-cart');
    const viewed = data.events.find((e) => e.event === 'view_item');
    if (!buy || !viewed) return;
    const item = viewed.ecommerce.items.find((i) => i.item_id === buy.elements.sku?.value);
    if (!item) return;
    const quantity = Math.max(1, Number(buy.elements.quantity?.value) || 1);
    send({ event: 'add_to_cart', ecommerce: { currency: 'VND', value: item.price * quantity, items: [{ ...item, quantity }] } });
  });

  const stored = read();
  if (stored) apply(stored);
  else show(null);
})();

// Alert signups by push ("báo khi có hàng", "báo khi giảm giá"): where this browser already receives
// the shop's push notifications (it opted in on an order or the account page), the alert form offers
// them too, with the subscription's endpoint; the shop accepts only an endpoint it holds. After load.
afterLoad(() => {
  'use strict';
  const forms = document.querySelectorAll('form.variant-alert');
  if (!forms.length || !('serviceWorker' in navigator) || !('PushManager' in window)) return;
  navigator.serviceWorker.getRegistration().then((registration) => registration && registration.pushManager.getSubscription()).then((subscription) => {
    if (!subscription) return;
    for (const form of forms) {
      const endpoint = form.querySelector('[data-alert-endpoint]');
      const option = form.querySelector('[data-alert-push]');
      if (!endpoint || !option) continue;
      endpoint.value = subscription.endpoint;
      option.hidden = false;
    }
  }).catch(() => {});
});

// The product gallery (src/views/product.rs): thumbnails scroll the row of photos and follow the one
// in view; a photo opens in a lightbox (<dialog>) where the arrow keys move, Escape closes and focus
// goes back to the photo. Without this script the thumbnails are anchors and a photo opens its file.
// Wired after load (afterLoad), or at the shopper's first tap or key press, whichever comes first.
afterLoad(() => {
  'use strict';
  const gallery = document.querySelector('[data-gallery]');
  if (!gallery) return;
  const row = gallery.querySelector('.photos');
  const figures = [...row.querySelectorAll('figure')];
  const thumbs = [...gallery.querySelectorAll('.thumbs a')];
  const mark = (i) => thumbs.forEach((t, j) => (j === i ? t.setAttribute('aria-current', 'true') : t.removeAttribute('aria-current')));
  const show = (i, behavior = 'smooth') => {
    row.scrollTo({ left: figures[i].offsetLeft - figures[0].offsetLeft, behavior });
    mark(i);
  };
  thumbs.forEach((thumb, i) => thumb.addEventListener('click', (event) => {
    event.preventDefault();
    show(i);
  }));
  if (thumbs.length && 'IntersectionObserver' in window) {
    const seen = new IntersectionObserver((entries) => {
      for (const e of entries) if (e.isIntersecting) mark(figures.indexOf(e.target));
    }, { root: row, threshold: 0.6 });
    figures.forEach((f) => seen.observe(f));
  }

  const words = gallery.dataset;
  const dialog = document.createElement('dialog');
  dialog.className = 'lightbox';
  dialog.setAttribute('aria-label', gallery.getAttribute('aria-label'));
  const big = document.createElement('img');
  big.alt = '';
  const bar = document.createElement('div');
  const count = document.createElement('p');
  count.setAttribute('aria-live', 'polite');
  const button = (label, mark) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('aria-label', label);
    b.textContent = mark;
    return b;
  };
  const prev = button(words.prev, '‹');
  const next = button(words.next, '›');
  const close = button(words.close, '✕');
  prev.hidden = next.hidden = figures.length < 2;
  bar.append(prev, count, next, close);
  // The large photo joins the dialog on first opening (an <img> without a source reads as broken).
  dialog.append(bar);
  document.body.append(dialog);
  let at = 0;
  const open = (i) => {
    at = (i + figures.length) % figures.length;
    const img = figures[at].querySelector('img');
    if (!big.isConnected) dialog.prepend(big);
    const link = figures[at].querySelector('a');
    // An uploaded photo's smaller copies (srcset): the screen's width, not the original's.
    if (link.dataset.srcset) { big.sizes = '100vw'; big.srcset = link.dataset.srcset; } else big.removeAttribute('srcset');
    big.src = link.href;
    big.alt = img.alt;
    count.textContent = `${at + 1} / ${figures.length}`;
  };
  row.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-zoom]');
    if (!link) return;
    event.preventDefault();
    open(Number(link.dataset.zoom));
    dialog.showModal();
    close.focus();
  });
  prev.addEventListener('click', () => open(at - 1));
  next.addEventListener('click', () => open(at + 1));
  close.addEventListener('click', () => dialog.close());
  // A tap beside the photo (on the backdrop) closes too.
  dialog.addEventListener('click', (event) => { if (event.target === dialog) dialog.close(); });
  dialog.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowRight') open(at + 1);
    else if (event.key === 'ArrowLeft') open(at - 1);
    else return;
    event.preventDefault();
  });
  // Back on the page: the photo last seen is in view and has focus.
  dialog.addEventListener('close', () => {
    show(at, 'instant');
    figures[at].querySelector('a').focus({ preventScroll: true });
  });
});
