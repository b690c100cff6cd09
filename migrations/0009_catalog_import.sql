-- CSV import drafts (issue #6): a dry run's reviewed plan, kept until its author confirms it.
-- `csv_sha256` is the SHA-256 of the file that was reviewed; a confirmation must name it, so the
-- plan applied is the one shown. `applied_at` is set by the single conditional UPDATE that claims
-- the draft, so a resubmitted confirmation applies nothing twice.
CREATE TABLE import_drafts (
  id          TEXT PRIMARY KEY,
  admin_id    TEXT NOT NULL,
  csv_sha256  TEXT NOT NULL,
  parts       INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  applied_at  INTEGER
);
CREATE INDEX import_drafts_by_created ON import_drafts(created_at);

-- The plan (JSON arrays of app::catalog_import::Step) in parts of under 1 MB: D1 keeps a row under
-- 2 MB, and a 5,000-row import's plan can be larger than that.
CREATE TABLE import_draft_parts (
  draft_id  TEXT NOT NULL REFERENCES import_drafts(id) ON DELETE CASCADE,
  part      INTEGER NOT NULL,
  steps     TEXT NOT NULL,
  PRIMARY KEY (draft_id, part)
);
