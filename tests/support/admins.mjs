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
/** The roles the owner adds at /admin/users, in the order `adminsByRole` adds them. */
const STAFF_ROLES = ['manager', 'staff', 'support'];

/**
 * Runs `scripts/create-owner email` on the shop's state (the password through OWNER_PASSWORD);
 * returns { code, out } (exit code, stdout and stderr) instead of throwing.
 */
export async function createOwner(shop, email, password = OWNER_PASSWORD) {
  try {
    const { stdout } = await run(join(ROOT, 'scripts', 'create-owner'), [email], { cwd: ROOT, env: { ...process.env, STATE_DIR: shop.stateDir, OWNER_PASSWORD: password } });
    return { code: 0, out: stdout };
  } catch (error) {
    return { code: error.code, out: `${error.stdout}${error.stderr}` };
  }
}

/**
 * A browser signed in to the admin area as `email` (asserts the sign-in's 303, and its Location when
 * `landing` is given). `b.csrf()` fetches a CSRF token any signed-in admin can use (the logout
 * form's, on /admin), for posting where the admin's own page offers no form.
 */
export async function adminSession(shop, email, password, { landing } = {}) {
  const b = browser(shop);
  const res = await b.submit('/admin/login', { email, password });
  assert.equal(res.status, 303, `${email} signs in: ${res.status} ${res.text.slice(0, 200)}`);
  if (landing !== undefined) assert.equal(res.headers.get('location'), landing);
  b.csrf = () => b.token('/admin', '/admin/logout');
  return b;
}

/**
 * `{ owner, manager, staff, support }`: one signed-in browser per role, with `emails` beside. The
 * owner comes from scripts/create-owner, the others from the owner's form at /admin/users, each
 * named `name(role)` with the password `password(role)`.
 */
export async function adminsByRole(shop, { name = (role) => role, password = (role) => PASSWORDS[role] } = {}) {
  const admins = { emails: {} };
  const owner = newEmail('owner');
  const made = await createOwner(shop, owner);
  assert.equal(made.code, 0, made.out);
  admins.emails.owner = owner;
  admins.owner = await adminSession(shop, owner, OWNER_PASSWORD);
  for (const role of STAFF_ROLES) {
    const email = newEmail(role);
    const res = await admins.owner.submit('/admin/users', { email, name: name(role), role, password: password(role) }, { page: '/admin/users' });
    assert.equal(res.status, 303);
    admins.emails[role] = email;
    admins[role] = await adminSession(shop, email, password(role));
  }
  return admins;
}

/** How many rows the audit log has. */
export async function auditCount(shop) {
  return (await shop.sql('SELECT COUNT(*) AS n FROM audit_log'))[0].n;
}
