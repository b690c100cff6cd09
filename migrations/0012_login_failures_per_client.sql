-- The sign-in slow-down counts per account *and* client (issue 18, item 6): failures from one
-- address no longer lock the account's owner out from another. `tries` counts the tries taken since
-- the last success; a try is counted before its password is checked, in one conditional statement
-- (app::sign_in::attempt), so parallel tries cannot all pass the check.
DROP TABLE login_failures;
CREATE TABLE login_failures (
  account      TEXT NOT NULL,                   -- realm + ':' + lowercased email
  client       TEXT NOT NULL,                   -- the connecting IP (CF-Connecting-IP)
  tries        INTEGER NOT NULL,
  last_at      INTEGER NOT NULL,
  PRIMARY KEY (account, client)
);
