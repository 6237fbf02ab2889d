-- The desks of the current day: who serves which lines, open or paused.
CREATE TABLE desks (
	label  TEXT NOT NULL,
	day    TEXT NOT NULL,
	state  TEXT NOT NULL,      -- the queue.DeskState as JSON
	PRIMARY KEY (day, label)
);
