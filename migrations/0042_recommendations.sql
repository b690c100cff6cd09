-- Recommendations (issue 15): each product's three lists, computed by the nightly pass (or a
-- manager's "recompute") from the catalog, the paid orders of the last 180 days and the product
-- views of the last 60 (domain::recs, app::recs). A pass replaces every row in one batch.
CREATE TABLE product_recs (
  product_id  INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('similar', 'bought_together', 'also_viewed')),
  rank        INTEGER NOT NULL CHECK (rank >= 0),
  rec_id      INTEGER NOT NULL,
  score       REAL NOT NULL,
  PRIMARY KEY (product_id, kind, rank)
) WITHOUT ROWID;

-- One row per pass: when, who asked, what it read and wrote. The nightly pass runs when the last
-- pass is older than the latest 02:00 in Vietnam (so a missed night catches up once, not twice).
CREATE TABLE rec_runs (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  trigger     TEXT NOT NULL CHECK (trigger IN ('nightly', 'manager')),
  actor       TEXT NOT NULL DEFAULT '',
  products    INTEGER NOT NULL,
  orders      INTEGER NOT NULL,
  sessions    INTEGER NOT NULL,
  rows        INTEGER NOT NULL
);
CREATE INDEX rec_runs_by_at ON rec_runs(at);
