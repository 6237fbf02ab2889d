-- Anonymous statistics of retired days, per service day, issuing line and
-- hour of the draw: the queue.Aggregate as JSON (counts, language counts,
-- waiting and counselling times as histograms of minutes). Nothing here
-- belongs to one ticket.
CREATE TABLE stats_hourly (
	day       TEXT NOT NULL,
	line      TEXT NOT NULL,
	hour      INTEGER NOT NULL,
	aggregate TEXT NOT NULL,
	PRIMARY KEY (day, line, hour)
) WITHOUT ROWID;

-- Draws refused at the cut-off, counted per day, line and hour.
CREATE TABLE turned_away (
	day  TEXT NOT NULL,
	line TEXT NOT NULL,
	hour INTEGER NOT NULL,
	n    INTEGER NOT NULL,
	PRIMARY KEY (day, line, hour)
) WITHOUT ROWID;
