// The admin's promotion form (views/admin/promotions.rs). Without this script every offer type's
// and target type's fieldset is shown and the server reads only the chosen type's fields; with it,
// only the chosen ones are shown, the others are disabled (so they are neither sent nor checked by
// the browser), and each list of names gets a filter box that ignores case and Vietnamese accents.
(() => {
  const form = document.querySelector('form[data-promotion-form]');
  if (!form) return;

  const sync = (select, attr) => {
    for (const fieldset of form.querySelectorAll(`fieldset[${attr}]`)) {
      const on = fieldset.getAttribute(attr) === select.value;
      fieldset.hidden = !on;
      fieldset.disabled = !on;
    }
  };
  for (const select of form.querySelectorAll('select[data-shows]')) {
    const attr = `data-${select.dataset.shows}`;
    sync(select, attr);
    select.addEventListener('change', () => sync(select, attr));
  }
  for (const hint of form.querySelectorAll('.no-js-hint')) hint.hidden = true;

  const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase().trim();
  for (const input of form.querySelectorAll('input[data-picker-filter]')) {
    const list = input.parentElement.querySelector('.picker-list');
    if (!list) continue;
    input.hidden = false;
    input.addEventListener('input', () => {
      const q = fold(input.value);
      for (const label of list.querySelectorAll('label')) {
        label.hidden = q !== '' && !fold(label.textContent).includes(q);
      }
    });
    // Enter in the filter box filters; it does not submit the form.
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') e.preventDefault();
    });
  }
})();
