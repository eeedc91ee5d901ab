-- The bot processes sharing this database, each with a lease it renews.
-- A process owns timed work (schedules, reveals, reminders) only while its
-- lease is live; when it stops renewing, the others see its row expire and
-- take its work over. One row per process start; rows long expired are pruned.

CREATE TABLE workers (
    name       TEXT PRIMARY KEY,                -- host:pid:random, unique per start
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    platforms  TEXT NOT NULL DEFAULT '',        -- the chat platforms it runs: discord,slack
    shards     TEXT NOT NULL DEFAULT '',        -- Discord shards it runs, as "0-3 of 8"
    started_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL,                   -- last renewal
    expires_at TEXT NOT NULL,                   -- live while this is in the future
    schedules  INTEGER NOT NULL DEFAULT 0,      -- how many it owned at its last renewal
    rounds     INTEGER NOT NULL DEFAULT 0,
    reminders  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE INDEX workers_expiry ON workers (expires_at);
