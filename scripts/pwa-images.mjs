#!/usr/bin/env node
// Makes the web app's PNG images in public/img/pwa/ with the Chromium the browser tests use
// (/usr/bin/chromium driven by playwright-core, both installed by scripts/setup), so no image tool is
// needed on the host. Run it again after changing public/img/logo.svg or the shop's look, and commit
// the PNGs (the Worker serves them fingerprinted like every file in public/).
//
//   node scripts/pwa-images.mjs                       the icons (192, 512, maskable 512)
//   node scripts/pwa-images.mjs http://127.0.0.1:8787 the icons and the install sheet's screenshots of
//                                                     a running shop (scripts/serve): phone and wide
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'public/img/pwa');
/** The logo's own navy (public/img/logo.svg), also the manifest's theme colour. */
const NAVY = '#1f3a5f';

const logo = readFileSync(join(ROOT, 'public/img/logo.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  // An icon of purpose "any": the logo as drawn (rounded square, transparent corners).
  for (const size of [192, 512]) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${logo}`);
    writeFileSync(join(OUT, `icon-${size}.png`), await page.screenshot({ omitBackground: true }));
  }
  // A maskable icon: full-bleed navy, the logo within the central 80 % safe zone that every mask keeps
  // (https://web.dev/articles/maskable-icon).
  const size = 512;
  const inner = Math.round(size * 0.62);
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(`<style>html,body{margin:0;background:${NAVY};width:${size}px;height:${size}px;display:grid;place-items:center}svg{display:block;width:${inner}px;height:${inner}px}</style>${logo}`);
  writeFileSync(join(OUT, 'icon-maskable-512.png'), await page.screenshot());

  const origin = process.argv[2];
  if (origin) {
    // Chrome's richer install sheet shows these: a phone ("narrow") and a desktop ("wide") view of
    // the home page, each side between 320 and 3840 px and at most 2.3 times the other.
    for (const [name, width, height] of [['screenshot-narrow', 390, 844], ['screenshot-wide', 1280, 800]]) {
      const shot = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
      await shot.goto(`${origin}/`, { waitUntil: 'networkidle' });
      writeFileSync(join(OUT, `${name}.png`), await shot.screenshot());
      await shot.close();
    }
  }
} finally {
  await browser.close();
}
