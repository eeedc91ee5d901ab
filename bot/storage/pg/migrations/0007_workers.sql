-- PostgreSQL translation of bot/storage/migrations/0007_workers.sql.
-- The bot processes sharing this database, each with a lease it renews.

CREATE TABLE workers (
    name       TEXT COLLATE "C" PRIMARY KEY,
    host       TEXT COLLATE "C" NOT NULL,
    pid        INTEGER NOT NULL,
    platforms  TEXT COLLATE "C" NOT NULL DEFAULT '',
    shards     TEXT COLLATE "C" NOT NULL DEFAULT '',
    started_at TEXT COLLATE "C" NOT NULL,
    seen_at    TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    schedules  INTEGER NOT NULL DEFAULT 0,
    rounds     INTEGER NOT NULL DEFAULT 0,
    reminders  INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX workers_expiry ON workers (expires_at);
