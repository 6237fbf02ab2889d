-- How many tickets wait in each line on each day, kept by triggers, so that
-- a draw learns how many wait before it without counting them: the writer
-- is one goroutine, and a count over a long queue on every draw would slow
-- every write behind it.
CREATE TABLE waiting_count (
	day  TEXT NOT NULL,
	line TEXT NOT NULL,
	n    INTEGER NOT NULL,
	PRIMARY KEY (day, line)
) WITHOUT ROWID;

INSERT INTO waiting_count (day, line, n)
	SELECT day, line, COUNT(*) FROM tickets WHERE status = 'waiting' GROUP BY day, line;

CREATE TRIGGER waiting_count_insert AFTER INSERT ON tickets WHEN NEW.status = 'waiting'
BEGIN
	INSERT INTO waiting_count (day, line, n) VALUES (NEW.day, NEW.line, 1)
		ON CONFLICT (day, line) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER waiting_count_update AFTER UPDATE OF status, line, day ON tickets
	WHEN OLD.status = 'waiting' OR NEW.status = 'waiting'
BEGIN
	UPDATE waiting_count SET n = n - 1
		WHERE OLD.status = 'waiting' AND day = OLD.day AND line = OLD.line;
	INSERT INTO waiting_count (day, line, n) SELECT NEW.day, NEW.line, 1 WHERE NEW.status = 'waiting'
		ON CONFLICT (day, line) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER waiting_count_delete AFTER DELETE ON tickets WHEN OLD.status = 'waiting'
BEGIN
	UPDATE waiting_count SET n = n - 1 WHERE day = OLD.day AND line = OLD.line;
END;
