-- Spaced repetition: one card per (user, question) with its FSRS state, a log
-- of every grade, per-topic totals for ranking a user's weak topics, and
-- review sessions kept like drills so their buttons survive a restart.
-- Times are fixed-width UTC text (see database.to_db), so text order is time order.

CREATE TABLE cards (
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    question_id    TEXT NOT NULL,
    topic          TEXT NOT NULL,
    state          INTEGER NOT NULL CHECK (state IN (1, 2, 3)),  -- learning, review, relearning
    step           INTEGER,
    stability      REAL,
    difficulty     REAL,
    due            TEXT NOT NULL,
    last_review    TEXT,
    mastered_until TEXT,             -- recall probability >= 0.9 until then
    reps           INTEGER NOT NULL DEFAULT 0,
    lapses         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, question_id)
) WITHOUT ROWID;

-- A user's queue is a range of this index, most overdue first; with the
-- primary key inside every entry it also answers "which question" alone.
CREATE INDEX cards_by_due ON cards (user_id, due);
-- Mastered cards of one topic, counted without reading the topic's other cards.
CREATE INDEX cards_by_mastery ON cards (user_id, topic, mastered_until);

CREATE TABLE review_log (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    topic       TEXT NOT NULL,
    grade       INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 4),  -- again, hard, good, easy
    source      TEXT NOT NULL CHECK (source IN ('daily', 'drill', 'review')),
    reviewed_at TEXT NOT NULL
);

CREATE INDEX review_log_by_user ON review_log (user_id, reviewed_at);

-- Running totals of review_log per (user, topic), kept by the same writes.
CREATE TABLE review_topics (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    topic   TEXT NOT NULL,
    reviews INTEGER NOT NULL DEFAULT 0,
    correct INTEGER NOT NULL DEFAULT 0,  -- not graded Again
    PRIMARY KEY (user_id, topic)
) WITHOUT ROWID;

CREATE TABLE review_sessions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    space_id    INTEGER REFERENCES spaces (id) ON DELETE SET NULL,
    items       TEXT NOT NULL,                -- JSON: question snapshots and due dates
    position    INTEGER NOT NULL DEFAULT 0,   -- the current item
    revealed    INTEGER NOT NULL DEFAULT 0,   -- the current flashcard's answer is shown
    correct     INTEGER NOT NULL DEFAULT 0,   -- choice items answered right
    grades      TEXT NOT NULL DEFAULT '',     -- one digit (1-4) per item done
    started_at  TEXT NOT NULL,
    active_at   TEXT NOT NULL,                -- last step; idle expiry counts from it
    finished_at TEXT,
    expired_at  TEXT
);

CREATE INDEX review_sessions_by_user ON review_sessions (user_id);
