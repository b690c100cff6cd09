// A product's images in the admin (views/admin/media.rs): the browser makes an uploaded photo's
// smaller copies, so the Worker never decodes an image (issue #16, docs/OPERATIONS.md). The photo is
// decoded upright (EXIF orientation), drawn at widths 320, 640 and 1280 (never wider than it) and
// encoded as WebP (JPEG where this browser's canvas cannot encode WebP), plus a 1200×630 centre
// crop as JPEG for link previews; they travel with the original in the same form (fields size_320,
// size_640, size_1280, social), where the Worker checks each. Without this script, or when a step
// fails, the original is uploaded alone, as before; the page then lists it as having no smaller
// copies, and its button here makes them from the stored original.
(() => {
  const WIDTHS = [320, 640, 1280];
  const RASTER = /^image\/(jpeg|png|webp|avif)$/;

  const encode = (canvas, type, quality) => new Promise((resolve) => canvas.toBlob(resolve, type, quality));

  const draw = (bitmap, width, height, sx = 0, sy = 0, sw = bitmap.width, sh = bitmap.height) => {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, sx, sy, sw, sh, 0, 0, width, height);
    return canvas;
  };

  /** The copies of `blob` as [field, File] pairs; copies heavier than the original are left out. */
  async function copies(blob) {
    const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
    const out = [];
    try {
      for (const width of WIDTHS.filter((w) => w <= bitmap.width)) {
        const canvas = draw(bitmap, width, Math.max(1, Math.round((width * bitmap.height) / bitmap.width)));
        let file = await encode(canvas, 'image/webp', 0.8);
        if (!file || file.type !== 'image/webp') file = await encode(canvas, 'image/jpeg', 0.82);
        if (file && file.size <= blob.size) out.push([`size_${width}`, new File([file], `${width}.${file.type === 'image/webp' ? 'webp' : 'jpg'}`, { type: file.type })]);
      }
      // The social image: the centre of the photo, cut to 1200 × 630 (1.905 : 1).
      const ratio = 1200 / 630;
      const [sw, sh] = bitmap.width / bitmap.height > ratio ? [bitmap.height * ratio, bitmap.height] : [bitmap.width, bitmap.width / ratio];
      const social = await encode(draw(bitmap, 1200, 630, (bitmap.width - sw) / 2, (bitmap.height - sh) / 2, sw, sh), 'image/jpeg', 0.85);
      if (social) out.push(['social', new File([social], 'social.jpg', { type: 'image/jpeg' })]);
    } finally {
      bitmap.close();
    }
    return out;
  }

  // The upload form: the copies join it as files, then it is sent as the browser sends any form
  // (so the redirect, an error page or the 413 page show as without the script).
  const upload = document.querySelector('form.image-upload[data-make-sizes]');
  if (upload) {
    const max = Number(upload.dataset.maxBytes) || Infinity;
    const status = upload.querySelector('[data-sizes-status]');
    upload.addEventListener('submit', async (event) => {
      const input = upload.querySelector('input[name="file"]');
      const file = input && input.files[0];
      if (!file || !RASTER.test(file.type) || upload.dataset.busy) return;
      event.preventDefault();
      upload.dataset.busy = '1';
      upload.querySelectorAll('input[data-copy]').forEach((i) => i.remove());
      if (status) status.textContent = status.dataset.working;
      try {
        const made = await copies(file);
        const total = made.reduce((sum, [, f]) => sum + f.size, 0);
        // The Worker takes the copies up to the upload limit together (MEDIA_MAX_BYTES).
        if (file.size <= max && total <= max) {
          for (const [field, copy] of made) {
            const holder = document.createElement('input');
            holder.type = 'file';
            holder.name = field;
            holder.hidden = true;
            holder.dataset.copy = '';
            const list = new DataTransfer();
            list.items.add(copy);
            holder.files = list.files;
            upload.append(holder);
          }
        }
      } catch (error) {
        // The original alone; the page offers to make the copies later.
        console.warn('smaller copies not made:', error);
      }
      upload.submit();
    });
  }

  // An image stored without copies: fetch the original, make them, send them.
  for (const form of document.querySelectorAll('form[data-sizes-for]')) {
    form.hidden = false;
    const status = form.querySelector('[data-sizes-status]');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button');
      button.disabled = true;
      status.textContent = status.dataset.working;
      try {
        const original = await fetch(form.dataset.sizesFor);
        if (!original.ok) throw new Error(`HTTP ${original.status}`);
        const body = new FormData(form);
        for (const [field, copy] of await copies(await original.blob())) body.append(field, copy);
        // The answer is a redirect to this page: not followed here (the page's CSP upgrades a
        // fetch's plain-HTTP redirect, which breaks on a local shop), the page is loaded anew.
        const sent = await fetch(form.action, { method: 'POST', body, redirect: 'manual' });
        if (sent.type !== 'opaqueredirect' && !sent.ok) throw new Error(`HTTP ${sent.status}`);
        const next = `${location.pathname}?saved=1`;
        if (location.pathname + location.search === next) location.reload();
        else location.assign(`${next}#images`);
      } catch (error) {
        status.textContent = `${status.dataset.failed} (${error.message})`;
        button.disabled = false;
      }
    });
  }
})();
