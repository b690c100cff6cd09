-- CSV import drafts (issue #6): a dry run's reviewed plan, kept until its author confirms it.
-- `csv_sha256` is the SHA-256 of the file that was reviewed; a confirmation must name it, so the
-- plan applied is the one shown. `applied_at` is set by the single conditional UPDATE that claims
-- the draft, so a resubmitted confirmation applies nothing twice.
CREATE TABLE import_drafts (
  id          TEXT PRIMARY KEY,
  admin_id    TEXT NOT NULL,
  csv_sha256  TEXT NOT NULL,
  plan        TEXT NOT NULL,            -- JSON: app::catalog_import::Step[]
  created_at  INTEGER NOT NULL,
  applied_at  INTEGER
);
CREATE INDEX import_drafts_by_created ON import_drafts(created_at);
