// Progressive enhancement only: every page works without this file.
(() => {
  'use strict';
  const KEY = 'vestify:filters';
  const wide = window.matchMedia('(min-width: 900px)');
  let kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(KEY));
    sessionStorage.removeItem(KEY);
  } catch { /* storage blocked: nothing to restore */ }

  for (const form of document.querySelectorAll('form[data-autosubmit]')) {
    const panel = form.querySelector('details[data-filter-panel]');
    const back = kept && kept.path === location.pathname;
    // The facets are a sidebar on wide screens; on a phone they stay as the shopper left them.
    if (panel && (wide.matches || (back && kept.open))) panel.open = true;
    // After an automatic submit, put focus back on the control that caused it.
    if (back) {
      const control = [...form.elements].find((el) => el.name === kept.name && (el.type !== 'checkbox' || el.value === kept.value));
      if (control) control.focus();
    }
    // Filters apply as soon as a choice changes; the Apply button stays for keyboards and no-JS.
    form.addEventListener('change', (event) => {
      const el = event.target;
      if (!el.matches('input[type=checkbox], select')) return;
      try {
        sessionStorage.setItem(KEY, JSON.stringify({ path: location.pathname, open: panel?.open, name: el.name, value: el.value }));
      } catch { /* fine: only focus and the open panel are lost */ }
      form.requestSubmit();
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
// empties them). Without this the server still uses the chosen address, whatever the fields say.
(() => {
  'use strict';
  const fields = ['line1', 'ward', 'district', 'province', 'country'];
  for (const radio of document.querySelectorAll('input[name=saved_address]')) {
    radio.addEventListener('change', () => {
      const form = radio.form;
      if (!form || !radio.checked) return;
      for (const f of fields) {
        const el = form.elements.namedItem(`address.${f}`);
        if (!el) continue;
        const value = radio.value === 'new' ? (f === 'country' ? 'VN' : '') : (radio.dataset[f] ?? '');
        el.value = value;
      }
      const save = form.elements.namedItem('save_address');
      if (save) save.closest('.save-address').hidden = radio.value !== 'new';
    });
  }
})();
