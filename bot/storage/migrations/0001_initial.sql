-- studybot schema, version 1.
-- Platform-neutral: a space is a Discord server / Slack workspace / terminal,
-- each keyed by (platform, external id). Times are UTC ISO-8601 text.

CREATE TABLE spaces (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL,
    external_id TEXT NOT NULL,
    UNIQUE (platform, external_id)
);

CREATE TABLE channels (
    id          INTEGER PRIMARY KEY,
    space_id    INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    UNIQUE (space_id, external_id)
);

CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    platform     TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    UNIQUE (platform, external_id)
);

CREATE TABLE schedules (
    id             INTEGER PRIMARY KEY,
    channel_id     INTEGER NOT NULL UNIQUE REFERENCES channels (id) ON DELETE CASCADE,
    post_time      TEXT NOT NULL,                 -- HH:MM local wall time
    timezone       TEXT NOT NULL,                 -- IANA name
    weekdays       INTEGER NOT NULL CHECK (weekdays BETWEEN 1 AND 127),  -- bit 0 = Monday
    reveal_after_s INTEGER NOT NULL CHECK (reveal_after_s BETWEEN 60 AND 86400),
    topics         TEXT NOT NULL DEFAULT '',      -- comma-separated slugs; empty = all
    difficulty     TEXT CHECK (difficulty IN ('easy', 'medium', 'hard')),
    paused         INTEGER NOT NULL DEFAULT 0,
    recap          INTEGER NOT NULL DEFAULT 1,
    failing        TEXT
);

CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    space_id    INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    schedule_id INTEGER REFERENCES schedules (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('scheduled', 'extra')),
    round_date  TEXT NOT NULL,                    -- local date in `timezone`
    timezone    TEXT NOT NULL,
    question_id TEXT NOT NULL,
    question    TEXT NOT NULL,                    -- JSON snapshot of the question
    status      TEXT NOT NULL CHECK (status IN ('posting', 'open', 'revealed')),
    posted_at   TEXT NOT NULL,
    reveals_at  TEXT NOT NULL,
    revealed_at TEXT,
    message_id  TEXT
);
-- The guarantee that a channel never gets two scheduled questions for one date.
CREATE UNIQUE INDEX rounds_one_per_date ON rounds (channel_id, round_date) WHERE kind = 'scheduled';
CREATE INDEX rounds_unrevealed ON rounds (status) WHERE status != 'revealed';
CREATE INDEX rounds_space_date ON rounds (space_id, round_date);
CREATE INDEX rounds_channel_question ON rounds (channel_id, question_id);

CREATE TABLE answers (
    round_id    INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    choice      TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    correct     INTEGER,                          -- filled in at the reveal
    points      INTEGER,
    PRIMARY KEY (round_id, user_id)
) WITHOUT ROWID;

-- Materialised leaderboard totals. channel_id 0 holds the whole space.
-- period: 'all', 'wYYYY-Www' or 'mYYYY-MM' of the round's local date.
CREATE TABLE scores (
    space_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    period     TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    points     INTEGER NOT NULL DEFAULT 0,
    correct    INTEGER NOT NULL DEFAULT 0,
    answered   INTEGER NOT NULL DEFAULT 0,
    reached_at TEXT NOT NULL,                     -- when the current total was reached (tie-break)
    PRIMARY KEY (space_id, channel_id, period, user_id)
) WITHOUT ROWID;
CREATE INDEX scores_rank ON scores (space_id, channel_id, period, points DESC, reached_at, user_id);

CREATE TABLE streaks (
    space_id INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    current  INTEGER NOT NULL DEFAULT 0,
    best     INTEGER NOT NULL DEFAULT 0,
    last_day TEXT,
    freezes  INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0,
    correct  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (space_id, user_id)
) WITHOUT ROWID;
CREATE INDEX streaks_current ON streaks (space_id, current DESC);

CREATE TABLE study_groups (
    id         INTEGER PRIMARY KEY,
    space_id   INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL,                     -- casefolded name, for uniqueness
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    UNIQUE (space_id, name_key)
);

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES study_groups (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    question_id TEXT NOT NULL,
    space_id    INTEGER REFERENCES spaces (id) ON DELETE SET NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed'))
);
CREATE INDEX reports_open ON reports (status, space_id);

CREATE TABLE recaps (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    week       TEXT NOT NULL,
    posted_at  TEXT NOT NULL,
    PRIMARY KEY (channel_id, week)
) WITHOUT ROWID;
