// Signing in as each admin role for integration tests: the first owner through scripts/create-owner,
// then a manager, a staff member and a support agent created by the owner at /admin/users.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { browser, newEmail } from './accounts.mjs';
import { ROOT } from './shop.mjs';

const run = promisify(execFile);
export const OWNER_PASSWORD = 'owner password for tests';
export const PASSWORDS = { manager: 'manager password 1', staff: 'staff password 12', support: 'support password 1' };

/** A browser signed in to the admin area as `email`. */
export async function adminSession(shop, email, password) {
  const b = browser(shop);
  const res = await b.submit('/admin/login', { email, password });
  assert.equal(res.status, 303, `${email} signs in: ${res.status}`);
  return b;
}

/** `{ owner, manager, staff, support }`: one signed-in browser per role, with `emails` beside. */
export async function adminsByRole(shop) {
  const admins = { emails: {} };
  const owner = newEmail('owner');
  await run(join(ROOT, 'scripts', 'create-owner'), [owner], { cwd: ROOT, env: { ...process.env, STATE_DIR: shop.stateDir, OWNER_PASSWORD } });
  admins.emails.owner = owner;
  admins.owner = await adminSession(shop, owner, OWNER_PASSWORD);
  for (const role of ['manager', 'staff', 'support']) {
    const email = newEmail(role);
    const res = await admins.owner.submit('/admin/users', { email, name: role, role, password: PASSWORDS[role] }, { page: '/admin/users' });
    assert.equal(res.status, 303);
    admins.emails[role] = email;
    admins[role] = await adminSession(shop, email, PASSWORDS[role]);
  }
  return admins;
}
