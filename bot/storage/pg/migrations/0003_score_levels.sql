-- PostgreSQL translation of bot/storage/migrations/0003_score_levels.sql.
-- How many users sit at each points total, per leaderboard (space, channel,
-- period), so a caller's rank sums a few distinct totals instead of counting
-- every user ahead. SQLite's triggers become PL/pgSQL trigger functions (one
-- per trigger, named alike) with the same effect inside the same transaction.
-- PostgreSQL runs an upsert that takes its DO UPDATE path as an UPDATE of the
-- row, as SQLite does, so the reveal's upsert into scores fires the update
-- trigger, never the insert one.

CREATE TABLE score_levels (
    space_id   BIGINT NOT NULL,
    channel_id BIGINT NOT NULL,
    period     TEXT COLLATE "C" NOT NULL,
    points     INTEGER NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (space_id, channel_id, period, points)
);

INSERT INTO score_levels (space_id, channel_id, period, points, users)
SELECT space_id, channel_id, period, points, COUNT(*)
FROM scores GROUP BY space_id, channel_id, period, points;

CREATE FUNCTION score_levels_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO score_levels AS l (space_id, channel_id, period, points, users)
    VALUES (NEW.space_id, NEW.channel_id, NEW.period, NEW.points, 1)
    ON CONFLICT (space_id, channel_id, period, points) DO UPDATE SET users = l.users + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER score_levels_insert AFTER INSERT ON scores
FOR EACH ROW EXECUTE FUNCTION score_levels_insert();

CREATE FUNCTION score_levels_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE score_levels SET users = users - 1
    WHERE space_id = OLD.space_id AND channel_id = OLD.channel_id
      AND period = OLD.period AND points = OLD.points;
    INSERT INTO score_levels AS l (space_id, channel_id, period, points, users)
    VALUES (NEW.space_id, NEW.channel_id, NEW.period, NEW.points, 1)
    ON CONFLICT (space_id, channel_id, period, points) DO UPDATE SET users = l.users + 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER score_levels_update AFTER UPDATE OF points ON scores
FOR EACH ROW WHEN (OLD.points <> NEW.points) EXECUTE FUNCTION score_levels_update();

CREATE FUNCTION score_levels_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE score_levels SET users = users - 1
    WHERE space_id = OLD.space_id AND channel_id = OLD.channel_id
      AND period = OLD.period AND points = OLD.points;
    RETURN NULL;
END;
$$;
CREATE TRIGGER score_levels_delete AFTER DELETE ON scores
FOR EACH ROW EXECUTE FUNCTION score_levels_delete();
