-- Private drills: one row per drill, one row per answered drill question.
-- The questions are a JSON snapshot so a drill survives edits to the bank.

CREATE TABLE drill_sessions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    space_id    INTEGER REFERENCES spaces (id) ON DELETE SET NULL,
    questions   TEXT NOT NULL,                    -- JSON list of question snapshots
    position    INTEGER NOT NULL DEFAULT 0,       -- next question to answer
    correct     INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);

CREATE TABLE drill_answers (
    session_id  INTEGER NOT NULL REFERENCES drill_sessions (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    choice      TEXT NOT NULL,
    correct     INTEGER NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (session_id, position)
) WITHOUT ROWID;

-- What a user got right and wrong per question, for their stats and for
-- spaced repetition.
CREATE INDEX drill_answers_by_user ON drill_answers (user_id, question_id, answered_at);
