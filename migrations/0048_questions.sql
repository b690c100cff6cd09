-- Product questions and answers (issue 22, docs/REVIEWS.md "Questions and answers"). Signed-in
-- shoppers ask; the shop answers from the admin (published at once: a moderator wrote it) and
-- verified buyers of the product may answer too. Every question and every buyer's answer waits for a
-- moderator: only 'published' rows are shown under the product.
--
-- `status`: 'pending' (waiting for a moderator), 'published' (shown), 'rejected' (never shown, or
-- taken down; `moderation_note` says why).
CREATE TABLE product_questions (
  id               TEXT PRIMARY KEY,                  -- 128 random bits, hex
  product_id       INTEGER NOT NULL REFERENCES products(id),
  customer_id      TEXT NOT NULL,                     -- the asker (signed in)
  author_name      TEXT NOT NULL,                     -- shown as given name + initial ("An N.")
  locale           TEXT NOT NULL DEFAULT 'vi',
  body             TEXT NOT NULL,
  flags            TEXT NOT NULL DEFAULT '',          -- domain::reviews::Flag codes, for the moderator
  status           TEXT NOT NULL CHECK (status IN ('pending', 'published', 'rejected')),
  moderation_note  TEXT NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  published_at     INTEGER,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX product_questions_by_product ON product_questions(product_id, status, published_at);
CREATE INDEX product_questions_by_status ON product_questions(status, created_at);
CREATE INDEX product_questions_by_customer ON product_questions(customer_id, created_at);

-- `by`: 'shop' (written by staff in the admin; `admin_id`) or 'buyer' (a customer with a delivered
-- order of the product; `customer_id`).
CREATE TABLE product_answers (
  id               TEXT PRIMARY KEY,
  question_id      TEXT NOT NULL REFERENCES product_questions(id),
  by               TEXT NOT NULL CHECK (by IN ('shop', 'buyer')),
  customer_id      TEXT,
  admin_id         TEXT,
  author_name      TEXT NOT NULL,
  body             TEXT NOT NULL,
  flags            TEXT NOT NULL DEFAULT '',
  status           TEXT NOT NULL CHECK (status IN ('pending', 'published', 'rejected')),
  moderation_note  TEXT NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  published_at     INTEGER,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX product_answers_by_question ON product_answers(question_id, status, published_at);
CREATE INDEX product_answers_by_status ON product_answers(status, created_at);
CREATE INDEX product_answers_by_customer ON product_answers(customer_id, created_at);
