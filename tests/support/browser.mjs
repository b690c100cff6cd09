// Real Chromium for the browser tests (Debian's /usr/bin/chromium driven by playwright-core): one
// browser per test file, pages that record console errors and CSP violations, and small helpers for
// reading text, following navigations, checking the layout and saving screenshots.
//
//   import { browser, openPage, useBrowser } from './support/browser.mjs';
//   useBrowser();
//
// `browser` is a live binding, set once Chromium is up (as `shop` in setup.mjs).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

import { chromium } from 'playwright-core';

import { squash } from './html.mjs';
import { beforeAll } from './setup.mjs';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
];

/** Workerd under a busy machine can take a while for the first render of a page. */
export const TIMEOUT = 120_000;
export const DESKTOP = { viewport: { width: 1366, height: 900 } };
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/** The file's Chromium (a playwright `Browser`). */
export let browser;

/** Launches Chromium before the file's tests (a `beforeAll` step, see setup.mjs) and closes it after them. */
export function useBrowser() {
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
  });
}

/**
 * A page in a fresh context (its own cookies, so its own cart), desktop-sized unless `options` (a
 * playwright context's options, plus an optional `name` for the device) say otherwise, that records
 * console errors, uncaught exceptions and CSP violations for `assertClean()`. Expected errors can be
 * excused: `expectNotFound(url)` every "status of 404" Chromium logs for `url` (a page meant to be a
 * 404), `expectStatus(code)` the next one "status of <code>" line (a form answered with errors).
 */
export async function openPage(options = {}) {
  const { name, ...contextOptions } = { ...DESKTOP, ...options };
  const context = await browser.newContext(contextOptions);
  context.setDefaultNavigationTimeout(TIMEOUT);
  context.setDefaultTimeout(TIMEOUT);
  // Runs before any page script (and is not itself subject to the page's CSP).
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  const page = await context.newPage();
  const problems = [];
  /** { allow(msg), once }: a message `allow` accepts is not a problem; a `once` excuse is used up. */
  const excused = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() !== 'error' && !/Content Security Policy|Refused to/i.test(text)) return;
    const i = excused.findIndex(({ allow }) => allow(msg));
    if (i >= 0) {
      if (excused[i].once) excused.splice(i, 1);
      return;
    }
    problems.push(`console ${msg.type()} on ${page.url()}: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught ${error.name} on ${page.url()}: ${error.message}`));
  return {
    page,
    context,
    device: name,
    /** Excuses the "Failed to load resource: 404" Chromium logs for a page that is meant to be a 404. */
    expectNotFound(url) {
      excused.push({ allow: (msg) => /status of 404/.test(msg.text()) && msg.location().url === url, once: false });
    },
    /** Excuses the next "Failed to load resource" line for a page meant to answer with `status`. */
    expectStatus(status) {
      excused.push({ allow: (msg) => msg.text().includes(`status of ${status}`), once: true });
    },
    assertClean() {
      assert.deepEqual(problems, [], 'no console errors, uncaught exceptions or CSP violations');
    },
    close: () => context.close(),
  };
}

/** A locator's rendered text (`innerText`), whitespace collapsed. */
export const text = async (locator) => squash(await locator.innerText());

/** A locator's `textContent` (hidden text included), whitespace collapsed. */
export const textContent = async (locator) => squash(await locator.textContent());

/** Runs `action` (a click that submits or follows a link) and waits for the page it leads to. */
export async function navigateBy(page, action) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
  return response;
}

/**
 * A page must fit the screen: nothing may make the whole page scroll sideways. (A phone widens its
 * layout viewport to fit wide content, so the measure is the screen, not `innerWidth`.)
 */
export async function assertFits(page, what) {
  const screen = page.viewportSize().width;
  const width = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
  assert.ok(width <= screen, `${what}: the page is ${width}px wide on a ${screen}px screen`);
}

/**
 * Where a test file saves its screenshots: with SCREENSHOTS=1 in the environment, a fresh temporary
 * directory whose name starts with `prefix` (and says so on the output); otherwise null.
 */
export function screenshotDir(prefix) {
  if (!process.env.SCREENSHOTS) return null;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  console.log(`screenshots: ${dir}`);
  return dir;
}

/** Saves a full-page screenshot of `page` as `<dir>/<name>.png`; does nothing when `dir` is null. */
export async function screenshot(page, dir, name) {
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
