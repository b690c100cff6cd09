// Progressive enhancement only: every page works without this file.
(() => {
  'use strict';
  // Listing filters apply as soon as a choice changes; the Apply button stays for keyboards and no-JS.
  for (const form of document.querySelectorAll('form[data-autosubmit]')) {
    form.addEventListener('change', (event) => {
      if (event.target.matches('input[type=checkbox], select')) form.requestSubmit();
    });
  }
})();
