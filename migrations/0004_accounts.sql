-- Customer accounts and their sessions, password resets and email verification, saved addresses,
-- API refresh tokens, social identities, admin users and the append-only audit log.
-- Secrets are never stored: session ids, reset/verification tokens and refresh tokens are kept as
-- SHA-256 hashes; passwords as PBKDF2-SHA256 strings that name their iteration count.

CREATE TABLE customers (
  id                 TEXT PRIMARY KEY,          -- 128 random bits, hex
  email              TEXT NOT NULL UNIQUE,      -- lowercased; 'deleted:<id>' once erased
  email_verified_at  INTEGER,
  name               TEXT NOT NULL DEFAULT '',
  phone              TEXT NOT NULL DEFAULT '',
  password_hash      TEXT,                      -- NULL for an account made by social sign-in
  cart_id            TEXT,                      -- the cart that follows the shopper across devices
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  deleted_at         INTEGER
);

CREATE TABLE sessions (
  id_hash       TEXT PRIMARY KEY,               -- SHA-256 of the cookie's 256-bit id
  realm         TEXT NOT NULL CHECK (realm IN ('customer', 'admin')),
  subject_id    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL                -- absolute end, whatever the activity
);
CREATE INDEX sessions_by_subject ON sessions(realm, subject_id);

-- One-time links sent through the outbox: password reset and email verification.
CREATE TABLE account_tokens (
  token_hash   TEXT PRIMARY KEY,
  purpose      TEXT NOT NULL CHECK (purpose IN ('password_reset', 'verify_email')),
  customer_id  TEXT NOT NULL REFERENCES customers(id),
  email        TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  used_at      INTEGER
);
CREATE INDEX account_tokens_by_customer ON account_tokens(customer_id);

CREATE TABLE addresses (
  id           TEXT PRIMARY KEY,
  customer_id  TEXT NOT NULL REFERENCES customers(id),
  name         TEXT NOT NULL,
  phone        TEXT NOT NULL,
  line1        TEXT NOT NULL,
  ward         TEXT NOT NULL,
  district     TEXT NOT NULL,
  province     TEXT NOT NULL,
  country      TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX addresses_by_customer ON addresses(customer_id);

ALTER TABLE orders ADD COLUMN customer_id TEXT;
CREATE INDEX orders_by_customer ON orders(customer_id, created_at);

-- API refresh tokens: each use rotates to a new token of the same family; using a spent one
-- revokes the whole family (a stolen token was replayed).
CREATE TABLE refresh_tokens (
  token_hash   TEXT PRIMARY KEY,
  family_id    TEXT NOT NULL,
  customer_id  TEXT NOT NULL REFERENCES customers(id),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  used_at      INTEGER,
  revoked_at   INTEGER
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_by_customer ON refresh_tokens(customer_id);

CREATE TABLE social_identities (
  provider     TEXT NOT NULL,
  subject      TEXT NOT NULL,
  customer_id  TEXT NOT NULL REFERENCES customers(id),
  email        TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (provider, subject)
);
CREATE INDEX social_identities_by_customer ON social_identities(customer_id);

-- Repeated sign-in failures per account: sign-in slows down (see domain::throttle).
CREATE TABLE login_failures (
  account      TEXT PRIMARY KEY,                -- realm + ':' + lowercased email
  failures     INTEGER NOT NULL,
  last_at      INTEGER NOT NULL
);

CREATE TABLE admin_users (
  id             TEXT PRIMARY KEY,
  email          TEXT NOT NULL UNIQUE,
  name           TEXT NOT NULL DEFAULT '',
  role           TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff', 'support')),
  password_hash  TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  disabled_at    INTEGER
);

-- Every admin write: who, when, what, before and after, from where. The application only inserts;
-- these triggers refuse any change or removal.
CREATE TABLE audit_log (
  id           INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,
  actor_id     TEXT NOT NULL,
  actor_email  TEXT NOT NULL,
  action       TEXT NOT NULL,
  entity       TEXT NOT NULL,
  entity_id    TEXT NOT NULL,
  before       TEXT,                            -- JSON, NULL for a creation
  after        TEXT,                            -- JSON, NULL for a deletion
  ip           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_entity ON audit_log(entity, entity_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
