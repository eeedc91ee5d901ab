-- PostgreSQL translation of bot/storage/migrations/0004_reveal_steps.sql.
--
-- scored_upto is the reveal's progress marker: NULL while the round takes
-- answers, then the highest user id whose answer has been scored (0 when the
-- reveal has begun and nothing is scored yet). A user id, so BIGINT.
ALTER TABLE rounds ADD COLUMN scored_upto BIGINT;

-- Ranks behind a large tie: each tie (one board, one total) is cut into
-- consecutive blocks of the (reached_at, user_id) order, each knowing how many
-- users it holds; the store splits a block past 1,024 users. A block holds the
-- users whose (reached_at, user_id) is at or after its lo and before the next
-- block's; every tie has a first block at ('', 0). Row comparisons such as
-- (lo_reached, lo_user) <= (reached_at, user_id) order the same way in both
-- databases, text byte by byte (COLLATE "C") and then the number.
CREATE TABLE tie_blocks (
    space_id   BIGINT NOT NULL,
    channel_id BIGINT NOT NULL,
    period     TEXT COLLATE "C" NOT NULL,
    points     INTEGER NOT NULL,
    lo_reached TEXT COLLATE "C" NOT NULL,
    lo_user    BIGINT NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (space_id, channel_id, period, points, lo_reached, lo_user)
);
-- The blocks due a split; the literal must match bot/storage/ties.py.
CREATE INDEX tie_blocks_full ON tie_blocks (users) WHERE users > 1024;

INSERT INTO tie_blocks (space_id, channel_id, period, points, lo_reached, lo_user, users)
SELECT space_id, channel_id, period, points, '', 0, COUNT(*)
FROM scores GROUP BY space_id, channel_id, period, points;

CREATE FUNCTION tie_blocks_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tie_blocks (space_id, channel_id, period, points, lo_reached, lo_user, users)
    VALUES (NEW.space_id, NEW.channel_id, NEW.period, NEW.points, '', 0, 0)
    ON CONFLICT DO NOTHING;
    UPDATE tie_blocks SET users = users + 1
    WHERE space_id = NEW.space_id AND channel_id = NEW.channel_id AND period = NEW.period
      AND points = NEW.points
      AND (lo_reached, lo_user) = (
        SELECT b.lo_reached, b.lo_user FROM tie_blocks b
        WHERE b.space_id = NEW.space_id AND b.channel_id = NEW.channel_id
          AND b.period = NEW.period AND b.points = NEW.points
          AND (b.lo_reached, b.lo_user) <= (NEW.reached_at, NEW.user_id)
        ORDER BY b.lo_reached DESC, b.lo_user DESC LIMIT 1);
    RETURN NULL;
END;
$$;
CREATE TRIGGER tie_blocks_insert AFTER INSERT ON scores
FOR EACH ROW EXECUTE FUNCTION tie_blocks_insert();

CREATE FUNCTION tie_blocks_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tie_blocks SET users = users - 1
    WHERE space_id = OLD.space_id AND channel_id = OLD.channel_id AND period = OLD.period
      AND points = OLD.points
      AND (lo_reached, lo_user) = (
        SELECT b.lo_reached, b.lo_user FROM tie_blocks b
        WHERE b.space_id = OLD.space_id AND b.channel_id = OLD.channel_id
          AND b.period = OLD.period AND b.points = OLD.points
          AND (b.lo_reached, b.lo_user) <= (OLD.reached_at, OLD.user_id)
        ORDER BY b.lo_reached DESC, b.lo_user DESC LIMIT 1);
    INSERT INTO tie_blocks (space_id, channel_id, period, points, lo_reached, lo_user, users)
    VALUES (NEW.space_id, NEW.channel_id, NEW.period, NEW.points, '', 0, 0)
    ON CONFLICT DO NOTHING;
    UPDATE tie_blocks SET users = users + 1
    WHERE space_id = NEW.space_id AND channel_id = NEW.channel_id AND period = NEW.period
      AND points = NEW.points
      AND (lo_reached, lo_user) = (
        SELECT b.lo_reached, b.lo_user FROM tie_blocks b
        WHERE b.space_id = NEW.space_id AND b.channel_id = NEW.channel_id
          AND b.period = NEW.period AND b.points = NEW.points
          AND (b.lo_reached, b.lo_user) <= (NEW.reached_at, NEW.user_id)
        ORDER BY b.lo_reached DESC, b.lo_user DESC LIMIT 1);
    RETURN NULL;
END;
$$;
CREATE TRIGGER tie_blocks_update AFTER UPDATE OF points, reached_at ON scores
FOR EACH ROW WHEN (OLD.points <> NEW.points OR OLD.reached_at <> NEW.reached_at)
EXECUTE FUNCTION tie_blocks_update();

CREATE FUNCTION tie_blocks_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tie_blocks SET users = users - 1
    WHERE space_id = OLD.space_id AND channel_id = OLD.channel_id AND period = OLD.period
      AND points = OLD.points
      AND (lo_reached, lo_user) = (
        SELECT b.lo_reached, b.lo_user FROM tie_blocks b
        WHERE b.space_id = OLD.space_id AND b.channel_id = OLD.channel_id
          AND b.period = OLD.period AND b.points = OLD.points
          AND (b.lo_reached, b.lo_user) <= (OLD.reached_at, OLD.user_id)
        ORDER BY b.lo_reached DESC, b.lo_user DESC LIMIT 1);
    RETURN NULL;
END;
$$;
CREATE TRIGGER tie_blocks_delete AFTER DELETE ON scores
FOR EACH ROW EXECUTE FUNCTION tie_blocks_delete();
