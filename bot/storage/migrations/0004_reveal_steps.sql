-- A reveal scores a round's answers in steps of a few hundred, each its own
-- short write transaction, so one big round never holds the write lock for
-- seconds while other channels' answers wait behind it.
--
-- scored_upto is the progress marker: NULL while the round takes answers, then
-- the highest user id whose answer has been scored (0 when the reveal has begun
-- and nothing is scored yet). Answers are refused once it is set, and a reveal
-- interrupted by a crash resumes after it, so every answer is scored once.
-- The final step sets status = 'revealed' in the same transaction as the last
-- answers it scores.
ALTER TABLE rounds ADD COLUMN scored_upto INTEGER;

-- Ranks behind a large tie. Users on the same total are ranked by who reached
-- it first, so a caller's rank counts the tied users ahead of them; at 100,000
-- users, with tens of thousands on 0 points this week, counting them one by
-- one took about 10 ms. tie_blocks cuts each tie (one board, one total) into
-- consecutive blocks of the (reached_at, user_id) order, each knowing how many
-- users it holds: the tied users ahead are the blocks before the caller's plus
-- a count inside the caller's block, which the store keeps at most about a
-- thousand long by splitting it (bot/storage/ties.py).
-- A block holds the users whose (reached_at, user_id) is at or after its lo
-- and before the next block's; every tie has a first block at ('', 0).
CREATE TABLE tie_blocks (
    space_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    period     TEXT NOT NULL,
    points     INTEGER NOT NULL,
    lo_reached TEXT NOT NULL,
    lo_user    INTEGER NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (space_id, channel_id, period, points, lo_reached, lo_user)
) WITHOUT ROWID;
-- The blocks due a split; the literal must match bot/storage/ties.py.
CREATE INDEX tie_blocks_full ON tie_blocks (users) WHERE users > 1024;

INSERT INTO tie_blocks (space_id, channel_id, period, points, lo_reached, lo_user, users)
SELECT space_id, channel_id, period, points, '', 0, COUNT(*)
FROM scores GROUP BY space_id, channel_id, period, points;

CREATE TRIGGER tie_blocks_insert AFTER INSERT ON scores BEGIN
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
END;

CREATE TRIGGER tie_blocks_update AFTER UPDATE OF points, reached_at ON scores
WHEN OLD.points != NEW.points OR OLD.reached_at != NEW.reached_at BEGIN
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
END;

CREATE TRIGGER tie_blocks_delete AFTER DELETE ON scores BEGIN
    UPDATE tie_blocks SET users = users - 1
    WHERE space_id = OLD.space_id AND channel_id = OLD.channel_id AND period = OLD.period
      AND points = OLD.points
      AND (lo_reached, lo_user) = (
        SELECT b.lo_reached, b.lo_user FROM tie_blocks b
        WHERE b.space_id = OLD.space_id AND b.channel_id = OLD.channel_id
          AND b.period = OLD.period AND b.points = OLD.points
          AND (b.lo_reached, b.lo_user) <= (OLD.reached_at, OLD.user_id)
        ORDER BY b.lo_reached DESC, b.lo_user DESC LIMIT 1);
END;
