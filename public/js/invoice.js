// The invoice page's print button (src/views/invoice.rs). Without JavaScript the button stays hidden
// and the page's own sentence tells the reader to use the browser's Print command.
(() => {
  'use strict';
  const button = document.getElementById('print-invoice');
  if (!button || typeof window.print !== 'function') return;
  button.hidden = false;
  button.addEventListener('click', () => window.print());
})();
