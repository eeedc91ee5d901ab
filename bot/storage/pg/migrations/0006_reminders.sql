-- PostgreSQL translation of bot/storage/migrations/0006_reminders.sql.
-- Opt-in daily reminders (/remind): one row per user who ever turned one on.
-- Switching off keeps the row, so `last_sent` still stops a second reminder
-- that day when it is switched on again.
-- user_id is INTEGER PRIMARY KEY in SQLite, which makes it the rowid, but the
-- store always sets it to the user's key; it is a plain key here, not an
-- identity column, since numbering it would be meaningless.

CREATE TABLE reminders (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    remind_at  TEXT COLLATE "C" NOT NULL,           -- HH:MM local wall time
    timezone   TEXT COLLATE "C" NOT NULL,           -- IANA name
    enabled    INTEGER NOT NULL DEFAULT 1,
    last_sent  TEXT COLLATE "C",                    -- local date (YYYY-MM-DD) of the last one claimed
    updated_at TEXT COLLATE "C" NOT NULL
);

-- Start-up rebuilds the jobs of the reminders that are on.
CREATE INDEX reminders_enabled ON reminders (user_id) WHERE enabled = 1;
