-- Opt-in daily reminders (/remind): one row per user who ever turned one on.
-- Switching off keeps the row, so `last_sent` still stops a second reminder
-- that day when it is switched on again.

CREATE TABLE reminders (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    remind_at  TEXT NOT NULL,                   -- HH:MM local wall time
    timezone   TEXT NOT NULL,                   -- IANA name
    enabled    INTEGER NOT NULL DEFAULT 1,
    last_sent  TEXT,                            -- local date (YYYY-MM-DD) of the last one claimed
    updated_at TEXT NOT NULL
);

-- Start-up rebuilds the jobs of the reminders that are on.
CREATE INDEX reminders_enabled ON reminders (user_id) WHERE enabled = 1;
