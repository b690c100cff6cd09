// The setup every integration test file shares: one shop per file, started before its tests and
// stopped after them, with the shopping helpers bound to it.
//
//   import { beforeAll, s, shop, useShop } from './support/setup.mjs';
//   useShop({ vars: { CART_HOLD_SECONDS: '3' } });
//   beforeAll(async () => { admins = await adminsByRole(shop); });
//
// `shop` and `s` are live bindings: undefined while the file loads, set once the shop is up, so a
// file's tests (and the `beforeAll` steps registered after `useShop()`) can use them. Each test file
// runs in a process of its own (node --test), so each has its own shop.
import { after, before } from 'node:test';

import { startShop } from './shop.mjs';
import { shopping } from './shopping.mjs';

/** The file's running shop (see shop.mjs `startShop`). */
export let shop;
/** The JSON and HTML helpers bound to it (see shopping.mjs `shopping`). */
export let s;

let steps = Promise.resolve();

/**
 * Runs `fn` once before the file's tests, after every step registered before it. Node 20 starts a
 * file's top-level `before` hooks as they are registered, without waiting for the one before, so
 * steps that need an earlier one (the fakes, then the shop that talks to them, then its admins) are
 * registered here rather than with `before`.
 */
export function beforeAll(fn) {
  before(() => (steps = steps.then(fn)));
}

/**
 * Starts the shop before the file's tests (a `beforeAll` step) and stops it after them. `options`
 * go to `startShop` (`vars`, `timeoutMs`); a function is called when the shop starts, so it can use
 * what earlier steps made (e.g. the vars of the payment fakes).
 */
export function useShop(options = {}) {
  beforeAll(async () => {
    shop = await startShop(typeof options === 'function' ? options() : options);
    s = shopping(shop);
  });
  after(async () => {
    await shop?.stop();
  });
}
