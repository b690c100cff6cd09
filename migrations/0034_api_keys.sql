-- API keys for server-to-server use (issue 21): created by an owner in the admin with scopes, shown
-- once, kept only as a hash (as refresh tokens are), revocable. `prefix` is the key's first
-- characters, shown in the admin list so a key can be recognised without being stored.
CREATE TABLE api_keys (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  key_hash     TEXT NOT NULL UNIQUE,               -- SHA-256 of "api-key:" || key
  scopes       TEXT NOT NULL,                      -- space-separated: catalog:read orders:read orders:write stock:write
  created_by   TEXT NOT NULL,                      -- the owner's admin id
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);
